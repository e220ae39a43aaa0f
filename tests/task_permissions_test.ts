/**
 * Least privilege: every task in deno.json declares the permissions its command needs (no `-A` but where its
 * description says why) and says so in its description, and each task's happy path runs under exactly those
 * permissions — the test runs `deno task <name>` itself, so the flags are read from deno.json and cannot drift.
 * A new task needs an entry in {@link HAPPY_PATHS}. A secret in the environment (HF_TOKEN) must not appear in any
 * output or in any file a task writes.
 */
import { assert, assertEquals, assertFalse, assertMatch } from "@std/assert";
import { fromFileUrl, join } from "@std/path";
import { fixturePath } from "./fixtures.ts";

const ROOT = fromFileUrl(new URL("..", import.meta.url));
const TASKS: Record<string, { command: string; description: string } | string> =
  JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json"))).tasks;

/** Tasks that need every permission; their descriptions say why. */
const ALL_PERMISSIONS = new Set(["test", "test:browser"]);

/** Scratch folder under runs/, where the tasks may write. */
const SCRATCH = `runs/.task-permissions-${crypto.randomUUID().slice(0, 8)}`;
const SECRET = `hf_secret_${crypto.randomUUID().replaceAll("-", "")}`;

/** Each task's happy path, in the order they run (later ones use what earlier ones wrote), or why it is not run. */
const HAPPY_PATHS: [string, string[] | { skip: string }][] = [
  ["tokenize", ["--model", "configs/demo/spiece.model", "hello world"]],
  ["params", ["--config", "configs/demo.json"]],
  ["data", ["demo", "--out", `${SCRATCH}/data`, "--tokenizer", "configs/demo/spiece.model"]],
  ["parity", [`${SCRATCH}/t5-tiny-v1_1`]],
  ["train", [
    "--config",
    "configs/demo.json",
    "--data.shards",
    JSON.stringify([`${SCRATCH}/data`]),
    "--out",
    `${SCRATCH}/run`,
    "--train.steps",
    "2",
    "--eval.every",
    "0",
    "--eval.maxExamples",
    "2",
  ]],
  ["eval", ["--checkpoint", `${SCRATCH}/run`, "--max-examples", "2"]],
  ["analyze", ["--checkpoint", `${SCRATCH}/run`, "--max-examples", "4", "--tsne-iterations", "10"]],
  ["report", ["--table", "8", "--runs", `${SCRATCH}/run`, "--out", `${SCRATCH}/report`]],
  ["sweep", ["--config", "configs/sweeps/demo_grid.json", "--out", `${SCRATCH}/sweep`, "--dry-run"]],
  ["tune", ["--shape", "tiny", "--list", "--out", `${SCRATCH}/tune.json`]],
  ["bench", { skip: "minutes on a software adapter; `deno task bench` is its own run under these permissions" }],
  ["browser", ["--port", "0"]],
  ["check", { skip: "lint and type-check of the whole project (minutes); CI runs `deno task check` itself" }],
  ["test", { skip: "the suite this test is part of; CI runs `deno task test`" }],
  ["test:browser", { skip: "needs Chromium; CI runs `deno task test:browser`" }],
];

Deno.test("every task declares its permissions in its command and its description", () => {
  for (const [name, task] of Object.entries(TASKS)) {
    assert(typeof task === "object", `task "${name}": write it as { "command": …, "description": … }`);
    assertMatch(task.description, /Permissions: /, `task "${name}": the description says what it may do`);
    const flags = task.command.split(/\s+/).filter((w) => w.startsWith("-"));
    if (ALL_PERMISSIONS.has(name)) {
      assertMatch(task.description, /Permissions: all \(-A\): /, `task "${name}": say why it needs everything`);
      continue;
    }
    assertFalse(flags.includes("-A") || flags.includes("--allow-all"), `task "${name}": -A; name what it needs`);
    for (const family of ["read", "write", "net", "ffi", "sys", "import"]) {
      assertFalse(flags.includes(`--allow-${family}`), `task "${name}": --allow-${family} without a list`);
    }
  }
});

Deno.test("every task has a happy path here", () => {
  assertEquals(HAPPY_PATHS.map(([name]) => name).sort(), Object.keys(TASKS).sort());
});

async function runTask(name: string, args: string[]): Promise<{ code: number; out: string }> {
  const env = { ...Deno.env.toObject(), HF_TOKEN: SECRET, NO_COLOR: "1" };
  const out = await new Deno.Command("deno", { args: ["task", "-q", name, ...args], cwd: ROOT, env })
    .output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return { code: out.code, out: text };
}

/** Starts the browser task, waits until it serves, fetches the page and stops it. */
async function serveBrowser(args: string[]): Promise<{ code: number; out: string }> {
  const child = new Deno.Command("deno", {
    args: ["task", "-q", "browser", ...args],
    cwd: ROOT,
    env: { ...Deno.env.toObject(), HF_TOKEN: SECRET, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const errors = new Response(child.stderr).text();
  let code = 1;
  try {
    while (!/serving the example on (\S+)/.test(out)) {
      const { value, done } = await reader.read();
      if (done) break;
      out += value;
    }
    const url = out.match(/serving the example on (\S+)/)?.[1];
    if (url) {
      const page = await fetch(url);
      code = page.ok && (await page.text()).includes("<html") ? 0 : 1;
    }
  } finally {
    child.kill("SIGTERM");
    await reader.cancel();
    await child.status;
  }
  return { code, out: out + await errors };
}

async function filesUnder(dir: string): Promise<string[]> {
  const files: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const path = join(dir, e.name);
    if (e.isDirectory) files.push(...await filesUnder(path));
    else if (e.isFile) files.push(path);
  }
  return files;
}

Deno.test({
  name: "each task's happy path runs under exactly its declared permissions and leaks no secret",
  sanitizeResources: false,
  async fn(t) {
    const scratch = join(ROOT, SCRATCH);
    await Deno.mkdir(scratch, { recursive: true });
    // parity reads a model folder inside the project (its declared read permission).
    await Deno.mkdir(join(scratch, "t5-tiny-v1_1"));
    for await (const f of Deno.readDir(fixturePath("t5-tiny-v1_1"))) {
      if (f.isFile) await Deno.copyFile(fixturePath("t5-tiny-v1_1", f.name), join(scratch, "t5-tiny-v1_1", f.name));
    }
    try {
      for (const [name, path] of HAPPY_PATHS) {
        if (!Array.isArray(path)) continue;
        await t.step(name, async () => {
          const r = name === "browser" ? await serveBrowser(path) : await runTask(name, path);
          assertEquals(r.code, 0, `deno task ${name} ${path.join(" ")}:\n${r.out.slice(-3000)}`);
          assertFalse(r.out.includes(SECRET), `deno task ${name} printed HF_TOKEN`);
        });
      }
      await t.step("no file a task wrote holds the secret", async () => {
        for (const file of await filesUnder(scratch)) {
          const bytes = await Deno.readFile(file);
          assertFalse(new TextDecoder().decode(bytes).includes(SECRET), `${file} holds HF_TOKEN`);
        }
      });
    } finally {
      await Deno.remove(scratch, { recursive: true });
    }
  },
});
