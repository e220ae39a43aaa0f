import { assertEquals, assertMatch, assertThrows } from "@std/assert";
import { layoutChoice, MATMUL_VARIANTS, type MatmulChoice, type MatmulShape } from "@hyperdecoders/kernels";
import { checkOp } from "../_op_check.ts";
import { initEngine } from "../engine.ts";
import { refMatmul } from "../reference/matmul.ts";
import { refPermute } from "../reference/permute.ts";
import { ref, type RefTensor } from "../reference/ref_tensor.ts";
import { randomNormal } from "../testing.ts";
import { empty, tensor } from "../tensor.ts";
import { launchMatmul } from "./_matmul_launch.ts";
import { headMatmul } from "./head_matmul.ts";
import { matmul } from "./matmul.ts";
import { permute } from "./permute.ts";
import { reshape } from "./shape.ts";

await initEngine();

/** Head layout [B, L, H·D] → plain [B, H, L, D]. */
function toPlain(x: RefTensor, H: number): RefTensor {
  const [B, L, HD] = x.shape;
  return refPermute({ shape: [B, L, H, HD / H], data: x.data }, [0, 2, 1, 3]);
}

/** Plain [B, H, L, D] → head layout [B, L, H·D]. */
function toHeads(x: RefTensor): RefTensor {
  const [B, H, L, D] = x.shape;
  const p = refPermute(x, [0, 2, 1, 3]);
  return { shape: [B, L, H * D], data: p.data };
}

interface Case {
  B: number;
  H: number;
  /** Stored shapes of one head's A and B matrices. */
  a: [number, number];
  b: [number, number];
  tA?: boolean;
  tB?: boolean;
  aHeads?: boolean;
  bHeads?: boolean;
  outHeads?: boolean;
}

function stored(B: number, H: number, [r, c]: [number, number], heads: boolean): number[] {
  return heads ? [B, r, H * c] : [B, H, r, c];
}

const CASES: Case[] = [
  // attention's own four products (scores, context) and their odd-sized cousins
  { B: 2, H: 3, a: [7, 5], b: [9, 5], tB: true, aHeads: true, bHeads: true },
  { B: 2, H: 3, a: [7, 9], b: [9, 5], bHeads: true, outHeads: true },
  { B: 1, H: 2, a: [1, 4], b: [65, 4], tB: true, aHeads: true, bHeads: true },
  { B: 3, H: 1, a: [33, 8], b: [8, 33], aHeads: true, outHeads: true },
  { B: 2, H: 2, a: [5, 7], b: [5, 3], tA: true, aHeads: true, outHeads: true },
  { B: 2, H: 3, a: [6, 5], b: [4, 6], tA: true, tB: true, aHeads: true, bHeads: true, outHeads: true },
  { B: 1, H: 3, a: [4, 8], b: [8, 12], bHeads: true },
  { B: 2, H: 2, a: [3, 4], b: [4, 4], aHeads: true, bHeads: true, outHeads: true },
];

Deno.test("headMatmul: forward and backward vs float64 reference (head layouts, transposes, odd sizes)", async () => {
  for (const c of CASES) {
    const { B, H, tA = false, tB = false, aHeads = false, bHeads = false, outHeads = false } = c;
    const sa = stored(B, H, c.a, aHeads);
    const sb = stored(B, H, c.b, bHeads);
    const na = sa.reduce((x, y) => x * y, 1);
    const nb = sb.reduce((x, y) => x * y, 1);
    const plainA = (x: RefTensor) => (aHeads ? toPlain(x, H) : x);
    const plainB = (x: RefTensor) => (bHeads ? toPlain(x, H) : x);
    await checkOp({
      name: `headMatmul ${JSON.stringify(c)}`,
      inputs: [ref(randomNormal(na, na + 3), sa), ref(randomNormal(nb, nb + 5), sb)],
      gpu: ([x, y]) => headMatmul(x, y, { heads: H, transA: tA, transB: tB, aHeads, bHeads, outHeads }),
      ref: ([x, y]) => {
        const out = refMatmul(plainA(x), plainB(y), tA, tB);
        return outHeads ? toHeads(out) : out;
      },
      refGrad: ([x, y], g) => {
        const a = plainA(x), b = plainB(y);
        const gp = outHeads ? toPlain(g, H) : g;
        const da = tA ? refMatmul(b, gp, tB, true) : refMatmul(gp, b, false, !tB);
        const db = tB ? refMatmul(gp, a, true, tA) : refMatmul(a, gp, !tA, false);
        return [aHeads ? toHeads(da) : da, bHeads ? toHeads(db) : db];
      },
      tol: 1e-4,
      gradTol: 1e-4,
    });
  }
});

