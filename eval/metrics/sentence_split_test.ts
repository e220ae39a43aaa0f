import { assertEquals } from "@std/assert";
import { splitSentences } from "./sentence_split.ts";

Deno.test("splitSentences: terminal punctuation, abbreviations, initials, quotes, line breaks", () => {
  assertEquals(splitSentences("Mr. Smith went to Washington. He arrived at 5 p.m. on Monday. It rained!"), [
    "Mr. Smith went to Washington.",
    "He arrived at 5 p.m. on Monday.",
    "It rained!",
  ]);
  assertEquals(splitSentences('He said "Stop." Then he left.'), ['He said "Stop."', "Then he left."]);
  assertEquals(splitSentences("The U.S. economy grew 3.5 percent. Analysts were surprised."), [
    "The U.S. economy grew 3.5 percent.",
    "Analysts were surprised.",
  ]);
  assertEquals(splitSentences("J. K. Rowling wrote it. Really? Yes."), [
    "J. K. Rowling wrote it.",
    "Really?",
    "Yes.",
  ]);
  assertEquals(splitSentences("First line\nsecond line."), ["First line", "second line."]);
  assertEquals(splitSentences("It costs approx. 5 dollars. Fine"), ["It costs approx. 5 dollars.", "Fine"]);
  assertEquals(splitSentences("  \n "), []);
});
