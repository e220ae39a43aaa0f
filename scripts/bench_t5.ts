/**
 * T5 training-step and decoding benchmark (called by `deno task bench`; also runnable alone:
 * `deno run -A scripts/bench_t5.ts [--quick] [--shape small|base|...] [--out f.json]`).
 *
 * For each model shape: the hyperdecoder (64/64/128, T5 frozen) and, for comparison, full fine-tuning. A step is
 * forward (dropout on) + backward + clipping to norm 1 fused into AdamW (`clipGradFactor` + `step(lr, { gradScale })`)
 * + zeroGrad, submitted at its end; the loss is read only after the timed steps. Reported per step, after warm-up:
 * - `ms_per_step` (wall time of N back-to-back steps plus the final wait, / N) and `source_tokens_per_s`;
 * - CPU-side numbers that do not depend on the GPU: dispatches, submits, pipelines and bind groups created (0 once
 *   warm), `js_encode_ms` (the step's JavaScript until its last dispatch is encoded, without waiting for the GPU),
 *   `submit_ms` (the closing `finish()` + `queue.submit`), `bytes_created` (new pool buffers) and peak live bytes
 *   (`pool.peakLiveBytes` over the timed steps, weights included).
 * Each executed shape is also run encode-only (`Recorder.dryRun`: command buffers finished and dropped), which gives
 * the CPU's share of a step with no GPU work to wait for.
 * Then greedy decoding: latency for one 128-token input with 8 new tokens (EOS forbidden, so exactly 8 steps) and the
 * throughput of a batch of 32.
 *
 * On a GPU adapter the shapes are T5 v1.1 small and base at batch 32 × 128 source × 8 target (and base at the MRQA
 * shape 8 × 512 × 32). On a software adapter (llvmpipe / fallback) only a tiny shape at a small batch is executed,
 * so the run stays under a minute, and small and base run encode-only at the real batch (their counters and peak
 * memory are the real step's); the report says so (`software_note`).
 * @module
 */
import { parseCommandOrExit } from "./command_line.ts";
import { AdamW, empty, getEngine, initEngine, keep, type Tensor, tensor } from "@hyperdecoders/core";
import {
  AdaptedT5,
  greedySearch,
  parseT5Config,
  randomT5,
  T5_V1_1,
  type T5Config,
  T5Model,
  t5ParameterShapes,
} from "@hyperdecoders/models";
import { installTuner, trainStep } from "@hyperdecoders/train";

const USAGE =
  "usage: deno run -A scripts/bench_t5.ts [--quick] [--software] [--shape small|base|... (repeatable)] [--steps N] [--out f.json]";

/** One training batch shape: rows × source tokens × target tokens. */
export interface BatchShape {
  /** Rows. */
  batch: number;
  /** Source tokens per row. */
  source: number;
  /** Target tokens per row. */
  target: number;
}

/** A model shape with the batches to time on it. */
export interface T5BenchCase {
  /** Name in the report ("small", "base", "tiny"). */
  name: string;
  /** The T5 configuration (random weights). */
  config: T5Config;
  /** Training batches to time (the first is the headline). */
  batches: BatchShape[];
  /** Also time full fine-tuning at the first batch. */
  fullFinetune: boolean;
  /** Decoding: source length, new tokens, and the batch of the throughput run (0: skip decoding). */
  decode: { source: number; newTokens: number; batch: number };
  /**
   * Run on the GPU (true), or encode only (false: `Recorder.dryRun`, nothing executes, weights left uninitialised):
   * the CPU-side numbers of a shape too big for the adapter. Executed cases also get a dry-run row of their first
   * batch, which separates the CPU's share of a step from the GPU's.
   */
  execute: boolean;
}

