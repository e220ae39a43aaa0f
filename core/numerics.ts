/**
 * NaN/Inf detection. On the GPU by bit pattern (`(bits & 0x7fffffff) >= 0x7f800000`): WGSL lets implementations assume
 * floats are finite, so `x != x` is unreliable there.
 * @module
 */
import { NON_FINITE_COUNT_KERNEL, nonFiniteGrid } from "@hyperdecoders/kernels";
import { launch } from "./launch.ts";
import { zeros } from "./ops/create.ts";
import type { Tensor } from "./tensor.ts";

/**
 * The number of NaN and ±Inf values across `tensors` (f32), as a one-element u32 tensor computed on the GPU (one
 * dispatch per tensor, no readback; read it when a decision needs it).
 */
export function nonFiniteCount(tensors: Tensor[]): Tensor {
  for (const t of tensors) {
    if (t.dtype !== "f32") throw new Error(`nonFiniteCount: expected f32 tensors, got ${t.describe()}`);
  }
  const count = zeros([1], "u32");
  for (const t of tensors) launch(NON_FINITE_COUNT_KERNEL, [t, count], [t.size], nonFiniteGrid(t.size));
  return count;
}

/** Whether every value (or the single number) is finite (neither NaN nor ±Inf), checked on the CPU. */
export function isFiniteOnCpu(values: ArrayLike<number> | number): boolean {
  if (typeof values === "number") return Number.isFinite(values);
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return false;
  return true;
}
