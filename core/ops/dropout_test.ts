import { assert, assertEquals, assertMatch, assertStrictEquals, assertThrows } from "@std/assert";
import { initEngine } from "../engine.ts";
import { add, mul } from "./elementwise.ts";
import { backward } from "../autograd.ts";
import { checkOp } from "../_op_check.ts";
import { refDropout, refDropoutMask } from "../reference/dropout.ts";
import { ref } from "../reference/ref_tensor.ts";
import { scope } from "../scope.ts";
import { randomNormal } from "../testing.ts";
import { tensor } from "../tensor.ts";
import { dropout, dropoutAdd, dropoutMul } from "./dropout.ts";
import { sum } from "./reduce.ts";

await initEngine();

Deno.test("dropout: forward and backward vs the reference mask on awkward sizes", async () => {
  for (const [n, p, seed] of [[1, 0.5, 3], [7, 0.1, 1], [33, 0.5, 2 ** 40 + 5], [65, 0.9, 0], [257, 0.1, 12345]]) {
    await checkOp({
      name: `dropout n=${n} p=${p} seed=${seed}`,
      inputs: [ref(randomNormal(n, n), [n])],
      gpu: ([x]) => dropout(x, p, seed),
      ref: ([x]) => refDropout(x, p, seed),
      refGrad: (_xs, g) => [refDropout(g, p, seed)],
    });
  }
});

Deno.test("dropout: kept fraction, reproducibility, seed dependence, gradient = mask·scale", async () => {
  const n = 200_003;
  const p = 0.1;
  const x = tensor(new Float32Array(n).fill(1), [n]).asParameter("x");
  const a = dropout(x, p, 42);
  const b = dropout(x, p, 42);
  const c = dropout(x, p, 43);
  const [va, vb, vc] = [await a.data(), await b.data(), await c.data()];
  assertEquals(va, vb, "same seed, same mask");
  const scale = Math.fround(1 / (1 - p));
  let kept = 0;
  let agree = 0;
  const mask = refDropoutMask(n, p, 42);
  for (let i = 0; i < n; i++) {
    assert(va[i] === 0 || va[i] === scale, `kept values are scaled by 1/(1-p): ${va[i]}`);
    assertStrictEquals(va[i] !== 0, mask[i] === 1, `GPU mask differs from the CPU hash at ${i}`);
    if (va[i] !== 0) kept++;
    if ((va[i] !== 0) === (vc[i] !== 0)) agree++;
  }
  const sigma = Math.sqrt(p * (1 - p) / n);
  assert(Math.abs(kept / n - (1 - p)) < 5 * sigma, `kept fraction ${kept / n}`);
  // independent masks agree with probability p² + (1-p)² = 0.82
  assert(Math.abs(agree / n - 0.82) < 0.01, `masks for seeds 42 and 43 agree on ${agree / n}`);
  // neighbouring elements are uncorrelated
  let both = 0;
  for (let i = 0; i + 1 < n; i++) if (mask[i] && mask[i + 1]) both++;
  assert(Math.abs(both / (n - 1) - 0.81) < 0.01, `P(kept, kept next) = ${both / (n - 1)}`);
  const g = tensor(Float32Array.from({ length: n }, (_, i) => (i % 7) - 3), [n]);
  scope(() => backward(a, g));
  const dx = await x.grad!.data();
  for (let i = 0; i < n; i++) {
    assertStrictEquals(dx[i], mask[i] ? Math.fround(((i % 7) - 3) * scale) : 0, `gradient at ${i}`);
  }
  for (const t of [x, a, b, c, g]) t.dispose();
});

