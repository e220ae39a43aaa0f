/**
 * The skills (Polytropon) baseline's defaults are the paper's (Appendix A.3): 4 skills of rank 16, main lr 3e-4 and
 * routing-logit lr 1e-2; and the attention placement is documented as runnable.
 */
import { assertAlmostEquals, assertEquals, assertStringIncludes } from "@std/assert";
import { DEFAULT_METHOD_CONFIG, methodPreset, PAPER_SKILL_LOGITS_LR_SCALE } from "./config.ts";

Deno.test("polytropon preset: 4 skills of rank 16, routing logits at 1e-2 when the main lr is 3e-4 (Appendix A.3)", () => {
  const c = methodPreset("polytropon", { tasks: ["rte", "mrpc"] });
  assertEquals([c.encoder, c.decoder], ["skills", "skills"]);
  assertEquals(c.skills.count, 4);
  assertEquals(c.skills.rank, 16);
  const mainLr = 3e-4; // train/config.ts DEFAULTS.optim.lr, the paper's main learning rate
  assertAlmostEquals(mainLr * c.skills.logitsLrScale, 1e-2, 1e-12);
  assertEquals(DEFAULT_METHOD_CONFIG.skills.logitsLrScale, PAPER_SKILL_LOGITS_LR_SCALE);
});

Deno.test("skills attention placement is not documented as unrunnable any more", async () => {
  const source = await Deno.readTextFile(new URL("./config.ts", import.meta.url));
  assertEquals(source.includes("not yet runnable"), false);
  assertStringIncludes(source, "attention-projection hook");
});
