/**
 * Tokenizer throughput benchmark: this tokenizer (T5 mode and raw SentencePiece mode) against
 * `@huggingface/tokenizers` (npm) on the same `tokenizer.json` (fixtures/spm-2k), on the same strings, with the count
 * of strings whose ids differ. Called by `scripts/bench.ts`; runnable alone:
 * `deno run -A data/tokenizer/bench.ts [megabytes]`.
 *
 * The text is synthetic but shaped like prose: lines of 10–80 words drawn from a Zipf distribution over 60,000 word
 * types (vocabulary pieces and made-up syllable words), with capitals, punctuation, numbers, and ~3% non-ASCII words
 * (accents, full-width, CJK, emoji), generated from a fixed seed so every run tokenizes the same bytes.
 *
 * @module
 */
import { Tokenizer as HfTokenizer } from "@huggingface/tokenizers";
import { fixturePath } from "../../tests/fixtures.ts";
import { Tokenizer } from "./tokenizer.ts";
import { mulberry32 } from "../rng.ts";

/** Options of {@linkcode benchTokenizer}. */
export interface BenchTokenizerOptions {
  /** Size of the text in MB (10^6 UTF-8 bytes); default 5. */
  megabytes?: number;
  /** Also time `@huggingface/tokenizers` and count differing strings (default true). */
  compare?: boolean;
}

/** Deterministic prose-like lines totalling at least `bytes` UTF-8 bytes. */
export function syntheticText(bytes: number, pieces: readonly string[], seed = 12345): string[] {
  const r = mulberry32(seed);
  const fromVocab = pieces.map((p) => p.replace(/^\u2581/, "")).filter((p) => /^[a-z]{2,}$/.test(p));
  const syll = ["ka", "to", "ri", "en", "an", "ver", "sta", "ing", "tion", "mo", "ple", "con", "de", "al", "is", "ter"];
  const exotic = [
    "café",
    "naïve",
    "Zürich",
    "São",
    "résumé",
    "ＡＢＣ",
    "１２３",
    "ﬁne",
    "日本語",
    "中文",
    "🤗",
    "—",
    "“quoted”",
  ];
  const types: string[] = [];
  for (let i = 0; i < 60_000; i++) {
    if (r() < 0.5 && fromVocab.length > 0) {
      let w = fromVocab[Math.floor(r() * fromVocab.length)];
      if (r() < 0.5) w += fromVocab[Math.floor(r() * fromVocab.length)];
      types.push(w);
    } else {
      let w = "";
      const n = 1 + Math.floor(r() * 4);
      for (let k = 0; k < n; k++) w += syll[Math.floor(r() * syll.length)];
      types.push(w);
    }
  }
  // Zipf(1): cumulative weights 1/rank.
  const cum = new Float64Array(types.length);
  let acc = 0;
  for (let i = 0; i < types.length; i++) cum[i] = acc += 1 / (i + 1);
  const pick = (): string => {
    const x = r() * acc;
    let lo = 0;
    let hi = cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return types[lo];
  };
  const enc = new TextEncoder();
  const lines: string[] = [];
  let total = 0;
  while (total < bytes) {
    const n = 10 + Math.floor(r() * 70);
    const words: string[] = [];
    for (let k = 0; k < n; k++) {
      const u = r();
      let w = u < 0.03 ? exotic[Math.floor(r() * exotic.length)] : u < 0.08 ? String(Math.floor(r() * 10_000)) : pick();
      if (k === 0 || r() < 0.05) w = w.charAt(0).toUpperCase() + w.slice(1);
      const p = r();
      if (p < 0.08) w += ",";
      else if (p < 0.1) w += ".";
      else if (p < 0.105) w = `(${w})`;
      else if (p < 0.11) w += "'s";
      words.push(w);
    }
    const line = words.join(r() < 0.02 ? "  " : " ") + (r() < 0.8 ? "." : "?");
    lines.push(line);
    total += enc.encode(line).length;
  }
  return lines;
}

function time(f: () => number): { seconds: number; tokens: number } {
  const t0 = performance.now();
  const tokens = f();
  return { seconds: (performance.now() - t0) / 1000, tokens };
}

/**
 * Run the benchmark and return its numbers: MB/s and tokens/s of this tokenizer (T5 mode, fresh word cache, and raw
 * SentencePiece mode), of `@huggingface/tokenizers` on the same tokenizer.json, and the number of strings whose ids
 * differ between the two.
 */
