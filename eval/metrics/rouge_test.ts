import { assert, assertEquals, assertMatch, assertThrows } from "@std/assert";
import { PorterStemmer } from "./porter_stemmer.ts";
import { lcsIndices, lcsLength, rougeLsum, type RougeScore, RougeScorer, rougeTokenize } from "./rouge.ts";
import reference from "./testdata/rouge_score.json" with { type: "json" };

function closeScore(actual: RougeScore, p: number, r: number, f: number, what: string, tol = 1e-12): void {
  assert(
    Math.abs(actual.precision - p) <= tol && Math.abs(actual.recall - r) <= tol && Math.abs(actual.fmeasure - f) <= tol,
    `${what}: got ${JSON.stringify(actual)}, expected P ${p} R ${r} F ${f}`,
  );
}

Deno.test("rouge tokenizer: lower-case, ASCII alphanumerics only, stems tokens longer than 3", () => {
  assertEquals(rougeTokenize("The U.S. café, 2020's co-op!"), ["the", "u", "s", "caf", "2020", "s", "co", "op"]);
  const porter = new PorterStemmer();
  assertEquals(rougeTokenize("Cats are running; ponies ran.", porter), ["cat", "are", "run", "poni", "ran"]);
  assertEquals(rougeTokenize("  \n "), []);
});

Deno.test("rouge_score's own unit tests (rouge_scorer_test.py)", () => {
  const s = (types: string[]) => new RougeScorer(types);
  closeScore(s(["rouge1"]).score("testing one two", "testing").rouge1, 1, 1 / 3, 1 / 2, "rouge1");
  closeScore(s(["rouge2"]).score("testing one two", "testing one").rouge2, 1, 1 / 2, 2 / 3, "rouge2");
  closeScore(s(["rougeL"]).score("testing one two", "testing one").rougeL, 1, 2 / 3, 4 / 5, "rougeL consecutive");
  closeScore(s(["rougeL"]).score("testing one two", "testing two").rougeL, 1, 2 / 3, 4 / 5, "rougeL gap");
  for (const type of ["rouge1", "rouge2", "rougeL", "rougeLsum"]) {
    closeScore(s([type]).score("testing one two", "")[type], 0, 0, 0, `${type} empty prediction`);
  }
  const lsum = s(["rougeLsum"]);
  // Union LCS of [w1 w2] and [w1 w3 w5] against w1..w5: 4 hits, 5 target and 10 predicted tokens.
  closeScore(lsum.score("w1 w2 w3 w4 w5", "w1 w2 w6 w7 w8\nw1 w3 w8 w9 w5").rougeLsum, 0.4, 0.8, 0.64 / 1.2, "Lsum");
  closeScore(lsum.score("", "w1").rougeLsum, 0, 0, 0, "Lsum empty target");
  closeScore(lsum.score("w1 w2 w3 w4 w5", "/").rougeLsum, 0, 0, 0, "Lsum all non-word prediction");
  closeScore(rougeLsum([["reference"]], [[]]), 0, 0, 0, "Lsum empty candidate sentence");
  // LCS helpers on rouge_score's integer example, as strings.
  const ref = ["1", "2", "3", "4", "5"];
  assertEquals(lcsLength(ref, ["2", "5", "3", "4"]), 3);
  assertEquals(lcsIndices(ref, ["2", "5", "3", "4"]), [1, 2, 3]);
  assertEquals(lcsIndices(ref, ["8", "9"]), []);
  for (const bad of ["rougen", "rouge0", "rouge10", "rougeX"]) {
    assertMatch(assertThrows(() => s([bad]), Error).message, /invalid rouge type/);
  }
});

Deno.test("ROUGE by hand: repeated tokens are clipped; Lsum follows rouge_score's LCS choice", () => {
  const scorer = new RougeScorer(["rouge1", "rouge2", "rougeL", "rougeLsum"]);
  const r = scorer.score("a a a b", "a b b b");
  // unigrams: min(3,1) + min(1,3) = 2 of 4 each side; bigrams target {aa:2, ab:1}, prediction {ab:1, bb:2} → 1 of 3
  closeScore(r.rouge1, 0.5, 0.5, 0.5, "rouge1");
  closeScore(r.rouge2, 1 / 3, 1 / 3, 1 / 3, "rouge2");
  closeScore(r.rougeL, 0.5, 0.5, 0.5, "rougeL"); // LCS "a b"
  // rouge_score's backtrack picks target positions {4, 5} for "the cat" (twice) and {0} for "the dog"; the union
  // {0, 4, 5} gives 3 hits of 6 tokens on each side, although other LCS choices would cover more of the target.
  const c = scorer.score("the cat the cat the cat", "the cat\nthe cat\nthe dog").rougeLsum;
  assertEquals(lcsIndices(["the", "cat", "the", "cat", "the", "cat"], ["the", "dog"]), [0]);
  closeScore(c, 0.5, 0.5, 0.5, "Lsum union");
});

Deno.test("matches rouge_score 0.0.4 on 346 generated cases, with and without stemming", () => {
  const types = ["rouge1", "rouge2", "rouge3", "rougeL", "rougeLsum"];
  const scorers = new Map([false, true].map((stem) => [stem, new RougeScorer(types, { useStemmer: stem })]));
  for (const [i, c] of reference.entries()) {
    const actual = scorers.get(c.use_stemmer)!.score(c.target, c.prediction);
    for (const t of types) {
      const [p, r, f] = (c.scores as Record<string, number[]>)[t];
      closeScore(actual[t], p, r, f, `case ${i} ${t} stem=${c.use_stemmer}`, 1e-15);
    }
  }
});
