/**
 * `deno task check`: formatting, lint, type-check of every package and script, `deno doc --lint` of every package's
 * entry (JSDoc on every export, no reference to an unexported type), type-check of the package READMEs' examples and
 * `deno publish --dry-run` for the workspace.
 * Exits non-zero when any step fails and says which.
 * @module
 */

/** Workspace packages, each published from `<name>/mod.ts`. */
const PACKAGES = ["core", "kernels", "models", "data", "train", "eval"];

const steps: [string, string[]][] = [
  ["fmt", ["fmt", "--check"]],
  ["lint", ["lint"]],
  ["type-check", ["check", "."]],
  ...PACKAGES.map((p): [string, string[]] => [`doc lint ${p}`, ["doc", "--lint", `${p}/mod.ts`]]),
  ["README examples type-check", ["check", "--doc-only", ...PACKAGES.map((p) => `${p}/README.md`)]],
  ["publish dry-run", ["publish", "--dry-run", "--allow-dirty"]],
];

const failed: string[] = [];
for (const [name, args] of steps) {
  console.log(`== ${name}: deno ${args.join(" ")}`);
  const { code } = await new Deno.Command(Deno.execPath(), { args, stdout: "inherit", stderr: "inherit" }).output();
  if (code !== 0) failed.push(name);
}
if (failed.length > 0) {
  console.error(`check failed: ${failed.join(", ")}`);
  Deno.exit(1);
}
console.log("check passed");