Deno.test("headMatmul: every kernel variant (split-K, vec4) writes the strided layout right", async () => {
  // Per (b, h): C = A·Bᵀ with A, B and C all in head layout; sizes that are not multiples of any tile, and a long K
  // so that split-K has slices; vec4 where the head width allows.
  for (const [B, H, M, N, K] of [[2, 3, 7, 5, 300], [1, 2, 33, 8, 260], [2, 2, 65, 12, 20]]) {
    const aData = randomNormal(B * M * H * K, 11);
    const bData = randomNormal(B * N * H * K, 12);
    const a = tensor(Float32Array.from(aData), [B, M, H * K]);
    const b = tensor(Float32Array.from(bData), [B, N, H * K]);
    const expected = new Float64Array(B * M * H * N);
    for (let z = 0; z < B; z++) {
      for (let h = 0; h < H; h++) {
        for (let i = 0; i < M; i++) {
          for (let j = 0; j < N; j++) {
            let s = 0;
            for (let k = 0; k < K; k++) {
              s += aData[(z * M + i) * H * K + h * K + k] * bData[(z * N + j) * H * K + h * K + k];
            }
            expected[(z * M + i) * H * N + h * N + j] = s;
          }
        }
      }
    }
    const shape: MatmulShape = {
      M,
      N,
      K,
      batch: B * H,
      transA: false,
      transB: true,
      sa: M * H * K,
      sb: N * H * K,
      layout: { inner: H, lda: H * K, ldb: H * K, ldc: H * N, sa2: K, sb2: K, sc: M * H * N, sc2: N },
    };
    const choices: MatmulChoice[] = [];
    // vec4 forms of the variants the rules pick (each kernel compiles in seconds on a software adapter)
    const vec4Variants = ["tile64", "big128", "splitk", "tile64db"];
    for (const variant of MATMUL_VARIANTS) {
      for (const vec4 of vec4Variants.includes(variant) ? [false, true] : [false]) {
        for (const splits of variant === "splitk" ? [2, 3, 8] : [1]) {
          choices.push(layoutChoice({ variant, splits, vec4 }, shape));
        }
      }
    }
    for (const choice of choices) {
      // the variants the rules pick also add into C in place (C₀ = 1 everywhere)
      for (const accumulate of ["tile64", "big128", "splitk"].includes(choice.variant) ? [false, true] : [false]) {
        const out = accumulate ? tensor(new Float32Array(B * M * H * N).fill(1), [B, M, H * N]) : empty([B, M, H * N]);
        launchMatmul(a, b, out, choice, shape, { accumulate });
        const got = (await out.data()) as Float32Array;
        out.dispose();
        for (let i = 0; i < got.length; i++) {
          const want = expected[i] + (accumulate ? 1 : 0);
          const err = Math.abs(got[i] - want);
          if (!(err <= 1e-4 * (1 + Math.abs(want)))) {
            throw new Error(
              `${JSON.stringify(choice)}${accumulate ? " accumulating" : ""} [${B}, ${H}, ${M}, ${N}, ${K}]: ` +
                `C[${i}] = ${got[i]}, want ${want}`,
            );
          }
        }
      }
    }
    a.dispose();
    b.dispose();
  }
});

Deno.test("headMatmul: the same bits as split heads, matmul, merge", async () => {
  const [B, H, L, S, D] = [2, 3, 9, 13, 8];
  const q = tensor(randomNormal(B * L * H * D, 1), [B, L, H * D]);
  const k = tensor(randomNormal(B * S * H * D, 2), [B, S, H * D]);
  const p = tensor(randomNormal(B * H * L * S, 3), [B, H, L, S]);
  const split = (x: typeof q, n: number) => permute(reshape(x, [B, n, H, D]), [0, 2, 1, 3]);
  const before = matmul(split(q, L), split(k, S), { transB: true });
  const after = headMatmul(q, k, { heads: H, transB: true, aHeads: true, bHeads: true });
  assertEquals(await after.data(), await before.data());
  const merged = reshape(permute(matmul(p, split(k, S)), [0, 2, 1, 3]), [B, L, H * D]);
  const direct = headMatmul(p, k, { heads: H, bHeads: true, outHeads: true });
  assertEquals(await direct.data(), await merged.data());
  for (const t of [q, k, p, before, after, merged, direct]) t.dispose();
});

Deno.test("headMatmul: bad shapes name the op and the expected layout", () => {
  const q = tensor(new Float32Array(2 * 3 * 10), [2, 3, 10]);
  const k = tensor(new Float32Array(2 * 4 * 12), [2, 4, 12]);
  assertMatch(
    assertThrows(() => headMatmul(q, q, { heads: 3, aHeads: true, bHeads: true }), Error).message,
    /headMatmul: a \[2, 3, 10\].* must be \[2, rows, 3·cols\]/,
  );
  assertMatch(
    assertThrows(() => headMatmul(q, k, { heads: 2, transB: true, aHeads: true, bHeads: true }), Error).message,
    /headMatmul: inner dimensions differ \(5 vs 6/,
  );
  for (const t of [q, k]) t.dispose();
});
