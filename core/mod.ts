/**
 * The hyperdecoders tensor engine on WebGPU: device, tensors, command recorder, memory scopes, autograd, ops and
 * optimisers, with a float64 CPU reference of every op. Test utilities (seeded data, closeness checks, the op
 * harness) are a separate entry point, `@hyperdecoders/core/testing`.
 *
 * @example
 * ```ts
 * import { backward, initEngine, matmul, scope, sum, tensor } from "@hyperdecoders/core";
 * await initEngine();
 * const w = tensor([1, 2, 3, 4], [2, 2]).asParameter("w");
 * scope(() => backward(sum(matmul(tensor([1, 1], [1, 2]), w))));
 * console.log(await w.grad!.data());
 * ```
 * @module
 */
export * from "./device.ts";
export * from "./engine.ts";
export * from "./pool.ts";
export * from "./recorder.ts";
export * from "./tensor.ts";
export * from "./scope.ts";
export * from "./autograd.ts";
export * from "./launch.ts";
export * from "./ops/create.ts";
export * from "./ops/elementwise.ts";
export * from "./ops/matmul.ts";
export * from "./ops/head_matmul.ts";
export * from "./ops/matmul_tune.ts";
export * from "./tune.ts";
export * from "./ops/shape.ts";
export * from "./ops/reduce.ts";
export * from "./ops/softmax.ts";
export { rmsNorm } from "./ops/norm.ts";
export { residualRmsNorm, type ResidualRmsNormOptions } from "./ops/residual_norm.ts";
export * from "./ops/loss.ts";
export * from "./ops/pool.ts";
export * from "./numerics.ts";
export * from "./optim/adamw.ts";
export * from "./optim/clip.ts";
export * from "./optim/schedule.ts";
export * from "./ops/permute.ts";
export * from "./ops/slice_concat.ts";
export * from "./ops/embedding.ts";
export { dropout, dropoutAdd, dropoutMul } from "./ops/dropout.ts";
export * from "./ops/gated_activation.ts";
export * from "./ops/where.ts";
export * from "./ops/attention.ts";
export * from "./ops/bias_activation.ts";
export type {
  Access,
  BiasActivationKind,
  Binding,
  GemmTileName,
  Kernel,
  MatmulChoice,
  MatmulLayout,
  MatmulShape,
  MatmulVariant,
  ParamType,
} from "@hyperdecoders/kernels";
