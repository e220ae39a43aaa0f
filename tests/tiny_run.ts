/**
 * Setup shared by the tests that really train: a temporary folder, a small demo mixture, a progress reporter that
 * prints nothing, and the tiny hyperdecoder config (a one-layer tiny T5 with 8-wide adapters) the end-to-end tests
 * start from.
 * @module
 */
import { fromFileUrl } from "@std/path";
import { DEMO_TASKS, writeDemoMixture } from "@hyperdecoders/data";
import { mergeConfig, Progress, resolveConfig, type TrainConfig } from "@hyperdecoders/train";

/** The demo's tokenizer (`configs/demo/spiece.model`). */
export const DEMO_TOKENIZER: string = fromFileUrl(new URL("../configs/demo/spiece.model", import.meta.url));

/** Examples per split of one demo task. */
export interface SplitSizes {
  /** Training examples. */
  train: number;
  /** Validation examples. */
  validation: number;
  /** Test examples. */
  test: number;
}

/** A new temporary folder, removed when the test file's process unloads. */
export async function tempRoot(prefix: string): Promise<string> {
  const root = await Deno.makeTempDir({ prefix });
  globalThis.addEventListener("unload", () => Deno.removeSync(root, { recursive: true }));
  return root;
}

/** Writes the demo mixture to `out` with `sizes` for each of `tasks` (default: all demo tasks) and none of the rest. */
export async function writeSmallMixture(
  out: string,
  sizes: SplitSizes,
  tasks: readonly string[] = DEMO_TASKS,
): Promise<void> {
  const none = { train: 0, validation: 0, test: 0 };
  await writeDemoMixture({
    out,
    tokenizer: DEMO_TOKENIZER,
    sizes: Object.fromEntries(DEMO_TASKS.map((t) => [t, tasks.includes(t) ? { ...sizes } : none])),
  });
}

/** A progress reporter that prints nothing. */
export function quietProgress(): Progress {
  const quiet = new Progress(false);
  quiet.update = () => {};
  quiet.log = () => {};
  return quiet;
}

/**
 * The tiny hyperdecoder config on the mixture in `shards`, writing to `outDir`, with `overrides` deep-merged in
 * (objects merge, other values replace). Base: tiny T5 (seed 1, 1 layer, d_ff 32), adapters and bottleneck 8,
 * sources ≤ 24 and targets ≤ 6 tokens, shuffle buffer 32; lr 1e-3 with 2 warm-up steps, mean loss; 4 steps of batch
 * 8, logged every 2, seed 7; no evaluation; the last 3 checkpoints kept.
 */
export function tinyConfig(shards: string, outDir: string, overrides: Record<string, unknown> = {}): TrainConfig {
  const base = {
    model: { preset: "tiny", seed: 1, overrides: { num_layers: 1, d_ff: 32 } },
    tokenizer: DEMO_TOKENIZER,
    method: { preset: "hyperdecoder", encoderAdapterDim: 8, decoderAdapterDim: 8, hypernetworkBottleneck: 8 },
    data: { shards: [shards], maxSourceLength: 24, maxTargetLength: 6, shuffleBuffer: 32 },
    optim: { lr: 1e-3, warmupSteps: 2, lossReduction: "mean" },
    train: { batchSize: 8, steps: 4, logEvery: 2, seed: 7 },
    eval: { every: 0, atEnd: false },
    output: { dir: outDir, keepLast: 3 },
  };
  return resolveConfig(mergeConfig(base, overrides), "tiny test config");
}
