/**
 * A prepared dataset folder served over HTTP reads as it does from disk (so that every node of a cluster can stream
 * the same shards): manifest, every shard line of every split, and the SHA-256 check; a missing manifest is a clear
 * error naming its URL.
 */
import { assertEquals, assertRejects } from "@std/assert";
import { fromFileUrl, join } from "@std/path";
import { datasetFile, openTaskSources } from "./fs.ts";
import { writeDemoMixture } from "./demo_prepare.ts";
import { readShardLines, type TaskSource } from "./task_source.ts";

const TOKENIZER = fromFileUrl(new URL("../configs/demo/spiece.model", import.meta.url));

async function allLines(sources: TaskSource[]): Promise<string[]> {
  const out: string[] = [];
  for (const s of sources) for (const shard of s.shards) for await (const l of readShardLines(shard)) out.push(l.text);
  return out;
}

Deno.test("data: a dataset folder served over http(s) reads as it does from disk", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hd-url-data-" });
  const sizes = { train: 20, validation: 4, test: 4 };
  await writeDemoMixture({
    out: dir,
    tokenizer: TOKENIZER,
    sizes: { demo_label: sizes, demo_count: sizes, demo_extract: sizes },
  });
  const requests: string[] = [];
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, async (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    requests.push(path);
    try {
      return new Response(await Deno.readFile(join(dir, path.replace(/^\/data\//, ""))));
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  try {
    const url = `http://127.0.0.1:${server.addr.port}/data`;
    assertEquals(datasetFile(url, "manifest.json"), `${url}/manifest.json`);
    assertEquals(datasetFile(`${url}/`, "demo_label/train.jsonl.gz"), `${url}/demo_label/train.jsonl.gz`);
    for (const split of ["train", "validation", "test"]) {
      const local = await openTaskSources([dir], split);
      const remote = await openTaskSources([url], split);
      assertEquals(remote.map((s) => [s.task, s.count]), local.map((s) => [s.task, s.count]));
      assertEquals(await allLines(remote), await allLines(local));
    }
    assertEquals(requests.includes("/data/manifest.json"), true);
    await assertRejects(
      () => openTaskSources([`http://127.0.0.1:${server.addr.port}/nothing`], "train"),
      Error,
      `http://127.0.0.1:${server.addr.port}/nothing/manifest.json: not found`,
    );
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
