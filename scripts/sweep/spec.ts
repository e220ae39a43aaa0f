/**
 * The sweep file and its expansion into cells: a base training config, overrides shared by every cell, axes whose
 * product gives the cells, and an optional explicit list of cells (each crossed with the axes). Every key is a
 * `section.field` path the train command line accepts (`--method.preset`, `--train.seed`, …), applied with the train
 * config's own override code, and every cell's config is validated before anything runs; errors name the sweep file
 * and the key's place in it (`axes["optim.lr"]`, `cells[2]["data.tasks"]`).
 *
 * ```jsonc
 * {
 *   "description": "…",
 *   "base": "../demo.json",                 // training config, relative to this file
 *   "out": "runs/sweeps/demo_grid",         // the sweep's folder (relative to the working directory)
 *   "overrides": { "train.steps": 100 },    // every cell
 *   "axes": { "method.preset": ["hyperdecoder", "adapter"], "train.seed": [1, 2] },
 *   "cells": [{ "data.tasks": ["rte"] }, { "data.tasks": ["mrpc"] }],   // optional, crossed with the axes
 *   "prepareDemoData": true,                 // write the demo mixture into missing shard folders
 *   "slurm": { "gres": "gpu:1", "time": "04:00:00" }   // see SlurmSettings
 * }
 * ```
 * @module
 */
import { dirname, join, resolve } from "@std/path";
import { parseMethodConfig } from "@hyperdecoders/models";
import { applyOverrides, type Json, type PaperCell, resolveConfig, type TrainConfig } from "@hyperdecoders/train";

/** How the slurm executor asks for resources (every field has a default; `null` leaves a directive out). */
export interface SlurmSettings {
  /** `--partition` (null: the cluster's default). */
  partition: string | null;
  /** `--gres` of each array task, e.g. "gpu:1" (null: no gres, for CPU-only nodes such as the local test cluster). */
  gres: string | null;
  /** `--time` of each array task. */
  time: string;
  /** `--cpus-per-task` (also the thread count of a software adapter, LP_NUM_THREADS). */
  cpusPerTask: number;
  /** `--mem` (null: the cluster's default). */
  mem: string | null;
  /** `--signal`: "B:TERM@120" sends SIGTERM to the task 120 s before its time limit, so that it checkpoints first. */
  signal: string;
  /** At most this many array tasks at once (`--array=…%N`; null: no limit). */
  maxParallel: number | null;
  /** `--time` of the report job. */
  reportTime: string;
  /** More `#SBATCH` arguments, verbatim (e.g. "--account=nlp", "--constraint=a100"). */
  extra: string[];
  /** After submitting, wait for the report job and print the results table. */
  wait: boolean;
}

/** A parsed sweep file. */
export interface SweepSpec {
  /** What the sweep is for. */
  description: string;
  /** The base training config (absolute path). */
  base: string;
  /** The sweep's folder, as written in the file (relative to the working directory). */
  out: string;
  /** Overrides shared by every cell (`section.field` → value). */
  overrides: Record<string, unknown>;
  /** Axes: `section.field` → the values it takes; the cells are their product. */
  axes: Record<string, unknown[]>;
  /** Explicit cells (`section.field` → value), each crossed with the axes; empty: the axes alone. */
  cells: Record<string, unknown>[];
  /** Write the built-in demo mixture into shard folders that do not hold a prepared dataset yet. */
  prepareDemoData: boolean;
  /** Resources of the slurm executor. */
  slurm: SlurmSettings;
  /**
   * A command run after the per-cell table is written (the report job, and the end of a local sweep): `{dir}` is
   * replaced by the sweep's folder. This is the hook for the paper's tables (`deno task report`).
   */
  reportCommand: string[] | null;
  /**
   * Where each cell belongs in one of the paper's tables, for `deno task report`: `{path}` in `row` and `column` is
   * replaced by the cell's value of that setting (method settings as the method config resolves them, so that
   * `{method.encoder}` works for a preset such as "none/manual").
   */
  paper: PaperTemplate | null;
}

