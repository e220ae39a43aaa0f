/**
 * Evaluation: MRQA chunk aggregation and scoring on injected generations (values worked out by hand from the SQuAD
 * definitions), the "batch-length" ranking, input errors, and the whole generate → aggregate path on real chunks of
 * a small T5.
 */
import { assert, assertEquals, assertMatch, assertStrictEquals, assertThrows } from "@std/assert";
import { initEngine } from "@hyperdecoders/core";
import {
  chunkMrqaQuestion,
  exampleToJson,
  loadTokenizer,
  type MrqaQuestion,
  type TaskSource,
} from "@hyperdecoders/data";
import { parseT5Config, randomT5 } from "@hyperdecoders/models";
import { fixturePath } from "../tests/fixtures.ts";
import { type ChunkRecord, evaluate, type GeneratedRow, scoreGenerations } from "./evaluate.ts";

function chunk(
  id: string,
  k: number,
  n: number,
  prediction: string,
  logProb: number,
  answers: string[],
  batchLength = 8,
): GeneratedRow {
  return {
    task: "SQuAD",
    id,
    prediction,
    target: "",
    meta: { answers, chunk: k, chunks: n },
    logProb,
    length: 3,
    batchLength,
  };
}

Deno.test("scoreGenerations: MRQA picks the most likely non-empty chunk answer and scores it against all answers", () => {
  const gold1 = ["Denver Broncos"];
  const gold2 = ["Paris"];
  const gold3 = ["Broncos", "the Denver team"];
  const result = scoreGenerations([
    chunk("q1", 0, 3, "", -0.1, gold1), // empty answers never win, however likely
    chunk("q1", 1, 3, "Denver", -2.5, gold1),
    chunk("q1", 2, 3, "Broncos", -1.5, gold1),
    chunk("q2", 0, 2, "", -0.2, gold2),
    chunk("q2", 1, 2, "", -0.3, gold2),
    chunk("q3", 0, 1, "The Broncos!", -4, gold3),
  ]);
  // q1 "Broncos" vs "Denver Broncos": EM 0, F1 = 2·(1·½)/(1+½) = 2/3. q2 "" (every chunk empty): 0, 0.
  // q3 "The Broncos!" normalises to "broncos": EM 1, F1 1.
  assertEquals(Object.keys(result.tasks), ["SQuAD"]);
  assert(Math.abs(result.tasks.SQuAD.em - 100 / 3) < 1e-9);
  assert(Math.abs(result.tasks.SQuAD.f1 - (100 * (2 / 3 + 0 + 1)) / 3) < 1e-9);
  assertEquals(result.predictions.map((p) => [p.id, p.prediction, p.answers, p.logProb]), [
    ["q1", "Broncos", gold1, -1.5],
    ["q2", "", gold2, undefined],
    ["q3", "The Broncos!", gold3, -4],
  ]);
  assertEquals(result.chunks?.length, 6);
  assertEquals(result.chunks!.map((c) => c.score), [0.1, 2.5, 1.5, 0.2, 0.3, 4]);
  assert(Math.abs(result.average - result.tasks.SQuAD.f1) < 1e-9, "MRQA's checkpoint metric is F1");
});

Deno.test("scoreGenerations: batch-length ranking divides the NLL by the batch's padded generated length", () => {
  const gold = ["alpha beta"];
  const rows = [
    chunk("q", 0, 2, "alpha beta", -3, gold, 10), // sum 3, per batch length 0.3
    chunk("q", 1, 2, "gamma", -2, gold, 4), // sum 2, per batch length 0.5
  ];
  const bySum = scoreGenerations(rows);
  assertEquals(bySum.predictions[0].prediction, "gamma");
  assertEquals(bySum.tasks.SQuAD.em, 0);
  const byLength = scoreGenerations(rows, { mrqaScore: "batch-length" });
  assertEquals(byLength.predictions[0].prediction, "alpha beta");
  assertEquals(byLength.tasks.SQuAD.em, 100);
  assertMatch(
    assertThrows(() => scoreGenerations(rows, { mrqaScore: "mean" as "sum" }), Error).message,
    /mrqaScore must be "sum" or "batch-length"/,
  );
});

