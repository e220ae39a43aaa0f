import { assert, assertEquals, assertMatch, assertRejects, assertStrictEquals } from "@std/assert";
import { join } from "@std/path";
import { decodeSafetensors, serializeSafetensors } from "@hyperdecoders/models";
import { listCheckpoints, loadCheckpoint, pruneCheckpoints, saveCheckpoint } from "./checkpoint.ts";

function sample(step: number, n = 10): Parameters<typeof saveCheckpoint>[1] {
  const data = Float32Array.from({ length: n }, (_, i) => step + i / 10);
  return {
    step,
    trainable: serializeSafetensors({ "decoder.w": { dtype: "F32", shape: [n], data } }, { method: "{}" }),
    optimizer: { step, m: { "decoder.w": data.map((x) => x / 2) }, v: { "decoder.w": data.map((x) => x * x) } },
    state: { loader: { examples: step * 4 } },
  };
}

Deno.test("checkpoint: save, list, load round trip and pruning keeps the newest and the protected", async () => {
  const dir = await Deno.makeTempDir();
  for (const step of [10, 20, 30]) await saveCheckpoint(dir, sample(step));
  const all = await listCheckpoints(dir);
  assertEquals(all.map((c) => c.step), [10, 20, 30]);
  const loaded = await loadCheckpoint(all[1].path);
  assertEquals(loaded.step, 20);
  const weights = decodeSafetensors(loaded.trainable).tensors["decoder.w"].data as Float32Array;
  assertEquals(Array.from(weights), Array.from(sample(20).optimizer!.m["decoder.w"].map((x) => x * 2)));
  assertEquals(loaded.state.loader, { examples: 80 });
  assertEquals(loaded.optimizer?.step, 20);
  assertEquals(Array.from(loaded.optimizer!.v["decoder.w"]), Array.from(sample(20).optimizer!.v["decoder.w"]));
  await pruneCheckpoints(dir, 1, all[0].path);
  assertEquals((await listCheckpoints(dir)).map((c) => c.step), [10, 30]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("checkpoint: a writer killed mid-write leaves the previous checkpoint loadable", async () => {
  const dir = await Deno.makeTempDir();
  await saveCheckpoint(dir, sample(1));
  // A child process writes ever larger checkpoints in a loop; we kill it with SIGKILL while it writes.
  const script = join(dir, "writer.ts");
  await Deno.writeTextFile(
    script,
    `import { saveCheckpoint } from ${JSON.stringify(new URL("./checkpoint.ts", import.meta.url).href)};
const n = 4_000_000;
for (let step = 2; ; step++) {
  const data = new Float32Array(n).fill(step);
  await saveCheckpoint(${JSON.stringify(dir)}, { step, trainable: new Uint8Array(data.buffer),
    optimizer: { step, m: { w: data }, v: { w: data } }, state: {} });
  console.log("saved", step);
}`,
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", new URL("../deno.json", import.meta.url).pathname, script],
    stdout: "piped",
    stderr: "null",
  })
    .spawn();
  // Wait until at least one big checkpoint is written, then kill during the next write.
  const reader = child.stdout.getReader();
  const first = await reader.read();
  assertMatch(new TextDecoder().decode(first.value), /saved/);
  await new Promise((r) => setTimeout(r, 150));
  child.kill("SIGKILL");
  await child.status;
  reader.releaseLock();
  await child.stdout.cancel().catch(() => {});
  const all = await listCheckpoints(dir);
  assert(all.length >= 2, "the first and at least one complete big checkpoint exist");
  for (const c of all) {
    const loaded = await loadCheckpoint(c.path);
    assertStrictEquals(loaded.step, c.step);
    if (c.step > 1) assertStrictEquals(new Float32Array(loaded.trainable.buffer)[3_999_999], c.step);
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("checkpoint: a damaged trainer_state.json is reported with its path", async () => {
  const dir = await Deno.makeTempDir();
  const path = await saveCheckpoint(dir, sample(5));
  await Deno.writeTextFile(join(path, "trainer_state.json"), "{ not json");
  assertMatch(
    (await assertRejects(() => loadCheckpoint(path), Error)).message,
    /trainer_state\.json does not match its recorded SHA-256/,
  );
  await Deno.remove(dir, { recursive: true });
});
