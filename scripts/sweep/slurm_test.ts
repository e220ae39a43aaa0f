/**
 * The generated sbatch scripts: directives (array ranges, gres present or left out, requeue, the SIGTERM before the
 * time limit), valid bash, and, run by bash as an array task would be, the right run folder, the deno process in
 * place of the shell (so that the batch signal reaches it) and the output appended to the cell's train.log.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { join } from "@std/path";
import { arraySpec, reportScript, sbatchScript, shellQuote } from "./slurm.ts";
import { SLURM_DEFAULTS } from "./spec.ts";

const input = (settings = SLURM_DEFAULTS, dirs = ["/s/runs/a", "/s/runs/b", "/s/runs/c"]) => ({
  name: "sweep-demo",
  sweepDir: "/s",
  cwd: "/work/repo",
  cells: dirs.map((dir, i) => ({ index: [0, 1, 2, 5, 7][i], dir })),
  settings,
  deno: "/opt/deno/bin/deno",
  cli: "/work/repo/scripts/sweep.ts",
  cellPermissions: ["--allow-read=.,/s", "--allow-write=runs,/s"],
  reportPermissions: ["--allow-read=.,/s", "--allow-write=runs,/s", "--allow-run"],
});

Deno.test("sbatch: array ranges compress runs of indices and carry the throttle", () => {
  assertEquals(arraySpec([0, 1, 2, 5], null), "0-2,5");
  assertEquals(arraySpec([7, 3, 4, 0], 2), "0,3-4,7%2");
  assertEquals(arraySpec([4], null), "4");
});

Deno.test("sbatch: the array script's directives", () => {
  const script = sbatchScript(input());
  const directives = script.split("\n").filter((l) => l.startsWith("#SBATCH"));
  assertEquals(directives, [
    "#SBATCH --job-name=sweep-demo",
    "#SBATCH --array=0-2",
    "#SBATCH --time=04:00:00",
    "#SBATCH --ntasks=1",
    "#SBATCH --cpus-per-task=4",
    "#SBATCH --gres=gpu:1",
    "#SBATCH --requeue",
    "#SBATCH --signal=B:TERM@120",
    "#SBATCH --open-mode=append",
    "#SBATCH --output=/s/slurm/%A_%a.out",
  ]);
  const custom = sbatchScript(
    input({
      ...SLURM_DEFAULTS,
      gres: null,
      partition: "gpu",
      mem: "32G",
      maxParallel: 8,
      extra: ["--account=nlp"],
    }, ["/s/a", "/s/b", "/s/c", "/s/d"]),
  );
  assert(!custom.includes("--gres"), "gres: null leaves the directive out");
  for (const d of ["--array=0-2,5%8", "--partition=gpu", "--mem=32G", "--account=nlp"]) {
    assertStringIncludes(custom, `#SBATCH ${d}\n`);
  }
});

Deno.test("sbatch: a folder name with quotes and spaces survives the shell", () => {
  assertEquals(shellQuote("it's a b"), `'it'\\''s a b'`);
});

Deno.test("sbatch: bash runs the array script as task 2 would: the right folder, deno exec'd, output in train.log", async () => {
  const root = await Deno.makeTempDir({ prefix: "hd-sbatch-test-" });
  try {
    const dirs = ["a", "b c", "it's"].map((n) => join(root, "runs", n));
    for (const d of dirs) await Deno.mkdir(d, { recursive: true });
    // A stand-in for deno that reports its arguments, its working directory, its pid and LP_NUM_THREADS.
    const fake = join(root, "deno");
    await Deno.writeTextFile(fake, '#!/bin/bash\necho "args=$* cwd=$PWD pid=$$ lp=$LP_NUM_THREADS"\n');
    await Deno.chmod(fake, 0o755);
    const script = sbatchScript({ ...input(SLURM_DEFAULTS, dirs), cwd: root, deno: fake });
    const path = join(root, "array.sbatch");
    await Deno.writeTextFile(path, script);
    const syntax = await new Deno.Command("bash", { args: ["-n", path] }).output();
    assertEquals(syntax.code, 0, new TextDecoder().decode(syntax.stderr));
    const child = new Deno.Command("bash", {
      args: ["-c", `bash ${shellQuote(path)} & echo "shell=$!"; wait`],
      env: { SLURM_ARRAY_TASK_ID: "2", SLURM_CPUS_PER_TASK: "3" },
      stdout: "piped",
    });
    const out = new TextDecoder().decode((await child.output()).stdout);
    const shellPid = /shell=(\d+)/.exec(out)![1];
    const log = await Deno.readTextFile(join(dirs[2], "train.log"));
    assertEquals(
      log,
      `args=run --allow-read=.,/s --allow-write=runs,/s /work/repo/scripts/sweep.ts cell ${
        dirs[2]
      } cwd=${root} pid=${shellPid} lp=3\n`,
    );
    // exec: deno has the batch shell's pid, so `--signal=B:TERM` and `scancel --batch` signal it directly.
    assertMatch(log, new RegExp(`pid=${shellPid} `));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("sbatch: the report script runs `sweep report` on the sweep folder", () => {
  const script = reportScript({ ...input(), settings: { ...SLURM_DEFAULTS, partition: "cpu" } });
  assertStringIncludes(script, "#SBATCH --job-name=sweep-demo-report\n");
  assertStringIncludes(script, "#SBATCH --partition=cpu\n");
  assert(!script.includes("--gres"), "the report job asks for no GPU");
  assertStringIncludes(
    script,
    "exec '/opt/deno/bin/deno' run '--allow-read=.,/s' '--allow-write=runs,/s' '--allow-run' '/work/repo/scripts/sweep.ts' report '/s'\n",
  );
});
