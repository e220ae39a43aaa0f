import { assert, assertEquals, assertStrictEquals } from "@std/assert";
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
  assertEquals(report.cases.length, 2);
  const [micro, dry] = report.cases;
  assertEquals(micro.errors, {});
  assertEquals(dry.errors, {});
  // executed: hyperdecoder, its encode-only twin, full fine-tuning
  assertEquals(micro.steps.map((s) => [s.method, s.executed]), [
    ["hyperdecoder", true],
    ["hyperdecoder", false],
    ["full-finetune", true],
  ]);
  const [hyper, hyperDry, full] = micro.steps;
  assert(hyper.ms_per_step! > 0 && hyper.source_tokens_per_s! > 0);
  assert(Number.isFinite(hyper.final_loss!), "the loss is read at the end");
  assertStrictEquals(hyperDry.dispatches, hyper.dispatches, "the dry run encodes the very same step");
  assertEquals(hyperDry.ms_per_step, null);
  // where the dispatches and the GPU time go: every kernel of the step, the same counts both ways
  assertEquals(Object.values(hyper.dispatches_by_kernel).reduce((a, b) => a + b, 0), hyper.dispatches);
  assertEquals(hyperDry.gpu_profile, null, "nothing runs in a dry run");
  if (getEngine().gpu.features.includes("timestamp-query")) {
    const profile = hyper.gpu_profile!;
    assertEquals(
      Object.fromEntries(profile.kernels.map((k) => [k.kernel, k.dispatches])),
      hyper.dispatches_by_kernel,
      "the profiled step dispatches what the timed steps did",
    );
    assert(profile.total_ms > 0);
  }
  assertEquals(hyper.submits, 1, "one submit per step");
  assertEquals(hyperDry.pipelines_created, 0);
  assertEquals(hyperDry.bind_groups_created, 0, "warm steps create no bind groups");
  assertEquals(hyperDry.buffers_created, 0);
  assertStrictEquals(full.trainable_params, micro.model.params, "full fine-tuning trains every T5 weight");
  // (Full fine-tuning no longer needs more dispatches than the hyperdecoder: AdamW updates many tensors per dispatch.)
  assert(full.dispatches > 0);
  for (const s of micro.steps) {
    assert(s.js_encode_ms > 0 && s.cpu_ms >= s.js_encode_ms);
    assert(s.peak_live_bytes >= s.live_bytes_before, "peak includes what was live before");
    assert(s.first_step.pipelines >= 0 && s.first_step.dispatches >= s.dispatches);
  }
  assert(micro.decode);
  assertEquals(micro.decode!.new_tokens, 3);
  assert(micro.decode!.latency_ms > 0 && micro.decode!.batch_tokens_per_s > 0);
  assert(micro.decode!.submits >= 3, "one readback per decoding step");
  assertEquals(dry.decode, null);
  assertEquals(dry.steps.length, 1);
  assertEquals(dry.steps[0].executed, false);
  assert(dry.steps[0].peak_live_bytes > hyperDry.peak_live_bytes, "a bigger batch peaks higher");
  assertEquals(getEngine().recorder.dryRun, false, "dry-run mode is switched off again");
  assertStrictEquals(getEngine().pool.liveBytes, liveBefore, "the bench frees what it allocated");
});

Deno.test("benchT5: the plans: tiny executed + small/base encode-only on software, small/base (+ MRQA) on a GPU", () => {
  const sw = defaultCases(true, false);
  assertEquals(sw.map((c) => [c.name, c.execute]), [["tiny", true], ["small", false], ["base", false]]);
  assertEquals(sw[2].batches, [{ batch: 32, source: 128, target: 8 }, { batch: 8, source: 512, target: 32 }]);
  const gpu = defaultCases(false, false);
  assertEquals(gpu.map((c) => [c.name, c.execute, c.config.dModel]), [["small", true, 512], ["base", true, 768]]);
  assertEquals(gpu[1].decode, { source: 128, newTokens: 8, batch: 32 });
  assertEquals(defaultCases(false, true)[1].batches.length, 1, "quick drops the MRQA shape");
});
