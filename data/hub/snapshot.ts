/**
 * Resolves a Hub reference to a local snapshot folder of the shared cache, downloading only the files asked for.
 * Metadata comes from `@huggingface/hub` (the revision's commit, the tree listing with sizes and LFS oids); the bytes
 * go through {@link downloadBlob} (resume, hash check, progress). The client's own `downloadFileToCacheDir` is not
 * used for the bytes: it names the snapshot after the file's last commit rather than the repository's commit (so a
 * snapshot would be split over several folders), writes no `refs/`, restarts cut downloads and checks no hash.
 *
 * A model or tokenizer reference whose needed files are all in the cache is answered from the cache without any
 * request (a revision is looked up in `refs/`); pin a commit (`@<sha>`) or delete `refs/<revision>` to pick up a newer
 * one. Globs of dataset files are listed on the Hub each time (files already cached are not downloaded again).
 * @module
 */
import { datasetInfo, type ListFileEntry, listFiles, modelInfo } from "@huggingface/hub";
import { basename, globToRegExp, join } from "@std/path";
import { cachedCommit, exists, linkBlob, listSnapshot, repoFolder, snapshotFolder, writeRef } from "./cache.ts";
import { downloadBlob } from "./download.ts";
import { HubError, type HubErrorContext, hubErrorFromResponse } from "./errors.ts";
import { formatHubRef, type HubRef, isCommitSha, parseHubRef } from "./ref.ts";
import { type HubSettings, hubSettings } from "./settings.ts";

/** Which files of a repository to fetch. */
export type SnapshotNeed =
  /** config.json, the weights (one format: safetensors, else sharded safetensors, else pytorch_model.bin) and the tokenizer files. */
  | "model"
  /** tokenizer.json and/or spiece.model with tokenizer_config.json and special_tokens_map.json. */
  | "tokenizer"
  /** Files matching globs (relative to the repository root). */
  | { globs: string[] };

/** Options of {@link fetchSnapshot}. */
export interface FetchSnapshotOptions {
  /** Settings (default: read from the environment). */
  settings?: HubSettings;
  /**
   * Optional extra files fetched with a "model" need when the repository has them (e.g. parity references); a cached
   * snapshot without them is completed from the Hub (one listing request each time where the repository has none).
   */
  optional?: string[];
  /** Log lines (download summaries where stderr is not a terminal). */
  log?: (message: string) => void;
  /** fetch used for every request. */
  fetch?: typeof fetch;
  /**
   * Files (of a glob need) larger than this many bytes are not downloaded but returned in `remote`, to be read with
   * HTTP range requests (large parquet files).
   */
  streamLargerThan?: number;
}

/** A file left on the Hub, read in place with range requests. */
export interface RemoteFile {
  /** Path in the repository. */
  path: string;
  /** `resolve` URL pinned to the commit. */
  url: string;
  /** Size in bytes. */
  size: number;
}

/** A snapshot on disk. */
export interface HubSnapshot {
  /** The reference as parsed. */
  ref: HubRef;
  /** The commit the revision resolved to. */
  commit: string;
  /** `<cache>/<repo folder>/snapshots/<commit>`. */
  dir: string;
  /** Files of the snapshot that the need selected (relative paths). */
  files: string[];
  /** Bytes downloaded by this call (0: all from the cache). */
  downloaded: number;
  /** Files left on the Hub (see `streamLargerThan`). */
  remote: RemoteFile[];
}

const TOKENIZER_FILES = [
  "tokenizer.json",
  "spiece.model",
  "tokenizer_config.json",
  "special_tokens_map.json",
  "added_tokens.json",
];
const WEIGHTS = [
  "model.safetensors",
  "model.safetensors.index.json",
  "pytorch_model.bin",
  "pytorch_model.bin.index.json",
];

async function shardsOf(indexPath: string): Promise<string[]> {
  const index = JSON.parse(await Deno.readTextFile(indexPath));
  return [...new Set(Object.values(index.weight_map ?? {}) as string[])].sort();
}

