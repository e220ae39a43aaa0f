/**
 * AdamW with decoupled weight decay and bias correction, updating parameters in place on the GPU with one fused
 * kernel for up to 16 parameters at a time (which can also apply a gradient-clipping factor, saving the clipping's own
 * pass).
 * @module
 */
import {
  ADAMW_KERNEL,
  ADAMW_MAX_GROUP,
  ADAMW_SCALED_KERNEL,
  adamwGrid,
  adamwMultiKernel,
} from "@hyperdecoders/kernels";
import { getEngine } from "../engine.ts";
import { launch } from "../launch.ts";
import { zerosLike } from "../ops/create.ts";
import { keep } from "../scope.ts";
import { type Tensor, tensor } from "../tensor.ts";

/** Most elements one multi-parameter AdamW dispatch covers (its linear ids stay far below 2³²). */
const MAX_GROUP_ELEMENTS = 2 ** 30;

/**
 * Parameters one AdamW dispatch updates on this device: 4 storage bindings each (and one for a gradient scale) within
 * `maxStorageBuffersPerShaderStage`, at most 16.
 */
export function adamwParamsPerDispatch(scaled: boolean): number {
  const limit = getEngine().gpu.limits.maxStorageBuffersPerShaderStage - (scaled ? 1 : 0);
  return Math.max(1, Math.min(ADAMW_MAX_GROUP, Math.floor(limit / 4)));
}

/** Options of {@link AdamW}. Defaults are torch.optim.AdamW's, except `weightDecay` (0, as the paper's runs). */
export interface AdamWOptions {
  /** Learning rate used when `step()` is given none (default 1e-3). */
  lr?: number;
  /** β1, β2 (default [0.9, 0.999]). */
  betas?: [number, number];
  /** ε added to the denominator (default 1e-8). */
  eps?: number;
  /** Decoupled weight decay (default 0). */
  weightDecay?: number;
  /**
   * Update rule: `"torch"` (torch.optim.AdamW: decay before the update, ε added to √v̂) or `"transformers"`
   * (transformers.AdamW with correct_bias=True, which the paper's code used: ε added to √v before bias correction,
   * decay after the update). Identical up to where ε sits when weight decay is 0. Default `"torch"`.
   */
  variant?: "torch" | "transformers";
}

/** Per-step options of {@link AdamW.step}. */
export interface AdamWStepOptions {
  /**
   * A one-element f32 tensor every gradient is multiplied by as the update reads it (the gradients themselves are
   * left unchanged), e.g. `clipGradFactor(params, maxNorm).factor`: the same update as `clipGradNorm` followed by
   * `step()`, with one dispatch less per parameter.
   */
  gradScale?: Tensor;
}

/** Optimiser state for checkpoints: the step count and both moments per parameter name. */
export interface AdamWState {
  /** Number of steps taken. */
  step: number;
  /** First moments by parameter name. */
  m: Record<string, Float32Array>;
  /** Second moments by parameter name. */
  v: Record<string, Float32Array>;
}

/** AdamW over a fixed list of parameters (tensors with `requiresGrad`). */
export class AdamW {
  /** The parameters, in order. */
  readonly params: readonly Tensor[];
  /** Learning rate used when `step()` is given none. */
  lr: number;
  readonly #betas: [number, number];
  readonly #eps: number;
  readonly #weightDecay: number;
  readonly #variant: "torch" | "transformers";
  readonly #names: string[];
  #m: (Tensor | null)[];
  #v: (Tensor | null)[];
  #step = 0;

