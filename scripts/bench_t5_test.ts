import assert from "node:assert/strict";
import { getEngine, initEngine } from "@hyperdecoders/core";
import { parseT5Config } from "@hyperdecoders/models";
import { benchT5, defaultCases, type T5BenchCase } from "./bench_t5.ts";

await initEngine();

const MICRO = parseT5Config({
  vocab_size: 64,
  d_model: 16,
  d_kv: 4,
  d_ff: 32,
  num_layers: 2,
  num_heads: 4,
  feed_forward_proj: "gated-gelu",
  tie_word_embeddings: false,
}, "micro bench config");

Deno.test("benchT5: executed and encode-only steps report consistent per-step counters; decoding runs", async () => {
  const cases: T5BenchCase[] = [
    {
      name: "micro",
      config: MICRO,
      batches: [{ batch: 2, source: 8, target: 3 }],
      fullFinetune: true,
      decode: { source: 8, newTokens: 3, batch: 2 },
      execute: true,
    },
    {
      name: "micro-dry",
      config: MICRO,
      batches: [{ batch: 4, source: 16, target: 3 }],
      fullFinetune: false,
      decode: { source: 8, newTokens: 3, batch: 0 },
      execute: false,
    },
  ];
  const liveBefore = getEngine().pool.liveBytes;
  const report = await benchT5({ cases, steps: 2, log: () => {} });
  assert.equal(report.cases.length, 2);
  const [micro, dry] = report.cases;
  assert.deepEqual(micro.errors, {});
  assert.deepEqual(dry.errors, {});
  // executed: hyperdecoder, its encode-only twin, full fine-tuning
  assert.deepEqual(micro.steps.map((s) => [s.method, s.executed]), [
    ["hyperdecoder", true],
    ["hyperdecoder", false],
    ["full-finetune", true],
  ]);
  const [hyper, hyperDry, full] = micro.steps;
  assert.ok(hyper.ms_per_step! > 0 && hyper.source_tokens_per_s! > 0);
  assert.ok(Number.isFinite(hyper.final_loss!), "the loss is read at the end");
  assert.equal(hyperDry.dispatches, hyper.dispatches, "the dry run encodes the very same step");
  assert.equal(hyperDry.ms_per_step, null);
  assert.equal(hyper.submits, 1, "one submit per step");
  assert.equal(hyperDry.pipelines_created, 0);
  assert.equal(hyperDry.bind_groups_created, 0, "warm steps create no bind groups");
  assert.equal(hyperDry.buffers_created, 0);
  assert.equal(full.trainable_params, micro.model.params, "full fine-tuning trains every T5 weight");
  // (Full fine-tuning no longer needs more dispatches than the hyperdecoder: AdamW updates many tensors per dispatch.)
  assert.ok(full.dispatches > 0);
  for (const s of micro.steps) {
    assert.ok(s.js_encode_ms > 0 && s.cpu_ms >= s.js_encode_ms);
    assert.ok(s.peak_live_bytes >= s.live_bytes_before, "peak includes what was live before");
    assert.ok(s.first_step.pipelines >= 0 && s.first_step.dispatches >= s.dispatches);
  }
  assert.ok(micro.decode);
  assert.equal(micro.decode!.new_tokens, 3);
  assert.ok(micro.decode!.latency_ms > 0 && micro.decode!.batch_tokens_per_s > 0);
  assert.ok(micro.decode!.submits >= 3, "one readback per decoding step");
  assert.equal(dry.decode, null);
  assert.equal(dry.steps.length, 1);
  assert.equal(dry.steps[0].executed, false);
  assert.ok(dry.steps[0].peak_live_bytes > hyperDry.peak_live_bytes, "a bigger batch peaks higher");
  assert.equal(getEngine().recorder.dryRun, false, "dry-run mode is switched off again");
  assert.equal(getEngine().pool.liveBytes, liveBefore, "the bench frees what it allocated");
});

Deno.test("benchT5: the plans: tiny executed + small/base encode-only on software, small/base (+ MRQA) on a GPU", () => {
  const sw = defaultCases(true, false);
  assert.deepEqual(sw.map((c) => [c.name, c.execute]), [["tiny", true], ["small", false], ["base", false]]);
  assert.deepEqual(sw[2].batches, [{ batch: 32, source: 128, target: 8 }, { batch: 8, source: 512, target: 32 }]);
  const gpu = defaultCases(false, false);
  assert.deepEqual(gpu.map((c) => [c.name, c.execute, c.config.dModel]), [["small", true, 512], ["base", true, 768]]);
  assert.deepEqual(gpu[1].decode, { source: 128, newTokens: 8, batch: 32 });
  assert.equal(defaultCases(false, true)[1].batches.length, 1, "quick drops the MRQA shape");
});
