/**
 * Decoding evaluation: generates an answer for every example of a split (greedy or beam search with each task's
 * settings), decodes it, and scores each task with its metrics; tasks unknown to the paper's metric table (the demo,
 * user JSONL tasks) are scored by their kind: accuracy, Pearson/Spearman, or exact match and token F1.
 * @module
 */
import { tensor } from "@hyperdecoders/core";
import type { GenerateOptions, T5Model } from "@hyperdecoders/models";
import { beamSearch, greedySearch } from "@hyperdecoders/models";
import { type Batch, getTask, sequentialBatches, TASKS, type TaskSource, type TaskSpec } from "@hyperdecoders/data";
import { accuracy, pearson, spearman } from "./metrics/classification.ts";
import { squadScores } from "./metrics/squad.ts";
import { averageScore, scoreTask, TASK_METRICS } from "./metrics/task_metrics.ts";

/** What evaluation needs of a tokenizer. */
export interface EvalTokenizer {
  /** Ids ending with `</s>`. */
  encode(text: string): number[];
  /** Text of ids (special tokens skipped). */
  decode(ids: number[]): string;
}

/** A model that can generate, with the options that make it compute its adapters once per input. */
export interface EvalModel {
  /** The T5 model (possibly with adapters). */
  model: T5Model;
  /** Extra generation options for a batch of these tasks (adapter preparation, task ids). */
  generationOptions?: (tasks: readonly string[]) => Pick<GenerateOptions, "forward" | "prepare">;
}

/** Decoding settings of one task. */
export interface DecodingSettings {
  /** Beams (1 = greedy). */
  numBeams: number;
  /** New tokens after the start token. */
  maxNewTokens: number;
  /** Fewest new tokens before EOS (HF's min_length=2 means 1). */
  minNewTokens: number;
}

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** Examples per generation batch (default 32). */
  batchSize?: number;
  /** At most this many examples per task (seeded subset). */
  maxExamples?: number | null;
  /** Override every task's beams. */
  numBeams?: number | null;
  /** Override every task's new-token budget. */
  maxNewTokens?: number | null;
  /** Source truncation (default: the task's). */
  maxSourceLength?: number;
  /** Called after each batch with the number of examples done. */
  onProgress?: (done: number) => void;
}

/** One prediction. */
export interface Prediction {
  /** Task. */
  task: string;
  /** Example id. */
  id: string;
  /** Generated text. */
  prediction: string;
  /** Reference text. */
  target: string;
}

/** Evaluation result. */
export interface EvaluationResult {
  /** Metrics per task (×100). */
  tasks: Record<string, Record<string, number>>;
  /** The paper's average over tasks (each task's metrics averaged first). */
  average: number;
  /** Every prediction. */
  predictions: Prediction[];
}

/**
 * The paper's decoding settings (method.md §11.1): classification greedy with `max_length` = the longest label
 * including EOS (so the new tokens are the longest label's content tokens); MRQA greedy 64; summarisation 4–6 beams,
 * 60; others greedy with the task's target length. `min_length=2` everywhere.
 */
export function decodingSettings(spec: TaskSpec | undefined, tokenizer: EvalTokenizer): DecodingSettings {
  const settings = { numBeams: 1, maxNewTokens: 64, minNewTokens: 1 };
  if (!spec) return settings;
  if (spec.labels && spec.labels.length > 0) {
    settings.maxNewTokens = Math.max(...spec.labels.map((l) => tokenizer.encode(l).length)) - 1;
  } else if (spec.family === "summarization") {
    settings.numBeams = spec.name === "xsum" ? 6 : 4;
    settings.maxNewTokens = 59;
  } else if (spec.family === "mrqa") {
    settings.maxNewTokens = 63;
  } else {
    settings.maxNewTokens = spec.maxTargetLength;
  }
  return settings;
}

function specOf(task: string): TaskSpec | undefined {
  return TASKS.get(task) ?? (TASK_METRICS[task] ? undefined : safeGetTask(task));
}

function safeGetTask(task: string): TaskSpec | undefined {
  try {
    return getTask(task);
  } catch {
    return undefined;
  }
}

