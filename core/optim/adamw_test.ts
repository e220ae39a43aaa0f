import { assert, assertEquals, assertMatch, assertStrictEquals, assertThrows } from "@std/assert";
import { initEngine, liveBytes } from "../engine.ts";
import { getEngine } from "../engine.ts";
import { refAdamWStep, refClipGradNorm } from "../reference/optim.ts";
import { scope } from "../scope.ts";
import { type Tensor, tensor } from "../tensor.ts";
import { assertClose, randomNormal } from "../testing.ts";
import { AdamW, type AdamWOptions, adamwParamsPerDispatch } from "./adamw.ts";
import { clipGradFactor, clipGradNorm, sumSquaresTensorsPerDispatch } from "./clip.ts";

await initEngine();

const SIZES = [1, 7, 33, 65, 257, 40_001];

interface Case {
  params: Tensor[];
  ref: { x0: Float64Array; x: Float64Array; m: Float64Array; v: Float64Array }[];
}

function makeCase(seed: number): Case {
  const params: Tensor[] = [];
  const ref = SIZES.map((n, k) => {
    const x = Float64Array.from(Float32Array.from(randomNormal(n, seed + k)));
    params.push(tensor(Float32Array.from(x), [n]).asParameter(`p${k}`));
    return { x0: Float64Array.from(Float32Array.from(x)), x, m: new Float64Array(n), v: new Float64Array(n) };
  });
  return { params, ref };
}

/** Gives every parameter a fresh gradient for step `t`, returning the float32 values the GPU sees. */
function setGrads(params: Tensor[], t: number, scale = 1): Float32Array[] {
  return params.map((p, k) => {
    // grads of mixed magnitude, some tiny, so that eps matters somewhere
    const g = Float32Array.from(randomNormal(p.size, 1000 * t + k, k === 2 ? 1e-6 : scale));
    p.grad?.dispose();
    p.grad = tensor(g, p.shape);
    return g;
  });
}

for (const variant of ["torch", "transformers"] as const) {
  Deno.test(`AdamW (${variant}): 6 steps with weight decay and a varying lr match the float64 reference`, async () => {
    const { params, ref } = makeCase(1);
    const options: AdamWOptions = { lr: 1e-2, weightDecay: 0.1, variant };
    const opt = new AdamW(params, options);
    const lrs = [1e-2, 5e-3, 2e-2, 1e-2, 0, 3e-3];
    for (let t = 1; t <= lrs.length; t++) {
      const grads = setGrads(params, t);
      opt.step(lrs[t - 1]);
      ref.forEach((r, k) =>
        refAdamWStep(r.x, grads[k], r.m, r.v, t, {
          lr: lrs[t - 1],
          betas: [0.9, 0.999],
          eps: 1e-8,
          weightDecay: 0.1,
          variant,
        })
      );
    }
    assertStrictEquals(opt.stepCount, lrs.length);
    for (let k = 0; k < params.length; k++) {
      const x = await params[k].data();
      assertClose(x, ref[k].x, 1e-5, `${variant} parameter of ${SIZES[k]} elements`);
      // the change alone, so that errors small next to the parameter but not next to the update show
      const { x0 } = ref[k];
      assertClose(x.map((xi, i) => xi - x0[i]), ref[k].x.map((xi, i) => xi - x0[i]), 1e-4, `${variant} update`);
    }
    const state = await opt.state();
    for (let k = 0; k < params.length; k++) {
      assertClose(state.m[`p${k}`], ref[k].m, 1e-5, `m of ${SIZES[k]}`);
      assertClose(state.v[`p${k}`], ref[k].v, 1e-5, `v of ${SIZES[k]}`);
    }
    opt.dispose();
    for (const p of params) p.dispose();
  });
}

