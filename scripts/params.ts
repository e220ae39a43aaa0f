/**
 * Prints a method's parameter counts per component: trainable, total and trainable percentage, then the trainable
 * share of the backbone (as the paper reports it; the expected counts are in models/methods/parameters_test.ts). Counts come from the shapes alone: no GPU, no weights.
 *
 * Usage: `deno task params --config <run.json> [--json]`
 *
 * The config is either a training config (`deno task train --config`'s schema, train/config.ts: its `model.checkpoint`
 * folder's `config.json` gives the shape, or `model.shape` / `model.preset` when the checkpoint is not downloaded yet;
 * its `method` plus `data.tasks` give the method), or a small run config `{"model": {"preset": "large"} |
 * {"dir": "<checkpoint folder>"} | {"config": {...}}, "method": {...}}` (schema in models/methods/report.ts); a `dir` is
 * relative to the run config's folder. `--json` prints the counts as JSON instead of the table.
 *
 * @module
 */
import { hubLocalPath } from "@hyperdecoders/data/hub";
import { dirname, isAbsolute, join } from "@std/path";
import { parseCommand } from "./command_line.ts";
import { countParameters } from "../models/methods/parameters.ts";
import { formatParameterCounts, inlineT5Config, parseParamsRunConfig } from "../models/methods/report.ts";
import { readT5Config } from "../models/t5/load_dir.ts";
import { parseMethodConfig, T5_SHAPES, T5_V1_1, type T5Config } from "@hyperdecoders/models";
import { loadTokenizer } from "@hyperdecoders/data";
import { resolveConfig, tinyT5Config } from "@hyperdecoders/train";

const TRAINING_KEYS = ["tokenizer", "data", "optim", "train", "eval", "output"];

async function fromTrainingConfig(json: Record<string, unknown>, path: string) {
  const config = resolveConfig(json, path);
  const m = config.model;
  let t5: T5Config | null = null;
  let backbone: string;
  if (m.checkpoint) {
    const dir = m.checkpoint;
    const hasConfig = await Deno.stat(join(dir, "config.json")).then(() => true, () => false);
    if (hasConfig) t5 = await readT5Config(dir);
    else if (m.shape) t5 = T5_SHAPES[m.shape];
    else {
      throw new Error(
        `${path}: ${join(dir, "config.json")} is not there yet; add "model.shape" ("small", "base", "large", "xl")`,
      );
    }
    const shapeName = m.shape?.startsWith("v1.0-") ? `T5 v1.0 ${m.shape.slice(5)}` : `T5 v1.1 ${m.shape}`;
    backbone = hasConfig ? dir : `${shapeName} (${dir} not downloaded yet)`;
  } else if (m.preset === "tiny") {
    t5 = tinyT5Config((await loadTokenizer(await hubLocalPath(config.tokenizer, "tokenizer"))).vocabSize);
    backbone = "tiny preset";
  } else {
    t5 = T5_V1_1[m.preset as keyof typeof T5_V1_1];
    backbone = `T5 v1.1 ${m.preset}`;
  }
  if (!t5) throw new Error(`${path}: unknown model preset "${m.preset}"`);
  const method = parseMethodConfig({ ...config.method, tasks: config.data.tasks ?? [] }, `${path}: method`);
  return { t5, backbone, method };
}

const USAGE = "usage: deno task params --config <run.json> [--json]";

/** Runs the CLI with `args`; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseCommand(args, { string: ["config"], boolean: ["json"], alias: { c: "config" } });
  } catch (e) {
    console.error(`params: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values } = parsed;
  if (parsed.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.config) {
    console.error(`params: --config is required.\n${USAGE}`);
    return 2;
  }
  const path = values.config;
  try {
    let json: unknown;
    try {
      json = JSON.parse(await Deno.readTextFile(path));
    } catch (e) {
      throw new Error(`${path}: cannot read the run config (${(e as Error).message})`);
    }
    let run: { method: ReturnType<typeof parseParamsRunConfig>["method"] };
    let t5: T5Config | null;
    let backbone: string;
    const isTraining = typeof json === "object" && json !== null &&
      TRAINING_KEYS.some((k) => k in (json as Record<string, unknown>));
    if (isTraining) {
      const r = await fromTrainingConfig(json as Record<string, unknown>, path);
      [t5, backbone, run] = [r.t5, r.backbone, { method: r.method }];
    } else {
      const small = parseParamsRunConfig(json, path);
      run = small;
      t5 = inlineT5Config(small.model, path);
      backbone = "preset" in small.model ? `T5 v1.1 ${small.model.preset}` : "inline config";
      if (!t5 && "dir" in small.model) {
        const dir = isAbsolute(small.model.dir) ? small.model.dir : join(dirname(path), small.model.dir);
        t5 = await readT5Config(dir);
        backbone = dir;
      }
    }
    const counts = countParameters(t5!, run.method);
    if (values.json) {
      console.log(JSON.stringify({ model: backbone, method: run.method, ...counts }, null, 2));
    } else {
      const m = run.method;
      const title = `${backbone}; method ${m.preset ?? "custom"}: encoder ${m.encoder}, decoder ${m.decoder}`;
      console.log(formatParameterCounts(counts, title));
    }
    return 0;
  } catch (e) {
    console.error(`params: ${(e as Error).message}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
