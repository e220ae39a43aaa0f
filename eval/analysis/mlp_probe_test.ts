import { assert, assertEquals, assertRejects } from "@std/assert";
import { backward, crossEntropy, initEngine, scope, tensor } from "@hyperdecoders/core";
import { initMlpProbe, mlpProbeLogits, mlpProbeParams, trainMlpProbe } from "./mlp_probe.ts";
import type { Matrix } from "./matrix.ts";
import type { EmbeddingSet } from "./embeddings.ts";
import { mlpProbeMarkdown, mlpProbeTable } from "./mlp_probe_table.ts";
import { SeededRandom } from "./random.ts";

await initEngine();

/** Mean cross-entropy of the head in float64, for the reference gradient and finite differences. */
function refLoss(w: Float64Array[], x: Float64Array, y: Int32Array, d: number, h: number, k: number): number {
  const [w1, b1, w2, b2] = w;
  const n = y.length;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const a = new Float64Array(h);
    for (let j = 0; j < h; j++) {
      let s = b1[j];
      for (let t = 0; t < d; t++) s += w1[j * d + t] * x[i * d + t];
      a[j] = Math.tanh(s);
    }
    const z = new Float64Array(k);
    for (let c = 0; c < k; c++) {
      let s = b2[c];
      for (let j = 0; j < h; j++) s += w2[c * h + j] * a[j];
      z[c] = s;
    }
    const m = Math.max(...z);
    const lse = m + Math.log(z.reduce((acc, v) => acc + Math.exp(v - m), 0));
    total += lse - z[y[i]];
  }
  return total / n;
}

Deno.test("MLP probe: engine gradients of the head match float64 finite differences", async () => {
  const [n, d, h, k] = [5, 3, 4, 3];
  const rng = new SeededRandom(7);
  const x = Float64Array.from({ length: n * d }, () => rng.normal());
  const y = Int32Array.from([0, 2, 1, 2, 0]);
  const init = initMlpProbe(d, h, k, 3);
  const p = mlpProbeParams(init, d, h, k);
  scope(() => {
    const loss = crossEntropy(mlpProbeLogits(p, tensor(Float32Array.from(x), [n, d])), tensor(y, [n], "i32"));
    backward(loss);
  });
  const host = [init.w1, init.b1, init.w2, init.b2].map((a) => Float64Array.from(a));
  const params = [p.w1, p.b1, p.w2, p.b2];
  for (let q = 0; q < 4; q++) {
    const got = await params[q].grad!.data();
    for (let i = 0; i < host[q].length; i++) {
      const e = 1e-6;
      const plus = host.map((a) => a.slice());
      const minus = host.map((a) => a.slice());
      plus[q][i] += e;
      minus[q][i] -= e;
      const fd = (refLoss(plus, x, y, d, h, k) - refLoss(minus, x, y, d, h, k)) / (2 * e);
      assert(Math.abs(got[i] - fd) < 1e-4 + 1e-3 * Math.abs(fd), `param ${q}[${i}]: engine ${got[i]}, fd ${fd}`);
    }
  }
  for (const t of params) t.dispose();
});

function blobs(n: number, d: number, seed: number): { x: Matrix; y: Int32Array } {
  const rng = new SeededRandom(seed);
  const y = Int32Array.from({ length: n }, (_, i) => i % 3);
  const data = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) data[i * d + j] = 0.5 * rng.normal() + (j % 3 === y[i] ? 2 : 0);
  }
  return { x: { rows: n, cols: d, data }, y };
}

Deno.test("MLP probe: learns a separable three-class problem (train set → held-out set), majority baseline 1/3", async () => {
  const train = blobs(240, 6, 1);
  const held = blobs(90, 6, 2);
  const losses: number[] = [];
  const r = await trainMlpProbe(train.x, train.y, held.x, held.y, {
    lr: 1e-2,
    warmupSteps: 5,
    epochs: 6,
    onEpoch: (_, l) => losses.push(l),
  });
  assertEquals([r.trainSize, r.evalSize, r.classes, r.steps], [240, 90, 3, 6 * 8]);
  assert(r.evalAccuracy >= 0.95, `held-out accuracy ${r.evalAccuracy}`);
  assert(Math.abs(r.majorityAccuracy - 1 / 3) < 1e-9);
  assert(losses[losses.length - 1] < losses[0] / 2, `losses ${losses}`);
});

Deno.test("MLP probe: mismatched inputs and a single class are refused", async () => {
  const a = blobs(6, 2, 1);
  await assertRejects(() => trainMlpProbe(a.x, a.y.slice(1), a.x, a.y), Error, "labels");
  await assertRejects(() => trainMlpProbe(a.x, new Int32Array(6), a.x, new Int32Array(6)), Error, "one class");
});

Deno.test("MLP probe table: the task and each classification task's label, training split → evaluation split", async () => {
  const make = (n: number, seed: number): EmbeddingSet => {
    const rng = new SeededRandom(seed);
    const tasks = Array.from({ length: n }, (_, i) => (i % 2 === 0 ? "demo_label" : "demo_count"));
    const targets = tasks.map((t, i) => (t === "demo_label" ? (i % 4 === 0 ? "positive" : "negative") : String(i % 7)));
    const d = 4;
    const data = new Float64Array(n * d);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) data[i * d + j] = 0.3 * rng.normal();
      data[i * d] += tasks[i] === "demo_label" ? 2 : -2;
      data[i * d + 1] += targets[i] === "positive" ? 2 : 0;
    }
    const m = { rows: n, cols: d, data };
    return {
      stack: "decoder",
      tasks,
      ids: tasks.map((_, i) => `${i}`),
      targets,
      predictions: [],
      embeddings: m,
      pooled: m,
    };
  };
  const rows = await mlpProbeTable(make(160, 1), make(40, 2), { lr: 1e-2, warmupSteps: 2, epochs: 20 });
  assertEquals(rows.map((r) => r.target), ["task", "label: demo_label"]);
  for (const r of rows) assert(r.evalAccuracy >= 0.9, `${r.target}: ${r.evalAccuracy}`);
  assertEquals(rows[1].evalSize, 20);
  const md = mlpProbeMarkdown(rows);
  assert(md.includes("label: demo_label"));
});
