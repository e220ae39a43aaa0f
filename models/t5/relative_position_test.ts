import { assert, assertEquals, assertNotEquals, assertThrows } from "@std/assert";
import { attentionSoftmax, getEngine, initEngine, tensor } from "@hyperdecoders/core";
import {
  checkOp,
  paddingMask,
  randomNormal,
  ref,
  refAttentionSoftmax,
  refSoftmaxRowsGrad,
  refSumTo,
  type RefTensor,
} from "@hyperdecoders/core/testing";
import {
  relativePositionBias,
  RelativePositionBuckets,
  t5DiagonalBuckets,
  t5RelativeBucket,
} from "./relative_position.ts";

// The bucket tables, as inclusive rel ranges per bucket: a numpy float32 emulation of Hugging Face's
// T5Attention._relative_position_bucket over rel ∈ [−4096, 4096] (the T5 paper, §2.1: 32 buckets, logarithmic up to
// a distance of 128). They are data computed outside this code, not outputs of the code under test.
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
    assertEquals(t5RelativeBucket(rel, true), expected.get(rel), `encoder rel ${rel}`);
  }
  // bucket 16 is never used by the encoder
  for (let rel = -INF; rel <= INF; rel++) assertNotEquals(t5RelativeBucket(rel, true), 16);
});