Deno.test("AdamW: the two variants differ only where eps matters when weight decay is 0", async () => {
  const run = async (variant: "torch" | "transformers", gradScale: number) => {
    const p = tensor([0.5, -0.25, 1], [3]).asParameter("w");
    const opt = new AdamW([p], { lr: 0.1, variant });
    p.grad = tensor([gradScale, -gradScale, 2 * gradScale], [3]);
    opt.step();
    const out = await p.data();
    opt.dispose();
    p.dispose();
    return out;
  };
  // large gradients: eps is negligible and the variants agree
  assertClose(await run("transformers", 1), await run("torch", 1), 1e-6);
  // gradients near eps: √v̂ vs √v differ by √bc2 ≈ 0.03 at step 1, so the eps term differs visibly
  const a = await run("torch", 1e-7);
  const b = await run("transformers", 1e-7);
  assert(Math.abs(a[0] - b[0]) > 1e-3, `variants agree unexpectedly: ${a[0]} vs ${b[0]}`);
});

Deno.test("AdamW: state() / loadState() round-trip continues the trajectory exactly", async () => {
  const a = makeCase(7);
  const optA = new AdamW(a.params, { lr: 1e-2 });
  for (let t = 1; t <= 3; t++) {
    setGrads(a.params, t);
    optA.step();
  }
  const saved = await optA.state();
  assertEquals(saved.step, 3);
  // a second model with the same parameter values and the loaded state
  const bParams = await Promise.all(
    a.params.map(async (p) => tensor((await p.data()) as Float32Array, p.shape).asParameter(p.name)),
  );
  const optB = new AdamW(bParams, { lr: 1e-2 });
  optB.loadState(saved);
  assertEquals(optB.stepCount, 3);
  for (let t = 4; t <= 5; t++) {
    setGrads(a.params, t);
    setGrads(bParams, t);
    optA.step();
    optB.step();
  }
  for (let k = 0; k < SIZES.length; k++) {
    assertEquals(await bParams[k].data(), await a.params[k].data(), `parameter ${k} after reload`);
  }
  // a fresh optimiser (no state) would diverge, so the comparison above can fail
  const cParams = [tensor((await bParams[5].data()) as Float32Array, [SIZES[5]]).asParameter("p5")];
  assertMatch(
    assertThrows(() => optB.loadState({ step: 1, m: { nope: new Float32Array(1) }, v: {} }), Error).message,
    /"nope"/,
  );
  assertMatch(
    assertThrows(
      () => new AdamW(cParams).loadState({ step: 1, m: { p5: new Float32Array(3) }, v: { p5: new Float32Array(3) } }),
      Error,
    )
      .message,
    /m\["p5"\] has 3 values; parameter p5 \[40001\] f32 needs 40001/,
  );
  for (const t of [...a.params, ...bParams, ...cParams]) t.dispose();
  optA.dispose();
  optB.dispose();
});

Deno.test("AdamW: moments survive scopes; later steps upload nothing, create no buffers and do not submit", () => {
  const engine = getEngine();
  const { params } = makeCase(3);
  const opt = new AdamW(params);
  setGrads(params, 1);
  scope(() => opt.step(1e-3));
  engine.flush();
  const live = liveBytes();
  const created = engine.pool.buffersCreated;
  const submits = engine.recorder.stats.submits;
  const dispatches = engine.recorder.stats.dispatches;
  scope(() => opt.step(2e-3));
  const perStep = Math.ceil(params.length / adamwParamsPerDispatch(false));
  assertStrictEquals(engine.recorder.stats.dispatches - dispatches, perStep, "one dispatch per group of parameters");
  assertStrictEquals(engine.recorder.stats.submits, submits, "a step does not submit on its own");
  assertStrictEquals(engine.pool.buffersCreated, created, "no buffer created");
  assertStrictEquals(liveBytes(), live, "moments are still alive after the scope and nothing new is");
  opt.zeroGrad();
  assert(params.every((p) => p.grad === null));
  assert(liveBytes() < live);
  opt.step(); // no gradients: nothing to do
  assertStrictEquals(engine.recorder.stats.dispatches - dispatches, perStep);
  opt.dispose();
  for (const p of params) p.dispose();
});

