import { assert, assertEquals, assertMatch, assertRejects, assertStringIncludes } from "@std/assert";
import { join } from "@std/path";
import { parquetWriteBuffer } from "hyparquet-writer";
import { fixturePath } from "../../tests/fixtures.ts";
import { prepareDataset } from "../prepare.ts";
import { repoFolder } from "./cache.ts";
import { expandHubInputs, hubDatasetFiles } from "./dataset.ts";
import { HubError } from "./errors.ts";
import { formatHubRef, parseHubRef } from "./ref.ts";
import { type HubSettings, hubSettings } from "./settings.ts";
import { formatProgress } from "./progress.ts";
import { fetchSnapshot, resolveHubPath } from "./snapshot.ts";
import { fakeRepo, fakeSha, readFolder, startFakeHub } from "../../tests/fake_hub.ts";

const MODEL_DIR = fixturePath("t5-tiny-v1_1");
const TOKENIZER_DIR = fixturePath("spm-2k");
const haveFixtures = await Deno.stat(MODEL_DIR).then(() => true, () => false);
const ignore = !haveFixtures;
if (ignore) console.warn(`hub tests skipped: fixtures not found at ${MODEL_DIR} (set HYPERDECODERS_FIXTURES)`);

const MODEL = "fixtures/t5-tiny-v1_1";
const quiet = () => {};

/** The fixture checkpoint plus the fixture tokenizer, as one Hub model repository. */
async function modelFiles(): Promise<Map<string, Uint8Array>> {
  const files = await readFolder(MODEL_DIR);
  for (const f of ["spiece.model", "tokenizer_config.json"]) files.set(f, await Deno.readFile(join(TOKENIZER_DIR, f)));
  return files;
}

function glueParquet(n: number, offset: number): Uint8Array {
  return new Uint8Array(parquetWriteBuffer({
    columnData: [
      { name: "sentence", data: Array.from({ length: n }, (_, i) => `Sentence ${i + offset} here.`), type: "STRING" },
      { name: "label", data: Array.from({ length: n }, (_, i) => BigInt(i % 2)), type: "INT64" },
      { name: "idx", data: Array.from({ length: n }, (_, i) => i), type: "INT32" },
    ],
  }));
}

/** `nyu-mll/glue` layout: one folder per task with train/validation/test parquet files. */
function glueFiles(): Map<string, Uint8Array> {
  return new Map([
    ["README.md", new TextEncoder().encode("# GLUE (test copy)\n")],
    ["cola/train-00000-of-00001.parquet", glueParquet(40, 0)],
    ["cola/validation-00000-of-00001.parquet", glueParquet(10, 1000)],
    ["cola/test-00000-of-00001.parquet", glueParquet(10, 2000)],
    ["rte/train-00000-of-00001.parquet", glueParquet(5, 0)],
  ]);
}

async function setup(extra: { gated?: boolean } = {}) {
  const cacheDir = await Deno.makeTempDir({ prefix: "hub-cache-" });
  const model = fakeRepo("model", MODEL, await modelFiles());
  const gated = fakeRepo("model", "fixtures/gated-t5", await modelFiles(), true);
  const glue = fakeRepo("dataset", "nyu-mll/glue", glueFiles());
  const hub = startFakeHub([model, gated, glue]);
  const settings: HubSettings = { endpoint: hub.url, cacheDir, offline: false, progress: false, ...extra };
  return {
    hub,
    model,
    settings,
    cacheDir,
    [Symbol.asyncDispose]: async () => {
      await hub.close();
      await Deno.remove(cacheDir, { recursive: true });
    },
  };
}

Deno.test("hub refs: hf:org/name[@rev], hf://datasets/org/name[@rev]/glob, round trip", () => {
  assertEquals(parseHubRef("hf:google/t5-large-lm-adapt"), {
    type: "model",
    repo: "google/t5-large-lm-adapt",
    revision: "main",
    path: "",
  });
  assertEquals(parseHubRef("hf:t5-small@v1"), { type: "model", repo: "t5-small", revision: "v1", path: "" });
  assertEquals(parseHubRef("hf://datasets/nyu-mll/glue@refs%2Fconvert%2Fparquet/cola/*.parquet"), {
    type: "dataset",
    repo: "nyu-mll/glue",
    revision: "refs/convert/parquet",
    path: "cola/*.parquet",
  });
  const r = "hf://datasets/nyu-mll/glue@abc/cola/train-00000-of-00001.parquet";
  assertEquals(formatHubRef(parseHubRef(r)), r);
  let msg = "";
  try {
    parseHubRef("hf:bad name");
  } catch (e) {
    msg = (e as Error).message;
  }
  assertStringIncludes(msg, "malformed Hub reference");
});

