/**
 * Global L2-norm gradient clipping in three kernels: per-tensor partial sums of squares (one value per workgroup),
 * one final reduction to the norm, and an in-place scale of each gradient by min(1, max_norm / (norm + 1e-6)); or,
 * fused, a final reduction that also writes that factor for the optimiser to apply. Nothing is read back.
 * @module
 */
import { grid1d, type Kernel, LINEAR_ID_WGSL, LINEAR_MAIN_WGSL, memoKernel } from "./kernel.ts";

/** Threads per workgroup of the clipping kernels (a power of two: the tree reductions halve it). */
export const CLIP_WG = 256;

/** Most workgroups (so partial sums) one tensor contributes; each thread then strides over the tensor. */
export const MAX_PARTIAL_GROUPS = 512;

const TREE_SUM_WGSL = `
var<workgroup> sh: array<f32, ${CLIP_WG}>;
fn tree_sum(lx: u32, value: f32) -> f32 {
  sh[lx] = value;
  workgroupBarrier();
  for (var s = ${CLIP_WG / 2}u; s > 0u; s = s >> 1u) {
    if (lx < s) { sh[lx] = sh[lx] + sh[lx + s]; }
    workgroupBarrier();
  }
  return sh[0];
}`;

/** Workgroups {@link SUM_SQUARES_PARTIAL_KERNEL} uses for a tensor of `n` elements. */
export function partialGroups(n: number): number {
  return Math.max(1, Math.min(MAX_PARTIAL_GROUPS, Math.ceil(n / (CLIP_WG * 4))));
}

/**
 * `partials[offset + w] = Σ xs[i]²` over the elements workgroup `w` strides over. Parameters `n`, `offset`; dispatch
 * `[partialGroups(n), 1, 1]`.
 */
export const SUM_SQUARES_PARTIAL_KERNEL: Kernel = {
  name: "sum_squares_partial",
  bindings: [{ name: "xs", access: "read" }, { name: "partials", access: "read_write" }],
  params: [["n", "u32"], ["offset", "u32"]],
  workgroupSize: [CLIP_WG, 1, 1],
  body: `${TREE_SUM_WGSL}
${LINEAR_MAIN_WGSL}
  var acc = 0.0;
  let stride = nwg.x * ${CLIP_WG}u;
  for (var i = wid.x * ${CLIP_WG}u + lid.x; i < p.n; i = i + stride) {
    let x = xs[i];
    acc = acc + x * x;
  }
  let total = tree_sum(lid.x, acc);
  if (lid.x == 0u) { partials[p.offset + wid.x] = total; }
}`,
};

/** Most tensors one {@link sumSquaresMultiKernel} dispatch reads. */
export const SUM_SQUARES_MAX_GROUP = 16;

/**
 * {@link SUM_SQUARES_PARTIAL_KERNEL} over `count` tensors in one dispatch: workgroup (w, k) writes
 * `partials[o_k + w] = Σ xs_k[i]²` over the elements it strides over, for w < g_k = partialGroups(n_k), striding by
 * g_k workgroups as the one-tensor kernel does, so the partials are the same bit for bit. Bindings `xs0 … xs{count−1}`,
 * `partials`; parameters `n_k, o_k, g_k` per tensor; dispatch `[max g_k, count, 1]`.
 */
