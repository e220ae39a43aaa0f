import { assert, assertEquals, assertMatch, assertStrictEquals, assertThrows } from "@std/assert";
import { exactMatch, maxOverGroundTruths, normalizeAnswer, squadScores, tokenF1 } from "./squad.ts";

Deno.test("normalizeAnswer matches the official Python normalisation, Unicode word boundaries included", () => {
  // Expected strings: CPython 3.11 running the SQuAD v1.1 normalize_answer.
  const cases: [string, string][] = [
    ["The  Quick, brown-fox!", "quick brownfox"],
    ["an apple a day", "apple day"],
    ["Anna and Theo", "anna and theo"],
    ["éthe", "éthe"], // Python's \b is Unicode-aware: "é" is a word character
    ["the café", "café"],
    ["the_end", "theend"], // "_" is punctuation and goes first
    ["x\u0301the", "x\u0301"], // a combining mark is not a word character
    ["\u0130the", "i\u0307"], // "İ" lower-cases to "i" + U+0307
    ["A\u3000the\x1cb", "b"], // Python whitespace, including U+3000 and U+001C
    ["\u216bthe\u216b", "\u217bthe\u217b"], // Roman numeral twelve is a word character (category Nl)
  ];
  for (const [input, expected] of cases) assertStrictEquals(normalizeAnswer(input), expected, JSON.stringify(input));
});

Deno.test("exact match and token F1 by hand", () => {
  assertEquals(exactMatch("The Eiffel Tower", "eiffel tower."), 1);
  assertEquals(exactMatch("Eiffel", "eiffel tower"), 0);
  assertEquals(exactMatch("", "the"), 1); // both normalise to ""
  assertEquals(tokenF1("the cat sat on the mat", "a cat sat on a mat"), 1);
  // pred [cat cat dog], gold [cat dog dog]: overlap 1 + 1 = 2 → P = R = 2/3
  assert(Math.abs(tokenF1("cat cat dog", "cat dog dog") - 2 / 3) < 1e-15);
  // pred [broncos of denver], gold [denver broncos]: P 2/3, R 1 → 0.8
  assert(Math.abs(tokenF1("Broncos of Denver", "Denver Broncos") - 0.8) < 1e-15);
  assertEquals(tokenF1("", "the"), 0); // no overlap, even though both are empty
  assertEquals(maxOverGroundTruths(tokenF1, "Denver", ["Broncos", "Denver"]), 1);
  assertMatch(assertThrows(() => maxOverGroundTruths(tokenF1, "x", []), Error).message, /no gold answers/);
});

Deno.test("squadScores averages the best match per question, ×100", () => {
  const s = squadScores(["Denver Broncos", "Broncos of Denver", "x"], [["Denver Broncos", "Broncos"], [
    "Denver Broncos",
  ], ["y"]]);
  assert(Math.abs(s.em - 100 / 3) < 1e-12, `em ${s.em}`);
  assert(Math.abs(s.f1 - 100 * (1 + 0.8 + 0) / 3) < 1e-12, `f1 ${s.f1}`);
  assertMatch(assertThrows(() => squadScores(["a"], []), Error).message, /1 predictions but 0 answer lists/);
  assertMatch(assertThrows(() => squadScores(["a"], [[]]), Error).message, /question 0 has no gold answers/);
});
