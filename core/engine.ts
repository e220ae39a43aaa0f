/**
 * The engine: one device, its buffer pool and its command recorder, shared by every tensor.
 * @module
 */
import { type AcquiredDevice, acquireDevice, type DeviceOptions } from "./device.ts";
import { BufferPool } from "./pool.ts";
import { Recorder } from "./recorder.ts";

/** Options for {@link initEngine}. */
export interface EngineOptions extends DeviceOptions {
  /** Refuse allocations past this many live bytes (tests use it to provoke out-of-memory). */
  maxLiveBytes?: number;
}

/** Device, pool and recorder together. */
export class Engine {
  /** The acquired device and its limits. */
  readonly gpu: AcquiredDevice;
  /** Storage buffer pool. */
  readonly pool: BufferPool;
  /** Command recorder. */
  readonly recorder: Recorder;
  /** Set when the device is lost; every later op throws it. */
  lostReason: string | null = null;
  #errors: string[] = [];

  /** Wraps an acquired device. */
  constructor(gpu: AcquiredDevice, options: EngineOptions = {}) {
    this.gpu = gpu;
    this.pool = new BufferPool(gpu.device, {
      maxBufferSize: Math.min(gpu.limits.maxBufferSize, gpu.limits.maxStorageBufferBindingSize),
      maxLiveBytes: options.maxLiveBytes,
    });
    this.recorder = new Recorder(gpu.device);
    gpu.device.lost.then((info) => {
      this.lostReason = `WebGPU device lost (${info.reason}): ${info.message || "no message"}. ` +
        "Save what you can and restart; on a GPU this usually means a driver reset or a too-long kernel.";
    });
    gpu.device.addEventListener("uncapturederror", (event) => {
      this.#errors.push(String((event as GPUUncapturedErrorEvent).error.message));
    });
  }

  /** Throws if the device was lost or reported an uncaptured error (validation, out of memory). */
  checkHealthy(): void {
    if (this.lostReason) throw new Error(this.lostReason);
    if (this.#errors.length > 0) {
      const errors = this.#errors.splice(0);
      throw new Error(`WebGPU reported ${errors.length} error(s):\n${errors.join("\n")}`);
    }
  }

  /** Submits pending work. */
  flush(): void {
    this.recorder.flush();
  }

  /** Waits until the GPU has finished everything submitted (flushes first). */
  async sync(): Promise<void> {
    this.recorder.flush();
    await this.gpu.device.queue.onSubmittedWorkDone();
    this.checkHealthy();
  }
}

let current: Engine | null = null;
let starting: Promise<Engine> | null = null;

/** Creates the shared engine (once; later calls return the same engine). */
export function initEngine(options: EngineOptions = {}): Promise<Engine> {
  if (current) return Promise.resolve(current);
  starting ??= acquireDevice(options).then((gpu) => (current = new Engine(gpu, options)));
  return starting;
}

/** The shared engine; throws when {@link initEngine} has not completed. */
export function getEngine(): Engine {
  if (!current) throw new Error("The WebGPU engine is not started: call `await initEngine()` first.");
  if (current.lostReason) throw new Error(current.lostReason);
  return current;
}

/** Live bytes held by tensors (excluding free pooled buffers). */
export function liveBytes(): number {
  return getEngine().pool.liveBytes;
}
