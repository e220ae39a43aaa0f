import { assert, assertEquals, assertMatch, assertStrictEquals, assertThrows } from "@std/assert";
import { initEngine } from "./engine.ts";
import { isFiniteOnCpu, nonFiniteCount } from "./numerics.ts";
import { refNonFiniteCount } from "./reference/optim.ts";
import { scope } from "./scope.ts";
import { tensor } from "./tensor.ts";
import { randomNormal, seededRandom } from "./testing.ts";

await initEngine();

/** Bit patterns of non-finite f32 values: ±Inf, quiet and signalling NaNs with several payloads and signs. */
const NON_FINITE_BITS = [
  0x7f800000,
  0xff800000,
  0x7fc00000,
  0xffc00000,
  0x7f800001,
  0x7fffffff,
  0xffffffff,
  0xff800abc,
];
/** Finite values next to the boundary: largest float, smallest subnormal, −0. */
const EDGE_FINITE_BITS = [0x7f7fffff, 0xff7fffff, 0x00000001, 0x80000000, 0x00800000];

function sprinkled(n: number, seed: number, rate: number): Float32Array {
  const values = Float32Array.from(randomNormal(n, seed));
  const bits = new Uint32Array(values.buffer);
  const rand = seededRandom(seed + 1);
  for (let i = 0; i < n; i++) {
    const r = rand();
    if (r < rate) bits[i] = NON_FINITE_BITS[Math.floor(rand() * NON_FINITE_BITS.length)];
    else if (r < 2 * rate) bits[i] = EDGE_FINITE_BITS[Math.floor(rand() * EDGE_FINITE_BITS.length)];
  }
  return values;
}

Deno.test("nonFiniteCount: counts real NaN and ±Inf bit patterns across tensors of awkward sizes", async () => {
  const sizes = [1, 7, 33, 65, 257, 300_001];
  const arrays = sizes.map((n, k) => sprinkled(n, 10 + k, n > 1000 ? 0.001 : 0.2));
  // the size-1 tensor holds exactly one NaN so the case is never empty by chance
  new Uint32Array(arrays[0].buffer)[0] = 0x7fc00000;
  const expected = refNonFiniteCount(arrays);
  assert(expected > 10, `test data has too few non-finite values (${expected})`);
  const ts = arrays.map((a) => tensor(a));
  const count = nonFiniteCount(ts);
  assertEquals(count.dtype, "u32");
  assertStrictEquals(await count.item(), expected);
  for (let k = 0; k < ts.length; k++) {
    const one = nonFiniteCount([ts[k]]);
    assertStrictEquals(await one.item(), refNonFiniteCount([arrays[k]]), `tensor of ${sizes[k]} elements`);
    one.dispose();
  }
  count.dispose();
  for (const t of ts) t.dispose();
});

Deno.test("nonFiniteCount: 0 for finite data including the largest float, subnormals and −0", async () => {
  const values = new Float32Array(new Uint32Array([...EDGE_FINITE_BITS, 0x3f800000]).buffer);
  const count = scope(() => nonFiniteCount([tensor(values), tensor(randomNormal(1000, 3))]));
  assertEquals(await count.item(), 0);
  count.dispose();
});

Deno.test("nonFiniteCount: a single NaN, +Inf or −Inf is found wherever it sits", async () => {
  for (const bad of [NaN, Infinity, -Infinity]) {
    for (const at of [0, 255, 256, 4999]) {
      const values = Float32Array.from(randomNormal(5000, at));
      values[at] = bad;
      const count = scope(() => nonFiniteCount([tensor(values)]));
      assertEquals(await count.item(), 1, `${bad} at ${at}`);
      count.dispose();
    }
  }
});

Deno.test("nonFiniteCount: rejects non-f32 tensors, naming the op and the shape", () => {
  const t = tensor([1, 2, 3], [3], "i32");
  assertMatch(
    assertThrows(() => nonFiniteCount([t]), Error).message,
    /nonFiniteCount: expected f32 tensors, got \[3\] i32/,
  );
  t.dispose();
});

Deno.test("isFiniteOnCpu: NaN and ±Inf are not finite; the largest float is", () => {
  assertEquals(isFiniteOnCpu(new Float32Array([1, 2, 3])), true);
  assertEquals(isFiniteOnCpu(new Float32Array([1, NaN])), false);
  assertEquals(isFiniteOnCpu([Infinity]), false);
  assertEquals(isFiniteOnCpu([-Infinity, 0]), false);
  assertEquals(isFiniteOnCpu(new Float32Array(new Uint32Array([0x7f7fffff]).buffer)), true);
  assertEquals(isFiniteOnCpu(new Float32Array(new Uint32Array([0x7f800001]).buffer)), false);
  assertEquals(isFiniteOnCpu(NaN), false);
  assertEquals(isFiniteOnCpu(3), true);
  assertEquals(isFiniteOnCpu([]), true);
});
