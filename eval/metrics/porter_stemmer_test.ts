import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
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
  for (const [word, stem] of known) strictEqual(nltk.stem(word), stem, word);
  // NLTK_EXTENSIONS only: irregular forms, "ies"/"ied" on 4-letter words, y → i after a consonant.
  strictEqual(nltk.stem("dying"), "die");
  strictEqual(original.stem("dying"), "dy");
  strictEqual(nltk.stem("skies"), "sky");
  strictEqual(nltk.stem("ties"), "tie");
  strictEqual(original.stem("ties"), "ti");
  strictEqual(nltk.stem("cried"), "cri");
  strictEqual(nltk.stem("enjoy"), "enjoy");
  strictEqual(nltk.stem("spy"), "spi");
  strictEqual(original.stem("spy"), "spy");
  strictEqual(nltk.stem("is"), "is"); // ≤ 2 characters are left alone
  strictEqual(nltk.stem("Caresses"), "caress"); // lower-cased first
  strictEqual(nltk.stem("Caresses", false), "Caress");
  throws(() => new PorterStemmer("PORTER2" as PorterMode), /unknown mode/);
});

Deno.test("Porter matches NLTK 3.8 in all three modes on 3,382 words (testdata/porter_nltk.json)", () => {
  for (const mode of ["NLTK_EXTENSIONS", "MARTIN_EXTENSIONS", "ORIGINAL_ALGORITHM"] as const) {
    const stemmer = new PorterStemmer(mode);
    const actual = reference.words.map((w) => stemmer.stem(w));
    const mismatches = reference.words
      .map((w, i) => [w, actual[i], reference[mode][i]])
      .filter(([, a, e]) => a !== e);
    deepStrictEqual(mismatches.slice(0, 10), [], `${mode}: ${mismatches.length} words differ (word, ours, NLTK)`);
  }
});