/** Options of {@link benchT5}. */
export interface T5BenchOptions {
  /** Force the software (tiny) plan; default: detected from the adapter. */
  software?: boolean;
  /** Fewer timed steps and no MRQA shape. */
  quick?: boolean;
  /** Only these case names. */
  only?: string[];
  /** Timed steps per measurement (default 3 on software, 10 on a GPU, halved by quick). */
  steps?: number;
  /** Cases to run instead of the adapter's plan. */
  cases?: T5BenchCase[];
  /** Progress messages (default: stderr). */
  log?: (message: string) => void;
}

/** Per-step numbers of one training configuration. */
export interface StepReport {
  /** Method preset ("hyperdecoder" or "full-finetune"). */
  method: string;
  /** False for an encode-only run (`Recorder.dryRun`): CPU-side numbers only, nothing ran on the GPU. */
  executed: boolean;
  /** The batch. */
  shape: BatchShape;
  /** Trainable parameters. */
  trainable_params: number;
  /** Warm-up steps (not timed). */
  warmup_steps: number;
  /** Timed steps. */
  timed_steps: number;
  /** Wall milliseconds per step (steps back to back, GPU wait included); null when not executed. */
  ms_per_step: number | null;
  /** Source tokens per second; null when not executed. */
  source_tokens_per_s: number | null;
  /** Mean milliseconds of JavaScript per step until its last dispatch is encoded (no GPU wait). */
  js_encode_ms: number;
  /**
   * Mean milliseconds of the flush that closes each step: `finish()` + `queue.submit` (in a dry run `finish()` only,
   * which is where the WebGPU implementation validates and records the commands).
   */
  submit_ms: number;
  /** `js_encode_ms + submit_ms`: the CPU time of a step; a step cannot be faster than this. */
  cpu_ms: number;
  /** Dispatches per step. */
  dispatches: number;
  /** Dispatches per step by kernel name, largest first: where the dispatches go. */
  dispatches_by_kernel: Record<string, number>;
  /** `queue.submit` calls per step. */
  submits: number;
  /** Pipelines compiled per timed step (should be 0). */
  pipelines_created: number;
  /** Bind groups created per timed step (should be 0). */
  bind_groups_created: number;
  /** Pool buffers created per timed step. */
  buffers_created: number;
  /** Bytes of pool buffers created per timed step. */
  bytes_created: number;
  /** Peak live bytes during the measured steps (weights included). */
  peak_live_bytes: number;
  /** Live bytes before the timed steps (weights, optimiser state, the batch). */
  live_bytes_before: number;
  /** Live bytes after the steps (weights, optimiser state). */
  live_bytes_after: number;
  /** Bytes held by the pool (live + free) after the steps: the GPU memory actually taken. */
  pool_bytes_after: number;
  /** The last step's loss (read once, at the end); null when not executed. */
  final_loss: number | null;
  /** Pipelines and bind groups of the first (cold) step. */
  first_step: { ms: number; pipelines: number; bind_groups: number; dispatches: number };
  /**
   * Where one more step's GPU time goes (`Recorder.profile`: every dispatch in a pass of its own between timestamps,
   * summed by kernel, largest first; the passes serialise the dispatches, so `total_ms` bounds the step's GPU time
   * from above); null when encode-only or the adapter lacks timestamp queries.
   */
  gpu_profile: { total_ms: number; kernels: { kernel: string; dispatches: number; ms: number }[] } | null;
}

/** Decoding numbers of one model. */
export interface DecodeReport {
  /** Source tokens of each input. */
  source: number;
  /** New tokens generated (EOS forbidden before). */
  new_tokens: number;
  /** Milliseconds for one input (median of the timed runs). */
  latency_ms: number;
  /** Milliseconds per new token for one input. */
  ms_per_token: number;
  /** Rows of the batched run. */
  batch: number;
  /** Milliseconds for the batched run. */
  batch_ms: number;
  /** Generated tokens per second in the batched run. */
  batch_tokens_per_s: number;
  /** Dispatches and submits of one single-input generation. */
  dispatches: number;
  /** `queue.submit` calls of one single-input generation (one readback per step). */
  submits: number;
}

