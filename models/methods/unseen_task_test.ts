/**
 * The task hypernetwork on tasks it has no embedding for (the paper's Table 5 footnote: MRQA's out-of-domain inputs
 * are conditioned on the mean of the in-domain task embeddings): such rows behave exactly as a task whose embedding is
 * that mean; modes that need a trained task still reject unknown names.
 */
import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { initEngine, writeTensor } from "@hyperdecoders/core";
import { methodPreset, taskIds, UNSEEN_TASK } from "./config.ts";
import { AdaptedT5 } from "./model.ts";
import { logitsOf, makeBatch, randomizeMethod, TASKS, TINY_SIZES, tinyBase } from "./_test_utils.ts";

await initEngine();

Deno.test("taskIds: unknown names become UNSEEN_TASK only when allowed; ids stay range-checked", () => {
  const m = methodPreset("task-hypernet", { tasks: TASKS });
  assertEquals([...taskIds(m, ["beta", "BioASQ", "alpha"], "t", { allowUnseen: true })], [1, UNSEEN_TASK, 0]);
  assertThrows(() => taskIds(m, ["BioASQ"]), Error, '"BioASQ" is not in the method\'s task list');
  assertThrows(() => taskIds(m, [7], "t", { allowUnseen: true }), Error, "out of range");
});

Deno.test("task hypernetwork: an unseen task is conditioned on the mean of the trained task embeddings", async () => {
  const batch = () =>
    makeBatch([[5, 9, 13, 7, 1], [22, 3, 1], [31, 8, 17, 1]], [[4, 6, 1], [11, 1], [2, 19, 1]], [
      "beta",
      "BioASQ",
      "DROP",
    ]);
  for (const preset of ["task-hypernet", "task/generated", "manual/task"]) {
    const trained = new AdaptedT5(tinyBase(4), methodPreset(preset, { ...TINY_SIZES, tasks: TASKS, seed: 1 }));
    randomizeMethod(trained, 9, 0.4);
    // The same model with a fourth task whose embedding is the mean of the three trained ones.
    const withMean = new AdaptedT5(tinyBase(4), methodPreset(preset, { ...TINY_SIZES, tasks: [...TASKS, "mean"] }));
    for (const [name, t] of trained.methodParams) {
      const data = (await t.data()) as Float32Array;
      if (!name.endsWith("adapter_task_embedding.weight")) {
        writeTensor(withMean.methodParam(name), data);
        continue;
      }
      const d = t.shape[1];
      const mean = new Float32Array(d);
      for (let r = 0; r < TASKS.length; r++) for (let j = 0; j < d; j++) mean[j] += data[r * d + j] / TASKS.length;
      const table = new Float32Array((TASKS.length + 1) * d);
      table.set(data);
      table.set(mean, TASKS.length * d);
      writeTensor(withMean.methodParam(name), table);
    }
    const got = await logitsOf(trained, batch(), { tasks: ["beta", "BioASQ", "DROP"] });
    const want = await logitsOf(withMean, batch(), { tasks: ["beta", "mean", "mean"] });
    assertEquals(got.length, want.length);
    for (let i = 0; i < got.length; i++) assertAlmostEquals(got[i], want[i], 1e-4, `${preset}: logit ${i}`);
    // A trained task's rows are not the mean's.
    const trainedOnly = await logitsOf(trained, batch(), { tasks: ["beta", "beta", "beta"] });
    let diff = 0;
    for (let i = 0; i < got.length; i++) diff = Math.max(diff, Math.abs(got[i] - trainedOnly[i]));
    if (diff < 1e-4) throw new Error(`${preset}: the unseen rows equal the trained task's (${diff})`);
    trained.dispose();
    trained.base.dispose();
    withMean.dispose();
    withMean.base.dispose();
  }
});

Deno.test("per-task adapters and skills still reject a task they were not trained on", () => {
  for (const preset of ["per-task-adapter", "polytropon"]) {
    const model = new AdaptedT5(tinyBase(4), methodPreset(preset, { ...TINY_SIZES, tasks: TASKS }));
    const b = makeBatch([[5, 1]], [[4, 1]], ["BioASQ"]);
    assertThrows(() => model.forward(b, { tasks: ["BioASQ"] }), Error, '"BioASQ" is not in the method\'s task list');
    model.dispose();
    model.base.dispose();
  }
});