/** The first file of a need that the snapshot folder lacks, or undefined when it has all of them. */
export async function missingFile(dir: string, need: SnapshotNeed): Promise<string | undefined> {
  if (typeof need === "object") {
    const have = await listSnapshot(dir);
    for (const g of need.globs) {
      const re = globToRegExp(g, { extended: true, globstar: true });
      if (!have.some((f) => re.test(f))) return g;
    }
    return undefined;
  }
  if (need === "tokenizer") {
    if (await exists(join(dir, "tokenizer.json")) || await exists(join(dir, "spiece.model"))) return undefined;
    return "tokenizer.json or spiece.model";
  }
  if (!await exists(join(dir, "config.json"))) return "config.json";
  for (const w of WEIGHTS) {
    if (!await exists(join(dir, w))) continue;
    if (!w.endsWith(".index.json")) return undefined;
    for (const s of await shardsOf(join(dir, w))) if (!await exists(join(dir, s))) return s;
    return undefined;
  }
  return WEIGHTS.join(" or ");
}

function pick(listing: ListFileEntry[], need: SnapshotNeed, optional: string[]): ListFileEntry[] {
  const files = listing.filter((e) => e.type === "file");
  const byPath = new Map(files.map((e) => [e.path, e]));
  if (typeof need === "object") {
    const res = need.globs.map((g) => globToRegExp(g, { extended: true, globstar: true }));
    return files.filter((e) => res.some((re) => re.test(e.path)));
  }
  const names = [...TOKENIZER_FILES];
  if (need === "model") {
    names.push("config.json", "generation_config.json", ...optional);
    const w = WEIGHTS.find((f) => byPath.has(f));
    if (w) names.push(w);
  }
  return names.flatMap((n) => byPath.get(n) ?? []);
}

/** A network failure (no answer at all) as one line. */
export function unreachable(endpoint: string, error: unknown): HubError {
  return new HubError(
    "http",
    `cannot reach the Hub at ${endpoint} (${error instanceof Error ? error.message : String(error)}); check the ` +
      `connection or HF_ENDPOINT, or set HF_HUB_OFFLINE=1 to use the cache only`,
  );
}

/** The `resolve` URL of a file at a commit. */
export function resolveUrl(endpoint: string, ref: Pick<HubRef, "type" | "repo">, commit: string, path: string): string {
  const prefix = ref.type === "dataset" ? "datasets/" : "";
  return `${endpoint}/${prefix}${ref.repo}/resolve/${commit}/${path.split("/").map(encodeURIComponent).join("/")}`;
}

/**
 * Makes sure the files a need selects are in the cache and returns the snapshot folder. Throws a {@link HubError}
 * with one line for gated/private repositories, missing repositories, revisions or files, offline mode with a file
 * missing, and corrupted downloads.
 */
