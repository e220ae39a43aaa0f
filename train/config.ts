/**
 * The experiment configuration: one JSON schema for model, method, data, optimisation, evaluation and output, with
 * defaults, validation whose errors name the field, and `--a.b.c value` overrides from the command line.
 *
 * ```jsonc
 * {
 *   "model": { "checkpoint": "path/to/t5-dir", "shape": "large" } | { "preset": "tiny" | "small" | "base" | "large" | "xl", "seed": 0 },
 *   "tokenizer": "path/to/spiece.model | tokenizer.json | dir",
 *   "method": { "preset": "hyperdecoder", "encoderAdapterDim": 64, "decoderAdapterDim": 64, "bottleneck": 128 },
 *   "data": { "shards": ["data/demo"], "tasks": null, "maxSourceLength": 128, "maxTargetLength": 16,
 *             "temperature": 1, "shuffleBuffer": 10000, "bucketBatches": 1 },
 *   "optim": { "lr": 3e-4, "warmupSteps": 500, "weightDecay": 0, "clipNorm": 1, "betas": [0.9, 0.999], "eps": 1e-8,
 *              "adamw": "transformers", "labelSmoothing": 0.1, "lossReduction": "sum" },
 *   "train": { "batchSize": 32, "gradAccumulation": 1, "steps": 1000, "epochs": null, "dropout": true,
 *              "logEvery": 10, "seed": 42 },
 *   "eval": { "every": 1000, "split": "validation", "maxExamples": null, "numBeams": null, "maxNewTokens": null,
 *             "bestMetric": "average", "atEnd": true },
 *   "output": { "dir": "runs/demo", "keepLast": 2 }
 * }
 * ```
 * @module
 */

/** Where the base model comes from. */
export interface ModelConfig {
  /** A Hugging Face T5 folder (config.json + weights). */
  checkpoint?: string | null;
  /** Or a shape preset, randomly initialised ("tiny" is the demo's). */
  preset?: string | null;
  /**
   * The T5 v1.1 shape the checkpoint is expected to have ("small", "base", "large", "xl"): checked when the checkpoint
   * loads, and used by `deno task params` before the checkpoint is downloaded.
   */
  shape?: string | null;
  /** Hugging Face config fields overriding the preset (random init only). */
  overrides?: Record<string, unknown>;
  /** Seed of the random init. */
  seed: number;
}

/** A dataset prepared on first use (see train/hub_config.ts): a task and its input files. */
export interface DataSource {
  /** Registry task (cola, …, mrqa, xsum, anli, …). */
  task: string;
  /** Input(s) as `deno task data prepare --input` takes them: a path, URL or `hf://datasets/<org>/<name>/<glob>`. */
  input: string | string[];
  /** Options of `prepareDataset` (e.g. `{ "split": { "mnliTest": "matched" } }`). */
  options?: Record<string, unknown>;
}

/** Data settings. */
export interface DataConfig {
  /** Prepared shard folders (each with manifest.json). */
  shards: string[];
  /** Datasets prepared into a cache on first use and added to `shards` (may replace them). */
  sources?: DataSource[];
  /** Restrict to these task names (null: every task in the shards). */
  tasks: string[] | null;
  /** Source tokens kept (including </s>). */
  maxSourceLength: number;
  /** Target tokens kept (including </s>). */
  maxTargetLength: number;
  /** Mixing temperature (1 = proportional to size, as the paper). */
  temperature: number;
  /** Examples per task held in the shuffle buffer. */
  shuffleBuffer: number;
  /** Length bucketing: pools of this many batches sorted by length (1 = off). */
  bucketBatches: number;
}

/** Optimisation settings. */
export interface OptimConfig {
  /** Peak learning rate. */
  lr: number;
  /** Linear warmup steps. */
  warmupSteps: number;
  /** Decoupled weight decay. */
  weightDecay: number;
  /** Global gradient-norm clip (0 = off). */
  clipNorm: number;
  /** Adam betas. */
  betas: [number, number];
  /** Adam epsilon. */
  eps: number;
  /** Update rule: "transformers" (the paper's `transformers.AdamW`) or "torch". */
  adamw: "transformers" | "torch";
  /** Label smoothing ε (0.1 in the paper's configs). */
  labelSmoothing: number;
  /** "sum" over target tokens (the reference trainer) or "mean". */
  lossReduction: "sum" | "mean";
}

/** Training-loop settings. */
export interface TrainLoopConfig {
  /** Examples per micro-batch. */
  batchSize: number;
  /** Micro-batches per optimiser step. */
  gradAccumulation: number;
  /** Optimiser steps (or null with epochs). */
  steps: number | null;
  /** Epochs over the training mixture (used when steps is null). */
  epochs: number | null;
  /** Dropout in the backbone during training (T5's dropout_rate). */
  dropout: boolean;
  /** Read back and log the loss every N steps. */
  logEvery: number;
  /** Seed of dropout and data order. */
  seed: number;
}

