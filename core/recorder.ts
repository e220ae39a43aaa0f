/**
 * The command recorder: eager encoding, lazy submission.
 *
 * Every op appends a dispatch to one open compute pass at once; nothing is submitted until a value is read, a step
 * ends (`flush()`), or the uniform ring or dispatch budget fills. Pipelines are cached by WGSL source, bind groups by
 * pipeline and buffers, and shape parameters go into one uniform ring buffer per flush, bound with dynamic offsets.
 * The per-dispatch path allocates nothing once warm (bind groups are found through a tree of maps keyed by buffer id,
 * and a repeated pipeline is not set again): a training step encodes thousands of dispatches.
 * @module
 */
import { type Kernel, kernelSource, paramWords } from "@hyperdecoders/kernels";
import type { PooledBuffer } from "./pool.ts";

/** Counters a test or a benchmark can read. */
export interface RecorderStats {
  /** `queue.submit` calls. */
  submits: number;
  /** Dispatches encoded. */
  dispatches: number;
  /** Pipelines compiled. */
  pipelines: number;
  /** Bind groups created. */
  bindGroups: number;
  /** Readbacks (mapAsync round trips). */
  readbacks: number;
  /** Command buffers finished but dropped instead of submitted ({@link Recorder.dryRun}). */
  dropped: number;
}

interface CachedPipeline {
  id: number;
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
  words: number;
  kernel: Kernel;
  /** Parameter types in order: 0 u32, 1 i32, 2 f32. */
  types: Uint8Array;
  /** Bind groups of this pipeline by the ids of their buffers, one map level per binding. */
  groups: GroupNode;
  /** Dispatches of this pipeline since the recorder was created. */
  dispatches: number;
}

/** A level of the bind-group tree: the next buffer id → the next level, or the group after the last binding. */
type GroupNode = Map<number, GroupNode | GPUBindGroup>;

const SLOT_BYTES = 256;
const RING_SLOTS = 4096;
const MAX_BIND_GROUPS = 32768;

/** GPU time of one kernel's dispatches in a {@link Recorder.profile}. */
export interface KernelTime {
  /** The kernel's name. */
  kernel: string;
  /** Its dispatches. */
  dispatches: number;
  /** Their GPU time in ms (each in a compute pass of its own, begin to end timestamps). */
  ms: number;
}

/** Dispatches per timestamp query set of a profile (two queries each; 4096 queries is WebGPU's most per set). */
const PROFILE_SET = 2048;

interface ProfileState {
  sets: GPUQuerySet[];
  names: string[];
}

/** Records dispatches into one command encoder per flush. */
export class Recorder {
  #device: GPUDevice;
  #pipelines = new Map<string, CachedPipeline>();
  #byKernel = new WeakMap<Kernel, CachedPipeline>();
  #bindGroupCount = 0;
  #encoder: GPUCommandEncoder | null = null;
  #pass: GPUComputePassEncoder | null = null;
  #ring: GPUBuffer;
  #ringData = new ArrayBuffer(SLOT_BYTES * RING_SLOTS);
  #ringU32 = new Uint32Array(this.#ringData);
  #ringF32 = new Float32Array(this.#ringData);
  #ringI32 = new Int32Array(this.#ringData);
  #slot = 0;
  #pending = 0;
  #lastPipeline: GPUComputePipeline | null = null;
  #offset = new Uint32Array(1);
  #epoch = 0;
  #timestamps: GPUComputePassTimestampWrites | null = null;
  #timedPasses = 0;
  #profiling: ProfileState | null = null;
  /** Dispatches after which the recorder submits on its own. */
  dispatchBudget = 4096;
  /** Counters since creation. */
  readonly stats: RecorderStats = {
    submits: 0,
    dispatches: 0,
    pipelines: 0,
    bindGroups: 0,
    readbacks: 0,
    dropped: 0,
  };
  /**
   * Encode-only mode, for measuring the CPU side of a workload on any adapter: while true, `flush()` finishes each
   * command buffer (the CPU cost of validating and recording it) and drops it instead of submitting, so nothing runs
   * on the GPU and every result (and readback) is garbage. Benchmarks only; set `dispatchBudget` high to keep one
   * command buffer per step.
   */
  dryRun = false;

