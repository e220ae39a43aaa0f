/**
 * The browser example's logic, web-standard only (`Blob`s in, token ids and text out): loads a T5 checkpoint, an
 * optional method checkpoint (`trainable.safetensors` of a training run) and a T5 tokenizer from files the user
 * picked, and generates greedily on WebGPU. `main.ts` wires it to the page.
 * @module
 */
import { tensor } from "@hyperdecoders/core";
import {
  type AdaptedT5,
  type AdapterMode,
  blobReader,
  type EncoderDecoder,
  greedySearch,
  loadMethodWeights,
  loadT5FromSource,
  parseT5Config,
  SafetensorsSource,
  type T5Model,
} from "@hyperdecoders/models";
import { Tokenizer } from "@hyperdecoders/data";
import { parseHubRef } from "@hyperdecoders/data/hub/ref";

const TASK_MODES: readonly AdapterMode[] = ["task", "manual_specific", "skills"];

/** A file the user picked (a `File` in the page; any named `Blob` elsewhere). */
export interface NamedBlob {
  /** The file's name, used to tell files apart and in messages. */
  readonly name: string;
  /** Its bytes. */
  readonly blob: Blob;
}

/** The files of one model: a Hugging Face T5 folder's `config.json` and `*.safetensors`, an adapter, a tokenizer. */
export interface ModelFiles {
  /** `config.json` of the checkpoint. */
  config: NamedBlob;
  /** The weights (`model.safetensors`, F32/F16/BF16). */
  weights: NamedBlob;
  /** `trainable.safetensors` from a training run's checkpoint, or null for the bare base model. */
  adapter: NamedBlob | null;
  /** `spiece.model` or `tokenizer.json`. */
  tokenizer: NamedBlob;
}

/** A loaded model ready to generate. */
export interface LoadedModel {
  /** The model generation runs: the base T5, or the adapted one when an adapter was given. */
  model: EncoderDecoder;
  /** The adapted model, or null without an adapter. */
  adapted: AdaptedT5 | null;
  /** The base T5 (owned by this result: dispose `adapted`, then `base`). */
  base: T5Model;
  /** The tokenizer. */
  tokenizer: Tokenizer;
  /** Tasks to choose from when the method conditions on the task (task, per-task or skills adapters), else empty. */
  tasks: string[];
  /** One line describing what was loaded. */
  summary: string;
}

/** The result of {@link generateAnswer}. */
export interface Answer {
  /** Token ids of the input (ending with `</s>`). */
  inputIds: number[];
  /** Generated ids: the decoder start token, the new tokens, then padding after `</s>` (as `greedySearch`). */
  outputIds: number[];
  /** The decoded answer (special tokens skipped). */
  text: string;
}

/** Default Hub endpoint of {@link hubModelFiles}. */
export const HUB_ENDPOINT = "https://huggingface.co";

/**
 * Fetches a public Hub model's `config.json`, `model.safetensors` and tokenizer (`tokenizer.json`, else
 * `spiece.model`) from its `resolve` URLs (`<endpoint>/<org>/<name>/resolve/<revision>/<file>`), as the files the page
 * would otherwise have the user pick. The browser caches them as it caches any download; gated models, sharded and
 * PyTorch-only checkpoints are refused with a message (they load under Deno through the Hub cache).
 */
export async function hubModelFiles(
  reference: string,
  options: { endpoint?: string; fetch?: typeof fetch } = {},
): Promise<{ checkpoint: NamedBlob[]; tokenizer: NamedBlob }> {
  const ref = parseHubRef(reference.trim());
  if (ref.type !== "model") {
    throw new Error(`${reference}: a model reference is expected (hf:<org>/<name>[@<revision>])`);
  }
  const base = `${(options.endpoint ?? HUB_ENDPOINT).replace(/\/+$/, "")}/${ref.repo}/resolve/${
    encodeURIComponent(ref.revision)
  }/`;
  const get = async (name: string, optional = false): Promise<NamedBlob | null> => {
    const res = await (options.fetch ?? fetch)(base + name);
    if (res.ok) return { name, blob: await res.blob() };
    await res.body?.cancel();
    if (res.status === 404 && optional) return null;
    if (res.status === 401 || res.status === 403) {
      throw new Error(`${reference}: gated or private on the Hub; download it and pick its files instead`);
    }
    if (res.status === 404) throw new Error(`${reference}: no ${name} (no such repository, revision or file)`);
    throw new Error(`${reference}: ${name}: the Hub answered ${res.status}`);
  };
  const config = (await get("config.json"))!;
  const weights = await get("model.safetensors", true);
  if (!weights) {
    throw new Error(`${reference}: no model.safetensors (sharded and PyTorch checkpoints load under Deno only)`);
  }
  const tokenizer = (await get("tokenizer.json", true)) ?? (await get("spiece.model", true));
  if (!tokenizer) throw new Error(`${reference}: neither tokenizer.json nor spiece.model in the repository`);
  return { checkpoint: [config, weights], tokenizer };
}

