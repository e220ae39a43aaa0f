/**
 * The analysis of a split's hypernetwork embeddings (the paper's §6, Figures 2–4): PCA and t-SNE scatter plots
 * of e coloured by task and, per classification task, by predicted label; fast linear probes (not Table 7's MLP probe) predicting the task and
 * each classification task's label from the mean-pooled encoder output and from e, on one shared split per target.
 * Returns file contents; writing them is the caller's business.
 * @module
 */
import * as aq from "arquero";
import { type Matrix, selectRows } from "./matrix.ts";
import { pca } from "./pca.ts";
import { tsne } from "./tsne.ts";
import { trustworthiness } from "./quality.ts";
import { linearProbe, type ProbeResult, stratifiedSplit } from "./probe.ts";
import { scatterSvg } from "./scatter_svg.ts";
import { labelIndex, labelName, labelSetOf, OTHER_LABEL } from "./labels.ts";
import type { EmbeddingSet } from "./embeddings.ts";

/** Options of {@link analyzeEmbeddings}. */
export interface AnalysisOptions {
  /** Seed of the t-SNE initialisation, the subsamples, the probe splits and the drawing order (default 0). */
  seed?: number;
  /** t-SNE perplexity (default 30). */
  perplexity?: number;
  /** t-SNE iterations (default 1000). */
  tsneIterations?: number;
  /** Most points in one t-SNE (default 2000): larger sets are subsampled per task. */
  tsneMaxPoints?: number;
  /** PCA dimensions fed to t-SNE (default 50). */
  tsneInputDims?: number;
  /** Held-out share of each probe (default 0.2). */
  testFraction?: number;
  /** Label of the split in titles (e.g. "validation"). */
  split?: string;
  /** Called with a line of progress before each step. */
  onStep?: (message: string) => void;
}

/** One row of the probe table. */
export interface ProbeRow extends ProbeResult {
  /** What is predicted: "task" or "label: <task>". */
  target: string;
  /** Which features: "encoder (mean-pooled)" or "hypernetwork e". */
  features: string;
  /** Feature dimension. */
  dim: number;
}

/** What {@link analyzeEmbeddings} produced. */
export interface AnalysisReport {
  /** Output files by name: SVG plots, `probe.md`, `points.csv`, `analysis.json`. */
  files: Record<string, string>;
  /** The probe table's rows. */
  probes: ProbeRow[];
  /** Names of the plots among `files`. */
  plots: string[];
}

const FEATURES = { pooled: "encoder (mean-pooled)", e: "hypernetwork e" } as const;

/** A file-name-safe version of a task name. */
export function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]+/g, "_");
}

function percent(v: number): string {
  return `${(v * 100).toFixed(1)}%`;
}

interface Layouts {
  pca: Matrix;
  pcaRatio: Float64Array;
  tsne: Matrix | null;
  tsneRows: Int32Array;
  tsneInfo: Record<string, number> | null;
}

/** PCA of all rows (2-D, and the t-SNE input dimensions), then t-SNE of at most `maxPoints` of them. */
function layouts(x: Matrix, strata: readonly string[], options: AnalysisOptions, what: string): Layouts {
  const n = x.rows;
  const seed = options.seed ?? 0;
  const inputDims = Math.min(options.tsneInputDims ?? 50, x.cols, n);
  options.onStep?.(`PCA of ${n} × ${x.cols} (${what})`);
  const fit = pca(x, { components: Math.max(2, Math.min(inputDims, n, x.cols)) });
  const pca2 = selectColumns(fit.projection, 2);
  if (n < 5) {
    return { pca: pca2, pcaRatio: fit.explainedVarianceRatio, tsne: null, tsneRows: new Int32Array(0), tsneInfo: null };
  }
  const maxPoints = options.tsneMaxPoints ?? 2000;
  let rows: Int32Array = Int32Array.from({ length: n }, (_, i) => i);
  if (n > maxPoints) {
    const codes = new Map<string, number>();
    const labels = strata.map((s) => codes.get(s) ?? codes.set(s, codes.size).get(s)!);
    rows = stratifiedSplit(labels, maxPoints / n, seed + 1).test;
  }
  const input = selectRows(selectColumns(fit.projection, inputDims), rows);
  options.onStep?.(`t-SNE of ${rows.length} points (${what})`);
  const run = tsne(input, { perplexity: options.perplexity ?? 30, iterations: options.tsneIterations, seed });
  const k = Math.min(10, Math.floor(rows.length / 2) - 1);
  return {
    pca: pca2,
    pcaRatio: fit.explainedVarianceRatio,
    tsne: run.embedding,
    tsneRows: rows,
    tsneInfo: {
      points: rows.length,
      perplexity: run.perplexity,
      klDivergence: run.klDivergence,
      inputDims,
      ...(k >= 1 ? { trustworthinessK: k, trustworthiness: trustworthiness(input, run.embedding, k) } : {}),
    },
  };
}

