import { assertEquals, assertStrictEquals } from "@std/assert";
import { benchTokenizer, syntheticText } from "./bench.ts";

Deno.test("syntheticText is deterministic and reaches the requested size", () => {
  const pieces = ["\u2581the", "\u2581of", "ing", "ab", "\u2581x"];
  const a = syntheticText(20_000, pieces);
  const b = syntheticText(20_000, pieces);
  assertStrictEquals(a.join("\n"), b.join("\n"));
  assertEquals(a.reduce((n, l) => n + new TextEncoder().encode(l).length, 0) >= 20_000, true);
});

Deno.test("benchTokenizer (small): reports rates and agrees with @huggingface/tokenizers on prose", async () => {
  const r = await benchTokenizer({ megabytes: 0.05 });
  const ours = r.ours as { mbPerSec: number; tokens: number };
  const hf = r.huggingfaceTokenizersJs as { tokens: number };
  assertEquals(ours.mbPerSec > 0, true);
  assertStrictEquals(ours.tokens, hf.tokens);
  assertEquals(r.differingStrings, 0);
  assertEquals((r.exoticStrings as { rawMismatchesVsSentencepiece: number }).rawMismatchesVsSentencepiece, 0);
});
