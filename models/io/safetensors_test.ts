import { assert, assertEquals, assertMatch, assertRejects, assertStrictEquals, assertThrows } from "@std/assert";
import { fixturePath } from "../../tests/fixtures.ts";
import { blobReader, bytesReader } from "./byte_reader.ts";
import { bf16BitsToFloat32, float32ToBf16Bits, toInt32Array } from "./dtype.ts";
import { openFileReader } from "./file_reader.ts";
import { openSafetensorsFile } from "./open_checkpoint.ts";
import { decodeSafetensors, openSafetensorsBytes, SafetensorsSource } from "./safetensors.ts";
import { serializeSafetensors, type TensorToWrite } from "./safetensors_writer.ts";
import { parseShardIndex, ShardedSource } from "./sharded.ts";

const V11 = (...p: string[]): string => fixturePath("t5-tiny-v1_1", ...p);

/** Builds a file from a header object and a data section, for malformed-header tests. */
function rawFile(header: unknown, data: Uint8Array | number, headerText?: string): Uint8Array {
  const json = new TextEncoder().encode(headerText ?? JSON.stringify(header));
  const body = typeof data === "number" ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + json.length + body.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(body, 8 + json.length);
  return out;
}

Deno.test("fixture model.safetensors: header, names and F32 values read through a file reader", async () => {
  const src = await openSafetensorsFile(V11("model.safetensors"));
  try {
    assertEquals(src.metadata.format, "pt");
    assert(src.has("shared.weight") && src.has("lm_head.weight"));
    assertEquals(src.info("shared.weight"), { dtype: "F32", shape: [300, 64] });
    const t = await src.readFloat32("encoder.final_layer_norm.weight");
    assertEquals(t.data.length, 64);
    // Norm weights were drawn as 1 + 0.2·N(0,1): all finite, centred near 1, not all equal.
    const mean = t.data.reduce((a, b) => a + b, 0) / 64;
    assert(Math.abs(mean - 1) < 0.15 && new Set(t.data).size > 32, `mean ${mean}`);
    assertMatch(
      (await assertRejects(() => src.read("nope.weight"), Error)).message,
      /no tensor named 'nope.weight'.*e\.g\. 'decoder/,
    );
  } finally {
    src.close();
  }
});

Deno.test("model.bf16.safetensors equals the F32 weights rounded to bf16, and the writer reproduces it byte for byte", async () => {
  const f32Bytes = await Deno.readFile(V11("model.safetensors"));
  const bf16Bytes = await Deno.readFile(V11("model.bf16.safetensors"));
  const f32 = decodeSafetensors(f32Bytes).tensors;
  const bf16 = await openSafetensorsBytes(bf16Bytes, "model.bf16.safetensors");
  assertEquals(bf16.names().sort(), Object.keys(f32).sort());
  const asBf16: Record<string, TensorToWrite> = {};
  for (const name of bf16.names()) {
    const got = await bf16.read(name);
    assertEquals(got.dtype, "BF16");
    const want = bf16BitsToFloat32(float32ToBf16Bits(f32[name].data as Float32Array));
    assertEquals(got.shape, f32[name].shape);
    assertEquals(got.data, want, name);
    asBf16[name] = { dtype: "BF16", shape: f32[name].shape, data: f32[name].data as Float32Array };
  }
  assertEquals(serializeSafetensors(asBf16, { format: "pt" }), bf16Bytes);
});

Deno.test("writer reproduces the reference files byte for byte (F32 with metadata; mixed I64/F32 without)", async () => {
  for (const file of ["model.safetensors", "reference_io.safetensors"]) {
    const bytes = await Deno.readFile(V11(file));
    const { metadata, tensors } = decodeSafetensors(bytes, file);
    const again = serializeSafetensors(
      tensors as Record<string, TensorToWrite>,
      Object.keys(metadata).length ? metadata : undefined,
    );
    assertEquals(again, bytes, file);
  }
});

