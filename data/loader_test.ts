import {
  assert,
  assertEquals,
  assertMatch,
  assertNotEquals,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import { collate, tokenizeExample, truncateIds } from "./collate.ts";
import { type LoaderState, sequentialBatches, StreamingLoader, type StreamingLoaderOptions } from "./loader.ts";
import { MixtureSampler, mixtureWeights } from "./mixing.ts";
import { TaskStream } from "./task_stream.ts";
import { collect, FakeWordTokenizer, memorySource, syntheticExamples } from "./test_helpers.ts";

Deno.test("mixtureWeights: proportional rates of the paper's GLUE train splits (Table 10)", () => {
  const train = { mnli: 392702, qqp: 362849, qnli: 103743, sst2: 66349, cola: 8551, stsb: 5749, mrpc: 3668, rte: 2490 };
  const published = { mnli: 41.5, qqp: 38.4, qnli: 11.0, sst2: 7.0, cola: 0.9, stsb: 0.61, mrpc: 0.39, rte: 0.26 };
  const w = mixtureWeights(Object.values(train));
  Object.values(published).forEach((p, i) => assert(Math.abs(w[i] * 100 - p) < 0.06, `${p} vs ${w[i] * 100}`));
  const t2 = mixtureWeights([100, 400], 2);
  assert(Math.abs(t2[0] - 1 / 3) < 1e-12);
  const flat = mixtureWeights([10, 1000, 100000], 1e9);
  flat.forEach((x) => assert(Math.abs(x - 1 / 3) < 1e-6));
  assertMatch(assertThrows(() => mixtureWeights([1, 0]), Error).message, /needs examples/);
});

Deno.test("MixtureSampler: proportions within 2% of the target over 100,000 draws", () => {
  const counts = [392702, 362849, 103743, 66349, 8551];
  for (const temperature of [1, 3]) {
    const w = mixtureWeights(counts, temperature);
    const s = new MixtureSampler(w, 42);
    const seen = new Array(w.length).fill(0);
    for (let d = 0; d < 100_000; d++) seen[s.task(d)]++;
    w.forEach((p, i) => {
      const got = seen[i] / 100_000;
      const tol = p >= 0.1 ? 0.02 * p : 0.002; // 2% relative where that is above the sampling noise
      assert(Math.abs(got - p) <= tol, `T=${temperature} task ${i}: ${got} vs ${p}`);
    });
  }
});

const tok = new FakeWordTokenizer();

async function sources() {
  return [
    await memorySource("big", syntheticExamples("big", 400), 90),
    await memorySource("mid", syntheticExamples("mid", 150), 70),
    await memorySource("tiny", syntheticExamples("tiny", 11), 4),
  ];
}

function opts(tasks: Awaited<ReturnType<typeof sources>>, extra: Partial<StreamingLoaderOptions> = {}) {
  return { tasks, tokenizer: tok, batchSize: 8, seed: 5, shuffleBuffer: 64, ...extra };
}

async function take(loader: StreamingLoader, examples: number) {
  const out: { ids: string[]; input: number[]; labels: number[] }[] = [];
  let n = 0;
  while (n < examples) {
    const b = await loader.next();
    out.push({ ids: b.ids, input: [...b.inputIds], labels: [...b.labels] });
    n += b.batchSize;
  }
  return out;
}

Deno.test("loader: resuming from the state after 1,000 examples gives the same next 1,000 as reading 2,000", async () => {
  for (const extra of [{}, { bucketBatches: 4 }, { temperature: 2 }]) {
    const src = await sources();
    const straight = await StreamingLoader.create(opts(src, extra));
    const all = await take(straight, 2000);
    await straight.close();

    const first = await StreamingLoader.create(opts(src, extra));
    const head = await take(first, 1000);
    const state: LoaderState = JSON.parse(JSON.stringify(first.state()));
    await first.close();
    assert(JSON.stringify(state).length < 300, "state is small");
    assertEquals(head, all.slice(0, head.length));

    const resumed = await StreamingLoader.create(opts(src, extra), state);
    const tail = await take(resumed, 1000);
    await resumed.close();
    assertEquals(tail, all.slice(head.length), JSON.stringify(extra));
    // The tiny task (11 examples) went through epochs, so restoring crossed epoch and shard boundaries.
    assert(state.perTask.tiny > 11, JSON.stringify(state));
  }
});

Deno.test("loader: a state saved mid-pool (bucketing) resumes exactly; another configuration is refused", async () => {
  const src = await sources();
  const o = opts(src, { bucketBatches: 5 });
  const a = await StreamingLoader.create(o);
  const all = await take(a, 8 * 12);
  const b = await StreamingLoader.create(o);
  await take(b, 8 * 7); // 7 batches: one full pool of 5 plus 2 of the next
  const st = b.state();
  assertEquals(st.batchesInPool, 2);
  assertEquals(st.examples, 40);
  const c = await StreamingLoader.create(o, st);
  assertEquals(await take(c, 8 * 5), all.slice(7));
  await Promise.all([a.close(), b.close(), c.close()]);
  assertMatch(
    (await assertRejects(() => StreamingLoader.create({ ...o, seed: 6 }, st), Error)).message,
    /another configuration/,
  );
});

Deno.test("loader: mixes proportionally to task size over 100,000 drawn examples", async () => {
  const src = await sources();
  const loader = await StreamingLoader.create(opts(src, { batchSize: 500 }));
  const seen: Record<string, number> = { big: 0, mid: 0, tiny: 0 };
  for (let i = 0; i < 200; i++) for (const t of (await loader.next()).tasks) seen[t]++;
  await loader.close();
  const total = 400 + 150 + 11;
  for (const [t, n] of [["big", 400], ["mid", 150], ["tiny", 11]] as const) {
    const p = n / total;
    // 2% relative; for tasks under 10% of the mixture 2% is below the sampling noise, so 0.2 points absolute.
    const tol = p >= 0.1 ? 0.02 * p : 0.002;
    assert(Math.abs(seen[t] / 100_000 - p) <= tol, `${t}: ${seen[t] / 100_000} vs ${p}`);
  }
});

Deno.test("loader: batches are padded to the longest row; masks, labels and task ids line up", async () => {
  const src = await sources();
  const loader = await StreamingLoader.create(opts(src, { maxSourceLength: 6, maxTargetLength: 3 }));
  for (let i = 0; i < 20; i++) {
    const b = await loader.next();
    assertStrictEquals(b.inputIds.length, b.batchSize * b.sourceLength);
    assertStrictEquals(b.labels.length, b.batchSize * b.targetLength);
    let longest = 0;
    for (let r = 0; r < b.batchSize; r++) {
      const row = b.inputIds.subarray(r * b.sourceLength, (r + 1) * b.sourceLength);
      const mask = b.attentionMask.subarray(r * b.sourceLength, (r + 1) * b.sourceLength);
      const len = mask.reduce((a, x) => a + x, 0);
      longest = Math.max(longest, len);
      assert(len <= 6);
      assertEquals(row[len - 1], 1, "every row ends with </s>, also when truncated");
      for (let k = len; k < b.sourceLength; k++) assertEquals(row[k], 0);
      const lab = b.labels.subarray(r * b.targetLength, (r + 1) * b.targetLength);
      const lm = b.labelMask.subarray(r * b.targetLength, (r + 1) * b.targetLength);
      const tl = lm.reduce((a, x) => a + x, 0);
      assertEquals(lab[tl - 1], 1);
      assertEquals([...lab.subarray(0, tl)], truncateIds(tok.encode(b.targets[r]), 3));
      assertStrictEquals(loader.tasks[b.taskIds[r]], b.tasks[r]);
    }
    assertStrictEquals(longest, b.sourceLength, "padded to the longest, not to the maximum");
  }
  await loader.close();
});

Deno.test("loader: length bucketing groups similar lengths (less padding than without)", async () => {
  const src = await sources();
  const pad = async (bucketBatches: number) => {
    const l = await StreamingLoader.create(opts(src, { bucketBatches, batchSize: 16 }));
    let padding = 0;
    for (let i = 0; i < 40; i++) {
      const b = await l.next();
      padding += b.attentionMask.length - b.attentionMask.reduce((a, x) => a + x, 0);
    }
    await l.close();
    return padding;
  };
  const plain = await pad(1);
  const bucketed = await pad(8);
  assert(bucketed < plain / 2, `${bucketed} vs ${plain}`);
});

Deno.test("TaskStream: buffer bounded by shuffleBuffer; shuffled; every example drawn about equally often", async () => {
  const src = await memorySource("t", syntheticExamples("t", 100), 30);
  const s = await TaskStream.open(src, 1, 16);
  assertEquals(s.bufferSize, 16);
  const ids: string[] = [];
  for (let i = 0; i < 3000; i++) ids.push((await s.next()).id);
  await s.close();
  const counts = new Map<string, number>();
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  assertEquals(counts.size, 100);
  for (const n of counts.values()) assert(n >= 20 && n <= 40, `count ${n}`);
  assertNotEquals(ids.slice(0, 100), Array.from({ length: 100 }, (_, i) => `t-${i}`));
  const capped = await TaskStream.open(await memorySource("u", syntheticExamples("u", 5), 2), 1, 1000);
  assertEquals(capped.bufferSize, 5);
  await capped.close();
});

Deno.test("sequentialBatches: file order, one task per batch, last batch partial, limit per task", async () => {
  const src = [
    await memorySource("a", syntheticExamples("a", 10), 4, "validation"),
    await memorySource("b", syntheticExamples("b", 3), 4, "validation"),
  ];
  const batches = await collect(sequentialBatches(src, tok, { batchSize: 4 }));
  assertEquals(batches.map((b) => b.ids), [
    ["a-0", "a-1", "a-2", "a-3"],
    ["a-4", "a-5", "a-6", "a-7"],
    ["a-8", "a-9"],
    ["b-0", "b-1", "b-2"],
  ]);
  assertEquals([...batches[3].taskIds], [1, 1, 1]);
  const limited = await collect(sequentialBatches(src, tok, { batchSize: 4, limit: 5 }));
  assertEquals(limited.map((b) => b.batchSize), [4, 1, 3]);
  const sampled = await collect(sequentialBatches(src, tok, { batchSize: 10, limit: 5, limitSeed: 3 }));
  const ids = sampled[0].ids;
  assertEquals(ids.length, 5);
  assertNotEquals(ids, ["a-0", "a-1", "a-2", "a-3", "a-4"]);
  assertEquals(ids, [...ids].sort((x, y) => Number(x.slice(2)) - Number(y.slice(2))), "file order kept");
  const again = await collect(sequentialBatches(src, tok, { batchSize: 10, limit: 5, limitSeed: 3 }));
  assertEquals(again[0].ids, ids);
  const one = collate([tokenizeExample({ task: "a", id: "x", source: "p q", target: "" }, tok)]);
  assertEquals([...one.labels], [1], "an empty target is just </s>");
});
