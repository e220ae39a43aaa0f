/**
 * Deno adapters (the only part of the data pipeline, with `prepare.ts`, `stats.ts` and `bench.ts`, that uses
 * `Deno.*`): byte streams and random-access buffers over local paths or http(s) URLs, a shard sink writing into a
 * directory, and opening prepared dataset directories.
 *
 * @module
 */
import { join } from "@std/path";
import { asyncBufferFromUrl } from "hyparquet";
import { type Manifest, parseManifest } from "./manifest.ts";
import type { ParquetBuffer, ParquetCompressors } from "./parquet.ts";
import { sha256Hex, type ShardSink } from "./shard_writer.ts";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { type TaskSource, taskSourcesFromManifest } from "./task_source.ts";

/** True for http(s) URLs. */
export function isUrl(location: string): boolean {
  return /^https?:\/\//i.test(location);
}

/** Streams the bytes of a local file or an http(s) URL (not downloaded whole). Errors name the location. */
export async function openByteStream(location: string): Promise<ReadableStream<Uint8Array>> {
  if (isUrl(location)) {
    let res: Response;
    try {
      res = await fetch(location);
    } catch (e) {
      throw new Error(`${location}: cannot fetch (${(e as Error).message}); check the URL and the network`);
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      throw new Error(`${location}: HTTP ${res.status} ${res.statusText}; check the URL`);
    }
    return res.body;
  }
  try {
    return (await Deno.open(location, { read: true })).readable;
  } catch (e) {
    throw new Error(`${location}: cannot open (${(e as Error).message}); check the path`);
  }
}

/** Random-access buffer for parquet: a local file read with seek (nothing is loaded whole) or HTTP range requests. */
export async function openAsyncBuffer(location: string, headers?: Record<string, string>): Promise<ParquetBuffer> {
  if (isUrl(location)) {
    try {
      return await asyncBufferFromUrl({ url: location, requestInit: headers ? { headers } : undefined });
    } catch (e) {
      throw new Error(`${location}: cannot fetch (${(e as Error).message}); check the URL`);
    }
  }
  let file: Deno.FsFile;
  try {
    file = await Deno.open(location, { read: true });
  } catch (e) {
    throw new Error(`${location}: cannot open (${(e as Error).message}); check the path`);
  }
  const byteLength = (await file.stat()).size;
  // Reads are serialised: a file handle has one position.
  let queue: Promise<unknown> = Promise.resolve();
  const read = async (start: number, end: number): Promise<ArrayBuffer> => {
    const out = new Uint8Array(end - start);
    await file.seek(start, Deno.SeekMode.Start);
    let o = 0;
    while (o < out.length) {
      const n = await file.read(out.subarray(o));
      if (n === null) break;
      o += n;
    }
    return out.buffer.slice(0, o);
  };
  return {
    byteLength,
    slice(start: number, end?: number): Promise<ArrayBuffer> {
      const p = queue.then(() => read(start, Math.min(end ?? byteLength, byteLength)));
      queue = p.catch(() => {});
      return p;
    },
  };
}

/**
 * Parquet decompressors beyond snappy (built into hyparquet): GZIP, BROTLI and ZSTD through `node:zlib`, imported
 * on first use so that importing this package in a browser does not need it.
 */
export async function parquetCompressors(): Promise<ParquetCompressors> {
  const { default: zlib } = await import("node:zlib");
  return {
    GZIP: (input: Uint8Array) => new Uint8Array(zlib.gunzipSync(input)),
    BROTLI: (input: Uint8Array) => new Uint8Array(zlib.brotliDecompressSync(input)),
    ZSTD: (input: Uint8Array) => new Uint8Array(zlib.zstdDecompressSync(input)),
  };
}

/** Hex SHA-256 of a local file, streamed (the file is never held whole in memory). */
export async function sha256File(path: string): Promise<string> {
  const h = sha256.create();
  const f = await Deno.open(path, { read: true });
  for await (const chunk of f.readable) h.update(chunk);
  return bytesToHex(h.digest());
}

/** Flushes a folder's entries (a rename into it) to disk. Best effort where a folder cannot be opened (Windows). */
export async function syncDir(dir: string): Promise<void> {
  let f: Deno.FsFile;
  try {
    f = await Deno.open(dir, { read: true });
  } catch {
    return;
  }
  try {
    await f.sync();
  } catch {
    // Some file systems refuse fsync on a folder; the rename itself is still atomic.
  } finally {
    f.close();
  }
}

/**
 * Writes bytes to `path` atomically: a temporary file `<path>.tmp-<pid>-<id>` in the same folder, flushed, renamed
 * over `path`, then the folder flushed. A crash at any point leaves either the old file or the new one whole, plus at
 * most a `*.tmp-*` leftover (see {@link removeLeftovers}).
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${path}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const file = await Deno.open(tmp, { write: true, create: true, truncate: true });
  try {
    let written = 0;
    while (written < bytes.length) written += await file.write(bytes.subarray(written));
    await file.sync();
  } catch (e) {
    file.close();
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
  file.close();
  await Deno.rename(tmp, path);
  await syncDir(join(path, ".."));
}

/**
 * Removes what an interrupted writer left in `dir` (not recursive): `*.tmp-*` files of {@link writeFileAtomic} and
 * folders whose names start with one of `prefixes` (e.g. ".staging-"). Returns the names removed.
 */
