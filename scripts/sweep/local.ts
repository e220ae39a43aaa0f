/**
 * The local executor: runs cells as child processes (`sweep cell <run dir>`), one after another or `parallel` at
 * once, each with its output appended to `train.log` in its run folder. Each child gets `SWEEP_SLOT` (0…parallel-1)
 * and, with `bind`, one value of an environment variable per slot (e.g. `DRI_PRIME=pci-0000_41_00_0` to pin a slot to
 * one GPU); with several at once on a software adapter, `LP_NUM_THREADS` shares the cores. SIGINT/SIGTERM stop
 * launching cells and are passed on to the running ones, which checkpoint and end.
 * @module
 */
import { join } from "@std/path";
import { LOG_FILE } from "./state.ts";

/** Options of {@link runLocal}. */
export interface LocalOptions {
  /** Cells at once (default 1). */
  parallel: number;
  /** An environment variable set to one value per slot (`values.length` ≥ `parallel`). */
  bind: { name: string; values: string[] } | null;
  /** Working directory of the cells. */
  cwd: string;
  /** The deno executable. */
  deno: string;
  /** The sweep entry point (`scripts/sweep.ts`). */
  cli: string;
  /** The cells' permission flags (`cellPermissionFlags`: the train task's, widened to the sweep folder). */
  permissions: string[];
  /** Progress messages (default: console.log). */
  log?: (message: string) => void;
}

/** Parses `--bind NAME=v1,v2,…`. */
export function parseBind(text: string): { name: string; values: string[] } {
  const eq = text.indexOf("=");
  const name = text.slice(0, eq);
  const values = text.slice(eq + 1).split(",").filter((v) => v !== "");
  if (eq <= 0 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || values.length === 0) {
    throw new Error(`--bind "${text}": expected NAME=value,value,… (one value per parallel slot)`);
  }
  return { name, values };
}

async function copyTo(stream: ReadableStream<Uint8Array>, file: Deno.FsFile): Promise<void> {
  for await (const chunk of stream) {
    let off = 0;
    while (off < chunk.length) off += await file.write(chunk.subarray(off));
  }
}

/** Runs the cells (run folders); returns each folder's exit status (null: not started because of a signal). */
export async function runLocal(
  cells: { name: string; dir: string }[],
  options: LocalOptions,
): Promise<Map<string, number | null>> {
  const log = options.log ?? console.log;
  const parallel = Math.max(1, options.parallel);
  if (options.bind && options.bind.values.length < parallel) {
    throw new Error(`--bind ${options.bind.name} has ${options.bind.values.length} values for --parallel ${parallel}`);
  }
  const cores = navigator.hardwareConcurrency ?? 1;
  const results = new Map<string, number | null>(cells.map((c) => [c.dir, null]));
  const running = new Set<Deno.ChildProcess>();
  let stopping: Deno.Signal | null = null;
  const onSignal = (sig: Deno.Signal) => () => {
    if (!stopping) log(`sweep: ${sig}: no more cells are started; the running ones checkpoint and stop`);
    stopping = sig;
    for (const child of running) {
      try {
        child.kill(sig);
      } catch { /* already gone */ }
    }
  };
  const handlers = (["SIGINT", "SIGTERM"] as const).map((sig) => [sig, onSignal(sig)] as const);
  for (const [sig, h] of handlers) Deno.addSignalListener(sig, h);
  let next = 0;
  const worker = async (slot: number) => {
    while (next < cells.length && !stopping) {
      const cell = cells[next++];
      const env: Record<string, string> = { SWEEP_SLOT: String(slot) };
      if (options.bind) env[options.bind.name] = options.bind.values[slot];
      if (parallel > 1 && !Deno.env.get("LP_NUM_THREADS")) {
        env.LP_NUM_THREADS = String(Math.max(1, Math.floor(cores / parallel)));
      }
      log(`sweep: ${cell.name}: started (slot ${slot}); log: ${join(cell.dir, LOG_FILE)}`);
      const file = await Deno.open(join(cell.dir, LOG_FILE), { append: true, create: true });
      const child = new Deno.Command(options.deno, {
        args: ["run", ...options.permissions, options.cli, "cell", cell.dir],
        cwd: options.cwd,
        env,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      running.add(child);
      try {
        await Promise.all([copyTo(child.stdout, file), copyTo(child.stderr, file)]);
        const status = await child.status;
        results.set(cell.dir, status.code);
        log(`sweep: ${cell.name}: exit ${status.code}`);
      } finally {
        running.delete(child);
        file.close();
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(parallel, cells.length) }, (_, slot) => worker(slot)));
  } finally {
    for (const [sig, h] of handlers) Deno.removeSignalListener(sig, h);
  }
  return results;
}
