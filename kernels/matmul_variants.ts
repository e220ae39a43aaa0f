/**
 * Matmul kernel variants and the function that picks one per shape.
 *
 * - `tiled64`: the baseline kernel of `matmul.ts` (64×64 tile, 4×4 outputs per thread).
 * - `tile64`: 64×64 tile, 4×4 per thread, 256 threads, k-major `vec4` workgroup tiles, bounds checks hoisted out
 *   of interior tiles.
 * - `big128` / `big128k16` / `big128k32`: 128×128 tile, 8×8 per thread, 256 threads, BK 8, 16 or 32, for big GEMMs.
 * - `tile64k32`: the `tile64` tile stepping through K in slices of 32 (half the barriers).
 * - `wide128x64` / `tall64x128`: 128×64 (8×4 per thread) and 64×128 (4×8 per thread) tiles, 256 threads, BK 16.
 * - `big128db` / `tile64db`: double-buffered tiles: the next K slice is staged into a second workgroup buffer while the
 *   current one is multiplied, one barrier per slice instead of two.
 * - `splitk`: the `tile64` kernel over S slices of K writing partials `[batch, S, M, N]`, then a reduction kernel
 *   (no float atomics), for skinny shapes with few output tiles and a long K (adapter weight gradients).
 *
 * Every generated kernel reads `vec4`s straight from global memory where the layout allows (`vec4` choice: the
 * output's N and, when A is transposed, M divisible by 4), and otherwise gathers four scalars per `vec4`.
 * @module
 */
import {
  grid1d,
  type Kernel,
  LINEAR_ID_WGSL,
  LINEAR_MAIN_WGSL,
  MAX_GROUPS_PER_DIM,
  memoKernel,
  type ParamType,
} from "./kernel.ts";
import { DROPOUT_KEEP_WGSL, DROPOUT_PARAMS, MIX_WGSL } from "./dropout.ts";
import { matmulGrid, matmulKernel } from "./matmul.ts";

/** Block tile of a generated GEMM kernel: BM×BN outputs per workgroup, BK deep, TM×TN outputs per thread. */
export interface GemmTile {
  /** Rows of C per workgroup. */
  BM: number;
  /** Columns of C per workgroup. */
  BN: number;
  /** K slice staged in workgroup memory per step. */
  BK: number;
  /** Rows per thread (multiple of 4). */
  TM: number;
  /** Columns per thread (multiple of 4). */
  TN: number;
  /** Two workgroup buffers per operand: stage slice t+1 while multiplying slice t. */
  double?: boolean;
}

/** Names of the generated tiles. */
export type GemmTileName =
  | "tile64"
  | "tile64k32"
  | "tile64db"
  | "wide128x64"
  | "tall64x128"
  | "big128"
  | "big128k16"
  | "big128k32"
  | "big128db";

/** Tiles of the generated variants (`splitk` runs on the `tile64` tile). */
export const GEMM_TILES: Record<GemmTileName, GemmTile> = {
  tile64: { BM: 64, BN: 64, BK: 16, TM: 4, TN: 4 },
  tile64k32: { BM: 64, BN: 64, BK: 32, TM: 4, TN: 4 },
  tile64db: { BM: 64, BN: 64, BK: 16, TM: 4, TN: 4, double: true },
  wide128x64: { BM: 128, BN: 64, BK: 16, TM: 8, TN: 4 },
  tall64x128: { BM: 64, BN: 128, BK: 16, TM: 4, TN: 8 },
  big128: { BM: 128, BN: 128, BK: 8, TM: 8, TN: 8 },
  big128k16: { BM: 128, BN: 128, BK: 16, TM: 8, TN: 8 },
  big128k32: { BM: 128, BN: 128, BK: 32, TM: 8, TN: 8 },
  big128db: { BM: 128, BN: 128, BK: 8, TM: 8, TN: 8, double: true },
};

/** Names of the matmul variants: the baseline kernel of `matmul.ts`, the generated tiles, and split-K. */
export type MatmulVariant = "tiled64" | GemmTileName | "splitk";

/** Every variant, baseline first. */
export const MATMUL_VARIANTS: readonly MatmulVariant[] = [
  "tiled64",
  ...(Object.keys(GEMM_TILES) as GemmTileName[]),
  "splitk",
];

