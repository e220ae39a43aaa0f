/**
 * T5 v1.1's gated feed-forward activation in one dispatch forward and one backward: `h = dropout(act(a) · b)` with
 * `a = x·wi_0ᵀ` (the gate's pre-activation) and `b = x·wi_1ᵀ`. Each element does the arithmetic of the unfused ops
 * (the unary activation of {@link UNARY}, then `mul`, or the dropout-fused product of `DROPOUT_MUL_KERNEL`), in the
 * same order, with the dropout mask of `DROPOUT_KERNEL`.
 * @module
 */
import { DROPOUT_KEEP_WGSL, DROPOUT_PARAMS, MIX_WGSL } from "./dropout.ts";
import { EW_WG, GELU_NEW_GRAD_WGSL, UNARY } from "./elementwise.ts";
import { grid1d, type Kernel, LINEAR_ID_WGSL, LINEAR_MAIN_WGSL, memoKernel, type ParamType } from "./kernel.ts";

function gatedKernel(
  name: string,
  op: string,
  dropout: boolean,
  inputs: string[],
  outputs: string[],
  statements: string,
): Kernel {
  if (!UNARY[op]) throw new Error(`gated activation: unknown activation "${op}"`);
  const params: [string, ParamType][] = [["n", "u32"], ...(dropout ? DROPOUT_PARAMS : [])];
  return {
    name: `${name}_${op}${dropout ? "_dropout" : ""}`,
    bindings: [
      ...inputs.map((b) => ({ name: b, access: "read" as const })),
      ...outputs.map((b) => ({ name: b, access: "read_write" as const })),
    ],
    params,
    workgroupSize: [EW_WG, 1, 1],
    body: `${LINEAR_ID_WGSL}${op === "gelu_new" ? GELU_NEW_GRAD_WGSL : ""}${dropout ? MIX_WGSL : ""}
${LINEAR_MAIN_WGSL}
  let i = linear_id(wid, nwg, lid.x, ${EW_WG}u);
  if (i >= p.n) { return; }
  let x = xs[i];
  let y = ${UNARY[op].fwd};
  ${statements}
}`,
  };
}

/**
 * Forward: `ys[i] = keep(i) ? (act(xs[i]) · ls[i]) · scale : 0` with dropout, `act(xs[i]) · ls[i]` without (the values
 * of `unary_<act>` then `dropout_mul`, or then `binary_mul`). `op`: a {@link UNARY} op (`gelu_new`, `relu`).
 * Bindings `xs` (pre-activation), `ls` (the linear branch), `ys`; parameters `n`, then with dropout `k0`, `k1`, `thr`,
 * `scale` (`dropoutParams`); grid {@link gatedActivationGrid}.
 */
export function gatedActivationKernel(op: string, dropout: boolean): Kernel {
  return memoKernel(`gatedActivationKernel:${op}:${dropout}`, () =>
    gatedKernel(
      "gated_act",
      op,
      dropout,
      ["xs", "ls"],
      ["ys"],
      `ys[i] = ${dropout ? `select(0.0, (y * ls[i]) * p.scale, ${DROPOUT_KEEP_WGSL})` : "y * ls[i]"};`,
    ));
}

/**
 * Backward of {@link gatedActivationKernel}, both input gradients in one dispatch: with `m = keep(i) ? gs[i] · scale : 0`
 * (`gs[i]` without dropout), `dx[i] = act'(xs[i]) applied to m · ls[i]` (the activation's backward expression of
 * {@link UNARY}) and `dl[i] = m · act(xs[i])`, the values of the unfused backward kernels. Bindings `xs`, `ls`, `gs`
 * (output gradient), `dx`, `dl`; parameters and grid as the forward's.
 */
export function gatedActivationGradKernel(op: string, dropout: boolean): Kernel {
  return memoKernel(`gatedActivationGradKernel:${op}:${dropout}`, () =>
    gatedKernel(
      "gated_act_grad",
      op,
      dropout,
      ["xs", "ls", "gs"],
      ["dx", "dl"],
      `let m = ${dropout ? `select(0.0, gs[i] * p.scale, ${DROPOUT_KEEP_WGSL})` : "gs[i]"};
  let g = m * ls[i];
  dx[i] = ${UNARY[op].bwd};
  dl[i] = m * y;`,
    ));
}

/** Grid for the gated activation kernels over `n` elements. */
export function gatedActivationGrid(n: number): [number, number, number] {
  return grid1d(n, EW_WG);
}
