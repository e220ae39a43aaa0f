/**
 * Helpers for the data package's tests (not exported from `mod.ts`).
 *
 * @module
 */
import type { TextEncoderLike } from "./encoder.ts";

/** A byte stream over `bytes`, delivered in chunks of `chunk` bytes (to exercise chunk boundaries). */
export function streamOf(bytes: Uint8Array | string, chunk = 7): ReadableStream<Uint8Array> {
  const b = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  let o = 0;
  return new ReadableStream({
    pull(c) {
      if (o >= b.length) return c.close();
      c.enqueue(b.slice(o, o + chunk));
      o += chunk;
    },
  });
}

/** Gzips text or bytes. */
export async function gzip(data: Uint8Array | string): Promise<Uint8Array> {
  const b = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const s = new Blob([b as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(s).arrayBuffer());
}

/** Collects an async iterable. */
export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** Awaits `p` and returns the Error it rejects with (fails when it resolves). */
export async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a rejection");
}

/**
 * A word-level fake tokenizer for unit tests of mixing, padding and chunk arithmetic only: each whitespace-separated
 * word gets its own id (≥ 3, assigned on first sight), `</s>` = 1 is appended.
 */
export class FakeWordTokenizer implements TextEncoderLike {
  readonly #ids = new Map<string, number>();
  /** Ids of the words plus `</s>`. */
  encode(text: string): number[] {
    const out: number[] = [];
    for (const w of text.split(/\s+/).filter((x) => x !== "")) {
      let id = this.#ids.get(w);
      if (id === undefined) {
        id = 3 + this.#ids.size;
        this.#ids.set(w, id);
      }
      out.push(id);
    }
    out.push(1);
    return out;
  }
}

/** An in-memory task source: `examples` cut into gzip'd shards of `perShard` examples. */
export async function memorySource(
  task: string,
  examples: { id: string; source: string; target: string; task?: string }[],
  perShard: number,
  split = "train",
): Promise<import("./task_source.ts").TaskSource> {
  const shards = [];
  for (let s = 0; s * perShard < examples.length; s++) {
    const part = examples.slice(s * perShard, (s + 1) * perShard);
    const text = part.map((e) => JSON.stringify({ task, ...e })).join("\n") + "\n";
    const gz = await gzip(text);
    shards.push({
      file: `${task}/${split}-${s}.jsonl.gz`,
      count: part.length,
      open: () => Promise.resolve(streamOf(gz, 4096)),
    });
  }
  return { task, split, count: examples.length, shards };
}

/** `n` synthetic examples of `task` whose source has 1 + (i mod `spread`) words. */
export function syntheticExamples(
  task: string,
  n: number,
  spread = 9,
): { id: string; source: string; target: string }[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `${task}-${i}`,
    source: Array.from({ length: 1 + (i % spread) }, (_, k) => `${task}${k}`).join(" "),
    target: i % 3 === 0 ? "yes" : "no answer",
  }));
}
