/**
 * The base model a training config names: a T5 checkpoint folder (checked against `model.shape` when given), or a
 * preset shape randomly initialised from `model.seed`.
 * @module
 */
import { hubLocalPath } from "@hyperdecoders/data/hub";
import {
  loadT5,
  parseT5Config,
  randomT5,
  T5_SHAPES,
  T5_V1_1,
  type T5Config,
  type T5Model,
  toHfConfig,
} from "@hyperdecoders/models";
import { sha256File, sha256Hex, type Tokenizer } from "@hyperdecoders/data";
import { join } from "@std/path";
import type { TrainConfig } from "./config.ts";

/** The "tiny" shape: the demo's T5 (2+2 layers, d 64), with the tokenizer's vocabulary. */
export function tinyT5Config(vocabSize: number): T5Config {
  return parseT5Config({
    vocab_size: vocabSize,
    d_model: 64,
    d_kv: 16,
    d_ff: 128,
    num_layers: 2,
    num_heads: 4,
    feed_forward_proj: "gated-gelu",
    tie_word_embeddings: false,
    dropout_rate: 0.1,
  }, "preset tiny");
}

/** Builds the base model the config names: a checkpoint folder, or a preset shape randomly initialised. */
export async function buildBaseModel(config: TrainConfig, tokenizer: Tokenizer): Promise<T5Model> {
  if (config.model.checkpoint) {
    const model = await loadT5(await hubLocalPath(config.model.checkpoint, "model"));
    const expected = config.model.shape ? T5_SHAPES[config.model.shape] ?? null : null;
    const keys = ["dModel", "dKv", "dFf", "numLayers", "numDecoderLayers", "numHeads", "gated"] as const;
    const wrong = expected ? keys.find((k) => model.config[k] !== expected[k]) : undefined;
    if (expected && wrong) {
      model.dispose();
      throw new Error(
        `${config.model.checkpoint}: ${wrong} is ${model.config[wrong]}, but model.shape "${config.model.shape}" has ${
          expected[wrong]
        }; is this the right checkpoint?`,
      );
    }
    return model;
  }
  const name = config.model.preset!;
  let shape: T5Config;
  if (name === "tiny") shape = tinyT5Config(tokenizer.vocabSize);
  else if (name in T5_V1_1) shape = T5_V1_1[name as keyof typeof T5_V1_1];
  else throw new Error(`config: "model.preset" is "${name}"; known presets: tiny, ${Object.keys(T5_V1_1).join(", ")}`);
  if (config.model.overrides) {
    shape = parseT5Config({ ...toHfConfig(shape), ...config.model.overrides }, "config model.overrides");
  }
  if (tokenizer.vocabSize > shape.vocabSize) {
    throw new Error(
      `config: the tokenizer has ${tokenizer.vocabSize} pieces but the model's vocab_size is ${shape.vocabSize}`,
    );
  }
  return randomT5(shape, config.model.seed);
}

/** Files of a T5 checkpoint folder that define its weights: config.json, weight files and shard indexes. */
const BASE_FILES = /^(config\.json|.*\.safetensors|pytorch_model.*\.bin|.*\.index\.json)$/;

/**
 * A fingerprint (hex SHA-256) of the base model a config names, recorded in each checkpoint and checked when a run is
 * resumed or evaluated: for a checkpoint folder, the SHA-256 of its config.json and weight files (streamed); for a
 * preset, its name, seed and overrides, which determine the random initialisation.
 */
export async function baseModelFingerprint(config: TrainConfig): Promise<string> {
  const m = config.model;
  let parts: string[];
  if (m.checkpoint) {
    let names: string[];
    try {
      names = [...Deno.readDirSync(m.checkpoint)].filter((e) => !e.isDirectory && BASE_FILES.test(e.name))
        .map((e) => e.name).sort();
    } catch (error) {
      throw new Error(`${m.checkpoint}: cannot read the base model folder (${(error as Error).message})`);
    }
    parts = [];
    for (const n of names) parts.push(`${n} ${await sha256File(join(m.checkpoint, n))}`);
  } else parts = [JSON.stringify({ preset: m.preset, seed: m.seed, overrides: m.overrides ?? null })];
  return await sha256Hex(new TextEncoder().encode(parts.join("\n")));
}
