/**
 * The streaming training loader: per-task shuffled shard streams, proportional (or temperature) task mixing,
 * tokenisation, truncation, padding to the longest in the batch, optional length bucketing, and a small JSON state
 * from which it resumes exactly.
 *
 * Position: draw d of the mixture picks task `t(d)` (a pure function of seed and d); each task stream's position is
 * the number of examples it has emitted (see {@link TaskStream}). Batches are cut from pools of `bucketBatches`
 * batches. The state is the number of draws before the current pool plus the number of the pool's batches already
 * returned; resuming replays the task choices (integers only), reopens each task stream at its count and rebuilds the
 * pool. Memory: the shuffle buffers (at most `shuffleBuffer` examples per task) plus one pool.
 *
 * @module
 */
import { type Batch, collate, type CollateOptions, type TokenizedExample, tokenizeExample } from "./collate.ts";
import type { TextEncoderLike } from "./encoder.ts";
import { MixtureSampler, mixtureWeights } from "./mixing.ts";
import { hashString, permutation } from "./rng.ts";
import { readTaskExamples, type TaskSource } from "./task_source.ts";
import { TaskStream } from "./task_stream.ts";

/** The loader's resumable position (small JSON). */
export interface LoaderState {
  /** State format version (1). */
  version: 1;
  /** Hash of the configuration (tasks, counts, seed, buffer, temperature, batching); resuming checks it. */
  fingerprint: string;
  /** Mixture draws made before the current pool. */
  examples: number;
  /** Batches of the current pool already returned. */
  batchesInPool: number;
  /** Examples each task had emitted before the current pool (informational; recomputed on resume). */
  perTask: Record<string, number>;
}

/** Options of {@link StreamingLoader.create}. */
export interface StreamingLoaderOptions extends CollateOptions {
  /** The tasks to mix (usually every task's train split). */
  tasks: TaskSource[];
  /** Tokenizer (anything with `encode(text) → ids ending in </s>`). */
  tokenizer: TextEncoderLike;
  /** Examples per batch. */
  batchSize: number;
  /** Seed of shuffling and mixing (default 42). */
  seed?: number;
  /** Shuffle buffer size per task, in examples (default 10,000; capped at the task size). */
  shuffleBuffer?: number;
  /** Mixing temperature: 1 = proportional to size (default), >1 flattens towards uniform. */
  temperature?: number;
  /** Length bucketing: sort pools of this many batches by source length before cutting batches (default 1 = off). */
  bucketBatches?: number;
}

/** Streaming, mixing, resumable batch loader. */
export class StreamingLoader {
  /** Task names in mixture order (index = `Batch.taskIds` value). */
  readonly tasks: string[];
  /** Mixing rates per task (same order). */
  readonly weights: number[];
  readonly #opts: StreamingLoaderOptions;
  readonly #streams: TaskStream[];
  readonly #sampler: MixtureSampler;
  readonly #taskIndex: Map<string, number>;
  readonly #fingerprint: string;
  readonly #poolSize: number;
  #drawn = 0;
  #poolStart = 0;
  #poolCounts: number[] = [];
  #pool: Batch[] = [];
  #poolPos = 0;

  private constructor(opts: StreamingLoaderOptions, streams: TaskStream[], weights: number[], fingerprint: string) {
    this.#opts = opts;
    this.#streams = streams;
    this.tasks = opts.tasks.map((t) => t.task);
    this.weights = weights;
    this.#sampler = new MixtureSampler(weights, opts.seed ?? 42);
    this.#taskIndex = new Map(this.tasks.map((t, i) => [t, i]));
    this.#fingerprint = fingerprint;
    this.#poolSize = opts.batchSize * Math.max(1, opts.bucketBatches ?? 1);
  }

  /** Configuration fingerprint of options (what {@link LoaderState.fingerprint} holds). */
  static fingerprint(opts: StreamingLoaderOptions): string {
    const key = JSON.stringify({
      tasks: opts.tasks.map((t) => [t.task, t.split, t.count, t.shards.map((s) => [s.file, s.count])]),
      seed: opts.seed ?? 42,
      shuffleBuffer: opts.shuffleBuffer ?? 10_000,
      temperature: opts.temperature ?? 1,
      batchSize: opts.batchSize,
      bucketBatches: Math.max(1, opts.bucketBatches ?? 1),
    });
    return hashString(key).toString(16).padStart(8, "0");
  }

