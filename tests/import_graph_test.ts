/**
 * One direction of imports: kernels ← core ← models ← eval ← train ← scripts (the entry points), data apart (used by eval and train).
 * Fails on an upward import, an import past another package's entry point, or a cycle between packages, naming the
 * files. The rules are in `tests/import_graph.ts`.
 */
import { assertEquals, assertMatch } from "@std/assert";
import { fromFileUrl } from "@std/path";
import { importEdges, importSpecifiers, layeringProblems, packageCycles, readSources } from "./import_graph.ts";

const ROOT = fromFileUrl(new URL("..", import.meta.url));

Deno.test("import graph: no upward import, no import past an entry point, no cycle between packages", async () => {
  const files = await readSources(ROOT);
  const edges = importEdges(files);
  // the walk found the packages and their imports (an empty graph would pass vacuously)
  assertEquals(
    ["core", "data", "eval", "kernels", "models", "train"].every((p) => files.has(`${p}/mod.ts`)),
    true,
  );
  assertEquals(edges.some((e) => e.from === "train/trainer.ts" && e.to === "@hyperdecoders/eval"), true);
  assertEquals([...layeringProblems(edges), ...packageCycles(edges)], []);
});

Deno.test("import graph: the specifiers of static, type-only, multi-line, side-effect and dynamic imports", () => {
  const source = [
    `import { a } from "./a.ts";`,
    `import type { B } from "@hyperdecoders/core";`,
    `import {\n  c,\n  d,\n} from "../x/c.ts";`,
    `export * from "./e.ts";`,
    `export { f } from './f.ts';`,
    `import "./side.ts";`,
    `const g = await import("./g.ts");`,
    ` * import { example } from "@hyperdecoders/train"; (a JSDoc example: not an import)`,
    `const s = "import x from './no.ts'";`,
  ].join("\n");
  assertEquals(importSpecifiers(source), [
    "./a.ts",
    "@hyperdecoders/core",
    "../x/c.ts",
    "./e.ts",
    "./f.ts",
    "./side.ts",
    "./g.ts",
  ]);
});

Deno.test("import graph: an upward import, data reaching the GPU side and a deep import are named with both files", () => {
  const files = new Map([
    ["core/ops.ts", `import { T5Model } from "@hyperdecoders/models";`],
    ["data/loader.ts", `import { tensor } from "@hyperdecoders/core";`],
    ["eval/cli.ts", `import { writeFileAtomic } from "../train/checkpoint.ts";`],
    [
      "train/trainer.ts",
      `import { evaluate } from "@hyperdecoders/eval";\nimport { load } from "@hyperdecoders/data";`,
    ],
    ["scripts/bench.ts", `import { launch } from "../core/launch.ts";`],
    ["data/rng.ts", `export { mulberry32 } from "@hyperdecoders/kernels/random";`],
    ["kernels/random.ts", `import { tensor } from "@hyperdecoders/core";`],
  ]);
  const problems = layeringProblems(importEdges(files));
  assertEquals(problems.length, 4, problems.join("\n"));
  assertMatch(problems[0], /^core\/ops\.ts imports @hyperdecoders\/models: models is above core/);
  assertMatch(problems[1], /^data\/loader\.ts imports @hyperdecoders\/core: data stands apart/);
  assertMatch(problems[2], /^eval\/cli\.ts imports train\/checkpoint\.ts: train is above eval/);
  assertMatch(problems[3], /^kernels\/random\.ts imports @hyperdecoders\/core: core is above kernels/);
  const deep = layeringProblems(importEdges(new Map([["train/x.ts", `import { e } from "../eval/evaluate.ts";`]])));
  assertEquals(deep, [
    `train/x.ts imports eval/evaluate.ts past its package's entry point; import "@hyperdecoders/eval"`,
  ]);
});

Deno.test("import graph: a test may use a shared helper only if what the helper imports is allowed to the test", () => {
  const files = new Map([
    ["tests/tiny_run.ts", `import { train } from "@hyperdecoders/train";`],
    ["tests/fixtures.ts", `import { join } from "node:path";`],
    ["train/trainer_test.ts", `import { tinyConfig } from "../tests/tiny_run.ts";`],
    ["eval/evaluate_test.ts", `import { fixturePath } from "../tests/fixtures.ts";\nimport "../tests/tiny_run.ts";`],
  ]);
  assertEquals(layeringProblems(importEdges(files)), [
    "eval/evaluate_test.ts imports tests/tiny_run.ts, which imports train: above eval, an upward import",
  ]);
});

Deno.test("import graph: a cycle between packages is named by the files of its imports", () => {
  const files = new Map([
    ["train/trainer.ts", `import { evaluate } from "@hyperdecoders/eval";`],
    ["eval/trained_run.ts", `import { buildBaseModel } from "@hyperdecoders/train";`],
    ["eval/evaluate_test.ts", `import "@hyperdecoders/train";`],
  ]);
  assertEquals(packageCycles(importEdges(files)), [
    "cycle train/trainer.ts → @hyperdecoders/eval, eval/trained_run.ts → @hyperdecoders/train",
  ]);
});
