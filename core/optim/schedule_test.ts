import { assert, assertEquals, assertMatch, assertStrictEquals, assertThrows } from "@std/assert";
import { linearWarmupDecay } from "./schedule.ts";

Deno.test("linearWarmupDecay: the paper's GLUE schedule (500 warmup, 65,536 steps, 3e-4)", () => {
  const lr = linearWarmupDecay({ warmupSteps: 500, totalSteps: 65_536, peakLr: 3e-4 });
  assertEquals(lr(0), 0, "the first optimiser step uses lr 0, as the HF Trainer does");
  assertStrictEquals(lr(1), 3e-4 / 500);
  assertEquals(lr(250), 1.5e-4);
  assertEquals(lr(500), 3e-4, "peak at the end of warmup");
  // halfway through the decay
  assert(Math.abs(lr(500 + (65_536 - 500) / 2) - 1.5e-4) < 1e-15);
  assertStrictEquals(lr(65_535), 3e-4 / (65_536 - 500));
  assertEquals(lr(65_536), 0);
  assertEquals(lr(70_000), 0, "never negative after the end");
  for (let s = 1; s < 65_536; s += 97) {
    const [a, b] = [lr(s - 1), lr(s)];
    if (s <= 500) assert(b > a, `increasing during warmup at ${s}`);
    else assert(b < a, `decreasing after warmup at ${s}`);
  }
});

Deno.test("linearWarmupDecay: no warmup starts at the peak; bad options name the field", () => {
  const lr = linearWarmupDecay({ warmupSteps: 0, totalSteps: 10, peakLr: 1 });
  assertEquals([0, 1, 5, 10].map(lr), [1, 0.9, 0.5, 0]);
  assertMatch(
    assertThrows(() => linearWarmupDecay({ warmupSteps: -1, totalSteps: 10, peakLr: 1 }), Error).message,
    /warmupSteps/,
  );
  assertMatch(
    assertThrows(() => linearWarmupDecay({ warmupSteps: 1, totalSteps: 0, peakLr: 1 }), Error).message,
    /totalSteps/,
  );
  assertMatch(
    assertThrows(() => linearWarmupDecay({ warmupSteps: 1, totalSteps: 10, peakLr: NaN }), Error).message,
    /peakLr/,
  );
  assertMatch(assertThrows(() => lr(1.5), Error).message, /step must be an integer ≥ 0, got 1.5/);
});