function selectColumns(m: Matrix, k: number): Matrix {
  const out = { rows: m.rows, cols: k, data: new Float64Array(m.rows * k) };
  for (let i = 0; i < m.rows; i++) out.data.set(m.data.subarray(i * m.cols, i * m.cols + k), i * k);
  return out;
}

function column(m: Matrix, c: number): Float64Array {
  return Float64Array.from({ length: m.rows }, (_, i) => m.data[i * m.cols + c]);
}

/** Runs the plots and probes on a collected {@link EmbeddingSet}. */
export function analyzeEmbeddings(set: EmbeddingSet, options: AnalysisOptions = {}): AnalysisReport {
  const n = set.tasks.length;
  if (n < 2) throw new Error(`analysis: the split has ${n} example(s); at least 2 are needed`);
  const seed = options.seed ?? 0;
  const split = options.split ? ` (${options.split})` : "";
  const files: Record<string, string> = {};
  const plots: string[] = [];
  const taskOrder = [...new Set(set.tasks)];
  const summary: Record<string, unknown> = { examples: n, stack: set.stack, dim: set.embeddings.cols, tasks: {} };

  // Figures coloured by task.
  const all = layouts(set.embeddings, set.tasks, options, "all tasks");
  const ratio = `PC1 ${percent(all.pcaRatio[0])}, PC2 ${percent(all.pcaRatio[1])} of the variance`;
  const addPlot = (name: string, svg: string) => {
    files[name] = svg;
    plots.push(name);
  };
  addPlot(
    "pca_task.svg",
    scatterSvg(column(all.pca, 0), column(all.pca, 1), set.tasks, {
      title: `PCA of hypernetwork embeddings${split}`,
      subtitle: `${n} examples, ${taskOrder.length} tasks; ${ratio}`,
      legendTitle: "task",
      groupOrder: taskOrder,
      seed,
    }),
  );
  if (all.tsne) {
    const groups = Array.from(all.tsneRows, (i) => set.tasks[i]);
    addPlot(
      "tsne_task.svg",
      scatterSvg(column(all.tsne, 0), column(all.tsne, 1), groups, {
        title: `t-SNE of hypernetwork embeddings${split}`,
        subtitle: `${all.tsne.rows}${all.tsne.rows < n ? ` of ${n}` : ""} examples; perplexity ${
          all.tsneInfo!.perplexity.toFixed(0)
        }, on ${all.tsneInfo!.inputDims} principal components`,
        legendTitle: "task",
        groupOrder: taskOrder,
        seed,
      }),
    );
  }
  summary.pca = { explainedVarianceRatio: Array.from(all.pcaRatio.subarray(0, 2)) };
  summary.tsne = all.tsneInfo;

  // Per classification task: figures coloured by predicted label.
  const rowsOf = (task: string) => Int32Array.from(set.tasks.flatMap((t, i) => (t === task ? [i] : [])));
  const labelTasks: { task: string; rows: Int32Array; gold: number[] }[] = [];
  for (const task of taskOrder) {
    const rows = rowsOf(task);
    const labels = labelSetOf(task, Array.from(rows, (i) => set.targets[i]));
    const info: Record<string, unknown> = { examples: rows.length, classification: labels !== null };
    (summary.tasks as Record<string, unknown>)[task] = info;
    if (!labels) continue;
    const gold = Array.from(rows, (i) => labelIndex(labels, set.targets[i]));
    labelTasks.push({ task, rows, gold });
    const predicted = Array.from(rows, (i) => set.predictions[i]);
    if (predicted.some((p) => p === null) || rows.length < 3) continue;
    const names = predicted.map((p) => labelName(labels, p!));
    const right = predicted.filter((p, k) => labelIndex(labels, p!) === gold[k] && gold[k] >= 0).length;
    info.predictionAccuracy = right / rows.length;
    const sub = layouts(selectRows(set.embeddings, rows), names, options, task);
    const order = [...labels.names, OTHER_LABEL];
    const base = `${rows.length} ${task} examples; greedy predictions ${percent(right / rows.length)} correct`;
    addPlot(
      `pca_label_${safeName(task)}.svg`,
      scatterSvg(column(sub.pca, 0), column(sub.pca, 1), names, {
        title: `PCA of hypernetwork embeddings: ${task}${split}`,
        subtitle: `${base}; PC1 ${percent(sub.pcaRatio[0])}, PC2 ${percent(sub.pcaRatio[1])}`,
        legendTitle: "predicted label",
        groupOrder: order,
        colors: { [OTHER_LABEL]: "#9e9e9e" },
        seed,
      }),
    );
    if (sub.tsne) {
      addPlot(
        `tsne_label_${safeName(task)}.svg`,
        scatterSvg(column(sub.tsne, 0), column(sub.tsne, 1), Array.from(sub.tsneRows, (k) => names[k]), {
          title: `t-SNE of hypernetwork embeddings: ${task}${split}`,
          subtitle: `${base}; perplexity ${sub.tsneInfo!.perplexity.toFixed(0)}`,
          legendTitle: "predicted label",
          groupOrder: order,
          colors: { [OTHER_LABEL]: "#9e9e9e" },
          seed,
        }),
      );
      info.tsne = sub.tsneInfo;
    }
  }

  // Fast linear probes (not Table 7's MLP probe, mlp_probe.ts): same split for both feature sets.
  const probes: ProbeRow[] = [];
  const probeBoth = (target: string, rows: Int32Array | null, labels: number[]) => {
    const counts = new Map<number, number>();
    for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
    if (counts.size < 2 || labels.length < 4) return;
    const probeSplit = stratifiedSplit(labels, options.testFraction ?? 0.2, seed);
    if (probeSplit.train.length === 0 || probeSplit.test.length === 0) return;
    for (const [key, features] of [["pooled", set.pooled], ["e", set.embeddings]] as const) {
      options.onStep?.(`probe: ${target} from ${FEATURES[key]}`);
      const x = rows ? selectRows(features, rows) : features;
      probes.push({ target, features: FEATURES[key], dim: x.cols, ...linearProbe(x, labels, { split: probeSplit }) });
    }
  };
  if (taskOrder.length > 1) probeBoth("task", null, set.tasks.map((t) => taskOrder.indexOf(t)));
  for (const { task, rows, gold } of labelTasks) {
    const keep = Int32Array.from(Array.from(rows).filter((_, k) => gold[k] >= 0));
    probeBoth(`label: ${task}`, keep, gold.filter((g) => g >= 0));
  }
  summary.probes = probes;
  files["probe.md"] = probeMarkdown(probes);

  // Every point with its coordinates, for re-plotting elsewhere.
  const tsneAt = new Map(Array.from(all.tsneRows, (row, k) => [row, k]));
  files["points.csv"] = aq.from(set.tasks.map((task, i) => {
    const k = tsneAt.get(i);
    return {
      task,
      id: set.ids[i],
      target: set.targets[i],
      prediction: set.predictions[i] ?? "",
      pca1: all.pca.data[i * 2],
      pca2: all.pca.data[i * 2 + 1],
      tsne1: k === undefined || !all.tsne ? "" : all.tsne.data[k * 2],
      tsne2: k === undefined || !all.tsne ? "" : all.tsne.data[k * 2 + 1],
    };
  })).toCSV();
  files["analysis.json"] = JSON.stringify({ ...summary, plots }, null, 2) + "\n";
  return { files, probes, plots };
}

/** The probe table as markdown (accuracies ×100). */
export function probeMarkdown(rows: readonly ProbeRow[]): string {
  if (rows.length === 0) return "No probe: the split has one task and no classification task with two labels.\n";
  return aq.from(rows.map((r) => ({
    target: r.target,
    features: r.features,
    dim: r.dim,
    classes: r.classes,
    train: r.trainSize,
    test: r.testSize,
    accuracy: Number((r.testAccuracy * 100).toFixed(2)),
    majority: Number((r.majorityAccuracy * 100).toFixed(2)),
  }))).toMarkdown();
}
