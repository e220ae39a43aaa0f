import { assertEquals, assertMatch, assertThrows } from "@std/assert";
import { backward } from "../autograd.ts";
import { initEngine } from "../engine.ts";
import { checkOp } from "../_op_check.ts";
import { refMaskedMeanPool, refMaskedMeanPoolGrad } from "../reference/pool.ts";
import { ref } from "../reference/ref_tensor.ts";
import { scope } from "../scope.ts";
import { randomNormal, seededRandom } from "../testing.ts";
import { tensor } from "../tensor.ts";
import { maskedMeanPool } from "./pool.ts";

await initEngine();

/** A 0/1 mask [B, S] keeping about 60% of positions at random; rows listed in `empty` keep nothing. */
function makeMask(B: number, S: number, seed: number, empty: number[] = []): Float64Array {
  const rand = seededRandom(seed);
  return Float64Array.from({ length: B * S }, (_, i) => (empty.includes(Math.floor(i / S)) ? 0 : rand() < 0.6 ? 1 : 0));
}

for (const dtype of ["f32", "i32"] as const) {
  Deno.test(`maskedMeanPool (${dtype} mask): forward and backward vs float64 reference, fully masked rows`, async () => {
    for (
      const [B, S, D, empty] of [
        [1, 1, 1, []],
        [1, 7, 1, [0]],
        [3, 7, 33, [1]],
        [2, 33, 65, []],
        [4, 65, 7, [0, 3]],
        [2, 257, 3, []],
        [2, 9, 2048, [1]],
      ] as [number, number, number, number[]][]
    ) {
      const maskData = makeMask(B, S, B * S + D, empty);
      const mask = tensor(dtype === "f32" ? Float32Array.from(maskData) : Int32Array.from(maskData), [B, S], dtype);
      try {
        await checkOp({
          name: `maskedMeanPool [${B}, ${S}, ${D}] ${dtype} mask, empty rows ${empty}`,
          inputs: [ref(randomNormal(B * S * D, D).map(Math.fround), [B, S, D])],
          gpu: ([x]) => maskedMeanPool(x, mask),
          ref: ([x]) => refMaskedMeanPool(x, ref(maskData, [B, S])),
          refGrad: ([x], g) => [refMaskedMeanPoolGrad(x, ref(maskData, [B, S]), g)],
          skipFiniteDifference: B * S * D > 5000,
        });
      } finally {
        mask.dispose();
      }
    }
  });
}

Deno.test("maskedMeanPool: a fully masked row pools to zeros with a zero gradient (denominator clamped to 1)", async () => {
  const x = tensor(Float32Array.from(randomNormal(2 * 3 * 4, 1)), [2, 3, 4]);
  x.requiresGrad = true;
  const mask = tensor(Int32Array.of(0, 0, 0, 1, 0, 1), [2, 3], "i32");
  const y = maskedMeanPool(x, mask);
  const out = await y.data();
  assertEquals([...out.slice(0, 4)], [0, 0, 0, 0]);
  scope(() => backward(y, tensor(new Float32Array(8).fill(1), [2, 4])));
  const dx = await x.grad!.data();
  assertEquals([...dx.slice(0, 12)], new Array(12).fill(0));
  assertEquals([...dx.slice(12)], [0.5, 0.5, 0.5, 0.5, 0, 0, 0, 0, 0.5, 0.5, 0.5, 0.5]);
  for (const t of [x, mask, y]) t.dispose();
});

Deno.test("maskedMeanPool rejects bad shapes and dtypes with messages naming both shapes", () => {
  const x = tensor(new Float32Array(24), [2, 3, 4]);
  const m = tensor(new Float32Array(4), [2, 2]);
  const mu = tensor(new Uint32Array(6), [2, 3], "u32");
  const x2 = tensor(new Float32Array(6), [2, 3]);
  assertMatch(
    assertThrows(() => maskedMeanPool(x, m), Error).message,
    /maskedMeanPool: expected x \[B, S, D\] and mask \[B, S\], got x \[2, 3, 4\] f32 and mask \[2, 2\] f32/,
  );
  assertMatch(assertThrows(() => maskedMeanPool(x2, m), Error).message, /maskedMeanPool: expected x \[B, S, D\]/);
  assertMatch(
    assertThrows(() => maskedMeanPool(x, mu), Error).message,
    /maskedMeanPool: mask must be f32 or i32, got \[2, 3\] u32/,
  );
  const m3 = tensor(new Float32Array(6), [2, 3]);
  m3.dispose();
  assertMatch(
    assertThrows(() => maskedMeanPool(x, m3), Error).message,
    /maskedMeanPool: mask: use of a disposed tensor \[2, 3\] f32/,
  );
  for (const t of [x, m, mu, x2]) t.dispose();
});
