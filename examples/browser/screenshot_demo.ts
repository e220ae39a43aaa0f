/// <reference lib="dom" />
/**
 * Makes the README's `screenshot.png`: the example page in headless Chromium with the demo's frozen base
 * (`configs/demo/base`), a hyperdecoder adapter trained by `deno task train` (the demo run) and the demo tokenizer,
 * answering a `demo_label` input and then a `demo_extract` input. Fails, without writing the screenshot, when an
 * answer is not the expected one (an untrained or mismatched adapter).
 *
 * `deno run -A examples/browser/screenshot_demo.ts --adapter runs/demo/checkpoints/checkpoint-00000300/trainable.safetensors [--out screenshot.png]`
 * @module
 */
import { parseCommandOrExit } from "../../scripts/command_line.ts";
import { fromFileUrl } from "@std/path";
import { EXAMPLE_DIR } from "./build.ts";
import { generateOnPage, openExamplePage, pickFiles } from "./harness.ts";

const ROOT = fromFileUrl(new URL("../../", import.meta.url));
const BASE = `${ROOT}configs/demo/base`;
const TOKENIZER = `${ROOT}configs/demo/spiece.model`;
const MAX_NEW_TOKENS = 4;
/**
 * Inputs, each with the word its answer must hold; the last one stays on the screenshot. They are written as the
 * demo's data is (`data/demo.ts`: the task's template around words from its lists); a tiny model trained for 300
 * steps is not robust to other words (e.g. "the request was valid and complete" is labelled negative, in Deno too).
 */
const RUNS: { text: string; expect: string }[] = [
  { text: "label text: the client request complete page", expect: "positive" },
  { text: "extract text: the server turtle window request", expect: "turtle" },
];

const { values } = parseCommandOrExit(
  "screenshot_demo",
  "usage: deno run -A examples/browser/screenshot_demo.ts [--adapter <file>] [--out <png>]",
  Deno.args,
  { string: ["adapter", "out"], default: { out: `${EXAMPLE_DIR}screenshot.png` } },
);
if (!values.adapter) {
  throw new Error(
    "--adapter is required: a demo run's trainable.safetensors, e.g. " +
      "--adapter runs/demo/checkpoints/checkpoint-00000300/trainable.safetensors (train one with `deno task train`)",
  );
}
const adapter = values.adapter;
await Deno.stat(adapter).catch(() => {
  throw new Error(`--adapter ${adapter}: no such file; train the demo with \`deno task train\` first`);
});

const opened = await openExamplePage();
if ("skipReason" in opened) throw new Error(`cannot make the screenshot: ${opened.skipReason}`);
try {
  const { page } = opened;
  const errors: string[] = [];
  await page.setViewportSize({ width: 900, height: 900 });
  await pickFiles(page, {
    checkpoint: [`${BASE}/config.json`, `${BASE}/model.safetensors`],
    adapter,
    tokenizer: TOKENIZER,
  }, errors);
  for (const { text, expect } of RUNS) {
    const { answer, summary } = await generateOnPage(page, text, MAX_NEW_TOKENS, errors);
    console.log(`${text} → ${answer}`);
    if (!answer.includes(expect)) {
      throw new Error(
        `"${text}" was answered "${answer}", expected it to contain "${expect}": is ${adapter} a demo run's ` +
          `adapter trained on configs/demo/base? (${summary})`,
      );
    }
  }
  if (errors.length > 0) throw new Error(`page errors: ${errors.join("; ")}`);
  await page.screenshot({ path: values.out, fullPage: true });
  console.log(`saved ${values.out} (WebGPU adapter: ${opened.adapterInfo})`);
} finally {
  await opened.close();
}
