/**
 * The local executor end to end on two tiny cells, one of which fails: the good cell finishes, the failed one is
 * reported with its error line, a second run skips both (and says why), `--retry-failed` runs the failed one again,
 * a run folder whose config no longer matches its cell is refused, not overwritten, and the done cell's paper place
 * lands in its config.json and in the Table 8 that `deno task report` writes.
 */
import { assertEquals, assertMatch } from "@std/assert";
import { fromFileUrl, join } from "@std/path";
import { tempRoot, tinyConfig, writeSmallMixture } from "../../tests/tiny_run.ts";
import { readAttempts, readIndex } from "./state.ts";

const SWEEP = fromFileUrl(new URL("../sweep.ts", import.meta.url));

async function sweep(root: string, args: string[]): Promise<{ code: number; out: string }> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", SWEEP, ...args],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout) + dec.decode(r.stderr) };
}

Deno.test("sweep (local): a done cell is skipped, a failed one reported with its error and retried on request", async () => {
  const root = await tempRoot("hd-sweep-local-");
  const shards = join(root, "data");
  await writeSmallMixture(shards, { train: 32, validation: 4, test: 4 });
  await Deno.writeTextFile(
    join(root, "base.json"),
    JSON.stringify(tinyConfig(shards, join(root, "unused"), {
      train: { batchSize: 4, steps: 2, logEvery: 1 },
      eval: { atEnd: true, maxExamples: 2 },
    })),
  );
  const file = join(root, "sweep.json");
  const spec = {
    base: "base.json",
    out: "out",
    cells: [{ "data.tasks": ["demo_label"] }, { "data.tasks": ["no_such_task"] }],
    axes: { "train.seed": [3] },
    paper: { table: "8", row: "{method.encoder}", column: "{method.decoder}" },
  };
  await Deno.writeTextFile(file, JSON.stringify(spec));
  const first = await sweep(root, ["--config", file]);
  assertEquals(first.code, 1, first.out);
  assertMatch(first.out, /2 new; 2 to run \(local\)/);
  assertMatch(first.out, /tasks=no_such_task,seed=3: failed: .*no_such_task/);
  const index = (await readIndex(join(root, "out")))!;
  assertEquals(index.cells.map((c) => [c.name, c.state, c.step]), [
    ["tasks=demo_label,seed=3", "done", 2],
    ["tasks=no_such_task,seed=3", "failed", null],
  ]);
  assertEquals(index.cells[1].error?.includes("no_such_task"), true);
  const table = await Deno.readTextFile(join(root, "out", "results.md"));
  assertMatch(table, /\|tasks=demo_label,seed=3\|demo_label\|3\|done\|2\|/);
  // The paper place: the hyperdecoder preset is manual/generated, so the done cell fills that cell of Table 8.
  const config = JSON.parse(
    await Deno.readTextFile(join(root, "out", "runs", "tasks=demo_label,seed=3", "config.json")),
  );
  assertEquals(config.paper, { table: "8", row: "manual", column: "generated" });
  assertMatch(first.out, /Table 8 \(deno task report;/);
  assertMatch(await Deno.readTextFile(join(root, "out", "table8.md")), /\|manual\|1\|no run\|no run\|no run\|\d/);

  const again = await sweep(root, ["--config", file]);
  assertMatch(again.out, /1 done, 1 failed; 0 to run/);
  assertMatch(again.out, /tasks=no_such_task,seed=3: failed: .*no_such_task.*\(log: .*train\.log\)/);
  const good = join(root, "out", "runs", "tasks=demo_label,seed=3");
  assertEquals((await readAttempts(good)).length, 2, "the done cell did not run again");

  const retry = await sweep(root, ["--config", file, "--retry-failed"]);
  assertMatch(retry.out, /1 to run/);
  assertEquals((await readAttempts(join(root, "out", "runs", "tasks=no_such_task,seed=3"))).length, 4);

  // The sweep now gives the done cell another config: its folder is refused, nothing overwritten.
  const before = await Deno.readTextFile(join(good, "config.json"));
  await Deno.writeTextFile(file, JSON.stringify({ ...spec, overrides: { "optim.lr": 0.5 } }));
  const changed = await sweep(root, ["--config", file]);
  assertEquals(changed.code, 1);
  assertMatch(
    changed.out,
    /tasks=demo_label,seed=3\/config\.json holds a run of another config .* nothing was overwritten/,
  );
  assertEquals(await Deno.readTextFile(join(good, "config.json")), before);
});
