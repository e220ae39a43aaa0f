/**
 * Runs the TypeScript examples of every package README (`<pkg>/README.md`), so that what JSR shows keeps working.
 * Each block runs in its own process from a temporary folder (the root import map applies), with the placeholder
 * paths replaced by the fixtures: `path/to/t5-small` → t5-tiny-v1_1 for models and spm-2k for tokenizers,
 * `path/to/spiece.model` → spm-2k. Type-checking of the same blocks is part of `deno task check`.
 */
import { assert, assertEquals } from "@std/assert";
import { fromFileUrl } from "@std/path";
import { parquetWriteBuffer } from "hyparquet-writer";
import { codeBlocks } from "./markdown.ts";
import { fixturePath } from "./fixtures.ts";
import { fakeRepo, readFolder, startFakeHub } from "./fake_hub.ts";

const ROOT = fromFileUrl(new URL("..", import.meta.url));
const PACKAGES = ["core", "kernels", "models", "data", "train", "eval"];

/** Placeholders of the READMEs and what they become here. */
function substitute(code: string): string {
  return code
    .replaceAll('loadTokenizer("path/to/t5-small")', `loadTokenizer(${JSON.stringify(fixturePath("spm-2k"))})`)
    .replaceAll('"path/to/t5-small"', JSON.stringify(fixturePath("t5-tiny-v1_1")))
    .replaceAll('"path/to/spiece.model"', JSON.stringify(fixturePath("spm-2k", "spiece.model")));
}

/**
 * The Hub's repositories the READMEs name, served by a local fake Hub (no test reaches the Internet): the tiny T5
 * fixture with the spm-2k tokenizer as `google/t5-small-lm-adapt`, and a small `nyu-mll/glue` RTE parquet file.
 */
async function startReadmeHub() {
  const model = await readFolder(fixturePath("t5-tiny-v1_1"));
  model.set("spiece.model", await Deno.readFile(fixturePath("spm-2k", "spiece.model")));
  const n = 4;
  const rte = new Uint8Array(parquetWriteBuffer({
    columnData: [
      { name: "sentence1", data: Array.from({ length: n }, (_, i) => `Premise ${i}.`), type: "STRING" },
      { name: "sentence2", data: Array.from({ length: n }, (_, i) => `Hypothesis ${i}.`), type: "STRING" },
      { name: "label", data: Array.from({ length: n }, (_, i) => BigInt(i % 2)), type: "INT64" },
      { name: "idx", data: Array.from({ length: n }, (_, i) => i), type: "INT32" },
    ],
  }));
  return startFakeHub([
    fakeRepo("model", "google/t5-small-lm-adapt", model),
    fakeRepo("dataset", "nyu-mll/glue", new Map([["rte/train-00000-of-00001.parquet", rte]])),
  ]);
}

for (const pkg of PACKAGES) {
  const readme = `${ROOT}${pkg}/README.md`;
  const blocks = codeBlocks(await Deno.readTextFile(readme)).filter((b) => b.lang === "ts");
  Deno.test(`${pkg}/README.md has a TypeScript example`, () => {
    assert(blocks.length > 0, `${pkg}/README.md: no \`\`\`ts example`);
  });
  for (const block of blocks) {
    const usesHub = block.code.includes("hf:");
    Deno.test({
      name: `${pkg}/README.md example at line ${block.line} runs`,
      sanitizeResources: !usesHub,
      sanitizeOps: !usesHub,
    }, async () => {
      const dir = await Deno.makeTempDir({ prefix: `readme-${pkg}-` });
      const hub = usesHub ? await startReadmeHub() : null;
      try {
        const file = `${dir}/example.ts`;
        await Deno.writeTextFile(file, substitute(block.code) + "\n");
        const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
          args: ["run", "-A", "--quiet", "--config", `${ROOT}deno.json`, file],
          cwd: dir,
          env: hub ? { HF_ENDPOINT: hub.url, HF_HUB_CACHE: `${dir}/hub-cache`, HF_HUB_OFFLINE: "0" } : {},
          stdout: "piped",
          stderr: "piped",
        }).output();
        const out = new TextDecoder().decode(stdout);
        const err = new TextDecoder().decode(stderr);
        assertEquals(code, 0, `${pkg}/README.md:${block.line}: exit ${code}\n${err}\n${out}`);
        assert(out.trim().length > 0, `${pkg}/README.md:${block.line}: the example printed nothing`);
      } finally {
        await hub?.close();
        await Deno.remove(dir, { recursive: true });
      }
    });
  }
}
