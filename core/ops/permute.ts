/**
 * Axis permutations: `permute` (any 4-byte dtype, rank ≤ 6 after merging axes that stay adjacent) and `transpose`.
 * The backward of a permutation is the inverse permutation.
 * @module
 */
import { MAX_RANK, STRIDED_COPY_KERNEL, stridedCopyGrid } from "@hyperdecoders/kernels";
import { record } from "../autograd.ts";
import { launch } from "../launch.ts";
import { empty, type Tensor } from "../tensor.ts";
import { reshape } from "./shape.ts";

function checkPerm(x: Tensor, perm: readonly number[]): number[] {
  const rank = x.rank;
  const bad = (): never => {
    throw new Error(`permute: [${perm.join(", ")}] is not a permutation of the ${rank} axes of ${x.describe()}`);
  };
  if (perm.length !== rank) bad();
  const norm = perm.map((a) => (Number.isInteger(a) && a < 0 ? a + rank : a));
  const seen = new Set<number>();
  for (const a of norm) {
    if (!Number.isInteger(a) || a < 0 || a >= rank || seen.has(a)) bad();
    seen.add(a);
  }
  return norm;
}

/**
 * Drops size-1 axes and merges runs of input axes that stay adjacent and in order, so that e.g. [B, L, H, Dk] →
 * [B, H, L, Dk] becomes a 3-axis copy. Returns the merged output dims and the input stride along each.
 */
export function simplifyPermutation(
  shape: readonly number[],
  perm: readonly number[],
): { dims: number[]; strides: number[] } {
  // input axes of size > 1, renumbered densely so that adjacency ignores the size-1 axes between them
  const keptAxes = shape.map((_, a) => a).filter((a) => shape[a] !== 1);
  const dense = new Map(keptAxes.map((a, k) => [a, k]));
  const sizes = keptAxes.map((a) => shape[a]);
  const live = perm.filter((a) => shape[a] !== 1).map((a) => dense.get(a)!);
  // groups of consecutive input axes, in output order
  const groups: number[][] = [];
  for (const a of live) {
    const last = groups[groups.length - 1];
    if (last && last[last.length - 1] + 1 === a) last.push(a);
    else groups.push([a]);
  }
  const byInput = [...groups].sort((g, h) => g[0] - h[0]);
  const stride = new Map<number[], number>();
  let s = 1;
  for (let k = byInput.length - 1; k >= 0; k--) {
    stride.set(byInput[k], s);
    for (const a of byInput[k]) s *= sizes[a];
  }
  return {
    dims: groups.map((g) => g.reduce((p, a) => p * sizes[a], 1)),
    strides: groups.map((g) => stride.get(g)!),
  };
}

function permuteRaw(
  x: Tensor,
  perm: readonly number[],
  outShape: number[],
  simplified: { dims: number[]; strides: number[] } = simplifyPermutation(x.shape, perm),
): Tensor {
  const { dims, strides } = simplified;
  if (dims.length > MAX_RANK) {
    throw new Error(
      `permute: ${x.describe()} by [${
        perm.join(", ")
      }] needs ${dims.length} strided axes; at most ${MAX_RANK} are supported`,
    );
  }
  const out = empty(outShape, x.dtype, "permute");
  if (out.size === 0) return out;
  const pad = MAX_RANK - dims.length;
  launch(
    STRIDED_COPY_KERNEL,
    [x, out],
    [out.size, ...new Array(pad).fill(1), ...dims, ...new Array(pad).fill(0), ...strides],
    stridedCopyGrid(out.size),
  );
  return out;
}

/**
 * Reorders axes: output axis `k` is input axis `perm[k]` (negative axes count from the end), as `torch.permute`.
 * Returns a copy, or a free view when the permutation moves no data (only size-1 axes move).
 */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  const p = checkPerm(x, perm);
  const outShape = p.map((a) => x.shape[a]);
  const simplified = simplifyPermutation(x.shape, p);
  if (simplified.dims.length <= 1) return reshape(x, outShape);
  const out = permuteRaw(x, p, outShape, simplified);
  const inverse = new Array<number>(p.length);
  p.forEach((a, k) => (inverse[a] = k));
  record("permute", out, [x], (g) => [permuteRaw(g, inverse, [...x.shape])]);
  return out;
}

/** Swaps two axes (negative axes count from the end). */
export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  const norm = (d: number): number => {
    const a = Number.isInteger(d) && d < 0 ? d + x.rank : d;
    if (!Number.isInteger(a) || a < 0 || a >= x.rank) {
      throw new Error(`transpose: axis ${d} is out of range for ${x.describe()}`);
    }
    return a;
  };
  const perm = x.shape.map((_, i) => i);
  const [a, b] = [norm(dim0), norm(dim1)];
  [perm[a], perm[b]] = [perm[b], perm[a]];
  return permute(x, perm);
}
