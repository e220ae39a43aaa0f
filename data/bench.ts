/**
 * Loader throughput on the demo shards (Deno adapter, for `scripts/bench.ts`).
 *
 * @module
 */
import { join } from "@std/path";
import { fixturePath } from "../tests/fixtures.ts";
import { writeDemoMixture } from "./demo_prepare.ts";
import { openTaskSources } from "./fs.ts";
import { StreamingLoader } from "./loader.ts";
import { loadTokenizer } from "./tokenizer/mod.ts";

/**
 * Writes the demo mixture into a temporary folder (tokenizer: the fixtures' spm-2k) and measures the streaming
 * loader with tokenisation: examples per second over `batches` batches of `batchSize` after one warm-up batch, and
 * the time to resume from a saved state. Returns plain numbers for a report.
 */
export async function benchLoader(batches = 1000, batchSize = 64): Promise<Record<string, unknown>> {
  const dir = await Deno.makeTempDir({ prefix: "hd-bench-data-" });
  try {
    const tokenizerPath = fixturePath("spm-2k");
    let t = performance.now();
    await writeDemoMixture({ out: dir, tokenizer: tokenizerPath });
    const prepareMs = performance.now() - t;
    const tokenizer = await loadTokenizer(tokenizerPath);
    const opts = {
      tasks: await openTaskSources([dir], "train"),
      tokenizer,
      batchSize,
      maxSourceLength: 32,
      maxTargetLength: 4,
    };
    const loader = await StreamingLoader.create(opts);
    await loader.next();
    t = performance.now();
    let examples = 0;
    for (let i = 0; i < batches; i++) examples += (await loader.next()).batchSize;
    const seconds = (performance.now() - t) / 1000;
    const state = loader.state();
    await loader.close();
    t = performance.now();
    const resumed = await StreamingLoader.create(opts, state);
    await resumed.next();
    const resumeMs = performance.now() - t;
    await resumed.close();
    return {
      data_demo_prepare_ms: Math.round(prepareMs),
      data_loader_examples_per_s: Math.round(examples / seconds),
      data_loader_batches: batches,
      data_loader_batch_size: batchSize,
      data_loader_resume_ms: Math.round(resumeMs),
      data_loader_tokenizer: "fixtures/spm-2k",
    };
  } finally {
    await Deno.remove(join(dir), { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) console.log(await benchLoader());
