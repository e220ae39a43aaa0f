/**
 * MRQA answer aggregation over context chunks and question-level scoring (the paper's most likely non-empty
 * answer across chunks; the reference code's `mrqa_eval/eval.py`).
 *
 * @module
 */

import { exactMatch, maxOverGroundTruths, tokenF1 } from "./squad.ts";

/** One decoded chunk of a question. */
export interface ChunkPrediction {
  /** Question id (`qid`); chunks of one question share it. */
  id: string;
  /** The decoded answer for this chunk ("" = the model predicts no answer in this chunk). */
  prediction: string;
  /** Negative log-likelihood of the decoded answer: **lower is more likely**. */
  score: number;
}

/**
 * Picks one answer per question: among its chunks with a non-empty prediction, the one with the lowest score (the
 * most likely; the first such chunk on ties); "" when every chunk predicts "". Questions keep first-seen order.
 */
export function aggregateChunkPredictions(chunks: Iterable<ChunkPrediction>): Map<string, string> {
  const best = new Map<string, { prediction: string; score: number }>();
  let index = 0;
  for (const chunk of chunks) {
    if (typeof chunk.id !== "string" || typeof chunk.prediction !== "string") {
      throw new Error(`aggregateChunkPredictions: chunk ${index} needs a string id and prediction`);
    }
    if (Number.isNaN(chunk.score)) {
      throw new Error(`aggregateChunkPredictions: chunk ${index} (question ${chunk.id}) has a NaN score`);
    }
    const current = best.get(chunk.id);
    if (current === undefined) {
      best.set(chunk.id, chunk.prediction === "" ? { prediction: "", score: Infinity } : { ...chunk });
    } else if (chunk.prediction !== "" && (current.prediction === "" || chunk.score < current.score)) {
      best.set(chunk.id, { prediction: chunk.prediction, score: chunk.score });
    }
    index++;
  }
  return new Map([...best].map(([id, v]) => [id, v.prediction]));
}

/** What to do with a gold question that has no prediction. */
export type MissingPolicy = "zero" | "skip" | "error";

/** Options of {@link scoreMrqa}. */
export interface ScoreMrqaOptions {
  /**
   * A question in `answers` without a prediction: "zero" scores it 0 (the official MRQA script; default), "skip"
   * leaves it out of the mean (the reference code's `eval.py`), "error" throws.
   */
  missing?: MissingPolicy;
}

/** Question-level MRQA scores. */
export interface MrqaScores {
  /** Exact match ×100. */
  em: number;
  /** Token F1 ×100. */
  f1: number;
  /** Number of questions in the mean. */
  count: number;
}

function toMap<V>(value: ReadonlyMap<string, V> | Readonly<Record<string, V>>): ReadonlyMap<string, V> {
  return value instanceof Map ? value : new Map(Object.entries(value));
}

/**
 * EM and F1 ×100 over the questions of `answers` (qid → gold answers; MRQA's `answers`, not `detected_answers`),
 * each the max over that question's gold answers. `predictions` is qid → answer, e.g. from
 * {@link aggregateChunkPredictions}; predictions for qids not in `answers` are ignored.
 */
export function scoreMrqa(
  predictions: ReadonlyMap<string, string> | Readonly<Record<string, string>>,
  answers: ReadonlyMap<string, readonly string[]> | Readonly<Record<string, readonly string[]>>,
  options: ScoreMrqaOptions = {},
): MrqaScores {
  const missing = options.missing ?? "zero";
  const preds = toMap(predictions), gold = toMap(answers);
  let em = 0, f1 = 0, count = 0;
  for (const [qid, truths] of gold) {
    const prediction = preds.get(qid);
    if (prediction === undefined) {
      if (missing === "skip") continue;
      if (missing === "error") throw new Error(`scoreMrqa: question ${qid} has no prediction`);
      count++;
      continue;
    }
    if (truths.length === 0) throw new Error(`scoreMrqa: question ${qid} has no gold answers`);
    em += maxOverGroundTruths(exactMatch, prediction, truths);
    f1 += maxOverGroundTruths(tokenF1, prediction, truths);
    count++;
  }
  if (count === 0) throw new Error("scoreMrqa: no question to score (answers is empty or every one was skipped)");
  return { em: (100 * em) / count, f1: (100 * f1) / count, count };
}
