import { assert, assertEquals, assertMatch } from "@std/assert";
import { DataFormatError, SkipTally } from "./errors.ts";
import { gunzipIfNeeded } from "./gzip.ts";
import { readLines } from "./lines.ts";
import { collect, gzip, rejection, streamOf } from "./test_helpers.ts";

Deno.test("readLines: LF and CRLF, BOM on line 1 only, last line without newline, chunk boundaries", async () => {
  const text = "\ufeffa\tb\r\nc\n\n\ufeffd\ne";
  for (const chunk of [1, 2, 3, 100]) {
    const lines = await collect(readLines(streamOf(text, chunk), "f.tsv"));
    assertEquals(lines.map((l) => l.text), ["a\tb", "c", "", "\ufeffd", "e"]);
    assertEquals(lines.map((l) => l.line), [1, 2, 3, 4, 5]);
  }
});

Deno.test("readLines: bad UTF-8 names file and line; with skipBad it is counted", async () => {
  const bytes = new Uint8Array([...new TextEncoder().encode("ok\nalso ok\n"), 0x61, 0xff, 0x62, 0x0a, 0x7a]);
  const err = await rejection(collect(readLines(streamOf(bytes), "data/x.tsv")));
  assert(err instanceof DataFormatError);
  assertEquals(err.file, "data/x.tsv");
  assertEquals(err.line, 3);
  assertMatch(err.message, /^data\/x\.tsv:3: invalid UTF-8/);
  const skips = new SkipTally();
  const lines = await collect(readLines(streamOf(bytes), "data/x.tsv", { skipBad: true, skips }));
  assertEquals(lines.map((l) => l.text), ["ok", "also ok", "z"]);
  assertEquals(skips.total, 1);
  assertEquals(skips.byFile.get("data/x.tsv"), 1);
});

Deno.test("gunzipIfNeeded: detects gzip by magic bytes and passes plain bytes through", async () => {
  const text = "x\ny\n".repeat(1000);
  const gz = await gzip(text);
  const plain = await collect(readLines(await gunzipIfNeeded(streamOf(text, 5)), "p"));
  const unz = await collect(readLines(await gunzipIfNeeded(streamOf(gz, 5)), "g"));
  assertEquals(plain.length, 2000);
  assertEquals(unz, plain);
  assertEquals(await collect(readLines(await gunzipIfNeeded(streamOf("")), "e")), []);
});

Deno.test("truncated gzip: error names the file and the line where reading stopped, even with skipBad", async () => {
  const lines = Array.from({ length: 5000 }, (_, i) => `{"i": ${i}, "pad": "${"q".repeat(i % 50)}"}`).join("\n");
  const gz = await gzip(lines);
  const cut = gz.slice(0, Math.floor(gz.length * 0.6));
  const err = await rejection(
    collect(readLines(await gunzipIfNeeded(streamOf(cut, 4096)), "big.jsonl.gz", { skipBad: true })),
  );
  assert(err instanceof DataFormatError, String(err));
  assertEquals(err.file, "big.jsonl.gz");
  assert(err.line > 1 && err.line <= 5000, `line ${err.line}`);
  assertMatch(err.message, /truncated or corrupt/);
});