/** Bytes of workgroup memory a variant's kernel declares for these transposes (the baseline: 8 KiB). */
export function matmulWorkgroupBytes(variant: MatmulVariant, transA: boolean, transB: boolean): number {
  if (variant === "tiled64") return 4 * 16 * (64 + 64);
  const tile = GEMM_TILES[variant === "splitk" ? "tile64" : variant];
  const words = tile.BK * (sharedStride(tile.BM, transA) + sharedStride(tile.BN, !transB)) * 4;
  return words * 4 * (tile.double ? 2 : 1);
}

/** Threads per workgroup of a variant. */
export function matmulThreads(variant: MatmulVariant): number {
  if (variant === "tiled64") return 256;
  const tile = GEMM_TILES[variant === "splitk" ? "tile64" : variant];
  return (tile.BM / tile.TM) * (tile.BN / tile.TN);
}

/** The device limits a matmul variant must fit. */
export interface MatmulLimits {
  /** `maxComputeWorkgroupStorageSize`. */
  maxComputeWorkgroupStorageSize: number;
  /** `maxComputeInvocationsPerWorkgroup`. */
  maxComputeInvocationsPerWorkgroup: number;
}

/** Whether a variant's workgroup memory and size fit the device limits for these transposes. */
export function matmulFits(variant: MatmulVariant, transA: boolean, transB: boolean, limits: MatmulLimits): boolean {
  return matmulWorkgroupBytes(variant, transA, transB) <= limits.maxComputeWorkgroupStorageSize &&
    matmulThreads(variant) <= limits.maxComputeInvocationsPerWorkgroup;
}

/** Parameters of the generated GEMM kernels, in order. */
export const GEMM_PARAMS: [string, "u32"][] = [
  ["M", "u32"],
  ["N", "u32"],
  ["K", "u32"],
  ["sa", "u32"],
  ["sb", "u32"],
  ["S", "u32"],
  ["kChunk", "u32"],
];

/**
 * What a product does besides `C = op(A)·op(B)`: `accumulate` adds it to C (`C = C + op(A)·op(B)`, a gradient summed
 * in place); `maskA` multiplies A by a dropout mask as it is read (the kernel parameters `k0`, `k1`, `thr`, `scale` of
 * kernels/dropout.ts; element i of A's storage is kept iff its hash clears `thr`), the backward of a dropout before
 * a product without the masked copy of A. `maskA` needs an A that is not transposed.
 */
export interface GemmOptions {
  /** Add the product to C. */
  accumulate?: boolean;
  /** Dropout mask parameters applied to A's elements as they are loaded, or null. */
  maskA?: number[] | null;
}

/** Parameters the masked-A GEMM kernels take after the others (the dropout kernels' mask parameters). */
export const GEMM_MASK_PARAMS: [string, ParamType][] = DROPOUT_PARAMS;

/** How one product runs: the variant, the number of K slices (1 unless split-K) and whether it uses vec4 I/O. */
export interface MatmulChoice {
  /** Kernel variant. */
  variant: MatmulVariant;
  /** K slices (split-K); 1 for the others. */
  splits: number;
  /** Global `vec4` loads/stores (requires {@link vec4Eligible}). */
  vec4: boolean;
}

/** Workgroups a big GPU needs to be busy (about two per SM on a 132-SM H100). */
const TARGET_GROUPS = 256;
/** Most elements of split-K partials (64 MiB). */
const MAX_PARTIAL_ELEMENTS = 16 * 1024 * 1024;
/** Most K slices, and the least K per slice. */
const MAX_SPLITS = 64;
const MIN_SPLIT_K = 128;

/** Whether global memory can be read and written as `vec4`: N divisible by 4, and M too when A is transposed. */
export function vec4Eligible(M: number, N: number, transA: boolean): boolean {
  return N % 4 === 0 && (!transA || M % 4 === 0);
}

function tilesOf(tile: GemmTile, M: number, N: number, batch: number): number {
  return Math.ceil(M / tile.BM) * Math.ceil(N / tile.BN) * batch;
}

/** The K slices split-K would use for this shape (1 when splitting does not pay or does not fit). */
export function splitCount(M: number, N: number, K: number, batch: number): number {
  const tiles = tilesOf(GEMM_TILES.tile64, M, N, batch);
  let s = Math.ceil(TARGET_GROUPS / tiles);
  s = Math.min(s, MAX_SPLITS, Math.floor(K / MIN_SPLIT_K), Math.floor(MAX_GROUPS_PER_DIM / batch));
  s = Math.min(s, Math.floor(MAX_PARTIAL_ELEMENTS / (batch * M * N)));
  return Math.max(1, s);
}

