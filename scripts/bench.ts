/**
 * `deno task bench [--out file.json] [--quick] [--t5 on|off|only]`: engine benchmarks, printed as ONE JSON object on
 * stdout (progress goes to stderr) and written to `--out`.
 *
 * Sections: the machine and adapter; `matmul` (GFLOP/s of every kernel variant, of `chooseMatmul`'s pick (`auto`)
 * and of the tuner's pick (`tuned`, from the `deno task tune` cache; HYPERDECODERS_TUNE) at square sizes and at the
 * adapter shapes); `dispatch` (µs per tiny dispatch in one pass, µs per submit); `readback`
 * (ms for 16 bytes); `tfjs` (the same square matmuls through `@tensorflow/tfjs-backend-webgpu` on the same adapter);
 * `t5` (scripts/bench_t5.ts: T5 training steps, hyperdecoder and full fine-tuning, with per-step CPU-side counters,
 * and greedy decoding; `--t5 off` skips it, `--t5 only` runs nothing else); then the benchmarks other packages
 * provide (`data/tokenizer/bench.ts`, `data/bench.ts`) when present.
 *
 * GPU time is measured by encoding N repetitions into one submit and waiting with `onSubmittedWorkDone`, after a
 * warm-up, minus the latency of an almost empty submit (Deno polls completion every ≈10 ms). On a software adapter
 * (llvmpipe / fallback) sizes and repetitions are capped so the run stays within a few minutes on 2 cores.
 * @module
 */
import { parseCommandOrExit } from "./command_line.ts";
import {
  empty,
  type Engine,
  getEngine,
  initEngine,
  launch,
  matmulChoiceFor,
  type Tensor,
  tensor,
  type Tuner,
} from "@hyperdecoders/core";
import {
  chooseMatmul,
  FILL_KERNEL,
  MATMUL_VARIANTS,
  type MatmulChoice,
  matmulChoiceId,
  matmulFits,
  type MatmulShape,
  type MatmulVariant,
  splitCount,
  vec4Eligible,
} from "@hyperdecoders/kernels";
import { launchMatmul } from "../core/ops/_matmul_launch.ts";
import { installTuner, tuneCachePath } from "../train/tune_store.ts";
import { benchT5 } from "./bench_t5.ts";

const USAGE = "usage: deno task bench [--out file.json] [--quick] [--t5 on|off|only]";

const log = (msg: string): void => console.error(`[bench] ${msg}`);
const errorText = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));
const round = (x: number, digits = 3): number => Number(x.toPrecision(digits));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Timing budget of one run. */
interface Budget {
  /** Least GPU time per timed batch (ms). */
  targetMs: number;
  /** Timed batches per measurement (median reported). */
  trials: number;
  /** Most repetitions in one batch (≤ 2000 keeps a split-K batch under the recorder's 4096-dispatch auto-submit). */
  maxReps: number;
}

interface Timing {
  /** Milliseconds per repetition. */
  ms: number;
  /** Repetitions per timed batch. */
  reps: number;
  /** Microseconds of CPU encoding per repetition. */
  encodeUs: number;
}

/**
 * Times `run` (which encodes one repetition) with `sync` (submit + wait): warm-up, then doubling the repetitions
 * until a batch takes `targetMs` beyond the empty-submit floor, then `trials` batches at that count. With
 * `deferred` (our recorder: nothing reaches the GPU before `sync`) the encoding time is subtracted too, since the
 * GPU idles while it runs; tfjs submits as it goes, so its encoding overlaps GPU work and is not subtracted.
 */
async function timeIt(
  run: () => void,
  sync: () => Promise<void>,
  floorMs: number,
  b: Budget,
  deferred: boolean,
): Promise<Timing> {
  run();
  await sync();
  const batch = async (reps: number): Promise<[number, number]> => {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) run();
    const t1 = performance.now();
    await sync();
    return [performance.now() - t0, t1 - t0];
  };
  let reps = 1;
  let last = await batch(reps);
  while (last[0] - floorMs < b.targetMs && reps < b.maxReps) {
    reps = Math.min(b.maxReps, reps * 2);
    last = await batch(reps);
  }
  const runs = [last];
  for (let t = 1; t < b.trials; t++) runs.push(await batch(reps));
  // Never report less than a tenth of the raw time: the floor is an estimate.
  const per = runs.map(([ms, enc]) => Math.max(ms - floorMs - (deferred ? enc : 0), ms / 10) / reps);
  return { ms: median(per), reps, encodeUs: (median(runs.map(([, enc]) => enc)) * 1000) / reps };
}

