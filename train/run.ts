/**
 * A training run's state and its setup: the output folder, the model (new, or resumed with its optimiser moments and
 * loader position), one AdamW per parameter group, the streaming loader and the learning-rate schedule; saving a
 * checkpoint and evaluating a split during the run; and freeing it all at the end.
 * @module
 */
import { hubLocalPath } from "@hyperdecoders/data/hub";
import { basename, join, resolve, SEPARATOR } from "@std/path";
import { AdamW, initEngine, keep, linearWarmupDecay, type Tensor, zeros } from "@hyperdecoders/core";
import {
  AdaptedT5,
  loadMethodWeights,
  type ParameterGroup,
  parseMethodConfig,
  saveMethodWeights,
} from "@hyperdecoders/models";
import {
  type LoaderState,
  loadTokenizer,
  openTaskSources,
  StreamingLoader,
  type TaskSource,
  type Tokenizer,
} from "@hyperdecoders/data";
import { evaluate, type EvaluationResult } from "@hyperdecoders/eval";
import { baseModelFingerprint, buildBaseModel } from "./base_model.ts";
import { evaluationSources } from "./eval_sources.ts";
import {
  type CheckpointData,
  loadCheckpoint,
  loadLatestCheckpoint,
  pruneCheckpoints,
  recoverCheckpoints,
  saveCheckpoint,
  writeFileAtomic,
} from "./checkpoint.ts";
import type { TrainConfig } from "./config.ts";
import type { Progress } from "./progress.ts";

/** The best validation average so far and its checkpoint. */
export type BestCheckpoint = { metric: number; step: number; path: string } | null;

/** Everything a run holds between its setup and its end. */
export interface Run {
  config: TrainConfig;
  progress: Progress;
  outDir: string;
  ckptDir: string;
  metricsPath: string;
  tokenizer: Tokenizer;
  model: AdaptedT5;
  groups: ParameterGroup[];
  optimizers: AdamW[];
  loader: StreamingLoader;
  totalSteps: number;
  schedule: (step: number) => number;
  /** The eval split's sources of the trained tasks (none when the data has no such split). */
  validation: TaskSource[];
  /** Optimiser steps done, resumed ones included. */
  step: number;
  best: BestCheckpoint;
  /** {@link baseModelFingerprint} of the base model, recorded in every checkpoint. */
  baseModel: string;
  /** Sum of the losses since the last read (on the GPU), and how many. */
  lossSum: Tensor;
  lossCount: number;
}

/** Options of {@link setUpRun}. */
export interface SetUpOptions {
  /** Resume from a run folder (its newest intact checkpoint) or a checkpoint folder. */
  resume?: string;
  /** Resume even when the checkpoint has no `optimizer.safetensors` (Adam starts afresh). */
  freshOptimizer?: boolean;
  /** When the output folder already holds a run, move that run aside instead of refusing. */
  overwrite?: boolean;
}

/** Files and folders whose presence means a folder holds a training run. */
const RUN_MARKERS = ["config.json", "checkpoints", "metrics.jsonl", "results.json"];

async function holdsRun(dir: string): Promise<boolean> {
  for (const m of RUN_MARKERS) if (await Deno.stat(join(dir, m)).then(() => true, () => false)) return true;
  return false;
}

/** Moves a run's files out of `dir` into a new sibling folder, keeping data folders `keep` (the demo's) in place. */
async function moveRunAside(dir: string, keep: string[]): Promise<string> {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "");
  const aside = `${dir.replace(/[\\/]+$/, "")}.replaced-${stamp}`;
  await Deno.mkdir(aside);
  const kept = keep.map((k) => resolve(k));
  for (const e of [...Deno.readDirSync(dir)]) {
    const p = resolve(join(dir, e.name));
    if (kept.some((k) => k === p || k.startsWith(p + SEPARATOR))) continue;
    await Deno.rename(join(dir, e.name), join(aside, e.name));
  }
  return aside;
}

/** Rewrites metrics.jsonl without the rows after `step` (written by the run after the checkpoint it resumes). */
async function cutMetrics(path: string, step: number): Promise<number> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return 0;
    throw error;
  }
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  const kept = lines.filter((l) => {
    try {
      const s = JSON.parse(l).step;
      return !(typeof s === "number" && s > step);
    } catch {
      return false; // a line cut short by a crash
    }
  });
  if (kept.length === lines.length && text.endsWith("\n")) return 0;
  await writeFileAtomic(path, kept.map((l) => l + "\n").join(""));
  return lines.length - kept.length;
}

