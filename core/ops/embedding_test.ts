import { assert, assertEquals, assertMatch, assertThrows } from "@std/assert";
import { initEngine } from "../engine.ts";
import { backward } from "../autograd.ts";
import { checkOp } from "../_op_check.ts";
import { refEmbedding, refEmbeddingGrad } from "../reference/embedding.ts";
import { ref } from "../reference/ref_tensor.ts";
import { scope } from "../scope.ts";
import { randomNormal, seededRandom } from "../testing.ts";
import { type Tensor, tensor } from "../tensor.ts";
import { embedding, gatherRows } from "./embedding.ts";

await initEngine();

function randomIds(n: number, V: number, seed: number, outOfRange = false): Int32Array {
  const rand = seededRandom(seed);
  const ids = Int32Array.from({ length: n }, () => Math.floor(rand() * V));
  if (outOfRange && n >= 4) {
    ids[1] = -1;
    ids[n - 1] = V;
    ids[n >> 1] = 2 ** 31 - 1;
  }
  return ids;
}

const CASES: { V: number; D: number; idsShape: number[]; outOfRange?: boolean }[] = [
  { V: 1, D: 1, idsShape: [1] },
  { V: 7, D: 1, idsShape: [7] },
  { V: 7, D: 33, idsShape: [3, 11], outOfRange: true }, // many repeats of few ids
  { V: 65, D: 7, idsShape: [2, 33] },
  { V: 257, D: 5, idsShape: [65] },
  { V: 40, D: 33, idsShape: [4, 517], outOfRange: true }, // large: several link tiles and segments, long chains
];

Deno.test("embedding: forward and scatter-add backward vs float64 reference (repeated and out-of-range ids)", async () => {
  for (const { V, D, idsShape, outOfRange } of CASES) {
    const N = idsShape.reduce((a, b) => a * b, 1);
    const ids = randomIds(N, V, N + V, outOfRange);
    const idsT = tensor(ids, idsShape, "i32");
    await checkOp({
      name: `embedding V=${V} D=${D} ids [${idsShape}]`,
      inputs: [ref(randomNormal(V * D, V + D), [V, D])],
      gpu: ([table]) => embedding(table, idsT),
      ref: ([table]) => refEmbedding(table, ids, idsShape),
      refGrad: ([table], g) => [refEmbeddingGrad(table.shape, ids, g)],
      skipFiniteDifference: V * D > 300,
    });
    idsT.dispose();
  }
});

Deno.test("embedding: backward is bit-for-bit reproducible; long chains of one id (like padding) sum correctly", async () => {
  const [V, D, N] = [50, 9, 3000];
  const ids = randomIds(N, 4, 7); // ids 0..3 only: chains of ~750 positions each
  ids.fill(0, 0, 1000); // a long run of one id, like padding
  const gValues = Float32Array.from(randomNormal(N * D, 8));
  const run = async (): Promise<Float32Array> => {
    const table = tensor(new Float32Array(V * D), [V, D]).asParameter("table");
    const idsT = tensor(ids, [N], "i32");
    const g = tensor(gValues, [N, D]);
    scope(() => backward(embedding(table, idsT), g));
    const grad = (await table.grad!.data()) as Float32Array;
    for (const t of [table, idsT, g]) t.dispose();
    return grad;
  };
  const first = await run();
  const second = await run();
  assertEquals(first, second);
  const expected = refEmbeddingGrad([V, D], ids, ref(gValues, [N, D]));
  for (let i = 0; i < V * D; i++) {
    assert(Math.abs(first[i] - expected.data[i]) <= 1e-4 * (1 + Math.abs(expected.data[i])), `grad[${i}]`);
  }
  assert(first.slice(4 * D).every((v) => v === 0), "ids that never occur get a zero gradient");
});

Deno.test("embedding: rejects a bad table or float ids, naming the shapes", () => {
  const t3: Tensor = tensor(new Float32Array(8), [2, 2, 2]);
  const t2: Tensor = tensor(new Float32Array(4), [2, 2]);
  const fid: Tensor = tensor(new Float32Array(2), [2]);
  assertMatch(
    assertThrows(() => embedding(t3, fid), Error).message,
    /embedding: table must be an f32 \[V, D\] tensor, got \[2, 2, 2\] f32/,
  );
  assertMatch(
    assertThrows(() => embedding(t2, fid), Error).message,
    /embedding: ids must be i32 or u32, got \[2\] f32/,
  );
  for (const t of [t3, t2, fid]) t.dispose();
});

Deno.test("gatherRows: rows of a rank-3 table by id, forward and backward vs float64 reference", async () => {
  const [n, a, b] = [5, 3, 7];
  const rows = Int32Array.from([4, 0, 4, 2]);
  const rowsT = tensor(rows, [rows.length], "i32");
  await checkOp({
    name: "gatherRows [5, 3, 7] by [4, 0, 4, 2]",
    inputs: [ref(randomNormal(n * a * b, 11), [n, a, b])],
    gpu: ([x]) => gatherRows(x, rowsT),
    ref: ([x]) => {
      const r = refEmbedding({ shape: [n, a * b], data: x.data }, rows, [rows.length]);
      return { shape: [rows.length, a, b], data: r.data };
    },
    refGrad: ([x], g) => {
      const r = refEmbeddingGrad([n, a * b], rows, { shape: [rows.length, a * b], data: g.data });
      return [{ shape: x.shape, data: r.data }];
    },
  });
  rowsT.dispose();
});
