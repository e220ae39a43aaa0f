/**
 * `returnScores` of greedy and beam search: each sequence's log-probability must equal the teacher-forced
 * log-likelihood of the same tokens (the model's own forward pass), and the token rows must be the ones returned
 * without scores.
 */
import { assert, assertEquals, assertStrictEquals } from "@std/assert";
import { initEngine, noGrad, scope, tensor } from "@hyperdecoders/core";
import { fixturePath } from "../../tests/fixtures.ts";
import { beamSearch, greedySearch } from "./generate.ts";
import { loadT5 } from "./load_dir.ts";
import type { T5Model } from "./model.ts";

await initEngine();
const model = await loadT5(fixturePath("t5-tiny-v1_1"));
const B = 3, S = 9;
const ids = new Int32Array(B * S);
const mask = new Float32Array(B * S);
for (let b = 0; b < B; b++) {
  const len = S - 2 * b;
  for (let s = 0; s < len; s++) {
    ids[b * S + s] = s === len - 1 ? 1 : 3 + ((b * 37 + s * 11) % 90);
    mask[b * S + s] = 1;
  }
}

/** Per-row sums of log p(token) of the generated tokens (start token dropped, padding ignored), teacher-forced. */
async function teacherForced(m: T5Model, sequences: number[][]): Promise<number[]> {
  const T = Math.max(...sequences.map((s) => s.length - 1));
  const labels = new Int32Array(B * T);
  sequences.forEach((s, b) => labels.set(s.slice(1), b * T));
  const perToken = noGrad(() =>
    scope(() =>
      m.forward(
        { inputIds: tensor(ids, [B, S], "i32"), attentionMask: tensor(mask, [B, S]), labels, labelShape: [B, T] },
        {},
        { ignoreIndex: 0, reduction: "none" },
      ).loss
    )
  );
  const nll = (await perToken.data()) as Float32Array;
  perToken.dispose();
  return sequences.map((_, b) => -nll.subarray(b * T, (b + 1) * T).reduce((a, v) => a + v, 0));
}

Deno.test("greedySearch returnScores: log-probabilities equal the teacher-forced log-likelihood", async () => {
  const inputIds = tensor(ids, [B, S], "i32"), attention = tensor(mask, [B, S]);
  try {
    const plain = await greedySearch(model, inputIds, attention, { maxNewTokens: 7 });
    const scored = await greedySearch(model, inputIds, attention, { maxNewTokens: 7, returnScores: true });
    assertEquals(scored.sequences, plain);
    const expected = await teacherForced(model, scored.sequences);
    for (let b = 0; b < B; b++) {
      const generated = scored.sequences[b].slice(1);
      const eos = generated.indexOf(1);
      assertStrictEquals(scored.lengths[b], eos >= 0 ? eos + 1 : generated.length, `length of row ${b}`);
      assert(scored.logProbs[b] < 0);
      assert(Math.abs(scored.logProbs[b] - expected[b]) < 1e-4, `row ${b}: ${scored.logProbs[b]} vs ${expected[b]}`);
    }
  } finally {
    inputIds.dispose();
    attention.dispose();
  }
});

Deno.test("greedySearch returnScores: a masked EOS renormalises that step (score rises above the unmasked one)", async () => {
  const inputIds = tensor(ids, [B, S], "i32"), attention = tensor(mask, [B, S]);
  try {
    const free = await greedySearch(model, inputIds, attention, { maxNewTokens: 5, returnScores: true });
    const masked = await greedySearch(model, inputIds, attention, {
      maxNewTokens: 5,
      minNewTokens: 1,
      returnScores: true,
    });
    let compared = 0;
    for (let b = 0; b < B; b++) {
      if (free.sequences[b][1] === 1) continue; // EOS first: the paths differ.
      assertEquals(masked.sequences[b], free.sequences[b]);
      assert(masked.logProbs[b] > free.logProbs[b], `row ${b}: ${masked.logProbs[b]} ≤ ${free.logProbs[b]}`);
      compared++;
    }
    assert(compared > 0, "every row chose EOS first; pick other inputs");
  } finally {
    inputIds.dispose();
    attention.dispose();
  }
});

Deno.test("beamSearch returnScores: the best hypothesis's log-probability equals its teacher-forced one", async () => {
  const inputIds = tensor(ids, [B, S], "i32"), attention = tensor(mask, [B, S]);
  try {
    const plain = await beamSearch(model, inputIds, attention, { maxNewTokens: 6, numBeams: 3 });
    const scored = await beamSearch(model, inputIds, attention, { maxNewTokens: 6, numBeams: 3, returnScores: true });
    assertEquals(scored.sequences, plain);
    const expected = await teacherForced(model, scored.sequences);
    for (let b = 0; b < B; b++) {
      assert(Math.abs(scored.logProbs[b] - expected[b]) < 1e-4, `row ${b}: ${scored.logProbs[b]} vs ${expected[b]}`);
      const generated = scored.sequences[b].slice(1);
      const eos = generated.indexOf(1);
      assertStrictEquals(scored.lengths[b], eos >= 0 ? eos + 1 : generated.length, `length of row ${b}`);
    }
  } finally {
    inputIds.dispose();
    attention.dispose();
  }
});
