/**
 * A training run's state and its setup: the output folder, the model (new, or resumed with its optimiser moments and
 * loader position), one AdamW per parameter group, the streaming loader and the learning-rate schedule; saving a
 * checkpoint and evaluating a split during the run; and freeing it all at the end.
 * @module
 */
import { hubLocalPath } from "@hyperdecoders/data/hub";
import { join } from "node:path";
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
import { buildBaseModel } from "./base_model.ts";
import { listCheckpoints, loadCheckpoint, pruneCheckpoints, saveCheckpoint, writeFileAtomic } from "./checkpoint.ts";
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
  /** Sum of the losses since the last read (on the GPU), and how many. */
  lossSum: Tensor;
  lossCount: number;
}

/** Prepares a run: writes its config.json, builds or resumes the model, its optimisers, loader and schedule. */
export async function setUpRun(config: TrainConfig, progress: Progress, resume?: string): Promise<Run> {
  await initEngine();
  const outDir = config.output.dir;
  await Deno.mkdir(outDir, { recursive: true });
  await writeFileAtomic(join(outDir, "config.json"), JSON.stringify(config, null, 2) + "\n");

  const tokenizer = await loadTokenizer(await hubLocalPath(config.tokenizer, "tokenizer"));
  const trainSources = await openTaskSources(config.data.shards, "train", config.data.tasks ?? undefined);
  const taskNames = trainSources.map((s) => s.task);
  const base = await buildBaseModel(config, tokenizer);

  let resumeFrom: Awaited<ReturnType<typeof loadCheckpoint>> | null = null;
  if (resume) {
    const list = await listCheckpoints(join(resume, "checkpoints"));
    const path = list.length > 0 ? list[list.length - 1].path : resume;
    resumeFrom = await loadCheckpoint(path);
    progress.log(`resuming from ${path} (step ${resumeFrom.step})`);
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
  const validation = await openTaskSources(config.data.shards, config.eval.split, taskNames).catch(() => []);

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
    best: (resumeFrom?.state.best as BestCheckpoint) ?? null,
    lossSum: keep(zeros([])),
    lossCount: 0,
  };
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
    state: { loader: run.loader.state(), best, config: { steps: run.totalSteps } },
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
}
