import { assertEquals, assertMatch, assertRejects, assertStrictEquals } from "@std/assert";
import { join } from "@std/path";
import { fixturePath } from "../../tests/fixtures.ts";
import { openCheckpoint } from "./open_checkpoint.ts";
import { decodeSafetensors } from "./safetensors.ts";
import { serializeSafetensors, type TensorToWrite } from "./safetensors_writer.ts";

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "hd-ckpt-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("openCheckpoint prefers model.safetensors when pytorch_model.bin is also there", async () => {
  const ckpt = await openCheckpoint(fixturePath("t5-tiny-v1_1"));
  try {
    assertEquals(ckpt.format, "safetensors");
    assertMatch(ckpt.label, /model\.safetensors$/);
    const t = await ckpt.readFloat32("shared.weight");
    assertEquals(t.shape, [300, 64]);
    assertStrictEquals(t.data.length, 300 * 64);
  } finally {
    ckpt.close();
  }
});

Deno.test("openCheckpoint falls back to pytorch_model.bin, then to sharded indexes", async () => {
  const weights = await Deno.readFile(fixturePath("t5-tiny-v1_1", "model.safetensors"));
  const { tensors } = decodeSafetensors(weights);
  const names = Object.keys(tensors);
  await withTempDir(async (dir) => {
    await Deno.copyFile(fixturePath("t5-tiny-v1_1", "pytorch_model.bin"), join(dir, "pytorch_model.bin"));
    const bin = await openCheckpoint(dir);
    assertEquals(bin.format, "pytorch");
    assertEquals((await bin.read("lm_head.weight")).data, tensors["lm_head.weight"].data);
    bin.close();

    // A sharded safetensors index wins over pytorch_model.bin.
    const half = Math.ceil(names.length / 2);
    const shards = [names.slice(0, half), names.slice(half)];
    const weightMap: Record<string, string> = {};
    for (const [i, part] of shards.entries()) {
      const file = `model-0000${i + 1}-of-00002.safetensors`;
      const sub = Object.fromEntries(part.map((n) => [n, tensors[n] as TensorToWrite]));
      await Deno.writeFile(join(dir, file), serializeSafetensors(sub, { format: "pt" }));
      for (const n of part) weightMap[n] = file;
    }
    await Deno.writeTextFile(join(dir, "model.safetensors.index.json"), JSON.stringify({ weight_map: weightMap }));
    const sharded = await openCheckpoint(dir);
    try {
      assertEquals(sharded.format, "safetensors-sharded");
      assertEquals(sharded.names(), names);
      for (const n of [names[0], names[names.length - 1]]) {
        assertEquals((await sharded.read(n)).data, tensors[n].data, n);
      }
    } finally {
      sharded.close();
    }
    // A single file can be named directly.
    const direct = await openCheckpoint(join(dir, "pytorch_model.bin"));
    assertEquals(direct.format, "pytorch");
    direct.close();
  });
});

Deno.test("openCheckpoint lists what it looked for when the folder has no weights", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "config.json"), "{}");
    assertMatch(
      (await assertRejects(() => openCheckpoint(dir), Error)).message,
      /no checkpoint weights in '.*': looked for model\.safetensors, model\.safetensors\.index\.json, pytorch_model\.bin, pytorch_model\.bin\.index\.json; the folder holds config\.json/,
    );
  });
  assertMatch(
    (await assertRejects(() => openCheckpoint("/nonexistent/hd-checkpoint"), Error)).message,
    /checkpoint '\/nonexistent\/hd-checkpoint'/,
  );
});
