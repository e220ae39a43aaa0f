/**
 * `deno task report --table <N> --runs <dir>... [--split test] [--out <dir>] [--numbers configs/paper_numbers.json]`:
 * one of the paper's tables from this project's runs. Reads each run's `config.json` (its `"paper"` place) and
 * `results.json`, groups the runs into the table's rows and columns (mean ± sd over seeds), sets each cell beside the
 * paper's published number and the difference, prints the Markdown table and writes `table<N>.md` and `table<N>.svg`.
 * @module
 */
import { parseCommand } from "./command_line.ts";
import { fromFileUrl, join } from "@std/path";
import {
  buildPaperTable,
  paperTableMarkdown,
  paperTableSvg,
  readPaperNumbers,
  readRun,
  type RunRecord,
  type SkippedRun,
} from "@hyperdecoders/eval";

const USAGE = `usage: deno task report --table <N> --runs <dir>... [--split test|validation] [--out <dir>]
       [--numbers configs/paper_numbers.json]
  --table    the paper's table number (1–8, 13–16)
  --runs     run folders (each with config.json carrying "paper": {table, row, column} and results.json); the
             folders after --runs, so a shell glob works: --runs runs/table8_demo/*
  --split    results split (default: the table's in configs/paper_numbers.json, e.g. validation for Table 4's
             in-domain MRQA; else test when a run has it, else the run's evaluation split)
  --out      where table<N>.md and table<N>.svg go (default: the current folder)
  e.g. deno task report --table 8 --runs runs/table8_demo/*`;

const DEFAULT_NUMBERS = new URL("../configs/paper_numbers.json", import.meta.url);

/** Parsed command line. */
export interface ReportCli {
  table: string;
  runs: string[];
  split?: string;
  out: string;
  numbers: string;
}

/** Parses the command line; every argument after `--runs` that is not an option is a run folder. */
export function parseReportCli(args: string[]): ReportCli {
  let parsed;
  try {
    parsed = parseCommand(args, { string: ["table", "split", "out", "numbers"], collect: ["runs"], positionals: true });
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${USAGE}`);
  }
  if (parsed.help) {
    console.log(USAGE);
    Deno.exit(0);
  }
  const { values } = parsed;
  if (!values.table) throw new Error(`--table is required\n${USAGE}`);
  const runs = [...values.runs, ...parsed.positionals];
  if (runs.length === 0) throw new Error(`--runs needs at least one run folder\n${USAGE}`);
  return {
    table: values.table,
    runs,
    split: values.split,
    out: values.out ?? ".",
    numbers: values.numbers ?? fromFileUrl(DEFAULT_NUMBERS),
  };
}

/** Runs the report; returns the Markdown. Skipped folders are listed on stderr. */
export async function report(cli: ReportCli, log: (m: string) => void = console.error): Promise<string> {
  const numbers = await readPaperNumbers(cli.numbers);
  const spec = numbers.tables[cli.table];
  if (!spec) {
    throw new Error(
      `${cli.numbers}: no table "${cli.table}" (known: ${Object.keys(numbers.tables).join(", ")})`,
    );
  }
  const runs: RunRecord[] = [];
  const skipped: SkippedRun[] = [];
  for (const dir of cli.runs) {
    const info = await Deno.stat(dir).catch(() => null);
    if (info === null) throw new Error(`${dir}: no such run folder`);
    if (!info.isDirectory) continue; // a shell glob also matches log files beside the run folders
    const r = await readRun(dir, cli.table, { split: cli.split ?? spec.split, selection: spec.selection });
    if ("reason" in r) skipped.push(r);
    else runs.push(r);
  }
  for (const s of skipped) log(`report: skipped ${s.dir}: ${s.reason}`);
  const table = buildPaperTable(cli.table, spec, runs);
  const markdown = paperTableMarkdown(table);
  await Deno.mkdir(cli.out, { recursive: true });
  await Deno.writeTextFile(join(cli.out, `table${cli.table}.md`), markdown);
  await Deno.writeTextFile(
    join(cli.out, `table${cli.table}.svg`),
    paperTableSvg(table, {
      subtitle: `${runs.length} run${runs.length === 1 ? "" : "s"} · bars: ours (mean ± sd over a cell's runs) · ${
        spec.cells.length > 0 ? "black ticks: the paper" : "no published number recorded yet"
      }`,
    }),
  );
  return markdown;
}

if (import.meta.main) {
  try {
    const cli = parseReportCli(Deno.args);
    console.log(await report(cli));
    console.error(
      `report: wrote ${join(cli.out, `table${cli.table}.md`)} and ${join(cli.out, `table${cli.table}.svg`)}`,
    );
  } catch (error) {
    console.error(`report: ${(error as Error).message}`);
    Deno.exit(1);
  }
}
