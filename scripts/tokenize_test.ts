import { assertEquals } from "@std/assert";
import { fixturePath } from "../tests/fixtures.ts";

const golden = JSON.parse(await Deno.readTextFile(fixturePath("spm-2k", "encodings.json")));

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const cmd = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./tokenize.ts", import.meta.url).pathname, ...args],
    stdout: "piped",
    stderr: "piped",
  });
  const out = await cmd.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

function lastJson(stdout: string): { ids: number[]; pieces: string[] } {
  const lines = stdout.trimEnd().split("\n");
  return JSON.parse(lines[lines.length - 1]);
}

Deno.test("tokenize CLI: --json --raw gives sentencepiece ids; T5 mode after -- gives transformers ids", async () => {
  const row = golden.rows.find((r: { text: string }) => r.text.includes("<extra_id_0>"));
  const raw = await run(["--model", fixturePath("spm-2k", "spiece.model"), "--json", "--raw", "--", row.text]);
  assertEquals(raw.code, 0, raw.stderr);
  assertEquals(lastJson(raw.stdout), { ids: row.spm_ids, pieces: row.spm_pieces });
  const t5 = await run(["--model", fixturePath("spm-2k"), "--json", "--", row.text]);
  assertEquals(t5.code, 0, t5.stderr);
  assertEquals(lastJson(t5.stdout), { ids: row.t5_ids, pieces: row.t5_tokens });
  const bad = await run(["--json", "x"]);
  assertEquals(bad.code, 2);
  assertEquals(bad.stderr.includes("--model is required"), true);
});