/**
 * Picks the kernel for `op(A)[M×K] · op(B)[K×N]` over `batch` products: `big128` when its 128×128 tiles alone keep
 * a big GPU busy, `tile64` when 64×64 tiles do, split-K when the output is small and K long, else `tile64`.
 */
export function chooseMatmul(
  M: number,
  N: number,
  K: number,
  batch: number,
  transA: boolean,
  transB: boolean,
): MatmulChoice {
  void transB;
  const vec4 = vec4Eligible(M, N, transA);
  if (M >= 128 && N >= 128 && tilesOf(GEMM_TILES.big128, M, N, batch) >= TARGET_GROUPS / 2) {
    return { variant: "big128", splits: 1, vec4 };
  }
  if (tilesOf(GEMM_TILES.tile64, M, N, batch) < TARGET_GROUPS / 2) {
    const splits = splitCount(M, N, K, batch);
    if (splits >= 2) return { variant: "splitk", splits, vec4 };
  }
  return { variant: "tile64", splits: 1, vec4 };
}

/** One dispatch of a plan. */
export interface MatmulDispatch {
  /** The kernel. */
  kernel: Kernel;
  /** Its parameter values, in the kernel's order. */
  params: number[];
  /** Workgroup grid. */
  grid: [number, number, number];
}

/**
 * The dispatches of one product. With `reduce`, `main` writes `partialElements` floats of partials (bound in place
 * of C) that `reduce` sums into C: bind `[A, B, partials]` to `main` and `[partials, C]` to `reduce`.
 */
export interface MatmulPlan {
  /** The GEMM dispatch (binds A, B, then C or the partials). */
  main: MatmulDispatch;
  /** The split-K reduction (binds partials, C), or null. */
  reduce: MatmulDispatch | null;
  /** Size of the partials buffer in floats (0 without split-K). */
  partialElements: number;
}

/** Shape of one (batched) product: C[b] = op(A[b]) · op(B[b]) with batch strides `sa`, `sb` (0 broadcasts). */
export interface MatmulShape {
  /** Rows of C. */
  M: number;
  /** Columns of C. */
  N: number;
  /** Inner dimension. */
  K: number;
  /** Number of products. */
  batch: number;
  /** A is stored [K, M]. */
  transA: boolean;
  /** B is stored [N, K]. */
  transB: boolean;
  /** Elements between consecutive A matrices (0: shared). */
  sa: number;
  /** Elements between consecutive B matrices (0: shared). */
  sb: number;
  /**
   * Strided operands and output (omit for contiguous ones): with it, `sa` and `sb` are the strides of the outer batch
   * index (see {@link MatmulLayout}).
   */
  layout?: MatmulLayout;
}

/**
 * Row and two-level batch strides of a strided product, e.g. per-head matrices read and written in place in a
 * `[B, L, H, Dk]` tensor. Batch entry z is (z / inner, z % inner); operand A's matrix z starts at
 * `(z / inner)·sa + (z % inner)·sa2` and its stored row r (of M, or of K when transposed) at `+ r·lda`; likewise B
 * with `sb`, `sb2`, `ldb` and C with `sc`, `sc2`, `ldc`.
 */
export interface MatmulLayout {
  /** Inner batch extent (e.g. heads). */
  inner: number;
  /** Row stride of A's storage. */
  lda: number;
  /** Row stride of B's storage. */
  ldb: number;
  /** Row stride of C. */
  ldc: number;
  /** A's stride of the inner batch index. */
  sa2: number;
  /** B's stride of the inner batch index. */
  sb2: number;
  /** C's stride of the outer batch index. */
  sc: number;
  /** C's stride of the inner batch index. */
  sc2: number;
}

/** Parameters of the strided GEMM kernels, in order (after {@link GEMM_PARAMS}'). */
export const GEMM_LAYOUT_PARAMS: [string, "u32"][] = [
  ["inner", "u32"],
  ["lda", "u32"],
  ["ldb", "u32"],
  ["ldc", "u32"],
  ["sa2", "u32"],
  ["sb2", "u32"],
  ["sc", "u32"],
  ["sc2", "u32"],
];

function layoutParams(l: MatmulLayout): number[] {
  return [l.inner, l.lda, l.ldb, l.ldc, l.sa2, l.sb2, l.sc, l.sc2];
}

/**
 * Whether a strided product can use `vec4` global I/O: the contiguous rule ({@link vec4Eligible}) and every stride and
 * row length a multiple of 4, so that every `vec4` access stays aligned.
 */
