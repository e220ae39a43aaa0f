/**
 * Sweep files: the product of the axes, explicit cells crossed with the axes, seeds, folder names, and errors that
 * name the sweep file and the key's place in it.
 */
import { assertEquals, assertMatch, assertThrows } from "@std/assert";
import { cellName, expandSweep, parseSweepSpec, SLURM_DEFAULTS } from "./spec.ts";
import { tinyConfig } from "../../tests/tiny_run.ts";

const BASE = tinyConfig("/data/demo", "/runs/unused") as unknown as Record<string, unknown>;

function expand(sweep: Record<string, unknown>) {
  const spec = parseSweepSpec({ base: "base.json", out: "runs/sw", ...sweep }, "/cfg/sweep.json");
  return expandSweep(spec, BASE, "/cfg/sweep.json");
}

Deno.test("sweep: the axes' product, last axis fastest, each cell with its own folder and resolved config", () => {
  const cells = expand({
    overrides: { "train.steps": 7 },
    axes: { "method.preset": ["hyperdecoder", "adapter"], "train.seed": [1, 2, 3] },
  });
  assertEquals(cells.length, 6);
  assertEquals(cells.map((c) => c.name), [
    "preset=hyperdecoder,seed=1",
    "preset=hyperdecoder,seed=2",
    "preset=hyperdecoder,seed=3",
    "preset=adapter,seed=1",
    "preset=adapter,seed=2",
    "preset=adapter,seed=3",
  ]);
  assertEquals(cells.map((c) => c.index), [0, 1, 2, 3, 4, 5]);
  for (const c of cells) {
    assertEquals(c.config.method.preset, c.overrides["method.preset"]);
    assertEquals(c.config.train.seed, c.overrides["train.seed"]);
    assertEquals(c.config.train.steps, 7);
    // What the base config set and no cell changes stays.
    assertEquals(c.config.method.encoderAdapterDim, 8);
    assertEquals(c.config.output.dir, `runs/sw/runs/${c.name}`);
    assertEquals(c.dir, c.config.output.dir);
  }
});

Deno.test("sweep: explicit cells are crossed with the axes; lists and nested paths are values like any other", () => {
  const cells = expand({
    cells: [
      { "data.tasks": ["demo_label"], "optim.lr": 0.01 },
      { "data.tasks": ["demo_label", "demo_count"], "model.overrides.d_ff": 16 },
    ],
    axes: { "train.seed": [5, 6] },
  });
  assertEquals(cells.map((c) => c.name), [
    "tasks=demo_label,lr=0.01,seed=5",
    "tasks=demo_label,lr=0.01,seed=6",
    "tasks=demo_label+demo_count,d_ff=16,seed=5",
    "tasks=demo_label+demo_count,d_ff=16,seed=6",
  ]);
  assertEquals(cells[0].config.data.tasks, ["demo_label"]);
  assertEquals(cells[0].config.optim.lr, 0.01);
  assertEquals(cells[2].config.optim.lr, 1e-3);
  assertEquals(cells[3].config.data.tasks, ["demo_label", "demo_count"]);
  assertEquals(cells[3].config.model.overrides, { num_layers: 1, d_ff: 16 });
  assertEquals(cells[3].config.train.seed, 6);
});

Deno.test("sweep: a string that reads as JSON stays a string; explicit cells alone need no axes", () => {
  const cells = expand({ cells: [{ "eval.split": "validation" }, { "eval.split": "test" }] });
  assertEquals(cells.map((c) => c.config.eval.split), ["validation", "test"]);
  assertEquals(cells.map((c) => c.name), ["split=validation", "split=test"]);
});

Deno.test("sweep: folder names use the full path when two settings share a last part, and stay file-name safe", () => {
  assertEquals(cellName({ "model.seed": 1, "train.seed": 2 }), "model.seed=1,train.seed=2");
  assertEquals(cellName({ "method.preset": "none/manual" }), "preset=none_manual");
  assertEquals(cellName({}), "run");
});

