import { assert, assertEquals, assertMatch, assertNotEquals, assertRejects, assertThrows } from "@std/assert";
import {
  chooseMatmul,
  gemmKernel,
  type Kernel,
  type MatmulChoice,
  matmulChoiceId,
  type MatmulShape,
  planMatmul,
} from "@hyperdecoders/kernels";
import { initEngine } from "./engine.ts";
import { launch } from "./launch.ts";
import { launchMatmul } from "./ops/_matmul_launch.ts";
import { matmul } from "./ops/matmul.ts";
import {
  clearMatmulTuneClasses,
  matmulChoiceFor,
  matmulClassKey,
  matmulTuneProblem,
  sizeBucket,
} from "./ops/matmul_tune.ts";
import { refMatmul } from "./reference/matmul.ts";
import { ref } from "./reference/ref_tensor.ts";
import { assertClose, randomNormal } from "./testing.ts";
import { tensor } from "./tensor.ts";
import {
  gpuTimer,
  MemoryTuneStore,
  parseTuneMode,
  setTuner,
  type TuneCandidate,
  type TuneMode,
  type TuneProblem,
  Tuner,
  type TuneTimer,
  validateTuneCache,
} from "./tune.ts";

const engine = await initEngine();

// One tiny shape class for every GPU test here (pipelines compile once): 7×12 by 12×33, not a multiple of any tile.
const SHAPE: MatmulShape = { M: 7, N: 12, K: 33, batch: 1, transA: false, transB: false, sa: 0, sb: 0 };

/** An injected clock: each candidate "takes" the time the table gives it (unknown ids 1 s); counts calls. */
function tableTimer(table: Record<string, number>): TuneTimer & { calls: string[] } {
  const calls: string[] = [];
  const timer = (c: TuneCandidate<unknown>, encode: () => void): Promise<number> => {
    calls.push(c.id);
    encode();
    return Promise.resolve(table[c.id] ?? 1000);
  };
  return Object.assign(timer, { calls });
}

function tuner(mode: TuneMode, store: MemoryTuneStore | null, timer?: TuneTimer, background = true): Tuner {
  return new Tuner({ mode, engine, store, timer, background });
}

function candidateIds(): string[] {
  return matmulTuneProblem(SHAPE).candidates().map((c) => c.id);
}

Deno.test("tuning: the choice follows the timings, and matmul uses it", async () => {
  const ids = candidateIds();
  assert(ids.length >= 8, `expected the whole family of candidates, got ${ids}`);
  for (const fastest of [ids[ids.length - 1], ids[1]]) {
    const timer = tableTimer(Object.fromEntries(ids.map((id) => [id, id === fastest ? 1 : 5])));
    const t = tuner("cached", new MemoryTuneStore(), timer);
    const entry = await t.tune(matmulTuneProblem(SHAPE));
    assertEquals(entry.choice, fastest);
    assertEquals(timer.calls.sort(), [...ids].sort(), "every candidate passes the check and is timed");
    assertEquals(entry.timer, "injected");
    clearMatmulTuneClasses();
    setTuner(t);
    try {
      assertEquals(matmulChoiceId(matmulChoiceFor(SHAPE)), fastest);
      // A shape of the same class gets the same kernel; and the product is right.
      const ra = ref(randomNormal(8 * 33, 1), [8, 33]);
      const rb = ref(randomNormal(33 * 12, 2), [33, 12]);
      const out = matmul(tensor(Float32Array.from(ra.data), ra.shape), tensor(Float32Array.from(rb.data), rb.shape));
      assertClose(await out.data(), refMatmul(ra, rb).data, 1e-4, `matmul with ${fastest}`);
    } finally {
      setTuner(null);
    }
  }
});

