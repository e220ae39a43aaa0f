/**
 * Attention kernels: the fused T5 attention softmax (bias + additive finfo.min masks + stable softmax, one workgroup
 * per row) and its backward, and the relative-position bias gather with its two-stage deterministic backward.
 * @module
 */
import { DROPOUT_KEEP_WGSL, DROPOUT_PARAMS, MIX_WGSL } from "./dropout.ts";
import { EW_WG } from "./elementwise.ts";
import { grid1d, type Kernel, LINEAR_ID_WGSL, LINEAR_MAIN_WGSL, MAX_GROUPS_PER_DIM } from "./kernel.ts";

/** Threads per workgroup (= per row) of the attention softmax kernels. */
export const ATTN_WG = 64;

/** `torch.finfo(torch.float32).min` as WGSL (bit pattern 0xff7fffff = −3.4028234663852886e38). */
const FMIN = "bitcast<f32>(0xff7fffffu)";

const ROW_WGSL = `
var<workgroup> red: array<f32, ${ATTN_WG}>;
fn reduce_max(v: f32, l: u32) -> f32 {
  red[l] = v;
  workgroupBarrier();
  for (var s = ${ATTN_WG / 2}u; s > 0u; s >>= 1u) {
    if (l < s) { red[l] = max(red[l], red[l + s]); }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}
fn reduce_sum(v: f32, l: u32) -> f32 {
  red[l] = v;
  workgroupBarrier();
  for (var s = ${ATTN_WG / 2}u; s > 0u; s >>= 1u) {
    if (l < s) { red[l] = red[l] + red[l + s]; }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}`;

const KEEP_WGSL = `${MIX_WGSL}
fn keep(i: u32) -> bool {
  return ${DROPOUT_KEEP_WGSL};
}`;

/**
 * `P[b,h,i,:] = softmax_j(scores[b,h,i,j] + (bias[b',h,i,j] + masked(b,i,j)·finfo.min))`, HF's order of additions.
 * Parameters: `rows = B·H·Lq`, `H`, `Lq`, `Lk`, `biasMode` (0 none, 1 one bias shared by the batch, 2 per batch
 * entry), `maskMode` (0 none, 1 integer mask, 2 f32 mask; key `j` of batch `b` is masked where `mask[b, j]` is 0),
 * `causal` (1: key `j` masked where `j > i + Lk − Lq`). Unused bindings may be any tensor (e.g. `scores`).
 */
export const ATTN_SOFTMAX_KERNEL: Kernel = attnSoftmaxKernel(false);

/**
 * {@link ATTN_SOFTMAX_KERNEL} with dropout on its output: also writes `dropped[k] = keep(k) ? P[k] · scale : 0` with
 * the mask of `DROPOUT_KERNEL` at flat index k (parameters `k0`, `k1`, `thr`, `scale` after the seven of the plain
 * kernel), the same values as the two kernels one after the other. Bindings: those of the plain kernel, then `dropped`.
 */
export const ATTN_SOFTMAX_DROPOUT_KERNEL: Kernel = attnSoftmaxKernel(true);

