import { join } from "node:path";
import { writeDemoMixture } from "@hyperdecoders/data";
import { resolveConfig } from "../train/config.ts";
import { train } from "../train/trainer.ts";
import { Progress } from "../train/progress.ts";
const TOKENIZER = "/work/main/configs/demo/spiece.model";
const root = Deno.args[0];
const shards = join(root, "data");
const steps = Number(Deno.args[1] ?? 30);
await writeDemoMixture({ out: shards, tokenizer: TOKENIZER, sizes: {
  demo_label: { train: 256, validation: 60, test: 8 }, demo_count: { train: 256, validation: 60, test: 8 }, demo_extract: { train: 256, validation: 60, test: 8 } } });
const quiet = new Progress(false); quiet.update = () => {}; quiet.log = () => {};
const t = performance.now();
const r = await train(resolveConfig({
  model: { preset: "tiny", seed: 1, overrides: { num_layers: 1, d_ff: 32 } },
  tokenizer: TOKENIZER,
  method: { preset: "hyperdecoder", encoderAdapterDim: 8, decoderAdapterDim: 8, hypernetworkBottleneck: 8 },
  data: { shards: [shards], maxSourceLength: 24, maxTargetLength: 6, shuffleBuffer: 32 },
  optim: { lr: 3e-3, warmupSteps: 2, lossReduction: "mean" },
  train: { batchSize: 16, steps, logEvery: 10, seed: 7 },
  eval: { every: 0, atEnd: false },
  output: { dir: join(root, "run"), keepLast: 1 },
}, "test"), { progress: quiet, handleSigint: false });
console.log("trained", r.step, "steps in", ((performance.now() - t)/1000).toFixed(1), "s; losses", r.losses.map(l => l.loss.toFixed(2)).join(" "));
