/**
 * Training runs that must not lose or mix data (issue 12, items 1, 8, 9 and 10a): an output folder holding a run is
 * refused (or moved aside with --overwrite) and nothing is written before the inputs check out; --resume writes back
 * to the folder it names; resume cuts metrics.jsonl back to the checkpoint, falls back past a damaged checkpoint,
 * refuses a missing optimiser state and a different base model; eval refuses a different base model.
 */
import { assert, assertEquals, assertMatch, assertNotEquals, assertRejects } from "@std/assert";
import { join } from "@std/path";
import { type Progress, saveCheckpoint, train, type TrainConfig } from "@hyperdecoders/train";
import { loadTokenizer } from "@hyperdecoders/data";
import { quietProgress, tempRoot, tinyConfig, writeSmallMixture } from "./tiny_run.ts";
import { loadConfig, parseCli } from "../scripts/train.ts";
import { loadTrainedModel, readTrainedWeights } from "../scripts/trained_run.ts";

const root = await tempRoot("hd-run-reliability-");
const shards = join(root, "data");
await writeSmallMixture(shards, { train: 32, validation: 4, test: 4 }, ["demo_label"]);

/** 4 steps of batch 4, logged every step, evaluated (2 examples) and checkpointed every 2 steps. */
function config(dir: string, overrides: Record<string, unknown> = {}): TrainConfig {
  return tinyConfig(shards, dir, {
    train: { batchSize: 4, steps: 4, logEvery: 1, seed: 7 },
    eval: { every: 2, atEnd: false, maxExamples: 2 },
    ...overrides,
  });
}

function logger(): Progress & { lines: string[] } {
  const p = quietProgress() as Progress & { lines: string[] };
  p.lines = [];
  p.log = (m: string) => p.lines.push(m);
  return p;
}

const opts = { handleSigint: false } as const;

/** A finished 4-step run, copied per test. */
const golden = join(root, "golden");
await train(config(golden), { ...opts, progress: quietProgress() });

async function copyRun(name: string): Promise<string> {
  const to = join(root, name);
  const copy = async (from: string, dest: string) => {
    await Deno.mkdir(dest, { recursive: true });
    for (const e of Deno.readDirSync(from)) {
      if (e.isDirectory) await copy(join(from, e.name), join(dest, e.name));
      else await Deno.copyFile(join(from, e.name), join(dest, e.name));
    }
  };
  await copy(golden, to);
  return to;
}

async function metrics(dir: string): Promise<{ step: number; loss?: number; split?: string }[]> {
  return (await Deno.readTextFile(join(dir, "metrics.jsonl"))).trim().split("\n").map((l) => JSON.parse(l));
}

Deno.test("train --out <a folder holding a run> is refused; a failing run writes nothing; --overwrite moves it aside", async () => {
  const dir = await copyRun("refuse");
  const before = await Deno.readTextFile(join(dir, "config.json"));
  const err = await assertRejects(() => train(config(dir), { ...opts, progress: quietProgress() }));
  assertMatch((err as Error).message, /already holds a training run; continue it with --resume .*--overwrite/);
  // Inputs that fail their checks (missing data) leave the run untouched even with --overwrite.
  const bad = config(dir, { data: { shards: [join(root, "missing")], maxSourceLength: 24, maxTargetLength: 6 } });
  await assertRejects(() => train(bad, { ...opts, progress: quietProgress(), overwrite: true }));
  assertEquals(await Deno.readTextFile(join(dir, "config.json")), before);
  assertEquals([...Deno.readDirSync(root)].filter((e) => e.name.startsWith("refuse.replaced-")).length, 0);
  // --overwrite: the old run moves aside whole, the new one starts clean.
  const oldMetrics = await metrics(dir);
  const r = await train(config(dir, { train: { batchSize: 4, steps: 2, logEvery: 1, seed: 7 } }), {
    ...opts,
    progress: quietProgress(),
    overwrite: true,
  });
  assertEquals(r.step, 2);
  const aside = [...Deno.readDirSync(root)].find((e) => e.name.startsWith("refuse.replaced-"))!.name;
  assertEquals(await metrics(join(root, aside)), oldMetrics);
  assertEquals((await metrics(dir)).filter((m) => "loss" in m).map((m) => m.step), [1, 2]);
});

