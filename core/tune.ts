/**
 * Kernel autotuning: for each shape class of an op with several kernel candidates, time the candidates on this
 * device, keep the fastest one that computes the right answer, and remember the choice across runs.
 *
 * - A {@link TuneProblem} describes one shape class: its candidates (with the WGSL of their kernels), and a bench that
 *   allocates inputs, runs a candidate, and checks its output against a float64 CPU reference. A candidate whose
 *   check fails (or whose kernel does not compile) is never chosen.
 * - A {@link TuneTimer} times one candidate: {@link gpuTimer} uses timestamp queries around one compute pass when the
 *   device has `timestamp-query`, else submit-and-wait wall time less the empty-submit latency. Tests inject a clock.
 * - The choices live in a {@link TuneCache}, keyed by adapter identity (vendor, architecture, device, description),
 *   then by op and shape class; each entry carries a hash of every candidate's kernel source, so a changed kernel (or
 *   a changed candidate list) makes the entry stale. A {@link TuneStore} loads and saves the cache: this package is
 *   browser-safe, so file storage lives with the command-line tools (`train/tune_store.ts`); {@link MemoryTuneStore}
 *   keeps it in memory.
 * - Modes ({@link TuneMode}): `off` uses the built-in rules; `cached` uses a cached choice when there is a fresh one,
 *   else the rules, and never times anything; `on` also tunes a shape class at its first use (in the background: the
 *   rules serve until the timing is done; {@link Tuner.settle} waits for it).
 * @module
 */
import type { Engine } from "./engine.ts";

/** How kernels are chosen: built-in rules, cached tuning results, or tuning at first use. */
export type TuneMode = "off" | "cached" | "on";

/** The tuning modes, in order of increasing effort. */
export const TUNE_MODES: readonly TuneMode[] = ["off", "cached", "on"];

/** Parses a tuning mode (from an environment variable or a flag named by `where`), with a clear error. */
export function parseTuneMode(value: string | undefined, where: string, fallback: TuneMode = "cached"): TuneMode {
  if (value === undefined || value === "") return fallback;
  const v = value.trim().toLowerCase();
  if ((TUNE_MODES as readonly string[]).includes(v)) return v as TuneMode;
  throw new Error(`${where}: "${value}" is not a tuning mode; use one of ${TUNE_MODES.join(", ")}`);
}

/** What identifies an adapter for tuning purposes (a driver update changes `description` on most platforms). */
export interface AdapterIdentity {
  /** `GPUAdapterInfo.vendor`. */
  vendor: string;
  /** `GPUAdapterInfo.architecture`. */
  architecture: string;
  /** `GPUAdapterInfo.device`. */
  device: string;
  /** `GPUAdapterInfo.description` (often names the driver). */
  description: string;
}

/** The cache key of an adapter. */
export function adapterKey(a: AdapterIdentity): string {
  return [a.vendor, a.architecture, a.device, a.description].join("|");
}

/** One tuned shape class. */
export interface TuneEntry {
  /** Id of the chosen candidate. */
  choice: string;
  /** The chosen candidate's value (for the op to use). */
  value: unknown;
  /** {@link sourceHash} of every candidate's id and kernel source at tuning time. */
  sourceHash: string;
  /** The shape the class was timed on (informative). */
  shape: unknown;
  /** Per candidate: ms per run, or why it was rejected. */
  timings: Record<string, number | string>;
  /** Which timer measured (`timestamp`, `submit-wait` or `injected`). */
  timer: string;
  /** ISO date of tuning. */
  tunedAt: string;
}

/** The tuning cache: adapters, then `op:class` keys. */
export interface TuneCache {
  /** Format version. */
  version: 1;
  /** By {@link adapterKey}. */
  adapters: Record<string, { adapter: AdapterIdentity; entries: Record<string, TuneEntry> }>;
}

/** Loads and saves the tuning cache (a file, browser storage, memory). */
export interface TuneStore {
  /** The cache, or null when there is none yet. */
  load(): Promise<TuneCache | null>;
  /** Replaces the stored cache. */
  save(cache: TuneCache): Promise<void>;
  /** Where it is kept, for messages. */
  readonly where: string;
}

/** A {@link TuneStore} in memory (tests; browsers without persistent storage). */
export class MemoryTuneStore implements TuneStore {
  /** The saved cache (a deep copy). */
  cache: TuneCache | null;
  /** Saves so far. */
  saves = 0;
  /** Where it is kept. */
  readonly where = "memory";
  /** Starts with `cache` (copied), or empty. */
  constructor(cache: TuneCache | null = null) {
    this.cache = cache ? structuredClone(cache) : null;
  }
  /** Returns a copy of the saved cache. */
  load(): Promise<TuneCache | null> {
    return Promise.resolve(this.cache ? structuredClone(this.cache) : null);
  }
  /** Keeps a copy. */
  save(cache: TuneCache): Promise<void> {
    this.cache = structuredClone(cache);
    this.saves++;
    return Promise.resolve();
  }
}

