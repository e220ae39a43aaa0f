/**
 * `deno task check`: formatting, lint, type-check of every package and script, `deno doc --lint` of every package's
 * entry (JSDoc on every export, no reference to an unexported type), type-check of the package READMEs' examples and
 * `deno publish --dry-run` for the workspace. The browser side (the example page and every package entry that must load
 * in a browser) is also type-checked against the browser's DOM and `@webgpu/types` instead of Deno's own WebGPU types.
 * Exits non-zero when any step fails and says which.
 * @module
 */

/** Workspace packages, each published from `<name>/mod.ts`. */
const PACKAGES = ["core", "kernels", "models", "data", "train", "eval"];

/** What a browser loads: the example page and the package entries that tests/browser_safe_test.ts bundles. */
const BROWSER_FILES = [
  "examples/browser/main.ts",
  ...["core", "kernels", "models", "data", "eval"].map((p) => `${p}/mod.ts`),
];

/**
 * The root deno.json with browser type libraries: DOM and `@webgpu/types` for WebGPU; `deno.ns` keeps the `Deno`
 * namespace for code that runs in Deno only behind a runtime check. Written beside deno.json so that the workspace
 * and import map resolve as usual; removed after the check.
 */
async function browserConfig(): Promise<string> {
  const config = JSON.parse(await Deno.readTextFile("deno.json"));
  delete config.tasks;
  config.compilerOptions = {
    ...config.compilerOptions,
    lib: ["dom", "dom.iterable", "dom.asynciterable", "esnext", "deno.ns"],
    types: ["@webgpu/types"],
  };
  const path = await Deno.makeTempFile({ dir: ".", prefix: ".check-browser-", suffix: ".json" });
  await Deno.writeTextFile(path, JSON.stringify(config));
  return path;
}

const BROWSER_CONFIG = "<browser config>";
/** A package's entry points besides mod.ts: the subpaths of its deno.json "exports" (e.g. core/testing.ts). */
function subpathEntries(pkg: string): string[] {
  const { exports } = JSON.parse(Deno.readTextFileSync(`${pkg}/deno.json`));
  if (typeof exports === "string") return [];
  return Object.entries(exports as Record<string, string>)
    .filter(([name]) => name !== ".")
    .map(([, file]) => `${pkg}/${file.replace(/^\.\//, "")}`);
}

const steps: [string, string[]][] = [
  ["fmt", ["fmt", "--check"]],
  ["lint", ["lint"]],
  ["type-check", ["check", "."]],
  ...PACKAGES.map((p): [string, string[]] => [`doc lint ${p}`, ["doc", "--lint", `${p}/mod.ts`]]),
  ...PACKAGES.flatMap((p): [string, string[]][] =>
    subpathEntries(p).map((entry) => [`doc lint ${entry}`, ["doc", "--lint", entry]])
  ),
  ["browser type-check (@webgpu/types)", ["check", "--config", BROWSER_CONFIG, ...BROWSER_FILES]],
  ["README examples type-check", ["check", "--doc-only", ...PACKAGES.map((p) => `${p}/README.md`)]],
  ["publish dry-run", ["publish", "--dry-run", "--allow-dirty"]],
];

const failed: string[] = [];
for (const [name, template] of steps) {
  const config = template.includes(BROWSER_CONFIG) ? await browserConfig() : null;
  const args = template.map((a) => (a === BROWSER_CONFIG ? config! : a));
  console.log(`== ${name}: deno ${args.join(" ")}`);
  try {
    const { code } = await new Deno.Command("deno", { args, stdout: "inherit", stderr: "inherit" }).output();
    if (code !== 0) failed.push(name);
  } finally {
    if (config) await Deno.remove(config);
  }
}
if (failed.length > 0) {
  console.error(`check failed: ${failed.join(", ")}`);
  Deno.exit(1);
}
console.log("check passed");