/** Report of one model shape. */
export interface CaseReport {
  /** Case name. */
  name: string;
  /** Model dimensions. */
  model: {
    d_model: number;
    d_ff: number;
    layers: number;
    heads: number;
    d_kv: number;
    vocab: number;
    params: number;
  };
  /** Training steps. */
  steps: StepReport[];
  /** Decoding (hyperdecoder); null for a dry-run case. */
  decode: DecodeReport | null;
  /** Whether the case ran on the GPU (false: encode-only). */
  executed: boolean;
  /** Errors, by what failed. */
  errors: Record<string, string>;
}

/** The benchmark report. */
export interface T5BenchReport {
  /** Whether the software plan ran. */
  software: boolean;
  /** What the software plan stands for. */
  software_note: string | null;
  /** How the numbers are taken. */
  method: string;
  /** PyTorch figures the issue compares with (H100, not measured here). */
  pytorch_reference: { step_ms: number; source_tokens_per_s: number; peak_bytes: number; note: string };
  /** One per model shape. */
  cases: CaseReport[];
  /** Total wall seconds. */
  wall_s: number;
}

const round = (x: number, digits = 4): number => Number(x.toPrecision(digits));
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const errorText = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

/**
 * A tiny T5 v1.1-style shape for software adapters: base's vocabulary (so the LM head and the embedding have real
 * widths) with narrow layers.
 */
export const TINY_BENCH_CONFIG: T5Config = parseT5Config({
  vocab_size: 32128,
  d_model: 64,
  d_kv: 16,
  d_ff: 128,
  num_layers: 4,
  num_heads: 4,
  feed_forward_proj: "gated-gelu",
  tie_word_embeddings: false,
  dropout_rate: 0.1,
}, "bench tiny config");

/**
 * The cases for an adapter. GPU: T5 v1.1 small and base, executed, at 32 × 128 × 8 (base also at the MRQA shape
 * 8 × 512 × 32 unless quick). Software adapter: the tiny shape executed at 4 × 32 × 8, and small and base at
 * 32 × 128 × 8 encode-only (dry run: CPU-side numbers and peak memory of the real shapes, nothing executed).
 */
export function defaultCases(software: boolean, quick: boolean): T5BenchCase[] {
  const main: BatchShape = { batch: 32, source: 128, target: 8 };
  const mrqa: BatchShape = { batch: 8, source: 512, target: 32 };
  const decode = { source: 128, newTokens: 8, batch: 32 };
  if (software) {
    const dry = (name: "small" | "base"): T5BenchCase => ({
      name,
      config: T5_V1_1[name],
      batches: quick || name === "small" ? [main] : [main, mrqa],
      fullFinetune: !quick,
      decode: { ...decode, batch: 0 },
      execute: false,
    });
    return [
      {
        name: "tiny",
        config: TINY_BENCH_CONFIG,
        batches: [{ batch: 4, source: 32, target: 8 }],
        fullFinetune: true,
        decode: { source: 32, newTokens: 4, batch: 4 },
        execute: true,
      },
      dry("small"),
      dry("base"),
    ];
  }
  return [
    { name: "small", config: T5_V1_1.small, batches: [main], fullFinetune: true, decode, execute: true },
    {
      name: "base",
      config: T5_V1_1.base,
      batches: quick ? [main] : [main, mrqa],
      fullFinetune: true,
      decode,
      execute: true,
    },
  ];
}

/** Deterministic token ids in [2, vocab) (no pad, no EOS). */
function randomIds(n: number, vocab: number, seed: number): Int32Array {
  const out = new Int32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = 2 + (s % (vocab - 2));
  }
  return out;
}

/** One training batch on the GPU (ids and mask) with its labels. */
export interface Batch {
  /** Source ids [B, S] i32. */
  inputIds: Tensor;
  /** Source mask [B, S]. */
  attentionMask: Tensor;
  /** Labels [B·T] (no -100 here). */
  labels: Int32Array;
  /** [B, T]. */
  labelShape: [number, number];
}

