import { assertEquals, assertStrictEquals } from "@std/assert";
import { parsePythonFloat, parsePythonInt, pythonSplit, pythonStrip } from "./python_parse.ts";

// Expected values: what CPython 3.11's float() / int() return (ERR = ValueError → the fallback −1).
const ERR = -1;
const CASES: [string, number, number][] = [
  ["3.8", 3.8, ERR],
  [" 4.0\n", 4, ERR],
  ["1_000.5", 1000.5, ERR],
  ["1__0", ERR, ERR],
  ["_1", ERR, ERR],
  ["1_", ERR, ERR],
  ["abc", ERR, ERR],
  ["", ERR, ERR],
  ["1e3", 1000, ERR],
  ["1e1_0", 1e10, ERR],
  [".5", 0.5, ERR],
  ["5.", 5, ERR],
  ["+.5e-2", 0.005, ERR],
  ["1.0", 1, ERR],
  ["+1", 1, 1],
  [" 01 ", 1, 1],
  ["1_0", 10, 10],
  ["0x10", ERR, ERR],
  ["\u00a01\u00a0", 1, 1],
  ["\ufeff1", ERR, ERR],
  ["\x1c2\x1f", ERR, ERR],
  ["\u0663.\u0665", 3.5, ERR], // Arabic-Indic digits
  ["\uff11\uff12", 12, 12], // full-width digits
  ["\u{1d7d9}\u{1d7da}", 12, 12], // mathematical double-struck digits (outside the BMP)
  ["-Inf", -Infinity, ERR],
  ["infinity", Infinity, ERR],
];

Deno.test("parsePythonFloat and parsePythonInt follow CPython's float() and int()", () => {
  for (const [text, asFloat, asInt] of CASES) {
    assertStrictEquals(parsePythonFloat(text), asFloat, `float(${JSON.stringify(text)})`);
    assertStrictEquals(parsePythonInt(text), asInt, `int(${JSON.stringify(text)})`);
  }
  assertEquals(Number.isNaN(parsePythonFloat(" NaN ")), true);
  assertEquals(parsePythonFloat("x", -7), -7);
  assertEquals(parsePythonInt("x", 9), 9);
});

Deno.test("pythonStrip and pythonSplit use Python's whitespace set, not JS \\s", () => {
  assertEquals(pythonStrip("\x1c a \x85"), "a");
  assertEquals(pythonStrip("\ufeffa"), "\ufeffa"); // U+FEFF is not whitespace in Python
  assertStrictEquals(JSON.stringify(pythonSplit(" \x1c a \x85b\u3000c ")), JSON.stringify(["a", "b", "c"]));
  assertEquals(pythonSplit("  ").length, 0);
});