Deno.test("hub settings: HF_HUB_CACHE, HF_HOME, HF_ENDPOINT, HF_HUB_OFFLINE, HF_TOKEN from the environment", () => {
  const keys = ["HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HOME", "HF_ENDPOINT", "HF_HUB_OFFLINE", "HF_TOKEN"];
  const saved = new Map(keys.map((k) => [k, Deno.env.get(k)]));
  try {
    for (const k of keys) Deno.env.delete(k);
    Deno.env.set("HF_HOME", "/tmp/hf-home");
    Deno.env.set("HF_ENDPOINT", "http://mirror.example/");
    Deno.env.set("HF_HUB_OFFLINE", "1");
    Deno.env.set("HF_TOKEN", "hf_secret");
    const s = hubSettings();
    assertEquals([s.cacheDir, s.endpoint, s.offline, s.token], [
      "/tmp/hf-home/hub",
      "http://mirror.example",
      true,
      "hf_secret",
    ]);
    Deno.env.set("HF_HUB_CACHE", "/tmp/elsewhere");
    assertEquals(hubSettings().cacheDir, "/tmp/elsewhere");
    // Without HF_TOKEN, the token file that `huggingface-cli login` writes.
    const home = Deno.makeTempDirSync();
    Deno.writeTextFileSync(join(home, "token"), "hf_from_file\n");
    Deno.env.delete("HF_TOKEN");
    Deno.env.set("HF_HOME", home);
    assertEquals(hubSettings().token, "hf_from_file");
    Deno.removeSync(home, { recursive: true });
  } finally {
    for (const [k, v] of saved) v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
  }
});

Deno.test({
  name: "hub: first download into an empty cache, Python's layout; a second run makes no request",
  ignore,
  fn: async () => {
    await using t = await setup();
    const snap = await fetchSnapshot(`hf:${MODEL}`, "model", { settings: t.settings, log: quiet });
    const commit = t.model.refs.get("main")!;
    assertEquals(snap.commit, commit);
    // One weights format (safetensors; not the bf16 copy, not pytorch_model.bin), config and tokenizer files.
    assertEquals(snap.files, ["config.json", "model.safetensors", "spiece.model", "tokenizer_config.json"]);
    const folder = repoFolder(t.cacheDir, "model", MODEL);
    assertEquals(folder, join(t.cacheDir, "models--fixtures--t5-tiny-v1_1"));
    assertEquals(await Deno.readTextFile(join(folder, "refs", "main")), commit);
    assertEquals(snap.dir, join(folder, "snapshots", commit));
    const link = await Deno.readLink(join(snap.dir, "model.safetensors"));
    const sha = await crypto.subtle.digest("SHA-256", await Deno.readFile(join(MODEL_DIR, "model.safetensors")));
    const hex = [...new Uint8Array(sha)].map((b) => b.toString(16).padStart(2, "0")).join("");
    assertEquals(link, join("..", "..", "blobs", hex));
    assertEquals(
      await Deno.readFile(join(snap.dir, "model.safetensors")),
      await Deno.readFile(join(MODEL_DIR, "model.safetensors")),
    );
    assert(snap.downloaded > 850_000);

    const before = t.hub.requests.length;
    const again = await fetchSnapshot(`hf:${MODEL}`, "model", { settings: t.settings, log: quiet });
    assertEquals(t.hub.requests.length, before, "the second run made a request");
    assertEquals([again.dir, again.downloaded], [snap.dir, 0]);

    // A tokenizer reference to the same repository is answered from the same snapshot.
    const tok = await resolveHubPath(`hf:${MODEL}`, "tokenizer", { settings: t.settings, log: quiet });
    assertEquals(tok.path, snap.dir);
    assertEquals(tok.resolved?.pinned, `hf:${MODEL}@${commit}`);
    assertEquals(t.hub.requests.length, before);

    // Parity asks for the reference dumps too: the cached snapshot is completed with them.
    const withRefs = await fetchSnapshot(`hf:${MODEL}`, "model", {
      settings: t.settings,
      log: quiet,
      optional: ["reference_io.safetensors"],
    });
    assertEquals(withRefs.downloaded, 44_508);
    assert(withRefs.files.includes("reference_io.safetensors"));
  },
});

