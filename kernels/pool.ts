/**
 * Masked mean pooling over the sequence axis: `out[b, d] = Σ_s m[b, s] · x[b, s, d] / max(Σ_s m[b, s], 1)`, one
 * thread per output (reads coalesced along `d`), and its backward, one thread per input element.
 * @module
 */
import { grid1d, type Kernel, LINEAR_ID_WGSL, LINEAR_MAIN_WGSL, memoKernel } from "./kernel.ts";

/** Threads per workgroup of the pooling kernels. */
export const POOL_WG = 256;

const MAIN = `${LINEAR_ID_WGSL}
${LINEAR_MAIN_WGSL}
  let i = linear_id(wid, nwg, lid.x, ${POOL_WG}u);`;

/**
 * Forward over `x [B, S, D]` and `mask [B, S]` (f32 or i32 elements): writes `out [B, D]` and the clamped
 * denominators `denom [B]` (saved for the backward). Launch with `poolGrid(B·D)`.
 */
export function maskedMeanPoolKernel(maskElem: "f32" | "i32"): Kernel {
  return memoKernel(`maskedMeanPoolKernel:${maskElem}`, () => {
    return {
      name: `masked_mean_pool_${maskElem}`,
      bindings: [
        { name: "xs", access: "read" },
        { name: "mask", access: "read", elem: maskElem },
        { name: "out", access: "read_write" },
        { name: "denom", access: "read_write" },
      ],
      params: [["B", "u32"], ["S", "u32"], ["D", "u32"]],
      workgroupSize: [POOL_WG, 1, 1],
      body: `${MAIN}
    if (i >= p.B * p.D) { return; }
    let b = i / p.D;
    let d = i % p.D;
    var acc = 0.0;
    var n = 0.0;
    for (var s = 0u; s < p.S; s = s + 1u) {
      let m = f32(mask[b * p.S + s]);
      n = n + m;
      acc = acc + m * xs[(b * p.S + s) * p.D + d];
    }
    let den = max(n, 1.0);
    out[i] = acc / den;
    if (d == 0u) { denom[b] = den; }
  }`,
    };
  });
}

/** Backward: `dx[b, s, d] = m[b, s] · g[b, d] / denom[b]`. Launch with `poolGrid(B·S·D)`. */
export function maskedMeanPoolGradKernel(maskElem: "f32" | "i32"): Kernel {
  return memoKernel(`maskedMeanPoolGradKernel:${maskElem}`, () => {
    return {
      name: `masked_mean_pool_grad_${maskElem}`,
      bindings: [
        { name: "mask", access: "read", elem: maskElem },
        { name: "denom", access: "read" },
        { name: "gs", access: "read" },
        { name: "dx", access: "read_write" },
      ],
      params: [["B", "u32"], ["S", "u32"], ["D", "u32"]],
      workgroupSize: [POOL_WG, 1, 1],
      body: `${MAIN}
    if (i >= p.B * p.S * p.D) { return; }
    let d = i % p.D;
    let bs = i / p.D;
    let b = bs / p.S;
    dx[i] = f32(mask[bs]) * gs[b * p.D + d] / denom[b];
  }`,
    };
  });
}

/** Grid of the pooling kernels over `n` threads. */
export function poolGrid(n: number): [number, number, number] {
  return grid1d(n, POOL_WG);
}
