/**
 * T5 v1.1's gated feed-forward activation, `dropout(act(gatePre) · lin)`, as one op: one dispatch forward, one
 * backward for both input gradients.
 * @module
 */
import { gatedActivationGradKernel, gatedActivationGrid, gatedActivationKernel } from "@hyperdecoders/kernels";
import { record } from "../autograd.ts";
import { launch } from "../launch.ts";
import { empty, type Tensor } from "../tensor.ts";
import { dropoutParams } from "./dropout.ts";
import { requireF32, sameShape } from "./elementwise.ts";

/** The activations {@link gatedActivation} applies to the gate. */
export type GatedActivationName = "gelu_new" | "relu";

/** Options of {@link gatedActivation}. */
export interface GatedActivationOptions {
  /** The gate's activation: `gelu_new` (T5 v1.1's `gated-gelu`) or `relu`. */
  activation: GatedActivationName;
  /** Dropout on the product (drop probability and seed, as `dropout` takes them); absent, null or `p = 0`: none. */
  dropout?: { p: number; seed: number } | null;
}

/**
 * `dropout(act(gatePre) · lin, p, seed)` in one dispatch, its backward in one more (T5 v1.1's gated feed-forward,
 * `act(x·wi_0ᵀ) · (x·wi_1ᵀ)`): the values and gradients of `dropoutMul(geluNew(gatePre), lin, p, seed)` (or of
 * `mul(relu(gatePre), lin)` and so on) bit for bit, with the same mask for the same seed. Saves `gatePre` and `lin`
 * for the backward, not the activation, which the backward recomputes. Both inputs must have the same shape.
 */
export function gatedActivation(gatePre: Tensor, lin: Tensor, options: GatedActivationOptions): Tensor {
  requireF32("gatedActivation", gatePre, lin);
  const { activation } = options;
  if (activation !== "gelu_new" && activation !== "relu") {
    throw new Error(`gatedActivation: activation must be "gelu_new" or "relu", got ${JSON.stringify(activation)}`);
  }
  if (!sameShape(gatePre.shape, lin.shape)) {
    throw new Error(
      `gatedActivation: the gate ${gatePre.describe()} and the linear branch ${lin.describe()} must have the same shape`,
    );
  }
  const drop = options.dropout ?? null;
  if (drop && !(drop.p >= 0 && drop.p <= 1)) {
    throw new Error(`gatedActivation: dropout probability must be in [0, 1], got ${drop.p}`);
  }
  const mask = drop ? dropoutParams(drop.p, drop.seed) : null;
  const dropping = mask !== null && drop!.p > 0;
  const params = [gatePre.size, ...(dropping ? mask : [])];
  const grid = gatedActivationGrid(gatePre.size);
  const out = empty(gatePre.shape, "f32", "gatedActivation");
  launch(gatedActivationKernel(activation, dropping), [gatePre, lin, out], params, grid);
  record("gatedActivation", out, [gatePre, lin], (g, [sx, sl]) => {
    const dx = empty(gatePre.shape, "f32", "gatedActivation backward (gate)");
    const dl = empty(lin.shape, "f32", "gatedActivation backward (linear)");
    launch(gatedActivationGradKernel(activation, dropping), [sx, sl, g, dx, dl], params, grid);
    if (!gatePre.requiresGrad) dx.dispose();
    if (!lin.requiresGrad) dl.dispose();
    return [gatePre.requiresGrad ? dx : null, lin.requiresGrad ? dl : null];
  }, [gatePre, lin]);
  return out;
}
