/**
 * Encodes one kernel dispatch over tensors (the single path from ops to the recorder).
 * @module
 */
import type { Kernel } from "@hyperdecoders/kernels";
import { getEngine } from "./engine.ts";
import { disposedMessage, type Tensor } from "./tensor.ts";

/** Dispatches `kernel` with `tensors` bound in the kernel's binding order. */
export function launch(kernel: Kernel, tensors: Tensor[], params: number[], groups: [number, number, number]): void {
  const engine = getEngine();
  const buffers = tensors.map((t, i) => {
    if (t.disposed) throw new Error(`${kernel.name} (binding ${kernel.bindings[i]?.name}): ${disposedMessage(t)}`);
    return t.buffer;
  });
  engine.recorder.dispatch(kernel, buffers, params, groups);
}
