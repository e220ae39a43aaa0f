/**
 * Float64 references of softmax and log-softmax over the last axis, and their gradients.
 * @module
 */
import type { RefTensor } from "./ref_tensor.ts";

function rows(x: RefTensor): [number, number] {
  const cols = x.shape[x.shape.length - 1] ?? 1;
  return [cols === 0 ? 0 : x.data.length / cols, cols];
}

/** Softmax (or, with `log`, log-softmax) over the last axis. */
export function refSoftmax(x: RefTensor, log = false): RefTensor {
  const [n, d] = rows(x);
  const y = new Float64Array(x.data.length);
  for (let r = 0; r < n; r++) {
    const row = x.data.subarray(r * d, (r + 1) * d);
    const m = Math.max(...row);
    let s = 0;
    for (const v of row) s += Math.exp(v - m);
    for (let j = 0; j < d; j++) y[r * d + j] = log ? row[j] - m - Math.log(s) : Math.exp(row[j] - m) / s;
  }
  return { shape: [...x.shape], data: y };
}

/** Input gradient of {@link refSoftmax} for output gradient `g`. */
export function refSoftmaxGrad(x: RefTensor, g: RefTensor, log = false): RefTensor {
  const [n, d] = rows(x);
  const p = refSoftmax(x, false).data;
  const dx = new Float64Array(x.data.length);
  for (let r = 0; r < n; r++) {
    let dot = 0;
    for (let j = 0; j < d; j++) dot += log ? g.data[r * d + j] : g.data[r * d + j] * p[r * d + j];
    for (let j = 0; j < d; j++) {
      const i = r * d + j;
      dx[i] = log ? g.data[i] - p[i] * dot : p[i] * (g.data[i] - dot);
    }
  }
  return { shape: [...x.shape], data: dx };
}
