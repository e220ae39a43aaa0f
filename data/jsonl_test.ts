import { assert, assertEquals, assertMatch } from "@std/assert";
import { DataFormatError, SkipTally } from "./errors.ts";
import { readJsonl, readUserTasks } from "./jsonl.ts";
import { collect, gzip, rejection, streamOf } from "./test_helpers.ts";

const lines = ['{"a": 1}', "", '{"a": 2, "b": "x"}', "   ", '{"a": 3}'].join("\n") + "\n";

Deno.test("JSONL and JSONL.gz read the same records with line numbers; blank lines ignored", async () => {
  const plain = await collect(readJsonl(streamOf(lines), "x.jsonl"));
  const gz = await collect(readJsonl(streamOf(await gzip(lines), 3), "x.jsonl.gz"));
  assertEquals(plain.map((r) => [r.value.a, r.line]), [[1, 1], [2, 3], [3, 5]]);
  assertEquals(gz, plain);
});

Deno.test("JSONL: invalid JSON and non-objects name file and line, or are counted skips", async () => {
  const bad = '{"a": 1}\n{"a": \n[1, 2]\n{"a": 4}\n';
  const err = await rejection(collect(readJsonl(streamOf(bad), "u.jsonl")));
  assert(err instanceof DataFormatError);
  assertMatch(err.message, /^u\.jsonl:2: invalid JSON/);
  const skips = new SkipTally();
  const ok = await collect(readJsonl(streamOf(bad), "u.jsonl", { skipBad: true, skips }));
  assertEquals(ok.map((r) => r.value.a), [1, 4]);
  assertEquals(skips.total, 2);
  assertMatch(skips.examples[1], /^u\.jsonl:3: expected a JSON object/);
});

Deno.test("JSONL.gz: a truncated gzip throws naming the file", async () => {
  const big = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ i, s: "w".repeat(i % 70) })).join("\n");
  const gz = await gzip(big);
  const err = await rejection(collect(readJsonl(streamOf(gz.slice(0, gz.length - 40), 1024), "t.jsonl.gz")));
  assert(err instanceof DataFormatError);
  assertEquals(err.file, "t.jsonl.gz");
  assertMatch(err.message, /truncated or corrupt/);
});

Deno.test("user tasks: {task, input, target}; a missing field names file, line and field", async () => {
  const text = [
    JSON.stringify({ task: "sentiment", input: "great film", target: "positive" }),
    JSON.stringify({ task: "sentiment", input: "dull" }),
    JSON.stringify({ task: "topic", input: "goal!", target: "sports", id: "t-1" }),
  ].join("\n");
  const err = await rejection(collect(readUserTasks(streamOf(text), "mine.jsonl")));
  assertMatch(err.message, /^mine\.jsonl:2: field "target" missing or not a string/);
  const skips = new SkipTally();
  const rows = await collect(readUserTasks(streamOf(text), "mine.jsonl", { skipBad: true, skips }));
  assertEquals(rows.map((r) => r.value.task), ["sentiment", "topic"]);
  assertEquals(skips.total, 1);
});
