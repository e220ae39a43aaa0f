/**
 * The method's parameters as data: name, shape, initialisation, component and optimiser group of every tensor a
 * method adds to T5, and the parameter counts derived from them (no GPU needed). Names follow the reference code's
 * PyTorch module names (`encoder.block.3.layer.1.adapter_layer.adapter_down_manual.weight`,
 * `decoder.param_gen.decoder.weight_up.weight`, `decoder.mlp.0.weight`, ...), so a reference checkpoint maps 1:1.
 * @module
 */
import { countT5Parameters, type T5Config, t5ParameterShapes } from "../t5/config.ts";
import type { AdapterMode, MethodConfig } from "./config.ts";

/** How a parameter is initialised. */
export type InitSpec =
  | { kind: "zeros" }
  | { kind: "uniform"; bound: number }
  | { kind: "normal"; std: number }
  | { kind: "xavier"; gain: number }
  | { kind: "linear"; fanIn: number };

/** Optimiser group of a parameter: skill logits get their own learning rate (two-speed learning rate). */
export type ParameterGroupName = "default" | "skill_logits";

/** One method parameter. */
export interface ParameterSpec {
  /** Checkpoint name. */
  name: string;
  /** Shape (PyTorch layout: Linear weights are [out, in]). */
  shape: number[];
  /** Initialisation. */
  init: InitSpec;
  /** Component label used by counts and the params CLI (e.g. "decoder hypernetwork"). */
  component: string;
  /** Optimiser group. */
  group: ParameterGroupName;
}

/** Which stack. */
export type T5Stack = "encoder" | "decoder";

/** Index of the FF sub-layer in a block: 1 in the encoder, 2 in the decoder. */
export function ffSublayerIndex(stack: T5Stack): number {
  return stack === "encoder" ? 1 : 2;
}

/** Layers of a stack. */
export function stackLayers(t5: T5Config, stack: T5Stack): number {
  return stack === "encoder" ? t5.numLayers : t5.numDecoderLayers;
}

/** Mode of a stack. */
export function stackMode(method: MethodConfig, stack: T5Stack): AdapterMode {
  return stack === "encoder" ? method.encoder : method.decoder;
}

/** Adapter width a of a stack. */
export function stackAdapterDim(method: MethodConfig, stack: T5Stack): number {
  return stack === "encoder" ? method.encoderAdapterDim : method.decoderAdapterDim;
}

/** Whether a stack instantiates learned shared adapters (manual mode, and the first pass of a generated encoder). */
export function hasManualAdapters(method: MethodConfig, stack: T5Stack): boolean {
  const mode = stackMode(method, stack);
  return mode === "manual" || (mode === "generated" && stack === "encoder");
}

/** Prefix of layer `i`'s adapter modules. */
export function adapterPrefix(stack: T5Stack, layer: number): string {
  return `${stack}.block.${layer}.layer.${ffSublayerIndex(stack)}.adapter_layer`;
}

/** Prefix of layer `i`'s skilled LoRA (feed-forward placement). */
export function skillPrefix(stack: T5Stack, layer: number): string {
  return `${stack}.block.${layer}.layer.${ffSublayerIndex(stack)}.skilled_lora`;
}

/** Prefix of the skilled LoRA on projection `proj` of layer `i`'s self- or cross-attention (attention placement). */
export function attentionSkillPrefix(
  stack: T5Stack,
  layer: number,
  attention: "self" | "cross",
  proj: "q" | "k" | "v" | "o",
): string {
  const sub = attention === "self" ? "layer.0.SelfAttention" : "layer.1.EncDecAttention";
  return `${stack}.block.${layer}.${sub}.${proj}.skilled_lora`;
}

/** The attention sub-layers of one layer of `stack` that carry skilled LoRA (attention placement). */
export function attentionSkillSites(stack: T5Stack): ("self" | "cross")[] {
  return stack === "encoder" ? ["self"] : ["self", "cross"];
}

/** Initialisation of a generator head (method.md §4.3): weight heads per `fanMain`, bias heads with `fanMain` 1. */
function headInit(method: MethodConfig, fanMain: number): InitSpec {
  const b = method.hypernetworkBottleneck;
  if (method.generatorInit === "code") return { kind: "uniform", bound: 1e-3 * Math.sqrt(3 / (b * fanMain)) };
  // Chang et al.'s hyperfan-in with Var(e) = 1 and the ½ for generated biases: Var = 1 / (2·b·fanMain).
  return { kind: "uniform", bound: Math.sqrt(3 / (2 * b * fanMain)) };
}

