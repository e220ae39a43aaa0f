import assert from "node:assert/strict";
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
  assert.deepEqual(blocks.map((b) => [b.lang, b.line, b.marked]), [["sh", 4, true], ["ts", 8, false], ["", 14, false]]);
  assert.equal(blocks[1].code, "const x = 1;\n```not a close");
  assert.throws(() => codeBlocks("```sh\nopen"), /line 1: code block is never closed/);
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
  assert.deepEqual(shellCommands(code), [
    "deno task train",
    "deno task tokenize --model m -- 'a # not a comment' more",
    'echo "x#y"',
  ]);
});
