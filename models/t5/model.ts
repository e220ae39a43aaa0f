/**
 * T5 (v1.0 and v1.1 / LM-adapt) on the engine, computed as Hugging Face computes it: pre-norm blocks with RMSNorm,
 * unscaled attention with a relative position bias from the first block of each stack, relu or gated-gelu
 * feed-forward, tied or separate LM head, dropout in training mode. Feed-forward adapters and branches added to the
 * attention projections (e.g. LoRA) plug in through hooks.
 *
 * Every sub-layer runs in its own `scope()`: its intermediates that no backward needs (attention scores, dropout
 * outputs, ...) are freed as soon as the sub-layer returns instead of at the end of the caller's step (the tape keeps what the backward needs), which roughly halves a training step's peak memory.
 * @module
 */
import {
  add,
  attentionSoftmax,
  concat,
  crossEntropy,
  type CrossEntropyOptions,
  dropout,
  embedding,
  gatedActivation,
  geluNew,
  headMatmul,
  keep,
  linear,
  relu,
  reshape,
  residualRmsNorm,
  rmsNorm,
  scale,
  scope,
  type Tensor,
  tensor,
} from "@hyperdecoders/core";
import type { T5Config } from "./config.ts";
import { relativePositionBias, RelativePositionBuckets } from "./relative_position.ts";
import { t5ParameterShapes } from "./config.ts";

/**
 * Adds an adapter branch to a feed-forward sub-layer: given the block index, the sub-layer's pre-norm input `h` and its
 * normalised input, returns the tensor to add to the residual stream (or null for none). It runs inside the
 * sub-layer's `scope()`: tensors it creates and does not return are freed when the sub-layer ends (`keep()` them to
 * hold them longer).
 */
export type FeedForwardHook = (layer: number, h: Tensor, normed: Tensor) => Tensor | null;

/** An attention sub-layer: its stack, block index and kind. */
export interface ProjectionSite {
  /** The stack. */
  stack: "encoder" | "decoder";
  /** Block index within the stack. */
  layer: number;
  /** Self-attention, or the decoder's cross-attention over the encoder output. */
  attention: "self" | "cross";
}

/** One of an attention sub-layer's four projections. */
export type ProjectionName = "q" | "k" | "v" | "o";

/**
 * Adds a branch to an attention projection: given the site, the projection and the projection's input `x`
 * ([B, L, d] for q, k and v — the normalised hidden states, or the encoder output for cross-attention keys and
 * values —, the merged heads [B, L, H·d_kv] for o), returns the tensor added to the projection's output (or null for
 * none). Like {@link FeedForwardHook} it runs inside the sub-layer's `scope()` (cross-attention keys and values of
 * generation: inside {@link T5Model.crossKeyValues}'s caller's scope).
 */
export type ProjectionHook = (site: ProjectionSite, proj: ProjectionName, x: Tensor) => Tensor | null;

/** Options of a forward pass. */
export interface ForwardOptions {
  /** Training mode: dropout on (with `seed`). */
  training?: boolean;
  /** Seed of this pass's dropout masks (each dropout site derives its own). */
  seed?: number;
  /** Adapter branch of the encoder's feed-forward sub-layers. */
  encoderHook?: FeedForwardHook;
  /** Adapter branch of the decoder's feed-forward sub-layers. */
  decoderHook?: FeedForwardHook;
  /** Branch added to the attention projections (q, k, v, o) of both stacks. */
  projectionHook?: ProjectionHook;
}

/** Keys and values of one decoder layer kept across decoding steps. */
export interface LayerCache {
  /** Self-attention keys so far, [B, t, H·Dk]. */
  selfK: Tensor | null;
  /** Self-attention values so far, [B, t, H·Dk]. */
  selfV: Tensor | null;
  /** Cross-attention keys of the encoder output, [B, S, H·Dk] (computed once). */
  crossK: Tensor;
  /** Cross-attention values of the encoder output, [B, S, H·Dk]. */
  crossV: Tensor;
}

