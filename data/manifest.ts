/**
 * `manifest.json` of a prepared dataset directory: which shards hold which task and split, with counts and hashes.
 *
 * @module
 */

/** Format tag written into every manifest. */
export const MANIFEST_FORMAT = "hyperdecoders-shards/1";

/** One gzip'd JSONL shard. */
export interface ShardInfo {
  /** Path relative to the dataset directory, e.g. "rte/train-00000.jsonl.gz". */
  file: string;
  /** Examples in the shard. */
  count: number;
  /** Size of the gzip'd file in bytes. */
  bytes: number;
  /** SHA-256 (hex) of the gzip'd file. */
  sha256: string;
  /** SHA-256 (hex) of the uncompressed JSONL content. */
  contentSha256: string;
}

/** How an entry was made, so that it can be reproduced and checked. */
export interface Provenance {
  /** Registry task (or "user", "demo", "mrqa") that `prepare` was called with. */
  dataset: string;
  /** Template version (`TEMPLATE_VERSION`). */
  templateVersion: string;
  /** Inputs as given: source split and path/URL. */
  inputs: { split: string; location: string; format: string }[];
  /** Split options used (seed, dropOne, mnliTest) and formatting options. */
  options: Record<string, unknown>;
  /** Tokenizer used (MRQA chunking, demo length checks), if any. */
  tokenizer?: { location: string; sha256: string };
  /** Records skipped as malformed while reading the inputs (with `--skip-bad`). */
  skipped?: { total: number; byFile: Record<string, number>; examples: string[] };
}

/** One task and split. */
export interface ManifestEntry {
  /** Task name as written in the examples. */
  task: string;
  /** "train", "validation" or "test". */
  split: string;
  /** Total examples. */
  count: number;
  /** SHA-256 (hex) over the shards' `contentSha256`, joined by newlines, in shard order. */
  examplesSha256: string;
  /** Shards in order. */
  shards: ShardInfo[];
  /** How the entry was made. */
  provenance: Provenance;
}

/** The whole manifest. */
export interface Manifest {
  /** {@link MANIFEST_FORMAT}. */
  format: string;
  /** Entries sorted by task then split. */
  entries: ManifestEntry[];
}

/** Parses and checks a manifest; `file` names it in errors. */
export function parseManifest(text: string, file: string): Manifest {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: invalid JSON (${(e as Error).message}); re-run "deno task data prepare"`);
  }
  const m = v as Manifest;
  if (typeof m !== "object" || m === null || m.format !== MANIFEST_FORMAT || !Array.isArray(m.entries)) {
    throw new Error(`${file}: not a ${MANIFEST_FORMAT} manifest; re-run "deno task data prepare"`);
  }
  m.entries.forEach((e, i) => {
    if (
      typeof e.task !== "string" || typeof e.split !== "string" || !Number.isInteger(e.count) ||
      !Array.isArray(e.shards) || e.shards.some((s) => typeof s.file !== "string" || !Number.isInteger(s.count))
    ) {
      throw new Error(`${file}: entries[${i}] is malformed; re-run "deno task data prepare"`);
    }
  });
  return m;
}

/** Merges `added` into `base`, replacing entries with the same task and split; entries come out sorted. */
export function mergeManifest(base: Manifest | undefined, added: ManifestEntry[]): Manifest {
  const key = (e: ManifestEntry) => `${e.task}\u0000${e.split}`;
  const map = new Map((base?.entries ?? []).map((e) => [key(e), e]));
  for (const e of added) map.set(key(e), e);
  const order = ["train", "validation", "test"];
  const entries = [...map.values()].sort((a, b) =>
    a.task < b.task ? -1 : a.task > b.task ? 1 : order.indexOf(a.split) - order.indexOf(b.split)
  );
  return { format: MANIFEST_FORMAT, entries };
}
