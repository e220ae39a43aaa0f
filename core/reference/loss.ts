/**
 * Float64 reference of cross-entropy with ignore index and label smoothing (PyTorch `CrossEntropyLoss` semantics)
 * and its gradient with respect to the logits.
 * @module
 */
import type { RefTensor } from "./ref_tensor.ts";

/** Options of {@link refCrossEntropy} (as the GPU op's). */
export interface RefCrossEntropyOptions {
  /** Label value whose rows are skipped (default −100). */
  ignoreIndex?: number;
  /** Smoothing ε (default 0). */
  labelSmoothing?: number;
  /** Reduction (default "mean"). */
  reduction?: "mean" | "sum" | "none";
}

function rowLosses(logits: RefTensor, labels: ArrayLike<number>, o: RefCrossEntropyOptions): Float64Array {
  const V = logits.shape[logits.shape.length - 1];
  const eps = o.labelSmoothing ?? 0;
  const ignore = o.ignoreIndex ?? -100;
  const out = new Float64Array(labels.length);
  for (let r = 0; r < labels.length; r++) {
    const y = labels[r];
    if (y === ignore) continue;
    if (y < 0 || y >= V) {
      out[r] = NaN;
      continue;
    }
    const row = logits.data.subarray(r * V, (r + 1) * V);
    const m = Math.max(...row);
    let s = 0;
    let nlls = 0;
    for (const v of row) s += Math.exp(v - m);
    const lse = m + Math.log(s);
    for (const v of row) nlls += lse - v;
    out[r] = (1 - eps) * (lse - row[y]) + eps * nlls / V;
  }
  return out;
}

/** Cross-entropy of `logits` [..., V] against integer `labels` [...]. */
export function refCrossEntropy(
  logits: RefTensor,
  labels: ArrayLike<number>,
  options: RefCrossEntropyOptions = {},
): RefTensor {
  const losses = rowLosses(logits, labels, options);
  const reduction = options.reduction ?? "mean";
  if (reduction === "none") return { shape: logits.shape.slice(0, -1), data: losses };
  const ignore = options.ignoreIndex ?? -100;
  let sum = 0;
  let count = 0;
  for (let r = 0; r < labels.length; r++) {
    sum += losses[r];
    if (labels[r] !== ignore) count++;
  }
  return { shape: [], data: Float64Array.of(reduction === "sum" ? sum : sum / count) };
}

/** Gradient of {@link refCrossEntropy} with respect to the logits, given the output gradient `g`. */
export function refCrossEntropyGrad(
  logits: RefTensor,
  labels: ArrayLike<number>,
  g: RefTensor,
  options: RefCrossEntropyOptions = {},
): RefTensor {
  const V = logits.shape[logits.shape.length - 1];
  const eps = options.labelSmoothing ?? 0;
  const ignore = options.ignoreIndex ?? -100;
  const reduction = options.reduction ?? "mean";
  let count = 0;
  for (let r = 0; r < labels.length; r++) if (labels[r] !== ignore) count++;
  const dx = new Float64Array(logits.data.length);
  for (let r = 0; r < labels.length; r++) {
    const y = labels[r];
    if (y === ignore) continue;
    const scale = reduction === "none" ? g.data[r] : reduction === "sum" ? g.data[0] : g.data[0] / count;
    const row = logits.data.subarray(r * V, (r + 1) * V);
    const m = Math.max(...row);
    let s = 0;
    for (const v of row) s += Math.exp(v - m);
    for (let j = 0; j < V; j++) {
      const target = (j === y ? 1 - eps : 0) + eps / V;
      dx[r * V + j] = scale * (Math.exp(row[j] - m) / s - target);
    }
  }
  return { shape: [...logits.shape], data: dx };
}
