/**
 * Random-access byte sources that checkpoint readers pull tensors from, one range at a time.
 * @module
 */

/**
 * A random-access read-only byte source of known size (a file, a `Blob`, an in-memory buffer).
 *
 * `read` returns exactly `length` bytes starting at `offset`, in a buffer the caller owns (a fresh copy: the
 * caller may view or mutate it without affecting the source), or rejects if the range is out of bounds.
 */
export interface ByteReader {
  /** Total size in bytes. */
  readonly size: number;
  /** Reads `[offset, offset + length)` into a fresh buffer. */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Releases the underlying resource (a file handle); further reads reject. Optional. */
  close?(): void;
}

/** Throws a clear error if `[offset, offset + length)` is not inside a source of `size` bytes. */
export function checkRange(offset: number, length: number, size: number, label: string): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new Error(`${label}: invalid byte range (offset ${offset}, length ${length})`);
  }
  if (offset + length > size) {
    throw new Error(
      `${label}: byte range ${offset}..${offset + length} is past the end of the data (${size} bytes); ` +
        `the file is truncated or corrupt`,
    );
  }
}

/** A {@link ByteReader} over bytes already in memory (reads copy the requested range). */
export function bytesReader(bytes: Uint8Array, label = "in-memory bytes"): ByteReader {
  return {
    size: bytes.byteLength,
    read(offset: number, length: number): Promise<Uint8Array> {
      try {
        checkRange(offset, length, bytes.byteLength, label);
      } catch (e) {
        return Promise.reject(e);
      }
      return Promise.resolve(bytes.slice(offset, offset + length));
    },
  };
}

/** A {@link ByteReader} over a `Blob` or `File` (browser uploads, `fetch` responses): reads only the slices asked for. */
export function blobReader(blob: Blob, label = "blob"): ByteReader {
  return {
    size: blob.size,
    async read(offset: number, length: number): Promise<Uint8Array> {
      checkRange(offset, length, blob.size, label);
      const buf = await blob.slice(offset, offset + length).arrayBuffer();
      if (buf.byteLength !== length) {
        throw new Error(`${label}: asked for ${length} bytes at ${offset}, got ${buf.byteLength}`);
      }
      return new Uint8Array(buf);
    },
  };
}
