/**
 * The gradient of one tensor while `backward()` collects its contributions (one per consumer of the tensor).
 *
 * A contribution is a tensor, or a {@link PartialGrad}: a gradient its op can write itself, either as a new tensor or
 * added in place into a sum that exists (a matmul's input gradient through an accumulating kernel, a slice's
 * gradient into its rows). Summing with partials costs no separate `add` dispatch:
 * - a partial that arrives when a sum exists is added into it in place (when nothing else shares its storage);
 * - the first partial is held back until the next contribution arrives, which then becomes the sum it is added into
 *   (at most one held, and only while other consumers of the tensor have yet to contribute: a held partial keeps
 *   its operands alive, and its view of the output gradient would make that gradient look shared);
 * - parts of one join (the slices of a `chunk`) wait until the gradient is needed and, when they cover the tensor
 *   and nothing else contributed, become the gradient in one step;
 * - a gradient under a dropout mask that is the only contribution reaches an op that applies the mask as it reads it
 *   (a product's kernel) unmasked: no masked copy.
 *
 * The order of the terms is that of arrival except that a held partial is added after the contribution that follows
 * it (the same value: a + b = b + a in floating point), and joined parts come last.
 * @module
 */
import { add, sameShape } from "./ops/elementwise.ts";
import { keep } from "./scope.ts";
import type { Tensor } from "./tensor.ts";

/**
 * A gradient its op writes itself on demand: as a new tensor, or added into an existing gradient of the input's shape
 * (a slice's backward: zero outside its part; a matmul's input gradient: an accumulating product).
 */
export interface PartialGrad {
  /** The gradient as a new tensor of the input's size. */
  materialize(): Tensor;
  /** Adds the gradient into `target` (a gradient of the input's shape) in place. */
  addInto(target: Tensor): void;
  /** Frees what the partial holds. */
  dispose(): void;
  /** Set on parts of one input's gradient that may be joined into it in one step (see {@link PartJoin}). */
  join?: PartJoin;
  /**
   * Set when the gradient is `grad` under a dropout mask (the kernels' mask parameters `params`): an op whose backward
   * applies the mask itself as it reads the gradient takes it so (no masked copy), others get it materialized.
   */
  masked?: MaskedGrad;
}

/** A gradient still to be masked by a dropout: `grad` and the dropout kernels' mask parameters. */
export interface MaskedGrad {
  /** The unmasked gradient. */
  grad: Tensor;
  /** `k0`, `k1`, `thr`, `scale` (kernels/dropout.ts). */
  params: number[];
}

/** How parts with the same `key` become one gradient (the slices of one `chunk`). */
export interface PartJoin {
  /** Parts with the same key belong to one join. */
  key: object;
  /** The whole gradient from `parts` (all of this key), or null when they do not cover the input exactly once. */
  combine(parts: PartialGrad[]): Tensor | null;
}

let inPlace = true;

/**
 * Runs `fn` with gradient contributions summed by separate adds rather than in place (tests: the in-place sums may
 * round differently where the shader compiler folds the add into the producing kernel's arithmetic).
 */
export function withSeparateGradientAdds<T>(fn: () => T): T {
  const before = inPlace;
  inPlace = false;
  try {
    return fn();
  } finally {
    inPlace = before;
  }
}

/** Whether a contribution is a {@link PartialGrad}. */
export function isPartial(g: Tensor | PartialGrad): g is PartialGrad {
  return typeof (g as PartialGrad).addInto === "function";
}

/** The running sum of one tensor's gradient contributions (see the module doc). */
export class GradSum {
  #shape: readonly number[];
  #size: number;
  #hold: boolean;
  #sum: Tensor | null = null;
  #held: PartialGrad | null = null;
  #joined: PartialGrad[] = [];

  /**
   * A sum for a tensor of `shape`. `hold`: whether a first partial may wait for the next contribution (false for
   * leaves, whose sums finish only at the end of `backward()`: a held partial would keep its operands alive until then).
   */
  constructor(shape: readonly number[], hold = true) {
    this.#shape = shape;
    this.#size = shape.reduce((p, d) => p * d, 1);
    this.#hold = hold;
  }

  /**
   * Adds a contribution (the sum owns it from now on). `more`: whether other consumers of the tensor may still
   * contribute (a partial is held back only then).
   */
  push(g: Tensor | PartialGrad, what: () => string, more = true): void {
    if (!isPartial(g)) {
      if (g.size !== this.#size) {
        g.dispose();
        throw new Error(`${what()}: gradient of ${g.size} elements does not match the input's ${this.#size}`);
      }
      const t = this.#shaped(g);
      if (this.#sum) {
        const sum = keep(add(this.#sum, t));
        this.#sum.dispose();
        t.dispose();
        this.#sum = sum;
      } else {
        this.#sum = keep(t);
      }
      this.#releaseHeld();
      return;
    }
    if (g.join) {
      this.#joined.push(g);
      return;
    }
    // a masked gradient waits even for the last consumer: the op that reads it may apply the mask itself
    if (!this.#sum && !this.#held && this.#joined.length === 0 && this.#hold && (more || g.masked)) {
      this.#held = g;
      return;
    }
    this.#releaseHeld();
    this.#addPartial(g);
  }

  /**
   * The gradient as a masked one when that is all the sum holds (one contribution, still unmasked), else null (then
   * call {@link GradSum.finish}). The caller owns the returned partial (its `masked.grad`) and disposes it.
   */
  takeMasked(): PartialGrad | null {
    const held = this.#held;
    if (!held?.masked || this.#sum || this.#joined.length > 0) return null;
    this.#held = null;
    return held;
  }

  /** The gradient (null when nothing contributed); the sum is empty afterwards and the caller owns the result. */
  finish(): Tensor | null {
    if (this.#joined.length > 0) {
      const groups = new Map<object, PartialGrad[]>();
      for (const part of this.#joined) {
        const list = groups.get(part.join!.key);
        if (list) list.push(part);
        else groups.set(part.join!.key, [part]);
      }
      this.#joined = [];
      for (const [, parts] of groups) {
        const whole = this.#sum ? null : parts[0].join!.combine(parts);
        if (whole) {
          this.#sum = keep(this.#shaped(whole));
          for (const part of parts) part.dispose();
        } else {
          for (const part of parts) this.#addPartial(part);
        }
      }
    }
    this.#releaseHeld();
    const sum = this.#sum;
    this.#sum = null;
    return sum;
  }

  /** Frees everything the sum holds. */
  dispose(): void {
    this.#sum?.dispose();
    this.#held?.dispose();
    for (const part of this.#joined) part.dispose();
    this.#sum = null;
    this.#held = null;
    this.#joined = [];
  }

  #shaped(t: Tensor): Tensor {
    if (sameShape(t.shape, this.#shape)) return t;
    const v = t.view(this.#shape);
    t.dispose();
    return v;
  }

  #releaseHeld(): void {
    const held = this.#held;
    if (!held) return;
    this.#held = null;
    this.#addPartial(held);
  }

  /** Adds a partial into the sum: in place when the sum's storage is its own, else as a new tensor and an add. */
  #addPartial(part: PartialGrad): void {
    try {
      if (!this.#sum) {
        this.#sum = keep(this.#shaped(part.materialize()));
      } else if (!this.#sum.sharesStorage && inPlace) {
        part.addInto(this.#sum);
      } else {
        const t = this.#shaped(part.materialize());
        const sum = keep(add(this.#sum, t));
        this.#sum.dispose();
        t.dispose();
        this.#sum = sum;
      }
    } finally {
      part.dispose();
    }
  }
}
