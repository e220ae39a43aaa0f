/**
 * One clear line for each way a Hub request fails: gated or private (401/403), no such repository, revision or file
 * (404), offline with a file missing from the cache, a corrupted download.
 * @module
 */

/** Why a Hub operation failed. */
export type HubErrorKind = "auth" | "forbidden" | "not-found" | "offline" | "corrupt" | "http";

/** An error of the Hub client; `message` is one line meant for the user. */
export class HubError extends Error {
  /** What went wrong. */
  readonly kind: HubErrorKind;
  /** HTTP status where there was one. */
  readonly status?: number;
  /** Creates an error. */
  constructor(kind: HubErrorKind, message: string, status?: number) {
    super(message);
    this.name = "HubError";
    this.kind = kind;
    this.status = status;
  }
}

/** What was being fetched, for the message. */
export interface HubErrorContext {
  /** `org/name`. */
  repo: string;
  /** "model" or "dataset". */
  type: string;
  /** Revision asked for. */
  revision: string;
  /** File inside the repository, if the request was for one. */
  path?: string;
  /** Endpoint (for the conditions page of gated repositories). */
  endpoint: string;
  /** Whether a token was sent. */
  hadToken: boolean;
}

/** Turns a failed response into a one-line {@link HubError} (the body is read for the Hub's error code). */
export async function hubErrorFromResponse(res: Response, ctx: HubErrorContext): Promise<HubError> {
  const code = res.headers.get("X-Error-Code") ?? "";
  let detail = "";
  try {
    const text = await res.text();
    try {
      const j = JSON.parse(text);
      detail = typeof j.error === "string" ? j.error : "";
    } catch {
      detail = "";
    }
  } catch {
    detail = "";
  }
  const where = `${ctx.type === "dataset" ? "dataset " : ""}${ctx.repo}`;
  const page = `${ctx.endpoint}/${ctx.type === "dataset" ? "datasets/" : ""}${ctx.repo}`;
  if (!ctx.hadToken && (res.status === 401 || res.status === 403)) {
    return new HubError(
      "auth",
      `${where} is gated or private and no token was sent: set HF_TOKEN (or run \`huggingface-cli login\`) ` +
        `with a token that has access; for a gated repository, accept its conditions at ${page}`,
      res.status,
    );
  }
  if (res.status === 401) {
    return new HubError(
      "auth",
      `${where}: the Hub refused the token in HF_TOKEN (invalid or expired), or the repository does not exist; ` +
        `check the name and the token`,
      res.status,
    );
  }
  if (res.status === 403) {
    return new HubError(
      "forbidden",
      `${where}: the token in HF_TOKEN has no access${
        code === "GatedRepo" || /gated/i.test(detail) ? " (gated repository)" : ""
      }; ` +
        `accept the repository's conditions at ${page} or use a token of an account that has access`,
      res.status,
    );
  }
  if (res.status === 404) {
    if (code === "RevisionNotFound" || /revision/i.test(detail)) {
      return new HubError(
        "not-found",
        `${where}: no revision "${ctx.revision}" (check the branch, tag or commit)`,
        404,
      );
    }
    if (code === "EntryNotFound" || (ctx.path && !/repo/i.test(detail) && code !== "RepoNotFound")) {
      return new HubError(
        "not-found",
        `${where}@${ctx.revision}: no file "${ctx.path ?? "?"}" in the repository`,
        404,
      );
    }
    return new HubError(
      "not-found",
      `${where}: no such ${ctx.type} repository on ${ctx.endpoint} (check the name; private repositories also need HF_TOKEN)`,
      404,
    );
  }
  return new HubError(
    "http",
    `${where}: the Hub answered ${res.status} ${res.statusText}${detail ? ` (${detail})` : ""}`,
    res.status,
  );
}
