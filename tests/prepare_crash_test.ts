/**
 * `data prepare` under SIGKILL at chosen file-system calls (issue 12, items 4, 5 and 11): the dataset already in the
 * folder stays readable and unmixed, the next prepare cleans up, and shard bytes are checked against the manifest.
 */
import { assert, assertEquals, assertMatch, assertRejects } from "@std/assert";
import { fromFileUrl, join } from "@std/path";
import { gzipBytes, openDatasetDir, prepareDataset, readTaskExamples } from "@hyperdecoders/data";
import { faultTest, runDeno } from "./fault_injection.ts";

const DATA_CLI = fromFileUrl(new URL("../scripts/data.ts", import.meta.url));

/** `n` user-task lines of task `task`; `flip` swaps the targets (same byte lengths). */
function userJsonl(task: string, n: number, flip = false): string {
  return Array.from({ length: n }, (_, i) => {
    const target = (i % 2 === 0) !== flip ? "yes" : "no!";
    return JSON.stringify({ task, input: `sentence number ${String(i).padStart(4, "0")}`, target });
  }).join("\n") + "\n";
}

async function examples(dir: string, task: string): Promise<string[]> {
  const ds = await openDatasetDir(dir);
  const out: string[] = [];
  for (const s of ds.sources("train", [task])) for await (const ex of readTaskExamples(s)) out.push(ex.target);
  return out;
}

function prepareArgs(input: string, out: string): string[] {
  return [
    "run",
    "-A",
    "--no-check",
    DATA_CLI,
    "prepare",
    "--task",
    "user",
    "--input",
    `train=${input}`,
    "--out",
    out,
    "--max-shard-mb",
    "0.002",
  ];
}

async function setup(): Promise<{ root: string; out: string; v1: string[] }> {
  const root = await Deno.makeTempDir({ prefix: "prepare-crash-" });
  await Deno.writeTextFile(join(root, "keep.jsonl"), userJsonl("keep", 20));
  await Deno.writeTextFile(join(root, "v1.jsonl"), userJsonl("t", 300));
  await Deno.writeTextFile(join(root, "v2.jsonl"), userJsonl("t", 300, true));
  const out = join(root, "ds");
  const opts = { task: "user", out, maxShardBytes: 2000 };
  await prepareDataset({ ...opts, inputs: [{ split: "train", location: join(root, "keep.jsonl") }] });
  await prepareDataset({ ...opts, inputs: [{ split: "train", location: join(root, "v1.jsonl") }] });
  const v1 = await examples(out, "t");
  assertEquals(v1.length, 300);
  return { root, out, v1 };
}

faultTest("prepare killed while writing manifest.json keeps every task already prepared", async (shim) => {
  const { root, out, v1 } = await setup();
  try {
    for (const call of ["trunc", "rename"] as const) {
      const r = await runDeno(shim, prepareArgs(join(root, "v2.jsonl"), out), { call, match: "manifest.json" });
      assert(r.killed, `${call}: not killed at manifest.json:\n${r.output}`);
      assertEquals((await examples(out, "keep")).length, 20, call);
      assertEquals(await examples(out, "t"), v1, call);
    }
    // The next prepare succeeds and leaves no temporary file or unpublished shard behind.
    const r = await runDeno(shim, prepareArgs(join(root, "v2.jsonl"), out));
    assertEquals(r.code, 0, r.output);
    assertEquals((await examples(out, "t")).filter((t) => t === "yes").length, 150);
    const names = [...Deno.readDirSync(out)].map((e) => e.name).sort();
    assertEquals(names, ["keep", "manifest.json", "t"]);
    const m = JSON.parse(await Deno.readTextFile(join(out, "manifest.json")));
    const listed = m.entries.flatMap((e: { shards: { file: string }[] }) => e.shards.map((s) => s.file)).sort();
    const onDisk = ["keep", "t"].flatMap((d) => [...Deno.readDirSync(join(out, d))].map((e) => `${d}/${e.name}`))
      .sort();
    assertEquals(onDisk, listed);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

faultTest("a re-prepare killed between shards never mixes old and new examples", async (shim) => {
  const { root, out, v1 } = await setup();
  try {
    const r = await runDeno(shim, prepareArgs(join(root, "v2.jsonl"), out), {
      call: "create",
      match: ".jsonl.gz",
      nth: 3,
    });
    assert(r.killed, r.output);
    assertEquals(await examples(out, "t"), v1);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a shard whose bytes differ from the manifest's SHA-256 stops the read, naming the shard", async () => {
  const { root, out } = await setup();
  try {
    const m = JSON.parse(await Deno.readTextFile(join(out, "manifest.json")));
    const shard = m.entries.find((e: { task: string }) => e.task === "t").shards[1];
    const path = join(out, shard.file);
    // Same example count, same length, one label flipped: only the hash can tell.
    const text = new TextDecoder().decode(
      new Uint8Array(
        await new Response((await Deno.open(path)).readable.pipeThrough(new DecompressionStream("gzip"))).arrayBuffer(),
      ),
    );
    const changed = text.replace('"target":"yes"', '"target":"no!"');
    assert(changed !== text);
    await Deno.writeFile(path, await gzipBytes(new TextEncoder().encode(changed)));
    const err = await assertRejects(() => examples(out, "t"));
    assertMatch(
      (err as Error).message,
      new RegExp(`${shard.file.replace(/[.]/g, "\\.")}: SHA-256 [0-9a-f]{64} differs`),
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("an empty or blank-only JSONL input is an error naming the file", async () => {
  const root = await Deno.makeTempDir({ prefix: "prepare-empty-" });
  try {
    for (const [name, text] of [["empty.jsonl", ""], ["blank.jsonl", "\n  \n\t\n"]]) {
      const file = join(root, name);
      await Deno.writeTextFile(file, text);
      for (const task of ["user"]) {
        const err = await assertRejects(() =>
          prepareDataset({ task, inputs: [{ split: "train", location: file }], out: join(root, "out") })
        );
        assertMatch((err as Error).message, new RegExp(`${name}: holds no records`));
      }
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a prepare whose inputs yield no example (all skipped as malformed) fails instead of writing nothing", async () => {
  const root = await Deno.makeTempDir({ prefix: "prepare-none-" });
  try {
    const file = join(root, "bad.jsonl");
    await Deno.writeTextFile(file, "not json\n{also not\n");
    const err = await assertRejects(() =>
      prepareDataset({
        task: "user",
        inputs: [{ split: "train", location: file }],
        out: join(root, "out"),
        skipBad: true,
      })
    );
    assertMatch((err as Error).message, /no examples were read from .*bad\.jsonl \(2 malformed record\(s\) skipped\)/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