export function layoutVec4Eligible(s: MatmulShape): boolean {
  if (!vec4Eligible(s.M, s.N, s.transA)) return false;
  const l = s.layout;
  if (!l) return true;
  return [s.sa, s.sb, l.lda, l.ldb, l.ldc, l.sa2, l.sb2, l.sc, l.sc2].every((v) => v % 4 === 0);
}

/**
 * The choice a strided product runs with, given the one of its contiguous twin: the baseline `tiled64` (which has no
 * strided form) becomes `tile64` (the same per-output order of fused multiply-adds), and `vec4` I/O is dropped where a
 * stride is not aligned.
 */
export function layoutChoice(choice: MatmulChoice, s: MatmulShape): MatmulChoice {
  if (!s.layout) return choice;
  const variant = choice.variant === "tiled64" ? "tile64" : choice.variant;
  return { variant, splits: variant === "splitk" ? choice.splits : 1, vec4: choice.vec4 && layoutVec4Eligible(s) };
}

/**
 * The dispatches that compute a product with a given choice and {@link GemmOptions} (with `accumulate`, split-K's
 * reduction adds to C; its partials are written as usual).
 */
export function planMatmul(choice: MatmulChoice, s: MatmulShape, options: GemmOptions = {}): MatmulPlan {
  const { M, N, K, batch, transA, transB, sa, sb, layout } = s;
  const accumulate = options.accumulate ?? false;
  const mask = options.maskA ?? null;
  if (mask) {
    if (transA) throw new Error("matmul: a dropout mask on A needs an A that is not transposed");
    if (mask.length !== GEMM_MASK_PARAMS.length) throw new Error("matmul: maskA takes k0, k1, thr, scale");
    // the baseline kernel has no masked form: its tile in the generated family (the same order of fused multiply-adds)
    if (choice.variant === "tiled64") choice = { variant: "tile64", splits: 1, vec4: false };
  }
  if (layout && choice.variant === "tiled64") {
    throw new Error("matmul: the tiled64 kernel has no strided form (use layoutChoice)");
  }
  if (layout && choice.vec4 && !layoutVec4Eligible(s)) {
    throw new Error("matmul: vec4 kernel chosen for a strided product whose strides are not multiples of 4");
  }
  if (choice.variant === "tiled64") {
    return {
      main: {
        kernel: matmulKernel(transA, transB, accumulate),
        params: [M, N, K, sa, sb, M * N],
        grid: matmulGrid(M, N, batch),
      },
      reduce: null,
      partialElements: 0,
    };
  }
  if (choice.vec4 && !vec4Eligible(M, N, transA)) {
    throw new Error(`matmul: vec4 kernel chosen for a shape that is not vec4-aligned (M ${M}, N ${N})`);
  }
  const tile = GEMM_TILES[choice.variant === "splitk" ? "tile64" : choice.variant];
  let S = choice.variant === "splitk" ? Math.max(1, Math.min(choice.splits, K)) : 1;
  const kChunk = Math.ceil(Math.ceil(K / S) / tile.BK) * tile.BK;
  S = Math.ceil(K / kChunk);
  if (batch * S > MAX_GROUPS_PER_DIM) throw new Error(`matmul: batch ${batch} × ${S} K slices exceeds 65535`);
  const kernel = gemmKernel(
    choice.variant === "splitk" ? "tile64" : choice.variant,
    transA,
    transB,
    choice.vec4,
    layout !== undefined,
    { accumulate: accumulate && S === 1, maskA: mask },
  );
  const main: MatmulDispatch = {
    kernel,
    params: [M, N, K, sa, sb, S, kChunk, ...(layout ? layoutParams(layout) : []), ...(mask ?? [])],
    grid: [Math.ceil(N / tile.BN), Math.ceil(M / tile.BM), batch * S],
  };
  if (S === 1) return { main, reduce: null, partialElements: 0 };
  const n = batch * M * N;
  const reduce: MatmulDispatch = layout
    ? {
      kernel: splitKReduceKernel(true, accumulate),
      params: [n, M * N, S, N, layout.inner, layout.ldc, layout.sc, layout.sc2],
      grid: grid1d(n, REDUCE_WG),
    }
    : { kernel: splitKReduceKernel(false, accumulate), params: [n, M * N, S], grid: grid1d(n, REDUCE_WG) };
  return { main, reduce, partialElements: n * S };
}

const REDUCE_WG = 256;

