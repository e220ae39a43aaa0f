/**
 * Gradients of every trainable tensor of the paper's presets against finite differences of the GPU loss (the method
 * is documented in `_gradcheck.ts`). The other modes are in `gradients_grid_test.ts`.
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

Deno.test("gradients: hyperdecoder (manual/generated)", () => check("hyperdecoder", ["direction", "max"]));
Deno.test("gradients: adapter (manual/manual)", () => check("adapter", ["direction", "max"]));
Deno.test("gradients: task hypernetwork (task/task)", () => check("task-hypernet", ["direction", "max"]));
Deno.test("gradients: per-task adapters (manual_specific/manual_specific)", () =>
  check("per-task-adapter", ["direction", "max"]));
Deno.test("gradients: Polytropon skills (skills/skills)", () => check("polytropon", ["direction", "max"]));