Deno.test("AdamW: bad options and mismatched gradients are errors that say what is wrong", () => {
  const p = tensor([1, 2], [2]).asParameter("w");
  const q = tensor([1, 2], [2], "i32");
  assertMatch(
    assertThrows(() => new AdamW([p], { betas: [1, 0.999] }), Error).message,
    /AdamW: betas must lie in \[0, 1\)/,
  );
  assertMatch(assertThrows(() => new AdamW([p, p]), Error).message, /listed twice/);
  assertMatch(assertThrows(() => new AdamW([q]), Error).message, /AdamW: parameter param0 must be f32, got \[2\] i32/);
  const opt = new AdamW([p]);
  assertMatch(assertThrows(() => opt.step(NaN), Error).message, /learning rate must be a finite number/);
  p.grad = tensor([1, 2, 3], [3]);
  assertMatch(
    assertThrows(() => opt.step(), Error).message,
    /AdamW: gradient \[3\] f32 does not match parameter w w \[2\] f32/,
  );
  p.dispose();
  q.dispose();
  opt.dispose();
});

Deno.test("AdamW: clipping fused into the update (gradScale) equals clipGradNorm + step, one dispatch less each", async () => {
  const engine = getEngine();
  const a = makeCase(11);
  const b = makeCase(11);
  const options: AdamWOptions = { lr: 1e-2, weightDecay: 0.1 };
  const optA = new AdamW(a.params, options);
  const optB = new AdamW(b.params, options);
  const maxNorm = 50;
  // std 0.1 gives a norm of ≈ 20 (below the limit), std 1 ≈ 200 (clipped): both branches of the factor
  const stds = [1, 0.1, 1, 1, 0.1];
  let clipped = 0;
  for (let t = 1; t <= stds.length; t++) {
    const grads = setGrads(a.params, t, stds[t - 1]);
    setGrads(b.params, t, stds[t - 1]);
    const expected = refClipGradNorm(grads, maxNorm);
    if (expected.norm > maxNorm) clipped++;
    let d0 = engine.recorder.stats.dispatches;
    scope(() => {
      clipGradNorm(a.params, maxNorm);
      optA.step();
    });
    const unfused = engine.recorder.stats.dispatches - d0;
    d0 = engine.recorder.stats.dispatches;
    const gradsB = await Promise.all(b.params.map((p) => p.grad!.data()));
    const norm = scope(() => {
      const clip = clipGradFactor(b.params, maxNorm);
      optB.step(undefined, { gradScale: clip.factor });
      return clip.norm;
    });
    const fused = engine.recorder.stats.dispatches - d0;
    if (t > 1) { // the first step also zero-fills the moments
      const n = b.params.length;
      const groups = Math.ceil(n / sumSquaresTensorsPerDispatch()) + Math.ceil(n / adamwParamsPerDispatch(false));
      assertStrictEquals(
        unfused,
        groups + 1 + n,
        "unfused: grouped partial sums, norm, a scale per parameter, grouped update",
      );
      const fusedGroups = Math.ceil(n / adamwParamsPerDispatch(true)) - Math.ceil(n / adamwParamsPerDispatch(false));
      assertStrictEquals(unfused - fused, n - fusedGroups, "fusing removes the per-parameter scale dispatches");
    }
    assertClose([await norm.item()], [expected.norm], 1e-5, `norm at step ${t}`);
    norm.dispose();
    for (let k = 0; k < SIZES.length; k++) {
      assertEquals(await b.params[k].grad!.data(), gradsB[k], "the fused path leaves the gradients unchanged");
    }
    a.ref.forEach((r, k) =>
      refAdamWStep(r.x, expected.clipped[k], r.m, r.v, t, {
        lr: 1e-2,
        betas: [0.9, 0.999],
        eps: 1e-8,
        weightDecay: 0.1,
        variant: "torch",
      })
    );
  }
  assert(clipped > 0 && clipped < stds.length, `both branches exercised (${clipped} of ${stds.length} clipped)`);
  const stateA = await optA.state();
  const stateB = await optB.state();
  for (let k = 0; k < SIZES.length; k++) {
    const xa = await a.params[k].data();
    const xb = await b.params[k].data();
    // the same f32 operations in both paths: equal to float32 rounding (in practice bit for bit)
    assertClose(xb, xa, 1e-6, `fused vs unfused parameter of ${SIZES[k]} elements`);
    assertClose(stateB.m[`p${k}`], stateA.m[`p${k}`], 1e-6, `fused vs unfused m of ${SIZES[k]}`);
    assertClose(stateB.v[`p${k}`], stateA.v[`p${k}`], 1e-6, `fused vs unfused v of ${SIZES[k]}`);
    assertClose(xb, a.ref[k].x, 1e-5, `fused parameter of ${SIZES[k]} vs float64 reference`);
    const { x0 } = a.ref[k];
    assertClose(xb.map((xi, i) => xi - x0[i]), a.ref[k].x.map((xi, i) => xi - x0[i]), 1e-4, "fused update");
  }
  assertMatch(
    assertThrows(() => optB.step(1e-3, { gradScale: b.params[1] }), Error).message,
    /AdamW.step: gradScale must be a one-element f32 tensor, got p1 \[7\] f32/,
  );
  optA.dispose();
  optB.dispose();
  for (const t of [...a.params, ...b.params]) t.dispose();
});

