import { assertEquals, assertMatch, assertThrows } from "@std/assert";
import { applyOverrides, resolveConfig } from "./config.ts";

const BASE = {
  model: { preset: "tiny" },
  tokenizer: "spiece.model",
  data: { shards: ["data/demo"] },
};

function fileError(patch: Record<string, unknown>): string {
  const input = structuredClone(BASE) as Record<string, Record<string, unknown> | string>;
  for (const [k, v] of Object.entries(patch)) {
    input[k] = typeof v === "object" && v !== null && !Array.isArray(v) && typeof input[k] === "object"
      ? { ...(input[k] as Record<string, unknown>), ...v }
      : v as string;
  }
  return assertThrows(() => resolveConfig(input, "run.json"), Error).message;
}

function flagError(path: string, value: string): string {
  return assertThrows(() => resolveConfig(applyOverrides(structuredClone(BASE), [[path, value]]), "run.json"), Error)
    .message;
}

Deno.test("config: an unknown key at any depth is refused with its path and a suggestion", () => {
  assertMatch(
    fileError({ model: { chekpoint: "x" } }),
    /run\.json: unknown setting "model\.chekpoint" \(did you mean "checkpoint"\?\)/,
  );
  assertMatch(fileError({ trian: {} }), /run\.json: unknown setting "trian" \(did you mean "train"\?\)/);
  assertMatch(fileError({ optim: { learningRate: 1 } }), /unknown setting "optim\.learningRate"/);
  assertMatch(
    flagError("model.chekpoint", "x"),
    /--model\.chekpoint: unknown setting "model\.chekpoint" \(did you mean "checkpoint"\?\)/,
  );
  assertMatch(flagError("train.steps.x", "1"), /--train\.steps\.x: "train\.steps" is a single value/);
});

Deno.test("config: values of the wrong type are refused, naming the field", () => {
  assertMatch(fileError({ model: { seed: "abc" } }), /run\.json: "model\.seed" must be an integer/);
  assertMatch(fileError({ train: { dropout: "no" } }), /"train\.dropout" must be true or false/);
  assertMatch(fileError({ eval: { split: 5 } }), /"eval\.split" must be a split name/);
  assertMatch(fileError({ eval: { atEnd: "yes" } }), /"eval\.atEnd" must be true or false/);
  assertMatch(fileError({ data: { tasks: [1] } }), /"data\.tasks" must be null or a list of task names/);
  assertMatch(fileError({ model: { overrides: 3 } }), /"model\.overrides" must be a JSON object/);
  assertMatch(flagError("model.seed", "abc"), /"model\.seed" must be an integer/);
  assertMatch(flagError("train.dropout", "no"), /"train\.dropout" must be true or false/);
});

Deno.test("config: model.overrides means the same on the command line as in a file", () => {
  const fromFile = resolveConfig({ ...BASE, model: { preset: "tiny", overrides: { num_layers: 2 } } });
  const fromFlag = resolveConfig(applyOverrides(structuredClone(BASE), [["model.overrides", '{"num_layers": 2}']]));
  const fromDeepFlag = resolveConfig(applyOverrides(structuredClone(BASE), [["model.overrides.num_layers", "2"]]));
  assertEquals(fromFlag.model, fromFile.model);
  assertEquals(fromDeepFlag.model, fromFile.model);
  // Keys under method stay open here (the models package checks them).
  assertEquals(
    resolveConfig(applyOverrides(structuredClone(BASE), [["method.bottleneck", "16"]])).method.bottleneck,
    16,
  );
});