/** Scores one task: the paper's metric table when it knows the task, else by the task's kind. */
export function scoreByTask(
  task: string,
  predictions: readonly string[],
  references: readonly (string | readonly string[])[],
): Record<string, number> {
  if (TASK_METRICS[task]) return scoreTask(task, predictions, references);
  const spec = safeGetTask(task);
  const refs = references.map((r) => (typeof r === "string" ? r : r[0] ?? ""));
  const preds = predictions.map((p) => p.trim());
  if (spec?.kind === "regression") {
    const x = preds.map((p) => (Number.isFinite(Number(p)) && p !== "" ? Number(p) : -1));
    const y = refs.map(Number);
    const fix = (v: number) => (Number.isNaN(v) ? 0 : v * 100);
    return { pearson: fix(pearson(x, y)), spearman: fix(spearman(x, y)) };
  }
  if (spec?.kind === "classification") return { acc: accuracy(preds, refs.map((r) => r.trim())) * 100 };
  const { em, f1 } = squadScores(preds, references.map((r) => (typeof r === "string" ? [r] : [...r])));
  return { em, f1 };
}

function toTensors(batch: Batch) {
  const inputIds = tensor(batch.inputIds, [batch.batchSize, batch.sourceLength], "i32");
  const mask = tensor(Float32Array.from(batch.attentionMask), [batch.batchSize, batch.sourceLength]);
  return { inputIds, mask };
}

/** Generates and scores every example of `sources` (one split). */
export async function evaluate(
  target: EvalModel,
  tokenizer: EvalTokenizer,
  sources: TaskSource[],
  options: EvaluateOptions = {},
): Promise<EvaluationResult> {
  const predictions: Prediction[] = [];
  const batches = sequentialBatches(sources, tokenizer, {
    batchSize: options.batchSize ?? 32,
    limit: options.maxExamples ?? undefined,
    limitSeed: options.maxExamples ? 42 : undefined,
    maxSourceLength: options.maxSourceLength ?? 512,
    maxTargetLength: 512,
  });
  let done = 0;
  for await (const batch of batches) {
    const task = batch.tasks[0];
    const settings = decodingSettings(specOf(task), tokenizer);
    const numBeams = options.numBeams ?? settings.numBeams;
    const maxNewTokens = options.maxNewTokens ?? settings.maxNewTokens;
    const { inputIds, mask } = toTensors(batch);
    try {
      const extra = target.generationOptions?.(batch.tasks) ?? {};
      const common = { ...extra, maxNewTokens, minNewTokens: Math.min(settings.minNewTokens, maxNewTokens) };
      const sequences = numBeams > 1
        ? await beamSearch(target.model, inputIds, mask, { ...common, numBeams })
        : await greedySearch(target.model, inputIds, mask, common);
      sequences.forEach((seq, i) => {
        predictions.push({
          task: batch.tasks[i],
          id: batch.ids[i],
          prediction: tokenizer.decode(seq.slice(1)).trim(),
          target: batch.targets[i],
        });
      });
    } finally {
      inputIds.dispose();
      mask.dispose();
    }
    done += batch.batchSize;
    options.onProgress?.(done);
  }
  const byTask = new Map<string, Prediction[]>();
  for (const p of predictions) {
    if (!byTask.has(p.task)) byTask.set(p.task, []);
    byTask.get(p.task)!.push(p);
  }
  const tasks: Record<string, Record<string, number>> = {};
  for (const [task, preds] of byTask) {
    tasks[task] = scoreByTask(task, preds.map((p) => p.prediction), preds.map((p) => p.target));
  }
  return { tasks, average: averageOverTasks(tasks), predictions };
}

/** The paper's checkpoint-selection average: each task's metrics averaged, then the mean over tasks. */
export function averageOverTasks(tasks: Record<string, Record<string, number>>): number {
  const known = Object.fromEntries(Object.entries(tasks).filter(([t]) => TASK_METRICS[t]));
  const values: number[] = [];
  if (Object.keys(known).length > 0) values.push(...Object.keys(known).map((t) => averageScore({ [t]: known[t] })));
  for (const [t, m] of Object.entries(tasks)) {
    if (TASK_METRICS[t]) continue;
    const v = Object.values(m);
    values.push(v.reduce((a, b) => a + b, 0) / Math.max(1, v.length));
  }
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN;
}
