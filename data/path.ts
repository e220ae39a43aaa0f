/**
 * Path joining for the file adapters without `node:path`, so that importing the package in a browser pulls in no
 * Node built-in. POSIX semantics with "/" separators (which Deno accepts on Windows too); "\\" is also read as a
 * separator by {@link baseName}.
 *
 * `models/io/path.ts` is the same code on purpose: neither package may import the other, and `data` imports
 * nothing from the engine side, so there is no shared home. `tests/path_helpers_test.ts` checks both copies against
 * `node:path`.
 * @module
 */

/**
 * Joins path segments and normalises the result (`.` and `..` resolved, repeated separators collapsed), as POSIX
 * `path.join` does.
 */
export function joinPath(...parts: string[]): string {
  const joined = parts.filter((p) => p.length > 0).join("/");
  if (joined.length === 0) return ".";
  const absolute = joined.startsWith("/");
  const out: string[] = [];
  for (const seg of joined.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!absolute) out.push("..");
      continue;
    }
    out.push(seg);
  }
  const body = out.join("/");
  const trailing = joined.endsWith("/") && body.length > 0 ? "/" : "";
  if (absolute) return `/${body}${trailing}`;
  return body.length > 0 ? body + trailing : ".";
}

/** The last segment of a path (`/` or `\` separated), ignoring trailing separators. */
export function baseName(path: string): string {
  const trimmed = path.replace(/[\\/]+$/, "");
  const i = Math.max(trimmed.lastIndexOf("/"), trimmed.lastIndexOf("\\"));
  return trimmed.slice(i + 1);
}
