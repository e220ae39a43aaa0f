/**
 * `adapterInput`: "pre-norm" adapters read the residual stream h entering the feed-forward sub-layer (the paper),
 * "post-norm" ones read RMSNorm(h), the tensor the feed-forward network sees (the reference's
 * adapter_norm_input=true, used by Table 3's T5-base v1.0 run and the task/generated-encoder grid cells). Checked
 * against the plain T5 with hand-written hooks that apply the same learned adapters to h or to RMSNorm(h).
 */
import { assert, assertAlmostEquals } from "@std/assert";
import { initEngine } from "@hyperdecoders/core";
import { manualAdapter } from "./adapters.ts";
import { methodPreset } from "./config.ts";
import { AdaptedT5 } from "./model.ts";
import { manualAdapterNames, type T5Stack } from "./names.ts";
import { logitsOf, randomizeMethod, TINY_SIZES, tinyBase, tinyBatch } from "./_test_utils.ts";
import type { FeedForwardHook } from "../t5/model.ts";

await initEngine();

Deno.test("adapterInput: pre-norm adapters read h, post-norm ones RMSNorm(h), in both stacks", async () => {
  const batch = tinyBatch();
  const results: Record<string, Float32Array> = {};
  for (const input of ["pre-norm", "post-norm"] as const) {
    const model = new AdaptedT5(tinyBase(8), methodPreset("adapter", { ...TINY_SIZES, adapterInput: input }));
    randomizeMethod(model, 5, 0.5);
    const hook = (stack: T5Stack, reads: "h" | "normed"): FeedForwardHook => (layer, h, normed) => {
      const names = manualAdapterNames(stack, layer);
      return manualAdapter(reads === "h" ? h : normed, {
        downWeight: model.methodParam(names.downWeight),
        downBias: model.methodParam(names.downBias),
        upWeight: model.methodParam(names.upWeight),
        upBias: model.methodParam(names.upBias),
      });
    };
    const plain = tinyBase(8);
    const reads = input === "pre-norm" ? "h" : "normed";
    const want = await logitsOf(plain, batch, {
      encoderHook: hook("encoder", reads),
      decoderHook: hook("decoder", reads),
    });
    const got = await logitsOf(model, batch, {});
    for (let i = 0; i < got.length; i++) assertAlmostEquals(got[i], want[i], 1e-5, `${input}: logit ${i}`);
    results[input] = got;
    plain.dispose();
    model.dispose();
    model.base.dispose();
  }
  let diff = 0;
  for (let i = 0; i < results["pre-norm"].length; i++) {
    diff = Math.max(diff, Math.abs(results["pre-norm"][i] - results["post-norm"][i]));
  }
  assert(diff > 1e-3, `the two inputs give the same logits (${diff})`);
});
