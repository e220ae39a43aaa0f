/**
 * An endless, shuffled stream of one task's examples whose position is a single integer.
 *
 * The epochs are concatenated into one infinite line stream (each epoch visits the shards in a seeded order) and a
 * shuffle buffer of B examples runs over it: emission k takes slot `j(k)` (a pure function of seed, task and k) and
 * refills it with the next line. Which line sits in which slot after k emissions depends only on the slot choices, so
 * a stream is restored from k alone: replay the choices on line numbers, then read back just the lines still
 * buffered. Memory is B parsed examples.
 *
 * @module
 */
import { type Example, exampleFromJson } from "./example.ts";
import { hashString, KeyedRandom, permutation } from "./rng.ts";
import { readShardLines, type TaskSource } from "./task_source.ts";

const SLOT_STREAM = 0x5107;
const SHARD_STREAM = 0x5a4d;

/** Shuffled endless stream over one {@link TaskSource}. */
export class TaskStream {
  /** The source. */
  readonly source: TaskSource;
  readonly #seed: number;
  readonly #size: number;
  readonly #slots: KeyedRandom;
  #buffer: Example[] = [];
  #emitted = 0;
  #cursor: AsyncGenerator<{ line: number; text: string; file: string; fileLine: number }> | undefined;
  #orders = new Map<number, Uint32Array>();

  private constructor(source: TaskSource, seed: number, bufferSize: number) {
    if (source.count <= 0 || source.shards.length === 0) {
      throw new Error(`task "${source.task}" (${source.split}) has no examples; drop it from the mixture`);
    }
    this.source = source;
    this.#seed = seed;
    this.#size = Math.max(1, Math.min(bufferSize, source.count));
    this.#slots = new KeyedRandom(seed, hashString(source.task), SLOT_STREAM);
  }

  /** Opens the stream at emission `emitted` (0 = start), with a shuffle buffer of `bufferSize` examples (capped at
   * the task size). */
  static async open(source: TaskSource, seed: number, bufferSize: number, emitted = 0): Promise<TaskStream> {
    const s = new TaskStream(source, seed, bufferSize);
    await s.#restore(emitted);
    return s;
  }

  /** Examples emitted so far: the stream's whole position. */
  get emitted(): number {
    return this.#emitted;
  }

  /** Shuffle buffer size in use. */
  get bufferSize(): number {
    return this.#size;
  }

  /** The next example. */
  async next(): Promise<Example> {
    const j = this.#slots.int(this.#size, this.#emitted);
    const out = this.#buffer[j];
    this.#buffer[j] = await this.#read();
    this.#emitted++;
    return out;
  }

  /** Stops reading (closes the open shard). */
  async close(): Promise<void> {
    await this.#cursor?.return(undefined);
  }

  async #read(): Promise<Example> {
    const r = await this.#cursor!.next();
    if (r.done) throw new Error("unreachable: the line stream is endless");
    return exampleFromJson(r.value.text, r.value.file, r.value.fileLine);
  }

  #order(epoch: number): Uint32Array {
    let o = this.#orders.get(epoch);
    if (!o) {
      if (this.#orders.size > 4) this.#orders.clear();
      o = permutation(this.source.shards.length, this.#seed, hashString(this.source.task), SHARD_STREAM, epoch);
      this.#orders.set(epoch, o);
    }
    return o;
  }

  /** Endless lines from global line number `from` on. */
  async *#lines(from: number): AsyncGenerator<{ line: number; text: string; file: string; fileLine: number }> {
    const n = this.source.count;
    let epoch = Math.floor(from / n);
    let offset = from - epoch * n;
    let line = from;
    while (true) {
      for (const s of this.#order(epoch)) {
        const shard = this.source.shards[s];
        if (offset >= shard.count) {
          offset -= shard.count;
          continue;
        }
        for await (const l of readShardLines(shard, offset)) {
          yield { line: line++, text: l.text, file: shard.file, fileLine: l.line };
        }
        offset = 0;
      }
      epoch++;
    }
  }

  async #restore(emitted: number): Promise<void> {
    const b = this.#size;
    // Replay the slot choices on line numbers: slot j holds line L.
    const held = new Float64Array(b);
    for (let j = 0; j < b; j++) held[j] = j;
    for (let k = 0; k < emitted; k++) held[this.#slots.int(b, k)] = b + k;
    let min = Infinity;
    const slotOf = new Map<number, number>();
    for (let j = 0; j < b; j++) {
      slotOf.set(held[j], j);
      if (held[j] < min) min = held[j];
    }
    const end = b + emitted; // next line to read
    this.#buffer = new Array(b);
    const scan = this.#lines(min);
    let found = 0;
    while (found < b) {
      const r = await scan.next();
      if (r.done || r.value.line >= end) throw new Error("unreachable: buffered line not found");
      const j = slotOf.get(r.value.line);
      if (j !== undefined) {
        this.#buffer[j] = exampleFromJson(r.value.text, r.value.file, r.value.fileLine);
        found++;
      }
    }
    await scan.return(undefined);
    this.#cursor = this.#lines(end);
    this.#emitted = emitted;
  }
}
