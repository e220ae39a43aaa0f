/**
 * The paper's tables from this project's runs: reads each run's `config.json` (its `"paper": { table, row, column }`
 * place) and `results.json`, groups the runs into the table's rows and columns with arquero (mean ± standard deviation
 * over the runs that share a cell, e.g. seeds), and sets each cell beside the paper's published number
 * (`configs/paper_numbers.json`) and the difference. A row of the paper with no run stays in the table and says so.
 * @module
 */
import * as aq from "arquero";
import { join } from "@std/path";

/** Where a run belongs in the paper: `column` only when one run fills one cell (e.g. Table 8's grid). */
export interface PaperPlace {
  /** Table number as the paper prints it ("8"). */
  table: string;
  /** Row label. */
  row: string;
  /** Column label; absent: the run fills every column of its row. */
  column?: string | null;
}

/** A column of a paper table and which score of a run fills it. */
export interface PaperColumn {
  /** The label printed in the table. */
  label: string;
  /** The task whose score fills it (the mean of the task's metrics, or `metric` alone). */
  task?: string;
  /** One metric of `task` (e.g. "rouge2"). */
  metric?: string;
  /** Filled by the run's average over tasks. */
  average?: boolean;
}

/** One published number. */
export interface PaperCell {
  /** Row label. */
  row: string;
  /** Column label. */
  column: string;
  /** The published number. */
  value: number;
  /** The page of the paper it was read from. */
  page: number | string;
}

/** One table of `configs/paper_numbers.json`. */
export interface PaperTableSpec {
  /** What the table reports. */
  about: string;
  /** The page of the paper that prints the table (null: not recorded). */
  page: number | string | null;
  /** The rows, in the paper's order. */
  rows: string[];
  /** The columns, in the paper's order (empty: taken from the runs). */
  columns: PaperColumn[];
  /** The published numbers. */
  cells: PaperCell[];
  /** "average": each run fills the one cell its config names, with its average. */
  runValue?: "average";
  /** "best-per-task": each task's score comes from its best validation checkpoint (Table 2). */
  selection?: "best-per-task";
  /** The results split the table reports (default: test when a run has it, else the run's evaluation split). */
  split?: string;
}

/** The whole data file. */
export interface PaperNumbers {
  /** Tables by number. */
  tables: Record<string, PaperTableSpec>;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Validates the paper-numbers data; errors name the source, the table and the field. */
export function parsePaperNumbers(json: unknown, source: string): PaperNumbers {
  if (!isObject(json) || !isObject(json.tables)) throw new Error(`${source}: expected an object with "tables"`);
  const tables: Record<string, PaperTableSpec> = {};
  for (const [name, t] of Object.entries(json.tables)) {
    const at = `${source}: tables["${name}"]`;
    if (!isObject(t)) throw new Error(`${at} must be an object`);
    if (!Array.isArray(t.rows) || !t.rows.every((r) => typeof r === "string")) {
      throw new Error(`${at}.rows must be a list of row labels`);
    }
    if (!Array.isArray(t.columns)) throw new Error(`${at}.columns must be a list`);
    const columns = t.columns.map((c, i) => {
      if (!isObject(c) || typeof c.label !== "string") throw new Error(`${at}.columns[${i}] needs a "label"`);
      return c as unknown as PaperColumn;
    });
    const cells = (Array.isArray(t.cells) ? t.cells : []).map((c, i) => {
      const ok = isObject(c) && typeof c.row === "string" && typeof c.column === "string" &&
        typeof c.value === "number" && (typeof c.page === "number" || typeof c.page === "string");
      if (!ok) throw new Error(`${at}.cells[${i}] needs row, column, a numeric value and the page it comes from`);
      return c as unknown as PaperCell;
    });
    tables[name] = {
      about: typeof t.about === "string" ? t.about : "",
      page: typeof t.page === "number" || typeof t.page === "string" ? t.page : null,
      rows: t.rows as string[],
      columns,
      cells,
      runValue: t.runValue === "average" ? "average" : undefined,
      selection: t.selection === "best-per-task" ? "best-per-task" : undefined,
      split: typeof t.split === "string" ? t.split : undefined,
    };
  }
  return { tables };
}

/** Reads and validates the data file. */
export async function readPaperNumbers(path: string): Promise<PaperNumbers> {
  const text = await Deno.readTextFile(path).catch((e) => {
    throw new Error(`${path}: cannot read the paper's numbers (${(e as Error).message})`);
  });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: invalid JSON (${(e as Error).message})`);
  }
  return parsePaperNumbers(json, path);
}

/** Scores of one split of a run (the shape of `results.json`'s `splits[split]`). */
export interface SplitScores {
  /** The average over tasks. */
  average: number;
  /** Metrics per task. */
  tasks: Record<string, Record<string, number>>;
}

/** One run, read from its folder. */
export interface RunRecord {
  /** The run folder. */
  dir: string;
  /** Its place in the paper. */
  place: PaperPlace;
  /** Its training seed. */
  seed: number;
  /** The split its scores come from. */
  split: string;
  /** The scores. */
  scores: SplitScores;
}

/** The file of best-validation-per-task scores that `deno task eval --select best-per-task` writes into a run. */
export const BEST_PER_TASK_FILE = "results_best_per_task.json";

/** Why a folder given to the report was not used. */
export interface SkippedRun {
  /** The folder. */
  dir: string;
  /** Why. */
  reason: string;
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  const text = await Deno.readTextFile(path);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: invalid JSON (${(e as Error).message})`);
  }
  if (!isObject(json)) throw new Error(`${path}: expected a JSON object`);
  return json;
}