/** Checks that parsed JSON is a tuning cache; `where` names its origin in the error. */
export function validateTuneCache(json: unknown, where: string): TuneCache {
  const fail = (why: string): never => {
    throw new Error(`${where}: not a tuning cache (${why}); delete it or run \`deno task tune\` to rebuild it`);
  };
  if (typeof json !== "object" || json === null) fail("not a JSON object");
  const c = json as Partial<TuneCache>;
  if (c.version !== 1) fail(`version ${JSON.stringify(c.version)}, expected 1`);
  if (typeof c.adapters !== "object" || c.adapters === null) fail("no `adapters` object");
  for (const [key, a] of Object.entries(c.adapters!)) {
    if (typeof a !== "object" || a === null || typeof a.entries !== "object" || a.entries === null) {
      fail(`adapter "${key}" has no \`entries\` object`);
    }
    for (const [k, e] of Object.entries(a.entries)) {
      if (typeof e?.choice !== "string" || typeof e?.sourceHash !== "string") {
        fail(`entry "${k}" of adapter "${key}" lacks \`choice\` or \`sourceHash\``);
      }
    }
  }
  return c as TuneCache;
}

/** A 53-bit string hash (cyrb53) as 14 hex digits: cheap, synchronous, stable across runtimes. */
export function sourceHash(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(16).padStart(14, "0");
}

/** One kernel candidate of a shape class. */
export interface TuneCandidate<T> {
  /** Stable id (stored in the cache). */
  id: string;
  /** What the op needs to run it (stored in the cache as JSON). */
  value: T;
  /** WGSL of the kernels it dispatches (hashed into the entry). */
  sources: string[];
}

/** Inputs of one shape class on the device, and how to run and check a candidate on them. */
export interface TuneBench<T> {
  /** Encodes one run of the candidate (no wait). */
  run(value: T): void;
  /** Runs the candidate once and compares with the float64 reference: null when right, else why not. */
  check(value: T): Promise<string | null>;
  /** Frees the inputs. */
  dispose(): void;
}

/** One shape class of one op. */
export interface TuneProblem<T> {
  /** Op name (`matmul`). */
  op: string;
  /** Shape class within the op. */
  classKey: string;
  /** The shape to time (stored for information). */
  shape: unknown;
  /** The candidates, every one that fits the device. */
  candidates(): TuneCandidate<T>[];
  /** Allocates inputs on the device. */
  prepare(): TuneBench<T>;
}

/** Times one candidate: resolves with milliseconds per run of `encode`. */
export type TuneTimer = (candidate: TuneCandidate<unknown>, encode: () => void) => Promise<number>;

/** Options of {@link gpuTimer}. */
export interface GpuTimerOptions {
  /** Least GPU time per timed batch in ms (default 2). */
  targetMs?: number;
  /** Most runs per batch (default 64). */
  maxReps?: number;
  /** Timed batches; the median is used (default 3). */
  trials?: number;
  /** Never use timestamp queries (tests of the fallback). */
  noTimestamps?: boolean;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * A timer on the engine's device: timestamp queries around one compute pass of N runs when the device has
 * `timestamp-query`, else submit + `onSubmittedWorkDone` wall time less an empty submit's latency. One warm-up run,
 * then N chosen so that a batch takes `targetMs`, then the median of `trials` batches. `kind` tells which it used.
 */
export function gpuTimer(engine: Engine, options: GpuTimerOptions = {}): TuneTimer & { kind: () => string } {
  const targetMs = options.targetMs ?? 2;
  const maxReps = options.maxReps ?? 64;
  const trials = options.trials ?? 3;
  let timestamps = !options.noTimestamps && engine.gpu.features.includes("timestamp-query");
  let floorMs: number | null = null;
  const wallBatch = async (encode: () => void, reps: number): Promise<number> => {
    if (floorMs === null) {
      const floors: number[] = [];
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        await engine.gpu.device.queue.onSubmittedWorkDone();
        floors.push(performance.now() - t0);
      }
      floorMs = median(floors);
    }
    engine.flush();
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) encode();
    await engine.sync();
    const ms = performance.now() - t0;
    return Math.max(ms - floorMs, ms / 10);
  };
  const batch = async (encode: () => void, reps: number): Promise<number> => {
    if (timestamps) {
      const ms = await engine.recorder.timePass(() => {
        for (let i = 0; i < reps; i++) encode();
      });
      if (ms !== null && ms > 0) return ms;
      timestamps = false; // zero or missing timestamps: this adapter's queries are not usable
    }
    return await wallBatch(encode, reps);
  };
  const timer = async (_c: TuneCandidate<unknown>, encode: () => void): Promise<number> => {
    encode();
    await engine.sync();
    const once = await batch(encode, 1);
    const reps = Math.max(1, Math.min(maxReps, Math.ceil(targetMs / Math.max(once, 1e-3))));
    const times: number[] = [];
    for (let t = 0; t < trials; t++) times.push((await batch(encode, reps)) / reps);
    return median(times);
  };
  return Object.assign(timer, { kind: () => (timestamps ? "timestamp" : "submit-wait") });
}