  /** Creates a recorder on a device. */
  constructor(device: GPUDevice) {
    this.#device = device;
    this.#ring = device.createBuffer({
      size: SLOT_BYTES * RING_SLOTS,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
  }

  /** Submit epoch: increases by one at every flush. */
  get epoch(): number {
    return this.#epoch;
  }

  /** Dispatches or copies encoded but not yet submitted. */
  get pending(): number {
    return this.#pending;
  }

  #pipelineFor(kernel: Kernel): CachedPipeline {
    // Kernel objects are usually module constants or memoised by their factories: look them up without building and
    // hashing their WGSL (up to tens of KB) on every dispatch.
    const known = this.#byKernel.get(kernel);
    if (known) return known;
    const code = kernelSource(kernel);
    let cached = this.#pipelines.get(code);
    if (cached) {
      this.#byKernel.set(kernel, cached);
      return cached;
    }
    const entries: GPUBindGroupLayoutEntry[] = [
      { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: "uniform", hasDynamicOffset: true } },
      ...kernel.bindings.map((b, i): GPUBindGroupLayoutEntry => ({
        binding: i + 1,
        visibility: GPUShaderStage.COMPUTE,
        buffer: { type: b.access === "read" ? "read-only-storage" : "storage" },
      })),
    ];
    const layout = this.#device.createBindGroupLayout({ entries });
    const module = this.#device.createShaderModule({ code, label: kernel.name });
    const pipeline = this.#device.createComputePipeline({
      layout: this.#device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: "main" },
      label: kernel.name,
    });
    const types = Uint8Array.from(kernel.params, ([, t]) => (t === "u32" ? 0 : t === "i32" ? 1 : 2));
    cached = {
      id: this.#pipelines.size + 1,
      pipeline,
      layout,
      words: paramWords(kernel),
      kernel,
      types,
      groups: new Map(),
      dispatches: 0,
    };
    this.#pipelines.set(code, cached);
    this.#byKernel.set(kernel, cached);
    this.stats.pipelines++;
    return cached;
  }

  #bindGroupFor(p: CachedPipeline, buffers: PooledBuffer[]): GPUBindGroup {
    const last = buffers.length - 1;
    let node = p.groups;
    for (let i = 0; i < last; i++) {
      let next = node.get(buffers[i].id) as GroupNode | undefined;
      if (!next) node.set(buffers[i].id, next = new Map());
      node = next;
    }
    const leafKey = last >= 0 ? buffers[last].id : 0;
    const hit = node.get(leafKey) as GPUBindGroup | undefined;
    if (hit) return hit;
    if (this.#bindGroupCount >= MAX_BIND_GROUPS) {
      this.clearBindGroups();
      return this.#bindGroupFor(p, buffers);
    }
    const group = this.#device.createBindGroup({
      layout: p.layout,
      entries: [
        { binding: 0, resource: { buffer: this.#ring, offset: 0, size: SLOT_BYTES } },
        ...buffers.map((b, i): GPUBindGroupEntry => ({ binding: i + 1, resource: { buffer: b.buffer } })),
      ],
    });
    node.set(leafKey, group);
    this.#bindGroupCount++;
    this.stats.bindGroups++;
    return group;
  }

  #ensurePass(): GPUComputePassEncoder {
    if (!this.#encoder) this.#encoder = this.#device.createCommandEncoder();
    if (!this.#pass) {
      if (this.#timestamps) {
        this.#pass = this.#encoder.beginComputePass({ timestampWrites: this.#timestamps });
        this.#timestamps = null;
        this.#timedPasses++;
      } else {
        this.#pass = this.#encoder.beginComputePass();
      }
      this.#lastPipeline = null;
    }
    return this.#pass;
  }

  #endPass(): GPUCommandEncoder {
    if (!this.#encoder) this.#encoder = this.#device.createCommandEncoder();
    if (this.#pass) {
      this.#pass.end();
      this.#pass = null;
    }
    return this.#encoder;
  }

  /**
   * Encodes one dispatch of `kernel` over `groups` workgroups, binding `buffers` in the kernel's binding order and
   * the parameter values (numbers, converted per the kernel's declared types).
   */
  dispatch(kernel: Kernel, buffers: PooledBuffer[], params: number[], groups: [number, number, number]): void {
    if (buffers.length !== kernel.bindings.length) {
      throw new Error(`${kernel.name}: expected ${kernel.bindings.length} buffers, got ${buffers.length}`);
    }
    if (params.length !== kernel.params.length) {
      throw new Error(`${kernel.name}: expected ${kernel.params.length} parameters, got ${params.length}`);
    }
    if (groups[0] === 0 || groups[1] === 0 || groups[2] === 0) return;
    const p = this.#pipelineFor(kernel);
    if (this.#slot >= RING_SLOTS || this.#pending >= this.dispatchBudget) this.flush();
    const base = (this.#slot * SLOT_BYTES) / 4;
    const types = p.types;
    for (let i = 0; i < params.length; i++) {
      const type = types[i];
      if (type === 2) this.#ringF32[base + i] = params[i];
      else if (type === 1) this.#ringI32[base + i] = params[i];
      else this.#ringU32[base + i] = params[i];
    }
    const group = this.#bindGroupFor(p, buffers);
    const profiling = this.#profiling;
    if (profiling) this.#profilePass(profiling, kernel.name);
    const pass = this.#ensurePass();
    if (p.pipeline !== this.#lastPipeline) {
      pass.setPipeline(p.pipeline);
      this.#lastPipeline = p.pipeline;
    }
    this.#offset[0] = this.#slot * SLOT_BYTES;
    pass.setBindGroup(0, group, this.#offset, 0, 1);
    pass.dispatchWorkgroups(groups[0], groups[1], groups[2]);
    this.#slot++;
    this.#pending++;
    p.dispatches++;
    this.stats.dispatches++;
    if (profiling) this.#endPass();
  }

  /** Closes the open pass and arms timestamps around the next one, the pass of the dispatch `name` of a profile. */
  #profilePass(state: ProfileState, name: string): void {
    this.#endPass();
    const k = state.names.length;
    const set = Math.floor(k / PROFILE_SET);
    if (set === state.sets.length) {
      state.sets.push(this.#device.createQuerySet({ type: "timestamp", count: 2 * PROFILE_SET }));
    }
    const slot = 2 * (k % PROFILE_SET);
    this.#timestamps = { querySet: state.sets[set], beginningOfPassWriteIndex: slot, endOfPassWriteIndex: slot + 1 };
    state.names.push(name);
  }

  /**
   * Where the GPU time of `encode()`'s dispatches goes: each dispatch runs in a compute pass of its own with
   * timestamps at its start and end, and the times are summed by kernel name, largest first. The passes serialise
   * the dispatches (no overlap between them), so the sum is an upper bound of the work's GPU time; the shares are what
   * a profile is for. Null when the device lacks `timestamp-query` or in {@link Recorder.dryRun}.
   */
  async profile(encode: () => void): Promise<KernelTime[] | null> {
    if (!this.#device.features.has("timestamp-query") || this.dryRun) return null;
    this.flush();
    const state: ProfileState = { sets: [], names: [] };
    this.#profiling = state;
    try {
      encode();
    } finally {
      this.#profiling = null;
      this.#timestamps = null;
    }
    const n = state.names.length;
    if (n === 0) return [];
    const bytes = n * 16;
    const resolved = this.#device.createBuffer({
      size: bytes,
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
    });
    try {
      const encoder = this.#endPass();
      state.sets.forEach((set, i) => {
        const count = Math.min(PROFILE_SET, n - i * PROFILE_SET);
        encoder.resolveQuerySet(set, 0, 2 * count, resolved, i * PROFILE_SET * 16);
      });
      this.#pending++;
      const stamps = new BigUint64Array(await this.read(resolved, 0, bytes));
      const byKernel = new Map<string, KernelTime>();
      for (let k = 0; k < n; k++) {
        const ms = Number(stamps[2 * k + 1] - stamps[2 * k]) / 1e6;
        const row = byKernel.get(state.names[k]);
        if (row) {
          row.dispatches++;
          row.ms += ms;
        } else {
          byKernel.set(state.names[k], { kernel: state.names[k], dispatches: 1, ms });
        }
      }
      return [...byKernel.values()].sort((a, b) => b.ms - a.ms);
    } finally {
      resolved.destroy();
      for (const set of state.sets) set.destroy();
    }
  }

  /**
   * Dispatches since creation by kernel name (kernels of one name but different WGSL are summed), largest first: where
   * a step's dispatches go. Subtract two snapshots for one step's share.
   */
  dispatchCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const p of this.#pipelines.values()) {
      counts.set(p.kernel.name, (counts.get(p.kernel.name) ?? 0) + p.dispatches);
    }
    return new Map([...counts].sort((a, b) => b[1] - a[1]));
  }

  /** Encodes a buffer-to-buffer copy (closes the open pass). */
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.#endPass().copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
    this.#pending++;
  }

  /** Submits everything encoded so far (a no-op when nothing is pending; drops it in {@link Recorder.dryRun}). */
  flush(): void {
    if (!this.#encoder) return;
    const encoder = this.#endPass();
    if (this.dryRun) {
      encoder.finish();
      this.stats.dropped++;
    } else {
      if (this.#slot > 0) this.#device.queue.writeBuffer(this.#ring, 0, this.#ringData, 0, this.#slot * SLOT_BYTES);
      this.#device.queue.submit([encoder.finish()]);
      this.stats.submits++;
    }
    this.#encoder = null;
    this.#slot = 0;
    this.#pending = 0;
    this.#epoch++;
  }

  /** Copies `bytes` bytes of a buffer back to the CPU (flushes first). */
  async read(src: GPUBuffer, offset: number, bytes: number): Promise<ArrayBuffer> {
    const size = Math.max(4, Math.ceil(bytes / 4) * 4);
    const staging = this.#device.createBuffer({ size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    this.copy(src, offset, staging, 0, size);
    this.flush();
    this.stats.readbacks++;
    try {
      await staging.mapAsync(GPUMapMode.READ);
      return staging.getMappedRange().slice(0, bytes);
    } finally {
      staging.destroy();
    }
  }

  /**
   * Encodes `encode()`'s dispatches in one compute pass of their own with timestamps at its start and end, submits,
   * and resolves with the pass's GPU time in ms; null when the device lacks `timestamp-query`. Throws when the work
   * did not fit one pass (a copy, a flush or the dispatch budget split it).
   */
  async timePass(encode: () => void): Promise<number | null> {
    if (!this.#device.features.has("timestamp-query")) return null;
    this.flush();
    const querySet = this.#device.createQuerySet({ type: "timestamp", count: 2 });
    const resolved = this.#device.createBuffer({
      size: 16,
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
    });
    try {
      const passes = this.#timedPasses;
      const epoch = this.#epoch;
      this.#timestamps = { querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 };
      try {
        encode();
      } finally {
        this.#timestamps = null;
      }
      if (this.#timedPasses !== passes + 1 || this.#epoch !== epoch || !this.#pass) {
        this.flush();
        throw new Error("Recorder.timePass: the timed work must be dispatches in one pass (no copies or flushes)");
      }
      this.#endPass().resolveQuerySet(querySet, 0, 2, resolved, 0);
      const bytes = await this.read(resolved, 0, 16);
      const [begin, end] = new BigUint64Array(bytes);
      return Number(end - begin) / 1e6;
    } finally {
      querySet.destroy();
      resolved.destroy();
    }
  }

  /** Drops cached bind groups (after buffers were destroyed). */
  clearBindGroups(): void {
    for (const p of this.#pipelines.values()) p.groups.clear();
    this.#bindGroupCount = 0;
  }
}
