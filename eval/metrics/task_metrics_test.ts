import { assert, assertEquals, assertMatch, assertStrictEquals, assertThrows } from "@std/assert";
import { pearson } from "./classification.ts";
import { averageScore, glueAverage, mrqaAverage, scoreTask, TASK_METRICS } from "./task_metrics.ts";

function close(actual: number, expected: number, what: string, tol = 1e-9): void {
  assert(Math.abs(actual - expected) <= tol, `${what}: ${actual} vs ${expected}`);
}

Deno.test("GLUE tasks: label strings parsed as the reference post-processors, ×100", () => {
  // CoLA: ints [1, 0, 1, −1] vs [1, 0, 0, 1]; c = 2 of 4, predicted {1:2, 0:1, −1:1}, true {1:2, 0:2}
  close(
    scoreTask("cola", ["1", "0", "1", "x"], ["1", "0", "0", "1"]).mcc,
    (100 * (2 * 4 - 6)) / Math.sqrt(10 * 8),
    "mcc",
  );
  // MRPC: [1, 0, −1, 1] vs [1, 1, 0, 1]; the invalid prediction becomes 1 (wrong): TP 2, FP 1, FN 1
  const mrpc = scoreTask("mrpc", ["1", "0", "yes", " 1 "], ["1", "1", "0", "1"]);
  close(mrpc.f1, 400 / 6, "f1");
  close(mrpc.acc, 50, "acc");
  assertEquals(Object.keys(mrpc), ["f1", "acc"]);
  close(scoreTask("sst2", ["1", "0", " 1"], ["1", "1", "1"]).acc, 200 / 3, "sst2 acc");
  assertEquals(scoreTask("mnli", ["0", "entailment"], ["0", "0"]).acc, 50);
});

Deno.test("STS-B: float parsing with −1 for garbage, Spearman on average ranks, NaN → 0", () => {
  const s = scoreTask("stsb", ["3.8", "1.0", "x", "2.5"], ["4.0", "1.2", "2.0", "2.4"]);
  close(s.pearson_corrcoef, 100 * pearson([4, 1.2, 2, 2.4], [3.8, 1, -1, 2.5]), "pearson");
  // ranks [4, 2, 1, 3] vs [4, 1, 2, 3]: Σdxdy = 4, Σdx² = Σdy² = 5
  close(s.spearman_corrcoef, 80, "spearman");
  assertEquals(scoreTask("stsb", ["2.0", "2.0", "2"], ["1.0", "3.0", "5.0"]), {
    pearson_corrcoef: 0,
    spearman_corrcoef: 0,
  });
});

Deno.test("summarisation: rouge_score with stemming, mean over examples, gen_len, sentence splitting", () => {
  // Example 1 stemmed: prediction [the cat sat] vs target [the cat sat down]: ROUGE-1/L/Lsum F = 6/7, ROUGE-2 F = 0.8.
  // Example 2 shares nothing.
  const r = scoreTask("xsum", ["the cats sat", "nothing"], ["The cat sat down.", "something else"], {
    generatedLengths: [1, 1.5],
  });
  close(r.rouge1, (100 * 6) / 7 / 2, "rouge1");
  close(r.rouge2, 40, "rouge2");
  close(r.rougeL, (100 * 6) / 7 / 2, "rougeL");
  close(r.rougeLsum, (100 * 6) / 7 / 2, "rougeLsum");
  assertEquals(r.gen_len, 1.2); // numpy rounds 1.25 half to even
  const swapped = ["Sam fed cat. Tom ate jam."], original = ["Tom ate jam. Sam fed cat."];
  // Split into sentences each target sentence is fully covered (Lsum 100); unsplit, LCS is 3 of 6 tokens.
  assertEquals(scoreTask("cnn_dailymail", swapped, original).rougeLsum, 100);
  assertEquals(scoreTask("cnn_dailymail", swapped, original, { sentenceSplitter: null }).rougeLsum, 50);
  assertEquals(scoreTask("cnn_dailymail", swapped, original).rougeL, 50);
  const boot = scoreTask("xsum", ["a b", "c d", "a d"], ["a b", "x y", "a b"], { rougeAggregation: "bootstrap" });
  assert(boot.rouge1 >= 0 && boot.rouge1 <= 100 && Math.abs(boot.rouge1 - 50) < 30, `bootstrap rouge1 ${boot.rouge1}`);
});

