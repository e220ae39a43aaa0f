/**
 * The paper's configs: every reported row has a config naming its table cell (`paper`), the encoder × decoder grid
 * of Tables 8 and 13 is covered cell by cell, and `deno task params --config <file>` prints each config's trainable
 * count and percentage.
 *
 * Where the expected trainable counts come from: counts computed from the authors' configs (allenai/hyperdecoders)
 * where the paper reports the row (2.87 % and 5.97 % for the main runs); otherwise the closed forms below (per learned
 * adapter 2·d·a + a + d, per generator and MLP as written there) evaluated on the config's sizes (independent of models/methods/parameters.ts). The percentages are of the backbone (T5 v1.1 LM-adapt
 * large 783,150,080, base 247,577,856; T5 v1.0 base 222,903,552), as the paper's "% params" columns (Tables 1, 4, 6,
 * 14–16) report them.
 */
import { assert, assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { fromFileUrl, join, relative } from "@std/path";
import { paperCells, resolveConfig } from "../train/config.ts";
import { main as params } from "../scripts/params.ts";
import { trainingConfigFiles } from "./config_files.ts";

const DIR = fromFileUrl(new URL(".", import.meta.url));

/** Configs of the project's own comparisons, not rows of the paper. */
const NOT_PAPER_ROWS = new Set([
  "glue/hyperdecoder_enc_heavy.json",
  "mrqa/hyperdecoder_balanced.json",
  "summ_nli/hyperdecoder_balanced.json",
]);

// configs/demo.json is the embedded demo, not a paper config.
const files = (await trainingConfigFiles()).map((f) => relative(DIR, f)).filter((f) => f !== "demo.json");
const raw = new Map<string, Record<string, unknown>>();
for (const f of files) raw.set(f, JSON.parse(await Deno.readTextFile(join(DIR, f))));

// ---- closed forms of the trainable counts (the shapes of models/methods/names.ts, counted by hand) ----
const BACKBONE = { large: 783_150_080, base: 247_577_856, "v1.0-base": 222_903_552 } as const;
interface Shape {
  d: number;
  L: number;
}
const SHAPE: Record<keyof typeof BACKBONE, Shape> = {
  large: { d: 1024, L: 24 },
  base: { d: 768, L: 12 },
  "v1.0-base": { d: 768, L: 12 },
};
const adapter = (d: number, a: number) => 2 * d * a + a + d;
const generator = (L: number, d: number, a: number, b: number) =>
  L * 10 + ((d + 10) * b + b) + 2 * (b * d * a + d * a) + (b * d + d) + (b * a + a);
const mlp = (d: number) => 2 * (d * d + d);

/** Expected trainable parameters of each paper config, with where the number comes from. */
const EXPECTED: Record<string, { trainable: number; source: string }> = (() => {
  const L = SHAPE.large, B = SHAPE.base;
  const glue = (n: number, source = "closed form") => ({ trainable: n, source });
  const md = (n: number) => ({ trainable: n, source: "the authors' configs" });
  const taskGen = (s: Shape, a: number, b: number, tasks: number) => generator(s.L, s.d, a, b) + tasks * s.d;
  // Full fine-tuning of a stack (blocks and final norm) without the shared embedding or the LM head.
  const largeEncoder = 308_332_032, largeDecoder = 409_019_904;
  return {
    "glue/full_finetune.json": glue(BACKBONE.large),
    "glue/adapter.json": md(22_670_112),
    "glue/task_hypernet.json": md(21_125_612),
    "glue/hyperdecoder.json": md(22_452_400),
    "glue/polytropon.json": glue(2 * L.L * (8 * 4 + 2 * 4 * 16 * L.d)),
    "glue_t5_base/hyperdecoder.json": glue(B.L * adapter(B.d, 64) + generator(B.L, B.d, 64, 128) + mlp(B.d)),
    "glue_grid/none_manual.json": glue(largeEncoder + L.L * adapter(L.d, 64)),
    "glue_grid/none_task.json": glue(largeEncoder + taskGen(L, 64, 128, 8)),
    "glue_grid/none_generated.json": glue(largeEncoder + generator(L.L, L.d, 64, 128) + mlp(L.d)),
    "glue_grid/manual_none.json": glue(L.L * adapter(L.d, 64) + largeDecoder),
    "glue_grid/manual_task.json": glue(L.L * adapter(L.d, 50) + taskGen(L, 50, 100, 8)),
    "glue_grid/task_none.json": glue(taskGen(L, 64, 128, 8) + largeDecoder),
    "glue_grid/task_manual.json": glue(taskGen(L, 50, 100, 8) + L.L * adapter(L.d, 50)),
    "glue_grid/task_generated.json": glue(taskGen(L, 50, 100, 8) + generator(L.L, L.d, 50, 100) + mlp(L.d)),
    // A generated encoder keeps its first-pass learned adapters, its generator and its MLP.
    "glue_grid/generated_none.json": glue(
      L.L * adapter(L.d, 64) + generator(L.L, L.d, 64, 128) + mlp(L.d) + largeDecoder,
    ),
    "glue_grid/generated_manual.json": glue(
      L.L * adapter(L.d, 64) + generator(L.L, L.d, 64, 128) + mlp(L.d) + L.L * adapter(L.d, 64),
    ),
    "glue_grid/generated_task.json": glue(
      L.L * adapter(L.d, 50) + generator(L.L, L.d, 50, 100) + mlp(L.d) + taskGen(L, 50, 100, 8),
    ),
    "glue_grid/generated_generated.json": glue(
      L.L * adapter(L.d, 64) + 2 * (generator(L.L, L.d, 64, 100) + mlp(L.d)),
    ),
    "glue_grid/manual_generated_no_mlp.json": glue(22_452_400 - mlp(L.d)),
    "glue_grid/manual_generated_post_norm.json": md(22_452_400),
    "mrqa/full_finetune.json": glue(BACKBONE.base),
    "mrqa/adapter.json": md(14_810_520),
    "mrqa/hyperdecoder.json": md(14_785_236),
    "mrqa/task_hypernet.json": glue(2 * taskGen(B, 50, 100, 6)),
    "summ_nli/full_finetune.json": glue(BACKBONE.base),
    "summ_nli/adapter.json": md(13_666_992),
    "summ_nli/hyperdecoder.json": md(14_785_236),
    "summ_nli/task_hypernet.json": glue(2 * taskGen(B, 64, 128, 6)),
    "summ_nli/adapter_enc_heavy.json": glue(B.L * (adapter(B.d, 512) + adapter(B.d, 225))),
    "summ_nli/hyperdecoder_800_2_16.json": glue(
      B.L * adapter(B.d, 800) + generator(B.L, B.d, 2, 16) + mlp(B.d),
    ),
  };
})();

/** Runs `deno task params --config <file>` (in-process) and returns its exit code and printed text. */
async function runParams(args: string[]): Promise<{ code: number; out: string }> {
  const log = console.log;
  let out = "";
  console.log = (...a: unknown[]) => void (out += a.join(" ") + "\n");
  try {
    return { code: await params(args), out };
  } finally {
    console.log = log;
  }
}

Deno.test("paper configs: each names its table cell(s); the project's own comparisons are the documented few", () => {
  for (const [f, json] of raw) {
    const config = resolveConfig(json, f);
    const cells = paperCells(config);
    if (NOT_PAPER_ROWS.has(f)) assertEquals(cells, [], `${f}: not a paper row`);
    else assert(cells.length > 0, `${f}: needs a "paper" field naming its table row`);
    for (const c of cells) assert(Number(c.table) >= 1 && Number(c.table) <= 16, `${f}: table ${c.table}`);
  }
});

Deno.test("paper configs: every reported row has exactly one config", () => {
  const owner = new Map<string, string>();
  for (const [f, json] of raw) {
    for (const c of paperCells(resolveConfig(json, f))) {
      const key = `${c.table}|${c.row}|${c.column ?? ""}`;
      assert(!owner.has(key), `${key}: both ${owner.get(key)} and ${f}`);
      owner.set(key, f);
    }
  }
  const rows = (table: string) =>
    [...owner.keys()].filter((k) => k.startsWith(`${table}|`)).map((k) => k.split("|").slice(1).join("|")).sort();
  const main = ["Full Finetuning", "Hyperformer", "Single Adapter", "Polytropon", "Hyperdecoder"].map((r) => `${r}|`);
  assertEquals(rows("1"), [...main].sort());
  assertEquals(rows("2"), [...main].sort());
  assertEquals(rows("3"), ["Hyperdecoder|"]);
  for (const t of ["4", "5"]) assertEquals(rows(t), ["Adapter|", "Full Finetuning|", "Hyperdecoder|", "Hyperformer|"]);
  assertEquals(rows("6"), ["Adapter|", "Full Finetuning|", "Hyperdecoder|", "Hyperformer|"]);
  for (const t of ["14", "15", "16"]) {
    assertEquals(rows(t), [
      "Adapter (512/225)|",
      "Adapter|",
      "Full Finetuning|",
      "Hyperdecoder (800/2/16)|",
      "Hyperdecoder|",
      "Hyperformer|",
    ]);
  }
  const modes = ["none", "manual", "task", "generated"];
  const grid = modes.flatMap((e) => modes.map((d) => `${e}|${d}`));
  for (const t of ["8", "13"]) {
    assertEquals(rows(t), [...grid, "manual, no MLP|generated", "manual, post-norm|generated"].sort());
    // Each grid cell's config runs that cell's encoder/decoder modes.
    for (const [key, f] of owner) {
      const [table, row, column] = key.split("|");
      if (table !== t || !modes.includes(row)) continue;
      const method = raw.get(f)!.method as Record<string, unknown>;
      const preset = method.preset as string;
      const named: Record<string, string> = {
        "full-finetune": "none/none",
        adapter: "manual/manual",
        "task-hypernet": "task/task",
        hyperdecoder: "manual/generated",
      };
      assertEquals(named[preset] ?? preset, `${row}/${column}`, f);
    }
  }
});

Deno.test("paper configs: deno task params prints each config's trainable count and percentage", async () => {
  for (const [f, json] of raw) {
    if (NOT_PAPER_ROWS.has(f)) continue;
    const expected = EXPECTED[f];
    assert(expected, `${f}: no expected trainable count in this test`);
    const shape = (json.model as { shape: keyof typeof BACKBONE }).shape;
    const percent = (100 * expected.trainable / BACKBONE[shape]).toFixed(2);
    const { code, out } = await runParams(["--config", join(DIR, f)]);
    assertEquals(code, 0, `${f}: ${out}`);
    assertStringIncludes(
      out,
      `trainable: ${expected.trainable.toLocaleString("en-US")} = ${percent} % of the ${
        BACKBONE[shape].toLocaleString("en-US")
      }-parameter backbone`,
      `${f} (expected from ${expected.source})`,
    );
  }
  // The figures for the paper's main runs: 2.87 % (GLUE, T5-large 64/64/128) and 5.97 % (MRQA, T5-base 512/36/72).
  assertStringIncludes((await runParams(["--config", join(DIR, "glue/hyperdecoder.json")])).out, "= 2.87 %");
  assertStringIncludes((await runParams(["--config", join(DIR, "mrqa/hyperdecoder.json")])).out, "= 5.97 %");
});

Deno.test("paper configs: every row and column is one configs/paper_numbers.json lays out", async () => {
  const numbers = JSON.parse(await Deno.readTextFile(join(DIR, "paper_numbers.json")));
  for (const [f, json] of raw) {
    for (const c of paperCells(resolveConfig(json, f))) {
      const spec = numbers.tables[c.table];
      assert(spec, `${f}: table ${c.table} is not in paper_numbers.json`);
      assert(spec.rows.includes(c.row), `${f}: row "${c.row}" is not a row of table ${c.table} in paper_numbers.json`);
      if (c.column !== undefined) {
        assert(
          spec.columns.some((col: { label: string }) => col.label === c.column),
          `${f}: column "${c.column}" is not a column of table ${c.table} in paper_numbers.json`,
        );
      }
    }
  }
});

Deno.test('config schema: "paper" is a table cell or a list of them; bad cells are named', () => {
  const base = JSON.parse(JSON.stringify(raw.get("glue/hyperdecoder.json")));
  const withPaper = (paper: unknown) => ({ ...base, paper });
  assertEquals(paperCells(resolveConfig(withPaper({ table: "8", row: "manual", column: "generated" }))), [
    { table: "8", row: "manual", column: "generated" },
  ]);
  assertEquals(paperCells(resolveConfig(withPaper([{ table: "4", row: "A" }, { table: "5", row: "A" }]))).length, 2);
  const { paper: _, ...none } = base;
  assertEquals(paperCells(resolveConfig(none)), []);
  assertThrows(() => resolveConfig(withPaper({ table: 8, row: "x" }), "c.json"), Error, '"paper.table"');
  assertThrows(() => resolveConfig(withPaper({ table: "8" }), "c.json"), Error, '"paper.row"');
  assertThrows(() => resolveConfig(withPaper([{ table: "8", row: "x", cell: 1 }]), "c.json"), Error, '"paper[0].cell"');
  assertThrows(() => resolveConfig(withPaper([]), "c.json"), Error, '"paper"');
});
