import { assert, assertEquals, assertMatch } from "@std/assert";
import { join } from "@std/path";
import zlib from "node:zlib";
// Test-only: writes real parquet files for the reader tests.
import { parquetWriteBuffer } from "hyparquet-writer";
import { DataFormatError } from "./errors.ts";
import { openAsyncBuffer, openDatasetDir, parquetCompressors } from "./fs.ts";
import { parquetRowCount, readParquetRows } from "./parquet.ts";
import { expandInputs, prepareDataset } from "./prepare.ts";
import { readTaskExamples } from "./task_source.ts";
import { collect, rejection } from "./test_helpers.ts";

function colaParquet(n: number, codec: "SNAPPY" | "GZIP" = "SNAPPY", offset = 0): Uint8Array {
  const buf = parquetWriteBuffer({
    columnData: [
      {
        name: "sentence",
        data: Array.from({ length: n }, (_, i) => `Sentence ${i + offset} is “quoted”.`),
        type: "STRING",
      },
      { name: "label", data: Array.from({ length: n }, (_, i) => BigInt(i % 2)), type: "INT64" },
      { name: "idx", data: Array.from({ length: n }, (_, i) => i), type: "INT32" },
    ],
    codec,
    compressors: { GZIP: (b: Uint8Array) => new Uint8Array(zlib.gzipSync(b)) },
    rowGroupSize: 100,
  });
  return new Uint8Array(buf);
}

Deno.test("parquet: rows of every row group, int64 as numbers, snappy and gzip codecs, local and over HTTP", async () => {
  const tmp = await Deno.makeTempDir();
  const bytes = colaParquet(250, "GZIP");
  const ac = new AbortController();
  let ranged = 0;
  const server = Deno.serve({ port: 0, signal: ac.signal, onListen: () => {} }, (req) => {
    const range = req.headers.get("range");
    const head = { "content-length": String(bytes.length), "accept-ranges": "bytes" };
    if (req.method === "HEAD") return new Response(null, { headers: head });
    if (!range) return new Response(bytes as Uint8Array<ArrayBuffer>, { headers: head });
    ranged++;
    const [, a, b] = /bytes=(\d+)-(\d*)/.exec(range)!;
    const end = b === "" ? bytes.length - 1 : Number(b);
    return new Response(bytes.slice(Number(a), end + 1), {
      status: 206,
      headers: { "content-range": `bytes ${a}-${end}/${bytes.length}` },
    });
  });
  try {
    const path = join(tmp, "train-00000-of-00001.parquet");
    await Deno.writeFile(path, bytes);
    const local = await collect(
      readParquetRows(await openAsyncBuffer(path), path, { compressors: await parquetCompressors() }),
    );
    assertEquals(local.length, 250);
    assertEquals(local[137], { value: { sentence: "Sentence 137 is “quoted”.", label: 1, idx: 137 }, line: 138 });
    assertEquals(await parquetRowCount(await openAsyncBuffer(path), path), 250);
    const url = `http://localhost:${server.addr.port}/cola/train-00000-of-00001.parquet`;
    const remote = await collect(
      readParquetRows(await openAsyncBuffer(url), url, {
        columns: ["sentence", "label"],
        compressors: await parquetCompressors(),
      }),
    );
    assertEquals(remote.map((r) => r.value.sentence), local.map((r) => r.value.sentence));
    assertEquals(remote[0].value.idx, undefined);
    assert(ranged >= 2, "read with range requests");
    // Without a gzip decompressor the error names the file and the first row of the row group.
    const err = await rejection(collect(readParquetRows(await openAsyncBuffer(path), path)));
    assert(err instanceof DataFormatError);
    assertMatch(err.message, /train-00000-of-00001\.parquet:1: cannot decode the row group/);
  } finally {
    ac.abort();
    await server.finished;
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("parquet: not a parquet file, a truncated file and a missing column name the file", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const bytes = colaParquet(20);
    const cut = join(tmp, "cut.parquet");
    await Deno.writeFile(cut, bytes.slice(0, bytes.length - 30));
    const e1 = await rejection(collect(readParquetRows(await openAsyncBuffer(cut), cut)));
    assertMatch(e1.message, /cut\.parquet: not a readable parquet file/);
    const good = join(tmp, "good.parquet");
    await Deno.writeFile(good, bytes);
    const e2 = await rejection(collect(readParquetRows(await openAsyncBuffer(good), good, { columns: ["sentence2"] })));
    assertMatch(e2.message, /good\.parquet: missing column "sentence2" \(columns: sentence, label, idx\)/);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("prepare CoLA from Hugging Face-style parquet shards gives the same examples as the TSV files", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(tmp, "pq", "cola"), { recursive: true });
    await Deno.writeFile(join(tmp, "pq", "cola", "train-00000-of-00001.parquet"), colaParquet(300));
    await Deno.writeFile(join(tmp, "pq", "cola", "validation-00000-of-00001.parquet"), colaParquet(41, "SNAPPY", 1000));
    await Deno.mkdir(join(tmp, "tsv"));
    const tsv = (n: number, off: number) =>
      Array.from({ length: n }, (_, i) => `src\t${i % 2}\t\tSentence ${i + off} is “quoted”.`).join("\n");
    await Deno.writeTextFile(join(tmp, "tsv", "train.tsv"), tsv(300, 0));
    await Deno.writeTextFile(join(tmp, "tsv", "dev.tsv"), tsv(41, 1000));
    const a = await prepareDataset({
      task: "cola",
      inputs: await expandInputs(join(tmp, "pq"), "cola"),
      out: join(tmp, "a"),
    });
    const b = await prepareDataset({
      task: "cola",
      inputs: await expandInputs(join(tmp, "tsv"), "cola"),
      out: join(tmp, "b"),
    });
    assertEquals(a.entries.map((e) => e.count), [300, 20, 21]);
    assertEquals(a.entries.map((e) => e.examplesSha256), b.entries.map((e) => e.examplesSha256));
    const ds = await openDatasetDir(join(tmp, "a"));
    const first = (await collect(readTaskExamples(ds.sources("train")[0])))[1];
    assertEquals(first, {
      task: "cola",
      id: "cola/train/1",
      source: "cola sentence: Sentence 1 is “quoted”.",
      target: "1",
    });
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
