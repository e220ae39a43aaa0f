/**
 * safetensors reader: validates the header as the reference implementation does, then reads tensors one at a time
 * from a {@link ByteReader}.
 *
 * Layout: 8-byte little-endian header length `N`, `N` bytes of UTF-8 JSON, then the data section. Each JSON entry is
 * `{dtype, shape, data_offsets: [begin, end]}` relative to the data section; the optional `__metadata__` entry is a
 * string→string map.
 * @module
 */
import { type ByteReader, bytesReader } from "./byte_reader.ts";
import {
  decodeTensorBytes,
  type DType,
  type Float32Tensor,
  isDType,
  safetensorsItemSize,
  type StoredTensor,
} from "./dtype.ts";
import { readDecoded, readDecodedFloat32 } from "./_read_tensor.ts";
import { missingTensorError, type TensorInfo, type TensorSource } from "./tensor_source.ts";

/** The reference implementation refuses headers larger than this (bytes). */
export const MAX_SAFETENSORS_HEADER = 100_000_000;

/** One tensor's header entry with offsets relative to the data section. */
export interface SafetensorsEntry {
  /** Tensor name. */
  name: string;
  /** dtype string as written (may be a type this package cannot decode, e.g. `F8_E4M3`). */
  dtype: string;
  /** Dimensions. */
  shape: number[];
  /** Start offset in the data section (inclusive). */
  begin: number;
  /** End offset in the data section (exclusive). */
  end: number;
}

/** A validated safetensors header. */
export interface SafetensorsHeader {
  /** The `__metadata__` map (empty if absent). */
  metadata: Record<string, string>;
  /** Entries sorted by data offset. */
  entries: SafetensorsEntry[];
  /** Absolute byte offset of the data section (8 + N). */
  dataStart: number;
}

function fail(label: string, message: string): never {
  throw new Error(`safetensors file '${label}': ${message}`);
}

/** Reads the header length from the first 8 bytes and checks it against the file size. */
export function parseHeaderLength(prefix: Uint8Array, fileSize: number, label: string): number {
  if (fileSize < 8 || prefix.byteLength < 8) {
    fail(label, `only ${fileSize} bytes; a safetensors file starts with an 8-byte header length`);
  }
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_SAFETENSORS_HEADER)) {
    fail(label, `header length ${n} exceeds ${MAX_SAFETENSORS_HEADER} bytes; this is not a safetensors file`);
  }
  const len = Number(n);
  if (8 + len > fileSize) {
    fail(label, `header length ${len} runs past the end of the file (${fileSize} bytes); the file is truncated`);
  }
  return len;
}

