/**
 * Bundles the example page's script (`main.ts` and the packages it imports) into one ES module with `deno bundle`
 * (esbuild, fetched from npm on first use), for the browser. Fails if the bundle still imports a Node built-in: the
 * packages must load in a browser. `deno run -A examples/browser/build.ts [out-dir]`.
 * @module
 */
import { fromFileUrl } from "@std/path";

/** Folder of the example page. */
export const EXAMPLE_DIR: string = fromFileUrl(new URL(".", import.meta.url));

/** Bundles `entry` (a path) for the browser into `out` and returns the bundle's text. */
export async function bundleForBrowser(entry: string, out: string): Promise<string> {
  const args = [
    "bundle",
    "--quiet",
    "--platform",
    "browser",
    "--format",
    "esm",
    "--sourcemap",
    "linked",
    "-o",
    out,
    entry,
  ];
  const { code, stderr } = await new Deno.Command("deno", { args, stdout: "null", stderr: "piped" }).output();
  if (code !== 0) throw new Error(`deno ${args.join(" ")} failed:\n${new TextDecoder().decode(stderr)}`);
  const text = await Deno.readTextFile(out);
  const node = [...text.matchAll(/^import [^;]*?from "(node:[^"]+)"/gm)].map((m) => m[1]);
  if (node.length > 0) {
    throw new Error(`${entry}: the browser bundle imports Node built-ins (${[...new Set(node)].join(", ")})`);
  }
  return text;
}

/**
 * Bundles the example page's script into `<outDir>/main.js` (a fresh temporary folder by default: build output stays
 * out of the repository, where `deno check`/`fmt` would read it) and returns the folder. The page loads it as
 * `dist/main.js`; `serve.ts` maps `dist/` there.
 */
export async function buildExample(outDir?: string): Promise<string> {
  const dir = outDir ?? await Deno.makeTempDir({ prefix: "hyperdecoders-browser-" });
  await Deno.mkdir(dir, { recursive: true });
  await bundleForBrowser(`${EXAMPLE_DIR}main.ts`, `${dir}/main.js`);
  return dir;
}

if (import.meta.main) {
  const dir = await buildExample(Deno.args[0]);
  console.log(`wrote ${dir}/main.js (${((await Deno.stat(`${dir}/main.js`)).size / 1024).toFixed(0)} KiB)`);
}
