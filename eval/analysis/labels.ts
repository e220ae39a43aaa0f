/**
 * Which tasks are classification tasks, and the label name of a target or prediction text: the task registry's
 * labels for known tasks; for tasks outside it (user JSONL tasks), a task counts as classification when its
 * references take at most 10 distinct values, each on average at least twice.
 * @module
 */
import { TASKS } from "@hyperdecoders/data";

/** The label vocabulary of one classification task. */
export interface LabelSet {
  /** Target texts, in label order. */
  values: string[];
  /** Display names, in label order. */
  names: string[];
}

/** Name shown for a prediction that is none of the task's labels. */
export const OTHER_LABEL = "(other)";

/** The label set of `task` given its reference texts, or null when it is not a classification task. */
export function labelSetOf(task: string, references: readonly string[]): LabelSet | null {
  const spec = TASKS.get(task);
  if (spec) {
    if (spec.kind !== "classification" || !spec.labels || spec.labels.length === 0) return null;
    // ART's label 0 is unused (targetToLabel maps it to −1).
    const used = spec.labels.map((_, i) => i).filter((i) => !(spec.name === "art" && i === 0));
    return {
      values: used.map((i) => spec.labels![i]),
      names: used.map((i) => spec.labelNames?.[i] || spec.labels![i]),
    };
  }
  const distinct = [...new Set(references.map((r) => r.trim()))].sort();
  if (distinct.length < 2 || distinct.length > 10 || distinct.length * 2 > references.length) return null;
  return { values: distinct, names: distinct };
}

/** The label index of a text (trimmed), or −1 when it is none of the labels. */
export function labelIndex(set: LabelSet, text: string): number {
  return set.values.indexOf(text.trim());
}

/** The display name of a text's label, or {@link OTHER_LABEL}. */
export function labelName(set: LabelSet, text: string): string {
  const i = labelIndex(set, text);
  return i < 0 ? OTHER_LABEL : set.names[i];
}
