/**
 * Who frees what (the ownership contract of AdaptedT5's class doc): an adapted model owns only its method's tensors;
 * disposing it leaves the base usable and adaptable again; the base is freed only by its own dispose().
 */
import { assert, assertEquals, assertNotEquals } from "@std/assert";
import { getEngine, initEngine } from "@hyperdecoders/core";
import { methodPreset } from "./config.ts";
import { AdaptedT5 } from "./model.ts";
import { logitsOf, randomizeMethod, TASKS, TINY_SIZES, tinyBase, tinyBatch } from "./_test_utils.ts";

await initEngine();

Deno.test("AdaptedT5.dispose frees the method's tensors only; the base stays usable; base.dispose frees the rest", async () => {
  const pool = getEngine().pool;
  const before = pool.liveBytes;
  const base = tinyBase(3);
  const batch = tinyBatch();
  const plain = await logitsOf(base, batch, {});

  const adapted = new AdaptedT5(base, methodPreset("hyperdecoder", { ...TINY_SIZES, tasks: TASKS }));
  assert(adapted.base === base && adapted.params === base.params && adapted.config === base.config);
  randomizeMethod(adapted, 5, 0.3);
  assertNotEquals(await logitsOf(adapted, batch, { tasks: batch.tasks }), plain, "the method changes the output");
  const methodTensors = [...adapted.methodParams.values()];
  adapted.dispose();
  assert(methodTensors.every((t) => t.disposed), "every method tensor is freed");
  assert([...base.params.values()].every((t) => !t.disposed), "no base weight is freed");
  assertEquals(await logitsOf(base, batch, {}), plain, "the base computes as before");

  // The same base adapted again, by another method, then freed by its owner.
  const second = new AdaptedT5(base, methodPreset("adapter", TINY_SIZES));
  assertEquals((await logitsOf(second, batch, {})).length, plain.length);
  second.dispose();
  batch.inputIds.dispose();
  batch.attentionMask.dispose();
  assert(pool.liveBytes > before, "the base still holds its weights");
  base.dispose();
  assert([...base.params.values()].every((t) => t.disposed));
  assertEquals(pool.liveBytes, before, "nothing is left once the adapted models and then the base are disposed");
});