/**
 * Sums split-K partials `P[batch, S, M·N]` over S into `C[batch, M·N]` (`n` = batch·M·N, `MN` = M·N). `strided`
 * writes a strided C (see {@link MatmulLayout}): output (b, r, c) of the partials' contiguous order goes to
 * `(b / inner)·sc + (b % inner)·sc2 + r·ldc + c` (parameters `N`, `inner`, `ldc`, `sc`, `sc2` follow). With
 * `accumulate` the sum is added to C (`C = C + Σ_s P`).
 */
export function splitKReduceKernel(strided: boolean, accumulate: boolean): Kernel {
  return memoKernel(`splitk_reduce:${strided}:${accumulate}`, () => {
    const target = strided ? "C[(b / p.inner) * p.sc + (b % p.inner) * p.sc2 + (e / p.N) * p.ldc + e % p.N]" : "C[i]";
    return {
      name: `matmul_splitk_reduce${strided ? "_strided" : ""}${accumulate ? "_acc" : ""}`,
      bindings: [{ name: "P", access: "read" }, { name: "C", access: "read_write" }],
      params: [
        ["n", "u32"],
        ["MN", "u32"],
        ["S", "u32"],
        ...(strided
          ? [["N", "u32"], ["inner", "u32"], ["ldc", "u32"], ["sc", "u32"], ["sc2", "u32"]] as [string, "u32"][]
          : []),
      ],
      workgroupSize: [REDUCE_WG, 1, 1],
      body: `${LINEAR_ID_WGSL}
${LINEAR_MAIN_WGSL}
  let i = linear_id(wid, nwg, lid.x, ${REDUCE_WG}u);
  if (i >= p.n) { return; }
  let b = i / p.MN;
  let e = i % p.MN;
  let base = b * p.S * p.MN + e;
  var acc = 0.0;
  for (var s = 0u; s < p.S; s++) { acc += P[base + s * p.MN]; }
  ${target} = ${accumulate ? `${target} + ` : ""}acc;
}`,
    };
  });
}

const kernelCache = new Map<string, Kernel>();

/**
 * A generated GEMM kernel: `tile` names the block tile; `vec4` switches global I/O to `vec4` where the layout allows.
 * Writes `C[z]` for workgroup z = b·S + s over K range [s·kChunk, min(K, (s+1)·kChunk)); with S = 1 that is the
 * whole product. `strided` builds the form that takes {@link GEMM_LAYOUT_PARAMS} too (operands and, unless split
 * into K slices, the output strided as {@link MatmulLayout} says; split-K partials stay contiguous). `options`:
 * see {@link GemmOptions} (`accumulate` only for S = 1: split-K partials must be overwritten; `maskA` adds
 * {@link GEMM_MASK_PARAMS} after the other parameters).
 */
export function gemmKernel(
  tile: GemmTileName,
  transA: boolean,
  transB: boolean,
  vec4: boolean,
  strided = false,
  options: GemmOptions = {},
): Kernel {
  const accumulate = options.accumulate ?? false;
  const masked = (options.maskA ?? null) !== null;
  const key = `${tile}_${transA ? "t" : "n"}${transB ? "t" : "n"}${vec4 ? "_v4" : ""}${strided ? "_strided" : ""}${
    masked ? "_maskA" : ""
  }${accumulate ? "_acc" : ""}`;
  let kernel = kernelCache.get(key);
  if (!kernel) {
    kernel = buildGemm(`matmul_${key}`, GEMM_TILES[tile], transA, transB, vec4, strided, accumulate, masked);
    kernelCache.set(key, kernel);
  }
  return kernel;
}

/**
 * `vec4`s per k-row of a workgroup tile. Transposing loads store k-fastest across threads, so rows are padded by one
 * `vec4` to spread those stores over all memory banks.
 */
function sharedStride(span: number, natural: boolean): number {
  return span / 4 + (natural ? 0 : 1);
}

