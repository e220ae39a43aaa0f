/**
 * Which tasks a run evaluates on a split: the split's own tasks, less those the config leaves out of training. MRQA's
 * test split holds only the out-of-domain subsets, which no shard trains on, so they are evaluated although
 * `data.tasks` lists only the in-domain ones (the paper's Table 5).
 * @module
 */
import { openDatasetDir, openTaskSources, type TaskSource } from "@hyperdecoders/data";

/**
 * Task sources of `split` across `shards`: every task of that split except those that have a `train` split but are
 * not in `trainTasks` (null: every task is trained). A split no shard has gives no sources; errors reading the shards
 * (a missing folder or manifest, a task in two shard folders) propagate.
 */
export async function evaluationSources(
  shards: readonly string[],
  split: string,
  trainTasks: readonly string[] | null,
): Promise<TaskSource[]> {
  const inSplit = new Set<string>();
  const trainable = new Set<string>();
  for (const dir of shards) {
    const { manifest } = await openDatasetDir(dir);
    for (const e of manifest.entries) {
      if (e.split === split) inSplit.add(e.task);
      if (e.split === "train") trainable.add(e.task);
    }
  }
  const keep = [...inSplit].filter((t) => trainTasks === null || trainTasks.includes(t) || !trainable.has(t));
  return keep.length === 0 ? [] : await openTaskSources([...shards], split, keep);
}