Deno.test("tuning: the cache round-trips through JSON; a cached run times nothing", async () => {
  const ids = candidateIds();
  const store = new MemoryTuneStore();
  const fastest = ids[2];
  await tuner("on", store, tableTimer({ [fastest]: 0.5 })).tune(matmulTuneProblem(SHAPE));
  assertEquals(store.saves, 1);
  const json = JSON.parse(JSON.stringify(store.cache));
  const reloaded = new MemoryTuneStore(validateTuneCache(json, "tune.json"));
  const never = tableTimer({});
  const t = await tuner("cached", reloaded, never).load();
  assertEquals(matmulChoiceId(t.lookup(matmulTuneProblem(SHAPE))!), fastest);
  assertEquals(never.calls, []);
  assertEquals(t.pendingCount, 0);
  // The entry is stored under this adapter, with the per-candidate timings.
  const adapter = Object.values(json.adapters)[0] as { adapter: { description: string }; entries: object };
  assertEquals(adapter.adapter.description, engine.gpu.info.description);
  assertEquals(Object.keys(adapter.entries), [`matmul:${matmulClassKey(SHAPE)}`]);
});

Deno.test("tuning: a changed kernel source makes its entry stale", async () => {
  const store = new MemoryTuneStore();
  const ids = candidateIds();
  await tuner("on", store, tableTimer({ [ids[3]]: 0.1 })).tune(matmulTuneProblem(SHAPE));
  const fresh = await tuner("cached", store).load();
  assertEquals(matmulChoiceId(fresh.lookup(matmulTuneProblem(SHAPE))!), ids[3]);
  // The same class whose candidates' WGSL differs (as after an edit of a kernel generator): the entry is ignored.
  const edited: TuneCandidate<MatmulChoice> = {
    id: "tile64",
    value: { variant: "tile64", splits: 1, vec4: false },
    sources: ["// edited\n" + "x"],
  };
  const changed = matmulTuneProblem(SHAPE, { extraCandidates: [edited] });
  const stale = await tuner("cached", store).load();
  assertEquals(stale.lookup(changed), null);
  // Generic problems: the hash covers ids and sources.
  const generic = (source: string): TuneProblem<number> => ({
    op: "toy",
    classKey: "k",
    shape: null,
    candidates: () => [{ id: "a", value: 1, sources: [source] }],
    prepare: () => ({ run: () => {}, check: () => Promise.resolve(null), dispose: () => {} }),
  });
  const toyStore = new MemoryTuneStore();
  await tuner("on", toyStore, tableTimer({ a: 1 })).tune(generic("v1"));
  assertEquals((await tuner("cached", toyStore).load()).lookup(generic("v1")), 1);
  assertEquals((await tuner("cached", toyStore).load()).lookup(generic("v2")), null);
});

/** tile64 with the last term of K dropped: right shape, wrong by about Σ|a·b| / K. */
function brokenKernel(): Kernel {
  const good = gemmKernel("tile64", false, false, false);
  const body = good.body.replace(
    "let kEnd = min(p.K, kBegin + p.kChunk);",
    "let kEnd = min(p.K - 1u, kBegin + p.kChunk);",
  );
  assertNotEquals(body, good.body);
  return { ...good, name: "matmul_broken", body };
}

Deno.test("tuning: a wrong candidate is never chosen, however fast", async () => {
  const broken = brokenKernel();
  const brokenChoice = { variant: "tile64", splits: 1, vec4: false, broken: true } as MatmulChoice;
  const launchOne = (
    a: Parameters<typeof launchMatmul>[0],
    b: typeof a,
    out: typeof a,
    c: MatmulChoice,
    s: MatmulShape,
  ) => {
    if ((c as { broken?: boolean }).broken) {
      const plan = planMatmul({ variant: "tile64", splits: 1, vec4: false }, s);
      launch(broken, [a, b, out], plan.main.params, plan.main.grid);
    } else {
      launchMatmul(a, b, out, c, s);
    }
  };
  const problem = matmulTuneProblem(SHAPE, {
    extraCandidates: [{ id: "broken", value: brokenChoice, sources: ["broken"] }],
    launch: launchOne,
  });
  const next = candidateIds()[1];
  const timer = tableTimer({ broken: 0.001, [next]: 2 });
  const entry = await tuner("cached", null, timer).tune(problem);
  assertNotEquals(entry.choice, "broken");
  assertEquals(entry.choice, next);
  assertMatch(String(entry.timings.broken), /^wrong: C\[0\]/);
  assert(!timer.calls.includes("broken"), "a wrong candidate is not even timed");
});

