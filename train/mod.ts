/**
 * Training for hyperdecoders: the experiment config (schema, defaults, validation, command-line overrides), the
 * training loop on the WebGPU engine, atomic checkpoints with exact resume, and progress reporting.
 *
 * @example
 * ```ts
 * import { resolveConfig, train } from "@hyperdecoders/train";
 * const config = resolveConfig(JSON.parse(await Deno.readTextFile("configs/demo.json")), "configs/demo.json");
 * const result = await train(config);
 * console.log(result.results.validation?.average);
 * ```
 * @module
 */
export * from "./config.ts";
export * from "./checkpoint.ts";
export * from "./progress.ts";
export * from "./trainer.ts";
