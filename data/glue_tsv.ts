/**
 * Reader for the GLUE TSV files as distributed (the GLUE benchmark's download): tab-separated, no quoting (quotes are
 * literal), optional UTF-8 BOM, CoLA without a header. Rows come out with the Hugging Face column names
 * (`sentence1`, `label`, …, `idx`) so that the same templates serve TSV and parquet input.
 *
 * @module
 */
import { type BadRecordOptions, DataFormatError, reject } from "./errors.ts";
import { readLines } from "./lines.ts";
import type { RawRecord } from "./tasks.ts";

/** Where a field comes from: a header name, or a 0-based column for headerless files. */
interface FieldSource {
  field: string;
  header?: string;
  column?: number;
}

type LabelParser = { kind: "int"; count: number } | { kind: "names"; names: string[] } | { kind: "float" };

interface TsvSpec {
  header: boolean;
  fields: FieldSource[];
  label: FieldSource & { parse: LabelParser };
}

const BIN: LabelParser = { kind: "int", count: 2 };
const ENT: LabelParser = { kind: "names", names: ["entailment", "not_entailment"] };

const SPECS: Record<string, TsvSpec> = {
  cola: {
    header: false,
    fields: [{ field: "sentence", column: 3 }],
    label: { field: "label", column: 1, parse: BIN },
  },
  sst2: { header: true, fields: [{ field: "sentence", header: "sentence" }], label: lbl("label", BIN) },
  mrpc: {
    header: true,
    fields: [{ field: "sentence1", header: "#1 String" }, { field: "sentence2", header: "#2 String" }],
    label: lbl("Quality", BIN),
  },
  qqp: {
    header: true,
    fields: [{ field: "question1", header: "question1" }, { field: "question2", header: "question2" }],
    label: lbl("is_duplicate", BIN),
  },
  stsb: {
    header: true,
    fields: [{ field: "sentence1", header: "sentence1" }, { field: "sentence2", header: "sentence2" }],
    label: lbl("score", { kind: "float" }),
  },
  mnli: {
    header: true,
    fields: [{ field: "premise", header: "sentence1" }, { field: "hypothesis", header: "sentence2" }],
    label: lbl("gold_label", { kind: "names", names: ["entailment", "neutral", "contradiction"] }),
  },
  qnli: {
    header: true,
    fields: [{ field: "question", header: "question" }, { field: "sentence", header: "sentence" }],
    label: lbl("label", ENT),
  },
  rte: {
    header: true,
    fields: [{ field: "sentence1", header: "sentence1" }, { field: "sentence2", header: "sentence2" }],
    label: lbl("label", ENT),
  },
  wnli: {
    header: true,
    fields: [{ field: "sentence1", header: "sentence1" }, { field: "sentence2", header: "sentence2" }],
    label: lbl("label", BIN),
  },
};

function lbl(header: string, parse: LabelParser): FieldSource & { parse: LabelParser } {
  return { field: "label", header, parse };
}

/** GLUE tasks whose TSV layout is known. */
export const GLUE_TSV_TASKS: readonly string[] = Object.keys(SPECS);

/** One row of a GLUE TSV file with its line number. */
export interface TsvRow {
  /** Hugging Face-named fields plus `label` (number) and `idx` (0-based data row). */
  value: RawRecord;
  /** 1-based line in the file. */
  line: number;
}

function parseLabel(text: string, p: LabelParser): number | undefined {
  if (p.kind === "float") {
    const v = text.trim() === "" ? NaN : Number(text);
    return Number.isFinite(v) ? v : undefined;
  }
  if (p.kind === "int") {
    const v = Number(text);
    return /^\d+$/.test(text) && v < p.count ? v : undefined;
  }
  const i = p.names.indexOf(text);
  return i >= 0 ? i : undefined;
}

function describe(p: LabelParser): string {
  if (p.kind === "float") return "a number";
  if (p.kind === "int") return Array.from({ length: p.count }, (_, i) => String(i)).join(" or ");
  return p.names.join(", ");
}

/**
 * Reads a GLUE TSV file of `task` (cola, sst2, mrpc, qqp, stsb, mnli, qnli, rte, wnli) from a byte stream.
 * A header without a needed column throws (naming the column and line 1); short rows, bad labels and bad UTF-8 throw
 * with the line, or are skipped and counted with `options.skipBad`. Empty lines are ignored.
 */
export async function* readGlueTsv(
  stream: ReadableStream<Uint8Array>,
  task: string,
  file: string,
  options?: BadRecordOptions,
): AsyncGenerator<TsvRow> {
  const spec = SPECS[task];
  if (!spec) throw new Error(`no GLUE TSV layout for task "${task}"; known: ${GLUE_TSV_TASKS.join(", ")}`);
  const sources = [...spec.fields, spec.label];
  let columns: number[] | undefined = spec.header ? undefined : sources.map((s) => s.column!);
  let idx = 0;
  for await (const { text, line } of readLines(stream, file, options)) {
    if (text === "") continue;
    const cells = text.split("\t");
    if (columns === undefined) {
      columns = sources.map((s) => {
        const c = cells.indexOf(s.header!);
        if (c < 0) {
          const hint = s.field === "label"
            ? " (GLUE test files have no labels; the paper's test sets are made " +
              "from the labelled files, §9)"
            : "";
          throw new DataFormatError(
            file,
            line,
            `missing column "${s.header}" in the header [${cells.join(", ")}]; is this the ${task} train/dev ` +
              `file?${hint}`,
          );
        }
        return c;
      });
      continue;
    }
    if (!spec.header && line === 1 && cells[0] === "index") {
      throw new DataFormatError(
        file,
        line,
        `this looks like the unlabelled ${task} test.tsv (header "index\tsentence"); missing column "label": ` +
          `use train.tsv / dev.tsv`,
      );
    }
    const need = Math.max(...columns) + 1;
    if (cells.length < need) {
      reject(
        new DataFormatError(
          file,
          line,
          `short row: ${cells.length} tab-separated column(s), need at least ${need} (pass --skip-bad to skip)`,
        ),
        options,
      );
      continue;
    }
    const value: RawRecord = {};
    spec.fields.forEach((f, i) => value[f.field] = cells[columns![i]]);
    const labelText = cells[columns[columns.length - 1]];
    const label = parseLabel(labelText, spec.label.parse);
    if (label === undefined) {
      reject(
        new DataFormatError(
          file,
          line,
          `label "${labelText}" is not ${describe(spec.label.parse)} (pass --skip-bad to skip)`,
        ),
        options,
      );
      continue;
    }
    value.label = label;
    value.idx = idx++;
    yield { value, line };
  }
}