/** WGSL statements that stage one operand's tile into workgroup memory. */
function stageOperand(
  op: "A" | "B",
  tile: GemmTile,
  natural: boolean,
  vecLoad: boolean,
  threads: number,
  checked: boolean,
  offset = "",
  strided = false,
  masked = false,
): string {
  const { BK } = tile;
  if (masked && natural) throw new Error("stageOperand: a masked operand is read along K (A not transposed)");
  // element `at` of the operand (through the dropout mask of a masked A)
  const read = (at: string) => (masked ? `maskedA(${at})` : `${op}[${at}]`);
  const span = op === "A" ? tile.BM : tile.BN; // tile extent along M (A) or N (B)
  const span4 = span / 4;
  const units = (span4 * BK) / threads;
  const [origin, limit, base, shared] = op === "A" ? ["row0", "p.M", "aBase", "As"] : ["col0", "p.N", "bBase", "Bs"];
  // Row stride of the operand's storage: the contiguous one unless strided.
  const ld = strided ? (op === "A" ? "p.lda" : "p.ldb") : natural ? limit : "p.K";
  const lines: string[] = [];
  for (let l = 0; l < units; l++) {
    const u = `(tid + ${l * threads}u)`;
    // natural: the operand's contiguous axis runs along M (A) / N (B); else along K.
    const [k, x4] = natural ? [`${u} / ${span4}u`, `${u} % ${span4}u`] : [`${u} % ${BK}u`, `${u} / ${BK}u`];
    lines.push(`{
      let k = ${k};
      let x = ${origin} + 4u * (${x4});
      let gk = k0 + k;`);
    if (natural) {
      lines.push(`      let i = ${base} + gk * ${ld} + x;`);
      if (vecLoad) {
        const load = `${op}[i >> 2u]`;
        lines.push(
          checked
            ? `      var v = vec4<f32>(0.0); if (gk < kEnd && x < ${limit}) { v = ${load}; }`
            : `      let v = ${load};`,
        );
      } else if (checked) {
        lines.push(`      var v = vec4<f32>(0.0);
      if (gk < kEnd) {
        if (x < ${limit}) { v.x = ${op}[i]; }
        if (x + 1u < ${limit}) { v.y = ${op}[i + 1u]; }
        if (x + 2u < ${limit}) { v.z = ${op}[i + 2u]; }
        if (x + 3u < ${limit}) { v.w = ${op}[i + 3u]; }
      }`);
      } else {
        lines.push(`      let v = vec4<f32>(${op}[i], ${op}[i + 1u], ${op}[i + 2u], ${op}[i + 3u]);`);
      }
    } else {
      lines.push(`      let i = ${base} + x * ${ld} + gk;`);
      if (checked) {
        lines.push(`      var v = vec4<f32>(0.0);
      if (gk < kEnd) {
        if (x < ${limit}) { v.x = ${read("i")}; }
        if (x + 1u < ${limit}) { v.y = ${read(`i + ${ld}`)}; }
        if (x + 2u < ${limit}) { v.z = ${read(`i + 2u * ${ld}`)}; }
        if (x + 3u < ${limit}) { v.w = ${read(`i + 3u * ${ld}`)}; }
      }`);
      } else {
        lines.push(
          `      let v = vec4<f32>(${read("i")}, ${read(`i + ${ld}`)}, ${read(`i + 2u * ${ld}`)}, ${
            read(`i + 3u * ${ld}`)
          });`,
        );
      }
    }
    lines.push(`      ${shared}[${offset}k * ${sharedStride(span, natural)}u + (${x4})] = v;\n    }`);
  }
  return lines.join("\n");
}

