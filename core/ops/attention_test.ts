import { assertEquals, assertMatch, assertStrictEquals, assertThrows } from "@std/assert";
import { initEngine } from "../engine.ts";
import { checkOp } from "../_op_check.ts";
import { refAttentionSoftmax, refSoftmaxRowsGrad } from "../reference/attention.ts";
import { ref, refSumTo, type RefTensor } from "../reference/ref_tensor.ts";
import { paddingMask, randomNormal } from "../testing.ts";
import { tensor } from "../tensor.ts";
import { attentionSoftmax } from "./attention.ts";
import { backward } from "../autograd.ts";
import { scope } from "../scope.ts";
import { dropout } from "./dropout.ts";
import { mul } from "./elementwise.ts";
import { sum } from "./reduce.ts";

await initEngine();

const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);

interface SoftmaxCase {
  shape: number[];
  biasBatch?: number;
  mask?: "f32" | "i32";
  causal?: boolean;
  allPadRow?: number;
}

const SOFTMAX_CASES: SoftmaxCase[] = [
  { shape: [1, 1, 1, 1] },
  { shape: [1, 1, 1, 7], causal: true }, // decode step: one query sees every key
  { shape: [2, 3, 7, 33], biasBatch: 1, mask: "f32" },
  { shape: [2, 2, 5, 65], biasBatch: 2, mask: "f32", causal: true }, // Lq < Lk: queries are the last 5 keys
  { shape: [1, 2, 33, 33], causal: true },
  { shape: [3, 1, 4, 257], biasBatch: 3, mask: "i32" },
  { shape: [2, 4, 16, 130], biasBatch: 1, mask: "f32" }, // large-ish: 16k scores, skip finite differences
];

Deno.test("attentionSoftmax: bias + padding/causal masks, forward and backward vs float64 reference", async () => {
  for (const c of SOFTMAX_CASES) {
    const [B, H, Lq, Lk] = c.shape;
    const n = size(c.shape);
    const maskData = c.mask ? paddingMask(B, Lk, n, c.allPadRow) : null;
    const maskRef = maskData ? ref(maskData, [B, Lk]) : null;
    const biasShape = c.biasBatch ? [c.biasBatch, H, Lq, Lk] : null;
    const inputs = [ref(randomNormal(n, n, 2), c.shape)];
    if (biasShape) inputs.push(ref(randomNormal(size(biasShape), 7), biasShape));
    const maskT = maskData && c.mask === "i32" ? tensor(Int32Array.from(maskData), [B, Lk], "i32") : null;
    if (maskData && c.mask === "f32") inputs.push(maskRef!);
    const diff = inputs.map((_, k) => k < (biasShape ? 2 : 1));
    await checkOp({
      name: `attentionSoftmax ${JSON.stringify(c)}`,
      inputs,
      gpu: (xs) => {
        const mask = maskT ?? (c.mask === "f32" ? xs[xs.length - 1] : null);
        return attentionSoftmax(xs[0], biasShape ? xs[1] : null, mask, { causal: c.causal });
      },
      ref: (xs) => refAttentionSoftmax(xs[0], biasShape ? xs[1] : null, maskRef, c.causal ?? false),
      refGrad: (xs, g) => {
        const ds = refSoftmaxRowsGrad(refAttentionSoftmax(xs[0], biasShape ? xs[1] : null, maskRef, !!c.causal), g);
        const grads: RefTensor[] = [ds];
        if (biasShape) grads.push(refSumTo(ds, biasShape));
        if (c.mask === "f32") grads.push({ shape: [B, Lk], data: new Float64Array(B * Lk) });
        return grads;
      },
      differentiable: diff,
      skipFiniteDifference: n > 2000,
    });
    maskT?.dispose();
  }
});

Deno.test("attentionSoftmax: fully masked rows are uniform like HF (finfo.min added, not substituted)", async () => {
  const [B, H, Lq, Lk] = [3, 2, 3, 9];
  const maskData = paddingMask(B, Lk, 11, 1); // batch entry 1 is all padding
  const maskRef = ref(maskData, [B, Lk]);
  const scores = ref(randomNormal(B * H * Lq * Lk, 12, 3), [B, H, Lq, Lk]);
  const bias = ref(randomNormal(H * Lq * Lk, 13), [1, H, Lq, Lk]);
  const expected = refAttentionSoftmax(scores, bias, maskRef, false);
  for (let k = 0; k < H * Lq * Lk; k++) {
    assertStrictEquals(expected.data[H * Lq * Lk + k], 1 / Lk, "reference row of an all-padding entry is uniform");
  }
  await checkOp({
    name: "attentionSoftmax with an all-padding batch entry",
    inputs: [scores, bias],
    gpu: ([s, b]) => {
      const m = tensor(Float32Array.from(maskData), [B, Lk]);
      const y = attentionSoftmax(s, b, m);
      m.dispose();
      return y;
    },
    ref: ([s, b]) => refAttentionSoftmax(s, b, maskRef, false),
    refGrad: ([s, b], g) => {
      const ds = refSoftmaxRowsGrad(refAttentionSoftmax(s, b, maskRef, false), g);
      return [ds, refSumTo(ds, b.shape)];
    },
    // finite differences cannot see through `x + finfo.min` (it rounds to finfo.min); torch's autograd, like ours,
    // gives the analytic softmax gradient of the uniform row
    skipFiniteDifference: true,
  });
});

