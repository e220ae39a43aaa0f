/**
 * `deno task sweep`: a grid of training runs from one sweep file, on this machine or on a SLURM cluster.
 *
 *   deno task sweep --config <sweep.json> [--out <dir>] [--executor local|slurm] [--dry-run] [--parallel N]
 *                   [--bind VAR=a,b,…] [--retry-failed] [--wait] [--gres <spec>|none] [--partition <p>] [--time <t>]
 *   deno task sweep status <sweep dir>     cell → folder → state, from the queue and the runs' own files
 *   deno task sweep report <sweep dir>     writes results.md / results.csv (the report job runs this)
 *   deno task sweep cell <run dir>         runs one cell (what both executors start)
 *
 * Running a sweep again is idempotent: finished cells are skipped, interrupted or unfinished ones resume from their
 * newest checkpoint, failed ones are reported with their last error line (and run again with --retry-failed), and
 * cells still queued or running on the cluster are left alone.
 * @module
 */
import { fromFileUrl, join, resolve } from "@std/path";
import { writeDemoMixture } from "@hyperdecoders/data";
import { writeFileAtomic } from "@hyperdecoders/train";
import { parseCommand } from "./command_line.ts";
import { runCell } from "./sweep/cell.ts";
import { parseBind, runLocal } from "./sweep/local.ts";
import { cellPermissionFlags, reportPermissionFlags, taskPermissionFlags, widen } from "./sweep/permissions.ts";
import {
  jobName,
  queueState,
  sbatchScript,
  slurmAvailable,
  stateFromQueue,
  submitSweep,
  waitForJob,
} from "./sweep/slurm.ts";
import { expandSweep, parseSweepSpec, type SweepCell, type SweepSpec } from "./sweep/spec.ts";
import {
  type CellState,
  type CellStatus,
  type IndexCell,
  LOG_FILE,
  readCellStatus,
  readIndex,
  type SweepIndex,
  writeIndex,
} from "./sweep/state.ts";
import { writeSweepTables } from "./sweep/table.ts";

const USAGE = `usage:
  deno task sweep --config <sweep.json> [--out <dir>] [--executor local|slurm] [--dry-run] [--parallel N]
                  [--bind VAR=a,b,…] [--retry-failed] [--wait] [--gres <spec>|none] [--partition <name>] [--time <limit>]
    --out         the sweep's folder (default: the sweep file's "out")
    --parallel    local: cells at once (one per GPU: see README "Many runs")
    --bind        local: one value of VAR per parallel slot, e.g. DRI_PRIME=pci-0000_01_00_0,pci-0000_41_00_0
    --wait        slurm: wait for the report job and print the table (or "wait": true in the file's "slurm")
  deno task sweep status <sweep dir>
  deno task sweep report <sweep dir>
  deno task sweep cell <run dir>
  e.g. deno task sweep --config configs/sweeps/demo_grid.json
       deno task sweep --config configs/sweeps/demo_grid.json --executor slurm --wait`;

/** This entry point, as the executors start it for each cell. */
const CLI = fromFileUrl(import.meta.url);
/** The paper-tables entry point (`deno task report`). */
const REPORT = fromFileUrl(new URL("./report.ts", import.meta.url));
/** The workspace's deno.json: the tasks' declared permissions, which the sweep's child processes run under. Read
 * when a child is started (a cell, started with the train task's flags, may not read it). */
/** The project folder (where deno.json is). */
const PROJECT = fromFileUrl(new URL("..", import.meta.url));
const denoJson = (): string => Deno.readTextFileSync(new URL("../deno.json", import.meta.url));

