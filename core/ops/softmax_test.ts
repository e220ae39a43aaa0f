import { assert, assertMatch, assertThrows } from "@std/assert";
import { initEngine } from "../engine.ts";
import { checkOp } from "../_op_check.ts";
import { ref } from "../reference/ref_tensor.ts";
import { refSoftmax, refSoftmaxGrad } from "../reference/softmax.ts";
import { randomNormal } from "../testing.ts";
import { tensor } from "../tensor.ts";
import { logSoftmax, softmax } from "./softmax.ts";

await initEngine();

const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

const SHAPES = [[1], [7], [3, 33], [2, 5, 65], [4, 257], [1, 1], [33, 7], [3, 2048]];

for (const [name, fn, log] of [["softmax", softmax, false], ["logSoftmax", logSoftmax, true]] as const) {
  Deno.test(`${name}: forward and fused backward vs float64 reference on awkward rows`, async () => {
    for (const shape of SHAPES) {
      await checkOp({
        name: `${name} [${shape}]`,
        // Spread of ±3σ·4 so that rows are far from uniform.
        inputs: [ref(randomNormal(size(shape), size(shape), 4).map(Math.fround), shape)],
        gpu: ([x]) => fn(x),
        ref: ([x]) => refSoftmax(x, log),
        refGrad: ([x], g) => [refSoftmaxGrad(x, g, log)],
        skipFiniteDifference: size(shape) > 2100,
      });
    }
  });
}

Deno.test("softmax and logSoftmax stay finite and exact for logits in the thousands", async () => {
  const x = tensor([1000, 1001, 1002, -1000, -1e4, 0, 3e4, 3e4], [4, 2]);
  const y = await softmax(x).data();
  const expected = refSoftmax(ref(await x.data(), [4, 2])).data;
  for (let i = 0; i < 8; i++) assert(Math.abs(y[i] - expected[i]) < 1e-6, `softmax[${i}] = ${y[i]}`);
  const l = await logSoftmax(x).data();
  const le = refSoftmax(ref(await x.data(), [4, 2]), true).data;
  for (let i = 0; i < 8; i++) assert(Math.abs(l[i] - le[i]) < 1e-4, `logSoftmax[${i}] = ${l[i]} vs ${le[i]}`);
  x.dispose();
});

Deno.test("softmax rejects non-f32 and rank-0 tensors, naming the op and the shape", () => {
  const i = tensor(new Int32Array(6), [2, 3], "i32");
  assertMatch(assertThrows(() => softmax(i), Error).message, /softmax: expected an f32 tensor, got \[2, 3\] i32/);
  const s = tensor([1], []);
  assertMatch(
    assertThrows(() => logSoftmax(s), Error).message,
    /logSoftmax: expected a tensor with at least one axis, got \[\] f32/,
  );
  i.dispose();
  s.dispose();
});

Deno.test("softmax over more rows than one dispatch dimension holds (65,537 rows: a folded 2-D grid)", async () => {
  // Forward only: 65,537 workgroups of 256 threads cost about 2 s under lavapipe.
  const shape = [65_537, 2];
  await checkOp({
    name: "softmax [65537, 2]",
    inputs: [ref(randomNormal(size(shape), 21).map(Math.fround), shape)],
    gpu: ([x]) => softmax(x),
    ref: ([x]) => refSoftmax(x),
  });
});