/** A batch of deterministic random token ids (kept: the caller disposes its tensors). */
export function makeBatch(shape: BatchShape, vocab: number, seed: number): Batch {
  const { batch, source, target } = shape;
  return {
    inputIds: keep(tensor(randomIds(batch * source, vocab, seed), [batch, source], "i32")),
    attentionMask: keep(tensor(new Float32Array(batch * source).fill(1), [batch, source])),
    labels: randomIds(batch * target, vocab, seed + 1),
    labelShape: [batch, target],
  };
}

function statsNow() {
  const e = getEngine();
  const s = e.recorder.stats;
  return {
    dispatches: s.dispatches,
    submits: s.submits,
    pipelines: s.pipelines,
    bindGroups: s.bindGroups,
    buffers: e.pool.buffersCreated,
    poolBytes: e.pool.liveBytes + e.pool.pooledBytes,
    dropped: s.dropped,
  };
}

type Stats = ReturnType<typeof statsNow>;

/** Per-step dispatches by kernel between two {@link Recorder.dispatchCounts} snapshots, largest first. */
function perStep(before: Map<string, number>, after: Map<string, number>, steps: number): Record<string, number> {
  const rows = [...after]
    .map(([name, n]): [string, number] => [name, round((n - (before.get(name) ?? 0)) / steps)])
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1]);
  return Object.fromEntries(rows);
}
const diff = (a: Stats, b: Stats): Stats => ({
  dispatches: b.dispatches - a.dispatches,
  submits: b.submits - a.submits,
  pipelines: b.pipelines - a.pipelines,
  bindGroups: b.bindGroups - a.bindGroups,
  buffers: b.buffers - a.buffers,
  poolBytes: b.poolBytes - a.poolBytes,
  dropped: b.dropped - a.dropped,
});

/**
 * One training step (the trainer's {@link trainStep}: forward, backward, clip to norm 1, AdamW, zeroGrad), encoded and
 * submitted; returns the loss tensor (kept) and the encode / submit times.
 */
function timedStep(
  model: AdaptedT5,
  opt: AdamW,
  batch: Batch,
  seed: number,
): { loss: Tensor; encodeMs: number; submitMs: number } {
  const t0 = performance.now();
  const [loss] = trainStep(model, batch, [opt], { dropout: true, seed, clipNorm: 1 });
  const t1 = performance.now();
  getEngine().flush();
  return { loss, encodeMs: t1 - t0, submitMs: performance.now() - t1 };
}

