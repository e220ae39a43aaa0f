import { assert, assertEquals, assertMatch, assertNotEquals, assertThrows } from "@std/assert";
import { conditionalAffinities, jointAffinities, klDivergence, tsne, tsneGradient } from "./tsne.ts";
import { neighbourPreservation, trustworthiness } from "./quality.ts";
import { type Matrix, matrixFromRows, squaredDistances, zerosMatrix } from "./matrix.ts";
import { SeededRandom } from "./random.ts";

/** `perClass` points around each of `classes` centres 20 apart (10-D, unit noise), with their cluster ids. */
function clusters(classes: number, perClass: number, seed: number): { x: Matrix; label: number[] } {
  const rng = new SeededRandom(seed);
  const d = 10;
  const centres = Array.from({ length: classes }, () => Array.from({ length: d }, () => 20 * rng.normal()));
  const rows: number[][] = [];
  const label: number[] = [];
  for (let c = 0; c < classes; c++) {
    for (let i = 0; i < perClass; i++) {
      rows.push(centres[c].map((v) => v + rng.normal()));
      label.push(c);
    }
  }
  return { x: matrixFromRows(rows), label };
}

Deno.test("conditionalAffinities: every row is a distribution whose perplexity is the one asked for", () => {
  const { x } = clusters(2, 20, 1);
  const n = x.rows;
  for (const perplexity of [2, 5, 15]) {
    const p = conditionalAffinities(squaredDistances(x), n, perplexity);
    for (let i = 0; i < n; i++) {
      let sum = 0;
      let h = 0;
      for (let j = 0; j < n; j++) {
        const v = p[i * n + j];
        sum += v;
        if (v > 0) h -= v * Math.log(v);
      }
      assertEquals(p[i * n + i], 0);
      assert(Math.abs(sum - 1) < 1e-12, `row ${i} sums to ${sum}`);
      assert(Math.abs(Math.exp(h) - perplexity) < 1e-3 * perplexity, `row ${i}: perplexity ${Math.exp(h)}`);
    }
  }
  assertMatch(
    assertThrows(() => conditionalAffinities(squaredDistances(x), n, n), Error).message,
    /perplexity must be in \(0, 40\)/,
  );
});

Deno.test("tsneGradient: matches central finite differences of KL(P ‖ Q), in 2-D and in 3-D", () => {
  const { x } = clusters(2, 5, 2);
  const n = x.rows;
  const p = jointAffinities(x, 3);
  const rng = new SeededRandom(3);
  const y = zerosMatrix(n, 2);
  for (let k = 0; k < y.data.length; k++) y.data[k] = rng.normal();
  const grad = new Float64Array(n * 2);
  tsneGradient(p, y.data, n, 2, 1, grad);
  // The general-dimension path agrees with the 2-D one (a third coordinate of zeros changes nothing).
  const y3 = new Float64Array(n * 3);
  for (let i = 0; i < n; i++) y3.set(y.data.subarray(2 * i, 2 * i + 2), 3 * i);
  const grad3 = new Float64Array(n * 3);
  tsneGradient(p, y3, n, 3, 1, grad3);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 2; k++) assert(Math.abs(grad3[3 * i + k] - grad[2 * i + k]) < 1e-14, "3-D path");
    assertEquals(grad3[3 * i + 2], 0);
  }
  const h = 1e-6;
  for (let k = 0; k < y.data.length; k++) {
    const keep = y.data[k];
    y.data[k] = keep + h;
    const up = klDivergence(p, y);
    y.data[k] = keep - h;
    const down = klDivergence(p, y);
    y.data[k] = keep;
    const numeric = (up - down) / (2 * h);
    assert(Math.abs(numeric - grad[k]) < 1e-6 + 1e-5 * Math.abs(numeric), `∂/∂y[${k}]: ${grad[k]} vs ${numeric}`);
  }
});

