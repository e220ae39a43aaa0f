/**
 * `deno task eval`: a small training run is evaluated again from its folder; the scores must equal the ones the
 * trainer computed with the same weights, the best checkpoint must be the one the run recorded, and missing or
 * damaged checkpoints must fail with messages that name the file.
 */
import { assert, assertEquals, assertMatch, assertRejects, assertStrictEquals, assertThrows } from "@std/assert";
import { join } from "@std/path";
import { train, type TrainResult } from "@hyperdecoders/train";
import { quietProgress, tempRoot, tinyConfig, writeSmallMixture } from "../tests/tiny_run.ts";
import { averageOverTasks } from "@hyperdecoders/eval";
import { evaluateBestPerTask, evaluateCheckpoint, parseEvalArgs } from "./eval.ts";
import { resolveCheckpoint } from "./trained_run.ts";

const root = await tempRoot("hd-eval-cli-test-");
const shards = join(root, "data");
const runDir = join(root, "run");
const quiet = quietProgress();
const silent = () => {};

let run: TrainResult | null = null;
async function trainedRun(): Promise<TrainResult> {
  if (run) return run;
  await writeSmallMixture(shards, { train: 48, validation: 6, test: 5 });
  const config = tinyConfig(shards, runDir, {
    optim: { lr: 3e-3, warmupSteps: 1 },
    train: { seed: 3 },
    eval: { every: 2, atEnd: true, maxExamples: null },
  });
  run = await train(config, { progress: quiet, handleSigint: false });
  return run;
}

Deno.test("eval CLI: re-evaluating a run's best checkpoint reproduces the trainer's validation and test scores", async () => {
  const r = await trainedRun();
  const recorded = JSON.parse(await Deno.readTextFile(join(runDir, "results.json")));
  const found = await resolveCheckpoint(runDir);
  assertStrictEquals(found.checkpoint, r.best!.path);
  assertEquals(found.chosenBy, "best in results.json");
  for (const split of ["validation", "test"]) {
    const out = join(root, `out-${split}`);
    const e = await evaluateCheckpoint({ checkpoint: runDir, split, out, log: silent });
    assertStrictEquals(e.step, r.best!.step);
    assertEquals(e.result.tasks, recorded.splits[split].tasks, `${split} scores differ from the trainer's`);
    const written = JSON.parse(await Deno.readTextFile(join(out, "results.json")));
    assertEquals(written.tasks, e.result.tasks);
    assertStrictEquals(written.average, e.result.average);
    const md = await Deno.readTextFile(join(out, "results.md"));
    for (const task of ["demo_label", "demo_count", "demo_extract", "average"]) assert(md.includes(task), task);
    const lines = (await Deno.readTextFile(join(out, "predictions.jsonl"))).trim().split("\n").map((l) =>
      JSON.parse(l)
    );
    assertStrictEquals(lines.length, split === "validation" ? 18 : 15);
    assert(lines.every((p) => typeof p.prediction === "string" && typeof p.target === "string"));
  }
});

Deno.test("eval CLI: --pick last, a checkpoint folder, and the default output folder", async () => {
  await trainedRun();
  const last = await resolveCheckpoint(runDir, "last");
  assertMatch(last.checkpoint, /checkpoint-00000004$/);
  const direct = await resolveCheckpoint(last.checkpoint);
  assertStrictEquals(direct.runDir, runDir);
  const e = await evaluateCheckpoint({ checkpoint: last.checkpoint, tasks: ["demo_label"], log: silent });
  assertStrictEquals(e.outDir, join(runDir, "eval", "checkpoint-00000004-validation"));
  assertEquals(Object.keys(e.result.tasks), ["demo_label"]);
  assertEquals(e.step, 4);
});

