import { assertEquals, assertMatch } from "@std/assert";
import { join } from "@std/path";
import { fixturePath } from "../tests/fixtures.ts";

const script = new URL("./data.ts", import.meta.url).pathname;

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), { args: ["run", "-A", script, ...args] }).output();
  const d = new TextDecoder();
  return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
}

Deno.test("deno task data: demo, stats, prepare with a malformed row (error, then --skip-bad report)", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const demo = await run("demo", "--out", join(tmp, "demo"), "--tokenizer", fixturePath("spm-2k"));
    assertEquals(demo.code, 0, demo.stderr);
    assertMatch(demo.stdout, /demo_label\ttrain\t3000/);
    const stats = await run("stats", join(tmp, "demo"), "--tokenizer", fixturePath("spm-2k"));
    assertEquals(stats.code, 0, stats.stderr);
    assertMatch(stats.stdout, /lengths in tokens/);
    assertMatch(stats.stdout, /demo_extract.*validation.*200/);

    const header = "index\tsentence1\tsentence2\tlabel";
    const rows = Array.from({ length: 40 }, (_, i) => `${i}\ta ${i}\tb ${i}\tentailment`);
    const train = join(tmp, "rte_train.tsv");
    await Deno.writeTextFile(train, [header, ...rows.slice(0, 5), "5\tshort", ...rows.slice(6)].join("\n"));
    const dev = join(tmp, "rte_dev.tsv");
    await Deno.writeTextFile(dev, [header, ...rows.slice(0, 10)].join("\n"));
    const args = ["prepare", "--task", "rte", "--input", `train=${train}`, "--input", `validation=${dev}`];
    const bad = await run(...args, "--out", join(tmp, "rte"));
    assertEquals(bad.code, 1);
    assertMatch(bad.stderr, /rte_train\.tsv:7: short row: 2 tab-separated column\(s\), need at least 4/);
    const skipped = await run(...args, "--out", join(tmp, "rte"), "--skip-bad");
    assertEquals(skipped.code, 0, skipped.stderr);
    assertMatch(skipped.stdout, /rte\ttrain\t39\t1 shard/);
    assertMatch(skipped.stdout, /skipped 1 malformed record\(s\):\n {2}.*rte_train\.tsv: 1/);

    const unknown = await run("prepare", "--task", "nope", "--input", train, "--out", tmp);
    assertEquals(unknown.code, 2);
    assertMatch(unknown.stderr, /unknown task "nope"/);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