Deno.test("QA tasks take answer lists (or one string) and report em / f1", () => {
  assertEquals(scoreTask("SQuAD", ["Denver Broncos", "x"], [["Denver Broncos", "Broncos"], "y"]), {
    em: 50,
    f1: 50,
  });
  for (const t of ["mrqa", "squad", "BioASQ", "TriviaQA-web"]) assertEquals(TASK_METRICS[t].kind, "squad");
});

Deno.test("scoreTask rejects bad input with a message naming the problem", () => {
  assertMatch(
    assertThrows(() => scoreTask("sts-b", ["1"], ["1"]), Error).message,
    /unknown task "sts-b"; known tasks: cola/,
  );
  assertMatch(
    assertThrows(() => scoreTask("cola", ["1"], ["1", "0"]), Error).message,
    /1 predictions but 2 references/,
  );
  assertMatch(assertThrows(() => scoreTask("cola", [], []), Error).message, /no predictions/);
  assertMatch(assertThrows(() => scoreTask("rte", ["1"], [["1"]]), Error).message, /reference 0 must be a string/);
  assertMatch(
    assertThrows(() => scoreTask("xsum", ["a"], ["a"], { generatedLengths: [1, 2] }), Error).message,
    /2 generatedLengths for 1 predictions/,
  );
});

Deno.test("checkpoint averages: per-task (paper tables) vs flat (reference trainer)", () => {
  const results = {
    cola: { mcc: 60 },
    mrpc: { f1: 90, acc: 86 },
    stsb: { pearson_corrcoef: 88, spearman_corrcoef: 86 },
    xsum: { rouge1: 40, rouge2: 18, rougeL: 33, rougeLsum: 33, gen_len: 20 },
  };
  // per task: 60, (90+86)/2, (88+86)/2, ROUGE-2 18
  assertStrictEquals(averageScore(results), (60 + 88 + 87 + 18) / 4);
  // flat: every value but XSum's ignored ROUGE-1/L/Lsum, gen_len included
  assertStrictEquals(averageScore(results, { mode: "flat" }), (60 + 90 + 86 + 88 + 86 + 18 + 20) / 7);
  assertStrictEquals(averageScore(results, { mode: "flat", ignoreKeys: [] }), (448 + 40 + 33 + 33) / 10);
  const glue = {
    cola: { mcc: 60 },
    sst2: { acc: 95 },
    mrpc: { f1: 90, acc: 86 },
    stsb: { pearson_corrcoef: 88, spearman_corrcoef: 86 },
    qqp: { f1: 88, acc: 91 },
    mnli: { acc: 86 },
    qnli: { acc: 92 },
    rte: { acc: 80 },
    wnli: { acc: 56 },
  };
  assertStrictEquals(glueAverage(glue), (60 + 95 + 88 + 87 + 89.5 + 86 + 92 + 80) / 8); // WNLI excluded
  assertMatch(
    assertThrows(() => glueAverage({ cola: { mcc: 1 } }), Error).message,
    /missing GLUE task results: sst2, mrpc/,
  );
  assertEquals(mrqaAverage({ SQuAD: { em: 80, f1: 88 }, NewsQA: { em: 50, f1: 66 } }), 77);
  assertMatch(assertThrows(() => averageScore({}), Error).message, /no task results/);
  assertMatch(assertThrows(() => averageScore({ mrpc: { f1: 1 } }), Error).message, /task mrpc lacks metric acc/);
});
