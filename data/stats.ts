/**
 * `stats`: counts and length percentiles per task and split of prepared datasets, as an arquero table.
 *
 * @module
 */
import * as aq from "arquero";
import type { TextEncoderLike } from "./encoder.ts";
import { openDatasetDir } from "./fs.ts";
import { readTaskExamples } from "./task_source.ts";

/** Options of {@link datasetStats}. */
export interface StatsOptions {
  /** Measure lengths in tokens with this tokenizer (`</s>` included); characters when omitted. */
  tokenizer?: TextEncoderLike;
}

/** The table {@link datasetStats} returns: an arquero `ColumnTable`, typed by the members callers use. */
export interface StatsTable {
  /** The rows as plain objects. */
  objects(): object[];
  /** Prints the table to the console (`limit`: rows shown, default 10). */
  print(options?: { limit?: number }): unknown;
  /** The table as markdown. */
  toMarkdown(): string;
  /** The table as CSV. */
  toCSV(): string;
}

/**
 * Reads every shard of the dataset directories and returns one row per (task, split): `n` and the 50/90/99th
 * percentiles (interpolated, rounded to 0.1) and maximum of source and target lengths (`src_p50`, …, `tgt_max`).
 */
export async function datasetStats(dirs: string[], options: StatsOptions = {}): Promise<StatsTable> {
  const task: string[] = [];
  const split: string[] = [];
  const src: number[] = [];
  const tgt: number[] = [];
  const tok = options.tokenizer;
  for (const dir of dirs) {
    const ds = await openDatasetDir(dir);
    for (const s of new Set(ds.manifest.entries.map((e) => e.split))) {
      for (const source of ds.sources(s)) {
        for await (const ex of readTaskExamples(source)) {
          task.push(ex.task);
          split.push(s);
          src.push(ex.sourceIds?.length ?? (tok ? tok.encode(ex.source).length : ex.source.length));
          tgt.push(tok ? tok.encode(ex.target).length : ex.target.length);
        }
      }
    }
  }
  const order = ["train", "validation", "test"];
  return aq.table({ task, split, src, tgt })
    .groupby("task", "split")
    .rollup({
      n: aq.op.count(),
      src_p50: (d: { src: number }) => aq.op.quantile(d.src, 0.5),
      src_p90: (d: { src: number }) => aq.op.quantile(d.src, 0.9),
      src_p99: (d: { src: number }) => aq.op.quantile(d.src, 0.99),
      src_max: (d: { src: number }) => aq.op.max(d.src),
      tgt_p50: (d: { tgt: number }) => aq.op.quantile(d.tgt, 0.5),
      tgt_p90: (d: { tgt: number }) => aq.op.quantile(d.tgt, 0.9),
      tgt_max: (d: { tgt: number }) => aq.op.max(d.tgt),
    })
    .derive({
      ...Object.fromEntries(
        ["src_p50", "src_p90", "src_p99", "tgt_p50", "tgt_p90"].map((c) => [
          c,
          aq.escape((d: Record<string, number>) => Math.round(d[c] * 10) / 10),
        ]),
      ),
      o: aq.escape((d: { split: string }) => order.indexOf(d.split)),
    })
    .orderby("task", "o")
    .select(aq.not("o"));
}
