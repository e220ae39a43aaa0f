import { assert, assertStrictEquals } from "@std/assert";
import { backward, getEngine, initEngine, noGrad, scope, tensor } from "@hyperdecoders/core";
import { parseT5Config } from "./config.ts";
import { randomT5 } from "./init.ts";

await initEngine();

const CONFIG = parseT5Config({
  vocab_size: 50,
  d_model: 32,
  d_kv: 8,
  d_ff: 64,
  num_layers: 3,
  num_heads: 4,
  feed_forward_proj: "gated-gelu",
  tie_word_embeddings: false,
  dropout_rate: 0.1,
}, "memory test config");

const [B, S, T] = [3, 16, 4];

function inputs() {
  const ids = Int32Array.from({ length: B * S }, (_, i) => 2 + (i * 7) % 48);
  return {
    inputIds: tensor(ids, [B, S], "i32"),
    attentionMask: tensor(new Float32Array(B * S).fill(1), [B, S]),
    labels: Int32Array.from({ length: B * T }, (_, i) => 2 + (i * 5) % 48),
    labelShape: [B, T] as [number, number],
  };
}

/** Bytes of one [B, S, D] activation. */
const ACT = B * S * CONFIG.dModel * 4;

Deno.test("T5 forward frees each sub-layer's intermediates when it returns (inference: only a few activations live)", () => {
  const model = randomT5(CONFIG, 3);
  const batch = inputs();
  const pool = getEngine().pool;
  try {
    // warm: the relative-position bucket tables are cached across calls
    noGrad(() => scope(() => model.forward(batch, { training: true, seed: 1 })));
    const before = pool.liveBytes;
    let grown = 0;
    noGrad(() =>
      scope(() => {
        model.forward(batch, { training: true, seed: 1 });
        grown = pool.liveBytes - before;
      })
    );
    // embedding, residual stream per sub-layer, final norms, logits, loss (≈ 15 activations of this shape); without
    // the per-sub-layer scopes the projections, scores and feed-forward hiddens (≈ 145 here) stayed live too
    assert(grown < 30 * ACT, `forward left ${grown} bytes live (${(grown / ACT).toFixed(1)} activations)`);
    assertStrictEquals(pool.liveBytes, before, "the caller's scope frees the rest");
  } finally {
    for (const t of [batch.inputIds, batch.attentionMask]) t.dispose();
    model.dispose();
  }
});

Deno.test("T5 training step: the tape keeps what backward needs after the sub-layer scopes freed the rest", async () => {
  const model = randomT5(CONFIG, 4);
  model.setTrainable(() => true);
  const batch = inputs();
  const pool = getEngine().pool;
  try {
    noGrad(() => scope(() => model.forward(batch, { training: true, seed: 2 })));
    const before = pool.liveBytes;
    let grown = 0;
    const loss = scope(() => {
      const out = model.forward(batch, { training: true, seed: 2 });
      grown = pool.liveBytes - before;
      backward(out.loss);
      return out.loss;
    });
    assert(Number.isFinite(await loss.item()));
    loss.dispose();
    for (const [name, p] of model.params) {
      assert(p.grad, `${name} has a gradient`);
      const g = await p.grad.data();
      assert(g.every(Number.isFinite), `${name}: finite gradient`);
    }
    assert(grown > 0);
    for (const p of model.params.values()) {
      p.grad?.dispose();
      p.grad = null;
    }
    assertStrictEquals(pool.liveBytes, before, "nothing leaks");
  } finally {
    for (const t of [batch.inputIds, batch.attentionMask]) t.dispose();
    model.dispose();
  }
});
