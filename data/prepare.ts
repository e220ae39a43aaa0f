/**
 * `prepare`: reads a task's input files (local paths or http(s) URLs), applies the task's template (or MRQA chunking),
 * makes the paper's splits and writes gzip'd JSONL shards plus `manifest.json` (Deno adapter).
 *
 * Inputs are first formatted into "units" (one example, or all chunks of one MRQA question). When a split needs
 * random selection (halving validation, the 1,000 held-out training examples, or the reference code's drop-one
 * variant) the units are staged in a temporary folder inside `out` to count them; otherwise they stream straight
 * into the output shards.
 *
 * Crash safety: new shards get fresh names (`<task>/<split>-<generation>-NNNNN.jsonl.gz`) so the shards the current
 * manifest names are never touched; the manifest is replaced atomically (temporary file, fsync, rename), which
 * publishes the new shards in one step; only then are shards no manifest entry names deleted. A prepare killed at
 * any point leaves the previous dataset readable; its leftovers (staging folders, temporary files, unpublished
 * shards) are removed by the next prepare into the same folder.
 *
 * @module
 */
import { basename, join } from "@std/path";
import { DEFAULT_DEMO_SIZES, demoRecords, type DemoSizes } from "./demo.ts";
import type { TextEncoderLike } from "./encoder.ts";
import { type BadRecordOptions, DataFormatError, reject, SkipTally } from "./errors.ts";
import { type Example, exampleFromJson } from "./example.ts";
import {
  directorySink,
  isUrl,
  openAsyncBuffer,
  openByteStream,
  parquetCompressors,
  readManifest,
  removeLeftovers,
  writeFileAtomic,
} from "./fs.ts";
import { readGlueTsv } from "./glue_tsv.ts";
import { readJsonl, readUserTasks } from "./jsonl.ts";
import { type Manifest, type ManifestEntry, mergeManifest, type Provenance } from "./manifest.ts";
import { mrqaFromHfRow, type MrqaQuestion, readMrqaJsonl } from "./mrqa.ts";
import { chunkMrqaQuestion, type MrqaChunkOptions } from "./mrqa_chunk.ts";
import { readParquetRows } from "./parquet.ts";
import { DEFAULT_SHARD_BYTES, ShardWriter } from "./shard_writer.ts";
import { planSplits, type SplitOptions, type SplitPlan } from "./splits.ts";
import { formatExample, getTask, type RawRecord, type StsbRounding, type TaskSpec, TEMPLATE_VERSION } from "./tasks.ts";
import { readShardLines, type ShardRef } from "./task_source.ts";

/** Input file formats. */
export type InputFormat = "tsv" | "parquet" | "jsonl" | "mrqa-jsonl";

/** One input file. */
export interface PrepareInput {
  /** Source split: "train", "validation", "test", "validation_matched", "validation_mismatched". */
  split: string;
  /** Local path or http(s) URL. */
  location: string;
  /** Format; inferred from the name when omitted. */
  format?: InputFormat;
  /** Where the file came from, recorded in the manifest instead of `location` (e.g. a pinned `hf://datasets/…`). */
  source?: string;
  /** Request headers for a URL (authorization of a gated dataset read in place); never recorded. */
  headers?: Record<string, string>;
}

/** Options of {@link prepareDataset}. */
export interface PrepareOptions {
  /** Registry task (cola, …, xsum, anli, art), "mrqa", "user" (JSONL {task, input, target}) or "demo". */
  task: string;
  /** Input files (several for one split are concatenated in order, e.g. ANLI r1, r2, r3). Unused for "demo". */
  inputs: PrepareInput[];
  /** Output directory; an existing manifest there is merged (same task and split replaced). */
  out: string;
  /** Split options (seed, reference-code drop-one variant, MNLI test set). */
  split?: SplitOptions;
  /** STS-B rounding. */
  stsbRounding?: StsbRounding;
  /** Skip malformed records (counted and reported) instead of stopping at the first. */
  skipBad?: boolean;
  /** Bound on a shard's uncompressed size in bytes (default 16 MiB). */
  maxShardBytes?: number;
  /** Tokenizer: required for "mrqa" (chunking) and "demo" (length checks). */
  tokenizer?: TextEncoderLike;
  /** Where the tokenizer came from and its hash, recorded in the manifest. */
  tokenizerInfo?: { location: string; sha256: string };
  /** MRQA window options (default 512 / 128). */
  mrqa?: MrqaChunkOptions;
  /** Demo options. */
  demo?: { seed?: number; sizes?: DemoSizes };
  /** Progress messages. */
  log?: (message: string) => void;
}

