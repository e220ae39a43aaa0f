import { assert, assertEquals, assertMatch, assertNotEquals, assertStrictEquals, assertThrows } from "@std/assert";
import { minimizeLbfgs } from "./lbfgs.ts";
import { fitLogisticRegression, logisticLoss, predictClasses, predictProbabilities } from "./logistic.ts";
import { linearProbe, stratifiedSplit } from "./probe.ts";
import { matrixFromRows, zerosMatrix } from "./matrix.ts";
import { SeededRandom } from "./random.ts";

Deno.test("logisticLoss: value and gradient at zero weights, computed by hand", () => {
  // Two points, two classes, W = 0, b = 0: p = (½, ½) for both, loss = log 2.
  // p − onehot: row 1 (y = 0) → (−½, ½), row 2 (y = 1) → (½, −½).
  // ∂W_0 = ½(−½·(1, 2) + ½·(3, −1)) = (½, −¾); ∂W_1 = (−½, ¾); ∂b = ½(−½ + ½) = 0.
  const x = matrixFromRows([[1, 2], [3, -1]]);
  const gw = new Float64Array(4);
  const gb = new Float64Array(2);
  const loss = logisticLoss(x, [0, 1], 2, new Float64Array(4), new Float64Array(2), 0, gw, gb);
  assert(Math.abs(loss - Math.LN2) < 1e-15);
  assertEquals([...gw], [0.5, -0.75, -0.5, 0.75]);
  assertEquals([...gb], [0, 0]);
  // The penalty: (λ/2)‖W‖² and +λW in the gradient.
  const w = Float64Array.of(1, 0, 0, 2);
  const withL2 = logisticLoss(x, [0, 1], 2, w, new Float64Array(2), 0.5, gw, gb);
  const without = logisticLoss(x, [0, 1], 2, w, new Float64Array(2), 0);
  assert(Math.abs(withL2 - without - 0.25 * 5) < 1e-12);
});

Deno.test("logisticLoss: the gradient matches central finite differences (3 classes, L2)", () => {
  const rng = new SeededRandom(1);
  const x = zerosMatrix(12, 4);
  for (let k = 0; k < x.data.length; k++) x.data[k] = rng.normal();
  const y = Array.from({ length: 12 }, (_, i) => i % 3);
  const w = Float64Array.from({ length: 12 }, () => rng.normal());
  const b = Float64Array.from({ length: 3 }, () => rng.normal());
  const gw = new Float64Array(12);
  const gb = new Float64Array(3);
  logisticLoss(x, y, 3, w, b, 0.3, gw, gb);
  const h = 1e-6;
  for (const [param, grad] of [[w, gw], [b, gb]] as const) {
    for (let k = 0; k < param.length; k++) {
      const keep = param[k];
      param[k] = keep + h;
      const up = logisticLoss(x, y, 3, w, b, 0.3);
      param[k] = keep - h;
      const down = logisticLoss(x, y, 3, w, b, 0.3);
      param[k] = keep;
      assert(Math.abs((up - down) / (2 * h) - grad[k]) < 1e-8, `component ${k}`);
    }
  }
});

Deno.test("fitLogisticRegression: the closed-form maximum-likelihood fit of a binary feature", () => {
  // x = 0: 30 of 40 rows are class 1 (p = ¾); x = 1: 10 of 40 (p = ¼). Unpenalised MLE: the log-odds of class 1 are
  // ln 3 at x = 0 and ln(1/3) at x = 1, so (b₁ − b₀) = ln 3 and (w₁ − w₀) = −2 ln 3.
  const rows: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < 40; i++) rows.push([0]), y.push(i < 30 ? 1 : 0);
  for (let i = 0; i < 40; i++) rows.push([1]), y.push(i < 10 ? 1 : 0);
  const model = fitLogisticRegression(matrixFromRows(rows), y, { l2: 0, tolerance: 1e-12 });
  assert(model.converged);
  assert(Math.abs(model.bias[1] - model.bias[0] - Math.log(3)) < 1e-6, `bias gap ${model.bias[1] - model.bias[0]}`);
  assert(Math.abs(model.weights[1] - model.weights[0] + 2 * Math.log(3)) < 1e-6, "weight gap");
  const p = predictProbabilities(model, matrixFromRows([[0], [1]]));
  assert(Math.abs(p.data[1] - 0.75) < 1e-6 && Math.abs(p.data[3] - 0.25) < 1e-6);
});

