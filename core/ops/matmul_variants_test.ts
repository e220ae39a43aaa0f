import { assert, assertEquals, assertStrictEquals } from "@std/assert";
import {
  chooseMatmul,
  dropoutBits,
  dropoutKeys,
  dropoutThreshold,
  MATMUL_VARIANTS,
  type MatmulChoice,
  matmulFits,
  type MatmulVariant,
  planMatmul,
  vec4Eligible,
} from "@hyperdecoders/kernels";
import { initEngine } from "../engine.ts";
import { checkOp } from "../_op_check.ts";
import { refMatmul } from "../reference/matmul.ts";
import { ref, type RefTensor } from "../reference/ref_tensor.ts";
import { assertClose, randomNormal } from "../testing.ts";
import { empty, tensor } from "../tensor.ts";
import { launchMatmul } from "./_matmul_launch.ts";
import { matmul } from "./matmul.ts";

const engine = await initEngine();

interface Case {
  M: number;
  N: number;
  K: number;
  /** Batch entries; with `sharedB` B is one rank-2 matrix for all of them. */
  batch?: number;
  sharedB?: boolean;
}

// Awkward sizes straddle every tile edge (1, 7, 33, 65, 257), a vec4-aligned pair, a batch, and one large product.
const CASES: Case[] = [
  { M: 1, N: 1, K: 1 },
  { M: 7, N: 33, K: 65 },
  { M: 65, N: 7, K: 257 },
  { M: 33, N: 65, K: 7 },
  { M: 257, N: 33, K: 65 },
  { M: 36, N: 68, K: 33 },
  { M: 132, N: 260, K: 20 },
  { M: 7, N: 12, K: 33, batch: 3 },
  { M: 33, N: 8, K: 65, batch: 3, sharedB: true },
  { M: 300, N: 260, K: 520 },
];
const TRANSPOSES: [boolean, boolean][] = [[false, false], [true, false], [false, true], [true, true]];
const SPLITS = [2, 3, 7];

function operands(c: Case, transA: boolean, transB: boolean, seed: number): [RefTensor, RefTensor] {
  const batch = c.batch ?? 1;
  const aMat = transA ? [c.K, c.M] : [c.M, c.K];
  const bMat = transB ? [c.N, c.K] : [c.K, c.N];
  const aShape = c.batch ? [batch, ...aMat] : aMat;
  const bShape = c.batch && !c.sharedB ? [batch, ...bMat] : bMat;
  const size = (s: number[]) => s.reduce((x, y) => x * y, 1);
  return [ref(randomNormal(size(aShape), seed), aShape), ref(randomNormal(size(bShape), seed + 1), bShape)];
}

/** Mask parameters of a dropout with p = 0.3, seed 7 (kernels/dropout.ts). */
const MASK_P = 0.3;
const MASK = [...dropoutKeys(7), dropoutThreshold(MASK_P), Math.fround(1 / (1 - MASK_P))];

/** `a` with the kernels' dropout mask applied to element i of its storage. */
function maskedOperand(a: RefTensor): RefTensor {
  const keys = dropoutKeys(7);
  const scale = Math.fround(1 / (1 - MASK_P));
  const data = Float64Array.from(
    a.data,
    (v, i) => (dropoutBits(i, keys) >>> 8) >= dropoutThreshold(MASK_P) ? Math.fround(Math.fround(v) * scale) : 0,
  );
  return { shape: a.shape, data };
}

// The float64 products are shared by every variant's test (the large one dominates the file's run time).
const references = new Map<number, { ra: RefTensor; rb: RefTensor; expected: RefTensor }>();
function reference(c: Case, transA: boolean, transB: boolean, index: number) {
  let r = references.get(index);
  if (!r) {
    const [ra, rb] = operands(c, transA, transB, 17 * index + 5);
    r = { ra, rb, expected: refMatmul(ra, rb, transA, transB) };
    references.set(index, r);
  }
  return r;
}

