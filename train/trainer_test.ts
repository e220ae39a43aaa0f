/**
 * End-to-end trainer tests on a very small T5 and a small demo mixture: exact resume, NaN stop with the last good
 * checkpoint intact, and a checkpoint on SIGINT and on SIGTERM.
 */
import { assert as assertOk, assertEquals, assertMatch, assertRejects, assertStrictEquals } from "@std/assert";
import { join } from "@std/path";
import { fill_ } from "@hyperdecoders/core";
import { listCheckpoints, loadCheckpoint } from "./checkpoint.ts";
import { mergeConfig, type TrainConfig } from "./config.ts";
import { train } from "./trainer.ts";
import { quietProgress, tempRoot, tinyConfig, writeSmallMixture } from "../tests/tiny_run.ts";

const root = await tempRoot("hd-trainer-test-");
const shards = join(root, "data");
await writeSmallMixture(shards, { train: 64, validation: 8, test: 8 });
const quiet = quietProgress();

/** The tiny config with batches of 4 over 6 steps, each logged. */
function config(dir: string, overrides: Record<string, unknown> = {}): TrainConfig {
  return tinyConfig(shards, dir, mergeConfig({ train: { batchSize: 4, steps: 6, logEvery: 1 } }, overrides));
}

Deno.test("trainer: the loss sequence after a resume equals the uninterrupted run", async () => {
  const straight = await train(config(join(root, "straight")), { progress: quiet, handleSigint: false });
  assertEquals(straight.stopped, "done");
  assertEquals(straight.losses.length, 6);
  const dir = join(root, "resumed");
  const first = await train(config(dir), { progress: quiet, handleSigint: false, stopAfter: 3 });
  assertEquals(first.stopped, "stopAfter");
  assertEquals(first.step, 3);
  const second = await train(config(dir), { progress: quiet, handleSigint: false, resume: dir });
  assertEquals(second.step, 6);
  const resumed = [...first.losses, ...second.losses];
  assertEquals(resumed.map((l) => l.step), straight.losses.map((l) => l.step));
  for (let i = 0; i < resumed.length; i++) {
    assertStrictEquals(
      resumed[i].loss,
      straight.losses[i].loss,
      `loss at step ${resumed[i].step} differs after resume`,
    );
  }
  const metrics = (await Deno.readTextFile(join(dir, "metrics.jsonl"))).trim().split("\n").map((l) => JSON.parse(l));
  assertEquals(metrics.filter((m) => "loss" in m).map((m) => m.step), [1, 2, 3, 4, 5, 6]);
});

Deno.test("trainer: a non-finite loss stops the run with a clear message; the last good checkpoint still loads", async () => {
  const dir = join(root, "nan");
  const cfg = config(dir, {
    eval: { every: 2, atEnd: false, maxExamples: 2 },
    train: { batchSize: 4, steps: 6, logEvery: 1, seed: 7 },
  });
  assertMatch(
    (await assertRejects(() =>
      train(cfg, {
        progress: quiet,
        handleSigint: false,
        afterStep: (step, model) => {
          // The up-projection bias is added straight into the residual stream (a ReLU would swallow a NaN).
          const [, bias] = [...model.namedTrainableParameters()].find(([n]) => n.endsWith("adapter_up_manual.bias"))!;
          if (step === 3) fill_(bias, NaN);
        },
      }), Error)).message,
    /training loss became NaN at step 4; stopping\. The last good checkpoint is .*checkpoint-00000002/,
  );
  const all = await listCheckpoints(join(dir, "checkpoints"));
  assertEquals(all.map((c) => c.step), [2]);
  const loaded = await loadCheckpoint(all[0].path);
  assertEquals(loaded.step, 2);
});

/** Starts the train CLI on a 400-step run, sends `signal` after step 2, and checks the checkpoint and exit code. */
async function interruptTest(signal: "SIGINT" | "SIGTERM", code: number): Promise<void> {
  const dir = join(root, signal.toLowerCase());
  const cfgPath = join(root, `${signal.toLowerCase()}.json`);
  const cfg = config(dir, { train: { batchSize: 4, steps: 400, logEvery: 1, seed: 7 } });
  await Deno.writeTextFile(cfgPath, JSON.stringify(cfg));
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../scripts/train.ts", import.meta.url).pathname, "--config", cfgPath],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const reader = child.stdout.getReader();
  let out = "";
  while (!/step 2\//.test(out)) {
    const { value, done } = await reader.read();
    if (done) break;
    out += new TextDecoder().decode(value);
  }
  child.kill(signal);
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    out += new TextDecoder().decode(value);
  }
  const status = await child.status;
  await child.stderr.cancel();
  assertEquals(status.signal, null, "the process must exit by itself, not be killed by the signal");
  assertEquals(status.code, code, out);
  assertMatch(out, new RegExp(`interrupted \\(${signal}\\): saved .*checkpoint-\\d+; resume with --resume`));
  const all = await listCheckpoints(join(dir, "checkpoints"));
  assertEquals(all.length, 1);
  assertOk(all[0].step >= 2 && all[0].step < 400, `checkpoint step ${all[0].step}`);
}

Deno.test("trainer: SIGINT saves a checkpoint and exits with 130; the run resumes from it", async () => {
  await interruptTest("SIGINT", 130);
});

Deno.test("trainer: SIGTERM (a scheduler's preemption) finishes the step, saves a checkpoint and exits with 143", async () => {
  await interruptTest("SIGTERM", 143);
});

Deno.test("trainer: a checkpoint that does not have the declared model.shape is refused naming the field", async () => {
  const { initEngine } = await import("@hyperdecoders/core");
  const { loadTokenizer } = await import("@hyperdecoders/data");
  const { buildBaseModel } = await import("./base_model.ts");
  const { fixturePath } = await import("../tests/fixtures.ts");
  await initEngine();
  const config = tinyConfig(shards, join(root, "shape"), {
    model: { preset: null, checkpoint: fixturePath("t5-tiny-v1_1"), shape: "small" },
  });
  const tokenizer = await loadTokenizer(config.tokenizer);
  assertMatch(
    (await assertRejects(() => buildBaseModel(config, tokenizer), Error)).message,
    /dModel is 64, but model\.shape "small" has 512/,
  );
});
