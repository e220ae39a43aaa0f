/**
 * Internal: encodes one matmul plan (a kernel variant, plus the split-K reduction and its scratch partials) into
 * tensors that already exist. Used by `product()` in matmul.ts, by the variant tests and by the benchmark.
 * @module
 */
import { type GemmOptions, type MatmulChoice, type MatmulShape, planMatmul } from "@hyperdecoders/kernels";
import { launch } from "../launch.ts";
import { empty, type Tensor } from "../tensor.ts";

/**
 * Computes `out = op(a) · op(b)` for `shape` with the kernel variant in `choice`; `options` add it to `out` or mask
 * `a` as it is read (see `GemmOptions`).
 */
export function launchMatmul(
  a: Tensor,
  b: Tensor,
  out: Tensor,
  choice: MatmulChoice,
  shape: MatmulShape,
  options: GemmOptions = {},
): void {
  const plan = planMatmul(choice, shape, options);
  if (!plan.reduce) {
    launch(plan.main.kernel, [a, b, out], plan.main.params, plan.main.grid);
    return;
  }
  // Released right after encoding: the pool hands it only to commands encoded later, which the queue runs in order.
  const partials = empty([plan.partialElements], "f32", "matmul split-K partials");
  try {
    launch(plan.main.kernel, [a, b, partials], plan.main.params, plan.main.grid);
    launch(plan.reduce.kernel, [partials, out], plan.reduce.params, plan.reduce.grid);
  } finally {
    partials.dispose();
  }
}
