/**
 * The method's parameters as data: name, shape, initialisation, component and optimiser group of every tensor a
 * method adds to T5, and the parameter counts derived from them (no GPU needed). Names (built by names.ts) follow the
 * reference code's PyTorch module names (`encoder.block.3.layer.1.adapter_layer.adapter_down_manual.weight`,
 * `decoder.param_gen.decoder.weight_up.weight`, `decoder.mlp.0.weight`, ...), so a reference checkpoint maps 1:1.
 * @module
 */
import { countT5Parameters, type T5Config, t5ParameterShapes } from "../t5/config.ts";
import type { AdapterMode, MethodConfig } from "./config.ts";
import {
  attentionSkillPrefix,
  generatorNames,
  manualAdapterNames,
  mlpNames,
  skillPrefix,
  skillSiteNames,
  type T5Stack,
  taskAdapterNames,
  taskEmbeddingName,
} from "./names.ts";

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

/** The attention sub-layers of one layer of `stack` that carry skilled LoRA (attention placement). */
export function attentionSkillSites(stack: T5Stack): ("self" | "cross")[] {
  return stack === "encoder" ? ["self"] : ["self", "cross"];
}

/** Initialisation of a generator head (the paper's "Chang et al. (2020)" init as the reference code realises it:
 * U(±1e-3·√(3/(b·fanMain))), see {@link InitSpec}): weight heads per `fanMain`, bias heads with `fanMain` 1. */
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
      const names = manualAdapterNames(stack, i);
      add(names.downWeight, [a, d], xavier, `${stack} adapters`);
      add(names.downBias, [a], { kind: "zeros" }, `${stack} adapters`);
      add(names.upWeight, [d, a], xavier, `${stack} adapters`);
      add(names.upBias, [d], { kind: "zeros" }, `${stack} adapters`);
    }
  }
  if (mode === "manual_specific") {
    const xavier: InitSpec = { kind: "xavier", gain: 1e-4 };
    for (let i = 0; i < L; i++) {
      const names = taskAdapterNames(stack, i);
      add(names.downWeight, [n, d, a], xavier, `${stack} per-task adapters`);
      add(names.downBias, [n, 1, a], { kind: "zeros" }, `${stack} per-task adapters`);
      add(names.upWeight, [n, a, d], xavier, `${stack} per-task adapters`);
      add(names.upBias, [n, 1, d], { kind: "zeros" }, `${stack} per-task adapters`);
    }
  }
  if (mode === "generated" || mode === "task") {
    const b = method.hypernetworkBottleneck;
    const E = method.layerEmbeddingDim;
    const comp = `${stack} hypernetwork`;
    const g = generatorNames(stack);
    add(g.layerEmbed, [L, E], { kind: "normal", std: 1 }, comp);
    add(g.w1, [b, d + E], { kind: "linear", fanIn: d + E }, comp);
    add(g.c1, [b], { kind: "linear", fanIn: d + E }, comp);
    add(g.heads.weight_up.weight, [d * a, b], headInit(method, a), comp);
    add(g.heads.weight_up.bias, [d * a], { kind: "zeros" }, comp);
    add(g.heads.weight_down.weight, [d * a, b], headInit(method, d), comp);
    add(g.heads.weight_down.bias, [d * a], { kind: "zeros" }, comp);
    add(g.heads.bias_up.weight, [d, b], headInit(method, 1), comp);
    add(g.heads.bias_up.bias, [d], { kind: "zeros" }, comp);
    add(g.heads.bias_down.weight, [a, b], headInit(method, 1), comp);
    add(g.heads.bias_down.bias, [a], { kind: "zeros" }, comp);
    if (mode === "generated" && method.processEncoderOutput) {
      const lin: InitSpec = { kind: "linear", fanIn: d };
      const mlp = mlpNames(stack);
      add(mlp.w0, [d, d], lin, `${stack} MLP`);
      add(mlp.b0, [d], lin, `${stack} MLP`);
      add(mlp.w2, [d, d], lin, `${stack} MLP`);
      add(mlp.b2, [d], lin, `${stack} MLP`);
    }
    if (mode === "task") {
      add(taskEmbeddingName(stack), [n, d], { kind: "normal", std: 1 }, `${stack} task embedding`);
    }
  }
  if (mode === "skills") {
    const { count: S, rank: r, placement } = method.skills;
    const comp = `${stack} skills`;
    const site = (p: string, dIn: number, dOut: number) => {
      const names = skillSiteNames(p);
      add(names.logits, [n, S], { kind: "uniform", bound: 1e-3 }, comp, "skill_logits");
      // calculate_gain("leaky_relu", √5) = √(1/3); bound = gain / √d_in.
      add(names.a, [S, r * dIn], { kind: "uniform", bound: Math.sqrt(1 / 3) / Math.sqrt(dIn) }, comp);
      add(names.b, [S, dOut * r], { kind: "zeros" }, comp);
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
  /** Trainable as a percentage of the backbone (as the paper reports it, e.g. 2.87 % for the GLUE hyperdecoder). */
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
