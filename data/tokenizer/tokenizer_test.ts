import { assertEquals, assertMatch, assertStrictEquals, assertThrows } from "@std/assert";
import { fixturePath } from "../../tests/fixtures.ts";
import { loadTokenizer, Tokenizer } from "./mod.ts";

interface Row {
  text: string;
  spm_ids: number[];
  spm_pieces: string[];
  spm_decoded: string;
  t5_ids: number[];
  t5_tokens: string[];
  t5_decoded: string;
}

const dir = fixturePath("spm-2k");
const golden: { rows: Row[] } = JSON.parse(await Deno.readTextFile(`${dir}/encodings.json`));
const fromModel = Tokenizer.fromSpieceModel(await Deno.readFile(`${dir}/spiece.model`));
const fromJson = Tokenizer.fromTokenizerJson(await Deno.readTextFile(`${dir}/tokenizer.json`));
const sources = [["spiece.model", fromModel], ["tokenizer.json", fromJson]] as const;

for (const [name, tok] of sources) {
  Deno.test(`spm-2k goldens (${name}): raw ids and pieces equal sentencepiece`, () => {
    for (const r of golden.rows) {
      const got = tok.encodeWithPieces(r.text, { raw: true });
      assertEquals(got.ids, r.spm_ids, JSON.stringify(r.text));
      assertEquals(got.pieces, r.spm_pieces, JSON.stringify(r.text));
      assertStrictEquals(tok.decode(r.spm_ids, { raw: true }), r.spm_decoded, JSON.stringify(r.text));
    }
  });

  Deno.test(`spm-2k goldens (${name}): T5 ids, tokens and decode equal transformers`, () => {
    for (const r of golden.rows) {
      const got = tok.encodeWithPieces(r.text);
      assertEquals(got.ids, r.t5_ids, JSON.stringify(r.text));
      assertEquals(got.pieces, r.t5_tokens, JSON.stringify(r.text));
      assertEquals(tok.encode(r.text), r.t5_ids);
      assertStrictEquals(tok.decode(r.t5_ids), r.t5_decoded, JSON.stringify(r.text));
    }
  });
}

Deno.test("vocabulary, sentinels and special ids", () => {
  for (const [, tok] of sources) {
    assertEquals(tok.vocabSize, 2100);
    assertEquals(tok.sentinelCount, 100);
    assertEquals(tok.padId, 0);
    assertEquals(tok.eosId, 1);
    assertEquals(tok.unkId, 2);
    assertEquals(tok.sentinelId(0), 2099);
    assertEquals(tok.sentinelId(99), 2000);
    assertEquals(tok.pieceToId("<extra_id_5>"), 2094);
    assertEquals(tok.idToPiece(2094), "<extra_id_5>");
    assertEquals(tok.pieceToId("\u2581the"), 5);
    assertEquals(tok.idToPiece(5), "\u2581the");
    assertEquals(tok.pieceToId("no such piece"), undefined);
    assertEquals(tok.idToPiece(2100), undefined);
    assertEquals(tok.idToPiece(-1), undefined);
    assertMatch(assertThrows(() => tok.sentinelId(100), Error).message, /extra_id_100/);
  }
  // Same vocabulary from both sources.
  for (let id = 0; id < 2100; id++) assertStrictEquals(fromModel.idToPiece(id), fromJson.idToPiece(id));
});

Deno.test("special tokens in text: split on the raw text, neighbours get their own ▁", () => {
  for (const [, tok] of sources) {
    const a = tok.encode("Hello<extra_id_0>world</s>");
    assertEquals(a, [
      ...tok.encode("Hello", { addEos: false }),
      2099,
      ...tok.encode("world", { addEos: false }),
      1,
      1,
    ]);
    // Without raw handling the same text is ordinary characters.
    const raw = tok.encode("Hello<extra_id_0>world</s>", { raw: true });
    assertEquals(raw.includes(2099), false);
    assertEquals(raw.includes(1), false);
    // "<unk>" and "<pad>" written in the text are special too.
    assertEquals(tok.encode("<pad><unk>"), [0, 2, 1]);
  }
});

Deno.test("decode with and without special tokens", () => {
  for (const [, tok] of sources) {
    const ids = tok.encode("sentinel <extra_id_0> tokens");
    assertEquals(tok.decode(ids), "sentinel tokens");
    assertEquals(tok.decode(ids, { skipSpecialTokens: false }), "sentinel<extra_id_0> tokens</s>");
    // Unknown runs: skipped as special by default, written as <unk> otherwise, " ⁇ " in raw SentencePiece decoding.
    const unk = tok.encode("a 日本 b");
    assertEquals(tok.decode(unk), "a  b");
    assertEquals(tok.decode(unk, { skipSpecialTokens: false }), "a <unk> b</s>");
    assertEquals(tok.decode(tok.encode("a 日本 b", { raw: true }), { raw: true }), "a  \u2047  b");
    // Ids the tokenizer does not know are dropped, as tokenizers does; raw decoding refuses them.
    assertEquals(tok.decode([5, 9999, 5]), "the the");
    assertMatch(assertThrows(() => tok.decode([5, 2099], { raw: true }), Error).message, /not a SentencePiece id/);
    // transformers' clean_up_tokenization_spaces.
    const t = tok.encode("Yes , I do n't .");
    assertEquals(tok.decode(t), "Yes , I do n't .");
    assertEquals(tok.decode(t, { cleanUpTokenizationSpaces: true }), "Yes, I don't.");
  }
});

