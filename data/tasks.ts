/**
 * Task registry: one Jinja source template per task (`@huggingface/jinja`), target construction, label maps and the
 * split policy of each task, following the reference code's `tasks.py` and the paper's splits (Table 10).
 *
 * @module
 */
import { Template } from "@huggingface/jinja";
import { DataFormatError } from "./errors.ts";
import type { Example } from "./example.ts";
import type { ManifestEntry } from "./manifest.ts";

/** Version of the templates below; stored in every manifest entry. Bump it when any template or target changes. */
export const TEMPLATE_VERSION = "hyperdecoders-templates/1";

/** A raw record as a reader produces it (Hugging Face column names). */
export type RawRecord = Record<string, unknown>;

/** How a task's train/validation/test splits are made (the paper's Table 10; data/splits.ts). */
export type SplitPolicy =
  /** validation halved into validation and test; train kept. */
  | "half-validation"
  /** 1,000 of train held out as validation; the original validation set is the test set. */
  | "holdout-1000"
  /** MNLI: validation = validation_mismatched, test = validation_matched (Table 10 and the reference code). */
  | "mnli"
  /** the dataset's own train / validation / test splits. */
  | "own";

/** What kind of target a task has. */
export type TargetKind = "classification" | "regression" | "generation";

/** STS-B rounding: the paper's 21 classes (Fig. 3 caption), read as `round(x·5)/5`, or the reference code's 0.1
 * rounding. */
export type StsbRounding = "paper" | "code";

/** Options that change how targets are built. */
export interface FormatOptions {
  /** STS-B target rounding (default "paper"). */
  stsbRounding?: StsbRounding;
}

/** One registered task. */
export interface TaskSpec {
  /** Registry name, also the task name written into examples (except MRQA, which uses the subset name). */
  name: string;
  /** Group used for defaults (lengths, mixtures). */
  family: "glue" | "nli" | "summarization" | "mrqa" | "user" | "demo";
  /** Jinja template of the source text. */
  template: string;
  /** Raw fields the template and target need. */
  fields: string[];
  /** Target kind. */
  kind: TargetKind;
  /** Target strings by integer label (classification). */
  labels?: string[];
  /** Human-readable class names by integer label (classification). */
  labelNames?: string[];
  /** Raw field holding the target text (generation). */
  targetField?: string;
  /** How splits are made. */
  splitPolicy: SplitPolicy;
  /** Metric names evaluation computes for this task. */
  metrics: string[];
  /** Default maximum source / target token lengths (the reference code's configs: GLUE 128/128, MRQA 512/64). */
  maxSourceLength: number;
  /** Default maximum target token length. */
  maxTargetLength: number;
}

const GLUE_LEN = { maxSourceLength: 128, maxTargetLength: 128 };
const LONG_LEN = { maxSourceLength: 512, maxTargetLength: 128 };
const BIN = ["0", "1"];

function pair(name: string, a: string, b: string, extra: Partial<TaskSpec>): TaskSpec {
  return {
    name,
    family: "glue",
    template: `${name} ${a}: {{ ${a} }} ${b}: {{ ${b} }}`,
    fields: [a, b],
    kind: "classification",
    labels: BIN,
    splitPolicy: "half-validation",
    metrics: ["accuracy"],
    ...GLUE_LEN,
    ...extra,
  };
}