/** Evaluation settings. */
export interface EvalConfig {
  /** Evaluate every N steps (0: only at the end). */
  every: number;
  /** Split evaluated during training. */
  split: string;
  /** Cap on examples per task (null: all). */
  maxExamples: number | null;
  /** Beams (null: the task's own setting). */
  numBeams: number | null;
  /** New tokens (null: the task's own setting). */
  maxNewTokens: number | null;
  /** Checkpoint-selection metric ("average" = the paper's average). */
  bestMetric: string;
  /** Evaluate the final model on the validation and test splits. */
  atEnd: boolean;
}

/** Output settings. */
export interface OutputConfig {
  /** Everything is written here. */
  dir: string;
  /** Step checkpoints kept (the best is kept in addition). */
  keepLast: number;
}

/** The whole configuration. */
export interface TrainConfig {
  /** Base model. */
  model: ModelConfig;
  /** Tokenizer file or folder. */
  tokenizer: string;
  /** Method (adapter placement and sizes), validated by the models package. */
  method: Record<string, unknown>;
  /** Data. */
  data: DataConfig;
  /** Optimisation. */
  optim: OptimConfig;
  /** Loop. */
  train: TrainLoopConfig;
  /** Evaluation. */
  eval: EvalConfig;
  /** Output. */
  output: OutputConfig;
}

/** Defaults: the paper's optimisation settings (method.md §7). */
export const DEFAULTS: TrainConfig = {
  model: { checkpoint: null, preset: null, shape: null, seed: 0 },
  tokenizer: "",
  method: { preset: "hyperdecoder" },
  data: {
    shards: [],
    sources: [],
    tasks: null,
    maxSourceLength: 128,
    maxTargetLength: 128,
    temperature: 1,
    shuffleBuffer: 10_000,
    bucketBatches: 1,
  },
  optim: {
    lr: 3e-4,
    warmupSteps: 500,
    weightDecay: 0,
    clipNorm: 1,
    betas: [0.9, 0.999],
    eps: 1e-8,
    adamw: "transformers",
    labelSmoothing: 0.1,
    lossReduction: "sum",
  },
  train: { batchSize: 32, gradAccumulation: 1, steps: 1000, epochs: null, dropout: true, logEvery: 10, seed: 42 },
  eval: {
    every: 1000,
    split: "validation",
    maxExamples: null,
    numBeams: null,
    maxNewTokens: null,
    bestMetric: "average",
    atEnd: true,
  },
  output: { dir: "runs/default", keepLast: 2 },
};

/** A JSON object, as a config file holds. */
export type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Deep-merges `over` into `base` (objects merge, everything else replaces). */
export function mergeConfig(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = isObject(v) && isObject(base[k]) ? mergeConfig(base[k] as Json, v) : v;
  }
  return out;
}

/** Parses a command-line value: JSON when it parses (numbers, booleans, null, arrays), else the string. */
export function parseFlagValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Applies `--a.b.c value` overrides (already split into [path, value] pairs). Unknown top-level sections and
 * unknown fields of fixed sections are errors naming the flag.
 */
export function applyOverrides(config: Json, overrides: [string, string][]): Json {
  let out = config;
  for (const [path, raw] of overrides) {
    const keys = path.split(".");
    const section = keys[0];
    if (!(section in DEFAULTS)) {
      throw new Error(`--${path}: unknown setting "${section}" (known: ${Object.keys(DEFAULTS).join(", ")})`);
    }
    const fixed = DEFAULTS[section as keyof TrainConfig];
    if (keys.length > 1 && isObject(fixed) && section !== "method" && !(keys[1] in fixed)) {
      throw new Error(
        `--${path}: unknown field "${keys[1]}" of "${section}" (known: ${Object.keys(fixed).join(", ")})`,
      );
    }
    let patch: unknown = parseFlagValue(raw);
    for (let i = keys.length - 1; i >= 0; i--) patch = { [keys[i]]: patch };
    out = mergeConfig(out, patch as Json);
  }
  return out;
}

function check(cond: boolean, field: string, message: string, source: string): void {
  if (!cond) throw new Error(`${source}: "${field}" ${message}`);
}

function posInt(v: unknown): boolean {
  return typeof v === "number" && Number.isInteger(v) && v > 0;
}

function nonNegNumber(v: unknown): boolean {
  return typeof v === "number" && Number.isFinite(v) && v >= 0;
}

