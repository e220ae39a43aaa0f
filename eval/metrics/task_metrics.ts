/**
 * Task-level scoring as the reference code does it (its `metrics.py`) and the averages used to select checkpoints
 * (its `metric_for_best_model=average_metrics`: the flat mean of
 * every metric value). Metric keys follow the reference code: `acc`, `f1`, `mcc`, `pearson_corrcoef`,
 * `spearman_corrcoef`, `rouge1`, `rouge2`, `rougeL`, `rougeLsum`, `gen_len`, `em`; every value is ×100 except
 * `gen_len`.
 *
 * @module
 */

import { accuracy, f1WithInvalid, matthewsCorrelation, pearson, spearman } from "./classification.ts";
import { parsePythonFloat, parsePythonInt, pythonStrip } from "./python_parse.ts";
import { type RougeScore, RougeScorer } from "./rouge.ts";
import { bootstrapAggregate, meanScore } from "./rouge_aggregate.ts";
import { splitSentences } from "./sentence_split.ts";
import { squadScores } from "./squad.ts";

/** How a task is scored. */
export type TaskMetricKind = "accuracy" | "mcc" | "f1_accuracy" | "correlation" | "rouge" | "squad";

/** Scoring recipe of one task. */
export interface TaskMetricSpec {
  /** Which metrics are computed. */
  kind: TaskMetricKind;
  /** How predictions and labels are converted before scoring (the reference post-processors). */
  parse: "int" | "float" | "string";
  /** The metrics averaged for this task in the per-task checkpoint average (and the paper-style tables). */
  selection: readonly string[];
}

const ACC: TaskMetricSpec = { kind: "accuracy", parse: "string", selection: ["acc"] };
const ROUGE: TaskMetricSpec = { kind: "rouge", parse: "string", selection: ["rouge2"] };
const QA: TaskMetricSpec = { kind: "squad", parse: "string", selection: ["f1"] };
const F1_ACC: TaskMetricSpec = { kind: "f1_accuracy", parse: "int", selection: ["f1", "acc"] };

/** The 8 GLUE tasks of the GLUE average (WNLI and AX excluded, as in the paper and T5). */
export const GLUE_TASKS: readonly string[] = ["cola", "sst2", "mrpc", "stsb", "qqp", "mnli", "qnli", "rte"];
/** Summarisation tasks (ROUGE). */
export const SUMMARIZATION_TASKS: readonly string[] = ["xsum", "cnn_dailymail", "wiki_lingua_english_en"];
/** MRQA in-domain subsets (train and validation). */
export const MRQA_IN_DOMAIN: readonly string[] = [
  "HotpotQA",
  "NaturalQuestionsShort",
  "NewsQA",
  "SearchQA",
  "SQuAD",
  "TriviaQA-web",
];
/** MRQA out-of-domain subsets (the test set). */
export const MRQA_OUT_OF_DOMAIN: readonly string[] = [
  "BioASQ",
  "DROP",
  "DuoRC",
  "RACE",
  "RelationExtraction",
  "TextbookQA",
];

/** Every task `scoreTask` knows, with its recipe (reference code task names). */
export const TASK_METRICS: Readonly<Record<string, TaskMetricSpec>> = Object.freeze({
  cola: { kind: "mcc", parse: "int", selection: ["mcc"] },
  sst2: ACC,
  mrpc: F1_ACC,
  stsb: { kind: "correlation", parse: "float", selection: ["pearson_corrcoef", "spearman_corrcoef"] },
  qqp: F1_ACC,
  mnli: ACC,
  qnli: ACC,
  rte: ACC,
  wnli: ACC,
  anli: ACC,
  art: ACC,
  ...Object.fromEntries(SUMMARIZATION_TASKS.map((t) => [t, ROUGE])),
  mrqa: QA,
  squad: QA,
  ...Object.fromEntries([...MRQA_IN_DOMAIN, ...MRQA_OUT_OF_DOMAIN].map((t) => [t, QA])),
});

/** Metric name → value for one task. */
export type TaskScores = Record<string, number>;

/** Options of {@link scoreTask}. */
export interface ScoreTaskOptions {
  /** ROUGE corpus aggregation: "mean" of per-example F (default, deterministic) or "bootstrap" mid (reference). */
  rougeAggregation?: "mean" | "bootstrap";
  /** Seed of the bootstrap resampling. */
  bootstrapSeed?: number;
  /** Porter stemming for ROUGE (default true, as the reference). */
  useStemmer?: boolean;
  /**
   * Sentence splitter applied to predictions and references before ROUGE-Lsum (sentences are joined with "\n");
   * default {@link splitSentences} (an approximation of NLTK punkt), `null` = use the texts as they are.
   */
  sentenceSplitter?: ((text: string) => string[]) | null;
  /**
   * Generated token counts (non-pad) per prediction; for summarisation tasks adds `gen_len`, their mean rounded to
   * one decimal (half to even, as numpy), as the reference logs it.
   */
  generatedLengths?: readonly number[];
}