/** What a sweep's cells (the train task's flags) and its SLURM report job (the sweep task's) are granted. */
function childPermissions(sweepDir: string): { cellPermissions: string[]; reportPermissions: string[] } {
  const dir = resolve(sweepDir);
  const tasks = denoJson();
  const sweepFlags = taskPermissionFlags(tasks, "sweep");
  return {
    cellPermissions: cellPermissionFlags(tasks, dir, PROJECT),
    reportPermissions: widen(widen(sweepFlags, "read", [dir]), "write", [dir]),
  };
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  const text = await Deno.readTextFile(path).catch((e) => {
    throw new Error(`${path}: cannot read (${(e as Error).message})`);
  });
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: invalid JSON (${(e as Error).message})`);
  }
}

/** Loads and expands a sweep file. */
export async function loadSweep(path: string, out?: string): Promise<{ spec: SweepSpec; cells: SweepCell[] }> {
  const spec = parseSweepSpec(await readJson(path), path);
  if (out !== undefined) spec.out = out;
  const base = await readJson(spec.base).catch((e) => {
    throw new Error(`${path}: "base": ${(e as Error).message}`);
  });
  return { spec, cells: expandSweep(spec, base, path) };
}

/**
 * The config as it matters for "same run": not the folder it is written to, its paper place, or what training pins
 * when it starts (Hub references to their commit, `data.sources` to their prepared folders).
 */
function comparable(config: unknown): string {
  const c = structuredClone(config) as {
    output?: { dir?: string };
    paper?: unknown;
    model?: { checkpoint?: string | null };
    tokenizer?: string;
    data?: { shards?: unknown; sources?: unknown[] };
  };
  if (c.output) delete c.output.dir;
  delete c.paper;
  const unpin = (s: string) => s.replace(/^(hf:[^@]+)@[0-9a-f]{7,}$/i, "$1");
  if (c.model?.checkpoint) c.model.checkpoint = unpin(c.model.checkpoint);
  if (c.tokenizer) c.tokenizer = unpin(c.tokenizer);
  if (c.data) {
    if ((c.data.sources ?? []).length > 0) delete c.data.shards;
    delete c.data.sources;
  }
  return JSON.stringify(c);
}

/** Writes each cell's config.json; a folder holding a run of another config is an error (nothing is overwritten). */
async function prepareFolders(cells: SweepCell[]): Promise<void> {
  for (const cell of cells) {
    await Deno.mkdir(cell.dir, { recursive: true });
    const path = join(cell.dir, "config.json");
    const existing = await Deno.readTextFile(path).then(JSON.parse, () => null);
    if (existing !== null && comparable(existing) !== comparable(cell.config)) {
      throw new Error(
        `${path} holds a run of another config than the sweep now gives this cell (the sweep file or its base ` +
          `changed?); nothing was overwritten: move that folder aside, or give the sweep another "out"`,
      );
    }
    if (existing === null) await writeFileAtomic(path, JSON.stringify(cell.config, null, 2) + "\n");
  }
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/** Shard folders the cells read that hold no dataset: written with the demo mixture, or an error naming them. */
async function prepareData(spec: SweepSpec, cells: SweepCell[], source: string): Promise<void> {
  const missing = new Map<string, string>();
  for (const cell of cells) {
    for (const dir of cell.config.data.shards) {
      if (/^https?:\/\//i.test(dir) || missing.has(dir)) continue;
      if (!(await exists(join(dir, "manifest.json")))) missing.set(dir, cell.config.tokenizer);
    }
  }
  if (missing.size === 0) return;
  if (!spec.prepareDemoData) {
    throw new Error(
      `${source}: no prepared dataset (manifest.json) in ${[...missing.keys()].join(", ")}; prepare it with ` +
        `"deno task data prepare" (or set "prepareDemoData": true to write the built-in demo mixture there)`,
    );
  }
  for (const [dir, tokenizer] of missing) {
    console.log(`sweep: writing the demo mixture to ${dir} …`);
    await writeDemoMixture({ out: dir, tokenizer });
  }
}

/** Each cell's state: the run folder's, unless the queue says it is still pending or running. */
async function statuses(sweepDir: string, index: SweepIndex): Promise<{ cell: IndexCell; status: CellStatus }[]> {
  // Each cell's newest submission (a later one leaves out cells an earlier one still has queued or running).
  const lastJob = new Map<number, string>();
  const arrays = new Map<number, string>();
  for (const s of index.slurm) {
    for (const i of s.cells) [lastJob.set(i, `${s.arrayJob}_${i}`), arrays.set(i, s.arrayJob)];
  }
  const queue = await queueState([...new Set(arrays.values())]);
  return await Promise.all(index.cells.map(async (cell) => {
    const status = await readCellStatus(resolve(index.cwd, cell.dir));
    const job = lastJob.get(cell.index);
    const entry = job ? queue.get(job) : undefined;
    // A controller started afresh numbers jobs from 1 again: an entry of another name is not this sweep's.
    const queued = stateFromQueue(
      entry && (entry.name === null || entry.name === jobName(sweepDir)) ? entry : undefined,
    );
    if (queued && status.state !== "done") return { cell, status: { ...status, state: queued, job: job ?? null } };
    return { cell, status };
  }));
}

function refresh(index: SweepIndex, rows: { cell: IndexCell; status: CellStatus }[]): SweepIndex {
  return {
    ...index,
    updated: new Date().toISOString(),
    cells: rows.map(({ cell, status }) => ({ ...cell, state: status.state, step: status.step, error: status.error })),
  };
}

function summary(rows: { cell: IndexCell; status: CellStatus }[]): string {
  const counts = new Map<CellState, number>();
  for (const { status } of rows) counts.set(status.state, (counts.get(status.state) ?? 0) + 1);
  return [...counts].map(([s, n]) => `${n} ${s}`).join(", ");
}

function reportFailures(index: SweepIndex, rows: { cell: IndexCell; status: CellStatus }[]): void {
  for (const { cell, status } of rows) {
    if (status.state === "failed" || (status.state === "unfinished" && status.error)) {
      console.log(`  ${cell.name}: ${status.state}: ${status.error} (log: ${resolve(index.cwd, cell.dir, LOG_FILE)})`);
    }
  }
}

/** The paper-table report (`scripts/report.ts`): the sweep's done cells get their "paper" place in config.json. */
async function paperReport(sweepDir: string, index: SweepIndex, rows: { cell: IndexCell; status: CellStatus }[]) {
  const placed = rows.filter(({ cell, status }) => cell.paper && status.state === "done");
  if (placed.length === 0) return "";
  const dirs: string[] = [];
  for (const { cell } of placed) {
    const dir = resolve(index.cwd, cell.dir);
    const path = join(dir, "config.json");
    const config = JSON.parse(await Deno.readTextFile(path));
    if (JSON.stringify(config.paper) !== JSON.stringify(cell.paper)) {
      await writeFileAtomic(path, JSON.stringify({ ...config, paper: cell.paper }, null, 2) + "\n");
    }
    dirs.push(dir);
  }
  const table = placed[0].cell.paper!.table;
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...reportPermissionFlags(denoJson(), resolve(sweepDir), PROJECT),
      REPORT,
      "--table",
      table,
      "--out",
      sweepDir,
      "--runs",
      ...dirs,
    ],
    cwd: index.cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  if (out.code !== 0) return `\nsweep: deno task report --table ${table} failed: ${dec.decode(out.stderr).trim()}\n`;
  return `\nTable ${table} (deno task report; table${table}.md, table${table}.svg in ${sweepDir}):\n\n${
    dec.decode(out.stdout)
  }`;
}

/** Writes the tables and runs the report hook; returns the markdown. */
async function report(
  sweepDir: string,
): Promise<{ markdown: string; rows: { cell: IndexCell; status: CellStatus }[] }> {
  const index = await readIndex(sweepDir);
  if (!index) throw new Error(`${join(sweepDir, "sweep.json")}: not found; is ${sweepDir} a sweep folder?`);
  const rows = await statuses(sweepDir, index);
  await writeIndex(sweepDir, refresh(index, rows));
  const markdown = await writeSweepTables(sweepDir, rows) + await paperReport(sweepDir, index, rows);
  const hook = index.reportCommand;
  if (hook && hook.length > 0) {
    // The paper's tables (`deno task report`) plug in here: the sweep file's "reportCommand", {dir} = this folder.
    const [cmd, ...args] = hook.map((a) => a.replaceAll("{dir}", sweepDir));
    const { code } = await new Deno.Command(cmd, { args, cwd: index.cwd }).output();
    if (code !== 0) console.error(`sweep: the report command ${hook.join(" ")} exited with ${code}`);
  }
  return { markdown, rows };
}

async function runSweep(args: ReturnType<typeof parse>["values"]): Promise<number> {
  const source = args.config!;
  const { spec, cells } = await loadSweep(source, args.out);
  const executor = args.executor ?? "local";
  if (executor !== "local" && executor !== "slurm") throw new Error(`--executor must be local or slurm`);
  const slurm = { ...spec.slurm };
  if (args.gres !== undefined) slurm.gres = args.gres === "none" ? null : args.gres;
  if (args.partition !== undefined) slurm.partition = args.partition;
  if (args.time !== undefined) slurm.time = args.time;
  if (args.wait) slurm.wait = true;
  const sweepDir = resolve(spec.out);
  if (args["dry-run"]) {
    console.log(`${cells.length} cells → ${sweepDir}`);
    for (const c of cells) {
      const place = c.paper
        ? `  → Table ${c.paper.table} (${c.paper.row}${c.paper.column ? `, ${c.paper.column}` : ""})`
        : "";
      console.log(`  ${c.index}: ${c.dir}  ${JSON.stringify(c.overrides)}${place}`);
    }
    if (executor === "slurm") {
      console.log(
        "\n" + sbatchScript({
          name: jobName(sweepDir),
          sweepDir,
          cwd: Deno.cwd(),
          cells: cells.map((c) => ({ index: c.index, dir: resolve(c.dir) })),
          settings: slurm,
          deno: Deno.execPath(),
          cli: CLI,
          ...childPermissions(sweepDir),
        }),
      );
    }
    return 0;
  }
  if (executor === "slurm") {
    const why = await slurmAvailable();
    if (why) throw new Error(`--executor slurm: ${why}`);
  }
  await prepareFolders(cells);
  await prepareData(spec, cells, source);
  const previous = await readIndex(sweepDir);
  let index: SweepIndex = {
    sweep: resolve(source),
    description: spec.description,
    cwd: Deno.cwd(),
    updated: new Date().toISOString(),
    cells: cells.map((c) => ({
      index: c.index,
      name: c.name,
      dir: c.dir,
      overrides: c.overrides,
      state: "new",
      step: null,
      error: null,
      paper: c.paper,
    })),
    slurm: previous?.cwd === Deno.cwd() ? previous.slurm : [],
    reportCommand: spec.reportCommand,
  };
  let rows = await statuses(sweepDir, index);
  const runnable: CellState[] = [
    "new",
    "interrupted",
    "unfinished",
    ...(args["retry-failed"] ? ["failed" as const] : []),
  ];
  const todo = rows.filter(({ status }) => runnable.includes(status.state)).map(({ cell }) => cell);
  console.log(`sweep: ${cells.length} cells in ${sweepDir}: ${summary(rows)}; ${todo.length} to run (${executor})`);
  reportFailures(index, rows.filter(({ cell }) => !todo.includes(cell)));
  await writeIndex(sweepDir, refresh(index, rows));

  if (executor === "local") {
    let signal: string | null = null;
    const seen = (s: string) => () => signal ??= s;
    const onInt = seen("SIGINT"), onTerm = seen("SIGTERM");
    Deno.addSignalListener("SIGINT", onInt);
    Deno.addSignalListener("SIGTERM", onTerm);
    try {
      await runLocal(todo.map((c) => ({ name: c.name, dir: c.dir })), {
        parallel: args.parallel ? Number(args.parallel) : 1,
        bind: args.bind ? parseBind(args.bind) : null,
        cwd: Deno.cwd(),
        deno: Deno.execPath(),
        cli: CLI,
        permissions: childPermissions(sweepDir).cellPermissions,
      });
    } finally {
      Deno.removeSignalListener("SIGINT", onInt);
      Deno.removeSignalListener("SIGTERM", onTerm);
    }
    const { markdown, rows: after } = await report(sweepDir);
    console.log(`\n${markdown}\nsweep: ${summary(after)}; tables: ${join(sweepDir, "results.md")}, results.csv`);
    reportFailures(index, after);
    if (signal) return signal === "SIGTERM" ? 143 : 130;
    return after.every(({ status }) => status.state === "done") ? 0 : 1;
  }

  if (todo.length > 0) {
    const { arrayJob, reportJob } = await submitSweep({
      name: jobName(sweepDir),
      sweepDir,
      cwd: Deno.cwd(),
      cells: todo.map((c) => ({ index: c.index, dir: resolve(c.dir) })),
      settings: slurm,
      deno: Deno.execPath(),
      cli: CLI,
      ...childPermissions(sweepDir),
    });
    index = {
      ...index,
      slurm: [...index.slurm, { arrayJob, reportJob, cells: todo.map((c) => c.index), time: new Date().toISOString() }],
    };
    await writeIndex(sweepDir, refresh(index, rows));
    console.log(`sweep: submitted array job ${arrayJob} (${todo.length} tasks) and report job ${reportJob}`);
    console.log(`  watch: deno task sweep status ${spec.out}   (logs: <run folder>/${LOG_FILE})`);
    if (!slurm.wait) return 0;
    console.log(`sweep: waiting for the report job ${reportJob} …`);
    await waitForJob(reportJob);
  }
  const { markdown, rows: after } = await report(sweepDir);
  rows = after;
  console.log(`\n${markdown}\nsweep: ${summary(rows)}; tables: ${join(sweepDir, "results.md")}, results.csv`);
  reportFailures(index, rows);
  return rows.every(({ status }) => status.state === "done") ? 0 : 1;
}

async function status(sweepDir: string): Promise<number> {
  const index = await readIndex(sweepDir);
  if (!index) throw new Error(`${join(sweepDir, "sweep.json")}: not found; is ${sweepDir} a sweep folder?`);
  const rows = await statuses(sweepDir, index);
  await writeIndex(sweepDir, refresh(index, rows));
  const width = Math.max(4, ...rows.map(({ cell }) => cell.name.length));
  console.log(`${"cell".padEnd(width)}  ${"state".padEnd(11)}  step  job`);
  for (const { cell, status: s } of rows) {
    console.log(
      `${cell.name.padEnd(width)}  ${s.state.padEnd(11)}  ${String(s.step ?? "-").padStart(4)}  ${s.job ?? ""}`,
    );
  }
  console.log(`${summary(rows)}`);
  reportFailures(index, rows);
  return 0;
}

function parse(argv: string[]) {
  try {
    return parseCommand(argv, {
      string: ["config", "out", "executor", "parallel", "bind", "gres", "partition", "time"],
      boolean: ["dry-run", "retry-failed", "wait"],
      positionals: true,
    });
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${USAGE}`);
  }
}

/** Runs the command line; returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  const parsed = parse(argv);
  const args = parsed.values;
  if (parsed.help) {
    console.log(USAGE);
    return 0;
  }
  const [command, target, ...rest] = parsed.positionals;
  if (rest.length > 0) throw new Error(`unexpected arguments: ${rest.join(" ")}\n${USAGE}`);
  if (command === "status" || command === "report" || command === "cell") {
    if (!target) throw new Error(`${command} needs a folder\n${USAGE}`);
    if (command === "status") return await status(target);
    if (command === "cell") return await runCell(target);
    const { markdown } = await report(target);
    console.log(markdown);
    return 0;
  }
  if (command !== undefined) throw new Error(`unknown command "${command}"\n${USAGE}`);
  if (!args.config) throw new Error(`--config <sweep.json> is required\n${USAGE}`);
  if (args.parallel !== undefined && !(Number.isInteger(Number(args.parallel)) && Number(args.parallel) >= 1)) {
    throw new Error(`--parallel must be a positive integer, got "${args.parallel}"`);
  }
  return await runSweep(args);
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    console.error(`sweep: ${(error as Error).message}`);
    Deno.exit(1);
  }
}
