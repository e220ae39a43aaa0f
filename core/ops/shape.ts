/**
 * Shape ops. `reshape` is a view (no copy) that passes gradients through.
 * @module
 */
import { record } from "../autograd.ts";
import { fmtShape, sizeOf, type Tensor } from "../tensor.ts";

/** The same values with another shape (a view; one dimension may be -1). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const target = [...shape];
  const free = target.indexOf(-1);
  if (free >= 0) {
    const known = sizeOf(target.filter((_, i) => i !== free));
    if (known === 0 || x.size % known !== 0) {
      throw new Error(`reshape: cannot reshape ${x.describe()} to ${fmtShape(shape)}`);
    }
    target[free] = x.size / known;
  }
  if (sizeOf(target) !== x.size) throw new Error(`reshape: cannot reshape ${x.describe()} to ${fmtShape(shape)}`);
  const out = x.view(target);
  record("reshape", out, [x], (g) => [g.view(x.shape)]);
  return out;
}
