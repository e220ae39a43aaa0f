/**
 * The user-task example end to end through the same commands a user types: `deno task data prepare --task user`,
 * a few steps of `deno task train --config examples/user_tasks/config.json`, then `deno task eval` on the run.
 */
import { assert, assertEquals, assertMatch } from "@std/assert";
import { fromFileUrl, join } from "@std/path";

const ROOT = fromFileUrl(new URL("../..", import.meta.url));
// Under runs/: the tasks write only where their declared permissions allow (deno.json; README "Permissions").
await Deno.mkdir(join(ROOT, "runs"), { recursive: true });
const tmp = await Deno.makeTempDir({ dir: join(ROOT, "runs"), prefix: "test-user-tasks-" });
globalThis.addEventListener("unload", () => Deno.removeSync(tmp, { recursive: true }));

async function denoTask(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const stdout = new TextDecoder().decode(out.stdout), stderr = new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, `deno task ${args.join(" ")} failed:\n${stdout}\n${stderr}`);
  return { stdout, stderr };
}

Deno.test("examples/user_tasks: prepare, train a few steps and evaluate with the deno tasks", async () => {
  const data = join(tmp, "data"), run = join(tmp, "run");
  const prepared = await denoTask("data", "prepare", "--task", "user", "--input", "examples/user_tasks", "--out", data);
  for (const line of ["sentiment\ttrain\t60", "find_name\ttrain\t60", "sentiment\tvalidation\t10"]) {
    assert(prepared.stdout.includes(line), `prepare output lacks "${line}":\n${prepared.stdout}`);
  }

  const trained = await denoTask(
    "train",
    "--config",
    "examples/user_tasks/config.json",
    "--data.shards",
    JSON.stringify([data]),
    "--output.dir",
    run,
    "--train.steps",
    "3",
    "--train.batchSize",
    "4",
    "--train.logEvery",
    "1",
    "--eval.every",
    "2",
    "--eval.maxNewTokens",
    "7",
  );
  assertMatch(trained.stdout, /validation results \(step 3\)/);
  const results = JSON.parse(await Deno.readTextFile(join(run, "results.json")));
  assertEquals(Object.keys(results.splits.validation.tasks).sort(), ["find_name", "sentiment"]);
  const metrics = (await Deno.readTextFile(join(run, "metrics.jsonl"))).trim().split("\n").map((l) => JSON.parse(l));
  assertEquals(metrics.filter((m) => "loss" in m).map((m) => m.step), [1, 2, 3]);

  const evaluated = await denoTask("eval", "--checkpoint", run);
  for (const task of ["sentiment", "find_name", "average"]) assertMatch(evaluated.stdout, new RegExp(`\\|${task}\\|`));
  const evalDir = join(run, "eval", `checkpoint-${String(results.best.step).padStart(8, "0")}-validation`);
  const evalResults = JSON.parse(await Deno.readTextFile(join(evalDir, "results.json")));
  assertEquals(evalResults.tasks, results.splits.validation.tasks, "eval differs from the trainer's final scores");
  const predictions = (await Deno.readTextFile(join(evalDir, "predictions.jsonl"))).trim().split("\n");
  assertEquals(predictions.length, 20);
});
