/**
 * A local stand-in for the Hugging Face Hub (tests only): `Deno.serve` on 127.0.0.1 at a random port, answering the
 * part of the Hub's HTTP API that `@huggingface/hub` and our downloader use:
 * `GET /api/<models|datasets>/<repo>/revision/<rev>`, `GET /api/…/tree/<rev>[/<path>]`,
 * `POST /api/…/paths-info/<rev>`, and `GET|HEAD /[datasets/]<repo>/resolve/<rev>/<path>` with Range requests and the
 * headers the Hub sends (`X-Repo-Commit`, `ETag`, `X-Linked-Etag`, `X-Linked-Size`, `X-Error-Code`).
 * @module
 */
import { createHash } from "node:crypto";
/** Kind of a repository (as `RepoType` of data/hub/ref.ts). */
export type RepoType = "model" | "dataset";

/** One repository: files per commit and the refs that point at commits. */
export interface FakeRepo {
  /** Model or dataset. */
  type: RepoType;
  /** `org/name`. */
  repo: string;
  /** Commits, oldest first: sha → (path → bytes). */
  commits: Map<string, Map<string, Uint8Array>>;
  /** Branch/tag → commit sha. */
  refs: Map<string, string>;
  /** Gated: downloads need one of `FakeHub.tokens`. */
  gated?: boolean;
  /** Private: every request (metadata too) needs one of `FakeHub.tokens`; without, the Hub says 401. */
  private?: boolean;
}

/** A running fake Hub. */
export interface FakeHub {
  /** Base URL (`http://127.0.0.1:<port>`). */
  url: string;
  /** Requests received (`METHOD path [Range]`). */
  requests: string[];
  /** Tokens that open gated repositories. */
  tokens: Set<string>;
  /** Cut the next download of this path after this many bytes (once). */
  cut?: { path: string; bytes: number };
  /** Serve these paths with their first byte flipped. */
  corrupt: Set<string>;
  /** Stops the server. */
  close(): Promise<void>;
}

/** A fake 40-hex commit sha derived from a label. */
export function fakeSha(label: string): string {
  return createHash("sha1").update(label).digest("hex");
}

/** Builds a repository with one commit on main from files. */
export function fakeRepo(type: RepoType, repo: string, files: Map<string, Uint8Array>, gated = false): FakeRepo {
  const sha = fakeSha(`${repo}:1`);
  return { type, repo, commits: new Map([[sha, files]]), refs: new Map([["main", sha]]), gated };
}

/** Reads a folder's files (not recursive) into a map. */
export async function readFolder(dir: string): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  for await (const e of Deno.readDir(dir)) if (e.isFile) files.set(e.name, await Deno.readFile(`${dir}/${e.name}`));
  return new Map([...files].sort(([a], [b]) => a < b ? -1 : 1));
}

function isLfs(path: string, bytes: Uint8Array): boolean {
  return bytes.length >= 1024 || /\.(safetensors|bin|parquet|model)$/.test(path);
}