/**
 * Prepares a run: checks every input (tokenizer, data, base model, the checkpoint to resume) before writing anything,
 * refuses an output folder that already holds a run unless resuming it (or `overwrite`), then writes config.json and
 * builds or resumes the model, its optimisers, loader and schedule. On resume, metrics.jsonl is cut back to the
 * checkpoint's step so that each step appears once.
 */
export async function setUpRun(config: TrainConfig, progress: Progress, options: SetUpOptions = {}): Promise<Run> {
  const { resume } = options;
  await initEngine();
  const outDir = config.output.dir;
  if (!resume && (await holdsRun(outDir)) && !options.overwrite) {
    throw new Error(
      `${outDir} already holds a training run; continue it with --resume ${outDir}, choose another --out, or pass ` +
        `--overwrite to move the old run aside (to ${outDir}.replaced-<time>) and start afresh`,
    );
  }

  const tokenizer = await loadTokenizer(await hubLocalPath(config.tokenizer, "tokenizer"));
  const trainSources = await openTaskSources(config.data.shards, "train", config.data.tasks ?? undefined);
  const taskNames = trainSources.map((s) => s.task);
  const baseModel = await baseModelFingerprint(config);
  const base = await buildBaseModel(config, tokenizer);

  let resumeFrom: CheckpointData | null = null;
  if (resume) {
    let path = resume;
    const isCheckpoint = await Deno.stat(join(resume, "trainer_state.json")).then(() => true, () => false);
    if (isCheckpoint) resumeFrom = await loadCheckpoint(resume, options).catch((e) => fail(base, e));
    else {
      const ckpts = join(resume, "checkpoints");
      for (const line of await recoverCheckpoints(ckpts)) progress.log(`${ckpts}: ${line}`);
      const got = await loadLatestCheckpoint(ckpts, { ...options, warn: (m) => progress.log(m) })
        .catch((e) => fail(base, e));
      if (!got) fail(base, new Error(`${resume}: no checkpoint to resume from in ${ckpts}`));
      [path, resumeFrom] = [got!.path, got!.data];
    }
    const recorded = resumeFrom!.state.baseModel;
    if (typeof recorded === "string" && recorded !== baseModel) {
      fail(
        base,
        new Error(
          `${path}: trained on a different base model (fingerprint ${recorded.slice(0, 16)}…) than the config names ` +
            `now (${baseModel.slice(0, 16)}…); resume with the run's own model settings`,
        ),
      );
    }
    progress.log(`resuming from ${path} (step ${resumeFrom!.step})`);
  }

  const model = resumeFrom
    ? loadMethodWeights(base, resumeFrom.trainable, "resume checkpoint")
    : new AdaptedT5(base, parseMethodConfig({ ...config.method, tasks: taskNames }, "config method"));

  const groups = model.parameterGroups();
  const optimizers = groups.map((g) =>
    new AdamW(g.params, {
      lr: config.optim.lr * g.lrScale,
      betas: config.optim.betas,
      eps: config.optim.eps,
      weightDecay: config.optim.weightDecay,
      variant: config.optim.adamw,
    })
  );
  if (resumeFrom?.optimizer) {
    const { step, m, v } = resumeFrom.optimizer;
    for (const opt of optimizers) {
      const names = opt.params.map((p) => p.name!);
      opt.loadState({
        step,
        m: Object.fromEntries(names.filter((n) => m[n]).map((n) => [n, m[n]])),
        v: Object.fromEntries(names.filter((n) => v[n]).map((n) => [n, v[n]])),
      });
    }
  }

  const loader = await StreamingLoader.create({
    tasks: trainSources,
    tokenizer,
    batchSize: config.train.batchSize,
    seed: config.train.seed,
    shuffleBuffer: config.data.shuffleBuffer,
    temperature: config.data.temperature,
    bucketBatches: config.data.bucketBatches,
    maxSourceLength: config.data.maxSourceLength,
    maxTargetLength: config.data.maxTargetLength,
  }, resumeFrom?.state.loader as LoaderState | undefined);

  const trainExamples = trainSources.reduce((a, s) => a + s.count, 0);
  const perStep = config.train.batchSize * config.train.gradAccumulation;
  const totalSteps = config.train.steps ?? Math.ceil((config.train.epochs! * trainExamples) / perStep);
  const schedule = linearWarmupDecay({ warmupSteps: config.optim.warmupSteps, totalSteps, peakLr: config.optim.lr });
  const validation = await evaluationSources(config.data.shards, config.eval.split, taskNames);
  if (validation.length === 0 && config.eval.every > 0) {
    progress.log(
      `no "${config.eval.split}" split for the trained tasks: no periodic evaluation, the last step is kept`,
    );
  }

  // Every input checked out: only now is anything written.
  if (!resume && options.overwrite && (await holdsRun(outDir))) {
    progress.log(`moved the previous run in ${outDir} aside to ${await moveRunAside(outDir, config.data.shards)}`);
  }
  await Deno.mkdir(outDir, { recursive: true });
  await writeFileAtomic(join(outDir, "config.json"), JSON.stringify(config, null, 2) + "\n");
  if (resumeFrom) {
    const cut = await cutMetrics(join(outDir, "metrics.jsonl"), resumeFrom.step);
    if (cut > 0) progress.log(`metrics.jsonl: removed ${cut} row(s) after step ${resumeFrom.step} (redone on resume)`);
  }

  return {
    config,
    progress,
    outDir,
    ckptDir: join(outDir, "checkpoints"),
    metricsPath: join(outDir, "metrics.jsonl"),
    tokenizer,
    model,
    groups,
    optimizers,
    loader,
    totalSteps,
    schedule,
    validation,
    step: resumeFrom?.step ?? 0,
    best: resumedBest(resumeFrom?.state.best as BestCheckpoint | undefined, join(outDir, "checkpoints")),
    baseModel,
    lossSum: keep(zeros([])),
    lossCount: 0,
  };
}

