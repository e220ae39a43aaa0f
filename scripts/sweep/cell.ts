/**
 * Runs one cell of a sweep in this process (`deno task sweep cell <run dir>`; both executors start cells this way):
 * skips a finished cell, resumes from the newest checkpoint when there is one, else starts from the folder's
 * `config.json`; records the attempt in `attempts.jsonl`. SIGINT and SIGTERM finish the step, save a checkpoint and
 * end the process with 130 or 143, as `deno task train` does.
 * @module
 */
import { join, resolve } from "@std/path";
import { resultsMarkdown } from "@hyperdecoders/eval";
import { listCheckpoints, pinHubRefs, resolveConfig, train, type TrainOptions } from "@hyperdecoders/train";
import { appendAttempt, readAttempts, readCellStatus } from "./state.ts";

/**
 * Test hook: `<cell name>@<step>` holds that cell's first attempt after the given step until the process receives
 * SIGTERM or SIGINT, so that a test can signal a running cell at a known step without racing it.
 */
export const HOLD_ENV = "HYPERDECODERS_SWEEP_HOLD";
/** The file a held cell writes into its run folder when it reaches the step it holds at. */
export const HOLD_FILE = "held.json";

function holdHook(runDir: string, firstAttempt: boolean): TrainOptions["afterStep"] {
  const spec = Deno.env.get(HOLD_ENV);
  if (!spec || !firstAttempt) return undefined;
  const at = spec.lastIndexOf("@");
  const [name, step] = [spec.slice(0, at), Number(spec.slice(at + 1))];
  if (resolve(runDir).split("/").at(-1) !== name) return undefined;
  return async (s) => {
    if (s !== step) return;
    const signalled = new Promise<void>((done) => {
      for (const sig of ["SIGTERM", "SIGINT"] as const) Deno.addSignalListener(sig, () => done());
    });
    await Deno.writeTextFile(join(runDir, HOLD_FILE), JSON.stringify({ step: s, pid: Deno.pid }) + "\n");
    console.log(`sweep: holding at step ${s} until a signal (${HOLD_ENV})`);
    await signalled;
  };
}

/** Runs (or resumes, or skips) the cell in `runDir`; returns the exit status (0, 130, 143, or 1 on an error). */
export async function runCell(runDir: string): Promise<number> {
  const status = await readCellStatus(runDir);
  if (status.state === "done") {
    console.log(`sweep: ${runDir} is done already`);
    return 0;
  }
  const configPath = join(runDir, "config.json");
  // A fresh start sets the sweep's config.json aside (training refuses a folder that holds one, and writes its own);
  // an attempt killed in between left only the copy.
  const asidePath = join(runDir, "config.sweep.json");
  const raw = JSON.parse(await Deno.readTextFile(configPath).catch(() => Deno.readTextFile(asidePath)));
  // The folder is the run wherever it now lies (a sweep folder may be moved or mounted elsewhere).
  // As `deno task train` does: Hub references pinned to their commits, data.sources prepared (once, into a cache).
  const config = await pinHubRefs(resolveConfig({ ...raw, output: { ...raw.output, dir: runDir } }, configPath));
  const checkpoints = await listCheckpoints(join(runDir, "checkpoints")).catch(() => []);
  const resume = checkpoints.length > 0;
  const attempts = (await readAttempts(runDir)).filter((a) => a.event === "start").length;
  if (!resume) {
    // Rows of an attempt that ended before its first checkpoint describe nothing that survives: keep them aside.
    await Deno.rename(join(runDir, "metrics.jsonl"), join(runDir, `metrics.attempt-${attempts}.jsonl`)).catch(
      () => {},
    );
    await Deno.rename(configPath, asidePath).catch(() => {});
    await Deno.remove(join(runDir, "checkpoints")).catch(() => {}); // only when empty
  }
  const slurmJob = Deno.env.get("SLURM_ARRAY_JOB_ID")
    ? `${Deno.env.get("SLURM_ARRAY_JOB_ID")}_${Deno.env.get("SLURM_ARRAY_TASK_ID")}`
    : Deno.env.get("SLURM_JOB_ID") ?? null;
  await appendAttempt(runDir, {
    event: "start",
    time: new Date().toISOString(),
    mode: resume ? "resume" : "fresh",
    fromStep: checkpoints.at(-1)?.step ?? 0,
    host: Deno.hostname(),
    pid: Deno.pid,
    job: slurmJob,
  });
  console.log(
    `sweep: ${resume ? `resuming ${runDir} from step ${checkpoints.at(-1)!.step}` : `starting ${runDir}`}` +
      (slurmJob ? ` (slurm job ${slurmJob}, restart ${Deno.env.get("SLURM_RESTART_COUNT") ?? 0})` : ""),
  );
  let exit = 1;
  let step: number | null = null;
  let error: string | null = null;
  try {
    const result = await train(config, {
      resume: resume ? runDir : undefined,
      afterStep: holdHook(runDir, attempts === 0),
    });
    step = result.step;
    exit = result.stopped === "interrupted" ? (result.signal === "SIGTERM" ? 143 : 130) : 0;
    for (const [split, r] of Object.entries(result.results)) {
      console.log(`\n${split} results (step ${result.step}):\n${resultsMarkdown(r)}`);
    }
  } catch (e) {
    error = (e as Error).message.split("\n")[0];
    console.error(`sweep cell: ${(e as Error).message}`);
    step = (await listCheckpoints(join(runDir, "checkpoints")).catch(() => [])).at(-1)?.step ?? null;
  }
  await appendAttempt(runDir, { event: "end", time: new Date().toISOString(), exit, step, error });
  return exit;
}
