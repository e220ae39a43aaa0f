/**
 * `Tensor`: an f32 (or i32/u32) array of a given shape in a GPU buffer, with reference-counted storage so that cheap
 * views (reshape) share memory, and explicit disposal.
 * @module
 */
import { getEngine } from "./engine.ts";
import type { PooledBuffer } from "./pool.ts";
import { keep, track } from "./scope.ts";

/** Element type. Every element is 4 bytes. */
export type DType = "f32" | "i32" | "u32";

/** Typed array for a dtype. */
export type TypedArrayFor<D extends DType> = D extends "f32" ? Float32Array
  : D extends "i32" ? Int32Array
  : Uint32Array;

/** A node of the autograd tape (defined in autograd.ts). */
export interface GradNode {
  /** Name of the op that made the tensor. */
  op: string;
}

class Storage {
  refs = 1;
  constructor(readonly buffer: PooledBuffer) {}
  release(): void {
    if (--this.refs === 0) {
      const engine = getEngine();
      engine.pool.release(this.buffer, engine.recorder.epoch);
    }
  }
}

/** Number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i];
  return n;
}

/** Formats a shape for messages: `[2, 3]`. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

function checkShape(shape: readonly number[], what: string): void {
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    if (!Number.isInteger(d) || d < 0) throw new Error(`${what}: invalid shape ${fmtShape(shape)}`);
  }
}

/** The explanation used when a disposed tensor is used: what it was and how it usually happens. */
export function disposedMessage(t: Tensor): string {
  return `use of a disposed tensor ${t.describe()} (freed by dispose() or by the scope() that created it; ` +
    "return it from the scope or keep() it to use it later)";
}

/** A GPU tensor. Create with {@link tensor}, {@link zeros}, {@link empty} or an op. */
export class Tensor {
  /** Dimensions. */
  readonly shape: readonly number[];
  /** Element type. */
  readonly dtype: DType;
  /** Number of elements. */
  readonly size: number;
  /** Whether gradients flow to this tensor. */
  requiresGrad = false;
  /** Accumulated gradient of a leaf tensor after `backward()`. */
  grad: Tensor | null = null;
  /** The tape node that produced this tensor, if recorded. */
  node: GradNode | null = null;
  /** Optional name, used in errors and checkpoints. */
  name: string | undefined;
  #storage: Storage | null;

  /** Internal: use the factory functions. */
  constructor(storage: unknown, shape: readonly number[], dtype: DType) {
    this.#storage = storage as Storage;
    this.shape = Object.freeze([...shape]);
    this.dtype = dtype;
    this.size = sizeOf(shape);
    track(this);
  }

  /** True after {@link Tensor.dispose}. */
  get disposed(): boolean {
    return this.#storage === null;
  }

  /** True while another tensor (a view, a saved alias) holds the same storage. */
  get sharesStorage(): boolean {
    return this.#storage !== null && this.#storage.refs > 1;
  }

  /** Number of dimensions. */
  get rank(): number {
    return this.shape.length;
  }

  /** The pooled buffer behind the tensor; throws on use after dispose. */
  get buffer(): PooledBuffer {
    if (!this.#storage) throw new Error(disposedMessage(this));
    return this.#storage.buffer;
  }

  /** "name [shape] dtype" for messages. */
  describe(): string {
    return `${this.name ? this.name + " " : ""}${fmtShape(this.shape)} ${this.dtype}`;
  }

  /** Frees this tensor's reference to its storage (views and tape-saved aliases keep it alive). Idempotent. */
  dispose(): void {
    if (!this.#storage) return;
    this.#storage.release();
    this.#storage = null;
    if (this.grad) {
      this.grad.dispose();
      this.grad = null;
    }
  }

  /** A new tensor object sharing this storage, with another shape of the same size (no copy, no autograd). */
  view(shape: readonly number[]): Tensor {
    if (!this.#storage) throw new Error(`view of a disposed tensor ${this.describe()}`);
    if (sizeOf(shape) !== this.size) {
      throw new Error(`view: cannot view ${this.describe()} as ${fmtShape(shape)} (sizes differ)`);
    }
    this.#storage.refs++;
    return new Tensor(this.#storage, shape, this.dtype);
  }

  /** Reads the values back to the CPU (submits pending work; ≈10 ms in Deno). */
  async data(): Promise<Float32Array | Int32Array | Uint32Array> {
    const engine = getEngine();
    const bytes = await engine.recorder.read(this.buffer.buffer, 0, this.size * 4);
    engine.checkHealthy();
    if (this.dtype === "i32") return new Int32Array(bytes);
    if (this.dtype === "u32") return new Uint32Array(bytes);
    return new Float32Array(bytes);
  }

  /** Reads a one-element tensor as a number. */
  async item(): Promise<number> {
    if (this.size !== 1) throw new Error(`item(): tensor ${this.describe()} has ${this.size} elements, not 1`);
    return (await this.data())[0];
  }

  /** Marks this tensor as a trainable leaf and keeps it out of every scope. */
  asParameter(name?: string): this {
    this.requiresGrad = true;
    if (name) this.name = name;
    keep(this);
    return this;
  }
}

/** Allocates an uninitialised tensor. `what` names the requesting op in errors. */
export function empty(shape: readonly number[], dtype: DType = "f32", what = "empty"): Tensor {
  checkShape(shape, what);
  const engine = getEngine();
  const bytes = Math.max(4, sizeOf(shape) * 4);
  const buffer = engine.pool.acquire(bytes, () => `${what}: tensor ${fmtShape(shape)} ${dtype}`);
  return new Tensor(new Storage(buffer), shape, dtype);
}

/** Uploads values into a new tensor. */
export function tensor(
  data: ArrayLike<number> | Float32Array | Int32Array | Uint32Array,
  shape: readonly number[] = [data.length],
  dtype: DType = "f32",
): Tensor {
  checkShape(shape, "tensor");
  if (data.length !== sizeOf(shape)) {
    throw new Error(`tensor: ${data.length} values do not fill shape ${fmtShape(shape)} (${sizeOf(shape)} elements)`);
  }
  const engine = getEngine();
  const buffer = engine.pool.acquire(
    Math.max(4, data.length * 4),
    `tensor: ${fmtShape(shape)} ${dtype}`,
    engine.recorder.epoch,
  );
  const typed = dtype === "f32"
    ? (data instanceof Float32Array ? data : Float32Array.from(data))
    : dtype === "i32"
    ? (data instanceof Int32Array ? data : Int32Array.from(data))
    : (data instanceof Uint32Array ? data : Uint32Array.from(data));
  if (typed.length > 0) {
    engine.gpu.device.queue.writeBuffer(
      buffer.buffer,
      0,
      typed.buffer as ArrayBuffer,
      typed.byteOffset,
      typed.byteLength,
    );
  }
  return new Tensor(new Storage(buffer), shape, dtype);
}

/** Overwrites a tensor's values from the CPU (ordered after everything already submitted; flushes pending work). */
export function writeTensor(target: Tensor, data: Float32Array | Int32Array | Uint32Array): void {
  if (data.length !== target.size) {
    throw new Error(`writeTensor: ${data.length} values for ${target.describe()}`);
  }
  const engine = getEngine();
  engine.recorder.flush();
  engine.gpu.device.queue.writeBuffer(
    target.buffer.buffer,
    0,
    data.buffer as ArrayBuffer,
    data.byteOffset,
    data.byteLength,
  );
}
