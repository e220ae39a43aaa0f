import { assertEquals, assertMatch, assertThrows } from "@std/assert";
import { initEngine } from "../engine.ts";
import { checkOp } from "../_op_check.ts";
import { ref } from "../reference/ref_tensor.ts";
import { refConcat, refSlice, refSliceGrad } from "../reference/slice_concat.ts";
import { randomNormal } from "../testing.ts";
import { tensor } from "../tensor.ts";
import { backward } from "../autograd.ts";
import { add, mul, scale } from "./elementwise.ts";
import { sum } from "./reduce.ts";
import { chunk, concat, slice } from "./slice_concat.ts";

await initEngine();

// inputs rounded to f32 so that a pure data move is exact
const f32 = (x: Float64Array): Float32Array => Float32Array.from(x);
const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);

const SLICES: [number[], number, number, number][] = [
  [[1], 0, 0, 1],
  [[7], 0, 2, 5],
  [[33, 65], 1, 7, 64],
  [[33, 65], 0, 32, 33],
  [[3, 5, 7], 1, 1, 4],
  [[3, 5, 7], -1, 0, 0],
  [[257, 300], 0, 1, 256], // large
];

Deno.test("slice: forward and backward vs float64 reference", async () => {
  for (const [shape, axis, start, end] of SLICES) {
    const n = size(shape);
    const a = axis < 0 ? axis + shape.length : axis;
    await checkOp({
      name: `slice [${shape}] axis ${axis} [${start}, ${end})`,
      inputs: [ref(f32(randomNormal(n, n)), shape)],
      gpu: ([x]) => slice(x, axis, start, end),
      ref: ([x]) => refSlice(x, a, start, end),
      refGrad: ([x], g) => [refSliceGrad(x.shape, a, start, g)],
      skipFiniteDifference: n > 300,
      tol: 0,
      gradTol: 1e-7, // the upstream gradient is rounded to f32 on upload
    });
  }
});

const CONCATS: [number[][], number][] = [
  [[[1], [1]], 0],
  [[[7, 3], [7, 5], [7, 1]], 1],
  [[[2, 33, 3], [2, 1, 3], [2, 65, 3]], 1],
  [[[4, 5], [3, 5]], -2],
  [[[300, 129], [257, 129]], 0], // large
];

Deno.test("concat: forward and backward vs float64 reference", async () => {
  for (const [shapes, axis] of CONCATS) {
    const a = axis < 0 ? axis + shapes[0].length : axis;
    await checkOp({
      name: `concat ${shapes.map((s) => `[${s}]`).join(" ")} axis ${axis}`,
      inputs: shapes.map((s, k) => ref(f32(randomNormal(size(s), k + 1)), s)),
      gpu: (xs) => concat(xs, axis),
      ref: (xs) => refConcat(xs, a),
      refGrad: (xs, g) => {
        let off = 0;
        return xs.map((t) => {
          const part = refSlice(g, a, off, off + t.shape[a]);
          off += t.shape[a];
          return part;
        });
      },
      skipFiniteDifference: shapes.some((s) => size(s) > 300),
      tol: 0,
      gradTol: 1e-7, // the upstream gradient is rounded to f32 on upload
    });
  }
});

Deno.test("slice and concat move i32 data and reject bad arguments with the shapes", async () => {
  const a = tensor(Int32Array.from([1, 2, 3, 4, 5, 6]), [2, 3], "i32");
  const b = tensor(Int32Array.from([-7, -8]), [2, 1], "i32");
  const c = concat([a, b], 1);
  assertEquals(c.dtype, "i32");
  assertEquals([...(await c.data())], [1, 2, 3, -7, 4, 5, 6, -8]);
  const s = slice(c, 1, 1, 3);
  assertEquals([...(await s.data())], [2, 3, 5, 6]);
  assertMatch(
    assertThrows(() => slice(a, 1, 2, 4), Error).message,
    /slice: range \[2, 4\) is invalid for axis 1 of \[2, 3\] i32 \(size 3\)/,
  );
  assertMatch(assertThrows(() => slice(a, 2, 0, 1), Error).message, /slice: axis 2 is out of range for shape \[2, 3\]/);
  const f = tensor(new Float32Array(2), [2, 1]);
  assertMatch(assertThrows(() => concat([a, f], 1), Error).message, /concat: \[2, 1\] f32 does not match \[2, 3\] i32/);
  assertMatch(
    assertThrows(() => concat([a, tensor(new Int32Array(3), [3, 1], "i32")], 1), Error).message,
    /does not match/,
  );
  assertMatch(assertThrows(() => concat([], 0), Error).message, /concat: no tensors/);
  for (const t of [a, b, c, s, f]) t.dispose();
});