Deno.test("--resume DIR writes to DIR, not to the folder its config.json names", async () => {
  const dir = await copyRun("moved");
  const { config: c } = await loadConfig(parseCli(["--resume", dir, "--train.steps", "6"]));
  assertEquals(c.output.dir, dir);
  assertNotEquals(JSON.parse(await Deno.readTextFile(join(dir, "config.json"))).output.dir, dir);
});

Deno.test("resume cuts metrics.jsonl back to the checkpoint; a damaged latest checkpoint falls back with a warning", async () => {
  const dir = await copyRun("damaged");
  // The newest checkpoint (step 4) gets a flipped weight byte: resume must warn, use step 2 and redo steps 3–4.
  const latest = join(dir, "checkpoints", "checkpoint-00000004");
  const w = await Deno.readFile(join(latest, "trainable.safetensors"));
  w[w.length - 3] ^= 0x10;
  await Deno.writeFile(join(latest, "trainable.safetensors"), w);
  const progress = logger();
  const r = await train(config(dir), { ...opts, progress, resume: dir });
  assertEquals(r.step, 4);
  assert(
    progress.lines.some((l) => /checkpoint-00000004 is damaged: .*trainable\.safetensors does not match/.test(l)),
    progress.lines.join("\n"),
  );
  assert(
    progress.lines.some((l) => /resuming from .*checkpoint-00000002 \(step 2\)/.test(l)),
    progress.lines.join("\n"),
  );
  const rows = await metrics(dir);
  assertEquals(rows.filter((m) => "loss" in m).map((m) => m.step), [1, 2, 3, 4]);
  // Each row once, as in the uninterrupted run, and the redone steps' losses equal its.
  const straight = await metrics(golden);
  assertEquals(rows.filter((m) => "split" in m).map((m) => m.step), [2]);
  assertEquals(rows.map((m) => [m.step, m.split ?? "loss"]), straight.map((m) => [m.step, m.split ?? "loss"]));
  assertEquals(
    rows.filter((m) => "loss" in m).map((m) => m.loss),
    straight.filter((m) => "loss" in m).map((m) => m.loss),
  );
});

Deno.test("resume without optimizer.safetensors is refused unless --fresh-optimizer", async () => {
  const dir = await copyRun("noopt");
  await Deno.remove(join(dir, "checkpoints", "checkpoint-00000004", "optimizer.safetensors"));
  const err = await assertRejects(() =>
    train(config(dir, { train: { batchSize: 4, steps: 5, logEvery: 1, seed: 7 } }), {
      ...opts,
      progress: quietProgress(),
      resume: dir,
    })
  );
  assertMatch((err as Error).message, /optimizer\.safetensors: missing.*--fresh-optimizer/);
  const r = await train(config(dir, { train: { batchSize: 4, steps: 5, logEvery: 1, seed: 7 } }), {
    ...opts,
    progress: quietProgress(),
    resume: dir,
    freshOptimizer: true,
  });
  assertEquals(r.step, 5);
});

Deno.test("resume and eval refuse a base model other than the one the run was trained on", async () => {
  const dir = await copyRun("base");
  const other = config(dir, { model: { preset: "tiny", seed: 99, overrides: { num_layers: 1, d_ff: 32 } } });
  const err = await assertRejects(() => train(other, { ...opts, progress: quietProgress(), resume: dir }));
  assertMatch((err as Error).message, /trained on a different base model/);
  const checkpoint = join(dir, "checkpoints", "checkpoint-00000004");
  const tokenizer = await loadTokenizer(other.tokenizer);
  const err2 = await assertRejects(() => loadTrainedModel(other, tokenizer, checkpoint));
  assertMatch((err2 as Error).message, /checkpoint-00000004: trained on a different base model/);
  // The same settings load, and a damaged checkpoint is refused by eval too.
  const loaded = await loadTrainedModel(config(dir), tokenizer, checkpoint);
  loaded.dispose();
  loaded.base.dispose();
  await saveCheckpoint(join(dir, "checkpoints"), {
    step: 9,
    trainable: new Uint8Array([1, 2, 3]),
    optimizer: null,
    state: {},
  });
  await Deno.writeFile(join(dir, "checkpoints", "checkpoint-00000009", "trainable.safetensors"), new Uint8Array(2));
  await assertRejects(() => readTrainedWeights(join(dir, "checkpoints", "checkpoint-00000009")), Error, "damaged");
});