Deno.test("attentionSoftmax: more than 65,535 rows (2-D workgroup grid)", async () => {
  const shape = [1, 1, 70_001, 3];
  const n = size(shape);
  await checkOp({
    name: "attentionSoftmax 70,001 rows",
    inputs: [ref(randomNormal(n, 21), shape)],
    gpu: ([s]) => attentionSoftmax(s, null, null, { causal: true }),
    ref: ([s]) => refAttentionSoftmax(s, null, null, true),
    refGrad: ([s], g) => [refSoftmaxRowsGrad(refAttentionSoftmax(s, null, null, true), g)],
    skipFiniteDifference: true,
  });
});

Deno.test("attentionSoftmax: shape errors name the op and the shapes", () => {
  const s = tensor(new Float32Array(2 * 3 * 4 * 5), [2, 3, 4, 5]);
  const b = tensor(new Float32Array(3 * 4 * 4), [1, 3, 4, 4]);
  const m = tensor(new Int32Array(2 * 4), [2, 4], "i32");
  assertMatch(
    assertThrows(() => attentionSoftmax(s, b, null), Error).message,
    /attentionSoftmax: bias \[1, 3, 4, 4\] f32 must be \[1 or 2, 3, 4, 5\] for scores \[2, 3, 4, 5\] f32/,
  );
  assertMatch(
    assertThrows(() => attentionSoftmax(s, null, m), Error).message,
    /attentionSoftmax: keyMask \[2, 4\] i32 must be \[2, 5\]/,
  );
  assertMatch(
    assertThrows(() => attentionSoftmax(m, null, null), Error).message,
    /attentionSoftmax: expected an f32 tensor, got \[2, 4\] i32/,
  );
  for (const t of [s, b, m]) t.dispose();
});

Deno.test("attentionSoftmax: gradient to the bias alone (scores constant), shared and per-batch bias", async () => {
  for (const biasBatch of [1, 2]) {
    const shape = [2, 2, 3, 5];
    const biasShape = [biasBatch, 2, 3, 5];
    await checkOp({
      name: `attentionSoftmax bias-only gradient, bias batch ${biasBatch}`,
      inputs: [ref(randomNormal(60, 41), shape), ref(randomNormal(size(biasShape), 42), biasShape)],
      gpu: ([s, b]) => attentionSoftmax(s, b, null, { causal: true }),
      ref: ([s, b]) => refAttentionSoftmax(s, b, null, true),
      refGrad: ([s, b], g) => {
        const ds = refSoftmaxRowsGrad(refAttentionSoftmax(s, b, null, true), g);
        return [ds, refSumTo(ds, biasShape)];
      },
      differentiable: [false, true],
    });
  }
});

Deno.test("attentionSoftmax with dropout: the bits of dropout(attentionSoftmax(…)), forward and gradients", async () => {
  const [B, H, Lq, Lk] = [2, 3, 5, 70]; // Lk > the 64 threads of a row
  const shape = [B, H, Lq, Lk];
  for (const [p, seed, causal] of [[0.1, 11, true], [0.5, 2 ** 33 + 3, false], [0, 4, false]] as const) {
    const run = (fused: boolean) => {
      const scores = tensor(randomNormal(size(shape), 1), shape).asParameter("s");
      const bias = tensor(randomNormal(H * Lq * Lk, 2), [1, H, Lq, Lk]).asParameter("b");
      const mask = tensor(paddingMask(B, Lk, 3), [B, Lk]);
      const w = tensor(randomNormal(size(shape), 4), shape);
      const y = scope(() => {
        const y = fused
          ? attentionSoftmax(scores, bias, mask, { causal, dropout: { p, seed } })
          : dropout(attentionSoftmax(scores, bias, mask, { causal }), p, seed);
        backward(sum(mul(y, w)));
        return y;
      });
      return { y, scores, bias, mask, w };
    };
    const a = run(true);
    const b = run(false);
    const what = `p ${p} causal ${causal}`;
    assertEquals(await a.y.data(), await b.y.data(), `${what}: output`);
    assertEquals(await a.scores.grad!.data(), await b.scores.grad!.data(), `${what}: scores gradient`);
    assertEquals(await a.bias.grad!.data(), await b.bias.grad!.data(), `${what}: bias gradient`);
    for (const r of [a, b]) for (const t of Object.values(r)) t.dispose();
  }
});