Deno.test({
  name: "hub: offline mode uses the cache and names what is missing",
  ignore,
  fn: async () => {
    await using t = await setup();
    const offline = { ...t.settings, offline: true };
    const e1 = await assertRejects(() => fetchSnapshot(`hf:${MODEL}`, "model", { settings: offline }), HubError);
    assertEquals(e1.kind, "offline");
    assertStringIncludes(e1.message, `HF_HUB_OFFLINE=1: hf:${MODEL} is not in the cache`);
    assertEquals(t.hub.requests.length, 0);
    const snap = await fetchSnapshot(`hf:${MODEL}`, "model", { settings: t.settings, log: quiet });
    const n = t.hub.requests.length;
    assertEquals((await fetchSnapshot(`hf:${MODEL}`, "model", { settings: offline })).dir, snap.dir);
    await Deno.remove(join(snap.dir, "model.safetensors"));
    const e2 = await assertRejects(() => fetchSnapshot(`hf:${MODEL}`, "model", { settings: offline }), HubError);
    assertMatch(e2.message, /^HF_HUB_OFFLINE=1: model\.safetensors or .* is not in the cache/);
    assertEquals(t.hub.requests.length, n, "offline mode made a request");
    // Online again, the missing link is restored from the blob without downloading.
    const back = await fetchSnapshot(`hf:${MODEL}`, "model", { settings: t.settings, log: quiet });
    assertEquals(back.downloaded, 0);
  },
});

Deno.test({
  name: "hub: a download cut mid-file resumes with a Range request; a corrupted one is discarded and named",
  ignore,
  fn: async () => {
    await using t = await setup();
    t.hub.cut = { path: "model.safetensors", bytes: 300_000 };
    const cut = await assertRejects(
      () => fetchSnapshot(`hf:${MODEL}`, "model", { settings: t.settings, log: quiet }),
      HubError,
    );
    assertMatch(
      cut.message,
      /^fixtures\/t5-tiny-v1_1\/model\.safetensors: the download stopped after 300000 of 851592 bytes/,
    );
    const down = await assertRejects(
      () => fetchSnapshot("hf:a/b", "model", { settings: { ...t.settings, endpoint: "http://127.0.0.1:9" } }),
      HubError,
    );
    assertStringIncludes(down.message, "cannot reach the Hub at http://127.0.0.1:9");
    const blobs = join(repoFolder(t.cacheDir, "model", MODEL), "blobs");
    const partial = [...Deno.readDirSync(blobs)].find((e) => e.name.endsWith(".incomplete"))!;
    assertEquals(Deno.statSync(join(blobs, partial.name)).size, 300_000);
    const snap = await fetchSnapshot(`hf:${MODEL}`, "model", { settings: t.settings, log: quiet });
    assert(
      t.hub.requests.some((r) =>
        r === "GET /fixtures/t5-tiny-v1_1/resolve/" + snap.commit + "/model.safetensors bytes=300000-"
      ),
    );
    assertEquals(snap.downloaded, 851_592 - 300_000);
    assertEquals(
      await Deno.readFile(join(snap.dir, "model.safetensors")),
      await Deno.readFile(join(MODEL_DIR, "model.safetensors")),
    );

    // Corrupted on the wire: the sha256 differs from the Hub's LFS oid.
    await using u = await setup();
    u.hub.corrupt.add("model.safetensors");
    const e = await assertRejects(
      () => fetchSnapshot(`hf:${MODEL}`, "model", { settings: u.settings, log: quiet }),
      HubError,
    );
    assertEquals(e.kind, "corrupt");
    assertMatch(
      e.message,
      /^fixtures\/t5-tiny-v1_1\/model\.safetensors: sha256 [0-9a-f]{64} does not match the Hub's [0-9a-f]{64}/,
    );
    const left = [...Deno.readDirSync(join(repoFolder(u.cacheDir, "model", MODEL), "blobs"))].map((x) => x.name);
    const weightsOid = /Hub's ([0-9a-f]{64})/.exec(e.message)![1];
    assert(!left.some((n) => n.startsWith(weightsOid)), `corrupted blob kept: ${left}`);
    // A small (non-LFS) file is checked against its git oid.
    u.hub.corrupt.clear();
    u.hub.corrupt.add("config.json");
    await Deno.remove(repoFolder(u.cacheDir, "model", MODEL), { recursive: true });
    const e3 = await assertRejects(
      () => fetchSnapshot(`hf:${MODEL}`, "model", { settings: u.settings, log: quiet }),
      HubError,
    );
    assertStringIncludes(e3.message, "config.json: git oid");
  },
});

