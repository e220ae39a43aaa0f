/**
 * Gradients summed in place by the kernels that produce them (core/grad_sum.ts) against the same sums done by
 * separate adds, on whole tiny models of every paper preset and full fine-tuning: where the shader compiler folds an
 * accumulating add into the producing kernel's arithmetic the bits may differ, by no more than f32 rounding.
 */
import { assert } from "@std/assert";
import { backward, initEngine, scope } from "@hyperdecoders/core";
import { withSeparateGradientAdds } from "@hyperdecoders/core/testing";
import { AdaptedT5 } from "./model.ts";
import { methodPreset } from "./config.ts";
import { randomizeMethod, TASKS, TINY_SIZES, tinyBase, tinyBatch } from "./_test_utils.ts";

await initEngine();

/** Every trainable gradient of one forward + backward, concatenated. */
async function gradients(model: AdaptedT5): Promise<Float64Array> {
  const batch = tinyBatch();
  scope(() => backward(model.forward(batch, { training: true, seed: 7, tasks: batch.tasks }).loss));
  const parts: number[] = [];
  for (const p of model.trainableParameters()) {
    if (!p.grad) continue;
    for (const v of (await p.grad.data()) as Float32Array) parts.push(v);
    p.grad.dispose();
    p.grad = null;
  }
  for (const t of [batch.inputIds, batch.attentionMask]) t.dispose();
  return Float64Array.from(parts);
}

for (const preset of ["hyperdecoder", "adapter", "task-hypernet", "full-finetune"] as const) {
  Deno.test(`in-place gradient sums: ${preset} within 1e-6 (norm) of separate adds`, async () => {
    const model = new AdaptedT5(tinyBase(3), methodPreset(preset, { ...TINY_SIZES, tasks: TASKS }));
    if (preset !== "full-finetune") randomizeMethod(model, 5, 0.25);
    const inPlace = await gradients(model);
    const separate = await withSeparateGradientAdds(() => gradients(model));
    let diff = 0;
    let norm = 0;
    for (let i = 0; i < inPlace.length; i++) {
      diff += (inPlace[i] - separate[i]) ** 2;
      norm += separate[i] ** 2;
    }
    assert(inPlace.length === separate.length && norm > 0, `${inPlace.length} vs ${separate.length} gradient values`);
    const relative = Math.sqrt(diff / norm);
    assert(relative <= 1e-6, `${preset}: in-place sums differ by ${relative.toExponential(2)} of the gradient norm`);
    model.dispose();
  });
}