  /** Creates a loader at the start, or at `state` (from {@link StreamingLoader.state}) to resume exactly. */
  static async create(opts: StreamingLoaderOptions, state?: LoaderState): Promise<StreamingLoader> {
    if (!(Number.isInteger(opts.batchSize) && opts.batchSize > 0)) {
      throw new Error(`batchSize must be a positive integer, got ${opts.batchSize}`);
    }
    const names = opts.tasks.map((t) => t.task);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup !== undefined) throw new Error(`task "${dup}" appears twice in the mixture`);
    const weights = mixtureWeights(opts.tasks.map((t) => t.count), opts.temperature ?? 1);
    const fingerprint = StreamingLoader.fingerprint(opts);
    const seed = opts.seed ?? 42;
    let examples = 0;
    const counts = new Array<number>(opts.tasks.length).fill(0);
    if (state) {
      if (state.version !== 1 || state.fingerprint !== fingerprint) {
        throw new Error(
          `loader state was saved with another configuration (fingerprint ${state.fingerprint}, now ${fingerprint}): ` +
            `resume with the same datasets, seed, shuffle buffer, temperature and batching`,
        );
      }
      if (!Number.isInteger(state.examples) || state.examples < 0 || !Number.isInteger(state.batchesInPool)) {
        throw new Error(`loader state is malformed: ${JSON.stringify(state)}`);
      }
      examples = state.examples;
      const sampler = new MixtureSampler(weights, seed);
      for (let d = 0; d < examples; d++) counts[sampler.task(d)]++;
    }
    const buffer = opts.shuffleBuffer ?? 10_000;
    const streams = await Promise.all(opts.tasks.map((t, i) => TaskStream.open(t, seed, buffer, counts[i])));
    const loader = new StreamingLoader(opts, streams, weights, fingerprint);
    loader.#drawn = examples;
    loader.#poolStart = examples;
    loader.#poolCounts = counts;
    if (state && state.batchesInPool > 0) {
      await loader.#fillPool();
      if (state.batchesInPool > loader.#pool.length) throw new Error(`loader state is malformed: batchesInPool`);
      loader.#poolPos = state.batchesInPool;
    }
    return loader;
  }

  /** The position after the last returned batch. */
  state(): LoaderState {
    const done = this.#poolPos >= this.#pool.length;
    const counts = done ? this.#streams.map((s) => s.emitted) : this.#poolCounts;
    return {
      version: 1,
      fingerprint: this.#fingerprint,
      examples: done ? this.#drawn : this.#poolStart,
      batchesInPool: done ? 0 : this.#poolPos,
      perTask: Object.fromEntries(this.tasks.map((t, i) => [t, counts[i]])),
    };
  }

  /** The next batch (the loader is endless). */
  async next(): Promise<Batch> {
    if (this.#poolPos >= this.#pool.length) await this.#fillPool();
    return this.#pool[this.#poolPos++];
  }

  /** Endless iteration over batches. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Batch> {
    while (true) yield await this.next();
  }

  /** Closes open shards. */
  async close(): Promise<void> {
    await Promise.all(this.#streams.map((s) => s.close()));
  }

  async #fillPool(): Promise<void> {
    this.#poolStart = this.#drawn;
    this.#poolCounts = this.#streams.map((s) => s.emitted);
    const items: TokenizedExample[] = [];
    for (let i = 0; i < this.#poolSize; i++) {
      const t = this.#sampler.task(this.#drawn++);
      items.push(tokenizeExample(await this.#streams[t].next(), this.#opts.tokenizer, this.#opts));
    }
    const bs = this.#opts.batchSize;
    const k = this.#poolSize / bs;
    let batches: TokenizedExample[][];
    if (k === 1) {
      batches = [items];
    } else {
      const order = items.map((_, i) => i).sort((a, b) =>
        items[a].source.length - items[b].source.length || items[a].target.length - items[b].target.length || a - b
      );
      const cut: TokenizedExample[][] = [];
      for (let i = 0; i < k; i++) cut.push(order.slice(i * bs, (i + 1) * bs).map((j) => items[j]));
      const perm = permutation(k, this.#opts.seed ?? 42, 0xb0c7, this.#poolStart / this.#poolSize);
      batches = Array.from(perm, (j) => cut[j]);
    }
    this.#pool = batches.map((b) => collate(b, this.#opts, this.#taskIndex));
    this.#poolPos = 0;
  }
}

/** Options of {@link sequentialBatches}. */
export interface SequentialOptions extends CollateOptions {
  /** Examples per batch (the last batch of each task may be smaller). */
  batchSize: number;
  /** Read at most this many examples per task (e.g. the reference `n_val` = 1,600); all when omitted. */
  limit?: number;
  /** With `limit`: take a seeded random subset of that size (kept in file order), as the reference code subsamples
   * after shuffling; without it the first `limit` examples are taken. */
  limitSeed?: number;
}

/** Batches over each task in order, one task at a time (batches never mix tasks), for evaluation. */
export async function* sequentialBatches(
  tasks: TaskSource[],
  tokenizer: TextEncoderLike,
  opts: SequentialOptions,
): AsyncGenerator<Batch> {
  const index = new Map(tasks.map((t, i) => [t.task, i]));
  for (const source of tasks) {
    let items: TokenizedExample[] = [];
    let keep: Uint8Array | undefined;
    if (opts.limit !== undefined && opts.limitSeed !== undefined && opts.limit < source.count) {
      keep = new Uint8Array(source.count);
      for (const i of permutation(source.count, opts.limitSeed, hashString(source.task)).subarray(0, opts.limit)) {
        keep[i] = 1;
      }
    }
    let n = 0;
    let i = 0;
    for await (const ex of readTaskExamples(source)) {
      if (keep ? keep[i++] === 0 : false) continue;
      if (opts.limit !== undefined && n >= opts.limit) break;
      n++;
      items.push(tokenizeExample(ex, tokenizer, opts));
      if (items.length === opts.batchSize) {
        yield collate(items, opts, index);
        items = [];
      }
    }
    if (items.length > 0) yield collate(items, opts, index);
  }
}
