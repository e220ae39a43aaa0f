import assert from "node:assert/strict";
import { linearWarmupDecay } from "./schedule.ts";

Deno.test("linearWarmupDecay: the paper's GLUE schedule (500 warmup, 65,536 steps, 3e-4)", () => {
  const lr = linearWarmupDecay({ warmupSteps: 500, totalSteps: 65_536, peakLr: 3e-4 });
  assert.equal(lr(0), 0, "the first optimiser step uses lr 0, as the HF Trainer does");
  assert.equal(lr(1), 3e-4 / 500);
  assert.equal(lr(250), 1.5e-4);
  assert.equal(lr(500), 3e-4, "peak at the end of warmup");
  // halfway through the decay
  assert.ok(Math.abs(lr(500 + (65_536 - 500) / 2) - 1.5e-4) < 1e-15);
  assert.equal(lr(65_535), 3e-4 / (65_536 - 500));
  assert.equal(lr(65_536), 0);
  assert.equal(lr(70_000), 0, "never negative after the end");
  for (let s = 1; s < 65_536; s += 97) {
    const [a, b] = [lr(s - 1), lr(s)];
    if (s <= 500) assert.ok(b > a, `increasing during warmup at ${s}`);
    else assert.ok(b < a, `decreasing after warmup at ${s}`);
  }
});

Deno.test("linearWarmupDecay: no warmup starts at the peak; bad options name the field", () => {
  const lr = linearWarmupDecay({ warmupSteps: 0, totalSteps: 10, peakLr: 1 });
  assert.deepEqual([0, 1, 5, 10].map(lr), [1, 0.9, 0.5, 0]);
  assert.throws(() => linearWarmupDecay({ warmupSteps: -1, totalSteps: 10, peakLr: 1 }), /warmupSteps/);
  assert.throws(() => linearWarmupDecay({ warmupSteps: 1, totalSteps: 0, peakLr: 1 }), /totalSteps/);
  assert.throws(() => linearWarmupDecay({ warmupSteps: 1, totalSteps: 10, peakLr: NaN }), /peakLr/);
  assert.throws(() => lr(1.5), /step must be an integer ≥ 0, got 1.5/);
});
