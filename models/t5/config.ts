/**
 * T5 configuration: `config.json` parsed and validated as Hugging Face reads it, the standard shapes, and parameter
 * counts.
 * @module
 */

/** The fields of a T5 `config.json` the model uses, with defaults applied. */
export interface T5Config {
  /** Vocabulary rows of the embedding and LM head (32128 for the public checkpoints). */
  vocabSize: number;
  /** Model width D. */
  dModel: number;
  /** Per-head width Dk. */
  dKv: number;
  /** Feed-forward width. */
  dFf: number;
  /** Encoder blocks. */
  numLayers: number;
  /** Decoder blocks. */
  numDecoderLayers: number;
  /** Attention heads H (inner width H·Dk need not equal D). */
  numHeads: number;
  /** Relative-position buckets (32). */
  relativeAttentionNumBuckets: number;
  /** Relative-position maximum distance (128). */
  relativeAttentionMaxDistance: number;
  /** Dropout probability used in training mode. */
  dropoutRate: number;
  /** RMSNorm epsilon. */
  layerNormEpsilon: number;
  /** Initialisation scale for random init. */
  initializerFactor: number;
  /** Feed-forward activation: relu (v1.0) or gelu_new. */
  activation: "relu" | "gelu_new";
  /** Gated feed-forward (v1.1 / LM-adapt: `wi_0`, `wi_1`). */
  gated: boolean;
  /** Multiply the decoder output by D^-0.5 before the LM head. */
  scaleDecoderOutputs: boolean;
  /** The LM head is the shared embedding (no `lm_head.weight`). */
  tieWordEmbeddings: boolean;
  /** Pad token id (0). */
  padTokenId: number;
  /** End-of-sequence id (1). */
  eosTokenId: number;
  /** Decoder start id (0). */
  decoderStartTokenId: number;
}

function num(json: Record<string, unknown>, key: string, source: string, fallback?: number): number {
  const value = json[key];
  if (value === undefined || value === null) {
    if (fallback !== undefined) return fallback;
    throw new Error(`${source}: missing field "${key}"`);
  }
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new Error(`${source}: field "${key}" must be a number, got ${JSON.stringify(value)}`);
  }
  return value;
}

function positiveInt(json: Record<string, unknown>, key: string, source: string, fallback?: number): number {
  const value = num(json, key, source, fallback);
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`${source}: field "${key}" must be a positive integer, got ${value}`);
  }
  return value;
}

/**
 * Parses `feed_forward_proj` as transformers does: split on "-", gated iff the first part is "gated", activation the
 * last part, with the literal "gated-gelu" meaning gelu_new.
 */
export function parseFeedForwardProj(
  value: string,
  source = "config.json",
): { gated: boolean; activation: "relu" | "gelu_new" } {
  const parts = value.split("-");
  const gated = parts[0] === "gated";
  if (parts.length > 2 || (parts.length === 2 && !gated)) {
    throw new Error(
      `${source}: "feed_forward_proj": "${value}" is not a valid activation: use "relu", "gelu_new", "gated-gelu" or "gated-<act>"`,
    );
  }
  const act = value === "gated-gelu" ? "gelu_new" : parts[parts.length - 1];
  if (act !== "relu" && act !== "gelu_new") {
    throw new Error(
      `${source}: "feed_forward_proj": "${value}" has activation "${act}", which this port does not support (relu, gelu_new)`,
    );
  }
  return { gated, activation: act };
}

/** Validates a parsed `config.json` object; `source` names the file in errors. */
export function parseT5Config(json: unknown, source = "config.json"): T5Config {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new Error(`${source}: expected a JSON object`);
  }
  const j = json as Record<string, unknown>;
  const ffProj = j.feed_forward_proj ?? "relu";
  if (typeof ffProj !== "string") throw new Error(`${source}: "feed_forward_proj" must be a string`);
  const { gated, activation } = parseFeedForwardProj(ffProj, source);
  const tie = j.tie_word_embeddings === undefined ? true : j.tie_word_embeddings !== false;
  const scale = j.scale_decoder_outputs === undefined ? tie : j.scale_decoder_outputs === true;
  const numLayers = positiveInt(j, "num_layers", source);
  const dropoutRate = num(j, "dropout_rate", source, 0.1);
  if (dropoutRate < 0 || dropoutRate >= 1) throw new Error(`${source}: "dropout_rate" must be in [0, 1)`);
  return {
    vocabSize: positiveInt(j, "vocab_size", source),
    dModel: positiveInt(j, "d_model", source),
    dKv: positiveInt(j, "d_kv", source),
    dFf: positiveInt(j, "d_ff", source),
    numLayers,
    numDecoderLayers: positiveInt(j, "num_decoder_layers", source, numLayers),
    numHeads: positiveInt(j, "num_heads", source),
    relativeAttentionNumBuckets: positiveInt(j, "relative_attention_num_buckets", source, 32),
    relativeAttentionMaxDistance: positiveInt(j, "relative_attention_max_distance", source, 128),
    dropoutRate,
    layerNormEpsilon: num(j, "layer_norm_epsilon", source, 1e-6),
    initializerFactor: num(j, "initializer_factor", source, 1),
    activation,
    gated,
    scaleDecoderOutputs: scale,
    tieWordEmbeddings: tie,
    padTokenId: num(j, "pad_token_id", source, 0),
    eosTokenId: num(j, "eos_token_id", source, 1),
    decoderStartTokenId: num(j, "decoder_start_token_id", source, 0),
  };
}