export async function fetchSnapshot(
  reference: string | HubRef,
  need: SnapshotNeed,
  opts: FetchSnapshotOptions = {},
): Promise<HubSnapshot> {
  const ref = typeof reference === "string" ? parseHubRef(reference) : reference;
  const settings = opts.settings ?? hubSettings();
  const log = opts.log ?? ((m: string) => console.error(m));
  const name = formatHubRef({ ...ref, path: "" });
  const cached = await cachedCommit(settings.cacheDir, ref);
  // Globs are listed online each time (a partly downloaded set of matches cannot be told from a complete one).
  if (cached && (typeof need !== "object" || settings.offline)) {
    const dir = snapshotFolder(settings.cacheDir, ref, cached);
    const missing = await missingFile(dir, need);
    // Optional files (parity's reference dumps) absent from the cache are looked for on the Hub unless offline.
    const optionalHere = async () => {
      for (const f of opts.optional ?? []) if (!await exists(join(dir, f))) return false;
      return true;
    };
    if (missing === undefined && (settings.offline || await optionalHere())) {
      const files = (await listSnapshot(dir)).filter((f) =>
        pick([{ type: "file", path: f, size: 0 }], need, opts.optional ?? []).length
      );
      return { ref, commit: cached, dir, files, downloaded: 0, remote: [] };
    }
    if (settings.offline) {
      throw new HubError(
        "offline",
        `HF_HUB_OFFLINE=1: ${missing} of ${name} (commit ${cached}) is not in the cache ${dir}; ` +
          `run once where the Hub is reachable, or unset HF_HUB_OFFLINE`,
      );
    }
  } else if (!cached && settings.offline) {
    throw new HubError(
      "offline",
      `HF_HUB_OFFLINE=1: ${name} is not in the cache ${repoFolder(settings.cacheDir, ref.type, ref.repo)} ` +
        `(no snapshot for revision "${ref.revision}"); run once where the Hub is reachable, or unset HF_HUB_OFFLINE`,
    );
  }

  const ctx: HubErrorContext = {
    repo: ref.repo,
    type: ref.type,
    revision: ref.revision,
    endpoint: settings.endpoint,
    hadToken: settings.token !== undefined,
  };
  const baseFetch = opts.fetch ?? fetch;
  // Failed metadata requests become one-line HubErrors here, before the client turns them into generic ones.
  // The token goes in here rather than through the client's accessToken, which refuses tokens not shaped "hf_…"
  // (organisation tokens, mirrors' own tokens).
  const metaFetch: typeof fetch = async (input, init) => {
    const headers = new Headers(init?.headers);
    if (settings.token) headers.set("Authorization", `Bearer ${settings.token}`);
    const res = await baseFetch(input, { ...init, headers }).catch((e) => {
      throw unreachable(settings.endpoint, e);
    });
    if (!res.ok) throw await hubErrorFromResponse(res, ctx);
    return res;
  };
  const client = { hubUrl: settings.endpoint, fetch: metaFetch };
  let commit = ref.revision;
  if (!isCommitSha(commit)) {
    const info = ref.type === "dataset"
      ? await datasetInfo({ ...client, name: ref.repo, revision: ref.revision, additionalFields: ["sha"] })
      : await modelInfo({ ...client, name: ref.repo, revision: ref.revision, additionalFields: ["sha"] });
    commit = (info as { sha?: string }).sha ?? "";
    if (!isCommitSha(commit)) {
      throw new HubError("http", `${name}: the Hub sent no commit sha for revision "${ref.revision}"`);
    }
  }
  const listing = await Array.fromAsync(
    listFiles({ ...client, repo: { type: ref.type, name: ref.repo }, revision: commit, recursive: true }),
  );
  const dir = snapshotFolder(settings.cacheDir, ref, commit);
  const blobs = join(repoFolder(settings.cacheDir, ref.type, ref.repo), "blobs");
  await Deno.mkdir(blobs, { recursive: true });
  let downloaded = 0;
  const ensure = async (e: ListFileEntry): Promise<void> => {
    const pointer = join(dir, ...e.path.split("/"));
    if (e.path.split("/").some((p) => p === ".." || p === "")) {
      throw new HubError("http", `${name}: unsafe path "${e.path}"`);
    }
    if (await exists(pointer)) return;
    const etag = e.lfs?.oid ?? e.oid;
    if (!etag || !/^[0-9a-f]{40,64}$/.test(etag)) {
      throw new HubError("http", `${name}: no oid for ${e.path} in the tree listing`);
    }
    const blob = join(blobs, etag);
    if (!await exists(blob)) {
      // One writer per blob across processes (Python's huggingface_hub locks the same file the same way: flock).
      const lockDir = join(settings.cacheDir, ".locks", basename(repoFolder(settings.cacheDir, ref.type, ref.repo)));
      await Deno.mkdir(lockDir, { recursive: true });
      using lock = await Deno.open(join(lockDir, `${etag}.lock`), { write: true, create: true });
      await lock.lock(true);
      if (!await exists(blob)) {
        downloaded += await downloadBlob({
          url: resolveUrl(settings.endpoint, ref, commit, e.path),
          blobPath: blob,
          size: e.lfs?.size ?? e.size,
          verify: e.lfs ? { algorithm: "sha256", hex: e.lfs.oid } : { algorithm: "git-sha1", hex: etag },
          token: settings.token,
          name: `${ref.repo}/${e.path}`,
          context: { ...ctx, revision: commit, path: e.path },
          interactive: settings.progress,
          log,
          fetch: (input, init) =>
            baseFetch(input, init).catch((e) => {
              throw unreachable(settings.endpoint, e);
            }),
        });
      }
      await lock.unlock();
    }
    await linkBlob(blob, pointer);
  };
  const selected = pick(listing, need, opts.optional ?? []);
  if (selected.length === 0) {
    const what = typeof need === "object"
      ? need.globs.join(", ")
      : need === "model"
      ? "config.json"
      : "tokenizer files";
    throw new HubError("not-found", `${name}@${commit.slice(0, 12)}: no file matches ${what} in the repository`, 404);
  }
  const files: string[] = [];
  const remote: RemoteFile[] = [];
  for (const e of selected) {
    const size = e.lfs?.size ?? e.size;
    if (typeof need === "object" && opts.streamLargerThan !== undefined && size > opts.streamLargerThan) {
      remote.push({ path: e.path, url: resolveUrl(settings.endpoint, ref, commit, e.path), size });
      continue;
    }
    await ensure(e);
    files.push(e.path);
    if (e.path.endsWith(".index.json") && typeof need !== "object") {
      const byPath = new Map(listing.map((x) => [x.path, x]));
      for (const s of await shardsOf(join(dir, e.path))) {
        const entry = byPath.get(s);
        if (!entry) {
          throw new HubError("not-found", `${name}: shard ${s} named by ${e.path} is not in the repository`, 404);
        }
        await ensure(entry);
        files.push(s);
      }
    }
  }
  await writeRef(settings.cacheDir, ref, commit);
  const missing = remote.length ? undefined : await missingFile(dir, need);
  if (missing !== undefined) {
    throw new HubError("not-found", `${name}@${commit.slice(0, 12)}: the repository has no ${missing}`, 404);
  }
  return { ref, commit, dir, files: files.sort(), downloaded, remote };
}

