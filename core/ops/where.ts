/**
 * Broadcasting select `where(cond, a, b)` and `maskedFill`, for f32/i32/u32 values; gradients flow to `a` and `b`.
 * @module
 */
import { MAX_RANK, WHERE_KERNEL, whereGrid } from "@hyperdecoders/kernels";
import { record } from "../autograd.ts";
import { launch } from "../launch.ts";
import { empty, fmtShape, type Tensor } from "../tensor.ts";
import { full, zeros } from "./create.ts";
import { broadcastShapes, sameShape, sumTo } from "./elementwise.ts";

function strides(shape: readonly number[], full: readonly number[]): number[] {
  const out = new Array<number>(MAX_RANK).fill(0);
  let s = 1;
  for (let i = full.length - 1; i >= 0; i--) {
    const d = shape[shape.length - full.length + i] ?? 1;
    out[MAX_RANK - full.length + i] = d === 1 ? 0 : s;
    s *= d;
  }
  return out;
}

function select(cond: Tensor, a: Tensor, b: Tensor, shape: number[]): Tensor {
  const out = empty(shape, a.dtype, "where");
  if (out.size === 0) return out;
  const dims = [...new Array(MAX_RANK - shape.length).fill(1), ...shape];
  launch(
    WHERE_KERNEL,
    [cond, a, b, out],
    [
      out.size,
      cond.dtype === "f32" ? 1 : 0,
      ...dims,
      ...strides(cond.shape, shape),
      ...strides(a.shape, shape),
      ...strides(b.shape, shape),
    ],
    whereGrid(out.size),
  );
  return out;
}

/**
 * `cond ? a : b` element-wise, broadcasting all three to a common shape (rank ≤ 6). `cond` may be u32, i32 or f32;
 * nonzero means true (for f32, ±0 is false and NaN true, as in PyTorch's bool cast). `a` and `b` must share a dtype;
 * for f32 the gradient goes to `a` where `cond` holds and to `b` elsewhere (summed over broadcast axes).
 */
export function where(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  if (a.dtype !== b.dtype) throw new Error(`where: a ${a.describe()} and b ${b.describe()} differ in dtype`);
  const shape = broadcastShapes("where", broadcastShapes("where", cond.shape, a.shape), b.shape);
  const out = select(cond, a, b, shape);
  if (a.dtype === "f32") {
    record("where", out, [a, b], (g, [c]) => {
      const zero = zeros([], "f32");
      const ga = a.requiresGrad ? sumTo(select(c, g, zero, shape), a.shape) : null;
      const gb = b.requiresGrad ? sumTo(select(c, zero, g, shape), b.shape) : null;
      zero.dispose();
      return [ga, gb];
    }, [cond]);
  }
  return out;
}

/** `x` with `value` where `mask` is nonzero (`mask` broadcasts to `x`'s shape, as `torch.masked_fill`). */
export function maskedFill(x: Tensor, mask: Tensor, value: number): Tensor {
  const shape = broadcastShapes("maskedFill", x.shape, mask.shape);
  if (!sameShape(shape, x.shape)) {
    throw new Error(`maskedFill: mask ${fmtShape(mask.shape)} does not broadcast to x ${x.describe()}`);
  }
  const fillValue = full([], value, x.dtype);
  const out = where(mask, fillValue, x);
  fillValue.dispose();
  return out;
}