/** Decoding state: per-layer caches and the number of positions already decoded. */
export interface DecoderCache {
  /** One entry per decoder block. */
  layers: LayerCache[];
  /** Positions decoded so far. */
  length: number;
}

/** Output of {@link T5Model.forward}. */
export interface T5Output {
  /** [B, T, V] logits. */
  logits: Tensor;
  /** Final encoder hidden states [B, S, D]. */
  encoderOut: Tensor;
  /** Decoder output before the LM head [B, T, D]. */
  decoderOut: Tensor;
  /** The token cross-entropy of the labels (by default the mean over labels ≠ -100). */
  loss: Tensor;
}

/** The inputs of a teacher-forced forward: source ids and mask, and the labels the decoder is fed shifted right. */
export interface TeacherForcedInputs {
  /** Source ids [B, S] (i32). */
  inputIds: Tensor;
  /** Source mask [B, S] (1 = token). */
  attentionMask: Tensor;
  /** Target ids [B·T] (-100 or the loss's ignore index for padding). */
  labels: Int32Array;
  /** [B, T]. */
  labelShape: [number, number];
}

/**
 * What decoding and teacher forcing need of a T5-shaped encoder–decoder: a {@link T5Model}, or a model that adapts
 * one (`AdaptedT5`, which adds its adapters through the hooks of the T5Model it holds).
 */
export interface EncoderDecoder {
  /** The backbone's configuration. */
  readonly config: T5Config;
  /** Encoder: ids [B, S] and mask [B, S] → final hidden states [B, S, D]. */
  encode(inputIds: Tensor, attentionMask: Tensor, options?: ForwardOptions): Tensor;
  /** Decoder over `decoderIds` [B, T] attending to `encoderOut` → final hidden states [B, T, D]. */
  decode(
    decoderIds: Tensor,
    encoderOut: Tensor,
    encoderMask: Tensor,
    options?: ForwardOptions,
    cache?: DecoderCache,
  ): Tensor;
  /** The cross-attention keys and values of every decoder layer, computed once per input for decoding. */
  crossKeyValues(encoderOut: Tensor, options?: ForwardOptions): LayerCache[];
  /** LM head: decoder output [B, T, D] → logits [B, T, V]. */
  logits(decoderOut: Tensor): Tensor;
}

/**
 * Teacher-forced forward of `model`: encoder, decoder on the labels shifted right, logits and the token cross-entropy
 * (by default Hugging Face's: mean over labels ≠ -100; `loss` selects e.g. the reference trainer's summed,
 * label-smoothed, pad-ignoring loss).
 */
export function teacherForced(
  model: EncoderDecoder,
  inputs: TeacherForcedInputs,
  options: ForwardOptions = {},
  loss: CrossEntropyOptions = { ignoreIndex: -100 },
): T5Output {
  if (!inputs.labels || !inputs.labelShape) {
    throw new Error("T5Model.forward: labels and labelShape are required (use encode/decode for inference)");
  }
  const c = model.config;
  const [b, t] = inputs.labelShape;
  const encoderOut = model.encode(inputs.inputIds, inputs.attentionMask, options);
  const decoderIds = tensor(shiftRight(inputs.labels, b, t, c.decoderStartTokenId, c.padTokenId), [b, t], "i32");
  const labelTensor = tensor(inputs.labels, [b * t], "i32");
  const decoderOut = model.decode(decoderIds, encoderOut, inputs.attentionMask, options);
  const logits = model.logits(decoderOut);
  const lossValue = crossEntropy(reshape(logits, [b * t, c.vocabSize]), labelTensor, loss);
  return { logits, encoderOut, decoderOut, loss: lossValue };
}