function gitOid(bytes: Uint8Array): string {
  return createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function entry(path: string, bytes: Uint8Array) {
  const oid = gitOid(bytes);
  return {
    type: "file",
    oid,
    size: isLfs(path, bytes) ? 134 : bytes.length,
    path,
    ...(isLfs(path, bytes) ? { lfs: { oid: sha256(bytes), size: bytes.length, pointerSize: 134 } } : {}),
  };
}

function error(status: number, code: string, message: string): Response {
  return Response.json({ error: message }, { status, headers: { "X-Error-Code": code } });
}

/** Starts the fake Hub with these repositories. */
export function startFakeHub(repos: FakeRepo[]): FakeHub {
  const find = (type: RepoType, segments: string[]): { repo: FakeRepo; rest: string[] } | undefined => {
    for (const n of [2, 1]) {
      const name = segments.slice(0, n).join("/");
      const repo = repos.find((r) => r.type === type && r.repo === name);
      if (repo) return { repo, rest: segments.slice(n) };
    }
    return undefined;
  };
  const commitOf = (repo: FakeRepo, rev: string) => repo.commits.has(rev) ? rev : repo.refs.get(rev);

  const hub: FakeHub = {
    url: "",
    requests: [],
    tokens: new Set(),
    corrupt: new Set(),
    close: async () => {},
  };

  const handler = async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    const range = req.headers.get("Range");
    hub.requests.push(`${req.method} ${url.pathname}${range ? ` ${range}` : ""}`);
    const segs = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
    const authorized = () => hub.tokens.has((req.headers.get("Authorization") ?? "").replace(/^Bearer /, ""));
    if (segs[0] === "api") {
      const type: RepoType = segs[1] === "datasets" ? "dataset" : "model";
      const found = find(type, segs.slice(2));
      if (!found) return error(404, "RepoNotFound", "Repository not found");
      if (found.repo.private && !authorized()) return error(401, "RepoNotFound", "Repository not found");
      const [action, rev, ...path] = found.rest;
      const commit = commitOf(found.repo, rev ?? "");
      if (!commit) return error(404, "RevisionNotFound", `Invalid rev id: ${rev}`);
      const files = found.repo.commits.get(commit)!;
      if (action === "revision") {
        return Response.json({
          _id: found.repo.repo,
          id: found.repo.repo,
          sha: commit,
          private: false,
          gated: found.repo.gated ? "auto" : false,
          siblings: [...files.keys()].map((rfilename) => ({ rfilename })),
        });
      }
      if (action === "tree") {
        const prefix = path.join("/");
        const out = [...files].filter(([p]) => !prefix || p === prefix || p.startsWith(`${prefix}/`));
        const recursive = url.searchParams.get("recursive") === "true";
        const dirs = new Set<string>();
        const items = [];
        for (const [p, b] of out) {
          const rel = prefix ? p.slice(prefix.length + 1) : p;
          const parts = rel.split("/");
          for (let i = 1; i < parts.length; i++) dirs.add([prefix, ...parts.slice(0, i)].filter(Boolean).join("/"));
          if (recursive || parts.length === 1) items.push(entry(p, b));
        }
        const dirItems = [...dirs].filter((d) => recursive || !d.slice(prefix ? prefix.length + 1 : 0).includes("/"))
          .map((d) => ({ type: "directory", oid: fakeSha(d), size: 0, path: d }));
        return Response.json([...dirItems, ...items]);
      }
      if (action === "paths-info" && req.method === "POST") {
        const body = await req.json() as { paths: string[] };
        return Response.json(
          body.paths.flatMap((p) => {
            const b = files.get(p);
            return b
              ? [{ ...entry(p, b), lastCommit: { id: commit, title: "fake", date: "2022-01-01T00:00:00Z" } }]
              : [];
          }),
        );
      }
      return error(404, "", "Not found");
    }
    const type: RepoType = segs[0] === "datasets" ? "dataset" : "model";
    const found = find(type, type === "dataset" ? segs.slice(1) : segs);
    if (!found) return error(404, "RepoNotFound", "Repository not found");
    const [action, rev, ...pathParts] = found.rest;
    if (action !== "resolve") return error(404, "", "Not found");
    if (found.repo.private && !authorized()) return error(401, "RepoNotFound", "Repository not found");
    if (found.repo.gated) {
      const auth = req.headers.get("Authorization");
      if (!auth) return error(401, "GatedRepo", `Access to model ${found.repo.repo} is restricted.`);
      if (!hub.tokens.has(auth.replace(/^Bearer /, ""))) {
        return error(
          403,
          "GatedRepo",
          `Access to model ${found.repo.repo} is restricted and you are not in the authorized list.`,
        );
      }
    }
    const commit = commitOf(found.repo, rev ?? "");
    if (!commit) return error(404, "RevisionNotFound", `Invalid rev id: ${rev}`);
    const path = pathParts.join("/");
    const original = found.repo.commits.get(commit)!.get(path);
    if (!original) return error(404, "EntryNotFound", `${path} does not exist on "${rev}"`);
    let bytes = original;
    if (hub.corrupt.has(path)) {
      bytes = original.slice();
      bytes[0] ^= 0xff;
    }
    const headers = new Headers({
      "X-Repo-Commit": commit,
      "ETag": `"${gitOid(original)}"`,
      "Accept-Ranges": "bytes",
      "Content-Type": "application/octet-stream",
    });
    if (isLfs(path, original)) {
      headers.set("X-Linked-Etag", `"${sha256(original)}"`);
      headers.set("X-Linked-Size", String(original.length));
    }
    let start = 0;
    let end = bytes.length;
    let status = 200;
    const m = range ? /^bytes=(\d+)-(\d*)$/.exec(range) : null;
    if (m) {
      start = Number(m[1]);
      end = m[2] ? Math.min(Number(m[2]) + 1, bytes.length) : bytes.length;
      if (start >= bytes.length) {
        return new Response(null, { status: 416, headers: { "Content-Range": `bytes */${bytes.length}` } });
      }
      status = 206;
      headers.set("Content-Range", `bytes ${start}-${end - 1}/${bytes.length}`);
    }
    headers.set("Content-Length", String(end - start));
    if (req.method === "HEAD") return new Response(null, { status, headers });
    const body = bytes.subarray(start, end);
    if (hub.cut && hub.cut.path === path && status === 200) {
      const n = hub.cut.bytes;
      hub.cut = undefined;
      const stream = new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(body.slice(0, n));
        },
        pull(c) {
          c.close(); // fewer bytes than Content-Length: the client sees the connection end early
        },
      });
      return new Response(stream, { status, headers });
    }
    return new Response(body.slice(), { status, headers });
  };

  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, handler);
  hub.url = `http://127.0.0.1:${server.addr.port}`;
  hub.close = () => server.shutdown();
  return hub;
}
