import { assert, assertAlmostEquals, assertEquals, assertNotEquals } from "@std/assert";
import { mulberry32 } from "./random.ts";

Deno.test("mulberry32: reproducible from its seed, distinct across seeds, seeds taken modulo 2³²", () => {
  const a = Array.from({ length: 8 }, mulberry32(5));
  assertEquals(Array.from({ length: 8 }, mulberry32(5)), a);
  assertNotEquals(Array.from({ length: 8 }, mulberry32(6)), a);
  assertEquals(Array.from({ length: 8 }, mulberry32(5 + 2 ** 32)), a);
  assertEquals(Array.from({ length: 8 }, mulberry32(-1)), Array.from({ length: 8 }, mulberry32(2 ** 32 - 1)));
});

Deno.test("mulberry32: uniform on [0, 1) (range, mean, variance and bucket counts of 200,000 draws)", () => {
  const next = mulberry32(2024);
  const n = 200_000;
  const buckets = new Array(10).fill(0);
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < n; i++) {
    const x = next();
    assert(x >= 0 && x < 1, `draw ${i} is ${x}`);
    sum += x;
    sumSq += x * x;
    buckets[Math.floor(x * 10)]++;
  }
  const mean = sum / n;
  assertAlmostEquals(mean, 0.5, 0.005);
  assertAlmostEquals(sumSq / n - mean * mean, 1 / 12, 0.002);
  for (const count of buckets) assertAlmostEquals(count / n, 0.1, 0.005);
});