/** What {@link prepareDataset} wrote. */
export interface PrepareResult {
  /** The entries written (one per task and split). */
  entries: ManifestEntry[];
  /** Malformed records skipped (with `skipBad`). */
  skipped: SkipTally;
  /** Path of the manifest. */
  manifestPath: string;
}

/** Infers the source split from a file name ("dev_matched.tsv" → validation_matched, "train-00000-of-00002.parquet" →
 * train, …); `undefined` when the name says nothing. */
export function inferSplit(location: string): string | undefined {
  const name = basename(isUrl(location) ? new URL(location).pathname : location).toLowerCase();
  if (/(dev|validation)_mismatched/.test(name)) return "validation_mismatched";
  if (/(dev|validation)_matched/.test(name)) return "validation_matched";
  if (/(^|[^a-z])train/.test(name)) return "train";
  if (/(^|[^a-z])(dev|validation|valid|val)([^a-z]|$)/.test(name)) return "validation";
  if (/(^|[^a-z])test/.test(name)) return "test";
  return undefined;
}

/** Infers the input format from a file name and the task. */
export function inferFormat(location: string, task: string): InputFormat {
  const name = (isUrl(location) ? new URL(location).pathname : location).toLowerCase();
  if (name.endsWith(".tsv") || name.endsWith(".txt")) return "tsv";
  if (name.endsWith(".parquet")) return "parquet";
  if (/\.jsonl?(\.gz)?$/.test(name)) return task === "mrqa" ? "mrqa-jsonl" : "jsonl";
  throw new Error(`${location}: cannot tell the format from the name; expected .tsv, .parquet, .jsonl or .jsonl.gz`);
}

/**
 * Expands an input directory into its data files (sorted by name, recursively), with splits inferred. (Hub dataset
 * references are expanded by `expandHubInputs` of `@hyperdecoders/data/hub`.)
 */
export async function expandInputs(location: string, task: string): Promise<PrepareInput[]> {
  if (isUrl(location)) return [{ split: mustSplit(location), location, format: inferFormat(location, task) }];
  const stat = await Deno.stat(location).catch(() => undefined);
  if (!stat) throw new Error(`${location}: not found; check the path`);
  if (!stat.isDirectory) return [{ split: mustSplit(location), location, format: inferFormat(location, task) }];
  const files: string[] = [];
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(dir)) {
      const p = join(dir, e.name);
      if (e.isDirectory) await walk(p);
      else if (/\.(tsv|parquet|jsonl|jsonl\.gz|json\.gz)$/i.test(e.name)) files.push(p);
    }
  };
  await walk(location);
  files.sort();
  const out = files.flatMap((f) => {
    const split = inferSplit(f);
    return split ? [{ split, location: f, format: inferFormat(f, task) }] : [];
  });
  if (out.length === 0) throw new Error(`${location}: no .tsv/.parquet/.jsonl(.gz) files with a split in the name`);
  return out;
}

function mustSplit(location: string): string {
  const s = inferSplit(location);
  if (!s) throw new Error(`${location}: cannot tell the split from the name; pass it as --input <split>=<location>`);
  return s;
}

/** Normalises raw records of other distributions to the Hugging Face columns (raw ANLI jsonl: `context`, e/n/c). */
function normalize(spec: TaskSpec, rec: RawRecord): RawRecord {
  if (spec.name === "anli" && rec.premise === undefined && typeof rec.context === "string") {
    const letters: Record<string, number> = { e: 0, n: 1, c: 2 };
    const label = typeof rec.label === "string" ? letters[rec.label] ?? rec.label : rec.label;
    return { ...rec, premise: rec.context, label };
  }
  return rec;
}

