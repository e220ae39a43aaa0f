/**
 * SQuAD v1.1 / MRQA exact match and token F1 with the official answer normalisation (identical in the SQuAD v1.1
 * script, the MRQA 2019 script, T5's `normalize_squad` and the reference code's `mrqa_eval/eval.py`).
 *
 * @module
 */

import { pythonSplit } from "./python_parse.ts";

// Python's string.punctuation.
const PUNCTUATION = new Set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~");
// Python 3's `\b(a|an|the)\b` is Unicode-aware (a word character is alphanumeric or "_"); JS `\b` is ASCII-only even
// with the `u` flag, so the boundaries are spelled out.
const ARTICLES = /(?<![\p{L}\p{N}_])(?:a|an|the)(?![\p{L}\p{N}_])/gu;

/**
 * The official normalisation: lower-case, delete ASCII punctuation, replace the words a/an/the by a space, collapse
 * whitespace to single spaces (and trim).
 */
export function normalizeAnswer(text: string): string {
  let out = "";
  for (const ch of text.toLowerCase()) if (!PUNCTUATION.has(ch)) out += ch;
  return pythonSplit(out.replace(ARTICLES, " ")).join(" ");
}

/** 1 when the normalised strings are equal, else 0. */
export function exactMatch(prediction: string, groundTruth: string): number {
  return normalizeAnswer(prediction) === normalizeAnswer(groundTruth) ? 1 : 0;
}

/**
 * Token-level F1 between normalised strings (multiset overlap). 0 when nothing overlaps, including when both are
 * empty, exactly as the official script.
 */
export function tokenF1(prediction: string, groundTruth: string): number {
  const predTokens = pythonSplit(normalizeAnswer(prediction));
  const goldTokens = pythonSplit(normalizeAnswer(groundTruth));
  const goldCounts = new Map<string, number>();
  for (const t of goldTokens) goldCounts.set(t, (goldCounts.get(t) ?? 0) + 1);
  let same = 0;
  for (const t of predTokens) {
    const c = goldCounts.get(t) ?? 0;
    if (c > 0) {
      same++;
      goldCounts.set(t, c - 1);
    }
  }
  if (same === 0) return 0;
  const precision = same / predTokens.length, recall = same / goldTokens.length;
  return (2 * precision * recall) / (precision + recall);
}

/** Best score of `prediction` against any gold answer; throws when there is no gold answer. */
export function maxOverGroundTruths(
  metric: (prediction: string, groundTruth: string) => number,
  prediction: string,
  groundTruths: readonly string[],
): number {
  if (groundTruths.length === 0) {
    throw new Error("maxOverGroundTruths: a question has no gold answers; every question needs at least one answer");
  }
  let best = -Infinity;
  for (const g of groundTruths) best = Math.max(best, metric(prediction, g));
  return best;
}

/** Corpus SQuAD scores, both ×100. */
export interface SquadScores {
  /** Mean exact match ×100. */
  em: number;
  /** Mean token F1 ×100. */
  f1: number;
}

/**
 * Mean over questions of the best EM / F1 against that question's gold answers, ×100 (as `mrqa_eval/eval.py`).
 * `answers[i]` lists the gold answers of question i. Returns NaN scores for zero questions.
 */
export function squadScores(predictions: readonly string[], answers: readonly (readonly string[])[]): SquadScores {
  if (predictions.length !== answers.length) {
    throw new Error(
      `squadScores: ${predictions.length} predictions but ${answers.length} answer lists; pass one answer list per prediction`,
    );
  }
  let em = 0, f1 = 0;
  for (let i = 0; i < predictions.length; i++) {
    if (answers[i].length === 0) {
      throw new Error(`squadScores: question ${i} has no gold answers; every question needs at least one answer`);
    }
    em += maxOverGroundTruths(exactMatch, predictions[i], answers[i]);
    f1 += maxOverGroundTruths(tokenF1, predictions[i], answers[i]);
  }
  return { em: (100 * em) / predictions.length, f1: (100 * f1) / predictions.length };
}