Deno.test("dropout: p = 0 is the identity view, p = 1 zeros; bad p or seed throw", async () => {
  const x = tensor([1, -2, 3], [3]);
  const same = dropout(x, 0, 1);
  assertStrictEquals(same.buffer, x.buffer);
  const zeros = dropout(x, 1, 1);
  assertEquals([...(await zeros.data())], [0, 0, 0]);
  zeros.dispose();
  assertMatch(
    assertThrows(() => dropout(x, 1.5, 1), Error).message,
    /dropout: probability must be in \[0, 1\], got 1.5 \(input \[3\] f32\)/,
  );
  assertMatch(
    assertThrows(() => dropout(x, 0.1, -1), Error).message,
    /dropout: seed must be a non-negative safe integer/,
  );
  x.dispose();
  same.dispose();
});

Deno.test("dropoutAdd: the bits of add(residual, dropout(x)), forward and both gradients; broadcasting falls back", async () => {
  for (
    const [shape, p, seed] of [[[3, 7, 33], 0.1, 5], [[257], 0.5, 2 ** 40 + 1], [[1], 0.9, 0], [[5, 4], 0, 3]] as const
  ) {
    const n = (shape as readonly number[]).reduce((a, b) => a * b, 1);
    const run = (fused: boolean) => {
      const r = tensor(randomNormal(n, 1), [...shape]).asParameter("r");
      const x = tensor(randomNormal(n, 2), [...shape]).asParameter("x");
      const w = tensor(randomNormal(n, 3), [...shape]);
      const y = scope(() => {
        const y = fused ? dropoutAdd(r, x, p, seed) : add(r, dropout(x, p, seed));
        backward(sum(mul(y, w)));
        return y;
      });
      return { y, r, x, w };
    };
    const a = run(true);
    const b = run(false);
    const what = `shape ${shape} p ${p}`;
    assertEquals(await a.y.data(), await b.y.data(), `${what}: output`);
    assertEquals(await a.r.grad!.data(), await b.r.grad!.data(), `${what}: residual gradient`);
    assertEquals(await a.x.grad!.data(), await b.x.grad!.data(), `${what}: x gradient`);
    for (const t of [a.y, a.r, a.x, a.w, b.y, b.r, b.x, b.w]) t.dispose();
  }
  // a broadcast residual: the unfused ops, same values
  const r = tensor([1, 2, 3], [3]);
  const x = tensor(randomNormal(6, 9), [2, 3]);
  assertEquals(await dropoutAdd(r, x, 0.5, 7).data(), await add(r, dropout(x, 0.5, 7)).data());
});

Deno.test("dropoutMul: the bits of dropout(a · b), forward and both gradients; broadcasting falls back", async () => {
  for (const [shape, p, seed] of [[[3, 7, 33], 0.1, 5], [[257], 0.5, 2 ** 40 + 1], [[5, 4], 0, 3]] as const) {
    const n = (shape as readonly number[]).reduce((x, y) => x * y, 1);
    const run = (fused: boolean) => {
      const a = tensor(randomNormal(n, 1), [...shape]).asParameter("a");
      const b = tensor(randomNormal(n, 2), [...shape]).asParameter("b");
      const w = tensor(randomNormal(n, 3), [...shape]);
      const y = scope(() => {
        const y = fused ? dropoutMul(a, b, p, seed) : dropout(mul(a, b), p, seed);
        backward(sum(mul(y, w)));
        return y;
      });
      return { y, a, b, w };
    };
    const f = run(true);
    const u = run(false);
    const what = `shape ${shape} p ${p}`;
    assertEquals(await f.y.data(), await u.y.data(), `${what}: output`);
    assertEquals(await f.a.grad!.data(), await u.a.grad!.data(), `${what}: gradient of a`);
    assertEquals(await f.b.grad!.data(), await u.b.grad!.data(), `${what}: gradient of b`);
    for (const t of [...Object.values(f), ...Object.values(u)]) t.dispose();
  }
  const a = tensor([1, 2, 3], [3]);
  const b = tensor(randomNormal(6, 9), [2, 3]);
  assertEquals(await dropoutMul(a, b, 0.5, 7).data(), await dropout(mul(a, b), 0.5, 7).data());
});
