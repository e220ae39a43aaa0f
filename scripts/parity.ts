/**
 * `deno task parity <model_dir | hf:org/name[@rev]> [--reference <file>] [--grads <file>] [--weights <file>]`: compares
 * T5 on this engine with a Hugging Face reference dump and prints one JSON line last; exit code 1 when not ok. A Hub
 * reference is fetched into the Hub cache first (with the repository's reference dumps where it has them).
 * Reference dumps for any checkpoint are written by `scripts/make_reference.py` (needs PyTorch + transformers).
 * @module
 */
import { parseCommandOrExit } from "./command_line.ts";
import { initEngine } from "@hyperdecoders/core";
import { resolveHubPath } from "@hyperdecoders/data/hub";
import { t5Parity } from "../models/t5/parity.ts";

const USAGE =
  "usage: deno task parity <model_dir | hf:org/name[@rev]> [--reference <file>] [--grads <file>] [--weights <file>]";
const { values, positionals } = parseCommandOrExit("parity", USAGE, Deno.args, {
  string: ["reference", "grads", "weights"],
  positionals: true,
});
if (positionals.length !== 1) {
  console.error(`parity: expected one model folder or hf: reference, got ${positionals.length}\n${USAGE}`);
  Deno.exit(2);
}
try {
  const { path } = await resolveHubPath(positionals[0], "model", {
    optional: ["reference_io.safetensors", "reference_grads.safetensors", "reference.json"],
  });
  await initEngine();
  const report = await t5Parity(path, {
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
