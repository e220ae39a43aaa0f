/**
 * Decoding evaluation: generates an answer for every example of a split (greedy or beam search with each task's
 * settings), decodes it, and scores each task with its metrics; tasks unknown to the paper's metric table (the demo,
 * user JSONL tasks) are scored by their kind: accuracy, Pearson/Spearman, or exact match and token F1.
 *
 * MRQA questions cut into context chunks (examples whose `meta` is `{answers, chunk, chunks}`) are answered per
 * chunk, then aggregated per question to the most likely non-empty answer (lowest negative log-likelihood of the
 * generated answer) and scored with SQuAD EM/F1 against every gold answer (eval/metrics/mrqa.ts).
 * @module
 */
import type { EncoderDecoder, GenerateOptions } from "@hyperdecoders/models";
import { beamSearch, greedySearch } from "@hyperdecoders/models";
import { getTask, TASKS, type TaskSource, type TaskSpec } from "@hyperdecoders/data";
import { batchTensors, evaluationBatches } from "./_batches.ts";
import { accuracy, pearson, spearman } from "./metrics/classification.ts";
import { aggregateChunkPredictions, scoreMrqa } from "./metrics/mrqa.ts";
import { squadScores } from "./metrics/squad.ts";
import { averageScore, MRQA_IN_DOMAIN, MRQA_OUT_OF_DOMAIN, scoreTask, TASK_METRICS } from "./metrics/task_metrics.ts";

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
  model: EncoderDecoder;
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
  /**
   * Target length (tokens, `</s>` included) the model was trained with: tasks without registry decoding settings
   * (user JSONL tasks) decode at most `maxTargetLength − 1` new tokens. Default: 64 new tokens.
   */
  maxTargetLength?: number;
  /** How MRQA chunk answers are ranked; see {@link ScoreOptions.mrqaScore}. */
  mrqaScore?: MrqaScoreMode;
}

/**
 * MRQA chunk score (lower = more likely): "sum" = the generated answer's negative log-likelihood summed over its
 * tokens (default; comparable across batches); "batch-length" = that sum divided by the batch's padded generated
 * length, as the reference trainer computes it (chunks of one question in different batches get different divisors).
 */
export type MrqaScoreMode = "sum" | "batch-length";

/** One prediction. */
export interface Prediction {
  /** Task. */
  task: string;
  /** Example id. */
  id: string;
  /** Generated text. */
  prediction: string;
  /** Reference text (MRQA: the first gold answer). */
  target: string;
  /** MRQA: every gold answer of the question. */
  answers?: string[];
  /** Log-probability of the generated tokens (MRQA: of the chosen chunk's answer; absent when every chunk is ""). */
  logProb?: number;
}

/** One generated row before scoring: what {@link evaluate} collects per example (MRQA: per chunk). */
export interface GeneratedRow {
  /** Task. */
  task: string;
  /** Example id (MRQA: the question id shared by its chunks). */
  id: string;
  /** Decoded, trimmed prediction. */
  prediction: string;
  /** Reference text (MRQA: the chunk's answer or ""). */
  target: string;
  /** The example's `meta` (MRQA: `{answers, chunk, chunks}`). */
  meta?: Record<string, unknown>;
  /** Sum of the log-probabilities of the generated tokens. */
  logProb: number;
  /** Generated tokens (EOS included, padding excluded). */
  length: number;
  /** Padded generated length of the row's batch (the reference's MRQA divisor). */
  batchLength: number;
}

/** One MRQA chunk answer, as kept in {@link EvaluationResult.chunks}. */
export interface ChunkRecord {
  /** Task (MRQA subset). */
  task: string;
  /** Question id. */
  id: string;
  /** Chunk index within the question. */
  chunk: number;
  /** Chunks of the question. */
  chunks: number;
  /** Decoded answer of this chunk. */
  prediction: string;
  /** The chunk's training target (answer inside this chunk, or ""). */
  target: string;
  /** Sum of the log-probabilities of the answer's tokens. */
  logProb: number;
  /** The ranking score (negative log-likelihood, lower = more likely; see {@link MrqaScoreMode}). */
  score: number;
}

