import { assert, assertEquals, assertMatch, assertStrictEquals, assertThrows } from "@std/assert";
import {
  accuracy,
  averageRanks,
  binaryF1,
  f1WithInvalid,
  matthewsCorrelation,
  pearson,
  spearman,
} from "./classification.ts";
import reference from "./testdata/sklearn_scipy.json" with { type: "json" };

function close(actual: number, expected: number, tol = 1e-12, what = ""): void {
  assert(Math.abs(actual - expected) <= tol, `${what}: ${actual} vs ${expected}`);
}

Deno.test("accuracy and binary F1 on hand-counted cases", () => {
  assertEquals(accuracy([1, 0, 1, 1], [1, 1, 1, 0]), 0.5);
  assertEquals(accuracy(["a", "b"], ["a", "b"]), 1);
  assert(Number.isNaN(accuracy([], [])));
  // TP = 2, FP = 1, FN = 1 → 2·2 / (2·2 + 1 + 1)
  close(binaryF1([1, 1, 0, 0, 1], [1, 0, 1, 0, 1]), 4 / 6);
  // positive class 0: TP = 1, FP = 1, FN = 1
  close(binaryF1([1, 1, 0, 0, 1], [1, 0, 1, 0, 1], 0), 2 / 4);
  assertEquals(binaryF1([0, 0], [0, 0]), 0); // no positives at all: sklearn's zero_division = 0
  assertStrictEquals(binaryF1(["yes", "no"], ["yes", "yes"], "yes"), 2 / 3);
  assertMatch(assertThrows(() => accuracy([1], [1, 2]), Error).message, /1 predictions but 2 references/);
});

Deno.test("f1WithInvalid counts an invalid prediction as the wrong class", () => {
  // [1, -1, 0, -1] with references [1, 1, 0, 0] becomes [1, 0, 0, 1]: TP 1, FN 1, FP 1.
  close(f1WithInvalid([1, -1, 0, -1], [1, 1, 0, 0]), 0.5);
  assertMatch(assertThrows(() => f1WithInvalid([1], [2]), Error).message, /reference 0 is 2/);
});

Deno.test("Matthews correlation: textbook binary, multiclass with an invalid class, degenerate", () => {
  // TP 6, TN 3, FP 1, FN 2
  const refs = [...Array(6).fill(1), ...Array(3).fill(0), 0, 1, 1];
  const preds = [...Array(6).fill(1), ...Array(3).fill(0), 1, 0, 0];
  close(matthewsCorrelation(preds, refs), (6 * 3 - 1 * 2) / Math.sqrt(7 * 8 * 4 * 5));
  assertEquals(matthewsCorrelation([0, 1, 1, 0], [0, 1, 1, 0]), 1);
  assertEquals(matthewsCorrelation([1, 0, 0, 1], [0, 1, 1, 0]), -1);
  assertEquals(matthewsCorrelation([1, 1, 1, 1], [0, 1, 1, 0]), 0); // constant predictions
  // c = 4 correct of s = 6; predicted counts {0:2, 1:1, 2:2, -1:1}, true counts {0:2, 1:2, 2:2}
  close(
    matthewsCorrelation([0, 0, 1, 2, 2, -1], [0, 0, 1, 1, 2, 2]),
    (4 * 6 - (2 * 2 + 1 * 2 + 2 * 2)) / Math.sqrt((36 - 10) * (36 - 12)),
  );
});

Deno.test("Pearson and Spearman on hand-computed cases, ties and degenerate input", () => {
  assertEquals(pearson([1, 2, 3], [1, 2, 3]), 1);
  assertEquals(pearson([1, 2, 3], [3, 2, 1]), -1);
  close(pearson([1, 2, 3, 4], [2, 1, 4, 3]), 3 / 5);
  assertEquals(averageRanks([10, 20, 20, 30]), [1, 2.5, 2.5, 4]);
  assertEquals(averageRanks([3, 1, 2, 1]), [4, 1.5, 3, 1.5]);
  // ranks of y = [1, 4, 2.5, 2.5]; Σdxdy = 1.5, Σdx² = 5, Σdy² = 4.5
  close(spearman([1, 2, 3, 4], [1, 3, 2, 2]), 1.5 / Math.sqrt(5 * 4.5));
  assertEquals(spearman([1, 2, Infinity], [1, 2, 3]), 1);
  assert(Number.isNaN(pearson([0.1, 0.1, 0.1], [1, 2, 3])), "constant input");
  assert(Number.isNaN(pearson([1], [1])), "fewer than 2 values");
  assert(Number.isNaN(pearson([1, 2, Infinity], [1, 2, 3])), "infinite input");
  assert(Number.isNaN(spearman([1, NaN, 3], [1, 2, 3])), "NaN input");
});

Deno.test("matches scikit-learn and SciPy on generated cases (testdata/sklearn_scipy.json)", () => {
  for (const [i, c] of reference.classification.entries()) {
    close(accuracy(c.predictions, c.references), c.accuracy, 1e-12, `accuracy ${i}`);
    close(matthewsCorrelation(c.predictions, c.references), c.mcc, 1e-12, `mcc ${i}`);
    if ("f1_with_invalid" in c) {
      close(f1WithInvalid(c.predictions, c.references), c.f1_with_invalid as number, 1e-12, `f1 ${i}`);
    }
  }
  for (const [i, c] of reference.correlation.entries()) {
    assertEquals(averageRanks(c.y), c.ranks_y, `ranks ${i}`);
    for (const [name, fn] of [["pearson", pearson], ["spearman", spearman]] as const) {
      const expected = c[name];
      const actual = fn(c.x, c.y);
      if (expected === null) assert(Number.isNaN(actual), `${name} ${i} should be NaN, got ${actual}`);
      else close(actual, expected, 1e-12, `${name} ${i}`);
    }
  }
});