Deno.test("t5RelativeBucket: decoder (causal) table over rel ∈ [−4096, 4096]", () => {
  const expected = expectedFrom(DECODER);
  for (let rel = -INF; rel <= INF; rel++) {
    assertEquals(t5RelativeBucket(rel, false), expected.get(rel), `decoder rel ${rel}`);
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
  assertThrows(() => t5RelativeBucket(0.5, true), Error, "integer");
  assertThrows(() => t5RelativeBucket(1, true, 2), Error, "numBuckets");
});

Deno.test("t5DiagonalBuckets: diagonal r covers rel = j − (offset + i)", () => {
  const [lq, lk, off] = [3, 5, 4];
  const diag = t5DiagonalBuckets(lq, lk, false, 32, 128, off);
  assertEquals(diag.length, lq + lk - 1);
  for (let i = 0; i < lq; i++) {
    for (let j = 0; j < lk; j++) {
      assertEquals(diag[j - i + lq - 1], t5RelativeBucket(j - (off + i), false));
    }
  }
});

await initEngine();
const buckets = new RelativePositionBuckets();

/** Options of {@link refRelativePositionBias}. */
export interface RefRelativeBiasOptions {
  /** Bidirectional (encoder) buckets. */
  bidirectional: boolean;
  /** Number of buckets. */
  numBuckets: number;
  /** Saturation distance. */
  maxDistance: number;
  /** Absolute position of the first query. */
  queryOffset: number;
}

function bucketOf(i: number, j: number, o: RefRelativeBiasOptions): number {
  return t5RelativeBucket(j - (o.queryOffset + i), o.bidirectional, o.numBuckets, o.maxDistance);
}

/** `[1, H, Lq, Lk]` bias with entry `(h, i, j) = table[bucket(j − (offset + i)), h]`. */
export function refRelativePositionBias(
  table: RefTensor,
  Lq: number,
  Lk: number,
  o: RefRelativeBiasOptions,
): RefTensor {
  const H = table.shape[1];
  const out = new Float64Array(H * Lq * Lk);
  for (let h = 0; h < H; h++) {
    for (let i = 0; i < Lq; i++) {
      for (let j = 0; j < Lk; j++) out[(h * Lq + i) * Lk + j] = table.data[bucketOf(i, j, o) * H + h];
    }
  }
  return { shape: [1, H, Lq, Lk], data: out };
}

/** Table gradient of {@link refRelativePositionBias}: `g[0, h, i, j]` summed into `table[bucket(i, j), h]`. */
export function refRelativePositionBiasGrad(
  tableShape: number[],
  Lq: number,
  Lk: number,
  o: RefRelativeBiasOptions,
  g: RefTensor,
): RefTensor {
  const H = tableShape[1];
  const out = new Float64Array(tableShape[0] * H);
  for (let h = 0; h < H; h++) {
    for (let i = 0; i < Lq; i++) {
      for (let j = 0; j < Lk; j++) out[bucketOf(i, j, o) * H + h] += g.data[(h * Lq + i) * Lk + j];
    }
  }
  return { shape: [...tableShape], data: out };
}

const BIAS_CASES: { Lq: number; Lk: number; H: number; bidirectional: boolean; offset?: number; nb?: number }[] = [
  { Lq: 1, Lk: 1, H: 1, bidirectional: true },
  { Lq: 7, Lk: 7, H: 3, bidirectional: true },
  { Lq: 5, Lk: 33, H: 2, bidirectional: false, offset: 28 },
  { Lq: 33, Lk: 65, H: 2, bidirectional: true, nb: 16 },
  { Lq: 1, Lk: 257, H: 4, bidirectional: false, offset: 256 }, // one decode step with a KV cache
  { Lq: 150, Lk: 150, H: 8, bidirectional: true }, // large: rel spans every bucket
];

Deno.test("relativePositionBias: forward and table gradient vs float64 reference", async () => {
  for (const c of BIAS_CASES) {
    const nb = c.nb ?? 32;
    const o = { bidirectional: c.bidirectional, numBuckets: nb, maxDistance: 128, queryOffset: c.offset ?? 0 };
    await checkOp({
      name: `relativePositionBias ${JSON.stringify(c)}`,
      inputs: [ref(randomNormal(nb * c.H, c.Lq + c.Lk), [nb, c.H])],
      gpu: ([t]) => relativePositionBias(t, c.Lq, c.Lk, o, buckets),
      ref: ([t]) => refRelativePositionBias(t, c.Lq, c.Lk, o),
      refGrad: ([t], g) => [refRelativePositionBiasGrad(t.shape, c.Lq, c.Lk, o, g)],
      skipFiniteDifference: c.Lq * c.Lk * c.H > 5000,
    });
  }
});

Deno.test("relativePositionBias: a model's bucket cache uploads each shape once and frees it on dispose", async () => {
  const table = tensor(Float32Array.from(randomNormal(32 * 2, 3)), [32, 2]);
  const opts = { bidirectional: false, queryOffset: 3 };
  const cache = new RelativePositionBuckets();
  const first = relativePositionBias(table, 4, 9, opts, cache);
  const queue = getEngine().gpu.device.queue;
  const original = queue.writeBuffer;
  let uploads = 0;
  queue.writeBuffer = function (this: GPUQueue, ...args: Parameters<GPUQueue["writeBuffer"]>) {
    uploads++;
    original.apply(this, args);
  } as GPUQueue["writeBuffer"];
  let second;
  try {
    second = relativePositionBias(table, 4, 9, opts, cache);
  } finally {
    queue.writeBuffer = original;
  }
  assertEquals(uploads, 0);
  assertEquals(await first.data(), await second.data());
  const third = relativePositionBias(table, 4, 9, { ...opts, queryOffset: 4 }, cache);
  assertEquals(cache.size, 2);
  const uncached = relativePositionBias(table, 4, 9, opts);
  assertEquals(await uncached.data(), await first.data(), "without a cache: the same bias, uploaded for the call");
  assertEquals(cache.size, 2);
  const live = getEngine().pool.liveBytes;
  cache.dispose();
  assertEquals(cache.size, 0);
  assert(getEngine().pool.liveBytes < live, "dispose frees the cached bucket tensors");
  assertNotEquals(await first.data(), await third.data(), "another offset gives another bias");
  assertThrows(
    () => relativePositionBias(table, 4, 9, { ...opts, numBuckets: 16 }),
    Error,
    "table must be [numBuckets = 16, H]",
  );
  for (const t of [table, first, second, third, uncached]) t.dispose();
});

Deno.test("attentionSoftmax ∘ relativePositionBias: gradient reaches the bucket table through the batch sum", async () => {
  const [B, H, Lq, Lk] = [2, 2, 5, 6];
  const o = { bidirectional: false, numBuckets: 32, maxDistance: 128, queryOffset: 1 };
  const maskData = paddingMask(B, Lk, 5);
  const maskRef = ref(maskData, [B, Lk]);
  await checkOp({
    name: "softmax(scores + relative bias) with causal and padding masks",
    inputs: [ref(randomNormal(B * H * Lq * Lk, 31), [B, H, Lq, Lk]), ref(randomNormal(32 * H, 32), [32, H])],
    gpu: ([s, t]) => {
      const m = tensor(Float32Array.from(maskData), [B, Lk]);
      const y = attentionSoftmax(s, relativePositionBias(t, Lq, Lk, o), m, { causal: true });
      m.dispose();
      return y;
    },
    ref: ([s, t]) => refAttentionSoftmax(s, refRelativePositionBias(t, Lq, Lk, o), maskRef, true),
    refGrad: ([s, t], g) => {
      const ds = refSoftmaxRowsGrad(refAttentionSoftmax(s, refRelativePositionBias(t, Lq, Lk, o), maskRef, true), g);
      return [ds, refRelativePositionBiasGrad(t.shape, Lq, Lk, o, refSumTo(ds, [1, H, Lq, Lk]))];
    },
  });
});
