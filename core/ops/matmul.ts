/**
 * Matrix products: `matmul` (batched, either operand transposed, a rank-2 operand shared by every batch entry) and
 * `linear` (x · Wᵀ as PyTorch stores weights), with backward beside forward.
 * @module
 */
import { record } from "../autograd.ts";
import { empty, fmtShape, type Tensor } from "../tensor.ts";
import { launchMatmul } from "./_matmul_launch.ts";
import { matmulChoiceFor } from "./matmul_tune.ts";
import { requireF32, sumTo } from "./elementwise.ts";
import { reshape } from "./shape.ts";

/** Options of {@link matmul}. */
export interface MatmulOptions {
  /** Use Aᵀ: `a` is stored as [..., K, M]. */
  transA?: boolean;
  /** Use Bᵀ: `b` is stored as [..., N, K]. */
  transB?: boolean;
}

interface Plan {
  batchShape: number[];
  batch: number;
  M: number;
  N: number;
  K: number;
  sa: number;
  sb: number;
}

function planError(a: Tensor, b: Tensor, transA: boolean, transB: boolean, why: string): never {
  throw new Error(
    `matmul: ${why} (a ${fmtShape(a.shape)}${transA ? "ᵀ" : ""}, b ${fmtShape(b.shape)}${transB ? "ᵀ" : ""})`,
  );
}

function plan(a: Tensor, b: Tensor, transA: boolean, transB: boolean): Plan {
  const ra = a.rank;
  const rb = b.rank;
  if (ra < 2 || rb < 2) planError(a, b, transA, transB, "operands must have rank ≥ 2");
  // indexed reads, no temporary arrays: this runs for every product of every step
  const ar = a.shape[ra - 2], ac = a.shape[ra - 1];
  const br = b.shape[rb - 2], bc = b.shape[rb - 1];
  const M = transA ? ac : ar;
  const K = transA ? ar : ac;
  const Kb = transB ? bc : br;
  const N = transB ? br : bc;
  if (K !== Kb) planError(a, b, transA, transB, `inner dimensions differ (${K} vs ${Kb})`);
  let batchShape: readonly number[];
  if (ra === 2) batchShape = b.shape.slice(0, -2);
  else if (rb === 2) batchShape = a.shape.slice(0, -2);
  else {
    let same = ra === rb;
    for (let i = 0; same && i < ra - 2; i++) same = a.shape[i] === b.shape[i];
    if (!same) return planError(a, b, transA, transB, "batch dimensions must match, or one operand must be rank 2");
    batchShape = a.shape.slice(0, -2);
  }
  let batch = 1;
  for (let i = 0; i < batchShape.length; i++) batch *= batchShape[i];
  if (batch > 65535) planError(a, b, transA, transB, `batch ${batch} exceeds 65535`);
  return { batchShape: batchShape as number[], batch, M, N, K, sa: ra > 2 ? M * K : 0, sb: rb > 2 ? K * N : 0 };
}

function product(a: Tensor, b: Tensor, transA: boolean, transB: boolean): Tensor {
  requireF32("matmul", a, b);
  const pl = plan(a, b, transA, transB);
  if (pl.K === 0) throw new Error(`matmul: empty inner dimension (a ${fmtShape(a.shape)}, b ${fmtShape(b.shape)})`);
  const out = empty([...pl.batchShape, pl.M, pl.N], "f32", "matmul");
  const shape = { M: pl.M, N: pl.N, K: pl.K, batch: pl.batch, transA, transB, sa: pl.sa, sb: pl.sb };
  launchMatmul(a, b, out, matmulChoiceFor(shape), shape);
  return out;
}

/**
 * `op(a) · op(b)` over the last two axes. Leading (batch) axes must match, or one operand is rank 2 and is used for
 * every batch entry (a shared weight); per-example weights are a batched `b`.
 */
export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  const transA = options.transA ?? false;
  const transB = options.transB ?? false;
  const out = product(a, b, transA, transB);
  record("matmul", out, [a, b], (g, [sa, sb]) => {
    let da: Tensor | null = null;
    let db: Tensor | null = null;
    if (a.requiresGrad) {
      da = transA ? product(sb, g, transB, true) : product(g, sb, false, !transB);
      if (a.rank === 2 && g.rank > 2) da = foldBatch(da, a.shape);
    }
    if (b.requiresGrad) {
      if (b.rank === 2 && a.rank > 2) {
        db = weightGrad(sa, g, transA, transB);
      } else {
        db = transB ? product(g, sa, true, transA) : product(sa, g, !transA, false);
      }
    }
    return [da, db];
  }, [a, b]);
  return out;
}

function foldBatch(t: Tensor, shape: readonly number[]): Tensor {
  const summed = sumTo(t.view([t.size / (shape[0] * shape[1]), shape[0], shape[1]]), [1, shape[0], shape[1]]);
  return summed.view(shape);
}

/** dW for a weight shared by a batched input: flatten the batch into rows when `a` is not transposed. */
function weightGrad(a: Tensor, g: Tensor, transA: boolean, transB: boolean): Tensor {
  if (!transA) {
    const K = a.shape[a.rank - 1];
    const N = g.shape[g.rank - 1];
    const rows = a.size / K;
    const a2 = a.view([rows, K]);
    const g2 = g.view([rows, N]);
    return transB ? product(g2, a2, true, false) : product(a2, g2, true, false);
  }
  const full = transB ? product(g, a, true, transA) : product(a, g, !transA, false);
  return foldBatch(full, full.shape.slice(-2));
}

/** `x · Wᵀ` for a PyTorch-layout weight `W` [out, in], over any leading axes of `x` [..., in]. */
export function linear(x: Tensor, weight: Tensor): Tensor {
  if (weight.rank !== 2) throw new Error(`linear: weight must be [out, in], got ${weight.describe()}`);
  const inF = x.shape[x.rank - 1];
  if (inF !== weight.shape[1]) {
    throw new Error(`linear: input ${x.describe()} does not match weight ${weight.describe()} (in features)`);
  }
  const rows = x.size / inF;
  const flat = x.rank === 2 ? x : reshape(x, [rows, inF]);
  const y = matmul(flat, weight, { transB: true });
  return x.rank === 2 ? y : reshape(y, [...x.shape.slice(0, -1), weight.shape[0]]);
}
