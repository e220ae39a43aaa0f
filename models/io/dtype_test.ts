import { assert, assertEquals, assertMatch, assertStrictEquals, assertThrows } from "@std/assert";
import {
  bf16BitsToFloat32,
  decodeTensorBytes,
  f16BitsToFloat32,
  float32ToBf16Bits,
  float32ToF16Bits,
  toInt32Array,
  toNumberArray,
} from "./dtype.ts";

// Float16Array (a Deno global) is the oracle for half precision; the code under test does not use it.
declare const Float16Array: {
  new (values: ArrayLike<number> | ArrayBuffer): ArrayLike<number> & { buffer: ArrayBuffer };
};

function edgeFloats(): Float32Array {
  const out: number[] = [0, -0, 1, -1, 65504, 65519, 65520, 1e6, -1e6, Infinity, -Infinity, NaN, 2 ** -14, 2 ** -24];
  out.push(2 ** -25, 2 ** -25 * 1.0001, 3 * 2 ** -26, 2 ** -24 * 1.5, 2 ** -24 * 2.5, 1 + 2 ** -11, 1 + 3 * 2 ** -11);
  out.push(2 ** -15 * 1.00048828125, 6.1e-5, 5.96e-8, 1e-10, 0.1, 1 / 3, 2049, 2051);
  out.push(1 + 2 ** -8, 1 + 3 * 2 ** -8, -(1 + 2 ** -8), 3.4028234663852886e38, 3.3895313892515355e38);
  let seed = 12345;
  const rand = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  for (let i = 0; i < 20000; i++) out.push((rand() - 0.5) * 2 ** Math.floor(rand() * 50 - 30));
  // Random bit patterns cover subnormal f32 values and the rounding boundaries.
  const bits = new Uint32Array(20000);
  for (let i = 0; i < bits.length; i++) bits[i] = Math.floor(rand() * 2 ** 32);
  return Float32Array.from([...out, ...new Float32Array(bits.buffer)]);
}

Deno.test("f16 decode matches Float16Array for all 65536 bit patterns", () => {
  const bits = new Uint16Array(65536);
  for (let i = 0; i < bits.length; i++) bits[i] = i;
  const ours = f16BitsToFloat32(bits);
  const oracle = new Float16Array(bits.buffer);
  for (let i = 0; i < bits.length; i++) {
    if (Number.isNaN(oracle[i])) assert(Number.isNaN(ours[i]), `bits ${i}`);
    else assert(Object.is(ours[i], oracle[i]), `bits 0x${i.toString(16)}: ${ours[i]} vs ${oracle[i]}`);
  }
});

Deno.test("f32 → f16 rounding matches Float16Array (nearest even, subnormals, overflow)", () => {
  const values = edgeFloats();
  const ours = f16BitsToFloat32(float32ToF16Bits(values));
  const oracle = new Float16Array(values);
  for (let i = 0; i < values.length; i++) {
    if (Number.isNaN(values[i])) assert(Number.isNaN(ours[i]));
    else assert(Object.is(ours[i], oracle[i]), `${values[i]} → ${ours[i]}, expected ${oracle[i]}`);
  }
});

Deno.test("f32 → bf16 picks the nearest bf16 value, ties to even", () => {
  const values = edgeFloats();
  const rounded = bf16BitsToFloat32(float32ToBf16Bits(values));
  const u = new Uint32Array(values.buffer);
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (Number.isNaN(x)) {
      assert(Number.isNaN(rounded[i]));
      continue;
    }
    // Candidates: truncation toward zero and the next bf16 away from zero (exact in float64).
    const lo = new Float32Array(new Uint32Array([u[i] & 0xffff0000]).buffer)[0];
    const hi = new Float32Array(new Uint32Array([(u[i] & 0xffff0000) + 0x10000]).buffer)[0];
    if (lo === x) {
      assert(Object.is(rounded[i], x), `${x} is exact in bf16`);
      continue;
    }
    // Past the largest finite bf16, measure the distance to 2^128 (where the next step would be): it rounds to ±Inf.
    const hiValue = Number.isFinite(hi) ? hi : Math.sign(x) * 2 ** 128;
    const dLo = Math.abs(x - lo);
    const dHi = Math.abs(hiValue - x);
    const loEven = ((u[i] >>> 16) & 1) === 0;
    const expected = dLo < dHi || (dLo === dHi && loEven) ? lo : hi;
    assert(Object.is(rounded[i], expected), `${x} → ${rounded[i]}, expected ${expected}`);
  }
});

Deno.test("bf16 decode puts the bits in the top half of a float32", () => {
  const bits = new Uint16Array([0x3f80, 0xc049, 0x7f80, 0x8000, 0x0001]);
  const out = bf16BitsToFloat32(bits);
  assertEquals([...out.slice(0, 4)], [1, -3.140625, Infinity, -0]);
  assertStrictEquals(out[4], 2 ** -133);
});

Deno.test("decodeTensorBytes copies unaligned input and rejects partial elements", () => {
  const buf = new Uint8Array(9);
  new DataView(buf.buffer).setFloat32(1, 2.5, true);
  new DataView(buf.buffer).setFloat32(5, -1, true);
  const f = decodeTensorBytes("F32", buf.subarray(1), "t");
  assertEquals([...f], [2.5, -1]);
  assertMatch(
    assertThrows(() => decodeTensorBytes("I64", new Uint8Array(12), "tensor 'x'"), Error).message,
    /tensor 'x'.*12 bytes/,
  );
});

Deno.test("integer helpers convert I64 and refuse values that do not fit", () => {
  const big = new BigInt64Array([1n, -100n, 2147483647n]);
  assertEquals([...toInt32Array(big)], [1, -100, 2147483647]);
  assertEquals(toNumberArray(new BigInt64Array([2n ** 40n])), [2 ** 40]);
  assertMatch(
    assertThrows(() => toInt32Array(new BigInt64Array([2n ** 31n]), "ids"), Error).message,
    /ids: element 0 .* int32/,
  );
  assertMatch(
    assertThrows(() => toNumberArray(new BigInt64Array([2n ** 60n]), "ids"), Error).message,
    /ids: element 0/,
  );
  assertMatch(assertThrows(() => toInt32Array(new Float32Array([1.5]), "mask"), Error).message, /floating-point/);
});