async function benchSteps(
  model: AdaptedT5,
  method: string,
  shape: BatchShape,
  timed: number,
  execute: boolean,
  log: (m: string) => void,
): Promise<StepReport> {
  const engine = getEngine();
  const recorder = engine.recorder;
  const params = model.trainableParameters();
  const opt = new AdamW(params, { lr: 1e-4 });
  const batch = makeBatch(shape, model.config.vocabSize, 17);
  // 3: a step that keeps the previous loss alive alternates between two pool states, both warm after three steps
  const warmup = 3;
  const budget = recorder.dispatchBudget;
  let last: Tensor | null = null;
  const swap = (t: Tensor) => {
    last?.dispose();
    last = t;
  };
  // nothing of the steps so far still running (executed) or pending (dry run)
  const settle = async () => {
    if (execute) await engine.sync();
    else engine.flush();
  };
  try {
    await engine.sync();
    if (!execute) {
      recorder.dryRun = true;
      recorder.dispatchBudget = Number.MAX_SAFE_INTEGER;
    }
    // cold step: compiles pipelines, creates buffers and bind groups
    let before = statsNow();
    let t0 = performance.now();
    swap(timedStep(model, opt, batch, 1).loss);
    await settle();
    const cold = diff(before, statsNow());
    const first = {
      ms: round(performance.now() - t0),
      pipelines: cold.pipelines,
      bind_groups: cold.bindGroups,
      dispatches: cold.dispatches,
    };
    for (let i = 1; i < warmup; i++) swap(timedStep(model, opt, batch, 1 + i).loss);
    await settle();
    engine.pool.resetPeak();
    const liveBefore = engine.pool.liveBytes;
    before = statsNow();
    const countsBefore = recorder.dispatchCounts();
    const encode: number[] = [];
    const submit: number[] = [];
    t0 = performance.now();
    for (let i = 0; i < timed; i++) {
      const r = timedStep(model, opt, batch, 100 + i);
      swap(r.loss);
      encode.push(r.encodeMs);
      submit.push(r.submitMs);
    }
    await settle();
    const wall = performance.now() - t0;
    const d = diff(before, statsNow());
    const byKernel = perStep(countsBefore, recorder.dispatchCounts(), timed);
    const finalLoss = execute ? await last!.item() : null;
    const kernels = execute ? await recorder.profile(() => swap(timedStep(model, opt, batch, 200).loss)) : null;
    const gpuProfile = kernels
      ? {
        total_ms: round(kernels.reduce((t, k) => t + k.ms, 0)),
        kernels: kernels.map((k) => ({ kernel: k.kernel, dispatches: k.dispatches, ms: round(k.ms, 4) })),
      }
      : null;
    const ms = wall / timed;
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const report: StepReport = {
      method,
      executed: execute,
      shape,
      trainable_params: params.reduce((n, p) => n + p.size, 0),
      warmup_steps: warmup,
      timed_steps: timed,
      ms_per_step: execute ? round(ms) : null,
      source_tokens_per_s: execute ? round((shape.batch * shape.source) / (ms / 1000)) : null,
      js_encode_ms: round(mean(encode)),
      submit_ms: round(mean(submit)),
      cpu_ms: round(mean(encode) + mean(submit)),
      dispatches: round(d.dispatches / timed),
      dispatches_by_kernel: byKernel,
      submits: round((execute ? d.submits : d.dropped) / timed),
      pipelines_created: round(d.pipelines / timed),
      bind_groups_created: round(d.bindGroups / timed),
      buffers_created: round(d.buffers / timed),
      bytes_created: round(d.poolBytes / timed),
      peak_live_bytes: engine.pool.peakLiveBytes,
      live_bytes_before: liveBefore,
      live_bytes_after: engine.pool.liveBytes,
      pool_bytes_after: engine.pool.liveBytes + engine.pool.pooledBytes,
      final_loss: finalLoss === null ? null : round(finalLoss, 6),
      first_step: first,
      gpu_profile: gpuProfile,
    };
    log(
      `${method} ${shape.batch}×${shape.source}×${shape.target}${execute ? "" : " (encode only)"}: ` +
        (execute ? `${report.ms_per_step} ms/step, ${report.source_tokens_per_s} tok/s, ` : "") +
        `encode ${report.js_encode_ms} + submit ${report.submit_ms} ms, ${report.dispatches} dispatches, ` +
        `${report.submits} submits, ${report.bind_groups_created} bind groups/step, peak ` +
        `${(report.peak_live_bytes / 1e9).toFixed(3)} GB${execute ? `, loss ${report.final_loss}` : ""}`,
    );
    return report;
  } finally {
    (last as Tensor | null)?.dispose();
    batch.inputIds.dispose();
    batch.attentionMask.dispose();
    opt.zeroGrad();
    opt.dispose();
    if (!execute) {
      engine.flush();
      recorder.dryRun = false;
      recorder.dispatchBudget = budget;
    }
  }
}