const SPECS: TaskSpec[] = [
  {
    name: "cola",
    family: "glue",
    template: "cola sentence: {{ sentence }}",
    fields: ["sentence"],
    kind: "classification",
    labels: BIN,
    labelNames: ["unacceptable", "acceptable"],
    splitPolicy: "half-validation",
    metrics: ["matthews_corrcoef"],
    ...GLUE_LEN,
  },
  {
    name: "sst2",
    family: "glue",
    template: "sst2 sentence: {{ sentence }}",
    fields: ["sentence"],
    kind: "classification",
    labels: BIN,
    labelNames: ["negative", "positive"],
    splitPolicy: "holdout-1000",
    metrics: ["accuracy"],
    ...GLUE_LEN,
  },
  pair("mrpc", "sentence1", "sentence2", {
    labelNames: ["not_equivalent", "equivalent"],
    metrics: ["f1", "accuracy"],
  }),
  pair("stsb", "sentence1", "sentence2", { kind: "regression", labels: undefined, metrics: ["pearson", "spearman"] }),
  pair("qqp", "question1", "question2", {
    labelNames: ["not_duplicate", "duplicate"],
    splitPolicy: "holdout-1000",
    metrics: ["f1", "accuracy"],
  }),
  pair("mnli", "premise", "hypothesis", {
    labels: ["0", "1", "2"],
    labelNames: ["entailment", "neutral", "contradiction"],
    splitPolicy: "mnli",
  }),
  pair("qnli", "question", "sentence", { labelNames: ["entailment", "not_entailment"], splitPolicy: "holdout-1000" }),
  pair("rte", "sentence1", "sentence2", { labelNames: ["entailment", "not_entailment"] }),
  pair("wnli", "sentence1", "sentence2", { labelNames: ["not_entailment", "entailment"] }),
  pair("anli", "premise", "hypothesis", {
    family: "nli",
    labels: ["0", "1", "2"],
    labelNames: ["entailment", "neutral", "contradiction"],
    splitPolicy: "own",
    ...LONG_LEN,
  }),
  {
    name: "art",
    family: "nli",
    template: "art observation 1: {{ observation_1 }} observation 2: {{ observation_2 }} " +
      "hypothesis 1: {{ hypothesis_1 }} hypothesis 2: {{ hypothesis_2 }}",
    fields: ["observation_1", "observation_2", "hypothesis_1", "hypothesis_2"],
    kind: "classification",
    // The correct hypothesis is 1 or 2; index 0 is unused (the reference code's label list is ["0","1","2"]).
    labels: ["0", "1", "2"],
    labelNames: ["", "hypothesis_1", "hypothesis_2"],
    splitPolicy: "holdout-1000",
    metrics: ["accuracy"],
    ...LONG_LEN,
  },
  ...([["xsum", "document", "summary"], ["cnn_dailymail", "article", "highlights"], [
    "wiki_lingua_english_en",
    "source",
    "target",
  ]] as const).map(([name, src, tgt]): TaskSpec => ({
    name,
    family: "summarization",
    template: `summarize: {{ ${src} }}`,
    fields: [src, tgt],
    kind: "generation",
    targetField: tgt,
    splitPolicy: "own",
    metrics: ["rouge1", "rouge2", "rougeL"],
    ...LONG_LEN,
  })),
  {
    name: "mrqa",
    family: "mrqa",
    template: "question: {{ question }} context: {{ context }}",
    fields: ["question", "context"],
    kind: "generation",
    splitPolicy: "own",
    metrics: ["squad_em", "squad_f1"],
    maxSourceLength: 512,
    maxTargetLength: 64,
  },
  {
    name: "user",
    family: "user",
    template: "{{ input }}",
    fields: ["input", "target"],
    kind: "generation",
    targetField: "target",
    splitPolicy: "own",
    metrics: ["exact_match"],
    ...LONG_LEN,
  },
  {
    name: "demo_label",
    family: "demo",
    template: "label text: {{ text }}",
    fields: ["text"],
    kind: "classification",
    labels: ["negative", "positive"],
    labelNames: ["negative", "positive"],
    splitPolicy: "own",
    metrics: ["accuracy"],
    maxSourceLength: 32,
    maxTargetLength: 4,
  },
  {
    name: "demo_count",
    family: "demo",
    template: "count text: {{ text }}",
    fields: ["text"],
    kind: "regression",
    splitPolicy: "own",
    metrics: ["pearson", "spearman"],
    maxSourceLength: 32,
    maxTargetLength: 4,
  },
  {
    name: "demo_extract",
    family: "demo",
    template: "extract text: {{ text }}",
    fields: ["text", "name"],
    kind: "generation",
    targetField: "name",
    splitPolicy: "own",
    metrics: ["exact_match"],
    maxSourceLength: 32,
    maxTargetLength: 4,
  },
];

/** All registered tasks by name. */
export const TASKS: ReadonlyMap<string, TaskSpec> = new Map(SPECS.map((s) => [s.name, s]));

/** The GLUE tasks the paper trains on, in the paper's order. */
export const GLUE_TASKS: readonly string[] = ["cola", "sst2", "mrpc", "qqp", "stsb", "mnli", "qnli", "rte"];

