/**
 * Sharded checkpoints: an index JSON (`model.safetensors.index.json`, `pytorch_model.bin.index.json`) whose
 * `weight_map` names the shard file holding each tensor.
 * @module
 */
import type { Float32Tensor, StoredTensor } from "./dtype.ts";
import { missingTensorError, type TensorInfo, type TensorSource } from "./tensor_source.ts";

/** A parsed shard index. */
export interface ShardIndex {
  /** Tensor name → shard file name (relative to the index's folder). */
  weightMap: Record<string, string>;
  /** The index's `metadata` object (e.g. `total_size`), or an empty object. */
  metadata: Record<string, unknown>;
  /** Distinct shard file names, in first-use order. */
  shards: string[];
}

/** Parses and validates an index JSON text; shard names must be plain file names (no folders, no `..`). */
export function parseShardIndex(text: string, label: string): ShardIndex {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(`shard index '${label}': not valid JSON (${(e as Error).message})`);
  }
  const root = parsed as Record<string, unknown> | null;
  const map = root?.weight_map;
  if (typeof map !== "object" || map === null || Array.isArray(map)) {
    throw new Error(`shard index '${label}': missing the "weight_map" object (tensor name → shard file)`);
  }
  const weightMap: Record<string, string> = {};
  const shards: string[] = [];
  for (const [name, file] of Object.entries(map as Record<string, unknown>)) {
    if (typeof file !== "string" || file === "" || file === "." || file === ".." || /[/\\]/.test(file)) {
      throw new Error(
        `shard index '${label}': weight_map entry for '${name}' must be a shard file name in the same folder, got ${
          JSON.stringify(file)
        }`,
      );
    }
    weightMap[name] = file;
    if (!shards.includes(file)) shards.push(file);
  }
  if (shards.length === 0) throw new Error(`shard index '${label}': "weight_map" is empty`);
  const meta = root?.metadata;
  const metadata = typeof meta === "object" && meta !== null && !Array.isArray(meta)
    ? meta as Record<string, unknown>
    : {};
  return { weightMap, metadata, shards };
}

/** Tensors spread over several shard sources, routed by the index's weight map. */
export class ShardedSource implements TensorSource {
  /** Index path or label. */
  readonly label: string;
  /** The parsed index. */
  readonly index: ShardIndex;
  readonly #shards: Map<string, TensorSource>;

  /** Builds the source; every mapped tensor must exist in its shard (checked here, so errors come early). */
  constructor(index: ShardIndex, shards: Map<string, TensorSource>, label: string) {
    this.label = label;
    this.index = index;
    this.#shards = shards;
    for (const [name, file] of Object.entries(index.weightMap)) {
      const shard = shards.get(file);
      if (shard === undefined) throw new Error(`shard index '${label}': shard '${file}' was not opened`);
      if (!shard.has(name)) {
        throw new Error(`shard index '${label}': maps tensor '${name}' to '${file}', which does not contain it`);
      }
    }
  }

  /**
   * Opens every shard named by the index with `openShard` (which gets the shard file name) and builds the source.
   * Shards opened before a failure are closed again.
   */
  static async open(
    index: ShardIndex,
    openShard: (file: string) => Promise<TensorSource>,
    label: string,
  ): Promise<ShardedSource> {
    const shards = new Map<string, TensorSource>();
    try {
      for (const file of index.shards) shards.set(file, await openShard(file));
      return new ShardedSource(index, shards, label);
    } catch (e) {
      for (const s of shards.values()) s.close();
      throw e;
    }
  }

  #route(name: string): TensorSource {
    const file = this.index.weightMap[name];
    if (file === undefined || !Object.hasOwn(this.index.weightMap, name)) {
      throw missingTensorError(`shard index '${this.label}'`, name, this.names());
    }
    return this.#shards.get(file)!;
  }

  /** Tensor names in index order. */
  names(): string[] {
    return Object.keys(this.index.weightMap);
  }

  /** Whether the index maps that name. */
  has(name: string): boolean {
    return Object.hasOwn(this.index.weightMap, name);
  }

  /** dtype and shape from the owning shard. */
  info(name: string): TensorInfo {
    return this.#route(name).info(name);
  }

  /** Reads one tensor from its shard. */
  read(name: string): Promise<StoredTensor> {
    try {
      return this.#route(name).read(name);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Reads one tensor from its shard as float32. */
  readFloat32(name: string): Promise<Float32Tensor> {
    try {
      return this.#route(name).readFloat32(name);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Closes every shard. */
  close(): void {
    for (const s of this.#shards.values()) s.close();
  }
}
