import { assert, assertEquals, assertStrictEquals } from "@std/assert";
import { backward } from "./autograd.ts";
import { getEngine, initEngine } from "./engine.ts";
import { add, tanh } from "./ops/elementwise.ts";
import { fill_ } from "./ops/create.ts";
import { matmul } from "./ops/matmul.ts";
import { mean } from "./ops/reduce.ts";
import { clipGradNorm } from "./optim/clip.ts";
import { AdamW } from "./optim/adamw.ts";
import { scope } from "./scope.ts";
import { type Tensor, tensor } from "./tensor.ts";
import { randomNormal } from "./testing.ts";

await initEngine();

Deno.test("recorder: bind groups are cached per pipeline and buffer set, recreated after clearBindGroups", async () => {
  const engine = getEngine();
  const stats = engine.recorder.stats;
  const a = tensor([1, 2, 3, 4], [2, 2]);
  const b = tensor([5, 6, 7, 8], [2, 2]);
  const c = tensor([1, 0, 0, 1], [2, 2]);
  const expected = [6, 8, 10, 12];
  add(a, b).dispose(); // warm: its output buffer goes back to the pool and is handed out again below
  let before = stats.bindGroups;
  for (let i = 0; i < 3; i++) {
    const out = add(a, b);
    assertEquals(Array.from(await out.data()), expected, "the cached group binds the right buffers");
    out.dispose();
  }
  assertStrictEquals(stats.bindGroups, before, "the same buffers reuse one bind group");
  before = stats.bindGroups;
  const other = add(a, c); // another input buffer: another group
  assert(stats.bindGroups > before, "new buffers need a new bind group");
  assertEquals(Array.from(await other.data()), [2, 2, 3, 5]);
  engine.recorder.clearBindGroups();
  before = stats.bindGroups;
  const again = add(a, b);
  assert(stats.bindGroups > before, "cleared groups are created again");
  assertEquals(Array.from(await again.data()), expected);
  for (const t of [a, b, c, other, again]) t.dispose();
});

Deno.test("recorder: consecutive dispatches of one kernel with different parameters each see their own", async () => {
  const xs = Array.from({ length: 5 }, (_, i) => tensor([i, i + 1, i + 2], [3]));
  const outs = xs.map((x) => add(x, x));
  for (let i = 0; i < 5; i++) assertEquals(Array.from(await outs[i].data()), [2 * i, 2 * i + 2, 2 * i + 4]);
  for (const t of [...xs, ...outs]) t.dispose();
});

Deno.test("recorder: a repeated training step creates no pipelines, bind groups or buffers once warm", async () => {
  const engine = getEngine();
  const stats = engine.recorder.stats;
  const x = tensor(Float32Array.from(randomNormal(8 * 5, 1)), [8, 5]);
  const w1 = tensor(Float32Array.from(randomNormal(5 * 7, 2, 0.5)), [5, 7]).asParameter("w1");
  const w2 = tensor(Float32Array.from(randomNormal(7 * 3, 3, 0.5)), [7, 3]).asParameter("w2");
  const params = [w1, w2];
  const opt = new AdamW(params);
  let last: Tensor | null = null;
  const created: number[][] = [];
  for (let step = 0; step < 6; step++) {
    const s0 = [stats.pipelines, stats.bindGroups, engine.pool.buffersCreated];
    const loss: Tensor = scope(() => {
      const l = mean(matmul(tanh(matmul(x, w1)), w2));
      backward(l);
      clipGradNorm(params, 1);
      opt.step();
      opt.zeroGrad();
      return l;
    });
    engine.flush();
    last?.dispose();
    last = loss;
    created.push([stats.pipelines - s0[0], stats.bindGroups - s0[1], engine.pool.buffersCreated - s0[2]]);
  }
  assert(Number.isFinite(await last!.item()));
  assert(created[0][1] > 0, "the first step creates bind groups (else the test measures nothing)");
  // the step keeps the previous loss alive, so the free set alternates between two states: warm after 3 steps
  for (let step = 3; step < 6; step++) {
    assertEquals(created[step], [0, 0, 0], `step ${step}: [pipelines, bind groups, buffers] created`);
  }
  last!.dispose();
  opt.dispose();
  for (const t of [x, ...params]) t.dispose();
});

Deno.test("recorder: dryRun finishes command buffers without submitting them (nothing runs)", async () => {
  const engine = getEngine();
  const stats = engine.recorder.stats;
  const t = tensor([1, 2, 3], [3]);
  await engine.sync();
  const [submits, dropped] = [stats.submits, stats.dropped];
  engine.recorder.dryRun = true;
  try {
    fill_(t, 7);
    engine.flush();
  } finally {
    engine.recorder.dryRun = false;
  }
  assertStrictEquals(stats.submits, submits, "no submit in dry-run mode");
  assertStrictEquals(stats.dropped, dropped + 1, "one command buffer dropped");
  assertEquals(Array.from(await t.data()), [1, 2, 3], "the fill never ran");
  fill_(t, 7);
  assertEquals(Array.from(await t.data()), [7, 7, 7], "after dryRun the recorder submits again");
  t.dispose();
});

Deno.test("recorder: profile times each dispatch in its own pass and sums by kernel; results are unchanged", async () => {
  const recorder = getEngine().recorder;
  const a = tensor(randomNormal(64 * 64, 1), [64, 64]);
  const b = tensor(randomNormal(64 * 64, 2), [64, 64]);
  const outs: Tensor[] = [];
  const before = recorder.dispatchCounts();
  // more dispatches than one query set holds would need 2048; three kernels, several dispatches each
  const profile = await recorder.profile(() => {
    for (let i = 0; i < 5; i++) outs.push(add(matmul(a, b), a), tanh(b));
  });
  if (profile === null) {
    assert(!getEngine().gpu.features.includes("timestamp-query"), "null only without timestamp queries");
  } else {
    const counted = new Map<string, number>();
    for (const [name, n] of recorder.dispatchCounts()) {
      const d = n - (before.get(name) ?? 0);
      if (d > 0) counted.set(name, d);
    }
    assertEquals(new Map(profile.map((r) => [r.kernel, r.dispatches])), counted, "every dispatch profiled, by kernel");
    assert(profile.every((r) => r.ms >= 0 && Number.isFinite(r.ms)), JSON.stringify(profile));
    assert(profile.some((r) => r.ms > 0), "some GPU time measured");
    for (let k = 1; k < profile.length; k++) assert(profile[k - 1].ms >= profile[k].ms, "largest first");
  }
  const plain = add(matmul(a, b), a);
  assertEquals(await outs[0].data(), await plain.data(), "a profiled dispatch computes the same values");
  for (const t of [a, b, plain, ...outs]) t.dispose();
});

Deno.test("recorder: a profile longer than one query set (2048 dispatches) times every dispatch", async () => {
  const x = tensor([1, 2, 3, 4], [4]);
  const outs: Tensor[] = [];
  const profile = await getEngine().recorder.profile(() => {
    for (let i = 0; i < 2100; i++) outs.push(add(x, x));
  });
  if (profile !== null) {
    assertEquals(profile.map((r) => [r.kernel, r.dispatches]), [["binary_add", 2100]]);
    assert(profile[0].ms > 0);
  }
  assertEquals(Array.from(await outs[2099].data()), [2, 4, 6, 8]);
  for (const t of [x, ...outs]) t.dispose();
});
