import { assert, assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { join } from "@std/path";
import { parseReportCli, report } from "./report.ts";

interface FakeRun {
  dir: string;
  paper?: Record<string, string> | Record<string, string>[];
  seed?: number;
  test?: { average: number; tasks: Record<string, Record<string, number>> };
}

async function writeRun(root: string, run: FakeRun): Promise<string> {
  const dir = join(root, run.dir);
  await Deno.mkdir(dir, { recursive: true });
  const config: Record<string, unknown> = { train: { seed: run.seed ?? 42 }, eval: { split: "validation" } };
  if (run.paper) config.paper = run.paper;
  await Deno.writeTextFile(join(dir, "config.json"), JSON.stringify(config));
  if (run.test) {
    const splits = { validation: { average: run.test.average - 10, tasks: { squad: { f1: 7 } } }, test: run.test };
    await Deno.writeTextFile(join(dir, "results.json"), JSON.stringify({ step: 10, best: null, splits }));
  }
  return dir;
}

const NUMBERS = {
  tables: {
    "8": {
      about: "grid",
      page: 7,
      rows: ["none", "manual", "task"],
      columns: [{ label: "manual" }, { label: "generated" }],
      runValue: "average",
      cells: [{ row: "manual", column: "generated", value: 80, page: 7 }],
    },
    "4": { about: "MRQA in-domain", page: null, rows: ["Hyperdecoder"], columns: [], cells: [], split: "validation" },
    "1": {
      about: "GLUE",
      page: 5,
      rows: ["Adapter", "Hyperdecoder"],
      columns: [{ label: "SST-2", task: "sst2" }, { label: "MRPC", task: "mrpc", metric: "f1" }, {
        label: "Avg",
        average: true,
      }],
      cells: [],
    },
  },
};

Deno.test("report: seeds average into mean ± sd, a row with no run says so, the paper's number and Δ sit beside", async () => {
  const root = await Deno.makeTempDir();
  try {
    const numbers = join(root, "numbers.json");
    await Deno.writeTextFile(numbers, JSON.stringify(NUMBERS));
    const runs = [
      await writeRun(root, {
        dir: "a",
        paper: { table: "8", row: "manual", column: "generated" },
        seed: 1,
        test: { average: 70, tasks: {} },
      }),
      await writeRun(root, {
        dir: "b",
        paper: { table: "8", row: "manual", column: "generated" },
        seed: 2,
        test: { average: 74, tasks: {} },
      }),
      await writeRun(root, {
        dir: "c",
        paper: [{ table: "1", row: "Adapter" }, { table: "8", row: "none", column: "manual" }],
        test: { average: 50, tasks: {} },
      }),
      await writeRun(root, { dir: "other", paper: { table: "1", row: "Adapter" }, test: { average: 1, tasks: {} } }),
      await writeRun(root, { dir: "unfinished", paper: { table: "8", row: "task", column: "manual" } }),
      await writeRun(root, { dir: "untagged", test: { average: 1, tasks: {} } }),
    ];
    await Deno.writeTextFile(join(root, "a.log"), "a log file beside the runs");
    const skipped: string[] = [];
    const md = await report(
      { table: "8", runs: [...runs, join(root, "a.log")], out: join(root, "out"), numbers },
      (m) => skipped.push(m),
    );
    // manual/generated: mean 72, sample sd 2.83, paper 80 → Δ −8.0
    assertStringIncludes(md, "72.0 ± 2.8 · paper 80.0 (Δ -8.0)");
    assertStringIncludes(md, "50.0 · paper –");
    assertStringIncludes(md, "|task|0|no run|no run|");
    assertStringIncludes(md, 'No run for: "task".');
    assertStringIncludes(md, "Paper: Table 8, page 7");
    assertEquals(skipped.length, 3, skipped.join("\n"));
    assert(skipped.some((s) => s.includes("unfinished") && s.includes("no results.json")));
    assert(skipped.some((s) => s.includes("untagged") && s.includes('no "paper"')));
    assert(skipped.some((s) => s.includes("other") && s.includes("table 1")));
    const svg = await Deno.readTextFile(join(root, "out", "table8.svg"));
    assertStringIncludes(svg, "<svg");
    assertStringIncludes(svg, "no run");
    assertEquals(await Deno.readTextFile(join(root, "out", "table8.md")), md);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("report: a run without a column fills its row from per-task scores (a metric, or the mean of metrics)", async () => {
  const root = await Deno.makeTempDir();
  try {
    const numbers = join(root, "numbers.json");
    await Deno.writeTextFile(numbers, JSON.stringify(NUMBERS));
    const tasks = { sst2: { accuracy: 90 }, mrpc: { f1: 88, accuracy: 84 } };
    const dir = await writeRun(root, {
      dir: "hd",
      paper: { table: "1", row: "hyperdecoder" },
      test: { average: 87, tasks },
    });
    const md = await report({ table: "1", runs: [dir], out: root, numbers }, () => {});
    const line = md.split("\n").find((l) => l.startsWith("|Hyperdecoder"))!;
    assertEquals(line, "|Hyperdecoder|1|90.0|88.0|87.0|");
    assertStringIncludes(md, "|Adapter|0|no run|no run|no run|");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("report: the command line takes a shell glob after --runs and rejects what it does not know", () => {
  const cli = parseReportCli(["--table", "8", "--runs", "r/a", "r/b", "r/c", "--split", "validation"]);
  assertEquals(cli.runs, ["r/a", "r/b", "r/c"]);
  assertEquals(cli.split, "validation");
  assertThrows(() => parseReportCli(["--runs", "r/a"]), Error, "--table is required");
  assertThrows(() => parseReportCli(["--table", "8"]), Error, "--runs needs");
  assertThrows(() => parseReportCli(["--table", "8", "--runs", "a", "--bogus"]), Error, "unknown option");
});

Deno.test("report: a table that reports another split (Table 4: validation) reads that split", async () => {
  const root = await Deno.makeTempDir();
  try {
    const numbers = join(root, "numbers.json");
    await Deno.writeTextFile(numbers, JSON.stringify(NUMBERS));
    const dir = await writeRun(root, {
      dir: "m",
      paper: { table: "4", row: "Hyperdecoder" },
      test: { average: 60, tasks: {} },
    });
    const md = await report({ table: "4", runs: [dir], out: root, numbers }, () => {});
    assertStringIncludes(md, "|Hyperdecoder|1|7.0|50.0|");
    assertStringIncludes(md, "from the validation split");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
