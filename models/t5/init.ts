/**
 * Random initialisation of T5 exactly as Hugging Face's `_init_weights` draws it (for benchmarks and tests).
 * @module
 */
import { type Tensor, tensor } from "@hyperdecoders/core";
import { type T5Config, t5ParameterShapes } from "./config.ts";
import { T5Model } from "./model.ts";

/** Standard deviation Hugging Face uses for a T5 parameter (`initializer_factor` applied); 0 marks "ones". */
export function t5InitStd(name: string, c: T5Config): number {
  const f = c.initializerFactor;
  const D = c.dModel;
  if (name.endsWith("layer_norm.weight")) return 0;
  if (name === "shared.weight" || name === "lm_head.weight") return f;
  if (name.endsWith("relative_attention_bias.weight")) return f * D ** -0.5;
  if (name.endsWith(".q.weight")) return f * (D * c.dKv) ** -0.5;
  if (name.endsWith(".k.weight") || name.endsWith(".v.weight")) return f * D ** -0.5;
  if (name.endsWith(".o.weight")) return f * (c.numHeads * c.dKv) ** -0.5;
  if (/\.wi(_[01])?\.weight$/.test(name)) return f * D ** -0.5;
  if (name.endsWith(".wo.weight")) return f * c.dFf ** -0.5;
  throw new Error(`t5InitStd: unknown parameter "${name}"`);
}

/** Seeded normal samples (xorshift + Box–Muller), fast enough for base-sized models. */
function normal(n: number, std: number, state: { s: number }): Float32Array {
  const out = new Float32Array(n);
  const next = () => {
    let x = state.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    state.s = x >>> 0;
    return (state.s + 0.5) / 4294967296;
  };
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(next())) * std;
    const a = 2 * Math.PI * next();
    out[i] = r * Math.cos(a);
    if (i + 1 < n) out[i + 1] = r * Math.sin(a);
  }
  return out;
}

/** A randomly initialised T5 (frozen parameters; mark trainable ones with `setTrainable`). */
export function randomT5(config: T5Config, seed = 0): T5Model {
  const state = { s: (seed * 2654435761 + 12345) >>> 0 || 1 };
  const params = new Map<string, Tensor>();
  for (const [name, shape] of t5ParameterShapes(config)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const std = t5InitStd(name, config);
    const data = std === 0 ? new Float32Array(n).fill(1) : normal(n, std, state);
    const t = tensor(data, shape);
    t.name = name;
    params.set(name, t.asParameter(name));
    t.requiresGrad = false;
  }
  return new T5Model(config, params);
}