/** The registered task `name`; throws listing the known names otherwise. */
export function getTask(name: string): TaskSpec {
  const spec = TASKS.get(name);
  if (!spec) throw new Error(`unknown task "${name}"; known tasks: ${[...TASKS.keys()].join(", ")}`);
  return spec;
}

/** The registry task behind a manifest entry: "mrqa" for MRQA subsets (task "SQuAD", …), "user" for user tasks,
 * else the entry's task. Use it for label maps, metrics and default lengths at evaluation. */
export function taskSpecOf(entry: Pick<ManifestEntry, "task" | "provenance">): TaskSpec {
  const dataset = entry.provenance?.dataset;
  return getTask(dataset === "mrqa" || dataset === "user" ? dataset : entry.task);
}

/** Rounds half to even, as Python's `round` and numpy's `rint` do. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** STS-B target string: paper `round(x·5)/5` (0.2 steps) or the code's 0.1 rounding, printed with one decimal. */
export function stsbTarget(score: number, rounding: StsbRounding = "paper"): string {
  const v = rounding === "paper" ? roundHalfEven(score * 5) / 5 : roundHalfEven(score * 10) / 10;
  return v.toFixed(1);
}

/** Target string of integer `label` for a classification task (e.g. MNLI 2 → "2"). */
export function labelToTarget(task: TaskSpec, label: number): string {
  const labels = task.labels;
  if (!labels) throw new Error(`task "${task.name}" has no label list`);
  const s = labels[label];
  if (s === undefined || s === "" || (task.name === "art" && label === 0)) {
    throw new Error(`label ${label} out of range for task "${task.name}"`);
  }
  return s;
}

/** Integer label of a predicted string for a classification task, or -1 when it matches no label. */
export function targetToLabel(task: TaskSpec, text: string): number {
  const i = task.labels?.indexOf(text.trim()) ?? -1;
  return task.name === "art" && i === 0 ? -1 : i;
}

const compiled = new Map<string, Template>();

function template(spec: TaskSpec): Template {
  let t = compiled.get(spec.name);
  if (!t) {
    t = new Template(spec.template);
    compiled.set(spec.name, t);
  }
  return t;
}

function labelOf(rec: RawRecord, file: string, line: number): number {
  const raw = rec.label;
  const v = typeof raw === "bigint" ? Number(raw) : raw;
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new DataFormatError(file, line, `field "label" missing or not a number`);
  }
  return v;
}

/**
 * Builds the example of one raw record with the task's template. `file`/`line` locate the record in errors (a
 * missing or non-string field, an unknown or negative (unlabelled test) label).
 */
export function formatExample(
  spec: TaskSpec,
  rec: RawRecord,
  id: string,
  where: { file: string; line: number },
  options: FormatOptions = {},
): Example {
  for (const f of spec.fields) {
    if (typeof rec[f] !== "string") {
      throw new DataFormatError(where.file, where.line, `field "${f}" missing or not a string (task ${spec.name})`);
    }
  }
  const source = template(spec).render(rec);
  let target: string;
  let meta: Record<string, unknown> | undefined;
  if (spec.kind === "classification") {
    const label = labelOf(rec, where.file, where.line);
    if (label < 0) {
      throw new DataFormatError(
        where.file,
        where.line,
        `label ${label} means "unlabelled" (a test file?); the paper's test sets come from labelled data (§9)`,
      );
    }
    try {
      target = labelToTarget(spec, label);
    } catch (e) {
      throw new DataFormatError(where.file, where.line, (e as Error).message);
    }
  } else if (spec.kind === "regression") {
    const score = spec.name === "demo_count" ? Number(rec.count) : labelOf(rec, where.file, where.line);
    if (!Number.isFinite(score) || score < 0) {
      throw new DataFormatError(where.file, where.line, `score ${score} is not a non-negative number`);
    }
    target = spec.name === "stsb" ? stsbTarget(score, options.stsbRounding) : score.toFixed(1);
    meta = { score };
  } else {
    const field = spec.targetField;
    if (field === undefined) throw new Error(`task "${spec.name}" has no target field`);
    target = rec[field] as string;
  }
  const example: Example = { task: spec.name === "user" ? rec.task as string : spec.name, id, source, target };
  if (meta) example.meta = meta;
  return example;
}
