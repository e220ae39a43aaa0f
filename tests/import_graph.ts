/**
 * The repository's import graph and its rules: kernels ← core ← models ← eval ← train ← scripts (the command-line
 * entry points); data stands apart (it imports nothing from the GPU side) and is used by eval and train. The seeded
 * generator, `@hyperdecoders/kernels/random` (kernels/random.ts: plain TypeScript, no GPU code), may be imported by
 * every package, data included. Folders above
 * the packages (scripts/, tests/, examples/, configs/) may import anything. A package imports another through its
 * entry point (`@hyperdecoders/<name>`), never by a relative path into the other's folder.
 *
 * Test code (`*_test.ts`, benchmarks and test helpers: what the packages do not publish) may import the shared
 * helpers of tests/, as long as what the helper imports (through other helpers too) is allowed to the test's own
 * package. Cycles are looked for among the packages' own code (test code and tests/ left out: a package's test may
 * well use a helper that uses the package).
 * @module
 */
import { dirname, join, normalize, relative } from "@std/path";

/** The layered packages, lowest first; each may import those before it. */
export const LAYERS: readonly string[] = ["kernels", "core", "models", "eval", "train"];
/** The package that stands apart from the layers. */
export const DATA = "data";
/** The module below every package (data included): the seeded generator, a subpath export of kernels. */
export const BASE = "kernels/random";
/** The packages data may be imported by. */
const DATA_USERS = new Set(["eval", "train"]);
/** Folders above every package. */
const TOP = new Set(["scripts", "tests", "examples", "configs"]);
/** The workspace packages, imported as `@hyperdecoders/<name>`. */
const WORKSPACE = new Set(["kernels", "core", "models", "data", "eval", "train"]);

/** One import of one file. */
export interface ImportEdge {
  /** Importing file, relative to the repository root with `/` separators. */
  from: string;
  /** Imported file (relative, same form) or, for a package's entry point, `@hyperdecoders/<name>`. */
  to: string;
  /** Package (first folder) of each side. */
  fromPackage: string;
  /** Package of the imported side. */
  toPackage: string;
}

/**
 * The module specifiers of `source`: static `import`/`export … from`, side-effect `import "…"` and `import("…")` with
 * a string literal. Lines inside block comments (JSDoc examples start with `*`) do not match.
 */
export function importSpecifiers(source: string): string[] {
  const out: string[] = [];
  const staticImport = /^[ \t]*(?:import|export)\s+(?:type\s+)?(?:[^"';]*?\bfrom\s*)?["']([^"'\n]+)["']/gm;
  const dynamicImport = /\bimport\(\s*["']([^"'\n]+)["']\s*\)/g;
  for (const m of source.matchAll(staticImport)) out.push(m[1]);
  for (const m of source.matchAll(dynamicImport)) out.push(m[1]);
  return out;
}

/** The package (first folder) of a root-relative path; "" for a file at the root. */
export function packageOf(path: string): string {
  const i = path.indexOf("/");
  return i < 0 ? "" : path.slice(0, i);
}

/** The edges of `files` (root-relative path → source) to other files of the repository or to workspace packages. */
export function importEdges(files: ReadonlyMap<string, string>): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const [from, source] of files) {
    for (const spec of importSpecifiers(source)) {
      let to: string;
      if (spec.startsWith("./") || spec.startsWith("../")) {
        to = normalize(join(dirname(from), spec)).replaceAll("\\", "/");
      } else if (spec.startsWith("@hyperdecoders/")) {
        to = spec === `@hyperdecoders/${BASE}` ? spec : spec.split("/").slice(0, 2).join("/");
      } else continue; // npm:, jsr:, node:, @std/… and other libraries
      const toPackage = to.startsWith("@hyperdecoders/") ? to.slice("@hyperdecoders/".length) : packageOf(to);
      edges.push({ from, to, fromPackage: packageOf(from), toPackage });
    }
  }
  return edges;
}

/** Whether code of package `from` may import package `to`. */
export function mayImport(from: string, to: string): boolean {
  if (from === to || TOP.has(from) || from === "") return true;
  if (to === BASE) return true;
  if (to === DATA) return DATA_USERS.has(from);
  if (from === DATA) return false;
  const a = LAYERS.indexOf(from);
  const b = LAYERS.indexOf(to);
  if (a < 0) return true; // a folder the rules do not name (none today)
  return b >= 0 && b < a;
}