function fail(base: { dispose(): void }, error: unknown): never {
  base.dispose();
  throw error;
}

/** The recorded best checkpoint, looked up in this run's checkpoints folder (the run may have been moved). */
function resumedBest(best: BestCheckpoint | undefined, ckptDir: string): BestCheckpoint {
  return best ? { ...best, path: join(ckptDir, basename(best.path)) } : null;
}

/** Appends one JSON record to a JSONL file. */
export async function appendJsonl(path: string, record: unknown): Promise<void> {
  await Deno.writeTextFile(path, JSON.stringify(record) + "\n", { append: true });
}

/** Saves a checkpoint of the run at its current step (weights, optimiser moments, loader position, best); returns it. */
export async function saveRun(run: Run): Promise<string> {
  const { config, model, optimizers, ckptDir, step, best } = run;
  const trainable = await saveMethodWeights(model, { step: String(step) });
  const states = await Promise.all(optimizers.map((o) => o.state()));
  const m = Object.assign({}, ...states.map((s) => s.m));
  const v = Object.assign({}, ...states.map((s) => s.v));
  const path = await saveCheckpoint(ckptDir, {
    step,
    trainable,
    optimizer: { step: states[0]?.step ?? 0, m, v },
    state: { loader: run.loader.state(), best, config: { steps: run.totalSteps }, baseModel: run.baseModel },
  });
  await pruneCheckpoints(ckptDir, config.output.keepLast, best?.path);
  return path;
}

/** Evaluates the model on `split` (by default the validation sources) and logs the scores to metrics.jsonl. */
export async function evaluateRun(
  run: Run,
  split: string,
  sources: TaskSource[] = run.validation,
): Promise<EvaluationResult> {
  const { config, model } = run;
  const result = await evaluate(
    { model, generationOptions: (tasks) => model.generationOptions(tasks) },
    run.tokenizer,
    sources,
    {
      // The reference subsamples only the validation split; test sets are evaluated whole.
      maxExamples: split === config.eval.split ? config.eval.maxExamples : null,
      numBeams: config.eval.numBeams,
      maxNewTokens: config.eval.maxNewTokens,
      maxSourceLength: config.data.maxSourceLength,
      maxTargetLength: config.data.maxTargetLength,
      batchSize: Math.max(config.train.batchSize, 32),
    },
  );
  await appendJsonl(run.metricsPath, { step: run.step, split, average: result.average, tasks: result.tasks });
  return result;
}

/** Frees what the run holds on the GPU and closes its loader. */
export function closeRun(run: Run): void {
  run.lossSum.dispose();
  run.loader.close();
  for (const opt of run.optimizers) opt.dispose();
  run.model.dispose();
  run.model.base.dispose();
}
