/**
 * Fenced code blocks of markdown files, for the tests that keep the READMEs' examples and commands working.
 * @module
 */

/** One fenced block. */
export interface CodeBlock {
  /** Info string after the opening fence ("ts", "sh", …). */
  lang: string;
  /** The block's text, without the fences. */
  code: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** Whether the nearest non-blank line before the fence is the `<!-- readme-test -->` marker. */
  marked: boolean;
}

/** The marker that selects a block for `tests/readme_test.ts`: on its own line, right above the fence. */
export const README_TEST_MARKER = "<!-- readme-test -->";

/** Every fenced block (``` or ~~~) of `markdown`, in order. */
export function codeBlocks(markdown: string): CodeBlock[] {
  const lines = markdown.split(/\r?\n/);
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^ {0,3}(`{3,}|~{3,})\s*([\w-]*)/.exec(lines[i]);
    if (!open) continue;
    const fence = open[1];
    let prev = i - 1;
    while (prev >= 0 && lines[prev].trim() === "") prev--;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !lines[j].trimStart().startsWith(fence)) body.push(lines[j++]);
    if (j >= lines.length) throw new Error(`line ${i + 1}: code block is never closed`);
    blocks.push({
      lang: open[2],
      code: body.join("\n"),
      line: i + 1,
      marked: prev >= 0 && lines[prev].trim() === README_TEST_MARKER,
    });
    i = j;
  }
  return blocks;
}

/**
 * The commands of a shell block: comments and blank lines dropped, `\` continuations joined, a trailing
 * `# comment` removed (a `#` after whitespace, outside quotes).
 */
export function shellCommands(code: string): string[] {
  const joined = code.replace(/\\\n\s*/g, "");
  const out: string[] = [];
  for (const raw of joined.split("\n")) {
    const line = stripComment(raw).trim();
    if (line !== "") out.push(line.replace(/^\$\s+/, ""));
  }
  return out;
}

function stripComment(line: string): string {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "#" && (i === 0 || /\s/.test(line[i - 1]))) return line.slice(0, i);
  }
  return line;
}
