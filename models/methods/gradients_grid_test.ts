/**
 * Gradients of the remaining modes against finite differences of the GPU loss (see `_gradcheck.ts`): full
 * fine-tuning (every T5 tensor, gradient-direction probe), generated encoder adapters (two encoder passes), a fully
 * trained encoder under generated decoder adapters with post-norm input and no MLP, and mixed task modes.
 */
import { initEngine } from "@hyperdecoders/core";
import { checkPreset as check } from "./_gradcheck.ts";

await initEngine();

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
