/**
 * A sweep's state on disk. Each run folder holds what the trainer writes (config.json, checkpoints/, metrics.jsonl,
 * results.json) plus `train.log` (the cell's output) and `attempts.jsonl` (one "start" and one "end" record per
 * attempt, with the exit status); a cell's state is read from these files alone, so that it is right whoever ran the
 * cell (this machine or a cluster node). The sweep folder's `sweep.json` indexes the cells (cell → folder → state)
 * and the slurm jobs submitted for them.
 * @module
 */
import { join } from "@std/path";
import { listCheckpoints, writeFileAtomic } from "@hyperdecoders/train";

/** Where a cell stands. */
export type CellState =
  /** Nothing ran yet. */
  | "new"
  /** Waiting in the scheduler's queue. */
  | "pending"
  /** Running now. */
  | "running"
  /** Stopped by SIGINT/SIGTERM after a checkpoint; resumes from it. */
  | "interrupted"
  /** Started but ended without an exit record (killed, node lost); resumes from its last checkpoint, if any. */
  | "unfinished"
  /** Finished: trained and evaluated. */
  | "done"
  /** Ended with an error (see `error`). */
  | "failed";

/** One line of `attempts.jsonl`. */
export type AttemptRecord =
  | {
    event: "start";
    time: string;
    /** "fresh", or "resume" from `fromStep`. */
    mode: "fresh" | "resume";
    fromStep: number;
    host: string;
    pid: number;
    /** The slurm job (`<array job>_<task>`), when run by slurm. */
    job: string | null;
  }
  | {
    event: "end";
    time: string;
    /** Exit status: 0 done, 130/143 interrupted by SIGINT/SIGTERM, anything else failed. */
    exit: number;
    /** The optimiser step reached. */
    step: number | null;
    /** The error's message, when it failed. */
    error: string | null;
  };

/** The results a finished run wrote (`results.json`): the average per split. */
export interface CellResults {
  /** Step of the final model. */
  step: number;
  /** Average score of each evaluated split (validation, test). */
  averages: Record<string, number>;
  /** Per-task scores of each split. */
  tasks: Record<string, Record<string, unknown>>;
}

/** A cell's state as read from its run folder. */
export interface CellStatus {
  /** Where it stands. */
  state: CellState;
  /** The newest checkpoint's step (null: none). */
  step: number | null;
  /** The last error line, for a failed or unfinished cell. */
  error: string | null;
  /** The slurm job of the last attempt, if any. */
  job: string | null;
  /** Attempts started so far. */
  attempts: number;
  /** results.json, when the run wrote one. */
  results: CellResults | null;
}

/** One cell of `sweep.json`. */
export interface IndexCell {
  /** Position in the sweep (the slurm array index). */
  index: number;
  /** Folder name. */
  name: string;
  /** Run folder, relative to the working directory the sweep was started from. */
  dir: string;
  /** The settings that vary between cells. */
  overrides: Record<string, unknown>;
  /** Last known state. */
  state: CellState;
  /** Newest checkpoint step. */
  step: number | null;
  /** Last error line. */
  error: string | null;
  /** Its place in a paper table (written into its config.json for `deno task report` once it is done). */
  paper?: { table: string; row: string; column: string | null } | null;
}

/** One slurm submission recorded in `sweep.json`. */
export interface SlurmSubmission {
  /** The array job's id. */
  arrayJob: string;
  /** The report job's id. */
  reportJob: string | null;
  /** Cell indices in the array. */
  cells: number[];
  /** When it was submitted. */
  time: string;
}

/** `sweep.json`. */
export interface SweepIndex {
  /** The sweep file (absolute path). */
  sweep: string;
  /** What the sweep is for. */
  description: string;
  /** The working directory relative paths are resolved against (cells run there). */
  cwd: string;
  /** Last update. */
  updated: string;
  /** The cells. */
  cells: IndexCell[];
  /** Slurm submissions, oldest first. */
  slurm: SlurmSubmission[];
  /** The sweep file's report hook (run after the tables are written). */
  reportCommand?: string[] | null;
}

/** The files of a run folder the sweep writes. */
export const ATTEMPTS_FILE = "attempts.jsonl";
/** The cell's output (stdout and stderr of every attempt). */
export const LOG_FILE = "train.log";
/** The sweep's index. */
export const INDEX_FILE = "sweep.json";