/** Shifts labels right for teacher forcing: start id first, -100 replaced by the pad id. */
export function shiftRight(labels: Int32Array, batch: number, length: number, startId = 0, padId = 0): Int32Array {
  const out = new Int32Array(batch * length);
  for (let b = 0; b < batch; b++) {
    out[b * length] = startId;
    for (let t = 1; t < length; t++) {
      const v = labels[b * length + t - 1];
      out[b * length + t] = v === -100 ? padId : v;
    }
  }
  return out;
}

class DropoutSites {
  #next = 0;
  constructor(readonly p: number, readonly seed: number, readonly on: boolean) {}
  apply(x: Tensor): Tensor {
    const site = this.site();
    return site ? dropout(x, site.p, site.seed) : x;
  }
  /** The next site's dropout for an op that applies it itself (as `apply` would: same seed), or null when off. */
  site(): { p: number; seed: number } | null {
    if (!this.on || this.p === 0) return null;
    return { p: this.p, seed: (this.seed * 7919 + this.#next++ * 104729) >>> 0 };
  }
}

/** What an attention sub-layer needs besides its input and keys/values. */
interface AttentionArgs {
  /** Relative-position bias [1, H, Lq, Lk], or null. */
  bias: Tensor | null;
  /** Key padding mask [B, Lk] (1 = token), or null. */
  keyMask: Tensor | null;
  /** Whether position i attends to positions ≤ i only. */
  causal: boolean;
  /** The pass's dropout sites. */
  drop: DropoutSites;
  /** Where the projections are, for the hook. */
  site: ProjectionSite;
  /** Extra branches of the projections, if any. */
  hook?: ProjectionHook;
}

/** The residual stream after a sub-layer and its RMSNorm for the next one. */
type Residual = { sum: Tensor; normed: Tensor };

/** Drops a sub-layer's input once the next one is built (the tape keeps what its backward reads). */
function disposeResidual(r: Residual): void {
  r.sum.dispose();
  r.normed.dispose();
}

/** A T5 encoder–decoder with its weights as named tensors (Hugging Face names). */
export class T5Model implements EncoderDecoder {
  /** The configuration. */
  readonly config: T5Config;
  /** Parameters by checkpoint name. */
  readonly params: Map<string, Tensor>;
  /** This model's relative-position bucket tensors (small GPU constants), freed by {@link T5Model.dispose}. */
  readonly #buckets = new RelativePositionBuckets();

  /** Wraps weights; every name of {@link t5ParameterShapes} must be present with its shape. */
  constructor(config: T5Config, params: Map<string, Tensor>) {
    this.config = config;
    const expected = t5ParameterShapes(config);
    for (const [name, shape] of expected) {
      const t = params.get(name);
      if (!t) throw new Error(`T5Model: missing parameter "${name}" (expected shape [${shape}])`);
      if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
        throw new Error(`T5Model: parameter "${name}" has shape [${t.shape}], config.json implies [${shape}]`);
      }
    }
    this.params = params;
  }

  /** A parameter by name. */
  param(name: string): Tensor {
    const t = this.params.get(name);
    if (!t) throw new Error(`T5Model: no parameter "${name}"`);
    return t;
  }

  /** The LM head weight: `lm_head.weight`, or the shared embedding when tied. */
  get lmHead(): Tensor {
    return this.params.get("lm_head.weight") ?? this.param("shared.weight");
  }

  /** Frees every parameter and the model's cached GPU constants. */
  dispose(): void {
    for (const t of this.params.values()) t.dispose();
    this.clearCaches();
  }

  /** Frees the model's cached GPU constants (the relative-position buckets); they are uploaded again on demand. */
  clearCaches(): void {
    this.#buckets.dispose();
  }

  /** `x · Wᵀ` for projection `proj` under `prefix`, plus the hook's branch when there is one. */
  #project(prefix: string, proj: ProjectionName, x: Tensor, site?: ProjectionSite, hook?: ProjectionHook): Tensor {
    const y = linear(x, this.param(`${prefix}.${proj}.weight`));
    if (!hook || !site) return y;
    const extra = hook(site, proj, x);
    return extra ? add(y, extra) : y;
  }

