/// <reference lib="dom" />
/**
 * End-to-end test of the browser example in headless Chromium (`deno task test:browser`; not part of `deno task
 * test`, whose discovery does not match this file name).
 *
 * Builds the page, serves it on 127.0.0.1, drives Debian's `chromium` with playwright-core: picks the fixtures'
 * t5-tiny-v1_1 checkpoint and the spm-2k tokenizer as a user would, generates, and checks the ids against the same
 * model under Deno; then again with a hyperdecoder adapter file made here. Also imports every browser-side package
 * entry in the page. When Chromium or its WebGPU is missing, the tests are reported as ignored with the reason (set
 * `HYPERDECODERS_REQUIRE_BROWSER=1` to fail instead, as on a GPU machine). The README's screenshot comes from
 * `screenshot_demo.ts`, not from here.
 * @module
 */
import { assert, assertEquals, assertMatch, assertNotEquals, assertStrictEquals } from "@std/assert";
import { fromFileUrl } from "@std/path";
import { initEngine, tensor, writeTensor } from "@hyperdecoders/core";
import { randomNormal } from "@hyperdecoders/core/testing";
import {
  AdaptedT5,
  type EncoderDecoder,
  greedySearch,
  loadMethodWeights,
  loadT5,
  methodPreset,
  saveMethodWeights,
  type T5Model,
} from "@hyperdecoders/models";
import { loadTokenizer } from "@hyperdecoders/data";
import { fixturePath } from "../../tests/fixtures.ts";
import { bundleForBrowser } from "./build.ts";
import { generateOnPage, openExamplePage, type PageSession, pickFiles } from "./harness.ts";

const TEXT = "the cat sat on the mat";
const MAX_NEW_TOKENS = 12;
const MODEL_DIR = fixturePath("t5-tiny-v1_1");
const TOKENIZER = fixturePath("spm-2k", "spiece.model");
/** Package entries that must load in a browser (no Deno or Node API at import time). */
const BROWSER_ENTRIES = ["core", "kernels", "models", "data", "eval"];

/** Generates under Deno: the reference the page must reproduce. */
async function denoIds(model: EncoderDecoder, inputIds: number[], adapted: AdaptedT5 | null): Promise<number[]> {
  const ids = tensor(Int32Array.from(inputIds), [1, inputIds.length], "i32");
  const mask = tensor(new Float32Array(inputIds.length).fill(1), [1, inputIds.length]);
  const [out] = await greedySearch(model, ids, mask, {
    ...adapted?.generationOptions(),
    maxNewTokens: MAX_NEW_TOKENS,
  });
  ids.dispose();
  mask.dispose();
  return out;
}

/**
 * A hyperdecoder method checkpoint for the tiny model, its weights moved away from their initialisation (where the
 * generated adapters start near zero) so that the adapter visibly changes the output.
 */
async function makeAdapter(base: T5Model): Promise<Uint8Array> {
  const model = new AdaptedT5(base, methodPreset("hyperdecoder", { encoderAdapterDim: 16, decoderAdapterDim: 16 }));
  let seed = 1;
  for (const t of model.methodParams.values()) writeTensor(t, Float32Array.from(randomNormal(t.size, seed++, 0.3)));
  const bytes = await saveMethodWeights(model, { note: "browser example test" });
  model.dispose();
  return bytes;
}

const required = Deno.env.get("HYPERDECODERS_REQUIRE_BROWSER") === "1";
const opened = await openExamplePage();
const session: PageSession | null = "skipReason" in opened ? null : opened;
const skipReason = "skipReason" in opened ? opened.skipReason : null;
if (skipReason) {
  if (required) throw new Error(`browser test required but cannot run: ${skipReason}`);
  console.warn(`SKIPPED browser tests: ${skipReason}`);
}

Deno.test({
  name: `browser: every browser-side package entry imports in Chromium (${BROWSER_ENTRIES.join(", ")})`,
  ignore: skipReason !== null,
  async fn() {
    const { page, dist, server } = session!;
    for (const pkg of BROWSER_ENTRIES) {
      await bundleForBrowser(fromFileUrl(new URL(`../../${pkg}/mod.ts`, import.meta.url)), `${dist}/${pkg}.js`);
      const result = await page.evaluate(async (url: string) => {
        try {
          return { exports: Object.keys(await import(url)).length, error: null };
        } catch (e) {
          return { exports: 0, error: String(e) };
        }
      }, `${server.url}dist/${pkg}.js`);
      assertEquals(result.error, null, `@hyperdecoders/${pkg} failed to import in Chromium: ${result.error}`);
      assert(result.exports > 5, `@hyperdecoders/${pkg}: only ${result.exports} exports in the browser bundle`);
    }
  },
});

Deno.test({
  name:
    `browser: the example page generates the same ids as Deno, without and with an adapter (${session?.adapterInfo})`,
  ignore: skipReason !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    try {
      await initEngine();
      const tokenizer = await loadTokenizer(TOKENIZER);
      const base = await loadT5(MODEL_DIR);
      const adapterBytes = await makeAdapter(base);
      const adapted = loadMethodWeights(base, adapterBytes, "test adapter");
      const inputIds = tokenizer.encode(TEXT);
      const baseIds = await denoIds(base, inputIds, null);
      const adaptedIds = await denoIds(adapted, inputIds, adapted);
      adapted.dispose();
      base.dispose();
      assertNotEquals(adaptedIds, baseIds, "the adapter should change the generated ids (test premise)");
      const adapterPath = await Deno.makeTempFile({ prefix: "trainable-", suffix: ".safetensors" });
      await Deno.writeFile(adapterPath, adapterBytes);

      const { page } = session!;
      const errors: string[] = [];
      await pickFiles(page, {
        checkpoint: [`${MODEL_DIR}/config.json`, `${MODEL_DIR}/model.safetensors`],
        tokenizer: TOKENIZER,
      }, errors);

      const plain = await generateOnPage(page, TEXT, MAX_NEW_TOKENS, errors);
      assertEquals(plain.input, inputIds, "the page tokenized differently from Deno");
      assertEquals(plain.output, baseIds, "base model: the page generated other ids than Deno");
      const expected = tokenizer.decode(baseIds);
      if (expected) assertStrictEquals(plain.answer, expected, "the page decoded differently from Deno");

      await page.setInputFiles("#adapter", adapterPath);
      const withAdapter = await generateOnPage(page, TEXT, MAX_NEW_TOKENS, errors);
      assertEquals(withAdapter.output, adaptedIds, "with the adapter: the page generated other ids than Deno");
      assertMatch(withAdapter.summary, /method encoder "manual" \/ decoder "generated"/);
      assertEquals(errors, []);
      await Deno.remove(adapterPath);
    } finally {
      await session!.close();
    }
  },
});
