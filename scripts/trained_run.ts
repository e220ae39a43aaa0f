/**
 * Opening a trained run for the `eval` and `analyze` CLIs: which checkpoint folder a path names, the run's config,
 * and the trained method rebuilt on its base model.
 * @module
 */
import { basename, dirname, join, resolve } from "@std/path";
import { type AdaptedT5, isFile, loadMethodWeights } from "@hyperdecoders/models";

export { isFile };
import type { Tokenizer } from "@hyperdecoders/data";
import {
  applyOverrides,
  baseModelFingerprint,
  buildBaseModel,
  listCheckpoints,
  resolveConfig,
  type TrainConfig,
  verifyCheckpoint,
} from "@hyperdecoders/train";

/** Whether `path` is an existing folder. */
export async function isDir(path: string): Promise<boolean> {
  return await Deno.stat(path).then((s) => s.isDirectory, () => false);
}

/** Reads a JSON object from `path`; errors name the file and say it is the `what` that is unreadable or invalid. */
export async function readJsonFile(path: string, what: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new Error(`${path}: cannot read ${what} (${(error as Error).message})`);
  }
  try {
    const value = JSON.parse(text);
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error("not a JSON object");
    return value;
  } catch (error) {
    throw new Error(`${path}: invalid ${what} (${(error as Error).message})`);
  }
}

/** A recorded best checkpoint, looked up by name under this run's checkpoints/ (so a moved or copied run finds its
 * own copy, never the original's). */
async function recordedBest(runDir: string, recorded: unknown): Promise<string | null> {
  const path = (recorded as { path?: unknown } | null)?.path;
  if (typeof path !== "string") return null;
  const candidate = join(runDir, "checkpoints", basename(path));
  return await isDir(candidate) ? candidate : null;
}

/**
 * Finds the checkpoint folder and the run folder for `path`: a checkpoint folder itself, or a training output folder
 * (best checkpoint from `results.json`, else from the newest checkpoint's `trainer_state.json`, else the newest).
 */
export async function resolveCheckpoint(
  path: string,
  pick: "best" | "last" = "best",
): Promise<{ checkpoint: string; runDir: string | null; chosenBy: string }> {
  if (!(await isDir(path))) {
    throw new Error(`${path}: not found or not a folder; pass a training output folder or a checkpoint folder`);
  }
  if (await isFile(join(path, "trainer_state.json")) || await isFile(join(path, "trainable.safetensors"))) {
    const parent = dirname(resolve(path));
    return { checkpoint: path, runDir: basename(parent) === "checkpoints" ? dirname(parent) : null, chosenBy: "given" };
  }
  const list = await listCheckpoints(join(path, "checkpoints"));
  if (list.length === 0) {
    throw new Error(
      `${path}: no complete checkpoint in ${join(path, "checkpoints")} (unfinished .partial-* folders are ignored); ` +
        `pass a training output folder or a checkpoint folder`,
    );
  }
  const newest = list[list.length - 1].path;
  if (pick === "last") return { checkpoint: newest, runDir: path, chosenBy: "newest" };
  const resultsPath = join(path, "results.json");
  if (await isFile(resultsPath)) {
    const best = await recordedBest(path, (await readJsonFile(resultsPath, "results")).best);
    if (best) return { checkpoint: best, runDir: path, chosenBy: "best in results.json" };
  }
  const statePath = join(newest, "trainer_state.json");
  if (await isFile(statePath)) {
    const best = await recordedBest(path, (await readJsonFile(statePath, "trainer state")).best);
    if (best) return { checkpoint: best, runDir: path, chosenBy: `best in ${statePath}` };
  }
  return { checkpoint: newest, runDir: path, chosenBy: "newest (no best recorded)" };
}

/** Reads a run's config file and resolves it, after the `--section.field value` overrides. */
export async function readRunConfig(configPath: string, overrides: [string, string][] = []): Promise<TrainConfig> {
  const raw = await readJsonFile(configPath, "config");
  return resolveConfig(applyOverrides(raw, overrides), configPath);
}

/**
 * The step and trainable weights of a checkpoint folder (the optimiser moments are not needed to evaluate), after
 * checking its files against the SHA-256 values it records.
 */
export async function readTrainedWeights(checkpoint: string): Promise<{ step: number; trainable: Uint8Array }> {
  // Checkpoints written before checksums were recorded get the per-file errors below instead.
  const damage = await isFile(join(checkpoint, "checksums.json")) ? await verifyCheckpoint(checkpoint) : undefined;
  if (damage) throw new Error(`damaged checkpoint: ${damage}; evaluate another checkpoint of the run`);
  const statePath = join(checkpoint, "trainer_state.json");
  const state = await readJsonFile(statePath, "trainer state (damaged checkpoint?)");
  if (!Number.isInteger(state.step)) throw new Error(`${statePath}: "step" missing or not an integer`);
  return { step: state.step as number, trainable: await readTrainable(checkpoint) };
}

async function readTrainable(checkpoint: string): Promise<Uint8Array> {
  const weightsPath = join(checkpoint, "trainable.safetensors");
  try {
    return await Deno.readFile(weightsPath);
  } catch (error) {
    throw new Error(`${weightsPath}: cannot read the trained weights (${(error as Error).message})`);
  }
}

/**
 * Rebuilds the base model `config` names and loads a checkpoint's trained method weights on top of it (`trainable`:
 * the bytes of its `trainable.safetensors` when already read). The base must be the one the checkpoint was trained on
 * (the fingerprint its trainer_state.json records); the base is disposed if the weights do not fit it;
 * otherwise the caller owns both: dispose the model, then `model.base`.
 */
export async function loadTrainedModel(
  config: TrainConfig,
  tokenizer: Tokenizer,
  checkpoint: string,
  trainable?: Uint8Array,
): Promise<AdaptedT5> {
  const bytes = trainable ?? await readTrainable(checkpoint);
  const statePath = join(checkpoint, "trainer_state.json");
  const recorded = await isFile(statePath) ? (await readJsonFile(statePath, "trainer state")).baseModel : undefined;
  if (typeof recorded === "string") {
    const now = await baseModelFingerprint(config);
    if (now !== recorded) {
      throw new Error(
        `${checkpoint}: trained on a different base model (fingerprint ${recorded.slice(0, 16)}…) than the config ` +
          `names (${now.slice(0, 16)}…: model ${JSON.stringify(config.model)}); evaluate with the run's own model ` +
          `settings`,
      );
    }
  }
  const base = await buildBaseModel(config, tokenizer);
  try {
    return loadMethodWeights(base, bytes, join(checkpoint, "trainable.safetensors"));
  } catch (error) {
    base.dispose();
    throw error;
  }
}
