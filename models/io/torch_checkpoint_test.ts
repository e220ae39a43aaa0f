import { assert, assertEquals, assertMatch, assertRejects, assertStrictEquals, assertThrows } from "@std/assert";
import { fixturePath } from "../../tests/fixtures.ts";
import { type ByteReader, bytesReader } from "./byte_reader.ts";
import { f16BitsToFloat32, float32ToF16Bits } from "./dtype.ts";
import { openSafetensorsFile, openTorchFile } from "./open_checkpoint.ts";
import { parseTorchStateDict, TorchCheckpointSource } from "./torch_checkpoint.ts";

const testdata = (name: string): string => new URL(`./testdata/${name}`, import.meta.url).pathname;

/** Wraps a reader and counts the bytes it hands out. */
function counting(inner: ByteReader): ByteReader & { bytesRead: number } {
  const r = {
    size: inner.size,
    bytesRead: 0,
    async read(offset: number, length: number): Promise<Uint8Array> {
      r.bytesRead += length;
      return await inner.read(offset, length);
    },
  };
  return r;
}

/** Raw bytes from a string of \xNN escapes (hand-assembled pickles). */
function raw(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

const parse = (pickle: string): Map<string, unknown> => parseTorchStateDict(raw(pickle), "test.pkl");

Deno.test("t5-tiny-v1_1 pytorch_model.bin equals model.safetensors tensor for tensor", async () => {
  const bin = await openTorchFile(fixturePath("t5-tiny-v1_1", "pytorch_model.bin"));
  const st = await openSafetensorsFile(fixturePath("t5-tiny-v1_1", "model.safetensors"));
  try {
    assertEquals(bin.names().sort(), st.names().sort());
    for (const name of st.names()) {
      assertEquals(bin.info(name), st.info(name), name);
      const a = await bin.read(name);
      const b = await st.read(name);
      assertEquals(a.data, b.data, name);
    }
  } finally {
    bin.close();
    st.close();
  }
});

Deno.test("aliased checkpoint: three embedding names share one storage and read equal", async () => {
  const bin = await openTorchFile(fixturePath("pickle", "aliased_pytorch_model.bin"));
  const st = await openSafetensorsFile(fixturePath("t5-tiny-v1_1", "model.safetensors"));
  try {
    const names = ["shared.weight", "encoder.embed_tokens.weight", "decoder.embed_tokens.weight"];
    assertEquals(new Set(names.map((n) => bin.view(n).storageKey)).size, 1);
    const want = (await st.readFloat32("shared.weight")).data;
    for (const n of names) {
      const t = await bin.readFloat32(n);
      assertEquals(t.shape, [300, 64]);
      assertEquals(t.data, want, n);
    }
  } finally {
    bin.close();
    st.close();
  }
});

Deno.test("malicious checkpoint (GLOBAL posix system + REDUCE) is refused and nothing runs", async () => {
  const marker = "/tmp/hyperdecoders-pwned";
  const existedBefore = await Deno.stat(marker).then(() => true, () => false);
  assertMatch(
    (await assertRejects(() => openTorchFile(fixturePath("pickle", "malicious_pytorch_model.bin")), Error)).message,
    /malicious_pytorch_model\.bin.*refusing GLOBAL 'posix system'.*Nothing was executed/,
  );
  if (!existedBefore) assertEquals(await Deno.stat(marker).then(() => true, () => false), false);
});

Deno.test("storage offsets, non-contiguous strides, stride 0 and F16/BF16/I64/U8 storages match numpy", async () => {
  const expected: Record<string, { dtype: string; shape: number[]; storage: string; values: (number | string)[] }> =
    JSON.parse(await Deno.readTextFile(testdata("strided_expected.json")));
  for (
    const file of ["strided_pytorch_model.bin", "strided_deflated_pytorch_model.bin", "strided_zip64_pytorch_model.bin"]
  ) {
    const src = await openTorchFile(testdata(file));
    try {
      assertEquals(src.names(), Object.keys(expected), file);
      for (const [name, want] of Object.entries(expected)) {
        const t = await src.read(name);
        assertStrictEquals(t.dtype, want.dtype, `${file} ${name}`);
        assertEquals(t.shape, want.shape, `${file} ${name}`);
        assertStrictEquals(src.view(name).storageKey, want.storage);
        const got = want.dtype === "I64" ? [...t.data].map(String) : [...t.data].map(Number);
        const values = want.dtype === "F32" || want.dtype === "F16" || want.dtype === "BF16"
          ? [...new Float32Array(want.values as number[])]
          : want.values;
        assertEquals(got, values, `${file} ${name}`);
      }
    } finally {
      src.close();
    }
  }
});

Deno.test("half-precision storage values survive an F16 round trip (decoder agrees with encoder)", async () => {
  const src = await openTorchFile(testdata("strided_pytorch_model.bin"));
  const half = (await src.readFloat32("half")).data;
  src.close();
  assertEquals(f16BitsToFloat32(float32ToF16Bits(half)), half);
});

Deno.test("reading one tensor touches only its bytes, not the whole archive", async () => {
  const bytes = await Deno.readFile(fixturePath("t5-tiny-v1_1", "pytorch_model.bin"));
  const reader = counting(bytesReader(bytes));
  const src = await TorchCheckpointSource.open(reader, "pytorch_model.bin");
  const afterOpen = reader.bytesRead;
  assert(afterOpen < 20_000, `open read ${afterOpen} bytes of ${bytes.length}`);
  const t = await src.read("encoder.final_layer_norm.weight");
  assert(reader.bytesRead - afterOpen <= t.data.length * 4 + 200, `${reader.bytesRead - afterOpen} bytes`);
});

Deno.test("damaged archives are refused with clear errors", async () => {
  const bytes = await Deno.readFile(testdata("strided_pytorch_model.bin"));
  assertMatch(
    (await assertRejects(
      () => TorchCheckpointSource.open(bytesReader(bytes.subarray(0, bytes.length - 100)), "cut.bin"),
      Error,
    )).message,
    /'cut.bin' is not a zip-format PyTorch checkpoint/,
  );
  // Rename storage member data/4 in the central directory (same length), so the pickle's storage '4' is missing.
  const renamed = bytes.slice();
  const needle = raw("strided_pytorch_model/data/4");
  let at = -1;
  for (let i = renamed.length - needle.length; i >= 0 && at < 0; i--) {
    if (needle.every((b, j) => renamed[i + j] === b)) at = i;
  }
  renamed[at + needle.length - 1] = "X".charCodeAt(0);
  assertMatch(
    (await assertRejects(() => TorchCheckpointSource.open(bytesReader(renamed), "renamed.bin"), Error)).message,
    /'renamed.bin': tensor 'bytes' needs storage member 'strided_pytorch_model\/data\/4', which is missing/,
  );
});

Deno.test("restricted unpickler refuses code paths other than tensor rebuilding", () => {
  // Protocol 4 STACK_GLOBAL builtins.eval
  assertMatch(
    assertThrows(() => parse("\x80\x04\x8c\x08builtins\x94\x8c\x04eval\x94\x93\x94."), Error).message,
    /refusing GLOBAL 'builtins eval'.*at byte 20/,
  );
  // Protocol 0 INST (instantiates an arbitrary class)
  assertMatch(assertThrows(() => parse("(i__main__\nFoo\np0\n."), Error).message, /refusing opcode INST/);
  // NEWOBJ on an allowed class
  assertMatch(
    assertThrows(() => parse("\x80\x02ccollections\nOrderedDict\n)\x81."), Error).message,
    /refusing opcode NEWOBJ/,
  );
  // A storage class is a marker, not something REDUCE may call
  assertMatch(
    assertThrows(() => parse("\x80\x02ctorch\nFloatStorage\n)R."), Error).message,
    /REDUCE of something that is not an allowed callable/,
  );
  // _rebuild_tensor_v2 with a string instead of a loaded storage
  assertMatch(
    assertThrows(() => parse("\x80\x02ctorch._utils\n_rebuild_tensor_v2\n(X\x01\x00\x00\x00sK\x00))\x89)tR."), Error)
      .message,
    /_rebuild_tensor_v2: first argument is not a storage/,
  );
  // Persistent id that is not a storage tuple
  assertMatch(
    assertThrows(() => parse("\x80\x02X\x03\x00\x00\x00abcQ."), Error).message,
    /persistent id: expected \('storage'/,
  );
  // Truncated stream
  assertMatch(assertThrows(() => parse("\x80\x02}q\x00(X\x05\x00\x00\x00ep"), Error).message, /unexpected end of data/);
  // Not a dict at the top / a non-tensor entry
  assertMatch(assertThrows(() => parse("\x80\x02]."), Error).message, /not a dict of tensors/);
  assertMatch(
    assertThrows(() => parse("\x80\x02}X\x05\x00\x00\x00epochK\x03s."), Error).message,
    /entry 'epoch' is not a tensor/,
  );
});

Deno.test("a stored storage whose bytes fail the ZIP CRC is refused, naming the member", async () => {
  const bytes = (await Deno.readFile(fixturePath("t5-tiny-v1_1", "pytorch_model.bin"))).slice();
  const src0 = await TorchCheckpointSource.open(bytesReader(bytes), "ok.bin");
  const good = await src0.read("encoder.final_layer_norm.weight");
  // Flip one byte inside that tensor's data (found by its float bytes), leaving the archive's structure intact.
  const needle = new Uint8Array(good.data.buffer, good.data.byteOffset, 8);
  let at = -1;
  for (let i = 0; i + 8 <= bytes.length && at < 0; i++) if (needle.every((b, j) => bytes[i + j] === b)) at = i;
  assert(at > 0);
  bytes[at + 1] ^= 0x40;
  const src = await TorchCheckpointSource.open(bytesReader(bytes), "flipped.bin");
  assertMatch(
    (await assertRejects(() => src.read("encoder.final_layer_norm.weight"), Error)).message,
    /zip 'flipped.bin': member '.*data\/\d+' fails its CRC check/,
  );
});