/** Median latency of a one-dispatch submit + `onSubmittedWorkDone` (the completion-polling floor). */
async function submitFloor(engine: Engine, scratch: Tensor): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    launch(FILL_KERNEL, [scratch], [1, 0], [1, 1, 1]);
    await engine.sync();
    times.push(performance.now() - t0);
  }
  return median(times.slice(2));
}

/** Deterministic pseudo-random values in [-0.5, 0.5) (cheap enough for 16M elements). */
function noise(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 4294967296 - 0.5;
  }
  return out;
}

interface ShapeSpec {
  name: string;
  M: number;
  N: number;
  K: number;
  batch: number;
  transA: boolean;
  transB: boolean;
  note: string;
}

function square(n: number): ShapeSpec {
  return { name: `${n}^3`, M: n, N: n, K: n, batch: 1, transA: false, transB: false, note: `${n}×${n} by ${n}×${n}` };
}

const ADAPTER_SHAPES: ShapeSpec[] = [
  {
    name: "adapter_down",
    M: 4096,
    N: 64,
    K: 768,
    batch: 1,
    transA: false,
    transB: false,
    note: "4096×768 by 768×64 (32·128 tokens into a width-64 adapter)",
  },
  {
    name: "adapter_up",
    M: 4096,
    N: 768,
    K: 64,
    batch: 1,
    transA: false,
    transB: false,
    note: "4096×64 by 64×768 (back to d_model)",
  },
  {
    name: "adapter_weight_grad",
    M: 768,
    N: 64,
    K: 4096,
    batch: 1,
    transA: true,
    transB: false,
    note: "768×4096 by 4096×64 (dW = Xᵀ·G, X stored 4096×768)",
  },
  {
    name: "adapter_down_per_example",
    M: 128,
    N: 64,
    K: 768,
    batch: 32,
    transA: false,
    transB: false,
    note: "32 × (128×768 by 768×64): per-example generated adapter weights",
  },
];

/** The choice a named variant gets for a shape (split-K forced to ≥ 2 slices so that it is really split). */
function forcedChoice(variant: MatmulVariant, s: ShapeSpec): MatmulChoice {
  const vec4 = variant !== "tiled64" && vec4Eligible(s.M, s.N, s.transA);
  const splits = variant === "splitk" ? Math.max(2, splitCount(s.M, s.N, s.K, s.batch)) : 1;
  return { variant, splits, vec4 };
}