/** The places a config's `paper` field names: one cell, or a list of cells (one per table). */
export function parsePlaces(v: unknown, path: string): PaperPlace[] {
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v : [v]).map((c, i) => {
    const field = Array.isArray(v) ? `paper[${i}]` : "paper";
    if (!isObject(c) || typeof c.row !== "string" || (typeof c.table !== "string" && typeof c.table !== "number")) {
      throw new Error(`${path}: "${field}" must be { "table": "<N>", "row": "<label>", "column"?: "<label>" }`);
    }
    if (c.column !== undefined && c.column !== null && typeof c.column !== "string") {
      throw new Error(`${path}: "${field}.column" must be a string`);
    }
    return { table: String(c.table), row: c.row, column: (c.column as string | undefined) ?? null };
  });
}

/**
 * Reads one run folder for `table`. Returns a {@link SkippedRun} (not an error) for a folder that is not a run of
 * this table or has no results yet; throws on malformed files. `split` picks the results split (default: "test" when
 * the run has it, else the run's evaluation split); `selection` "best-per-task" reads {@link BEST_PER_TASK_FILE}.
 */
export async function readRun(
  dir: string,
  table: string,
  options: { split?: string; selection?: "best-per-task" } = {},
): Promise<RunRecord | SkippedRun> {
  const configPath = join(dir, "config.json");
  const config = await readJson(configPath).catch((e) => {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  });
  if (config === null) return { dir, reason: "no config.json (not a run folder)" };
  const places = parsePlaces(config.paper, configPath);
  if (places.length === 0) return { dir, reason: 'its config.json has no "paper" place' };
  const place = places.find((p) => p.table === table);
  if (!place) return { dir, reason: `a run of table ${places.map((p) => p.table).join(", ")}` };
  const file = options.selection === "best-per-task" ? BEST_PER_TASK_FILE : "results.json";
  const resultsPath = join(dir, file);
  const results = await readJson(resultsPath).catch((e) => {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  });
  if (results === null) {
    return {
      dir,
      reason: options.selection === "best-per-task"
        ? `no ${file}: run \`deno task eval --checkpoint ${dir} --select best-per-task\` first`
        : "no results.json (unfinished or failed run)",
    };
  }
  if (!isObject(results.splits)) throw new Error(`${resultsPath}: expected "splits"`);
  const evalSplit = isObject(config.eval) && typeof config.eval.split === "string" ? config.eval.split : "validation";
  const split = options.split ?? (isObject(results.splits.test) ? "test" : evalSplit);
  const s = results.splits[split];
  if (!isObject(s)) return { dir, reason: `no "${split}" scores in ${file}` };
  if (typeof s.average !== "number" || !isObject(s.tasks)) {
    throw new Error(`${resultsPath}: splits.${split} needs "average" and "tasks"`);
  }
  const seed = isObject(config.train) && typeof config.train.seed === "number" ? config.train.seed : 0;
  return { dir, place, seed, split, scores: s as unknown as SplitScores };
}