Deno.test({
  name: "hub: gated without a token, wrong token, right token; 404 for repository, revision and file",
  ignore,
  fn: async () => {
    await using t = await setup();
    const gated = "hf:fixtures/gated-t5";
    const e1 = await assertRejects(() => fetchSnapshot(gated, "model", { settings: t.settings, log: quiet }), HubError);
    assertEquals(e1.kind, "auth");
    assertStringIncludes(e1.message, "fixtures/gated-t5 is gated or private and no token was sent: set HF_TOKEN");
    assert(!e1.message.includes("\n"));
    t.hub.tokens.add("hf_good");
    const wrong = { ...t.settings, token: "hf_wrong_secret" };
    const e2 = await assertRejects(() => fetchSnapshot(gated, "model", { settings: wrong, log: quiet }), HubError);
    assertEquals(e2.kind, "forbidden");
    assert(!e2.message.includes("hf_wrong_secret"), "the token leaked into a message");
    const ok = await fetchSnapshot(gated, "model", { settings: { ...t.settings, token: "hf_good" }, log: quiet });
    assertEquals(ok.files.length, 4);

    const e3 = await assertRejects(
      () => fetchSnapshot("hf:nobody/nothing", "model", { settings: t.settings }),
      HubError,
    );
    assertEquals(
      e3.message,
      `nobody/nothing: no such model repository on ${t.hub.url} (check the name; private repositories also need HF_TOKEN)`,
    );
    const e4 = await assertRejects(() => fetchSnapshot(`hf:${MODEL}@v9`, "model", { settings: t.settings }), HubError);
    assertEquals(e4.message, `${MODEL}: no revision "v9" (check the branch, tag or commit)`);
    const e5 = await assertRejects(
      () => hubDatasetFiles("hf://datasets/nyu-mll/glue/nosuchtask/*.parquet", { settings: t.settings }),
      HubError,
    );
    assertStringIncludes(e5.message, "no file matches nosuchtask/*.parquet");
    assertEquals(e5.kind, "not-found");
    // A private repository: the token goes with the metadata requests too, whatever its shape.
    t.model.private = true;
    const e6 = await assertRejects(() => fetchSnapshot(`hf:${MODEL}`, "model", { settings: t.settings }), HubError);
    assertEquals(e6.kind, "auth");
    t.hub.tokens.add("api_org_token");
    const priv = await fetchSnapshot(`hf:${MODEL}`, "model", {
      settings: { ...t.settings, token: "api_org_token" },
      log: quiet,
    });
    assertEquals(priv.files.length, 4);
  },
});

