/**
 * Property test: decode(encode(x)) equals x after the model's own normalization (NFKC, whitespace collapsed and
 * trimmed) for random strings over characters the vocabulary covers; characters it does not cover come back as the
 * unknown surface (" ⁇ " in SentencePiece decoding, nothing when special tokens are skipped). The oracle uses
 * `String.prototype.normalize` and the raw vocabulary list, not the tokenizer.
 */
import { assertEquals, assertStrictEquals } from "@std/assert";
import { fixturePath } from "../../tests/fixtures.ts";
import { Tokenizer } from "./mod.ts";
import { mulberry32 } from "../rng.ts";

const dir = fixturePath("spm-2k");
const json = JSON.parse(await Deno.readTextFile(`${dir}/tokenizer.json`));
const vocab: string[] = json.model.vocab.map((e: [string, number]) => e[0]);
const specials = new Set<string>(json.added_tokens.map((a: { content: string }) => a.content));

// Characters that occur in some piece, and those that are pieces on their own.
const inAnyPiece = new Set<string>();
const single = new Set<string>();
for (const p of vocab) {
  if (specials.has(p)) continue;
  for (const ch of p) inAnyPiece.add(ch);
  if ([...p].length === 1) single.add(p);
}
const isMark = /\p{M}/u;
const isSpace = /\s/u;
const covered = [...single].filter((c) =>
  c !== "\u2581" && c.normalize("NFKC") === c && !isMark.test(c) && !isSpace.test(c) &&
  !/[\u1100-\u11ff\uac00-\ud7af]/u.test(c) // Hangul jamo/syllables compose under NFKC
);
// Characters that NFKC maps onto covered text (full-width forms, ligatures), and whitespace.
const mapped = [..."ＡＢＣｘｙｚ０１２９！？（）ﬁﬂ", "\u2167"].filter((c) =>
  [...c.normalize("NFKC")].every((x) => covered.includes(x))
);
const spaces = [" ", " ", " ", "\t", "\n", "\u3000", "\u00a0", "\r\n"];
// Characters in no piece at all, and stable under NFKC: encoded as <unk>.
const uncovered = [..."日本語中文漢字テキスト한국어😀🚀©®"].filter((c) =>
  !inAnyPiece.has(c) && c.normalize("NFKC") === c && !single.has(c.normalize("NFKC"))
);

function randomText(r: () => number, withUnknown: boolean): string {
  const n = 1 + Math.floor(r() * 30);
  let s = "";
  for (let i = 0; i < n; i++) {
    const u = r();
    const pool = u < 0.7 ? covered : u < 0.8 ? mapped : u < 0.97 || !withUnknown ? spaces : uncovered;
    s += pool[Math.floor(r() * pool.length)];
  }
  return s;
}

/** NFKC, whitespace runs → one space, trimmed; then each run of uncovered characters replaced by `unk`. */
function expected(x: string, unk: string): string {
  const norm = x.normalize("NFKC").replace(/\s+/gu, " ").trim();
  let out = "";
  let inRun = false;
  for (const ch of norm) {
    if (uncovered.includes(ch)) {
      if (!inRun) out += unk;
      inRun = true;
    } else {
      out += ch;
      inRun = false;
    }
  }
  return out;
}

for (const name of ["spiece.model", "tokenizer.json"]) {
  Deno.test(`round trip on 10,000 random strings (${name})`, async () => {
    const tok = name === "spiece.model"
      ? Tokenizer.fromSpieceModel(await Deno.readFile(`${dir}/${name}`))
      : Tokenizer.fromTokenizerJson(await Deno.readTextFile(`${dir}/${name}`));
    assertEquals(covered.length > 80, true, `only ${covered.length} covered characters`);
    assertEquals(uncovered.length > 5, true);
    const r = mulberry32(name.length);
    let withUnk = 0;
    for (let i = 0; i < 10_000; i++) {
      const x = randomText(r, i % 4 === 0);
      const raw = tok.encode(x, { raw: true });
      assertStrictEquals(tok.decode(raw, { raw: true }), expected(x, " \u2047 "), `raw: ${JSON.stringify(x)}`);
      const t5 = tok.encode(x);
      assertStrictEquals(t5[t5.length - 1], tok.eosId);
      assertStrictEquals(tok.decode(t5), expected(x, ""), `T5: ${JSON.stringify(x)}`);
      if (raw.includes(tok.unkId)) withUnk++;
    }
    assertEquals(withUnk > 500, true, `${withUnk} strings had unknowns`);
  });
}
