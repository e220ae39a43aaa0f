/**
 * Register-tiled matrix multiplication, batched, with either operand transposed.
 *
 * `C[b] = op(A[b]) · op(B[b])`, op = identity or transpose, row-major storage. A workgroup of 16×16 threads owns a
 * 64×64 tile of C; each thread accumulates 4×4 outputs at rows `ty + 16i`, columns `tx + 16j` (interleaved so that
 * workgroup-memory reads are conflict-free), stepping through K in slices of 16 staged in workgroup memory.
 * Batch strides of 0 broadcast an operand (one weight for every batch entry).
 * @module
 */
import { type Kernel, memoKernel } from "./kernel.ts";

/** Tile sizes of {@link matmulKernel}. */
export const MATMUL_TILE = { BM: 64, BN: 64, BK: 16, TM: 4, TN: 4 } as const;

/** Parameters of the matmul kernel, in order. */
export const MATMUL_PARAMS: [string, "u32"][] = [
  ["M", "u32"],
  ["N", "u32"],
  ["K", "u32"],
  ["sa", "u32"],
  ["sb", "u32"],
  ["sc", "u32"],
];

/**
 * The tiled matmul kernel for one combination of transposes; with `accumulate` it adds the product to C
 * (`C = C + op(A)·op(B)`, the in-place accumulation of a gradient) instead of overwriting it.
 */
export function matmulKernel(transA: boolean, transB: boolean, accumulate = false): Kernel {
  return memoKernel(`matmulKernel:${transA}:${transB}:${accumulate}`, () => {
    const { BM, BN, BK, TM, TN } = MATMUL_TILE;
    const threads = (BM / TM) * (BN / TN);
    const loadsA = (BM * BK) / threads;
    const loadsB = (BN * BK) / threads;
    // Coalesced global reads: walk the contiguous axis of each operand's storage.
    const loadA = transA
      ? `let k = e / ${BM}u; let m = e % ${BM}u; let gm = row0 + m; let gk = k0 + k;
         var v = 0.0; if (gm < p.M && gk < p.K) { v = A[aBase + gk * p.M + gm]; }`
      : `let m = e / ${BK}u; let k = e % ${BK}u; let gm = row0 + m; let gk = k0 + k;
         var v = 0.0; if (gm < p.M && gk < p.K) { v = A[aBase + gm * p.K + gk]; }`;
    const loadB = transB
      ? `let n = e / ${BK}u; let k = e % ${BK}u; let gn = col0 + n; let gk = k0 + k;
         var v = 0.0; if (gn < p.N && gk < p.K) { v = B[bBase + gn * p.K + gk]; }`
      : `let k = e / ${BN}u; let n = e % ${BN}u; let gn = col0 + n; let gk = k0 + k;
         var v = 0.0; if (gn < p.N && gk < p.K) { v = B[bBase + gk * p.N + gn]; }`;
    return {
      name: `matmul_${transA ? "t" : "n"}${transB ? "t" : "n"}${accumulate ? "_acc" : ""}`,
      bindings: [{ name: "A", access: "read" }, { name: "B", access: "read" }, { name: "C", access: "read_write" }],
      params: MATMUL_PARAMS,
      workgroupSize: [BN / TN, BM / TM, 1],
      body: `
  var<workgroup> As: array<f32, ${BK * BM}>;
  var<workgroup> Bs: array<f32, ${BK * BN}>;

  @compute @workgroup_size(WG)
  fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let row0 = wid.y * ${BM}u;
    let col0 = wid.x * ${BN}u;
    let tid = lid.y * ${BN / TN}u + lid.x;
    let aBase = wid.z * p.sa;
    let bBase = wid.z * p.sb;
    let cBase = wid.z * p.sc;
    var acc: array<f32, ${TM * TN}>;
    for (var k0 = 0u; k0 < p.K; k0 += ${BK}u) {
      for (var l = 0u; l < ${loadsA}u; l++) {
        let e = tid + l * ${threads}u;
        ${loadA}
        As[k * ${BM}u + m] = v;
      }
      for (var l = 0u; l < ${loadsB}u; l++) {
        let e = tid + l * ${threads}u;
        ${loadB}
        Bs[k * ${BN}u + n] = v;
      }
      workgroupBarrier();
      for (var k = 0u; k < ${BK}u; k++) {
        var a: array<f32, ${TM}>;
        var b: array<f32, ${TN}>;
        for (var i = 0u; i < ${TM}u; i++) { a[i] = As[k * ${BM}u + lid.y + ${BM / TM}u * i]; }
        for (var j = 0u; j < ${TN}u; j++) { b[j] = Bs[k * ${BN}u + lid.x + ${BN / TN}u * j]; }
        for (var i = 0u; i < ${TM}u; i++) {
          for (var j = 0u; j < ${TN}u; j++) {
            acc[i * ${TN}u + j] = fma(a[i], b[j], acc[i * ${TN}u + j]);
          }
        }
      }
      workgroupBarrier();
    }
    for (var i = 0u; i < ${TM}u; i++) {
      let r = row0 + lid.y + ${BM / TM}u * i;
      if (r >= p.M) { continue; }
      for (var j = 0u; j < ${TN}u; j++) {
        let c = col0 + lid.x + ${BN / TN}u * j;
        if (c < p.N) { C[cBase + r * p.N + c] = ${accumulate ? "C[cBase + r * p.N + c] + " : ""}acc[i * ${TN}u + j]; }
      }
    }
  }`,
    };
  });
}

/** Dispatch grid of {@link matmulKernel} for an M×N output and `batch` products. */
export function matmulGrid(M: number, N: number, batch: number): [number, number, number] {
  return [Math.ceil(N / MATMUL_TILE.BN), Math.ceil(M / MATMUL_TILE.BM), batch];
}
