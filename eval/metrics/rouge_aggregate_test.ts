import { assert, assertEquals, assertMatch, assertNotEquals, assertThrows } from "@std/assert";
import { bootstrapAggregate, meanScore, percentileSorted } from "./rouge_aggregate.ts";

Deno.test("meanScore averages each field", () => {
  assertEquals(
    meanScore([{ precision: 1, recall: 0.5, fmeasure: 0.25 }, { precision: 0, recall: 0.5, fmeasure: 0.75 }]),
    { precision: 0.5, recall: 0.5, fmeasure: 0.5 },
  );
  assertMatch(assertThrows(() => meanScore([]), Error).message, /no scores/);
});

Deno.test("percentileSorted is numpy's linear percentile", () => {
  // numpy: percentile([1,2,3,4], 50) = 2.5, (…, 25) = 1.75; percentile(1..10, 2.5) = 1.225; ([0, 10], 97.5) = 9.75
  assertEquals(percentileSorted([1, 2, 3, 4], 50), 2.5);
  assertEquals(percentileSorted([1, 2, 3, 4], 25), 1.75);
  assert(Math.abs(percentileSorted([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 2.5) - 1.225) < 1e-12);
  assertEquals(percentileSorted([0, 10], 97.5), 9.75);
  assertEquals(percentileSorted([7], 50), 7);
});

Deno.test("bootstrap: mid ≈ mean, low ≤ mid ≤ high, seeded and deterministic", () => {
  const scores = Array.from({ length: 100 }, (_, i) => {
    const f = i % 2;
    return { precision: f, recall: f, fmeasure: f };
  });
  const a = bootstrapAggregate(scores, { seed: 1 });
  // Mean 0.5, standard error of the mean 0.05: the median of 1000 resampled means is within ~0.005 of 0.5, and the
  // 2.5/97.5 percentiles near 0.5 ∓ 1.96·0.05.
  assert(Math.abs(a.mid.fmeasure - 0.5) < 0.015, `mid ${a.mid.fmeasure}`);
  assert(Math.abs(a.low.fmeasure - 0.402) < 0.03 && Math.abs(a.high.fmeasure - 0.598) < 0.03, JSON.stringify(a));
  assert(a.low.fmeasure <= a.mid.fmeasure && a.mid.fmeasure <= a.high.fmeasure);
  assertEquals(bootstrapAggregate(scores, { seed: 1 }), a);
  // 0/1 scores give means on a 0.01 grid, where two seeds can agree; continuous scores show the seed matters.
  const varied = Array.from({ length: 50 }, (_, i) => ({ precision: 0, recall: 0, fmeasure: Math.sqrt(i / 49) }));
  assertNotEquals(bootstrapAggregate(varied, { seed: 1 }).mid, bootstrapAggregate(varied, { seed: 2 }).mid);
  const constant = bootstrapAggregate([{ precision: 0.3, recall: 0.6, fmeasure: 0.4 }], { samples: 10 });
  assertEquals(constant.low, constant.high);
  assertEquals(constant.mid.recall, 0.6);
  assertMatch(assertThrows(() => bootstrapAggregate([]), Error).message, /no scores/);
  assertMatch(assertThrows(() => bootstrapAggregate(scores, { samples: 0 }), Error).message, /samples/);
});
