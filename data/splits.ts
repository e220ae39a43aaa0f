/**
 * The paper's train/validation/test splits (paper §3.1 and Table 10), seeded and reproducible:
 * small GLUE sets halve their validation set into validation and test; large sets hold 1,000 training examples out
 * as validation and test on the original validation set; MNLI validates on mismatched and tests on matched. The
 * reference code's variant (which also drops one random example from every split) is an option.
 *
 * @module
 */
import { permutation } from "./rng.ts";
import type { SplitPolicy } from "./tasks.ts";

/** The three splits a prepared dataset has. */
export type SplitName = "train" | "validation" | "test";

/** Options of {@link planSplits}. */
export interface SplitOptions {
  /** Seed of the permutations (default 42, the reference `data_seed`). */
  seed?: number;
  /** Reproduce the reference code's `n_obs = -1` slicing, which drops one random example from every split. */
  dropOne?: boolean;
  /** MNLI test set: "matched" (Table 10 and the code, default) or "mismatched" (the paper's §3.1.1 sentence). */
  mnliTest?: "matched" | "mismatched";
}

/** Which examples of which source split form one output split. */
export interface SplitPlan {
  /** Output split. */
  split: SplitName;
  /** Source split the examples come from ("train", "validation", "validation_matched", …). */
  source: string;
  /** Selected 0-based indices into the source split, ascending; `null` means all of it. */
  indices: Uint32Array | null;
}

function sorted(a: Uint32Array): Uint32Array {
  return a.slice().sort();
}

/**
 * Plans the splits of a task from the sizes of its source splits. Throws naming the source split a policy needs
 * but `sizes` lacks. Sources for policy "own" are the output split names.
 */
export function planSplits(
  policy: SplitPolicy,
  sizes: Record<string, number>,
  options: SplitOptions = {},
): SplitPlan[] {
  const seed = options.seed ?? 42;
  const need = (name: string): number => {
    const n = sizes[name];
    if (n === undefined) {
      throw new Error(
        `split policy "${policy}" needs the source split "${name}" (given: ${Object.keys(sizes).join(", ") || "none"})`,
      );
    }
    return n;
  };
  // Every permutation depends only on (seed, size), as torch.randperm with a fresh seeded generator does.
  const perm = (n: number): Uint32Array => permutation(n, seed, n);
  const whole = (split: SplitName, source: string): SplitPlan => {
    if (!options.dropOne) return { split, source, indices: null };
    const n = need(source);
    return { split, source, indices: sorted(perm(n).subarray(0, Math.max(0, n - 1))) };
  };
  const part = (split: SplitName, source: string, p: Uint32Array): SplitPlan => ({
    split,
    source,
    indices: sorted(options.dropOne ? p.subarray(0, Math.max(0, p.length - 1)) : p),
  });
  switch (policy) {
    case "half-validation": {
      need("train");
      const n = need("validation");
      const p = perm(n);
      const half = Math.floor(n / 2);
      return [
        whole("train", "train"),
        part("validation", "validation", p.subarray(0, half)),
        part("test", "validation", p.subarray(half)),
      ];
    }
    case "holdout-1000": {
      const n = need("train");
      need("validation");
      const p = perm(n);
      const k = Math.min(1000, n);
      return [
        part("train", "train", p.subarray(k)),
        part("validation", "train", p.subarray(0, k)),
        whole("test", "validation"),
      ];
    }
    case "mnli": {
      need("train");
      need("validation_matched");
      need("validation_mismatched");
      const swap = options.mnliTest === "mismatched";
      return [
        whole("train", "train"),
        whole("validation", swap ? "validation_matched" : "validation_mismatched"),
        whole("test", swap ? "validation_mismatched" : "validation_matched"),
      ];
    }
    case "own":
      return (["train", "validation", "test"] as const).filter((s) => sizes[s] !== undefined).map((s) => whole(s, s));
  }
}

/** Sizes of the planned splits. */
export function planSizes(plans: SplitPlan[], sizes: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of plans) out[p.split] = p.indices ? p.indices.length : sizes[p.source];
  return out;
}