/** Where a Hub reference stands after resolution: written into a run's config.json for reproducibility. */
export interface ResolvedHubRef {
  /** The reference as written by the user. */
  ref: string;
  /** The same reference pinned to the commit (`hf:org/name@<sha>`). */
  pinned: string;
  /** Commit sha. */
  commit: string;
  /** Local snapshot folder. */
  path: string;
}

/**
 * Resolves a path-or-reference for the path-based loaders: a local path is returned as is (with `resolved`
 * undefined); a Hub reference is fetched (model or tokenizer files) and its snapshot folder returned.
 */
export async function resolveHubPath(
  pathOrRef: string,
  need: SnapshotNeed,
  opts: FetchSnapshotOptions = {},
): Promise<{ path: string; resolved?: ResolvedHubRef }> {
  if (!pathOrRef.startsWith("hf:")) return { path: pathOrRef };
  const ref = parseHubRef(pathOrRef);
  const snap = await fetchSnapshot({ ...ref, path: "" }, need, opts);
  const path = ref.path ? join(snap.dir, ...ref.path.split("/")) : snap.dir;
  return {
    path,
    resolved: { ref: pathOrRef, pinned: formatHubRef({ ...ref, revision: snap.commit }), commit: snap.commit, path },
  };
}

/** The local folder or file of a path-or-reference (a Hub reference is fetched or found in the cache). */
export async function hubLocalPath(
  pathOrRef: string,
  need: SnapshotNeed,
  opts: FetchSnapshotOptions = {},
): Promise<string> {
  return (await resolveHubPath(pathOrRef, need, opts)).path;
}
