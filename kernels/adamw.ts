/**
 * The fused AdamW update: one dispatch per parameter updates the parameter, the first moment and the second moment
 * in place.
 * @module
 */
import { grid1d, type Kernel, LINEAR_ID_WGSL, LINEAR_MAIN_WGSL, memoKernel } from "./kernel.ts";

/** Threads per workgroup of {@link ADAMW_KERNEL}. */
export const ADAMW_WG = 256;

/**
 * AdamW in the general form both torch and transformers reduce to:
 *
 * ```
 * m = β1·m + (1−β1)·g;  v = β2·v + (1−β2)·g²
 * x = x·pre − step_size · m / (√v / bc2_sqrt + eps);  x = x·post
 * ```
 *
 * Parameters, in order: `n`, `beta1`, `beta2`, `one_minus_beta1`, `one_minus_beta2`, `eps`, `step_size`, `bc2_sqrt`,
 * `pre`, `post`. The host computes 1 − β (in float64: f32(0.999) is 1.3e-8 off, a 1.3e-5 relative error in 1 − β2),
 * the bias corrections and the decay factors from the learning rate and step count, so a step uploads nothing but
 * uniform values. Bindings: `xs` (parameter, read-write), `gs` (gradient), `ms`, `vs` (moments, read-write).
 */
export const ADAMW_KERNEL: Kernel = adamwKernel(false);

/**
 * {@link ADAMW_KERNEL} with the gradient multiplied by `scale[0]` as it is read (`g = gs[i] · scale[0]`), so that a
 * clipping factor computed on the GPU (see `CLIP_FACTOR_KERNEL`) is applied inside the update instead of by a separate
 * in-place pass over every gradient; the gradient buffer is left unchanged. Same parameters; bindings `xs`, `gs`, `ms`,
 * `vs`, then `scale` (one f32, read).
 */
export const ADAMW_SCALED_KERNEL: Kernel = adamwKernel(true);

function adamwKernel(scaled: boolean): Kernel {
  return {
    name: scaled ? "adamw_scaled" : "adamw",
    bindings: [
      { name: "xs", access: "read_write" },
      { name: "gs", access: "read" },
      { name: "ms", access: "read_write" },
      { name: "vs", access: "read_write" },
      ...(scaled ? [{ name: "scale", access: "read" } as const] : []),
    ],
    params: [
      ["n", "u32"],
      ["beta1", "f32"],
      ["beta2", "f32"],
      ["one_minus_beta1", "f32"],
      ["one_minus_beta2", "f32"],
      ["eps", "f32"],
      ["step_size", "f32"],
      ["bc2_sqrt", "f32"],
      ["pre", "f32"],
      ["post", "f32"],
    ],
    workgroupSize: [ADAMW_WG, 1, 1],
    body: `${LINEAR_ID_WGSL}
${LINEAR_MAIN_WGSL}
  let i = linear_id(wid, nwg, lid.x, ${ADAMW_WG}u);
  if (i >= p.n) { return; }
  let g = ${scaled ? "gs[i] * scale[0]" : "gs[i]"};
  let m = p.beta1 * ms[i] + p.one_minus_beta1 * g;
  let v = p.beta2 * vs[i] + p.one_minus_beta2 * g * g;
  ms[i] = m;
  vs[i] = v;
  let x = xs[i] * p.pre - p.step_size * m / (sqrt(v) / p.bc2_sqrt + p.eps);
  xs[i] = x * p.post;
}`,
  };
}

/** Grid for {@link ADAMW_KERNEL} and {@link ADAMW_SCALED_KERNEL} over `n` elements. */
export function adamwGrid(n: number): [number, number, number] {
  return grid1d(n, ADAMW_WG);
}

/** Most parameters one {@link adamwMultiKernel} dispatch updates (its bindings: 4 per parameter, then the scale). */
export const ADAMW_MAX_GROUP = 16;

/**
 * {@link ADAMW_KERNEL} (or, `scaled`, {@link ADAMW_SCALED_KERNEL}) over `count` parameters in one dispatch: the
 * elements of parameter k are the linear ids in [e_{k−1}, e_k) (e_{−1} = 0). Each element does exactly the arithmetic
 * of the one-parameter kernel, so the results are the same bit for bit. Bindings `xs0, gs0, ms0, vs0, xs1, …`, then
 * `scale` when scaled; parameters `n` (= e_{count−1}), the nine of {@link ADAMW_KERNEL} after `n`, then `e0 … e{count−1}`;
 * grid {@link adamwGrid}(n).
 */
export function adamwMultiKernel(count: number, scaled: boolean): Kernel {
  if (!Number.isInteger(count) || count < 1 || count > ADAMW_MAX_GROUP) {
    throw new Error(`adamwMultiKernel: count must be 1…${ADAMW_MAX_GROUP}, got ${count}`);
  }
  return memoKernel(`adamwMulti:${count}:${scaled}`, () => {
    const single = adamwKernel(scaled);
    const bindings: Kernel["bindings"] = [];
    for (let k = 0; k < count; k++) {
      bindings.push(
        { name: `xs${k}`, access: "read_write" },
        { name: `gs${k}`, access: "read" },
        { name: `ms${k}`, access: "read_write" },
        { name: `vs${k}`, access: "read_write" },
      );
    }
    if (scaled) bindings.push({ name: "scale", access: "read" });
    const branches: string[] = [];
    for (let k = 0; k < count; k++) {
      const head = k === 0
        ? `if (i < p.e0) {\n    let j = i;`
        : `else if (i < p.e${k}) {\n    let j = i - p.e${k - 1};`;
      branches.push(`${head}
    let g = ${scaled ? `gs${k}[j] * scale[0]` : `gs${k}[j]`};
    let m = p.beta1 * ms${k}[j] + p.one_minus_beta1 * g;
    let v = p.beta2 * vs${k}[j] + p.one_minus_beta2 * g * g;
    ms${k}[j] = m;
    vs${k}[j] = v;
    let x = xs${k}[j] * p.pre - p.step_size * m / (sqrt(v) / p.bc2_sqrt + p.eps);
    xs${k}[j] = x * p.post;
  }`);
    }
    return {
      name: `${single.name}_x${count}`,
      bindings,
      params: [...single.params, ...Array.from({ length: count }, (_, k): [string, "u32"] => [`e${k}`, "u32"])],
      workgroupSize: [ADAMW_WG, 1, 1],
      body: `${LINEAR_ID_WGSL}
${LINEAR_MAIN_WGSL}
  let i = linear_id(wid, nwg, lid.x, ${ADAMW_WG}u);
  if (i >= p.n) { return; }
  ${branches.join(" ")}
}`,
    };
  });
}
