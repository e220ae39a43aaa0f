/**
 * Throughput of checkpoint decoding: `deno bench -A models/io/io_bench.ts`.
 * 4M-element tensors (16 MB as F32); the safetensors case streams a 64 MB file through the Deno file reader.
 * @module
 */
import { bf16BitsToFloat32, f16BitsToFloat32, float32ToBf16Bits, float32ToF16Bits } from "./dtype.ts";
import { openSafetensorsFile } from "./open_checkpoint.ts";
import { serializeSafetensors, type TensorToWrite } from "./safetensors_writer.ts";

const N = 4 * 1024 * 1024;
const values = new Float32Array(N);
for (let i = 0; i < N; i++) values[i] = Math.sin(i) * 3;
const bf16 = float32ToBf16Bits(values);
const f16 = float32ToF16Bits(values);

Deno.bench("bf16 → f32, 4M elements", { group: "convert" }, () => {
  bf16BitsToFloat32(bf16);
});
Deno.bench("f16 → f32, 4M elements", { group: "convert" }, () => {
  f16BitsToFloat32(f16);
});
Deno.bench("f32 → bf16 (round to nearest even), 4M elements", { group: "convert" }, () => {
  float32ToBf16Bits(values);
});
Deno.bench("f32 → f16 (round to nearest even), 4M elements", { group: "convert" }, () => {
  float32ToF16Bits(values);
});

const path = await Deno.makeTempFile({ suffix: ".safetensors" });
const tensors: Record<string, TensorToWrite> = {};
for (let i = 0; i < 4; i++) tensors[`w${i}`] = { dtype: "F32", shape: [N], data: values };
await Deno.writeFile(path, serializeSafetensors(tensors));
globalThis.addEventListener("unload", () => Deno.removeSync(path));

Deno.bench("safetensors file: open + read 4 × 16 MB F32 tensors", { group: "read" }, async () => {
  const src = await openSafetensorsFile(path);
  for (const name of src.names()) await src.read(name);
  src.close();
});
