/**
 * Checkpoints written atomically: each is a folder `checkpoint-<step>` assembled under a temporary name
 * (`.partial-…`), flushed, and renamed into place only when complete. Re-saving a step that already has a checkpoint
 * moves the old one aside (`.replaced-…`), renames the new one in, and only then deletes the old one, so a crash at
 * any point leaves a complete checkpoint of that step (new or old) or one {@link recoverCheckpoints} restores.
 * A checkpoint holds the trainable weights (`trainable.safetensors`, method config in its metadata, loadable with
 * `loadMethodWeights` on top of the base checkpoint), the optimiser moments (`optimizer.safetensors`), the trainer
 * state (`trainer_state.json`: step, loader position, best metric) and `checksums.json`, the SHA-256 of each of those,
 * verified on load.
 * @module
 */
import { basename, join } from "@std/path";
import { decodeSafetensors, serializeSafetensors } from "@hyperdecoders/models";
import { removeLeftovers, sha256Hex, syncDir, writeFileAtomic } from "@hyperdecoders/data";

export { writeFileAtomic };

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
const PARTIAL = ".partial-";
const REPLACED = ".replaced-";
const DELETING = ".deleting-";
/** The file of a checkpoint that records the SHA-256 of the others. */
export const CHECKSUMS_FILE = "checksums.json";

/** Name of the folder of the checkpoint at `step`. */
export function checkpointName(step: number): string {
  return `${PREFIX}${String(step).padStart(8, "0")}`;
}

/** Writes a checkpoint folder atomically under `dir` and returns its path. */
export async function saveCheckpoint(dir: string, data: CheckpointData): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  const name = checkpointName(data.step);
  const final = join(dir, name);
  const id = crypto.randomUUID().slice(0, 8);
  const tmp = join(dir, `${PARTIAL}${name}-${id}`);
  await Deno.mkdir(tmp);
  try {
    const files: Record<string, Uint8Array> = { "trainable.safetensors": data.trainable };
    if (data.optimizer) {
      const moments: Record<string, { dtype: "F32"; shape: number[]; data: Float32Array }> = {};
      for (const [k, m] of Object.entries(data.optimizer.m)) {
        moments[`m.${k}`] = { dtype: "F32", shape: [m.length], data: m };
      }
      for (const [k, v] of Object.entries(data.optimizer.v)) {
        moments[`v.${k}`] = { dtype: "F32", shape: [v.length], data: v };
      }
      files["optimizer.safetensors"] = serializeSafetensors(moments, { step: String(data.optimizer.step) });
    }
    files["trainer_state.json"] = new TextEncoder().encode(JSON.stringify({ step: data.step, ...data.state }, null, 2));
    const sums: Record<string, string> = {};
    for (const [file, bytes] of Object.entries(files)) {
      await writeFileAtomic(join(tmp, file), bytes);
      sums[file] = await sha256Hex(bytes);
    }
    await writeFileAtomic(join(tmp, CHECKSUMS_FILE), JSON.stringify({ sha256: sums }, null, 2) + "\n");
    const aside = join(dir, `${REPLACED}${name}-${id}`);
    let replaced = false;
    try {
      await Deno.rename(final, aside);
      replaced = true;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    await Deno.rename(tmp, final);
    await syncDir(dir);
    if (replaced) await Deno.remove(aside, { recursive: true });
  } catch (error) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    throw error;
  }
  return final;
}

/**
 * Puts a checkpoints folder back in order after a crash: a checkpoint moved aside while being replaced is restored
 * from the complete new one (or from the old one); leftover `.partial-*`, `.replaced-*`, `.deleting-*`, `.staging-*` folders and
 * `*.tmp-*` files are removed. Returns what it did, one line each, for the log.
 */
export async function recoverCheckpoints(dir: string): Promise<string[]> {
  const done: string[] = [];
  let names: string[];
  try {
    names = [...Deno.readDirSync(dir)].filter((e) => e.isDirectory).map((e) => e.name);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return done;
    throw error;
  }
  const stepOf = (n: string, prefix: string) => n.slice(prefix.length).replace(/-[0-9a-f]{8}$/, "");
  const staged = names.filter((n) => n.startsWith(REPLACED) || n.startsWith(PARTIAL));
  const targets = new Set(staged.map((n) => stepOf(n, n.startsWith(REPLACED) ? REPLACED : PARTIAL)));
  for (const target of targets) {
    if (names.includes(target) || !target.startsWith(PREFIX)) continue;
    // Killed before the new copy was renamed in (after the old one was moved aside, if there was one): a complete
    // new copy wins, else the old one goes back.
    let chosen: string | undefined;
    for (const p of staged.filter((n) => n.startsWith(PARTIAL) && stepOf(n, PARTIAL) === target)) {
      if ((await verifyCheckpoint(join(dir, p), true)) === undefined) chosen = p;
    }
    chosen ??= staged.find((n) => n.startsWith(REPLACED) && stepOf(n, REPLACED) === target);
    if (chosen === undefined) continue;
    await Deno.rename(join(dir, chosen), join(dir, target));
    names.push(target);
    done.push(`restored ${target} from ${chosen}`);
  }
  await syncDir(dir);
  const removed = await removeLeftovers(dir, [PARTIAL, REPLACED, DELETING, ".staging-"]);
  if (removed.length > 0) done.push(`removed leftovers of an interrupted save: ${removed.join(", ")}`);
  return done;
}

