import { assertEquals, assertMatch, assertThrows } from "@std/assert";
import { codeBlocks, shellCommands } from "./markdown.ts";

Deno.test("codeBlocks: languages, lines, the readme-test marker only right above a fence", () => {
  const md = [
    "# t",
    "<!-- readme-test -->",
    "",
    "```sh",
    "deno task a",
    "```",
    "text",
    "~~~ts",
    "const x = 1;",
    "```not a close",
    "~~~",
    "<!-- readme-test -->",
    "para",
    "```",
    "x",
    "```",
  ].join("\n");
  const blocks = codeBlocks(md);
  assertEquals(blocks.map((b) => [b.lang, b.line, b.marked]), [["sh", 4, true], ["ts", 8, false], ["", 14, false]]);
  assertEquals(blocks[1].code, "const x = 1;\n```not a close");
  assertMatch(assertThrows(() => codeBlocks("```sh\nopen"), Error).message, /line 1: code block is never closed/);
});

Deno.test("shellCommands: comments, continuations, prompts, quotes", () => {
  const code = [
    "# a comment",
    "deno task train   # trains the demo",
    "$ deno task tokenize --model m -- 'a # not a comment' \\",
    "  more",
    "",
    'echo "x#y"',
  ].join("\n");
  assertEquals(shellCommands(code), [
    "deno task train",
    "deno task tokenize --model m -- 'a # not a comment' more",
    'echo "x#y"',
  ]);
});
