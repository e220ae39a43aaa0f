/**
 * The skills baseline's attention placement (skilled LoRA on q, k, v and o of every attention sub-layer, through
 * T5Model's projection hook): it trains (every skill tensor's gradient against finite differences, see
 * `_gradcheck.ts`), it changes the function, and generation with it (adapters prepared once per input, cross-attention
 * keys and values cached) picks the tokens a teacher-forced pass ranks first.
 */
import { assert, assertEquals, assertMatch, assertStrictEquals, assertThrows } from "@std/assert";
import { initEngine, noGrad, scope } from "@hyperdecoders/core";
import { beamSearch, greedySearch } from "../t5/generate.ts";
import { checkPreset } from "./_gradcheck.ts";
import { methodPreset } from "./config.ts";
import { type AdaptedForwardOptions, AdaptedT5 } from "./model.ts";
import { countParameters } from "./parameters.ts";
import { logitsOf, makeBatch, randomizeMethod, TASKS, TINY, TINY_SIZES, tinyBase, tinyBatch } from "./_test_utils.ts";

await initEngine();

const ATTENTION = { skills: { placement: "attention", count: 3, rank: 2 } };
const cfg = (extra: Record<string, unknown> = ATTENTION) =>
  methodPreset("polytropon", { ...TINY_SIZES, tasks: TASKS, ...extra });

Deno.test("skills attention placement: gradients of every skill tensor match finite differences", () =>
  checkPreset("polytropon", ["direction"], ATTENTION));

Deno.test("skills attention placement: counts match the formula; the branch changes the logits per task", async () => {
  const model = new AdaptedT5(tinyBase(7), cfg());
  assertEquals(model.countParameters(), countParameters(TINY, model.method));
  assert([...model.methodParams.keys()].every((n) => /Attention\.[qkvo]\.skilled_lora\./.test(n)));
  const batch = tinyBatch();
  const base = await logitsOf(model, batch, { tasks: batch.tasks }); // B = 0 at init: the base function
  const frozen = await logitsOf(tinyBase(7), batch, {});
  assertEquals(base, frozen);
  randomizeMethod(model, 9, 0.3);
  const a = await logitsOf(model, batch, { tasks: ["alpha", "alpha", "alpha"] });
  const b = await logitsOf(model, batch, { tasks: ["beta", "beta", "beta"] });
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i] - b[i]), Math.abs(a[i] - base[i]));
  assert(diff > 1e-3, `the attention skills do not change the logits (${diff})`);
  model.dispose();
  model.base.dispose();
});

Deno.test("skills attention placement: generation equals teacher-forced greedy and per-step recomputation", async () => {
  const model = new AdaptedT5(tinyBase(5), cfg());
  randomizeMethod(model, 11, 0.3);
  const batch = tinyBatch();
  const perStepForward: AdaptedForwardOptions = { tasks: batch.tasks };
  const once = await greedySearch(model, batch.inputIds, batch.attentionMask, {
    ...model.generationOptions(batch.tasks),
    maxNewTokens: 5,
  });
  const perStep = await greedySearch(model, batch.inputIds, batch.attentionMask, {
    forward: perStepForward,
    maxNewTokens: 5,
  });
  assertEquals(once, perStep);
  // Teacher-forced on the generated tokens: each generated token is the argmax of its position's logits.
  const eos = model.config.eosTokenId;
  const labels = once.map((row) => {
    const gen = row.slice(1);
    const end = gen.indexOf(eos);
    return end < 0 ? gen : gen.slice(0, end + 1);
  });
  const forced = makeBatch([[5, 9, 13, 7, 1], [22, 3, 1], [31, 8, 17, 1]], labels, batch.tasks);
  const logits = await logitsOf(model, forced, { tasks: batch.tasks });
  const [B, T] = forced.labelShape;
  const V = model.config.vocabSize;
  let checked = 0;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < labels[b].length; t++) {
      const row = logits.subarray((b * T + t) * V, (b * T + t + 1) * V);
      const argmax = row.indexOf(Math.max(...row));
      assertStrictEquals(argmax, labels[b][t], `row ${b}, position ${t}`);
      checked++;
    }
  }
  assert(checked >= B);
  const beamOnce = await beamSearch(model, batch.inputIds, batch.attentionMask, {
    ...model.generationOptions(batch.tasks),
    numBeams: 2,
    maxNewTokens: 4,
  });
  const beamPerStep = await beamSearch(model, batch.inputIds, batch.attentionMask, {
    forward: perStepForward,
    numBeams: 2,
    maxNewTokens: 4,
  });
  assertEquals(beamOnce, beamPerStep);
  assertMatch(
    assertThrows(() =>
      noGrad(() =>
        scope(() =>
          model.encode(batch.inputIds, batch.attentionMask, {
            tasks: batch.tasks,
            projectionHook: () => null,
          })
        )
      ), Error).message,
    /do not pass options.projectionHook/,
  );
  model.dispose();
  model.base.dispose();
});
