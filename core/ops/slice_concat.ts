/**
 * `slice` (a copy of a range along one axis) and `concat` (along one axis), for any 4-byte dtype; each one's
 * backward is the other's data movement (slice → zero-padded copy, concat → slices of the gradient).
 * @module
 */
import {
  AXIS_ADD_KERNEL,
  AXIS_COPY_KERNEL,
  axisCopyGrid,
  CHUNK_MAX_OUTPUTS,
  chunkKernel,
  unchunkKernel,
} from "@hyperdecoders/kernels";
import { type PartialGrad, record } from "../autograd.ts";
import { getEngine } from "../engine.ts";
import { launch } from "../launch.ts";
import { empty, fmtShape, type Tensor } from "../tensor.ts";
import { fill_ } from "./create.ts";

function normAxis(op: string, shape: readonly number[], axis: number): number {
  const a = Number.isInteger(axis) && axis < 0 ? axis + shape.length : axis;
  if (!Number.isInteger(a) || a < 0 || a >= shape.length) {
    throw new Error(`${op}: axis ${axis} is out of range for shape ${fmtShape(shape)}`);
  }
  return a;
}

/**
 * Copies (or, with `accumulate`, adds) `count` entries along `axis` from `src` (starting at `srcOff`) into `dst`
 * (starting at `dstOff`).
 */
function axisCopy(
  src: Tensor,
  dst: Tensor,
  axis: number,
  count: number,
  srcOff: number,
  dstOff: number,
  accumulate = false,
): void {
  const outer = src.shape.slice(0, axis).reduce((p, d) => p * d, 1);
  const inner = src.shape.slice(axis + 1).reduce((p, d) => p * d, 1);
  const n = outer * count * inner;
  if (n === 0) return;
  launch(
    accumulate ? AXIS_ADD_KERNEL : AXIS_COPY_KERNEL,
    [src, dst],
    [n, count, inner, src.shape[axis], dst.shape[axis], srcOff, dstOff],
    axisCopyGrid(n),
  );
}

function sliceRaw(x: Tensor, axis: number, start: number, end: number): Tensor {
  const shape = [...x.shape];
  shape[axis] = end - start;
  const out = empty(shape, x.dtype, "slice");
  axisCopy(x, out, axis, end - start, start, 0);
  return out;
}

/**
 * Entries `start ≤ k < end` of `axis` (a copy; negative `axis` counts from the end; `0 ≤ start ≤ end ≤ size`).
 * The gradient is copied into the input's: slices that cover the input (a chunk's, the per-layer slices of generated
 * weights) are joined into it by copies alone; otherwise it is scattered into zeros, or added in place into the
 * input's gradient when that has other contributions.
 */
export function slice(x: Tensor, axis: number, start: number, end: number): Tensor {
  const a = normAxis("slice", x.shape, axis);
  const size = x.shape[a];
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start || end > size) {
    throw new Error(`slice: range [${start}, ${end}) is invalid for axis ${axis} of ${x.describe()} (size ${size})`);
  }
  const out = sliceRaw(x, a, start, end);
  recordSlice(out, x, a, start, end);
  return out;
}

/** A slice's gradient: `grad` belongs at entries `[start, end)` of `axis` of the sliced tensor's gradient. */
interface SlicePart extends PartialGrad {
  axis: number;
  start: number;
  end: number;
  grad: Tensor;
}

/** Records `out = x[start:end]` along axis `a`: the gradient goes into those entries of x's (see {@link slice}). */
function recordSlice(out: Tensor, x: Tensor, a: number, start: number, end: number): void {
  record("slice", out, [x], (grad) => {
    const g = grad.view(grad.shape); // the tape frees `grad` when this returns
    const part: SlicePart = {
      axis: a,
      start,
      end,
      grad: g,
      materialize: () => {
        const dx = fill_(empty(x.shape, "f32", "slice backward"), 0);
        axisCopy(g, dx, a, end - start, 0, start);
        return dx;
      },
      addInto: (target) => axisCopy(g, target, a, end - start, 0, start, true),
      dispose: () => g.dispose(),
      // slices of x that together cover it become x's gradient by copies alone (no zeros, no adds)
      join: { key: x, combine: (parts) => joinSlices(x, parts as SlicePart[]) },
    };
    return [part];
  });
}

/**
 * x's gradient from slice gradients that cover x exactly once along one axis, or null when they do not: equal
 * consecutive slices (a chunk's) in one dispatch per up to {@link CHUNK_MAX_OUTPUTS}, others a copy each.
 */