function choicesFor(variant: MatmulVariant, c: Case, transA: boolean, index: number): MatmulChoice[] {
  const vecs = vec4Eligible(c.M, c.N, transA) ? [false, true] : [false];
  if (variant === "tiled64") return [{ variant, splits: 1, vec4: false }];
  const splits = variant === "splitk" ? SPLITS[index % SPLITS.length] : 1;
  return vecs.map((vec4) => ({ variant, splits, vec4 }));
}

for (const variant of MATMUL_VARIANTS) {
  Deno.test(`matmul variant ${variant}: every transpose on awkward shapes vs float64 reference`, async () => {
    let index = 0;
    for (const c of CASES) {
      for (const [transA, transB] of TRANSPOSES) {
        const { ra, rb, expected } = reference(c, transA, transB, index);
        if (!matmulFits(variant, transA, transB, engine.gpu.limits)) {
          index++;
          continue;
        }
        const a = tensor(Float32Array.from(ra.data), ra.shape);
        const b = tensor(Float32Array.from(rb.data), rb.shape);
        const batch = c.batch ?? 1;
        const shape = {
          M: c.M,
          N: c.N,
          K: c.K,
          batch,
          transA,
          transB,
          sa: c.batch ? c.M * c.K : 0,
          sb: c.batch && !c.sharedB ? c.K * c.N : 0,
        };
        for (const choice of choicesFor(variant, c, transA, index)) {
          const out = empty(expected.shape);
          launchMatmul(a, b, out, choice, shape);
          const what = `${variant}${choice.vec4 ? " vec4" : ""}${choice.splits > 1 ? ` S=${choice.splits}` : ""} ` +
            `M${c.M} N${c.N} K${c.K} batch ${batch}${c.sharedB ? " shared B" : ""} ` +
            `${transA ? "Aᵀ" : "A"}·${transB ? "Bᵀ" : "B"}`;
          assertClose(await out.data(), expected.data, 1e-4, what);
          out.dispose();
          if (c.M * c.N * c.K < 1e6) {
            // accumulating form (a gradient summed in place): C = C₀ + op(A)·op(B)
            const c0 = randomNormal(expected.data.length, index + 99);
            const acc = tensor(c0, expected.shape);
            launchMatmul(a, b, acc, choice, shape, { accumulate: true });
            assertClose(await acc.data(), expected.data.map((v, i) => v + c0[i]), 1e-4, `${what}, accumulating`);
            acc.dispose();
          }
          if (c.M * c.N * c.K < 1e6 && !transA) {
            // A read through a dropout mask (a residual dropout's gradient, masked by the product that reads it)
            const masked = maskedOperand(ra);
            const out2 = empty(expected.shape);
            launchMatmul(a, b, out2, choice, shape, { maskA: MASK });
            assertClose(await out2.data(), refMatmul(masked, rb, transA, transB).data, 1e-4, `${what}, masked A`);
            out2.dispose();
          }
        }
        a.dispose();
        b.dispose();
        index++;
      }
    }
  });
}

Deno.test("accumulating plans: split-K writes its partials and adds in the reduction; a whole product adds in place", () => {
  const shape = { M: 5, N: 3, K: 40, batch: 2, transA: false, transB: false, sa: 200, sb: 120 };
  const split = planMatmul({ variant: "splitk", splits: 3, vec4: false }, shape, { accumulate: true });
  assert(split.reduce);
  assert(!split.main.kernel.name.endsWith("_acc"), "partials are overwritten, never accumulated");
  assert(split.reduce.kernel.name.endsWith("_acc"));
  for (const variant of ["tiled64", "tile64", "big128"] as const) {
    const whole = planMatmul({ variant, splits: 1, vec4: false }, shape, { accumulate: true });
    assertEquals(whole.reduce, null);
    assert(whole.main.kernel.name.endsWith("_acc"), `${variant}: ${whole.main.kernel.name}`);
    assert(!planMatmul({ variant, splits: 1, vec4: false }, shape).main.kernel.name.endsWith("_acc"));
  }
});

