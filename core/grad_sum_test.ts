import { assert, assertEquals } from "@std/assert";
import { backward } from "./autograd.ts";
import { initEngine } from "./engine.ts";
import { GradSum, type PartialGrad } from "./grad_sum.ts";
import { dropout, dropoutAdd } from "./ops/dropout.ts";
import { add, mul, scale } from "./ops/elementwise.ts";
import { linear } from "./ops/matmul.ts";
import { rmsNorm } from "./ops/norm.ts";
import { sum } from "./ops/reduce.ts";
import { residualRmsNorm } from "./ops/residual_norm.ts";
import { chunk } from "./ops/slice_concat.ts";
import { assertClose, randomNormal } from "./testing.ts";
import { type Tensor, tensor } from "./tensor.ts";

const engine = await initEngine();

/** Dispatches per kernel name while `fn` runs. */
function dispatchesOf(fn: () => void): Map<string, number> {
  const before = engine.recorder.dispatchCounts();
  fn();
  const out = new Map<string, number>();
  for (const [name, n] of engine.recorder.dispatchCounts()) {
    const d = n - (before.get(name) ?? 0);
    if (d > 0) out.set(name, d);
  }
  return out;
}

const f32 = (x: Float64Array): Float32Array => Float32Array.from(x);

/** dx of Σ(x·W1ᵀ ⊙ G1) + Σ(x·W2ᵀ ⊙ G2) + Σ(x ⊙ G3) = G1·W1 + G2·W2 + G3, in float64. */
function referenceGrad(rows: number, inF: number, outF: number, w1: Float32Array, w2: Float32Array, g: Float32Array[]) {
  const dx = new Float64Array(rows * inF);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < inF; i++) {
      let s = g[2][r * inF + i];
      for (let o = 0; o < outF; o++) s += g[0][r * outF + o] * w1[o * inF + i] + g[1][r * outF + o] * w2[o * inF + i];
      dx[r * inF + i] = s;
    }
  }
  return dx;
}

Deno.test("GradSum: a tensor read by two projections and a residual gets its gradient with at most one add", async () => {
  // x [2, 3, 7] feeds linear(x, W1), linear(x, W2) and x ⊙ G3: both product gradients are written by the matmul
  // kernels into the sum in place; only a plain gradient arriving after them (the residual computed first) needs an add.
  const [B, T, inF, outF] = [2, 3, 7, 5];
  const rows = B * T;
  const x0 = tensor(f32(randomNormal(rows * inF, 1)), [B, T, inF]);
  x0.requiresGrad = true;
  const w1d = f32(randomNormal(outF * inF, 2));
  const w2d = f32(randomNormal(outF * inF, 3));
  const gs = [rows * outF, rows * outF, rows * inF].map((n, k) => f32(randomNormal(n, 4 + k)));
  const w1 = tensor(w1d, [outF, inF]);
  const w2 = tensor(w2d, [outF, inF]);
  const [g1, g2] = [gs[0], gs[1]].map((g) => tensor(g, [B, T, outF]));
  const g3 = tensor(gs[2], [B, T, inF]);
  const expected = referenceGrad(rows, inF, outF, w1d, w2d, gs);
  // [loss, adds]: the residual computed last (its plain gradient arrives first), in the middle (after the first
  // product's, which waits for it), first (after both products' gradients: one add)
  const orders: [(x: Tensor) => Tensor, number][] = [
    [(x) => add(add(sum(mul(linear(x, w1), g1)), sum(mul(linear(x, w2), g2))), sum(mul(x, g3))), 0],
    [(x) => add(add(sum(mul(linear(x, w1), g1)), sum(mul(x, g3))), sum(mul(linear(x, w2), g2))), 0],
    [(x) => add(add(sum(mul(x, g3)), sum(mul(linear(x, w1), g1))), sum(mul(linear(x, w2), g2))), 1],
  ];
  for (const [k, [loss, adds]] of orders.entries()) {
    const x = scale(x0, 1); // a tape node: its gradient is summed by GradSum, not as a leaf
    const l = loss(x);
    const counts = dispatchesOf(() => backward(l));
    assertEquals(counts.get("binary_add") ?? 0, adds, `order ${k}: ${JSON.stringify([...counts])}`);
    assert([...counts.keys()].some((n) => n.endsWith("_acc")), `order ${k}: an accumulating kernel ran`);
    assertClose(await x0.grad!.data(), expected, 1e-5, `order ${k}`);
    x0.grad!.dispose();
    x0.grad = null;
    for (const t of [x, l]) t.dispose();
  }
  for (const t of [x0, w1, w2, g1, g2, g3]) t.dispose();
});

