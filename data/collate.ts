/**
 * Tokenisation, truncation and padding of examples into batches (padding to the longest sequence in the batch, as the
 * reference `prepare_seq2seq_batch` does).
 *
 * @module
 */
import type { TextEncoderLike } from "./encoder.ts";
import { type Example, exampleOrigin } from "./example.ts";

/** Length and special-id options. */
export interface CollateOptions {
  /** Maximum source length in tokens, `</s>` included (default 512). */
  maxSourceLength?: number;
  /** Maximum target length in tokens, `</s>` included (default 128). */
  maxTargetLength?: number;
  /** Padding id of inputs (default 0). */
  padId?: number;
  /** End-of-sequence id kept at the end when truncating (default 1). */
  eosId?: number;
  /** Padding id of labels (default 0, as in the reference code; the loss ignores it). */
  labelPadId?: number;
}

/** An example with its token ids. */
export interface TokenizedExample {
  /** The example. */
  example: Example;
  /** Source ids (truncated, ending with `</s>`). */
  source: number[];
  /** Target ids (truncated, ending with `</s>`). */
  target: number[];
}

/** A padded batch. Matrices are row-major `Int32Array`s of shape [batchSize, length]. */
export interface Batch {
  /** Rows. */
  batchSize: number;
  /** Padded source length S (the longest source in the batch). */
  sourceLength: number;
  /** Padded target length T (the longest target in the batch). */
  targetLength: number;
  /** [B, S] source ids, padded with `padId`. */
  inputIds: Int32Array;
  /** [B, S] 1 for tokens, 0 for padding. */
  attentionMask: Int32Array;
  /** [B, T] target ids (ending with `</s>`), padded with `labelPadId`. */
  labels: Int32Array;
  /** [B, T] 1 for target tokens, 0 for padding. */
  labelMask: Int32Array;
  /** Task name per row. */
  tasks: string[];
  /** Task index per row (into the producer's task list; -1 when unknown). */
  taskIds: Int32Array;
  /** Example id per row. */
  ids: string[];
  /** Target text per row (for evaluation). */
  targets: string[];
  /** Example `meta` per row (MRQA gold answers, raw STS-B scores), `undefined` where absent. */
  meta: (Record<string, unknown> | undefined)[];
}

/** Truncates to `max` tokens keeping the final `</s>` (T5 truncation). */
export function truncateIds(ids: number[], max: number, eosId = 1): number[] {
  if (ids.length <= max) return ids;
  const out = ids.slice(0, Math.max(0, max - 1));
  out.push(eosId);
  return out;
}

/** Tokenises one example (using `sourceIds` when present) and truncates both sides. */
export function tokenizeExample(
  example: Example,
  tokenizer: TextEncoderLike,
  options: CollateOptions = {},
): TokenizedExample {
  const eos = options.eosId ?? 1;
  let source: number[];
  let target: number[];
  try {
    source = example.sourceIds ?? tokenizer.encode(example.source);
    target = tokenizer.encode(example.target);
  } catch (e) {
    const at = exampleOrigin(example);
    const where = at ? `${at.file}:${at.line}` : `example ${example.id}`;
    throw new Error(`${where}: cannot tokenize example ${example.id} (${(e as Error).message})`, { cause: e });
  }
  return {
    example,
    source: truncateIds(source, options.maxSourceLength ?? 512, eos),
    target: truncateIds(target, options.maxTargetLength ?? 128, eos),
  };
}

/** Pads tokenised examples into a batch. `taskIndex` maps task names to ids (-1 when absent). */
export function collate(
  items: TokenizedExample[],
  options: CollateOptions = {},
  taskIndex?: ReadonlyMap<string, number>,
): Batch {
  const b = items.length;
  let s = 1;
  let t = 1;
  for (const it of items) {
    if (it.source.length > s) s = it.source.length;
    if (it.target.length > t) t = it.target.length;
  }
  const inputIds = new Int32Array(b * s).fill(options.padId ?? 0);
  const attentionMask = new Int32Array(b * s);
  const labels = new Int32Array(b * t).fill(options.labelPadId ?? 0);
  const labelMask = new Int32Array(b * t);
  const taskIds = new Int32Array(b);
  items.forEach((it, r) => {
    inputIds.set(it.source, r * s);
    attentionMask.fill(1, r * s, r * s + it.source.length);
    labels.set(it.target, r * t);
    labelMask.fill(1, r * t, r * t + it.target.length);
    taskIds[r] = taskIndex?.get(it.example.task) ?? -1;
  });
  return {
    batchSize: b,
    sourceLength: s,
    targetLength: t,
    inputIds,
    attentionMask,
    labels,
    labelMask,
    tasks: items.map((it) => it.example.task),
    taskIds,
    ids: items.map((it) => it.example.id),
    targets: items.map((it) => it.example.target),
    meta: items.map((it) => it.example.meta),
  };
}