Deno.test({
  name: "hub: a pinned revision gets that commit's files and leaves refs/main alone",
  ignore,
  fn: async () => {
    await using t = await setup();
    const old = t.model.refs.get("main")!;
    const newer = fakeSha("newer");
    const files = new Map(t.model.commits.get(old)!);
    const config = JSON.parse(new TextDecoder().decode(files.get("config.json")!));
    files.set("config.json", new TextEncoder().encode(JSON.stringify({ ...config, note: "newer" })));
    t.model.commits.set(newer, files);
    t.model.refs.set("main", newer);
    const head = await fetchSnapshot(`hf:${MODEL}`, "model", { settings: t.settings, log: quiet });
    assertEquals(head.commit, newer);
    const pinned = await fetchSnapshot(`hf:${MODEL}@${old}`, "model", { settings: t.settings, log: quiet });
    assertEquals(pinned.commit, old);
    assertEquals(pinned.downloaded, 571, "only the changed config.json is downloaded; the weights blob is shared");
    assertEquals(JSON.parse(await Deno.readTextFile(join(pinned.dir, "config.json"))).note, undefined);
    assertEquals(JSON.parse(await Deno.readTextFile(join(head.dir, "config.json"))).note, "newer");
    assertEquals(await Deno.readTextFile(join(repoFolder(t.cacheDir, "model", MODEL), "refs", "main")), newer);
  },
});

