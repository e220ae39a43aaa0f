/**
 * Softmax and log-softmax over the last axis (fused, numerically stable), with fused backward kernels.
 * @module
 */
import { rowGrid, softmaxGradKernel, softmaxKernel } from "@hyperdecoders/kernels";
import { record } from "../autograd.ts";
import { launch } from "../launch.ts";
import { empty, type Tensor } from "../tensor.ts";
import { requireF32 } from "./elementwise.ts";

function rowwise(op: string, x: Tensor, log: boolean): Tensor {
  requireF32(op, x);
  if (x.rank === 0) throw new Error(`${op}: expected a tensor with at least one axis, got ${x.describe()}`);
  const cols = x.shape[x.rank - 1];
  const rows = cols === 0 ? 0 : x.size / cols;
  const out = empty(x.shape, "f32", op);
  launch(softmaxKernel(log), [x, out], [rows, cols], rowGrid(rows));
  record(op, out, [x], (g, [y]) => {
    const dx = empty(x.shape, "f32", `${op} backward`);
    launch(softmaxGradKernel(log), [y, g, dx], [rows, cols], rowGrid(rows));
    return [dx];
  }, [out]);
  return out;
}

/** `exp(x) / Σ exp(x)` over the last axis. */
export function softmax(x: Tensor): Tensor {
  return rowwise("softmax", x, false);
}

/** `x − log Σ exp(x)` over the last axis. */
export function logSoftmax(x: Tensor): Tensor {
  return rowwise("logSoftmax", x, true);
}
