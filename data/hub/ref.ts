/**
 * Hub references: `hf:<org>/<name>[@<revision>]` for a model (or tokenizer) repository and
 * `hf://datasets/<org>/<name>[@<revision>]/<path-or-glob>` for files of a dataset repository.
 * @module
 */

/** Kind of a Hub repository. */
export type RepoType = "model" | "dataset";

/** A parsed Hub reference. */
export interface HubRef {
  /** Repository kind. */
  type: RepoType;
  /** `org/name` (or `name` for the few repositories without an organisation). */
  repo: string;
  /** Branch, tag or commit sha; "main" when not given. */
  revision: string;
  /** Path or glob inside the repository ("" for the whole repository). */
  path: string;
}

const NAME = /^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/;

/** True for strings that are Hub references (`hf:…`) rather than local paths. */
export function isHubRef(s: string): boolean {
  return s.startsWith("hf:");
}

/**
 * Parses `hf:org/name[@rev]`, `hf://org/name[@rev][/path]`, `hf://models/…` or `hf://datasets/org/name[@rev]/path`.
 * Throws an error naming the reference when it is malformed.
 */
export function parseHubRef(ref: string): HubRef {
  if (!isHubRef(ref)) throw new Error(`${ref}: not a Hub reference (expected hf:<org>/<name>[@<revision>])`);
  let rest = ref.startsWith("hf://") ? ref.slice(5) : ref.slice(3);
  let type: RepoType = "model";
  if (rest.startsWith("datasets/")) [type, rest] = ["dataset", rest.slice(9)];
  else if (rest.startsWith("models/")) rest = rest.slice(7);
  // org/name[@rev][/path]: the revision ends at the next "/" that follows the name (revisions with "/" are written
  // URL-encoded, e.g. refs%2Fpr%2F1).
  const parts = rest.split("/");
  let repoParts: string[];
  let pathParts: string[];
  const at = parts.findIndex((p) => p.includes("@"));
  if (at >= 0 && at <= 1) {
    repoParts = parts.slice(0, at + 1);
    pathParts = parts.slice(at + 1);
  } else {
    const n = type === "dataset" || parts.length >= 2 ? 2 : 1;
    repoParts = parts.slice(0, n);
    pathParts = parts.slice(n);
  }
  let repo = repoParts.join("/");
  let revision = "main";
  const i = repo.indexOf("@");
  if (i >= 0) {
    revision = decodeURIComponent(repo.slice(i + 1));
    repo = repo.slice(0, i);
  }
  if (!NAME.test(repo) || revision === "") {
    throw new Error(
      `${ref}: malformed Hub reference; expected hf:<org>/<name>[@<revision>] or hf://datasets/<org>/<name>/<path>`,
    );
  }
  return { type, repo, revision, path: pathParts.join("/") };
}

/** Writes a reference back as a string (`hf:org/name@rev` or `hf://datasets/org/name@rev/path`). */
export function formatHubRef(ref: HubRef): string {
  const rev = ref.revision === "main" ? "" : `@${encodeURIComponent(ref.revision)}`;
  if (ref.type === "dataset") return `hf://datasets/${ref.repo}${rev}${ref.path ? `/${ref.path}` : ""}`;
  return `hf:${ref.repo}${rev}${ref.path ? `/${ref.path}` : ""}`;
}

/** True for a full 40-hex commit sha. */
export function isCommitSha(revision: string): boolean {
  return /^[0-9a-f]{40}$/.test(revision);
}
