/**
 * Per-head products of multi-head attention that read and write the heads' interleaved layout in place:
 * `headMatmul` multiplies, for every batch entry b and head h, the matrices of one head, where an operand (or the
 * output) is either in head layout `[B, L, H·D]` (head h's matrix is the columns h·D … h·D + D − 1, as a projection
 * leaves it) or plain `[B, H, R, C]`. This replaces the split (`[B, L, H, D]` → `[B, H, L, D]`) and merge copies
 * around the products, forward and backward, with strided reads and writes of the GEMM kernels.
 * @module
 */
import type { MatmulShape } from "@hyperdecoders/kernels";
import { layoutChoice } from "@hyperdecoders/kernels";
import { record } from "../autograd.ts";
import { empty, type Tensor } from "../tensor.ts";
import { launchMatmul } from "./_matmul_launch.ts";
import { requireF32 } from "./elementwise.ts";
import { matmulChoiceFor } from "./matmul_tune.ts";

/** Options of {@link headMatmul}. */
export interface HeadMatmulOptions {
  /** Heads H. */
  heads: number;
  /** Use Aᵀ per head: A's per-head matrix is stored [K, M]. */
  transA?: boolean;
  /** Use Bᵀ per head: B's per-head matrix is stored [N, K]. */
  transB?: boolean;
  /** `a` is in head layout [B, rows, H·cols] (else plain [B, H, rows, cols]). */
  aHeads?: boolean;
  /** `b` is in head layout [B, rows, H·cols] (else plain [B, H, rows, cols]). */
  bHeads?: boolean;
  /** Write the output in head layout [B, M, H·N] (else plain [B, H, M, N]). */
  outHeads?: boolean;
}

interface Operand {
  t: Tensor;
  heads: boolean;
}

/** Stored rows and columns of one head's matrix, and its strides: per batch entry, per head, per row. */
interface Strides {
  rows: number;
  cols: number;
  outer: number;
  inner: number;
  ld: number;
}

function strides(what: string, o: Operand, B: number, H: number): Strides {
  const s = o.t.shape;
  if (o.heads) {
    if (s.length !== 3 || s[0] !== B || s[2] % H !== 0) {
      throw new Error(`headMatmul: ${what} ${o.t.describe()} must be [${B}, rows, ${H}·cols] (head layout)`);
    }
    const cols = s[2] / H;
    return { rows: s[1], cols, outer: s[1] * s[2], inner: cols, ld: s[2] };
  }
  if (s.length !== 4 || s[0] !== B || s[1] !== H) {
    throw new Error(`headMatmul: ${what} ${o.t.describe()} must be [${B}, ${H}, rows, cols]`);
  }
  return { rows: s[2], cols: s[3], outer: H * s[2] * s[3], inner: s[2] * s[3], ld: s[3] };
}

function product(a: Operand, b: Operand, transA: boolean, transB: boolean, outHeads: boolean, H: number): Tensor {
  requireF32("headMatmul", a.t, b.t);
  const B = a.t.shape[0];
  const sa = strides("a", a, B, H);
  const sb = strides("b", b, B, H);
  const M = transA ? sa.cols : sa.rows;
  const K = transA ? sa.rows : sa.cols;
  const Kb = transB ? sb.cols : sb.rows;
  const N = transB ? sb.rows : sb.cols;
  if (K !== Kb) {
    throw new Error(
      `headMatmul: inner dimensions differ (${K} vs ${Kb}; a ${a.t.describe()}${
        transA ? "ᵀ" : ""
      }, b ${b.t.describe()}${transB ? "ᵀ" : ""})`,
    );
  }
  if (K === 0) throw new Error(`headMatmul: empty inner dimension (a ${a.t.describe()}, b ${b.t.describe()})`);
  if (B * H > 65535) throw new Error(`headMatmul: batch × heads ${B * H} exceeds 65535`);
  const out = empty(outHeads ? [B, M, H * N] : [B, H, M, N], "f32", "headMatmul");
  const batch = B * H;
  // The contiguous twin picks the kernel (the tuner's classes are contiguous products of the same sizes).
  const twin: MatmulShape = { M, N, K, batch, transA, transB, sa: M * K, sb: K * N };
  const shape: MatmulShape = {
    ...twin,
    sa: sa.outer,
    sb: sb.outer,
    layout: {
      inner: H,
      lda: sa.ld,
      ldb: sb.ld,
      ldc: outHeads ? H * N : N,
      sa2: sa.inner,
      sb2: sb.inner,
      sc: H * M * N,
      sc2: outHeads ? N : M * N,
    },
  };
  launchMatmul(a.t, b.t, out, layoutChoice(matmulChoiceFor(twin), shape), shape);
  return out;
}

/**
 * Per (batch entry, head): `op(A[b, h]) · op(B[b, h])`, each operand and the output in head layout `[B, L, H·D]`
 * (per-head matrix [L, D]) or plain `[B, H, R, C]`, as the options say. E.g. attention scores from projected queries
 * and keys `[B, L, H·Dk]`: `headMatmul(q, k, { heads: H, transB: true, aHeads: true, bHeads: true })` → [B, H, Lq, Lk];
 * the context merged back: `headMatmul(probs, v, { heads: H, bHeads: true, outHeads: true })` → [B, Lq, H·Dk].
 * The same values as splitting the heads, `matmul`, and merging them.
 */
export function headMatmul(a: Tensor, b: Tensor, options: HeadMatmulOptions): Tensor {
  const H = options.heads;
  if (!Number.isInteger(H) || H < 1) throw new Error(`headMatmul: heads must be a positive integer, got ${H}`);
  const transA = options.transA ?? false;
  const transB = options.transB ?? false;
  const A: Operand = { t: a, heads: options.aHeads ?? false };
  const Bo: Operand = { t: b, heads: options.bHeads ?? false };
  const outHeads = options.outHeads ?? false;
  if (a.shape[0] !== b.shape[0]) {
    throw new Error(`headMatmul: batch sizes differ (a ${a.describe()}, b ${b.describe()})`);
  }
  const out = product(A, Bo, transA, transB, outHeads, H);
  record("headMatmul", out, [a, b], (g, [sa, sb]) => {
    const G: Operand = { t: g, heads: outHeads };
    const SA: Operand = { t: sa, heads: A.heads };
    const SB: Operand = { t: sb, heads: Bo.heads };
    // As matmul's backward, each gradient written in its operand's layout.
    const da = a.requiresGrad
      ? (transA ? product(SB, G, transB, true, A.heads, H) : product(G, SB, false, !transB, A.heads, H))
      : null;
    const db = b.requiresGrad
      ? (transB ? product(G, SA, true, transA, Bo.heads, H) : product(SA, G, !transA, false, Bo.heads, H))
      : null;
    return [da, db];
  }, [a, b]);
  return out;
}
