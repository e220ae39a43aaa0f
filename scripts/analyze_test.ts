/**
 * End to end: train a tiny hyperdecoder for a few steps on a small demo mixture, run `deno task analyze`'s `main` on
 * the run, and check the plots (valid SVG, one point per example), the probe table and that the predictions used for
 * the label plots are the ones evaluation makes.
 */
import { assert, assertEquals, assertMatch, assertRejects, assertStrictEquals } from "@std/assert";
import { join } from "@std/path";
import { DOMParser } from "@xmldom/xmldom";
import { loadTokenizer, openTaskSources } from "@hyperdecoders/data";
import { train } from "@hyperdecoders/train";
import { quietProgress, tempRoot, tinyConfig, writeSmallMixture } from "../tests/tiny_run.ts";
import { evaluate } from "@hyperdecoders/eval";
import { main } from "./analyze.ts";
import { loadTrainedModel, resolveCheckpoint } from "./trained_run.ts";

const root = await tempRoot("hd-analyze-test-");
const shards = join(root, "data");
const runDir = join(root, "run");
const PER_TASK = 16;

await writeSmallMixture(shards, { train: 48, validation: 20, test: 4 });
const quiet = quietProgress();
const config = tinyConfig(shards, runDir, { output: { keepLast: 2 } });
await train(config, { progress: quiet, handleSigint: false });

function circlesIn(svg: string): number {
  const doc = new DOMParser().parseFromString(svg, "image/svg+xml");
  assertEquals(doc.documentElement!.tagName, "svg");
  return doc.getElementById("points")!.getElementsByTagName("circle").length;
}

Deno.test("analyze CLI: plots, probes and points of a trained run", async () => {
  const out = join(root, "analysis");
  const log = console.log;
  console.log = () => {};
  try {
    await main([
      ...["--checkpoint", runDir, "--out", out, "--max-examples", String(PER_TASK), "--tsne-iterations", "250"],
      ...["--mlp-probe", "--probe-train-examples", "12"],
    ]);
  } finally {
    console.log = log;
  }
  const read = (name: string) => Deno.readTextFile(join(out, name));
  const total = 3 * PER_TASK;
  assertStrictEquals(circlesIn(await read("pca_task.svg")), total);
  assertStrictEquals(circlesIn(await read("tsne_task.svg")), total);
  // demo_label is the only classification task: its points coloured by predicted label.
  assertStrictEquals(circlesIn(await read("pca_label_demo_label.svg")), PER_TASK);
  assertStrictEquals(circlesIn(await read("tsne_label_demo_label.svg")), PER_TASK);
  assert(!(await Deno.stat(join(out, "pca_label_demo_count.svg")).then(() => true, () => false)));

  const summary = JSON.parse(await read("analysis.json"));
  assertStrictEquals(summary.examples, total);
  assertEquals(summary.stack, "decoder");
  assertEquals(summary.plots.sort(), [
    "pca_label_demo_label.svg",
    "pca_task.svg",
    "tsne_label_demo_label.svg",
    "tsne_task.svg",
  ]);
  const probes = summary.probes as { target: string; features: string; testSize: number; testAccuracy: number }[];
  assertEquals(probes.map((p) => `${p.target} / ${p.features}`), [
    "task / encoder (mean-pooled)",
    "task / hypernetwork e",
    "label: demo_label / encoder (mean-pooled)",
    "label: demo_label / hypernetwork e",
  ]);
  for (const p of probes) assert(p.testSize > 0 && p.testAccuracy >= 0 && p.testAccuracy <= 1);
  const table = await read("probe.md");
  assertStrictEquals(table.trim().split("\n").length, 2 + probes.length);
  // The paper's MLP probe: 12 training examples per task (3 tasks), scored on the analysed validation subset.
  const mlp = (await read("mlp_probe.md")).trim().split("\n").slice(2).map((l) => l.split("|").slice(1, -1));
  assertEquals(mlp.map((r) => [r[0], r[2], r[3]]), [["task", "36", String(total)], [
    "label: demo_label",
    "12",
    String(PER_TASK),
  ]]);

  // The label plots use the predictions evaluation makes on the same seeded subset.
  const lines = (await read("points.csv")).trim().split("\n");
  assertStrictEquals(lines.length, 1 + total);
  const header = lines[0].split(",");
  const rows = lines.slice(1).map((l) => Object.fromEntries(l.split(",").map((v, i) => [header[i], v])));
  const tokenizer = await loadTokenizer(config.tokenizer);
  const { checkpoint } = await resolveCheckpoint(runDir);
  const model = await loadTrainedModel(config, tokenizer, checkpoint);
  try {
    const sources = await openTaskSources([shards], "validation", ["demo_label"]);
    const result = await evaluate({ model, generationOptions: (t) => model.generationOptions(t) }, tokenizer, sources, {
      maxExamples: PER_TASK,
      maxSourceLength: config.data.maxSourceLength,
    });
    const ours = new Map(rows.filter((r) => r.task === "demo_label").map((r) => [r.id, r.prediction]));
    assertStrictEquals(result.predictions.length, PER_TASK);
    for (const p of result.predictions) assertStrictEquals(ours.get(p.id), p.prediction, `prediction of ${p.id}`);
  } finally {
    model.dispose();
    model.base.dispose();
  }
});

Deno.test("analyze CLI: finds the checkpoint of a run or takes a checkpoint folder; clear errors", async () => {
  const fromRun = await resolveCheckpoint(runDir);
  assertMatch(fromRun.checkpoint, /checkpoints\/checkpoint-00000004$/);
  const given = await resolveCheckpoint(fromRun.checkpoint);
  assertEquals([given.runDir, given.checkpoint], [fromRun.runDir, fromRun.checkpoint]);
  assertMatch(
    (await assertRejects(() => main(["--checkpoint", shards]), Error)).message,
    /data: no complete checkpoint in .*data\/checkpoints/,
  );
  const loose = join(root, "loose-checkpoint");
  await Deno.mkdir(loose);
  await Deno.copyFile(join(fromRun.checkpoint, "trainable.safetensors"), join(loose, "trainable.safetensors"));
  assertMatch(
    (await assertRejects(() => main(["--checkpoint", loose]), Error)).message,
    /loose-checkpoint: not inside a training output folder/,
  );
  const noConfig = join(root, "run-without-config");
  await Deno.mkdir(join(noConfig, "checkpoints", "checkpoint-00000004"), { recursive: true });
  assertMatch(
    (await assertRejects(() => main(["--checkpoint", noConfig]), Error)).message,
    /run-without-config\/config\.json: not found/,
  );
  assertMatch((await assertRejects(() => main(["--split", "validation"]), Error)).message, /--checkpoint is required/);
  assertMatch(
    (await assertRejects(() => main(["--checkpoint", runDir, "--max-examples", "0"]), Error)).message,
    /--max-examples must be a positive integer/,
  );
  assertMatch((await assertRejects(() => main(["--checkpoint", runDir, "--bogus"]), Error)).message, /bogus/);
});