/** Fills defaults and validates; errors name the field and the source (file or "flags"). */
export function resolveConfig(input: unknown, source = "config"): TrainConfig {
  if (!isObject(input)) throw new Error(`${source}: expected a JSON object`);
  for (const key of Object.keys(input)) {
    if (!(key in DEFAULTS) && key !== "$schema" && key !== "description") {
      throw new Error(`${source}: unknown setting "${key}" (known: ${Object.keys(DEFAULTS).join(", ")})`);
    }
  }
  for (const section of ["data", "optim", "train", "eval", "output"] as const) {
    const given = input[section];
    if (given === undefined) continue;
    check(isObject(given), section, "must be an object", source);
    for (const key of Object.keys(given as Json)) {
      if (!(key in DEFAULTS[section])) {
        throw new Error(
          `${source}: unknown field "${section}.${key}" (known: ${Object.keys(DEFAULTS[section]).join(", ")})`,
        );
      }
    }
  }
  const c = mergeConfig(DEFAULTS as unknown as Json, input) as unknown as TrainConfig;
  const m = c.model;
  check(Boolean(m.checkpoint) !== Boolean(m.preset), "model", 'needs exactly one of "checkpoint" or "preset"', source);
  check(
    m.shape === null || m.shape === undefined || ["small", "base", "large", "xl"].includes(m.shape),
    "model.shape",
    'must be "small", "base", "large" or "xl" (T5 v1.1 / LM-adapt shapes)',
    source,
  );
  check(typeof c.tokenizer === "string" && c.tokenizer.length > 0, "tokenizer", "must name a tokenizer file", source);
  check(isObject(c.method), "method", "must be an object", source);
  const sources = c.data.sources ?? [];
  check(
    Array.isArray(sources) &&
      sources.every((s) =>
        isObject(s) && typeof s.task === "string" &&
        (typeof s.input === "string" || (Array.isArray(s.input) && s.input.every((i) => typeof i === "string")))
      ),
    "data.sources",
    'must be a list of { "task": <name>, "input": <path | hf://datasets/...> }',
    source,
  );
  check(
    Array.isArray(c.data.shards) && (c.data.shards.length > 0 || sources.length > 0) &&
      c.data.shards.every((s) => typeof s === "string"),
    "data.shards",
    "must list at least one prepared shard folder (or give data.sources)",
    source,
  );
  check(c.data.tasks === null || Array.isArray(c.data.tasks), "data.tasks", "must be null or a list", source);
  check(posInt(c.data.maxSourceLength), "data.maxSourceLength", "must be a positive integer", source);
  check(posInt(c.data.maxTargetLength), "data.maxTargetLength", "must be a positive integer", source);
  check(nonNegNumber(c.data.temperature) && c.data.temperature > 0, "data.temperature", "must be > 0", source);
  check(posInt(c.data.shuffleBuffer), "data.shuffleBuffer", "must be a positive integer", source);
  check(posInt(c.data.bucketBatches), "data.bucketBatches", "must be a positive integer", source);
  const o = c.optim;
  check(nonNegNumber(o.lr) && o.lr > 0, "optim.lr", "must be > 0", source);
  check(Number.isInteger(o.warmupSteps) && o.warmupSteps >= 0, "optim.warmupSteps", "must be an integer ≥ 0", source);
  check(nonNegNumber(o.weightDecay), "optim.weightDecay", "must be ≥ 0", source);
  check(nonNegNumber(o.clipNorm), "optim.clipNorm", "must be ≥ 0 (0 = off)", source);
  check(
    Array.isArray(o.betas) && o.betas.length === 2 && o.betas.every((b) => nonNegNumber(b) && b < 1),
    "optim.betas",
    "must be two numbers in [0, 1)",
    source,
  );
  check(nonNegNumber(o.eps) && o.eps > 0, "optim.eps", "must be > 0", source);
  check(o.adamw === "transformers" || o.adamw === "torch", "optim.adamw", 'must be "transformers" or "torch"', source);
  check(
    nonNegNumber(o.labelSmoothing) && o.labelSmoothing < 1,
    "optim.labelSmoothing",
    "must be in [0, 1)",
    source,
  );
  check(
    o.lossReduction === "sum" || o.lossReduction === "mean",
    "optim.lossReduction",
    'must be "sum" or "mean"',
    source,
  );
  const t = c.train;
  check(posInt(t.batchSize), "train.batchSize", "must be a positive integer", source);
  check(posInt(t.gradAccumulation), "train.gradAccumulation", "must be a positive integer", source);
  check((t.steps === null) !== (t.epochs === null), "train", 'needs exactly one of "steps" or "epochs"', source);
  check(t.steps === null || posInt(t.steps), "train.steps", "must be a positive integer", source);
  check(t.epochs === null || (nonNegNumber(t.epochs) && t.epochs > 0), "train.epochs", "must be > 0", source);
  check(posInt(t.logEvery), "train.logEvery", "must be a positive integer", source);
  check(Number.isInteger(t.seed), "train.seed", "must be an integer", source);
  const e = c.eval;
  check(Number.isInteger(e.every) && e.every >= 0, "eval.every", "must be an integer ≥ 0", source);
  check(e.maxExamples === null || posInt(e.maxExamples), "eval.maxExamples", "must be null or > 0", source);
  check(e.numBeams === null || posInt(e.numBeams), "eval.numBeams", "must be null or > 0", source);
  check(e.maxNewTokens === null || posInt(e.maxNewTokens), "eval.maxNewTokens", "must be null or > 0", source);
  check(typeof c.output.dir === "string" && c.output.dir.length > 0, "output.dir", "must be a folder path", source);
  check(posInt(c.output.keepLast), "output.keepLast", "must be a positive integer", source);
  return c;
}
