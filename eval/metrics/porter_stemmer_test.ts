import { assertEquals, assertMatch, assertStrictEquals, assertThrows } from "@std/assert";
import { type PorterMode, PorterStemmer } from "./porter_stemmer.ts";
import reference from "./testdata/porter_nltk.json" with { type: "json" };

Deno.test("Porter: the paper's examples and NLTK-extension behaviour", () => {
  const nltk = new PorterStemmer();
  const original = new PorterStemmer("ORIGINAL_ALGORITHM");
  const known: [string, string][] = [
    ["caresses", "caress"],
    ["ponies", "poni"],
    ["caress", "caress"],
    ["cats", "cat"],
    ["feed", "feed"],
    ["agreed", "agre"],
    ["plastered", "plaster"],
    ["motoring", "motor"],
    ["hopping", "hop"],
    ["falling", "fall"],
    ["filing", "file"],
    ["relational", "relat"],
    ["conditional", "condit"],
    ["rational", "ration"],
    ["generalizations", "gener"],
    ["oscillators", "oscil"],
    ["triplicate", "triplic"],
    ["adjustable", "adjust"],
    ["controll", "control"],
    ["happy", "happi"],
  ];
  for (const [word, stem] of known) assertStrictEquals(nltk.stem(word), stem, word);
  // NLTK_EXTENSIONS only: irregular forms, "ies"/"ied" on 4-letter words, y → i after a consonant.
  assertEquals(nltk.stem("dying"), "die");
  assertEquals(original.stem("dying"), "dy");
  assertEquals(nltk.stem("skies"), "sky");
  assertEquals(nltk.stem("ties"), "tie");
  assertEquals(original.stem("ties"), "ti");
  assertEquals(nltk.stem("cried"), "cri");
  assertEquals(nltk.stem("enjoy"), "enjoy");
  assertEquals(nltk.stem("spy"), "spi");
  assertEquals(original.stem("spy"), "spy");
  assertEquals(nltk.stem("is"), "is"); // ≤ 2 characters are left alone
  assertEquals(nltk.stem("Caresses"), "caress"); // lower-cased first
  assertEquals(nltk.stem("Caresses", false), "Caress");
  assertMatch(assertThrows(() => new PorterStemmer("PORTER2" as PorterMode), Error).message, /unknown mode/);
});

Deno.test("Porter matches NLTK 3.8 in all three modes on 3,382 words (testdata/porter_nltk.json)", () => {
  for (const mode of ["NLTK_EXTENSIONS", "MARTIN_EXTENSIONS", "ORIGINAL_ALGORITHM"] as const) {
    const stemmer = new PorterStemmer(mode);
    const actual = reference.words.map((w) => stemmer.stem(w));
    const mismatches = reference.words
      .map((w, i) => [w, actual[i], reference[mode][i]])
      .filter(([, a, e]) => a !== e);
    assertEquals(mismatches.slice(0, 10), [], `${mode}: ${mismatches.length} words differ (word, ours, NLTK)`);
  }
});
