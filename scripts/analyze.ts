/**
 * `deno task analyze --checkpoint <run-or-checkpoint-dir> [--split validation] [--out <dir>] [--max-examples N]`:
 * the hypernetwork-embedding analysis of a trained run (the paper's Figures 2–4; its probes are the fast linear ones, not Table 7's MLP probe). Rebuilds the base model
 * from the run's `config.json`, loads the checkpoint's trainable weights, computes e (and the mean-pooled encoder
 * output) for every example of the split, decodes the classification tasks greedily, and writes PCA / t-SNE SVG plots,
 * the linear-probe table (`probe.md`), `points.csv` and `analysis.json` to `--out` (default `<run>/analysis`).
 * @module
 */
import { hubLocalPath } from "@hyperdecoders/data/hub";
import { join, resolve } from "@std/path";
import { parseCommand } from "./command_line.ts";
import { initEngine } from "@hyperdecoders/core";
import { loadTokenizer, openTaskSources, TASKS } from "@hyperdecoders/data";
import {
  analyzeEmbeddings,
  collectEmbeddings,
  decodingSettings,
  labelSetOf,
  mlpProbeMarkdown,
  mlpProbeTable,
} from "@hyperdecoders/eval";
import { isFile, loadTrainedModel, readRunConfig, resolveCheckpoint } from "./trained_run.ts";

const USAGE = `usage: deno task analyze --checkpoint <run-or-checkpoint-dir> [options]
  --checkpoint DIR      a run's output folder (its best checkpoint, else its newest) or one checkpoint-XXXXXXXX folder
  --split NAME          split to analyse (default validation)
  --out DIR             where to write the plots and tables (default <run>/analysis)
  --max-examples N      at most N examples per task, a seeded subset (default 500)
  --seed S              seed of t-SNE, subsamples, probe splits (default 0)
  --perplexity P        t-SNE perplexity (default 30)
  --tsne-iterations I   t-SNE iterations (default 1000)
  --tsne-max-points M   largest t-SNE (default 2000; more points are subsampled per task)
  --batch-size B        encoder batch size (default 32)
  --no-predict          skip greedy decoding (no predicted-label plots)
  --mlp-probe           also the paper's Table 7 probe: a new MLP head trained on the train split's frozen encoder
                        features (AdamW 2e-5, 3 epochs, 500 warm-up), scored on --split (writes mlp_probe.md)
  --probe-train-examples N  at most N training examples per task for the MLP probe (default: all)`;

function positiveInt(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive integer, got "${value}"`);
  return n;
}

/** Runs the analysis for command-line `args`; returns the output folder. */
export async function main(args: string[]): Promise<string> {
  const parsed = parseCommand(args, {
    string: [
      "checkpoint",
      "split",
      "out",
      "max-examples",
      "seed",
      "perplexity",
      "tsne-iterations",
      "tsne-max-points",
      "batch-size",
      "probe-train-examples",
    ],
    boolean: ["no-predict", "mlp-probe"],
    default: { split: "validation" },
  });
  const values = { ...parsed.values, split: parsed.values.split ?? "validation" };
  if (parsed.help) {
    console.log(USAGE);
    return "";
  }
  if (!values.checkpoint) throw new Error(`--checkpoint is required\n${USAGE}`);
  const perplexity = values.perplexity === undefined ? 30 : Number(values.perplexity);
  if (!(perplexity > 0)) throw new Error(`--perplexity must be a positive number, got "${values.perplexity}"`);
  const seed = values.seed === undefined ? 0 : Number(values.seed);
  if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, got "${values.seed}"`);
  const batchSize = positiveInt(values["batch-size"], "--batch-size", 32);
  const maxExamples = positiveInt(values["max-examples"], "--max-examples", 500);
  const tsneIterations = positiveInt(values["tsne-iterations"], "--tsne-iterations", 1000);
  const tsneMaxPoints = positiveInt(values["tsne-max-points"], "--tsne-max-points", 2000);

  const { runDir, checkpoint } = await resolveCheckpoint(values.checkpoint);
  if (!runDir) {
    throw new Error(
      `${checkpoint}: not inside a training output folder (<run>/checkpoints/<checkpoint>), so its config.json is ` +
        `unknown; pass the run's output folder`,
    );
  }
  const configPath = join(runDir, "config.json");
  if (!(await isFile(configPath))) throw new Error(`${configPath}: not found; the run folder lacks its config.json`);
  const config = await readRunConfig(configPath);
  const outDir = resolve(values.out ?? join(runDir, "analysis"));
  console.log(`analyze: ${checkpoint} (${values.split}) → ${outDir}`);

  await initEngine();
  const tokenizer = await loadTokenizer(await hubLocalPath(config.tokenizer, "tokenizer"));
  const model = await loadTrainedModel(config, tokenizer, checkpoint);
  try {
    const taskNames = model.method.tasks.length > 0 ? model.method.tasks : config.data.tasks ?? undefined;
    const sources = await openTaskSources(config.data.shards, values.split, taskNames);
    const start = performance.now();
    const set = await collectEmbeddings(model, tokenizer, sources, {
      batchSize,
      maxExamples,
      maxSourceLength: config.data.maxSourceLength,
      decodeTask: values["no-predict"] ? undefined : (task) => {
        const spec = TASKS.get(task);
        if (spec) return labelSetOf(task, []) ? decodingSettings(spec, tokenizer) : null;
        return decodingSettings(undefined, tokenizer, config.data.maxTargetLength);
      },
      onProgress: (done) => Deno.stdout.isTerminal() && Deno.stdout.writeSync(new TextEncoder().encode(`\r${done}`)),
    });
    console.log(`\rembeddings of ${set.tasks.length} examples in ${((performance.now() - start) / 1000).toFixed(1)} s`);
    const report = analyzeEmbeddings(set, {
      seed,
      perplexity,
      tsneIterations,
      tsneMaxPoints,
      split: values.split,
      onStep: (message) => console.log(`  ${message}`),
    });
    await Deno.mkdir(outDir, { recursive: true });
    for (const [name, content] of Object.entries(report.files)) await Deno.writeTextFile(join(outDir, name), content);
    console.log(
      `\nlinear probe (fast; not the paper's Table 7 MLP probe) (accuracy ×100, held-out ${values.split} examples):\n${
        report.files["probe.md"]
      }`,
    );
    if (values["mlp-probe"]) {
      const cap = values["probe-train-examples"];
      const trainSet = await collectEmbeddings(
        model,
        tokenizer,
        await openTaskSources(config.data.shards, "train", taskNames),
        {
          batchSize,
          maxExamples: cap === undefined ? null : positiveInt(cap, "--probe-train-examples", 1),
          maxSourceLength: config.data.maxSourceLength,
        },
      );
      const rows = await mlpProbeTable(trainSet, set, { seed, onStep: (message) => console.log(`  ${message}`) });
      report.files["mlp_probe.md"] = mlpProbeMarkdown(rows);
      await Deno.writeTextFile(join(outDir, "mlp_probe.md"), report.files["mlp_probe.md"]);
      console.log(`\nMLP probe (Table 7; accuracy ×100 on ${values.split}):\n${report.files["mlp_probe.md"]}`);
    }
    console.log(
      `wrote ${Object.keys(report.files).length} files to ${outDir}: ${Object.keys(report.files).join(", ")}`,
    );
    return outDir;
  } finally {
    model.dispose();
    model.base.dispose();
  }
}

if (import.meta.main) {
  try {
    await main(Deno.args);
  } catch (error) {
    console.error(`analyze: ${(error as Error).message}`);
    Deno.exit(1);
  }
}