/** A cell's place in a paper table, with `{section.field}` placeholders. */
export interface PaperTemplate {
  /** Table number ("8"). */
  table: string;
  /** Row label template. */
  row: string;
  /** Column label template (null: the table's only score column). */
  column: string | null;
}

/** One cell of a sweep: its overrides, its folder and its resolved config. */
export interface SweepCell {
  /** Position in the expansion (the slurm array index). */
  index: number;
  /** Folder name: the varying settings, e.g. `preset=adapter,seed=2`. */
  name: string;
  /** The settings that vary between cells (`section.field` → value). */
  overrides: Record<string, unknown>;
  /** Run folder, relative to the working directory (the cell's `output.dir`). */
  dir: string;
  /** The resolved training config. */
  config: TrainConfig;
  /** Its place in a paper table (null: the sweep names none). */
  paper: { table: string; row: string; column: string | null } | null;
}

/** Defaults of {@link SlurmSettings}. */
export const SLURM_DEFAULTS: SlurmSettings = {
  partition: null,
  gres: "gpu:1",
  time: "04:00:00",
  cpusPerTask: 4,
  mem: null,
  signal: "B:TERM@120",
  maxParallel: null,
  reportTime: "00:20:00",
  extra: [],
  wait: false,
};

const TOP_KEYS = [
  "$schema",
  "description",
  "base",
  "out",
  "overrides",
  "axes",
  "cells",
  "prepareDemoData",
  "slurm",
  "reportCommand",
  "paper",
];

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function fail(source: string, where: string, message: string): never {
  throw new Error(`${source}: ${where} ${message}`);
}

function checkKeyPath(source: string, where: string, key: string): void {
  if (!/^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)+$/.test(key)) {
    fail(source, where, `is not a "section.field" path like "train.seed" or "method.preset"`);
  }
  if (key === "output.dir") fail(source, where, "is set by the sweep (each cell gets its own folder under out)");
}

function parseSlurm(v: unknown, source: string): SlurmSettings {
  if (v === undefined) return { ...SLURM_DEFAULTS };
  if (!isObject(v)) fail(source, `"slurm"`, "must be an object");
  for (const k of Object.keys(v)) {
    if (!(k in SLURM_DEFAULTS)) {
      fail(source, `slurm.${k}`, `is not a setting (known: ${Object.keys(SLURM_DEFAULTS).join(", ")})`);
    }
  }
  const s = { ...SLURM_DEFAULTS, ...v } as SlurmSettings;
  const str = (k: keyof SlurmSettings, nullable: boolean) => {
    const x = s[k];
    if (!(typeof x === "string" && x.length > 0) && !(nullable && x === null)) {
      fail(source, `slurm.${k}`, nullable ? "must be a string or null" : "must be a non-empty string");
    }
  };
  str("partition", true);
  str("gres", true);
  str("time", false);
  str("mem", true);
  str("signal", false);
  str("reportTime", false);
  if (!Number.isInteger(s.cpusPerTask) || s.cpusPerTask < 1) fail(source, "slurm.cpusPerTask", "must be ≥ 1");
  if (s.maxParallel !== null && (!Number.isInteger(s.maxParallel) || s.maxParallel < 1)) {
    fail(source, "slurm.maxParallel", "must be null or ≥ 1");
  }
  if (!Array.isArray(s.extra) || !s.extra.every((x) => typeof x === "string" && x.startsWith("-"))) {
    fail(source, "slurm.extra", 'must list sbatch options such as "--account=nlp"');
  }
  if (typeof s.wait !== "boolean") fail(source, "slurm.wait", "must be true or false");
  return s;
}

