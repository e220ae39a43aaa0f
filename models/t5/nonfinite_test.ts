import { assertMatch, assertRejects } from "@std/assert";
import { join } from "@std/path";
import { initEngine } from "@hyperdecoders/core";
import { fixturePath } from "../../tests/fixtures.ts";
import { decodeSafetensors } from "../io/safetensors.ts";
import { serializeSafetensors, type TensorToWrite } from "../io/safetensors_writer.ts";
import { loadT5 } from "./load_dir.ts";

await initEngine();

Deno.test("a base checkpoint with a NaN or infinity is refused on load, naming the tensor", async () => {
  const dir = await Deno.makeTempDir({ prefix: "nonfinite-" });
  try {
    await Deno.copyFile(fixturePath("t5-tiny-v1_1", "config.json"), join(dir, "config.json"));
    const { tensors } = decodeSafetensors(await Deno.readFile(fixturePath("t5-tiny-v1_1", "model.safetensors")));
    for (const bad of [NaN, -Infinity]) {
      const out: Record<string, TensorToWrite> = {};
      for (const [name, t] of Object.entries(tensors)) {
        const data = new Float32Array(t.data as Float32Array);
        if (name === "decoder.final_layer_norm.weight") data[3] = bad;
        out[name] = { dtype: "F32", shape: t.shape, data };
      }
      await Deno.writeFile(join(dir, "model.safetensors"), serializeSafetensors(out));
      const err = await assertRejects(() => loadT5(dir));
      assertMatch(
        (err as Error).message,
        new RegExp(
          `tensor "decoder.final_layer_norm.weight" holds 1 non-finite value\\(s\\) \\(first: ${bad} at index 3\\)`,
        ),
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
