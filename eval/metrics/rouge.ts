/**
 * ROUGE-N, ROUGE-L and ROUGE-Lsum exactly as Google's `rouge_score` (0.0.4, the version the reference code pins)
 * computes them per example: its tokenizer (lower-case, every run of characters outside [a-z0-9] becomes a space,
 * so non-ASCII letters are dropped; with stemming, NLTK's Porter stemmer on tokens longer than 3 characters), n-gram
 * overlap, LCS, and summary-level union-LCS over "\n"-separated sentences. Corpus aggregation is in
 * `rouge_aggregate.ts`.
 *
 * @module
 */

import { PorterStemmer } from "./porter_stemmer.ts";

/** Precision, recall and F-measure of one example, as fractions. */
export interface RougeScore {
  /** Matched units / prediction units. */
  precision: number;
  /** Matched units / target units. */
  recall: number;
  /** Harmonic mean of precision and recall (0 when both are 0). */
  fmeasure: number;
}

/** `rouge_score`'s F-measure: 2PR/(P+R), or 0 when P+R is 0. */
export function fmeasure(precision: number, recall: number): number {
  return precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
}

const ZERO: RougeScore = Object.freeze({ precision: 0, recall: 0, fmeasure: 0 });

/** Something with a `stem(word)` method, e.g. {@link PorterStemmer}. */
export interface Stemmer {
  /** The stem of a lower-case token. */
  stem(word: string): string;
}

/**
 * `rouge_score`'s `tokenize.tokenize(text, stemmer)`: lower-case, replace each run of characters outside [a-z0-9]
 * by a space, split on whitespace, stem tokens longer than 3 characters when a stemmer is given, and keep the tokens
 * that match ^[a-z0-9]+$.
 */
export function rougeTokenize(text: string, stemmer: Stemmer | null = null): string[] {
  const tokens = text.toLowerCase().replace(/[^a-z0-9]+/g, " ").split(/\s+/);
  const out: string[] = [];
  for (const token of tokens) {
    const t = stemmer !== null && token.length > 3 ? stemmer.stem(token) : token;
    if (/^[a-z0-9]+$/.test(t)) out.push(t);
  }
  return out;
}

