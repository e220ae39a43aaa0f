/**
 * `deno task tune [--config file.json …] [--shape tiny|small|base|large|xl …] [--batch B --source S --target T]
 * [--method hyperdecoder|full-finetune|…] [--cache file] [--force] [--list] [--out file.json]`
 *
 * Fills the kernel-tuning cache ahead of time: for each model, one training step is encoded without running
 * (`Recorder.dryRun`) to collect the shape classes of its matmuls, then every class without a fresh cache entry is
 * tuned on this adapter (each candidate checked against a float64 reference, then timed; see core/tune.ts) and saved
 * to the cache (`$HYPERDECODERS_TUNE_CACHE`, else `$XDG_CACHE_HOME/hyperdecoders/tune.json`, else
 * `~/.cache/hyperdecoders/tune.json`). Later runs use it with `HYPERDECODERS_TUNE=cached` (the default).
 *
 * Models: each `--config` (its `model.shape` / `model.preset` or the checkpoint's config.json, its method, its
 * micro-batch `train.batchSize / train.gradAccumulation` × `data.maxSourceLength` × `data.maxTargetLength`), and each
 * `--shape` at `--batch × --source × --target` (default 32 × 128 × 8) with `--method` (default hyperdecoder). Without
 * either: the benchmark's shapes (scripts/bench_t5.ts): on a GPU T5 v1.1 small and base at 32 × 128 × 8 and base at
 * the MRQA shape 8 × 512 × 32, hyperdecoder and full fine-tuning; on a software adapter only the tiny shape.
 * `--force` retunes classes that have an entry; `--list` prints the cache of this adapter and stops.
 * Prints one line per class (the choice, its time and the built-in rules' time) and, with `--out`, a JSON report.
 * @module
 */
import { join } from "@std/path";
import { AdamW, adapterKey, getEngine, initEngine, type Tensor, type TuneEntry } from "@hyperdecoders/core";
import { chooseMatmul, matmulChoiceId, type MatmulShape } from "@hyperdecoders/kernels";
import { AdaptedT5, parseT5Config, T5_V1_1, type T5Config } from "@hyperdecoders/models";
import { installTuner, resolveConfig, tinyT5Config, trainStep, tuneCachePath } from "@hyperdecoders/train";
import { type BatchShape, makeBatch, TINY_BENCH_CONFIG, uninitialisedT5 } from "./bench_t5.ts";
import { parseCommand } from "./command_line.ts";

const USAGE = `usage: deno task tune [--config file.json …] [--shape tiny|small|base|large|xl …]
                      [--batch 32 --source 128 --target 8] [--method hyperdecoder] [--cache file] [--force] [--list]
                      [--out report.json]`;

const log = (m: string): void => console.error(`[tune] ${m}`);

/** One model to collect shapes from. */
interface Target {
  name: string;
  config: T5Config;
  method: string | Record<string, unknown>;
  batch: BatchShape;
}

function shapeConfig(name: string, vocab = 32128): T5Config {
  if (name === "tiny") return tinyT5Config(vocab);
  if (name === "bench-tiny") return TINY_BENCH_CONFIG;
  const c = T5_V1_1[name as keyof typeof T5_V1_1];
  if (!c) throw new Error(`--shape ${name}: unknown; use tiny, ${Object.keys(T5_V1_1).join(", ")}`);
  return c;
}