/** Evaluation result. */
export interface EvaluationResult {
  /** Metrics per task (×100). */
  tasks: Record<string, Record<string, number>>;
  /** The paper's average over tasks (each task's metrics averaged first). */
  average: number;
  /** Every prediction (MRQA: one per question, aggregated over its chunks). */
  predictions: Prediction[];
  /** MRQA: every chunk's answer and score (absent when no task is chunked). */
  chunks?: ChunkRecord[];
}

/** Options of {@link scoreGenerations}. */
export interface ScoreOptions {
  /** MRQA chunk ranking (default "sum"). */
  mrqaScore?: MrqaScoreMode;
}

/**
 * Every STS-B target string, "0.0" … "5.0" in steps of 0.1 (both roundings' targets): STS-B decodes at most as many
 * tokens as the longest of them, as the reference code's `compute_task_max_decoding_length` over its label list.
 */
export const STSB_DECODE_LABELS: readonly string[] = Array.from({ length: 51 }, (_, i) => (i / 10).toFixed(1));

/**
 * The reference code's decoding settings (its trainer's `prediction_step`): classification and STS-B greedy with `max_length` = the longest label
 * including EOS (so the new tokens are the longest label's content tokens); MRQA greedy 64; summarisation 4–6 beams,
 * 60; others greedy with the task's target length. `min_length=2` everywhere.
 */