/** Records of one input file with their location. */
async function* readInput(
  input: PrepareInput,
  task: string,
  bad: BadRecordOptions,
): AsyncGenerator<{ value: RawRecord; line: number }> {
  const format = input.format ?? inferFormat(input.location, task);
  const loc = input.location;
  if (format === "tsv") yield* readGlueTsv(await openByteStream(loc), task, loc, bad);
  else if (format === "parquet") {
    // MRQA rows also carry large token columns that are not needed.
    const columns = task === "mrqa"
      ? ["subset", "context", "qid", "question", "detected_answers", "answers"]
      : undefined;
    yield* readParquetRows(await openAsyncBuffer(loc, input.headers), input.source ?? loc, {
      columns,
      compressors: await parquetCompressors(),
    });
  } else if (format === "mrqa-jsonl") {
    for await (const r of readMrqaJsonl(await openByteStream(loc), loc, bad)) {
      yield { value: r.value as unknown as RawRecord, line: r.line };
    }
  } else if (task === "user") yield* readUserTasks(await openByteStream(loc), loc, bad);
  else yield* readJsonl(await openByteStream(loc), loc, bad);
}

/** Formats the records of a source split into units (one example, or the chunks of one MRQA question). */
async function* unitsOf(
  inputs: PrepareInput[],
  opts: PrepareOptions,
  bad: BadRecordOptions,
): AsyncGenerator<Example[]> {
  const spec = getTask(opts.task);
  const cache = new Map<string, number[]>();
  let i = 0;
  for (const input of inputs) {
    const format = input.format ?? inferFormat(input.location, opts.task);
    for await (const { value, line } of readInput(input, opts.task, bad)) {
      const where = { file: input.location, line };
      try {
        if (opts.task === "mrqa") {
          const q = format === "parquet"
            ? mrqaFromHfRow(value, input.location, line)
            : value as unknown as MrqaQuestion;
          yield chunkMrqaQuestion(q, opts.tokenizer!, opts.mrqa, where, cache);
        } else {
          const id = typeof value.id === "string" && opts.task === "user"
            ? value.id
            : `${opts.task === "user" ? value.task : spec.name}/${input.split}/${i}`;
          yield [formatExample(spec, normalize(spec, value), id, where, { stsbRounding: opts.stsbRounding })];
        }
        i++;
      } catch (e) {
        if (!(e instanceof DataFormatError)) {
          throw new Error(`${where.file}:${where.line}: ${(e as Error).message}`, { cause: e });
        }
        reject(e, bad);
      }
    }
  }
}

function dirName(task: string): string {
  return task.replace(/[^A-Za-z0-9_.-]/g, "_");
}

/** Writes examples into per-(task, split) shard writers. */
class Outputs {
  readonly writers = new Map<string, { task: string; split: string; writer: ShardWriter }>();
  /** Distinguishes this prepare's shards from those of the manifest being replaced. */
  readonly generation: string = crypto.randomUUID().slice(0, 8);
  constructor(readonly out: string, readonly maxBytes: number) {}

  async add(split: string, ex: Example): Promise<void> {
    const key = `${ex.task}\u0000${split}`;
    let w = this.writers.get(key);
    if (!w) {
      const used = new Set([...this.writers.values()].map((v) => `${dirName(v.task)}/${v.split}`));
      if (used.has(`${dirName(ex.task)}/${split}`)) {
        throw new Error(`task names "${ex.task}" and another one map to the same folder; rename one`);
      }
      const prefix = `${dirName(ex.task)}/${split}-${this.generation}`;
      w = { task: ex.task, split, writer: new ShardWriter(directorySink(this.out), prefix, this.maxBytes) };
      this.writers.set(key, w);
    }
    await w.writer.add(ex);
  }

  async finish(provenance: Provenance): Promise<ManifestEntry[]> {
    const entries: ManifestEntry[] = [];
    for (const { task, split, writer } of this.writers.values()) {
      const r = await writer.finish();
      entries.push({ task, split, count: r.count, examplesSha256: r.examplesSha256, shards: r.shards, provenance });
    }
    return entries;
  }
}

