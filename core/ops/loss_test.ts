import { assert, assertEquals, assertMatch, assertThrows } from "@std/assert";
import { backward } from "../autograd.ts";
import { initEngine } from "../engine.ts";
import { checkOp } from "../_op_check.ts";
import { refCrossEntropy, refCrossEntropyGrad, type RefCrossEntropyOptions } from "../reference/loss.ts";
import { ref } from "../reference/ref_tensor.ts";
import { scope } from "../scope.ts";
import { randomNormal, seededRandom } from "../testing.ts";
import { type Tensor, tensor } from "../tensor.ts";
import { crossEntropy } from "./loss.ts";

await initEngine();

/** Labels in [0, V) with about `ignoredShare` of them set to `ignore`. */
function makeLabels(n: number, V: number, seed: number, ignore = -100, ignoredShare = 0.25): Int32Array {
  const rand = seededRandom(seed);
  return Int32Array.from({ length: n }, () => (rand() < ignoredShare ? ignore : Math.floor(rand() * V)));
}

async function checkCrossEntropy(
  shape: number[],
  labels: Int32Array,
  options: RefCrossEntropyOptions,
  fd = true,
): Promise<void> {
  const n = shape.reduce((a, b) => a * b, 1);
  const labelTensor = tensor(labels, shape.slice(0, -1), "i32");
  try {
    await checkOp({
      name: `crossEntropy [${shape}] ${JSON.stringify(options)}`,
      inputs: [ref(randomNormal(n, n, 3).map(Math.fround), shape)],
      gpu: ([x]) => crossEntropy(x, labelTensor, options),
      ref: ([x]) => refCrossEntropy(x, labels, options),
      refGrad: ([x], g) => [refCrossEntropyGrad(x, labels, g, options)],
      skipFiniteDifference: !fd,
    });
  } finally {
    labelTensor.dispose();
  }
}

Deno.test("crossEntropy: mean/sum/none with ignored rows and label smoothing vs float64 reference", async () => {
  await checkCrossEntropy([1, 7], Int32Array.of(3), {});
  await checkCrossEntropy([33, 65], makeLabels(33, 65, 1), {});
  await checkCrossEntropy([33, 65], makeLabels(33, 65, 2), { labelSmoothing: 0.1 });
  await checkCrossEntropy([7, 257], makeLabels(7, 257, 3), { labelSmoothing: 0.1, reduction: "sum" }, false);
  await checkCrossEntropy([65, 33], makeLabels(65, 33, 4), { reduction: "none" });
  await checkCrossEntropy([65, 1], makeLabels(65, 1, 5), { reduction: "none", labelSmoothing: 0.3 });
  // The reference trainer's loss: summed, label-smoothed, ignoring the pad id 0.
  await checkCrossEntropy([33, 65], makeLabels(33, 65, 6, 0), {
    ignoreIndex: 0,
    labelSmoothing: 0.1,
    reduction: "sum",
  });
  // Leading axes: logits [B, L, V] with labels [B, L].
  await checkCrossEntropy([2, 3, 7], makeLabels(6, 7, 7), { labelSmoothing: 0.2 });
  await checkCrossEntropy([3, 2048], makeLabels(3, 2048, 8, -100, 0), { labelSmoothing: 0.1 }, false);
});

Deno.test("crossEntropy: a batch of V = 32128 rows (T5 vocabulary), forward and gradient", async () => {
  await checkCrossEntropy([4, 32128], Int32Array.of(0, 32127, -100, 17), { labelSmoothing: 0.1 }, false);
  await checkCrossEntropy([3, 32128], Int32Array.of(5, 32100, 1), { reduction: "none" }, false);
});

Deno.test("crossEntropy: all rows ignored gives NaN for mean (as torch), 0 for sum, and zero gradients", async () => {
  const labels = tensor(Int32Array.of(-100, -100, -100), [3], "i32");
  for (const reduction of ["mean", "sum", "none"] as const) {
    const x = tensor(Float32Array.from(randomNormal(3 * 7, 1)), [3, 7]);
    x.requiresGrad = true;
    const loss = crossEntropy(x, labels, { reduction, labelSmoothing: 0.1 });
    const values = [...await loss.data()];
    if (reduction === "mean") assert(Number.isNaN(values[0]), `mean over no rows is ${values[0]}`);
    else assertEquals(values, reduction === "sum" ? [0] : [0, 0, 0]);
    scope(() => backward(loss, tensor(new Float32Array(loss.size).fill(1), loss.shape)));
    assertEquals([...await x.grad!.data()], new Array(21).fill(0));
    x.dispose();
    loss.dispose();
  }
  labels.dispose();
});

Deno.test("crossEntropy: an out-of-range label makes that row's loss NaN (documented; no readback to throw)", async () => {
  const x = tensor(Float32Array.from(randomNormal(3 * 5, 2)), [3, 5]);
  const labels = tensor(Int32Array.of(1, 5, -3), [3], "i32");
  const rows = await crossEntropy(x, labels, { reduction: "none" }).data();
  assert(Number.isFinite(rows[0]) && rows[0] > 0);
  assert(Number.isNaN(rows[1]) && Number.isNaN(rows[2]));
  assert(Number.isNaN(await crossEntropy(x, labels).item()));
  x.dispose();
  labels.dispose();
});

Deno.test("crossEntropy: bad dtypes, shapes and options throw errors naming the op and the shapes", () => {
  const x = tensor(new Float32Array(12), [3, 4]);
  const y = tensor(Int32Array.of(0, 1, 2), [3], "i32");
  const yf = tensor(Float32Array.of(0, 1, 2), [3]);
  const y2 = tensor(Int32Array.of(0, 1), [2], "i32");
  const xi = tensor(new Int32Array(12), [3, 4], "i32");
  const cases: [() => Tensor, RegExp][] = [
    [
      () => crossEntropy(x, yf),
      /crossEntropy: labels must be i32 class indices \(logits \[3, 4\] f32, labels \[3\] f32\)/,
    ],
    [() => crossEntropy(xi, y), /crossEntropy: expected an f32 tensor, got \[3, 4\] i32/],
    [
      () => crossEntropy(x, y2),
      /crossEntropy: expected logits \[N, V\] and labels \[N\] \(logits \[3, 4\] f32, labels \[2\] i32\)/,
    ],
    [() => crossEntropy(x, y, { labelSmoothing: 1.5 }), /crossEntropy: labelSmoothing must be in \[0, 1\], got 1.5/],
    [() => crossEntropy(x, y, { ignoreIndex: 0.5 }), /crossEntropy: ignoreIndex must be a 32-bit integer, got 0.5/],
    [
      () => crossEntropy(x, y, { reduction: "avg" as "mean" }),
      /crossEntropy: reduction must be "mean", "sum" or "none", got "avg"/,
    ],
  ];
  for (const [fn, message] of cases) assertMatch(assertThrows(fn, Error).message, message);
  y.dispose();
  assertMatch(
    assertThrows(() => crossEntropy(x, y), Error).message,
    /crossEntropy: labels: use of a disposed tensor \[3\] i32/,
  );
  for (const t of [x, yf, y2, xi]) t.dispose();
});
