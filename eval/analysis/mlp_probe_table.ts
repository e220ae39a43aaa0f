/**
 * The paper's Table 7 probe over collected embeddings: for the task (when there are several) and for each
 * classification task's label, a new MLP head ({@link trainMlpProbe}) trained on the training split's mean-pooled
 * encoder output and scored on the evaluation split's.
 * @module
 */
import * as aq from "arquero";
import type { EmbeddingSet } from "./embeddings.ts";
import { labelIndex, labelSetOf } from "./labels.ts";
import { selectRows } from "./matrix.ts";
import { type MlpProbeOptions, type MlpProbeResult, trainMlpProbe } from "./mlp_probe.ts";

/** One row of the MLP-probe table. */
export interface MlpProbeRow extends MlpProbeResult {
  /** "task" or "label: <task>". */
  target: string;
}

/** Probes `train` → `evalSet` for the task and each classification task's label (targets with one class skipped). */
export async function mlpProbeTable(
  train: EmbeddingSet,
  evalSet: EmbeddingSet,
  options: MlpProbeOptions & { onStep?: (message: string) => void } = {},
): Promise<MlpProbeRow[]> {
  const rows: MlpProbeRow[] = [];
  const run = async (target: string, trainRows: number[], yTrain: number[], evalRows: number[], yEval: number[]) => {
    if (new Set(yTrain).size < 2 || evalRows.length === 0) return;
    options.onStep?.(`MLP probe: ${target} (${trainRows.length} training, ${evalRows.length} evaluation examples)`);
    const r = await trainMlpProbe(
      selectRows(train.pooled, trainRows),
      yTrain,
      selectRows(evalSet.pooled, evalRows),
      yEval,
      options,
    );
    rows.push({ target, ...r });
  };
  const tasks = [...new Set([...train.tasks, ...evalSet.tasks])];
  const all = (s: EmbeddingSet) => s.tasks.map((_, i) => i);
  if (tasks.length > 1) {
    await run(
      "task",
      all(train),
      train.tasks.map((t) => tasks.indexOf(t)),
      all(evalSet),
      evalSet.tasks.map((t) => tasks.indexOf(t)),
    );
  }
  for (const task of tasks) {
    const of = (s: EmbeddingSet) => all(s).filter((i) => s.tasks[i] === task);
    const labels = labelSetOf(task, of(train).map((i) => train.targets[i]));
    if (!labels) continue;
    const pick = (s: EmbeddingSet) => {
      const kept = of(s).filter((i) => labelIndex(labels, s.targets[i]) >= 0);
      return { kept, y: kept.map((i) => labelIndex(labels, s.targets[i])) };
    };
    const a = pick(train), b = pick(evalSet);
    await run(`label: ${task}`, a.kept, a.y, b.kept, b.y);
  }
  return rows;
}

/** The MLP-probe table as Markdown (accuracies ×100). */
export function mlpProbeMarkdown(rows: readonly MlpProbeRow[]): string {
  if (rows.length === 0) return "No MLP probe: one task and no classification task with two labels.\n";
  return aq.from(rows.map((r) => ({
    target: r.target,
    classes: r.classes,
    train: r.trainSize,
    eval: r.evalSize,
    steps: r.steps,
    accuracy: Number((r.evalAccuracy * 100).toFixed(2)),
    majority: Number((r.majorityAccuracy * 100).toFixed(2)),
  }))).toMarkdown();
}
