/**
 * Gradient check of a whole method on the GPU (the model cannot run in float64): the analytic gradient of every
 * trainable tensor against central finite differences of the f32 GPU loss.
 *
 * Method. The method's parameters are first set to N(0, 0.25²) values so that no gradient is near zero (the reference
 * inits make adapters ~1e-4 and their gradients vanish below f32 resolution). With dropout on at a fixed seed (masks
 * and skill noise are functions of the seed, so every evaluation sees the same ones), for each trainable tensor θ
 * with analytic gradient g, three directions v are probed: the gradient's own direction g/‖g‖ (checks magnitude and
 * direction: a wrong g gives ∇L·v ≠ ‖g‖), the element with the largest |g_i|, and one random element. For each,
 * `fd = (L(θ + h·v) − L(θ − h·v)) / 2h` with h = 3e-3 (f32 loss noise of a few 1e-6 makes fd noise ~1e-3; the
 * O(h²) truncation is far below that) must match `g·v` within 3 % of the tensor's scale (the largest |g·v| of its
 * probes) plus 2e-3. ReLUs (adapters, generator bottleneck) make the loss piecewise smooth: when a kink lies within h
 * of θ the central difference straddles it, so a probe also passes when a one-sided difference
 * `(L(θ ± h·v) − L(θ)) / ±h` (the side without the kink) matches within 3 % + 5e-3, and a probe failing at h is
 * retried at h/10 (kinks within 3e-3 do occur among the ~100 ReLUs of a tiny model; the tolerances' absolute terms
 * grow ×10 with the noise). Everything is seeded, so the outcome is deterministic.
 * @module
 */
import { assert, assertEquals } from "@std/assert";
import { backward, scope, writeTensor } from "@hyperdecoders/core";
import { methodPreset } from "./config.ts";
import { InitRandom } from "./init.ts";
import { AdaptedT5 } from "./model.ts";
import { lossValue, randomizeMethod, TASKS, TINY_SIZES, tinyBase, type TinyBatch, tinyBatch } from "./_test_utils.ts";

/** One probe's outcome. */
export interface Probe {
  /** Tensor name. */
  name: string;
  /** Which direction. */
  kind: string;
  /** Analytic directional derivative. */
  analytic: number;
  /** Central finite-difference estimate. */
  numeric: number;
  /** One-sided estimates (L(θ+hv) − L(θ)) / h and (L(θ) − L(θ−hv)) / h. */
  oneSided: [number, number];
  /** The step used. */
  h: number;
  /** The step of the first try (tolerances scale with first / h). */
  h0: number;
}

/** Runs the check for every trainable tensor (or every `stride`-th one) and returns the probes. */
export async function gradientCheck(
  model: AdaptedT5,
  batch: TinyBatch,
  options: { seed: number; h?: number; probes?: ("direction" | "max" | "random")[]; stride?: number },
): Promise<Probe[]> {
  const h = options.h ?? 3e-3;
  const fwd = { training: true, seed: options.seed, tasks: batch.tasks };
  scope(() => backward(model.forward(batch, fwd).loss));
  const base = await lossValue(model, batch, fwd);
  const rng = new InitRandom(options.seed + 17);
  const probes: Probe[] = [];
  const named = [...model.namedTrainableParameters()];
  const stride = options.stride ?? 1;
  for (let k = 0; k < named.length; k += stride) {
    const [name, t] = named[k];
    assert(t.grad, `${name}: no gradient after backward`);
    const theta = Float32Array.from((await t.data()) as Float32Array);
    const g = (await t.grad!.data()) as Float32Array;
    let norm = 0;
    let argmax = 0;
    for (let i = 0; i < g.length; i++) {
      norm += g[i] * g[i];
      if (Math.abs(g[i]) > Math.abs(g[argmax])) argmax = i;
    }
    norm = Math.sqrt(norm);
    assert(norm > 0, `${name}: gradient is exactly zero`);
    const evaluate = async (v: Float32Array, h: number): Promise<[number, number, number]> => {
      const plus = theta.map((x, i) => x + h * v[i]);
      const minus = theta.map((x, i) => x - h * v[i]);
      writeTensor(t, plus);
      const up = await lossValue(model, batch, fwd);
      writeTensor(t, minus);
      const down = await lossValue(model, batch, fwd);
      writeTensor(t, theta);
      return [(up - down) / (2 * h), (up - base) / h, (base - down) / h];
    };
    const directions: Float32Array[] = [];
    for (const kind of options.probes ?? ["direction", "max", "random"]) {
      const v = new Float32Array(theta.length);
      let analytic: number;
      if (kind === "direction") {
        for (let i = 0; i < g.length; i++) v[i] = g[i] / norm;
        analytic = norm;
      } else {
        const i = kind === "max" ? argmax : Math.floor(rng.next() * g.length);
        v[i] = 1;
        analytic = g[i];
      }
      const [numeric, right, left] = await evaluate(v, h);
      probes.push({ name, kind, analytic, numeric, oneSided: [right, left], h, h0: h });
      directions.push(v);
    }
    const mine = probes.slice(probes.length - directions.length);
    const scale = Math.max(...mine.map((p) => Math.abs(p.analytic)));
    for (let j = 0; j < mine.length; j++) {
      if (probeOk(mine[j], scale)) continue;
      const [numeric, right, left] = await evaluate(directions[j], h / 10);
      Object.assign(mine[j], { numeric, oneSided: [right, left], h: h / 10 });
    }
    t.grad!.dispose();
    t.grad = null;
  }
  return probes;
}

/** Whether a probe passes (see the module doc); `scale` is the largest |analytic| among its tensor's probes. */
export function probeOk(p: Probe, scale: number, rel = 0.03, abs = 2e-3, oneSidedAbs = 5e-3): boolean {
  const noise = p.h0 / p.h;
  const close = (x: number, a: number) => Math.abs(x - p.analytic) <= rel * scale + a * noise;
  return close(p.numeric, abs) || close(p.oneSided[0], oneSidedAbs) || close(p.oneSided[1], oneSidedAbs);
}

/** Asserts every probe passes, listing the failures. */
export function assertProbes(probes: Probe[]): void {
  const scale = new Map<string, number>();
  for (const p of probes) scale.set(p.name, Math.max(scale.get(p.name) ?? 0, Math.abs(p.analytic)));
  const bad = probes.filter((p) => !probeOk(p, scale.get(p.name)!));
  assertEquals(
    bad.length,
    0,
    `gradient mismatches:\n${
      bad.map((p) => `  ${p.name} (${p.kind}): analytic ${p.analytic}, central ${p.numeric}, one-sided ${p.oneSided}`)
        .join("\n")
    }`,
  );
}

/**
 * Checks a preset on the tiny base (tiny method sizes, the test tasks, `extra` method fields): its parameters set to
 * N(0, 0.25²) at seed 5, then {@link gradientCheck} on the tiny batch at seed 3 with `probes`, asserted to pass.
 */
export async function checkPreset(
  preset: string,
  probes: ("direction" | "max" | "random")[],
  extra: Record<string, unknown> = {},
): Promise<void> {
  const model = new AdaptedT5(tinyBase(1), methodPreset(preset, { ...TINY_SIZES, tasks: TASKS, ...extra }));
  randomizeMethod(model, 5, 0.25);
  assertProbes(await gradientCheck(model, tinyBatch(), { seed: 3, probes }));
  model.dispose();
  model.base.dispose();
}
