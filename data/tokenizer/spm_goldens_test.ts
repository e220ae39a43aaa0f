/**
 * Raw encoding against ids the `sentencepiece` library (0.1.97) produced for 1,202 random strings, including long
 * ones where float32 path scores decide near-ties (generator: testdata/gen_spm_goldens.py).
 */
import { assertEquals, assertStrictEquals } from "@std/assert";
import { fixturePath } from "../../tests/fixtures.ts";
import { Tokenizer } from "./mod.ts";

const lines = (await Deno.readTextFile(new URL("./testdata/spm_goldens.jsonl", import.meta.url))).trimEnd().split("\n");
const golden: { rows: { text: string; ids: number[]; decoded: string }[] } = {
  rows: lines.slice(1).map((l) => JSON.parse(l)),
};
const dir = fixturePath("spm-2k");

for (const name of ["spiece.model", "tokenizer.json"]) {
  Deno.test(`sentencepiece goldens (${name}): raw ids and decode`, async () => {
    const tok = name === "spiece.model"
      ? Tokenizer.fromSpieceModel(await Deno.readFile(`${dir}/${name}`))
      : Tokenizer.fromTokenizerJson(await Deno.readTextFile(`${dir}/${name}`));
    assertEquals(golden.rows.length > 1000, true);
    for (const r of golden.rows) {
      assertEquals(tok.encode(r.text, { raw: true }), r.ids, JSON.stringify(r.text));
      assertStrictEquals(tok.decode(r.ids, { raw: true }), r.decoded, JSON.stringify(r.text));
    }
  });
}