function buildGemm(
  name: string,
  tile: GemmTile,
  transA: boolean,
  transB: boolean,
  vec4: boolean,
  strided: boolean,
  accumulate: boolean,
  masked: boolean,
): Kernel {
  const { BM, BN, BK, TM, TN } = tile;
  if (masked && transA) throw new Error(`${name}: a masked A must not be transposed`);
  if (TM % 4 || TN % 4) throw new Error(`${name}: TM and TN must be multiples of 4`);
  const WX = BN / TN;
  const WY = BM / TM;
  const threads = WX * WY;
  const RB = TM / 4;
  const CB = TN / 4;
  const BM4 = BM / 4;
  const BN4 = BN / 4;
  if ((BM4 * BK) % threads || (BN4 * BK) % threads) throw new Error(`${name}: tile does not divide among threads`);
  // A's contiguous axis is M when transposed; B's is N when not transposed.
  const aNatural = transA;
  const bNatural = !transB;
  const strideA = sharedStride(BM, aNatural);
  const strideB = sharedStride(BN, bNatural);
  const vecA = vec4 && aNatural;
  const vecB = vec4 && bNatural;
  const double = tile.double ?? false;
  // Double buffering: the slice being multiplied starts at curA / curB, the next one is staged at the other half.
  const curA = double ? "curA + " : "";
  const curB = double ? "curB + " : "";
  const acc = (i: number, cb: number): string => `acc${i}_${cb}`;
  const decls: string[] = [];
  for (let i = 0; i < TM; i++) for (let cb = 0; cb < CB; cb++) decls.push(`var ${acc(i, cb)} = vec4<f32>(0.0);`);
  const steps: string[] = [];
  for (let k = 0; k < BK; k++) {
    const s: string[] = [];
    for (let rb = 0; rb < RB; rb++) s.push(`let a${rb} = As[${curA}${k * strideA + rb * WY}u + ty];`);
    for (let cb = 0; cb < CB; cb++) s.push(`let b${cb} = Bs[${curB}${k * strideB + cb * WX}u + tx];`);
    for (let rb = 0; rb < RB; rb++) {
      for (let r = 0; r < 4; r++) {
        for (let cb = 0; cb < CB; cb++) {
          const c = acc(rb * 4 + r, cb);
          s.push(`${c} = fma(vec4<f32>(a${rb}[${r}]), b${cb}, ${c});`);
        }
      }
    }
    steps.push(`{ ${s.join("\n      ")} }`);
  }
  const stores: string[] = [];
  for (let rb = 0; rb < RB; rb++) {
    for (let r = 0; r < 4; r++) {
      const i = rb * 4 + r;
      const inner: string[] = [];
      for (let cb = 0; cb < CB; cb++) {
        const a = acc(i, cb);
        inner.push(`{
      let col = col0 + (${cb * WX}u + tx) * 4u;
      let o = rowBase + col;`);
        // accumulate: C's old value first, as `add(C, product)` computes it
        const put = (at: string, v: string) => `C[${at}] = ${accumulate ? `C[${at}] + ` : ""}${v};`;
        if (vec4) {
          inner.push(`      if (col < p.N) { ${put("o >> 2u", a)} }`);
        } else {
          inner.push(`      if (col < p.N) { ${put("o", `${a}.x`)} }
      if (col + 1u < p.N) { ${put("o + 1u", `${a}.y`)} }
      if (col + 2u < p.N) { ${put("o + 2u", `${a}.z`)} }
      if (col + 3u < p.N) { ${put("o + 3u", `${a}.w`)} }`);
        }
        inner.push("    }");
      }
      stores.push(`{
    let row = row0 + (${rb * WY}u + ty) * 4u + ${r}u;
    if (row < p.M) {
      let rowBase = cBase + row * ${strided ? "ldc" : "p.N"};
    ${inner.join("\n    ")}
    }
  }`);
    }
  }
  const stage = (offA: string, offB: string) =>
    `let fullK = k0 + ${BK}u <= kEnd;
    if (fullM && fullK) {
      ${stageOperand("A", tile, aNatural, vecA, threads, false, offA, strided, masked)}
    } else {
      ${stageOperand("A", tile, aNatural, vecA, threads, true, offA, strided, masked)}
    }
    if (fullN && fullK) {
      ${stageOperand("B", tile, bNatural, vecB, threads, false, offB, strided)}
    } else {
      ${stageOperand("B", tile, bNatural, vecB, threads, true, offB, strided)}
    }`;
  const singleLoop = `for (var k0 = kBegin; k0 < kEnd; k0 += ${BK}u) {
    ${stage("", "")}
    workgroupBarrier();
    ${steps.join("\n    ")}
    workgroupBarrier();
  }`;
  // One barrier per slice: it orders the staging of slice t+1 before its reads and the reads of slice t before that
  // buffer is overwritten by slice t+2.
  const sizeA = BK * strideA;
  const sizeB = BK * strideB;
  const doubleLoop = `{
    let k0 = kBegin;
    ${stage("", "")}
  }
  workgroupBarrier();
  let slices = (kEnd - kBegin + ${BK - 1}u) / ${BK}u;
  for (var t = 0u; t < slices; t++) {
    let curA = (t & 1u) * ${sizeA}u;
    let curB = (t & 1u) * ${sizeB}u;
    let k0 = kBegin + (t + 1u) * ${BK}u;
    if (k0 < kEnd) {
      let nextA = ${sizeA}u - curA;
      let nextB = ${sizeB}u - curB;
      ${stage("nextA + ", "nextB + ")}
    }
    ${steps.join("\n    ")}
    workgroupBarrier();
  }`;
  const buffers = double ? 2 : 1;
  const elem = (v: boolean) => (v ? "vec4<f32>" as const : "f32" as const);
  return {
    name,
    bindings: [
      { name: "A", access: "read", elem: elem(vecA) },
      { name: "B", access: "read", elem: elem(vecB) },
      { name: "C", access: "read_write", elem: elem(vec4) },
    ],
    params: [...GEMM_PARAMS, ...(strided ? GEMM_LAYOUT_PARAMS : []), ...(masked ? GEMM_MASK_PARAMS : [])],
    workgroupSize: [WX, WY, 1],
    body: `${
      masked
        ? `${MIX_WGSL}
// A's element i, dropped or scaled as the dropout kernel would (kernels/dropout.ts)
fn maskedA(i: u32) -> f32 {
  return select(0.0, A[i] * p.scale, ${DROPOUT_KEEP_WGSL});
}`
        : ""
    }
var<workgroup> As: array<vec4<f32>, ${buffers * BK * strideA}>;
var<workgroup> Bs: array<vec4<f32>, ${buffers * BK * strideB}>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let tx = lid.x;
  let ty = lid.y;
  let tid = ty * ${WX}u + tx;
  let row0 = wid.y * ${BM}u;
  let col0 = wid.x * ${BN}u;
  let z = wid.z;
  let b = z / p.S;
  let kBegin = (z % p.S) * p.kChunk;
  let kEnd = min(p.K, kBegin + p.kChunk);
  ${
      strided
        ? `let bo = b / p.inner;
  let bi = b % p.inner;
  let aBase = bo * p.sa + bi * p.sa2;
  let bBase = bo * p.sb + bi * p.sb2;
  // split-K partials are contiguous; a whole product is written in place
  var cBase = z * p.M * p.N;
  var ldc = p.N;
  if (p.S == 1u) {
    cBase = bo * p.sc + bi * p.sc2;
    ldc = p.ldc;
  }`
        : `let aBase = b * p.sa;
  let bBase = b * p.sb;
  let cBase = z * p.M * p.N;`
    }
  let fullM = row0 + ${BM}u <= p.M;
  let fullN = col0 + ${BN}u <= p.N;
  ${decls.join("\n  ")}
  ${double ? doubleLoop : singleLoop}
  ${stores.join("\n  ")}
}`,
  };
}