export async function benchTokenizer(opts: BenchTokenizerOptions = {}): Promise<Record<string, unknown>> {
  const megabytes = opts.megabytes ?? 5;
  const dir = fixturePath("spm-2k");
  const jsonText = await Deno.readTextFile(`${dir}/tokenizer.json`);
  const config = JSON.parse(await Deno.readTextFile(`${dir}/tokenizer_config.json`));
  const ours = Tokenizer.fromTokenizerJson(jsonText, { config });
  const pieces: string[] = [];
  for (let i = 0; i < ours.vocabSize; i++) pieces.push(ours.idToPiece(i)!);
  const lines = syntheticText(megabytes * 1e6, pieces);
  const bytes = lines.reduce((n, l) => n + new TextEncoder().encode(l).length, 0);
  const mb = bytes / 1e6;
  const rate = (t: { seconds: number; tokens: number }) => ({
    seconds: +t.seconds.toFixed(3),
    mbPerSec: +(mb / t.seconds).toFixed(2),
    tokensPerSec: Math.round(t.tokens / t.seconds),
    tokens: t.tokens,
  });

  // Warm up the JIT on a separate instance, then time a fresh one (its word cache starts empty).
  const warm = Tokenizer.fromTokenizerJson(jsonText, { config });
  for (let i = 0; i < Math.min(2000, lines.length); i++) warm.encode(lines[i]), warm.encode(lines[i], { raw: true });
  const fresh = Tokenizer.fromTokenizerJson(jsonText, { config });
  const oursIds: number[][] = new Array(lines.length);
  const t5 = time(() => {
    let n = 0;
    for (let i = 0; i < lines.length; i++) n += (oursIds[i] = fresh.encode(lines[i])).length;
    return n;
  });
  const raw = time(() => {
    let n = 0;
    for (let i = 0; i < lines.length; i++) n += fresh.encode(lines[i], { raw: true }).length;
    return n;
  });
  const dec = time(() => {
    let n = 0;
    for (let i = 0; i < lines.length; i++) n += fresh.decode(oursIds[i]).length;
    return n;
  });
  const result: Record<string, unknown> = {
    text: { megabytes: +mb.toFixed(2), lines: lines.length, kind: "synthetic Zipf prose, ~3% non-ASCII words" },
    ours: rate(t5),
    oursRawSentencePiece: rate(raw),
    oursDecode: { seconds: +dec.seconds.toFixed(3), mbPerSec: +(mb / dec.seconds).toFixed(2) },
  };
  if (opts.compare ?? true) {
    const hf = new HfTokenizer(JSON.parse(jsonText), config);
    for (let i = 0; i < Math.min(2000, lines.length); i++) hf.encode(lines[i]);
    const hfIds: number[][] = new Array(lines.length);
    const th = time(() => {
      let n = 0;
      for (let i = 0; i < lines.length; i++) n += (hfIds[i] = hf.encode(lines[i]).ids).length;
      return n;
    });
    let differing = 0;
    const examples: string[] = [];
    for (let i = 0; i < lines.length; i++) {
      const a = oursIds[i];
      const b = hfIds[i];
      let same = a.length === b.length;
      for (let k = 0; same && k < a.length; k++) same = a[k] === b[k];
      if (!same) {
        differing++;
        if (examples.length < 3) examples.push(lines[i].slice(0, 120));
      }
    }
    // The spm-2k goldens (transformers' ids) as a tie-breaker for who is right where the two differ.
    const golden = JSON.parse(await Deno.readTextFile(`${dir}/encodings.json`));
    let hfGoldenMismatches = 0;
    let oursGoldenMismatches = 0;
    for (const row of golden.rows) {
      if (JSON.stringify(hf.encode(row.text).ids) !== JSON.stringify(row.t5_ids)) hfGoldenMismatches++;
      if (JSON.stringify(ours.encode(row.text)) !== JSON.stringify(row.t5_ids)) oursGoldenMismatches++;
    }
    // Exotic strings (controls, U+0085, combining sequences, ZWJ emoji, full-width…): where tokenizers.js approximates
    // the Precompiled normalizer and Rust's whitespace, so some differ; ours match sentencepiece on all in raw mode.
    const exotic = (await Deno.readTextFile(new URL("./testdata/spm_goldens.jsonl", import.meta.url))).trimEnd()
      .split("\n").slice(1).map((l) => JSON.parse(l) as { text: string; ids: number[] });
    let exoticDiff = 0;
    let exoticRawMismatch = 0;
    for (const e of exotic) {
      if (JSON.stringify(hf.encode(e.text).ids) !== JSON.stringify(ours.encode(e.text))) exoticDiff++;
      if (JSON.stringify(ours.encode(e.text, { raw: true })) !== JSON.stringify(e.ids)) exoticRawMismatch++;
    }
    result.exoticStrings = {
      count: exotic.length,
      differingFromTokenizersJs: exoticDiff,
      rawMismatchesVsSentencepiece: exoticRawMismatch,
    };
    result.huggingfaceTokenizersJs = { version: "0.2.0", ...rate(th) };
    result.speedup = +(th.seconds / t5.seconds).toFixed(2);
    result.differingStrings = differing;
    result.differingExamples = examples;
    result.goldenMismatches = { ours: oursGoldenMismatches, huggingfaceTokenizersJs: hfGoldenMismatches };
  }
  return result;
}

if (import.meta.main) {
  console.log(JSON.stringify(await benchTokenizer({ megabytes: Number(Deno.args[0] ?? 5) }), null, 2));
}
