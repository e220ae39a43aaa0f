import { assertEquals, assertRejects } from "@std/assert";
import { join } from "@std/path";
import { getTuner, initEngine, setTuner, type TuneCache } from "@hyperdecoders/core";
import { FileTuneStore, installTuner, tuneCachePath } from "./tune_store.ts";

const entry = (choice: string) => ({
  choice,
  value: { variant: choice, splits: 1, vec4: false },
  sourceHash: "00",
  shape: null,
  timings: {},
  timer: "injected",
  tunedAt: "2026-12-05T00:00:00Z",
});
const cacheWith = (key: string, choice: string): TuneCache => ({
  version: 1,
  adapters: {
    a: { adapter: { vendor: "v", architecture: "", device: "0", description: "d" }, entries: { [key]: entry(choice) } },
  },
});

Deno.test("tuneCachePath: the override, then XDG_CACHE_HOME, then ~/.cache", () => {
  const env = (vars: Record<string, string>) => (n: string) => vars[n];
  assertEquals(tuneCachePath(env({ HYPERDECODERS_TUNE_CACHE: "/x/t.json", XDG_CACHE_HOME: "/c" })), "/x/t.json");
  assertEquals(tuneCachePath(env({ XDG_CACHE_HOME: "/c", HOME: "/h" })), join("/c", "hyperdecoders", "tune.json"));
  assertEquals(tuneCachePath(env({ HOME: "/h" })), join("/h", ".cache", "hyperdecoders", "tune.json"));
  assertEquals(tuneCachePath(env({})), null);
});

Deno.test("FileTuneStore: round trip, merge with the file on save, clear errors for a bad file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "sub", "tune.json");
    const store = new FileTuneStore(path);
    assertEquals(await store.load(), null);
    await store.save(cacheWith("matmul:x", "tile64"));
    assertEquals(await store.load(), cacheWith("matmul:x", "tile64"));
    // another process's save adds its class without dropping ours
    await new FileTuneStore(path).save(cacheWith("matmul:y", "big128"));
    const both = await store.load();
    assertEquals(Object.keys(both!.adapters.a.entries).sort(), ["matmul:x", "matmul:y"]);
    await Deno.writeTextFile(path, "{ not json");
    await assertRejects(() => store.load(), Error, `${path}: invalid JSON`);
    await Deno.writeTextFile(path, '{"version": 7}');
    await assertRejects(() => store.load(), Error, `${path}: not a tuning cache`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("installTuner: a bad cache file is reported, left as it is, and the rules serve", async () => {
  const engine = await initEngine();
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "tune.json");
    await Deno.writeTextFile(path, "{ broken");
    const messages: string[] = [];
    const t = await installTuner(engine, { mode: "cached", path, log: (m) => messages.push(m) });
    assertEquals(getTuner(), t);
    assertEquals(t.mode, "cached");
    assertEquals(messages.length, 1);
    assertEquals(await Deno.readTextFile(path), "{ broken");
    const off = await installTuner(engine, { mode: "off", path });
    assertEquals(off.mode, "off");
  } finally {
    setTuner(null);
    await Deno.remove(dir, { recursive: true });
  }
});