function specOf(task: string): TaskMetricSpec {
  const spec = TASK_METRICS[task];
  if (spec === undefined) {
    throw new Error(
      `scoreTask: unknown task ${JSON.stringify(task)}; known tasks: ${Object.keys(TASK_METRICS).join(", ")}`,
    );
  }
  return spec;
}

/** numpy's `np.round(x, 1)`: round half to even on x·10. */
function roundHalfEven1(x: number): number {
  const y = x * 10, r = Math.round(y);
  const exact = Math.abs(y - Math.trunc(y)) === 0.5;
  return (exact && r % 2 !== 0 ? r - 1 : r) / 10;
}

function aggregateRouge(scores: RougeScore[], options: ScoreTaskOptions): number {
  if (options.rougeAggregation === "bootstrap") {
    return 100 * bootstrapAggregate(scores, { seed: options.bootstrapSeed }).mid.fmeasure;
  }
  if (options.rougeAggregation !== undefined && options.rougeAggregation !== "mean") {
    throw new Error(`scoreTask: rougeAggregation must be "mean" or "bootstrap", got ${options.rougeAggregation}`);
  }
  return 100 * meanScore(scores).fmeasure;
}

/**
 * Scores one task's decoded predictions against its references, as the reference code does:
 * - Predictions and labels are stripped of surrounding whitespace.
 * - CoLA: `mcc` (labels parsed as Python `int`, unparsable → −1, which acts as an extra class).
 * - MRPC, QQP: `f1` (class 1; an unparsable or non-0/1 prediction counts wrong) and `acc` on the parsed ints.
 * - STS-B: `pearson_corrcoef`, `spearman_corrcoef` on Python `float` parses (unparsable → −1.0); NaN (constant
 *   predictions) → 0.
 * - SST-2, MNLI, QNLI, RTE, WNLI, ANLI, αNLI (`art`): `acc` = exact string match.
 * - XSum, CNN/DM, WikiLingua: `rouge1`, `rouge2`, `rougeL`, `rougeLsum` F ×100 with stemming (+ `gen_len`).
 * - MRQA subsets, `mrqa`, `squad`: `em`, `f1`; each reference is the list of gold answers (or one string).
 *   For MRQA questions split into chunks, aggregate first (`aggregateChunkPredictions`, `scoreMrqa`).
 */
export function scoreTask(
  task: string,
  predictions: readonly string[],
  references: readonly (string | readonly string[])[],
  options: ScoreTaskOptions = {},
): TaskScores {
  const spec = specOf(task);
  if (predictions.length !== references.length) {
    throw new Error(
      `scoreTask(${task}): ${predictions.length} predictions but ${references.length} references; pass one per example`,
    );
  }
  if (predictions.length === 0) throw new Error(`scoreTask(${task}): no predictions to score`);
  const preds = predictions.map((p, i) => {
    if (typeof p !== "string") throw new Error(`scoreTask(${task}): prediction ${i} is not a string`);
    return pythonStrip(p);
  });

  if (spec.kind === "squad") {
    const answers = references.map((r) => (typeof r === "string" ? [r] : r));
    const { em, f1 } = squadScores(preds, answers);
    return { em, f1 };
  }

  const refs = references.map((r, i) => {
    if (typeof r !== "string") {
      throw new Error(`scoreTask(${task}): reference ${i} must be a string (answer lists are for QA tasks only)`);
    }
    return pythonStrip(r);
  });

  switch (spec.kind) {
    case "accuracy":
      return { acc: 100 * accuracy(preds, refs) };
    case "mcc":
      return {
        mcc: 100 * matthewsCorrelation(preds.map((p) => parsePythonInt(p)), refs.map((r) => parsePythonInt(r))),
      };
    case "f1_accuracy": {
      const p = preds.map((x) => parsePythonInt(x)), r = refs.map((x) => parsePythonInt(x));
      return { f1: 100 * f1WithInvalid(p, r), acc: 100 * accuracy(p, r) };
    }
    case "correlation": {
      const p = preds.map((x) => parsePythonFloat(x)), r = refs.map((x) => parsePythonFloat(x));
      const pr = pearson(r, p), sr = spearman(r, p);
      return {
        pearson_corrcoef: Number.isNaN(pr) ? 0 : 100 * pr,
        spearman_corrcoef: Number.isNaN(sr) ? 0 : 100 * sr,
      };
    }
    case "rouge": {
      const types = ["rouge1", "rouge2", "rougeL", "rougeLsum"];
      const scorer = new RougeScorer(types, { useStemmer: options.useStemmer ?? true });
      const split = options.sentenceSplitter === undefined ? splitSentences : options.sentenceSplitter;
      const perType: Record<string, RougeScore[]> = Object.fromEntries(types.map((t) => [t, []]));
      for (let i = 0; i < preds.length; i++) {
        const target = split === null ? refs[i] : split(refs[i]).join("\n");
        const prediction = split === null ? preds[i] : split(preds[i]).join("\n");
        const scores = scorer.score(target, prediction);
        for (const t of types) perType[t].push(scores[t]);
      }
      const out: TaskScores = {};
      for (const t of types) out[t] = aggregateRouge(perType[t], options);
      if (options.generatedLengths !== undefined) {
        const lengths = options.generatedLengths;
        if (lengths.length !== preds.length) {
          throw new Error(`scoreTask(${task}): ${lengths.length} generatedLengths for ${preds.length} predictions`);
        }
        out.gen_len = roundHalfEven1(lengths.reduce((a, b) => a + b, 0) / lengths.length);
      }
      return out;
    }
  }
  throw new Error(`scoreTask(${task}): unhandled metric kind ${spec.kind}`);
}

