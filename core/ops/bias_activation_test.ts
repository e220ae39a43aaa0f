import { assertEquals, assertLess, assertMatch, assertThrows } from "@std/assert";
import { backward } from "../autograd.ts";
import { initEngine } from "../engine.ts";
import { checkOp } from "../_op_check.ts";
import { refBiasActivation, refBiasActivationGrad } from "../reference/bias_activation.ts";
import { ref } from "../reference/ref_tensor.ts";
import { scope } from "../scope.ts";
import { type Tensor, tensor } from "../tensor.ts";
import { randomNormal, relativeError } from "../testing.ts";
import { biasActivation } from "./bias_activation.ts";
import { add, relu } from "./elementwise.ts";

await initEngine();

const ACTS = ["none", "relu"] as const;

/** Random x for a bias: x + bias kept at least 1e-3 from ReLU's kink, so that finite differences are exact. */
function inputs(xShape: number[], biasShape: number[], seed: number): [Float64Array, Float64Array] {
  const n = xShape.reduce((a, b) => a * b, 1);
  const bias = randomNormal(biasShape.reduce((a, b) => a * b, 1), seed + 1);
  const x = randomNormal(n, seed);
  const C = xShape[xShape.length - 1];
  const perRow = biasShape.length === 3 ? xShape[1] * C : n;
  for (let i = 0; i < n; i++) {
    const b = bias[Math.floor(i / perRow) * C + (i % C)];
    if (Math.abs(x[i] + b) < 1e-3) x[i] = 0.5 - b;
  }
  return [x, bias];
}

// [x shape, bias shape]: shared biases over 1, 7 and 4097 rows, per-example biases over 1, 7 and 4097 rows.
const CASES: [number[], number[]][] = [
  [[1, 3], [3]],
  [[7, 65], [65]],
  [[2, 3, 5], [5]],
  [[770], [770]],
  [[4097, 3], [3]],
  [[4097, 65], [65]],
  [[7, 770], [770]],
  [[3, 1, 65], [3, 1, 65]],
  [[2, 7, 3], [2, 1, 3]],
  [[5, 7, 770], [5, 1, 770]],
  [[2, 4097, 65], [2, 1, 65]],
];

for (const act of ACTS) {
  Deno.test(`biasActivation ${act}: forward and both gradients vs float64 reference and finite differences`, async () => {
    for (const [xs, bs] of CASES) {
      const [x, b] = inputs(xs, bs, xs.length * 31 + xs[0]);
      const n = x.length;
      await checkOp({
        name: `bias_${act} x [${xs}] bias [${bs}]`,
        inputs: [ref(x, xs), ref(b, bs)],
        gpu: ([tx, tb]) => biasActivation(tx, tb, { activation: act }),
        ref: ([rx, rb]) => refBiasActivation(rx, rb, act),
        refGrad: ([rx, rb], g) => refBiasActivationGrad(rx, rb, act, g),
        skipFiniteDifference: n > 400,
        gradTol: 2e-5,
      });
    }
  });
}

Deno.test("biasActivation: only one input requiring a gradient gets it (x only, bias only)", async () => {
  for (const act of ACTS) {
    for (const [xs, bs] of [[[7, 65], [65]], [[2, 7, 3], [2, 1, 3]]]) {
      for (const which of [[true, false], [false, true]]) {
        await checkOp({
          name: `bias_${act} [${xs}] [${bs}] differentiable ${which}`,
          inputs: [ref(...[inputs(xs, bs, 3)[0], xs] as const), ref(inputs(xs, bs, 3)[1], bs)],
          gpu: ([tx, tb]) => biasActivation(tx, tb, { activation: act }),
          ref: ([rx, rb]) => refBiasActivation(rx, rb, act),
          refGrad: ([rx, rb], g) => refBiasActivationGrad(rx, rb, act, g),
          differentiable: which,
        });
      }
    }
  }
});

/** GPU output and gradients of `f(x, bias)` with output gradient `g`. */
async function run(
  f: (x: Tensor, b: Tensor) => Tensor,
  x: Float64Array,
  xs: number[],
  b: Float64Array,
  bs: number[],
  g: Float64Array,
): Promise<[Float32Array, Float32Array, Float32Array]> {
  const tx = tensor(Float32Array.from(x), xs);
  const tb = tensor(Float32Array.from(b), bs);
  tx.requiresGrad = true;
  tb.requiresGrad = true;
  const y = f(tx, tb);
  const out = await y.data() as Float32Array;
  scope(() => backward(y, tensor(Float32Array.from(g), xs)));
  const result: [Float32Array, Float32Array, Float32Array] = [
    out,
    await tx.grad!.data() as Float32Array,
    await tb.grad!.data() as Float32Array,
  ];
  for (const t of [y, tx, tb]) t.dispose();
  return result;
}