/**
 * Prepares one dataset into `opts.out`: reads and formats the inputs, splits them per the task's policy and writes
 * shards and the manifest. Returns the entries written and the skip count.
 */
export async function prepareDataset(opts: PrepareOptions): Promise<PrepareResult> {
  const log = opts.log ?? (() => {});
  const skips = new SkipTally();
  const bad: BadRecordOptions = { skipBad: opts.skipBad, skips };
  const maxBytes = opts.maxShardBytes ?? DEFAULT_SHARD_BYTES;
  await Deno.mkdir(opts.out, { recursive: true });
  const left = await removeLeftovers(opts.out, [".staging-"]);
  if (left.length > 0) log(`removed leftovers of an interrupted prepare: ${left.join(", ")}`);
  await removeUnlisted(opts.out, await readManifest(opts.out), log);
  const outputs = new Outputs(opts.out, maxBytes);
  const provenance: Provenance = {
    dataset: opts.task,
    templateVersion: TEMPLATE_VERSION,
    inputs: opts.inputs.map((i) => ({
      split: i.split,
      location: i.source ?? i.location,
      format: i.format ?? (opts.task === "demo" ? "generated" : inferFormat(i.location, opts.task)),
    })),
    options: { ...opts.split, stsbRounding: opts.stsbRounding, mrqa: opts.mrqa, demo: opts.demo },
  };
  if (opts.tokenizerInfo) provenance.tokenizer = opts.tokenizerInfo;

  if (opts.task === "demo") await writeDemo(opts, outputs);
  else await writeTask(opts, outputs, bad, maxBytes, log);
  if (skips.total > 0) provenance.skipped = skips.toJSON();
  const entries = await outputs.finish(provenance);
  if (entries.length === 0) {
    const where = opts.inputs.map((i) => i.location).join(", ") || "the inputs";
    const skipped = skips.total > 0 ? ` (${skips.total} malformed record(s) skipped)` : "";
    throw new Error(`no examples were read from ${where}${skipped}; nothing was written: check the files and --task`);
  }
  const manifest = mergeManifest(await readManifest(opts.out), entries);
  const manifestPath = join(opts.out, "manifest.json");
  await writeFileAtomic(manifestPath, JSON.stringify(manifest, null, 2) + "\n");
  await removeUnlisted(opts.out, manifest, log);
  return { entries, skipped: skips, manifestPath };
}

/**
 * Deletes shard files (`*.jsonl.gz` one folder down) that `manifest` does not name: those of replaced entries and
 * those of a prepare that was killed before publishing its manifest. Nothing is deleted without a manifest.
 */
