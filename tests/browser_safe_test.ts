/**
 * The packages meant to run in a browser load without Deno or Node APIs: each entry is bundled for the browser
 * (no Node built-in may remain) and imported in a worker whose `Deno`, `process` and `Buffer` globals were deleted.
 * `deno task test:browser` goes further and imports the same bundles in Chromium.
 */
import { assert, assertEquals } from "@std/assert";
import { fromFileUrl, toFileUrl } from "@std/path";
import { bundleForBrowser } from "../examples/browser/build.ts";

const BROWSER_ENTRIES = ["core", "kernels", "models", "data", "eval"];

const WORKER = `
for (const name of ["Deno", "process", "Buffer", "global", "setImmediate"]) delete globalThis[name];
self.onmessage = async (event) => {
  try {
    const mod = await import(event.data);
    self.postMessage({ exports: Object.keys(mod).length, deno: typeof globalThis.Deno });
  } catch (error) {
    self.postMessage({ error: String(error && error.stack || error) });
  }
};`;

function importWithoutDeno(url: string): Promise<{ exports?: number; deno?: string; error?: string }> {
  const blob = URL.createObjectURL(new Blob([WORKER], { type: "text/javascript" }));
  const worker = new Worker(blob, { type: "module" });
  return new Promise<{ exports?: number; deno?: string; error?: string }>((resolve) => {
    worker.onmessage = (e) => resolve(e.data);
    worker.onerror = (e) => {
      e.preventDefault();
      resolve({ error: e.message });
    };
    worker.postMessage(url);
  }).finally(() => {
    worker.terminate();
    URL.revokeObjectURL(blob);
  });
}

Deno.test(`browser-side entries (${BROWSER_ENTRIES.join(", ")}) import with no Deno or Node globals`, async () => {
  const dir = await Deno.makeTempDir({ prefix: "hyperdecoders-bundle-" });
  try {
    for (const pkg of BROWSER_ENTRIES) {
      const out = `${dir}/${pkg}.js`;
      await bundleForBrowser(fromFileUrl(new URL(`../${pkg}/mod.ts`, import.meta.url)), out);
      const result = await importWithoutDeno(toFileUrl(out).href);
      assertEquals(result.error, undefined, `@hyperdecoders/${pkg} needs Deno or Node at import: ${result.error}`);
      assertEquals(result.deno, "undefined", "the worker still had Deno (test premise)");
      assert(result.exports! > 5, `@hyperdecoders/${pkg}: only ${result.exports} exports`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