/** Options of a {@link Tuner}. */
export interface TunerOptions {
  /** Mode (see {@link TuneMode}). */
  mode: TuneMode;
  /** The engine whose device is tuned. */
  engine: Engine;
  /** Where the cache lives (none: nothing persists beyond this process). */
  store?: TuneStore | null;
  /** The timer (default {@link gpuTimer} on the engine). */
  timer?: TuneTimer;
  /** Name of the timer for the cache entries (default `timestamp` / `submit-wait` from {@link gpuTimer}, else `injected`). */
  timerName?: string;
  /** In `on` mode, tune requested classes in the background (default true); false queues them for {@link Tuner.tunePending}. */
  background?: boolean;
  /** Progress messages. */
  log?: (message: string) => void;
}

/**
 * Chooses kernels per shape class from the cache, tunes on request, and saves what it learns. Install one with
 * {@link setTuner}; ops ask it through {@link Tuner.lookup} / {@link Tuner.request}.
 */
export class Tuner {
  /** The mode. */
  readonly mode: TuneMode;
  /** The engine. */
  readonly engine: Engine;
  /** The adapter identity the entries are stored under. */
  readonly adapter: AdapterIdentity;
  #store: TuneStore | null;
  #timer: TuneTimer;
  #timerName: () => string;
  #background: boolean;
  #log: (message: string) => void;
  #cache: TuneCache = { version: 1, adapters: {} };
  /** Resolved choices by `op:class` (null: none usable, use the rules). */
  #resolved = new Map<string, { value: unknown } | null>();
  #hashes = new Map<string, string>();
  #pending = new Map<string, TuneProblem<unknown>>();
  #work: Promise<void> = Promise.resolve();
  #errors: unknown[] = [];
  /** Shape classes tuned by this tuner (entries written). */
  tuned = 0;

  /** Creates a tuner; call {@link Tuner.load} before use when it has a store. */
  constructor(options: TunerOptions) {
    this.mode = options.mode;
    this.engine = options.engine;
    const info = options.engine.gpu.info;
    this.adapter = {
      vendor: info.vendor,
      architecture: info.architecture,
      device: info.device,
      description: info.description,
    };
    this.#store = options.store ?? null;
    if (options.timer) {
      this.#timer = options.timer;
      const name = options.timerName ?? "injected";
      this.#timerName = () => name;
    } else {
      const t = gpuTimer(options.engine);
      this.#timer = t;
      this.#timerName = t.kind;
    }
    this.#background = options.background ?? true;
    this.#log = options.log ?? (() => {});
  }

  /** Reads the store (a missing cache is an empty one). */
  async load(): Promise<this> {
    if (this.#store) this.#cache = (await this.#store.load()) ?? { version: 1, adapters: {} };
    this.#resolved.clear();
    return this;
  }

  /** A copy of the cache as it stands. */
  snapshot(): TuneCache {
    return structuredClone(this.#cache);
  }

  #entries(): Record<string, TuneEntry> {
    const key = adapterKey(this.adapter);
    let a = this.#cache.adapters[key];
    if (!a) this.#cache.adapters[key] = a = { adapter: { ...this.adapter }, entries: {} };
    return a.entries;
  }

  #hashOf<T>(problem: TuneProblem<T>, key: string): string {
    let h = this.#hashes.get(key);
    if (h === undefined) {
      const parts = problem.candidates().map((c) => `${c.id}\n${c.sources.join("\n")}`);
      h = sourceHash(parts.join("\n\u0000\n"));
      this.#hashes.set(key, h);
    }
    return h;
  }

