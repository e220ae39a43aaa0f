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
 *   "output": { "dir": "runs/demo", "keepLast": 2 },
 *   "paper": { "table": "8", "row": "manual", "column": "generated" }   // optional, see PaperCell
 * }
 * ```
 * @module
 */

import { T5_SHAPES } from "@hyperdecoders/models";

/** Where the base model comes from. */
export interface ModelConfig {
  /** A Hugging Face T5 folder (config.json + weights). */
  checkpoint?: string | null;
  /** Or a shape preset, randomly initialised ("tiny" is the demo's). */
  preset?: string | null;
  /**
   * The shape the checkpoint is expected to have (T5 v1.1 "small", "base", "large", "xl", or v1.0 "v1.0-base" …,
   * `T5_SHAPES`): checked when the checkpoint loads, and used by `deno task params` before it is downloaded.
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

/**
 * Which cell of the paper a run fills: `table` ("1" … "16"), `row` (the row label as the paper prints it) and, where
 * the table has method columns (the encoder × decoder grid of Tables 8 and 13), `column`. `deno task report` groups
 * runs by it. A run whose numbers appear in several tables (e.g. MRQA's in- and out-of-domain Tables 4 and 5) lists
 * one cell per table.
 */
export interface PaperCell {
  /** Table number, as a string ("1", "8", "14"). */
  table: string;
  /** Row label as in the paper. */
  row: string;
  /** Column label, where the table's method axis has columns. */
  column?: string;
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
  /** The paper's table cell(s) this run reproduces (absent for runs of your own). */
  paper?: PaperCell | PaperCell[];
}

/** The cells of `config.paper` as a list (empty when the config names none). */
export function paperCells(config: Pick<TrainConfig, "paper">): PaperCell[] {
  const p = config.paper;
  return p === undefined || p === null ? [] : Array.isArray(p) ? p : [p];
}

function checkPaper(value: unknown, source: string): void {
  const cells = Array.isArray(value) ? value : [value];
  const shape = 'must be {"table": "<N>", "row": "<row label>", "column"?: "<column label>"} or a list of them';
  check(cells.length > 0, "paper", shape, source);
  cells.forEach((cell, i) => {
    const field = Array.isArray(value) ? `paper[${i}]` : "paper";
    check(isObject(cell), field, shape, source);
    const c = cell as Json;
    for (const k of Object.keys(c)) {
      check(["table", "row", "column"].includes(k), `${field}.${k}`, `is not a field; ${field} ${shape}`, source);
    }
    check(
      typeof c.table === "string" && /^\d+$/.test(c.table),
      `${field}.table`,
      'must be a table number as a string, e.g. "8"',
      source,
    );
    check(
      typeof c.row === "string" && c.row.length > 0,
      `${field}.row`,
      "must be the row label as in the paper",
      source,
    );
    check(
      c.column === undefined || (typeof c.column === "string" && c.column.length > 0),
      `${field}.column`,
      "must be a column label (or left out)",
      source,
    );
  });
}

/** Defaults: the paper's optimisation settings (AdamW, lr 3e-4, 500 warm-up steps, linear decay) and, where the paper
 * is silent (clipping, label smoothing, loss reduction), the reference code's trainer; README.md, "Training and
 * evaluation". */
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

/** Fields of each fixed section (`method` is checked by the models package; `model.overrides` by the T5 config). */
const KNOWN: Record<string, readonly string[]> = {
  model: ["checkpoint", "preset", "shape", "overrides", "seed"],
  data: Object.keys(DEFAULTS.data),
  optim: Object.keys(DEFAULTS.optim),
  train: Object.keys(DEFAULTS.train),
  eval: Object.keys(DEFAULTS.eval),
  output: Object.keys(DEFAULTS.output),
};

/** Settings whose value is an open JSON object: any key below them is passed on. */
const OPEN = new Set(["method", "model.overrides"]);

/** Top-level keys besides the sections that a config file may carry. */
const TOP_EXTRA = ["$schema", "description", "paper"];

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length][b.length];
}

/** " (did you mean "x"?)" for the closest of `known` when it is close enough, else "". */
export function didYouMean(key: string, known: readonly string[]): string {
  let best = "";
  let bestD = Infinity;
  for (const k of known) {
    const dist = editDistance(key.toLowerCase(), k.toLowerCase());
    if (dist < bestD) [best, bestD] = [k, dist];
  }
  return bestD <= Math.max(2, Math.floor(key.length / 3)) ? ` (did you mean "${best}"?)` : "";
}

function unknownKey(path: string, key: string, known: readonly string[]): string {
  const where = path ? `"${path}.${key}"` : `"${key}"`;
  return `unknown setting ${where}${didYouMean(key, known)}; known${path ? ` in "${path}"` : ""}: ${known.join(", ")}`;
}

/** Checks every key of a config object at every depth; returns the first problem, naming its dotted path. */
function findUnknownKey(input: Json): string | undefined {
  const sections = Object.keys(DEFAULTS);
  for (const [key, value] of Object.entries(input)) {
    if (TOP_EXTRA.includes(key)) continue;
    if (!sections.includes(key)) return unknownKey("", key, sections);
    if (OPEN.has(key) || !(key in KNOWN)) continue;
    if (!isObject(value)) continue; // reported with the section's type
    for (const [field, v] of Object.entries(value)) {
      if (!KNOWN[key].includes(field)) return unknownKey(key, field, KNOWN[key]);
      if (OPEN.has(`${key}.${field}`) && v !== undefined && v !== null && !isObject(v)) {
        return `"${key}.${field}" must be a JSON object`;
      }
    }
  }
  return undefined;
}

/**
 * Applies `--a.b.c value` overrides (already split into [path, value] pairs). Every component of the path is checked
 * as a config file's keys are (unknown ones are errors naming the flag, with a suggestion); keys below `method` and
 * `model.overrides` are open.
 */
export function applyOverrides(config: Json, overrides: [string, string][]): Json {
  let out = config;
  for (const [path, raw] of overrides) {
    const keys = path.split(".");
    if (keys.some((k) => k === "")) throw new Error(`--${path}: empty component in the setting's path`);
    const [section, field] = keys;
    if (!(section in DEFAULTS)) throw new Error(`--${path}: ${unknownKey("", section, Object.keys(DEFAULTS))}`);
    if (field !== undefined && !OPEN.has(section)) {
      const known = KNOWN[section];
      if (known === undefined) throw new Error(`--${path}: "${section}" is a single value, not a section`);
      if (!known.includes(field)) throw new Error(`--${path}: ${unknownKey(section, field, known)}`);
      if (keys.length > 2 && !OPEN.has(`${section}.${field}`)) {
        throw new Error(`--${path}: "${section}.${field}" is a single value, not a section`);
      }
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

function optString(v: unknown): boolean {
  return v === null || v === undefined || typeof v === "string";
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
  for (const section of ["model", "data", "optim", "train", "eval", "output"] as const) {
    const given = input[section];
    if (given !== undefined) check(isObject(given), section, "must be an object", source);
  }
  const unknown = findUnknownKey(input);
  if (unknown) throw new Error(`${source}: ${unknown}`);
  if (input.paper !== undefined) checkPaper(input.paper, source);
  const c = mergeConfig(DEFAULTS as unknown as Json, input) as unknown as TrainConfig;
  const m = c.model;
  check(Boolean(m.checkpoint) !== Boolean(m.preset), "model", 'needs exactly one of "checkpoint" or "preset"', source);
  check(
    m.shape === null || m.shape === undefined || Object.hasOwn(T5_SHAPES, m.shape),
    "model.shape",
    'must be "small", "base", "large" or "xl" (T5 v1.1 / LM-adapt shapes) or "v1.0-small", "v1.0-base", "v1.0-large"',
    source,
  );
  check(optString(m.checkpoint), "model.checkpoint", "must be a folder path or null", source);
  check(optString(m.preset), "model.preset", "must be a preset name or null", source);
  check(
    m.overrides === undefined || m.overrides === null || isObject(m.overrides),
    "model.overrides",
    "must be a JSON object",
    source,
  );
  check(Number.isInteger(m.seed), "model.seed", "must be an integer", source);
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
  check(
    c.data.tasks === null || (Array.isArray(c.data.tasks) && c.data.tasks.every((t) => typeof t === "string")),
    "data.tasks",
    "must be null or a list of task names",
    source,
  );
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
  check(typeof t.dropout === "boolean", "train.dropout", "must be true or false", source);
  const e = c.eval;
  check(Number.isInteger(e.every) && e.every >= 0, "eval.every", "must be an integer ≥ 0", source);
  check(
    typeof e.split === "string" && e.split.length > 0,
    "eval.split",
    'must be a split name, e.g. "validation"',
    source,
  );
  check(
    typeof e.bestMetric === "string" && e.bestMetric.length > 0,
    "eval.bestMetric",
    "must be a metric name",
    source,
  );
  check(typeof e.atEnd === "boolean", "eval.atEnd", "must be true or false", source);
  check(e.maxExamples === null || posInt(e.maxExamples), "eval.maxExamples", "must be null or > 0", source);
  check(e.numBeams === null || posInt(e.numBeams), "eval.numBeams", "must be null or > 0", source);
  check(e.maxNewTokens === null || posInt(e.maxNewTokens), "eval.maxNewTokens", "must be null or > 0", source);
  check(typeof c.output.dir === "string" && c.output.dir.length > 0, "output.dir", "must be a folder path", source);
  check(posInt(c.output.keepLast), "output.keepLast", "must be a positive integer", source);
  return c;
}
