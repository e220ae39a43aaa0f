/**
 * The slurm executor on a real SLURM (the cluster `scripts/slurm_local.sh start` runs on this machine, or any cluster
 * `sinfo` reaches): a sweep of 4 tiny cells runs to completion through `sbatch`, and a cell signalled with SIGTERM
 * while running (`scancel --signal=TERM --batch`) checkpoints, is requeued (`scontrol requeue`), resumes from its
 * checkpoint and ends with the same losses and results as the uninterrupted run. Skipped, with the reason, where no
 * cluster answers and none can be started.
 */
import { assert, assertEquals, assertMatch } from "@std/assert";
import { fromFileUrl, join, resolve } from "@std/path";
import { tempRoot, tinyConfig, writeSmallMixture } from "../../tests/tiny_run.ts";
import { HOLD_ENV, HOLD_FILE } from "./cell.ts";
import { slurmAvailable } from "./slurm.ts";
import { readAttempts, readIndex } from "./state.ts";

const SWEEP = fromFileUrl(new URL("../sweep.ts", import.meta.url));
const START = fromFileUrl(new URL("../slurm_local.sh", import.meta.url));
/** Generous bound on every wait (the cells take seconds; a loaded 2-core machine may take much longer). */
const DEADLINE_MS = 240_000;

/** Why the cluster cannot be used (null: it can); starts the local one when we are root and none answers. */
async function clusterProblem(): Promise<string | null> {
  if ((await slurmAvailable()) === null) return null;
  if (Deno.uid() !== 0) return `no SLURM cluster answers (${await slurmAvailable()}) and starting one needs root`;
  const start = await new Deno.Command("bash", { args: [START, "start"], stdout: "piped", stderr: "piped" }).output();
  if (start.code !== 0) return `scripts/slurm_local.sh start failed: ${new TextDecoder().decode(start.stderr).trim()}`;
  return await slurmAvailable();
}

const problem = await clusterProblem().catch((e) => (e as Error).message);
const ignore = problem !== null;
if (ignore) console.log(`slurm cluster tests skipped: ${problem}`);

const root = ignore ? "" : await tempRoot("hd-sweep-slurm-");
const shards = join(root, "data");

/** The tiny base config: batches of 4 over 6 steps, each logged, evaluated at the end on 4 examples per task. */
async function writeBase(): Promise<string> {
  await writeSmallMixture(shards, { train: 64, validation: 4, test: 4 });
  const base = tinyConfig(shards, join(root, "unused"), {
    train: { batchSize: 4, steps: 6, logEvery: 1 },
    eval: { atEnd: true, maxExamples: 4 },
  });
  const path = join(root, "base.json");
  await Deno.writeTextFile(path, JSON.stringify(base, null, 2));
  return path;
}

async function writeSweep(name: string, axes: Record<string, unknown[]>): Promise<string> {
  const path = join(root, `${name}.json`);
  await Deno.writeTextFile(
    path,
    JSON.stringify({
      base: "base.json",
      out: join(root, name),
      axes,
      slurm: { gres: null, cpusPerTask: 1, time: "00:10:00", reportTime: "00:05:00" },
    }),
  );
  return path;
}

async function sweep(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", SWEEP, ...args],
    cwd: root,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout) + dec.decode(r.stderr) };
}

async function command(cmd: string, args: string[]): Promise<string> {
  const r = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const dec = new TextDecoder();
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")}: ${dec.decode(r.stderr)}`);
  return dec.decode(r.stdout);
}

