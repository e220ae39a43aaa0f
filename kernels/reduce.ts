/**
 * Reductions along one axis of a tensor viewed as `[outer, len, inner]` (sum, scaled sum for means, max with
 * arg-max), their backward kernels, and the workgroup tree-reduction helpers the row-wise kernels (softmax, norms,
 * losses) share.
 *
 * A workgroup of 256 threads, seen as `TX × TY` lanes (TX·TY = 256), owns `TX` adjacent inner positions of one output row: each thread
 * walks the reduced axis with stride `TY`, then the `TY` partials are combined by a tree in workgroup memory. TX = 1
 * for last-axis reductions (256 threads along one contiguous row); TX up to 32 otherwise, so that global reads stay
 * coalesced. A long reduced axis can be split into `nseg` segments whose partial sums a second launch combines.
 * @module
 */
import { grid1d, type Kernel, LINEAR_MAIN_WGSL, memoKernel } from "./kernel.ts";

/** Threads per workgroup of every row-wise (one workgroup per row) kernel. */
export const ROW_WG = 256;

/**
 * WGSL helpers for kernels with 256-thread workgroups: `group_index(wid, nwg)` (the linear workgroup index of a
 * {@link rowGrid} dispatch), `wg_sum(v, t)` and `wg_max(v, t)` (tree reductions over the workgroup; every thread
 * must call them, in uniform control flow), `f32_lowest()` and `f32_nan()`.
 */
export const WG_REDUCE_WGSL: string = `
var<workgroup> wg_red: array<f32, ${ROW_WG}>;
fn group_index(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return wid.y * nwg.x + wid.x;
}
fn wg_sum(v: f32, t: u32) -> f32 {
  wg_red[t] = v;
  workgroupBarrier();
  for (var s = ${ROW_WG / 2}u; s > 0u; s = s >> 1u) {
    if (t < s) { wg_red[t] = wg_red[t] + wg_red[t + s]; }
    workgroupBarrier();
  }
  let r = wg_red[0];
  workgroupBarrier();
  return r;
}
fn wg_max(v: f32, t: u32) -> f32 {
  wg_red[t] = v;
  workgroupBarrier();
  for (var s = ${ROW_WG / 2}u; s > 0u; s = s >> 1u) {
    if (t < s) { wg_red[t] = max(wg_red[t], wg_red[t + s]); }
    workgroupBarrier();
  }
  let r = wg_red[0];
  workgroupBarrier();
  return r;
}
fn f32_lowest() -> f32 {
  return -3.4028234663852886e38;
}
fn f32_nan() -> f32 {
  var bits = 0x7fc00000u;
  return bitcast<f32>(bits);
}`;

/** Dispatch grid of `n` workgroups (one per row), folded into 2-D past 65,535. */
export function rowGrid(n: number): [number, number, number] {
  return grid1d(n, 1);
}

/** How a reduction of `[outer, len, inner]` is laid out over workgroups. */
export interface ReducePlan {
  /** Inner positions per workgroup (power of two ≤ 32). */
  tileX: number;
  /** Threads per workgroup along the reduced axis (256 / tileX). */
  tileY: number;
  /** Workgroups along the inner axis: ⌈inner / tileX⌉. */
  tiles: number;
  /** Length of each segment of the reduced axis. */
  seg: number;
  /** Number of segments (1: no second pass). */
  nseg: number;
}

/**
 * Plans a reduction. `split` allows cutting a long axis into segments (sums only) when there are too few outputs
 * to occupy the GPU; the partial sums are then reduced by a second launch over `[outer, nseg, inner]`.
 */
export function planReduce(outer: number, len: number, inner: number, split: boolean): ReducePlan {
  let tileX = 1;
  while (tileX < 32 && tileX < inner) tileX *= 2;
  const tileY = ROW_WG / tileX;
  const tiles = Math.max(1, Math.ceil(inner / tileX));
  const groups = outer * tiles;
  let nseg = 1;
  // Aim for ≥ 256 workgroups, each thread still summing ≥ 16 values.
  if (split && groups < 256 && len > tileY * 32) {
    nseg = Math.min(Math.ceil(len / (tileY * 16)), Math.ceil(256 / groups));
  }
  const seg = Math.max(1, Math.ceil(len / nseg));
  nseg = Math.max(1, Math.ceil(len / seg));
  return { tileX, tileY, tiles, seg, nseg };
}

/** Parameters of {@link reduceKernel}, in order. */
export const REDUCE_PARAMS: [string, "u32" | "f32"][] = [
  ["outer", "u32"],
  ["len", "u32"],
  ["inner", "u32"],
  ["seg", "u32"],
  ["nseg", "u32"],
  ["tiles", "u32"],
  ["scale", "f32"],
];

/**
 * Reduces `xs` viewed as `[outer, len, inner]` over `len`, segment `k` of each output going to
 * `out[(o·nseg + k)·inner + c]`. `sum` multiplies the result by `scale`; `max` also writes the index along the axis of
 * the first maximum to `idx` (NaN counts as the maximum, as in PyTorch). Launch over
 * `outer·nseg·tiles` workgroups with {@link rowGrid}.
 */
export function reduceKernel(op: "sum" | "max", tileX: number): Kernel {
  return memoKernel(`reduceKernel:${op}:${tileX}`, () => buildReduceKernel(op, tileX));
}

