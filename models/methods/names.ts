/**
 * The names of a method's parameters, built here once for the parameter list (parameters.ts) and the model's
 * look-ups (model.ts). They are the reference code's state-dict keys, so that trained weights keep its names: a learned
 * adapter's `nn.Linear` layers give `….adapter_down_manual.weight`, while the per-task adapters of its
 * `TaskSpecificAdapterLayer` are bare `nn.Parameter`s, hence `….adapter_down_manual_weight`.
 * @module
 */

/** One of the two T5 stacks. */
export type T5Stack = "encoder" | "decoder";

/** Index of the FF sub-layer in a block: 1 in the encoder, 2 in the decoder. */
export function ffSublayerIndex(stack: T5Stack): number {
  return stack === "encoder" ? 1 : 2;
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

/** The four tensors of one layer's adapter (or of its per-task adapters). */
export interface AdapterNames {
  /** W_d. */
  downWeight: string;
  /** b_d. */
  downBias: string;
  /** W_u. */
  upWeight: string;
  /** b_u. */
  upBias: string;
}

/** Layer `i`'s learned adapter, shared by every input (`nn.Linear` layers: `.weight`, `.bias`). */
export function manualAdapterNames(stack: T5Stack, layer: number): AdapterNames {
  const p = adapterPrefix(stack, layer);
  return {
    downWeight: `${p}.adapter_down_manual.weight`,
    downBias: `${p}.adapter_down_manual.bias`,
    upWeight: `${p}.adapter_up_manual.weight`,
    upBias: `${p}.adapter_up_manual.bias`,
  };
}

/** Layer `i`'s per-task adapters, one slice per task (bare parameters: `_weight`, `_bias`). */
export function taskAdapterNames(stack: T5Stack, layer: number): AdapterNames {
  const p = adapterPrefix(stack, layer);
  return {
    downWeight: `${p}.adapter_down_manual_weight`,
    downBias: `${p}.adapter_down_manual_bias`,
    upWeight: `${p}.adapter_up_manual_weight`,
    upBias: `${p}.adapter_up_manual_bias`,
  };
}

/** The four heads of a parameter generator, in the order of their tensors. */
export const GENERATOR_HEADS = ["weight_up", "weight_down", "bias_up", "bias_down"] as const;

/** One head of a parameter generator. */
export type GeneratorHead = typeof GENERATOR_HEADS[number];

/** The tensors of a stack's parameter generator. */
export interface GeneratorNames {
  /** The learned layer embedding l_i [L, E]. */
  layerEmbed: string;
  /** The bottleneck W_1 [b, d + E]. */
  w1: string;
  /** Its bias c_1 [b]. */
  c1: string;
  /** Weight and bias of each head. */
  heads: Record<GeneratorHead, { weight: string; bias: string }>;
}

/** The tensors of `stack`'s parameter generator. */
export function generatorNames(stack: T5Stack): GeneratorNames {
  const g = `${stack}.param_gen`;
  const head = (h: GeneratorHead) => ({ weight: `${g}.decoder.${h}.weight`, bias: `${g}.decoder.${h}.bias` });
  return {
    layerEmbed: `${g}.layer_embed.weight`,
    w1: `${g}.decoder.linear1.weight`,
    c1: `${g}.decoder.linear1.bias`,
    heads: {
      weight_up: head("weight_up"),
      weight_down: head("weight_down"),
      bias_up: head("bias_up"),
      bias_down: head("bias_down"),
    },
  };
}

/** The tensors of the d→d→d MLP over `stack`'s instance embedding (`nn.Sequential` indices 0 and 2). */
export function mlpNames(stack: T5Stack): { w0: string; b0: string; w2: string; b2: string } {
  return {
    w0: `${stack}.mlp.0.weight`,
    b0: `${stack}.mlp.0.bias`,
    w2: `${stack}.mlp.2.weight`,
    b2: `${stack}.mlp.2.bias`,
  };
}

/** The task embedding table [tasks, d] of `stack`'s task hypernetwork. */
export function taskEmbeddingName(stack: T5Stack): string {
  return `${stack}.adapter_task_embedding.weight`;
}

/** The tensors of one skilled-LoRA site (`prefix`: {@link skillPrefix} or {@link attentionSkillPrefix}). */
export function skillSiteNames(prefix: string): { logits: string; a: string; b: string } {
  return { logits: `${prefix}.skill_logits`, a: `${prefix}.skills_weight_A`, b: `${prefix}.skills_weight_B` };
}
