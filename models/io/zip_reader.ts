/**
 * Minimal random-access ZIP reader (central directory, ZIP64, stored and deflated entries) over a
 * {@link ByteReader}. PyTorch checkpoints store every member uncompressed, so a tensor is read as one byte range of
 * the archive without loading the rest; no npm zip library offers that over an async random-access source.
 * @module
 */
import type { ByteReader } from "./byte_reader.ts";

/** One member of the archive, from the central directory. */
export interface ZipEntry {
  /** Path inside the archive. */
  name: string;
  /** 0 = stored, 8 = deflated. */
  method: number;
  /** CRC-32 of the uncompressed data. */
  crc32: number;
  /** Size as stored. */
  compressedSize: number;
  /** Size after decompression. */
  size: number;
  /** Offset of the local file header. */
  localHeaderOffset: number;
}

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;

function u64(view: DataView, at: number, label: string): number {
  const v = view.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`${label}: a ZIP64 size or offset is too large (${v})`);
  return Number(v);
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (the ZIP / IEEE polynomial) of `bytes`; pass the previous result as `crc` to continue over more bytes. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  if (crcTable === undefined) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = (crc ^ 0xffffffff) >>> 0;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A ZIP archive opened for random access. */
export class ZipArchive {
  /** File path or label, for messages. */
  readonly label: string;
  /** Members by name. */
  readonly entries: Map<string, ZipEntry>;
  readonly #reader: ByteReader;
  readonly #dataOffsets = new Map<string, number>();
  /** Stored members whose CRC-32 has been checked. */
  readonly #checked = new Set<string>();

  private constructor(reader: ByteReader, entries: Map<string, ZipEntry>, label: string) {
    this.#reader = reader;
    this.entries = entries;
    this.label = label;
  }

  /** Reads the central directory. Throws naming the file if it is not a ZIP archive or is damaged. */
  static async open(reader: ByteReader, label: string): Promise<ZipArchive> {
    const size = reader.size;
    if (size < 22) throw new Error(`zip '${label}': only ${size} bytes, too small to be a ZIP archive`);
    // The end record sits in the last 22 bytes plus an archive comment of up to 64 KiB; try a small tail first.
    let tail: Uint8Array = new Uint8Array(0);
    let eocd = -1;
    for (const want of [1024, 22 + 65535 + 20]) {
      const tailLen = Math.min(size, want);
      if (tailLen <= tail.length) break;
      tail = await reader.read(size - tailLen, tailLen);
      const tv = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
      for (let i = tailLen - 22; i >= 0; i--) {
        if (tv.getUint32(i, true) === EOCD_SIG) {
          eocd = i;
          break;
        }
      }
      if (eocd >= 20 || (eocd >= 0 && tailLen === size)) break; // the ZIP64 locator (20 bytes) must fit too
      eocd = -1;
    }
    const tv = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
    if (eocd < 0) throw new Error(`zip '${label}': no end-of-central-directory record; not a ZIP archive`);
    let count = tv.getUint16(eocd + 10, true);
    let cdSize = tv.getUint32(eocd + 12, true);
    let cdOffset = tv.getUint32(eocd + 16, true);
    const loc = eocd - 20;
    const hasLocator = loc >= 0 && tv.getUint32(loc, true) === ZIP64_LOCATOR_SIG;
    if (!hasLocator && (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff)) {
      throw new Error(`zip '${label}': ZIP64 sizes announced but no ZIP64 locator found`);
    }
    if (hasLocator) {
      // Like Python's zipfile, trust the ZIP64 record whenever its locator is present.
      const z64Offset = u64(tv, loc + 8, `zip '${label}'`);
      if (z64Offset + 56 > size) throw new Error(`zip '${label}': ZIP64 end record is past the end of the file`);
      const z = await reader.read(z64Offset, 56);
      const zv = new DataView(z.buffer, z.byteOffset, 56);
      if (zv.getUint32(0, true) !== ZIP64_EOCD_SIG) throw new Error(`zip '${label}': bad ZIP64 end record`);
      count = u64(zv, 32, `zip '${label}'`);
      cdSize = u64(zv, 40, `zip '${label}'`);
      cdOffset = u64(zv, 48, `zip '${label}'`);
    }
    if (cdOffset + cdSize > size) {
      throw new Error(
        `zip '${label}': central directory (${cdOffset}+${cdSize}) is past the end; the file is truncated`,
      );
    }
    const cd = await reader.read(cdOffset, cdSize);
    const cv = new DataView(cd.buffer, cd.byteOffset, cd.byteLength);
    const entries = new Map<string, ZipEntry>();
    const decoder = new TextDecoder();
    let p = 0;
    for (let k = 0; k < count; k++) {
      if (p + 46 > cdSize || cv.getUint32(p, true) !== CENTRAL_SIG) {
        throw new Error(`zip '${label}': central directory entry ${k} is damaged`);
      }
      const flags = cv.getUint16(p + 8, true);
      const method = cv.getUint16(p + 10, true);
      const crc = cv.getUint32(p + 16, true);
      let compressedSize = cv.getUint32(p + 20, true);
      let usize = cv.getUint32(p + 24, true);
      const nameLen = cv.getUint16(p + 28, true);
      const extraLen = cv.getUint16(p + 30, true);
      const commentLen = cv.getUint16(p + 32, true);
      let localHeaderOffset = cv.getUint32(p + 42, true);
      const name = decoder.decode(cd.subarray(p + 46, p + 46 + nameLen));
      if (flags & 1) throw new Error(`zip '${label}': member '${name}' is encrypted`);
      // ZIP64 extended information: only the fields saturated in the fixed header are present, in this order.
      let e = p + 46 + nameLen;
      const extraEnd = e + extraLen;
      while (e + 4 <= extraEnd) {
        const id = cv.getUint16(e, true);
        const len = cv.getUint16(e + 2, true);
        if (id === 0x0001) {
          let q = e + 4;
          const what = `zip '${label}', member '${name}'`;
          if (usize === 0xffffffff) (usize = u64(cv, q, what)), (q += 8);
          if (compressedSize === 0xffffffff) (compressedSize = u64(cv, q, what)), (q += 8);
          if (localHeaderOffset === 0xffffffff) localHeaderOffset = u64(cv, q, what);
        }
        e += 4 + len;
      }
      entries.set(name, { name, method, crc32: crc, compressedSize, size: usize, localHeaderOffset });
      p = extraEnd + commentLen;
    }
    return new ZipArchive(reader, entries, label);
  }

