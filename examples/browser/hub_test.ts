import { assertEquals, assertRejects } from "@std/assert";
import { fixturePath } from "../../tests/fixtures.ts";
import { fakeRepo, readFolder, startFakeHub } from "../../tests/fake_hub.ts";
import { hubModelFiles, pickCheckpointFiles } from "./app.ts";

const MODEL_DIR = fixturePath("t5-tiny-v1_1");
const ignore = !await Deno.stat(MODEL_DIR).then(() => true, () => false);

Deno.test({
  name: "browser example: hubModelFiles fetches config, weights and tokenizer from a Hub's resolve URLs",
  ignore,
  fn: async () => {
    const files = await readFolder(MODEL_DIR);
    files.set("spiece.model", await Deno.readFile(fixturePath("spm-2k", "spiece.model")));
    const hub = startFakeHub([
      fakeRepo("model", "fixtures/t5-tiny-v1_1", files),
      fakeRepo("model", "fixtures/gated", files, true),
    ]);
    try {
      const got = await hubModelFiles("hf:fixtures/t5-tiny-v1_1", { endpoint: hub.url });
      const { config, weights } = pickCheckpointFiles(got.checkpoint);
      assertEquals(new Uint8Array(await weights.blob.arrayBuffer()), files.get("model.safetensors"));
      assertEquals(await config.blob.text(), new TextDecoder().decode(files.get("config.json")));
      assertEquals(got.tokenizer.name, "spiece.model");
      await assertRejects(() => hubModelFiles("hf:fixtures/gated", { endpoint: hub.url }), Error, "gated or private");
      await assertRejects(() => hubModelFiles("hf:nobody/none", { endpoint: hub.url }), Error, "no config.json");
    } finally {
      await hub.close();
    }
  },
});