/** Polls `check` (every 200 ms) until it returns a value; fails with `what` after the deadline. */
async function waitFor<T>(what: string, check: () => Promise<T | null | undefined>): Promise<T> {
  const end = Date.now() + DEADLINE_MS;
  while (Date.now() < end) {
    const v = await check();
    if (v !== null && v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function lossRows(runDir: string): Promise<[number, number][]> {
  const text = await Deno.readTextFile(join(runDir, "metrics.jsonl"));
  return text.trim().split("\n").map((l) => JSON.parse(l)).filter((m) => "loss" in m).map((m) => [m.step, m.loss]);
}

async function results(runDir: string): Promise<unknown> {
  const r = JSON.parse(await Deno.readTextFile(join(runDir, "results.json")));
  delete r.best.path;
  return r;
}

const CELL = "preset=hyperdecoder,seed=1";
let uninterrupted: string | null = null;

Deno.test({
  name: `sweep on slurm: 4 tiny cells run to completion; a second run submits nothing${
    ignore ? ` (skipped: ${problem})` : ""
  }`,
  ignore,
  async fn() {
    const base = await writeBase();
    assert(base);
    const file = await writeSweep("grid", { "method.preset": ["hyperdecoder", "adapter"], "train.seed": [1, 2] });
    const first = await sweep(["--config", file, "--executor", "slurm", "--wait"]);
    assertEquals(first.code, 0, first.out);
    assertMatch(first.out, /submitted array job \d+ \(4 tasks\) and report job \d+/);
    const dir = join(root, "grid");
    const index = (await readIndex(dir))!;
    assertEquals(index.cells.map((c) => c.state), ["done", "done", "done", "done"]);
    assertEquals(index.slurm.length, 1);
    const arrayJob = index.slurm[0].arrayJob;
    for (const cell of index.cells) {
      const runDir = resolve(root, cell.dir);
      const attempts = await readAttempts(runDir);
      assertEquals(attempts.map((a) => a.event), ["start", "end"]);
      assertEquals(attempts[0].event === "start" && attempts[0].job, `${arrayJob}_${cell.index}`);
      assertEquals((await lossRows(runDir)).map(([s]) => s), [1, 2, 3, 4, 5, 6]);
      assertMatch(await Deno.readTextFile(join(runDir, "train.log")), /test results \(step 6\)/);
    }
    // The report job (after the array) wrote the table; the --wait printed it.
    const table = await Deno.readTextFile(join(dir, "results.md"));
    assertEquals(table.split("\n").filter((l) => /\|done\|6\|/.test(l)).length, 4, table);
    assertMatch(first.out, /\|preset=adapter,seed=2\|adapter\|2\|done\|6\|/);
    const reportLogs = [...Deno.readDirSync(join(dir, "slurm"))].filter((e) => e.name.startsWith("report-"));
    assertEquals(reportLogs.length, 1);
    const again = await sweep(["--config", file, "--executor", "slurm"]);
    assertEquals(again.code, 0, again.out);
    assertMatch(again.out, /4 done; 0 to run/);
    assertEquals((await readIndex(dir))!.slurm.length, 1, "nothing is submitted again");
    uninterrupted = join(dir, "runs", CELL);
  },
});

Deno.test({
  name: `sweep on slurm: SIGTERM checkpoints a running cell; requeued, it resumes and matches the uninterrupted run${
    ignore ? ` (skipped: ${problem})` : ""
  }`,
  ignore,
  async fn() {
    assert(uninterrupted, "needs the uninterrupted run of the test before");
    const file = await writeSweep("requeue", { "method.preset": ["hyperdecoder"], "train.seed": [1] });
    // The cell holds after step 2 until it is signalled, so that the signal cannot arrive after the run has ended.
    const submitted = await sweep(["--config", file, "--executor", "slurm"], { [HOLD_ENV]: `${CELL}@2` });
    assertEquals(submitted.code, 0, submitted.out);
    const runDir = join(root, "requeue", "runs", CELL);
    await waitFor("the cell to hold at step 2", () => Deno.readTextFile(join(runDir, HOLD_FILE)).catch(() => null));
    const start = (await readAttempts(runDir))[0];
    assert(start.event === "start" && start.job);
    const job = start.job;
    await command("scancel", ["--signal=TERM", "--batch", job]);
    const end = await waitFor(
      "the cell's exit record",
      async () => (await readAttempts(runDir)).find((a) => a.event === "end"),
    );
    assertEquals(end.event === "end" && end.exit, 143, await Deno.readTextFile(join(runDir, "train.log")));
    assertEquals(end.event === "end" && end.step, 2);
    const interrupted = await sweep(["status", join(root, "requeue")]);
    assertMatch(interrupted.out, /interrupted\s+2/);
    await waitFor("the task to leave the running states", async () => {
      const state = (await command("squeue", ["-h", "-t", "all", "-j", job, "-o", "%T"])).trim();
      return ["RUNNING", "COMPLETING", "CONFIGURING"].includes(state) ? null : state;
    });
    await command("scontrol", ["requeue", job]);
    const attempts = await waitFor("the requeued attempt to finish", async () => {
      const a = await readAttempts(runDir);
      return a.length === 4 ? a : null;
    });
    assertEquals(attempts.map((a) => a.event), ["start", "end", "start", "end"]);
    const resumed = attempts[2];
    assert(resumed.event === "start");
    assertEquals([resumed.mode, resumed.fromStep, resumed.job], ["resume", 2, job]);
    assertEquals(
      attempts[3].event === "end" && attempts[3].exit,
      0,
      await Deno.readTextFile(join(runDir, "train.log")),
    );
    assertMatch(
      await Deno.readTextFile(join(runDir, "train.log")),
      /resuming .* from step 2 \(slurm job .*restart 1\)/,
    );
    // The same losses at every step and the same final results as the run that was never interrupted.
    assertEquals(await lossRows(runDir), await lossRows(uninterrupted));
    assertEquals(await results(runDir), await results(uninterrupted));
    const report = await sweep(["report", join(root, "requeue")]);
    assertMatch(report.out, new RegExp(`\\|${CELL.replace("+", "\\+")}\\|hyperdecoder\\|1\\|done\\|6\\|`));
  },
});
