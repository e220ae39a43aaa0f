/**
 * Checkpoints written atomically: each is a folder `checkpoint-<step>` assembled under a temporary name and renamed
 * into place only when complete, so a crash mid-write never damages the previous checkpoint. Holds the trainable
 * weights (`trainable.safetensors`, method config in its metadata, loadable with `loadMethodWeights` on top of the
 * base checkpoint), the optimiser moments
 * (`optimizer.safetensors`) and the trainer state (`trainer_state.json`: step, loader position, best metric).
 * @module
 */
import { join } from "@std/path";
import { decodeSafetensors, serializeSafetensors } from "@hyperdecoders/models";

/** Everything a checkpoint holds, in CPU memory. */
export interface CheckpointData {
  /** Optimiser step at which it was taken. */
  step: number;
  /** The trainable weights as a safetensors file (from `saveMethodWeights`: method config in its metadata). */
  trainable: Uint8Array;
  /** Adam moments per parameter name (m, v) and the optimiser's step count. */
  optimizer: { step: number; m: Record<string, Float32Array>; v: Record<string, Float32Array> } | null;
  /** Trainer state (loader position, best metric, …), JSON. */
  state: Record<string, unknown>;
}

const PREFIX = "checkpoint-";

/** Writes bytes to `path` atomically: a temporary file in the same folder, flushed, then renamed over `path`. */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${path}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const file = await Deno.open(tmp, { write: true, create: true, truncate: true });
  try {
    let written = 0;
    while (written < bytes.length) written += await file.write(bytes.subarray(written));
    await file.sync();
  } finally {
    file.close();
  }
  await Deno.rename(tmp, path);
}

/** Name of the folder of the checkpoint at `step`. */
export function checkpointName(step: number): string {
  return `${PREFIX}${String(step).padStart(8, "0")}`;
}

/** Writes a checkpoint folder atomically under `dir` and returns its path. */
export async function saveCheckpoint(dir: string, data: CheckpointData): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  const final = join(dir, checkpointName(data.step));
  const tmp = join(dir, `.partial-${checkpointName(data.step)}-${crypto.randomUUID().slice(0, 8)}`);
  await Deno.mkdir(tmp);
  try {
    await writeFileAtomic(join(tmp, "trainable.safetensors"), data.trainable);
    if (data.optimizer) {
      const moments: Record<string, { dtype: "F32"; shape: number[]; data: Float32Array }> = {};
      for (const [k, m] of Object.entries(data.optimizer.m)) {
        moments[`m.${k}`] = { dtype: "F32", shape: [m.length], data: m };
      }
      for (const [k, v] of Object.entries(data.optimizer.v)) {
        moments[`v.${k}`] = { dtype: "F32", shape: [v.length], data: v };
      }
      await writeFileAtomic(
        join(tmp, "optimizer.safetensors"),
        serializeSafetensors(moments, { step: String(data.optimizer.step) }),
      );
    }
    await writeFileAtomic(join(tmp, "trainer_state.json"), JSON.stringify({ step: data.step, ...data.state }, null, 2));
    await Deno.remove(final, { recursive: true }).catch(() => {});
    await Deno.rename(tmp, final);
  } catch (error) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    throw error;
  }
  return final;
}

/** Complete checkpoint folders under `dir`, oldest first (partial ones are ignored). */
export async function listCheckpoints(dir: string): Promise<{ step: number; path: string }[]> {
  const found: { step: number; path: string }[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isDirectory || !entry.name.startsWith(PREFIX)) continue;
      const step = Number(entry.name.slice(PREFIX.length));
      if (Number.isInteger(step)) found.push({ step, path: join(dir, entry.name) });
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  return found.sort((a, b) => a.step - b.step);
}

/** Reads a checkpoint folder; errors name the file. */
export async function loadCheckpoint(path: string): Promise<CheckpointData> {
  const read = async (name: string) => {
    try {
      return await Deno.readFile(join(path, name));
    } catch (error) {
      throw new Error(`${join(path, name)}: cannot read checkpoint file (${(error as Error).message})`);
    }
  };
  const stateFile = join(path, "trainer_state.json");
  let state: Record<string, unknown>;
  try {
    state = JSON.parse(new TextDecoder().decode(await read("trainer_state.json")));
  } catch (error) {
    throw new Error(`${stateFile}: invalid trainer state (${(error as Error).message})`);
  }
  const trainable = await read("trainable.safetensors");
  let optimizer: CheckpointData["optimizer"] = null;
  const optPath = join(path, "optimizer.safetensors");
  try {
    await Deno.stat(optPath);
    const opt = decodeSafetensors(await read("optimizer.safetensors"), optPath);
    const m: Record<string, Float32Array> = {};
    const v: Record<string, Float32Array> = {};
    for (const [name, t] of Object.entries(opt.tensors)) {
      if (name.startsWith("m.")) m[name.slice(2)] = t.data as Float32Array;
      else if (name.startsWith("v.")) v[name.slice(2)] = t.data as Float32Array;
    }
    optimizer = { step: Number(opt.metadata.step ?? 0), m, v };
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const step = Number(state.step);
  if (!Number.isInteger(step)) throw new Error(`${stateFile}: "step" missing or not an integer`);
  return { step, trainable, optimizer, state };
}

/** Deletes all but the newest `keep` checkpoints, never deleting `protect` (the best one). */
export async function pruneCheckpoints(dir: string, keep: number, protect?: string): Promise<void> {
  const all = await listCheckpoints(dir);
  for (const c of all.slice(0, Math.max(0, all.length - keep))) {
    if (c.path !== protect) await Deno.remove(c.path, { recursive: true });
  }
}
