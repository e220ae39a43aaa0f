/**
 * A sweep's results as tables (arquero): one row per cell (its varying settings, state, step, the average of each
 * evaluated split, the last error), and, when `train.seed` is an axis, the mean ± standard deviation over seeds of
 * every other combination of settings. Written as `results.md` and `results.csv` in the sweep folder.
 * @module
 */
import * as aq from "arquero";
import { join } from "@std/path";
import { writeFileAtomic } from "@hyperdecoders/train";
import type { CellStatus, IndexCell } from "./state.ts";

/** Short column names for the varying settings: the last part of each path unless two share it. */
function labels(keys: string[]): Map<string, string> {
  const last = (k: string) => k.slice(k.lastIndexOf(".") + 1);
  return new Map(keys.map((k) => [k, keys.some((o) => o !== k && last(o) === last(k)) ? k : last(k)]));
}

function show(v: unknown): string {
  return Array.isArray(v) ? v.map(show).join("+") : typeof v === "object" && v !== null ? JSON.stringify(v) : String(v);
}

/** The per-cell rows. */
export function cellRows(cells: { cell: IndexCell; status: CellStatus }[]): Record<string, string | number | null>[] {
  const keys = [...new Set(cells.flatMap(({ cell }) => Object.keys(cell.overrides)))];
  const names = labels(keys);
  const splits = [...new Set(cells.flatMap(({ status }) => Object.keys(status.results?.averages ?? {})))];
  return cells.map(({ cell, status }) => {
    const row: Record<string, string | number | null> = { cell: cell.name };
    for (const k of keys) row[names.get(k)!] = k in cell.overrides ? show(cell.overrides[k]) : "";
    row.state = status.state;
    row.step = status.step ?? "";
    for (const s of splits) {
      const v = status.results?.averages[s];
      row[s] = v === undefined ? null : Number(v.toFixed(2));
    }
    row.error = status.error ?? "";
    return row;
  });
}

/** Mean ± sd over seeds of each other combination (done cells only); null when `train.seed` does not vary. */
export function seedRows(cells: { cell: IndexCell; status: CellStatus }[]): Record<string, unknown>[] | null {
  const keys = [...new Set(cells.flatMap(({ cell }) => Object.keys(cell.overrides)))];
  if (!keys.includes("train.seed")) return null;
  const names = labels(keys);
  const group = keys.filter((k) => k !== "train.seed").map((k) => names.get(k)!);
  const rows = cellRows(cells).filter((r) => r.state === "done");
  if (rows.length === 0) return null;
  const splits = Object.keys(rows[0]).filter((k) => !["cell", "state", "step", "error", ...names.values()].includes(k));
  if (splits.length === 0) return null;
  const rollup: Record<string, string> = { seeds: "d => op.count()" };
  for (const s of splits) {
    rollup[s] = `d => op.mean(d["${s}"])`;
    rollup[`${s}_sd`] = `d => op.stdev(d["${s}"])`;
  }
  const t = (group.length > 0 ? aq.from(rows).groupby(group) : aq.from(rows)).rollup(rollup);
  const round = (v: unknown) => typeof v === "number" && Number.isFinite(v) ? Number(v.toFixed(2)) : "";
  return (t.objects() as Record<string, unknown>[]).map((r) => {
    const out: Record<string, unknown> = { ...r };
    for (const s of splits) [out[s], out[`${s}_sd`]] = [round(r[s]), round(r[`${s}_sd`])];
    return out;
  });
}

/** The tables as markdown (per cell, then over seeds when there is a seed axis). */
export function sweepMarkdown(cells: { cell: IndexCell; status: CellStatus }[]): string {
  let text = aq.from(cellRows(cells)).toMarkdown();
  const seeds = seedRows(cells);
  if (seeds) text += `\nMean and standard deviation over seeds (done cells):\n\n${aq.from(seeds).toMarkdown()}`;
  return text;
}

/** Writes `results.md` and `results.csv` (per cell) into the sweep folder; returns the markdown. */
export async function writeSweepTables(
  sweepDir: string,
  cells: { cell: IndexCell; status: CellStatus }[],
): Promise<string> {
  const markdown = sweepMarkdown(cells);
  await writeFileAtomic(join(sweepDir, "results.md"), markdown);
  await writeFileAtomic(join(sweepDir, "results.csv"), aq.from(cellRows(cells)).toCSV());
  return markdown;
}