/** A matmul candidate for the tuner: a stable id and the choice it stands for. */
export interface MatmulCandidate {
  /** `variant`, `+v4` with vec4 I/O, `/sN` with N K slices. */
  id: string;
  /** The choice. */
  choice: MatmulChoice;
}

/** The id of a choice (`big128+v4`, `splitk+v4/s8`). */
export function matmulChoiceId(c: MatmulChoice): string {
  return `${c.variant}${c.vec4 ? "+v4" : ""}${c.variant === "splitk" ? `/s${c.splits}` : ""}`;
}

/** K slices the tuner tries for split-K (besides {@link splitCount}'s own). */
const TUNE_SPLITS = [2, 4, 8, 16, 32];

/**
 * Every candidate for a shape that fits the device: each variant (with `vec4` I/O where the layout allows it), and,
 * when the 64×64 output tiles alone cannot fill a big GPU (M×N small), split-K with several slice counts whose
 * partials fit and whose slices keep at least 64 of K. The rules' own choice ({@link chooseMatmul}) is always among
 * them.
 */
export function matmulCandidates(s: MatmulShape, limits: MatmulLimits): MatmulCandidate[] {
  const { M, N, K, batch, transA, transB } = s;
  const vec4 = vec4Eligible(M, N, transA);
  const out: MatmulCandidate[] = [];
  const add = (choice: MatmulChoice): void => {
    if (!matmulFits(choice.variant, transA, transB, limits)) return;
    const id = matmulChoiceId(choice);
    if (!out.some((c) => c.id === id)) out.push({ id, choice });
  };
  for (const variant of MATMUL_VARIANTS) {
    if (variant === "splitk") continue;
    add({ variant, splits: 1, vec4: variant !== "tiled64" && vec4 });
  }
  if (tilesOf(GEMM_TILES.tile64, M, N, batch) < TARGET_GROUPS) {
    const splits = new Set([...TUNE_SPLITS, splitCount(M, N, K, batch)]);
    for (const S of [...splits].sort((a, b) => a - b)) {
      if (S < 2 || K / S < 64 || batch * S > MAX_GROUPS_PER_DIM || batch * M * N * S > MAX_PARTIAL_ELEMENTS) continue;
      add({ variant: "splitk", splits: S, vec4 });
    }
  }
  const rule = chooseMatmul(M, N, K, batch, transA, transB);
  add(rule);
  return out;
}
