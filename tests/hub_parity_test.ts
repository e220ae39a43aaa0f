/**
 * `deno task parity hf:<repo>` against a local fake Hub (HF_ENDPOINT) gives the same report as the fixture folder.
 */
import { assertEquals } from "@std/assert";
import { fixturePath } from "./fixtures.ts";
import { fakeRepo, readFolder, startFakeHub } from "./fake_hub.ts";

const MODEL_DIR = fixturePath("t5-tiny-v1_1");
const ignore = !await Deno.stat(MODEL_DIR).then(() => true, () => false);
const root = new URL("..", import.meta.url).pathname;

async function parity(target: string, env: Record<string, string>): Promise<Record<string, unknown>> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "scripts/parity.ts", target],
    cwd: root,
    env: { ...env, HF_HUB_DISABLE_PROGRESS_BARS: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout).trim().split("\n");
  if (!out.success) throw new Error(`parity ${target} failed: ${new TextDecoder().decode(out.stderr)}`);
  return JSON.parse(stdout[stdout.length - 1]);
}

Deno.test({
  name: "deno task parity hf:<fixture repo> through a local Hub gives the same JSON as the folder",
  ignore,
  sanitizeResources: false,
  fn: async () => {
    const hub = startFakeHub([fakeRepo("model", "fixtures/t5-tiny-v1_1", await readFolder(MODEL_DIR))]);
    const cache = await Deno.makeTempDir({ prefix: "hub-parity-" });
    try {
      const [fromHub, fromFolder] = await Promise.all([
        parity("hf:fixtures/t5-tiny-v1_1", { HF_ENDPOINT: hub.url, HF_HUB_CACHE: cache }),
        parity(MODEL_DIR, {}),
      ]);
      assertEquals(fromHub.ok, true);
      const { model: m1, ...a } = fromHub;
      const { model: m2, ...b } = fromFolder;
      assertEquals(a, b);
      assertEquals([typeof m1, typeof m2], ["string", "string"]);
    } finally {
      await hub.close();
      await Deno.remove(cache, { recursive: true });
    }
  },
});