Deno.test("encodeBatch: truncation keeps </s>, right padding with masks", () => {
  for (const [, tok] of sources) {
    const texts = ["Hello world.", "a", "The quick brown fox jumps over the lazy dog, again and again."];
    const full = texts.map((t) => tok.encode(t));
    const b = tok.encodeBatch(texts, { maxLength: 8 });
    const width = Math.max(...full.map((r) => Math.min(r.length, 8)));
    for (let i = 0; i < texts.length; i++) {
      const n = Math.min(full[i].length, 8);
      assertStrictEquals(b.ids[i].length, width);
      assertStrictEquals(b.attentionMask[i].length, width);
      assertEquals(b.ids[i].slice(0, n - 1), full[i].slice(0, n - 1));
      assertEquals(b.ids[i][n - 1], 1, "last real id is </s>");
      assertEquals(b.ids[i].slice(n), new Array(width - n).fill(0));
      assertEquals(b.attentionMask[i], [...new Array(n).fill(1), ...new Array(width - n).fill(0)]);
    }
    const fixed = tok.encodeBatch(["a"], { maxLength: 5, padding: "max_length" });
    assertEquals(fixed.ids, [[8, 1, 0, 0, 0]]);
    assertEquals(fixed.attentionMask, [[1, 1, 0, 0, 0]]);
    const ragged = tok.encodeBatch(["a", "a a"], { padding: false });
    assertEquals(ragged.ids, [[8, 1], [8, 8, 1]]);
    const raw = tok.encodeBatch(["a a a"], { raw: true, maxLength: 2 });
    assertEquals(raw.ids, [[8, 8]]);
    assertMatch(
      assertThrows(() => tok.encodeBatch(["a"], { padding: "max_length" }), Error).message,
      /needs maxLength/,
    );
    assertMatch(assertThrows(() => tok.encode("a", { maxLength: 0 }), Error).message, /maxLength/);
  }
});

Deno.test("loadTokenizer: folder, spiece.model and tokenizer.json paths", async () => {
  const viaDir = await loadTokenizer(dir);
  const viaModel = await loadTokenizer(`${dir}/spiece.model`);
  const viaJson = await loadTokenizer(new URL(`file://${dir}/tokenizer.json`));
  const text = "question: Who wrote the paper? context: <extra_id_3> Hamish Ivison.";
  const want = fromJson.encode(text);
  assertEquals(viaDir.encode(text), want);
  assertEquals(viaModel.encode(text), want);
  assertEquals(viaJson.encode(text), want);
  await (async () => {
    let err: unknown;
    try {
      await loadTokenizer(`${dir}/missing.model`);
    } catch (e) {
      err = e;
    }
    assertEquals(String(err).includes("does not exist"), true);
  })();
});

Deno.test("empty text and lone surrogates", () => {
  for (const [, tok] of sources) {
    assertEquals(tok.encode(""), [1]);
    assertEquals(tok.encode("", { raw: true }), []);
    assertEquals(tok.encode("   \t\n"), [1]);
    assertEquals(tok.decode([]), "");
    // A lone surrogate is encoded as U+FFFD would be (what TextEncoder gives the byte-level libraries).
    assertEquals(tok.encode("a\ud800b", { raw: true }), tok.encode("a\ufffdb", { raw: true }));
  }
});

Deno.test("tokenizer.json with the newer normalizer Sequence[Precompiled, Strip, Replace] and Metaspace only", () => {
  const j = JSON.parse(Deno.readTextFileSync(`${dir}/tokenizer.json`));
  j.normalizer = {
    type: "Sequence",
    normalizers: [
      j.normalizer,
      { type: "Strip", strip_left: false, strip_right: true },
      { type: "Replace", pattern: { Regex: " {2,}" }, content: "\u2581" },
    ],
  };
  j.pre_tokenizer = { type: "Metaspace", replacement: "\u2581", prepend_scheme: "always", split: true };
  const tok = Tokenizer.fromTokenizerJson(j);
  // Where the two pipelines agree (no leading whitespace), the ids are the same.
  for (const text of ["Hello world.", "a  b   c", "trailing space   ", "café naïve", "x <extra_id_1> y"]) {
    assertEquals(tok.encode(text), fromJson.encode(text), text);
  }
});
