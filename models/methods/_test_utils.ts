/**
 * Shared fixtures of the method tests: a tiny random T5, a padded multi-task batch, and parameter perturbation.
 * @module
 */
import { noGrad, scope, type Tensor, tensor, writeTensor } from "@hyperdecoders/core";
import { parseT5Config, type T5Config } from "../t5/config.ts";
import { randomT5 } from "../t5/init.ts";
import type { T5Model } from "../t5/model.ts";
import { InitRandom } from "./init.ts";
import type { AdaptedForwardOptions, AdaptedT5 } from "./model.ts";

/** A tiny T5 v1.1 shape (gated-gelu, untied head, dropout 0.1) with moderate logits. */
export const TINY: T5Config = parseT5Config({
  vocab_size: 40,
  d_model: 12,
  d_kv: 4,
  d_ff: 16,
  num_layers: 2,
  num_decoder_layers: 2,
  num_heads: 2,
  feed_forward_proj: "gated-gelu",
  tie_word_embeddings: false,
  dropout_rate: 0.1,
  initializer_factor: 0.5,
}, "tiny test config");

/** Small method sizes for the tiny model. */
export const TINY_SIZES = {
  encoderAdapterDim: 3,
  decoderAdapterDim: 2,
  hypernetworkBottleneck: 4,
  layerEmbeddingDim: 5,
};

/** Task names of the tests. */
export const TASKS = ["alpha", "beta", "gamma"];

/** A fresh tiny base model. */
export function tinyBase(seed = 1): T5Model {
  return randomT5(TINY, seed);
}

/** A batch of 3 padded inputs (ids i32 [3, 5], mask f32 [3, 5]) with labels [3, 3] and tasks. */
export interface TinyBatch {
  /** Input ids. */
  inputIds: Tensor;
  /** Attention mask. */
  attentionMask: Tensor;
  /** Labels, -100 = ignored. */
  labels: Int32Array;
  /** Label shape. */
  labelShape: [number, number];
  /** Task per example. */
  tasks: string[];
}

/** Builds a batch from rows of token ids (padded with 0) and per-row tasks. */
export function makeBatch(rows: number[][], labels: number[][], tasks: string[]): TinyBatch {
  const S = Math.max(...rows.map((r) => r.length));
  const T = Math.max(...labels.map((r) => r.length));
  const ids = new Int32Array(rows.length * S);
  const mask = new Float32Array(rows.length * S);
  const lab = new Int32Array(rows.length * T).fill(-100);
  rows.forEach((r, b) => r.forEach((v, s) => (ids[b * S + s] = v, mask[b * S + s] = 1)));
  labels.forEach((r, b) => r.forEach((v, t) => (lab[b * T + t] = v)));
  return {
    inputIds: tensor(ids, [rows.length, S], "i32"),
    attentionMask: tensor(mask, [rows.length, S]),
    labels: lab,
    labelShape: [rows.length, T],
    tasks,
  };
}

/** The default test batch: three different inputs of lengths 5, 3 and 4, from three tasks. */
export function tinyBatch(): TinyBatch {
  return makeBatch(
    [[5, 9, 13, 7, 1], [22, 3, 1], [31, 8, 17, 1]],
    [[4, 6, 1], [11, 1], [2, 19, 1]],
    ["alpha", "beta", "gamma"],
  );
}

/** Overwrites every method parameter with N(0, std²) values (so that every gradient is far from zero). */
export function randomizeMethod(model: AdaptedT5, seed: number, std: number): void {
  const rng = new InitRandom(seed);
  for (const t of model.methodParams.values()) writeTensor(t, rng.normal(t.size, std));
}

/** Mean token loss of one teacher-forced pass, read back (no gradients). */
export async function lossValue(model: AdaptedT5, batch: TinyBatch, options: AdaptedForwardOptions): Promise<number> {
  const loss = noGrad(() => scope(() => model.forward(batch, options).loss));
  const value = await loss.item();
  loss.dispose();
  return value;
}

/** Logits [B, T, V] of one teacher-forced pass, read back. */
export async function logitsOf(
  model: T5Model | AdaptedT5,
  batch: TinyBatch,
  options: AdaptedForwardOptions,
): Promise<Float32Array> {
  const logits = noGrad(() => scope(() => model.forward(batch, options).logits));
  const data = (await logits.data()) as Float32Array;
  logits.dispose();
  return data;
}