  /**
   * Projects `x` [B, L, D] to keys and values [B, L, H·d_kv] (head h in columns h·d_kv …, read in place by the
   * attention products) with the weights under `prefix` (plus `hook`'s branches, for the attention `site`, when both
   * are given).
   */
  projectKV(prefix: string, x: Tensor, site?: ProjectionSite, hook?: ProjectionHook): { k: Tensor; v: Tensor } {
    return { k: this.#project(prefix, "k", x, site, hook), v: this.#project(prefix, "v", x, site, hook) };
  }

  /** Attention of `xq` (a normed stream) over keys and values `k`, `v`, through the output projection. */
  #attend(prefix: string, xq: Tensor, k: Tensor, v: Tensor, a: AttentionArgs): Tensor {
    const { bias, keyMask, causal, drop, site, hook } = a;
    const heads = this.config.numHeads;
    const q = this.#project(prefix, "q", xq, site, hook);
    // scores = Q·Kᵀ per head, without 1/√d scaling (folded into T5's query init); heads read in place
    const scores = headMatmul(q, k, { heads, transB: true, aHeads: true, bHeads: true });
    const probs = attentionSoftmax(scores, bias, keyMask, { causal, dropout: drop.site() });
    // context = P·V per head, written straight into the merged [B, Lq, H·d_kv] layout
    const ctx = headMatmul(probs, v, { heads, bHeads: true, outHeads: true });
    return this.#project(prefix, "o", ctx, site, hook);
  }