/** Test code: the files the packages leave out when published (their deno.json "publish.exclude"). */
const TEST_CODE = /(?:^|\/)(?:[^/]*_test|bench|[^/]*_bench|test_helpers|_test_utils|_op_check|_gradcheck)\.ts$/;
const isTest = (path: string): boolean => TEST_CODE.test(path);
const isSharedHelper = (path: string): boolean => packageOf(path) === "tests" && !isTest(path);

/** The packages a tests/ helper reaches, through the helpers it imports. */
function helperReach(edges: readonly ImportEdge[]): Map<string, Set<string>> {
  const byFile = Map.groupBy(edges, (e) => e.from);
  const memo = new Map<string, Set<string>>();
  const visit = (file: string): Set<string> => {
    const known = memo.get(file);
    if (known) return known;
    const reach = new Set<string>();
    memo.set(file, reach); // a cycle among helpers ends here
    for (const e of byFile.get(file) ?? []) {
      if (isSharedHelper(e.to)) { for (const p of visit(e.to)) reach.add(p); }
      else if (e.toPackage !== "tests") reach.add(e.toPackage);
    }
    return reach;
  };
  for (const e of edges) if (isSharedHelper(e.from)) visit(e.from);
  return memo;
}

/** The rule each edge breaks, one message per broken edge naming both files. */
export function layeringProblems(edges: readonly ImportEdge[]): string[] {
  const problems: string[] = [];
  const reach = helperReach(edges);
  for (const e of edges) {
    const { from, to, fromPackage: a, toPackage: b } = e;
    if (a === b || TOP.has(a)) continue;
    if (isTest(from) && isSharedHelper(to)) {
      const bad = [...(reach.get(to) ?? [])].filter((p) => !mayImport(a, p));
      if (bad.length > 0) {
        problems.push(`${from} imports ${to}, which imports ${bad.join(", ")}: above ${a}, an upward import`);
      }
      continue;
    }
    if (!mayImport(a, b)) {
      const why = a === DATA || b === DATA ? "data stands apart" : `${b} is above ${a}`;
      problems.push(`${from} imports ${to}: ${why}, an upward import`);
    } else if (!to.startsWith("@hyperdecoders/") && WORKSPACE.has(a) && WORKSPACE.has(b)) {
      problems.push(`${from} imports ${to} past its package's entry point; import "@hyperdecoders/${b}"`);
    }
  }
  return problems;
}

/** Cycles between packages in the packages' own code, each named by the files of its imports. */
export function packageCycles(edges: readonly ImportEdge[]): string[] {
  const own = edges.filter((e) =>
    e.fromPackage !== e.toPackage && !isTest(e.from) && e.fromPackage !== "tests" && e.toPackage !== "tests"
  );
  const next = Map.groupBy(own, (e) => e.fromPackage);
  const cycles: string[] = [];
  const seen = new Set<string>();
  const path: ImportEdge[] = [];
  const onPath = new Set<string>();
  const visit = (pkg: string) => {
    onPath.add(pkg);
    for (const e of next.get(pkg) ?? []) {
      if (onPath.has(e.toPackage)) {
        const start = path.findIndex((p) => p.fromPackage === e.toPackage);
        const loop = [...path.slice(start < 0 ? path.length : start), e];
        const key = loop.map((l) => l.fromPackage).sort().join(",");
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push(`cycle ${loop.map((l) => `${l.from} → ${l.to}`).join(", ")}`);
        }
      } else if (!seen.has(`done:${e.toPackage}`)) {
        path.push(e);
        visit(e.toPackage);
        path.pop();
      }
    }
    onPath.delete(pkg);
    seen.add(`done:${pkg}`);
  };
  for (const pkg of next.keys()) if (!seen.has(`done:${pkg}`)) visit(pkg);
  return cycles;
}

/** Every `.ts` file under `root` (root-relative, `/`-separated) with its source; hidden folders and node_modules skipped. */
export async function readSources(root: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory) await walk(path);
      else if (entry.isFile && entry.name.endsWith(".ts")) {
        files.set(relative(root, path).replaceAll("\\", "/"), await Deno.readTextFile(path));
      }
    }
  };
  await walk(root);
  return files;
}
