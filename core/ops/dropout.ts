/**
 * Inverted dropout with a mask that is a hash of (seed, element index): reproducible, never stored, and recomputed
 * by the backward.
 * @module
 */
import {
  DROPOUT_ADD_INTO_KERNEL,
  DROPOUT_ADD_KERNEL,
  DROPOUT_KERNEL,
  DROPOUT_MUL_GRAD_KERNEL,
  DROPOUT_MUL_KERNEL,
  dropoutGrid,
  dropoutKeys,
  dropoutThreshold,
} from "@hyperdecoders/kernels";
import { type PartialGrad, record } from "../autograd.ts";
import { launch } from "../launch.ts";
import { empty, type Tensor } from "../tensor.ts";
import { add, mul, requireF32, sameShape } from "./elementwise.ts";
import { reshape } from "./shape.ts";

/** `x` masked and scaled with the kernel parameters of {@link dropoutParams} (the backward of every dropout site). */
export function applyMask(x: Tensor, params: number[], what: string): Tensor {
  const out = empty(x.shape, "f32", what);
  launch(DROPOUT_KERNEL, [x, out], [x.size, ...params], dropoutGrid(x.size));
  return out;
}

/**
 * Zeroes each element with probability `p` and scales the kept ones by `1/(1−p)` (PyTorch's training-mode
 * `F.dropout`). Element `i` is kept iff `hash(seed, i) >> 8 ≥ round(p·2²⁴)` (kernels/dropout.ts), so the same seed
 * gives the same mask; every dropout site of a step needs its own seed (any non-negative safe integer).
 * `p = 0` returns a free view of `x` (identity, gradient passed through); `p = 1` gives zeros.
 */
export function dropout(x: Tensor, p: number, seed: number): Tensor {
  requireF32("dropout", x);
  if (!(p >= 0 && p <= 1)) throw new Error(`dropout: probability must be in [0, 1], got ${p} (input ${x.describe()})`);
  const keys = dropoutKeys(seed);
  if (p === 0) return reshape(x, x.shape);
  const params = maskParams(keys, p);
  const out = applyMask(x, params, "dropout");
  record("dropout", out, [x], (g) => [applyMask(g, params, "dropout backward")]);
  return out;
}

function maskParams(keys: [number, number], p: number): number[] {
  return [keys[0], keys[1], dropoutThreshold(p), p === 1 ? 0 : 1 / (1 - p)];
}

/**
 * The gradient `g` under a dropout mask as a contribution (see `MaskedGrad` in core/grad_sum.ts): an op that applies
 * the mask itself as it reads (a product) takes it unmasked; otherwise it is masked when summed. Holds a view of g.
 */
export function maskedGrad(g: Tensor, params: number[]): PartialGrad {
  const grad = g.view(g.shape);
  return {
    materialize: () => applyMask(grad, params, "dropout backward"),
    addInto: (target) =>
      launch(DROPOUT_ADD_INTO_KERNEL, [grad, target], [grad.size, ...params], dropoutGrid(grad.size)),
    dispose: () => grad.dispose(),
    masked: { grad, params },
  };
}

/** The mask parameters the dropout kernels take (`k0`, `k1`, `thr`, `scale`) for probability `p` and `seed`. */
export function dropoutParams(p: number, seed: number): number[] {
  return maskParams(dropoutKeys(seed), p);
}

/**
 * `residual + dropout(x, p, seed)` in one dispatch (the residual connection of a transformer sub-layer): the same
 * values bit for bit, and the same gradients (the residual's is the output gradient; x's is it masked and scaled).
 * Shapes must match for the fused kernel; otherwise (broadcasting) it is the two ops.
 */
export function dropoutAdd(residual: Tensor, x: Tensor, p: number, seed: number): Tensor {
  requireF32("dropoutAdd", residual, x);
  if (!(p >= 0 && p <= 1)) {
    throw new Error(`dropoutAdd: probability must be in [0, 1], got ${p} (input ${x.describe()})`);
  }
  const keys = dropoutKeys(seed);
  if (p === 0) return add(residual, x);
  if (!sameShape(residual.shape, x.shape)) return add(residual, dropout(x, p, seed));
  const params = maskParams(keys, p);
  const out = empty(x.shape, "f32", "dropoutAdd");
  launch(DROPOUT_ADD_KERNEL, [residual, x, out], [x.size, ...params], dropoutGrid(x.size));
  record(
    "dropoutAdd",
    out,
    [residual, x],
    (g) => [g, x.requiresGrad ? maskedGrad(g, params) : null],
  );
  return out;
}

/**
 * `dropout(a · b, p, seed)` in one dispatch (T5's gated feed-forward: the product of the two branches, then dropout):
 * the same values and gradients bit for bit, one dispatch less forward and one less backward. Shapes must match for the
 * fused kernels; otherwise (broadcasting) it is the two ops.
 */
export function dropoutMul(a: Tensor, b: Tensor, p: number, seed: number): Tensor {
  requireF32("dropoutMul", a, b);
  if (!(p >= 0 && p <= 1)) {
    throw new Error(`dropoutMul: probability must be in [0, 1], got ${p} (input ${a.describe()})`);
  }
  const keys = dropoutKeys(seed);
  if (p === 0 || !sameShape(a.shape, b.shape)) return dropout(mul(a, b), p, seed);
  const params = [a.size, ...maskParams(keys, p)];
  const out = empty(a.shape, "f32", "dropoutMul");
  launch(DROPOUT_MUL_KERNEL, [a, b, out], params, dropoutGrid(a.size));
  record("dropoutMul", out, [a, b], (g, [sa, sb]) => {
    const grad = (other: Tensor) => {
      const d = empty(a.shape, "f32", "dropoutMul backward");
      launch(DROPOUT_MUL_GRAD_KERNEL, [g, other, d], params, dropoutGrid(a.size));
      return d;
    };
    return [a.requiresGrad ? grad(sb) : null, b.requiresGrad ? grad(sa) : null];
  }, [a, b]);
  return out;
}