function joinSlices(x: Tensor, parts: SlicePart[]): Tensor | null {
  const sorted = [...parts].sort((p, q) => p.start - q.start);
  const axis = sorted[0].axis;
  let at = 0;
  for (const p of sorted) {
    if (p.axis !== axis || p.start !== at) return null;
    at = p.end;
  }
  if (at !== x.shape[axis]) return null;
  const dx = empty(x.shape, "f32", "slice backward (joined)");
  const count = sorted[0].end - sorted[0].start;
  if (count > 0 && sorted.every((p) => p.end - p.start === count)) {
    const outer = x.shape.slice(0, axis).reduce((p, d) => p * d, 1);
    const inner = x.shape.slice(axis + 1).reduce((p, d) => p * d, 1);
    const elements = outer * count * inner;
    const perDispatch = chunkWidth();
    for (let first = 0; elements > 0 && first < sorted.length; first += perDispatch) {
      const k = Math.min(perDispatch, sorted.length - first);
      launch(
        unchunkKernel(k),
        [...sorted.slice(first, first + k).map((p) => p.grad), dx],
        [elements, count, inner, x.shape[axis], first],
        axisCopyGrid(elements),
      );
    }
  } else {
    for (const p of sorted) axisCopy(p.grad, dx, axis, p.end - p.start, 0, p.start);
  }
  return dx;
}

/** Slices per chunk / unchunk dispatch: as many as the device binds storage buffers, less the one on the other side. */
function chunkWidth(): number {
  return Math.max(1, Math.min(CHUNK_MAX_OUTPUTS, getEngine().gpu.limits.maxStorageBuffersPerShaderStage - 1));
}

/**
 * `x` cut into `n` equal consecutive slices along `axis` (its size must be a multiple of n), copied in one dispatch
 * per up to {@link CHUNK_MAX_OUTPUTS} slices (as many as the device binds storage buffers, less the source). Each
 * slice's gradient is {@link slice}'s.
 */
export function chunk(x: Tensor, axis: number, n: number): Tensor[] {
  const a = normAxis("chunk", x.shape, axis);
  const size = x.shape[a];
  if (!Number.isInteger(n) || n < 1 || size % n !== 0) {
    throw new Error(`chunk: axis ${axis} of ${x.describe()} (size ${size}) does not split into ${n} equal parts`);
  }
  const count = size / n;
  const shape = [...x.shape];
  shape[a] = count;
  const outs = Array.from({ length: n }, () => empty(shape, x.dtype, "chunk"));
  const outer = x.shape.slice(0, a).reduce((p, d) => p * d, 1);
  const inner = x.shape.slice(a + 1).reduce((p, d) => p * d, 1);
  const elements = outer * count * inner;
  const perDispatch = chunkWidth();
  if (elements > 0) {
    for (let first = 0; first < n; first += perDispatch) {
      const k = Math.min(perDispatch, n - first);
      launch(
        chunkKernel(k),
        [x, ...outs.slice(first, first + k)],
        [elements, count, inner, size, first],
        axisCopyGrid(elements),
      );
    }
  }
  outs.forEach((out, c) => recordSlice(out, x, a, c * count, (c + 1) * count));
  return outs;
}

/** Joins tensors along `axis`; all other dims and the dtype must agree. The gradient is sliced back. */
export function concat(xs: readonly Tensor[], axis: number): Tensor {
  if (xs.length === 0) throw new Error("concat: no tensors given");
  const first = xs[0];
  const a = normAxis("concat", first.shape, axis);
  for (const t of xs) {
    const ok = t.dtype === first.dtype && t.rank === first.rank &&
      t.shape.every((d, i) => i === a || d === first.shape[i]);
    if (!ok) {
      throw new Error(
        `concat: ${t.describe()} does not match ${first.describe()} outside axis ${axis} (or differs in dtype)`,
      );
    }
  }
  const shape = [...first.shape];
  shape[a] = xs.reduce((s, t) => s + t.shape[a], 0);
  const out = empty(shape, first.dtype, "concat");
  const offsets: number[] = [];
  let off = 0;
  for (const t of xs) {
    offsets.push(off);
    axisCopy(t, out, a, t.shape[a], 0, off);
    off += t.shape[a];
  }
  record(
    "concat",
    out,
    [...xs],
    (g) => xs.map((t, k) => (t.requiresGrad ? sliceRaw(g, a, offsets[k], offsets[k] + t.shape[a]) : null)),
  );
  return out;
}