Deno.test("GradSum: a sum shared with another input's gradient is never written in place", async () => {
  // y = x + z passes its gradient to x and z as views of one buffer; x also feeds a projection and a norm, whose
  // gradients must be added into a new tensor, leaving z's gradient (the plain pass-through) intact.
  const [rows, inF, outF] = [4, 6, 3];
  const x0 = tensor(f32(randomNormal(rows * inF, 11)), [rows, inF]);
  const z0 = tensor(f32(randomNormal(rows * inF, 12)), [rows, inF]);
  const w = tensor(f32(randomNormal(outF * inF, 13)), [outF, inF]);
  const nw = tensor(new Float32Array(inF).fill(1), [inF]);
  x0.requiresGrad = true;
  z0.requiresGrad = true;
  const x = scale(x0, 1);
  const z = scale(z0, 1);
  const loss = add(add(sum(linear(x, w)), sum(rmsNorm(x, nw))), sum(add(x, z)));
  backward(loss);
  assertEquals(await z0.grad!.data(), new Float32Array(rows * inF).fill(1));
  // x's gradient: 1 (pass-through) + Σ_o W[o, i] + the norm's, checked against the same graph without the pass-through
  const xGrad = await x0.grad!.data();
  x0.grad!.dispose();
  x0.grad = null;
  const x2 = scale(x0, 1);
  const l2 = add(sum(linear(x2, w)), sum(rmsNorm(x2, nw)));
  backward(l2);
  const partsOnly = await x0.grad!.data();
  assertClose(xGrad, Float64Array.from(partsOnly, (v) => v + 1), 1e-6, "x's gradient");
  for (const t of [x0, z0, w, nw, x, z, loss, x2, l2]) t.dispose();
});

Deno.test("GradSum: the gradients of every chunk join into the input in one dispatch, without zeros or adds", () => {
  const x0 = tensor(f32(randomNormal(12 * 4, 21)), [12, 4]);
  x0.requiresGrad = true;
  for (const used of [12, 11]) {
    const x = scale(x0, 1);
    const parts = chunk(x, 0, 12);
    let loss = sum(scale(parts[0], 1));
    for (let c = 1; c < used; c++) loss = add(loss, sum(scale(parts[c], c + 1)));
    const counts = dispatchesOf(() => backward(loss));
    if (used === 12) {
      assertEquals(counts.get("unchunk_x12"), 1, JSON.stringify([...counts]));
      assertEquals(counts.get("fill"), 1, "only the loss's seed is filled");
      assertEquals(counts.get("axis_add") ?? 0, 0);
      assertEquals(counts.get("axis_copy") ?? 0, 0);
    } else {
      // one chunk unused: the parts do not cover x, so they are scattered into zeros (values: the chunk test)
      assertEquals(counts.get("unchunk_x12") ?? 0, 0);
    }
    x0.grad!.dispose();
    x0.grad = null;
    for (const t of [x, loss, ...parts]) t.dispose();
  }
  x0.dispose();
});

Deno.test("GradSum: held and joined partials are freed by dispose, and finish owns nothing afterwards", () => {
  let disposed = 0;
  const fake = (join?: PartialGrad["join"]): PartialGrad => ({
    materialize: () => tensor(new Float32Array(4), [4]),
    addInto: () => {},
    dispose: () => void disposed++,
    join,
  });
  const sum = new GradSum([4]);
  sum.push(fake(), () => "test"); // held: nothing to add it into yet
  sum.push(fake({ key: {}, combine: () => null }), () => "test");
  assertEquals(disposed, 0);
  sum.dispose();
  assertEquals(disposed, 2);
  const leaf = new GradSum([4], false); // a leaf's sum holds nothing back
  leaf.push(fake(), () => "test");
  assertEquals(disposed, 3);
  const g = leaf.finish();
  assert(g !== null);
  assertEquals(leaf.finish(), null);
  g.dispose();
});

