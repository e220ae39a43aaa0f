import { assertEquals, assertMatch, assertThrows } from "@std/assert";
import { dropoutBits, dropoutKeys, dropoutThreshold } from "@hyperdecoders/kernels";
import { backward } from "../autograd.ts";
import { initEngine } from "../engine.ts";
import { refRmsNorm } from "../reference/norm.ts";
import { ref } from "../reference/ref_tensor.ts";
import { assertClose, randomNormal, randomUniform } from "../testing.ts";
import { type Tensor, tensor } from "../tensor.ts";
import { dropoutAdd } from "./dropout.ts";
import { add, mul } from "./elementwise.ts";
import { rmsNorm } from "./norm.ts";
import { sum } from "./reduce.ts";
import { residualRmsNorm } from "./residual_norm.ts";

const engine = await initEngine();

const SHAPES = [[1, 1], [7, 33], [3, 5, 257], [300, 65], [2, 768]];
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
const f32 = (x: Float64Array) => Float32Array.from(x);

/** residual + dropout(branch) (+ extra) in float64, with the kernels' mask. */
function refSum(r: Float32Array, x: Float32Array, e: Float32Array | null, p: number, seed: number): Float64Array {
  const keys = dropoutKeys(seed);
  const thr = dropoutThreshold(p);
  const scale = Math.fround(1 / (1 - p));
  return Float64Array.from(r, (v, i) => {
    const kept = p === 0 || (dropoutBits(i, keys) >>> 8) >= thr;
    return v + (kept ? x[i] * (p === 0 ? 1 : scale) : 0) + (e ? e[i] : 0);
  });
}

Deno.test("residualRmsNorm: sum and norm vs float64 reference, with and without dropout and a second branch", async () => {
  for (const [k, shape] of SHAPES.entries()) {
    const n = size(shape);
    const D = shape[shape.length - 1];
    const [r, x, e] = [1, 2, 3].map((s) => f32(randomNormal(n, 10 * k + s)));
    const w = f32(randomUniform(D, k + 7, 0.5, 1.5));
    for (const p of [0, 0.3]) {
      for (const withExtra of [false, true]) {
        const ts = [r, x, e].map((d) => tensor(d, shape));
        const wt = tensor(w, [D]);
        const out = residualRmsNorm(ts[0], ts[1], wt, {
          dropout: p > 0 ? { p, seed: 99 + k } : null,
          extra: withExtra ? ts[2] : null,
        });
        const what = `[${shape}] p ${p}${withExtra ? " + extra" : ""}`;
        const expected = refSum(r, x, withExtra ? e : null, p, 99 + k);
        assertClose(await out.sum.data(), expected, 1e-6, `${what}: sum`);
        const normed = refRmsNorm(ref(expected, shape), ref(Float64Array.from(w), [D]));
        assertClose(await out.normed.data(), normed.data, 1e-5, `${what}: normed`);
        for (const t of [...ts, wt, out.sum, out.normed]) t.dispose();
      }
    }
  }
});

Deno.test("residualRmsNorm: the same bits and gradients as dropoutAdd, add and rmsNorm, in one dispatch", async () => {
  const shape = [4, 9, 65];
  const n = size(shape);
  const w = tensor(f32(randomUniform(65, 5, 0.5, 1.5)), [65]);
  const g = tensor(f32(randomNormal(n, 6)), shape);
  const gs = tensor(f32(randomNormal(n, 7)), shape);
  const leaves = [1, 2, 3].map((s) => {
    const t = tensor(f32(randomNormal(n, s)), shape);
    t.requiresGrad = true;
    return t;
  });
  const run = async (fused: boolean, p: number, withExtra: boolean) => {
    const [r, x, e] = leaves;
    const before = engine.recorder.stats.dispatches;
    let s: Tensor, y: Tensor;
    if (fused) {
      ({ sum: s, normed: y } = residualRmsNorm(r, x, w, {
        dropout: p > 0 ? { p, seed: 5 } : null,
        extra: withExtra ? e : null,
      }));
    } else {
      s = p > 0 ? dropoutAdd(r, x, p, 5) : add(r, x);
      if (withExtra) s = add(s, e);
      y = rmsNorm(s, w);
    }
    const dispatches = engine.recorder.stats.dispatches - before;
    // the sum is read twice downstream (the next residual and the norm), as in a transformer
    const loss = add(sum(mul(y, g)), sum(mul(s, gs)));
    backward(loss);
    const values = [await s.data(), await y.data()];
    const grads = [];
    for (const t of leaves) {
      grads.push(t.grad ? await t.grad.data() : null);
      t.grad?.dispose();
      t.grad = null;
    }
    for (const t of [s, y, loss]) t.dispose();
    return { values, grads, dispatches };
  };
  for (const p of [0, 0.25]) {
    for (const withExtra of [false, true]) {
      const what = `p ${p}${withExtra ? " + extra" : ""}`;
      const fused = await run(true, p, withExtra);
      const plain = await run(false, p, withExtra);
      assertEquals(fused.dispatches, 1, what);
      assertEquals(fused.values, plain.values, `${what}: forward`);
      assertEquals(fused.grads, plain.grads, `${what}: gradients`);
    }
  }
  for (const t of [...leaves, w, g, gs]) t.dispose();
});

Deno.test("residualRmsNorm: mismatched shapes and weights are named", () => {
  const a = tensor(new Float32Array(6), [2, 3]);
  const b = tensor(new Float32Array(6), [3, 2]);
  const w = tensor(new Float32Array(3), [3]);
  assertMatch(assertThrows(() => residualRmsNorm(a, b, w), Error).message, /branch \[3, 2\].*must have one shape/);
  assertMatch(assertThrows(() => residualRmsNorm(a, a, b), Error).message, /weight \[3, 2\].*must be \[D\]/);
  for (const p of [Number.NaN, -0.1, 1.5]) {
    assertMatch(
      assertThrows(() => residualRmsNorm(a, a, w, { dropout: { p, seed: 1 } }), Error).message,
      /dropout probability must be in \[0, 1\]/,
    );
  }
  for (const t of [a, b, w]) t.dispose();
});
