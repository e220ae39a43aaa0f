/**
 * File adapter: loads a tokenizer from disk (the only part of the tokenizer that uses `Deno.*`).
 */
import { Tokenizer } from "./tokenizer.ts";

/** Options of {@linkcode loadTokenizer}. */
export interface LoadTokenizerOptions {
  /** Number of `<extra_id_N>` sentinels when loading a bare `spiece.model` (default: `extra_ids` of a
   * `tokenizer_config.json` beside it, else 100 as T5). */
  extraIds?: number;
}

async function readJsonIfExists(path: string): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message}).`);
  }
}

function dirname(p: string): string {
  const i = Math.max(p.lastIndexOf("/"), p.lastIndexOf("\\"));
  return i < 0 ? "." : i === 0 ? "/" : p.slice(0, i);
}

/**
 * Load a T5 tokenizer from `spiece.model`, `tokenizer.json`, or a folder holding either (`tokenizer.json`
 * preferred, as transformers' fast tokenizer does). A `tokenizer_config.json` beside it is read for
 * `clean_up_tokenization_spaces`, `eos_token`, `pad_token` and `extra_ids`.
 *
 * @example
 * ```ts
 * const tok = await loadTokenizer("path/to/t5-small");
 * tok.encode("Hello world."); // [..., 1]
 * ```
 */
export async function loadTokenizer(pathOrDir: string | URL, opts: LoadTokenizerOptions = {}): Promise<Tokenizer> {
  let path = pathOrDir instanceof URL ? decodeURIComponent(pathOrDir.pathname) : pathOrDir;
  let stat: Deno.FileInfo;
  try {
    stat = await Deno.stat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new Error(`loadTokenizer: ${path} does not exist (give spiece.model, tokenizer.json or their folder).`);
    }
    throw e;
  }
  if (stat.isDirectory) {
    const dir = path.replace(/[\\/]+$/, "");
    const candidates = [`${dir}/tokenizer.json`, `${dir}/spiece.model`];
    const found = [];
    for (const c of candidates) {
      try {
        if ((await Deno.stat(c)).isFile) found.push(c);
      } catch { /* absent */ }
    }
    if (found.length === 0) throw new Error(`loadTokenizer: ${dir} has neither tokenizer.json nor spiece.model.`);
    path = found[0];
  }
  const config = await readJsonIfExists(`${dirname(path)}/tokenizer_config.json`);
  if (path.endsWith(".json")) {
    return Tokenizer.fromTokenizerJson(await Deno.readTextFile(path), { source: path, config });
  }
  const extra = opts.extraIds ?? (typeof config?.extra_ids === "number" ? config.extra_ids : 100);
  return Tokenizer.fromSpieceModel(await Deno.readFile(path), { source: path, extraIds: extra });
}
