/**
 * A tiny multi-task run per method on the demo's frozen base: every preset's loss falls clearly, and the hyperdecoder
 * reaches at least the adapter baseline's accuracy on tasks where the right output depends on the instance
 * (`demo_label`: which sentiment word appears; `demo_extract`: which name appears and must be copied).
 */
import { assert } from "@std/assert";
import { join } from "@std/path";
import { resolveConfig, train, type TrainResult } from "@hyperdecoders/train";
import { DEMO_TOKENIZER, quietProgress, tempRoot, writeSmallMixture } from "./tiny_run.ts";

const root = await tempRoot("hd-methods-learning-");
const BASE = new URL("../configs/demo/base", import.meta.url).pathname;
const shards = join(root, "data");
await writeSmallMixture(shards, { train: 600, validation: 60, test: 0 }, ["demo_label", "demo_extract"]);
const quiet = quietProgress();

async function run(preset: string, lr: number): Promise<TrainResult> {
  const config = resolveConfig({
    model: { checkpoint: BASE },
    tokenizer: DEMO_TOKENIZER,
    method: { preset, encoderAdapterDim: 32, decoderAdapterDim: 32, hypernetworkBottleneck: 32 },
    data: { shards: [shards], tasks: ["demo_label", "demo_extract"], maxSourceLength: 24, maxTargetLength: 6 },
    optim: { lr, warmupSteps: 10, labelSmoothing: 0, lossReduction: "mean" },
    train: { batchSize: 16, steps: 150, logEvery: 10, seed: 3 },
    eval: { every: 0, atEnd: true, maxExamples: 60 },
    output: { dir: join(root, preset.replaceAll("/", "_")), keepLast: 1 },
  }, `learning test (${preset})`);
  return await train(config, { progress: quiet, handleSigint: false });
}

const accuracy = (r: TrainResult): number => r.results.validation.average;
const results: Record<string, TrainResult> = {};

for (
  const [preset, lr] of [["hyperdecoder", 3e-3], ["adapter", 3e-3], ["task-hypernet", 3e-3], [
    "full-finetune",
    1e-3,
  ]] as const
) {
  Deno.test(`methods learn: ${preset}'s loss falls clearly on the demo tasks`, async () => {
    const r = await run(preset, lr);
    results[preset] = r;
    const first = r.losses[0].loss;
    const last = r.losses.at(-1)!.loss;
    assert(last < 0.5 * first, `${preset}: loss ${first.toFixed(3)} → ${last.toFixed(3)} did not halve`);
  });
}

Deno.test("methods learn: the hyperdecoder reaches at least the adapter baseline's accuracy", () => {
  const hyper = accuracy(results.hyperdecoder);
  const adapter = accuracy(results.adapter);
  console.log(
    `validation average: ${Object.entries(results).map(([k, r]) => `${k} ${accuracy(r).toFixed(1)}`).join(", ")}`,
  );
  assert(hyper >= adapter, `hyperdecoder ${hyper.toFixed(1)} < adapter ${adapter.toFixed(1)}`);
});
