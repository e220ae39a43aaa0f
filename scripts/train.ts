/**
 * `deno task train [--config file.json] [--resume dir] [--overwrite] [--fresh-optimizer] [--dry-run]
 * [--<section>.<field> value …]`.
 *
 * Without `--config` it runs the embedded demo (`configs/demo.json`): it writes the demo mixture's shards if they are
 * absent, trains a tiny T5 hyperdecoder on this machine's WebGPU adapter, evaluates, and prints the results table.
 * @module
 */
import { join } from "@std/path";
import { hubLocalPath } from "@hyperdecoders/data/hub";
import { initEngine } from "@hyperdecoders/core";
import { countParameters, parseMethodConfig } from "@hyperdecoders/models";
import { loadTokenizer, openTaskSources, writeDemoMixture } from "@hyperdecoders/data";
import { resultsMarkdown } from "@hyperdecoders/eval";
import {
  applyOverrides,
  buildBaseModel,
  installTuner,
  pinHubRefs,
  resolveConfig,
  train,
  type TrainConfig,
} from "@hyperdecoders/train";
import { main as analyze } from "./analyze.ts";
import { parseCommandOrExit } from "./command_line.ts";

const USAGE =
  `usage: deno task train [--config file.json] [--out <dir>] [--resume <out-dir>] [--dry-run] [--<section>.<field> <value> …]
  without --config: the embedded demo (configs/demo.json)
  --out <dir>         output folder; one that already holds a run is refused
  --overwrite         move a run already in --out aside (to <dir>.replaced-<time>) and start afresh
  --resume <out-dir>  continue the run in <out-dir> (written back to <out-dir>) from its newest intact checkpoint
  --fresh-optimizer   with --resume: accept a checkpoint without optimizer.safetensors (Adam restarts)
  e.g. deno task train --config configs/glue/hyperdecoder.json --train.steps 1000 --out runs/glue`;

const DEMO_CONFIG = new URL("../configs/demo.json", import.meta.url);

interface Cli {
  config: string | null;
  resume: string | null;
  dryRun: boolean;
  overwrite: boolean;
  freshOptimizer: boolean;
  overrides: [string, string][];
}

function parseCli(args: string[]): Cli {
  const parsed = parseCommandOrExit("train", USAGE, args, {
    string: ["config", "resume", "out"],
    boolean: ["dry-run", "overwrite", "fresh-optimizer"],
    overrides: true,
  });
  const { values } = parsed;
  // --out is output.dir; it wins over an --output.dir given too.
  const overrides = [...parsed.overrides];
  if (values.out !== undefined) overrides.push(["output.dir", values.out]);
  return {
    config: values.config ?? null,
    resume: values.resume ?? null,
    dryRun: values["dry-run"],
    overwrite: values.overwrite,
    freshOptimizer: values["fresh-optimizer"],
    overrides,
  };
}

async function readJson(path: string | URL): Promise<unknown> {
  const text = await Deno.readTextFile(path).catch((e) => {
    throw new Error(`${path}: cannot read the config (${(e as Error).message})`);
  });
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: invalid JSON (${(e as Error).message})`);
  }
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/** Resolves the config the command line asks for. */
export async function loadConfig(cli: Cli): Promise<{ config: TrainConfig; demo: boolean }> {
  const demo = cli.config === null && cli.resume === null;
  let raw: unknown;
  let source: string;
  if (cli.config) [raw, source] = [await readJson(cli.config), cli.config];
  else if (cli.resume) {
    [raw, source] = [await readJson(join(cli.resume, "config.json")), join(cli.resume, "config.json")];
  } else [raw, source] = [await readJson(DEMO_CONFIG), "configs/demo.json"];
  let overrides = cli.overrides;
  // A resumed run is written back where it is now, not to the folder its config.json names (it may have moved).
  if (cli.resume && !overrides.some(([k]) => k === "output.dir")) {
    overrides = [["output.dir", cli.resume], ...overrides];
  }
  const out = overrides.findLast(([k]) => k === "output.dir");
  if (demo && out) {
    // The demo keeps everything it writes, its data included, inside the output folder.
    overrides = [...overrides, ["data.shards", JSON.stringify([join(out[1], "data")])]];
  }
  const merged = applyOverrides(raw as Record<string, unknown>, overrides);
  // Hub references are fetched and pinned to their commits; data.sources are prepared (once, into a cache).
  return { config: await pinHubRefs(resolveConfig(merged, source)), demo };
}

async function main(): Promise<void> {
  const cli = parseCli(Deno.args);
  const { config, demo } = await loadConfig(cli);
  if (demo) {
    console.log("hyperdecoders: no --config given, running the embedded demo (configs/demo.json).");
    const shards = config.data.shards[0];
    if (!(await exists(join(shards, "manifest.json")))) {
      console.log(`writing the demo mixture to ${shards} …`);
      await writeDemoMixture({ out: shards, tokenizer: config.tokenizer });
    }
  }
  if (cli.dryRun) {
    const tokenizer = await loadTokenizer(await hubLocalPath(config.tokenizer, "tokenizer"));
    const sources = await openTaskSources(config.data.shards, "train", config.data.tasks ?? undefined);
    await initEngine();
    const base = await buildBaseModel(config, tokenizer);
    const method = parseMethodConfig({ ...config.method, tasks: sources.map((s) => s.task) }, "config method");
    const counts = countParameters(base.config, method);
    base.dispose();
    console.log(
      JSON.stringify(
        { config, parameters: counts, data: Object.fromEntries(sources.map((s) => [s.task, s.count])) },
        null,
        2,
      ),
    );
    return;
  }
  // Kernel choices: HYPERDECODERS_TUNE=off|cached|on (default cached; `deno task tune` fills the cache).
  await installTuner(await initEngine());
  const result = await train(config, {
    resume: cli.resume ?? undefined,
    overwrite: cli.overwrite,
    freshOptimizer: cli.freshOptimizer,
  });
  for (const [split, r] of Object.entries(result.results)) {
    console.log(`\n${split} results (step ${result.step}):\n${resultsMarkdown(r)}`);
  }
  let plots = "";
  if (result.stopped === "done" && config.method.preset === "hyperdecoder") {
    // The paper's Figures 2–4: the hypernetwork's embeddings e, by task and by predicted label.
    try {
      plots = await analyze(["--checkpoint", result.outDir, "--max-examples", "300", "--tsne-iterations", "500"]);
    } catch (error) {
      console.error(`analysis skipped: ${(error as Error).message}`);
    }
  }
  console.log(`\noutput: ${result.outDir}`);
  console.log(`  config.json, metrics.jsonl, results.json, predictions.jsonl`);
  if (result.best) {
    console.log(`  best checkpoint: ${result.best.path} (validation average ${result.best.metric.toFixed(2)})`);
  }
  if (plots) console.log(`  plots (PCA, t-SNE of the hypernetwork embeddings) and the probe table: ${plots}`);
  // 128 + the signal number, as a shell reports a process the signal ended: SIGINT 130, SIGTERM 143.
  if (result.stopped === "interrupted") Deno.exit(result.signal === "SIGTERM" ? 143 : 130);
}

if (import.meta.main) {
  try {
    await main();
  } catch (error) {
    console.error(`train: ${(error as Error).message}`);
    Deno.exit(1);
  }
}

export { parseCli };