Deno.test("reference_io I64 tensors decode to BigInt64Array with token-id values", async () => {
  const src = await SafetensorsSource.open(
    blobReader(new Blob([await Deno.readFile(V11("reference_io.safetensors"))])),
    "reference_io",
  );
  const ids = await src.read("input_ids");
  assertEquals(ids.dtype, "I64");
  assert(ids.data instanceof BigInt64Array);
  assertEquals(ids.shape, [2, 40]);
  const config = JSON.parse(await Deno.readTextFile(V11("config.json")));
  const asInt = toInt32Array(ids.data);
  assert(asInt.every((v) => v >= 0 && v < config.vocab_size));
  const mask = toInt32Array((await src.read("attention_mask")).data);
  assert(mask.every((v) => v === 0 || v === 1));
  assert(mask.slice(40).includes(0), "row 1 is padded");
  const labels = toInt32Array((await src.read("labels")).data);
  assert(labels.includes(-100), "labels keep -100 for ignored positions");
  const loss = await src.readFloat32("loss");
  assertEquals(loss.shape, [1]);
  const ref = JSON.parse(await Deno.readTextFile(V11("reference.json")));
  assert(Math.abs(loss.data[0] - ref.loss) < 1e-5, `${loss.data[0]} vs ${ref.loss}`);
});

Deno.test("round trip of every dtype, scalars, empty tensors and integer-like names", async () => {
  const tensors: Record<string, TensorToWrite> = {
    "f32": { dtype: "F32", shape: [2, 3], data: new Float32Array([1, -2, 3.5, 0, -0, 1e-30]) },
    "f16": { dtype: "F16", shape: [3], data: new Float32Array([1.5, -65504, 2 ** -24]) },
    "bf16": { dtype: "BF16", shape: [2], data: [1, -3.140625] },
    "f64": { dtype: "F64", shape: [1], data: [Math.PI] },
    "i64": { dtype: "I64", shape: [3], data: new BigInt64Array([-(2n ** 62n), 0n, 2n ** 40n]) },
    "i64_from_numbers": { dtype: "I64", shape: [2], data: [-100, 7] },
    "i32": { dtype: "I32", shape: [2], data: new Int32Array([-5, 2147483647]) },
    "u8": { dtype: "U8", shape: [2], data: new Uint8Array([0, 255]) },
    "mask": { dtype: "BOOL", shape: [3], data: [1, 0, 1] },
    "scalar": { dtype: "F32", shape: [], data: [42] },
    "empty": { dtype: "F32", shape: [0, 5], data: [] },
    "12": { dtype: "F32", shape: [1], data: [12] },
    "0": { dtype: "F32", shape: [1], data: [0.5] },
  };
  const bytes = serializeSafetensors(tensors, { format: "pt", "note": "x" });
  const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assertEquals((8 + headerLen) % 8, 0, "data section is 8-aligned");
  const header = new TextDecoder().decode(bytes.subarray(8, 8 + headerLen));
  assert(header.startsWith('{"__metadata__":{"format":"pt","note":"x"},"i64":'), header.slice(0, 80));
  assertMatch(header, /"u8":\{[^}]*\},"mask":.*\} *$/, "BOOL is last, padding is spaces");
  const src = await openSafetensorsBytes(bytes);
  assertEquals(src.metadata, { format: "pt", note: "x" });
  for (const [name, t] of Object.entries(tensors)) {
    const got = await src.read(name);
    assertStrictEquals(got.dtype, t.dtype);
    assertEquals(got.shape, t.shape);
    const want = t.dtype === "I64" ? [...t.data].map((v) => BigInt(v)) : [...t.data].map(Number);
    const have = t.dtype === "F32" || t.dtype === "F64" || t.dtype === "F16" || t.dtype === "BF16"
      ? [...got.data].map(Number)
      : [...got.data];
    if (t.dtype === "F32") assertEquals(have, [...new Float32Array(want as number[])], name);
    else assertEquals(have, want, name);
  }
});

