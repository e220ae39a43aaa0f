/**
 * Recipe for the demo's frozen base model (`configs/demo/base/`): a tiny T5 (2+2 layers, d 64, the demo tokenizer's
 * vocabulary) pre-trained by this project, on this engine, with a denoising objective over unlabelled sentences drawn
 * from the demo's word lists — the stand-in for T5's pre-training, since no real checkpoint can be downloaded here.
 * The base never sees the demo tasks, their prompts or their labels; the hyperdecoder then learns those with the
 * base frozen, as in the paper.
 *
 *   deno run -A scripts/make_demo_base.ts [--steps 800] [--out configs/demo/base]
 *
 * Objective (BART-style text infilling): each sentence has about 30% of its words replaced by sentinel spans
 * (`<extra_id_N>`) and one word possibly swapped; the target is the whole original sentence, so the model learns to
 * copy from the encoder through cross-attention and to fill gaps from context.
 * @module
 */
import { join } from "@std/path";
import { parseCommandOrExit } from "./command_line.ts";
import { decodeSafetensors, serializeSafetensors, toHfConfig } from "@hyperdecoders/models";
import {
  DEMO_FILLER,
  DEMO_MARKED,
  DEMO_NAMES,
  DEMO_NEGATIVE,
  DEMO_POSITIVE,
  loadTokenizer,
  prepareDataset,
} from "@hyperdecoders/data";
import { seededRandom } from "@hyperdecoders/core/testing";
import {
  listCheckpoints,
  loadCheckpoint,
  resolveConfig,
  tinyT5Config,
  train,
  writeFileAtomic,
} from "@hyperdecoders/train";

const USAGE =
  "usage: deno run -A scripts/make_demo_base.ts [--steps 800] [--out configs/demo/base] [--tokenizer configs/demo/spiece.model] [--work runs/demo-base-work]";

const WORDS = [...DEMO_FILLER, ...DEMO_POSITIVE, ...DEMO_NEGATIVE, ...DEMO_MARKED, ...DEMO_NAMES];

/** One denoising example from a seeded random source. */
export function denoisingExample(rand: () => number): { input: string; target: string } {
  const n = 3 + Math.floor(rand() * 8);
  const words = Array.from({ length: n }, () => WORDS[Math.floor(rand() * WORDS.length)]);
  const input: string[] = [];
  let sentinel = 0;
  for (let i = 0; i < n; i++) {
    if (rand() < 0.15 && sentinel < 3) {
      input.push(`<extra_id_${sentinel++}>`);
      const span = 1 + Math.floor(rand() * 2);
      i += span - 1;
    } else input.push(words[i]);
  }
  return { input: input.join(" "), target: words.join(" ") };
}

if (import.meta.main) {
  const { values } = parseCommandOrExit("make_demo_base", USAGE, Deno.args, {
    string: ["steps", "out", "tokenizer", "work"],
    default: {
      steps: "800",
      out: "configs/demo/base",
      tokenizer: "configs/demo/spiece.model",
      work: "runs/demo-base-work",
    },
  });
  const work = values.work!;
  await Deno.mkdir(work, { recursive: true });
  const rand = seededRandom(20221127);
  for (const [split, count] of [["train", 40_000], ["validation", 200]] as const) {
    const lines = Array.from({ length: count }, (_, i) => {
      const ex = denoisingExample(rand);
      return JSON.stringify({ task: "denoise", id: `${split}-${i}`, ...ex });
    });
    await Deno.writeTextFile(join(work, `${split}.jsonl`), lines.join("\n") + "\n");
  }
  const shards = join(work, "shards");
  await Deno.remove(shards, { recursive: true }).catch(() => {});
  await prepareDataset({
    task: "user",
    inputs: [
      { split: "train", location: join(work, "train.jsonl") },
      { split: "validation", location: join(work, "validation.jsonl") },
    ],
    out: shards,
  });
  const tokenizer = await loadTokenizer(values.tokenizer!);
  const runDir = join(work, "run");
  await Deno.remove(runDir, { recursive: true }).catch(() => {});
  const config = resolveConfig({
    model: { preset: "tiny", seed: 0 },
    tokenizer: values.tokenizer,
    method: { preset: "full-finetune" },
    data: { shards: [shards], maxSourceLength: 24, maxTargetLength: 16, shuffleBuffer: 5000 },
    optim: { lr: 5e-3, warmupSteps: 50, labelSmoothing: 0, lossReduction: "mean" },
    train: { batchSize: 32, steps: Number(values.steps), logEvery: 50, seed: 1, dropout: false },
    eval: { every: 0, atEnd: false },
    output: { dir: runDir, keepLast: 1 },
  }, "make_demo_base");
  await train(config);
  const last = (await listCheckpoints(join(runDir, "checkpoints"))).at(-1)!;
  const ckpt = await loadCheckpoint(last.path);
  const { tensors } = decodeSafetensors(ckpt.trainable, last.path);
  const weights = Object.fromEntries(
    Object.entries(tensors).map((
      [k, t],
    ) => [k, { dtype: "F32" as const, shape: t.shape, data: t.data as Float32Array }]),
  );
  await Deno.mkdir(values.out!, { recursive: true });
  const hf = toHfConfig(tinyT5Config(tokenizer.vocabSize));
  await writeFileAtomic(join(values.out!, "config.json"), JSON.stringify(hf, null, 2) + "\n");
  await writeFileAtomic(
    join(values.out!, "model.safetensors"),
    serializeSafetensors(weights, { format: "pt", recipe: "scripts/make_demo_base.ts", steps: String(values.steps) }),
  );
  console.log(`wrote ${values.out}/config.json and model.safetensors (${Object.keys(weights).length} tensors)`);
}