async function configTarget(path: string): Promise<Target> {
  let json: unknown;
  try {
    json = JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    throw new Error(`${path}: cannot read the config (${(e as Error).message})`);
  }
  const cfg = resolveConfig(json, path);
  let config: T5Config;
  if (cfg.model.shape) config = shapeConfig(cfg.model.shape);
  else if (cfg.model.preset) config = shapeConfig(cfg.model.preset);
  else if (cfg.model.checkpoint) {
    const file = join(cfg.model.checkpoint, "config.json");
    const text = await Deno.readTextFile(file).catch(() => {
      throw new Error(`${path}: model.checkpoint has no ${file}; set model.shape so that tune knows the T5 shape`);
    });
    config = parseT5Config(JSON.parse(text), file);
  } else throw new Error(`${path}: the config names no model shape (model.shape, model.preset or model.checkpoint)`);
  const micro = Math.ceil(cfg.train.batchSize / Math.max(1, cfg.train.gradAccumulation));
  const tasks = cfg.data.tasks ?? [];
  return {
    name: path,
    config,
    method: { ...cfg.method, ...(tasks.length ? { tasks } : {}) } as Record<string, unknown>,
    batch: { batch: micro, source: cfg.data.maxSourceLength, target: cfg.data.maxTargetLength },
  };
}

function defaultTargets(software: boolean): Target[] {
  const main: BatchShape = { batch: 32, source: 128, target: 8 };
  if (software) {
    return ["hyperdecoder", "full-finetune"].map((method) => ({
      name: `bench-tiny ${method}`,
      config: TINY_BENCH_CONFIG,
      method,
      batch: { batch: 4, source: 32, target: 8 },
    }));
  }
  // Most wanted first: a timeout leaves the earlier ones tuned (the cache is saved after each class).
  const { small, base } = T5_V1_1;
  return [
    { name: "base hyperdecoder", config: base, method: "hyperdecoder", batch: main },
    {
      name: "base hyperdecoder MRQA",
      config: base,
      method: "hyperdecoder",
      batch: { batch: 8, source: 512, target: 32 },
    },
    { name: "small hyperdecoder", config: small, method: "hyperdecoder", batch: main },
    { name: "base full-finetune", config: base, method: "full-finetune", batch: main },
    { name: "small full-finetune", config: small, method: "full-finetune", batch: main },
  ];
}

/** Encodes one training step without running it, so that the tuner sees every matmul shape class of the model. */
function collect(target: Target): void {
  const engine = getEngine();
  const base = uninitialisedT5(target.config);
  const model = new AdaptedT5(base, target.method);
  const batch = makeBatch(target.batch, target.config.vocabSize, 1);
  const opt = new AdamW(model.trainableParameters(), { lr: 1e-4 });
  let losses: Tensor[] = [];
  engine.recorder.dryRun = true;
  const budget = engine.recorder.dispatchBudget;
  engine.recorder.dispatchBudget = Number.MAX_SAFE_INTEGER;
  try {
    losses = trainStep(model, batch, [opt], { dropout: true, seed: 1, clipNorm: 1 });
  } finally {
    engine.flush();
    engine.recorder.dryRun = false;
    engine.recorder.dispatchBudget = budget;
    for (const l of losses) l.dispose();
    opt.dispose();
    batch.inputIds.dispose();
    batch.attentionMask.dispose();
    model.dispose();
    base.dispose();
  }
}

function row(key: string, e: TuneEntry): Record<string, unknown> {
  const s = e.shape as MatmulShape;
  const rule = s && typeof s.M === "number"
    ? matmulChoiceId(chooseMatmul(s.M, s.N, s.K, s.batch, s.transA, s.transB))
    : null;
  const ms = typeof e.timings[e.choice] === "number" ? e.timings[e.choice] as number : null;
  const ruleMs = rule && typeof e.timings[rule] === "number" ? e.timings[rule] as number : null;
  const flop = s && typeof s.M === "number" ? 2 * s.M * s.N * s.K * s.batch : null;
  return {
    class: key,
    shape: s && typeof s.M === "number"
      ? `${s.batch > 1 ? `${s.batch}×` : ""}${s.M}×${s.K}${s.transA ? "ᵀ" : ""} · ${s.K}×${s.N}${s.transB ? "ᵀ" : ""}`
      : null,
    choice: e.choice,
    ms,
    gflops: flop && ms ? Number((flop / (ms * 1e6)).toPrecision(4)) : null,
    rule,
    rule_ms: ruleMs,
    speedup_over_rule: ms && ruleMs ? Number((ruleMs / ms).toPrecision(3)) : null,
    rejected: Object.entries(e.timings).filter(([, v]) => typeof v === "string").map(([k]) => k),
    timer: e.timer,
  };
}