/** Validates a sweep file's JSON; `source` is its path (relative paths in it are resolved against its folder). */
export function parseSweepSpec(json: unknown, source: string): SweepSpec {
  if (!isObject(json)) throw new Error(`${source}: expected a JSON object`);
  for (const k of Object.keys(json)) {
    if (!TOP_KEYS.includes(k)) {
      fail(source, `"${k}"`, `is not a sweep setting (known: ${TOP_KEYS.slice(1).join(", ")})`);
    }
  }
  if (typeof json.base !== "string" || json.base.length === 0) {
    fail(source, `"base"`, "must name the base training config (a path relative to the sweep file)");
  }
  if (typeof json.out !== "string" || json.out.length === 0) fail(source, `"out"`, "must name the sweep's folder");
  const overrides = json.overrides ?? {};
  if (!isObject(overrides)) fail(source, `"overrides"`, 'must be an object of "section.field": value');
  for (const k of Object.keys(overrides)) checkKeyPath(source, `overrides["${k}"]`, k);
  const axes = json.axes ?? {};
  if (!isObject(axes)) fail(source, `"axes"`, 'must be an object of "section.field": [values]');
  for (const [k, values] of Object.entries(axes)) {
    checkKeyPath(source, `axes["${k}"]`, k);
    if (!Array.isArray(values) || values.length === 0) {
      fail(source, `axes["${k}"]`, "must be a non-empty list of values");
    }
    if (k in overrides) fail(source, `axes["${k}"]`, "is also in overrides; keep it in one place");
  }
  const cells = json.cells ?? [];
  if (!Array.isArray(cells)) fail(source, `"cells"`, 'must be a list of objects of "section.field": value');
  cells.forEach((c, i) => {
    if (!isObject(c)) fail(source, `cells[${i}]`, 'must be an object of "section.field": value');
    for (const k of Object.keys(c)) {
      checkKeyPath(source, `cells[${i}]["${k}"]`, k);
      if (k in axes) fail(source, `cells[${i}]["${k}"]`, "is also an axis; keep it in one place");
    }
  });
  const keys = new Set([...Object.keys(axes), ...cells.flatMap((c) => Object.keys(c as Json))]);
  if (keys.size === 0) fail(source, `"axes"`, 'and "cells" are both empty: a sweep needs at least one of them');
  if (json.prepareDemoData !== undefined && typeof json.prepareDemoData !== "boolean") {
    fail(source, `"prepareDemoData"`, "must be true or false");
  }
  const report = json.reportCommand ?? null;
  if (report !== null && !(Array.isArray(report) && report.length > 0 && report.every((x) => typeof x === "string"))) {
    fail(source, `"reportCommand"`, 'must be null or a command as a list of strings, e.g. ["deno", "task", …]');
  }
  let paper: PaperTemplate | null = null;
  if (json.paper !== undefined && json.paper !== null) {
    const p = json.paper as Json;
    const ok = isObject(p) && (typeof p.table === "string" || typeof p.table === "number") &&
      typeof p.row === "string" && (p.column === undefined || p.column === null || typeof p.column === "string");
    if (!ok) {
      fail(source, `"paper"`, 'must be { "table": "8", "row": "{method.encoder}", "column"?: "{method.decoder}" }');
    }
    paper = { table: String(p.table), row: p.row as string, column: (p.column as string | undefined) ?? null };
  }
  return {
    description: typeof json.description === "string" ? json.description : "",
    base: resolve(dirname(source), json.base),
    out: json.out,
    overrides: overrides as Record<string, unknown>,
    axes: axes as Record<string, unknown[]>,
    cells: cells as Record<string, unknown>[],
    prepareDemoData: json.prepareDemoData === true,
    slurm: parseSlurm(json.slurm, source),
    reportCommand: report as string[] | null,
    paper,
  };
}

function valueLabel(v: unknown): string {
  if (Array.isArray(v)) return v.map(valueLabel).join("+");
  if (isObject(v)) return JSON.stringify(v);
  return String(v);
}

/** A folder name for a cell: `label=value` for each varying setting, joined by commas. */
export function cellName(overrides: Record<string, unknown>): string {
  const keys = Object.keys(overrides);
  if (keys.length === 0) return "run";
  const last = (k: string) => k.slice(k.lastIndexOf(".") + 1);
  const clash = (k: string) => keys.some((o) => o !== k && last(o) === last(k));
  const name = keys
    .map((k) => `${clash(k) ? k : last(k)}=${valueLabel(overrides[k])}`)
    .join(",")
    .replace(/[^A-Za-z0-9._+=,-]/g, "_");
  return name.length > 120 ? name.slice(0, 120) : name;
}

