import { assert, assertEquals, assertMatch, assertThrows } from "@std/assert";
import { pca } from "./pca.ts";
import { type Matrix, zerosMatrix } from "./matrix.ts";
import { SeededRandom } from "./random.ts";

/** A random orthonormal basis of R^d (rows), by Gram–Schmidt of Gaussian vectors. */
function randomBasis(d: number, seed: number): Float64Array[] {
  const rng = new SeededRandom(seed);
  const basis: Float64Array[] = [];
  while (basis.length < d) {
    const v = Float64Array.from({ length: d }, () => rng.normal());
    for (const b of basis) {
      const dot = v.reduce((s, x, i) => s + x * b[i], 0);
      for (let i = 0; i < d; i++) v[i] -= dot * b[i];
    }
    const norm = Math.hypot(...v);
    basis.push(v.map((x) => x / norm));
  }
  return basis;
}

/**
 * Points ±s_j·u_j (+ offset) for the given axes u_j and scales s_j: mean = offset, and the sample covariance is
 * exactly Σ_j 2 s_j² u_j u_jᵀ / (n − 1), so the principal axes are the u_j in order of s_j.
 */
function crossData(axes: Float64Array[], scales: number[], offset: number): Matrix {
  const d = axes[0].length;
  const m = zerosMatrix(2 * axes.length, d);
  axes.forEach((u, j) => {
    for (let i = 0; i < d; i++) {
      m.data[(2 * j) * d + i] = offset + scales[j] * u[i];
      m.data[(2 * j + 1) * d + i] = offset - scales[j] * u[i];
    }
  });
  return m;
}

function checkAxes(d: number, k: number, scales: number[], label: string): void {
  const axes = randomBasis(d, d).slice(0, scales.length);
  const x = crossData(axes, scales, 3.5);
  const n = x.rows;
  const fit = pca(x, { components: k });
  const order = scales.map((s, j) => [s, j]).sort((a, b) => b[0] - a[0]);
  let total = 0;
  for (const s of scales) total += (2 * s * s) / (n - 1);
  assert(Math.abs(fit.totalVariance - total) < 1e-9 * total, `${label}: total variance`);
  for (let c = 0; c < k; c++) {
    const [s, j] = order[c];
    const expected = (2 * s * s) / (n - 1);
    assert(
      Math.abs(fit.explainedVariance[c] - expected) < 1e-8 * expected,
      `${label}: variance ${c}: ${fit.explainedVariance[c]} vs ${expected}`,
    );
    assert(Math.abs(fit.explainedVarianceRatio[c] - expected / total) < 1e-8, `${label}: ratio ${c}`);
    const axis = fit.components.data.subarray(c * d, (c + 1) * d);
    const cos = axis.reduce((acc, v, i) => acc + v * axes[j][i], 0);
    assert(Math.abs(Math.abs(cos) - 1) < 1e-8, `${label}: axis ${c} is not u_${j} (cos ${cos})`);
    let big = 0;
    for (let i = 1; i < d; i++) if (Math.abs(axis[i]) > Math.abs(axis[big])) big = i;
    assert(axis[big] > 0, `${label}: sign convention`);
    // The two points on this axis project to ±s (in the axis' sign), every other point to 0.
    for (let p = 0; p < n; p++) {
      const onAxis = Math.floor(p / 2) === j;
      const want = onAxis ? (p % 2 === 0 ? 1 : -1) * s * Math.sign(cos) : 0;
      assert(Math.abs(fit.projection.data[p * k + c] - want) < 1e-8 * s, `${label}: projection ${p},${c}`);
    }
  }
  assert(fit.mean.every((m) => Math.abs(m - 3.5) < 1e-12), `${label}: mean`);
}

Deno.test("pca: recovers known principal axes and variances (covariance route)", () => {
  checkAxes(6, 3, [5, 0.5, 2, 1, 3, 0.25], "d=6");
});

Deno.test("pca: recovers known principal axes in 200 dimensions", () => {
  const scales = Array.from({ length: 200 }, (_, j) => 10 / (1 + j) + 0.01 * (j % 7));
  checkAxes(200, 5, scales, "d=200");
});

Deno.test("pca: more features than points uses the Gram matrix and agrees with the axes", () => {
  checkAxes(300, 2, [4, 1.5, 0.5], "n=6,d=300");
});

Deno.test("pca: rejects non-finite input and impossible component counts", () => {
  const x = zerosMatrix(3, 2);
  x.data[3] = NaN;
  assertMatch(assertThrows(() => pca(x), Error).message, /pca input: value at row 1, column 1 is NaN/);
  assertMatch(
    assertThrows(() => pca(zerosMatrix(3, 2), { components: 3 }), Error).message,
    /components must be an integer in 1\.\.2/,
  );
  const flat = pca(zerosMatrix(4, 3));
  assertEquals([...flat.explainedVarianceRatio], [0, 0]);
});
