/**
 * Prints a method's parameter counts per component: trainable, total and trainable percentage, then the trainable
 * share of the backbone (as method.md §5.3 reports it). Counts come from the shapes alone: no GPU, no weights.
 *
 * Usage: `deno task params --config <run.json> [--json]`
 *
 * The run config is `{"model": {"preset": "large"} | {"dir": "<checkpoint folder>"} | {"config": {...}},
 * "method": {...}}` (schema in models/methods/report.ts and models/methods/config.ts); a `dir` is relative to the run
 * config's folder. `--json` prints the counts as JSON instead of the table.
 *
 * @module
 */
import { dirname, isAbsolute, join } from "node:path";
import { parseArgs } from "node:util";
import { countParameters } from "../models/methods/parameters.ts";
import { formatParameterCounts, inlineT5Config, parseParamsRunConfig } from "../models/methods/report.ts";
import { readT5Config } from "../models/t5/load_dir.ts";

const USAGE = "usage: deno task params --config <run.json> [--json]";

/** Runs the CLI with `args`; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        config: { type: "string", short: "c" },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
    }));
  } catch (e) {
    console.error(`params: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.config) {
    console.error(`params: --config is required.\n${USAGE}`);
    return 2;
  }
  const path = values.config;
  try {
    let json: unknown;
    try {
      json = JSON.parse(await Deno.readTextFile(path));
    } catch (e) {
      throw new Error(`${path}: cannot read the run config (${(e as Error).message})`);
    }
    const run = parseParamsRunConfig(json, path);
    let t5 = inlineT5Config(run.model, path);
    let backbone = "preset" in run.model ? `T5 v1.1 ${run.model.preset}` : "inline config";
    if (!t5 && "dir" in run.model) {
      const dir = isAbsolute(run.model.dir) ? run.model.dir : join(dirname(path), run.model.dir);
      t5 = await readT5Config(dir);
      backbone = dir;
    }
    const counts = countParameters(t5!, run.method);
    if (values.json) {
      console.log(JSON.stringify({ model: backbone, method: run.method, ...counts }, null, 2));
    } else {
      const m = run.method;
      const title = `${backbone}; method ${m.preset ?? "custom"}: encoder ${m.encoder}, decoder ${m.decoder}`;
      console.log(formatParameterCounts(counts, title));
    }
    return 0;
  } catch (e) {
    console.error(`params: ${(e as Error).message}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
