/**
 * The training loop: streamed, mixed batches → teacher-forced loss (label-smoothed, summed as the reference trainer
 * or averaged) → backward → gradient clipping → AdamW with warmup and linear decay, all on the GPU; the loss is read
 * back only every `logEvery` steps. Evaluation every N steps with best-checkpoint selection, atomic checkpoints,
 * exact resume, NaN/Inf stop, and a checkpoint on SIGINT or SIGTERM (what schedulers send before preemption).
 * @module
 */
import { join } from "@std/path";
import { add, keep, noGrad, scope, type Tensor, writeTensor, zeros } from "@hyperdecoders/core";
import { type AdaptedT5, decodeSafetensors } from "@hyperdecoders/models";
import type { Batch } from "@hyperdecoders/data";
import { batchTensors, type EvaluationResult } from "@hyperdecoders/eval";
import { listCheckpoints, loadCheckpoint, pruneCheckpoints, writeFileAtomic } from "./checkpoint.ts";
import type { TrainConfig } from "./config.ts";
import { Progress } from "./progress.ts";
import { evaluationSources } from "./eval_sources.ts";
import { appendJsonl, closeRun, evaluateRun, type Run, saveRun, setUpRun } from "./run.ts";
import { type StepBatch, type StepConfig, trainStep } from "./step.ts";

/** Options of {@link train}. */
export interface TrainOptions {
  /** Resume from an output folder (its newest intact checkpoint) or a checkpoint folder. */
  resume?: string;
  /** Resume even when the checkpoint has no `optimizer.safetensors` (Adam starts afresh). */
  freshOptimizer?: boolean;
  /** When the output folder already holds a run, move that run aside instead of refusing. */
  overwrite?: boolean;
  /** Stop after this many optimiser steps in this call (tests: interrupt a run deterministically). */
  stopAfter?: number;
  /** Progress output (default: stdout). */
  progress?: Progress;
  /** Install SIGINT and SIGTERM handlers that finish the step and save a checkpoint before exiting (default true). */
  handleSigint?: boolean;
  /**
   * Called (and awaited) after every optimiser step with the step number and the model: tests inject faults here or
   * hold a run at a known step while they signal it.
   */
  afterStep?: (step: number, model: AdaptedT5) => void | Promise<void>;
}

/** What a run produced. */
export interface TrainResult {
  /** Output folder. */
  outDir: string;
  /** Optimiser steps done (in total, including resumed ones). */
  step: number;
  /** Losses read back, by step (the mean over the steps since the previous read). */
  losses: { step: number; loss: number }[];
  /** Best validation average and its checkpoint. */
  best: { metric: number; step: number; path: string } | null;
  /** Final evaluation per split. */
  results: Record<string, EvaluationResult>;
  /** Why the run ended. */
  stopped: "done" | "interrupted" | "stopAfter" | "non-finite";
  /** The signal that interrupted the run (when `stopped` is "interrupted"). */
  signal?: "SIGINT" | "SIGTERM";
}

/** Runs (or resumes) a training run end to end: setup, the loop of optimiser steps, and the final evaluation. */
export async function train(config: TrainConfig, options: TrainOptions = {}): Promise<TrainResult> {
  const run = await setUpRun(config, options.progress ?? new Progress(), options);
  let signal: "SIGINT" | "SIGTERM" | null = null;
  const onSigint = () => signal ??= "SIGINT";
  const onSigterm = () => signal ??= "SIGTERM";
  if (options.handleSigint !== false) {
    Deno.addSignalListener("SIGINT", onSigint);
    Deno.addSignalListener("SIGTERM", onSigterm);
  }
  try {
    const { stopped, losses } = await trainLoop(run, options, () => signal !== null);
    await run.progress.close();
    const result = await finishRun(run, stopped, losses, signal);
    return stopped === "interrupted" && signal ? { ...result, signal } : result;
  } finally {
    await run.progress.close();
    if (options.handleSigint !== false) {
      Deno.removeSignalListener("SIGINT", onSigint);
      Deno.removeSignalListener("SIGTERM", onSigterm);
    }
    closeRun(run);
  }
}

