import { assert, assertEquals, assertMatch, assertNotEquals, assertThrows } from "@std/assert";
import { planSizes, planSplits } from "./splits.ts";
import { getTask } from "./tasks.ts";

// Original GLUE sizes (the benchmark's released splits) and the paper's Table 10 split sizes.
const ORIGINAL: Record<string, Record<string, number>> = {
  cola: { train: 8551, validation: 1043 },
  sst2: { train: 67349, validation: 872 },
  mrpc: { train: 3668, validation: 408 },
  qqp: { train: 363849, validation: 40430 },
  stsb: { train: 5749, validation: 1500 },
  mnli: { train: 392702, validation_matched: 9815, validation_mismatched: 9832 },
  qnli: { train: 104743, validation: 5463 },
  rte: { train: 2490, validation: 277 },
};
const TABLE_10: Record<string, [number, number, number]> = {
  cola: [8551, 521, 522],
  sst2: [66349, 1000, 872],
  mrpc: [3668, 204, 204],
  qqp: [362849, 1000, 40430],
  stsb: [5749, 750, 750],
  mnli: [392702, 9832, 9815],
  qnli: [103743, 1000, 5463],
  rte: [2490, 138, 139],
};

Deno.test("GLUE split sizes match the paper's Table 10 given the original sizes", () => {
  for (const [task, sizes] of Object.entries(ORIGINAL)) {
    const plans = planSplits(getTask(task).splitPolicy, sizes);
    const got = planSizes(plans, sizes);
    assertEquals([got.train, got.validation, got.test], TABLE_10[task], task);
  }
});

Deno.test("reference-code variant drops one example from every split (its `n_obs=-1` keeps `indices[:-1]`)", () => {
  const sizes = (task: string) =>
    planSizes(planSplits(getTask(task).splitPolicy, ORIGINAL[task], { dropOne: true }), ORIGINAL[task]);
  assertEquals(sizes("rte"), { train: 2489, validation: 137, test: 138 });
  assertEquals(sizes("mrpc"), { train: 3667, validation: 203, test: 203 });
  assertEquals(sizes("cola"), { train: 8550, validation: 520, test: 521 });
  assertEquals(sizes("stsb"), { train: 5748, validation: 749, test: 749 });
  assertEquals(sizes("qqp"), { train: 362848, validation: 999, test: 40429 });
  assertEquals(sizes("mnli"), { train: 392701, validation: 9831, test: 9814 });
});

Deno.test("splits are disjoint, cover their source, are seeded and reproducible", () => {
  const sizes = { train: 5000, validation: 3000 };
  const a = planSplits("holdout-1000", sizes, { seed: 42 });
  const b = planSplits("holdout-1000", sizes, { seed: 42 });
  const c = planSplits("holdout-1000", sizes, { seed: 7 });
  assertEquals(a, b);
  const train = a.find((p) => p.split === "train")!.indices!;
  const val = a.find((p) => p.split === "validation")!.indices!;
  assertNotEquals(val, c.find((p) => p.split === "validation")!.indices);
  const all = new Set([...train, ...val]);
  assertEquals(all.size, 5000);
  assertEquals(train.length + val.length, 5000);
  assert([...val].every((x, i) => i === 0 || x > val[i - 1]), "indices ascend");
  assert(val[val.length - 1] > 4000 && val[0] < 1000, "held-out examples are spread over the file");
  assertEquals(a.find((p) => p.split === "test")!.indices, null);
  const half = planSplits("half-validation", { train: 10, validation: 11 });
  const v = half.find((p) => p.split === "validation")!.indices!;
  const t = half.find((p) => p.split === "test")!.indices!;
  assertEquals([v.length, t.length], [5, 6]);
  assertEquals(new Set([...v, ...t]).size, 11);
});

Deno.test("MNLI: validation = mismatched and test = matched by default; the paper text's swap is an option", () => {
  const s = ORIGINAL.mnli;
  const d = planSplits("mnli", s);
  assertEquals(d.map((p) => [p.split, p.source]), [
    ["train", "train"],
    ["validation", "validation_mismatched"],
    ["test", "validation_matched"],
  ]);
  const swapped = planSplits("mnli", s, { mnliTest: "mismatched" });
  assertEquals(swapped.find((p) => p.split === "test")!.source, "validation_mismatched");
  assertMatch(
    assertThrows(() => planSplits("mnli", { train: 3, validation: 2 }), Error).message,
    /needs the source split "validation_matched"/,
  );
});
