import { assert, assertEquals, assertMatch, assertThrows } from "@std/assert";
import { initEngine } from "../engine.ts";
import { checkOp } from "../_op_check.ts";
import { ref } from "../reference/ref_tensor.ts";
import { refMax, refMaxGrad, refSum, refSumGrad } from "../reference/reduce.ts";
import { refSumTo } from "../reference/ref_tensor.ts";
import { backward } from "../autograd.ts";
import { scope } from "../scope.ts";
import { assertClose, randomNormal } from "../testing.ts";
import { tensor } from "../tensor.ts";
import { sumTo } from "./elementwise.ts";
import { columnSum, max, mean, sum } from "./reduce.ts";

await initEngine();

const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);
/** Normal values rounded to f32, so the reference sees exactly what the GPU gets. */
const f32Normal = (n: number, seed: number): Float64Array => randomNormal(n, seed).map(Math.fround);

const AXIS_CASES: { shape: number[]; axis?: number; keepDims?: boolean }[] = [
  ...[1, 7, 33, 65, 257].map((n) => ({ shape: [n] })),
  { shape: [7, 33], axis: 0 },
  { shape: [7, 33], axis: 1 },
  { shape: [7, 33], axis: -1, keepDims: true },
  { shape: [3, 65, 5], axis: 1 },
  { shape: [3, 65, 5], axis: -3, keepDims: true },
  { shape: [2, 257, 1], axis: 1 },
  { shape: [33, 2, 7], keepDims: true },
  { shape: [65, 1, 3], axis: 2 },
];

for (const op of ["sum", "mean"] as const) {
  const fn = op === "sum" ? sum : mean;
  Deno.test(`${op}: forward and backward vs float64 reference on awkward shapes and axes`, async () => {
    for (const { shape, axis, keepDims = false } of AXIS_CASES) {
      await checkOp({
        name: `${op} [${shape}] axis=${axis} keepDims=${keepDims}`,
        inputs: [ref(f32Normal(size(shape), size(shape) + 3), shape)],
        gpu: ([x]) => {
          const y = fn(x, { axis, keepDims });
          assertEquals(y.shape, refSum({ shape, data: new Float64Array(size(shape)) }, axis, keepDims).shape);
          return y;
        },
        ref: ([x]) => refSum(x, axis, keepDims, op === "mean"),
        refGrad: ([x], g) => [refSumGrad(x, g, axis, op === "mean")],
      });
    }
  });

  Deno.test(`${op}: long axes use segmented two-pass sums (2048-wide rows, 2048 rows, 300k elements)`, async () => {
    for (
      const { shape, axis } of [
        { shape: [3, 2048], axis: -1 },
        { shape: [2048, 33], axis: 0 },
        { shape: [300_001], axis: undefined },
        { shape: [5, 4099, 3], axis: 1 },
      ]
    ) {
      await checkOp({
        name: `${op} [${shape}] axis=${axis}`,
        inputs: [ref(f32Normal(size(shape), 11), shape)],
        gpu: ([x]) => fn(x, { axis }),
        ref: ([x]) => refSum(x, axis, false, op === "mean"),
        refGrad: ([x], g) => [refSumGrad(x, g, axis, op === "mean")],
        skipFiniteDifference: true,
      });
    }
  });
}

Deno.test("sum over every element gives shape [] (size 1); mean of an empty axis is NaN", async () => {
  const x = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
  const s = sum(x);
  assertEquals(s.shape, []);
  assertEquals(await s.item(), 21);
  const k = sum(x, { keepDims: true });
  assertEquals(k.shape, [1, 1]);
  const e = tensor([], [2, 0]);
  const m = mean(e, { axis: 1 });
  assertEquals(m.shape, [2]);
  const values = await m.data();
  assert(Number.isNaN(values[0]) && Number.isNaN(values[1]));
  assertEquals([...await sum(e, { axis: 1 }).data()], [0, 0]);
  for (const t of [x, s, k, e, m]) t.dispose();
});

Deno.test("max: forward and backward (to the arg-max) vs float64 reference on awkward shapes and axes", async () => {
  for (const { shape, axis, keepDims = false } of [...AXIS_CASES, { shape: [3, 2048], axis: 1 }]) {
    await checkOp({
      name: `max [${shape}] axis=${axis} keepDims=${keepDims}`,
      inputs: [ref(f32Normal(size(shape), size(shape) + 5), shape)],
      gpu: ([x]) => max(x, { axis, keepDims }),
      ref: ([x]) => refMax(x, axis, keepDims).value,
      refGrad: ([x], g) => [refMaxGrad(x, g, axis)],
      skipFiniteDifference: size(shape) > 2000,
    });
  }
});

