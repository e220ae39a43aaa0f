/**
 * Matmul autotuning: shape classes, the tuning problem of a class (every candidate of `matmulCandidates`, checked on
 * the real shape against a float64 CPU reference at sampled outputs), and the choice `matmul` uses.
 * @module
 */
import {
  chooseMatmul,
  ewGrid,
  FILL_KERNEL,
  kernelSource,
  MATMUL_VARIANTS,
  matmulCandidates,
  type MatmulChoice,
  matmulFits,
  type MatmulShape,
  planMatmul,
  vec4Eligible,
} from "@hyperdecoders/kernels";
import { getEngine } from "../engine.ts";
import { launch } from "../launch.ts";
import { empty, type Tensor, tensor } from "../tensor.ts";
import { getTuner, type TuneBench, type TuneCandidate, type TuneProblem } from "../tune.ts";
import { launchMatmul } from "./_matmul_launch.ts";

/** The least value of the form 2^k or 3·2^(k−1) that is ≥ x: size buckets of about ±20 %. */
export function sizeBucket(x: number): number {
  if (x <= 2) return x;
  let p = 2;
  while (p < x) {
    if (p * 1.5 >= x) return p * 1.5;
    p *= 2;
  }
  return p;
}

/**
 * The shape class of a product: transposes, bucketed M, N, K and batch, `vec4` alignment, and whether B is shared by
 * the batch. Shapes of one class get the same kernel.
 */
export function matmulClassKey(s: MatmulShape): string {
  const t = `${s.transA ? "t" : "n"}${s.transB ? "t" : "n"}`;
  const shared = s.batch > 1 && s.sb === 0 ? ".sharedB" : "";
  return `${t}.M${sizeBucket(s.M)}.N${sizeBucket(s.N)}.K${sizeBucket(s.K)}.b${sizeBucket(s.batch)}` +
    `.v${vec4Eligible(s.M, s.N, s.transA) ? 4 : 1}${shared}`;
}

/** Deterministic values in [-1, 1). */
function noise(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2147483648 - 1;
  }
  return out;
}

/** float32 unit roundoff. */
const U32 = 2 ** -24;

/**
 * Allowed error of one output: 64 unit roundoffs of Σ|a·b| (the typical float32 dot-product error is about one; a
 * kernel that drops or repeats a single term of K misses by about Σ|a·b| / K, far more for any K below ~10⁵).
 */
const CHECK_ULPS = 64;

/** Sampled output positions: corners and edges of the first and last batch entry, tile edges, and random ones. */
function samplePositions(s: MatmulShape, max = 320): [number, number, number][] {
  const picks = (n: number, seed: number): number[] => {
    const set = new Set([0, n - 1, n >> 1, Math.min(n - 1, 63), Math.min(n - 1, 64), Math.min(n - 1, 127)]);
    let r = seed;
    for (let i = 0; i < 6; i++) {
      r = (Math.imul(r, 1103515245) + 12345) >>> 0;
      set.add(r % n);
    }
    return [...set];
  };
  const out: [number, number, number][] = [];
  for (const z of new Set([0, s.batch - 1])) {
    for (const i of picks(s.M, 7 + z)) for (const j of picks(s.N, 11 + z)) out.push([z, i, j]);
  }
  let r = 99;
  while (out.length < max) {
    r = (Math.imul(r, 1103515245) + 12345) >>> 0;
    const z = r % s.batch;
    r = (Math.imul(r, 1103515245) + 12345) >>> 0;
    const i = r % s.M;
    r = (Math.imul(r, 1103515245) + 12345) >>> 0;
    out.push([z, i, r % s.N]);
  }
  return out.slice(0, max);
}

/** Encodes one product with a choice (default: `launchMatmul`). */
export type MatmulLauncher = (a: Tensor, b: Tensor, out: Tensor, choice: MatmulChoice, shape: MatmulShape) => void;

/** Options of {@link matmulTuneProblem} (tests inject extra candidates and how to launch them). */
export interface MatmulTuneOptions {
  /** Candidates besides `matmulCandidates`'. */
  extraCandidates?: TuneCandidate<MatmulChoice>[];
  /** Launches a candidate (default `launchMatmul`). */
  launch?: MatmulLauncher;
}

