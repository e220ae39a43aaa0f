/**
 * The Hub cache in the layout of Python's `huggingface_hub`, so that both reuse each other's downloads:
 * `<cache>/<models|datasets>--<org>--<name>/{blobs/<etag>, snapshots/<commit>/<path> → ../../blobs/<etag>,
 * refs/<revision> (a file holding the commit)}`.
 * @module
 */
import { dirname, join, relative } from "@std/path";
import type { HubRef, RepoType } from "./ref.ts";
import { isCommitSha } from "./ref.ts";

/** Folder of one repository in the cache. */
export function repoFolder(cacheDir: string, type: RepoType, repo: string): string {
  return join(cacheDir, [`${type}s`, ...repo.split("/")].join("--"));
}

/** Snapshot folder of a commit. */
export function snapshotFolder(cacheDir: string, ref: Pick<HubRef, "type" | "repo">, commit: string): string {
  return join(repoFolder(cacheDir, ref.type, ref.repo), "snapshots", commit);
}

/** The commit a revision points to in the cache (a commit sha is itself), or undefined when it is not cached. */
export async function cachedCommit(cacheDir: string, ref: HubRef): Promise<string | undefined> {
  if (isCommitSha(ref.revision)) return ref.revision;
  try {
    const sha = (await Deno.readTextFile(join(repoFolder(cacheDir, ref.type, ref.repo), "refs", ref.revision))).trim();
    return isCommitSha(sha) ? sha : undefined;
  } catch {
    return undefined;
  }
}

/** Records `refs/<revision>` → commit (nothing for a revision that is a commit sha). */
export async function writeRef(cacheDir: string, ref: HubRef, commit: string): Promise<void> {
  if (ref.revision === commit) return;
  const path = join(repoFolder(cacheDir, ref.type, ref.repo), "refs", ref.revision);
  await Deno.mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${crypto.randomUUID()}.tmp`;
  await Deno.writeTextFile(tmp, commit);
  await Deno.rename(tmp, path);
}

/** True when `path` exists (following links). */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Points `snapshots/<commit>/<file>` at the blob: a relative symlink as Python writes it, or a copy where links
 * cannot be made (Windows without developer mode).
 */
export async function linkBlob(blobPath: string, pointerPath: string): Promise<void> {
  await Deno.mkdir(dirname(pointerPath), { recursive: true });
  // Made beside and renamed into place, so that concurrent fetches of one snapshot never see a half-made link.
  const tmp = `${pointerPath}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    await Deno.symlink(relative(dirname(pointerPath), blobPath), tmp);
  } catch {
    await Deno.copyFile(blobPath, tmp);
  }
  await Deno.rename(tmp, pointerPath);
}

/** Files under a snapshot folder (relative, `/`-separated, sorted). */
export async function listSnapshot(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, prefix: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(d));
    } catch {
      return;
    }
    for (const e of entries) {
      const rel = prefix ? `${prefix}/${e.name}` : e.name;
      if (e.isDirectory) await walk(join(d, e.name), rel);
      else if (await exists(join(d, e.name))) out.push(rel);
    }
  };
  await walk(dir, "");
  return out.sort();
}