/**
 * Checks a checkpoint folder's files against its `checksums.json`; returns what is wrong, or undefined when intact.
 * Folders written before checksums were recorded are only checked for their required files (or refused with
 * `requireChecksums`, as a staged copy must be complete).
 */
export async function verifyCheckpoint(path: string, requireChecksums = false): Promise<string | undefined> {
  let sums: Record<string, string> | undefined;
  try {
    const text = await Deno.readTextFile(join(path, CHECKSUMS_FILE));
    try {
      sums = JSON.parse(text).sha256;
      if (typeof sums !== "object" || sums === null) throw new Error('no "sha256" object');
    } catch (error) {
      return `${join(path, CHECKSUMS_FILE)} is damaged (${(error as Error).message})`;
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound) || requireChecksums) {
      return `${join(path, CHECKSUMS_FILE)}: ${(error as Error).message}`;
    }
  }
  const required = sums ? Object.keys(sums) : ["trainable.safetensors", "trainer_state.json"];
  for (const file of required) {
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(join(path, file));
    } catch (error) {
      // A missing optimiser state is not damage to fall back from: loadCheckpoint refuses it unless asked not to.
      if (file === "optimizer.safetensors" && error instanceof Deno.errors.NotFound) continue;
      return `${join(path, file)} is missing or unreadable (${(error as Error).message})`;
    }
    if (sums && (await sha256Hex(bytes)) !== sums[file]) {
      return `${join(path, file)} does not match its recorded SHA-256 (truncated or changed after it was saved)`;
    }
  }
  return undefined;
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

/** Options of {@link loadCheckpoint}. */
export interface LoadCheckpointOptions {
  /** Accept a checkpoint without `optimizer.safetensors` (resume then starts Adam afresh). Default: such a
   * checkpoint is refused, since resuming it would silently reset the optimiser. Evaluation passes true. */
  freshOptimizer?: boolean;
}

/**
 * Reads a checkpoint folder after verifying it against its checksums; errors name the file. Without
 * `freshOptimizer`, a missing `optimizer.safetensors` is an error.
 */
export async function loadCheckpoint(path: string, options: LoadCheckpointOptions = {}): Promise<CheckpointData> {
  const damage = await verifyCheckpoint(path);
  if (damage) throw new Error(`damaged checkpoint: ${damage}`);
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
    if (!options.freshOptimizer) {
      throw new Error(
        `${optPath}: missing, so the optimiser state (Adam moments) cannot be restored; pass --fresh-optimizer to ` +
          `resume with a fresh optimiser anyway`,
      );
    }
  }
  const step = Number(state.step);
  if (!Number.isInteger(step)) throw new Error(`${stateFile}: "step" missing or not an integer`);
  return { step, trainable, optimizer, state };
}

/** Deletes all but the newest `keep` checkpoints, never deleting `protect` (the best one). */
export async function pruneCheckpoints(dir: string, keep: number, protect?: string): Promise<void> {
  const all = await listCheckpoints(dir);
  for (const c of all.slice(0, Math.max(0, all.length - keep))) {
    if (c.path === protect) continue;
    // Renamed out of the checkpoint names first, so that a crash mid-delete leaves no half-deleted checkpoint.
    const doomed = join(dir, `${DELETING}${basename(c.path)}-${crypto.randomUUID().slice(0, 8)}`);
    await Deno.rename(c.path, doomed);
    await Deno.remove(doomed, { recursive: true });
  }
}

/**
 * Loads the newest intact checkpoint of a checkpoints folder. A damaged one (truncated, emptied, flipped bytes, a file
 * missing) is skipped with a warning naming the damage, falling back to the previous one; when none is intact the
 * error names every damage. A missing `optimizer.safetensors` is not skipped: it is an error unless `freshOptimizer`.
 */
export async function loadLatestCheckpoint(
  dir: string,
  options: LoadCheckpointOptions & { warn?: (message: string) => void } = {},
): Promise<{ path: string; data: CheckpointData } | null> {
  const list = await listCheckpoints(dir);
  if (list.length === 0) return null;
  const damages: string[] = [];
  for (let i = list.length - 1; i >= 0; i--) {
    const damage = await verifyCheckpoint(list[i].path);
    if (damage === undefined) {
      const data = await loadCheckpoint(list[i].path, options);
      return { path: list[i].path, data };
    }
    damages.push(damage);
    const next = i > 0 ? `falling back to ${list[i - 1].path}` : "no earlier checkpoint is left";
    options.warn?.(`warning: checkpoint ${list[i].path} is damaged: ${damage}; ${next}`);
  }
  throw new Error(`no intact checkpoint in ${dir}:\n  ${damages.join("\n  ")}`);
}
