/**
 * Result tables (arquero): one row per task with its metrics, plus the average, as markdown or CSV.
 * @module
 */
import * as aq from "arquero";
import type { EvaluationResult } from "./evaluate.ts";

/** Rows of a results table: task, each metric, and the task's mean. */
export function resultRows(result: Pick<EvaluationResult, "tasks" | "average">): Record<string, string | number>[] {
  const metricNames = [...new Set(Object.values(result.tasks).flatMap((m) => Object.keys(m)))];
  const rows = Object.entries(result.tasks).map(([task, m]) => {
    const row: Record<string, string | number> = { task };
    for (const name of metricNames) row[name] = m[name] === undefined ? "" : Number(m[name].toFixed(2));
    const values = Object.values(m);
    row.mean = Number((values.reduce((a, b) => a + b, 0) / Math.max(1, values.length)).toFixed(2));
    return row;
  });
  const avg: Record<string, string | number> = { task: "average" };
  for (const name of metricNames) avg[name] = "";
  avg.mean = Number(result.average.toFixed(2));
  return [...rows, avg];
}

/** The results as a markdown table. */
export function resultsMarkdown(result: Pick<EvaluationResult, "tasks" | "average">): string {
  return aq.from(resultRows(result)).toMarkdown();
}

/** The results as CSV. */
export function resultsCsv(result: Pick<EvaluationResult, "tasks" | "average">): string {
  return aq.from(resultRows(result)).toCSV();
}
