/**
 * Internal test harness for ops: GPU forward vs the float64 reference, the reference backward vs central finite
 * differences, and the GPU backward vs the reference backward.
 * @module
 */
import { backward } from "./autograd.ts";
import type { RefTensor } from "./reference/ref_tensor.ts";
import { scope } from "./scope.ts";
import { type Tensor, tensor } from "./tensor.ts";
import { assertClose, dot, finiteDifference, randomNormal } from "./testing.ts";

/** One op under test. */
export interface OpCase {
  /** Name for messages. */
  name: string;
  /** Input values and shapes. */
  inputs: RefTensor[];
  /** GPU op on uploaded inputs. */
  gpu: (xs: Tensor[]) => Tensor;
  /** Float64 forward. */
  ref: (xs: RefTensor[]) => RefTensor;
  /** Float64 backward: input gradients given the output gradient (omit for ops without gradient). */
  refGrad?: (xs: RefTensor[], g: RefTensor) => RefTensor[];
  /** Which inputs are differentiable (default: all when refGrad is given). */
  differentiable?: boolean[];
  /** Forward tolerance (relative). */
  tol?: number;
  /** Gradient tolerance (relative). */
  gradTol?: number;
  /** Skip the finite-difference check (e.g. for very large inputs). */
  skipFiniteDifference?: boolean;
}

/** Runs every check of an op case, throwing with a message that names the op and the failing check. */
export async function checkOp(c: OpCase): Promise<void> {
  const tol = c.tol ?? 1e-5;
  const gradTol = c.gradTol ?? 1e-4;
  const expected = c.ref(c.inputs);
  const diff = c.differentiable ?? c.inputs.map(() => Boolean(c.refGrad));
  const g = randomNormal(expected.data.length, 99);
  const gRef: RefTensor = { shape: expected.shape, data: g };
  let refGrads: RefTensor[] | null = null;
  if (c.refGrad) {
    refGrads = c.refGrad(c.inputs, gRef);
    if (!c.skipFiniteDifference) {
      c.inputs.forEach((input, k) => {
        if (!diff[k]) return;
        const fd = finiteDifference((x) => {
          const xs = c.inputs.map((t, j) => (j === k ? { shape: t.shape, data: x } : t));
          return dot(c.ref(xs).data, g);
        }, input.data);
        assertClose(refGrads![k].data, fd, 1e-5, `${c.name}: reference gradient of input ${k} vs finite differences`);
      });
    }
  }
  const [out, grads] = await (async () => {
    const xs = c.inputs.map((t, k) => {
      const x = tensor(Float32Array.from(t.data), t.shape);
      if (refGrads && diff[k]) x.requiresGrad = true;
      return x;
    });
    const y = c.gpu(xs);
    const outData = await y.data();
    const gradData: (Float32Array | null)[] = [];
    if (refGrads) {
      scope(() => backward(y, tensor(Float32Array.from(g), expected.shape)));
      for (const x of xs) gradData.push(x.grad ? (await x.grad.data()) as Float32Array : null);
    }
    y.dispose();
    for (const x of xs) x.dispose();
    return [outData, gradData] as const;
  })();
  if (out.length !== expected.data.length) {
    throw new Error(`${c.name}: output has ${out.length} values, reference ${expected.data.length}`);
  }
  assertClose(out, expected.data, tol, `${c.name}: GPU forward vs float64 reference`);
  if (refGrads) {
    refGrads.forEach((rg, k) => {
      if (!diff[k]) return;
      const actual = grads[k];
      if (!actual) throw new Error(`${c.name}: no GPU gradient for input ${k}`);
      assertClose(actual, rg.data, gradTol, `${c.name}: GPU gradient of input ${k} vs reference`);
    });
  }
}
