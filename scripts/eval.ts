/**
 * `deno task eval --checkpoint <dir> [--split test] [--config <file>] [--out <dir>] [options]`: evaluates a trained
 * method on one split with each task's decoding settings and writes `results.json`, `results.md` and
 * `predictions.jsonl` (plus `chunk_predictions.jsonl` for MRQA) to the output folder, then prints the table.
 *
 * `<dir>` is a training output folder (its best checkpoint as `results.json` or the newest checkpoint's
 * `trainer_state.json` records it, else the newest; `--pick last` takes the newest) or one checkpoint folder. The
 * base model is rebuilt from the run's resolved `config.json` and the method weights are loaded on top of it.
 * @module
 */
import { hubLocalPath } from "@hyperdecoders/data/hub";
import { basename, join } from "@std/path";
import { initEngine } from "@hyperdecoders/core";
import { loadTokenizer, openTaskSources, type TaskSource } from "@hyperdecoders/data";
import {
  BEST_PER_TASK_FILE,
  type BestPerTask,
  type CheckpointScores,
  evaluate,
  type EvaluationResult,
  type MrqaScoreMode,
  resultsMarkdown,
  selectBestPerTask,
} from "@hyperdecoders/eval";
import { listCheckpoints, type TrainConfig, writeFileAtomic } from "@hyperdecoders/train";
import { parseCommand } from "./command_line.ts";
import { isFile, loadTrainedModel, readRunConfig, readTrainedWeights, resolveCheckpoint } from "./trained_run.ts";

const USAGE = `usage: deno task eval --checkpoint <run-dir | checkpoint-dir> [--split validation|test] [--config <file>]
       [--out <dir>] [--pick best|last] [--tasks a,b] [--max-examples N] [--batch-size N]
       [--mrqa-score sum|batch-length] [--select best-per-task] [--<section>.<field> <value> …]
  <run-dir>     a training output folder: its best checkpoint (results.json), else the newest
  --split       split to evaluate (default: the config's eval.split)
  --config      config to rebuild the base model from (default: <run-dir>/config.json)
  --out         output folder (default: <run-dir>/eval/<checkpoint>-<split>)
  --pick last   use the newest checkpoint instead of the best one (the paper evaluates MRQA's final model)
  --tasks       only these tasks (default: the split's tasks named in data.tasks, else all of the split)
  --max-examples  cap per task (default: the config's eval.maxExamples on its eval.split, none otherwise)
  --select best-per-task  evaluate every kept checkpoint of <run-dir> on the eval split and test, and report per task
                the test score of its best validation checkpoint (the paper's Table 2) in <run-dir>/${BEST_PER_TASK_FILE}
  e.g. deno task eval --checkpoint runs/demo --split test`;

/** Options of {@link evaluateCheckpoint}. */
export interface EvalCheckpointOptions {
  /** A training output folder or a checkpoint folder. */
  checkpoint: string;
  /** Split to evaluate (default: the config's `eval.split`). */
  split?: string;
  /** Config file (default: the run's `config.json`). */
  config?: string;
  /** `--section.field value` overrides applied to the config. */
  overrides?: [string, string][];
  /** Output folder (default: `<run>/eval/<checkpoint>-<split>`). */
  out?: string;
  /** "best" (default) or "last" checkpoint of a run folder. */
  pick?: "best" | "last";
  /** Only these tasks. */
  tasks?: string[];
  /** Cap per task (null: none). Default: `eval.maxExamples` on the config's eval split, none on others. */
  maxExamples?: number | null;
  /** Examples per generation batch (default 32). */
  batchSize?: number;
  /** MRQA chunk ranking (default "sum"). */
  mrqaScore?: MrqaScoreMode;
  /** Progress messages (default: stderr). */
  log?: (message: string) => void;
}

/** What {@link evaluateCheckpoint} did. */
export interface EvalCheckpointResult {
  /** The checkpoint folder evaluated. */
  checkpoint: string;
  /** Its optimiser step. */
  step: number;
  /** The split. */
  split: string;
  /** Where the files went. */
  outDir: string;
  /** Scores and predictions. */
  result: EvaluationResult;
  /** The results table (markdown). */
  table: string;
}

