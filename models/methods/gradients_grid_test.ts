/**
 * Gradients of the remaining modes against finite differences of the GPU loss (see `_gradcheck.ts`): full
 * fine-tuning (every T5 tensor, gradient-direction probe), generated encoder adapters (two encoder passes), a fully
 * trained encoder under generated decoder adapters with post-norm input and no MLP, and mixed task modes.
 */
import { initEngine } from "@hyperdecoders/core";
import { methodPreset } from "./config.ts";
import { AdaptedT5 } from "./model.ts";
import { assertProbes, gradientCheck } from "./_gradcheck.ts";
import { randomizeMethod, TASKS, TINY_SIZES, tinyBase, tinyBatch } from "./_test_utils.ts";

await initEngine();

async function check(preset: string, probes: ("direction" | "max" | "random")[], extra: Record<string, unknown> = {}) {
  const model = new AdaptedT5(tinyBase(1), methodPreset(preset, { ...TINY_SIZES, tasks: TASKS, ...extra }));
  randomizeMethod(model, 5, 0.25);
  assertProbes(await gradientCheck(model, tinyBatch(), { seed: 3, probes }));
  model.dispose();
}

Deno.test("gradients: full fine-tuning (none/none)", () => check("full-finetune", ["direction"]));
Deno.test("gradients: generated/generated", () => check("generated/generated", ["direction"]));
Deno.test(
  "gradients: none/generated, post-norm input, no MLP",
  () => check("none/generated", ["direction"], { adapterInput: "post-norm", processEncoderOutput: false }),
);
Deno.test("gradients: manual_specific/task and skills/manual", () =>
  (async () => {
    await check("manual_specific/task", ["direction", "max"]);
    await check("skills/manual", ["direction", "max"]);
  })());