/** Sorts the picked files of a checkpoint folder into config and weights; errors say which file is missing. */
export function pickCheckpointFiles(files: readonly NamedBlob[]): { config: NamedBlob; weights: NamedBlob } {
  const config = files.find((f) => f.name === "config.json");
  const weights = files.filter((f) => f.name.endsWith(".safetensors"));
  if (!config) {
    throw new Error(
      `the checkpoint files (${files.map((f) => f.name).join(", ") || "none"}) hold no config.json; ` +
        `pick config.json and model.safetensors from the T5 folder`,
    );
  }
  if (weights.length !== 1) {
    throw new Error(
      `pick exactly one .safetensors weights file with config.json (got ${weights.length}: ` +
        `${weights.map((f) => f.name).join(", ") || "none"}); sharded and PyTorch checkpoints load under Deno only`,
    );
  }
  return { config, weights: weights[0] };
}

/** Loads the model, the optional adapter and the tokenizer onto the engine (call `initEngine()` first). */
export async function loadModel(files: ModelFiles): Promise<LoadedModel> {
  let configJson: unknown;
  try {
    configJson = JSON.parse(await files.config.blob.text());
  } catch (error) {
    throw new Error(`${files.config.name}: invalid JSON (${(error as Error).message})`);
  }
  const config = parseT5Config(configJson, files.config.name);
  const tokenizer = files.tokenizer.name.endsWith(".json")
    ? Tokenizer.fromTokenizerJson(await files.tokenizer.blob.text(), { source: files.tokenizer.name })
    : Tokenizer.fromSpieceModel(new Uint8Array(await files.tokenizer.blob.arrayBuffer()), {
      source: files.tokenizer.name,
    });
  const source = await SafetensorsSource.open(blobReader(files.weights.blob, files.weights.name), files.weights.name);
  let base: T5Model;
  try {
    base = await loadT5FromSource(source, config);
  } finally {
    source.close();
  }
  const params = [...base.params.values()].reduce((n, t) => n + t.size, 0);
  let summary = `T5 ${config.numLayers}+${config.numDecoderLayers} layers, d_model ${config.dModel}, ` +
    `vocab ${config.vocabSize}, ${params.toLocaleString("en")} parameters`;
  if (!files.adapter) return { model: base, adapted: null, base, tokenizer, tasks: [], summary };
  let adapted: AdaptedT5;
  try {
    adapted = loadMethodWeights(
      base,
      new Uint8Array(await files.adapter.blob.arrayBuffer()),
      files.adapter.name,
    );
  } catch (error) {
    base.dispose();
    throw error;
  }
  const m = adapted.method;
  const needsTask = [m.encoder, m.decoder].some((mode) => TASK_MODES.includes(mode));
  summary += `; method encoder "${m.encoder}" / decoder "${m.decoder}", ` +
    `${adapted.countParameters().trainable.toLocaleString("en")} trained parameters`;
  return { model: adapted, adapted, base, tokenizer, tasks: needsTask ? [...m.tasks] : [], summary };
}

/**
 * Tokenizes `text`, generates greedily (at most `maxNewTokens`) and decodes. `task` is passed to methods that
 * condition on the task. Errors name the token id a model's vocabulary cannot hold.
 */
export async function generateAnswer(
  loaded: LoadedModel,
  text: string,
  options: { maxNewTokens?: number; task?: string } = {},
): Promise<Answer> {
  const inputIds = loaded.tokenizer.encode(text);
  const vocab = loaded.model.config.vocabSize;
  const bad = inputIds.find((id) => id >= vocab);
  if (bad !== undefined) {
    throw new Error(
      `token id ${bad} (${JSON.stringify(loaded.tokenizer.idToPiece(bad))}) is outside the model's vocabulary of ` +
        `${vocab}; use the tokenizer the model was trained with`,
    );
  }
  const ids = tensor(Int32Array.from(inputIds), [1, inputIds.length], "i32");
  const mask = tensor(new Float32Array(inputIds.length).fill(1), [1, inputIds.length]);
  try {
    const extra = loaded.adapted
      ? loaded.adapted.generationOptions(loaded.tasks.length > 0 ? [options.task ?? loaded.tasks[0]] : undefined)
      : {};
    const [outputIds] = await greedySearch(loaded.model, ids, mask, {
      ...extra,
      maxNewTokens: options.maxNewTokens ?? 20,
    });
    return { inputIds, outputIds, text: loaded.tokenizer.decode(outputIds) };
  } finally {
    ids.dispose();
    mask.dispose();
  }
}
