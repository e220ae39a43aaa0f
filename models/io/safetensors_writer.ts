/**
 * safetensors writer producing the same bytes as the reference `safetensors` serializer: tensors ordered by dtype
 * (the reference enum order, descending) then name, compact JSON header with `__metadata__` first, header padded
 * with spaces to a multiple of 8 bytes.
 * @module
 */
import {
  assertLittleEndianHost,
  type DType,
  dtypeItemSize,
  float32ToBf16Bits,
  float32ToF16Bits,
  isDType,
  numel,
} from "./dtype.ts";

/** Numeric data accepted by the writer; it is converted to the target dtype (floats rounded to nearest even). */
export type WritableData =
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint32Array
  | Uint16Array
  | Uint8Array
  | readonly number[];

/** A tensor to write: `data` holds `numel(shape)` values in row-major order, stored as `dtype`. */
export interface TensorToWrite {
  /** Element type to store. */
  dtype: DType;
  /** Dimensions, outermost first. */
  shape: readonly number[];
  /** Values, converted to `dtype` on write. */
  data: WritableData;
}

// Position of each dtype in the reference implementation's `Dtype` enum, whose order the writer sorts by.
const DTYPE_ORDER: Record<DType, number> = {
  BOOL: 0,
  U8: 1,
  I8: 2,
  I16: 3,
  U16: 4,
  F16: 5,
  BF16: 6,
  I32: 7,
  U32: 8,
  F32: 9,
  F64: 10,
  I64: 11,
  U64: 12,
};

const INT_RANGE: Partial<Record<DType, [number, number]>> = {
  I32: [-2147483648, 2147483647],
  I16: [-32768, 32767],
  I8: [-128, 127],
  U32: [0, 4294967295],
  U16: [0, 65535],
  U8: [0, 255],
  BOOL: [0, 1],
};

function asFloat32(data: WritableData, what: string): Float32Array {
  if (data instanceof Float32Array) return data;
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    throw new Error(`${what}: 64-bit integer data cannot be written as a float dtype; convert it first`);
  }
  return Float32Array.from(data as ArrayLike<number>);
}

function encodeValues(dtype: DType, data: WritableData, what: string): Uint8Array {
  const n = data.length;
  switch (dtype) {
    case "F32": {
      const f = asFloat32(data, what);
      return new Uint8Array(f.buffer.slice(f.byteOffset, f.byteOffset + f.byteLength));
    }
    case "F16":
      return new Uint8Array(float32ToF16Bits(asFloat32(data, what)).buffer);
    case "BF16":
      return new Uint8Array(float32ToBf16Bits(asFloat32(data, what)).buffer);
    case "F64": {
      if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
        throw new Error(`${what}: 64-bit integer data cannot be written as F64; convert it first`);
      }
      return new Uint8Array(Float64Array.from(data as ArrayLike<number>).buffer);
    }
    case "I64":
    case "U64": {
      const out = dtype === "I64" ? new BigInt64Array(n) : new BigUint64Array(n);
      for (let i = 0; i < n; i++) {
        const v = data[i];
        if (typeof v === "number" && !Number.isInteger(v)) {
          throw new Error(`${what}: element ${i} (${v}) is not an integer; ${dtype} needs integers`);
        }
        const b = typeof v === "bigint" ? v : BigInt(v);
        if (dtype === "I64" ? BigInt.asIntN(64, b) !== b : BigInt.asUintN(64, b) !== b) {
          throw new Error(`${what}: element ${i} (${b}) does not fit ${dtype}`);
        }
        out[i] = b;
      }
      return new Uint8Array(out.buffer);
    }
    default: {
      const [lo, hi] = INT_RANGE[dtype]!;
      const size = dtypeItemSize(dtype);
      const out = new Uint8Array(n * size);
      const view = new DataView(out.buffer);
      for (let i = 0; i < n; i++) {
        const raw = data[i];
        const v = typeof raw === "bigint" ? Number(raw) : raw;
        if (!Number.isInteger(v) || v < lo || v > hi) {
          throw new Error(`${what}: element ${i} (${raw}) is not a valid ${dtype} value (${lo}..${hi})`);
        }
        if (size === 4) view.setUint32(i * 4, v >>> 0, true);
        else if (size === 2) view.setUint16(i * 2, v & 0xffff, true);
        else out[i] = v & 0xff;
      }
      return out;
    }
  }
}

/**
 * Serializes tensors (and optional `__metadata__` strings) to safetensors bytes. Throws, naming the tensor, if a
 * dtype is unknown, a shape is invalid, the value count does not match the shape, or a value does not fit.
 */
export function serializeSafetensors(
  tensors: Record<string, TensorToWrite>,
  metadata?: Record<string, string>,
): Uint8Array {
  assertLittleEndianHost("serializeSafetensors");
  const items = Object.entries(tensors).map(([name, t]) => {
    const what = `serializeSafetensors: tensor '${name}'`;
    if (name === "__metadata__") throw new Error(`${what}: this name is reserved for the metadata map`);
    if (!isDType(t.dtype)) throw new Error(`${what}: unsupported dtype '${t.dtype}'`);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new Error(`${what}: shape ${JSON.stringify(t.shape)} must hold non-negative integers`);
    }
    if (t.data.length !== numel(t.shape)) {
      throw new Error(`${what}: shape ${JSON.stringify(t.shape)} needs ${numel(t.shape)} values, got ${t.data.length}`);
    }
    return { name, dtype: t.dtype, shape: [...t.shape], bytes: encodeValues(t.dtype, t.data, what) };
  });
  items.sort((a, b) => DTYPE_ORDER[b.dtype] - DTYPE_ORDER[a.dtype] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  // Built by hand: a JS object would move integer-like names ("0", "12") ahead of the others.
  const parts: string[] = [];
  if (metadata !== undefined) {
    const meta: string[] = [];
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== "string") throw new Error(`serializeSafetensors: metadata '${k}' must be a string`);
      meta.push(`${JSON.stringify(k)}:${JSON.stringify(v)}`);
    }
    parts.push(`"__metadata__":{${meta.join(",")}}`);
  }
  let offset = 0;
  for (const it of items) {
    const info = { dtype: it.dtype, shape: it.shape, data_offsets: [offset, offset + it.bytes.byteLength] };
    parts.push(`${JSON.stringify(it.name)}:${JSON.stringify(info)}`);
    offset += it.bytes.byteLength;
  }
  const json = new TextEncoder().encode(`{${parts.join(",")}}`);
  const padded = json.byteLength + ((8 - (json.byteLength % 8)) % 8);
  const out = new Uint8Array(8 + padded + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.byteLength, 8 + padded);
  let at = 8 + padded;
  for (const it of items) {
    out.set(it.bytes, at);
    at += it.bytes.byteLength;
  }
  return out;
}
