/**
 * A size-class pool of GPU storage buffers, with byte accounting.
 *
 * A buffer released to the pool may be handed to commands encoded later: the queue runs them in order. Uploads via
 * `queue.writeBuffer` are different (they run before commands still waiting in the open encoder), so
 * {@link BufferPool.acquire} can be told to avoid buffers released since the last submit.
 * @module
 */

/** A GPU buffer owned by the pool. */
export interface PooledBuffer {
  /** The buffer (STORAGE | COPY_SRC | COPY_DST). */
  buffer: GPUBuffer;
  /** Its size class in bytes (≥ what was asked). */
  bytes: number;
  /** Stable id used in bind-group cache keys. */
  id: number;
  /** Submit epoch in which it was last released; commands of that epoch may still use it. */
  releasedEpoch: number;
}

const MIN_CLASS = 256;

/** Rounds a byte count up to its size class: 256 B minimum, then four classes per power of two. */
export function sizeClass(bytes: number): number {
  if (bytes <= MIN_CLASS) return MIN_CLASS;
  const pow = 2 ** Math.floor(Math.log2(bytes));
  const step = Math.max(MIN_CLASS, pow / 4);
  return Math.ceil(bytes / step) * step;
}

/** Options of a {@link BufferPool}. */
export interface PoolOptions {
  /** Refuse allocations that would take live bytes past this (default: no cap beyond the device's). */
  maxLiveBytes?: number;
  /** The device's largest buffer. */
  maxBufferSize: number;
}

/** Thrown when an allocation cannot be satisfied. */
export class OutOfMemoryError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "OutOfMemoryError";
  }
}

/** The pool. Create one per device. */
export class BufferPool {
  #device: GPUDevice;
  #free = new Map<number, PooledBuffer[]>();
  #nextId = 1;
  #live = 0;
  #pooled = 0;
  #peak = 0;
  #created = 0;
  #options: PoolOptions;

  /** Creates a pool on a device. */
  constructor(device: GPUDevice, options: PoolOptions) {
    this.#device = device;
    this.#options = options;
  }

  /** Bytes held by buffers in use. */
  get liveBytes(): number {
    return this.#live;
  }

  /** Bytes held by free buffers kept for reuse. */
  get pooledBytes(): number {
    return this.#pooled;
  }

  /** Highest `liveBytes` seen. */
  get peakLiveBytes(): number {
    return this.#peak;
  }

  /** Restarts the peak at the current live bytes (to measure the peak of one phase, e.g. a training step). */
  resetPeak(): void {
    this.#peak = this.#live;
  }

  /** Number of GPU buffers created so far (a step that reuses everything creates none). */
  get buffersCreated(): number {
    return this.#created;
  }

  /** Sets the cap on live bytes (undefined: none). */
  setMaxLiveBytes(bytes: number | undefined): void {
    this.#options.maxLiveBytes = bytes;
  }

  /**
   * Takes a buffer of at least `bytes` bytes. `what` names the request in errors (a function is called only for an
   * error, so that callers need not format a message per allocation). With `notReleasedIn`, a free buffer released in
   * that epoch is skipped (for uploads that must not overtake pending commands).
   */
  acquire(bytes: number, what: string | (() => string), notReleasedIn = -1): PooledBuffer {
    const cls = sizeClass(bytes);
    const name = (): string => (typeof what === "function" ? what() : what);
    if (cls > this.#options.maxBufferSize) {
      throw new OutOfMemoryError(
        `${name()}: needs ${bytes} bytes, more than this device's largest buffer (${this.#options.maxBufferSize} bytes)`,
      );
    }
    const cap = this.#options.maxLiveBytes;
    if (cap !== undefined && this.#live + cls > cap) {
      throw new OutOfMemoryError(
        `${name()}: out of memory: ${cls} more bytes would exceed the ${cap}-byte limit (${this.#live} live)`,
      );
    }
    const list = this.#free.get(cls);
    let found: PooledBuffer | undefined;
    if (list && list.length > 0) {
      // Lists are sorted by descending id, so this takes the lowest id: a deterministic choice, whatever the order of
      // earlier releases, so that a repeated step gets the same buffers and hits the recorder's bind-group cache.
      for (let i = list.length - 1; i >= 0; i--) {
        if (list[i].releasedEpoch !== notReleasedIn) {
          found = list[i];
          list.splice(i, 1);
          break;
        }
      }
    }
    if (found) {
      this.#pooled -= cls;
    } else {
      const buffer = this.#device.createBuffer({
        size: cls,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      });
      this.#created++;
      found = { buffer, bytes: cls, id: this.#nextId++, releasedEpoch: -1 };
    }
    this.#live += cls;
    if (this.#live > this.#peak) this.#peak = this.#live;
    return found;
  }

  /** Returns a buffer for reuse, tagged with the current submit epoch. */
  release(buffer: PooledBuffer, epoch: number): void {
    buffer.releasedEpoch = epoch;
    this.#live -= buffer.bytes;
    this.#pooled += buffer.bytes;
    let list = this.#free.get(buffer.bytes);
    if (!list) this.#free.set(buffer.bytes, list = []);
    // insert keeping ids descending (binary search; lists hold at most a few hundred buffers)
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid].id > buffer.id) lo = mid + 1;
      else hi = mid;
    }
    list.splice(lo, 0, buffer);
  }

  /** Destroys every free buffer. Only call when no submitted or pending command can still use them. */
  trim(): void {
    for (const list of this.#free.values()) for (const b of list) b.buffer.destroy();
    this.#free.clear();
    this.#pooled = 0;
  }
}
