import { assert, assertEquals, assertMatch, assertStrictEquals, assertThrows } from "@std/assert";
import { DOMParser } from "@xmldom/xmldom";
import { analyzeEmbeddings, safeName } from "./report.ts";
import { labelName, labelSetOf, OTHER_LABEL } from "./labels.ts";
import type { EmbeddingSet } from "./embeddings.ts";
import { zerosMatrix } from "./matrix.ts";
import { SeededRandom } from "./random.ts";

/**
 * Two tasks: "topic" (user task, labels "a"/"b", e separates the labels and the tasks) and "gen" (free text).
 * The pooled features carry only the task, not the label.
 */
function syntheticSet(perTask: number): EmbeddingSet {
  const rng = new SeededRandom(1);
  const d = 6;
  const tasks: string[] = [];
  const targets: string[] = [];
  const predictions: (string | null)[] = [];
  for (let i = 0; i < perTask; i++) {
    tasks.push("topic");
    targets.push(i % 3 === 0 ? "b" : "a");
    predictions.push(i % 10 === 0 ? "nonsense" : targets[targets.length - 1]);
  }
  for (let i = 0; i < perTask; i++) {
    tasks.push("gen");
    targets.push(`text number ${i}`);
    predictions.push(null);
  }
  const n = tasks.length;
  const embeddings = zerosMatrix(n, d);
  const pooled = zerosMatrix(n, d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const taskShift = tasks[i] === "topic" ? 8 : -8;
      const labelShift = targets[i] === "b" && j === 1 ? 6 : 0;
      embeddings.data[i * d + j] = rng.normal() + (j === 0 ? taskShift : 0) + labelShift;
      pooled.data[i * d + j] = rng.normal() + (j === 0 ? taskShift : 0);
    }
  }
  return { stack: "decoder", tasks, ids: tasks.map((t, i) => `${t}/${i}`), targets, predictions, embeddings, pooled };
}

function circles(svg: string) {
  const doc = new DOMParser().parseFromString(svg, "image/svg+xml");
  return Array.from(doc.getElementById("points")!.getElementsByTagName("circle"));
}

Deno.test("analyzeEmbeddings: plots by task and by predicted label, probes on one split, t-SNE subsample", () => {
  const set = syntheticSet(60);
  const steps: string[] = [];
  const report = analyzeEmbeddings(set, {
    tsneIterations: 250,
    tsneMaxPoints: 80,
    split: "validation",
    onStep: (m) => steps.push(m),
  });
  assertEquals(report.plots, ["pca_task.svg", "tsne_task.svg", "pca_label_topic.svg", "tsne_label_topic.svg"]);
  assertEquals(circles(report.files["pca_task.svg"]).length, 120);
  assertEquals(circles(report.files["tsne_task.svg"]).length, 80, "t-SNE on a stratified subsample");
  assertEquals(circles(report.files["pca_label_topic.svg"]).length, 60);
  // Predicted labels: "nonsense" is shown as the grey "(other)" group.
  const colors = circles(report.files["pca_label_topic.svg"]).map((c) => c.getAttribute("fill"));
  assertEquals(colors.filter((c) => c === "#9e9e9e").length, 6);
  assertMatch(report.files["pca_label_topic.svg"], /\(other\) \(6\)/);
  assertMatch(report.files["pca_label_topic.svg"], /greedy predictions 90\.0% correct/);

  const byName = Object.fromEntries(report.probes.map((p) => [`${p.target} / ${p.features}`, p]));
  assertEquals(Object.keys(byName), [
    "task / encoder (mean-pooled)",
    "task / hypernetwork e",
    "label: topic / encoder (mean-pooled)",
    "label: topic / hypernetwork e",
  ]);
  assertEquals(byName["task / hypernetwork e"].testAccuracy, 1);
  assertEquals(byName["label: topic / hypernetwork e"].testAccuracy, 1, "e carries the label");
  assert(byName["label: topic / encoder (mean-pooled)"].testAccuracy < 0.9, "the pooled features do not");
  assertStrictEquals(
    byName["label: topic / encoder (mean-pooled)"].testSize,
    byName["label: topic / hypernetwork e"].testSize,
  );
  assert(steps.some((s) => s.startsWith("t-SNE of 80 points")));

  const summary = JSON.parse(report.files["analysis.json"]);
  assertEquals(summary.examples, 120);
  assertEquals(summary.tasks.topic.predictionAccuracy, 0.9);
  assertEquals(summary.tasks.gen.classification, false);
  assert(summary.tsne.trustworthiness > 0.8);
  const csv = report.files["points.csv"].trim().split("\n");
  assertEquals(csv.length, 121);
  assertEquals(csv.slice(1).filter((l) => l.split(",").at(-1) !== "").length, 80, "t-SNE coordinates of the subsample");
  assertEquals(report.files["probe.md"].trim().split("\n").length, 6);
});

Deno.test("analyzeEmbeddings: one task without labels gives plots and no probe", () => {
  const set = syntheticSet(10);
  const gen = { ...set, tasks: set.tasks.slice(10), ids: set.ids.slice(10), targets: set.targets.slice(10) };
  const only = {
    ...gen,
    predictions: set.predictions.slice(10),
    embeddings: { rows: 10, cols: 6, data: set.embeddings.data.slice(60) },
    pooled: { rows: 10, cols: 6, data: set.pooled.data.slice(60) },
  };
  const report = analyzeEmbeddings(only, { tsneIterations: 100 });
  assertEquals(report.plots, ["pca_task.svg", "tsne_task.svg"]);
  assertEquals(report.probes, []);
  assertMatch(report.files["probe.md"], /No probe/);
  assertMatch(
    assertThrows(() => analyzeEmbeddings({ ...only, tasks: ["gen"] }), Error).message,
    /at least 2 are needed/,
  );
});

Deno.test("labelSetOf: registry labels, regression and generation tasks, user tasks by their references", () => {
  assertEquals(labelSetOf("demo_label", []), { values: ["negative", "positive"], names: ["negative", "positive"] });
  assertEquals(labelSetOf("mnli", []), {
    values: ["0", "1", "2"],
    names: ["entailment", "neutral", "contradiction"],
  });
  assertEquals(labelSetOf("art", [])?.values, ["1", "2"]);
  assertEquals(labelSetOf("demo_count", ["1.0", "1.0"]), null);
  assertEquals(labelSetOf("demo_extract", ["x", "x"]), null);
  assertEquals(labelSetOf("my_task", ["yes", "no", "yes", "no ", "yes"])?.values, ["no", "yes"]);
  assertEquals(labelSetOf("my_task", ["a", "b", "c", "d"]), null, "every reference distinct: not classification");
  assertEquals(labelName(labelSetOf("mnli", [])!, " 2 "), "contradiction");
  assertStrictEquals(labelName(labelSetOf("mnli", [])!, "maybe"), OTHER_LABEL);
  assertEquals(safeName("SQuAD/v1 x"), "SQuAD_v1_x");
});
