import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { selectBestPerTask } from "./best_per_task.ts";

Deno.test("best-per-task: each task takes the test score of its own best validation checkpoint (earliest on a tie)", () => {
  const r = selectBestPerTask([
    {
      step: 2000,
      checkpoint: "c2",
      validation: { rte: { acc: 70 }, mrpc: { f1: 80, acc: 70 } },
      test: { rte: { acc: 61 }, mrpc: { f1: 81, acc: 71 } },
    },
    {
      step: 1000,
      checkpoint: "c1",
      validation: { rte: { acc: 72 }, mrpc: { f1: 90, acc: 60 } },
      test: { rte: { acc: 66 }, mrpc: { f1: 85, acc: 79 } },
    },
    {
      step: 3000,
      checkpoint: "c3",
      validation: { rte: { acc: 72 }, mrpc: { f1: 70, acc: 70 } },
      test: { rte: { acc: 99 }, mrpc: { f1: 1, acc: 1 } },
    },
  ]);
  // rte: 72 at steps 1000 and 3000 → the earliest; mrpc: (90+60)/2 = 75 at 1000 and 2000 → the earliest
  assertEquals(r.chosen.rte.step, 1000);
  assertEquals(r.chosen.mrpc.step, 1000);
  assertEquals(r.splits.test.tasks, { mrpc: { f1: 85, acc: 79 }, rte: { acc: 66 } });
  assertAlmostEquals(r.splits.test.average, (66 + 82) / 2, 1e-9);
});

Deno.test("best-per-task: tasks may peak at different checkpoints", () => {
  const r = selectBestPerTask([
    {
      step: 1,
      checkpoint: "a",
      validation: { x: { acc: 90 }, y: { acc: 10 } },
      test: { x: { acc: 88 }, y: { acc: 11 } },
    },
    {
      step: 2,
      checkpoint: "b",
      validation: { x: { acc: 50 }, y: { acc: 60 } },
      test: { x: { acc: 40 }, y: { acc: 66 } },
    },
  ]);
  assertEquals([r.chosen.x.checkpoint, r.chosen.y.checkpoint], ["a", "b"]);
  assertEquals(r.splits.test.tasks, { x: { acc: 88 }, y: { acc: 66 } });
  assertAlmostEquals(r.splits.validation.average, 75, 1e-9);
});

Deno.test("best-per-task: a missing validation score is an error naming the checkpoint and task", () => {
  assertThrows(() => selectBestPerTask([]), Error, "no checkpoint");
  assertThrows(
    () => selectBestPerTask([{ step: 1, checkpoint: "a", validation: {}, test: { x: { acc: 1 } } }]),
    Error,
    'a (step 1) has no validation score of "x"',
  );
});