/** Picks the sources to evaluate: `tasks` if given, else the split's tasks named in `data.tasks`, else all. */
async function splitSources(config: TrainConfig, split: string, tasks?: string[]): Promise<TaskSource[]> {
  const all = await openTaskSources(config.data.shards, split);
  if (tasks && tasks.length > 0) {
    const missing = tasks.filter((t) => !all.some((s) => s.task === t));
    if (missing.length > 0) {
      throw new Error(
        `no "${split}" split of task(s) ${missing.join(", ")} in ${config.data.shards.join(", ")} (has: ${
          all.map((s) => s.task).join(", ") || "none"
        })`,
      );
    }
    return all.filter((s) => tasks.includes(s.task));
  }
  if (all.length === 0) {
    throw new Error(
      `no "${split}" split in ${config.data.shards.join(", ")}; prepare it with "deno task data prepare" or pick ` +
        `another --split`,
    );
  }
  const named = config.data.tasks ? all.filter((s) => config.data.tasks!.includes(s.task)) : [];
  return named.length > 0 ? named : all;
}

function jsonl(records: unknown[]): string {
  return records.map((r) => JSON.stringify(r)).join("\n") + (records.length > 0 ? "\n" : "");
}

/** Evaluates a checkpoint on one split and writes results.json, results.md and the predictions. */
export async function evaluateCheckpoint(options: EvalCheckpointOptions): Promise<EvalCheckpointResult> {
  const log = options.log ?? ((m: string) => console.error(m));
  const { checkpoint, runDir, chosenBy } = await resolveCheckpoint(options.checkpoint, options.pick ?? "best");
  const configPath = options.config ?? (runDir ? join(runDir, "config.json") : null);
  if (!configPath) {
    throw new Error(
      `${checkpoint}: not inside a training output folder (<run>/checkpoints/<checkpoint>); pass --config <file> ` +
        `with the run's config.json`,
    );
  }
  if (!options.config && !(await isFile(configPath))) {
    throw new Error(`${configPath}: not found; the run folder lacks its config.json, pass --config <file>`);
  }
  const config = await readRunConfig(configPath, options.overrides);
  const split = options.split ?? config.eval.split;
  const data = await readTrainedWeights(checkpoint);
  log(`evaluating ${checkpoint} (step ${data.step}, ${chosenBy}) on "${split}"`);

  const sources = await splitSources(config, split, options.tasks);
  const tokenizer = await loadTokenizer(await hubLocalPath(config.tokenizer, "tokenizer"));
  await initEngine();
  const model = await loadTrainedModel(config, tokenizer, checkpoint, data.trainable);
  const maxExamples = options.maxExamples !== undefined
    ? options.maxExamples
    : split === config.eval.split
    ? config.eval.maxExamples
    : null;
  const total = sources.reduce((a, s) => a + Math.min(s.count, maxExamples ?? Infinity), 0);
  let lastLog = performance.now();
  let result: EvaluationResult;
  try {
    result = await evaluate(
      { model, generationOptions: (tasks) => model.generationOptions(tasks) },
      tokenizer,
      sources,
      {
        batchSize: options.batchSize ?? 32,
        maxExamples,
        numBeams: config.eval.numBeams,
        maxNewTokens: config.eval.maxNewTokens,
        maxSourceLength: config.data.maxSourceLength,
        maxTargetLength: config.data.maxTargetLength,
        mrqaScore: options.mrqaScore,
        onProgress: (done) => {
          if (performance.now() - lastLog > 10_000) {
            lastLog = performance.now();
            log(`  ${done} / ${total} examples`);
          }
        },
      },
    );
  } finally {
    model.dispose();
    model.base.dispose();
  }

  const outDir = options.out ??
    (runDir ? join(runDir, "eval", `${basename(checkpoint)}-${split}`) : join(checkpoint, `eval-${split}`));
  await Deno.mkdir(outDir, { recursive: true });
  const table = resultsMarkdown(result);
  await writeFileAtomic(
    join(outDir, "results.json"),
    JSON.stringify(
      {
        checkpoint,
        step: data.step,
        chosenBy,
        split,
        config: configPath,
        maxExamples,
        mrqaScore: result.chunks ? options.mrqaScore ?? "sum" : undefined,
        average: result.average,
        tasks: result.tasks,
      },
      null,
      2,
    ) + "\n",
  );
  await writeFileAtomic(
    join(outDir, "results.md"),
    `# ${split} results\n\nCheckpoint \`${checkpoint}\` (step ${data.step}).\n\n${table}\n`,
  );
  await writeFileAtomic(join(outDir, "predictions.jsonl"), jsonl(result.predictions));
  if (result.chunks) await writeFileAtomic(join(outDir, "chunk_predictions.jsonl"), jsonl(result.chunks));
  return { checkpoint, step: data.step, split, outDir, result, table };
}