Deno.test("tuning modes: off ignores the cache, cached never tunes, on tunes at first use", async () => {
  const ids = candidateIds();
  const store = new MemoryTuneStore();
  const rules = chooseMatmul(SHAPE.M, SHAPE.N, SHAPE.K, 1, false, false);
  const pick = ids.find((id) => id !== matmulChoiceId(rules))!;
  const use = async (mode: TuneMode, timer: TuneTimer): Promise<[string, Tuner]> => {
    const t = await tuner(mode, store, timer).load();
    clearMatmulTuneClasses();
    setTuner(t);
    try {
      return [matmulChoiceId(matmulChoiceFor(SHAPE)), t];
    } finally {
      setTuner(null);
    }
  };
  const never = tableTimer({});
  // Empty cache: cached and off use the rules and time nothing.
  assertEquals((await use("cached", never))[0], matmulChoiceId(rules));
  assertEquals((await use("off", never))[0], matmulChoiceId(rules));
  assertEquals(never.calls, []);
  // on: the rules serve the first use while the class is tuned in the background, then the tuned choice.
  const timer = tableTimer({ [pick]: 0.2 });
  const [first, t] = await use("on", timer);
  assertEquals(first, matmulChoiceId(rules));
  await t.settle();
  assertEquals(t.tuned, 1);
  assert(timer.calls.length >= ids.length);
  setTuner(t);
  try {
    assertEquals(matmulChoiceId(matmulChoiceFor(SHAPE)), pick);
  } finally {
    setTuner(null);
  }
  // Saved: cached now uses it; off still does not.
  assertEquals((await use("cached", never))[0], pick);
  assertEquals((await use("off", never))[0], matmulChoiceId(rules));
  assertEquals(never.calls, []);
});

Deno.test("tuning refuses to run in encode-only mode (nothing would execute)", async () => {
  engine.recorder.dryRun = true;
  try {
    await assertRejects(() => tuner("on", null, tableTimer({})).tune(matmulTuneProblem(SHAPE)), Error, "dryRun");
  } finally {
    engine.recorder.dryRun = false;
  }
});

Deno.test("gpuTimer: timestamp queries and the submit-and-wait fallback both time a real kernel", async () => {
  const problem = matmulTuneProblem(SHAPE);
  const bench = problem.prepare();
  try {
    const choice = chooseMatmul(SHAPE.M, SHAPE.N, SHAPE.K, 1, false, false);
    const c = { id: "rule", value: choice, sources: [] };
    for (const noTimestamps of [false, true]) {
      const timer = gpuTimer(engine, { trials: 1, maxReps: 4, noTimestamps });
      const ms = await timer(c, () => bench.run(choice));
      assert(Number.isFinite(ms) && ms > 0, `timer gave ${ms}`);
      const expected = noTimestamps || !engine.gpu.features.includes("timestamp-query") ? "submit-wait" : "timestamp";
      assertEquals(timer.kind(), expected);
    }
  } finally {
    bench.dispose();
  }
});

Deno.test("tuning: modes, caches and classes are validated with clear errors", () => {
  assertEquals(parseTuneMode(undefined, "HYPERDECODERS_TUNE"), "cached");
  assertEquals(parseTuneMode(" On ", "HYPERDECODERS_TUNE"), "on");
  assertThrows(
    () => parseTuneMode("fast", "HYPERDECODERS_TUNE"),
    Error,
    'HYPERDECODERS_TUNE: "fast" is not a tuning mode',
  );
  assertThrows(() => validateTuneCache({ version: 2 }, "/x/tune.json"), Error, "/x/tune.json: not a tuning cache");
  assertThrows(
    () => validateTuneCache({ version: 1, adapters: { a: { entries: { k: { choice: 1 } } } } }, "t.json"),
    Error,
    'entry "k" of adapter "a"',
  );
  assertEquals([1, 2, 3, 5, 7, 64, 65, 96, 97, 768, 769, 4096].map(sizeBucket), [
    1,
    2,
    3,
    6,
    8,
    64,
    96,
    96,
    128,
    768,
    1024,
    4096,
  ]);
  assertNotEquals(matmulClassKey(SHAPE), matmulClassKey({ ...SHAPE, transB: true }));
  assertEquals(matmulClassKey(SHAPE), matmulClassKey({ ...SHAPE, M: 8 }));
});