/** The JSON report of a run: the adapter, the cache file, classes tuned now, and one row per cached class. */
export interface TuneReport {
  /** The adapter identity the entries are stored under. */
  adapter: unknown;
  /** The cache file. */
  cache: string;
  /** Classes tuned by this run. */
  tuned_now: number;
  /** One row per cached class of this adapter. */
  classes: Record<string, unknown>[];
}

/** Runs `deno task tune` with `argv`; resolves with the report (also printed, and written to `--out`). */
export async function tuneMain(argv: string[]): Promise<TuneReport> {
  let parsed;
  try {
    parsed = parseCommand(argv, {
      string: ["batch", "source", "target", "method", "cache", "out"],
      collect: ["config", "shape"],
      boolean: ["force", "list"],
      default: { batch: "32", source: "128", target: "8", method: "hyperdecoder" },
    });
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${USAGE}`);
  }
  if (parsed.help) {
    console.log(USAGE);
    Deno.exit(0);
  }
  const args = { ...parsed.values, method: parsed.values.method ?? "hyperdecoder" };
  const engine = await initEngine();
  const info = engine.gpu.info;
  const software = info.fallback || /llvmpipe|lavapipe|swiftshader|software/i.test(info.description);
  const path = args.cache ?? tuneCachePath();
  if (!path) throw new Error(`no cache folder: set HYPERDECODERS_TUNE_CACHE or pass --cache\n${USAGE}`);
  const tuner = await installTuner(engine, { mode: "on", path, fresh: args.force, background: false, log });
  const adapter = adapterKey(tuner.adapter);
  if (!args.list) {
    const num = (name: "batch" | "source" | "target"): number => {
      const v = Number(args[name]);
      if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer, got "${args[name]}"`);
      return v;
    };
    const targets: Target[] = [];
    for (const c of args.config) targets.push(await configTarget(c));
    for (const s of args.shape) {
      targets.push({
        name: `${s} ${args.method}`,
        config: shapeConfig(s),
        method: args.method,
        batch: { batch: num("batch"), source: num("source"), target: num("target") },
      });
    }
    if (targets.length === 0) targets.push(...defaultTargets(software));
    log(`adapter ${info.description}; cache ${path}`);
    for (const t of targets) {
      collect(t);
      log(`${t.name} ${t.batch.batch}×${t.batch.source}×${t.batch.target}: ${tuner.pendingCount} classes to tune`);
      await tuner.tunePending();
    }
  }
  const entries = tuner.snapshot().adapters[adapter]?.entries ?? {};
  const rows = Object.entries(entries).map(([k, e]) => row(k, e));
  for (const r of rows) {
    console.error(
      `${String(r.class).padEnd(44)} ${String(r.shape).padEnd(30)} ${String(r.choice).padEnd(18)} ` +
        `${r.ms === null ? "–" : (r.ms as number).toPrecision(3) + " ms"} (${
          r.gflops ?? "–"
        } GFLOP/s); rules ${r.rule}: ` +
        `${r.rule_ms === null ? "–" : (r.rule_ms as number).toPrecision(3) + " ms"}` +
        `${r.speedup_over_rule ? ` ×${r.speedup_over_rule}` : ""}`,
    );
  }
  const report: TuneReport = { adapter: tuner.adapter, cache: path, tuned_now: tuner.tuned, classes: rows };
  const json = JSON.stringify(report, null, 2);
  if (args.out) await Deno.writeTextFile(args.out, json + "\n");
  console.log(json);
  return report;
}

if (import.meta.main) {
  try {
    await tuneMain(Deno.args);
  } catch (e) {
    console.error(`tune: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
