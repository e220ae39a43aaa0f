/**
 * Lazily readable shards of one task and split, independent of where the bytes live (disk, URL, memory).
 *
 * @module
 */
import { DataFormatError } from "./errors.ts";
import { type Example, exampleFromJson } from "./example.ts";
import { gunzipIfNeeded } from "./gzip.ts";
import { readLines } from "./lines.ts";
import type { Manifest } from "./manifest.ts";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";

/** One shard that can be opened (again) on demand. */
export interface ShardRef {
  /** Name used in errors (relative path or URL). */
  file: string;
  /** Examples in the shard (from the manifest). */
  count: number;
  /** Opens the (gzip'd or plain) JSONL bytes. */
  open(): Promise<ReadableStream<Uint8Array>>;
  /** SHA-256 (hex) of those bytes (from the manifest): checked as the shard is streamed, when given. */
  sha256?: string;
}

/** The shards of one task and split. */
export interface TaskSource {
  /** Task name. */
  task: string;
  /** Split name. */
  split: string;
  /** Total examples (sum of the shard counts). */
  count: number;
  /** Shards in manifest order. */
  shards: ShardRef[];
}

/** Builds task sources from a manifest; `open(file)` opens a shard by its manifest path. `tasks` selects tasks
 * (all when omitted); a requested task missing from the manifest throws. */
export function taskSourcesFromManifest(
  manifest: Manifest,
  open: (file: string) => Promise<ReadableStream<Uint8Array>>,
  split: string,
  tasks?: string[],
  where = "manifest.json",
): TaskSource[] {
  const entries = manifest.entries.filter((e) => e.split === split && (!tasks || tasks.includes(e.task)));
  for (const t of tasks ?? []) {
    if (!entries.some((e) => e.task === t)) {
      const have = [...new Set(manifest.entries.filter((e) => e.split === split).map((e) => e.task))];
      throw new Error(`${where}: no "${split}" split of task "${t}" (has: ${have.join(", ") || "none"})`);
    }
  }
  return entries.map((e) => ({
    task: e.task,
    split: e.split,
    count: e.count,
    shards: e.shards.map((s) => ({
      file: s.file,
      count: s.count,
      open: () => open(s.file),
      ...(typeof s.sha256 === "string" ? { sha256: s.sha256 } : {}),
    })),
  }));
}

/** A raw shard line with its position in the shard. */
export interface ShardLine {
  /** JSON text of the example. */
  text: string;
  /** 0-based index within the shard. */
  index: number;
  /** 1-based line number (for errors). */
  line: number;
}

/**
 * Reads the lines of one shard from index `skip` on (skipped lines are not parsed). Checks the manifest count and,
 * when the shard has one, its SHA-256: bytes are hashed as they stream by and a mismatch stops the read at the end of
 * the shard with an error naming it (a shard replaced or damaged after the manifest was written).
 */
export async function* readShardLines(shard: ShardRef, skip = 0): AsyncGenerator<ShardLine> {
  let index = 0;
  let bytes = await shard.open();
  const hash = shard.sha256 === undefined ? undefined : sha256.create();
  if (hash) {
    bytes = bytes.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          hash.update(chunk);
          controller.enqueue(chunk);
        },
      }),
    );
  }
  for await (const { text, line } of readLines(await gunzipIfNeeded(bytes), shard.file)) {
    if (text === "") continue;
    if (index >= skip) yield { text, index, line };
    index++;
  }
  if (hash) {
    const got = bytesToHex(hash.digest());
    if (got !== shard.sha256) {
      throw new DataFormatError(
        shard.file,
        0,
        `SHA-256 ${got} differs from the manifest's ${shard.sha256}: the shard was changed or damaged after it ` +
          `was written; re-run prepare`,
      );
    }
  }
  if (index !== shard.count) {
    throw new DataFormatError(
      shard.file,
      0,
      `has ${index} examples but the manifest says ${shard.count}; the dataset directory is damaged: re-run prepare`,
    );
  }
}

/** Reads and parses the examples of one shard. */
export async function* readShardExamples(shard: ShardRef, skip = 0): AsyncGenerator<Example> {
  for await (const l of readShardLines(shard, skip)) yield exampleFromJson(l.text, shard.file, l.line);
}

/** Reads all examples of a task source in shard order (for evaluation and statistics). */
export async function* readTaskExamples(source: TaskSource): AsyncGenerator<Example> {
  for (const shard of source.shards) yield* readShardExamples(shard);
}
