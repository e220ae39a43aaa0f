/**
 * Decoding lengths of the paper's tasks (the reference code's `prediction_step`): STS-B is capped like the classification tasks, at the
 * longest of its target strings "0.0" … "5.0" in tokens, not at the target length.
 */
import { assert, assertEquals } from "@std/assert";
import { getTask, loadTokenizer } from "@hyperdecoders/data";
import { fixturePath } from "../tests/fixtures.ts";
import { decodingSettings, STSB_DECODE_LABELS } from "./evaluate.ts";

Deno.test('decodingSettings: STS-B decodes at most the longest of "0.0" … "5.0", greedily', async () => {
  const tokenizer = await loadTokenizer(fixturePath("spm-2k", "spiece.model"));
  assertEquals(STSB_DECODE_LABELS.length, 51);
  assertEquals([STSB_DECODE_LABELS[0], STSB_DECODE_LABELS[38], STSB_DECODE_LABELS[50]], ["0.0", "3.8", "5.0"]);
  const longest = Math.max(...STSB_DECODE_LABELS.map((l) => tokenizer.encode(l).length)) - 1; // without </s>
  const stsb = decodingSettings(getTask("stsb"), tokenizer, 128);
  assertEquals(stsb.maxNewTokens, longest);
  assertEquals(stsb.numBeams, 1);
  assert(stsb.maxNewTokens >= 2 && stsb.maxNewTokens <= 5, `STS-B cap ${stsb.maxNewTokens} tokens`);
  // Classification tasks keep their label-length cap.
  assertEquals(decodingSettings(getTask("rte"), tokenizer, 128).maxNewTokens, tokenizer.encode("1").length - 1);
});