Deno.test("AdamW: many parameters per dispatch give the same bits as one dispatch per parameter", async () => {
  const engine = getEngine();
  // more parameters than one dispatch takes, awkward sizes, both variants, with and without a gradient scale
  const sizes = Array.from({ length: 2 * adamwParamsPerDispatch(false) + 3 }, (_, k) => [1, 7, 33, 257, 1025][k % 5]);
  for (const variant of ["torch", "transformers"] as const) {
    const make = () => sizes.map((n, k) => tensor(randomNormal(n, 100 + k), [n]).asParameter(`w${k}`));
    const together = make();
    const apart = make();
    const options: AdamWOptions = { lr: 1e-2, weightDecay: 0.01, variant };
    const optTogether = new AdamW(together, options);
    const optApart = apart.map((p) => new AdamW([p], options));
    const scale = tensor([0.37], [1]);
    for (let t = 1; t <= 3; t++) {
      for (const ps of [together, apart]) {
        ps.forEach((p, k) => (p.grad = tensor(randomNormal(p.size, 1000 * t + k), p.shape)));
      }
      const gradScale = t === 2 ? scale : undefined;
      const d0 = engine.recorder.stats.dispatches;
      optTogether.step(undefined, { gradScale });
      if (t > 1) {
        const per = adamwParamsPerDispatch(gradScale !== undefined);
        assertStrictEquals(engine.recorder.stats.dispatches - d0, Math.ceil(sizes.length / per));
      }
      for (const o of optApart) o.step(undefined, { gradScale });
      for (const p of [...together, ...apart]) p.grad!.dispose();
    }
    for (let k = 0; k < sizes.length; k++) {
      assertEquals(await together[k].data(), await apart[k].data(), `${variant}: parameter ${k} (${sizes[k]})`);
    }
    const [sa, sb] = [await optTogether.state(), await optApart[1].state()];
    assertEquals(sa.m.w1, sb.m.w1);
    assertEquals(sa.v.w1, sb.v.w1);
    scale.dispose();
    optTogether.dispose();
    for (const o of optApart) o.dispose();
    for (const p of [...together, ...apart]) p.dispose();
  }
  assert(sumSquaresTensorsPerDispatch() >= 1);
});