Deno.test("scoreGenerations: unchunked tasks by their metrics; errors name the task and question", () => {
  const plain = (task: string, prediction: string, target: string): GeneratedRow => ({
    task,
    id: `${task}-${prediction}-${target}`,
    prediction,
    target,
    logProb: -1,
    length: 2,
    batchLength: 2,
  });
  const r = scoreGenerations([
    plain("rte", "0", "0"),
    plain("rte", "1", "0"),
    plain("my_task", "red blue", "red blue green"),
  ]);
  assertEquals(r.tasks.rte.acc, 50);
  assertEquals(r.tasks.my_task.em, 0);
  assert(Math.abs(r.tasks.my_task.f1 - 80) < 1e-9); // P 1, R 2/3
  assertEquals(r.chunks, undefined);
  assertMatch(
    assertThrows(() => scoreGenerations([chunk("q9", 0, 1, "x", -1, [])]), Error).message,
    /task SQuAD, question q9\): meta.answers must list the gold answers/,
  );
  assertMatch(
    assertThrows(() => scoreGenerations([chunk("q1", 0, 1, "x", -1, ["x"]), plain("SQuAD", "y", "y")]), Error).message,
    /task "SQuAD": 1 of 2 examples are MRQA chunks/,
  );
});

Deno.test("evaluate: real MRQA chunks of a small T5 are generated, scored and aggregated per question", async () => {
  await initEngine();
  const tokenizer = await loadTokenizer(fixturePath("spm-2k", "spiece.model"));
  const sentence = "The quick brown fox jumps over the lazy dog near the river bank in the morning. ";
  const questions: MrqaQuestion[] = [0, 1, 2].map((i) => {
    const context = sentence.repeat(3 + i) + `The answer is Lisbon ${i}.`;
    const at = context.indexOf("Lisbon");
    return {
      subset: "NewsQA",
      qid: `nq${i}`,
      question: `Where is item ${i}?`,
      context,
      answers: [`Lisbon ${i}`, "Lisbon"],
      detectedAnswers: [{ text: `Lisbon ${i}`, charSpans: [[at, at + 7]] }],
    };
  });
  const examples = questions.flatMap((q) => chunkMrqaQuestion(q, tokenizer, { maxLength: 40, stride: 8 }));
  assert(examples.length >= 6, "every question should be cut into several chunks");
  const bytes = new TextEncoder().encode(examples.map(exampleToJson).join("\n") + "\n");
  const source: TaskSource = {
    task: "NewsQA",
    split: "validation",
    count: examples.length,
    shards: [{
      file: "memory.jsonl",
      count: examples.length,
      open: () => Promise.resolve(new Blob([bytes]).stream()),
    }],
  };
  const model = randomT5(
    parseT5Config({
      vocab_size: tokenizer.vocabSize,
      d_model: 32,
      d_kv: 8,
      d_ff: 32,
      num_layers: 1,
      num_heads: 2,
      feed_forward_proj: "gated-gelu",
      tie_word_embeddings: false,
    }, "test model"),
    3,
  );
  try {
    const result = await evaluate({ model }, tokenizer, [source], { batchSize: 4, maxNewTokens: 4 });
    assertStrictEquals(result.chunks?.length, examples.length);
    assertEquals(result.predictions.map((p) => p.id), ["nq0", "nq1", "nq2"]);
    for (const p of result.predictions) {
      const own: ChunkRecord[] = (result.chunks ?? []).filter((c) => c.id === p.id);
      assertEquals(own.map((c) => c.chunk), own.map((_, k) => k));
      assert(own.every((c) => c.chunks === own.length && Number.isFinite(c.logProb) && c.logProb < 0));
      const nonEmpty = own.filter((c) => c.prediction !== "");
      const expected = nonEmpty.length === 0 ? "" : nonEmpty.reduce((a, b) => (b.score < a.score ? b : a)).prediction;
      assertStrictEquals(p.prediction, expected);
      assertEquals(p.answers, questions.find((q) => q.qid === p.id)!.answers);
    }
    assert(result.tasks.NewsQA.em >= 0 && result.tasks.NewsQA.f1 >= result.tasks.NewsQA.em);
  } finally {
    model.dispose();
  }
});