async function benchMatmul(engine: Engine, shapes: ShapeSpec[], budget: Budget, floorMs: number) {
  const results = [];
  for (const s of shapes) {
    const aShape = [...(s.batch > 1 ? [s.batch] : []), ...(s.transA ? [s.K, s.M] : [s.M, s.K])];
    const bShape = [...(s.batch > 1 ? [s.batch] : []), ...(s.transB ? [s.N, s.K] : [s.K, s.N])];
    const a = tensor(noise(s.batch * s.M * s.K, 1), aShape);
    const b = tensor(noise(s.batch * s.K * s.N, 2), bShape);
    const out = empty([...(s.batch > 1 ? [s.batch] : []), s.M, s.N]);
    const shape: MatmulShape = {
      M: s.M,
      N: s.N,
      K: s.K,
      batch: s.batch,
      transA: s.transA,
      transB: s.transB,
      sa: s.batch > 1 ? s.M * s.K : 0,
      sb: s.batch > 1 ? s.K * s.N : 0,
    };
    const flop = 2 * s.M * s.N * s.K * s.batch;
    const auto = chooseMatmul(s.M, s.N, s.K, s.batch, s.transA, s.transB);
    // The tuner's pick for this shape's class (HYPERDECODERS_TUNE=cached: from `deno task tune`), when it differs.
    const tuned = matmulChoiceFor(shape);
    const variants: Record<string, unknown> = {};
    const runs: [string, MatmulChoice][] = [
      ...MATMUL_VARIANTS.map((v): [string, MatmulChoice] => [v, forcedChoice(v, s)]),
      ["auto", auto],
      ...(matmulChoiceId(tuned) !== matmulChoiceId(auto) ? [["tuned", tuned] as [string, MatmulChoice]] : []),
    ];
    for (const [name, choice] of runs) {
      if (!matmulFits(choice.variant, s.transA, s.transB, engine.gpu.limits)) {
        variants[name] = { skipped: "needs more workgroup memory or invocations than this device allows" };
        continue;
      }
      try {
        const t = await timeIt(
          () => launchMatmul(a, b, out, choice, shape),
          () => engine.sync(),
          floorMs,
          budget,
          true,
        );
        variants[name] = {
          gflops: round(flop / (t.ms * 1e6), 4),
          ms: round(t.ms, 4),
          reps: t.reps,
          encode_us: round(t.encodeUs),
          ...(choice.splits > 1 ? { splits: choice.splits } : {}),
          vec4: choice.vec4,
          ...(name === "tuned" || name === "auto" ? { choice: matmulChoiceId(choice) } : {}),
        };
        log(
          `matmul ${s.name} ${name}: ${(flop / (t.ms * 1e6)).toFixed(1)} GFLOP/s (${t.ms.toFixed(3)} ms × ${t.reps})`,
        );
      } catch (e) {
        variants[name] = { error: errorText(e) };
        log(`matmul ${s.name} ${name}: ${errorText(e)}`);
      }
    }
    a.dispose();
    b.dispose();
    out.dispose();
    const best = Object.entries(variants)
      .filter(([name, r]) =>
        name !== "auto" && name !== "tuned" && typeof (r as { gflops?: number }).gflops === "number"
      )
      .sort((x, y) => (y[1] as { gflops: number }).gflops - (x[1] as { gflops: number }).gflops)[0]?.[0] ?? null;
    results.push({
      name: s.name,
      shape: s.note,
      M: s.M,
      N: s.N,
      K: s.K,
      batch: s.batch,
      transA: s.transA,
      transB: s.transB,
      gflop: round(flop / 1e9, 4),
      auto,
      best,
      variants,
    });
  }
  return results;
}

async function benchDispatch(engine: Engine, scratch: Tensor, software: boolean, floorMs: number) {
  const inPass = software ? 2000 : 20000;
  const submits = software ? 100 : 300;
  for (let i = 0; i < 10; i++) launch(FILL_KERNEL, [scratch], [4, i], [1, 1, 1]);
  await engine.sync();
  let t0 = performance.now();
  for (let i = 0; i < inPass; i++) launch(FILL_KERNEL, [scratch], [4, i], [1, 1, 1]);
  await engine.sync();
  const passUs = ((performance.now() - t0 - floorMs) * 1000) / inPass;
  t0 = performance.now();
  for (let i = 0; i < submits; i++) {
    launch(FILL_KERNEL, [scratch], [4, i], [1, 1, 1]);
    engine.flush();
  }
  await engine.sync();
  const submitUs = ((performance.now() - t0 - floorMs) * 1000) / submits;
  return {
    us_per_dispatch_in_one_pass: round(passUs),
    dispatches_in_pass: inPass,
    us_per_submit: round(submitUs),
    submits,
    note: "tiny fill kernel, bind group reused; the recorder submits on its own every 4096 dispatches",
  };
}

async function benchReadback(scratch: Tensor, software: boolean) {
  const times: number[] = [];
  const n = software ? 10 : 20;
  await scratch.data();
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await scratch.data();
    times.push(performance.now() - t0);
  }
  return { bytes: 16, median_ms: round(median(times)), min_ms: round(Math.min(...times)), samples: n };
}

interface TfjsBackend {
  submitQueue(): void;
  endComputePassEncoder(): void;
  commandEncoder: GPUCommandEncoder | null;
  device: GPUDevice;
  adapterInfo?: unknown;
}