function attnSoftmaxKernel(dropout: boolean): Kernel {
  return {
    name: dropout ? "attention_softmax_dropout" : "attention_softmax",
    bindings: [
      { name: "scores", access: "read" },
      { name: "bias", access: "read" },
      { name: "mask", access: "read", elem: "u32" },
      { name: "probs", access: "read_write" },
      ...(dropout ? [{ name: "dropped", access: "read_write" } as const] : []),
    ],
    params: [
      ["rows", "u32"],
      ["H", "u32"],
      ["Lq", "u32"],
      ["Lk", "u32"],
      ["biasMode", "u32"],
      ["maskMode", "u32"],
      ["causal", "u32"],
      ...(dropout ? DROPOUT_PARAMS : []),
    ],
    workgroupSize: [ATTN_WG, 1, 1],
    body: `${ROW_WGSL}${dropout ? KEEP_WGSL : ""}
fn score(row: u32, j: u32) -> f32 {
  let i = row % p.Lq;
  let bh = row / p.Lq;
  let b = bh / p.H;
  var pb = 0.0;
  if (p.biasMode == 1u) { pb = bias[((bh % p.H) * p.Lq + i) * p.Lk + j]; }
  if (p.biasMode == 2u) { pb = bias[row * p.Lk + j]; }
  var masked = false;
  if (p.maskMode != 0u) {
    let bits = mask[b * p.Lk + j];
    masked = (bits & select(0xffffffffu, 0x7fffffffu, p.maskMode == 2u)) == 0u;
  }
  if (p.causal == 1u && i32(j) > i32(i) + i32(p.Lk) - i32(p.Lq)) { masked = true; }
  if (masked) { pb = pb + ${FMIN}; }
  return scores[row * p.Lk + j] + pb;
}
${LINEAR_MAIN_WGSL}
  let row = wid.y * nwg.x + wid.x;
  if (row >= p.rows) { return; }
  let l = lid.x;
  // -inf from a variable: as a constant expression, Chromium's WGSL compiler rejects it (not representable).
  var neg_inf_bits = 0xff800000u;
  var m = bitcast<f32>(neg_inf_bits);
  for (var j = l; j < p.Lk; j += ${ATTN_WG}u) { m = max(m, score(row, j)); }
  m = reduce_max(m, l);
  var s = 0.0;
  for (var j = l; j < p.Lk; j += ${ATTN_WG}u) { s += exp(score(row, j) - m); }
  s = reduce_sum(s, l);
  let inv = 1.0 / s;
  for (var j = l; j < p.Lk; j += ${ATTN_WG}u) {
    let k = row * p.Lk + j;
    let y = exp(score(row, j) - m) * inv;
    probs[k] = y;${dropout ? "\n    dropped[k] = select(0.0, y * p.scale, keep(k));" : ""}
  }
}`,
  };
}

/** `dS[row, j] = P[row, j] · (g[row, j] − Σ_k P[row, k] g[row, k])`. Parameters: `rows`, `Lk`. */
export const ATTN_SOFTMAX_GRAD_KERNEL: Kernel = attnSoftmaxGradKernel(false);

/**
 * {@link ATTN_SOFTMAX_GRAD_KERNEL} for {@link ATTN_SOFTMAX_DROPOUT_KERNEL}'s dropped output: the incoming gradient is
 * masked and scaled as it is read (`g'[k] = keep(k) ? g[k] · scale : 0`, what the dropout backward would write), then
 * the softmax backward. Parameters `rows`, `Lk`, `k0`, `k1`, `thr`, `scale`.
 */
export const ATTN_SOFTMAX_DROPOUT_GRAD_KERNEL: Kernel = attnSoftmaxGradKernel(true);

function attnSoftmaxGradKernel(dropout: boolean): Kernel {
  const gAt = (k: string) => (dropout ? `select(0.0, g[${k}] * p.scale, keep(${k}))` : `g[${k}]`);
  return {
    name: dropout ? "attention_softmax_dropout_grad" : "attention_softmax_grad",
    bindings: [{ name: "probs", access: "read" }, { name: "g", access: "read" }, { name: "ds", access: "read_write" }],
    params: [["rows", "u32"], ["Lk", "u32"], ...(dropout ? DROPOUT_PARAMS : [])],
    workgroupSize: [ATTN_WG, 1, 1],
    body: `${ROW_WGSL}${dropout ? KEEP_WGSL : ""}
${LINEAR_MAIN_WGSL}
  let row = wid.y * nwg.x + wid.x;
  if (row >= p.rows) { return; }
  let l = lid.x;
  let base = row * p.Lk;
  var d = 0.0;
  for (var j = l; j < p.Lk; j += ${ATTN_WG}u) { d += probs[base + j] * ${gAt("base + j")}; }
  d = reduce_sum(d, l);
  for (var j = l; j < p.Lk; j += ${ATTN_WG}u) { ds[base + j] = probs[base + j] * (${gAt("base + j")} - d); }
}`,
  };
}

