/**
 * `deno task data`: prepare datasets into gzip'd JSONL shards, write the demo mixture, print statistics.
 *
 *   deno task data prepare --task <name> --input [<split>=]<path|url|dir> [--input …] --out <dir> [options]
 *   deno task data demo --out <dir> [--tokenizer <path>] [--seed 42]
 *   deno task data stats <dir> [<dir> …] [--tokenizer <path>]
 *
 * @module
 */
import { parseCommand } from "./command_line.ts";
import { writeDemoMixture } from "../data/demo_prepare.ts";
import { tokenizerInfo } from "../data/fs.ts";
import { expandInputs, inferFormat, prepareDataset, type PrepareInput } from "../data/prepare.ts";
import { datasetStats } from "../data/stats.ts";
import { expandHubInputs, isHubRef } from "@hyperdecoders/data/hub";
import { TASKS } from "../data/tasks.ts";
import { loadTokenizer } from "../data/tokenizer/mod.ts";
import { fixturePath } from "../tests/fixtures.ts";

const USAGE = `Usage:
  deno task data prepare --task <name> --input [<split>=]<path|url|dir|hf://datasets/...> [--input ...] --out <dir>
      [--tokenizer <path>] [--skip-bad] [--seed 42] [--drop-one] [--mnli-test matched|mismatched]
      [--stsb-rounding paper|code] [--max-shard-mb 16]
  deno task data demo --out <dir> [--tokenizer <path>] [--seed 42]
  deno task data stats <dir> [<dir> ...] [--tokenizer <path>]

Tasks: ${[...TASKS.keys()].filter((t) => !t.startsWith("demo_")).join(", ")}, demo.
A <split> is train, validation, test, validation_matched or validation_mismatched; without it the split is read from
the file name (train.tsv, dev.tsv, dev_matched.tsv, validation-00000-of-00001.parquet, ...). A directory is searched
for such files. hf://datasets/<org>/<name>[@<revision>]/<path-or-glob> reads files of a Hugging Face Hub dataset, e.g.
hf://datasets/nyu-mll/glue/cola/*.parquet (cached in HF_HUB_CACHE; HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE apply).
MRQA needs --tokenizer (chunking is in tokens).`;

function fail(message: string): never {
  console.error(`error: ${message}\n\n${USAGE}`);
  Deno.exit(2);
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  let parsed;
  try {
    parsed = parseCommand(rest, {
      string: ["task", "out", "tokenizer", "seed", "mnli-test", "stsb-rounding", "max-shard-mb"],
      collect: ["input"],
      boolean: ["skip-bad", "drop-one"],
      positionals: true,
    });
  } catch (e) {
    fail((e as Error).message);
  }
  const { values, positionals } = parsed;
  if (parsed.help || command === undefined || command === "help" || command === "--help" || command === "-h") {
    console.log(USAGE);
    return;
  }
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  if (seed !== undefined && !Number.isInteger(seed)) fail(`--seed must be an integer`);
  const maxShardBytes = values["max-shard-mb"] === undefined
    ? undefined
    : Math.round(Number(values["max-shard-mb"]) * 1024 * 1024);
  if (maxShardBytes !== undefined && !(maxShardBytes > 0)) fail(`--max-shard-mb must be a positive number`);

  if (command === "demo" || (command === "prepare" && values.task === "demo")) {
    if (!values.out) fail("--out is required");
    const tokenizer = values.tokenizer ?? fixturePath("spm-2k");
    const r = await writeDemoMixture({ out: values.out, tokenizer, seed, maxShardBytes });
    for (const e of r.entries) console.log(`${e.task}\t${e.split}\t${e.count}`);
    console.log(`wrote ${r.manifestPath}`);
    return;
  }
  if (command === "prepare") {
    if (!values.task) fail("--task is required");
    if (!values.out) fail("--out is required");
    if (!values.input?.length) fail("--input is required");
    if (!TASKS.has(values.task)) fail(`unknown task "${values.task}"`);
    const mnliTest = values["mnli-test"];
    if (mnliTest !== undefined && mnliTest !== "matched" && mnliTest !== "mismatched") {
      fail(`--mnli-test must be matched or mismatched`);
    }
    const rounding = values["stsb-rounding"];
    if (rounding !== undefined && rounding !== "paper" && rounding !== "code") {
      fail(`--stsb-rounding must be paper or code`);
    }
    const inputs: PrepareInput[] = [];
    for (const spec of values.input) {
      const m = /^([a-z_]+)=(.+)$/.exec(spec);
      if (m && !/^https?$/i.test(m[1]) && isHubRef(m[2])) {
        inputs.push(...(await expandHubInputs(m[2], values.task)).map((i) => ({ ...i, split: m[1] })));
      } else if (isHubRef(spec)) {
        inputs.push(...await expandHubInputs(spec, values.task));
      } else if (m && !/^https?$/i.test(m[1])) {
        inputs.push({ split: m[1], location: m[2], format: inferFormat(m[2], values.task) });
      } else {
        inputs.push(...await expandInputs(spec, values.task));
      }
    }
    const tokenizer = values.tokenizer ? await loadTokenizer(values.tokenizer) : undefined;
    const started = performance.now();
    const r = await prepareDataset({
      task: values.task,
      inputs,
      out: values.out,
      split: { seed, dropOne: values["drop-one"], mnliTest },
      stsbRounding: rounding,
      skipBad: values["skip-bad"],
      maxShardBytes,
      tokenizer,
      tokenizerInfo: values.tokenizer ? await tokenizerInfo(values.tokenizer) : undefined,
      log: (m) => console.error(m),
    });
    for (const e of r.entries) console.log(`${e.task}\t${e.split}\t${e.count}\t${e.shards.length} shard(s)`);
    if (r.skipped.total > 0) {
      console.log(`skipped ${r.skipped.total} malformed record(s):`);
      for (const [file, n] of r.skipped.byFile) console.log(`  ${file}: ${n}`);
      for (const m of r.skipped.examples) console.log(`  e.g. ${m}`);
    }
    console.log(`wrote ${r.manifestPath} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return;
  }
  if (command === "stats") {
    if (positionals.length === 0) fail("stats needs at least one dataset directory");
    const tokenizer = values.tokenizer ? await loadTokenizer(values.tokenizer) : undefined;
    const table = await datasetStats(positionals, { tokenizer });
    console.log(`lengths in ${tokenizer ? "tokens" : "characters"}`);
    table.print({ limit: Infinity });
    return;
  }
  fail(`unknown command "${command}"`);
}

if (import.meta.main) {
  try {
    await main(Deno.args);
  } catch (e) {
    console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
    Deno.exit(1);
  }
}
