/**
 * Every experiment config in configs/ resolves (train/config.ts) and its method parses (models); each paper config
 * says in "description" which datasets to prepare and how; the paper's settings are covered for every benchmark and
 * method, and the method sizes give the paper's trainable-parameter counts (as models/methods/parameters_test.ts).
 */
import { assert, assertEquals, assertMatch, assertStrictEquals } from "@std/assert";
import { fromFileUrl, join, relative } from "@std/path";
import { countParameters, parseMethodConfig, T5_V1_1 } from "@hyperdecoders/models";
import { TASKS } from "@hyperdecoders/data";
import { MRQA_IN_DOMAIN } from "@hyperdecoders/eval";
import { resolveConfig, type TrainConfig } from "../train/config.ts";
import { trainingConfigFiles } from "./config_files.ts";

const DIR = fromFileUrl(new URL(".", import.meta.url));

const files = await trainingConfigFiles();
const configs = new Map<string, { raw: Record<string, unknown>; config: TrainConfig }>();

Deno.test("configs: every file resolves and its method parses", async () => {
  assert(files.length >= 16, `expected the demo and 15 paper configs, found ${files.length}`);
  for (const file of files) {
    const name = relative(DIR, file);
    const raw = JSON.parse(await Deno.readTextFile(file));
    const config = resolveConfig(raw, name);
    const tasks = config.data.tasks ?? [];
    parseMethodConfig({ ...config.method, tasks }, `${name} method`);
    assertEquals(typeof raw.description, "string", `${name}: needs a "description"`);
    configs.set(name, { raw, config });
  }
});

Deno.test("configs: paper configs name known tasks and say how to prepare their data", () => {
  for (const [name, { raw, config }] of configs) {
    if (name === "demo.json") continue;
    const description = raw.description as string;
    assertMatch(description, /deno task data prepare --task \S+ --input .* --out datasets\//, name);
    for (const shard of config.data.shards) assert(description.includes(shard), `${name}: describe ${shard}`);
    assert(config.model.checkpoint && description.includes(config.model.checkpoint), name);
    for (const task of config.data.tasks ?? []) {
      assert(TASKS.has(task) || MRQA_IN_DOMAIN.includes(task), `${name}: unknown task ${task}`);
    }
    assertEquals(config.optim.lr, 3e-4, name);
    assertEquals(config.optim.warmupSteps, 500, name);
    assertEquals(config.optim.labelSmoothing, 0.1, name);
    assertEquals(config.optim.lossReduction, "sum", name);
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
      assert(presets.has(p), `${bench}: no ${p} config`);
    }
    assert(encHeavy, `${bench}: no encoder-heavy hyperdecoder`);
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
    assertMatch(config.model.checkpoint!, new RegExp(`t5-${size}-lm-adapt`), name);
    const [src, tgt] = bench === "glue" ? [128, 128] : bench === "mrqa" ? [512, 64] : [512, 128];
    assertEquals([config.data.maxSourceLength, config.data.maxTargetLength], [src, tgt], name);
    const perStep = config.train.batchSize * config.train.gradAccumulation;
    if (bench === "summ_nli") assertEquals(perStep, 64, name);
    if (bench === "glue") assertEquals(perStep, 128, name);
    if (name in expected) {
      const method = parseMethodConfig({ ...config.method, tasks: config.data.tasks ?? [] });
      assertStrictEquals(
        countParameters(T5_V1_1[size], method).trainable,
        expected[name],
        `${name}: trainable parameters`,
      );
    }
  }
});

Deno.test("configs: every sweep file in configs/sweeps/ expands into valid cells", async () => {
  const { loadSweep } = await import("../scripts/sweep.ts");
  for await (const e of Deno.readDir(join(DIR, "sweeps"))) {
    const { spec, cells } = await loadSweep(join(DIR, "sweeps", e.name));
    assert(spec.description.length > 0, `sweeps/${e.name}: needs a "description"`);
    assert(cells.length > 1, `sweeps/${e.name}: expands into ${cells.length} cells`);
  }
});