function countTokens(batch: Batch): number {
  let n = 0;
  for (const v of batch.attentionMask) n += v;
  for (const v of batch.labelMask) n += v;
  return n;
}

/**
 * Optimiser steps until the schedule's end, an interrupt or `stopAfter`; the mean loss is read back every `logEvery`
 * steps (and before an evaluation), which every `eval.every` steps saves a checkpoint and tracks the best.
 */
async function trainLoop(
  run: Run,
  options: TrainOptions,
  interrupted: () => boolean,
): Promise<{ stopped: TrainResult["stopped"]; losses: TrainResult["losses"] }> {
  const { config, progress, totalSteps } = run;
  const losses: TrainResult["losses"] = [];
  const started = performance.now();
  let lastReport = started;
  let tokens = 0;
  let stepsThisCall = 0;
  while (run.step < totalSteps) {
    if (interrupted()) return { stopped: "interrupted", losses };
    if (options.stopAfter !== undefined && stepsThisCall >= options.stopAfter) return { stopped: "stopAfter", losses };
    const batches: Batch[] = [];
    for (let micro = 0; micro < config.train.gradAccumulation; micro++) batches.push(await run.loader.next());
    for (const batch of batches) tokens += countTokens(batch);
    const lr = run.schedule(run.step);
    accumulateLosses(run, scope(() => trainStep(run.model, batches.map(onGpu), run.optimizers, stepConfig(run, lr))));
    run.step++;
    stepsThisCall++;
    await options.afterStep?.(run.step, run.model);
    const step = run.step;
    const evalNow = config.eval.every > 0 && step % config.eval.every === 0 && step < totalSteps;
    if (step % config.train.logEvery === 0 || step === totalSteps || evalNow) {
      const mean = await readMeanLoss(run);
      const now = performance.now();
      const tps = tokens / ((now - lastReport) / 1000);
      lastReport = now;
      tokens = 0;
      losses.push({ step, loss: mean });
      await appendJsonl(run.metricsPath, { step, loss: mean, lr, tokensPerSecond: tps });
      progress.update({
        step,
        total: totalSteps,
        loss: mean,
        lr,
        tokensPerSecond: tps,
        elapsed: (now - started) / 1000,
      });
    }
    if (evalNow && run.validation.length > 0) await evaluateAndSave(run);
  }
  return { stopped: "done", losses };
}

/** The batch's ids and mask on the GPU, with its labels and tasks. */
function onGpu(batch: Batch): StepBatch {
  const { inputIds, mask } = batchTensors(batch);
  return {
    inputIds,
    attentionMask: mask,
    labels: batch.labels,
    labelShape: [batch.batchSize, batch.targetLength],
    tasks: batch.tasks,
  };
}

/** The step settings of the run's config at learning rate `lr` (each group scaled by its multiplier). */
function stepConfig(run: Run, lr: number): StepConfig {
  const { train, optim } = run.config;
  return {
    dropout: train.dropout,
    seed: train.seed * 1_000_003 + run.step * 131,
    clipNorm: optim.clipNorm,
    lr: run.groups.map((g) => lr * g.lrScale),
    loss: { ignoreIndex: 0, labelSmoothing: optim.labelSmoothing, reduction: optim.lossReduction },
  };
}

/** Adds the step's micro-batch losses to the run's sum on the GPU and frees them. */
function accumulateLosses(run: Run, stepLosses: readonly Tensor[]): void {
  for (const loss of stepLosses) {
    const next = keep(noGrad(() => add(run.lossSum, loss)));
    run.lossSum.dispose();
    loss.dispose();
    run.lossSum = next;
    run.lossCount++;
  }
}

/** Reads the mean loss since the last read and resets the sum; a non-finite mean stops the run naming the last good
 * checkpoint. */