function stackSpecs(t5: T5Config, method: MethodConfig, stack: T5Stack): ParameterSpec[] {
  const mode = stackMode(method, stack);
  const specs: ParameterSpec[] = [];
  const d = t5.dModel;
  const a = stackAdapterDim(method, stack);
  const L = stackLayers(t5, stack);
  const n = method.tasks.length;
  const add = (
    name: string,
    shape: number[],
    init: InitSpec,
    component: string,
    group: ParameterGroupName = "default",
  ) => specs.push({ name, shape, init, component, group });
  if (hasManualAdapters(method, stack)) {
    const xavier: InitSpec = { kind: "xavier", gain: 1e-4 };
    for (let i = 0; i < L; i++) {
      const p = adapterPrefix(stack, i);
      add(`${p}.adapter_down_manual.weight`, [a, d], xavier, `${stack} adapters`);
      add(`${p}.adapter_down_manual.bias`, [a], { kind: "zeros" }, `${stack} adapters`);
      add(`${p}.adapter_up_manual.weight`, [d, a], xavier, `${stack} adapters`);
      add(`${p}.adapter_up_manual.bias`, [d], { kind: "zeros" }, `${stack} adapters`);
    }
  }
  if (mode === "manual_specific") {
    const xavier: InitSpec = { kind: "xavier", gain: 1e-4 };
    for (let i = 0; i < L; i++) {
      const p = adapterPrefix(stack, i);
      add(`${p}.adapter_down_manual_weight`, [n, d, a], xavier, `${stack} per-task adapters`);
      add(`${p}.adapter_down_manual_bias`, [n, 1, a], { kind: "zeros" }, `${stack} per-task adapters`);
      add(`${p}.adapter_up_manual_weight`, [n, a, d], xavier, `${stack} per-task adapters`);
      add(`${p}.adapter_up_manual_bias`, [n, 1, d], { kind: "zeros" }, `${stack} per-task adapters`);
    }
  }
  if (mode === "generated" || mode === "task") {
    const b = method.hypernetworkBottleneck;
    const E = method.layerEmbeddingDim;
    const comp = `${stack} hypernetwork`;
    const g = `${stack}.param_gen`;
    add(`${g}.layer_embed.weight`, [L, E], { kind: "normal", std: 1 }, comp);
    add(`${g}.decoder.linear1.weight`, [b, d + E], { kind: "linear", fanIn: d + E }, comp);
    add(`${g}.decoder.linear1.bias`, [b], { kind: "linear", fanIn: d + E }, comp);
    add(`${g}.decoder.weight_up.weight`, [d * a, b], headInit(method, a), comp);
    add(`${g}.decoder.weight_up.bias`, [d * a], { kind: "zeros" }, comp);
    add(`${g}.decoder.weight_down.weight`, [d * a, b], headInit(method, d), comp);
    add(`${g}.decoder.weight_down.bias`, [d * a], { kind: "zeros" }, comp);
    add(`${g}.decoder.bias_up.weight`, [d, b], headInit(method, 1), comp);
    add(`${g}.decoder.bias_up.bias`, [d], { kind: "zeros" }, comp);
    add(`${g}.decoder.bias_down.weight`, [a, b], headInit(method, 1), comp);
    add(`${g}.decoder.bias_down.bias`, [a], { kind: "zeros" }, comp);
    if (mode === "generated" && method.processEncoderOutput) {
      const lin: InitSpec = { kind: "linear", fanIn: d };
      add(`${stack}.mlp.0.weight`, [d, d], lin, `${stack} MLP`);
      add(`${stack}.mlp.0.bias`, [d], lin, `${stack} MLP`);
      add(`${stack}.mlp.2.weight`, [d, d], lin, `${stack} MLP`);
      add(`${stack}.mlp.2.bias`, [d], lin, `${stack} MLP`);
    }
    if (mode === "task") {
      add(`${stack}.adapter_task_embedding.weight`, [n, d], { kind: "normal", std: 1 }, `${stack} task embedding`);
    }
  }
  if (mode === "skills") {
    const { count: S, rank: r, placement } = method.skills;
    const comp = `${stack} skills`;
    const site = (p: string, dIn: number, dOut: number) => {
      add(`${p}.skill_logits`, [n, S], { kind: "uniform", bound: 1e-3 }, comp, "skill_logits");
      // calculate_gain("leaky_relu", √5) = √(1/3); bound = gain / √d_in.
      add(`${p}.skills_weight_A`, [S, r * dIn], { kind: "uniform", bound: Math.sqrt(1 / 3) / Math.sqrt(dIn) }, comp);
      add(`${p}.skills_weight_B`, [S, dOut * r], { kind: "zeros" }, comp);
    };
    for (let i = 0; i < L; i++) {
      if (placement === "feed-forward") site(skillPrefix(stack, i), d, d);
      else {
        const inner = t5.numHeads * t5.dKv;
        for (const a of attentionSkillSites(stack)) {
          for (const proj of ["q", "k", "v"] as const) site(attentionSkillPrefix(stack, i, a, proj), d, inner);
          site(attentionSkillPrefix(stack, i, a, "o"), inner, d);
        }
      }
    }
  }
  return specs;
}

