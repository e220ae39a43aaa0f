/**
 * Every experiment config in configs/ resolves (train/config.ts) and its method parses (models); each paper config
 * says in "description" which datasets to prepare and how; the paper's settings are covered for every benchmark and
 * method, and the method sizes give the paper's trainable-parameter counts (as models/methods/parameters_test.ts).
 */
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { countParameters, parseMethodConfig, T5_V1_1 } from "@hyperdecoders/models";
import { TASKS } from "@hyperdecoders/data";
import { MRQA_IN_DOMAIN } from "@hyperdecoders/eval";
import { resolveConfig, type TrainConfig } from "../train/config.ts";

const DIR = fileURLToPath(new URL(".", import.meta.url));

async function configFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const p = join(dir, e.name);
    // configs/demo/ holds the demo's assets (tokenizer, base model folder), configs/sweeps/ sweep files and
    // paper_numbers.json the paper's published numbers: none of them is a training config.
    if (e.isDirectory && p !== join(DIR, "demo") && p !== join(DIR, "sweeps")) out.push(...await configFiles(p));
    else if (e.isFile && e.name.endsWith(".json") && p !== join(DIR, "paper_numbers.json")) out.push(p);
  }
  return out.sort();
}

const files = await configFiles(DIR);
const configs = new Map<string, { raw: Record<string, unknown>; config: TrainConfig }>();

Deno.test("configs: every file resolves and its method parses", async () => {
  assert.ok(files.length >= 16, `expected the demo and 15 paper configs, found ${files.length}`);
  for (const file of files) {
    const name = relative(DIR, file);
    const raw = JSON.parse(await Deno.readTextFile(file));
    const config = resolveConfig(raw, name);
    const tasks = config.data.tasks ?? [];
    parseMethodConfig({ ...config.method, tasks }, `${name} method`);
    assert.equal(typeof raw.description, "string", `${name}: needs a "description"`);
    configs.set(name, { raw, config });
  }
});

Deno.test("configs: paper configs name known tasks and say how to prepare their data", () => {
  for (const [name, { raw, config }] of configs) {
    if (name === "demo.json") continue;
    const description = raw.description as string;
    assert.match(description, /deno task data prepare --task \S+ --input .* --out datasets\//, name);
    for (const shard of config.data.shards) assert.ok(description.includes(shard), `${name}: describe ${shard}`);
    assert.ok(config.model.checkpoint && description.includes(config.model.checkpoint), name);
    for (const task of config.data.tasks ?? []) {
      assert.ok(TASKS.has(task) || MRQA_IN_DOMAIN.includes(task), `${name}: unknown task ${task}`);
    }
    assert.equal(config.optim.lr, 3e-4, name);
    assert.equal(config.optim.warmupSteps, 500, name);
    assert.equal(config.optim.labelSmoothing, 0.1, name);
    assert.equal(config.optim.lossReduction, "sum", name);
  }
});

Deno.test("configs: each benchmark has every method and an encoder-heavy (512/36/72) hyperdecoder", () => {
  for (const bench of ["glue", "mrqa", "summ_nli"]) {
    const presets = new Set<string>();
    let encHeavy = false;
    for (const [name, { config }] of configs) {
      if (!name.startsWith(`${bench}/`)) continue;
      const m = parseMethodConfig({ ...config.method, tasks: config.data.tasks ?? [] });
      presets.add(m.preset!);
      encHeavy ||= m.preset === "hyperdecoder" && m.encoderAdapterDim === 512 && m.decoderAdapterDim === 36 &&
        m.hypernetworkBottleneck === 72;
    }
    for (const p of ["hyperdecoder", "adapter", "task-hypernet", "full-finetune"]) {
      assert.ok(presets.has(p), `${bench}: no ${p} config`);
    }
    assert.ok(encHeavy, `${bench}: no encoder-heavy hyperdecoder`);
  }
});

Deno.test("configs: backbones, lengths, batches and the paper's trainable counts", () => {
  const expected: Record<string, number> = {
    "glue/hyperdecoder.json": 22_452_400,
    "glue/adapter.json": 22_670_112,
    "glue/task_hypernet.json": 21_125_612,
    "mrqa/hyperdecoder.json": 14_785_236,
    "mrqa/hyperdecoder_balanced.json": 15_259_192,
    "mrqa/adapter.json": 14_810_520,
    "summ_nli/hyperdecoder.json": 14_785_236,
    "summ_nli/adapter.json": 13_666_992,
  };
  for (const [name, { config }] of configs) {
    const bench = name.split("/")[0];
    if (!["glue", "mrqa", "summ_nli"].includes(bench)) continue;
    const size = bench === "glue" ? "large" : "base";
    assert.match(config.model.checkpoint!, new RegExp(`t5-${size}-lm-adapt`), name);
    const [src, tgt] = bench === "glue" ? [128, 128] : bench === "mrqa" ? [512, 64] : [512, 128];
    assert.deepEqual([config.data.maxSourceLength, config.data.maxTargetLength], [src, tgt], name);
    const perStep = config.train.batchSize * config.train.gradAccumulation;
    if (bench === "summ_nli") assert.equal(perStep, 64, name);
    if (bench === "glue") assert.equal(perStep, 128, name);
    if (name in expected) {
      const method = parseMethodConfig({ ...config.method, tasks: config.data.tasks ?? [] });
      assert.equal(countParameters(T5_V1_1[size], method).trainable, expected[name], `${name}: trainable parameters`);
    }
  }
});

Deno.test("configs: every sweep file in configs/sweeps/ expands into valid cells", async () => {
  const { loadSweep } = await import("../scripts/sweep.ts");
  for await (const e of Deno.readDir(join(DIR, "sweeps"))) {
    const { spec, cells } = await loadSweep(join(DIR, "sweeps", e.name));
    assert.ok(spec.description.length > 0, `sweeps/${e.name}: needs a "description"`);
    assert.ok(cells.length > 1, `sweeps/${e.name}: expands into ${cells.length} cells`);
  }
});
