import { assertEquals } from "@std/assert";
import { join } from "@std/path";
import { adapterKey, getEngine, initEngine, setTuner, type TuneCache } from "@hyperdecoders/core";
import { chooseMatmul, matmulChoiceId } from "@hyperdecoders/kernels";
import { tuneMain } from "./tune.ts";

Deno.test("deno task tune --list: one row per cached class of this adapter, the choice beside the rules' time", async () => {
  const engine = await initEngine();
  const info = engine.gpu.info;
  const adapter = {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
  };
  const shape = { M: 768, N: 64, K: 4096, batch: 1, transA: true, transB: false, sa: 0, sb: 0 };
  const rule = matmulChoiceId(chooseMatmul(768, 64, 4096, 1, true, false));
  const cache: TuneCache = {
    version: 1,
    adapters: {
      [adapterKey(adapter)]: {
        adapter,
        entries: {
          "matmul:tn.M768.N64.K4096.b1.v4": {
            choice: "wide128x64+v4",
            value: { variant: "wide128x64", splits: 1, vec4: true },
            sourceHash: "0",
            shape,
            timings: { "wide128x64+v4": 0.5, [rule]: 2, "broken": "wrong: C[0][0][0] = 1" },
            timer: "timestamp",
            tunedAt: "2026-12-05T00:00:00Z",
          },
        },
      },
      "other|gpu": { adapter: { ...adapter, description: "other" }, entries: {} },
    },
  };
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "tune.json");
    await Deno.writeTextFile(path, JSON.stringify(cache));
    const log = console.log;
    console.log = () => {};
    let report;
    try {
      report = await tuneMain(["--list", "--cache", path]);
    } finally {
      console.log = log;
      setTuner(null);
    }
    assertEquals(report.tuned_now, 0);
    assertEquals(report.classes.length, 1);
    const row = report.classes[0];
    assertEquals(row.choice, "wide128x64+v4");
    assertEquals(row.rule, rule);
    assertEquals(row.speedup_over_rule, 4);
    assertEquals(row.rejected, ["broken"]);
    assertEquals(row.gflops, Number(((2 * 768 * 64 * 4096) / 0.5e6).toPrecision(4)));
    assertEquals(getEngine().recorder.dryRun, false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