/** Every parameter a method adds to a T5 model with this config, encoder first. */
export function methodParameterSpecs(t5: T5Config, method: MethodConfig): ParameterSpec[] {
  return [...stackSpecs(t5, method, "encoder"), ...stackSpecs(t5, method, "decoder")];
}

/**
 * Whether a T5 checkpoint parameter is trained by the method: `none` on a side trains that stack's blocks; the shared
 * embedding and a separate LM head are trained only by full fine-tuning (`none/none`), as in the reference code,
 * unless `method.noneTrains` is `"stack+embeddings"` (then a `none` side also trains the shared embedding, and a
 * `none` decoder the LM head).
 */
export function isBackboneTrainable(method: MethodConfig, name: string): boolean {
  const enc = method.encoder === "none";
  const dec = method.decoder === "none";
  const withEmbeddings = method.noneTrains === "stack+embeddings";
  if (name === "shared.weight") return (enc && dec) || (withEmbeddings && (enc || dec));
  if (name === "lm_head.weight") return (enc && dec) || (withEmbeddings && dec);
  if (name.startsWith("encoder.")) return enc;
  if (name.startsWith("decoder.")) return dec;
  return false;
}

/** Component label of a T5 checkpoint parameter. */
export function backboneComponent(name: string): string {
  if (name === "shared.weight") return "T5 embedding";
  if (name === "lm_head.weight") return "T5 LM head";
  return name.startsWith("encoder.") ? "T5 encoder" : "T5 decoder";
}

/** Counts of one component. */
export interface ComponentCount {
  /** Component label. */
  component: string;
  /** Parameters trained. */
  trainable: number;
  /** All parameters. */
  total: number;
}

/** Parameter counts of a method on a backbone. */
export interface ParameterCounts {
  /** Per component, method components first, then the backbone's. */
  components: ComponentCount[];
  /** Trainable parameters (method + unfrozen backbone). */
  trainable: number;
  /** Backbone parameters. */
  backbone: number;
  /** Backbone + method parameters. */
  total: number;
  /** Trainable as a percentage of the backbone (as method.md §5.3 reports it). */
  percentOfBackbone: number;
}

/** Sums parameter counts by component from (name, size, trainable, component) rows. */
export function summarizeCounts(
  rows: Iterable<{ size: number; trainable: boolean; component: string; backbone: boolean }>,
): ParameterCounts {
  const byComponent = new Map<string, ComponentCount>();
  let trainable = 0;
  let backbone = 0;
  let total = 0;
  for (const r of rows) {
    const c = byComponent.get(r.component) ?? { component: r.component, trainable: 0, total: 0 };
    c.total += r.size;
    if (r.trainable) c.trainable += r.size;
    byComponent.set(r.component, c);
    total += r.size;
    if (r.trainable) trainable += r.size;
    if (r.backbone) backbone += r.size;
  }
  return {
    components: [...byComponent.values()],
    trainable,
    backbone,
    total,
    percentOfBackbone: backbone > 0 ? (100 * trainable) / backbone : 0,
  };
}

/** Parameter counts of `method` on a T5 with config `t5`, from the shapes alone (no GPU). */
export function countParameters(t5: T5Config, method: MethodConfig): ParameterCounts {
  const rows: { size: number; trainable: boolean; component: string; backbone: boolean }[] = [];
  for (const spec of methodParameterSpecs(t5, method)) {
    rows.push({ size: sizeOf(spec.shape), trainable: true, component: spec.component, backbone: false });
  }
  for (const [name, shape] of t5ParameterShapes(t5)) {
    rows.push({
      size: sizeOf(shape),
      trainable: isBackboneTrainable(method, name),
      component: backboneComponent(name),
      backbone: true,
    });
  }
  const counts = summarizeCounts(rows);
  if (counts.backbone !== countT5Parameters(t5)) throw new Error("countParameters: backbone count mismatch");
  return counts;
}

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((x, y) => x * y, 1);
}