/** Multiset of the n-grams of `tokens` (key: tokens joined by a space, which no token contains). */
function ngramCounts(tokens: readonly string[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = tokens.slice(i, i + n).join(" ");
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** ROUGE-N from token lists: clipped n-gram overlap over max(count, 1) on each side. */
export function rougeN(targetTokens: readonly string[], predictionTokens: readonly string[], n: number): RougeScore {
  if (!Number.isInteger(n) || n < 1) throw new Error(`rougeN: n must be a positive integer, got ${n}`);
  const target = ngramCounts(targetTokens, n), prediction = ngramCounts(predictionTokens, n);
  let overlap = 0, targetTotal = 0, predictionTotal = 0;
  for (const [gram, count] of target) {
    overlap += Math.min(count, prediction.get(gram) ?? 0);
    targetTotal += count;
  }
  for (const count of prediction.values()) predictionTotal += count;
  const precision = overlap / Math.max(predictionTotal, 1);
  const recall = overlap / Math.max(targetTotal, 1);
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

/** Dynamic-programming LCS table, (|ref|+1) × (|can|+1), row-major. */
function lcsTable(ref: readonly string[], can: readonly string[]): Int32Array {
  const cols = can.length + 1;
  const table = new Int32Array((ref.length + 1) * cols);
  for (let i = 1; i <= ref.length; i++) {
    for (let j = 1; j <= can.length; j++) {
      table[i * cols + j] = ref[i - 1] === can[j - 1]
        ? table[(i - 1) * cols + j - 1] + 1
        : Math.max(table[(i - 1) * cols + j], table[i * cols + j - 1]);
    }
  }
  return table;
}

/** Length of the longest common subsequence. */
export function lcsLength(ref: readonly string[], can: readonly string[]): number {
  return lcsTable(ref, can)[ref.length * (can.length + 1) + can.length];
}

/**
 * Indices into `ref` of one LCS, chosen by `rouge_score`'s backtrack (`_backtrack_norec`); the choice matters for
 * ROUGE-Lsum's union.
 */
export function lcsIndices(ref: readonly string[], can: readonly string[]): number[] {
  const t = lcsTable(ref, can);
  const cols = can.length + 1;
  let i = ref.length, j = can.length;
  const out: number[] = [];
  while (i > 0 && j > 0) {
    if (ref[i - 1] === can[j - 1]) {
      out.push(i - 1);
      i--;
      j--;
    } else if (t[i * cols + j - 1] > t[(i - 1) * cols + j]) {
      j--;
    } else {
      i--;
    }
  }
  return out.reverse();
}

/** ROUGE-L from token lists: LCS length over each side's length; all 0 when either side is empty. */
export function rougeL(targetTokens: readonly string[], predictionTokens: readonly string[]): RougeScore {
  if (targetTokens.length === 0 || predictionTokens.length === 0) return { ...ZERO };
  const lcs = lcsLength(targetTokens, predictionTokens);
  const precision = lcs / predictionTokens.length, recall = lcs / targetTokens.length;
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

/**
 * Summary-level ROUGE-L (ROUGE-Lsum) from tokenised sentences: for each target sentence, the union of its LCS
 * indices with every predicted sentence; each union token counts as a hit while both sides still have that token
 * left (ROUGE-1.5.5's clipping).
 */
export function rougeLsum(
  targetSentences: readonly (readonly string[])[],
  predictionSentences: readonly (readonly string[])[],
): RougeScore {
  if (targetSentences.length === 0 || predictionSentences.length === 0) return { ...ZERO };
  let m = 0, n = 0;
  const targetCounts = new Map<string, number>(), predictionCounts = new Map<string, number>();
  for (const s of targetSentences) {
    m += s.length;
    for (const t of s) targetCounts.set(t, (targetCounts.get(t) ?? 0) + 1);
  }
  for (const s of predictionSentences) {
    n += s.length;
    for (const t of s) predictionCounts.set(t, (predictionCounts.get(t) ?? 0) + 1);
  }
  if (m === 0 || n === 0) return { ...ZERO };
  let hits = 0;
  for (const ref of targetSentences) {
    const union = new Set<number>();
    for (const can of predictionSentences) for (const i of lcsIndices(ref, can)) union.add(i);
    for (const i of [...union].sort((a, b) => a - b)) {
      const token = ref[i];
      const c = predictionCounts.get(token) ?? 0, r = targetCounts.get(token) ?? 0;
      if (c > 0 && r > 0) {
        hits++;
        predictionCounts.set(token, c - 1);
        targetCounts.set(token, r - 1);
      }
    }
  }
  const precision = hits / n, recall = hits / m;
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

/** `rouge_score`'s ROUGE-Lsum sentence split: on "\n", dropping empty lines (not whitespace-only ones). */
export function splitLines(text: string): string[] {
  return text.split("\n").filter((line) => line.length > 0);
}

/** Options of {@link RougeScorer}. */
export interface RougeScorerOptions {
  /** Porter-stem tokens longer than 3 characters (rouge_score's `use_stemmer`); default false as in rouge_score. */
  useStemmer?: boolean;
}

/**
 * `rouge_score.rouge_scorer.RougeScorer`: valid types are "rouge1" … "rouge9", "rougeL" and "rougeLsum".
 * With stemming, stems are cached per scorer.
 */
export class RougeScorer {
  /** The ROUGE types each `score` call computes. */
  readonly rougeTypes: readonly string[];
  readonly #stemmer: Stemmer | null;

  /**
   * Creates a scorer; throws on an unknown ROUGE type.
   * @param rougeTypes e.g. ["rouge1", "rouge2", "rougeL", "rougeLsum"].
   */
  constructor(rougeTypes: readonly string[], options: RougeScorerOptions = {}) {
    for (const type of rougeTypes) {
      if (!/^rouge[1-9]$/.test(type) && type !== "rougeL" && type !== "rougeLsum") {
        throw new Error(
          `RougeScorer: invalid rouge type ${JSON.stringify(type)}; use rouge1 … rouge9, rougeL or rougeLsum`,
        );
      }
    }
    this.rougeTypes = [...rougeTypes];
    if (options.useStemmer) {
      const porter = new PorterStemmer();
      const cache = new Map<string, string>();
      this.#stemmer = {
        stem(word: string): string {
          let s = cache.get(word);
          if (s === undefined) {
            s = porter.stem(word);
            cache.set(word, s);
          }
          return s;
        },
      };
    } else {
      this.#stemmer = null;
    }
  }

  /** Tokenises like this scorer (with its stemmer, if any). */
  tokenize(text: string): string[] {
    return rougeTokenize(text, this.#stemmer);
  }

  /** Scores `prediction` against `target` for each of this scorer's types (target first, as in rouge_score). */
  score(target: string, prediction: string): Record<string, RougeScore> {
    const targetTokens = this.tokenize(target), predictionTokens = this.tokenize(prediction);
    const result: Record<string, RougeScore> = {};
    for (const type of this.rougeTypes) {
      if (type === "rougeL") {
        result[type] = rougeL(targetTokens, predictionTokens);
      } else if (type === "rougeLsum") {
        result[type] = rougeLsum(
          splitLines(target).map((s) => this.tokenize(s)),
          splitLines(prediction).map((s) => this.tokenize(s)),
        );
      } else {
        result[type] = rougeN(targetTokens, predictionTokens, Number(type.slice(5)));
      }
    }
    return result;
  }
}
