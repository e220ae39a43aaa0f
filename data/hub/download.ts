/**
 * Downloads one file of the Hub into a blob of the cache: resumes a cut download from its `.incomplete` file with an
 * HTTP Range request, checks the sha256 of LFS files against the Hub's oid and discards a blob that does not match.
 * @module
 */
import { createHash } from "node:crypto";
import { HubError, type HubErrorContext, hubErrorFromResponse } from "./errors.ts";
import { downloadProgress } from "./progress.ts";

/** Options of {@link downloadBlob}. */
export interface DownloadBlobOptions {
  /** `resolve` URL of the file. */
  url: string;
  /** Final blob path; the download goes to `<blob>.incomplete` and is renamed when complete and checked. */
  blobPath: string;
  /** Size announced by the Hub's tree listing. */
  size: number;
  /**
   * Expected hash: the Hub's LFS oid (sha256 of the content) for LFS files, the git blob oid (sha1 of
   * `blob <size>\0<content>`) for the others.
   */
  verify?: { algorithm: "sha256" | "git-sha1"; hex: string };
  /** Bearer token. */
  token?: string;
  /** Name shown in progress and errors (`repo/path`). */
  name: string;
  /** For error messages. */
  context: HubErrorContext;
  /** Draw a progress bar. */
  interactive: boolean;
  /** Log lines. */
  log: (message: string) => void;
  /** fetch (tests may wrap it). */
  fetch?: typeof fetch;
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await Deno.stat(path)).size;
  } catch {
    return 0;
  }
}

async function hashFile(path: string, hash: ReturnType<typeof createHash>): Promise<void> {
  using f = await Deno.open(path, { read: true });
  for await (const chunk of f.readable) hash.update(chunk);
}

/** Downloads into `blobPath` (resuming `blobPath.incomplete`), verifies, renames. Returns the bytes fetched. */
export async function downloadBlob(opts: DownloadBlobOptions): Promise<number> {
  const incomplete = `${opts.blobPath}.incomplete`;
  let have = await fileSize(incomplete);
  if (have > opts.size) {
    await Deno.remove(incomplete);
    have = 0;
  }
  const headers: Record<string, string> = {};
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  if (have > 0) headers.Range = `bytes=${have}-`;
  let res = have === opts.size && have > 0 ? undefined : await (opts.fetch ?? fetch)(opts.url, { headers });
  if (res && res.status === 416) {
    await res.body?.cancel();
    await Deno.remove(incomplete).catch(() => {});
    have = 0;
    delete headers.Range;
    res = await (opts.fetch ?? fetch)(opts.url, { headers });
  }
  if (res && !res.ok) throw await hubErrorFromResponse(res, opts.context);
  const append = res?.status === 206 && have > 0;
  if (res && !append) have = 0;
  const verify = opts.verify;
  const newHash = () => {
    if (!verify) return undefined;
    if (verify.algorithm === "sha256") return createHash("sha256");
    return createHash("sha1").update(`blob ${opts.size}\0`);
  };
  const hash = newHash();
  if (hash && have > 0) await hashFile(incomplete, hash);
  let fetched = 0;
  if (res?.body) {
    const progress = downloadProgress(opts.name, opts.size, have, opts.interactive, opts.log);
    using file = await Deno.open(incomplete, { write: true, create: true, append, truncate: !append });
    try {
      for await (const chunk of res.body) {
        let o = 0;
        while (o < chunk.length) o += await file.write(chunk.subarray(o));
        hash?.update(chunk);
        fetched += chunk.length;
        progress.add(chunk.length);
      }
    } catch (e) {
      throw new HubError(
        "http",
        `${opts.name}: the download stopped after ${have + fetched} of ${opts.size} bytes ` +
          `(${(e as Error).message}); run again to resume from ${incomplete}`,
      );
    } finally {
      await progress.end();
    }
  } else if (hash && have === 0) {
    await hashFile(incomplete, hash);
  }
  const got = await fileSize(incomplete);
  if (got !== opts.size) {
    throw new HubError(
      "http",
      `${opts.name}: download stopped at ${got} of ${opts.size} bytes; run again to resume from ${incomplete}`,
    );
  }
  if (hash && verify) {
    const digest = hash.digest("hex");
    if (digest !== verify.hex) {
      await Deno.remove(incomplete).catch(() => {});
      const what = verify.algorithm === "sha256" ? "sha256" : "git oid";
      throw new HubError(
        "corrupt",
        `${opts.name}: ${what} ${digest} does not match the Hub's ${verify.hex}; the corrupted download was discarded, run again`,
      );
    }
  }
  await Deno.rename(incomplete, opts.blobPath);
  return fetched;
}
