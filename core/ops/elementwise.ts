/**
 * Element-wise ops with NumPy broadcasting, each with its backward beside it.
 * @module
 */
import {
  AFFINE_KERNEL,
  binaryKernel,
  ewGrid,
  MAX_RANK,
  SUM_TO_KERNEL,
  sumToGrid,
  UNARY,
  unaryGradKernel,
  unaryKernel,
} from "@hyperdecoders/kernels";
import { record } from "../autograd.ts";
import { launch } from "../launch.ts";
import { disposedMessage, empty, fmtShape, sizeOf, type Tensor } from "../tensor.ts";
import { columnSum } from "./reduce.ts";

/** Throws unless every tensor is live (not disposed) and has dtype f32; errors name `op`. */
export function requireF32(op: string, ...ts: Tensor[]): void {
  for (const t of ts) {
    if (t.disposed) throw new Error(`${op}: ${disposedMessage(t)}`);
    if (t.dtype !== "f32") throw new Error(`${op}: expected an f32 tensor, got ${t.describe()}`);
  }
}

/** Whether two shapes are equal. */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** The broadcast shape of two shapes, or an error naming the op. */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`${op}: shapes ${fmtShape(a)} and ${fmtShape(b)} cannot be broadcast together`);
    }
    out.push(da === 1 ? db : da);
  }
  if (rank > MAX_RANK) throw new Error(`${op}: rank ${rank} exceeds the supported ${MAX_RANK}`);
  return out;
}

/** Contiguous strides of `shape` left-padded to `rank`, with 0 on axes of size 1 that `full` broadcasts. */
function broadcastStrides(shape: readonly number[], full: readonly number[]): number[] {
  const rank = full.length;
  const strides = new Array(rank).fill(0);
  let s = 1;
  for (let i = rank - 1; i >= 0; i--) {
    const d = shape[shape.length - rank + i] ?? 1;
    strides[i] = d === 1 && full[i] !== 1 ? 0 : s;
    s *= d;
  }
  return strides;
}

function pad(values: number[], fill: number): number[] {
  return [...new Array(MAX_RANK - values.length).fill(fill), ...values];
}

/** Sums `g` over the axes that broadcasting expanded, giving a tensor of `shape`. */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(g.shape, shape)) return g;
  // Summing over every leading axis (bias gradients) goes to the coalesced, segmented column reduction.
  const lead = shape.findIndex((d) => d !== 1);
  const tail = lead < 0 ? [] : shape.slice(lead);
  if (tail.length < g.rank && sizeOf(tail) > 0 && sameShape(tail, g.shape.slice(g.rank - tail.length))) {
    const summed = columnSum(g, sizeOf(tail));
    const out = summed.view(shape);
    summed.dispose();
    return out;
  }
  const full = g.shape;
  const rank = full.length;
  const own = pad([...shape].slice(-rank), 1).slice(MAX_RANK - rank);
  const od: number[] = [];
  const rd: number[] = [];
  const st: number[] = [];
  let s = 1;
  for (let i = rank - 1; i >= 0; i--) {
    st[i] = s;
    s *= full[i];
  }
  for (let i = 0; i < rank; i++) {
    const kept = own[i] === full[i];
    od.push(kept ? full[i] : 1);
    rd.push(kept ? 1 : full[i]);
  }
  const out = empty(shape, "f32", "sumTo");
  const m = out.size;
  const r = g.size / Math.max(1, m);
  launch(SUM_TO_KERNEL, [g, out], [m, r, ...pad(od, 1), ...pad(rd, 1), ...pad(st, 0)], sumToGrid(m));
  return out;
}

function binary(op: string, a: Tensor, b: Tensor): Tensor {
  requireF32(op, a, b);
  const shape = broadcastShapes(op, a.shape, b.shape);
  const out = empty(shape, "f32", op);
  if (sameShape(a.shape, shape) && sameShape(b.shape, shape)) {
    launch(binaryKernel(op, false), [a, b, out], [out.size], ewGrid(out.size));
  } else {
    const sa = pad(broadcastStrides(a.shape, shape), 0);
    const sb = pad(broadcastStrides(b.shape, shape), 0);
    launch(binaryKernel(op, true), [a, b, out], [out.size, ...pad(shape, 1), ...sa, ...sb], ewGrid(out.size));
  }
  return out;
}

