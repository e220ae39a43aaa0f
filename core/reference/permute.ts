/**
 * Float64 reference of axis permutation.
 * @module
 */
import { forEachIndex, type RefTensor } from "./ref_tensor.ts";

/** `out[c_0, …] = x[…]` with output axis `k` = input axis `perm[k]`. */
export function refPermute(x: RefTensor, perm: number[]): RefTensor {
  const rank = x.shape.length;
  const strides = new Array<number>(rank);
  let s = 1;
  for (let d = rank - 1; d >= 0; d--) {
    strides[d] = s;
    s *= x.shape[d];
  }
  const shape = perm.map((a) => x.shape[a]);
  const out = new Float64Array(x.data.length);
  forEachIndex(shape, (coords, flat) => {
    let src = 0;
    for (let k = 0; k < rank; k++) src += coords[k] * strides[perm[k]];
    out[flat] = x.data[src];
  });
  return { shape, data: out };
}

/** The inverse of a permutation. */
export function refInversePerm(perm: number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((a, k) => (inv[a] = k));
  return inv;
}
