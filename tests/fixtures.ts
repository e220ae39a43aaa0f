/**
 * Locates the shared reference fixtures (tiny T5 checkpoints, SentencePiece goldens).
 *
 * `HYPERDECODERS_FIXTURES` wins; otherwise `../shared/fixtures` beside the repository root.
 * @module
 */
import { fromFileUrl, join } from "@std/path";

/** Absolute path of the fixtures folder. */
export function fixturesDir(): string {
  const fromEnv = Deno.env.get("HYPERDECODERS_FIXTURES");
  if (fromEnv) return fromEnv;
  return join(fromFileUrl(new URL("../..", import.meta.url)), "shared", "fixtures");
}

/** Absolute path of one fixture file or folder, e.g. `fixturePath("spm-2k", "spiece.model")`. */
export function fixturePath(...parts: string[]): string {
  return join(fixturesDir(), ...parts);
}
