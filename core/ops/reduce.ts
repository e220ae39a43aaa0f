/**
 * Reductions along one axis (or over every element): `sum`, `mean` and `max`, with backward beside forward, plus
 * `columnSum` (the fast path `sumTo` uses for bias gradients).
 * @module
 */
import { grid1d, MAX_GRAD_KERNEL, planReduce, reduceGrid, reduceKernel, SUM_GRAD_KERNEL } from "@hyperdecoders/kernels";
import { record } from "../autograd.ts";
import { launch } from "../launch.ts";
import { disposedMessage, empty, type Tensor } from "../tensor.ts";

/** Options of {@link sum}, {@link mean} and {@link max}. */
export interface ReduceOptions {
  /** Axis to reduce (negative counts from the end); undefined reduces every element to shape `[]`. */
  axis?: number;
  /** Keep the reduced axis (axes) as size 1. Default false. */
  keepDims?: boolean;
}

interface Axis {
  outer: number;
  len: number;
  inner: number;
  shape: number[];
}

function resolveAxis(op: string, x: Tensor, options: ReduceOptions): Axis {
  if (x.disposed) throw new Error(`${op}: ${disposedMessage(x)}`);
  if (x.dtype !== "f32") throw new Error(`${op}: expected an f32 tensor, got ${x.describe()}`);
  const { axis, keepDims = false } = options;
  if (axis === undefined) {
    return { outer: 1, len: x.size, inner: 1, shape: keepDims ? x.shape.map(() => 1) : [] };
  }
  if (!Number.isInteger(axis) || axis < -x.rank || axis >= x.rank) {
    throw new Error(
      `${op}: axis ${axis} is out of range for ${x.describe()} (expected an integer in [${-x.rank}, ${x.rank - 1}])`,
    );
  }
  const a = axis < 0 ? axis + x.rank : axis;
  const outer = x.shape.slice(0, a).reduce((p, d) => p * d, 1);
  const inner = x.shape.slice(a + 1).reduce((p, d) => p * d, 1);
  const shape = keepDims ? x.shape.map((d, i) => (i === a ? 1 : d)) : x.shape.filter((_, i) => i !== a);
  return { outer, len: x.shape[a], inner, shape };
}

/** Sums `x` viewed as [outer, len, inner] over `len` into a new tensor of `shape`, times `scale` (no autograd). */
function sumLaunch(x: Tensor, ax: Axis, scale: number, what: string): Tensor {
  const { outer, len, inner } = ax;
  const out = empty(ax.shape, "f32", what);
  const plan = planReduce(outer, len, inner, true);
  const params = (p: typeof plan, n: number, s: number): number[] => [outer, n, inner, p.seg, p.nseg, p.tiles, s];
  if (plan.nseg === 1) {
    launch(reduceKernel("sum", plan.tileX), [x, out], params(plan, len, scale), reduceGrid(outer, plan));
    return out;
  }
  // Two passes: per-segment partial sums [outer, nseg, inner], then their sum.
  const partial = empty([outer * plan.nseg * inner], "f32", `${what} (partial sums)`);
  launch(reduceKernel("sum", plan.tileX), [x, partial], params(plan, len, 1), reduceGrid(outer, plan));
  const second = planReduce(outer, plan.nseg, inner, false);
  launch(
    reduceKernel("sum", second.tileX),
    [partial, out],
    params(second, plan.nseg, scale),
    reduceGrid(outer, second),
  );
  partial.dispose();
  return out;
}

function sumOrMean(op: "sum" | "mean", x: Tensor, options: ReduceOptions): Tensor {
  const ax = resolveAxis(op, x, options);
  const scale = op === "mean" ? 1 / ax.len : 1;
  const out = sumLaunch(x, ax, scale, op);
  record(op, out, [x], (g) => {
    const dx = empty(x.shape, "f32", `${op} backward`);
    launch(SUM_GRAD_KERNEL, [g, dx], [x.size, ax.len, ax.inner, scale], grid1d(x.size, 256));
    return [dx];
  });
  return out;
}

/** Sum over `axis` (every element when undefined: shape `[]`, or all ones with `keepDims`). */
export function sum(x: Tensor, options: ReduceOptions = {}): Tensor {
  return sumOrMean("sum", x, options);
}

/** Mean over `axis` (every element when undefined). The mean of an empty axis is NaN, as in PyTorch. */
export function mean(x: Tensor, options: ReduceOptions = {}): Tensor {
  return sumOrMean("mean", x, options);
}

/**
 * Maximum over `axis` (every element when undefined). NaN propagates. The gradient goes to the first maximum along
 * the axis (ties to the lowest index).
 */
export function max(x: Tensor, options: ReduceOptions = {}): Tensor {
  const ax = resolveAxis("max", x, options);
  if (ax.len === 0) throw new Error(`max: cannot reduce an empty axis of ${x.describe()}`);
  const { outer, len, inner } = ax;
  const out = empty(ax.shape, "f32", "max");
  const idx = empty(ax.shape, "u32", "max (arg-max)");
  const plan = planReduce(outer, len, inner, false);
  launch(
    reduceKernel("max", plan.tileX),
    [x, out, idx],
    [outer, len, inner, plan.seg, plan.nseg, plan.tiles, 1],
    reduceGrid(outer, plan),
  );
  record("max", out, [x], (g, [savedIdx]) => {
    const dx = empty(x.shape, "f32", "max backward");
    launch(MAX_GRAD_KERNEL, [g, savedIdx, dx], [x.size, len, inner], grid1d(x.size, 256));
    return [dx];
  }, [idx]);
  idx.dispose();
  return out;
}

/**
 * Sums `x` viewed as `[rows, cols]` over its rows into a new `[cols]` tensor, without autograd (the column sum
 * behind bias gradients; `sumTo` routes "sum over all leading axes" here).
 */
export function columnSum(x: Tensor, cols: number): Tensor {
  if (!Number.isInteger(cols) || cols <= 0 || x.size % cols !== 0) {
    throw new Error(`columnSum: ${x.describe()} cannot be viewed as rows of ${cols} columns`);
  }
  return sumLaunch(x, { outer: 1, len: x.size / cols, inner: cols, shape: [cols] }, 1, "columnSum");
}
