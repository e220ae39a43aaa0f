/**
 * Float64 reference of the embedding lookup and its scatter-add gradient.
 * @module
 */
import type { RefTensor } from "./ref_tensor.ts";

/** Rows of `table` [V, D] gathered by `ids` (out-of-range ids give zero rows). */
export function refEmbedding(table: RefTensor, ids: ArrayLike<number>, idsShape: number[]): RefTensor {
  const [V, D] = table.shape;
  const out = new Float64Array(ids.length * D);
  for (let r = 0; r < ids.length; r++) {
    const id = ids[r];
    if (id < 0 || id >= V) continue;
    for (let d = 0; d < D; d++) out[r * D + d] = table.data[id * D + d];
  }
  return { shape: [...idsShape, D], data: out };
}

/** Gradient of the table: rows of `g` summed into their ids' rows (out-of-range ids contribute nothing). */
export function refEmbeddingGrad(tableShape: number[], ids: ArrayLike<number>, g: RefTensor): RefTensor {
  const [V, D] = tableShape;
  const out = new Float64Array(V * D);
  for (let r = 0; r < ids.length; r++) {
    const id = ids[r];
    if (id < 0 || id >= V) continue;
    for (let d = 0; d < D; d++) out[id * D + d] += g.data[r * D + d];
  }
  return { shape: [...tableShape], data: out };
}