Deno.test("sweep: invalid axes and cells are named with their place in the sweep file", () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ axes: { "modell.seed": [1] } }, /\/cfg\/sweep\.json: axes\["modell\.seed"\]: unknown setting "modell"/],
    [
      { axes: { "optim.lrr": [1] } },
      /\/cfg\/sweep\.json: axes\["optim\.lrr"\]: unknown setting "optim\.lrr" \(did you mean "lr"\?\)/,
    ],
    [{ cells: [{}, { "train.sed": 1 }] }, /cells\[1\]\["train\.sed"\]: unknown setting "train\.sed"/],
    [{ axes: { "optim.lr": [0.1, -1] } }, /\(cell lr=-1\): "optim\.lr" must be > 0 \(set by axes\["optim\.lr"\]\)/],
    [
      { axes: { "train.seed": [1] }, overrides: { "train.batchSize": 0 } },
      /"train\.batchSize" must be a positive integer \(set by overrides\["train\.batchSize"\]\)/,
    ],
    [{ axes: { "method.preset": ["hyperdecoder", "bogus"] } }, /preset "bogus".*\(set by axes\["method\.preset"\]\)/],
    [{ axes: { "train.seed": [] } }, /axes\["train\.seed"\] must be a non-empty list/],
    [{ axes: { "train.seed": 3 } }, /axes\["train\.seed"\] must be a non-empty list/],
    [{ axes: { "output.dir": ["a", "b"] } }, /axes\["output\.dir"\] is set by the sweep/],
    [{ axes: { seed: [1] } }, /axes\["seed"\] is not a "section\.field" path/],
    [{ axes: { "train.seed": [1] }, cells: [{ "train.seed": 2 }] }, /cells\[0\]\["train\.seed"\] is also an axis/],
    [{ axes: { "train.seed": [1] }, overrides: { "train.seed": 2 } }, /axes\["train\.seed"\] is also in overrides/],
    [{}, /"axes" and "cells" are both empty/],
    [{ axes: { "train.seed": [1] }, slurm: { gress: "gpu:1" } }, /slurm\.gress is not a setting/],
    [{ axes: { "train.seed": [1] }, slurm: { cpusPerTask: 0 } }, /slurm\.cpusPerTask must be ≥ 1/],
    [{ axes: { "train.seed": [1] }, extra: 1 }, /"extra" is not a sweep setting/],
  ];
  for (const [sweep, pattern] of cases) {
    const error = assertThrows(() => expand(sweep));
    assertMatch((error as Error).message, pattern, JSON.stringify(sweep));
  }
});

Deno.test("sweep: a paper place per cell, with method settings as the preset resolves them", () => {
  const cells = expand({
    axes: { "method.preset": ["none/manual", "task/generated"], "train.seed": [3] },
    paper: { table: 8, row: "{method.encoder}", column: "{method.decoder}" },
  });
  assertEquals(cells.map((c) => c.paper), [
    { table: "8", row: "none", column: "manual" },
    { table: "8", row: "task", column: "generated" },
  ]);
  const error = assertThrows(() => expand({ axes: { "train.seed": [1] }, paper: { table: "1", row: "{train.sede}" } }));
  assertMatch((error as Error).message, /"paper": \{train\.sede\} is not a setting/);
});

Deno.test("sweep: the base path is relative to the sweep file; slurm settings default and can drop the gres", () => {
  const spec = parseSweepSpec(
    { base: "../demo.json", out: "runs/x", axes: { "train.seed": [1] }, slurm: { gres: null, time: "00:05:00" } },
    "configs/sweeps/x.json",
  );
  assertMatch(spec.base, /\/configs\/demo\.json$/);
  assertEquals(spec.slurm, { ...SLURM_DEFAULTS, gres: null, time: "00:05:00" });
  assertEquals(SLURM_DEFAULTS.gres, "gpu:1");
  assertEquals(SLURM_DEFAULTS.signal, "B:TERM@120");
});