Deno.test("biasActivation: forward and input gradient bit-identical to add then relu; bias gradient within 1e-5", async () => {
  for (const [xs, bs] of [[[4097, 65], [65]], [[7, 770], [770]], [[5, 128, 64], [5, 1, 64]]]) {
    const [x, b] = inputs(xs, bs, 7);
    const g = randomNormal(x.length, 8);
    for (const act of ACTS) {
      const old = (tx: Tensor, tb: Tensor) => act === "relu" ? relu(add(tx, tb)) : add(tx, tb);
      const [y0, dx0, db0] = await run(old, x, xs, b, bs, g);
      const [y1, dx1, db1] = await run((tx, tb) => biasActivation(tx, tb, { activation: act }), x, xs, b, bs, g);
      assertEquals(y1, y0, `forward of bias_${act} [${xs}] [${bs}]`);
      assertEquals(dx1, dx0, `input gradient of bias_${act} [${xs}] [${bs}]`);
      // The bias gradient is summed in another order than sum_to's / the column reduction's.
      assertLess(relativeError(db1, db0), 1e-5, `bias gradient of bias_${act} [${xs}] [${bs}]`);
    }
  }
});

Deno.test("biasActivation names both shapes when the bias does not fit", () => {
  const x = tensor(new Float32Array(24), [2, 3, 4]);
  for (const shape of [[3], [2, 4], [2, 3, 4], [3, 1, 4], [2, 1, 3]]) {
    const b = tensor(new Float32Array(shape.reduce((p, d) => p * d, 1)), shape);
    const message = assertThrows(() => biasActivation(x, b, { activation: "relu" }), Error).message;
    assertMatch(message, new RegExp(`biasActivation: input \\[2, 3, 4\\] with bias \\[${shape.join(", ")}\\]`));
    b.dispose();
  }
  const b = tensor(new Float32Array(4), [4]);
  assertMatch(
    assertThrows(() => biasActivation(x, b, { activation: "gelu" as "relu" }), Error).message,
    /unknown activation "gelu"/,
  );
  const flat = tensor(new Float32Array(12), [3, 4]);
  const perExample = tensor(new Float32Array(4), [1, 1, 4]);
  assertMatch(assertThrows(() => biasActivation(flat, perExample, { activation: "none" }), Error).message, /\[3, 4\]/);
  for (const t of [x, b, flat, perExample]) t.dispose();
});

Deno.test("biasActivation: one dispatch forward, one backward (both gradients); zero rows", async () => {
  const { getEngine } = await import("../engine.ts");
  // Per kernel, leaving out the copy that backward() makes when g passes through to a leaf (x here, not in a model).
  const counts = () => {
    const c = getEngine().recorder.dispatchCounts();
    c.delete("copy");
    return c;
  };
  const delta = (a: Map<string, number>, b: Map<string, number>) =>
    Object.fromEntries([...b].filter(([k, n]) => n !== (a.get(k) ?? 0)).map(([k, n]) => [k, n - (a.get(k) ?? 0)]));
  for (const act of ACTS) {
    for (const [xs, bs, tileX] of [[[4097, 65], [65], 8], [[3, 7, 5], [3, 1, 5], 8], [[7, 770], [770], 32]] as const) {
      const [x, b] = inputs([...xs], [...bs], 11);
      const tx = tensor(Float32Array.from(x), [...xs]);
      const tb = tensor(Float32Array.from(b), [...bs]);
      const g = tensor(Float32Array.from(randomNormal(x.length, 12)), [...xs]);
      tx.requiresGrad = tb.requiresGrad = true;
      const c0 = counts();
      const y = biasActivation(tx, tb, { activation: act });
      const c1 = counts();
      scope(() => backward(y, g));
      const c2 = counts();
      assertEquals(delta(c0, c1), { [`bias_${act}`]: 1 }, `forward of bias_${act} [${xs}] [${bs}]`);
      const grad = act === "relu" ? `bias_relu_grad_x${tileX}` : `bias_none_grad_sum_x${tileX}`;
      assertEquals(delta(c1, c2), { [grad]: 1 }, `backward of bias_${act} [${xs}] [${bs}]`);
      for (const t of [y, tx, tb, g]) t.dispose();
    }
    // zero rows: an empty output and a zero bias gradient
    const tx = tensor(new Float32Array(0), [0, 3]);
    const tb = tensor([1, 2, 3], [3]);
    tx.requiresGrad = tb.requiresGrad = true;
    const y = biasActivation(tx, tb, { activation: act });
    assertEquals(y.shape, [0, 3]);
    scope(() => backward(y, tensor(new Float32Array(0), [0, 3])));
    assertEquals(await tb.grad!.data(), new Float32Array(3));
    for (const t of [y, tx, tb]) t.dispose();
  }
});
