import { assert, assertEquals, assertStrictEquals } from "@std/assert";
import { countT5Parameters, T5_V1_1 } from "../t5/config.ts";
import { methodPreset } from "./config.ts";
import { countParameters, methodParameterSpecs } from "./parameters.ts";

const GLUE = ["cola", "sst2", "mrpc", "qqp", "stsb", "mnli", "qnli", "rte"];

Deno.test("countParameters: the paper's trainable counts (T5-large 64/64/128: 22,452,400, 2.87 %)", () => {
  const large = T5_V1_1.large;
  const base = T5_V1_1.base;
  const hd = countParameters(large, methodPreset("hyperdecoder"));
  assertEquals(hd.trainable, 22_452_400);
  assertEquals(hd.backbone, 783_150_080);
  assertEquals(hd.percentOfBackbone.toFixed(2), "2.87");
  const byName = Object.fromEntries(hd.components.map((c) => [c.component, c.trainable]));
  assertEquals(byName["encoder adapters"], 3_171_840);
  assertEquals(byName["decoder hypernetwork"], 17_181_360);
  assertEquals(byName["decoder MLP"], 2_099_200);
  assertEquals(byName["decoder adapters"], undefined, "unused decoder manual adapters are not instantiated");

  const unbalanced = { encoderAdapterDim: 512, decoderAdapterDim: 36, hypernetworkBottleneck: 72 };
  const hdBase = countParameters(base, methodPreset("hyperdecoder", unbalanced));
  assertEquals(hdBase.trainable, 14_785_236);
  assertEquals(hdBase.percentOfBackbone.toFixed(2), "5.97");
  assertEquals(countParameters(base, methodPreset("hyperdecoder")).trainable, 15_259_192);

  const adapter = (e: number, d: number) => methodPreset("adapter", { encoderAdapterDim: e, decoderAdapterDim: d });
  assertEquals(countParameters(large, adapter(230, 230)).trainable, 22_670_112);
  assertEquals(countParameters(base, adapter(800, 2)).trainable, 14_810_520);
  assertEquals(countParameters(base, adapter(370, 370)).trainable, 13_666_992);
  assertEquals(countParameters(large, methodPreset("task-hypernet", { tasks: GLUE })).trainable, 21_125_612);

  const full = countParameters(base, methodPreset("full-finetune"));
  assertEquals(full.trainable, 247_577_856);
  assertStrictEquals(full.trainable, countT5Parameters(base));
});

Deno.test("countParameters: closed-form formulas (2·d·a + a + d per adapter, the generator's) on assorted shapes", () => {
  const cases = [
    { d: 16, L: 3, Ld: 2, a: 5, ad: 7, b: 9, E: 10, n: 3 },
    { d: 24, L: 1, Ld: 4, a: 2, ad: 1, b: 3, E: 4, n: 1 },
  ];
  for (const k of cases) {
    const t5 = { ...T5_V1_1.small, dModel: k.d, numLayers: k.L, numDecoderLayers: k.Ld };
    const adapter = (a: number) => 2 * k.d * a + a + k.d;
    const generator = (L: number, a: number) =>
      L * k.E + ((k.d + k.E) * k.b + k.b) + 2 * (k.b * k.d * a + k.d * a) + (k.b * k.d + k.d) + (k.b * a + a);
    const mlp = 2 * (k.d * k.d + k.d);
    const sizes = {
      encoderAdapterDim: k.a,
      decoderAdapterDim: k.ad,
      hypernetworkBottleneck: k.b,
      layerEmbeddingDim: k.E,
    };
    const tasks = Array.from({ length: k.n }, (_, i) => `t${i}`);
    const count = (preset: string, extra: Record<string, unknown> = {}) =>
      countParameters(t5, methodPreset(preset, { ...sizes, tasks, ...extra })).trainable;
    assertStrictEquals(count("hyperdecoder"), k.L * adapter(k.a) + generator(k.Ld, k.ad) + mlp);
    assertStrictEquals(
      count("hyperdecoder", { processEncoderOutput: false }),
      k.L * adapter(k.a) + generator(k.Ld, k.ad),
    );
    assertStrictEquals(count("adapter"), k.L * adapter(k.a) + k.Ld * adapter(k.ad));
    assertStrictEquals(
      count("generated/generated"),
      k.L * adapter(k.a) + generator(k.L, k.a) + generator(k.Ld, k.ad) + 2 * mlp,
    );
    assertStrictEquals(count("task/task"), generator(k.L, k.a) + generator(k.Ld, k.ad) + 2 * k.n * k.d);
    assertStrictEquals(count("per-task-adapter"), k.n * (k.L * adapter(k.a) + k.Ld * adapter(k.ad)));
    const S = 3, r = 2;
    assertStrictEquals(
      count("polytropon", { skills: { count: S, rank: r } }),
      (k.L + k.Ld) * (k.n * S + 2 * S * r * k.d),
    );
    const inner = t5.numHeads * t5.dKv;
    assertStrictEquals(
      count("polytropon", { skills: { count: S, rank: r, placement: "attention" } }),
      (k.L + 2 * k.Ld) * 4 * (k.n * S + S * r * (k.d + inner)),
    );
    // A one-sided "none" trains its stack's blocks; the shared embedding and the LM head stay frozen.
    const none = countParameters(t5, methodPreset("none/manual", { ...sizes, tasks }));
    const comp = Object.fromEntries(none.components.map((c) => [c.component, c]));
    assertStrictEquals(comp["T5 encoder"].trainable, comp["T5 encoder"].total);
    assertEquals(comp["T5 embedding"].trainable, 0);
    assertEquals(comp["T5 decoder"].trainable, 0);
    assertEquals(comp["T5 LM head"].trainable, 0);
  }
});

Deno.test("methodParameterSpecs: reference-code names and unique entries", () => {
  const specs = methodParameterSpecs(T5_V1_1.small, methodPreset("generated/generated"));
  const names = specs.map((s) => s.name);
  assertStrictEquals(new Set(names).size, names.length);
  for (
    const n of [
      "encoder.block.0.layer.1.adapter_layer.adapter_down_manual.weight",
      "encoder.param_gen.layer_embed.weight",
      "encoder.mlp.0.weight",
      "decoder.param_gen.decoder.weight_up.weight",
      "decoder.mlp.2.bias",
    ]
  ) assert(names.includes(n), n);
  assert(!names.some((n) => n.startsWith("decoder.block")), "generated decoder has no manual adapters");
});
