import { assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { formatProgress, Progress, type ProgressSample } from "./progress.ts";

const sample = (step: number): ProgressSample => ({
  step,
  total: 10,
  loss: 1 / step,
  lr: 3e-4,
  tokensPerSecond: 1234.4,
  elapsed: step * 2,
});

Deno.test("formatProgress: step, loss, lr, tokens per second, elapsed and ETA", () => {
  assertEquals(formatProgress(sample(4)), "step 4/10 loss 0.2500 lr 3.00e-4 1234 tok/s elapsed 0m08s eta 0m12s");
});

Deno.test("Progress on a terminal: @std/cli's bar with the sample line, ended by close()", async () => {
  const chunks: Uint8Array[] = [];
  const sink = new WritableStream<Uint8Array>({ write: (c) => void chunks.push(c) });
  const progress = new Progress(true, sink);
  progress.update(sample(5));
  progress.update(sample(10));
  await progress.close();
  const text = new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])));
  assertStringIncludes(text, `[${"#".repeat(24)}] ${formatProgress(sample(10))}`);
  assertMatch(text, /\n$/);
  await progress.close(); // a second close is harmless
});