/** `a + b` with broadcasting. */
export function add(a: Tensor, b: Tensor): Tensor {
  const out = binary("add", a, b);
  record("add", out, [a, b], (g) => [sumTo(g, a.shape), sumTo(g, b.shape)]);
  return out;
}

/** `a - b` with broadcasting. */
export function sub(a: Tensor, b: Tensor): Tensor {
  const out = binary("sub", a, b);
  record("sub", out, [a, b], (g) => [sumTo(g, a.shape), b.requiresGrad ? sumTo(neg(g), b.shape) : null]);
  return out;
}

/** `a * b` with broadcasting. */
export function mul(a: Tensor, b: Tensor): Tensor {
  const out = binary("mul", a, b);
  record("mul", out, [a, b], (g, [sa, sb]) => [
    a.requiresGrad ? sumTo(binary("mul", g, sb), a.shape) : null,
    b.requiresGrad ? sumTo(binary("mul", g, sa), b.shape) : null,
  ], [a, b]);
  return out;
}

/** `a / b` with broadcasting. */
export function div(a: Tensor, b: Tensor): Tensor {
  const out = binary("div", a, b);
  record("div", out, [a, b], (g, [sa, sb]) => [
    a.requiresGrad ? sumTo(binary("div", g, sb), a.shape) : null,
    // d(a/b)/db = -a/b² = -(a/b)/b
    b.requiresGrad ? sumTo(neg(binary("div", binary("mul", g, binary("div", sa, sb)), sb)), b.shape) : null,
  ], [a, b]);
  return out;
}

/** `max(a, b)` element-wise with broadcasting (no gradient). */
export function maximum(a: Tensor, b: Tensor): Tensor {
  return binary("maximum", a, b);
}

/** `x * scale + shift`. */
export function affine(x: Tensor, scale: number, shift = 0): Tensor {
  requireF32("affine", x);
  const out = empty(x.shape, "f32", "affine");
  launch(AFFINE_KERNEL, [x, out], [x.size, scale, shift], ewGrid(x.size));
  record("affine", out, [x], (g) => [scale === 1 ? g : affine(g, scale)]);
  return out;
}

/** `x * s`. */
export function scale(x: Tensor, s: number): Tensor {
  return affine(x, s, 0);
}

/** `x + s`. */
export function addScalar(x: Tensor, s: number): Tensor {
  return affine(x, 1, s);
}

/** Applies a unary op from the kernels' `UNARY` table, recording its derivative. */
export function unary(op: string, x: Tensor): Tensor {
  requireF32(op, x);
  if (!UNARY[op]) throw new Error(`unknown unary op "${op}"`);
  const out = empty(x.shape, "f32", op);
  launch(unaryKernel(op), [x, out], [x.size], ewGrid(x.size));
  record(op, out, [x], (g, [sx, sy]) => {
    const dx = empty(x.shape, "f32", `${op} backward`);
    launch(unaryGradKernel(op), [sx, sy, g, dx], [x.size], ewGrid(x.size));
    return [dx];
  }, [x, out]);
  return out;
}

/** max(x, 0). */
export function relu(x: Tensor): Tensor {
  return unary("relu", x);
}

/** GELU, tanh approximation (Hugging Face `gelu_new`). */
export function geluNew(x: Tensor): Tensor {
  return unary("gelu_new", x);
}

/** eˣ. */
export function exp(x: Tensor): Tensor {
  return unary("exp", x);
}

/** Natural logarithm. */
export function log(x: Tensor): Tensor {
  return unary("log", x);
}

/** Hyperbolic tangent. */
export function tanh(x: Tensor): Tensor {
  return unary("tanh", x);
}

/** Logistic sigmoid. */
export function sigmoid(x: Tensor): Tensor {
  return unary("sigmoid", x);
}

/** −x. */
export function neg(x: Tensor): Tensor {
  return unary("neg", x);
}

/** x². */
export function square(x: Tensor): Tensor {
  return unary("square", x);
}

/** √x. */
export function sqrt(x: Tensor): Tensor {
  return unary("sqrt", x);
}

/** 1/√x. */
export function rsqrt(x: Tensor): Tensor {
  return unary("rsqrt", x);
}