/** One workgroup per row, folded into 2-D past 65,535 rows (the kernels recover `row = y·nx + x`). */
export function attnRowGrid(rows: number): [number, number, number] {
  const x = Math.max(1, Math.min(rows, MAX_GROUPS_PER_DIM));
  return [x, Math.max(1, Math.ceil(rows / x)), 1];
}

/**
 * Relative-position bias: `out[h, i, j] = table[diag[j − i + Lq − 1], h]` for a `[numBuckets, H]` table and the
 * bucket of each diagonal. Parameters: `n = H·Lq·Lk`, `H`, `Lq`, `Lk`.
 */
export const REL_BIAS_KERNEL: Kernel = {
  name: "relative_position_bias",
  bindings: [
    { name: "table", access: "read" },
    { name: "diag", access: "read", elem: "i32" },
    { name: "out", access: "read_write" },
  ],
  params: [["n", "u32"], ["H", "u32"], ["Lq", "u32"], ["Lk", "u32"]],
  workgroupSize: [EW_WG, 1, 1],
  body: `${LINEAR_ID_WGSL}
${LINEAR_MAIN_WGSL}
  let t = linear_id(wid, nwg, lid.x, ${EW_WG}u);
  if (t >= p.n) { return; }
  let j = t % p.Lk;
  let i = (t / p.Lk) % p.Lq;
  let h = t / (p.Lk * p.Lq);
  let bucket = u32(diag[j + p.Lq - 1u - i]);
  out[t] = table[bucket * p.H + h];
}`,
};

/**
 * Backward stage 1: `dd[h, r] = Σ_i g[h, i, r − (Lq − 1) + i]` over the cells of diagonal `r` (in order of `i`).
 * Parameters: `n = H·R` with `R = Lq + Lk − 1`, `R`, `Lq`, `Lk`.
 */
export const REL_BIAS_DIAG_SUM_KERNEL: Kernel = {
  name: "relative_position_bias_diag_sum",
  bindings: [{ name: "g", access: "read" }, { name: "dd", access: "read_write" }],
  params: [["n", "u32"], ["R", "u32"], ["Lq", "u32"], ["Lk", "u32"]],
  workgroupSize: [EW_WG, 1, 1],
  body: `${LINEAR_ID_WGSL}
${LINEAR_MAIN_WGSL}
  let t = linear_id(wid, nwg, lid.x, ${EW_WG}u);
  if (t >= p.n) { return; }
  let r = t % p.R;
  let h = t / p.R;
  // j = r + i - (Lq - 1) must lie in [0, Lk)
  let i0 = select(0u, p.Lq - 1u - r, r < p.Lq - 1u);
  let i1 = min(p.Lq, p.Lk + p.Lq - 1u - r);
  var acc = 0.0;
  for (var i = i0; i < i1; i++) {
    acc += g[(h * p.Lq + i) * p.Lk + r + i - (p.Lq - 1u)];
  }
  dd[t] = acc;
}`,
};

/**
 * Backward stage 2: `dtable[k, h] = Σ_{r : diag[r] = k} dd[h, r]` (in order of `r`). Parameters: `n = NB·H`, `H`, `R`.
 */
export const REL_BIAS_TABLE_SUM_KERNEL: Kernel = {
  name: "relative_position_bias_table_sum",
  bindings: [
    { name: "diag", access: "read", elem: "i32" },
    { name: "dd", access: "read" },
    { name: "dtable", access: "read_write" },
  ],
  params: [["n", "u32"], ["H", "u32"], ["R", "u32"]],
  workgroupSize: [EW_WG, 1, 1],
  body: `${LINEAR_ID_WGSL}
${LINEAR_MAIN_WGSL}
  let t = linear_id(wid, nwg, lid.x, ${EW_WG}u);
  if (t >= p.n) { return; }
  let h = t % p.H;
  let k = i32(t / p.H);
  var acc = 0.0;
  for (var r = 0u; r < p.R; r++) {
    if (diag[r] == k) { acc += dd[h * p.R + r]; }
  }
  dtable[t] = acc;
}`,
};

/** Grid for the element-wise relative-bias kernels over `n` threads. */
export function relBiasGrid(n: number): [number, number, number] {
  return grid1d(n, EW_WG);
}