Deno.test("eval CLI: missing or damaged checkpoints fail with messages naming the file", async () => {
  await trainedRun();
  assertMatch(
    (await assertRejects(() => resolveCheckpoint(join(root, "nope")), Error)).message,
    /nope: not found or not a folder/,
  );
  const empty = join(root, "empty-run");
  await Deno.mkdir(join(empty, "checkpoints", ".partial-checkpoint-00000002-abc"), { recursive: true });
  assertMatch(
    (await assertRejects(() => resolveCheckpoint(empty), Error)).message,
    /no complete checkpoint in .*empty-run\/checkpoints/,
  );

  const { checkpoint } = await resolveCheckpoint(runDir, "last");
  const copyRun = join(root, "damaged-run");
  const copy = join(copyRun, "checkpoints", "checkpoint-00000004");
  await Deno.mkdir(copy, { recursive: true });
  await Deno.copyFile(join(runDir, "config.json"), join(copyRun, "config.json"));
  await Deno.copyFile(join(checkpoint, "trainer_state.json"), join(copy, "trainer_state.json"));
  const weights = await Deno.readFile(join(checkpoint, "trainable.safetensors"));
  await Deno.writeFile(join(copy, "trainable.safetensors"), weights.subarray(0, weights.length - 100));
  await assertRejects(
    () => evaluateCheckpoint({ checkpoint: copyRun, log: silent }),
    Error,
    join(copy, "trainable.safetensors"),
  );
  await Deno.remove(join(copy, "trainable.safetensors"));
  assertMatch(
    (await assertRejects(() => evaluateCheckpoint({ checkpoint: copy, log: silent }), Error)).message,
    /trainable\.safetensors: cannot read the trained weights/,
  );
  await Deno.writeTextFile(join(copy, "trainer_state.json"), "{ broken");
  assertMatch(
    (await assertRejects(() => evaluateCheckpoint({ checkpoint: copy, log: silent }), Error)).message,
    /trainer_state\.json: invalid trainer state/,
  );

  const loose = join(root, "loose-checkpoint");
  await Deno.mkdir(loose);
  await Deno.copyFile(join(checkpoint, "trainer_state.json"), join(loose, "trainer_state.json"));
  assertMatch(
    (await assertRejects(() => evaluateCheckpoint({ checkpoint: loose, log: silent }), Error)).message,
    /pass --config <file>/,
  );
});

Deno.test("eval CLI: arguments", async () => {
  const a = parseEvalArgs(["--checkpoint", "runs/x", "--split=test", "--max-examples", "5", "--eval.numBeams", "2"]);
  assertEquals(a.checkpoint, "runs/x");
  assertEquals(a.split, "test");
  assertEquals(a.maxExamples, 5);
  assertEquals(a.overrides, [["eval.numBeams", "2"]]);
  assertMatch(assertThrows(() => parseEvalArgs(["--split", "test"]), Error).message, /--checkpoint is required/);
  assertMatch(
    assertThrows(() => parseEvalArgs(["--checkpoint", "x", "--pick", "worst"]), Error).message,
    /--pick must be best or last/,
  );
  assertMatch(
    assertThrows(() => parseEvalArgs(["--checkpoint", "x", "--bogus"]), Error).message,
    /unknown option "--bogus"/,
  );
  const cli = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./eval.ts", import.meta.url).pathname, "--checkpoint", join(root, "missing")],
    stdout: "piped",
    stderr: "piped",
  });
  const out = await cli.output();
  assertEquals(out.code, 1);
  assertMatch(new TextDecoder().decode(out.stderr), /eval: .*missing: not found or not a folder/);
});

Deno.test("eval CLI: --select best-per-task gives each task the test score of its best validation checkpoint", async () => {
  await trainedRun();
  assertEquals(parseEvalArgs(["--checkpoint", runDir, "--select", "best-per-task"]).select, "best-per-task");
  assertMatch(
    assertThrows(() => parseEvalArgs(["--checkpoint", "x", "--select", "best"]), Error).message,
    /--select must be best-per-task/,
  );
  const { path, best } = await evaluateBestPerTask({ checkpoint: runDir, log: silent });
  assertStrictEquals(path, join(runDir, "results_best_per_task.json"));
  assertEquals(JSON.parse(await Deno.readTextFile(path)), JSON.parse(JSON.stringify(best)));
  const list = (await Array.fromAsync(Deno.readDir(join(runDir, "checkpoints")))).map((e) => e.name).sort();
  assert(list.length >= 2, `checkpoints: ${list}`);
  const validation: Awaited<ReturnType<typeof evaluateCheckpoint>>[] = [];
  for (const name of list) {
    const ckpt = join(runDir, "checkpoints", name);
    validation.push(await evaluateCheckpoint({ checkpoint: ckpt, log: silent, out: join(root, "bpt", name) }));
  }
  for (const [task, choice] of Object.entries(best.chosen)) {
    // The chosen checkpoint has the task's highest validation score among all kept ones, and its test score.
    const scores = validation.map((v) => averageOverTasks({ [task]: v.result.tasks[task] }));
    assertStrictEquals(choice.validation, Math.max(...scores), task);
    assertStrictEquals(choice.step, validation[scores.indexOf(Math.max(...scores))].step, task);
    const t = await evaluateCheckpoint({ checkpoint: choice.checkpoint, split: "test", tasks: [task], log: silent });
    assertEquals(best.splits.test.tasks[task], t.result.tasks[task]);
  }
});