export function sumSquaresMultiKernel(count: number): Kernel {
  if (!Number.isInteger(count) || count < 1 || count > SUM_SQUARES_MAX_GROUP) {
    throw new Error(`sumSquaresMultiKernel: count must be 1…${SUM_SQUARES_MAX_GROUP}, got ${count}`);
  }
  return memoKernel(`sumSquaresMulti:${count}`, () => {
    const params: [string, "u32"][] = [];
    const pick: string[] = [];
    const loops: string[] = [];
    for (let k = 0; k < count; k++) {
      params.push([`n${k}`, "u32"], [`o${k}`, "u32"], [`g${k}`, "u32"]);
      pick.push(`case ${k}u: { n = p.n${k}; o = p.o${k}; g = p.g${k}; }`);
      loops.push(`case ${k}u: {
      for (var i = wid.x * ${CLIP_WG}u + lid.x; i < n; i = i + stride) { let x = xs${k}[i]; acc = acc + x * x; }
    }`);
    }
    return {
      name: `sum_squares_partial_x${count}`,
      bindings: [
        ...Array.from({ length: count }, (_, k) => ({ name: `xs${k}`, access: "read" as const })),
        { name: "partials", access: "read_write" },
      ],
      params,
      workgroupSize: [CLIP_WG, 1, 1],
      body: `${TREE_SUM_WGSL}
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  var n = 0u;
  var o = 0u;
  var g = 0u;
  switch wid.y {
    ${pick.join("\n    ")}
    default: {}
  }
  if (wid.x >= g) { return; }
  var acc = 0.0;
  let stride = g * ${CLIP_WG}u;
  switch wid.y {
    ${loops.join("\n    ")}
    default: {}
  }
  let total = tree_sum(lid.x, acc);
  if (lid.x == 0u) { partials[o + wid.x] = total; }
}`,
    };
  });
}

/** `norm[0] = √(Σ partials[0..count))`, one workgroup. Parameter `count`; dispatch `[1, 1, 1]`. */
export const SQRT_SUM_KERNEL: Kernel = {
  name: "sqrt_sum",
  bindings: [{ name: "partials", access: "read" }, { name: "norm", access: "read_write" }],
  params: [["count", "u32"]],
  workgroupSize: [CLIP_WG, 1, 1],
  body: `${TREE_SUM_WGSL}
@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3<u32>) {
  var acc = 0.0;
  for (var i = lid.x; i < p.count; i = i + ${CLIP_WG}u) { acc = acc + partials[i]; }
  let total = tree_sum(lid.x, acc);
  if (lid.x == 0u) { norm[0] = sqrt(total); }
}`,
};

/**
 * {@link SQRT_SUM_KERNEL} that also writes the clipping factor: `norm[0] = √(Σ partials[0..count))` and
 * `factor[0] = min(1, max_norm / (norm[0] + 1e-6))` (the coefficient {@link CLIP_SCALE_KERNEL} multiplies by), for an
 * optimiser to apply as it reads the gradients. Parameters `count`, `max_norm`; dispatch `[1, 1, 1]`.
 */
export const CLIP_FACTOR_KERNEL: Kernel = {
  name: "clip_factor",
  bindings: [
    { name: "partials", access: "read" },
    { name: "norm", access: "read_write" },
    { name: "factor", access: "read_write" },
  ],
  params: [["count", "u32"], ["max_norm", "f32"]],
  workgroupSize: [CLIP_WG, 1, 1],
  body: `${TREE_SUM_WGSL}
@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3<u32>) {
  var acc = 0.0;
  for (var i = lid.x; i < p.count; i = i + ${CLIP_WG}u) { acc = acc + partials[i]; }
  let total = tree_sum(lid.x, acc);
  if (lid.x == 0u) {
    let n = sqrt(total);
    norm[0] = n;
    factor[0] = min(1.0, p.max_norm / (n + 1e-6));
  }
}`,
};

/**
 * `xs[i] *= min(1, max_norm / (norm[0] + 1e-6))` in place, as torch.nn.utils.clip_grad_norm_. Parameters `n`,
 * `max_norm`; dispatch {@link clipScaleGrid}.
 */
export const CLIP_SCALE_KERNEL: Kernel = {
  name: "clip_scale",
  bindings: [{ name: "norm", access: "read" }, { name: "xs", access: "read_write" }],
  params: [["n", "u32"], ["max_norm", "f32"]],
  workgroupSize: [CLIP_WG, 1, 1],
  body: `${LINEAR_ID_WGSL}
${LINEAR_MAIN_WGSL}
  let i = linear_id(wid, nwg, lid.x, ${CLIP_WG}u);
  if (i >= p.n) { return; }
  let coef = min(1.0, p.max_norm / (norm[0] + 1e-6));
  xs[i] = xs[i] * coef;
}`,
};

/** Grid for {@link CLIP_SCALE_KERNEL} over `n` elements. */
export function clipScaleGrid(n: number): [number, number, number] {
  return grid1d(n, CLIP_WG);
}
