/**
 * Writes examples into gzip'd JSONL shards of bounded size (web-standard `CompressionStream` and `crypto.subtle`).
 * A shard is cut before the uncompressed content would exceed the bound, so memory stays bounded by it too.
 *
 * @module
 */
import { type Example, exampleToJson } from "./example.ts";
import { concatBytes } from "./gzip.ts";
import type { ShardInfo } from "./manifest.ts";

/** Where shard bytes go (a directory on disk, memory in tests). */
export interface ShardSink {
  /** Stores `bytes` under the relative path `file`. */
  write(file: string, bytes: Uint8Array): Promise<void>;
}

/** Hex SHA-256 of bytes. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Gzips bytes. */
export async function gzipBytes(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Default bound on a shard's uncompressed size (16 MiB). */
export const DEFAULT_SHARD_BYTES: number = 16 * 1024 * 1024;

/** Accumulates the examples of one task and split and writes `<prefix>-00000.jsonl.gz`, `-00001`, … */
export class ShardWriter {
  readonly #sink: ShardSink;
  readonly #prefix: string;
  readonly #maxBytes: number;
  readonly #encoder = new TextEncoder();
  #lines: Uint8Array[] = [];
  #bytes = 0;
  #shards: ShardInfo[] = [];
  #count = 0;

  /** `prefix`: relative path without the shard number, e.g. "rte/train". `maxBytes`: uncompressed bound. */
  constructor(sink: ShardSink, prefix: string, maxBytes: number = DEFAULT_SHARD_BYTES) {
    this.#sink = sink;
    this.#prefix = prefix;
    this.#maxBytes = maxBytes;
  }

  /** Examples added so far. */
  get count(): number {
    return this.#count;
  }

  /** Adds one example, writing a shard first when it would overflow. */
  add(example: Example): Promise<void> {
    return this.addLine(exampleToJson(example));
  }

  /** Adds one pre-serialised JSON line (without newline), e.g. staging records that are not examples. */
  async addLine(json: string): Promise<void> {
    const line = this.#encoder.encode(json + "\n");
    if (this.#bytes > 0 && this.#bytes + line.length > this.#maxBytes) await this.#flush();
    this.#lines.push(line);
    this.#bytes += line.length;
    this.#count++;
  }

  async #flush(): Promise<void> {
    if (this.#lines.length === 0) return;
    const raw = concatBytes(this.#lines);
    const count = this.#lines.length;
    this.#lines = [];
    this.#bytes = 0;
    const gz = await gzipBytes(raw);
    const file = `${this.#prefix}-${String(this.#shards.length).padStart(5, "0")}.jsonl.gz`;
    await this.#sink.write(file, gz);
    this.#shards.push({
      file,
      count,
      bytes: gz.length,
      sha256: await sha256Hex(gz),
      contentSha256: await sha256Hex(raw),
    });
  }

  /** Writes the last shard and returns all shards plus the combined content hash. */
  async finish(): Promise<{ shards: ShardInfo[]; count: number; examplesSha256: string }> {
    await this.#flush();
    const joined = new TextEncoder().encode(this.#shards.map((s) => s.contentSha256).join("\n"));
    return { shards: this.#shards, count: this.#count, examplesSha256: await sha256Hex(joined) };
  }
}
