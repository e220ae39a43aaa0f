/**
 * The text-to-text example that every reader and template produces and that the shards store.
 *
 * @module
 */
import { DataFormatError } from "./errors.ts";

/** One text-to-text example, as stored (one JSON object per line) in the shards. */
export interface Example {
  /** Task name used for mixing, task embeddings and per-task metrics (for MRQA: the subset, e.g. "SQuAD"). */
  task: string;
  /** Identifier; shared by all chunks of one MRQA question (the qid) so answers can be aggregated. */
  id: string;
  /** Source text, exactly as fed to the tokenizer (unless `sourceIds` is set). */
  source: string;
  /** Target text ("" for an MRQA chunk without the answer). */
  target: string;
  /** Pre-tokenised source ids including the final `</s>` (MRQA chunks, whose windows are cut in token space). */
  sourceIds?: number[];
  /** Evaluation extras, e.g. `{ answers: [...] }` (MRQA gold answers) or `{ score: 3.75 }` (raw STS-B score). */
  meta?: Record<string, unknown>;
}

/** Serialises an example as one JSONL line (without the newline), keys in a fixed order. */
export function exampleToJson(example: Example): string {
  const o: Record<string, unknown> = {
    task: example.task,
    id: example.id,
    source: example.source,
    target: example.target,
  };
  if (example.sourceIds !== undefined) o.sourceIds = example.sourceIds;
  if (example.meta !== undefined) o.meta = example.meta;
  return JSON.stringify(o);
}

const origins = new WeakMap<Example, { file: string; line: number }>();

/** The shard file and line an example was parsed from ({@link exampleFromJson}), for error messages. */
export function exampleOrigin(example: Example): { file: string; line: number } | undefined {
  return origins.get(example);
}

/** Parses and validates one shard line; errors name `file` and `line`. */
export function exampleFromJson(text: string, file: string, line: number): Example {
  const ex = parseExample(text, file, line);
  origins.set(ex, { file, line });
  return ex;
}

function parseExample(text: string, file: string, line: number): Example {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new DataFormatError(file, line, `invalid JSON in shard (${(e as Error).message}); re-run prepare`);
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new DataFormatError(file, line, "shard line is not a JSON object; re-run prepare");
  }
  const o = v as Record<string, unknown>;
  for (const key of ["task", "id", "source", "target"]) {
    if (typeof o[key] !== "string") {
      throw new DataFormatError(file, line, `shard field "${key}" missing or not a string; re-run prepare`);
    }
  }
  const example: Example = {
    task: o.task as string,
    id: o.id as string,
    source: o.source as string,
    target: o.target as string,
  };
  if (o.sourceIds !== undefined) {
    if (!Array.isArray(o.sourceIds) || !o.sourceIds.every((x) => Number.isInteger(x))) {
      throw new DataFormatError(file, line, `shard field "sourceIds" is not an integer array; re-run prepare`);
    }
    example.sourceIds = o.sourceIds as number[];
  }
  if (o.meta !== undefined) example.meta = o.meta as Record<string, unknown>;
  return example;
}