async function benchTfjs(sizes: number[], budget: Budget, ours: Map<number, { auto?: number; best?: number }>) {
  try {
    const tf = await import("@tensorflow/tfjs-core");
    await import("@tensorflow/tfjs-backend-webgpu");
    if (!(await tf.setBackend("webgpu"))) throw new Error("tf.setBackend('webgpu') returned false");
    await tf.ready();
    const backend = tf.backend() as unknown as TfjsBackend;
    const sync = async (): Promise<void> => {
      backend.endComputePassEncoder();
      if (backend.commandEncoder) backend.submitQueue();
      await backend.device.queue.onSubmittedWorkDone();
    };
    const floors: number[] = [];
    const one = tf.zeros([4096]);
    for (let i = 0; i < 7; i++) {
      const t0 = performance.now();
      tf.add(one, one).dispose();
      await sync();
      floors.push(performance.now() - t0);
    }
    one.dispose();
    const floorMs = median(floors.slice(2));
    const results = [];
    for (const n of sizes) {
      try {
        const a = tf.tensor2d(noise(n * n, 1), [n, n]);
        const b = tf.tensor2d(noise(n * n, 2), [n, n]);
        const t = await timeIt(() => tf.matMul(a, b).dispose(), sync, floorMs, budget, false);
        a.dispose();
        b.dispose();
        const gflops = (2 * n ** 3) / (t.ms * 1e6);
        const mine = ours.get(n);
        log(`tfjs ${n}^3: ${gflops.toFixed(1)} GFLOP/s`);
        results.push({
          name: `${n}^3`,
          gflops: round(gflops, 4),
          ms: round(t.ms, 4),
          reps: t.reps,
          ratio_ours_auto_over_tfjs: mine?.auto ? round(mine.auto / gflops) : null,
          ratio_ours_best_over_tfjs: mine?.best ? round(mine.best / gflops) : null,
        });
      } catch (e) {
        results.push({ name: `${n}^3`, error: errorText(e) });
      }
    }
    return {
      version: tf.version_core,
      adapter: backend.adapterInfo ?? null,
      submit_floor_ms: round(floorMs),
      matmul: results,
    };
  } catch (e) {
    log(`tfjs: ${errorText(e)}`);
    return { error: errorText(e) };
  }
}

/** Calls `fn` of a bench module of another package when the module exists; never throws. */
async function optionalBench(path: string, fn: string, arg?: unknown): Promise<unknown> {
  const url = new URL(path, import.meta.url).href;
  try {
    const mod = await import(url);
    if (typeof mod[fn] !== "function") return { error: `${path} does not export ${fn}()` };
    const t0 = performance.now();
    const result = await (arg === undefined ? mod[fn]() : mod[fn](arg));
    return { wall_ms: round(performance.now() - t0), result };
  } catch (e) {
    return { error: errorText(e) };
  }
}