Deno.test("fitLogisticRegression: separable classes are fitted perfectly; the penalised optimum is stationary", () => {
  const rng = new SeededRandom(2);
  const centres = [[6, 0, 0], [0, 6, 0], [0, 0, 6]];
  const rows: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < 90; i++) {
    rows.push(centres[i % 3].map((c) => c + rng.normal()));
    y.push(i % 3);
  }
  const x = matrixFromRows(rows);
  const model = fitLogisticRegression(x, y, { l2: 1e-3 });
  assert(model.converged);
  assertEquals([...predictClasses(model, x)], y);
  const gw = new Float64Array(9);
  const gb = new Float64Array(3);
  logisticLoss(x, y, 3, model.weights, model.bias, 1e-3, gw, gb);
  assert([...gw, ...gb].every((g) => Math.abs(g) < 1e-7), "zero gradient at the optimum");
  assertMatch(
    assertThrows(() => fitLogisticRegression(x, y.map((v) => v + 0.5)), Error).message,
    /label 0 is 0\.5; labels must be integers/,
  );
  assertMatch(assertThrows(() => fitLogisticRegression(x, y.slice(1)), Error).message, /90 rows but 89 labels/);
});

Deno.test("minimizeLbfgs: finds the Rosenbrock minimum (1, 1)", () => {
  const result = minimizeLbfgs((p, g) => {
    const [a, b] = p;
    g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
    g[1] = 200 * (b - a * a);
    return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
  }, Float64Array.of(-1.2, 1));
  assert(result.converged);
  assert(Math.abs(result.x[0] - 1) < 1e-6 && Math.abs(result.x[1] - 1) < 1e-6, `${result.x}`);
});

Deno.test("stratifiedSplit: disjoint, complete, per-class shares, seeded", () => {
  const labels = [...Array(50).fill(0), ...Array(30).fill(1), ...Array(5).fill(2), 3];
  const split = stratifiedSplit(labels, 0.2, 7);
  const all = [...split.train, ...split.test].sort((a, b) => a - b);
  assertEquals(all, labels.map((_, i) => i));
  const testCounts = [0, 1, 2, 3].map((c) => [...split.test].filter((i) => labels[i] === c).length);
  assertEquals(testCounts, [10, 6, 1, 0]);
  assertEquals(stratifiedSplit(labels, 0.2, 7), split);
  assertNotEquals(stratifiedSplit(labels, 0.2, 8).test, split.test);
});

Deno.test("linearProbe: an informative feature set beats noise, which stays near the majority baseline", () => {
  const rng = new SeededRandom(3);
  const n = 240;
  const labels = Array.from({ length: n }, (_, i) => (i % 4 === 0 ? 1 : 0));
  const informative = zerosMatrix(n, 8);
  const noise = zerosMatrix(n, 8);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < 8; j++) {
      informative.data[i * 8 + j] = rng.normal() + (j === 3 ? 4 * labels[i] : 0) + 100;
      noise.data[i * 8 + j] = rng.normal();
    }
  }
  const split = stratifiedSplit(labels, 0.25, 1);
  const good = linearProbe(informative, labels, { split });
  const bad = linearProbe(noise, labels, { split });
  assertEquals(good.testSize, 60); // 45 of the 180 class-0 rows, 15 of the 60 class-1 rows
  assertEquals(good.classes, 2);
  assert(Math.abs(good.majorityAccuracy - 0.75) < 1e-12, `majority ${good.majorityAccuracy}`);
  assert(good.testAccuracy >= 0.95, `informative ${good.testAccuracy}`);
  assert(bad.testAccuracy <= good.majorityAccuracy + 0.1, `noise ${bad.testAccuracy}`);
  // Labels need not be 0-based or contiguous.
  const shifted = linearProbe(informative, labels.map((v) => 10 + 5 * v), { split });
  assertStrictEquals(shifted.testAccuracy, good.testAccuracy);
});