Deno.test("max over more outputs than one dispatch dimension holds (65,537 rows: a folded 2-D grid)", async () => {
  const shape = [65_537, 1];
  await checkOp({
    name: "max [65537, 1] axis 1",
    inputs: [ref(f32Normal(65_537, 8), shape)],
    gpu: ([x]) => max(x, { axis: 1 }),
    ref: ([x]) => refMax(x, 1).value,
  });
});

Deno.test("max: ties send the gradient to the first maximum; NaN propagates", async () => {
  // Rows of 300 with the maximum 7 repeated at several places, the first at varying positions.
  const rows = 4;
  const cols = 300;
  const data = new Float32Array(rows * cols).fill(-1);
  const firsts = [0, 5, 299, 150];
  firsts.forEach((f, r) => {
    for (const j of [f, f + 1, 299, (f * 7) % 300]) if (j >= f && j < cols) data[r * cols + j] = 7;
  });
  const x = tensor(data, [rows, cols]);
  x.requiresGrad = true;
  const y = max(x, { axis: 1 });
  scope(() => backward(sum(y)));
  assertEquals([...await y.data()], [7, 7, 7, 7]);
  const dx = await x.grad!.data();
  const expected = new Float32Array(rows * cols);
  firsts.forEach((f, r) => (expected[r * cols + f] = 1));
  assertClose(dx, expected, 0, "max tie gradient");
  // Ties along a non-last axis too.
  const col = tensor([3, 1, 3, 2, 3, 3], [3, 2]);
  col.requiresGrad = true;
  const cy = max(col, { axis: 0 });
  scope(() => backward(sum(cy)));
  assertEquals([...await col.grad!.data()], [1, 0, 0, 0, 0, 1]);
  const n = tensor([1, NaN, 5, 2], [4]);
  assert(Number.isNaN(await max(n).item()));
  for (const t of [x, y, col, cy, n]) t.dispose();
});

Deno.test("columnSum and sumTo's fast path (sum over all leading axes) match the reference", async () => {
  for (
    const [shape, target] of [
      [[65, 33], [33]],
      [[2, 7, 257], [257]],
      [[4099, 3], [3]],
      [[3, 5, 7], [1, 5, 7]],
      [[3, 5, 7], [5, 7]],
      [[6, 4], [1, 4]],
      [[6, 4], [6, 1]],
      [[3, 0], [0]],
    ] as [number[], number[]][]
  ) {
    const data = f32Normal(size(shape), 17);
    const x = tensor(Float32Array.from(data), shape);
    const y = sumTo(x, target);
    assertEquals(y.shape, target);
    assertClose(await y.data(), refSumTo(ref(data, shape), target).data, 1e-5, `sumTo [${shape}] → [${target}]`);
    x.dispose();
    y.dispose();
  }
  const x = tensor(Float32Array.from(f32Normal(7 * 65, 3)), [7, 65]);
  const c = columnSum(x, 65);
  assertClose(await c.data(), refSum(ref(await x.data(), [7, 65]), 0).data, 1e-5, "columnSum");
  assertMatch(
    assertThrows(() => columnSum(x, 64), Error).message,
    /columnSum: \[7, 65\] f32 cannot be viewed as rows of 64 columns/,
  );
  x.dispose();
  c.dispose();
});

Deno.test("reductions reject bad axes and dtypes with messages naming the op and the shape", () => {
  const x = tensor(new Float32Array(6), [2, 3]);
  assertMatch(
    assertThrows(() => sum(x, { axis: 2 }), Error).message,
    /sum: axis 2 is out of range for \[2, 3\] f32 \(expected an integer in \[-2, 1\]\)/,
  );
  assertMatch(assertThrows(() => mean(x, { axis: -3 }), Error).message, /mean: axis -3 is out of range/);
  assertMatch(assertThrows(() => max(x, { axis: 0.5 }), Error).message, /max: axis 0.5 is out of range/);
  const i = tensor(new Int32Array(6), [2, 3], "i32");
  assertMatch(assertThrows(() => sum(i), Error).message, /sum: expected an f32 tensor, got \[2, 3\] i32/);
  const e = tensor([], [2, 0]);
  assertMatch(
    assertThrows(() => max(e, { axis: 1 }), Error).message,
    /max: cannot reduce an empty axis of \[2, 0\] f32/,
  );
  for (const t of [x, i, e]) t.dispose();
  assertMatch(assertThrows(() => mean(x), Error).message, /mean: use of a disposed tensor \[2, 3\] f32/);
});
