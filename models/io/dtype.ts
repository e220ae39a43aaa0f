/**
 * Element types of checkpoint tensors and conversions between their byte encodings and typed arrays.
 *
 * Everything here assumes a little-endian host (every WebGPU-capable platform is); {@link decodeTensorBytes}
 * checks it and throws on a big-endian host rather than returning byte-swapped numbers.
 * @module
 */

/** A tensor element type, named as safetensors names it. */
export type DType =
  | "F64"
  | "F32"
  | "F16"
  | "BF16"
  | "I64"
  | "I32"
  | "I16"
  | "I8"
  | "U64"
  | "U32"
  | "U16"
  | "U8"
  | "BOOL";

/** Typed array holding decoded tensor elements; F32, F16 and BF16 all decode to `Float32Array`. */
export type TensorData =
  | Float64Array
  | Float32Array
  | BigInt64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | BigUint64Array
  | Uint32Array
  | Uint16Array
  | Uint8Array;

/** A decoded tensor: `dtype` is the stored element type, `data` is row-major. */
export interface StoredTensor {
  /** Element type as stored in the file (F16/BF16 data is still returned as `Float32Array`). */
  dtype: DType;
  /** Dimensions, outermost first; `[]` for a scalar. */
  shape: number[];
  /** Elements in row-major order. */
  data: TensorData;
}

/** A tensor converted to 32-bit floats. */
export interface Float32Tensor {
  /** Dimensions, outermost first. */
  shape: number[];
  /** Elements in row-major order. */
  data: Float32Array;
}

const ITEM_SIZE: Record<DType, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
};

/**
 * Byte size of types that may appear in a safetensors header but that this package cannot decode (FP8, complex).
 * Knowing their size lets a header be validated in full and only reading such a tensor fail.
 */
const UNDECODABLE_ITEM_SIZE: Record<string, number> = {
  F8_E4M3: 1,
  F8_E5M2: 1,
  F8_E8M0: 1,
  F8_E4M3FNUZ: 1,
  F8_E5M2FNUZ: 1,
  C64: 8,
};

/** Whether `name` is a dtype this package decodes. */
export function isDType(name: string): name is DType {
  return Object.hasOwn(ITEM_SIZE, name);
}

/** Bytes per element of a decodable dtype. */
export function dtypeItemSize(dtype: DType): number {
  return ITEM_SIZE[dtype];
}

/** Bytes per element of any whole-byte safetensors dtype (including FP8 and C64), or `undefined` if unknown. */
export function safetensorsItemSize(name: string): number | undefined {
  if (isDType(name)) return ITEM_SIZE[name];
  return Object.hasOwn(UNDECODABLE_ITEM_SIZE, name) ? UNDECODABLE_ITEM_SIZE[name] : undefined;
}

/** Whether the dtype is a floating-point type (decoded to a float typed array). */
export function isFloatDType(dtype: DType): boolean {
  return dtype === "F32" || dtype === "F16" || dtype === "BF16" || dtype === "F64";
}

/** Number of elements of a shape (1 for a scalar `[]`). */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Throws on a big-endian host, where typed-array views would not match the little-endian file layout. */
export function assertLittleEndianHost(what: string): void {
  if (!LITTLE_ENDIAN_HOST) {
    throw new Error(`${what}: this host is big-endian; little-endian tensor files are not supported`);
  }
}

function ownAligned(bytes: Uint8Array, align: number): Uint8Array {
  // Typed-array views need an aligned byteOffset; a copy starts at offset 0 of a fresh buffer.
  return bytes.byteOffset % align === 0 ? bytes : bytes.slice();
}

/** Decodes little-endian bf16 values (as raw `Uint16Array` bit patterns) into a new `Float32Array`. */
export function bf16BitsToFloat32(bits: Uint16Array): Float32Array {
  const out = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = bits[i] << 16;
  return new Float32Array(out.buffer);
}

let f16Table: Float32Array | undefined;

function halfBitsToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** Decodes IEEE half-precision bit patterns into a new `Float32Array` (via a 64K-entry table built once). */
export function f16BitsToFloat32(bits: Uint16Array): Float32Array {
  if (f16Table === undefined) {
    f16Table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) f16Table[h] = halfBitsToFloat(h);
  }
  const table = f16Table;
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]];
  return out;
}

/** Rounds float32 values to bf16 (round to nearest even, NaN kept quiet) and returns the bit patterns. */
export function float32ToBf16Bits(values: Float32Array): Uint16Array {
  const u = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < u.length; i++) {
    const x = u[i];
    if ((x & 0x7fffffff) > 0x7f800000) out[i] = ((x >>> 16) & 0x8000) | 0x7fc0;
    else out[i] = (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
  }
  return out;
}

