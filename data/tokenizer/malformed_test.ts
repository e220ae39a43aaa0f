import { assertEquals, assertMatch, assertThrows } from "@std/assert";
import { fixturePath } from "../../tests/fixtures.ts";
import { parseSpieceModel, Tokenizer } from "./mod.ts";

const dir = fixturePath("spm-2k");
const model = await Deno.readFile(`${dir}/spiece.model`);
const jsonText = await Deno.readTextFile(`${dir}/tokenizer.json`);

Deno.test("truncated spiece.model: every cut point gives a clear error", () => {
  // Cut points inside pieces, inside the trainer spec, and inside the normalizer's charsmap.
  const cuts = [0, 1, 2, 5, 17, 1000, 30_000, model.length - 240_100, model.length - 1000, model.length - 3];
  for (const cut of cuts) {
    const e = assertThrows(() => Tokenizer.fromSpieceModel(model.subarray(0, cut), { source: "cut.model" }), Error);
    assertMatch(e.message, /cut\.model: .*(truncated|no pieces|missing)/, `cut at ${cut}`);
  }
});

Deno.test("garbage bytes are refused", () => {
  const junk = new TextEncoder().encode('{"not": "a protobuf"}');
  assertMatch(assertThrows(() => Tokenizer.fromSpieceModel(junk), Error).message, /spiece\.model: /);
});

Deno.test("protobuf reader: negative int32 and field defaults", () => {
  const m = parseSpieceModel(model);
  assertEquals(m.trainer.bosId, -1); // written as a 10-byte varint
  assertEquals(m.trainer.padId, 0);
  assertEquals(m.trainer.eosId, 1);
  assertEquals(m.trainer.unkId, 2);
  assertEquals(m.normalizer.name, "nmt_nfkc");
  assertEquals(m.pieces.length, 2000);
});

/** Re-encode a model with piece 2 (<unk>) turned into a NORMAL piece (type field 3 rewritten). */
function withoutUnk(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  // Piece 2 is `0a LEN 0a 05 "<unk>" 15 <f32> 18 02`; flip its type byte from 2 (UNKNOWN) to 1 (NORMAL).
  const pat = [0x0a, 0x05, ...new TextEncoder().encode("<unk>")];
  for (let i = 0; i < out.length - pat.length; i++) {
    if (pat.every((b, k) => out[i + k] === b)) {
      let j = i + pat.length;
      if (out[j] === 0x15) j += 5;
      if (out[j] === 0x18 && out[j + 1] === 2) {
        out[j + 1] = 1;
        return out;
      }
    }
  }
  throw new Error("pattern not found");
}

Deno.test("a vocabulary without <unk> is refused (both sources)", () => {
  assertMatch(assertThrows(() => Tokenizer.fromSpieceModel(withoutUnk(model)), Error).message, /no <unk> piece/);
  const j = JSON.parse(jsonText);
  j.model.unk_id = null;
  assertMatch(
    assertThrows(() => Tokenizer.fromTokenizerJson(j), Error).message,
    /model\.unk_id: is missing: the vocabulary has no <unk>/,
  );
  j.model.unk_id = 5000;
  assertMatch(assertThrows(() => Tokenizer.fromTokenizerJson(j), Error).message, /model\.unk_id: 5000 is not an id/);
});

Deno.test("tokenizer.json of the wrong model type or shape is refused", () => {
  const j = JSON.parse(jsonText);
  assertMatch(
    assertThrows(() => Tokenizer.fromTokenizerJson({ ...j, model: { type: "BPE", vocab: {}, merges: [] } }), Error)
      .message,
    /model\.type: is "BPE"; only "Unigram"/,
  );
  assertMatch(
    assertThrows(() => Tokenizer.fromTokenizerJson({ ...j, model: { ...j.model, vocab: [["a", "x"]] } }), Error)
      .message,
    /model\.vocab\[0\]/,
  );
  assertMatch(
    assertThrows(() => Tokenizer.fromTokenizerJson("{ not json"), Error).message,
    /tokenizer\.json: not valid JSON/,
  );
  assertMatch(assertThrows(() => Tokenizer.fromTokenizerJson([]), Error).message, /expected a JSON object/);
  assertMatch(
    assertThrows(() => Tokenizer.fromTokenizerJson({ ...j, pre_tokenizer: { type: "ByteLevel" } }), Error).message,
    /pre_tokenizer\.type: pre-tokenizer "ByteLevel" is not supported/,
  );
  assertMatch(
    assertThrows(
      () => Tokenizer.fromTokenizerJson({ ...j, normalizer: { type: "Precompiled", precompiled_charsmap: "AAAA" } }),
      Error,
    )
      .message,
    /precompiled_charsmap/,
  );
  assertMatch(
    assertThrows(() => Tokenizer.fromTokenizerJson({ ...j, decoder: { type: "ByteLevel" } }), Error).message,
    /decoder\.type/,
  );
});

Deno.test("a BPE spiece.model is refused", () => {
  const m = parseSpieceModel(model);
  assertEquals(m.trainer.modelType, 1);
  // Append a trainer_spec holding model_type = 2 (BPE); the later field wins.
  const extra = new Uint8Array([0x12, 0x02, 0x18, 0x02]);
  const patched = new Uint8Array(model.length + extra.length);
  patched.set(model);
  patched.set(extra, model.length);
  assertMatch(assertThrows(() => Tokenizer.fromSpieceModel(patched), Error).message, /model_type is BPE; only Unigram/);
});
