import {
  assert,
  assertEquals,
  assertMatch,
  assertNotStrictEquals,
  assertRejects,
  assertStrictEquals,
} from "@std/assert";
import { join } from "@std/path";
import { fixturePath } from "../tests/fixtures.ts";
import { writeDemoMixture } from "./demo_prepare.ts";
import { openDatasetDir, openTaskSources } from "./fs.ts";
import { StreamingLoader } from "./loader.ts";
import { expandInputs, inferSplit, prepareDataset } from "./prepare.ts";
import { datasetStats } from "./stats.ts";
import { readTaskExamples } from "./task_source.ts";
import { collect, gzip } from "./test_helpers.ts";
import { loadTokenizer } from "./tokenizer/mod.ts";

function rteTsv(n: number, offset = 0): string {
  const rows = Array.from(
    { length: n },
    (_, i) =>
      `${i}\tPremise number ${i + offset}.\tHypothesis ${i + offset}.\t${i % 3 ? "entailment" : "not_entailment"}`,
  );
  return ["index\tsentence1\tsentence2\tlabel", ...rows].join("\n") + "\n";
}

async function examplesOf(dir: string, split: string, task?: string) {
  const ds = await openDatasetDir(dir);
  const out = [];
  for (const s of ds.sources(split, task ? [task] : undefined)) out.push(...await collect(readTaskExamples(s)));
  return out;
}

