/**
 * The skills (Polytropon) baseline's defaults are the paper's (Appendix A.3): 4 skills of rank 16, main lr 3e-4 and
 * routing-logit lr 1e-2; and the attention placement is documented as runnable. One-sided "none" grid cells train
 * their stack but not the shared embedding or the LM head, as the reference configs.
 */
import { assertAlmostEquals, assertEquals, assertStringIncludes } from "@std/assert";
import { initEngine } from "@hyperdecoders/core";
import { decodeSafetensors } from "../io/safetensors.ts";
import { serializeSafetensors } from "../io/safetensors_writer.ts";
import { T5_V1_1 } from "../t5/config.ts";
import { loadMethodWeights, saveMethodWeights } from "./checkpoint.ts";
import { DEFAULT_METHOD_CONFIG, methodPreset, PAPER_SKILL_LOGITS_LR_SCALE } from "./config.ts";
import { AdaptedT5 } from "./model.ts";
import { countParameters, isBackboneTrainable } from "./parameters.ts";
import { TINY_SIZES, tinyBase } from "./_test_utils.ts";

Deno.test("polytropon preset: 4 skills of rank 16, routing logits at 1e-2 when the main lr is 3e-4 (Appendix A.3)", () => {
  const c = methodPreset("polytropon", { tasks: ["rte", "mrpc"] });
  assertEquals([c.encoder, c.decoder], ["skills", "skills"]);
  assertEquals(c.skills.count, 4);
  assertEquals(c.skills.rank, 16);
  const mainLr = 3e-4; // train/config.ts DEFAULTS.optim.lr, the paper's main learning rate
  assertAlmostEquals(mainLr * c.skills.logitsLrScale, 1e-2, 1e-12);
  assertEquals(DEFAULT_METHOD_CONFIG.skills.logitsLrScale, PAPER_SKILL_LOGITS_LR_SCALE);
});

Deno.test("skills attention placement is not documented as unrunnable any more", async () => {
  const source = await Deno.readTextFile(new URL("./config.ts", import.meta.url));
  assertEquals(source.includes("not yet runnable"), false);
  assertStringIncludes(source, "attention-projection hook");
});

Deno.test("one-sided none cells keep the shared embedding and the LM head frozen (reference configs); option keeps them trained", () => {
  const t5 = T5_V1_1.base;
  const comp = (preset: string, extra: Record<string, unknown> = {}) =>
    Object.fromEntries(
      countParameters(t5, methodPreset(preset, { tasks: ["rte"], ...extra })).components.map((c) => [c.component, c]),
    );
  for (const preset of ["none/manual", "none/generated", "manual/none", "task/none", "generated/none"]) {
    const c = comp(preset);
    assertEquals([c["T5 embedding"].trainable, c["T5 LM head"].trainable], [0, 0], preset);
    const stack = preset.startsWith("none") ? "T5 encoder" : "T5 decoder";
    assertEquals(c[stack].trainable, c[stack].total, `${preset}: the none stack is trained`);
  }
  const full = comp("full-finetune");
  for (const k of ["T5 embedding", "T5 LM head", "T5 encoder", "T5 decoder"]) {
    assertEquals(full[k].trainable, full[k].total);
  }
  const old = comp("manual/none", { noneTrains: "stack+embeddings" });
  assertEquals(old["T5 embedding"].trainable, old["T5 embedding"].total);
  assertEquals(old["T5 LM head"].trainable, old["T5 LM head"].total);
  const oldEnc = comp("none/manual", { noneTrains: "stack+embeddings" });
  assertEquals([oldEnc["T5 embedding"].trainable > 0, oldEnc["T5 LM head"].trainable], [true, 0]);
  for (const name of ["shared.weight", "lm_head.weight"]) {
    assertEquals(isBackboneTrainable(methodPreset("none/generated"), name), false, name);
  }
});

Deno.test("a method checkpoint written before noneTrains (with the embedding) still loads, as stack+embeddings", async () => {
  await initEngine();
  const trained = new AdaptedT5(
    tinyBase(3),
    methodPreset("none/manual", { ...TINY_SIZES, noneTrains: "stack+embeddings" }),
  );
  const bytes = await saveMethodWeights(trained);
  const { tensors, metadata } = decodeSafetensors(bytes);
  const method = JSON.parse(metadata.method);
  delete method.noneTrains;
  const oldBytes = serializeSafetensors(
    Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape, data: t.data }])),
    { ...metadata, method: JSON.stringify(method) },
  );
  const loaded = loadMethodWeights(tinyBase(3), oldBytes, "old checkpoint");
  assertEquals(loaded.method.noneTrains, "stack+embeddings");
  assertEquals(loaded.params.get("shared.weight")!.requiresGrad, true);
  loaded.dispose();
  loaded.base.dispose();
  trained.dispose();
  trained.base.dispose();
});