Deno.test("GradSum: a norm's input gradient is added into the residual's in place by the norm's own kernel", async () => {
  const [rows, D] = [5, 33];
  const x0 = tensor(f32(randomNormal(rows * D, 31)), [rows, D]);
  const w = tensor(f32(randomNormal(D, 32)), [D]);
  const g = tensor(f32(randomNormal(rows * D, 33)), [rows, D]);
  const g3 = f32(randomNormal(rows * D, 34));
  const r = tensor(g3, [rows, D]);
  x0.requiresGrad = true;
  const gradOf = async (withResidual: boolean) => {
    const x = scale(x0, 1);
    const normed = sum(mul(rmsNorm(x, w), g));
    const loss = withResidual ? add(normed, sum(mul(x, r))) : normed;
    const counts = dispatchesOf(() => backward(loss));
    const out = await x0.grad!.data();
    x0.grad!.dispose();
    x0.grad = null;
    for (const t of [x, normed, loss]) t.dispose();
    return { out, counts };
  };
  const alone = await gradOf(false);
  const both = await gradOf(true);
  assertEquals(both.counts.get("rmsnorm_grad_x_acc"), 1, JSON.stringify([...both.counts]));
  assertEquals(both.counts.get("binary_add") ?? 0, 0);
  assertClose(both.out, Float64Array.from(alone.out, (v, i) => v + g3[i]), 1e-6, "norm + residual");
  for (const t of [x0, w, g, r]) t.dispose();
});

Deno.test("GradSum: a residual dropout's gradient reaches the projection before it unmasked, with the same bits", async () => {
  // h + dropout(linear(c, W)): c's gradient is (mask ⊙ g)·W, with the mask applied by the product kernel as it reads g
  // (no dropout dispatch) when W is frozen, and a masked copy for W's own gradient when W trains.
  const [rows, inF, outF] = [9, 7, 33];
  const c0 = tensor(f32(randomNormal(rows * inF, 41)), [3, 3, inF]);
  const h = tensor(f32(randomNormal(rows * outF, 42)), [3, 3, outF]);
  const w = tensor(f32(randomNormal(outF * inF, 43)), [outF, inF]);
  const nw = tensor(new Float32Array(outF).fill(1), [outF]);
  const g = tensor(f32(randomNormal(rows * outF, 44)), [3, 3, outF]);
  c0.requiresGrad = true;
  const gradOf = async (fused: boolean, trainW: boolean) => {
    w.requiresGrad = trainW;
    const c = scale(c0, 1);
    const branch = linear(c, w);
    const out = fused
      ? residualRmsNorm(h, branch, nw, { dropout: { p: 0.4, seed: 3 } }).normed
      : rmsNorm(add(h, dropout(branch, 0.4, 3)), nw);
    const loss = sum(mul(out, g));
    const counts = dispatchesOf(() => backward(loss));
    const grads = [await c0.grad!.data(), trainW ? await w.grad!.data() : null];
    for (const t of [c0, w]) {
      t.grad?.dispose();
      t.grad = null;
    }
    for (const t of [c, branch, out, loss]) t.dispose();
    return { grads, counts };
  };
  for (const trainW of [false, true]) {
    const fused = await gradOf(true, trainW);
    const plain = await gradOf(false, trainW);
    assertEquals(fused.grads, plain.grads, `W ${trainW ? "trained" : "frozen"}`);
    assertEquals(fused.counts.get("dropout") ?? 0, trainW ? 1 : 0, JSON.stringify([...fused.counts]));
    assert([...fused.counts.keys()].some((n) => n.includes("_maskA")), "a masked product ran");
  }
  w.requiresGrad = false;
  for (const t of [c0, h, w, nw, g]) t.dispose();
});

Deno.test("GradSum: a masked gradient summed with others is masked and added in one dispatch, with the same bits", async () => {
  const n = 37;
  const x0 = tensor(f32(randomNormal(n, 51)), [n]);
  const h = tensor(f32(randomNormal(n, 52)), [n]);
  const g = tensor(f32(randomNormal(n, 53)), [n]);
  x0.requiresGrad = true;
  const gradOf = async (fused: boolean) => {
    const x = scale(x0, 1);
    const residual = fused ? dropoutAdd(h, x, 0.5, 9) : add(h, dropout(x, 0.5, 9));
    // x's other use is computed last: its plain gradient arrives first and the masked one is added into it
    const loss = add(sum(residual), sum(mul(x, g)));
    const counts = dispatchesOf(() => backward(loss));
    const grad = await x0.grad!.data();
    x0.grad!.dispose();
    x0.grad = null;
    for (const t of [x, residual, loss]) t.dispose();
    return { grad, counts };
  };
  const fused = await gradOf(true);
  assertEquals(fused.grad, (await gradOf(false)).grad);
  assertEquals(fused.counts.get("dropout_add_into"), 1, JSON.stringify([...fused.counts]));
  assertEquals(fused.counts.get("binary_add") ?? 0, 0);
  for (const t of [x0, h, g]) t.dispose();
});
