/**
 * The training loop: streamed, mixed batches → teacher-forced loss (label-smoothed, summed as the reference trainer
 * or averaged) → backward → gradient clipping → AdamW with warmup and linear decay, all on the GPU; the loss is read
 * back only every `logEvery` steps. Evaluation every N steps with best-checkpoint selection, atomic checkpoints,
 * exact resume, NaN/Inf stop, and a checkpoint on SIGINT.
 * @module
 */
import { hubLocalPath } from "@hyperdecoders/data/hub";
import { join } from "node:path";
import {
  AdamW,
  add,
  backward,
  clipGradFactor,
  initEngine,
  keep,
  linearWarmupDecay,
  noGrad,
  scale,
  scope,
  type Tensor,
  writeTensor,
  zeros,
} from "@hyperdecoders/core";
import {
  AdaptedT5,
  decodeSafetensors,
  loadMethodWeights,
  loadT5,
  parseMethodConfig,
  parseT5Config,
  randomT5,
  saveMethodWeights,
  T5_V1_1,
  type T5Config,
  type T5Model,
  toHfConfig,
} from "@hyperdecoders/models";
import {
  type Batch,
  type LoaderState,
  loadTokenizer,
  openTaskSources,
  StreamingLoader,
  type Tokenizer,
} from "@hyperdecoders/data";
import { batchTensors, evaluate, type EvaluationResult } from "@hyperdecoders/eval";
import { listCheckpoints, loadCheckpoint, pruneCheckpoints, saveCheckpoint, writeFileAtomic } from "./checkpoint.ts";
import type { TrainConfig } from "./config.ts";
import { Progress } from "./progress.ts";

/** Options of {@link train}. */
export interface TrainOptions {
  /** Resume from an output folder (its newest checkpoint) or a checkpoint folder. */
  resume?: string;
  /** Stop after this many optimiser steps in this call (tests: interrupt a run deterministically). */
  stopAfter?: number;
  /** Progress output (default: stdout). */
  progress?: Progress;
  /** Install a SIGINT handler that saves a checkpoint before exiting (default true). */
  handleSigint?: boolean;
  /** Called after every optimiser step with the step number and the model (tests inject faults here). */
  afterStep?: (step: number, model: AdaptedT5) => void;
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
}

/** The "tiny" shape: the demo's T5 (2+2 layers, d 64), with the tokenizer's vocabulary. */
export function tinyT5Config(vocabSize: number): T5Config {
  return parseT5Config({
    vocab_size: vocabSize,
    d_model: 64,
    d_kv: 16,
    d_ff: 128,
    num_layers: 2,
    num_heads: 4,
    feed_forward_proj: "gated-gelu",
    tie_word_embeddings: false,
    dropout_rate: 0.1,
  }, "preset tiny");
}

/** Builds the base model the config names: a checkpoint folder, or a preset shape randomly initialised. */
export async function buildBaseModel(config: TrainConfig, tokenizer: Tokenizer): Promise<T5Model> {
  if (config.model.checkpoint) {
    const model = await loadT5(await hubLocalPath(config.model.checkpoint, "model"));
    const expected = config.model.shape ? T5_V1_1[config.model.shape as keyof typeof T5_V1_1] : null;
    const keys = ["dModel", "dKv", "dFf", "numLayers", "numDecoderLayers", "numHeads"] as const;
    const wrong = expected ? keys.find((k) => model.config[k] !== expected[k]) : undefined;
    if (expected && wrong) {
      model.dispose();
      throw new Error(
        `${config.model.checkpoint}: ${wrong} is ${model.config[wrong]}, but model.shape "${config.model.shape}" has ${
          expected[wrong]
        }; is this the right checkpoint?`,
      );
    }
    return model;
  }
  const name = config.model.preset!;
  let shape: T5Config;
  if (name === "tiny") shape = tinyT5Config(tokenizer.vocabSize);
  else if (name in T5_V1_1) shape = T5_V1_1[name as keyof typeof T5_V1_1];
  else throw new Error(`config: "model.preset" is "${name}"; known presets: tiny, ${Object.keys(T5_V1_1).join(", ")}`);
  if (config.model.overrides) {
    shape = parseT5Config({ ...toHfConfig(shape), ...config.model.overrides }, "config model.overrides");
  }
  if (tokenizer.vocabSize > shape.vocabSize) {
    throw new Error(
      `config: the tokenizer has ${tokenizer.vocabSize} pieces but the model's vocab_size is ${shape.vocabSize}`,
    );
  }
  return randomT5(shape, config.model.seed);
}