async function readMeanLoss(run: Run): Promise<number> {
  const mean = (await run.lossSum.item()) / run.lossCount;
  run.lossSum.dispose();
  run.lossSum = keep(zeros([]));
  run.lossCount = 0;
  if (!Number.isFinite(mean)) {
    const last = (await listCheckpoints(run.ckptDir)).at(-1);
    throw new Error(
      `training loss became ${mean} at step ${run.step}; stopping. ${
        last ? `The last good checkpoint is ${last.path}` : "No checkpoint was written yet"
      }. Lower optim.lr, check the data, or raise optim.warmupSteps.`,
    );
  }
  return mean;
}

/** Evaluates on the eval split, saves a checkpoint and keeps the best one. */
async function evaluateAndSave(run: Run): Promise<void> {
  const { config, ckptDir, step } = run;
  const r = await evaluateRun(run, config.eval.split);
  const path = await saveRun(run);
  if (!run.best || r.average > run.best.metric) {
    run.best = { metric: r.average, step, path };
    await pruneCheckpoints(ckptDir, config.output.keepLast, path);
  }
  run.progress.log(
    `step ${step}: ${config.eval.split} average ${r.average.toFixed(2)} (best ${
      run.best.metric.toFixed(2)
    } at ${run.best.step})`,
  );
}

/**
 * Saves the final checkpoint; a finished run (with `eval.atEnd`) then reloads its best checkpoint, evaluates the eval
 * split and the test split, and writes results.json and predictions.jsonl.
 */
async function finishRun(
  run: Run,
  stopped: TrainResult["stopped"],
  losses: TrainResult["losses"],
  signal: "SIGINT" | "SIGTERM" | null = null,
): Promise<TrainResult> {
  const { config, outDir, step } = run;
  const finalPath = await saveRun(run);
  const results: Record<string, EvaluationResult> = {};
  if (stopped === "done" && config.eval.atEnd) {
    const finalVal = run.validation.length > 0 ? await evaluateRun(run, config.eval.split) : null;
    if (finalVal && (!run.best || finalVal.average >= run.best.metric)) {
      run.best = { metric: finalVal.average, step, path: finalPath };
    }
    if (run.best && run.best.path !== finalPath) await loadBestWeights(run, run.best);
    for (const split of [config.eval.split, "test"]) {
      // The split's own tasks: MRQA's test split holds only the out-of-domain subsets, which data.tasks does not list.
      const sources = await evaluationSources(config.data.shards, split, config.data.tasks);
      if (sources.length === 0) {
        run.progress.log(`no "${split}" split in ${config.data.shards.join(", ")}: not evaluated`);
      } else {
        results[split] = split === config.eval.split && finalVal && run.best?.path === finalPath
          ? finalVal
          : await evaluateRun(run, split, sources);
      }
    }
    await writeResults(outDir, step, run.best, results);
  }
  if (stopped === "interrupted") {
    run.progress.log(`interrupted (${signal}): saved ${finalPath}; resume with --resume ${outDir}`);
  }
  return { outDir, step, losses, best: run.best, results, stopped };
}

/** Writes the best checkpoint's trained weights into the model. */
async function loadBestWeights(run: Run, best: NonNullable<TrainResult["best"]>): Promise<void> {
  const chosen = await loadCheckpoint(best.path);
  const weights = decodeSafetensors(chosen.trainable).tensors;
  for (const [name, t] of run.model.namedTrainableParameters()) writeTensor(t, weights[name].data as Float32Array);
  run.progress.log(`loaded the best checkpoint (step ${best.step}) for the final evaluation`);
}

/** results.json (scores per split, the best checkpoint) and predictions.jsonl (every split's predictions). */
async function writeResults(
  outDir: string,
  step: number,
  best: TrainResult["best"],
  results: Record<string, EvaluationResult>,
): Promise<void> {
  const splits = Object.fromEntries(
    Object.entries(results).map(([k, r]) => [k, { average: r.average, tasks: r.tasks }]),
  );
  await writeFileAtomic(join(outDir, "results.json"), JSON.stringify({ step, best, splits }, null, 2) + "\n");
  await writeFileAtomic(
    join(outDir, "predictions.jsonl"),
    Object.entries(results).flatMap(([split, r]) => r.predictions.map((p) => JSON.stringify({ split, ...p })))
      .join("\n") + "\n",
  );
}
