/**
 * Fused softmax and log-softmax over the last axis, one 256-thread workgroup per row: a max pass, a sum-of-exp pass
 * and a write pass (numerically stable), and fused backward kernels.
 * @module
 */
import { type Kernel, LINEAR_MAIN_WGSL, memoKernel } from "./kernel.ts";
import { ROW_WG, WG_REDUCE_WGSL } from "./reduce.ts";

const HEAD = `${WG_REDUCE_WGSL}
${LINEAR_MAIN_WGSL}
  let row = group_index(wid, nwg);
  if (row >= p.rows) { return; }
  let t = lid.x;
  let base = row * p.cols;`;

/**
 * Forward over `rows` rows of `cols`: `y = exp(x − max) / Σ exp(x − max)`, or for `log`,
 * `y = (x − max) − log Σ exp(x − max)`. Launch one workgroup per row with `rowGrid(rows)`.
 */
export function softmaxKernel(log: boolean): Kernel {
  return memoKernel(`softmaxKernel:${log}`, () => {
    const write = log
      ? `let ls = log(s);
    for (var j = t; j < p.cols; j = j + ${ROW_WG}u) { ys[base + j] = (xs[base + j] - m) - ls; }`
      : `let inv = 1.0 / s;
    for (var j = t; j < p.cols; j = j + ${ROW_WG}u) { ys[base + j] = exp(xs[base + j] - m) * inv; }`;
    return {
      name: log ? "log_softmax" : "softmax",
      bindings: [{ name: "xs", access: "read" }, { name: "ys", access: "read_write" }],
      params: [["rows", "u32"], ["cols", "u32"]],
      workgroupSize: [ROW_WG, 1, 1],
      body: `${HEAD}
    var m = f32_lowest();
    for (var j = t; j < p.cols; j = j + ${ROW_WG}u) { m = max(m, xs[base + j]); }
    m = wg_max(m, t);
    var s = 0.0;
    for (var j = t; j < p.cols; j = j + ${ROW_WG}u) { s = s + exp(xs[base + j] - m); }
    s = wg_sum(s, t);
    ${write}
  }`,
    };
  });
}

/**
 * Backward from the forward output `y` and output gradient `g`: softmax `dx = y · (g − Σ g·y)`, log-softmax
 * `dx = g − exp(y) · Σ g`. Launch one workgroup per row with `rowGrid(rows)`.
 */
export function softmaxGradKernel(log: boolean): Kernel {
  return memoKernel(`softmaxGradKernel:${log}`, () => {
    const dot = log ? "gs[base + j]" : "gs[base + j] * ys[base + j]";
    const write = log ? "gs[base + j] - exp(ys[base + j]) * d" : "ys[base + j] * (gs[base + j] - d)";
    return {
      name: log ? "log_softmax_grad" : "softmax_grad",
      bindings: [{ name: "ys", access: "read" }, { name: "gs", access: "read" }, { name: "dx", access: "read_write" }],
      params: [["rows", "u32"], ["cols", "u32"]],
      workgroupSize: [ROW_WG, 1, 1],
      body: `${HEAD}
    var d = 0.0;
    for (var j = t; j < p.cols; j = j + ${ROW_WG}u) { d = d + ${dot}; }
    d = wg_sum(d, t);
    for (var j = t; j < p.cols; j = j + ${ROW_WG}u) { dx[base + j] = ${write}; }
  }`,
    };
  });
}