  /**
   * The tuned value for a shape class, or null (use the rules): `off` always null; otherwise a cache entry whose
   * source hash still matches. Synchronous; the problem's candidates are built once per class to hash them.
   */
  lookup<T>(problem: TuneProblem<T>): T | null {
    if (this.mode === "off") return null;
    const key = `${problem.op}:${problem.classKey}`;
    let r = this.#resolved.get(key);
    if (r === undefined) {
      const entry = this.#entries()[key];
      r = entry && entry.sourceHash === this.#hashOf(problem, key) ? { value: entry.value } : null;
      this.#resolved.set(key, r);
      if (!r && this.mode === "on") this.request(problem);
    }
    return r ? (r.value as T) : null;
  }

  /** Asks for a class to be tuned (`on` mode; ignored otherwise): in the background, or queued for {@link Tuner.tunePending}. */
  request<T>(problem: TuneProblem<T>): void {
    if (this.mode !== "on") return;
    const key = `${problem.op}:${problem.classKey}`;
    if (this.#pending.has(key)) return;
    this.#pending.set(key, problem as TuneProblem<unknown>);
    if (this.#background) {
      this.#work = this.#work.then(() => this.#tunePendingNow()).catch((e) => {
        this.#errors.push(e);
      });
    }
  }

  /** Classes requested and not tuned yet. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  async #tunePendingNow(): Promise<void> {
    // Let the caller finish encoding what it is doing before the tuner flushes and times.
    await new Promise((resolve) => setTimeout(resolve, 0));
    while (this.#pending.size > 0) {
      const [key, problem] = this.#pending.entries().next().value!;
      try {
        await this.tune(problem);
      } finally {
        this.#pending.delete(key);
      }
    }
  }

  /** Tunes every requested class now (used by `deno task tune` and with `background: false`). */
  async tunePending(): Promise<void> {
    await this.settle();
    await this.#tunePendingNow();
  }

  /** Waits for background tuning; rethrows its first error. */
  async settle(): Promise<void> {
    await this.#work;
    if (this.#errors.length > 0) throw this.#errors.splice(0)[0];
  }

  /**
   * Times every candidate of a class that passes its correctness check, stores the fastest and saves the cache.
   * Throws when no candidate is right (the rules stay in use).
   */
  async tune<T>(problem: TuneProblem<T>): Promise<TuneEntry> {
    const key = `${problem.op}:${problem.classKey}`;
    if (this.engine.recorder.dryRun) {
      throw new Error(`tuning ${key}: the recorder is in encode-only mode (dryRun), nothing would run; tune later`);
    }
    const candidates = problem.candidates();
    const device = this.engine.gpu.device;
    const bench = problem.prepare();
    const timings: Record<string, number | string> = {};
    let best: TuneCandidate<T> | null = null;
    let bestMs = Infinity;
    try {
      for (const c of candidates) {
        this.engine.flush();
        device.pushErrorScope("validation");
        device.pushErrorScope("out-of-memory");
        let wrong: string | null;
        try {
          wrong = await bench.check(c.value);
        } catch (e) {
          wrong = `failed: ${e instanceof Error ? e.message : String(e)}`;
        }
        this.engine.flush();
        const oom = await device.popErrorScope();
        const invalid = await device.popErrorScope();
        if (invalid || oom) wrong = `GPU error: ${(invalid ?? oom)!.message}`;
        if (wrong) {
          timings[c.id] = `wrong: ${wrong}`;
          this.#log(`${key} ${c.id}: rejected (${wrong})`);
          continue;
        }
        const ms = await this.#timer(c as TuneCandidate<unknown>, () => bench.run(c.value));
        timings[c.id] = ms;
        this.#log(`${key} ${c.id}: ${ms.toPrecision(4)} ms`);
        if (ms < bestMs) {
          bestMs = ms;
          best = c;
        }
      }
    } finally {
      bench.dispose();
    }
    if (!best) throw new Error(`tuning ${key}: no candidate computed the right result (${JSON.stringify(timings)})`);
    const entry: TuneEntry = {
      choice: best.id,
      value: best.value,
      sourceHash: this.#hashOf(problem, key),
      shape: problem.shape,
      timings,
      timer: this.#timerName(),
      tunedAt: new Date().toISOString(),
    };
    this.#entries()[key] = entry;
    this.#resolved.set(key, { value: best.value });
    this.tuned++;
    if (this.#store) await this.#store.save(this.#cache);
    this.#log(`${key}: chose ${best.id}`);
    return entry;
  }
}

let active: Tuner | null = null;

/** Installs the tuner ops consult (null: built-in rules everywhere). */
export function setTuner(tuner: Tuner | null): void {
  active = tuner;
}

/** The installed tuner, or null. */
export function getTuner(): Tuner | null {
  return active;
}
