/**
 * `deno task parity <model_dir> [--reference <file>] [--grads <file>] [--weights <file>]`: compares T5 on this engine
 * with a Hugging Face reference dump and prints one JSON line last; exit code 1 when not ok.
 * Reference dumps for any checkpoint are written by `scripts/make_reference.py` (needs PyTorch + transformers).
 * @module
 */
import { parseCommandOrExit } from "./command_line.ts";
import { initEngine } from "@hyperdecoders/core";
import { t5Parity } from "../models/t5/parity.ts";

const USAGE = "usage: deno task parity <model_dir> [--reference <file>] [--grads <file>] [--weights <file>]";
const { values, positionals } = parseCommandOrExit("parity", USAGE, Deno.args, {
  string: ["reference", "grads", "weights"],
  positionals: true,
});
if (positionals.length !== 1) {
  console.error(`parity: expected one model folder, got ${positionals.length}\n${USAGE}`);
  Deno.exit(2);
}
await initEngine();
try {
  const report = await t5Parity(positionals[0], {
    reference: values.reference,
    grads: values.grads,
    weights: values.weights,
  });
  console.log(JSON.stringify(report));
  Deno.exit(report.ok ? 0 : 1);
} catch (error) {
  console.error(`parity: ${(error as Error).message}`);
  Deno.exit(1);
}
