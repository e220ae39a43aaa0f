/**
 * Deno-only: opens a Hugging Face checkpoint folder (or one weights file) as a {@link TensorSource}.
 * @module
 */
import { basename, join } from "@std/path";
import type { Float32Tensor, StoredTensor } from "./dtype.ts";
import { openFileReader } from "./file_reader.ts";
import { SafetensorsSource } from "./safetensors.ts";
import { parseShardIndex, ShardedSource } from "./sharded.ts";
import type { TensorInfo, TensorSource } from "./tensor_source.ts";
import { TorchCheckpointSource } from "./torch_checkpoint.ts";

/** Which file layout a checkpoint was read from. */
export type CheckpointFormat = "safetensors" | "safetensors-sharded" | "pytorch" | "pytorch-sharded";

/** Weight files looked for in a checkpoint folder, in order of preference (safetensors first, as HF does). */
export const CHECKPOINT_FILES: readonly { file: string; format: CheckpointFormat }[] = [
  { file: "model.safetensors", format: "safetensors" },
  { file: "model.safetensors.index.json", format: "safetensors-sharded" },
  { file: "pytorch_model.bin", format: "pytorch" },
  { file: "pytorch_model.bin.index.json", format: "pytorch-sharded" },
];

/** An opened checkpoint: a {@link TensorSource} plus where it came from. */
export class Checkpoint implements TensorSource {
  /** The file that was opened (weights file or index). */
  readonly label: string;
  /** File layout. */
  readonly format: CheckpointFormat;
  readonly #source: TensorSource;

  /** Wraps an opened source. */
  constructor(source: TensorSource, format: CheckpointFormat) {
    this.#source = source;
    this.format = format;
    this.label = source.label;
  }

  /** Tensor names. */
  names(): string[] {
    return this.#source.names();
  }

  /** Whether the checkpoint holds that tensor. */
  has(name: string): boolean {
    return this.#source.has(name);
  }

  /** dtype and shape of one tensor. */
  info(name: string): TensorInfo {
    return this.#source.info(name);
  }

  /** Reads one tensor (floats as `Float32Array`, I64 as `BigInt64Array`). */
  read(name: string): Promise<StoredTensor> {
    return this.#source.read(name);
  }

  /** Reads one tensor converted to float32. */
  readFloat32(name: string): Promise<Float32Tensor> {
    return this.#source.readFloat32(name);
  }

  /** Closes every open file. */
  close(): void {
    this.#source.close();
  }
}

/** Opens one safetensors file from disk. */
export async function openSafetensorsFile(path: string): Promise<SafetensorsSource> {
  const reader = await openFileReader(path);
  try {
    return await SafetensorsSource.open(reader, path);
  } catch (e) {
    reader.close();
    throw e;
  }
}

/** Opens one PyTorch zip checkpoint (`pytorch_model.bin`) from disk, unpickling it safely. */
export async function openTorchFile(path: string): Promise<TorchCheckpointSource> {
  const reader = await openFileReader(path);
  try {
    return await TorchCheckpointSource.open(reader, path);
  } catch (e) {
    reader.close();
    throw e;
  }
}

/** Whether `path` is an existing file (other stat errors, such as permissions, are thrown). */
export async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

async function openFile(path: string, format: CheckpointFormat): Promise<Checkpoint> {
  if (format === "safetensors") return new Checkpoint(await openSafetensorsFile(path), format);
  if (format === "pytorch") return new Checkpoint(await openTorchFile(path), format);
  const dir = path.slice(0, path.length - basename(path).length) || ".";
  const index = parseShardIndex(await Deno.readTextFile(path), path);
  const open = format === "safetensors-sharded" ? openSafetensorsFile : openTorchFile;
  return new Checkpoint(await ShardedSource.open(index, (file) => open(join(dir, file)), path), format);
}

function formatOfFile(path: string): CheckpointFormat {
  const name = basename(path);
  if (name.endsWith(".safetensors.index.json")) return "safetensors-sharded";
  if (name.endsWith(".bin.index.json")) return "pytorch-sharded";
  if (name.endsWith(".safetensors")) return "safetensors";
  if (name.endsWith(".bin") || name.endsWith(".pt") || name.endsWith(".pth")) return "pytorch";
  throw new Error(
    `'${path}': cannot tell the checkpoint format from the name (expected .safetensors, .bin, or an index)`,
  );
}

/**
 * Opens a checkpoint folder: `model.safetensors`, else `model.safetensors.index.json` (sharded), else
 * `pytorch_model.bin`, else `pytorch_model.bin.index.json`. A path to one weights or index file is opened directly.
 * Throws, listing what was looked for and what the folder holds, when nothing matches.
 */
export async function openCheckpoint(path: string): Promise<Checkpoint> {
  let stat: Deno.FileInfo;
  try {
    stat = await Deno.stat(path);
  } catch (e) {
    throw new Error(`checkpoint '${path}': ${(e as Error).message}`);
  }
  if (stat.isFile) return openFile(path, formatOfFile(path));
  for (const { file, format } of CHECKPOINT_FILES) {
    const candidate = join(path, file);
    if (await isFile(candidate)) return openFile(candidate, format);
  }
  const present: string[] = [];
  for await (const e of Deno.readDir(path)) present.push(e.name);
  present.sort();
  throw new Error(
    `no checkpoint weights in '${path}': looked for ${CHECKPOINT_FILES.map((c) => c.file).join(", ")}; ` +
      `the folder holds ${present.length === 0 ? "nothing" : present.join(", ")}. ` +
      `Download the weights there (e.g. model.safetensors from the model's Hub page)`,
  );
}