async function benchDecode(
  model: AdaptedT5,
  spec: { source: number; newTokens: number; batch: number },
  runs: number,
  log: (m: string) => void,
): Promise<DecodeReport> {
  const vocab = model.config.vocabSize;
  const generate = async (rows: number, seed: number) => {
    const ids = tensor(randomIds(rows * spec.source, vocab, seed), [rows, spec.source], "i32");
    const mask = tensor(new Float32Array(rows * spec.source).fill(1), [rows, spec.source]);
    try {
      await getEngine().sync();
      const t0 = performance.now();
      const out = await greedySearch(model, ids, mask, {
        ...model.generationOptions(),
        maxNewTokens: spec.newTokens,
        minNewTokens: spec.newTokens,
      });
      const ms = performance.now() - t0;
      if (out[0].length !== spec.newTokens + 1) throw new Error(`greedy returned ${out[0].length - 1} new tokens`);
      return ms;
    } finally {
      ids.dispose();
      mask.dispose();
    }
  };
  await generate(1, 5); // warm-up
  const before = statsNow();
  const single: number[] = [await generate(1, 6)];
  const d = diff(before, statsNow());
  for (let i = 1; i < runs; i++) single.push(await generate(1, 6 + i));
  await generate(spec.batch, 40); // warm-up
  const batched: number[] = [];
  for (let i = 0; i < Math.max(1, runs - 1); i++) batched.push(await generate(spec.batch, 41 + i));
  const latency = median(single);
  const batchMs = median(batched);
  const report: DecodeReport = {
    source: spec.source,
    new_tokens: spec.newTokens,
    latency_ms: round(latency),
    ms_per_token: round(latency / spec.newTokens),
    batch: spec.batch,
    batch_ms: round(batchMs),
    batch_tokens_per_s: round((spec.batch * spec.newTokens) / (batchMs / 1000)),
    dispatches: d.dispatches,
    submits: d.submits,
  };
  log(
    `greedy ${spec.source} → ${spec.newTokens}: ${report.latency_ms} ms for one input; batch ${spec.batch}: ` +
      `${report.batch_ms} ms (${report.batch_tokens_per_s} tok/s)`,
  );
  return report;
}

/** A T5 with uninitialised weights (for encode-only runs: nothing reads them). */
export function uninitialisedT5(config: T5Config): T5Model {
  const params = new Map<string, Tensor>();
  for (const [name, shape] of t5ParameterShapes(config)) {
    const t = empty(shape).asParameter(name);
    t.requiresGrad = false;
    params.set(name, t);
  }
  return new T5Model(config, params);
}

async function runCase(
  c: T5BenchCase,
  timed: number,
  decodeRuns: number,
  log: (m: string) => void,
): Promise<CaseReport> {
  const cfg = c.config;
  const errors: Record<string, string> = {};
  const steps: StepReport[] = [];
  let decode: DecodeReport | null = null;
  log(
    `${c.name}: ${c.execute ? "random" : "uninitialised (encode-only)"} T5 (d ${cfg.dModel}, ff ${cfg.dFf}, ` +
      `${cfg.numLayers} layers, ${cfg.numHeads} heads)`,
  );
  const base = c.execute ? randomT5(cfg, 1) : uninitialisedT5(cfg);
  const params = [...base.params.values()].reduce((n, t) => n + t.size, 0);
  const attempt = async (key: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (e) {
      errors[key] = errorText(e);
      log(`${key}: ${errors[key]}`);
    }
  };
  const key = (method: string, s: BatchShape, execute: boolean) =>
    `${method} ${s.batch}x${s.source}x${s.target}${execute ? "" : " encode-only"}`;
  try {
    const hyper = new AdaptedT5(base, "hyperdecoder");
    try {
      for (const shape of c.batches) {
        await attempt(key("hyperdecoder", shape, c.execute), async () => {
          steps.push(await benchSteps(hyper, "hyperdecoder", shape, timed, c.execute, log));
        });
      }
      if (c.execute) {
        // the CPU's share: the same steps encoded and finished, never submitted
        const shape = c.batches[0];
        await attempt(key("hyperdecoder", shape, false), async () => {
          steps.push(await benchSteps(hyper, "hyperdecoder", shape, Math.min(timed, 5), false, log));
        });
      }
      if (c.execute && c.decode.batch > 0) {
        await attempt("decode", async () => {
          decode = await benchDecode(hyper, c.decode, decodeRuns, log);
        });
      }
    } finally {
      hyper.dispose();
    }
    if (c.fullFinetune) {
      const full = new AdaptedT5(base, "full-finetune");
      const shape = c.batches[0];
      try {
        await attempt(key("full-finetune", shape, c.execute), async () => {
          steps.push(
            await benchSteps(full, "full-finetune", shape, Math.max(2, Math.ceil(timed / 2)), c.execute, log),
          );
        });
      } finally {
        full.dispose();
      }
    }
  } finally {
    base.dispose();
    const engine = getEngine();
    await engine.sync();
    // give this shape's buffers back, so that the next case's pool numbers are its own
    engine.pool.trim();
    engine.recorder.clearBindGroups();
  }
  return {
    name: c.name,
    executed: c.execute,
    model: {
      d_model: cfg.dModel,
      d_ff: cfg.dFf,
      layers: cfg.numLayers,
      heads: cfg.numHeads,
      d_kv: cfg.dKv,
      vocab: cfg.vocabSize,
      params,
    },
    steps,
    decode,
    errors,
  };
}

