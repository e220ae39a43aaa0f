/**
 * Deno-only adapter: a {@link ByteReader} over a file on disk (seek + read), so checkpoints are read tensor by tensor
 * instead of whole.
 * @module
 */
import type { ByteReader } from "./byte_reader.ts";
import { checkRange } from "./byte_reader.ts";

/** A {@link ByteReader} over an open file; call `close()` when done. */
export interface FileByteReader extends ByteReader {
  /** The path it was opened from. */
  readonly path: string;
  /** Closes the file handle. */
  close(): void;
}

/**
 * Wraps an open `Deno.FsFile` of `size` bytes. Reads are serialized (seek and read share the file position), and
 * each returns a fresh buffer filled completely (short reads are retried).
 */
export function fsFileReader(file: Deno.FsFile, size: number, path: string): FileByteReader {
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;
  const readAt = async (offset: number, length: number): Promise<Uint8Array> => {
    if (closed) throw new Error(`file '${path}' is closed`);
    checkRange(offset, length, size, `file '${path}'`);
    const out = new Uint8Array(length);
    await file.seek(offset, Deno.SeekMode.Start);
    let got = 0;
    while (got < length) {
      const n = await file.read(out.subarray(got));
      if (n === null) {
        throw new Error(`file '${path}': unexpected end of file at byte ${offset + got}; was it truncated?`);
      }
      got += n;
    }
    return out;
  };
  return {
    path,
    size,
    read(offset: number, length: number): Promise<Uint8Array> {
      const result = queue.then(() => readAt(offset, length));
      queue = result.catch(() => {});
      return result;
    },
    close(): void {
      if (closed) return;
      closed = true;
      file.close();
    },
  };
}

/** Opens `path` for random-access reading. Throws naming the path if it cannot be opened. */
export async function openFileReader(path: string): Promise<FileByteReader> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (e) {
    throw new Error(`cannot open '${path}': ${(e as Error).message}`);
  }
  try {
    const info = await file.stat();
    if (!info.isFile) throw new Error(`'${path}' is not a regular file`);
    return fsFileReader(file, info.size, path);
  } catch (e) {
    file.close();
    throw e;
  }
}
