/**
 * Matrix products: `matmul` (batched, either operand transposed, a rank-2 operand shared by every batch entry) and
 * `linear` (x · Wᵀ as PyTorch stores weights), with backward beside forward.
 * @module
 */
import { type PartialGrad, record } from "../autograd.ts";
import { empty, fmtShape, type Tensor } from "../tensor.ts";
import type { GemmOptions } from "@hyperdecoders/kernels";
import { launchMatmul } from "./_matmul_launch.ts";
import { matmulChoiceFor } from "./matmul_tune.ts";
import { applyMask } from "./dropout.ts";
import { requireF32, sumTo } from "./elementwise.ts";

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

function product(a: Tensor, b: Tensor, transA: boolean, transB: boolean, options: GemmOptions = {}): Tensor {
  const pl = planChecked(a, b, transA, transB);
  const out = empty([...pl.batchShape, pl.M, pl.N], "f32", "matmul");
  launchPlanned(a, b, out, pl, transA, transB, options);
  return out;
}

function planChecked(a: Tensor, b: Tensor, transA: boolean, transB: boolean): Plan {
  requireF32("matmul", a, b);
  const pl = plan(a, b, transA, transB);
  if (pl.K === 0) throw new Error(`matmul: empty inner dimension (a ${fmtShape(a.shape)}, b ${fmtShape(b.shape)})`);
  return pl;
}

function launchPlanned(
  a: Tensor,
  b: Tensor,
  out: Tensor,
  pl: Plan,
  transA: boolean,
  transB: boolean,
  options: GemmOptions,
): void {
  const shape = { M: pl.M, N: pl.N, K: pl.K, batch: pl.batch, transA, transB, sa: pl.sa, sb: pl.sb };
  launchMatmul(a, b, out, matmulChoiceFor(shape), shape, options);
}

/**
 * `op(a) · op(b)` as a gradient contribution ({@link PartialGrad}): the product kernel writes it as a new tensor, or
 * adds it in place into a gradient summed so far (no separate add). Holds its own references to `a` and `b`.
 * `maskA`: `a` is a gradient still to be masked by a dropout (the mask is applied as the kernel reads it).
 */
function productPart(
  a: Tensor,
  b: Tensor,
  transA: boolean,
  transB: boolean,
  maskA: number[] | null = null,
): PartialGrad {
  const av = a.view(a.shape);
  const bv = b.view(b.shape);
  return {
    materialize: () => product(av, bv, transA, transB, { maskA }),
    addInto: (target) => {
      const pl = planChecked(av, bv, transA, transB);
      if (target.size !== pl.batch * pl.M * pl.N) {
        throw new Error(`matmul backward: gradient ${target.describe()} does not match the product's ${pl.M}×${pl.N}`);
      }
      launchPlanned(av, bv, target, pl, transA, transB, { accumulate: true, maskA });
    },
    dispose: () => {
      av.dispose();
      bv.dispose();
    },
  };
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
    let da: Tensor | PartialGrad | null = null;
    let db: Tensor | PartialGrad | null = null;
    if (a.requiresGrad) {
      if (a.rank === 2 && g.rank > 2) {
        da = foldBatch(transA ? product(sb, g, transB, true) : product(g, sb, false, !transB), a.shape);
      } else {
        da = transA ? productPart(sb, g, transB, true) : productPart(g, sb, false, !transB);
      }
    }
    if (b.requiresGrad) {
      if (b.rank === 2 && a.rank > 2) {
        db = weightGrad(sa, g, transA, transB);
      } else {
        db = transB ? productPart(g, sa, true, transA) : productPart(sa, g, !transA, false);
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
function weightGrad(a: Tensor, g: Tensor, transA: boolean, transB: boolean): Tensor | PartialGrad {
  if (!transA) {
    const K = a.shape[a.rank - 1];
    const N = g.shape[g.rank - 1];
    const rows = a.size / K;
    const a2 = a.view([rows, K]);
    const g2 = g.view([rows, N]);
    try {
      return transB ? productPart(g2, a2, true, false) : productPart(a2, g2, true, false);
    } finally {
      a2.dispose();
      g2.dispose();
    }
  }
  const full = transB ? product(g, a, true, transA) : product(a, g, !transA, false);
  return foldBatch(full, full.shape.slice(-2));
}

/**
 * `x · Wᵀ` for a PyTorch-layout weight `W` [out, in], over any leading axes of `x` [..., in]: one product over the
 * rows of x, recorded as one node, so that x's gradient (`g · W`) is a contribution the product kernel adds in place
 * into x's other gradients (x is typically normed hidden states feeding several projections). When y feeds a residual
 * dropout only, its gradient arrives unmasked and the product applies the mask as it reads it.
 */
export function linear(x: Tensor, weight: Tensor): Tensor {
  if (weight.rank !== 2) throw new Error(`linear: weight must be [out, in], got ${weight.describe()}`);
  const inF = x.shape[x.rank - 1];
  if (inF !== weight.shape[1]) {
    throw new Error(`linear: input ${x.describe()} does not match weight ${weight.describe()} (in features)`);
  }
  if (x.rank === 2) return matmul(x, weight, { transB: true });
  const outF = weight.shape[0];
  const rows = x.size / inF;
  const flat = x.view([rows, inF]);
  const y2 = product(flat, weight, false, true);
  flat.dispose();
  const y = y2.view([...x.shape.slice(0, -1), outF]);
  y2.dispose();
  record(
    "linear",
    y,
    [x, weight],
    (g, [sx, sw], mask) => {
      const g2 = g.view([rows, outF]);
      const x2 = sx.view([rows, inF]);
      // the weight's gradient reads g transposed, which the masked kernels do not: it gets the masked copy
      const gw = mask && weight.requiresGrad ? applyMask(g2, mask, "linear backward (masked gradient)") : null;
      try {
        // the products matmul's backward computes for [rows, in] · [out, in]ᵀ (x's reads g through the mask, if any)
        return [
          x.requiresGrad ? productPart(g2, sw, false, false, mask ?? null) : null,
          weight.requiresGrad ? productPart(gw ?? g2, x2, true, false) : null,
        ];
      } finally {
        g2.dispose();
        x2.dispose();
        gw?.dispose();
      }
    },
    [x, weight],
    { acceptsMask: true },
  );
  return y;
}
