/**
 * @module
 * @hyperdecoders/eval
 */

export {};
export * from "./metrics/mod.ts";
