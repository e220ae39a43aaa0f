/**
 * The end-of-training evaluation uses each split's own tasks: a test-only task (as MRQA's out-of-domain subsets) is
 * evaluated although `data.tasks` lists only the trained ones, and errors reading the shards are not swallowed.
 */
import { assertEquals, assertRejects } from "@std/assert";
import { join } from "@std/path";
import { writeDemoMixture } from "@hyperdecoders/data";
import { evaluationSources } from "./eval_sources.ts";
import { train } from "./trainer.ts";
import { DEMO_TOKENIZER, quietProgress, tempRoot, tinyConfig } from "../tests/tiny_run.ts";

const root = await tempRoot("hd-eval-sources-test-");
const shards = join(root, "data");
const none = { train: 0, validation: 0, test: 0 };
// demo_label and demo_count have every split; demo_extract only a test split (an "out-of-domain" test task).
await writeDemoMixture({
  out: shards,
  tokenizer: DEMO_TOKENIZER,
  sizes: {
    demo_label: { train: 32, validation: 4, test: 4 },
    demo_count: { train: 32, validation: 4, test: 4 },
    demo_extract: { ...none, test: 4 },
  },
});
const tasksOf = async (split: string, trained: string[] | null) =>
  (await evaluationSources([shards], split, trained)).map((s) => s.task).sort();

Deno.test("evaluationSources: a split's own tasks, less the trainable tasks left out of training", async () => {
  assertEquals(await tasksOf("test", ["demo_label", "demo_count"]), ["demo_count", "demo_extract", "demo_label"]);
  assertEquals(await tasksOf("test", ["demo_label"]), ["demo_extract", "demo_label"]);
  assertEquals(await tasksOf("validation", ["demo_label"]), ["demo_label"]);
  assertEquals(await tasksOf("test", null), ["demo_count", "demo_extract", "demo_label"]);
  assertEquals(await tasksOf("dev", null), []);
  await assertRejects(() => evaluationSources([join(root, "missing")], "test", null), Error, "manifest.json");
});

Deno.test("trainer: results.json scores the test split's own tasks (a test-only task too)", async () => {
  const out = join(root, "run");
  const config = tinyConfig(shards, out, {
    data: { tasks: ["demo_label", "demo_count"] },
    train: { batchSize: 4, steps: 2, logEvery: 1 },
    eval: { every: 0, atEnd: true, maxExamples: 2 },
  });
  await train(config, { progress: quietProgress(), handleSigint: false });
  const results = JSON.parse(await Deno.readTextFile(join(out, "results.json")));
  assertEquals(Object.keys(results.splits.validation.tasks).sort(), ["demo_count", "demo_label"]);
  assertEquals(Object.keys(results.splits.test.tasks).sort(), ["demo_count", "demo_extract", "demo_label"]);
});