export function decodingSettings(
  spec: TaskSpec | undefined,
  tokenizer: EvalTokenizer,
  maxTargetLength?: number,
): DecodingSettings {
  const settings = {
    numBeams: 1,
    maxNewTokens: maxTargetLength ? Math.max(1, maxTargetLength - 1) : 64,
    minNewTokens: 1,
  };
  if (!spec) return settings;
  const labels = spec.name === "stsb" ? STSB_DECODE_LABELS : spec.labels;
  if (labels && labels.length > 0) {
    settings.maxNewTokens = Math.max(...labels.map((l) => tokenizer.encode(l).length)) - 1;
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

const MRQA_SUBSETS = new Set([...MRQA_IN_DOMAIN, ...MRQA_OUT_OF_DOMAIN]);

/** The registry task whose decoding settings apply: the task itself, "mrqa" for MRQA subsets and chunked
 * questions, none for user tasks. */
function specOf(task: string, meta: Record<string, unknown> | undefined): TaskSpec | undefined {
  if (MRQA_SUBSETS.has(task) || isChunkMeta(meta)) return TASKS.get("mrqa");
  return TASKS.get(task);
}

function isChunkMeta(meta: Record<string, unknown> | undefined): boolean {
  return meta !== undefined && Array.isArray(meta.answers) && typeof meta.chunks === "number";
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

/** Generates and scores every example of `sources` (one split). */
export async function evaluate(
  target: EvalModel,
  tokenizer: EvalTokenizer,
  sources: TaskSource[],
  options: EvaluateOptions = {},
): Promise<EvaluationResult> {
  const rows: GeneratedRow[] = [];
  const batches = evaluationBatches(sources, tokenizer, options);
  let done = 0;
  for await (const batch of batches) {
    const task = batch.tasks[0];
    const settings = decodingSettings(specOf(task, batch.meta[0]), tokenizer, options.maxTargetLength);
    const numBeams = options.numBeams ?? settings.numBeams;
    const maxNewTokens = options.maxNewTokens ?? settings.maxNewTokens;
    const { inputIds, mask } = batchTensors(batch);
    try {
      let extra: Pick<GenerateOptions, "forward" | "prepare">;
      try {
        extra = target.generationOptions?.(batch.tasks) ?? {};
      } catch (error) {
        throw new Error(`evaluating task "${task}": ${(error as Error).message}`);
      }
      const common = {
        ...extra,
        maxNewTokens,
        minNewTokens: Math.min(settings.minNewTokens, maxNewTokens),
        returnScores: true as const,
      };
      const out = numBeams > 1
        ? await beamSearch(target.model, inputIds, mask, { ...common, numBeams })
        : await greedySearch(target.model, inputIds, mask, common);
      const batchLength = Math.max(1, out.sequences[0].length - 1);
      out.sequences.forEach((seq, i) => {
        rows.push({
          task: batch.tasks[i],
          id: batch.ids[i],
          prediction: tokenizer.decode(seq.slice(1)).trim(),
          target: batch.targets[i],
          meta: batch.meta[i],
          logProb: out.logProbs[i],
          length: out.lengths[i],
          batchLength,
        });
      });
    } finally {
      inputIds.dispose();
      mask.dispose();
    }
    done += batch.batchSize;
    options.onProgress?.(done);
  }
  return scoreGenerations(rows, { mrqaScore: options.mrqaScore });
}

function chunkAnswers(row: GeneratedRow, index: number): string[] {
  const answers = row.meta?.answers;
  if (!Array.isArray(answers) || answers.length === 0 || answers.some((a) => typeof a !== "string")) {
    throw new Error(
      `MRQA row ${index} (task ${row.task}, question ${row.id}): meta.answers must list the gold answers; ` +
        `re-run "deno task data prepare --task mrqa"`,
    );
  }
  return answers as string[];
}

/** Scores one chunked (MRQA) task: best non-empty chunk answer per question, then EM/F1 over all gold answers. */
function scoreChunkedTask(
  task: string,
  rows: GeneratedRow[],
  mode: MrqaScoreMode,
): { scores: Record<string, number>; predictions: Prediction[]; chunks: ChunkRecord[] } {
  const answers = new Map<string, string[]>();
  const chunks: ChunkRecord[] = rows.map((row, i) => {
    if (!answers.has(row.id)) answers.set(row.id, chunkAnswers(row, i));
    const nll = -row.logProb;
    return {
      task,
      id: row.id,
      chunk: Number(row.meta?.chunk ?? 0),
      chunks: Number(row.meta?.chunks ?? 1),
      prediction: row.prediction,
      target: row.target,
      logProb: row.logProb,
      score: mode === "batch-length" ? nll / row.batchLength : nll,
    };
  });
  const best = aggregateChunkPredictions(chunks);
  const { em, f1 } = scoreMrqa(best, answers, { missing: "error" });
  const chosen = new Map<string, ChunkRecord>();
  for (const c of chunks) {
    const current = chosen.get(c.id);
    if (c.prediction !== "" && c.prediction === best.get(c.id) && (!current || c.score < current.score)) {
      chosen.set(c.id, c);
    }
  }
  const predictions: Prediction[] = [...best].map(([id, prediction]) => {
    const gold = answers.get(id)!;
    const p: Prediction = { task, id, prediction, target: gold[0], answers: gold };
    const c = chosen.get(id);
    if (c) p.logProb = c.logProb;
    return p;
  });
  return { scores: { em, f1 }, predictions, chunks };
}

/**
 * Scores generated rows (what {@link evaluate} produces before scoring, or injected ones): per task, chunked MRQA
 * tasks aggregated per question (see the module doc), the others with {@link scoreByTask}.
 */
export function scoreGenerations(rows: readonly GeneratedRow[], options: ScoreOptions = {}): EvaluationResult {
  const mode = options.mrqaScore ?? "sum";
  if (mode !== "sum" && mode !== "batch-length") {
    throw new Error(`scoreGenerations: mrqaScore must be "sum" or "batch-length", got ${JSON.stringify(mode)}`);
  }
  const byTask = new Map<string, GeneratedRow[]>();
  for (const r of rows) {
    if (!byTask.has(r.task)) byTask.set(r.task, []);
    byTask.get(r.task)!.push(r);
  }
  const tasks: Record<string, Record<string, number>> = {};
  const predictions: Prediction[] = [];
  const chunks: ChunkRecord[] = [];
  for (const [task, taskRows] of byTask) {
    const chunked = taskRows.filter((r) => isChunkMeta(r.meta)).length;
    if (chunked > 0 && chunked < taskRows.length) {
      throw new Error(`task "${task}": ${chunked} of ${taskRows.length} examples are MRQA chunks; re-run prepare`);
    }
    if (chunked > 0) {
      const r = scoreChunkedTask(task, taskRows, mode);
      tasks[task] = r.scores;
      predictions.push(...r.predictions);
      chunks.push(...r.chunks);
      continue;
    }
    tasks[task] = scoreByTask(task, taskRows.map((r) => r.prediction), taskRows.map((r) => r.target));
    for (const r of taskRows) {
      predictions.push({ task, id: r.id, prediction: r.prediction, target: r.target, logProb: r.logProb });
    }
  }
  const result: EvaluationResult = { tasks, average: averageOverTasks(tasks), predictions };
  if (chunks.length > 0) result.chunks = chunks;
  return result;
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
