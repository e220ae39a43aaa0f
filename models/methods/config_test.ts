import { assertEquals, assertThrows } from "@std/assert";

function throwsWith(fn: () => unknown, text: string): void {
  assertThrows(fn, Error, text);
}
import {
  ADAPTER_MODES,
  GRID_MODES,
  methodConfigToJson,
  methodPreset,
  methodPresetNames,
  parseMethodConfig,
  taskIds,
} from "./config.ts";

Deno.test("method presets: named baselines and every Table 8 cell", () => {
  const hd = methodPreset("hyperdecoder");
  assertEquals([hd.encoder, hd.decoder], ["manual", "generated"]);
  assertEquals([hd.encoderAdapterDim, hd.decoderAdapterDim, hd.hypernetworkBottleneck], [64, 64, 128]);
  assertEquals(hd.adapterInput, "pre-norm");
  const th = methodPreset("task-hypernet", { tasks: ["a"] });
  assertEquals([th.encoder, th.decoder, th.encoderAdapterDim, th.hypernetworkBottleneck], [
    "task",
    "task",
    50,
    100,
  ]);
  assertEquals(methodPreset("full-finetune").encoder, "none");
  const names = methodPresetNames();
  for (const e of GRID_MODES) {
    for (const d of GRID_MODES) {
      const name = `${e}/${d}`;
      assertEquals(names.includes(name), true);
      const c = methodPreset(name, { tasks: ["x", "y"] });
      assertEquals([c.encoder, c.decoder], [e, d]);
    }
  }
  assertEquals(names.length, 6 + 16);
});

Deno.test("method config: explicit keys override the preset; JSON round trip", () => {
  const c = parseMethodConfig({
    preset: "hyperdecoder",
    decoderAdapterDim: 36,
    encoderAdapterDim: 512,
    hypernetworkBottleneck: 72,
    adapterInput: "post-norm",
    skills: { rank: 4 },
  });
  assertEquals([c.encoderAdapterDim, c.decoderAdapterDim, c.hypernetworkBottleneck], [512, 36, 72]);
  assertEquals(c.adapterInput, "post-norm");
  assertEquals(c.skills.rank, 4);
  assertEquals(c.skills.count, 4);
  assertEquals(parseMethodConfig(methodConfigToJson(c)), c);
  assertEquals(parseMethodConfig("adapter").decoder, "manual");
});

Deno.test("method config: bad configs give errors naming the field", () => {
  throwsWith(
    () => parseMethodConfig({ encoder: "lora" }, "cfg.json"),
    'cfg.json: "encoder": unknown adapter mode "lora"',
  );
  throwsWith(() => parseMethodConfig({ preset: "manual/bogus" }), "unknown adapter mode");
  throwsWith(() => parseMethodConfig({ preset: "hyperformer" }), 'unknown preset "hyperformer"');
  throwsWith(() => parseMethodConfig({ encoderAdapterDim: 0 }), '"encoderAdapterDim" must be a positive integer');
  throwsWith(() => parseMethodConfig({ decoderAdapterDim: -3 }), "decoderAdapterDim");
  throwsWith(() => parseMethodConfig({ hypernetworkBottleneck: 1.5 }), "hypernetworkBottleneck");
  throwsWith(() => parseMethodConfig({ layerEmbeddingDim: 0 }), "layerEmbeddingDim");
  throwsWith(() => parseMethodConfig({ skills: { rank: 0 } }), "skills.rank");
  throwsWith(() => parseMethodConfig({ skills: { logitsLrScale: 0 } }), "skills.logitsLrScale");
  throwsWith(() => parseMethodConfig({ skills: { heads: 2 } }), 'unknown key "skills.heads"');
  throwsWith(() => parseMethodConfig({ adapter_dim: 512 }), 'unknown key "adapter_dim"');
  throwsWith(() => parseMethodConfig({ adapterInput: "normed" }), "adapterInput");
  throwsWith(() => parseMethodConfig({ preset: "task-hypernet" }), "needs the list of task names");
  throwsWith(() => parseMethodConfig({ preset: "polytropon", tasks: ["a", "a"] }), 'lists "a" twice');
  throwsWith(() => parseMethodConfig(42), "expected a JSON object");
  for (const mode of ADAPTER_MODES) parseMethodConfig({ encoder: mode, decoder: mode, tasks: ["t"] });
});

Deno.test("taskIds: names and ids resolve; unknown tasks are rejected", () => {
  const c = methodPreset("task-hypernet", { tasks: ["rte", "mrpc", "cola"] });
  assertEquals([...taskIds(c, ["cola", "rte"])], [2, 0]);
  assertEquals([...taskIds(c, [1, 1])], [1, 1]);
  throwsWith(
    () => taskIds(c, ["rte", "qqp"]),
    'tasks[1]: task "qqp" is not in the method\'s task list [rte, mrpc, cola]',
  );
  throwsWith(() => taskIds(c, [3]), "task id 3 is out of range");
});