const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, "");

function taskScore(scores: SplitScores, column: PaperColumn): number | null {
  if (column.average) return scores.average;
  const want = norm(column.task ?? column.label);
  const task = Object.keys(scores.tasks).find((t) => norm(t) === want);
  if (task === undefined) return null;
  const metrics = scores.tasks[task];
  if (column.metric !== undefined) return metrics[column.metric] ?? null;
  const values = Object.entries(metrics).filter(([k]) => k !== "gen_len").map(([, v]) => v);
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

/** One cell of the rendered table. */
export interface ReportCell {
  /** Row label. */
  row: string;
  /** Column label. */
  column: string;
  /** Mean over the runs in the cell (null: none). */
  mean: number | null;
  /** Sample standard deviation (null: fewer than two runs). */
  sd: number | null;
  /** Runs in the cell. */
  n: number;
  /** The published number (null: not recorded). */
  paper: number | null;
  /** Its page. */
  page: number | string | null;
  /** mean − paper (null when either is missing). */
  diff: number | null;
}

/** A paper table filled from runs. */
export interface PaperTableReport {
  /** The table number. */
  table: string;
  /** Its entry in the data file. */
  spec: PaperTableSpec;
  /** Row labels: the paper's, then rows only the runs name. */
  rows: string[];
  /** Column labels. */
  columns: string[];
  /** Every row × column. */
  cells: ReportCell[];
  /** Runs per row. */
  runsPerRow: Record<string, number>;
  /** Splits the scores come from. */
  splits: string[];
}

/** Groups the runs of one table into its rows and columns (mean ± sd per cell) beside the paper's numbers. */
export function buildPaperTable(table: string, spec: PaperTableSpec, runs: readonly RunRecord[]): PaperTableReport {
  const rowOf = (label: string) => spec.rows.find((r) => norm(r) === norm(label)) ?? label;
  const columns: PaperColumn[] = spec.columns.length > 0 ? [...spec.columns] : [];
  const colOf = (label: string) => {
    const found = columns.find((c) => norm(c.label) === norm(label));
    if (found) return found.label;
    columns.push({ label });
    return label;
  };
  const values: { row: string; column: string; value: number; dir: string }[] = [];
  for (const run of runs) {
    const row = rowOf(run.place.row);
    if (run.place.column) {
      // One run, one cell: the run's average (Table 8's grid), or the named column's task score.
      const label = colOf(run.place.column);
      const col = columns.find((c) => c.label === label)!;
      const value = spec.runValue === "average" || (!col.task && !col.average)
        ? run.scores.average
        : taskScore(run.scores, col);
      if (value !== null) values.push({ row, column: label, value, dir: run.dir });
      continue;
    }
    if (spec.columns.length === 0) {
      for (const task of Object.keys(run.scores.tasks)) colOf(task);
      colOf("Avg");
      const avg = columns.find((c) => c.label === "Avg")!;
      avg.average = true;
    }
    for (const col of columns) {
      const value = taskScore(run.scores, col);
      if (value !== null) values.push({ row, column: col.label, value, dir: run.dir });
    }
  }
  const rows = [...spec.rows];
  for (const v of values) if (!rows.includes(v.row)) rows.push(v.row);
  const stats = new Map<string, { mean: number; sd: number | undefined; n: number }>();
  if (values.length > 0) {
    const grouped = aq.from(values).groupby("row", "column").rollup({
      mean: aq.op.mean("value"),
      sd: aq.op.stdev("value"),
      n: aq.op.count(),
    });
    for (const g of grouped.objects() as { row: string; column: string; mean: number; sd?: number; n: number }[]) {
      stats.set(`${g.row}\u0000${g.column}`, { mean: g.mean, sd: g.sd, n: g.n });
    }
  }
  const runsPerRow: Record<string, number> = {};
  for (const row of rows) runsPerRow[row] = new Set(values.filter((v) => v.row === row).map((v) => v.dir)).size;
  const cells: ReportCell[] = [];
  for (const row of rows) {
    for (const col of columns) {
      const s = stats.get(`${row}\u0000${col.label}`);
      const published = spec.cells.find((c) => norm(c.row) === norm(row) && norm(c.column) === norm(col.label));
      const mean = s?.mean ?? null;
      const paper = published?.value ?? null;
      cells.push({
        row,
        column: col.label,
        mean,
        sd: s && s.n > 1 && Number.isFinite(s.sd) ? s.sd! : null,
        n: s?.n ?? 0,
        paper,
        page: published?.page ?? null,
        diff: mean !== null && paper !== null ? mean - paper : null,
      });
    }
  }
  return {
    table,
    spec,
    rows,
    columns: columns.map((c) => c.label),
    cells,
    runsPerRow,
    splits: [...new Set(runs.map((r) => r.split))],
  };
}

function f(v: number, digits = 1): string {
  return v.toFixed(digits);
}

/**
 * The text of one cell: `ours ± sd · paper P (Δ d)`; "no run" for a cell without runs; `withPaper` false (a table with
 * no published number recorded) leaves the paper's part out.
 */
export function cellText(c: ReportCell, withPaper = true): string {
  const ours = c.mean === null ? "no run" : c.sd === null ? f(c.mean) : `${f(c.mean)} ± ${f(c.sd)}`;
  if (!withPaper || (c.paper === null && c.mean === null)) return ours;
  if (c.paper === null) return `${ours} · paper –`;
  const diff = c.diff === null ? "" : ` (Δ ${c.diff >= 0 ? "+" : ""}${f(c.diff)})`;
  return `${ours} · paper ${f(c.paper)}${diff}`;
}

/** The table as Markdown: a heading line, the grid (a row with no run says so), and the provenance of the numbers. */
export function paperTableMarkdown(report: PaperTableReport): string {
  const { spec } = report;
  const lines: string[] = [];
  lines.push(`**Table ${report.table}**: ${spec.about}`);
  lines.push("");
  const records = report.rows.map((row) => {
    const rec: Record<string, string | number> = { row, runs: report.runsPerRow[row] ?? 0 };
    for (const col of report.columns) {
      const c = report.cells.find((x) => x.row === row && x.column === col)!;
      rec[col] = cellText(c, spec.cells.length > 0);
    }
    return rec;
  });
  lines.push(aq.from(records).toMarkdown().trimEnd());
  lines.push("");
  const pages = [...new Set(report.cells.filter((c) => c.page !== null).map((c) => c.page))];
  const notes = [
    `Ours: mean ± standard deviation over the runs of a cell (\`runs\`), from the ${
      report.splits.join("/") || "–"
    } split${report.splits.length > 1 ? "s" : ""}.`,
    pages.length > 0
      ? `Paper: Table ${report.table}, page ${pages.join(", ")}; Δ = ours − paper.`
      : "Paper: no published number of this table is recorded in configs/paper_numbers.json yet.",
  ];
  const noRun = report.rows.filter((r) => !report.runsPerRow[r]);
  if (noRun.length > 0) notes.push(`No run for: ${noRun.map((r) => `"${r}"`).join(", ")}.`);
  lines.push(notes.join(" "));
  return lines.join("\n") + "\n";
}
