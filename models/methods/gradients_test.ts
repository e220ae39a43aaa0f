/**
 * Gradients of every trainable tensor of the paper's presets against finite differences of the GPU loss (the method
 * is documented in `_gradcheck.ts`). The other modes are in `gradients_grid_test.ts`.
 */
import { initEngine } from "@hyperdecoders/core";
import { checkPreset as check } from "./_gradcheck.ts";

await initEngine();

Deno.test("gradients: hyperdecoder (manual/generated)", () => check("hyperdecoder", ["direction", "max"]));
Deno.test("gradients: adapter (manual/manual)", () => check("adapter", ["direction", "max"]));
Deno.test("gradients: task hypernetwork (task/task)", () => check("task-hypernet", ["direction", "max"]));
Deno.test("gradients: per-task adapters (manual_specific/manual_specific)", () =>
  check("per-task-adapter", ["direction", "max"]));
Deno.test("gradients: Polytropon skills (skills/skills)", () => check("polytropon", ["direction", "max"]));
