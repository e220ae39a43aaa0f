import { assertEquals, assertMatch, assertStrictEquals, assertThrows } from "@std/assert";
import { DataFormatError } from "./errors.ts";
import { formatExample, getTask, labelToTarget, stsbTarget, targetToLabel, taskSpecOf } from "./tasks.ts";

const at = { file: "f", line: 1 };
const fmt = (task: string, rec: Record<string, unknown>, opts = {}) =>
  formatExample(getTask(task), rec, "id-1", at, opts);

Deno.test("templates produce the reference code's exact strings (its `tasks.py` `seq2seq_format`)", () => {
  const cases: [string, Record<string, unknown>, string, string][] = [
    ["cola", { sentence: "The boy ran.", label: 1 }, "cola sentence: The boy ran.", "1"],
    ["sst2", { sentence: "a gorgeous film ", label: 0 }, "sst2 sentence: a gorgeous film ", "0"],
    ["mrpc", { sentence1: "A b.", sentence2: "C d.", label: 1 }, "mrpc sentence1: A b. sentence2: C d.", "1"],
    ["stsb", { sentence1: "A.", sentence2: "B.", label: 3.75 }, "stsb sentence1: A. sentence2: B.", "3.8"],
    ["qqp", { question1: "Why?", question2: "How?", label: 0 }, "qqp question1: Why? question2: How?", "0"],
    ["mnli", { premise: "P.", hypothesis: "H.", label: 2 }, "mnli premise: P. hypothesis: H.", "2"],
    ["qnli", { question: "Q?", sentence: "S.", label: 1 }, "qnli question: Q? sentence: S.", "1"],
    ["rte", { sentence1: "A.", sentence2: "B.", label: 0 }, "rte sentence1: A. sentence2: B.", "0"],
    ["anli", { premise: "P.", hypothesis: "H.", label: 1 }, "anli premise: P. hypothesis: H.", "1"],
    [
      "art",
      { observation_1: "O1.", observation_2: "O2.", hypothesis_1: "H1.", hypothesis_2: "H2.", label: 2 },
      "art observation 1: O1. observation 2: O2. hypothesis 1: H1. hypothesis 2: H2.",
      "2",
    ],
    ["xsum", { document: "Long text.", summary: "Short." }, "summarize: Long text.", "Short."],
    ["cnn_dailymail", { article: "News.", highlights: "A.\nB." }, "summarize: News.", "A.\nB."],
    ["wiki_lingua_english_en", { source: "How to.", target: "Do it." }, "summarize: How to.", "Do it."],
    ["mrqa", { question: "Who?", context: "Me.", answers: ["Me"] }, "question: Who? context: Me.", ""],
    ["user", { task: "mine", input: "raw input {{ x }}", target: "out" }, "raw input {{ x }}", "out"],
  ];
  for (const [task, rec, source, target] of cases) {
    const ex = task === "mrqa"
      ? { ...formatExample({ ...getTask("mrqa"), kind: "generation", targetField: "t" }, { ...rec, t: "" }, "i", at) }
      : fmt(task, rec);
    assertStrictEquals(ex.source, source, task);
    assertStrictEquals(ex.target, target, task);
    assertStrictEquals(ex.task, task === "user" ? "mine" : task);
  }
});

Deno.test("STS-B: paper rounding round(x·5)/5 (half to even) vs the code's 0.1 rounding", () => {
  assertEquals(stsbTarget(3.75), "3.8");
  assertEquals(stsbTarget(3.7), "3.6"); // 18.5 rounds to even 18, as numpy/Python do
  assertEquals(stsbTarget(3.71), "3.8");
  assertEquals(stsbTarget(3.69), "3.6");
  assertEquals(stsbTarget(0.5), "0.4"); // 2.5 rounds to even 2
  assertEquals(stsbTarget(0.7), "0.8"); // 3.5 rounds to even 4
  assertEquals(stsbTarget(5), "5.0");
  assertEquals(stsbTarget(0), "0.0");
  assertEquals(stsbTarget(3.75, "code"), "3.8");
  assertEquals(stsbTarget(3.7, "code"), "3.7");
  assertEquals(stsbTarget(2.25, "code"), "2.2");
  const paper = new Set(Array.from({ length: 501 }, (_, i) => stsbTarget(i / 100)));
  assertEquals(paper.size, 26, "0.0, 0.2, …, 5.0");
  assertEquals(fmt("stsb", { sentence1: "a", sentence2: "b", label: 3.7 }, { stsbRounding: "code" }).target, "3.7");
  assertEquals(fmt("stsb", { sentence1: "a", sentence2: "b", label: 3.75 }).meta, { score: 3.75 });
});

Deno.test("label maps: target strings and back; unknown predictions map to -1", () => {
  const mnli = getTask("mnli");
  assertEquals(labelToTarget(mnli, 2), "2");
  assertEquals(targetToLabel(mnli, "2"), 2);
  assertEquals(targetToLabel(mnli, " 1 "), 1);
  assertEquals(targetToLabel(mnli, "entailment"), -1);
  assertEquals(mnli.labelNames, ["entailment", "neutral", "contradiction"]);
  const art = getTask("art");
  assertEquals(targetToLabel(art, "0"), -1);
  assertMatch(assertThrows(() => labelToTarget(art, 0), Error).message, /out of range/);
  assertMatch(assertThrows(() => labelToTarget(mnli, 3), Error).message, /out of range/);
});

Deno.test("formatExample: missing fields and unlabelled rows are errors naming file and line", () => {
  const e = assertThrows(() => fmt("rte", { sentence1: "a", label: 0 }), DataFormatError);
  assertEquals(e.message, 'f:1: field "sentence2" missing or not a string (task rte)');
  assertMatch(
    assertThrows(() => fmt("rte", { sentence1: "a", sentence2: "b", label: -1 }), Error).message,
    /f:1: label -1 means "unlabelled"/,
  );
  assertMatch(
    assertThrows(() => fmt("cola", { sentence: "a", label: "1" }), Error).message,
    /f:1: field "label" missing or not a number/,
  );
  assertMatch(assertThrows(() => getTask("nope"), Error).message, /unknown task "nope"; known tasks: cola/);
});

Deno.test("taskSpecOf: MRQA subsets and user tasks resolve to their registry entries", () => {
  const p = (dataset: string) => ({ dataset, templateVersion: "", inputs: [], options: {} });
  assertEquals(taskSpecOf({ task: "SQuAD", provenance: p("mrqa") }).name, "mrqa");
  assertEquals(taskSpecOf({ task: "shout", provenance: p("user") }).name, "user");
  assertEquals(taskSpecOf({ task: "cola", provenance: p("cola") }).metrics, ["matthews_corrcoef"]);
});