async function main(): Promise<void> {
  const { values } = parseCommandOrExit("bench", USAGE, Deno.args, {
    string: ["out", "t5"],
    boolean: ["quick"],
    default: { t5: "on" },
  });
  const t5Mode = values.t5 ?? "on";
  if (!["on", "off", "only"].includes(t5Mode)) {
    console.error(`bench: --t5 must be on, off or only, got "${t5Mode}"`);
    Deno.exit(2);
  }
  const engineBench = t5Mode !== "only";
  const started = performance.now();
  const loadAtStart = Deno.loadavg().map((x) => round(x));
  const engine = await initEngine();
  const tuner: Tuner = await installTuner(engine, { log });
  const info = engine.gpu.info;
  const software = info.fallback || /llvmpipe|lavapipe|swiftshader|software/i.test(info.description);
  const quick = values.quick ?? false;
  const allSquares = [512, 1024, 2048, 4096];
  const squares = software ? (quick ? [256, 512] : [512, 1024]) : (quick ? [1024, 4096] : allSquares);
  const budget: Budget = software
    ? { targetMs: 200, trials: quick ? 1 : 3, maxReps: 8 }
    : { targetMs: quick ? 100 : 250, trials: quick ? 1 : 3, maxReps: 2000 };
  log(`adapter: ${info.description} (${software ? "software" : "hardware"}), squares ${squares.join(", ")}`);

  const scratch = tensor(new Float32Array(4), [4]);
  const floorMs = await submitFloor(engine, scratch);
  log(`submit floor ${floorMs.toFixed(2)} ms`);

  const shapes = [...squares.map(square), ...(quick && software ? ADAPTER_SHAPES.slice(0, 3) : ADAPTER_SHAPES)];
  const matmul = engineBench ? await benchMatmul(engine, shapes, budget, floorMs) : [];
  const dispatch = engineBench ? await benchDispatch(engine, scratch, software, floorMs) : null;
  const readback = engineBench ? await benchReadback(scratch, software) : null;
  scratch.dispose();

  let t5: unknown = null;
  if (t5Mode !== "off") {
    try {
      t5 = await benchT5({ software, quick, log: (m) => log(`t5: ${m}`) });
    } catch (e) {
      log(`t5: ${errorText(e)}`);
      t5 = { error: errorText(e) };
    }
  }

  const ours = new Map<number, { auto?: number; best?: number }>();
  for (const r of matmul) {
    if (r.M !== r.N || r.N !== r.K || r.batch !== 1) continue;
    const g = (name: string | null) => (name ? (r.variants[name] as { gflops?: number }).gflops : undefined);
    ours.set(r.M, { auto: g("auto"), best: g(r.best) });
  }
  // tfjs last among the GPU benchmarks: it keeps its own device and timers alive
  const tfjs = engineBench ? await benchTfjs(squares, budget, ours) : null;
  const tokenizer = engineBench ? await optionalBench("../data/tokenizer/bench.ts", "benchTokenizer", {}) : null;
  const loader = engineBench ? await optionalBench("../data/bench.ts", "benchLoader") : null;

  const report = {
    date: new Date().toISOString(),
    command: `deno task bench${quick ? " --quick" : ""}${t5Mode !== "on" ? ` --t5 ${t5Mode}` : ""}${
      values.out ? ` --out ${values.out}` : ""
    }`,
    machine: {
      hostname: Deno.hostname(),
      cpus: navigator.hardwareConcurrency,
      os: `${Deno.build.os} ${Deno.osRelease()}`,
      arch: Deno.build.arch,
      loadavg_at_start: loadAtStart,
    },
    deno: Deno.version,
    adapter: {
      vendor: info.vendor,
      description: info.description,
      architecture: info.architecture,
      device: info.device,
      backend: Deno.env.get("DENO_WEBGPU_BACKEND") ?? "default",
      fallback: info.fallback,
      software,
      features: [...engine.gpu.adapter.features].sort(),
      device_features: engine.gpu.features,
      limits: engine.gpu.limits,
    },
    settings: {
      quick,
      squares,
      skipped_squares: allSquares.filter((n) => !squares.includes(n)),
      ...budget,
      submit_floor_ms: round(floorMs),
      timing: "after warm-up, N repetitions encoded, then one submit + onSubmittedWorkDone; GPU ms per repetition = " +
        "(elapsed − encoding − empty-submit floor) / N (tfjs: elapsed − floor, its submits overlap encoding); " +
        "median of the timed batches",
      note: software
        ? "software adapter: sizes capped at 1024 and repetitions at 8 (3 timed batches) to keep the run short on a CPU; absolute " +
          "numbers say nothing about GPU speed, compare ratios only"
        : "hardware adapter",
    },
    tune: {
      mode: tuner.mode,
      cache: tuner.mode === "off" ? null : tuneCachePath(),
      note: "`tuned`: the tuner's choice for the shape's class when it differs from `auto` (the built-in rules)",
    },
    matmul,
    dispatch,
    readback,
    tfjs,
    t5,
    tokenizer,
    loader,
    wall_s: round((performance.now() - started) / 1000),
  };
  const json = JSON.stringify(report, null, 2);
  if (values.out) await Deno.writeTextFile(values.out, json + "\n");
  console.log(json);
  getEngine().flush();
}

if (import.meta.main) {
  await main();
  // tfjs keeps a device and timers alive; the report is complete.
  Deno.exit(0);
}
