import { assertMatch, assertThrows } from "@std/assert";
import { initEngine } from "../engine.ts";
import { checkOp } from "../_op_check.ts";
import { refRmsNorm, refRmsNormGrad } from "../reference/norm.ts";
import { ref } from "../reference/ref_tensor.ts";
import { randomNormal, randomUniform } from "../testing.ts";
import { tensor } from "../tensor.ts";
import { rmsNorm } from "./norm.ts";

await initEngine();

const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

Deno.test("rmsNorm: forward and backward (x and weight) vs float64 reference on awkward rows", async () => {
  for (const shape of [[1], [7], [3, 33], [2, 5, 65], [4, 257], [33, 1], [65, 7], [2, 2048], [3000, 7]]) {
    const D = shape[shape.length - 1];
    await checkOp({
      name: `rmsNorm [${shape}]`,
      inputs: [
        ref(randomNormal(size(shape), size(shape), 2).map(Math.fround), shape),
        ref(randomUniform(D, D, 0.5, 1.5).map(Math.fround), [D]),
      ],
      gpu: ([x, w]) => rmsNorm(x, w),
      ref: ([x, w]) => refRmsNorm(x, w),
      refGrad: ([x, w], g) => refRmsNormGrad(x, w, g),
      // With D = 1 the x-gradient is w·g·eps/(x² + eps)^1.5 ≈ 1e-7, a difference of two f32 terms of size 1 (in
      // any f32 implementation): only the weight gradient is meaningful there.
      differentiable: [D > 1, true],
      skipFiniteDifference: size(shape) > 2100,
    });
  }
});

Deno.test("rmsNorm: the weight gradient alone (frozen input) and a custom eps that dominates small rows", async () => {
  const shape = [5000, 3];
  await checkOp({
    name: "rmsNorm weight only, 5000 rows (segmented column sum)",
    inputs: [ref(randomNormal(15000, 1).map(Math.fround), shape), ref(randomNormal(3, 2).map(Math.fround), [3])],
    gpu: ([x, w]) => rmsNorm(x, w),
    ref: ([x, w]) => refRmsNorm(x, w),
    refGrad: ([x, w], g) => refRmsNormGrad(x, w, g),
    differentiable: [false, true],
    skipFiniteDifference: true,
  });
  await checkOp({
    name: "rmsNorm eps=0.5",
    inputs: [
      ref(randomNormal(7 * 33, 3, 0.1).map(Math.fround), [7, 33]),
      ref(randomNormal(33, 4).map(Math.fround), [33]),
    ],
    gpu: ([x, w]) => rmsNorm(x, w, 0.5),
    ref: ([x, w]) => refRmsNorm(x, w, 0.5),
    refGrad: ([x, w], g) => refRmsNormGrad(x, w, g, 0.5),
  });
});

Deno.test("rmsNorm rejects mismatched weights, dtypes and eps with messages naming the shapes", () => {
  const x = tensor(new Float32Array(6), [2, 3]);
  const w = tensor(new Float32Array(2), [2]);
  const w3 = tensor(new Float32Array(3), [3]);
  const i = tensor(new Int32Array(3), [3], "i32");
  assertMatch(
    assertThrows(() => rmsNorm(x, w), Error).message,
    /rmsNorm: weight \[2\] f32 must be \[D\] for input \[2, 3\] f32 \[\.\.\., D\]/,
  );
  assertMatch(assertThrows(() => rmsNorm(x, i), Error).message, /rmsNorm: expected an f32 tensor, got \[3\] i32/);
  assertMatch(assertThrows(() => rmsNorm(x, w3, -1), Error).message, /rmsNorm: eps must be a number ≥ 0, got -1/);
  for (const t of [x, w, w3, i]) t.dispose();
});
