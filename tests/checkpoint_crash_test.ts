/**
 * Checkpoints under SIGKILL at every rename / unlink / folder removal of a re-save (issue 12, item 2), and damaged
 * checkpoints on load (item 9).
 */
import { assert, assertEquals, assertMatch, assertRejects } from "@std/assert";
import { join } from "@std/path";
import { decodeSafetensors, serializeSafetensors } from "@hyperdecoders/models";
import {
  type CheckpointData,
  listCheckpoints,
  loadCheckpoint,
  loadLatestCheckpoint,
  recoverCheckpoints,
  saveCheckpoint,
} from "../train/checkpoint.ts";
import { DENO_CONFIG, faultTest, type KillPoint, runDeno } from "./fault_injection.ts";

/** A small checkpoint whose weights are all `fill`. */
function sample(step: number, fill: number): CheckpointData {
  const data = new Float32Array(1000).fill(fill);
  return {
    step,
    trainable: serializeSafetensors({ "decoder.w": { dtype: "F32", shape: [1000], data } }, { method: "{}" }),
    optimizer: { step, m: { "decoder.w": data.map((x) => x / 2) }, v: { "decoder.w": data.map((x) => x * x) } },
    state: { loader: { examples: step * 4 } },
  };
}

function fillOf(c: CheckpointData): number {
  return (decodeSafetensors(c.trainable).tensors["decoder.w"].data as Float32Array)[0];
}

const CHECKPOINT_TS = new URL("../train/checkpoint.ts", import.meta.url).href;
const MODELS = new URL("../models/mod.ts", import.meta.url).href;

faultTest("re-saving a step's checkpoint, killed at any rename or removal, never loses that step", async (shim) => {
  const root = await Deno.makeTempDir({ prefix: "ckpt-crash-" });
  try {
    const script = join(root, "resave.ts");
    await Deno.writeTextFile(
      script,
      `import { pruneCheckpoints, saveCheckpoint } from ${JSON.stringify(CHECKPOINT_TS)};
if (Deno.args[1] === "prune") {
  await pruneCheckpoints(Deno.args[0], 1);
  Deno.exit(0);
}
import { serializeSafetensors } from ${JSON.stringify(MODELS)};
const data = new Float32Array(1000).fill(2);
await saveCheckpoint(Deno.args[0], {
  step: 10,
  trainable: serializeSafetensors({ "decoder.w": { dtype: "F32", shape: [1000], data } }, { method: "{}" }),
  optimizer: { step: 10, m: { "decoder.w": data.map((x) => x / 2) }, v: { "decoder.w": data.map((x) => x * x) } },
  state: { loader: { examples: 40 } },
});
console.log("saved");`,
    );
    const points: KillPoint[] = [
      ...[1, 2, 3, 4, 5, 6].map((nth) => ({ call: "rename" as const, match: "checkpoint-00000010", nth })),
      // Recursive removal unlinks files by their names relative to the folder.
      { call: "unlink", match: ".safetensors" },
      { call: "rmdir", match: "checkpoint-00000010" },
    ];
    let killedAt = 0;
    for (const [i, point] of points.entries()) {
      const dir = join(root, `run${i}`);
      await saveCheckpoint(dir, sample(5, 0));
      await saveCheckpoint(dir, sample(10, 1));
      const r = await runDeno(shim, ["run", "-A", "--no-check", "--config", DENO_CONFIG, script, dir], point);
      const what = `${point.call} #${point.nth ?? 1}`;
      if (r.killed) killedAt++;
      else assertEquals(r.code, 0, `${what}: ${r.output}`);
      await recoverCheckpoints(dir);
      assertEquals((await listCheckpoints(dir)).map((c) => c.step), [5, 10], what);
      const latest = await loadLatestCheckpoint(dir, { warn: (m) => assert(false, `${what}: ${m}`) });
      assertEquals(latest?.data.step, 10, what);
      assert([1, 2].includes(fillOf(latest!.data)), `${what}: weights ${fillOf(latest!.data)}`);
      assertEquals([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
        "checkpoint-00000005",
        "checkpoint-00000010",
      ]);
    }
    assertEquals(killedAt, points.length, `only ${killedAt} of ${points.length} kill points were reached`);
    // Pruning killed mid-delete leaves no half-deleted checkpoint behind.
    const dir = join(root, "prune");
    await saveCheckpoint(dir, sample(5, 0));
    await saveCheckpoint(dir, sample(10, 1));
    const r = await runDeno(shim, ["run", "-A", "--no-check", "--config", DENO_CONFIG, script, dir, "prune"], {
      call: "unlink",
      match: ".safetensors",
      nth: 1,
    });
    assert(r.killed, r.output);
    for (const c of await listCheckpoints(dir)) await loadCheckpoint(c.path);
    await recoverCheckpoints(dir);
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["checkpoint-00000010"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a damaged latest checkpoint falls back to the previous one with a warning naming the damage", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ckpt-damage-" });
  try {
    await saveCheckpoint(dir, sample(10, 1));
    const damages: [string, (p: string) => Promise<void>, RegExp][] = [
      ["flipped weight bytes", async (p) => {
        const b = await Deno.readFile(join(p, "trainable.safetensors"));
        b[b.length - 10] ^= 0x01;
        await Deno.writeFile(join(p, "trainable.safetensors"), b);
      }, /trainable\.safetensors does not match its recorded SHA-256/],
      ["truncated", async (p) => {
        const b = await Deno.readFile(join(p, "optimizer.safetensors"));
        await Deno.writeFile(join(p, "optimizer.safetensors"), b.subarray(0, b.length >> 1));
      }, /optimizer\.safetensors does not match its recorded SHA-256/],
      ["empty state", (p) => Deno.writeTextFile(join(p, "trainer_state.json"), ""), /trainer_state\.json does not/],
      ["checksums lost", (p) => Deno.writeTextFile(join(p, "checksums.json"), "{"), /checksums\.json is damaged/],
    ];
    for (const [what, damage, expected] of damages) {
      const latest = await saveCheckpoint(dir, sample(20, 2));
      await damage(latest);
      const warnings: string[] = [];
      const got = await loadLatestCheckpoint(dir, { warn: (m) => warnings.push(m) });
      assertEquals(got?.data.step, 10, what);
      assertEquals(fillOf(got!.data), 1, what);
      assertEquals(warnings.length, 1, what);
      assertMatch(warnings[0], expected, what);
      assertMatch(warnings[0], /checkpoint-00000020 is damaged: .*; falling back to .*checkpoint-00000010/, what);
      await assertRejects(() => loadCheckpoint(latest), Error, "damaged checkpoint");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a checkpoint without optimizer.safetensors is refused unless a fresh optimiser is asked for", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ckpt-noopt-" });
  try {
    const path = await saveCheckpoint(dir, { ...sample(10, 1), optimizer: null });
    await assertRejects(() => loadLatestCheckpoint(dir), Error, "pass --fresh-optimizer");
    const got = await loadLatestCheckpoint(dir, { freshOptimizer: true });
    assertEquals(got?.path, path);
    assertEquals(got?.data.optimizer, null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