  /** Looks a member up; throws naming the archive if absent. */
  entry(name: string): ZipEntry {
    const e = this.entries.get(name);
    if (e === undefined) throw new Error(`zip '${this.label}': no member '${name}'`);
    return e;
  }

  async #dataOffset(entry: ZipEntry): Promise<number> {
    const known = this.#dataOffsets.get(entry.name);
    if (known !== undefined) return known;
    if (entry.localHeaderOffset + 30 > this.#reader.size) {
      throw new Error(`zip '${this.label}': member '${entry.name}' header is past the end of the file`);
    }
    const h = await this.#reader.read(entry.localHeaderOffset, 30);
    const hv = new DataView(h.buffer, h.byteOffset, 30);
    if (hv.getUint32(0, true) !== LOCAL_SIG) {
      throw new Error(`zip '${this.label}': member '${entry.name}' has a damaged local header`);
    }
    const start = entry.localHeaderOffset + 30 + hv.getUint16(26, true) + hv.getUint16(28, true);
    if (start + entry.compressedSize > this.#reader.size) {
      throw new Error(`zip '${this.label}': member '${entry.name}' runs past the end of the file; it is truncated`);
    }
    this.#dataOffsets.set(entry.name, start);
    return start;
  }

  /** Reads a whole member (inflating it if deflated) and checks its CRC-32. */
  async readAll(name: string): Promise<Uint8Array> {
    const entry = this.entry(name);
    const raw = await this.#reader.read(await this.#dataOffset(entry), entry.compressedSize);
    let data: Uint8Array;
    if (entry.method === 0) data = raw;
    else if (entry.method === 8) {
      const stream = new Blob([raw as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
        new DecompressionStream("deflate-raw"),
      );
      data = new Uint8Array(await new Response(stream).arrayBuffer());
    } else {
      throw new Error(
        `zip '${this.label}': member '${name}' uses compression method ${entry.method}; only stored/deflate`,
      );
    }
    if (data.byteLength !== entry.size || crc32(data) !== entry.crc32) {
      throw new Error(`zip '${this.label}': member '${name}' fails its size/CRC check; the file is corrupt`);
    }
    return data;
  }

  /**
   * Reads `length` bytes at `offset` inside a member. Stored members are read directly; deflated ones are inflated
   * whole first. Either way the member's CRC-32 is checked once: a stored member read in part is read whole once
   * more, in bounded chunks, for the check.
   */
  async readRange(name: string, offset: number, length: number): Promise<Uint8Array> {
    const entry = this.entry(name);
    if (offset < 0 || length < 0 || offset + length > entry.size) {
      throw new Error(
        `zip '${this.label}': range ${offset}..${offset + length} is outside member '${name}' (${entry.size} bytes)`,
      );
    }
    if (entry.method !== 0) return (await this.readAll(name)).slice(offset, offset + length);
    const start = await this.#dataOffset(entry);
    const out = await this.#reader.read(start + offset, length);
    if (!this.#checked.has(name)) {
      let crc: number;
      if (offset === 0 && length === entry.size) crc = crc32(out);
      else {
        crc = 0;
        const CHUNK = 16 << 20;
        for (let o = 0; o < entry.size; o += CHUNK) {
          crc = crc32(await this.#reader.read(start + o, Math.min(CHUNK, entry.size - o)), crc);
        }
      }
      if (crc !== entry.crc32) {
        throw new Error(`zip '${this.label}': member '${name}' fails its CRC check; the file is corrupt`);
      }
      this.#checked.add(name);
    }
    return out;
  }
}
