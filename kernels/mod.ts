/**
 * WGSL kernels of the hyperdecoders engine and their typed launch descriptions.
 *
 * Each kernel is a {@link Kernel}: bindings, uniform parameters, workgroup size and body. The engine in
 * `@hyperdecoders/core` compiles, caches and dispatches them; float64 CPU references live beside the ops in core.
 * @module
 */
export * from "./kernel.ts";
export * from "./elementwise.ts";
export * from "./sum_to.ts";
export * from "./bias_activation.ts";
export * from "./matmul.ts";
export * from "./adamw.ts";
export * from "./norm_clip.ts";
export * from "./finite.ts";
export * from "./permute.ts";
export * from "./slice_concat.ts";
export * from "./reduce.ts";
export * from "./softmax.ts";
export * from "./matmul_variants.ts";
export * from "./rmsnorm.ts";
export * from "./residual_norm.ts";
export * from "./cross_entropy.ts";
export * from "./pool.ts";
export * from "./embedding.ts";
export * from "./dropout.ts";
export * from "./gated_activation.ts";
export * from "./where.ts";
export * from "./attention.ts";
