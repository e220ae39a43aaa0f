/**
 * Float64 reference of `biasActivation`: the broadcast add, then the activation, and their gradients.
 * @module
 */
import { refBinary, refBinaryGrad, refUnary, refUnaryGrad } from "./elementwise.ts";
import type { RefTensor } from "./ref_tensor.ts";

/** `act(x + bias)` with broadcasting (`act`: "none" or "relu"). */
export function refBiasActivation(x: RefTensor, bias: RefTensor, act: "none" | "relu"): RefTensor {
  const z = refBinary("add", x, bias);
  return act === "relu" ? refUnary("relu", z) : z;
}

/** Gradients of {@link refBiasActivation} with respect to `x` and `bias`, given the output gradient `g`. */
export function refBiasActivationGrad(
  x: RefTensor,
  bias: RefTensor,
  act: "none" | "relu",
  g: RefTensor,
): [RefTensor, RefTensor] {
  const dz = act === "relu" ? refUnaryGrad("relu", refBinary("add", x, bias), g) : g;
  return refBinaryGrad("add", x, bias, dz);
}
