import { assert, assertMatch, assertNotStrictEquals, assertStrictEquals, assertThrows } from "@std/assert";
import { t5DiagonalBuckets, t5RelativeBucket } from "./t5_buckets.ts";

// The bucket tables of docs/t5-and-data.md §2.4 (numpy float32 emulation of HF over rel ∈ [−4096, 4096]), as
// inclusive rel ranges per bucket. They are data from the doc, not outputs of the code under test.
const INF = 4096;
const ENCODER: [number, number, number][] = [
  [0, 0, 0],
  ...Array.from({ length: 7 }, (_, k): [number, number, number] => [k + 1, -(k + 1), -(k + 1)]),
  [8, -11, -8],
  [9, -15, -12],
  [10, -22, -16],
  [11, -31, -23],
  [12, -45, -32],
  [13, -63, -46],
  [14, -90, -64],
  [15, -INF, -91],
  ...Array.from({ length: 7 }, (_, k): [number, number, number] => [17 + k, k + 1, k + 1]),
  [24, 8, 11],
  [25, 12, 15],
  [26, 16, 22],
  [27, 23, 31],
  [28, 32, 45],
  [29, 46, 63],
  [30, 64, 90],
  [31, 91, INF],
];
const DECODER: [number, number, number][] = [
  [0, 0, INF],
  ...Array.from({ length: 15 }, (_, k): [number, number, number] => [k + 1, -(k + 1), -(k + 1)]),
  [16, -18, -16],
  [17, -20, -19],
  [18, -23, -21],
  [19, -26, -24],
  [20, -30, -27],
  [21, -34, -31],
  [22, -39, -35],
  [23, -45, -40],
  [24, -51, -46],
  [25, -58, -52],
  [26, -66, -59],
  [27, -76, -67],
  [28, -86, -77],
  [29, -98, -87],
  [30, -112, -99],
  [31, -INF, -113],
];

function expectedFrom(table: [number, number, number][]): Map<number, number> {
  const map = new Map<number, number>();
  for (const [bucket, lo, hi] of table) {
    for (let rel = lo; rel <= hi; rel++) {
      assert(!map.has(rel), `table lists rel ${rel} twice`);
      map.set(rel, bucket);
    }
  }
  for (let rel = -INF; rel <= INF; rel++) assert(map.has(rel), `table misses rel ${rel}`);
  return map;
}

Deno.test("t5RelativeBucket: encoder (bidirectional) table over rel ∈ [−4096, 4096]", () => {
  const expected = expectedFrom(ENCODER);
  for (let rel = -INF; rel <= INF; rel++) {
    assertStrictEquals(t5RelativeBucket(rel, true), expected.get(rel), `encoder rel ${rel}`);
  }
  // bucket 16 is never used by the encoder
  for (let rel = -INF; rel <= INF; rel++) assertNotStrictEquals(t5RelativeBucket(rel, true), 16);
});

Deno.test("t5RelativeBucket: decoder (causal) table over rel ∈ [−4096, 4096]", () => {
  const expected = expectedFrom(DECODER);
  for (let rel = -INF; rel <= INF; rel++) {
    assertStrictEquals(t5RelativeBucket(rel, false), expected.get(rel), `decoder rel ${rel}`);
  }
});

Deno.test("t5RelativeBucket: other bucket counts stay in range and are monotone in distance", () => {
  for (const [nb, md] of [[8, 20], [16, 64], [64, 256]]) {
    for (const bidirectional of [true, false]) {
      let prev = -1;
      for (let n = 0; n <= 2000; n++) {
        const b = t5RelativeBucket(-n, bidirectional, nb, md);
        assert(b >= prev && b < (bidirectional ? nb / 2 : nb), `nb ${nb} n ${n}: bucket ${b}`);
        prev = b;
      }
    }
  }
  assertMatch(assertThrows(() => t5RelativeBucket(0.5, true), Error).message, /integer/);
  assertMatch(assertThrows(() => t5RelativeBucket(1, true, 2), Error).message, /numBuckets/);
});

Deno.test("t5DiagonalBuckets: diagonal r covers rel = j − (offset + i)", () => {
  const [lq, lk, off] = [3, 5, 4];
  const diag = t5DiagonalBuckets(lq, lk, false, 32, 128, off);
  assertStrictEquals(diag.length, lq + lk - 1);
  for (let i = 0; i < lq; i++) {
    for (let j = 0; j < lk; j++) {
      assertStrictEquals(diag[j - i + lq - 1], t5RelativeBucket(j - (off + i), false));
    }
  }
});