/** Evaluation results of several tasks: task → metric → value (e.g. from {@link scoreTask}). */
export type EvalResults = Readonly<Record<string, Readonly<Record<string, number>>>>;

/** The reference code's default `ignore_metric_keys` (XSum keeps only ROUGE-2), as flat `task_metric` keys. */
export const REFERENCE_IGNORE_KEYS: readonly string[] = ["xsum_rouge1", "xsum_rougeL", "xsum_rougeLsum"];

/** Options of {@link averageScore}. */
export interface AverageOptions {
  /**
   * "per-task" (default): mean over tasks of each task's `selection` metrics (GLUE: MRPC F1+acc and STS-B
   * Pearson+Spearman averaged first, as the paper/README tables; summarisation: ROUGE-2; QA: F1).
   * "flat": the reference trainer's `eval_average_metrics`, the mean of every metric value whose key has no "loss"
   * and is not in `ignoreKeys`, `gen_len` included (a quirk of the reference).
   */
  mode?: "per-task" | "flat";
  /** Flat keys (`task_metric`) left out in "flat" mode; default {@link REFERENCE_IGNORE_KEYS}. */
  ignoreKeys?: readonly string[];
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** Mean of one task's selection metrics (all its metrics but `gen_len`/losses for a task outside TASK_METRICS). */
function taskAverage(task: string, scores: Readonly<Record<string, number>>): number {
  const keys = TASK_METRICS[task]?.selection ??
    Object.keys(scores).filter((k) => k !== "gen_len" && !k.includes("loss"));
  if (keys.length === 0) throw new Error(`averageScore: task ${task} has no metric to average`);
  return mean(keys.map((k) => {
    const v = scores[k];
    if (typeof v !== "number") throw new Error(`averageScore: task ${task} lacks metric ${k}`);
    return v;
  }));
}

/** The single number used to pick the best checkpoint (greater is better); see {@link AverageOptions}. */
export function averageScore(results: EvalResults, options: AverageOptions = {}): number {
  const tasks = Object.keys(results);
  if (tasks.length === 0) throw new Error("averageScore: no task results to average");
  const mode = options.mode ?? "per-task";
  if (mode === "per-task") return mean(tasks.map((t) => taskAverage(t, results[t])));
  if (mode !== "flat") throw new Error(`averageScore: mode must be "per-task" or "flat", got ${mode}`);
  const ignore = new Set(options.ignoreKeys ?? REFERENCE_IGNORE_KEYS);
  const values: number[] = [];
  for (const task of tasks) {
    for (const [metric, value] of Object.entries(results[task])) {
      if (!metric.includes("loss") && !ignore.has(`${task}_${metric}`)) values.push(value);
    }
  }
  if (values.length === 0) throw new Error("averageScore: every metric was ignored");
  return mean(values);
}

/**
 * The GLUE score as the paper's table computes it: each of the 8 GLUE tasks' metrics averaged first (MRPC and QQP
 * F1 and accuracy, STS-B Pearson and Spearman), then the unweighted mean over the 8; WNLI and other tasks in
 * `results` are ignored. Throws if a GLUE task is missing.
 */
export function glueAverage(results: EvalResults): number {
  const missing = GLUE_TASKS.filter((t) => results[t] === undefined);
  if (missing.length > 0) throw new Error(`glueAverage: missing GLUE task results: ${missing.join(", ")}`);
  return mean(GLUE_TASKS.map((t) => taskAverage(t, results[t])));
}

/** Mean of `metric` (default "f1") over the given MRQA subsets' results (default: every task in `results`). */
export function mrqaAverage(results: EvalResults, subsets?: readonly string[], metric = "f1"): number {
  const tasks = subsets ?? Object.keys(results);
  if (tasks.length === 0) throw new Error("mrqaAverage: no MRQA subset results to average");
  return mean(tasks.map((t) => {
    const v = results[t]?.[metric];
    if (typeof v !== "number") throw new Error(`mrqaAverage: subset ${t} lacks metric ${metric}`);
    return v;
  }));
}
