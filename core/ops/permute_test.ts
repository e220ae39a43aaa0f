import { assertEquals, assertMatch, assertStrictEquals, assertThrows } from "@std/assert";
import { initEngine } from "../engine.ts";
import { checkOp } from "../_op_check.ts";
import { refInversePerm, refPermute } from "../reference/permute.ts";
import { ref } from "../reference/ref_tensor.ts";
import { randomNormal } from "../testing.ts";
import { tensor } from "../tensor.ts";
import { permute, simplifyPermutation, transpose } from "./permute.ts";

await initEngine();

// inputs rounded to f32 so that a pure data move is exact
const f32 = (x: Float64Array): Float32Array => Float32Array.from(x);
const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);

const CASES: [number[], number[]][] = [
  [[1], [0]],
  [[7, 33], [1, 0]],
  [[65, 3], [1, 0]],
  [[2, 7, 3, 5], [0, 2, 1, 3]], // [B, L, H, Dk] → [B, H, L, Dk]
  [[3, 1, 5, 2], [3, 1, 0, 2]],
  [[2, 3, 1, 4, 1, 5], [5, 3, 1, 0, 4, 2]],
  [[2, 3, 2, 3, 2, 3], [1, 0, 3, 2, 5, 4]], // six strided axes
  [[2, 2, 2, 2, 2, 2, 2], [0, 1, 2, 3, 4, 6, 5]], // rank 7 that merges to 3 axes
  [[257, 33], [1, 0]],
  [[17, 65, 71], [2, 0, 1]], // large (78k elements)
];

Deno.test("permute: forward and backward vs float64 reference on awkward shapes", async () => {
  for (const [shape, perm] of CASES) {
    const n = size(shape);
    await checkOp({
      name: `permute [${shape}] by [${perm}]`,
      inputs: [ref(f32(randomNormal(n, n)), shape)],
      gpu: ([x]) => permute(x, perm),
      ref: ([x]) => refPermute(x, perm),
      refGrad: (_xs, g) => [refPermute(g, refInversePerm(perm))],
      skipFiniteDifference: n > 300,
      tol: 0,
      gradTol: 1e-7, // the upstream gradient is rounded to f32 on upload
    });
  }
});

Deno.test("transpose: swaps two axes (negative axes), i32 data moves bit-exactly", async () => {
  await checkOp({
    name: "transpose(-1, 0)",
    inputs: [ref(f32(randomNormal(3 * 4 * 5, 3)), [3, 4, 5])],
    gpu: ([x]) => transpose(x, -1, 0),
    ref: ([x]) => refPermute(x, [2, 1, 0]),
    refGrad: (_xs, g) => [refPermute(g, [2, 1, 0])],
    tol: 0,
  });
  const values = Int32Array.from({ length: 6 }, (_, i) => (i - 3) * 1_000_003);
  const x = tensor(values, [2, 3], "i32");
  const y = transpose(x, 0, 1);
  assertEquals(y.dtype, "i32");
  assertEquals([...y.shape], [3, 2]);
  assertEquals([...(await y.data())], [values[0], values[3], values[1], values[4], values[2], values[5]]);
  x.dispose();
  y.dispose();
});

Deno.test("permute: merges adjacent axes, views when no data moves, rejects bad permutations", () => {
  assertEquals(simplifyPermutation([2, 7, 3, 5], [0, 2, 1, 3]), { dims: [2, 3, 7, 5], strides: [105, 5, 15, 1] });
  assertEquals(simplifyPermutation([2, 1, 3], [0, 2, 1]).dims, [6]);
  const x = tensor(new Float32Array(6), [2, 1, 3]);
  const v = permute(x, [1, 0, 2]);
  assertEquals([...v.shape], [1, 2, 3]);
  assertStrictEquals(v.buffer, x.buffer, "a permutation of a size-1 axis is a view");
  assertMatch(
    assertThrows(() => permute(x, [0, 0, 1]), Error).message,
    /permute: \[0, 0, 1\] is not a permutation of the 3 axes of \[2, 1, 3\] f32/,
  );
  assertMatch(assertThrows(() => permute(x, [0, 1]), Error).message, /not a permutation/);
  assertMatch(
    assertThrows(() => transpose(x, 0, 3), Error).message,
    /transpose: axis 3 is out of range for \[2, 1, 3\] f32/,
  );
  const big = tensor(new Float32Array(2 ** 7), [2, 2, 2, 2, 2, 2, 2]);
  assertMatch(
    assertThrows(() => permute(big, [1, 0, 3, 2, 5, 4, 6]), Error).message,
    /needs 7 strided axes; at most 6/,
  );
  v.dispose();
  x.dispose();
  big.dispose();
});