Deno.test("slice: gradients of several slices of one tensor accumulate in place, exactly", async () => {
  // y = x·s (a tape node) sliced along both axes, overlapping, one slice used twice, one not at all; and y also feeds
  // an add whose backward passes the gradient through as a view shared with w's gradient (which must stay intact).
  const [R, C] = [7, 5];
  const xData = f32(randomNormal(R * C, 1));
  const wData = f32(randomNormal(R * C, 2));
  const x = tensor(xData, [R, C]);
  const w = tensor(wData, [R, C]);
  x.requiresGrad = true;
  w.requiresGrad = true;
  const parts: [number, number, number, number][] = [[0, 0, 3, 1], [0, 2, 6, 2], [1, 1, 4, 3], [0, 0, 3, 4]];
  const dy = new Float64Array(R * C);
  for (const withAdd of [false, true]) {
    dy.fill(0);
    const y = scale(x, 2);
    let loss = sum(mul(slice(y, 0, 6, 7), tensor(new Float32Array(C).fill(0), [1, C]))); // a slice with a zero gradient
    for (const [axis, start, end, c] of parts) loss = add(loss, sum(scale(slice(y, axis, start, end), c)));
    for (const [axis, start, end, c] of parts) {
      for (let i = 0; i < R; i++) {
        for (let j = 0; j < C; j++) {
          const k = axis === 0 ? i : j;
          if (k >= start && k < end) dy[i * C + j] += c;
        }
      }
    }
    if (withAdd) {
      loss = add(loss, sum(add(y, w)));
      for (let i = 0; i < dy.length; i++) dy[i] += 1;
    }
    backward(loss);
    assertEquals(await x.grad!.data(), Float32Array.from(dy, (v) => 2 * v));
    if (withAdd) assertEquals(await w.grad!.data(), new Float32Array(R * C).fill(1));
    x.grad!.dispose();
    x.grad = null;
  }
  for (const t of [x, w]) t.dispose();
});

Deno.test("chunk: equal slices in few dispatches; forward and backward vs float64 reference", async () => {
  // Σ_c (c + 1)·chunk_c: every chunk lands in its own output and its gradient in its own rows; 20 chunks take
  // several dispatches on any device.
  const CHUNKS: [number[], number, number][] = [[[20, 3], 0, 20], [[4, 6, 5], 1, 3], [[7, 10], -1, 5], [[5, 2], 0, 1]];
  for (const [shape, axis, n] of CHUNKS) {
    const a = axis < 0 ? axis + shape.length : axis;
    const count = shape[a] / n;
    const total = size(shape);
    await checkOp({
      name: `chunk [${shape}] axis ${axis} into ${n}`,
      inputs: [ref(f32(randomNormal(total, total + n)), shape)],
      gpu: ([x]) => chunk(x, axis, n).map((t, c) => scale(t, c + 1)).reduce((p, t) => add(p, t)),
      ref: ([x]) => {
        let acc = refSlice(x, a, 0, count);
        for (let c = 1; c < n; c++) {
          const s = refSlice(x, a, c * count, (c + 1) * count);
          acc = { shape: acc.shape, data: acc.data.map((v, i) => v + (c + 1) * s.data[i]) };
        }
        return acc;
      },
      refGrad: ([x], g) => {
        const dx = new Float64Array(x.data.length);
        for (let c = 0; c < n; c++) {
          const part = refSliceGrad(x.shape, a, c * count, { shape: g.shape, data: g.data.map((v) => (c + 1) * v) });
          part.data.forEach((v, i) => (dx[i] += v));
        }
        return [{ shape: x.shape, data: dx }];
      },
      tol: 1e-6,
      gradTol: 1e-6,
    });
  }
  const x = tensor(new Float32Array(12), [4, 3]);
  assertMatch(assertThrows(() => chunk(x, 0, 3), Error).message, /chunk: axis 0 of \[4, 3\].*does not split into 3/);
  x.dispose();
});