function countTokens(batch: Batch): number {
  let n = 0;
  for (const v of batch.attentionMask) n += v;
  for (const v of batch.labelMask) n += v;
  return n;
}

async function appendJsonl(path: string, record: unknown): Promise<void> {
  await Deno.writeTextFile(path, JSON.stringify(record) + "\n", { append: true });
}

/** Runs (or resumes) a training run end to end. */
export async function train(config: TrainConfig, options: TrainOptions = {}): Promise<TrainResult> {
  await initEngine();
  const progress = options.progress ?? new Progress();
  const outDir = config.output.dir;
  const ckptDir = join(outDir, "checkpoints");
  await Deno.mkdir(outDir, { recursive: true });
  await writeFileAtomic(join(outDir, "config.json"), JSON.stringify(config, null, 2) + "\n");
  const metricsPath = join(outDir, "metrics.jsonl");

  const tokenizer = await loadTokenizer(await hubLocalPath(config.tokenizer, "tokenizer"));
  const trainSources = await openTaskSources(config.data.shards, "train", config.data.tasks ?? undefined);
  const taskNames = trainSources.map((s) => s.task);
  const base = await buildBaseModel(config, tokenizer);

  let resumeFrom: Awaited<ReturnType<typeof loadCheckpoint>> | null = null;
  if (options.resume) {
    const list = await listCheckpoints(join(options.resume, "checkpoints"));
    const path = list.length > 0 ? list[list.length - 1].path : options.resume;
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
  const params = groups.flatMap((g) => g.params);
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
  const schedule = linearWarmupDecay({
    warmupSteps: config.optim.warmupSteps,
    totalSteps,
    peakLr: config.optim.lr,
  });
  const validation = await openTaskSources(config.data.shards, config.eval.split, taskNames).catch(() => []);

  let step = resumeFrom?.step ?? 0;
  let best = (resumeFrom?.state.best as TrainResult["best"]) ?? null;
  const losses: TrainResult["losses"] = [];
  let lossSum: Tensor = keep(zeros([]));
  let lossCount = 0;
  let tokens = 0;
  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
  };
  if (options.handleSigint !== false) Deno.addSignalListener("SIGINT", onSigint);
  const started = performance.now();
  let lastReport = started;
  let stepsThisCall = 0;

  const save = async (): Promise<string> => {
    const trainable = await saveMethodWeights(model, { step: String(step) });
    const states = await Promise.all(optimizers.map((o) => o.state()));
    const m = Object.assign({}, ...states.map((s) => s.m));
    const v = Object.assign({}, ...states.map((s) => s.v));
    const path = await saveCheckpoint(ckptDir, {
      step,
      trainable,
      optimizer: { step: states[0]?.step ?? 0, m, v },
      state: { loader: loader.state(), best, config: { steps: totalSteps } },
    });
    await pruneCheckpoints(ckptDir, config.output.keepLast, best?.path);
    return path;
  };

  const runEval = async (split: string, sources = validation): Promise<EvaluationResult> => {
    return await evaluate(
      { model, generationOptions: (tasks) => model.generationOptions(tasks) },
      tokenizer,
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
    ).then(async (r) => {
      await appendJsonl(metricsPath, { step, split, average: r.average, tasks: r.tasks });
      return r;
    });
  };

  let stopped: TrainResult["stopped"] = "done";
  try {
    while (step < totalSteps) {
      if (interrupted) {
        stopped = "interrupted";
        break;
      }
      if (options.stopAfter !== undefined && stepsThisCall >= options.stopAfter) {
        stopped = "stopAfter";
        break;
      }
      for (let micro = 0; micro < config.train.gradAccumulation; micro++) {
        const batch = await loader.next();
        tokens += countTokens(batch);
        scope(() => {
          const { inputIds, mask: attentionMask } = batchTensors(batch);
          const out = model.forward(
            {
              inputIds,
              attentionMask,
              labels: batch.labels,
              labelShape: [batch.batchSize, batch.targetLength],
            },
            {
              training: config.train.dropout,
              seed: (config.train.seed * 1_000_003 + step * 131 + micro) >>> 0,
              tasks: batch.tasks,
            },
            {
              ignoreIndex: 0,
              labelSmoothing: config.optim.labelSmoothing,
              reduction: config.optim.lossReduction,
            },
          );
          const loss = config.train.gradAccumulation > 1
            ? scale(out.loss!, 1 / config.train.gradAccumulation)
            : out.loss!;
          backward(loss);
          const next = noGrad(() => add(lossSum, out.loss!));
          lossSum.dispose();
          lossSum = keep(next);
        });
        lossCount++;
      }
      const lr = schedule(step);
      scope(() => {
        const gradScale = config.optim.clipNorm > 0 ? clipGradFactor(params, config.optim.clipNorm).factor : undefined;
        optimizers.forEach((opt, i) => opt.step(lr * groups[i].lrScale, { gradScale }));
        for (const opt of optimizers) opt.zeroGrad();
      });
      step++;
      stepsThisCall++;
      options.afterStep?.(step, model);
      const evalNow = config.eval.every > 0 && step % config.eval.every === 0 && step < totalSteps;
      if (step % config.train.logEvery === 0 || step === totalSteps || evalNow) {
        const mean = (await lossSum.item()) / lossCount;
        lossSum.dispose();
        lossSum = keep(zeros([]));
        const now = performance.now();
        const tps = tokens / ((now - lastReport) / 1000);
        lastReport = now;
        tokens = 0;
        lossCount = 0;
        if (!Number.isFinite(mean)) {
          stopped = "non-finite";
          const last = (await listCheckpoints(ckptDir)).at(-1);
          throw new Error(
            `training loss became ${mean} at step ${step}; stopping. ${
              last ? `The last good checkpoint is ${last.path}` : "No checkpoint was written yet"
            }. Lower optim.lr, check the data, or raise optim.warmupSteps.`,
          );
        }
        losses.push({ step, loss: mean });
        await appendJsonl(metricsPath, { step, loss: mean, lr, tokensPerSecond: tps });
        progress.update({
          step,
          total: totalSteps,
          loss: mean,
          lr,
          tokensPerSecond: tps,
          elapsed: (now - started) / 1000,
        });
      }
      if (evalNow && validation.length > 0) {
        const r = await runEval(config.eval.split);
        const path = await save();
        if (!best || r.average > best.metric) {
          best = { metric: r.average, step, path };
          await pruneCheckpoints(ckptDir, config.output.keepLast, best.path);
        }
        progress.log(
          `step ${step}: ${config.eval.split} average ${r.average.toFixed(2)} (best ${
            best.metric.toFixed(2)
          } at ${best.step})`,
        );
      }
    }
    const finalPath = await save();
    const results: Record<string, EvaluationResult> = {};
    if (stopped === "done" && config.eval.atEnd) {
      const finalVal = validation.length > 0 ? await runEval(config.eval.split) : null;
      if (finalVal && (!best || finalVal.average >= best.metric)) {
        best = { metric: finalVal.average, step, path: finalPath };
      }
      if (best && best.path !== finalPath) {
        const chosen = await loadCheckpoint(best.path);
        const weights = decodeSafetensors(chosen.trainable).tensors;
        for (const [name, t] of model.namedTrainableParameters()) writeTensor(t, weights[name].data as Float32Array);
        progress.log(`loaded the best checkpoint (step ${best.step}) for the final evaluation`);
      }
      for (const split of [config.eval.split, "test"]) {
        // The test split may hold other task names (MRQA's out-of-domain subsets): take data.tasks, else all of it.
        const sources = await openTaskSources(config.data.shards, split, config.data.tasks ?? undefined).catch(
          () => [],
        );
        if (sources.length > 0) {
          results[split] = split === config.eval.split && finalVal && best?.path === finalPath
            ? finalVal
            : await runEval(split, sources);
        }
      }
      await writeFileAtomic(
        join(outDir, "results.json"),
        JSON.stringify(
          {
            step,
            best,
            splits: Object.fromEntries(
              Object.entries(results).map(([k, r]) => [k, { average: r.average, tasks: r.tasks }]),
            ),
          },
          null,
          2,
        ) + "\n",
      );
      await writeFileAtomic(
        join(outDir, "predictions.jsonl"),
        Object.entries(results).flatMap(([split, r]) => r.predictions.map((p) => JSON.stringify({ split, ...p })))
          .join("\n") + "\n",
      );
    }
    if (stopped === "interrupted") progress.log(`interrupted: saved ${finalPath}; resume with --resume ${outDir}`);
    return { outDir, step, losses, best, results, stopped };
  } finally {
    if (options.handleSigint !== false) Deno.removeSignalListener("SIGINT", onSigint);
    lossSum.dispose();
    loader.close();
    for (const opt of optimizers) opt.dispose();
    model.dispose();
  }
}
