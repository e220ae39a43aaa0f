/**
 * `hf://datasets/<org>/<name>[@<revision>]/<path-or-glob>` as input of `deno task data prepare`: the matching files
 * (parquet, JSONL, TSV) are fetched into the shared cache, or, above a size, read in place with HTTP range requests.
 * @module
 */
import { fetchSnapshot, type FetchSnapshotOptions } from "./snapshot.ts";
import { formatHubRef, parseHubRef } from "./ref.ts";
import { join } from "@std/path";
import { hubSettings } from "./settings.ts";
import { inferFormat, inferSplit, type PrepareInput } from "../prepare.ts";

/** One file of a dataset reference. */
export interface HubDatasetFile {
  /** Path in the repository. */
  path: string;
  /** Local path in the cache, or the `resolve` URL for a file read in place. */
  location: string;
  /** Pinned reference of the file (`hf://datasets/org/name@<sha>/<path>`), for provenance. */
  source: string;
  /** Authorization header for a file read in place from a gated or private repository. */
  headers?: Record<string, string>;
}

/** The files of a dataset reference and the commit they come from. */
export interface HubDatasetFiles {
  /** Commit sha. */
  commit: string;
  /** Matching files, sorted by path. */
  files: HubDatasetFile[];
}

/** Default size above which a file is read in place rather than downloaded (`HF_HUB_STREAM_MIN_MB`, default 1024). */
export function streamThreshold(): number {
  const mb = Number(Deno.env.get("HF_HUB_STREAM_MIN_MB") ?? 1024);
  return (Number.isFinite(mb) && mb >= 0 ? mb : 1024) * 2 ** 20;
}

/** Expands a dataset reference (a path or a glob such as `cola/*.parquet`) into files. */
export async function hubDatasetFiles(reference: string, opts: FetchSnapshotOptions = {}): Promise<HubDatasetFiles> {
  const ref = parseHubRef(reference);
  if (ref.type !== "dataset") throw new Error(`${reference}: expected hf://datasets/<org>/<name>/<path-or-glob>`);
  if (!ref.path) {
    throw new Error(
      `${reference}: name the files inside the repository, e.g. hf://datasets/${ref.repo}/cola/*.parquet`,
    );
  }
  const settings = opts.settings ?? hubSettings();
  const snap = await fetchSnapshot(ref, { globs: [ref.path] }, {
    ...opts,
    settings,
    streamLargerThan: opts.streamLargerThan ?? streamThreshold(),
  });
  const pin = (path: string) => formatHubRef({ ...ref, revision: snap.commit, path });
  const files: HubDatasetFile[] = [
    ...snap.files.map((p) => ({ path: p, location: join(snap.dir, ...p.split("/")), source: pin(p) })),
    ...snap.remote.map((r) => ({
      path: r.path,
      location: r.url,
      source: pin(r.path),
      headers: settings.token ? { Authorization: `Bearer ${settings.token}` } : undefined,
    })),
  ];
  files.sort((a, b) => a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  return { commit: snap.commit, files };
}

/**
 * `deno task data prepare --input hf://datasets/…`: the inputs of a Hub dataset reference, splits taken from the file
 * names (or, as in `refs/convert/parquet`, the parent folder), recorded in the manifest pinned to the commit.
 */
export async function expandHubInputs(
  reference: string,
  task: string,
  opts: FetchSnapshotOptions = {},
): Promise<PrepareInput[]> {
  const { files } = await hubDatasetFiles(reference, opts);
  const out = files.flatMap((f) => {
    const split = inferSplit(f.path) ?? inferSplit(f.path.split("/").slice(-2, -1)[0] ?? "");
    return split
      ? [{ split, location: f.location, format: inferFormat(f.path, task), source: f.source, headers: f.headers }]
      : [];
  });
  if (out.length === 0) throw new Error(`${reference}: no .tsv/.parquet/.jsonl(.gz) files with a split in the name`);
  return out;
}