/** Where each key of a cell came from, for error messages. */
function origin(spec: SweepSpec, key: string, cell: number | null): string {
  if (key in spec.axes) return `axes["${key}"]`;
  if (cell !== null && key in spec.cells[cell]) return `cells[${cell}]["${key}"]`;
  return `overrides["${key}"]`;
}

/** Fills a paper template's `{section.field}` placeholders from a cell's config (method: as resolved). */
function placeOf(
  t: PaperTemplate,
  config: TrainConfig,
  method: Record<string, unknown>,
  where: string,
): { table: string; row: string; column: string | null } {
  const fill = (template: string) =>
    template.replace(/\{([\w.]+)\}/g, (_, path: string) => {
      const [section, ...rest] = path.split(".");
      let v: unknown = section === "method" ? method : (config as unknown as Json)[section];
      for (const k of rest) v = isObject(v) ? v[k] : undefined;
      if (v === undefined) throw new Error(`${where}: {${path}} is not a setting of the cells' configs`);
      return valueLabel(v);
    });
  return { table: t.table, row: fill(t.row), column: t.column === null ? null : fill(t.column) };
}

/**
 * Expands a sweep into its cells: every explicit cell (or one empty cell) × the product of the axes, the last axis
 * varying fastest. Each cell's config is the base config with the shared overrides, the cell's settings and its own
 * `output.dir` applied, resolved and validated (including the method); errors name the sweep file, the cell and the
 * key's place in the file.
 */
export function expandSweep(spec: SweepSpec, base: Json, source: string): SweepCell[] {
  const explicit: [number | null, Record<string, unknown>][] = spec.cells.length > 0
    ? spec.cells.map((c, i) => [i, c])
    : [[null, {}]];
  let combos: Record<string, unknown>[] = [{}];
  for (const [key, values] of Object.entries(spec.axes)) {
    combos = combos.flatMap((c) => values.map((v) => ({ ...c, [key]: v })));
  }
  const cells: SweepCell[] = [];
  const names = new Map<string, number>();
  for (const [from, fixed] of explicit) {
    for (const combo of combos) {
      const index = cells.length;
      const overrides = { ...fixed, ...combo };
      let name = cellName(overrides);
      if (names.has(name)) name = `${name}-${index}`;
      names.set(name, index);
      const dir = join(spec.out, "runs", name);
      const all = { ...spec.overrides, ...overrides };
      let merged: Json = base;
      for (const [key, value] of Object.entries(all)) {
        try {
          merged = applyOverrides(merged, [[key, JSON.stringify(value)]]);
        } catch (e) {
          const message = (e as Error).message.replace(/^--\S+: /, "");
          throw new Error(`${source}: ${origin(spec, key, from)}: ${message}`);
        }
      }
      merged = applyOverrides(merged, [["output.dir", JSON.stringify(dir)]]);
      const where = `${source} (cell ${name})`;
      // resolveConfig names the field ("optim.lr"); say which entry of the sweep file set it.
      const blame = (e: unknown, culprits: string[]): never => {
        const message = (e as Error).message;
        const from_ = culprits.map((k) => origin(spec, k, from)).join(", ");
        throw new Error(culprits.length > 0 ? `${message} (set by ${from_})` : message);
      };
      let config: TrainConfig;
      try {
        config = resolveConfig(merged, where);
      } catch (e) {
        const field = /"([\w.]+)"/.exec((e as Error).message.slice(where.length))?.[1] ?? "";
        blame(e, Object.keys(all).filter((k) => field !== "" && (k === field || k.startsWith(`${field}.`))));
      }
      let method: Record<string, unknown> = {};
      try {
        method = {
          ...parseMethodConfig({ ...config!.method, tasks: config!.data.tasks ?? ["task"] }, `${where} method`),
        };
      } catch (e) {
        blame(e, Object.keys(all).filter((k) => k.startsWith("method.")));
      }
      const paper = spec.paper ? placeOf(spec.paper, config!, method, `${source}: "paper"`) : null;
      // The run's own config names its place, as `deno task report` reads it (it replaces the base config's).
      if (paper) {
        config!.paper = paper.column === null ? { table: paper.table, row: paper.row } : { ...paper } as PaperCell;
      }
      cells.push({ index, name, overrides, dir, config: config!, paper });
    }
  }
  return cells;
}
