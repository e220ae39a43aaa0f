import { assertEquals, assertMatch, assertNotEquals, assertStrictEquals, assertThrows } from "@std/assert";
import { initEngine, writeTensor } from "@hyperdecoders/core";
import { decodeSafetensors } from "../io/safetensors.ts";
import { serializeSafetensors } from "../io/safetensors_writer.ts";
import { parseT5Config, toHfConfig } from "../t5/config.ts";
import { randomT5 } from "../t5/init.ts";
import { loadMethodWeights, METHOD_CHECKPOINT_FORMAT, saveMethodWeights } from "./checkpoint.ts";
import { methodPreset } from "./config.ts";
import { AdaptedT5 } from "./model.ts";
import { logitsOf, randomizeMethod, TASKS, TINY, TINY_SIZES, tinyBase, tinyBatch } from "./_test_utils.ts";

await initEngine();

Deno.test("method checkpoints: trainable weights only; a loaded model reproduces the saved one's outputs exactly", async () => {
  const batch = tinyBatch();
  for (const preset of ["hyperdecoder", "task-hypernet", "none/generated", "polytropon"]) {
    const trained = new AdaptedT5(tinyBase(7), methodPreset(preset, { ...TINY_SIZES, tasks: TASKS, seed: 4 }));
    // Stand-in for training: every trainable tensor moves away from its seeded init (so loading cannot pass by
    // re-initialising from the same seed).
    randomizeMethod(trained, 21, 0.2);
    for (const [name, t] of trained.namedTrainableParameters()) {
      if (!trained.methodParams.has(name)) {
        const data = (await t.data()) as Float32Array;
        writeTensor(t, data.map((x, i) => x * (1 + 0.01 * Math.sin(i))));
      }
    }
    const options = { tasks: batch.tasks };
    const expected = await logitsOf(trained, batch, options);
    const bytes = await saveMethodWeights(trained, { step: "12" });

    const stored = decodeSafetensors(bytes);
    assertEquals(Object.keys(stored.tensors).sort(), [...trained.namedTrainableParameters().keys()].sort());
    assertStrictEquals(stored.metadata.format, METHOD_CHECKPOINT_FORMAT);
    assertEquals(stored.metadata.step, "12");
    assertStrictEquals(JSON.parse(stored.metadata.method).decoder, trained.method.decoder);

    const loaded = loadMethodWeights(tinyBase(7), bytes, `${preset}.safetensors`);
    assertEquals(loaded.method, trained.method);
    assertEquals(await logitsOf(loaded, batch, options), expected, `${preset}: outputs differ after loading`);
    // A fresh model from the same config and seed (what loading starts from) does differ.
    const fresh = new AdaptedT5(tinyBase(7), trained.method);
    assertNotEquals(await logitsOf(fresh, batch, options), expected);
    for (const m of [trained, loaded, fresh]) m.dispose();
    for (const m of [trained, loaded, fresh]) m.base.dispose();
  }
});

Deno.test("method checkpoints: mismatched backbones, foreign files and missing tensors are rejected", async () => {
  const model = new AdaptedT5(tinyBase(8), methodPreset("adapter", TINY_SIZES));
  const bytes = await saveMethodWeights(model);
  const wider = randomT5(parseT5Config({ ...toHfConfig(TINY), d_model: 16 }), 1);
  assertMatch(
    assertThrows(() => loadMethodWeights(wider, bytes, "a.safetensors"), Error).message,
    /a.safetensors: trained on a backbone with dModel = 12/,
  );
  const foreign = serializeSafetensors({ x: { dtype: "F32", shape: [1], data: [1] } });
  assertMatch(
    assertThrows(() => loadMethodWeights(tinyBase(8), foreign, "b.safetensors"), Error).message,
    /b.safetensors: __metadata__.format/,
  );
  const { tensors, metadata } = decodeSafetensors(bytes);
  const name = Object.keys(tensors)[0];
  const partial = Object.fromEntries(
    Object.entries(tensors).filter(([k]) => k !== name).map(([k, t]) => [k, { ...t, dtype: "F32" as const }]),
  );
  assertMatch(
    assertThrows(() => loadMethodWeights(tinyBase(8), serializeSafetensors(partial, metadata), "c.safetensors"), Error)
      .message,
    new RegExp(`c.safetensors: missing tensor "${name.replaceAll(".", "\\.")}"`),
  );
  const extra = { ...partial, [name]: { dtype: "F32" as const, shape: [1], data: [0] } };
  assertMatch(
    assertThrows(() => loadMethodWeights(tinyBase(8), serializeSafetensors(extra, metadata), "d.safetensors"), Error)
      .message,
    /d.safetensors: tensor .* has shape \[1\]/,
  );
  wider.dispose();
  model.dispose();
  model.base.dispose();
});
