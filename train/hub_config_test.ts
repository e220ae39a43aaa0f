import { assert, assertEquals, assertNotEquals } from "@std/assert";
import { join } from "@std/path";
import { parquetWriteBuffer } from "hyparquet-writer";
import { fixturePath } from "../tests/fixtures.ts";
import { fakeRepo, readFolder, startFakeHub } from "../tests/fake_hub.ts";
import { resolveConfig } from "./config.ts";
import { pinHubRefs } from "./hub_config.ts";

const MODEL_DIR = fixturePath("t5-tiny-v1_1");
const ignore = !await Deno.stat(MODEL_DIR).then(() => true, () => false);

function cola(n: number, offset: number): Uint8Array {
  return new Uint8Array(parquetWriteBuffer({
    columnData: [
      { name: "sentence", data: Array.from({ length: n }, (_, i) => `Sentence ${i + offset}.`), type: "STRING" },
      { name: "label", data: Array.from({ length: n }, (_, i) => BigInt(i % 2)), type: "INT64" },
      { name: "idx", data: Array.from({ length: n }, (_, i) => i), type: "INT32" },
    ],
  }));
}

Deno.test({
  name: "train config: hf: checkpoint/tokenizer pinned to their commit; data.sources prepared once and reused",
  ignore,
  fn: async () => {
    const home = await Deno.makeTempDir({ prefix: "hf-home-" });
    const files = await readFolder(MODEL_DIR);
    files.set("spiece.model", await Deno.readFile(fixturePath("spm-2k", "spiece.model")));
    const model = fakeRepo("model", "fixtures/t5-tiny-v1_1", files);
    const glue = fakeRepo(
      "dataset",
      "nyu-mll/glue",
      new Map([
        ["cola/train-00000-of-00001.parquet", cola(30, 0)],
        ["cola/validation-00000-of-00001.parquet", cola(8, 100)],
        ["cola/test-00000-of-00001.parquet", cola(8, 200)],
      ]),
    );
    const hub = startFakeHub([model, glue]);
    const keys = [
      "HF_HOME",
      "HF_HUB_CACHE",
      "HF_ENDPOINT",
      "HF_HUB_OFFLINE",
      "HF_TOKEN",
      "HYPERDECODERS_PREPARED_CACHE",
    ];
    const saved = keys.map((k) => [k, Deno.env.get(k)] as const);
    try {
      for (const k of keys) Deno.env.delete(k);
      Deno.env.set("HF_HOME", home);
      Deno.env.set("HF_ENDPOINT", hub.url);
      Deno.env.set("HF_TOKEN", "hf_never_written_anywhere");
      const config = resolveConfig({
        model: { checkpoint: "hf:fixtures/t5-tiny-v1_1" },
        tokenizer: "hf:fixtures/t5-tiny-v1_1",
        data: { shards: [], sources: [{ task: "cola", input: "hf://datasets/nyu-mll/glue/cola/*.parquet" }] },
      }, "test");
      const logs: string[] = [];
      const pinned = await pinHubRefs(config, (m) => logs.push(m));
      const sha = model.refs.get("main")!;
      const dsha = glue.refs.get("main")!;
      assertEquals(pinned.model.checkpoint, `hf:fixtures/t5-tiny-v1_1@${sha}`);
      assertEquals(pinned.tokenizer, `hf:fixtures/t5-tiny-v1_1@${sha}`);
      assertEquals(pinned.data.sources![0].input, `hf://datasets/nyu-mll/glue@${dsha}/cola/*.parquet`);
      assertEquals(pinned.data.shards.length, 1);
      const dir = pinned.data.shards[0];
      assert(dir.startsWith(join(home, "hyperdecoders", "prepared", "cola-")), dir);
      const manifest = JSON.parse(await Deno.readTextFile(join(dir, "manifest.json")));
      assert(manifest.entries.length >= 2);
      assert(logs.some((l) => l.startsWith("preparing cola")));
      assert(!JSON.stringify(pinned).includes("hf_never_written"), "the token is in the config");
      assert(!(await Deno.readTextFile(join(dir, "manifest.json"))).includes("hf_never_written"));
      // The pinned config is valid as it stands (it is what the run's config.json holds).
      assertEquals(
        resolveConfig(JSON.parse(JSON.stringify(pinned)), "config.json").model.checkpoint,
        pinned.model.checkpoint,
      );

      // Again, from the user's config and from the run's pinned config: same folder, not prepared again, no request.
      const n = hub.requests.length;
      const mtime = (await Deno.stat(join(dir, "manifest.json"))).mtime;
      const logs2: string[] = [];
      const again = await pinHubRefs(config, (m) => logs2.push(m));
      const resumed = await pinHubRefs(pinned, (m) => logs2.push(m));
      assertEquals(again.data.shards, [dir]);
      assertEquals(resumed.data.shards, [dir]);
      assertEquals(resumed.model.checkpoint, pinned.model.checkpoint);
      assertEquals(logs2.filter((l) => l.startsWith("preparing")), []);
      assertEquals((await Deno.stat(join(dir, "manifest.json"))).mtime, mtime);
      assertEquals(hub.requests.length, n, "a second run made requests");

      // A new commit of the dataset is prepared into a new folder.
      const files2 = new Map(glue.commits.get(dsha)!);
      files2.set("cola/train-00000-of-00001.parquet", cola(31, 0));
      glue.commits.set("f".repeat(40), files2);
      glue.refs.set("main", "f".repeat(40));
      const newer = await pinHubRefs({
        ...config,
        data: { ...config.data, sources: [{ task: "cola", input: `hf://datasets/nyu-mll/glue@main/cola/*.parquet` }] },
      }, () => {});
      // "@main" resolves through refs/main of the cache: still the prepared commit until refs/main is refreshed.
      assertEquals(newer.data.shards, [dir]);
      const pinnedNew = await pinHubRefs({
        ...config,
        data: {
          ...config.data,
          sources: [{ task: "cola", input: `hf://datasets/nyu-mll/glue@${"f".repeat(40)}/cola/*.parquet` }],
        },
      }, () => {});
      assertNotEquals(pinnedNew.data.shards[0], dir);
    } finally {
      for (const [k, v] of saved) v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
      await hub.close();
      await Deno.remove(home, { recursive: true });
    }
  },
});
