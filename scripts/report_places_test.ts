/**
 * A run several tables report (MRQA's Tables 4 and 5, GLUE's Tables 1, 2 and 8) names one cell per table in its
 * config's "paper" list; `deno task report --table N` places it by the entry for table N.
 */
import { assert, assertStringIncludes } from "@std/assert";
import { join } from "@std/path";
import { report } from "./report.ts";

Deno.test("report: a run whose config lists several tables' cells fills each table's own cell", async () => {
  const root = await Deno.makeTempDir();
  try {
    const numbers = join(root, "numbers.json");
    await Deno.writeTextFile(
      numbers,
      JSON.stringify({
        tables: {
          "1": {
            about: "GLUE",
            page: null,
            rows: ["Hyperdecoder"],
            columns: [{ label: "Avg", average: true }],
            cells: [],
          },
          "8": {
            about: "grid",
            page: null,
            rows: ["manual"],
            columns: [{ label: "generated" }],
            runValue: "average",
            cells: [],
          },
        },
      }),
    );
    const dir = join(root, "hd");
    await Deno.mkdir(dir);
    const paper = [{ table: "1", row: "Hyperdecoder" }, { table: "8", row: "manual", column: "generated" }];
    await Deno.writeTextFile(join(dir, "config.json"), JSON.stringify({ paper, train: { seed: 1 } }));
    const test = { average: 81.5, tasks: {} };
    await Deno.writeTextFile(
      join(dir, "results.json"),
      JSON.stringify({ step: 1, best: null, splits: { validation: test, test } }),
    );
    const skipped: string[] = [];
    for (const table of ["1", "8"]) {
      const md = await report({ table, runs: [dir], out: join(root, "out"), numbers }, (m) => skipped.push(m));
      assertStringIncludes(md, "81.5", `table ${table}`);
    }
    assert(skipped.length === 0, skipped.join("\n"));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
