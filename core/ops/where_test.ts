import { assertEquals, assertMatch, assertThrows } from "@std/assert";
import { initEngine } from "../engine.ts";
import { checkOp } from "../_op_check.ts";
import { ref } from "../reference/ref_tensor.ts";
import { refWhere, refWhereGrad } from "../reference/where.ts";
import { randomNormal, seededRandom } from "../testing.ts";
import { tensor } from "../tensor.ts";
import { maskedFill, where } from "./where.ts";

await initEngine();

// values rounded to f32 so that selecting them is exact
const f32 = (x: Float64Array): Float32Array => Float32Array.from(x);
const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);

function randomMask(n: number, seed: number): Float64Array {
  const rand = seededRandom(seed);
  // include -0 (false) and other nonzero values (true)
  return Float64Array.from({ length: n }, (_, i) => (rand() < 0.5 ? (i % 3 === 0 ? -0 : 0) : (i % 2 ? 1 : -2.5)));
}

const CASES: [number[], number[], number[]][] = [
  [[1], [1], [1]],
  [[7], [7], [7]],
  [[33, 1], [1, 65], [33, 65]],
  [[1, 1, 65], [2, 7, 65], [65]],
  [[2, 1, 3, 1, 2, 2], [1, 5, 1, 2, 1, 2], [2, 5, 3, 2, 2, 2]],
  [[257], [1], [257]],
  [[70, 1], [70, 1001], [1]], // large (70k elements)
];

Deno.test("where: broadcasting forward and backward to a and b vs float64 reference (f32 condition)", async () => {
  for (const [sc, sa, sb] of CASES) {
    const big = Math.max(size(sc), size(sa), size(sb)) > 300;
    await checkOp({
      name: `where c[${sc}] a[${sa}] b[${sb}]`,
      inputs: [
        ref(randomMask(size(sc), 3), sc),
        ref(f32(randomNormal(size(sa), 1)), sa),
        ref(f32(randomNormal(size(sb), 2)), sb),
      ],
      gpu: ([c, a, b]) => where(c, a, b),
      ref: ([c, a, b]) => refWhere(c, a, b),
      refGrad: (
        [c, a, b],
        g,
      ) => [{ shape: c.shape, data: new Float64Array(c.data.length) }, ...refWhereGrad(c, a, b, g)],
      differentiable: [false, true, true],
      skipFiniteDifference: big,
      tol: 0,
      gradTol: 1e-6,
    });
  }
});

Deno.test("where: i32 and u32 conditions, i32 values", async () => {
  const condI = tensor(Int32Array.from([0, -1, 2, 0]), [4], "i32");
  const condU = tensor(Uint32Array.from([0x80000000, 0, 1, 0]), [4], "u32");
  const a = tensor(Int32Array.from([1, 2, 3, 4]), [4], "i32");
  const b = tensor(Int32Array.from([-100]), [1], "i32");
  const x = where(condI, a, b);
  const y = where(condU, a, b);
  assertEquals(x.dtype, "i32");
  assertEquals([...(await x.data())], [-100, 2, 3, -100]);
  assertEquals([...(await y.data())], [1, -100, 3, -100], "u32 0x80000000 is nonzero");
  assertMatch(
    assertThrows(() => where(condI, a, tensor([1], [1])), Error).message,
    /where: a \[4\] i32 and b \[1\] f32 differ in dtype/,
  );
  assertMatch(
    assertThrows(() => where(tensor([1, 1, 1], [3]), a, b), Error).message,
    /where: shapes \[3\] and \[4\] cannot be broadcast/,
  );
  for (const t of [condI, condU, a, b, x, y]) t.dispose();
});

Deno.test("maskedFill: fills where the mask is set, gradient only to unfilled entries", async () => {
  const mask = ref(randomMask(7, 5), [1, 7]);
  await checkOp({
    name: "maskedFill [3, 7] by [1, 7]",
    inputs: [ref(randomNormal(21, 4), [3, 7])],
    gpu: ([x]) => {
      const m = tensor(Int32Array.from(mask.data), [1, 7], "i32");
      const y = maskedFill(x, m, -3.5);
      m.dispose();
      return y;
    },
    ref: ([x]) => refWhere(mask, ref([-3.5], [1]), x),
    refGrad: ([x], g) => [refWhereGrad(mask, ref([0], [1]), x, g)[1]],
    tol: 1e-6,
  });
  const x = tensor(new Float32Array(6), [2, 3]);
  const m = tensor(new Int32Array(12), [2, 2, 3], "i32");
  assertMatch(
    assertThrows(() => maskedFill(x, m, 0), Error).message,
    /maskedFill: mask \[2, 2, 3\] does not broadcast to x \[2, 3\] f32/,
  );
  x.dispose();
  m.dispose();
});