function buildReduceKernel(op: "sum" | "max", tileX: number): Kernel {
  if (![1, 2, 4, 8, 16, 32].includes(tileX)) throw new Error(`reduceKernel: tileX ${tileX} is not a power of 2 ≤ 32`);
  const tileY = ROW_WG / tileX;
  const isMax = op === "max";
  const bindings: Kernel["bindings"] = [{ name: "xs", access: "read" }, { name: "out", access: "read_write" }];
  if (isMax) bindings.push({ name: "idx", access: "read_write", elem: "u32" });
  const none = "0xffffffffu";
  const accumulate = isMax ? `if (better(v, r, best, bi)) { best = v; bi = r; }` : `acc = acc + v;`;
  const combine = isMax
    ? `let v = sv[t + s * ${tileX}u]; let j = si[t + s * ${tileX}u];
        if (better(v, j, sv[t], si[t])) { sv[t] = v; si[t] = j; }`
    : `sv[t] = sv[t] + sv[t + s * ${tileX}u];`;
  return {
    name: `reduce_${op}_x${tileX}`,
    bindings,
    params: REDUCE_PARAMS,
    // A flat workgroup (lanes split in the body): some drivers (lavapipe) vectorise only along x.
    workgroupSize: [ROW_WG, 1, 1],
    body: `
var<workgroup> sv: array<f32, ${ROW_WG}>;
${isMax ? `var<workgroup> si: array<u32, ${ROW_WG}>;` : ""}
fn is_nan(x: f32) -> bool {
  let b = bitcast<u32>(x);
  return (b & 0x7f800000u) == 0x7f800000u && (b & 0x007fffffu) != 0u;
}
// Whether candidate (v, j) beats the current (w, k): larger, or NaN, with ties to the lower index.
fn better(v: f32, j: u32, w: f32, k: u32) -> bool {
  if (j == ${none}) { return false; }
  if (k == ${none}) { return true; }
  let vn = is_nan(v);
  let wn = is_nan(w);
  if (vn || wn) { return vn && (!wn || j < k); }
  return v > w || (v == w && j < k);
}
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid3: vec3<u32>) {
  let g = wid.y * nwg.x + wid.x;
  if (g >= p.outer * p.nseg * p.tiles) { return; }
  let t = lid3.x;
  let lid = vec2<u32>(t % ${tileX}u, t / ${tileX}u);
  let tile = g % p.tiles;
  let rest = g / p.tiles;
  let k = rest % p.nseg;
  let o = rest / p.nseg;
  let c = tile * ${tileX}u + lid.x;
  let r0 = k * p.seg;
  let r1 = min(r0 + p.seg, p.len);
  var acc = 0.0;
  var best = 0.0;
  var bi = ${none};
  if (c < p.inner) {
    for (var r = r0 + lid.y; r < r1; r = r + ${tileY}u) {
      let v = xs[(o * p.len + r) * p.inner + c];
      ${accumulate}
    }
  }
  ${isMax ? "sv[t] = best;\n  si[t] = bi;" : "sv[t] = acc;"}
  workgroupBarrier();
  for (var s = ${tileY / 2}u; s > 0u; s = s >> 1u) {
    if (lid.y < s) {
      ${combine}
    }
    workgroupBarrier();
  }
  if (lid.y == 0u && c < p.inner) {
    let dst = (o * p.nseg + k) * p.inner + c;
    ${isMax ? "out[dst] = sv[t];\n    idx[dst] = si[t];" : "out[dst] = sv[t] * p.scale;"}
  }
}`,
  };
}

/** Grid of {@link reduceKernel} for a plan. */
export function reduceGrid(outer: number, plan: ReducePlan): [number, number, number] {
  return rowGrid(outer * plan.nseg * plan.tiles);
}

const BACKWARD_MAIN = `
${LINEAR_MAIN_WGSL}
  let i = (wid.y * nwg.x + wid.x) * 256u + lid.x;
  if (i >= p.n) { return; }
  let c = i % p.inner;
  let r = (i / p.inner) % p.len;
  let o = i / (p.inner * p.len);
  let src = o * p.inner + c;`;

/**
 * Backward of a (scaled) sum: `dx[o, r, c] = g[o, c] · scale` over `n = outer·len·inner` elements (launch with
 * `grid1d(n, 256)`).
 */
export const SUM_GRAD_KERNEL: Kernel = {
  name: "reduce_sum_grad",
  bindings: [{ name: "gs", access: "read" }, { name: "dx", access: "read_write" }],
  params: [["n", "u32"], ["len", "u32"], ["inner", "u32"], ["scale", "f32"]],
  workgroupSize: [256, 1, 1],
  body: `${BACKWARD_MAIN}
  dx[i] = gs[src] * p.scale;
}`,
};

/** Backward of max: `dx[o, r, c] = g[o, c]` where `r` is the saved arg-max, else 0 (launch with `grid1d(n, 256)`). */
export const MAX_GRAD_KERNEL: Kernel = {
  name: "reduce_max_grad",
  bindings: [
    { name: "gs", access: "read" },
    { name: "idx", access: "read", elem: "u32" },
    { name: "dx", access: "read_write" },
  ],
  params: [["n", "u32"], ["len", "u32"], ["inner", "u32"]],
  workgroupSize: [256, 1, 1],
  body: `${BACKWARD_MAIN}
  dx[i] = select(0.0, gs[src], idx[src] == r);
}`,
};
