import { deepStrictEqual } from "node:assert/strict";
import { splitSentences } from "./sentence_split.ts";

Deno.test("splitSentences: terminal punctuation, abbreviations, initials, quotes, line breaks", () => {
  deepStrictEqual(splitSentences("Mr. Smith went to Washington. He arrived at 5 p.m. on Monday. It rained!"), [
    "Mr. Smith went to Washington.",
    "He arrived at 5 p.m. on Monday.",
    "It rained!",
  ]);
  deepStrictEqual(splitSentences('He said "Stop." Then he left.'), ['He said "Stop."', "Then he left."]);
  deepStrictEqual(splitSentences("The U.S. economy grew 3.5 percent. Analysts were surprised."), [
    "The U.S. economy grew 3.5 percent.",
    "Analysts were surprised.",
  ]);
  deepStrictEqual(splitSentences("J. K. Rowling wrote it. Really? Yes."), [
    "J. K. Rowling wrote it.",
    "Really?",
    "Yes.",
  ]);
  deepStrictEqual(splitSentences("First line\nsecond line."), ["First line", "second line."]);
  deepStrictEqual(splitSentences("It costs approx. 5 dollars. Fine"), ["It costs approx. 5 dollars.", "Fine"]);
  deepStrictEqual(splitSentences("  \n "), []);
});
