import { assertMatch, assertThrows } from "@std/assert";
import { initEngine } from "../engine.ts";
import { checkOp } from "../_op_check.ts";
import { refMatmul } from "../reference/matmul.ts";
import { ref, refSumTo, type RefTensor } from "../reference/ref_tensor.ts";
import { randomNormal } from "../testing.ts";
import { tensor } from "../tensor.ts";
import { linear, matmul } from "./matmul.ts";

await initEngine();

function refGrads(a: RefTensor, b: RefTensor, g: RefTensor, tA: boolean, tB: boolean): RefTensor[] {
  // dA = g · op(B)ᵀ (as op(A)), dB = op(A)ᵀ · g (as op(B)); transposes and shared operands handled by re-deriving.
  const batchA = a.shape.length > 2;
  const batchB = b.shape.length > 2;
  const dOpA = refMatmul(g, b, false, !tB); // [.., M, K]
  const dOpB = refMatmul(a, g, !tA, false); // [.., K, N]
  const transposeLast = (t: RefTensor): RefTensor => {
    const [r, c] = t.shape.slice(-2);
    const batch = t.data.length / (r * c);
    const out = new Float64Array(t.data.length);
    for (let z = 0; z < batch; z++) {
      for (let i = 0; i < r; i++) {
        for (let j = 0; j < c; j++) out[z * r * c + j * r + i] = t.data[z * r * c + i * c + j];
      }
    }
    return { shape: [...t.shape.slice(0, -2), c, r], data: out };
  };
  let da = tA ? transposeLast(dOpA) : dOpA;
  let db = tB ? transposeLast(dOpB) : dOpB;
  if (!batchA && da.shape.length > 2) da = refSumTo(da, [1, ...a.shape]);
  if (!batchB && db.shape.length > 2) db = refSumTo(db, [1, ...b.shape]);
  return [{ shape: a.shape, data: da.data }, { shape: b.shape, data: db.data }];
}

const CASES: { a: number[]; b: number[]; tA?: boolean; tB?: boolean }[] = [
  { a: [1, 1], b: [1, 1] },
  { a: [7, 33], b: [33, 65] },
  { a: [65, 7], b: [7, 1] },
  { a: [33, 65], b: [65, 257], tA: false, tB: false },
  { a: [65, 33], b: [65, 7], tA: true },
  { a: [33, 65], b: [7, 65], tB: true },
  { a: [65, 33], b: [7, 65], tA: true, tB: true },
  { a: [3, 7, 33], b: [3, 33, 5] },
  { a: [3, 7, 33], b: [33, 5] },
  { a: [7, 33], b: [3, 33, 5] },
  { a: [2, 3, 17, 9], b: [2, 3, 9, 4], tB: false },
  { a: [3, 33, 7], b: [3, 5, 33], tA: true, tB: true },
  { a: [3, 33, 7], b: [33, 5], tA: true },
  { a: [3, 7, 33], b: [5, 33], tB: true },
];

Deno.test("matmul: forward and backward vs float64 reference (transposes, batches, shared operands)", async () => {
  for (const { a, b, tA = false, tB = false } of CASES) {
    const na = a.reduce((x, y) => x * y, 1);
    const nb = b.reduce((x, y) => x * y, 1);
    await checkOp({
      name: `matmul a[${a}]${tA ? "ᵀ" : ""} b[${b}]${tB ? "ᵀ" : ""}`,
      inputs: [ref(randomNormal(na, na), a), ref(randomNormal(nb, nb + 1), b)],
      gpu: ([x, y]) => matmul(x, y, { transA: tA, transB: tB }),
      ref: ([x, y]) => refMatmul(x, y, tA, tB),
      refGrad: ([x, y], g) => refGrads(x, y, g, tA, tB),
      tol: 1e-4,
      gradTol: 1e-4,
      skipFiniteDifference: na * nb > 20_000,
    });
  }
});

Deno.test("matmul: one large product (300×520 by 520×260)", async () => {
  await checkOp({
    name: "matmul large",
    inputs: [ref(randomNormal(300 * 520, 1), [300, 520]), ref(randomNormal(520 * 260, 2), [520, 260])],
    gpu: ([x, y]) => matmul(x, y),
    ref: ([x, y]) => refMatmul(x, y),
    tol: 1e-4,
  });
});

Deno.test("linear: x·Wᵀ over leading axes", async () => {
  await checkOp({
    name: "linear",
    inputs: [ref(randomNormal(2 * 5 * 33, 3), [2, 5, 33]), ref(randomNormal(7 * 33, 4), [7, 33])],
    gpu: ([x, w]) => linear(x, w),
    ref: ([x, w]) => refMatmul(x, w, false, true),
    refGrad: ([x, w], g) => refGrads(x, w, g, false, true),
    tol: 1e-4,
  });
});

Deno.test("matmul: mismatched inner dimensions name the op and both shapes", () => {
  const a = tensor(new Float32Array(6), [2, 3]);
  const b = tensor(new Float32Array(8), [4, 2]);
  assertMatch(
    assertThrows(() => matmul(a, b), Error).message,
    /matmul: inner dimensions differ \(3 vs 4\) \(a \[2, 3\], b \[4, 2\]\)/,
  );
  const i = tensor(new Int32Array(6), [3, 2], "i32");
  assertMatch(assertThrows(() => matmul(a, i), Error).message, /matmul: expected an f32 tensor, got \[3, 2\] i32/);
  for (const t of [a, b, i]) t.dispose();
});