Deno.test("tsne: separates well-separated clusters and keeps neighbourhoods; seeded and deterministic", () => {
  const { x, label } = clusters(3, 30, 4);
  const n = x.rows;
  const run = tsne(x, { perplexity: 10, iterations: 500, seed: 11 });
  const y = run.embedding;
  // Every point's 5 nearest neighbours in the layout belong to its own cluster.
  const dy = squaredDistances(y);
  for (let i = 0; i < n; i++) {
    const near = Array.from({ length: n }, (_, j) => j).filter((j) => j !== i).sort((a, b) =>
      dy[i * n + a] - dy[i * n + b]
    )
      .slice(0, 5);
    assert(near.every((j) => label[j] === label[i]), `point ${i} has a neighbour from another cluster`);
  }
  // The clusters are far apart relative to their spread.
  const centre = (c: number) =>
    [0, 1].map((k) => label.reduce((s, l, i) => s + (l === c ? y.data[i * 2 + k] : 0), 0) / 30);
  const centres = [0, 1, 2].map(centre);
  let spread = 0;
  for (let i = 0; i < n; i++) {
    spread = Math.max(
      spread,
      Math.hypot(...[0, 1].map((k) => y.data[i * 2 + k] - centres[label[i]][k])),
    );
  }
  for (let a = 0; a < 3; a++) {
    for (let b = a + 1; b < 3; b++) {
      const gap = Math.hypot(centres[a][0] - centres[b][0], centres[a][1] - centres[b][1]);
      assert(gap > 2 * spread, `clusters ${a} and ${b}: centres ${gap.toFixed(2)} apart, radius ${spread.toFixed(2)}`);
    }
  }
  const trust = trustworthiness(x, y, 5);
  const rng = new SeededRandom(8);
  const random = zerosMatrix(n, 2);
  for (let k = 0; k < random.data.length; k++) random.data[k] = rng.normal();
  assert(trust > 0.9, `trustworthiness ${trust}`);
  assert(trust > trustworthiness(x, random, 5) + 0.2, "better than a random layout");
  assert(neighbourPreservation(x, y, 5) > neighbourPreservation(x, random, 5) + 0.2);
  assert(run.klDivergence < klDivergence(jointAffinities(x, 10), random), "lower KL than a random layout");
  assert(Math.abs(y.data.reduce((s, v, k) => s + (k % 2 === 0 ? v : 0), 0)) < 1e-9, "centred");

  const again = tsne(x, { perplexity: 10, iterations: 500, seed: 11 });
  assertEquals([...again.embedding.data], [...y.data], "same seed, same layout");
  const other = tsne(x, { perplexity: 10, iterations: 50, seed: 12 });
  assertNotEquals([...other.embedding.data], [
    ...tsne(x, { perplexity: 10, iterations: 50, seed: 11 }).embedding.data,
  ]);
  const viaPca = tsne(x, { perplexity: 10, iterations: 500, init: "pca" });
  assert(trustworthiness(x, viaPca.embedding, 5) > 0.9, "pca init");
});

Deno.test("tsne: lowers the perplexity for few points and rejects bad input", () => {
  const { x } = clusters(1, 7, 5);
  assertEquals(tsne(x, { iterations: 10 }).perplexity, 2);
  assertMatch(assertThrows(() => tsne(zerosMatrix(2, 3)), Error).message, /at least 3 points/);
  const bad = zerosMatrix(4, 2);
  bad.data[2] = Infinity;
  assertMatch(assertThrows(() => tsne(bad), Error).message, /tsne input: value at row 1, column 0 is Infinity/);
});

Deno.test("trustworthiness and neighbour preservation: a hand-computed 1-D example", () => {
  // x on a line with gaps 1, 2, 3, 4, 5; y swaps the two end points. With k = 1 the false nearest neighbours are
  // point 0 → 4 (rank 4 in x), point 1 → 5 (rank 5) and point 5 → 1 (rank 4): penalty 3 + 4 + 3 = 10, so
  // T = 1 − 2 / (6 · 1 · (12 − 3 − 1)) · 10 = 1 − 20 / 48; points 2, 3 and 4 keep their neighbour: 3 / 6.
  const x = matrixFromRows([[0], [1], [3], [6], [10], [15]]);
  const y = matrixFromRows([[15], [1], [3], [6], [10], [0]]);
  assert(Math.abs(trustworthiness(x, y, 1) - (1 - 20 / 48)) < 1e-15);
  assertEquals(neighbourPreservation(x, y, 1), 0.5);
  assertEquals(trustworthiness(x, x, 2), 1);
  assertEquals(neighbourPreservation(x, x, 2), 1);
  assertMatch(assertThrows(() => trustworthiness(x, y, 3), Error).message, /k must be below n \/ 2 = 3/);
  assertMatch(
    assertThrows(() => trustworthiness(x, matrixFromRows([[1], [2], [3]]), 1), Error).message,
    /6 original points but 3 embedded/,
  );
});