  /** Creates the optimiser; moments are allocated lazily at a parameter's first update. */
  constructor(params: Tensor[], options: AdamWOptions = {}) {
    this.lr = options.lr ?? 1e-3;
    this.#betas = options.betas ?? [0.9, 0.999];
    this.#eps = options.eps ?? 1e-8;
    this.#weightDecay = options.weightDecay ?? 0;
    this.#variant = options.variant ?? "torch";
    const [b1, b2] = this.#betas;
    if (!(b1 >= 0 && b1 < 1 && b2 >= 0 && b2 < 1)) {
      throw new Error(`AdamW: betas must lie in [0, 1), got [${b1}, ${b2}]`);
    }
    if (!(this.#eps >= 0) || !(this.#weightDecay >= 0)) {
      throw new Error(`AdamW: eps and weightDecay must be ≥ 0, got eps ${this.#eps}, weightDecay ${this.#weightDecay}`);
    }
    if (this.#variant !== "torch" && this.#variant !== "transformers") {
      throw new Error(`AdamW: variant must be "torch" or "transformers", got "${this.#variant}"`);
    }
    checkLr(this.lr);
    this.#names = params.map((p, i) => p.name ?? `param${i}`);
    const seen = new Map<string, number>();
    params.forEach((p, i) => {
      if (p.dtype !== "f32") throw new Error(`AdamW: parameter ${this.#names[i]} must be f32, got ${p.describe()}`);
      if (params.indexOf(p) !== i) throw new Error(`AdamW: parameter ${this.#names[i]} is listed twice`);
      const prev = seen.get(this.#names[i]);
      if (prev !== undefined) {
        throw new Error(`AdamW: parameters ${prev} and ${i} share the name "${this.#names[i]}"; names key the state`);
      }
      seen.set(this.#names[i], i);
    });
    this.params = [...params];
    this.#m = params.map(() => null);
    this.#v = params.map(() => null);
  }

  /** Number of steps taken so far. */
  get stepCount(): number {
    return this.#step;
  }

  /**
   * Updates every parameter that has a gradient, in place (parameters without one are skipped). `lr` overrides the
   * default learning rate for this step (e.g. from a schedule); `options.gradScale` scales the gradients inside the
   * update. Encodes one dispatch per group of up to 16 parameters (fewer when the device binds fewer storage buffers);
   * uploads nothing.
   */
  step(lr: number = this.lr, options: AdamWStepOptions = {}): void {
    checkLr(lr);
    const scale = options.gradScale;
    if (scale && (scale.dtype !== "f32" || scale.size !== 1)) {
      throw new Error(`AdamW.step: gradScale must be a one-element f32 tensor, got ${scale.describe()}`);
    }
    const t = ++this.#step;
    const [b1, b2] = this.#betas;
    const bc1 = 1 - b1 ** t;
    const bc2Sqrt = Math.sqrt(1 - b2 ** t);
    const torch = this.#variant === "torch";
    const stepSize = torch ? lr / bc1 : lr * bc2Sqrt / bc1;
    const decay = 1 - lr * this.#weightDecay;
    const pre = torch ? decay : 1;
    const post = torch ? 1 : decay;
    const shared = [b1, b2, 1 - b1, 1 - b2, this.#eps, stepSize, torch ? bc2Sqrt : 1, pre, post];
    const per = adamwParamsPerDispatch(scale !== undefined);
    let group: Tensor[][] = [];
    let elements = 0;
    const flush = () => {
      if (group.length === 1) {
        const [p, g, m, v] = group[0];
        launch(
          scale ? ADAMW_SCALED_KERNEL : ADAMW_KERNEL,
          scale ? [p, g, m, v, scale] : [p, g, m, v],
          [p.size, ...shared],
          adamwGrid(p.size),
        );
      } else if (group.length > 1) {
        const ends: number[] = [];
        let end = 0;
        for (const [p] of group) ends.push(end += p.size);
        launch(
          adamwMultiKernel(group.length, scale !== undefined),
          [...group.flat(), ...(scale ? [scale] : [])],
          [end, ...shared, ...ends],
          adamwGrid(end),
        );
      }
      group = [];
      elements = 0;
    };
    this.params.forEach((p, i) => {
      const g = p.grad;
      if (!g) return;
      if (g.size !== p.size) {
        throw new Error(`AdamW: gradient ${g.describe()} does not match parameter ${this.#names[i]} ${p.describe()}`);
      }
      const m = this.#m[i] ??= keep(zerosLike(p));
      const v = this.#v[i] ??= keep(zerosLike(p));
      // Writable bindings of one dispatch must not share a buffer (parameters that are views of one storage).
      const shares = group.some(([q]) => q.buffer === p.buffer);
      if (group.length >= per || elements + p.size > MAX_GROUP_ELEMENTS || shares) flush();
      group.push([p, g, m, v]);
      elements += p.size;
    });
    flush();
  }

  /** Frees every parameter's gradient (the next backward starts from none). */
  zeroGrad(): void {
    for (const p of this.params) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  /** Reads the state back for a checkpoint (parameters not yet updated have no moments and are left out). */
  async state(): Promise<AdamWState> {
    const m: Record<string, Float32Array> = {};
    const v: Record<string, Float32Array> = {};
    for (let i = 0; i < this.params.length; i++) {
      const mi = this.#m[i];
      const vi = this.#v[i];
      if (!mi || !vi) continue;
      m[this.#names[i]] = (await mi.data()) as Float32Array;
      v[this.#names[i]] = (await vi.data()) as Float32Array;
    }
    return { step: this.#step, m, v };
  }

  /** Restores a state from {@link AdamW.state}; parameters it does not name start with zero moments. */
  loadState(state: AdamWState): void {
    if (!Number.isInteger(state.step) || state.step < 0) {
      throw new Error(`AdamW.loadState: step must be a non-negative integer, got ${state.step}`);
    }
    for (const name of new Set([...Object.keys(state.m), ...Object.keys(state.v)])) {
      const i = this.#names.indexOf(name);
      if (i < 0) {
        throw new Error(`AdamW.loadState: the state has moments for "${name}", which is not one of the parameters`);
      }
      const p = this.params[i];
      for (const [key, values] of [["m", state.m[name]], ["v", state.v[name]]] as const) {
        if (!values || values.length !== p.size) {
          throw new Error(
            `AdamW.loadState: ${key}["${name}"] has ${values?.length ?? "no"} values; parameter ${p.describe()} ` +
              `needs ${p.size}`,
          );
        }
      }
    }
    this.dispose();
    this.#step = state.step;
    this.params.forEach((p, i) => {
      const m = state.m[this.#names[i]];
      const v = state.v[this.#names[i]];
      if (!m || !v) return;
      this.#m[i] = keep(tensor(m, p.shape));
      this.#v[i] = keep(tensor(v, p.shape));
    });
  }

  /** Frees the moments (the parameters and their gradients are the caller's). */
  dispose(): void {
    for (const t of [...this.#m, ...this.#v]) t?.dispose();
    this.#m = this.params.map(() => null);
    this.#v = this.params.map(() => null);
  }
}

function checkLr(lr: number): void {
  if (!Number.isFinite(lr) || lr < 0) throw new Error(`AdamW: learning rate must be a finite number ≥ 0, got ${lr}`);
}
