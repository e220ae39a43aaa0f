/**
 * Inverted dropout with a counter-based hash RNG: element `i` is kept iff `hash(i, key) >> 8 ≥ threshold`, so the
 * mask is a pure function of (seed, index) and is recomputed in the backward instead of stored.
 * @module
 */
import { EW_WG } from "./elementwise.ts";
import { grid1d, type Kernel, LINEAR_ID_WGSL, LINEAR_MAIN_WGSL, type ParamType } from "./kernel.ts";

/**
 * The integer mixer both the kernel and the CPU use ("lowbias32" by C. Wellons): a bijection on u32 with low bias.
 */
export function dropoutMix(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d) >>> 0;
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** The two 32-bit keys of a seed (any safe integer ≥ 0): `[mix(low word), mix(high word ^ 0x85ebca6b)]`. */
export function dropoutKeys(seed: number): [number, number] {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new Error(`dropout: seed must be a non-negative safe integer, got ${seed}`);
  }
  const lo = seed >>> 0;
  const hi = Math.floor(seed / 2 ** 32) >>> 0;
  return [dropoutMix(lo), dropoutMix((hi ^ 0x85ebca6b) >>> 0)];
}

/** The 32 random bits of element `index` under `keys`: `mix(mix(index + k0) ^ k1)`. */
export function dropoutBits(index: number, keys: [number, number]): number {
  return dropoutMix((dropoutMix((index + keys[0]) >>> 0) ^ keys[1]) >>> 0);
}

/** The drop threshold on 24-bit uniforms for drop probability `p`: drop iff `bits >> 8 < round(p · 2²⁴)`. */
export function dropoutThreshold(p: number): number {
  return Math.round(p * 2 ** 24);
}

/** The uniform parameters of a kernel that applies a dropout mask (after its own): `dropoutParams` in core sets them. */
export const DROPOUT_PARAMS: [string, ParamType][] = [["k0", "u32"], ["k1", "u32"], ["thr", "u32"], ["scale", "f32"]];

/** WGSL of `mix`, the integer mixer of {@link dropoutMix}, for kernels that apply a dropout mask themselves. */
export const MIX_WGSL: string = `
fn mix(x: u32) -> u32 {
  var h = x;
  h ^= h >> 16u;
  h *= 0x7feb352du;
  h ^= h >> 15u;
  h *= 0x846ca68bu;
  h ^= h >> 16u;
  return h;
}`;

/** WGSL expression: the random bits of element `i` (a `u32` in scope), those of {@link dropoutBits}. */
export const DROPOUT_BITS_WGSL: string = "mix(mix(i + p.k0) ^ p.k1)";

/**
 * WGSL boolean expression: whether element `i` (a `u32` in scope) is kept, `(bits >> 8) ≥ thr` with the bits of
 * {@link DROPOUT_BITS_WGSL}. Needs {@link MIX_WGSL} and the {@link DROPOUT_PARAMS}.
 */
export const DROPOUT_KEEP_WGSL: string = `(${DROPOUT_BITS_WGSL} >> 8u) >= p.thr`;

/**
 * An elementwise kernel that applies the dropout mask of element `i` itself: `ys[i] = <expression>`, where the
 * expression may use `bits` (the element's random bits: kept iff `(bits >> 8u) >= p.thr`), `i` and the bindings.
 * Parameters: `n`, the keys `k0`, `k1`, the 24-bit threshold `thr`, `scale`.
 */
function maskedKernel(name: string, inputs: string[], expression: string): Kernel {
  return {
    name,
    bindings: [...inputs.map((b) => ({ name: b, access: "read" as const })), { name: "ys", access: "read_write" }],
    params: [["n", "u32"], ...DROPOUT_PARAMS],
    workgroupSize: [EW_WG, 1, 1],
    body: `${LINEAR_ID_WGSL}${MIX_WGSL}
${LINEAR_MAIN_WGSL}
  let i = linear_id(wid, nwg, lid.x, ${EW_WG}u);
  if (i >= p.n) { return; }
  let bits = ${DROPOUT_BITS_WGSL};
  ys[i] = ${expression};
}`,
  };
}

/**
 * `ys[i] = keep(i) ? xs[i] · scale : 0`. The same kernel applied to the output gradient with the same keys is the backward.
 */
export const DROPOUT_KERNEL: Kernel = maskedKernel(
  "dropout",
  ["xs"],
  "select(0.0, xs[i] * p.scale, (bits >> 8u) >= p.thr)",
);

/**
 * Dropout fused into the residual add that follows it: `ys[i] = rs[i] + (keep(i) ? xs[i] · scale : 0)`, the same
 * arithmetic as {@link DROPOUT_KERNEL} followed by an add, in one dispatch. Same parameters as {@link DROPOUT_KERNEL};
 * bindings `rs`, `xs`, `ys`; grid {@link dropoutGrid}.
 */
export const DROPOUT_ADD_KERNEL: Kernel = maskedKernel(
  "dropout_add",
  ["rs", "xs"],
  "rs[i] + select(0.0, xs[i] * p.scale, (bits >> 8u) >= p.thr)",
);

/**
 * {@link DROPOUT_KERNEL}'s output added in place: `ys[i] = ys[i] + (keep(i) ? xs[i] · scale : 0)` (a masked gradient
 * summed into another; the value of an `add` after the mask). Same parameters; bindings `xs`, `ys`.
 */
export const DROPOUT_ADD_INTO_KERNEL: Kernel = maskedKernel(
  "dropout_add_into",
  ["xs"],
  "ys[i] + select(0.0, xs[i] * p.scale, (bits >> 8u) >= p.thr)",
);

/**
 * Dropout fused into the product before it: `ys[i] = keep(i) ? (xa[i] · xb[i]) · scale : 0`, the values of a `mul`
 * followed by {@link DROPOUT_KERNEL}. Same parameters as {@link DROPOUT_KERNEL}; bindings `xa`, `xb`, `ys`.
 */
export const DROPOUT_MUL_KERNEL: Kernel = maskedKernel(
  "dropout_mul",
  ["xa", "xb"],
  "select(0.0, (xa[i] * xb[i]) * p.scale, (bits >> 8u) >= p.thr)",
);

/**
 * Backward of {@link DROPOUT_MUL_KERNEL} for one operand: `ys[i] = (keep(i) ? gs[i] · scale : 0) · os[i]` with `os` the
 * other operand, the values of the dropout backward followed by `mul`'s. Parameters as {@link DROPOUT_KERNEL};
 * bindings `gs`, `os`, `ys`.
 */
export const DROPOUT_MUL_GRAD_KERNEL: Kernel = maskedKernel(
  "dropout_mul_grad",
  ["gs", "os"],
  "select(0.0, gs[i] * p.scale, (bits >> 8u) >= p.thr) * os[i]",
);

/** Grid for {@link DROPOUT_KERNEL} over `n` elements. */
export function dropoutGrid(n: number): [number, number, number] {
  return grid1d(n, EW_WG);
}
