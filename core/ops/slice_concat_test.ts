import { assertEquals, assertMatch, assertThrows } from "@std/assert";
import { initEngine } from "../engine.ts";
import { checkOp } from "../_op_check.ts";
import { ref } from "../reference/ref_tensor.ts";
import { refConcat, refSlice, refSliceGrad } from "../reference/slice_concat.ts";
import { randomNormal } from "../testing.ts";
import { tensor } from "../tensor.ts";
import { concat, slice } from "./slice_concat.ts";

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