/** The tuning problem of one product shape (its class's representative). */
export function matmulTuneProblem(shape: MatmulShape, options: MatmulTuneOptions = {}): TuneProblem<MatmulChoice> {
  const s = { ...shape };
  return {
    op: "matmul",
    classKey: matmulClassKey(s),
    shape: s,
    candidates: () => [
      ...matmulCandidates(s, getEngine().gpu.limits).map((c) => {
        const plan = planMatmul(c.choice, s);
        const sources = [kernelSource(plan.main.kernel)];
        if (plan.reduce) sources.push(kernelSource(plan.reduce.kernel));
        return { id: c.id, value: c.choice, sources };
      }),
      ...(options.extraCandidates ?? []),
    ],
    prepare: () => matmulBench(s, options.launch ?? launchMatmul),
  };
}

function matmulBench(s: MatmulShape, launchOne: MatmulLauncher): TuneBench<MatmulChoice> {
  const { M, N, K, batch, transA, transB, sa, sb } = s;
  const aCount = (sa > 0 ? batch : 1) * M * K;
  const bCount = (sb > 0 ? batch : 1) * K * N;
  const aData = noise(aCount, 12345);
  const bData = noise(bCount, 54321);
  const a = tensor(aData, [aCount]);
  const b = tensor(bData, [bCount]);
  const out = empty([batch * M * N], "f32", "matmul tuning output");
  const positions = samplePositions(s);
  const expected = new Float64Array(positions.length);
  const bound = new Float64Array(positions.length);
  positions.forEach(([z, i, j], p) => {
    const aBase = z * sa;
    const bBase = z * sb;
    let sum = 0;
    let abs = 0;
    for (let k = 0; k < K; k++) {
      const x = aData[aBase + (transA ? k * M + i : i * K + k)];
      const y = bData[bBase + (transB ? j * K + k : k * N + j)];
      sum += x * y;
      abs += Math.abs(x * y);
    }
    expected[p] = sum;
    bound[p] = CHECK_ULPS * U32 * abs + 1e-30;
  });
  return {
    run: (choice) => launchOne(a, b, out, choice, s),
    check: async (choice) => {
      // NaN first, so that an output the kernel never writes fails the check.
      launch(FILL_KERNEL, [out], [batch * M * N, 0x7fc00000], ewGrid(batch * M * N));
      launchOne(a, b, out, choice, s);
      const got = (await out.data()) as Float32Array;
      for (let p = 0; p < positions.length; p++) {
        const [z, i, j] = positions[p];
        const v = got[z * M * N + i * N + j];
        const err = Math.abs(v - expected[p]);
        if (!(err <= bound[p])) {
          return `C[${z}][${i}][${j}] = ${v}, float64 reference ${expected[p].toPrecision(8)} (allowed error ${
            bound[p].toPrecision(3)
          })`;
        }
      }
      return null;
    },
    dispose: () => {
      for (const t of [a, b, out] as Tensor[]) t.dispose();
    },
  };
}

const problems = new Map<string, TuneProblem<MatmulChoice>>();

function validChoice(v: unknown, s: MatmulShape): MatmulChoice | null {
  const c = v as Partial<MatmulChoice> | null;
  if (!c || !MATMUL_VARIANTS.includes(c.variant as MatmulChoice["variant"])) return null;
  if (!Number.isInteger(c.splits) || c.splits! < 1 || typeof c.vec4 !== "boolean") return null;
  const choice = c as MatmulChoice;
  if (!matmulFits(choice.variant, s.transA, s.transB, getEngine().gpu.limits)) return null;
  const vec4 = choice.vec4 && choice.variant !== "tiled64" && vec4Eligible(s.M, s.N, s.transA);
  const splits = choice.variant === "splitk" ? Math.max(1, Math.min(choice.splits, Math.floor(65535 / s.batch))) : 1;
  return { variant: choice.variant, splits, vec4 };
}

/**
 * The kernel for a product: the installed tuner's choice for its shape class when there is a fresh one (requesting
 * tuning in `on` mode), else {@link chooseMatmul}'s rules.
 */
export function matmulChoiceFor(s: MatmulShape): MatmulChoice {
  const tuner = getTuner();
  if (tuner && tuner.mode !== "off") {
    const key = matmulClassKey(s);
    let problem = problems.get(key);
    if (!problem) problems.set(key, problem = matmulTuneProblem(s));
    const tuned = validChoice(tuner.lookup(problem), s);
    if (tuned) return tuned;
  }
  return chooseMatmul(s.M, s.N, s.K, s.batch, s.transA, s.transB);
}

/** Forgets the representative shapes of the classes seen so far (tests). */
export function clearMatmulTuneClasses(): void {
  problems.clear();
}
