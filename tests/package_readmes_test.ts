/**
 * Runs the TypeScript examples of every package README (`<pkg>/README.md`), so that what JSR shows keeps working.
 * Each block runs in its own process from a temporary folder (the root import map applies), with the placeholder
 * paths replaced by the fixtures: `path/to/t5-small` → t5-tiny-v1_1 for models and spm-2k for tokenizers,
 * `path/to/spiece.model` → spm-2k. Type-checking of the same blocks is part of `deno task check`.
 */
import { assert, assertEquals } from "@std/assert";
import { fromFileUrl } from "@std/path";
import { codeBlocks } from "./markdown.ts";
import { fixturePath } from "./fixtures.ts";

const ROOT = fromFileUrl(new URL("..", import.meta.url));
const PACKAGES = ["core", "kernels", "models", "data", "train", "eval"];

/** Placeholders of the READMEs and what they become here. */
function substitute(code: string): string {
  return code
    .replaceAll('loadTokenizer("path/to/t5-small")', `loadTokenizer(${JSON.stringify(fixturePath("spm-2k"))})`)
    .replaceAll('"path/to/t5-small"', JSON.stringify(fixturePath("t5-tiny-v1_1")))
    .replaceAll('"path/to/spiece.model"', JSON.stringify(fixturePath("spm-2k", "spiece.model")));
}

for (const pkg of PACKAGES) {
  const readme = `${ROOT}${pkg}/README.md`;
  const blocks = codeBlocks(await Deno.readTextFile(readme)).filter((b) => b.lang === "ts");
  Deno.test(`${pkg}/README.md has a TypeScript example`, () => {
    assert(blocks.length > 0, `${pkg}/README.md: no \`\`\`ts example`);
  });
  for (const block of blocks) {
    Deno.test(`${pkg}/README.md example at line ${block.line} runs`, async () => {
      const dir = await Deno.makeTempDir({ prefix: `readme-${pkg}-` });
      try {
        const file = `${dir}/example.ts`;
        await Deno.writeTextFile(file, substitute(block.code) + "\n");
        const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
          args: ["run", "-A", "--quiet", "--config", `${ROOT}deno.json`, file],
          cwd: dir,
          stdout: "piped",
          stderr: "piped",
        }).output();
        const out = new TextDecoder().decode(stdout);
        const err = new TextDecoder().decode(stderr);
        assertEquals(code, 0, `${pkg}/README.md:${block.line}: exit ${code}\n${err}\n${out}`);
        assert(out.trim().length > 0, `${pkg}/README.md:${block.line}: the example printed nothing`);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  }
}
