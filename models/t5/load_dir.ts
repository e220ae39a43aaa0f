/**
 * Deno-only: `loadT5(dir)` reads `config.json` and the weights (safetensors, sharded, or `pytorch_model.bin`).
 * @module
 */
import { join } from "@std/path";
import { openCheckpoint } from "../io/open_checkpoint.ts";
import { parseT5Config, type T5Config } from "./config.ts";
import { loadT5FromSource } from "./load.ts";
import type { T5Model } from "./model.ts";

/** Reads and validates `<dir>/config.json`. */
export async function readT5Config(dir: string): Promise<T5Config> {
  const path = join(dir, "config.json");
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new Error(
      `${path}: cannot read the model config (${(error as Error).message}); is ${dir} a T5 checkpoint folder?`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${path}: invalid JSON (${(error as Error).message})`);
  }
  return parseT5Config(json, path);
}

/** Options of {@link loadT5}. */
export interface LoadT5Options {
  /** A weights file to use instead of the folder's default (e.g. `model.bf16.safetensors`). */
  weights?: string;
}

/** Loads a Hugging Face T5 checkpoint folder onto the GPU (frozen parameters). */
export async function loadT5(dir: string, options: LoadT5Options = {}): Promise<T5Model> {
  const config = await readT5Config(dir);
  const checkpoint = await openCheckpoint(options.weights ? join(dir, options.weights) : dir);
  try {
    return await loadT5FromSource(checkpoint, config);
  } finally {
    checkpoint.close();
  }
}
