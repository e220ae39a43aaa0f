/**
 * @module
 * @hyperdecoders/eval
 */

export {};
export * from "./metrics/mod.ts";
export * from "./evaluate.ts";
export * from "./tables.ts";
