/**
 * Bad checkpoints give clear errors naming the file and what is wrong: each case is a folder this test writes.
 */
import { assertMatch, assertRejects } from "@std/assert";
import { join } from "@std/path";
import { initEngine } from "@hyperdecoders/core";
import { loadT5, parseT5Config, serializeSafetensors, toHfConfig } from "@hyperdecoders/models";
import { fixturePath } from "./fixtures.ts";

await initEngine();

const config = parseT5Config(JSON.parse(await Deno.readTextFile(fixturePath("t5-tiny-v1_1", "config.json"))));
const weights = await Deno.readFile(fixturePath("t5-tiny-v1_1", "model.safetensors"));

async function folder(files: Record<string, string | Uint8Array>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "hd-t5-bad-" });
  for (const [name, content] of Object.entries(files)) {
    if (typeof content === "string") await Deno.writeTextFile(join(dir, name), content);
    else await Deno.writeFile(join(dir, name), content);
  }
  return dir;
}

const configJson = JSON.stringify(toHfConfig(config));

Deno.test("loadT5: a truncated weights file is refused naming the file", async () => {
  const dir = await folder({ "config.json": configJson, "model.safetensors": weights.slice(0, weights.length - 1000) });
  assertMatch((await assertRejects(() => loadT5(dir), Error)).message, /model\.safetensors/);
});

Deno.test("loadT5: a header length past the end of the file is refused", async () => {
  const bad = weights.slice();
  new DataView(bad.buffer).setBigUint64(0, BigInt(bad.length + 10), true);
  const dir = await folder({ "config.json": configJson, "model.safetensors": bad });
  const e = await assertRejects(() => loadT5(dir), Error);
  assertMatch(e.message, /model\.safetensors/);
  assertMatch(e.message, /header/i);
});

function headerEdit(
  edit: (header: Record<string, { dtype: string; shape: number[]; data_offsets: number[] }>) => void,
) {
  const n = Number(new DataView(weights.buffer).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(weights.subarray(8, 8 + n)));
  edit(header);
  let text = JSON.stringify(header);
  while ((8 + new TextEncoder().encode(text).length) % 8 !== 0) text += " ";
  const h = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + h.length + weights.length - 8 - n);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(weights.subarray(8 + n), 8 + h.length);
  return out;
}

Deno.test("loadT5: overlapping tensor offsets are refused naming the tensor", async () => {
  const bad = headerEdit((h) => {
    const names = Object.keys(h).filter((k) => k !== "__metadata__");
    h[names[1]].data_offsets = [...h[names[0]].data_offsets];
  });
  const dir = await folder({ "config.json": configJson, "model.safetensors": bad });
  const e = await assertRejects(() => loadT5(dir), Error);
  assertMatch(e.message, /model\.safetensors/);
  assertMatch(e.message, /overlap|gap|offset/i);
});

Deno.test("loadT5: an unknown dtype is refused naming the tensor and the dtype", async () => {
  const bad = headerEdit((h) => {
    h["shared.weight"].dtype = "Q4";
  });
  const dir = await folder({ "config.json": configJson, "model.safetensors": bad });
  const e = await assertRejects(() => loadT5(dir), Error);
  assertMatch(e.message, /shared\.weight/);
  assertMatch(e.message, /Q4/);
});

Deno.test("loadT5: a tensor whose shape disagrees with config.json names both shapes", async () => {
  const wider = JSON.stringify({ ...toHfConfig(config), d_ff: config.dFf + 4 });
  const dir = await folder({ "config.json": wider, "model.safetensors": weights });
  assertMatch(
    (await assertRejects(() => loadT5(dir), Error)).message,
    /tensor "encoder\.block\.0\.layer\.1\.DenseReluDense\.wi_0\.weight" has shape \[96,64\] but config\.json implies \[100,64\]/,
  );
});

Deno.test("loadT5: a missing tensor is named", async () => {
  const { decodeSafetensors } = await import("@hyperdecoders/models");
  const { tensors } = decodeSafetensors(weights);
  const kept = Object.fromEntries(
    Object.entries(tensors)
      .filter(([k]) => k !== "decoder.final_layer_norm.weight")
      .map(([k, t]) => [k, { dtype: "F32" as const, shape: t.shape, data: t.data as Float32Array }]),
  );
  const dir = await folder({ "config.json": configJson, "model.safetensors": serializeSafetensors(kept) });
  assertMatch(
    (await assertRejects(() => loadT5(dir), Error)).message,
    /missing tensor "decoder\.final_layer_norm\.weight"/,
  );
});

Deno.test("loadT5: an unknown feed_forward_proj is refused naming config.json and the value", async () => {
  const dir = await folder({
    "config.json": JSON.stringify({ ...toHfConfig(config), feed_forward_proj: "gated-swish-x" }),
    "model.safetensors": weights,
  });
  assertMatch(
    (await assertRejects(() => loadT5(dir), Error)).message,
    /config\.json: "feed_forward_proj": "gated-swish-x"/,
  );
});

Deno.test("loadT5: a folder without weights lists what was looked for", async () => {
  const dir = await folder({ "config.json": configJson });
  assertMatch((await assertRejects(() => loadT5(dir), Error)).message, /model\.safetensors/);
});
