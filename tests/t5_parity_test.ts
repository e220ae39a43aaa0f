/**
 * T5 against the Hugging Face goldens in the shared fixtures: logits, encoder output, loss, every parameter
 * gradient, greedy and 4-beam generation.
 */
import { assert } from "@std/assert";
import { initEngine } from "@hyperdecoders/core";
import { t5Parity } from "@hyperdecoders/models";
import { fixturePath } from "./fixtures.ts";

await initEngine();

const CASES: { dir: string }[] = [
  { dir: "t5-tiny-v1_1" },
  { dir: "t5-tiny-v1_0" },
  { dir: "t5-tiny-gated-tied" },
];

for (const c of CASES) {
  Deno.test(`T5 parity: ${c.dir} (logits, encoder, loss, gradients, greedy, beam)`, async () => {
    const report = await t5Parity(fixturePath(c.dir));
    assert(report.logits_rel_err <= 1e-4, `logits rel err ${report.logits_rel_err}`);
    assert(report.encoder_rel_err <= 1e-4, `encoder rel err ${report.encoder_rel_err}`);
    assert(report.loss_abs_err <= 1e-4, `loss abs err ${report.loss_abs_err}`);
    assert(
      report.grads_max_rel_l2_err !== null && report.grads_max_rel_l2_err <= 1e-3,
      `gradient rel L2 err ${report.grads_max_rel_l2_err} (${report.grads_worst_param})`,
    );
    assert(report.greedy_match, "greedy ids differ from transformers");
    assert(report.beam_match, "4-beam ids differ from transformers");
    assert(report.ok);
  });
}

Deno.test("T5 parity: bf16 weights of t5-tiny-v1_1 against the f32 reference (≤ 2e-2)", async () => {
  const report = await t5Parity(fixturePath("t5-tiny-v1_1"), {
    weights: "model.bf16.safetensors",
    grads: "",
    tolerances: { logits: 2e-2, loss: 2e-2 },
  });
  assert(report.logits_rel_err <= 2e-2, `logits rel err ${report.logits_rel_err}`);
  assert(report.encoder_rel_err <= 2e-2, `encoder rel err ${report.encoder_rel_err}`);
  assert(report.logits_rel_err > 0, "bf16 weights should not reproduce f32 logits exactly");
});

Deno.test("T5 parity: pytorch_model.bin loads the same model as model.safetensors", async () => {
  const report = await t5Parity(fixturePath("t5-tiny-v1_1"), { weights: "pytorch_model.bin", grads: "" });
  assert(report.logits_rel_err <= 1e-4, `logits rel err ${report.logits_rel_err}`);
  assert(report.greedy_match);
});
