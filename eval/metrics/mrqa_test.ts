import { assert, assertEquals, assertMatch, assertThrows } from "@std/assert";
import { aggregateChunkPredictions, scoreMrqa } from "./mrqa.ts";

Deno.test("aggregation keeps the most likely non-empty chunk answer per question", () => {
  const answers = aggregateChunkPredictions([
    { id: "q1", prediction: "", score: 0.05 }, // empty answers never win, however likely
    { id: "q2", prediction: "", score: 0.3 },
    { id: "q1", prediction: "Paris", score: 1.2 },
    { id: "q1", prediction: "Lyon", score: 0.9 }, // lowest NLL among non-empty
    { id: "q3", prediction: "first", score: 0.5 },
    { id: "q3", prediction: "second", score: 0.5 }, // ties keep the earlier chunk
    { id: "q2", prediction: "", score: 0.1 },
  ]);
  assertEquals([...answers], [["q1", "Lyon"], ["q2", ""], ["q3", "first"]]);
  assertMatch(
    assertThrows(() => aggregateChunkPredictions([{ id: "q", prediction: "a", score: NaN }]), Error).message,
    /NaN score/,
  );
});

Deno.test("scoreMrqa: max over gold answers, ×100, and the missing-prediction policies", () => {
  const gold = { q1: ["Lyon", "city of Lyon"], q2: ["blue"], q3: ["a red car"] };
  const preds = new Map([["q1", "the city of Lyon"], ["q2", "Blue."], ["q4", "ignored"]]);
  // q1: EM 1 with "city of Lyon"; q2: EM 1; q3 missing
  const zero = scoreMrqa(preds, gold);
  assertEquals(zero.count, 3);
  assert(Math.abs(zero.em - 200 / 3) < 1e-12 && Math.abs(zero.f1 - 200 / 3) < 1e-12, JSON.stringify(zero));
  const skip = scoreMrqa(preds, gold, { missing: "skip" });
  assertEquals(skip, { em: 100, f1: 100, count: 2 });
  assertMatch(
    assertThrows(() => scoreMrqa(preds, gold, { missing: "error" }), Error).message,
    /question q3 has no prediction/,
  );
  // F1 partial credit: "red car" vs "a red car" → identical after normalisation; "red bike" → 1 of 2 tokens each way.
  const partial = scoreMrqa({ q3: "red bike" }, { q3: ["a red car"] });
  assertEquals(partial.em, 0);
  assert(Math.abs(partial.f1 - 50) < 1e-12);
  assertMatch(assertThrows(() => scoreMrqa({}, {}), Error).message, /no question to score/);
});