Deno.test({
  name:
    "hub datasets: data prepare --input hf://datasets/nyu-mll/glue/cola/*.parquet, cached or read by range requests",
  ignore,
  fn: async () => {
    await using t = await setup();
    const files = await hubDatasetFiles("hf://datasets/nyu-mll/glue/cola/*.parquet", {
      settings: t.settings,
      log: quiet,
    });
    assertEquals(files.files.map((f) => f.path), [
      "cola/test-00000-of-00001.parquet",
      "cola/train-00000-of-00001.parquet",
      "cola/validation-00000-of-00001.parquet",
    ]);
    assert(files.files.every((f) => f.location.startsWith(t.cacheDir)));
    assertEquals(files.files[1].source, `hf://datasets/nyu-mll/glue@${files.commit}/cola/train-00000-of-00001.parquet`);

    // Read in place with range requests above the size threshold.
    const streamed = await hubDatasetFiles("hf://datasets/nyu-mll/glue/cola/validation-*.parquet", {
      settings: t.settings,
      streamLargerThan: 0,
    });
    const loc = streamed.files[0].location;
    assertEquals(
      loc,
      `${t.hub.url}/datasets/nyu-mll/glue/resolve/${files.commit}/cola/validation-00000-of-00001.parquet`,
    );
    const out = await Deno.makeTempDir();
    try {
      const r = await prepareDataset({
        task: "cola",
        inputs: [
          { split: "train", location: files.files[1].location, source: files.files[1].source },
          { split: "validation", location: loc, source: streamed.files[0].source },
        ],
        out,
      });
      assert(r.entries.length >= 2);
      assert(t.hub.requests.some((x) => x.includes("/cola/validation-00000-of-00001.parquet bytes=")));
      const manifest = await Deno.readTextFile(r.manifestPath);
      assertStringIncludes(
        manifest,
        `hf://datasets/nyu-mll/glue@${files.commit}/cola/validation-00000-of-00001.parquet`,
      );
      assert(!manifest.includes(t.cacheDir), "the manifest names a cache path instead of the pinned reference");
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});

Deno.test({
  name: "hub datasets: expandHubInputs reads HF_ENDPOINT/HF_HUB_CACHE and infers splits from the Hub's file names",
  ignore,
  fn: async () => {
    await using t = await setup();
    const saved = ["HF_ENDPOINT", "HF_HUB_CACHE", "HF_HUB_OFFLINE"].map((k) => [k, Deno.env.get(k)] as const);
    try {
      Deno.env.set("HF_ENDPOINT", t.hub.url);
      Deno.env.set("HF_HUB_CACHE", t.cacheDir);
      Deno.env.delete("HF_HUB_OFFLINE");
      const inputs = await expandHubInputs("hf://datasets/nyu-mll/glue/cola/*.parquet", "cola");
      assertEquals(inputs.map((i) => [i.split, i.format]), [["test", "parquet"], ["train", "parquet"], [
        "validation",
        "parquet",
      ]]);
    } finally {
      for (const [k, v] of saved) v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
    }
  },
});

Deno.test("hub progress line: bytes, rate and time left (a resumed download's rate counts only new bytes)", () => {
  const line = formatProgress(
    "org/model/model.safetensors",
    {
      styledTime: () => "",
      styledData: () => "",
      progressBar: "[####----]",
      time: 4000,
      previousTime: 3000,
      value: 60 * 2 ** 20,
      previousValue: 0,
      max: 100 * 2 ** 20,
    },
    20 * 2 ** 20,
  );
  // 40 MiB new in 4 s = 10 MiB/s; 40 MiB left = 4 s.
  assertEquals(line, "org/model/model.safetensors [####----] 60.0/100.0 MiB 10.0 MiB/s 00:04 left");
});

Deno.test({
  name: "hub datasets: offline, a glob is answered from the cache; a missing one is named",
  ignore,
  fn: async () => {
    await using t = await setup();
    const online = await hubDatasetFiles("hf://datasets/nyu-mll/glue/cola/*.parquet", {
      settings: t.settings,
      log: quiet,
    });
    const n = t.hub.requests.length;
    const offline = { ...t.settings, offline: true };
    const again = await hubDatasetFiles("hf://datasets/nyu-mll/glue/cola/*.parquet", { settings: offline });
    assertEquals(again.files.map((f) => f.location), online.files.map((f) => f.location));
    const e = await assertRejects(
      () => hubDatasetFiles("hf://datasets/nyu-mll/glue/rte/*.parquet", { settings: offline }),
      HubError,
    );
    assertStringIncludes(e.message, "HF_HUB_OFFLINE=1: rte/*.parquet of hf://datasets/nyu-mll/glue");
    assertEquals(t.hub.requests.length, n);
  },
});

Deno.test({
  name: "hub: two concurrent fetches of one model download each blob once (a lock per blob, as Python's)",
  ignore,
  fn: async () => {
    await using t = await setup();
    const [a, b] = await Promise.all([
      fetchSnapshot(`hf:${MODEL}`, "model", { settings: t.settings, log: quiet }),
      fetchSnapshot(`hf:${MODEL}`, "model", { settings: t.settings, log: quiet }),
    ]);
    assertEquals(a.dir, b.dir);
    assertEquals(
      t.hub.requests.filter((r) => r.startsWith("GET") && r.includes("/resolve/") && r.endsWith("model.safetensors"))
        .length,
      1,
    );
    assertEquals(a.downloaded + b.downloaded, 851_592 + 571 + 272_740 + 2423);
    assert(
      await Deno.stat(join(repoFolder(t.cacheDir, "model", MODEL), "..", ".locks", "models--fixtures--t5-tiny-v1_1")),
    );
  },
});

Deno.test("hub: a sharded checkpoint brings its index and every shard it names, and no pytorch_model.bin", async () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  const index = {
    metadata: {},
    weight_map: { "a.weight": "model-00001-of-00002.safetensors", "b.weight": "model-00002-of-00002.safetensors" },
  };
  const repo = fakeRepo(
    "model",
    "fixtures/sharded",
    new Map([
      ["config.json", enc("{}")],
      ["model.safetensors.index.json", enc(JSON.stringify(index))],
      ["model-00001-of-00002.safetensors", enc("shard one")],
      ["model-00002-of-00002.safetensors", enc("shard two")],
      ["pytorch_model.bin", enc("not wanted")],
      ["flax_model.msgpack", enc("not wanted")],
    ]),
  );
  const hub = startFakeHub([repo]);
  const cacheDir = await Deno.makeTempDir();
  try {
    const settings: HubSettings = { endpoint: hub.url, cacheDir, offline: false, progress: false };
    const snap = await fetchSnapshot("hf:fixtures/sharded", "model", { settings, log: quiet });
    assertEquals(snap.files, [
      "config.json",
      "model-00001-of-00002.safetensors",
      "model-00002-of-00002.safetensors",
      "model.safetensors.index.json",
    ]);
    // Offline, a missing shard is named.
    await Deno.remove(join(snap.dir, "model-00002-of-00002.safetensors"));
    const e = await assertRejects(
      () => fetchSnapshot("hf:fixtures/sharded", "model", { settings: { ...settings, offline: true } }),
      HubError,
    );
    assertStringIncludes(e.message, "model-00002-of-00002.safetensors of hf:fixtures/sharded");
  } finally {
    await hub.close();
    await Deno.remove(cacheDir, { recursive: true });
  }
});
