/**
 * `act(x + bias)` in one dispatch, with a one-dispatch backward that also sums the bias gradient over the rows (the
 * bias + ReLU of adapters and of the hypernetwork, and the plain bias add of a linear layer).
 * @module
 */
import {
  biasActivationGradGrid,
  biasActivationGradKernel,
  biasActivationGrid,
  biasActivationKernel,
  type BiasActivationKind,
  planBiasActivationGrad,
} from "@hyperdecoders/kernels";
import { record } from "../autograd.ts";
import { launch } from "../launch.ts";
import { empty, fmtShape, type Tensor } from "../tensor.ts";
import { requireF32 } from "./elementwise.ts";

/** Options of {@link biasActivation}. */
export interface BiasActivationOptions {
  /** Applied after the bias: `"none"` (a plain bias add) or `"relu"`. */
  activation: BiasActivationKind;
}

/** `x` viewed as [groups, rows, cols] with the bias as [groups, cols]. */
interface Layout {
  groups: number;
  rows: number;
  cols: number;
}

function layoutOf(x: Tensor, bias: Tensor): Layout {
  const C = x.shape[x.rank - 1];
  if (bias.rank === 1 && x.rank >= 1 && bias.shape[0] === C) {
    return { groups: 1, rows: C === 0 ? 0 : x.size / C, cols: C };
  }
  if (bias.rank === 3 && x.rank === 3 && bias.shape[0] === x.shape[0] && bias.shape[1] === 1 && bias.shape[2] === C) {
    return { groups: x.shape[0], rows: x.shape[1], cols: C };
  }
  throw new Error(
    `biasActivation: input ${fmtShape(x.shape)} with bias ${
      fmtShape(bias.shape)
    } is not supported; expected x [..., C] ` +
      `with a shared bias [C], or x [B, T, C] with a per-example bias [B, 1, C] (use add() for other broadcasts)`,
  );
}

/**
 * `act(x + bias)`: `x` [..., C] with a bias [C] shared by every row, or `x` [B, T, C] with a bias [B, 1, C] per
 * example. The forward has the bits of `relu(add(x, bias))` (or `add(x, bias)`); the backward is one dispatch that
 * writes the input gradient (none for `"none"`: the output gradient passes through) and sums the bias gradient over
 * the rows, in a different order than `add`'s backward does.
 */
export function biasActivation(x: Tensor, bias: Tensor, options: BiasActivationOptions): Tensor {
  const act = options.activation;
  if (act !== "none" && act !== "relu") {
    throw new Error(`biasActivation: unknown activation "${act}" (expected "none" or "relu")`);
  }
  requireF32("biasActivation", x, bias);
  const { groups, rows, cols } = layoutOf(x, bias);
  const out = empty(x.shape, "f32", `bias_${act}`);
  launch(biasActivationKernel(act), [x, bias, out], [out.size, cols, rows * cols], biasActivationGrid(out.size));
  record(`bias_${act}`, out, [x, bias], (g, saved) => {
    if (act === "none" && !bias.requiresGrad) return [g, null];
    const plan = planBiasActivationGrad(groups, rows, cols);
    const dbias = empty(bias.shape, "f32", `bias_${act} backward (bias)`);
    const params = [groups, rows, cols, plan.tiles];
    const grid = biasActivationGradGrid(groups, plan);
    if (act === "none") {
      launch(biasActivationGradKernel("none", plan.tileX, false), [g, dbias], params, grid);
      return [g, dbias];
    }
    const dx = empty(x.shape, "f32", `bias_${act} backward`);
    launch(biasActivationGradKernel(act, plan.tileX, true), [g, saved[0], dx, dbias], params, grid);
    if (!bias.requiresGrad) {
      dbias.dispose();
      return [dx, null];
    }
    return [dx, dbias];
  }, act === "relu" ? [out] : []);
  return out;
}
