/**
 * Evaluation metrics of the Hyperdecoders reproduction, CPU-only and web-standard (no `Deno.*`), matching the
 * libraries the reference code calls:
 *
 * - classification / regression (`classification.ts`): accuracy, binary F1, Matthews correlation (scikit-learn),
 *   Pearson and Spearman (SciPy);
 * - SQuAD / MRQA (`squad.ts`, `mrqa.ts`): official normalisation, EM and token F1 with the max over gold answers,
 *   and the best-non-empty-answer aggregation over context chunks;
 * - ROUGE (`rouge.ts`, `rouge_aggregate.ts`, `porter_stemmer.ts`): Google's `rouge_score` tokenizer and scores with
 *   NLTK's Porter stemmer, mean or bootstrap aggregation;
 * - task-level scoring and checkpoint averages (`task_metrics.ts`), following the reference code.
 *
 * Metric functions return fractions; `scoreTask`, `squadScores` and `scoreMrqa` return values ×100 as reported.
 *
 * @example Score a GLUE task and pick a checkpoint
 * ```ts
 * import { averageScore, glueAverage, scoreTask } from "@hyperdecoders/eval";
 *
 * const mrpc = scoreTask("mrpc", ["1", "0", "yes"], ["1", "1", "0"]); // { f1: 50, acc: 33.33 }: "yes" counts wrong
 * const stsb = scoreTask("stsb", ["3.8", "1.0", "x"], ["4.0", "1.2", "2.0"]); // "x" parses as -1.0
 * const best = averageScore({ mrpc, stsb }); // mean of (F1+acc)/2 and (Pearson+Spearman)/2
 * // glueAverage(results) needs all 8 GLUE tasks.
 * ```
 *
 * @example MRQA: chunk answers → question answers → EM / F1
 * ```ts
 * import { aggregateChunkPredictions, scoreMrqa } from "@hyperdecoders/eval";
 *
 * const answers = aggregateChunkPredictions([
 *   { id: "q1", prediction: "", score: 0.1 },
 *   { id: "q1", prediction: "Denver Broncos", score: 0.7 }, // lowest-NLL non-empty answer wins
 * ]);
 * const { em, f1 } = scoreMrqa(answers, { q1: ["Denver Broncos", "Broncos"] }); // 100, 100
 * ```
 *
 * @example ROUGE as rouge_score computes it
 * ```ts
 * import { RougeScorer } from "@hyperdecoders/eval";
 *
 * const scorer = new RougeScorer(["rouge1", "rouge2", "rougeLsum"], { useStemmer: true });
 * scorer.score("The cats sat.\nThey purred.", "the cat sat"); // target first; rouge1 P 1, R 0.6, F 0.75
 * ```
 *
 * @module
 */

export {
  accuracy,
  averageRanks,
  binaryF1,
  f1WithInvalid,
  matthewsCorrelation,
  pearson,
  spearman,
} from "./classification.ts";
export { parsePythonFloat, parsePythonInt, pythonSplit, pythonStrip } from "./python_parse.ts";
export { exactMatch, maxOverGroundTruths, normalizeAnswer, type SquadScores, squadScores, tokenF1 } from "./squad.ts";
export {
  aggregateChunkPredictions,
  type ChunkPrediction,
  type MissingPolicy,
  type MrqaScores,
  scoreMrqa,
  type ScoreMrqaOptions,
} from "./mrqa.ts";
export { type PorterMode, PorterStemmer } from "./porter_stemmer.ts";
export {
  fmeasure,
  lcsIndices,
  lcsLength,
  rougeL,
  rougeLsum,
  rougeN,
  type RougeScore,
  RougeScorer,
  type RougeScorerOptions,
  rougeTokenize,
  splitLines,
  type Stemmer,
} from "./rouge.ts";
export {
  type AggregateScore,
  bootstrapAggregate,
  type BootstrapOptions,
  meanScore,
  percentileSorted,
} from "./rouge_aggregate.ts";
export { splitSentences } from "./sentence_split.ts";
export {
  type AverageOptions,
  averageScore,
  type EvalResults,
  GLUE_TASKS,
  glueAverage,
  MRQA_IN_DOMAIN,
  MRQA_OUT_OF_DOMAIN,
  mrqaAverage,
  REFERENCE_IGNORE_KEYS,
  scoreTask,
  type ScoreTaskOptions,
  SUMMARIZATION_TASKS,
  TASK_METRICS,
  type TaskMetricKind,
  type TaskMetricSpec,
  type TaskScores,
} from "./task_metrics.ts";
