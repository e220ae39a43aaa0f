/// <reference lib="dom" />
/**
 * Drives the example page in headless Chromium, shared by `e2e.ts` (the test) and `screenshot_demo.ts` (the README
 * screenshot): builds and serves the page on 127.0.0.1, launches Debian's `chromium` through playwright-core with
 * WebGPU enabled, checks that WebGPU starts, picks files in the page as a user would and generates.
 * @module
 */
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { buildExample, EXAMPLE_DIR } from "./build.ts";
import { serveStatic, type StaticServer } from "./serve.ts";

const FLAGS = [
  "--headless=new",
  "--no-sandbox",
  "--enable-unsafe-webgpu",
  "--enable-features=Vulkan",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** The served page open in Chromium. */
export interface PageSession {
  /** The browser. */
  context: BrowserContext;
  /** Its page, at the example's address. */
  page: Page;
  /** The static server of the example folder and its bundle. */
  server: StaticServer;
  /** The folder the page's bundle was built into (served at `/dist/`). */
  dist: string;
  /** WebGPU adapter vendor and architecture as Chromium reports them. */
  adapterInfo: string;
  /** Closes Chromium, stops the server and removes the temporary folders. */
  close(): Promise<void>;
}

/** The path of Debian's `chromium` (or `$CHROMIUM_PATH`), or null when there is none. */
export async function findChromium(): Promise<string | null> {
  const fromEnv = Deno.env.get("CHROMIUM_PATH");
  if (fromEnv) return await Deno.stat(fromEnv).then(() => fromEnv, () => null);
  try {
    const { code, stdout } = await new Deno.Command("which", { args: ["chromium"], stdout: "piped" }).output();
    return code === 0 ? new TextDecoder().decode(stdout).trim() : null;
  } catch {
    return null;
  }
}

/**
 * Builds and serves the page, opens it in headless Chromium and checks that WebGPU starts. Returns the session, or
 * the reason it cannot run here (no Chromium, no WebGPU adapter); nothing is left running in that case.
 */
export async function openExamplePage(): Promise<PageSession | { skipReason: string }> {
  const chromiumPath = await findChromium();
  if (!chromiumPath) return { skipReason: "chromium not found (apt-get install -y chromium, or set CHROMIUM_PATH)" };
  const dist = await buildExample();
  const server = await serveStatic({ "/": EXAMPLE_DIR, "/dist/": dist });
  const userDataDir = await Deno.makeTempDir({ prefix: "hyperdecoders-chromium-" });
  let context: BrowserContext | null = null;
  const close = async (): Promise<void> => {
    await context?.close();
    await server.shutdown();
    for (const dir of [userDataDir, dist]) await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: chromiumPath,
      headless: false, // --headless=new is in FLAGS
      args: FLAGS,
    });
    const page = context.pages()[0] ?? await context.newPage();
    await page.goto(server.url);
    const probe = await page.evaluate(async () => {
      const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
      if (!gpu) return { ok: false, info: "navigator.gpu is undefined" };
      const adapter = await gpu.requestAdapter();
      if (!adapter) return { ok: false, info: "navigator.gpu.requestAdapter() returned null" };
      return { ok: true, info: `${adapter.info.vendor} ${adapter.info.architecture}`.trim() };
    });
    if (!probe.ok) {
      await close();
      return { skipReason: `Chromium's WebGPU did not start on this machine (${probe.info})` };
    }
    return { context, page, server, dist, adapterInfo: probe.info, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The files to pick in the page (paths on this machine). */
export interface PageFiles {
  /** `config.json` and `model.safetensors` of a T5 folder. */
  checkpoint: string[];
  /** `trainable.safetensors` of a run's checkpoint, or omitted for the bare base model. */
  adapter?: string;
  /** `spiece.model` or `tokenizer.json`. */
  tokenizer: string;
}

/** What the page shows after generating. */
export interface PageAnswer {
  /** Input ids. */
  input: number[];
  /** Generated ids. */
  output: number[];
  /** The decoded answer. */
  answer: string;
  /** The model summary line. */
  summary: string;
}

/** Reloads the page, waits for its script and picks `files`; `errors` collects the page's uncaught errors. */
export async function pickFiles(page: Page, files: PageFiles, errors: string[]): Promise<void> {
  page.on("pageerror", (e: Error) => errors.push(e.message));
  await page.goto(page.url());
  await page.waitForFunction(() => document.body.dataset.state === "idle");
  await page.setInputFiles("#checkpoint", files.checkpoint);
  if (files.adapter) await page.setInputFiles("#adapter", files.adapter);
  await page.setInputFiles("#tokenizer", files.tokenizer);
}

/**
 * Types `text` and the most new tokens, presses Generate and waits (up to `timeoutMs`) for the answer; throws with
 * the page's status and errors when it reports an error.
 */
export async function generateOnPage(
  page: Page,
  text: string,
  maxNewTokens: number,
  errors: readonly string[],
  timeoutMs = 120_000,
): Promise<PageAnswer> {
  await page.fill("#text", text);
  await page.fill("#max-new-tokens", String(maxNewTokens));
  await page.click("#generate");
  await page.waitForFunction(() => ["done", "error"].includes(document.body.dataset.state ?? ""), null, {
    timeout: timeoutMs,
  });
  const state = await page.evaluate(() => document.body.dataset.state);
  if (state !== "done") {
    throw new Error(`the page reported: ${await page.textContent("#status")}; page errors: ${errors.join("; ")}`);
  }
  return {
    input: JSON.parse((await page.textContent("#input-ids"))!),
    output: JSON.parse((await page.textContent("#output-ids"))!),
    answer: (await page.textContent("#answer"))!,
    summary: (await page.textContent("#model-summary"))!,
  };
}