/** Writes a config back in Hugging Face's `config.json` form. */
export function toHfConfig(c: T5Config): Record<string, unknown> {
  return {
    architectures: ["T5ForConditionalGeneration"],
    model_type: "t5",
    vocab_size: c.vocabSize,
    d_model: c.dModel,
    d_kv: c.dKv,
    d_ff: c.dFf,
    num_layers: c.numLayers,
    num_decoder_layers: c.numDecoderLayers,
    num_heads: c.numHeads,
    relative_attention_num_buckets: c.relativeAttentionNumBuckets,
    relative_attention_max_distance: c.relativeAttentionMaxDistance,
    dropout_rate: c.dropoutRate,
    layer_norm_epsilon: c.layerNormEpsilon,
    initializer_factor: c.initializerFactor,
    feed_forward_proj: c.gated ? (c.activation === "gelu_new" ? "gated-gelu" : `gated-${c.activation}`) : c.activation,
    tie_word_embeddings: c.tieWordEmbeddings,
    scale_decoder_outputs: c.scaleDecoderOutputs,
    pad_token_id: c.padTokenId,
    eos_token_id: c.eosTokenId,
    decoder_start_token_id: c.decoderStartTokenId,
    is_encoder_decoder: true,
  };
}

function v11(d: number, heads: number, dFf: number, layers: number): T5Config {
  return parseT5Config({
    vocab_size: 32128,
    d_model: d,
    d_kv: 64,
    d_ff: dFf,
    num_layers: layers,
    num_heads: heads,
    feed_forward_proj: "gated-gelu",
    tie_word_embeddings: false,
    dropout_rate: 0.1,
  }, "preset");
}

/** T5 v1.1 / LM-adapt shapes (`t5-v1_1-*`, `t5-*-lm-adapt`). */
export const T5_V1_1: Record<"small" | "base" | "large" | "xl", T5Config> = {
  small: v11(512, 6, 1024, 8),
  base: v11(768, 12, 2048, 12),
  large: v11(1024, 16, 2816, 24),
  xl: v11(2048, 32, 5120, 24),
};

function v10(d: number, heads: number, dFf: number, layers: number): T5Config {
  return parseT5Config({
    vocab_size: 32128,
    d_model: d,
    d_kv: 64,
    d_ff: dFf,
    num_layers: layers,
    num_heads: heads,
    feed_forward_proj: "relu",
    tie_word_embeddings: true,
    dropout_rate: 0.1,
  }, "preset");
}

/** The original T5 (v1.0) shapes (`t5-small`, `t5-base`, `t5-large`): ReLU feed-forward, head tied to the embedding. */
export const T5_V1_0: Record<"small" | "base" | "large", T5Config> = {
  small: v10(512, 8, 2048, 6),
  base: v10(768, 12, 3072, 12),
  large: v10(1024, 16, 4096, 24),
};

/**
 * Every named checkpoint shape: the T5 v1.1 / LM-adapt ones by size ("small", "base", "large", "xl") and the v1.0
 * ones as "v1.0-small", "v1.0-base", "v1.0-large" (what a config's `model.shape` may name).
 */
export const T5_SHAPES: Readonly<Record<string, T5Config>> = Object.freeze({
  ...T5_V1_1,
  ...Object.fromEntries(Object.entries(T5_V1_0).map(([k, v]) => [`v1.0-${k}`, v])),
});

/** Names and shapes of every parameter of a T5 checkpoint with this config, in Hugging Face naming. */
export function t5ParameterShapes(c: T5Config): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  const inner = c.numHeads * c.dKv;
  const D = c.dModel;
  shapes.set("shared.weight", [c.vocabSize, D]);
  const attention = (prefix: string, withBias: boolean) => {
    shapes.set(`${prefix}.q.weight`, [inner, D]);
    shapes.set(`${prefix}.k.weight`, [inner, D]);
    shapes.set(`${prefix}.v.weight`, [inner, D]);
    shapes.set(`${prefix}.o.weight`, [D, inner]);
    if (withBias) shapes.set(`${prefix}.relative_attention_bias.weight`, [c.relativeAttentionNumBuckets, c.numHeads]);
  };
  const ff = (prefix: string) => {
    if (c.gated) {
      shapes.set(`${prefix}.DenseReluDense.wi_0.weight`, [c.dFf, D]);
      shapes.set(`${prefix}.DenseReluDense.wi_1.weight`, [c.dFf, D]);
    } else {
      shapes.set(`${prefix}.DenseReluDense.wi.weight`, [c.dFf, D]);
    }
    shapes.set(`${prefix}.DenseReluDense.wo.weight`, [D, c.dFf]);
    shapes.set(`${prefix}.layer_norm.weight`, [D]);
  };
  for (let i = 0; i < c.numLayers; i++) {
    attention(`encoder.block.${i}.layer.0.SelfAttention`, i === 0);
    shapes.set(`encoder.block.${i}.layer.0.layer_norm.weight`, [D]);
    ff(`encoder.block.${i}.layer.1`);
  }
  shapes.set("encoder.final_layer_norm.weight", [D]);
  for (let i = 0; i < c.numDecoderLayers; i++) {
    attention(`decoder.block.${i}.layer.0.SelfAttention`, i === 0);
    shapes.set(`decoder.block.${i}.layer.0.layer_norm.weight`, [D]);
    attention(`decoder.block.${i}.layer.1.EncDecAttention`, false);
    shapes.set(`decoder.block.${i}.layer.1.layer_norm.weight`, [D]);
    ff(`decoder.block.${i}.layer.2`);
  }
  shapes.set("decoder.final_layer_norm.weight", [D]);
  if (!c.tieWordEmbeddings) shapes.set("lm_head.weight", [c.vocabSize, D]);
  return shapes;
}

/** Number of parameters of a T5 model (the shared embedding counted once, a separate LM head counted). */
export function countT5Parameters(c: T5Config): number {
  let n = 0;
  for (const shape of t5ParameterShapes(c).values()) n += shape.reduce((a, b) => a * b, 1);
  return n;
}