Deno.test("writer refuses bad shapes, counts and out-of-range values, naming the tensor", () => {
  assertMatch(
    assertThrows(() => serializeSafetensors({ w: { dtype: "F32", shape: [2, 2], data: [1, 2, 3] } }), Error).message,
    /tensor 'w'.*needs 4 values, got 3/,
  );
  assertMatch(
    assertThrows(() => serializeSafetensors({ w: { dtype: "I32", shape: [1], data: [2 ** 31] } }), Error).message,
    /tensor 'w'.*I32/,
  );
  assertMatch(
    assertThrows(() => serializeSafetensors({ w: { dtype: "U8", shape: [1], data: [1.5] } }), Error).message,
    /tensor 'w'/,
  );
  assertMatch(
    assertThrows(() => serializeSafetensors({ w: { dtype: "F32", shape: [-1], data: [] } }), Error).message,
    /tensor 'w'.*shape/,
  );
  assertMatch(
    assertThrows(() => serializeSafetensors({ __metadata__: { dtype: "F32", shape: [], data: [1] } }), Error).message,
    /reserved/,
  );
});

Deno.test("malformed files are refused with errors naming the file and the tensor", async () => {
  const ok = {
    a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
    b: { dtype: "F32", shape: [1], data_offsets: [8, 12] },
  };
  const open = (bytes: Uint8Array) => openSafetensorsBytes(bytes, "bad.safetensors");
  // Sanity: the well-formed variant opens.
  assertEquals((await open(rawFile(ok, 12))).names(), ["a", "b"]);

  assertMatch((await assertRejects(() => open(new Uint8Array(5)), Error)).message, /'bad.safetensors'.*only 5 bytes/);
  assertMatch(
    (await assertRejects(() => open(rawFile(ok, 12).subarray(0, 30)), Error)).message,
    /'bad.safetensors'.*truncated/,
  );
  assertMatch(
    (await assertRejects(() => open(rawFile(ok, 8)), Error)).message,
    /'bad.safetensors'.*need 12 data bytes.*has 8.*truncated/,
  );
  assertMatch((await assertRejects(() => open(rawFile(ok, 16)), Error)).message, /trailing bytes/);
  assertMatch(
    (await assertRejects(() => open(rawFile(null, 0, '{"a": {"dtype": "F32",')), Error)).message,
    /'bad.safetensors'.*not valid JSON/,
  );
  assertMatch((await assertRejects(() => open(rawFile(null, 0, "[1,2]")), Error)).message, /does not start with '\{'/);
  const huge = new Uint8Array(16);
  new DataView(huge.buffer).setBigUint64(0, 2n ** 40n, true);
  assertMatch((await assertRejects(() => open(huge), Error)).message, /header length .* exceeds/);
  assertMatch(
    (await assertRejects(
      () => open(rawFile({ a: ok.a, b: { dtype: "F32", shape: [1], data_offsets: [4, 8] } }, 8)),
      Error,
    )).message,
    /tensor 'b'.*overlap/,
  );
  assertMatch(
    (await assertRejects(
      () => open(rawFile({ a: ok.a, b: { dtype: "F32", shape: [1], data_offsets: [12, 16] } }, 16)),
      Error,
    )).message,
    /tensor 'b'.*hole after 8/,
  );
  assertMatch(
    (await assertRejects(() => open(rawFile({ a: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }, 8)), Error))
      .message,
    /'bad.safetensors': tensor 'a': F32 \[3\] needs 12 bytes but data_offsets \[0, 8\] span 8/,
  );
  assertMatch(
    (await assertRejects(() => open(rawFile({ a: { dtype: "Q4", shape: [1], data_offsets: [0, 1] } }, 1)), Error))
      .message,
    /tensor 'a'.*'Q4'/,
  );
  assertMatch(
    (await assertRejects(() => open(rawFile({ a: { dtype: "F32", shape: [1.5], data_offsets: [0, 4] } }, 4)), Error))
      .message,
    /tensor 'a'.*shape/,
  );
  assertMatch(
    (await assertRejects(() => open(rawFile({ __metadata__: { n: 1 } }, 0)), Error)).message,
    /__metadata__ value for 'n'/,
  );
  const badUtf8 = rawFile(null, 0, "{}");
  badUtf8[9] = 0xff;
  assertMatch((await assertRejects(() => open(badUtf8), Error)).message, /not valid UTF-8/);
});

