import { assert, assertEquals, assertMatch, assertThrows } from "@std/assert";
import { DataFormatError, SkipTally } from "./errors.ts";
import { mrqaFromHfRow, type MrqaQuestion, readMrqaJsonl } from "./mrqa.ts";
import { chunkMrqaQuestion, encodeWithOffsets } from "./mrqa_chunk.ts";
import { collect, FakeWordTokenizer, gzip, rejection, streamOf } from "./test_helpers.ts";

const header = JSON.stringify({ header: { dataset: "SQuAD", split: "dev" } });
const context = {
  context: "Paris is the capital of France . [PAR] Berlin is in Germany .",
  qas: [
    {
      qid: "q1",
      question: "Capital of France?",
      answers: ["Paris", "paris"],
      detected_answers: [{ text: "Paris", char_spans: [[0, 4]], token_spans: [[0, 0]] }],
    },
    {
      qid: "q2",
      question: "Where is Berlin?",
      answers: ["Germany"],
      detected_answers: [{ text: "Germany", char_spans: [[52, 58]], token_spans: [[11, 11]] }],
    },
  ],
};

Deno.test("MRQA jsonl.gz: header skipped, one record per question with subset and inclusive spans", async () => {
  const gz = await gzip([header, JSON.stringify(context)].join("\n") + "\n");
  const recs = await collect(readMrqaJsonl(streamOf(gz, 16), "SQuAD.jsonl.gz"));
  assertEquals(recs.length, 2);
  assertEquals(recs[1].value, {
    subset: "SQuAD",
    qid: "q2",
    question: "Where is Berlin?",
    context: context.context,
    answers: ["Germany"],
    detectedAnswers: [{ text: "Germany", charSpans: [[52, 58]] }],
  });
  assertEquals(context.context.slice(52, 58 + 1), "Germany");
  assertEquals(recs[1].line, 2);
});

Deno.test("MRQA: a missing header, a malformed question and invalid JSON are located; skips counted", async () => {
  const noHeader = await rejection(collect(readMrqaJsonl(streamOf(JSON.stringify(context)), "a.jsonl.gz")));
  assertMatch(noHeader.message, /^a\.jsonl\.gz:1: expected the MRQA header line/);
  const broken = { context: "x", qas: [{ qid: "q9", question: "?", answers: ["x"], detected_answers: [{}] }] };
  const text = [header, JSON.stringify(broken), "{oops", JSON.stringify(context)].join("\n");
  const err = await rejection(collect(readMrqaJsonl(streamOf(text), "b.jsonl")));
  assert(err instanceof DataFormatError);
  assertMatch(err.message, /^b\.jsonl:2: qas\[0\]\.detected_answers\[0\] needs "text" and "char_spans"/);
  const skips = new SkipTally();
  const ok = await collect(readMrqaJsonl(streamOf(text), "b.jsonl", { skipBad: true, skips }));
  assertEquals(ok.map((r) => r.value.qid), ["q1", "q2"]);
  assertEquals(skips.total, 2);
});

Deno.test("MRQA: Hugging Face parquet rows (struct of lists) convert to the same question", () => {
  const row = {
    subset: "SQuAD",
    context: context.context,
    qid: "q2",
    question: "Where is Berlin?",
    answers: ["Germany"],
    detected_answers: { text: ["Germany"], char_spans: [{ start: [52], end: [58] }], token_spans: [] },
  };
  const q = mrqaFromHfRow(row, "validation-00000.parquet", 7);
  assertEquals(q.detectedAnswers, [{ text: "Germany", charSpans: [[52, 58]] }]);
  const err = (() => {
    try {
      mrqaFromHfRow({ ...row, detected_answers: undefined }, "v.parquet", 7);
    } catch (e) {
      return e as Error;
    }
  })();
  assertMatch(err!.message, /^v\.parquet:7: column "detected_answers"/);
});

function question(words: number, answerAt: number[]): MrqaQuestion {
  const toks = Array.from({ length: words }, (_, i) => `w${i}`);
  const ctx = toks.join(" ");
  const starts: number[] = [];
  let o = 0;
  for (const t of toks) {
    starts.push(o);
    o += t.length + 1;
  }
  return {
    subset: "NewsQA",
    qid: "qq",
    question: "what is it",
    context: ctx,
    answers: answerAt.map((i) => `w${i}`),
    detectedAnswers: answerAt.map((i) => ({ text: `w${i}`, charSpans: [[starts[i], starts[i] + `w${i}`.length - 1]] })),
  };
}

Deno.test("MRQA chunking: windows of maxLength with `stride` overlap, answer per chunk, '' when absent", () => {
  const tok = new FakeWordTokenizer();
  // Prefix "question: what is it context:" = 5 words; room = 20 - 5 - 1 = 14 context tokens, step 14 - 4 = 10.
  const q = question(40, [3, 25]);
  const chunks = chunkMrqaQuestion(q, tok, { maxLength: 20, stride: 4 });
  const spans = chunks.map((c) => c.source.replace("question: what is it context: ", "").split(" "));
  assertEquals(spans.map((s) => [s[0], s[s.length - 1]]), [["w0", "w13"], ["w10", "w23"], ["w20", "w33"], [
    "w30",
    "w39",
  ]]);
  assertEquals(chunks.map((c) => c.target), ["w3", "", "w25", ""]);
  for (const c of chunks) {
    assert(c.sourceIds!.length <= 20);
    assertEquals(c.sourceIds![c.sourceIds!.length - 1], 1);
    assertEquals(c.sourceIds, tok.encode(c.source), "ids must match the source text");
    assertEquals(c.task, "NewsQA");
    assertEquals(c.id, "qq");
    assertEquals(c.meta, { answers: ["w3", "w25"], chunk: chunks.indexOf(c), chunks: 4 });
  }
  // The first matching answer (in detected_answers order) wins when two are in one window.
  const both = chunkMrqaQuestion(question(12, [9, 2]), tok, { maxLength: 20, stride: 4 });
  assertEquals(both.map((c) => c.target), ["w9"]);
  // Empty context: no chunk, as in the reference code.
  assertEquals(chunkMrqaQuestion({ ...q, context: "" }, tok, { maxLength: 20, stride: 4 }), []);
});

Deno.test("MRQA chunking: a question that leaves no room for the overlap is an error with the qid", () => {
  const tok = new FakeWordTokenizer();
  const q = { ...question(30, [1]), question: Array.from({ length: 30 }, (_, i) => `x${i}`).join(" ") };
  assertMatch(
    assertThrows(() => chunkMrqaQuestion(q, tok, { maxLength: 40, stride: 8 }, { file: "f.jsonl.gz", line: 3 }), Error)
      .message,
    /^f\.jsonl\.gz:3: question qq is 32 tokens long/,
  );
});

Deno.test("encodeWithOffsets: per-word ids equal the whole-text ids; offsets are the word ranges", () => {
  const tok = new FakeWordTokenizer();
  const text = "  alpha beta\tgamma\n delta ";
  const r = encodeWithOffsets(tok, text);
  assertEquals(r.ids, tok.encode(text).slice(0, -1));
  assertEquals(r.offsets.map(([s, e]) => text.slice(s, e)), ["alpha", "beta", "gamma", "delta"]);
});
