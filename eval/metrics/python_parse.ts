/**
 * Python-compatible `float(s)` / `int(s)` parsing with a fallback value, as the reference post-processors
 * (`string_to_float`, `string_to_int`) apply them to decoded predictions and labels.
 *
 * @module
 */

// Characters Python's str.strip()/str.split() treat as whitespace (Py_UNICODE_ISSPACE). JS `\s` differs: it has
// U+FEFF and lacks U+001C–U+001F and U+0085.
const PY_SPACE = "\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const PY_STRIP = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, "g");

const PY_SPLIT = new RegExp(`[${PY_SPACE}]+`);
// float() and int() strip the same set except U+001C–U+001F (checked against CPython 3.11).
const NUMBER_SPACE = PY_SPACE.replace("\\x1c-\\x1f", "");
const NUMBER_STRIP = new RegExp(`^[${NUMBER_SPACE}]+|[${NUMBER_SPACE}]+$`, "g");

/** Python `str.strip()` with no argument (strips Python's whitespace set, not JS `\s`). */
export function pythonStrip(text: string): string {
  return text.replace(PY_STRIP, "");
}

/** Python `str.split()` with no argument: split on runs of Python whitespace, dropping empty pieces. */
export function pythonSplit(text: string): string[] {
  const stripped = pythonStrip(text);
  return stripped === "" ? [] : stripped.split(PY_SPLIT);
}

const DIGITS = "\\d(?:_?\\d)*";
const FLOAT_RE = new RegExp(`^[+-]?(?:(?:${DIGITS})?\\.${DIGITS}|${DIGITS}\\.?)(?:[eE][+-]?${DIGITS})?$`);
const SPECIAL_FLOAT_RE = /^([+-]?)(inf|infinity|nan)$/i;
const INT_RE = new RegExp(`^[+-]?${DIGITS}$`);
const DECIMAL_DIGIT = /\p{Nd}/u;

/**
 * Python maps any Unicode decimal digit (category Nd) to its ASCII value before parsing numbers. Nd characters come
 * in contiguous runs of whole 0–9 blocks, so a digit's value is its offset from the start of its run, modulo 10.
 */
function asciiDigits(text: string): string {
  if (!/[^ -~\t\n\v\f\r]/.test(text)) return text;
  let out = "";
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp > 0x7f && DECIMAL_DIGIT.test(ch)) {
      let start = cp;
      while (DECIMAL_DIGIT.test(String.fromCodePoint(start - 1))) start--;
      out += String((cp - start) % 10);
    } else {
      out += ch;
    }
  }
  return out;
}

/**
 * Python `float(text)`, or `fallback` where Python raises ValueError. Accepts surrounding whitespace, signs,
 * underscores between digits, exponents, `inf`/`infinity`/`nan` in any case, and non-ASCII decimal digits.
 */
export function parsePythonFloat(text: string, fallback = -1): number {
  const s = asciiDigits(text.replace(NUMBER_STRIP, ""));
  const special = SPECIAL_FLOAT_RE.exec(s);
  if (special) {
    if (special[2].toLowerCase() === "nan") return NaN;
    return special[1] === "-" ? -Infinity : Infinity;
  }
  if (!FLOAT_RE.test(s)) return fallback;
  return Number(s.replaceAll("_", ""));
}

/**
 * Python `int(text)` (base 10), or `fallback` where Python raises ValueError (e.g. `"1.0"`, `""`, `"yes"`).
 * Values beyond 2^53 lose precision (they never equal a 0/1 label either way).
 */
export function parsePythonInt(text: string, fallback = -1): number {
  const s = asciiDigits(text.replace(NUMBER_STRIP, ""));
  if (!INT_RE.test(s)) return fallback;
  return Number(s.replaceAll("_", ""));
}
