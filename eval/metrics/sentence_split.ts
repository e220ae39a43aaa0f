/**
 * A rule-based English sentence splitter used before ROUGE-Lsum. The reference pipeline splits with NLTK's
 * pre-trained punkt model (`nltk.sent_tokenize`), whose learned parameters are not available here; this splitter
 * approximates it for the cases that dominate news summaries, so ROUGE-Lsum can differ slightly from the reference
 * where punkt decides differently (rare abbreviations, initials followed by capitalised words, and so on). Pass your
 * own splitter to `scoreTask` where exact parity matters. ROUGE-1/2/L do not depend on it.
 *
 * Rules: a sentence ends at ".", "?" or "!" (possibly repeated, possibly followed by closing quotes or brackets)
 * followed by whitespace, except after a known abbreviation ("Mr.", "e.g.", "Jan.", …), a single-letter
 * initial ("J.") or dotted initials ("U.S.A."), or a period before a lower-case word or a digit. Existing line breaks are kept as breaks.
 *
 * @module
 */

const ABBREVIATIONS = new Set([
  "mr",
  "mrs",
  "ms",
  "dr",
  "prof",
  "sr",
  "jr",
  "st",
  "mt",
  "ft",
  "gen",
  "gov",
  "sen",
  "rep",
  "rev",
  "col",
  "lt",
  "capt",
  "cmdr",
  "sgt",
  "maj",
  "hon",
  "pres",
  "supt",
  "insp",
  "det",
  "messrs",
  "mme",
  "mlle",
  "inc",
  "ltd",
  "co",
  "corp",
  "bros",
  "plc",
  "llc",
  "jan",
  "feb",
  "mar",
  "apr",
  "jun",
  "jul",
  "aug",
  "sep",
  "sept",
  "oct",
  "nov",
  "dec",
  "mon",
  "tue",
  "tues",
  "wed",
  "thu",
  "thur",
  "thurs",
  "fri",
  "sat",
  "sun",
  "vs",
  "v",
  "etc",
  "e.g",
  "i.e",
  "cf",
  "al",
  "approx",
  "no",
  "nos",
  "vol",
  "pp",
  "fig",
  "est",
  "dept",
  "univ",
  "ave",
  "blvd",
  "rd",
  "u.s",
  "u.k",
  "u.n",
  "e.u",
  "a.m",
  "p.m",
  "d.c",
  "l.a",
  "n.y",
  "ph.d",
]);

// Candidate boundary: terminal punctuation, optional closers, then whitespace.
const BOUNDARY = /([.?!]+)(["'\u2019\u201d)\]]*)(\s+)/g;

function lastWord(text: string): string {
  const m = /([\p{L}\p{N}.'-]+)$/u.exec(text);
  return m ? m[1] : "";
}

/** Splits `text` into trimmed, non-empty sentences (see the module notes for the rules). */
export function splitSentences(text: string): string[] {
  const sentences: string[] = [];
  for (const paragraph of text.split(/\r?\n/)) {
    let start = 0;
    BOUNDARY.lastIndex = 0;
    for (let m = BOUNDARY.exec(paragraph); m !== null; m = BOUNDARY.exec(paragraph)) {
      const punct = m[1], end = m.index + punct.length + m[2].length;
      const next = paragraph.slice(m.index + m[0].length);
      if (punct === "." || (punct.endsWith(".") && !/[?!]/.test(punct))) {
        const word = lastWord(paragraph.slice(start, m.index)).replace(/^['-]+/, "").toLowerCase();
        if (ABBREVIATIONS.has(word) || /^(?:\p{L}\.)*\p{L}$/u.test(word)) continue;
        if (/^[\p{Ll}\p{N}]/u.test(next)) continue;
      }
      const sentence = paragraph.slice(start, end).trim();
      if (sentence) sentences.push(sentence);
      start = m.index + m[0].length;
    }
    const rest = paragraph.slice(start).trim();
    if (rest) sentences.push(rest);
  }
  return sentences;
}