/**
 * Table 2's selection: evaluates every checkpoint kept in `<run>/checkpoints` on the run's eval split and on test,
 * picks per task the checkpoint with the best validation score, and writes its test scores to `<run>/`
 * {@link BEST_PER_TASK_FILE}. Only kept checkpoints can be chosen: train with a large `output.keepLast`.
 */
export async function evaluateBestPerTask(
  options: EvalCheckpointOptions,
): Promise<{ path: string; best: BestPerTask }> {
  const log = options.log ?? ((m: string) => console.error(m));
  const runDir = options.checkpoint;
  const list = await listCheckpoints(join(runDir, "checkpoints"));
  if (list.length === 0) throw new Error(`${runDir}/checkpoints: no checkpoint to choose from`);
  log(
    `choosing per task among ${list.length} checkpoint(s) of ${runDir} (steps ${list.map((c) => c.step).join(", ")})`,
  );
  const scores: CheckpointScores[] = [];
  for (const c of list) {
    const v = await evaluateCheckpoint({ ...options, checkpoint: c.path, split: undefined, out: undefined });
    const t = await evaluateCheckpoint({ ...options, checkpoint: c.path, split: "test", out: undefined });
    scores.push({ step: v.step, checkpoint: c.path, validation: v.result.tasks, test: t.result.tasks });
  }
  const best = selectBestPerTask(scores);
  const path = join(runDir, BEST_PER_TASK_FILE);
  await writeFileAtomic(path, JSON.stringify(best, null, 2) + "\n");
  return { path, best };
}

/** Parses the command line of `deno task eval`. */
export function parseEvalArgs(
  args: string[],
): EvalCheckpointOptions & { help: boolean; select?: "best-per-task" } {
  let parsed;
  try {
    parsed = parseCommand(args, {
      string: [
        "checkpoint",
        "split",
        "config",
        "out",
        "pick",
        "tasks",
        "max-examples",
        "batch-size",
        "mrqa-score",
        "select",
      ],
      overrides: true,
    });
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${USAGE}`);
  }
  const v = parsed.values;
  const count = (flag: string, text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} must be a positive integer, got "${text}"`);
    return n;
  };
  const out: EvalCheckpointOptions & { help: boolean; select?: "best-per-task" } = {
    checkpoint: v.checkpoint ?? "",
    help: parsed.help,
    overrides: parsed.overrides,
  };
  if (v.split !== undefined) out.split = v.split;
  if (v.config !== undefined) out.config = v.config;
  if (v.out !== undefined) out.out = v.out;
  if (v.pick !== undefined) {
    if (v.pick !== "best" && v.pick !== "last") throw new Error(`--pick must be best or last, got "${v.pick}"`);
    out.pick = v.pick;
  }
  if (v.tasks !== undefined) out.tasks = v.tasks.split(",").map((t) => t.trim()).filter(Boolean);
  if (v["max-examples"] !== undefined) out.maxExamples = count("--max-examples", v["max-examples"]);
  if (v["batch-size"] !== undefined) out.batchSize = count("--batch-size", v["batch-size"]);
  const mrqa = v["mrqa-score"];
  if (mrqa !== undefined) {
    if (mrqa !== "sum" && mrqa !== "batch-length") {
      throw new Error(`--mrqa-score must be sum or batch-length, got "${mrqa}"`);
    }
    out.mrqaScore = mrqa;
  }
  if (v.select !== undefined) {
    if (v.select !== "best-per-task") throw new Error(`--select must be best-per-task, got "${v.select}"`);
    out.select = v.select;
  }
  if (!out.help && !out.checkpoint) throw new Error(`--checkpoint is required\n${USAGE}`);
  return out;
}

async function main(): Promise<void> {
  const options = parseEvalArgs(Deno.args);
  if (options.help) {
    console.log(USAGE);
    return;
  }
  if (options.select === "best-per-task") {
    const { path, best } = await evaluateBestPerTask(options);
    const steps = Object.entries(best.chosen).map(([t, c]) => `${t}: step ${c.step}`).join(", ");
    console.log(`\ntest results, each task from its best validation checkpoint (${steps}):`);
    console.log(resultsMarkdown(best.splits.test));
    console.log(`\noutput: ${path}`);
    return;
  }
  const r = await evaluateCheckpoint(options);
  console.log(`\n${r.split} results (${r.checkpoint}, step ${r.step}):\n${r.table}`);
  console.log(
    `\noutput: ${r.outDir} (results.json, results.md, predictions.jsonl${
      r.result.chunks ? ", chunk_predictions.jsonl" : ""
    })`,
  );
}

if (import.meta.main) {
  try {
    await main();
  } catch (error) {
    console.error(`eval: ${(error as Error).message}`);
    Deno.exit(1);
  }
}
