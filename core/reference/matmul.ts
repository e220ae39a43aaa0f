/**
 * Float64 reference of (batched, transposed) matmul and its gradients.
 * @module
 */
import type { RefTensor } from "./ref_tensor.ts";

/** Element (i, j) of op(X) for a [.., R, C] matrix at batch offset `base`. */
function at(x: RefTensor, base: number, trans: boolean, i: number, j: number): number {
  const cols = x.shape[x.shape.length - 1];
  return trans ? x.data[base + j * cols + i] : x.data[base + i * cols + j];
}

/** `op(a) · op(b)` with the same batch rules as the GPU op (matching batch dims, or a rank-2 operand shared). */
export function refMatmul(a: RefTensor, b: RefTensor, transA = false, transB = false): RefTensor {
  const [ar, ac] = a.shape.slice(-2);
  const [br, bc] = b.shape.slice(-2);
  const [M, K] = transA ? [ac, ar] : [ar, ac];
  const N = transB ? br : bc;
  const batchShape = a.shape.length > 2 ? a.shape.slice(0, -2) : b.shape.slice(0, -2);
  const batch = batchShape.reduce((x, y) => x * y, 1);
  const out = new Float64Array(batch * M * N);
  for (let z = 0; z < batch; z++) {
    const aBase = a.shape.length > 2 ? z * M * K : 0;
    const bBase = b.shape.length > 2 ? z * K * N : 0;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += at(a, aBase, transA, i, k) * at(b, bBase, transB, k, j);
        out[z * M * N + i * N + j] = s;
      }
    }
  }
  return { shape: [...batchShape, M, N], data: out };
}