Deno.test("prepare RTE from TSV: Table 10 sizes, halves of dev are disjoint, reproducible hashes", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(tmp, "train.tsv"), rteTsv(2490));
    await Deno.writeTextFile(join(tmp, "dev.tsv"), rteTsv(277, 100000));
    await Deno.writeTextFile(join(tmp, "test.tsv"), "index\tsentence1\tsentence2\n0\ta\tb\n");
    const inputs = await expandInputs(tmp, "rte");
    assertEquals(inputs.map((i) => [i.split, i.format]), [["validation", "tsv"], ["test", "tsv"], [
      "train",
      "tsv",
    ]]);
    const logs: string[] = [];
    const r1 = await prepareDataset({ task: "rte", inputs, out: join(tmp, "a"), log: (m) => logs.push(m) });
    assert(logs.some((m) => /ignoring .*test\.tsv: split "test" is not used by rte/.test(m)), logs.join("\n"));
    assertEquals(r1.entries.map((e) => [e.split, e.count]), [["train", 2490], ["validation", 138], ["test", 139]]);
    const val = await examplesOf(join(tmp, "a"), "validation");
    const test = await examplesOf(join(tmp, "a"), "test");
    const devSources = new Set([...val, ...test].map((e) => e.source));
    assertEquals(devSources.size, 277);
    assert([...devSources].every((s) => /Premise number 1\d{5}\./.test(s)));
    assertEquals(val[0].source.startsWith("rte sentence1: Premise number "), true);
    assert(["0", "1"].includes(val[0].target));
    // Same inputs and seed → same bytes; the reference-code variant drops one per split.
    const r2 = await prepareDataset({ task: "rte", inputs, out: join(tmp, "b") });
    assertEquals(r2.entries.map((e) => e.examplesSha256), r1.entries.map((e) => e.examplesSha256));
    assertEquals(r2.entries.map((e) => e.shards[0].sha256), r1.entries.map((e) => e.shards[0].sha256));
    const r3 = await prepareDataset({ task: "rte", inputs, out: join(tmp, "c"), split: { dropOne: true } });
    assertEquals(r3.entries.map((e) => e.count), [2489, 137, 138]);
    const m = JSON.parse(await Deno.readTextFile(join(tmp, "a", "manifest.json")));
    assertEquals(m.entries[0].provenance.templateVersion, "hyperdecoders-templates/1");
    assertMatch(m.entries[0].shards[0].file, /^rte\/train-[0-9a-f]{8}-00000\.jsonl\.gz$/);
    assertMatch(m.entries[0].shards[0].sha256, /^[0-9a-f]{64}$/);
    const left = [];
    for await (const e of Deno.readDir(join(tmp, "a"))) left.push(e.name);
    assertEquals(left.sort(), ["manifest.json", "rte"], "staging folder removed");
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("prepare SST-2 (67,349 generated rows): 1,000 held out of train, dev is the test set; shards bounded", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const rows = Array.from({ length: 67349 }, (_, i) => `sentence ${i} is here .\t${i % 2}`);
    await Deno.writeTextFile(join(tmp, "train.tsv"), ["sentence\tlabel", ...rows].join("\n") + "\n");
    await Deno.writeTextFile(join(tmp, "dev.tsv"), ["sentence\tlabel", ...rows.slice(0, 872)].join("\n") + "\n");
    const out = join(tmp, "out");
    const r = await prepareDataset({
      task: "sst2",
      inputs: await expandInputs(tmp, "sst2"),
      out,
      maxShardBytes: 1 << 20,
    });
    assertEquals(r.entries.map((e) => [e.split, e.count]), [["train", 66349], ["validation", 1000], [
      "test",
      872,
    ]]);
    const train = r.entries[0];
    assert(train.shards.length >= 3, `${train.shards.length} shards`);
    for (const s of train.shards) assert(s.bytes < 1 << 20);
    assertEquals(train.shards.reduce((a, s) => a + s.count, 0), 66349);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("prepare MNLI: file names give matched/mismatched; validation = mismatched, test = matched", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const header = "index\tpromptID\tpairID\tgenre\ts1b\ts2b\ts1p\ts2p\tsentence1\tsentence2\tlabel1\tgold_label";
    const file = (tag: string, n: number) =>
      [header, ...Array.from({ length: n }, (_, i) => `${i}\t0\t0\tg\t(\t(\t(\t(\t${tag} ${i}\th\tneutral\tneutral`)]
        .join("\n");
    await Deno.writeTextFile(join(tmp, "train.tsv"), file("train", 50));
    await Deno.writeTextFile(join(tmp, "dev_matched.tsv"), file("matched", 7));
    await Deno.writeTextFile(join(tmp, "dev_mismatched.tsv"), file("mismatched", 9));
    assertEquals(inferSplit("https://x/glue/mnli/validation_matched-00000-of-00001.parquet"), "validation_matched");
    const r = await prepareDataset({ task: "mnli", inputs: await expandInputs(tmp, "mnli"), out: join(tmp, "o") });
    assertEquals(r.entries.map((e) => [e.split, e.count]), [["train", 50], ["validation", 9], ["test", 7]]);
    const test = await examplesOf(join(tmp, "o"), "test");
    assertEquals(test[0].source, "mnli premise: matched 0 hypothesis: h");
    assertEquals(test[0].target, "1");
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("prepare user tasks from an http URL (streamed) with --skip-bad: skips counted in the manifest", async () => {
  const tmp = await Deno.makeTempDir();
  const lines = [
    ...Array.from({ length: 30 }, (_, i) => JSON.stringify({ task: "shout", input: `say ${i}`, target: `SAY ${i}` })),
    "{not json",
    JSON.stringify({ task: "shout", input: "no target" }),
    ...Array.from({ length: 12 }, (_, i) => JSON.stringify({ task: "echo", input: `e${i}`, target: `e${i}` })),
  ].join("\n");
  const body = await gzip(lines);
  const ac = new AbortController();
  const server = Deno.serve(
    { port: 0, signal: ac.signal, onListen: () => {} },
    (req) =>
      new URL(req.url).pathname === "/mine/train.jsonl.gz"
        ? new Response(body as Uint8Array<ArrayBuffer>)
        : new Response("no", { status: 404 }),
  );
  const base = `http://localhost:${server.addr.port}`;
  try {
    const out = join(tmp, "u");
    assertMatch(
      (await assertRejects(
        async () =>
          prepareDataset({ task: "user", inputs: await expandInputs(`${base}/mine/train.jsonl.gz`, "user"), out }),
        Error,
      )).message,
      /train\.jsonl\.gz:31: invalid JSON/,
    );
    const r = await prepareDataset({
      task: "user",
      inputs: await expandInputs(`${base}/mine/train.jsonl.gz`, "user"),
      out,
      skipBad: true,
    });
    assertEquals(r.entries.map((e) => [e.task, e.split, e.count]), [["shout", "train", 30], ["echo", "train", 12]]);
    assertEquals(r.skipped.total, 2);
    const m = await openDatasetDir(out);
    assertEquals(m.manifest.entries[0].provenance.skipped?.total, 2);
    assertEquals(m.manifest.entries.map((e) => e.task), ["echo", "shout"], "sorted");
    const echo = await examplesOf(out, "train", "echo");
    assertEquals(echo[3], { task: "echo", id: "echo/train/33", source: "e3", target: "e3" });
    assertMatch(
      (await assertRejects(
        () => prepareDataset({ task: "user", inputs: [{ split: "train", location: `${base}/nope.jsonl` }], out }),
        Error,
      ))
        .message,
      /nope\.jsonl: HTTP 404/,
    );
  } finally {
    ac.abort();
    await server.finished;
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("prepare MRQA (.jsonl.gz, real tokenizer): 512/128 windows, answer per chunk, ids match the text", async () => {
  const tok = await loadTokenizer(fixturePath("spm-2k"));
  const tmp = await Deno.makeTempDir();
  try {
    const words = Array.from({ length: 900 }, (_, i) => ["the", "file", "server", "module", "value"][i % 5]);
    words[40] = "Paris";
    words[700] = "Berlin";
    const context = words.join(" ");
    const span = (w: string) => {
      const s = context.indexOf(w);
      return [s, s + w.length - 1];
    };
    const qas = [
      {
        qid: "q-paris",
        question: "Which city is first?",
        answers: ["Paris"],
        detected_answers: [{ text: "Paris", char_spans: [span("Paris")], token_spans: [[40, 40]] }],
      },
      {
        qid: "q-berlin",
        question: "Which city is late?",
        answers: ["Berlin"],
        detected_answers: [{ text: "Berlin", char_spans: [span("Berlin")], token_spans: [[700, 700]] }],
      },
    ];
    const header = JSON.stringify({ header: { dataset: "SQuAD", split: "train" } });
    await Deno.writeFile(join(tmp, "SQuAD.jsonl.gz"), await gzip(header + "\n" + JSON.stringify({ context, qas })));
    const out = join(tmp, "m");
    assertMatch(
      (await assertRejects(
        () =>
          prepareDataset({ task: "mrqa", inputs: [{ split: "train", location: join(tmp, "SQuAD.jsonl.gz") }], out }),
        Error,
      )).message,
      /needs a tokenizer/,
    );
    const r = await prepareDataset({
      task: "mrqa",
      inputs: [{ split: "train", location: join(tmp, "SQuAD.jsonl.gz") }],
      out,
      tokenizer: tok,
    });
    assertEquals(r.entries.map((e) => [e.task, e.split]), [["SQuAD", "train"]]);
    const chunks = await examplesOf(out, "train");
    const contextIds = tok.encode(context, { addEos: false });
    const perQ = chunks.filter((c) => c.id === "q-paris");
    const prefix = tok.encode("question: Which city is first? context: ", { addEos: false }).length;
    const room = 512 - prefix - 1;
    let expected = 1;
    for (let start = 0; start + room < contextIds.length; start += room - 128) expected++;
    assertStrictEquals(perQ.length, expected);
    assert(expected >= 2);
    for (const c of chunks) {
      assert(c.sourceIds!.length <= 512);
      assertEquals(c.sourceIds, tok.encode(c.source), "chunk ids equal the tokenised chunk text");
      assertStrictEquals(c.target !== "", c.source.includes(c.target === "" ? "\u0000" : c.target));
    }
    assertEquals(perQ.map((c) => c.target), perQ.map((c) => c.source.includes("Paris") ? "Paris" : ""));
    // Overlap: consecutive windows share 128 context tokens.
    const ids = perQ.map((c) => c.sourceIds!.slice(prefix, -1));
    assertEquals(ids[0].slice(-128), ids[1].slice(0, 128));
    assertEquals([...ids[0], ...ids[1].slice(128)], contextIds.slice(0, ids[0].length + ids[1].length - 128));
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("demo mixture: deterministic, short (≤ 32 tokens, targets 1–3), loads, stats table", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const tokPath = fixturePath("spm-2k");
    const a = await writeDemoMixture({ out: join(tmp, "a"), tokenizer: tokPath });
    const b = await writeDemoMixture({ out: join(tmp, "b"), tokenizer: tokPath });
    assertEquals(a.entries.map((e) => e.examplesSha256), b.entries.map((e) => e.examplesSha256));
    assertEquals(a.entries.map((e) => `${e.task}/${e.split}/${e.count}`).sort(), [
      "demo_count/test/200",
      "demo_count/train/2000",
      "demo_count/validation/200",
      "demo_extract/test/200",
      "demo_extract/train/1000",
      "demo_extract/validation/200",
      "demo_label/test/200",
      "demo_label/train/3000",
      "demo_label/validation/200",
    ]);
    const other = await writeDemoMixture({ out: join(tmp, "c"), tokenizer: tokPath, seed: 7 });
    assertNotStrictEquals(other.entries[0].examplesSha256, a.entries[0].examplesSha256);
    const tok = await loadTokenizer(tokPath);
    const m = await openDatasetDir(join(tmp, "a"));
    assertStrictEquals(m.manifest.entries[0].provenance.tokenizer?.location, tokPath);
    for (const src of m.sources("validation")) {
      for await (const ex of readTaskExamples(src)) {
        assert(tok.encode(ex.source).length <= 32, ex.source);
        const t = tok.encode(ex.target, { addEos: false }).length;
        assert(t >= 1 && t <= 3, ex.target);
        if (ex.task === "demo_extract") assert(ex.source.split(" ").includes(ex.target));
        if (ex.task === "demo_label") assert(["positive", "negative"].includes(ex.target));
        if (ex.task === "demo_count") assertMatch(ex.target, /^[0-4]\.0$/);
      }
    }
    const loader = await StreamingLoader.create({
      tasks: await openTaskSources([join(tmp, "a")], "train"),
      tokenizer: tok,
      batchSize: 32,
      maxSourceLength: 32,
      maxTargetLength: 4,
    });
    const batch = await loader.next();
    await loader.close();
    assertEquals(batch.batchSize, 32);
    assert(batch.sourceLength <= 32 && batch.targetLength <= 4);
    const table = await datasetStats([join(tmp, "a")], { tokenizer: tok });
    const rows = table.objects() as { task: string; split: string; n: number; src_max: number; tgt_max: number }[];
    assertEquals(rows.length, 9);
    assertEquals(rows.slice(0, 3).map((r) => [r.task, r.split, r.n]), [
      ["demo_count", "train", 2000],
      ["demo_count", "validation", 200],
      ["demo_count", "test", 200],
    ]);
    assert(rows.every((r) => r.src_max <= 32 && r.tgt_max <= 4));
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