/** Rounds float32 values to IEEE half precision (round to nearest even, overflow to ±Inf) as bit patterns. */
export function float32ToF16Bits(values: Float32Array): Uint16Array {
  const u = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < u.length; i++) {
    const x = u[i];
    const sign = (x >>> 16) & 0x8000;
    const exp = (x >>> 23) & 0xff;
    const mant = x & 0x7fffff;
    if (exp === 0xff) {
      out[i] = sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0);
      continue;
    }
    const e = exp - 127 + 15;
    if (e >= 31) {
      out[i] = sign | 0x7c00;
    } else if (e <= 0) {
      if (e < -10) {
        out[i] = sign; // below half the smallest subnormal: rounds to zero
        continue;
      }
      // Subnormal half: shift the full 24-bit significand, rounding to nearest even.
      const m = mant | 0x800000;
      const shift = 14 - e;
      const halfway = 1 << (shift - 1);
      const rest = m & ((1 << shift) - 1);
      let h = m >>> shift;
      if (rest > halfway || (rest === halfway && (h & 1))) h++;
      out[i] = sign | h;
    } else {
      let h = (e << 10) | (mant >>> 13);
      const rest = mant & 0x1fff;
      if (rest > 0x1000 || (rest === 0x1000 && (h & 1))) h++; // a carry into the exponent is still correct
      out[i] = sign | h;
    }
  }
  return out;
}

/**
 * Decodes the raw little-endian bytes of a tensor. F32/F16/BF16 become a `Float32Array`, integer and bool types the
 * matching typed array (I64 → `BigInt64Array`, BOOL → `Uint8Array`). The result may share memory with `bytes`.
 * `what` names the tensor in error messages.
 */
export function decodeTensorBytes(dtype: DType, bytes: Uint8Array, what: string): TensorData {
  if (dtypeItemSize(dtype) > 1) assertLittleEndianHost(what);
  const size = dtypeItemSize(dtype);
  if (bytes.byteLength % size !== 0) {
    throw new Error(`${what}: ${bytes.byteLength} bytes is not a whole number of ${dtype} elements (${size} bytes)`);
  }
  const n = bytes.byteLength / size;
  const b = ownAligned(bytes, size);
  switch (dtype) {
    case "F32":
      return new Float32Array(b.buffer, b.byteOffset, n);
    case "F16":
      return f16BitsToFloat32(new Uint16Array(b.buffer, b.byteOffset, n));
    case "BF16":
      return bf16BitsToFloat32(new Uint16Array(b.buffer, b.byteOffset, n));
    case "F64":
      return new Float64Array(b.buffer, b.byteOffset, n);
    case "I64":
      return new BigInt64Array(b.buffer, b.byteOffset, n);
    case "I32":
      return new Int32Array(b.buffer, b.byteOffset, n);
    case "I16":
      return new Int16Array(b.buffer, b.byteOffset, n);
    case "I8":
      return new Int8Array(b.buffer, b.byteOffset, n);
    case "U64":
      return new BigUint64Array(b.buffer, b.byteOffset, n);
    case "U32":
      return new Uint32Array(b.buffer, b.byteOffset, n);
    case "U16":
      return new Uint16Array(b.buffer, b.byteOffset, n);
    case "U8":
    case "BOOL":
      return b;
  }
}

/**
 * Converts decoded tensor data of any dtype to a `Float32Array` (a float32 input is returned as is).
 * 64-bit integers beyond ±2^53 throw, since they would silently lose their value.
 */
export function toFloat32Array(data: TensorData, what: string): Float32Array {
  if (data instanceof Float32Array) return data;
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    const out = new Float32Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = bigToSafeNumber(data[i], what, i);
    return out;
  }
  return Float32Array.from(data);
}

function bigToSafeNumber(v: bigint, what: string, i: number): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new Error(`${what}: element ${i} (${v}) does not fit a JavaScript number exactly`);
  }
  return Number(v);
}

/**
 * Converts an integer tensor (I64 `BigInt64Array` or any 8/16/32-bit integer array) to an `Int32Array`.
 * Throws, naming the element, if a value is outside the int32 range.
 */
export function toInt32Array(data: TensorData, what = "tensor"): Int32Array {
  if (data instanceof Int32Array) return data;
  if (data instanceof Float32Array || data instanceof Float64Array) {
    throw new Error(`${what}: holds floating-point values; an integer tensor (I64/I32/...) was expected`);
  }
  const out = new Int32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    const n = typeof v === "bigint" ? bigToSafeNumber(v, what, i) : v;
    if (n > 2147483647 || n < -2147483648) {
      throw new Error(`${what}: element ${i} (${n}) is outside the int32 range`);
    }
    out[i] = n;
  }
  return out;
}

/** Converts an integer tensor to plain numbers, throwing if a 64-bit value is not exactly representable. */
export function toNumberArray(data: TensorData, what = "tensor"): number[] {
  const out = new Array<number>(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    out[i] = typeof v === "bigint" ? bigToSafeNumber(v, what, i) : v;
  }
  return out;
}

/**
 * Throws when `data` holds a NaN or an infinity, naming `what` (file and tensor), the first bad index and the count:
 * weights like that load silently otherwise and give empty predictions.
 */
export function assertFiniteWeights(data: Float32Array, what: string): void {
  let first = -1;
  let count = 0;
  for (let i = 0; i < data.length; i++) {
    const x = data[i];
    if (x - x !== 0) {
      if (first < 0) first = i;
      count++;
    }
  }
  if (first >= 0) {
    throw new Error(
      `${what} holds ${count} non-finite value(s) (first: ${data[first]} at index ${first}); the weights are damaged`,
    );
  }
}