async function removeUnlisted(out: string, manifest: Manifest | undefined, log: (m: string) => void): Promise<void> {
  if (!manifest) return;
  const listed = new Set(manifest.entries.flatMap((e) => e.shards.map((s) => s.file)));
  const dirs = new Set(manifest.entries.flatMap((e) => e.shards.map((s) => s.file.split("/")[0])));
  let n = 0;
  for (const d of dirs) {
    try {
      for await (const e of Deno.readDir(join(out, d))) {
        if (e.isFile && e.name.endsWith(".jsonl.gz") && !listed.has(`${d}/${e.name}`)) {
          await Deno.remove(join(out, d, e.name));
          n++;
        }
      }
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  if (n > 0) log(`removed ${n} shard file(s) that manifest.json no longer names`);
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

/** Reads, formats, splits and writes one registry task (not the demo). */
async function writeTask(
  opts: PrepareOptions,
  outputs: Outputs,
  bad: BadRecordOptions,
  maxBytes: number,
  log: (message: string) => void,
): Promise<void> {
  const spec = getTask(opts.task);
  if (spec.family === "demo") throw new Error(`"${spec.name}" is part of the demo mixture: prepare --task demo`);
  if (opts.task === "mrqa" && !opts.tokenizer) throw new Error("MRQA chunking needs a tokenizer (--tokenizer)");
  const bySplit = new Map<string, PrepareInput[]>();
  for (const input of opts.inputs) bySplit.set(input.split, [...(bySplit.get(input.split) ?? []), input]);
  // Plan with placeholder sizes to learn which source splits are used and whether selection is needed.
  const probe = planSplits(spec.splitPolicy, Object.fromEntries([...bySplit.keys()].map((s) => [s, 2])), opts.split);
  const used = new Set(probe.map((p) => p.source));
  for (const [s, inputs] of bySplit) {
    if (!used.has(s)) {
      log(`ignoring ${inputs.map((i) => i.location).join(", ")}: split "${s}" is not used by ${spec.name}`);
    }
  }
  if (!probe.some((p) => p.indices !== null)) {
    for (const plan of probe) {
      const inputs = bySplit.get(plan.source)!;
      log(`reading ${plan.source}: ${inputs.map((i) => i.location).join(", ")}`);
      for await (const unit of unitsOf(inputs, opts, bad)) for (const ex of unit) await outputs.add(plan.split, ex);
    }
    return;
  }
  const stagingDir = join(opts.out, `.staging-${crypto.randomUUID().slice(0, 8)}`);
  try {
    const staged = new Map<string, ShardRef[]>();
    const sizes: Record<string, number> = {};
    for (const source of used) {
      const inputs = bySplit.get(source)!;
      log(`reading ${source}: ${inputs.map((i) => i.location).join(", ")}`);
      const writer = new ShardWriter(directorySink(stagingDir), dirName(source), maxBytes);
      for await (const unit of unitsOf(inputs, opts, bad)) await writer.addLine(JSON.stringify(unit));
      const { shards, count } = await writer.finish();
      sizes[source] = count;
      staged.set(
        source,
        shards.map((s) => {
          const path = join(stagingDir, s.file);
          return { file: path, count: s.count, open: () => openByteStream(path) };
        }),
      );
    }
    const plans = planSplits(spec.splitPolicy, sizes, opts.split);
    for (const [source, shards] of staged) await route(shards, plans.filter((p) => p.source === source), outputs);
  } finally {
    await Deno.remove(stagingDir, { recursive: true }).catch(() => {});
  }
}

/** Sends the staged units of one source split to the output splits that select them. */
async function route(shards: ShardRef[], plans: SplitPlan[], outputs: Outputs): Promise<void> {
  const n = sum(shards.map((s) => s.count));
  const assign = new Int8Array(n).fill(-1);
  plans.forEach((p, k) => {
    if (p.indices === null) assign.fill(k);
    else for (const i of p.indices) assign[i] = k;
  });
  let i = 0;
  for (const shard of shards) {
    for await (const l of readShardLines(shard)) {
      const k = assign[i++];
      if (k < 0) continue;
      for (const ex of JSON.parse(l.text) as unknown[]) {
        await outputs.add(plans[k].split, exampleFromJson(JSON.stringify(ex), shard.file, l.line));
      }
    }
  }
}

async function writeDemo(opts: PrepareOptions, outputs: Outputs): Promise<void> {
  const sizes = opts.demo?.sizes ?? DEFAULT_DEMO_SIZES;
  const seed = opts.demo?.seed ?? 42;
  const tok = opts.tokenizer;
  if (!tok) throw new Error("the demo mixture needs a tokenizer (--tokenizer) to check its lengths");
  for (const [task, perSplit] of Object.entries(sizes)) {
    const spec = getTask(task);
    for (const split of ["train", "validation", "test"] as const) {
      let i = 0;
      for (const rec of demoRecords(task, split, perSplit[split], seed)) {
        const ex = formatExample(spec, rec, `${task}/${split}/${i}`, { file: "<demo>", line: i + 1 });
        const src = tok.encode(ex.source).length;
        const tgt = tok.encode(ex.target).length - 1;
        if (src > spec.maxSourceLength || tgt < 1 || tgt > 3) {
          throw new Error(
            `demo example ${ex.id} "${ex.source}" → "${ex.target}" is ${src} source / ${tgt} target tokens with ` +
              `this tokenizer; the demo needs ≤ ${spec.maxSourceLength} and 1–3: use the fixtures' spm-2k tokenizer`,
          );
        }
        await outputs.add(split, ex);
        i++;
      }
    }
  }
}