Deno.test("headers with leading whitespace and FP8 entries open; only reading the FP8 tensor fails", async () => {
  const header =
    ' \n{"x":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]},"y":{"dtype":"I32","shape":[],"data_offsets":[2,6]}}';
  const data = new Uint8Array([1, 2, 7, 0, 0, 0]);
  const src = await openSafetensorsBytes(rawFile(null, data, header), "fp8.safetensors");
  assertEquals([...(await src.read("y")).data], [7]);
  assertMatch(
    (await assertRejects(() => src.read("x"), Error)).message,
    /tensor 'x' has dtype F8_E4M3, which is not supported/,
  );
});

Deno.test("file reader serves concurrent reads correctly", async () => {
  const path = V11("model.safetensors");
  const whole = await Deno.readFile(path);
  const reader = await openFileReader(path);
  try {
    const ranges = Array.from({ length: 40 }, (_, i) => [(i * 7919) % (whole.length - 5000), 1000 + i * 97]);
    const got = await Promise.all(ranges.map(([o, n]) => reader.read(o, n)));
    ranges.forEach(([o, n], i) => assertEquals(got[i], whole.subarray(o, o + n)));
    assertMatch((await assertRejects(() => reader.read(whole.length - 2, 4), Error)).message, /past the end/);
  } finally {
    reader.close();
  }
  assertMatch((await assertRejects(() => reader.read(0, 1), Error)).message, /closed/);
});

Deno.test("sharded source routes names to shards and checks the weight map", async () => {
  const { tensors } = decodeSafetensors(await Deno.readFile(V11("model.safetensors")));
  const names = Object.keys(tensors);
  const shardA = Object.fromEntries(names.slice(0, 20).map((n) => [n, tensors[n] as TensorToWrite]));
  const shardB = Object.fromEntries(names.slice(20).map((n) => [n, tensors[n] as TensorToWrite]));
  const files: Record<string, Uint8Array> = {
    "model-00001-of-00002.safetensors": serializeSafetensors(shardA),
    "model-00002-of-00002.safetensors": serializeSafetensors(shardB),
  };
  const weightMap = Object.fromEntries(names.map((n, i) => [n, `model-0000${i < 20 ? 1 : 2}-of-00002.safetensors`]));
  const index = parseShardIndex(JSON.stringify({ metadata: { total_size: 1 }, weight_map: weightMap }), "index.json");
  const openShard = (f: string) => SafetensorsSource.open(bytesReader(files[f]), f);
  const src = await ShardedSource.open(index, openShard, "index.json");
  assertEquals(src.names(), names);
  for (const n of [names[0], names[25], "lm_head.weight"]) {
    assertEquals((await src.readFloat32(n)).data, tensors[n].data);
  }
  assertMatch(
    (await assertRejects(() => src.read("missing"), Error)).message,
    /shard index 'index.json': no tensor named 'missing'/,
  );

  const wrong = parseShardIndex(
    JSON.stringify({ weight_map: { ...weightMap, [names[0]]: "model-00002-of-00002.safetensors" } }),
    "i",
  );
  assertMatch(
    (await assertRejects(() => ShardedSource.open(wrong, openShard, "i"), Error)).message,
    new RegExp(`maps tensor '${names[0]}'.*does not contain it`),
  );
  assertMatch(
    assertThrows(() => parseShardIndex('{"weight_map": {"a": "../x.safetensors"}}', "i"), Error).message,
    /shard file name in the same folder/,
  );
  assertMatch(assertThrows(() => parseShardIndex('{"metadata": {}}', "i"), Error).message, /missing the "weight_map"/);
});
