import { assertEquals, assertMatch, assertNotStrictEquals, assertStrictEquals, assertThrows } from "@std/assert";
import { backward } from "../autograd.ts";
import { getEngine, initEngine } from "../engine.ts";
import { add } from "../ops/elementwise.ts";
import { refClipGradNorm } from "../reference/optim.ts";
import { scope } from "../scope.ts";
import { type Tensor, tensor } from "../tensor.ts";
import { assertClose, randomNormal } from "../testing.ts";
import { clipGradFactor, clipGradNorm, sumSquaresTensorsPerDispatch } from "./clip.ts";
import { CLIP_FACTOR_KERNEL, partialGroups, SUM_SQUARES_PARTIAL_KERNEL } from "@hyperdecoders/kernels";
import { launch } from "../launch.ts";
import { empty } from "../tensor.ts";

await initEngine();

const SIZES = [1, 7, 33, 65, 257, 300_001];

function withGrads(sizes: number[], seed: number, std: number): { params: Tensor[]; grads: Float32Array[] } {
  const grads = sizes.map((n, k) => Float32Array.from(randomNormal(n, seed + k, std)));
  const params = sizes.map((n, k) => {
    const p = tensor(new Float32Array(n), [n]).asParameter(`p${k}`);
    p.grad = tensor(grads[k], [n]);
    return p;
  });
  return { params, grads };
}

for (const [label, std, maxNorm] of [["clipped", 1, 1.0], ["below the limit", 1e-3, 5.0]] as const) {
  Deno.test(`clipGradNorm (${label}): norm and scaled gradients match torch's rule in float64`, async () => {
    const { params, grads } = withGrads(SIZES, 5, std);
    const expected = refClipGradNorm(grads, maxNorm);
    assertStrictEquals(expected.norm > maxNorm, label === "clipped", "the case exercises the intended branch");
    const readbacks = getEngine().recorder.stats.readbacks;
    const norm = clipGradNorm(params, maxNorm);
    assertStrictEquals(getEngine().recorder.stats.readbacks, readbacks, "clipping reads nothing back");
    assertEquals(norm.shape, [1]);
    assertClose([await norm.item()], [expected.norm], 1e-5, "norm");
    for (let k = 0; k < params.length; k++) {
      assertClose(await params[k].grad!.data(), expected.clipped[k], 1e-5, `gradient of ${SIZES[k]} elements`);
    }
    norm.dispose();
    for (const p of params) p.dispose();
  });
}

Deno.test("clipGradNorm: parameters without gradients are skipped; no gradients gives a zero norm", async () => {
  const { params, grads } = withGrads([33, 65], 9, 1);
  const bare = tensor(new Float32Array(4), [4]).asParameter("bare");
  const norm = clipGradNorm([params[0], bare, params[1]], 0.5);
  const expected = refClipGradNorm(grads, 0.5);
  assertClose([await norm.item()], [expected.norm], 1e-5);
  assertEquals(bare.grad, null);
  const none = clipGradNorm([bare], 1);
  assertEquals(await none.item(), 0);
  assertMatch(
    assertThrows(() => clipGradNorm(params, 0), Error).message,
    /clipGradNorm: maxNorm must be a finite number > 0, got 0/,
  );
  for (const t of [norm, none, bare, ...params]) t.dispose();
});

Deno.test("backward gives leaves their own gradient storage, so clipping in place scales each once", async () => {
  // add(a, b) passes its output gradient straight through to both inputs: before the fix a.grad and b.grad were
  // views of one buffer, and clipping (or any in-place update of a gradient) hit it twice.
  const a = tensor([1, 2, 3], [3]).asParameter("a");
  const b = tensor([4, 5, 6], [3]).asParameter("b");
  const g = [3, 0, 4];
  scope(() => backward(add(a, b), tensor(g, [3])));
  assertNotStrictEquals(a.grad!.buffer, b.grad!.buffer, "a.grad and b.grad share storage");
  const norm = clipGradNorm([a, b], 1);
  const expected = refClipGradNorm([g, g], 1);
  assertClose([await norm.item()], [expected.norm], 1e-6, "norm");
  assertClose(await a.grad!.data(), expected.clipped[0], 1e-6, "a.grad");
  assertClose(await b.grad!.data(), expected.clipped[1], 1e-6, "b.grad");
  for (const t of [norm, a, b]) t.dispose();
});

for (const [label, std, maxNorm] of [["clipped", 1, 1.0], ["below the limit", 1e-3, 5.0]] as const) {
  Deno.test(`clipGradFactor (${label}): norm and factor match torch's rule; gradients are left unchanged`, async () => {
    const { params, grads } = withGrads(SIZES, 13, std);
    const expected = refClipGradNorm(grads, maxNorm);
    assertStrictEquals(expected.norm > maxNorm, label === "clipped", "the case exercises the intended branch");
    const engine = getEngine();
    const dispatches = engine.recorder.stats.dispatches;
    const { norm, factor } = clipGradFactor(params, maxNorm);
    assertStrictEquals(
      engine.recorder.stats.dispatches - dispatches,
      Math.ceil(params.length / sumSquaresTensorsPerDispatch()) + 1,
      "grouped partial sums and one reduction",
    );
    assertClose([await norm.item()], [expected.norm], 1e-5, "norm");
    assertClose([await factor.item()], [Math.min(1, maxNorm / (expected.norm + 1e-6))], 1e-5, "factor");
    for (let k = 0; k < params.length; k++) assertEquals(await params[k].grad!.data(), grads[k]);
    for (const t of [norm, factor, ...params]) t.dispose();
  });
}

Deno.test("clipGradFactor: no gradients gives norm 0 and factor 1; bad maxNorm is an error", async () => {
  const bare = tensor(new Float32Array(4), [4]).asParameter("bare");
  const { norm, factor } = clipGradFactor([bare], 1);
  assertEquals(await norm.item(), 0);
  assertEquals(await factor.item(), 1);
  assertMatch(
    assertThrows(() => clipGradFactor([bare], -1), Error).message,
    /clipGradFactor: maxNorm must be a finite number > 0, got -1/,
  );
  for (const t of [norm, factor, bare]) t.dispose();
});

Deno.test("clipGradFactor: many gradients per partial-sum dispatch give the bits of one dispatch per gradient", async () => {
  const sizes = Array.from({ length: 2 * sumSquaresTensorsPerDispatch() + 3 }, (_, k) => SIZES[k % SIZES.length]);
  const { params } = withGrads(sizes, 40, 1);
  const engine = getEngine();
  const d0 = engine.recorder.stats.dispatches;
  const { norm, factor } = clipGradFactor(params, 1);
  assertStrictEquals(
    engine.recorder.stats.dispatches - d0,
    Math.ceil(sizes.length / sumSquaresTensorsPerDispatch()) + 1,
  );
  // the one-gradient-per-dispatch path, by hand
  const groups = sizes.map(partialGroups);
  const partials = empty([groups.reduce((a, b) => a + b, 0)]);
  let offset = 0;
  params.forEach((p, k) => {
    launch(SUM_SQUARES_PARTIAL_KERNEL, [p.grad!, partials], [p.size, offset], [groups[k], 1, 1]);
    offset += groups[k];
  });
  const [norm1, factor1] = [empty([1]), empty([1])];
  launch(CLIP_FACTOR_KERNEL, [partials, norm1, factor1], [partials.size, 1], [1, 1, 1]);
  assertEquals(await norm.data(), await norm1.data());
  assertEquals(await factor.data(), await factor1.data());
  for (const t of [norm, factor, partials, norm1, factor1, ...params]) t.dispose();
});
