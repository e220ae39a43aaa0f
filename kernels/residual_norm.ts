/**
 * The residual connection of a transformer sub-layer fused with the norm of the next one: per row,
 * `hs = rs + dropout(xs) [+ es]` (the new residual stream, written) and `ys = w · hs / sqrt(mean(hs²) + eps)` (its
 * RMSNorm, with `rstd` saved for the backward), in one dispatch instead of a `dropout_add` (and an `add`) and an
 * `rmsnorm`. The arithmetic is theirs: `rs + select(0, xs·scale, keep)`, then `+ es`, then {@link RMSNORM_KERNEL}'s.
 * @module
 */
import { DROPOUT_KEEP_WGSL, DROPOUT_PARAMS, MIX_WGSL } from "./dropout.ts";
import { type Kernel, LINEAR_MAIN_WGSL, memoKernel } from "./kernel.ts";
import { ROW_WG, WG_REDUCE_WGSL } from "./reduce.ts";

/**
 * The fused kernel: `dropout` applies the mask of element `row·cols + j` (parameters `k0`, `k1`, `thr`, `scale` as
 * the dropout kernels take them, after `rows`, `cols`, `eps`); `extra` adds a third input `es`. Bindings: `rs`, `xs`,
 * (`es`), `w`, then the outputs `hs`, `ys`, `rstd`. Launch one workgroup per row with `rowGrid(rows)`.
 */
export function residualNormKernel(dropout: boolean, extra: boolean): Kernel {
  return memoKernel(`residual_norm:${dropout}:${extra}`, () => {
    const branch = dropout ? `select(0.0, xs[i] * p.scale, ${DROPOUT_KEEP_WGSL})` : "xs[i]";
    return {
      name: `residual${dropout ? "_dropout" : ""}${extra ? "_add" : ""}_rmsnorm`,
      bindings: [
        { name: "rs", access: "read" },
        { name: "xs", access: "read" },
        ...(extra ? [{ name: "es", access: "read" as const }] : []),
        { name: "w", access: "read" },
        { name: "hs", access: "read_write" },
        { name: "ys", access: "read_write" },
        { name: "rstd", access: "read_write" },
      ],
      params: [
        ["rows", "u32"],
        ["cols", "u32"],
        ["eps", "f32"],
        ...(dropout ? DROPOUT_PARAMS : []),
      ],
      workgroupSize: [ROW_WG, 1, 1],
      body: `${WG_REDUCE_WGSL}${dropout ? MIX_WGSL : ""}
${LINEAR_MAIN_WGSL}
  let row = group_index(wid, nwg);
  if (row >= p.rows) { return; }
  let t = lid.x;
  let base = row * p.cols;
  var s = 0.0;
  for (var j = t; j < p.cols; j = j + ${ROW_WG}u) {
    let i = base + j;
    let h = ${extra ? `(rs[i] + ${branch}) + es[i]` : `rs[i] + ${branch}`};
    hs[i] = h;
    s = s + h * h;
  }
  s = wg_sum(s, t);
  let r = inverseSqrt(s / f32(p.cols) + p.eps);
  for (var j = t; j < p.cols; j = j + ${ROW_WG}u) { ys[base + j] = w[j] * (hs[base + j] * r); }
  if (t == 0u) { rstd[row] = r; }
}`,
    };
  });
}
