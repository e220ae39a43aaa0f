/**
 * The embedded demo mixture: a deterministic generator of three small text tasks that a tiny T5 can learn on a CPU
 * in minutes. Inputs are a handful of words from small, disjoint word lists chosen to be single pieces of the
 * fixtures' 2,000-piece SentencePiece model; targets are 1–3 tokens.
 *
 * - `demo_label` (classification): one sentiment word among neutral words → "positive" / "negative".
 * - `demo_count` (regression as text): how many of the words are from a marked list → "0.0" … "4.0".
 * - `demo_extract` (extraction): copy the one "name" word out of the sentence.
 *
 * @module
 */
import { hashString, KeyedRandom } from "./rng.ts";
import type { RawRecord } from "./tasks.ts";

/** Neutral filler words. */
export const DEMO_FILLER: readonly string[] =
  ("the file server request process thread window stream socket module system data line page user client index " +
    "value buffer block node record message output input event frame field query group").split(" ");
/** Words that make a `demo_label` sentence positive. */
export const DEMO_POSITIVE: readonly string[] =
  "success valid correct complete free better simple useful clear available".split(" ");
/** Words that make a `demo_label` sentence negative. */
export const DEMO_NEGATIVE: readonly string[] =
  "error failure invalid warning exception missing problem violation disabled unknown".split(" ");
/** Words counted by `demo_count`. */
export const DEMO_MARKED: readonly string[] = ["key", "lock", "port", "host"];
/** Words extracted by `demo_extract`. */
export const DEMO_NAMES: readonly string[] =
  "turtle widget mouse cookie polygon heap browser channel adapter payload template archive".split(" ");

/** The demo tasks. */
export const DEMO_TASKS: readonly string[] = ["demo_label", "demo_count", "demo_extract"];

/** Examples per task and split. */
export type DemoSizes = Record<string, Record<"train" | "validation" | "test", number>>;

/** Default sizes: unequal train sizes so that proportional mixing is visible; 200 validation and test each. */
export const DEFAULT_DEMO_SIZES: DemoSizes = {
  demo_label: { train: 3000, validation: 200, test: 200 },
  demo_count: { train: 2000, validation: 200, test: 200 },
  demo_extract: { train: 1000, validation: 200, test: 200 },
};

/**
 * Generates `count` raw records of a demo task and split (`{text, label}`, `{text, count}` or `{text, name}`),
 * deterministically from `seed`. Splits use independent random streams.
 */
export function* demoRecords(task: string, split: string, count: number, seed = 42): Generator<RawRecord> {
  if (!DEMO_TASKS.includes(task)) throw new Error(`unknown demo task "${task}"; known: ${DEMO_TASKS.join(", ")}`);
  const rng = new KeyedRandom(seed, hashString(task), hashString(split));
  let c = 0;
  const int = (n: number) => rng.int(n, c++);
  const pick = (list: readonly string[]) => list[int(list.length)];
  const fillers = (n: number) => Array.from({ length: n }, () => pick(DEMO_FILLER));
  const insert = (words: string[], w: string) => words.splice(int(words.length + 1), 0, w);
  for (let i = 0; i < count; i++) {
    if (task === "demo_label") {
      const words = fillers(3 + int(4));
      const label = int(2);
      insert(words, pick(label === 1 ? DEMO_POSITIVE : DEMO_NEGATIVE));
      yield { text: words.join(" "), label };
    } else if (task === "demo_count") {
      const n = int(5);
      const words = fillers(6 - Math.min(n, 3) + int(2));
      for (let k = 0; k < n; k++) insert(words, pick(DEMO_MARKED));
      yield { text: words.join(" "), count: n };
    } else {
      const words = fillers(3 + int(4));
      const name = pick(DEMO_NAMES);
      insert(words, name);
      yield { text: words.join(" "), name };
    }
  }
}