function isNonNegInt(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

/**
 * Parses and validates the JSON header: entry fields, dtype × shape × byte length, and offsets that tile the data
 * section from 0 to `fileSize − 8 − N` without gaps or overlap. Errors name the file and the tensor.
 */
export function parseSafetensorsHeader(json: Uint8Array, fileSize: number, label: string): SafetensorsHeader {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(json);
  } catch {
    fail(label, "header is not valid UTF-8");
  }
  if (!text.trimStart().startsWith("{")) fail(label, "header does not start with '{'; this is not a safetensors file");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    fail(label, `header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    fail(label, "header is not a JSON object");
  }

  const metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        fail(label, "__metadata__ must be an object of strings");
      }
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== "string") fail(label, `__metadata__ value for '${k}' is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    const where = `tensor '${name}'`;
    if (typeof value !== "object" || value === null) fail(label, `${where}: entry is not an object`);
    const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
    if (typeof dtype !== "string") fail(label, `${where}: missing "dtype"`);
    const itemSize = safetensorsItemSize(dtype);
    if (itemSize === undefined) fail(label, `${where}: unknown or unsupported dtype '${dtype}'`);
    if (!Array.isArray(shape) || !shape.every(isNonNegInt)) {
      fail(label, `${where}: "shape" must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegInt) || offsets[0] > offsets[1]) {
      fail(
        label,
        `${where}: "data_offsets" must be [begin, end] with 0 <= begin <= end, got ${JSON.stringify(offsets)}`,
      );
    }
    let count = 1;
    for (const d of shape as number[]) count *= d;
    const expected = count * itemSize;
    const [begin, end] = offsets as number[];
    if (!Number.isSafeInteger(expected) || end - begin !== expected) {
      fail(
        label,
        `${where}: ${dtype} ${JSON.stringify(shape)} needs ${expected} bytes but data_offsets [${begin}, ${end}] ` +
          `span ${end - begin}`,
      );
    }
    entries.push({ name, dtype, shape: shape as number[], begin, end });
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  const dataStart = 8 + json.byteLength;
  let cursor = 0;
  for (const e of entries) {
    if (e.begin < cursor) {
      fail(
        label,
        `tensor '${e.name}': data_offsets [${e.begin}, ${e.end}] overlap the previous tensor (which ends at ${cursor})`,
      );
    }
    if (e.begin > cursor) {
      fail(label, `tensor '${e.name}': data_offsets start at ${e.begin}, leaving a hole after ${cursor}`);
    }
    cursor = e.end;
  }
  const dataSize = fileSize - dataStart;
  if (cursor !== dataSize) {
    fail(
      label,
      cursor > dataSize
        ? `tensors need ${cursor} data bytes but the file has ${dataSize}; the file is truncated`
        : `the data section has ${dataSize} bytes but tensors cover only ${cursor}; trailing bytes are not allowed`,
    );
  }
  return { metadata, entries, dataStart };
}

/** Reads the header of a safetensors source (two small reads). */
export async function readSafetensorsHeader(reader: ByteReader, label: string): Promise<SafetensorsHeader> {
  if (reader.size < 8) fail(label, `only ${reader.size} bytes; a safetensors file starts with an 8-byte header length`);
  const n = parseHeaderLength(await reader.read(0, 8), reader.size, label);
  return parseSafetensorsHeader(await reader.read(8, n), reader.size, label);
}

/** A safetensors file read tensor by tensor through a {@link ByteReader}. */
export class SafetensorsSource implements TensorSource {
  /** File path or label used in messages. */
  readonly label: string;
  /** The header's `__metadata__` map. */
  readonly metadata: Record<string, string>;
  readonly #reader: ByteReader;
  readonly #entries: Map<string, SafetensorsEntry>;
  readonly #dataStart: number;
  #closed = false;

  /** Wraps an already validated header; use {@link SafetensorsSource.open} normally. */
  constructor(reader: ByteReader, header: SafetensorsHeader, label: string) {
    this.label = label;
    this.metadata = header.metadata;
    this.#reader = reader;
    this.#dataStart = header.dataStart;
    this.#entries = new Map(header.entries.map((e) => [e.name, e]));
  }

  /** Reads and validates the header of `reader`; tensor data is read later, on demand. */
  static async open(reader: ByteReader, label: string): Promise<SafetensorsSource> {
    return new SafetensorsSource(reader, await readSafetensorsHeader(reader, label), label);
  }

  /** Tensor names in data-offset order (reading them in this order streams the file front to back). */
  names(): string[] {
    return [...this.#entries.keys()];
  }

  /** Whether the file holds a tensor of that name. */
  has(name: string): boolean {
    return this.#entries.has(name);
  }

  /** Header entry (dtype string, shape, offsets) of one tensor. */
  entry(name: string): SafetensorsEntry {
    const e = this.#entries.get(name);
    if (e === undefined) throw missingTensorError(`safetensors file '${this.label}'`, name, this.names());
    return e;
  }

  /** dtype and shape of one tensor; throws if its dtype cannot be decoded here (FP8, complex). */
  info(name: string): TensorInfo {
    const e = this.entry(name);
    if (!isDType(e.dtype)) {
      throw new Error(
        `safetensors file '${this.label}': tensor '${name}' has dtype ${e.dtype}, which is not supported`,
      );
    }
    return { dtype: e.dtype as DType, shape: [...e.shape] };
  }

  /** The raw little-endian bytes of one tensor, in a fresh buffer. */
  async readBytes(name: string): Promise<Uint8Array> {
    if (this.#closed) throw new Error(`safetensors file '${this.label}' is closed`);
    const e = this.entry(name);
    return await this.#reader.read(this.#dataStart + e.begin, e.end - e.begin);
  }

  /** Reads and decodes one tensor. */
  read(name: string): Promise<StoredTensor> {
    return readDecoded(this, name, `safetensors file '${this.label}'`);
  }

  /** Reads one tensor as float32. */
  readFloat32(name: string): Promise<Float32Tensor> {
    return readDecodedFloat32(this, name, `safetensors file '${this.label}'`);
  }

  /** Closes the underlying reader. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#reader.close?.();
  }
}

/** Opens safetensors bytes already in memory. */
export function openSafetensorsBytes(bytes: Uint8Array, label = "in-memory safetensors"): Promise<SafetensorsSource> {
  return SafetensorsSource.open(bytesReader(bytes, label), label);
}

/** Result of {@link decodeSafetensors}. */
export interface DecodedSafetensors {
  /** The `__metadata__` map. */
  metadata: Record<string, string>;
  /** All tensors, decoded. */
  tensors: Record<string, StoredTensor>;
}

/** Decodes a whole safetensors file held in memory, synchronously (small files: fixtures, reference outputs). */
export function decodeSafetensors(bytes: Uint8Array, label = "in-memory safetensors"): DecodedSafetensors {
  const n = parseHeaderLength(bytes, bytes.byteLength, label);
  const header = parseSafetensorsHeader(bytes.subarray(8, 8 + n), bytes.byteLength, label);
  const tensors: Record<string, StoredTensor> = {};
  for (const e of header.entries) {
    if (!isDType(e.dtype)) fail(label, `tensor '${e.name}' has dtype ${e.dtype}, which is not supported`);
    const raw = bytes.slice(header.dataStart + e.begin, header.dataStart + e.end);
    tensors[e.name] = {
      dtype: e.dtype,
      shape: e.shape,
      data: decodeTensorBytes(e.dtype, raw, `safetensors file '${label}', tensor '${e.name}'`),
    };
  }
  return { metadata: header.metadata, tensors };
}
