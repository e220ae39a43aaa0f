/**
 * `deno task eval`: a small training run is evaluated again from its folder; the scores must equal the ones the
 * trainer computed with the same weights, the best checkpoint must be the one the run recorded, and missing or
 * damaged checkpoints must fail with messages that name the file.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
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
  assert.equal(found.checkpoint, r.best!.path);
  assert.equal(found.chosenBy, "best in results.json");
  for (const split of ["validation", "test"]) {
    const out = join(root, `out-${split}`);
    const e = await evaluateCheckpoint({ checkpoint: runDir, split, out, log: silent });
    assert.equal(e.step, r.best!.step);
    assert.deepEqual(e.result.tasks, recorded.splits[split].tasks, `${split} scores differ from the trainer's`);
    const written = JSON.parse(await Deno.readTextFile(join(out, "results.json")));
    assert.deepEqual(written.tasks, e.result.tasks);
    assert.equal(written.average, e.result.average);
    const md = await Deno.readTextFile(join(out, "results.md"));
    for (const task of ["demo_label", "demo_count", "demo_extract", "average"]) assert.ok(md.includes(task), task);
    const lines = (await Deno.readTextFile(join(out, "predictions.jsonl"))).trim().split("\n").map((l) =>
      JSON.parse(l)
    );
    assert.equal(lines.length, split === "validation" ? 18 : 15);
    assert.ok(lines.every((p) => typeof p.prediction === "string" && typeof p.target === "string"));
  }
});

Deno.test("eval CLI: --pick last, a checkpoint folder, and the default output folder", async () => {
  await trainedRun();
  const last = await resolveCheckpoint(runDir, "last");
  assert.match(last.checkpoint, /checkpoint-00000004$/);
  const direct = await resolveCheckpoint(last.checkpoint);
  assert.equal(direct.runDir, runDir);
  const e = await evaluateCheckpoint({ checkpoint: last.checkpoint, tasks: ["demo_label"], log: silent });
  assert.equal(e.outDir, join(runDir, "eval", "checkpoint-00000004-validation"));
  assert.deepEqual(Object.keys(e.result.tasks), ["demo_label"]);
  assert.equal(e.step, 4);
});

Deno.test("eval CLI: missing or damaged checkpoints fail with messages naming the file", async () => {
  await trainedRun();
  await assert.rejects(resolveCheckpoint(join(root, "nope")), /nope: not found or not a folder/);
  const empty = join(root, "empty-run");
  await Deno.mkdir(join(empty, "checkpoints", ".partial-checkpoint-00000002-abc"), { recursive: true });
  await assert.rejects(resolveCheckpoint(empty), /no complete checkpoint in .*empty-run\/checkpoints/);

  const { checkpoint } = await resolveCheckpoint(runDir, "last");
  const copyRun = join(root, "damaged-run");
  const copy = join(copyRun, "checkpoints", "checkpoint-00000004");
  await Deno.mkdir(copy, { recursive: true });
  await Deno.copyFile(join(runDir, "config.json"), join(copyRun, "config.json"));
  await Deno.copyFile(join(checkpoint, "trainer_state.json"), join(copy, "trainer_state.json"));
  const weights = await Deno.readFile(join(checkpoint, "trainable.safetensors"));
  await Deno.writeFile(join(copy, "trainable.safetensors"), weights.subarray(0, weights.length - 100));
  await assert.rejects(
    evaluateCheckpoint({ checkpoint: copyRun, log: silent }),
    (e: Error) => e.message.includes(join(copy, "trainable.safetensors")),
  );
  await Deno.remove(join(copy, "trainable.safetensors"));
  await assert.rejects(
    evaluateCheckpoint({ checkpoint: copy, log: silent }),
    /trainable\.safetensors: cannot read the trained weights/,
  );
  await Deno.writeTextFile(join(copy, "trainer_state.json"), "{ broken");
  await assert.rejects(
    evaluateCheckpoint({ checkpoint: copy, log: silent }),
    /trainer_state\.json: invalid trainer state/,
  );

  const loose = join(root, "loose-checkpoint");
  await Deno.mkdir(loose);
  await Deno.copyFile(join(checkpoint, "trainer_state.json"), join(loose, "trainer_state.json"));
  await assert.rejects(evaluateCheckpoint({ checkpoint: loose, log: silent }), /pass --config <file>/);
});

Deno.test("eval CLI: arguments", async () => {
  const a = parseEvalArgs(["--checkpoint", "runs/x", "--split=test", "--max-examples", "5", "--eval.numBeams", "2"]);
  assert.equal(a.checkpoint, "runs/x");
  assert.equal(a.split, "test");
  assert.equal(a.maxExamples, 5);
  assert.deepEqual(a.overrides, [["eval.numBeams", "2"]]);
  assert.throws(() => parseEvalArgs(["--split", "test"]), /--checkpoint is required/);
  assert.throws(() => parseEvalArgs(["--checkpoint", "x", "--pick", "worst"]), /--pick must be best or last/);
  assert.throws(() => parseEvalArgs(["--checkpoint", "x", "--bogus"]), /unknown argument "--bogus"/);
  const cli = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./eval.ts", import.meta.url).pathname, "--checkpoint", join(root, "missing")],
    stdout: "piped",
    stderr: "piped",
  });
  const out = await cli.output();
  assert.equal(out.code, 1);
  assert.match(new TextDecoder().decode(out.stderr), /eval: .*missing: not found or not a folder/);
});

Deno.test("eval CLI: --select best-per-task gives each task the test score of its best validation checkpoint", async () => {
  await trainedRun();
  assert.equal(parseEvalArgs(["--checkpoint", runDir, "--select", "best-per-task"]).select, "best-per-task");
  assert.throws(() => parseEvalArgs(["--checkpoint", "x", "--select", "best"]), /--select must be best-per-task/);
  const { path, best } = await evaluateBestPerTask({ checkpoint: runDir, log: silent });
  assert.equal(path, join(runDir, "results_best_per_task.json"));
  assert.deepEqual(JSON.parse(await Deno.readTextFile(path)), JSON.parse(JSON.stringify(best)));
  const list = (await Array.fromAsync(Deno.readDir(join(runDir, "checkpoints")))).map((e) => e.name).sort();
  assert.ok(list.length >= 2, `checkpoints: ${list}`);
  const validation: Awaited<ReturnType<typeof evaluateCheckpoint>>[] = [];
  for (const name of list) {
    const ckpt = join(runDir, "checkpoints", name);
    validation.push(await evaluateCheckpoint({ checkpoint: ckpt, log: silent, out: join(root, "bpt", name) }));
  }
  for (const [task, choice] of Object.entries(best.chosen)) {
    // The chosen checkpoint has the task's highest validation score among all kept ones, and its test score.
    const scores = validation.map((v) => averageOverTasks({ [task]: v.result.tasks[task] }));
    assert.equal(choice.validation, Math.max(...scores), task);
    assert.equal(choice.step, validation[scores.indexOf(Math.max(...scores))].step, task);
    const t = await evaluateCheckpoint({ checkpoint: choice.checkpoint, split: "test", tasks: [task], log: silent });
    assert.deepEqual(best.splits.test.tasks[task], t.result.tasks[task]);
  }
});
