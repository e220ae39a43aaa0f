import { assert, assertEquals, assertMatch } from "@std/assert";
import { DataFormatError, SkipTally } from "./errors.ts";
import { readGlueTsv } from "./glue_tsv.ts";
import { collect, rejection, streamOf } from "./test_helpers.ts";

const read = (task: string, text: string, skip = false, skips?: SkipTally) =>
  collect(readGlueTsv(streamOf(text), task, `${task}/dev.tsv`, { skipBad: skip, skips }));

Deno.test("GLUE TSV: every task's layout maps to Hugging Face columns and labels", async () => {
  const cola = "gj04\t1\t\tOur friends won't buy this analysis.\ngj04\t0\t*\tThey drank the pub.\n";
  assertEquals((await read("cola", cola)).map((r) => r.value), [
    { sentence: "Our friends won't buy this analysis.", label: 1, idx: 0 },
    { sentence: "They drank the pub.", label: 0, idx: 1 },
  ]);
  const sst2 = 'sentence\tlabel\nit \'s a charming and "often" affecting journey . \t1\n';
  assertEquals((await read("sst2", sst2))[0].value, {
    sentence: 'it \'s a charming and "often" affecting journey . ',
    label: 1,
    idx: 0,
  });
  const mrpc = '\ufeffQuality\t#1 ID\t#2 ID\t#1 String\t#2 String\n1\t702876\t702977\tHe said "no.\tHe said no.\n';
  assertEquals((await read("mrpc", mrpc))[0].value, {
    sentence1: 'He said "no.',
    sentence2: "He said no.",
    label: 1,
    idx: 0,
  });
  const qqp = "id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate\n201359\t303345\t303346\tWhy?\tHow?\t0\n";
  assertEquals((await read("qqp", qqp))[0].value, { question1: "Why?", question2: "How?", label: 0, idx: 0 });
  const stsb = "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore\n" +
    "0\tmain-captions\tMSRvid\t2012test\t0000\tnone\tnone\tA man.\tA guy.\t3.800\n";
  assertEquals((await read("stsb", stsb))[0].value, {
    sentence1: "A man.",
    sentence2: "A guy.",
    label: 3.8,
    idx: 0,
  });
  const mnliHeader = "index\tpromptID\tpairID\tgenre\tsentence1_binary_parse\tsentence2_binary_parse\t" +
    "sentence1_parse\tsentence2_parse\tsentence1\tsentence2\tlabel1\tgold_label";
  const mnli = `${mnliHeader}\n0\t31193\t31193n\tgov\t(\t(\t(\t(\tPremise here.\tHypothesis here.\tneutral\tneutral\n`;
  assertEquals((await read("mnli", mnli))[0].value, {
    premise: "Premise here.",
    hypothesis: "Hypothesis here.",
    label: 1,
    idx: 0,
  });
  const qnli = "index\tquestion\tsentence\tlabel\n0\tWhat?\tThis.\tnot_entailment\n";
  assertEquals((await read("qnli", qnli))[0].value, { question: "What?", sentence: "This.", label: 1, idx: 0 });
  const rte = "index\tsentence1\tsentence2\tlabel\n0\tA.\tB.\tentailment\n";
  assertEquals((await read("rte", rte))[0].value, { sentence1: "A.", sentence2: "B.", label: 0, idx: 0 });
  const wnli = "index\tsentence1\tsentence2\tlabel\n0\tA.\tB.\t1\n";
  assertEquals((await read("wnli", wnli))[0].value, { sentence1: "A.", sentence2: "B.", label: 1, idx: 0 });
});

Deno.test("GLUE TSV: a short row is an error naming file and line, or a counted skip", async () => {
  const qqp = "id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate\n1\t2\t3\tq1\tq2\t1\n4\t5\t6\tbroken row\n" +
    "7\t8\t9\tq3\tq4\t0\n";
  const err = await rejection(read("qqp", qqp));
  assert(err instanceof DataFormatError);
  assertMatch(err.message, /^qqp\/dev\.tsv:3: short row: 4 tab-separated column\(s\), need at least 6/);
  const skips = new SkipTally();
  const rows = await read("qqp", qqp, true, skips);
  assertEquals(rows.map((r) => [r.value.question1, r.value.idx, r.line]), [["q1", 0, 2], ["q3", 1, 4]]);
  assertEquals(skips.total, 1);
});

Deno.test("GLUE TSV: a missing column throws (even with skipBad), naming the column and line 1", async () => {
  const noLabel = "index\tsentence1\tsentence2\n0\tA.\tB.\n";
  const err = await rejection(read("rte", noLabel, true));
  assert(err instanceof DataFormatError);
  assertMatch(err.message, /^rte\/dev\.tsv:1: missing column "label"/);
  const colaTest = "index\tsentence\n0\tA sentence.\n";
  assertMatch((await rejection(read("cola", colaTest))).message, /cola\/dev\.tsv:1: .*missing column "label"/);
  const mrpcWrong = "Quality\t#1 ID\t#2 ID\tString1\tString2\n1\t1\t2\ta\tb\n";
  assertMatch((await rejection(read("mrpc", mrpcWrong))).message, /missing column "#1 String"/);
});

Deno.test("GLUE TSV: a bad label and bad UTF-8 are errors with the line, or counted skips", async () => {
  const rte = "index\tsentence1\tsentence2\tlabel\n0\tA.\tB.\tmaybe\n1\tC.\tD.\tentailment\n";
  assertMatch((await rejection(read("rte", rte))).message, /^rte\/dev\.tsv:2: label "maybe" is not entailment/);
  const bytes = new Uint8Array([
    ...new TextEncoder().encode("index\tsentence1\tsentence2\tlabel\n0\tA"),
    0xc3,
    0x28,
    ...new TextEncoder().encode("\tB.\tentailment\n1\tC.\tD.\tnot_entailment\n"),
  ]);
  const err = await rejection(collect(readGlueTsv(streamOf(bytes), "rte", "rte/train.tsv")));
  assertMatch(err.message, /^rte\/train\.tsv:2: invalid UTF-8/);
  const skips = new SkipTally();
  const rows = await collect(readGlueTsv(streamOf(bytes), "rte", "rte/train.tsv", { skipBad: true, skips }));
  assertEquals(rows.map((r) => r.value.sentence1), ["C."]);
  assertEquals(skips.total, 1);
});