  /** An attention sub-layer on the stream `x`: returns the new stream and its norm under `nextNorm`. */
  #attentionSublayer(prefix: string, x: Residual, k: Tensor, v: Tensor, a: AttentionArgs, nextNorm: string): Residual {
    return this.#residual(x.sum, this.#attend(prefix, x.normed, k, v, a), nextNorm, a.drop);
  }

  #feedForward(prefix: string, x: Tensor, drop: DropoutSites): Tensor {
    const c = this.config;
    const act = (t: Tensor) => (c.activation === "relu" ? relu(t) : geluNew(t));
    let hidden: Tensor;
    if (c.gated) {
      // act(x·wi_0ᵀ) · (x·wi_1ᵀ), then this site's dropout (one seed, as `apply`), in one dispatch and one backward
      const gatePre = linear(x, this.param(`${prefix}.DenseReluDense.wi_0.weight`));
      const lin = linear(x, this.param(`${prefix}.DenseReluDense.wi_1.weight`));
      hidden = gatedActivation(gatePre, lin, { activation: c.activation, dropout: drop.site() });
    } else {
      hidden = drop.apply(act(linear(x, this.param(`${prefix}.DenseReluDense.wi.weight`))));
    }
    return linear(hidden, this.param(`${prefix}.DenseReluDense.wo.weight`));
  }

  /**
   * The feed-forward sub-layer on the residual stream `h` and its norm `normed`: returns the new stream and its norm
   * under `nextNorm` (the next sub-layer's, or the stack's final norm), the hook's branch added to the residual.
   */
  #ffSublayer(
    prefix: string,
    layer: number,
    h: Tensor,
    normed: Tensor,
    nextNorm: string,
    drop: DropoutSites,
    hook?: FeedForwardHook,
  ): Residual {
    // the adapter first: its gradients then arrive after the feed-forward's output has taken its masked one (the
    // mask is applied by the output projection's kernel, see `linear`), so they are added into h's in place
    const adapter = hook?.(layer, h, normed) ?? null;
    const ff = this.#feedForward(prefix, normed, drop);
    return this.#residual(h, ff, nextNorm, drop, adapter);
  }

  /**
   * `h + dropout(branch) (+ extra)` and its RMSNorm under the weight `nextNorm`, in one dispatch (the residual
   * connection of a sub-layer and the norm the next one reads; the same values as the three ops).
   */
  #residual(h: Tensor, branch: Tensor, nextNorm: string, drop: DropoutSites, extra: Tensor | null = null): Residual {
    return residualRmsNorm(h, branch, this.param(nextNorm), {
      dropout: drop.site(),
      extra,
      eps: this.config.layerNormEpsilon,
    });
  }

  /** Encoder: ids [B, S] i32 and mask [B, S] (1 = token) → final hidden states [B, S, D]. */
  encode(inputIds: Tensor, attentionMask: Tensor, options: ForwardOptions = {}): Tensor {
    const c = this.config;
    const drop = new DropoutSites(c.dropoutRate, options.seed ?? 0, options.training ?? false);
    const [, length] = inputIds.shape;
    const h = drop.apply(embedding(this.param("shared.weight"), inputIds));
    const bias = relativePositionBias(
      this.param("encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"),
      length,
      length,
      { bidirectional: true, numBuckets: c.relativeAttentionNumBuckets, maxDistance: c.relativeAttentionMaxDistance },
      this.#buckets,
    );
    const hook = options.projectionHook;
    const norm = (i: number, sub: number) =>
      i < c.numLayers ? `encoder.block.${i}.layer.${sub}.layer_norm.weight` : "encoder.final_layer_norm.weight";
    // the residual stream and its norm for the sub-layer about to read it (each residual add computes the next norm)
    let r: Residual = { sum: h, normed: rmsNorm(h, this.param(norm(0, 0)), c.layerNormEpsilon) };
    for (let i = 0; i < c.numLayers; i++) {
      const prefix = `encoder.block.${i}.layer.0`;
      const site: ProjectionSite = { stack: "encoder", layer: i, attention: "self" };
      const x = r;
      r = scope(() => {
        const { k, v } = this.projectKV(`${prefix}.SelfAttention`, x.normed, site, hook);
        const a = { bias, keyMask: attentionMask, causal: false, drop, site, hook };
        return this.#attentionSublayer(`${prefix}.SelfAttention`, x, k, v, a, norm(i, 1));
      });
      disposeResidual(x);
      const y = r;
      r = scope(() =>
        this.#ffSublayer(`encoder.block.${i}.layer.1`, i, y.sum, y.normed, norm(i + 1, 0), drop, options.encoderHook)
      );
      disposeResidual(y);
    }
    r.sum.dispose();
    return drop.apply(r.normed);
  }

  /**
   * Cross-attention keys and values of every decoder layer for an encoder output (computed once per input), with
   * `options.projectionHook`'s branches when given (pass the options the decoding steps use).
   */
  crossKeyValues(encoderOut: Tensor, options: ForwardOptions = {}): LayerCache[] {
    const layers: LayerCache[] = [];
    for (let i = 0; i < this.config.numDecoderLayers; i++) {
      const site: ProjectionSite = { stack: "decoder", layer: i, attention: "cross" };
      const { k, v } = this.projectKV(
        `decoder.block.${i}.layer.1.EncDecAttention`,
        encoderOut,
        site,
        options.projectionHook,
      );
      layers.push({ selfK: null, selfV: null, crossK: k, crossV: v });
    }
    return layers;
  }

  /**
   * Decoder: ids [B, T] i32 → output [B, T, D] (after the final norm and dropout). With `cache`, `decoderIds` are the
   * next positions after `cache.length`; keys and values are appended to the cache (kept out of scopes).
   */
  decode(
    decoderIds: Tensor,
    encoderOut: Tensor,
    encoderMask: Tensor,
    options: ForwardOptions = {},
    cache?: DecoderCache,
  ): Tensor {
    const c = this.config;
    const drop = new DropoutSites(c.dropoutRate, (options.seed ?? 0) + 1_000_003, options.training ?? false);
    const [, length] = decoderIds.shape;
    const past = cache?.length ?? 0;
    const h = drop.apply(embedding(this.param("shared.weight"), decoderIds));
    const bias = relativePositionBias(
      this.param("decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"),
      length,
      past + length,
      {
        bidirectional: false,
        numBuckets: c.relativeAttentionNumBuckets,
        maxDistance: c.relativeAttentionMaxDistance,
        queryOffset: past,
      },
      this.#buckets,
    );
    const hook = options.projectionHook;
    const norm = (i: number, sub: number) =>
      i < c.numDecoderLayers ? `decoder.block.${i}.layer.${sub}.layer_norm.weight` : "decoder.final_layer_norm.weight";
    let r: Residual = { sum: h, normed: rmsNorm(h, this.param(norm(0, 0)), c.layerNormEpsilon) };
    for (let i = 0; i < c.numDecoderLayers; i++) {
      const selfPrefix = `decoder.block.${i}.layer.0`;
      const selfSite: ProjectionSite = { stack: "decoder", layer: i, attention: "self" };
      const crossSite: ProjectionSite = { stack: "decoder", layer: i, attention: "cross" };
      const layerCache = cache?.layers[i];
      const x = r;
      r = scope(() => {
        let { k, v } = this.projectKV(`${selfPrefix}.SelfAttention`, x.normed, selfSite, hook);
        if (layerCache) {
          if (layerCache.selfK && layerCache.selfV) {
            const [oldK, oldV] = [layerCache.selfK, layerCache.selfV];
            k = concat([oldK, k], 1);
            v = concat([oldV, v], 1);
            oldK.dispose();
            oldV.dispose();
          }
          layerCache.selfK = keep(k);
          layerCache.selfV = keep(v);
        }
        const a = { bias, keyMask: null, causal: true, drop, site: selfSite, hook };
        return this.#attentionSublayer(`${selfPrefix}.SelfAttention`, x, k, v, a, norm(i, 1));
      });
      disposeResidual(x);
      const crossPrefix = `decoder.block.${i}.layer.1`;
      const y = r;
      r = scope(() => {
        let ck: Tensor, cv: Tensor;
        if (layerCache) {
          ck = layerCache.crossK;
          cv = layerCache.crossV;
        } else {
          ({ k: ck, v: cv } = this.projectKV(`${crossPrefix}.EncDecAttention`, encoderOut, crossSite, hook));
        }
        const a = { bias: null, keyMask: encoderMask, causal: false, drop, site: crossSite, hook };
        return this.#attentionSublayer(`${crossPrefix}.EncDecAttention`, y, ck, cv, a, norm(i, 2));
      });
      disposeResidual(y);
      const z = r;
      r = scope(() =>
        this.#ffSublayer(`decoder.block.${i}.layer.2`, i, z.sum, z.normed, norm(i + 1, 0), drop, options.decoderHook)
      );
      disposeResidual(z);
    }
    if (cache) cache.length = past + length;
    r.sum.dispose();
    return drop.apply(r.normed);
  }

  /** LM head: decoder output [B, T, D] → logits [B, T, V] (scaled by D^-0.5 first when the config says so). */
  logits(decoderOut: Tensor): Tensor {
    const s = this.config.scaleDecoderOutputs ? scale(decoderOut, this.config.dModel ** -0.5) : decoderOut;
    return linear(s, this.lmHead);
  }

  /** Teacher-forced forward with the loss: {@link teacherForced} of this model. */
  forward(inputs: TeacherForcedInputs, options: ForwardOptions = {}, loss?: CrossEntropyOptions): T5Output {
    return teacherForced(this, inputs, options, loss);
  }

  /** Marks exactly the named parameters trainable (others frozen: no gradient buffers). */
  setTrainable(predicate: (name: string) => boolean): void {
    for (const [name, t] of this.params) t.requiresGrad = predicate(name);
  }
}
