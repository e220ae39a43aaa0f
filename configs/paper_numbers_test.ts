/**
 * configs/paper_numbers.json against the paper configs: every table cell a config names (its `paper` field) is a row
 * (and, where the table lists columns, a column) of that table in the data file, so that `deno task report` places
 * each run in a row the paper prints; every published number names its page.
 */
import { assert, assertEquals } from "@std/assert";
import { join, relative } from "@std/path";
import { paperCells, resolveConfig } from "../train/config.ts";
import { readPaperNumbers } from "../eval/paper_table.ts";
import { trainingConfigFiles } from "./config_files.ts";

const DIR = new URL(".", import.meta.url).pathname;

Deno.test("paper_numbers.json: every cell a config names is a row (and column) of its table", async () => {
  const numbers = await readPaperNumbers(join(DIR, "paper_numbers.json"));
  let named = 0;
  for (const file of await trainingConfigFiles()) {
    const json = JSON.parse(await Deno.readTextFile(file));
    if (json.paper === undefined) continue;
    const config = resolveConfig(json, file);
    for (const cell of paperCells(config)) {
      const where = `${relative(DIR, file)}: table ${cell.table}, row "${cell.row}"`;
      const table = numbers.tables[cell.table];
      assert(table, `${where}: no table ${cell.table} in paper_numbers.json`);
      assert(table.rows.includes(cell.row), `${where}: not a row of table ${cell.table} (${table.rows.join(" | ")})`);
      if (cell.column && table.columns.length > 0) {
        assert(table.columns.some((c) => c.label === cell.column), `${where}: column "${cell.column}" unknown`);
      }
      named++;
    }
  }
  assert(named > 30, `only ${named} cells named by configs`);
  for (const [n, t] of Object.entries(numbers.tables)) {
    for (const c of t.cells) {
      assert(t.rows.includes(c.row), `table ${n}: published cell of unknown row "${c.row}"`);
      assertEquals(typeof c.page === "number" || typeof c.page === "string", true);
    }
  }
});
