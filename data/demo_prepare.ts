/**
 * Writes the embedded demo mixture as a prepared dataset directory (Deno adapter).
 *
 * @module
 */
import type { DemoSizes } from "./demo.ts";
import { tokenizerInfo } from "./fs.ts";
import { prepareDataset, type PrepareResult } from "./prepare.ts";
import { loadTokenizer } from "./tokenizer/mod.ts";

/** Options of {@link writeDemoMixture}. */
export interface DemoMixtureOptions {
  /** Output directory. */
  out: string;
  /** Tokenizer file or folder (for now the fixtures' `spm-2k`): lengths are checked with it and it is recorded. */
  tokenizer: string;
  /** Generator seed (default 42). */
  seed?: number;
  /** Examples per task and split (default `DEFAULT_DEMO_SIZES`). */
  sizes?: DemoSizes;
  /** Bound on a shard's uncompressed size in bytes. */
  maxShardBytes?: number;
}

/** Generates the demo tasks and writes them with `prepare` into `options.out` (train, validation and test). */
export async function writeDemoMixture(options: DemoMixtureOptions): Promise<PrepareResult> {
  const tokenizer = await loadTokenizer(options.tokenizer);
  return await prepareDataset({
    task: "demo",
    inputs: [],
    out: options.out,
    tokenizer,
    tokenizerInfo: await tokenizerInfo(options.tokenizer),
    demo: { seed: options.seed, sizes: options.sizes },
    maxShardBytes: options.maxShardBytes,
  });
}
