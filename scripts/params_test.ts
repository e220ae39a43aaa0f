import { assert, assertEquals, assertMatch, assertStrictEquals } from "@std/assert";
import { join } from "@std/path";
import { fixturePath } from "../tests/fixtures.ts";

async function run(config: unknown, ...flags: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "run.json");
  await Deno.writeTextFile(path, JSON.stringify(config));
  const script = new URL("./params.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), { args: ["run", "-A", script, "--config", path, ...flags] })
    .output();
  await Deno.remove(dir, { recursive: true });
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("deno task params: table and JSON for a preset backbone and a checkpoint folder", async () => {
  const table = await run({ model: { preset: "large" }, method: { preset: "hyperdecoder" } });
  assertEquals(table.code, 0, table.stderr);
  assertMatch(table.stdout, /decoder hypernetwork\s+17,181,360\s+17,181,360\s+100\.00 %/);
  assertMatch(table.stdout, /trainable: 22,452,400 = 2\.87 % of the 783,150,080-parameter backbone/);

  const json = await run({ model: { dir: fixturePath("t5-tiny-v1_1") }, method: "adapter" }, "--json");
  assertEquals(json.code, 0, json.stderr);
  const counts = JSON.parse(json.stdout);
  assertStrictEquals(
    counts.backbone,
    counts.components.filter((c: { component: string }) => c.component.startsWith("T5 ")).reduce(
      (s: number, c: { total: number }) => s + c.total,
      0,
    ),
  );
  assert(counts.trainable > 0 && counts.trainable < counts.total);
});

Deno.test("deno task params: bad configs exit 1 with the file and field named", async () => {
  const bad = await run({ model: { preset: "large" }, method: { preset: "hyperdecoder", decoderAdapterDim: 0 } });
  assertEquals(bad.code, 1);
  assertMatch(bad.stderr, /run\.json: "method": "decoderAdapterDim" must be a positive integer/);
  const noModel = await run({ method: "adapter", extra: 1 });
  assertEquals(noModel.code, 1);
  assertMatch(noModel.stderr, /unknown key "extra"/);
});

Deno.test("deno task params: a training config whose checkpoint is not downloaded yet uses model.shape", async () => {
  const paper = JSON.parse(await Deno.readTextFile(new URL("../configs/glue/task_hypernet.json", import.meta.url)));
  const ok = await run(paper);
  assertEquals(ok.code, 0, ok.stderr);
  assertMatch(ok.stdout, /trainable: 21,125,612 = 2\.70 % of the 783,150,080-parameter backbone/);
  delete paper.model.shape;
  const missing = await run(paper);
  assertEquals(missing.code, 1);
  assertMatch(missing.stderr, /config\.json is not there yet; add "model\.shape"/);
});