export async function removeLeftovers(dir: string, prefixes: readonly string[] = []): Promise<string[]> {
  const removed: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if ((e.isFile && /\.tmp-\d+-[0-9a-f]{8}$/.test(e.name)) || prefixes.some((p) => e.name.startsWith(p))) {
        await Deno.remove(join(dir, e.name), { recursive: true });
        removed.push(e.name);
      }
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return removed.sort();
}

/** A {@link ShardSink} writing into directory `dir` (subdirectories are created). */
export function directorySink(dir: string): ShardSink {
  return {
    async write(file: string, bytes: Uint8Array): Promise<void> {
      const path = join(dir, file);
      await Deno.mkdir(join(path, ".."), { recursive: true });
      // Shards are published by the manifest that names them, so they only need to be on disk before it is.
      const f = await Deno.open(path, { write: true, createNew: true });
      try {
        let written = 0;
        while (written < bytes.length) written += await f.write(bytes.subarray(written));
        await f.sync();
      } finally {
        f.close();
      }
    },
  };
}

/** `file` inside the dataset folder `dir`: a path, or a URL under an http(s) folder URL. */
export function datasetFile(dir: string, file: string): string {
  return isUrl(dir) ? new URL(file, dir.endsWith("/") ? dir : `${dir}/`).href : join(dir, file);
}

/** Reads `<dir>/manifest.json` (a local folder or an http(s) URL), or `undefined` when absent. */
export async function readManifest(dir: string): Promise<Manifest | undefined> {
  const file = datasetFile(dir, "manifest.json");
  let text: string;
  if (isUrl(file)) {
    let res: Response;
    try {
      res = await fetch(file);
    } catch (e) {
      throw new Error(`${file}: cannot fetch (${(e as Error).message}); check the URL and the network`);
    }
    if (res.status === 404) {
      await res.body?.cancel();
      return undefined;
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new Error(`${file}: HTTP ${res.status} ${res.statusText}; check the URL`);
    }
    text = await res.text();
    return parseManifest(text, file);
  }
  try {
    text = await Deno.readTextFile(file);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
  return parseManifest(text, file);
}

/** A prepared dataset directory. */
export interface DatasetDir {
  /** Directory path. */
  dir: string;
  /** Its manifest. */
  manifest: Manifest;
  /** Task sources of one split (all tasks, or `tasks`). */
  sources(split: string, tasks?: string[]): TaskSource[];
}

/** Opens a prepared dataset directory (throws when it has no manifest). */
export async function openDatasetDir(dir: string): Promise<DatasetDir> {
  const manifest = await readManifest(dir);
  if (!manifest) {
    throw new Error(
      `${datasetFile(dir, "manifest.json")}: not found; create the dataset with "deno task data prepare"`,
    );
  }
  const open = (file: string) => openByteStream(datasetFile(dir, file));
  return {
    dir,
    manifest,
    sources: (split, tasks) => taskSourcesFromManifest(manifest, open, split, tasks, datasetFile(dir, "manifest.json")),
  };
}

/** Task sources of `split` across several dataset directories (tasks must not repeat across them). */
export async function openTaskSources(dirs: string[], split: string, tasks?: string[]): Promise<TaskSource[]> {
  const out: TaskSource[] = [];
  for (const dir of dirs) {
    const ds = await openDatasetDir(dir);
    const have = new Set(ds.manifest.entries.filter((e) => e.split === split).map((e) => e.task));
    out.push(...ds.sources(split, tasks ? tasks.filter((t) => have.has(t)) : undefined));
  }
  for (const t of tasks ?? []) {
    if (!out.some((s) => s.task === t)) throw new Error(`no "${split}" split of task "${t}" in ${dirs.join(", ")}`);
  }
  const seen = new Set<string>();
  for (const s of out) {
    if (seen.has(s.task)) throw new Error(`task "${s.task}" (${split}) is in more than one of ${dirs.join(", ")}`);
    seen.add(s.task);
  }
  return out;
}

/** Where a tokenizer was loaded from and the SHA-256 of its defining file (`tokenizer.json`, else `spiece.model`,
 * for a folder), for manifests. */
export async function tokenizerInfo(location: string): Promise<{ location: string; sha256: string }> {
  let file = location;
  if ((await Deno.stat(location)).isDirectory) {
    const json = join(location, "tokenizer.json");
    file = await Deno.stat(json).then(() => json, () => join(location, "spiece.model"));
  }
  return { location, sha256: await sha256Hex(await Deno.readFile(file)) };
}