async function readText(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

/** The attempts recorded in a run folder (a torn last line, from a killed process, is skipped). */
export async function readAttempts(runDir: string): Promise<AttemptRecord[]> {
  const text = await readText(join(runDir, ATTEMPTS_FILE));
  if (text === null) return [];
  const out: AttemptRecord[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      // A process killed mid-write leaves a partial line; the next record starts on its own line.
    }
  }
  return out;
}

/** Appends one record to a run folder's `attempts.jsonl`. */
export async function appendAttempt(runDir: string, record: AttemptRecord): Promise<void> {
  await Deno.writeTextFile(join(runDir, ATTEMPTS_FILE), JSON.stringify(record) + "\n", { append: true });
}

/** The last line of `train.log` that reads as an error (else its last non-empty line); null without a log. */
export async function lastErrorLine(runDir: string): Promise<string | null> {
  const text = await readText(join(runDir, LOG_FILE));
  if (text === null) return null;
  const lines = text.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  const error = lines.findLast((l) => /error|exception|failed|panicked|killed|cancelled/i.test(l));
  return error ?? lines.at(-1) ?? null;
}

async function readResults(runDir: string): Promise<CellResults | null> {
  const text = await readText(join(runDir, "results.json"));
  if (text === null) return null;
  try {
    const r = JSON.parse(text) as { step: number; splits: Record<string, { average: number; tasks: Json }> };
    return {
      step: r.step,
      averages: Object.fromEntries(Object.entries(r.splits ?? {}).map(([k, v]) => [k, v.average])),
      tasks: Object.fromEntries(Object.entries(r.splits ?? {}).map(([k, v]) => [k, v.tasks])),
    };
  } catch {
    return null;
  }
}

type Json = Record<string, unknown>;

/** Whether a process of this host is alive (Linux: its /proc entry; elsewhere assumed alive). */
function alive(pid: number): boolean {
  try {
    Deno.statSync("/proc/self");
  } catch {
    return true;
  }
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/**
 * A cell's state from its run folder alone: the last attempt's end record (exit 0 done, 130/143 interrupted, else
 * failed), a start without an end (running if its process is alive on this host or it ran elsewhere; unfinished if
 * its process is gone), or no attempt (new, or unfinished when checkpoints exist).
 */
export async function readCellStatus(runDir: string): Promise<CellStatus> {
  const attempts = await readAttempts(runDir);
  const checkpoints = await listCheckpoints(join(runDir, "checkpoints")).catch(() => []);
  const step = checkpoints.at(-1)?.step ?? null;
  const results = await readResults(runDir);
  const starts = attempts.filter((a) => a.event === "start");
  const lastStart = starts.at(-1);
  const job = lastStart?.event === "start" ? lastStart.job : null;
  const base = { step, job, attempts: starts.length, results };
  const last = attempts.at(-1);
  if (!last) return { ...base, state: step === null ? "new" : "unfinished", error: null };
  if (last.event === "end") {
    if (last.exit === 0) return { ...base, state: "done", error: null };
    if (last.exit === 130 || last.exit === 143) return { ...base, state: "interrupted", error: null };
    return { ...base, state: "failed", error: last.error ?? await lastErrorLine(runDir) };
  }
  const here = last.host === Deno.hostname();
  if (!here || alive(last.pid)) return { ...base, state: "running", error: null };
  return { ...base, state: "unfinished", error: await lastErrorLine(runDir) };
}

/** Reads `sweep.json` from a sweep folder (null when there is none). */
export async function readIndex(sweepDir: string): Promise<SweepIndex | null> {
  const path = join(sweepDir, INDEX_FILE);
  const text = await readText(path);
  if (text === null) return null;
  try {
    return JSON.parse(text) as SweepIndex;
  } catch (e) {
    throw new Error(`${path}: invalid JSON (${(e as Error).message})`);
  }
}

/** Writes `sweep.json` atomically. */
export async function writeIndex(sweepDir: string, index: SweepIndex): Promise<void> {
  await writeFileAtomic(join(sweepDir, INDEX_FILE), JSON.stringify(index, null, 2) + "\n");
}