Deno.test("split-K: slice count follows the BK-rounded chunk, a short last slice and batches reduce correctly", async () => {
  // K = 40 with 7 requested slices: chunks of 16 (the tile's BK) give 3 slices; the plan must report that.
  const choice = { variant: "splitk", splits: 7, vec4: false } as const;
  const shape = { M: 5, N: 3, K: 40, batch: 2, transA: false, transB: false, sa: 200, sb: 120 };
  const plan = planMatmul(choice, shape);
  assertEquals(plan.main.params[5], 3, "slices after rounding the chunk up to BK");
  assertStrictEquals(plan.partialElements, 2 * 3 * 5 * 3);
  assert(plan.reduce);
  const ra = ref(randomNormal(2 * 5 * 40, 3), [2, 5, 40]);
  const rb = ref(randomNormal(2 * 40 * 3, 4), [2, 40, 3]);
  const a = tensor(Float32Array.from(ra.data), ra.shape);
  const b = tensor(Float32Array.from(rb.data), rb.shape);
  const out = empty([2, 5, 3]);
  launchMatmul(a, b, out, choice, shape);
  assertClose(await out.data(), refMatmul(ra, rb).data, 1e-4, "split-K batch 2");
  for (const t of [a, b, out]) t.dispose();
});

Deno.test("chooseMatmul: big GEMMs get 128×128 tiles, skinny long-K shapes split K, small ones 64×64 tiles", () => {
  assertEquals(chooseMatmul(4096, 4096, 4096, 1, false, false).variant, "big128");
  // The adapter weight gradient: 768×4096 by 4096×64 has only 12 output tiles of 64×64.
  const wg = chooseMatmul(768, 64, 4096, 1, true, false);
  assertEquals(wg.variant, "splitk");
  assert(wg.splits >= 8, `weight-gradient shape should use many K slices, got ${wg.splits}`);
  assertEquals(chooseMatmul(7, 5, 33, 1, false, false).variant, "tile64");
  // Small K: splitting cannot help.
  assertEquals(chooseMatmul(64, 64, 64, 1, false, false).variant, "tile64");
  for (
    const [M, N, K, batch, tA, tB] of [
      [4096, 64, 768, 1, false, false],
      [4096, 768, 64, 1, false, true],
      [33, 7, 1030, 1, true, true],
      [128, 64, 768, 32, false, false],
      [1, 1, 100_000, 1, false, false],
    ] as const
  ) {
    const choice = chooseMatmul(M, N, K, batch, tA, tB);
    if (choice.vec4) assert(vec4Eligible(M, N, tA), `vec4 chosen for unaligned ${M}×${N}`);
    const plan = planMatmul(choice, { M, N, K, batch, transA: tA, transB: tB, sa: 0, sb: 0 });
    const [gx, gy, gz] = plan.main.grid;
    assert(gx <= 65535 && gy <= 65535 && gz <= 65535, `grid ${plan.main.grid} for ${M}×${N}×${K}`);
    assert(plan.partialElements * 4 <= 64 * 1024 * 1024, "split-K partials stay under 64 MiB");
  }
});

Deno.test("matmul through chooseMatmul on a split-K shape: forward and backward vs float64 reference", async () => {
  const [M, K, N] = [33, 1030, 7];
  assertEquals(chooseMatmul(M, N, K, 1, false, false).variant, "splitk");
  await checkOp({
    name: "matmul split-K",
    inputs: [ref(randomNormal(M * K, 8), [M, K]), ref(randomNormal(K * N, 9), [K, N])],
    gpu: ([x, y]) => matmul(x, y),
    ref: ([x, y]) => refMatmul(x, y),
    refGrad: ([x, y], g) => [
      refMatmul(g, y, false, true),
      refMatmul(x, g, true, false),
    ],
    tol: 1e-4,
    gradTol: 1e-4,
    skipFiniteDifference: true,
  });
});
