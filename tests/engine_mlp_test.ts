/**
 * System test of the engine: a 2-layer MLP trained with autograd, gradient clipping, AdamW and a warmup/decay
 * schedule fits a small regression to near-zero loss, without leaking GPU memory and with a bounded number of
 * submits per step.
 */
import { assert, assertStrictEquals } from "@std/assert";
import { backward } from "../core/autograd.ts";
import { getEngine, initEngine, liveBytes } from "../core/engine.ts";
import { add, square, sub, tanh } from "../core/ops/elementwise.ts";
import { matmul } from "../core/ops/matmul.ts";
import { mean } from "../core/ops/reduce.ts";
import { AdamW } from "../core/optim/adamw.ts";
import { clipGradNorm } from "../core/optim/clip.ts";
import { linearWarmupDecay } from "../core/optim/schedule.ts";
import { scope } from "../core/scope.ts";
import { type Tensor, tensor } from "../core/tensor.ts";
import { randomNormal, randomUniform } from "../core/testing.ts";

await initEngine();

const N = 64;
const D_IN = 4;
const HIDDEN = 32;
const STEPS = 600;
const READ_EVERY = 50;

/** Targets from a random teacher MLP (4 → 6 → 1, tanh) in float64, so the student can fit them exactly. */
function teacherData(): { x: Float32Array; y: Float32Array } {
  const x = Float32Array.from(randomUniform(N * D_IN, 1, -1.5, 1.5));
  const w1 = randomNormal(D_IN * 6, 2);
  const w2 = randomNormal(6, 3);
  const y = new Float32Array(N);
  for (let i = 0; i < N; i++) {
    let out = 0.1;
    for (let j = 0; j < 6; j++) {
      let h = 0;
      for (let k = 0; k < D_IN; k++) h += x[i * D_IN + k] * w1[k * 6 + j];
      out += Math.tanh(h) * w2[j];
    }
    y[i] = out;
  }
  return { x, y };
}

Deno.test("engine: a 2-layer MLP trains to near-zero loss with no leak and a bounded number of submits", async () => {
  const engine = getEngine();
  const stats = engine.recorder.stats;
  const { x: xData, y: yData } = teacherData();
  const x = tensor(xData, [N, D_IN]);
  const y = tensor(yData, [N, 1]);
  const w1 = tensor(Float32Array.from(randomNormal(D_IN * HIDDEN, 4, 0.5)), [D_IN, HIDDEN]).asParameter("w1");
  const b1 = tensor(new Float32Array(HIDDEN), [HIDDEN]).asParameter("b1");
  const w2 = tensor(Float32Array.from(randomNormal(HIDDEN, 5, 0.2)), [HIDDEN, 1]).asParameter("w2");
  const b2 = tensor(new Float32Array(1), [1]).asParameter("b2");
  const params = [w1, b1, w2, b2];
  const opt = new AdamW(params);
  const schedule = linearWarmupDecay({ warmupSteps: 20, totalSteps: STEPS, peakLr: 5e-2 });

  const losses: number[] = [];
  let liveAfterFirst = -1;
  let buffersAfterFirst = -1;
  for (let step = 0; step < STEPS; step++) {
    const submits = stats.submits;
    const readbacks = stats.readbacks;
    const loss: Tensor = scope(() => {
      opt.zeroGrad();
      const h = tanh(add(matmul(x, w1), b1));
      const pred = add(matmul(h, w2), b2);
      const l = mean(square(sub(pred, y)));
      backward(l);
      clipGradNorm(params, 1.0);
      opt.step(schedule(step));
      return l;
    });
    engine.flush();
    const read = step % READ_EVERY === 0 || step === STEPS - 1;
    if (read) losses.push(await loss.item());
    loss.dispose();
    assert(
      stats.submits - submits <= (read ? 2 : 1),
      `step ${step}: ${stats.submits - submits} submits (expected ≤ ${read ? 2 : 1})`,
    );
    assertStrictEquals(stats.readbacks - readbacks, read ? 1 : 0, `step ${step}: readbacks`);
    if (step === 0) {
      liveAfterFirst = liveBytes();
      buffersAfterFirst = engine.pool.buffersCreated;
    } else {
      assertStrictEquals(liveBytes(), liveAfterFirst, `step ${step}: live bytes changed since step 1 (a leak)`);
    }
  }
  // one step of warm-up can create buffers (e.g. for reading the loss); later steps reuse the pool
  assert(engine.pool.buffersCreated - buffersAfterFirst <= 2, "steady-state steps create no buffers");
  const first = losses[0];
  const last = losses[losses.length - 1];
  assert(first > 0.1, `initial loss ${first} is too small for the test to mean anything`);
  assert(last < 2e-4 * first, `loss went ${first} → ${last} (${losses.join(", ")})`);
  opt.dispose();
  for (const t of [x, y, ...params]) t.dispose();
});
