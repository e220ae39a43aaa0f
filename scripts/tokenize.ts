/**
 * Tokenize text with a T5 SentencePiece tokenizer and print ids and pieces.
 *
 * Usage: `deno task tokenize --model <spiece.model|tokenizer.json|dir> [--json] [--raw] [--] <text...>`
 *
 * - the text is the positional arguments joined by spaces (standard input when there are none);
 * - `--raw` gives SentencePiece ids (no `</s>`, special tokens in the text not recognised);
 * - `--json` makes the last line of stdout `{"ids": [...], "pieces": [...]}`;
 * - `--` ends the options (so text may start with `-`).
 *
 * @module
 */
import { parseCommand } from "./command_line.ts";
import { loadTokenizer } from "../data/tokenizer/mod.ts";

const USAGE = "usage: deno task tokenize --model <spiece.model|tokenizer.json|dir> [--json] [--raw] [--] <text...>";

/** Run the CLI with `args`; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseCommand(args, {
      string: ["model"],
      boolean: ["json", "raw"],
      alias: { m: "model" },
      positionals: true,
    });
  } catch (e) {
    console.error(`tokenize: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (parsed.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.model) {
    console.error(`tokenize: --model is required.\n${USAGE}`);
    return 2;
  }
  let text: string;
  if (positionals.length > 0) {
    text = positionals.join(" ");
  } else {
    text = await new Response(Deno.stdin.readable).text();
    if (text.endsWith("\n")) text = text.slice(0, -1);
  }
  let tok;
  try {
    tok = await loadTokenizer(values.model);
  } catch (e) {
    console.error(`tokenize: ${(e as Error).message}`);
    return 1;
  }
  const { ids, pieces } = tok.encodeWithPieces(text, { raw: values.raw });
  if (values.json) {
    console.log(JSON.stringify({ ids, pieces }));
  } else {
    console.log(`ids (${ids.length}): ${ids.join(" ")}`);
    console.log(`pieces: ${pieces.map((p) => JSON.stringify(p)).join(" ")}`);
    console.log(`decoded: ${JSON.stringify(tok.decode(ids, { raw: values.raw }))}`);
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
