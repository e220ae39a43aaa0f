/**
 * The `deno task params` run config and its table: which backbone and method to count, and the per-component
 * trainable / total / percentage report.
 *
 * Run config JSON:
 *
 * ```jsonc
 * {
 *   "model": { "preset": "large" },          // T5 v1.1 / LM-adapt shapes: "small" | "base" | "large" | "xl"
 *   // or  "model": { "dir": "ckpt/t5-base-lm-adapt" }   (a folder with config.json; relative to the run config)
 *   // or  "model": { "config": { ...a Hugging Face config.json object... } }
 *   "method": { "preset": "hyperdecoder", "encoderAdapterDim": 64 }   // see config.ts for every key
 * }
 * ```
 * @module
 */
import { parseT5Config, T5_V1_1, type T5Config } from "../t5/config.ts";
import { type MethodConfig, parseMethodConfig } from "./config.ts";
import type { ParameterCounts } from "./parameters.ts";

/** Where the backbone's shape comes from. */
export type ModelSource = { preset: keyof typeof T5_V1_1 } | { dir: string } | { config: Record<string, unknown> };

/** A parsed run config of `deno task params`. */
export interface ParamsRunConfig {
  /** The backbone. */
  model: ModelSource;
  /** The method. */
  method: MethodConfig;
}

/** Validates a run config object (`source` names the file in errors). */
export function parseParamsRunConfig(json: unknown, source: string): ParamsRunConfig {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new Error(`${source}: expected a JSON object {"model": {...}, "method": {...}}`);
  }
  const j = json as Record<string, unknown>;
  for (const k of Object.keys(j)) {
    if (k !== "model" && k !== "method") {
      throw new Error(`${source}: unknown key "${k}"; expected "model" and "method"`);
    }
  }
  const m = j.model;
  if (typeof m !== "object" || m === null || Array.isArray(m)) {
    throw new Error(
      `${source}: "model" must be {"preset": "base"}, {"dir": "<checkpoint folder>"} or {"config": {...}}`,
    );
  }
  const keys = Object.keys(m);
  if (keys.length !== 1 || !["preset", "dir", "config"].includes(keys[0])) {
    throw new Error(
      `${source}: "model" must have exactly one of "preset", "dir" or "config", got ${JSON.stringify(keys)}`,
    );
  }
  const mm = m as Record<string, unknown>;
  let model: ModelSource;
  if (keys[0] === "preset") {
    if (typeof mm.preset !== "string" || !Object.hasOwn(T5_V1_1, mm.preset)) {
      throw new Error(
        `${source}: "model.preset" must be one of ${Object.keys(T5_V1_1).join(", ")}, got ${JSON.stringify(mm.preset)}`,
      );
    }
    model = { preset: mm.preset as keyof typeof T5_V1_1 };
  } else if (keys[0] === "dir") {
    if (typeof mm.dir !== "string" || mm.dir === "") throw new Error(`${source}: "model.dir" must be a folder path`);
    model = { dir: mm.dir };
  } else {
    if (typeof mm.config !== "object" || mm.config === null) {
      throw new Error(`${source}: "model.config" must be an object`);
    }
    model = { config: mm.config as Record<string, unknown> };
  }
  if (j.method === undefined) throw new Error(`${source}: missing "method" (e.g. {"preset": "hyperdecoder"})`);
  return { model, method: parseMethodConfig(j.method, `${source}: "method"`) };
}

/** The T5 config of a preset or inline model source (folders are read by the caller). */
export function inlineT5Config(model: ModelSource, source: string): T5Config | null {
  if ("preset" in model) return T5_V1_1[model.preset];
  if ("config" in model) return parseT5Config(model.config, `${source}: "model.config"`);
  return null;
}

function fmt(n: number): string {
  return n.toLocaleString("en-US");
}

function pct(part: number, whole: number): string {
  return whole > 0 ? `${((100 * part) / whole).toFixed(2)} %` : "-";
}

/** A plain-text table: one row per component (trainable, total, trainable share), then the totals. */
export function formatParameterCounts(counts: ParameterCounts, title = ""): string {
  const rows: string[][] = [["component", "trainable", "total", "trainable %"]];
  for (const c of counts.components) {
    rows.push([c.component, fmt(c.trainable), fmt(c.total), pct(c.trainable, c.total)]);
  }
  rows.push(["all (backbone + method)", fmt(counts.trainable), fmt(counts.total), pct(counts.trainable, counts.total)]);
  const widths = rows[0].map((_, k) => Math.max(...rows.map((r) => r[k].length)));
  const line = (r: string[]) =>
    r.map((cell, k) => (k === 0 ? cell.padEnd(widths[k]) : cell.padStart(widths[k]))).join("  ");
  const out = [title, line(rows[0]), widths.map((w) => "-".repeat(w)).join("  ")].filter((s) => s !== "");
  for (const r of rows.slice(1, -1)) out.push(line(r));
  out.push(widths.map((w) => "-".repeat(w)).join("  "), line(rows[rows.length - 1]));
  out.push(
    `trainable: ${fmt(counts.trainable)} = ${counts.percentOfBackbone.toFixed(2)} % of the ${
      fmt(counts.backbone)
    }-parameter backbone`,
  );
  return out.join("\n");
}
