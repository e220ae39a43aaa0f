/**
 * Runs the quick commands of the root README.md so that they cannot rot.
 *
 * Convention: a fenced shell block whose nearest non-blank line above is `<!-- readme-test -->` is run, one command
 * per line (comments, blank lines and a leading `$ ` are ignored; `\` continues a line), each with `sh -c` from the
 * repository root. Every command must start with `deno`, exit 0 within the time limit and print something. Mark only
 * quick commands (tokenize, params, `train --dry-run`, …): the README's full training runs are not for the test suite.
 * `README_TEST_FILE` names another markdown file to take the blocks from (the commands still run from the root).
 */
import { assert, assertEquals, assertMatch } from "@std/assert";
import { dirname, fromFileUrl } from "@std/path";
import { codeBlocks, README_TEST_MARKER, shellCommands } from "./markdown.ts";

const ROOT = fromFileUrl(new URL("..", import.meta.url));
const TIMEOUT_MS = 120_000;

const README = Deno.env.get("README_TEST_FILE") ?? `${ROOT}README.md`;
const blocks = codeBlocks(await Deno.readTextFile(README)).filter((b) => b.marked);

Deno.test(`README.md has ${README_TEST_MARKER} blocks of deno commands`, () => {
  assert(blocks.length > 0, `README.md: no block is marked with ${README_TEST_MARKER} (see tests/readme_test.ts)`);
  for (const b of blocks) {
    assert(["sh", "bash", "shell", "console"].includes(b.lang), `README.md:${b.line}: marked block is not shell`);
    const commands = shellCommands(b.code);
    assert(commands.length > 0, `README.md:${b.line}: marked block holds no command`);
    for (const c of commands) assertMatch(c, /^deno\s/, `README.md:${b.line}: "${c}" does not start with deno`);
  }
});

for (const block of blocks) {
  for (const command of shellCommands(block.code).filter((c) => /^deno\s/.test(c))) {
    Deno.test(`README.md:${block.line}: ${command}`, async () => {
      const { code, stdout, stderr } = await new Deno.Command("sh", {
        args: ["-c", command],
        cwd: ROOT,
        env: { PATH: `${dirname(Deno.execPath())}:${Deno.env.get("PATH") ?? ""}`, NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(TIMEOUT_MS),
      }).output();
      const out = new TextDecoder().decode(stdout);
      const err = new TextDecoder().decode(stderr);
      assertEquals(code, 0, `README.md:${block.line}: "${command}" exited with ${code}\n${err.slice(-2000)}`);
      assert(out.trim().length > 0, `README.md:${block.line}: "${command}" printed nothing`);
    });
  }
}
