import { assert, assertEquals } from "@std/assert";
import { fixturePath } from "../../tests/fixtures.ts";
import { Tokenizer } from "./mod.ts";

const dir = fixturePath("spm-2k");
const tok = Tokenizer.fromSpieceModel(await Deno.readFile(`${dir}/spiece.model`));

// A run of characters the vocabulary lacks fuses into one unknown token; building its string used to spread the
// whole run into String.fromCharCode and overflow the stack (150,000 × "一" crashed `deno task tokenize`).
Deno.test("1 M unknown characters (BMP and astral) encode without overflowing the stack", () => {
  for (const ch of ["一", "😀"]) {
    const text = ch.repeat(1_000_000);
    assert(tok.encode(text).length >= 2);
    const ids = tok.encode(text, { raw: true });
    assert(ids.length >= 1 && ids.length <= 3, `${ch}: ${ids.length} ids`);
    assert(ids.includes(tok.unkId), `${ch}: expected the unknown id`);
    const { pieces } = tok.encodeWithPieces(text, { raw: true });
    assertEquals(pieces.join("").replace(/^▁/, ""), text);
  }
});

Deno.test("a tokenizer error while batching names the shard file and line", async () => {
  const { exampleFromJson, tokenizeExample } = await import("../mod.ts");
  const ex = exampleFromJson('{"task":"t","id":"t/0","source":"a","target":"b"}', "t/train-00000.jsonl.gz", 7);
  const failing = {
    encode(): number[] {
      throw new RangeError("boom");
    },
  };
  let message = "";
  try {
    tokenizeExample(ex, failing);
  } catch (e) {
    message = (e as Error).message;
  }
  assertEquals(message, "t/train-00000.jsonl.gz:7: cannot tokenize example t/0 (boom)");
});
