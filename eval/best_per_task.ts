/**
 * Checkpoint selection per task (the paper's Table 2): for every task, the checkpoint with the best validation score
 * of that task, and that checkpoint's test scores. The selection itself; evaluating each checkpoint is the command
 * line's (`deno task eval --checkpoint <run> --select best-per-task`).
 * @module
 */
import { averageOverTasks } from "./evaluate.ts";

/** The scores of one checkpoint on the validation and test splits. */
export interface CheckpointScores {
  /** Optimiser step of the checkpoint. */
  step: number;
  /** Checkpoint folder. */
  checkpoint: string;
  /** Validation metrics per task. */
  validation: Record<string, Record<string, number>>;
  /** Test metrics per task. */
  test: Record<string, Record<string, number>>;
}

/** What was chosen for one task. */
export interface TaskChoice {
  /** The chosen checkpoint's step. */
  step: number;
  /** The chosen checkpoint. */
  checkpoint: string;
  /** Its validation score for the task (the task's metrics averaged). */
  validation: number;
}

/** The selection: per-task choices and the scores they give, in the shape of `results.json`'s splits. */
export interface BestPerTask {
  /** "best-per-task". */
  selection: "best-per-task";
  /** The choice per task. */
  chosen: Record<string, TaskChoice>;
  /** Each task's scores from its own chosen checkpoint. */
  splits: {
    validation: { average: number; tasks: Record<string, Record<string, number>> };
    test: { average: number; tasks: Record<string, Record<string, number>> };
  };
}

/**
 * For each test task, the checkpoint whose validation score of that task is highest (the earliest on a tie), and
 * its test metrics. Throws when no checkpoint is given or a test task has no validation score in some checkpoint.
 */
export function selectBestPerTask(scores: readonly CheckpointScores[]): BestPerTask {
  if (scores.length === 0) throw new Error("selectBestPerTask: no checkpoint scores");
  const ordered = [...scores].sort((a, b) => a.step - b.step);
  const tasks = [...new Set(ordered.flatMap((s) => Object.keys(s.test)))].sort();
  const chosen: Record<string, TaskChoice> = {};
  const validation: Record<string, Record<string, number>> = {};
  const test: Record<string, Record<string, number>> = {};
  for (const task of tasks) {
    let best: { s: CheckpointScores; v: number } | null = null;
    for (const s of ordered) {
      if (!s.validation[task]) {
        throw new Error(`selectBestPerTask: ${s.checkpoint} (step ${s.step}) has no validation score of "${task}"`);
      }
      if (!s.test[task]) {
        throw new Error(`selectBestPerTask: ${s.checkpoint} (step ${s.step}) has no test score of "${task}"`);
      }
      const v = averageOverTasks({ [task]: s.validation[task] });
      if (best === null || v > best.v) best = { s, v };
    }
    chosen[task] = { step: best!.s.step, checkpoint: best!.s.checkpoint, validation: best!.v };
    validation[task] = best!.s.validation[task];
    test[task] = best!.s.test[task];
  }
  return {
    selection: "best-per-task",
    chosen,
    splits: {
      validation: { average: averageOverTasks(validation), tasks: validation },
      test: { average: averageOverTasks(test), tasks: test },
    },
  };
}