/** Runs the T5 benchmark on the started engine (see the module doc). Never throws for a failing case. */
export async function benchT5(options: T5BenchOptions = {}): Promise<T5BenchReport> {
  const started = performance.now();
  const log = options.log ?? ((m: string) => console.error(`[bench t5] ${m}`));
  const info = getEngine().gpu.info;
  const software = options.software ??
    (info.fallback || /llvmpipe|lavapipe|swiftshader|software/i.test(info.description));
  const quick = options.quick ?? false;
  let cases = options.cases ?? defaultCases(software, quick);
  if (options.only) cases = cases.filter((c) => options.only!.includes(c.name));
  const timed = options.steps ?? Math.max(2, Math.round((software ? 3 : 10) / (quick ? 2 : 1)));
  const decodeRuns = software || quick ? 2 : 3;
  const reports: CaseReport[] = [];
  for (const c of cases) reports.push(await runCase(c, timed, decodeRuns, log));
  return {
    software,
    software_note: software
      ? "software adapter: only a tiny T5 v1.1-style shape (d 64, ff 128, 4+4 layers, 4 heads, vocab 32128) at " +
        "batch 4 × 32 × 8 is executed, so that the run takes under a minute (its times say nothing about a GPU); " +
        "small and base at the real batch are encode-only (Recorder.dryRun): their dispatch, submit, bind-group, " +
        "byte and peak-memory counts are those of the real step, their encode / finish times those of this CPU"
      : null,
    method: "3 warm-up steps, then N steps back to back (each submitted at its end), wall time / N including the " +
      "final onSubmittedWorkDone; loss read once at the end; dropout on; AdamW lr 1e-4, clip norm 1 fused into AdamW",
    pytorch_reference: {
      step_ms: 112,
      source_tokens_per_s: 36500,
      peak_bytes: 5.1e9,
      note:
        "PyTorch 2.11 eager fp32, H100, T5-base frozen + width-410 adapters, 32 × 128 × 8 (issue 8; not measured here)",
    },
    cases: reports,
    wall_s: round((performance.now() - started) / 1000),
  };
}

if (import.meta.main) {
  const { values } = parseCommandOrExit("bench_t5", USAGE, Deno.args, {
    string: ["steps", "out"],
    collect: ["shape"],
    boolean: ["quick", "software"],
  });
  await installTuner(await initEngine());
  const report = await benchT5({
    quick: values.quick,
    software: values.software,
    only: values.shape.length > 0 ? values.shape : undefined, // no --shape: every case
    steps: values.steps ? Number(values.steps) : undefined,
  });
  const json = JSON.stringify(report, null, 2);
  if (values.out) await Deno.writeTextFile(values.out, json + "\n");
  console.log(json);
}
