/** A sweep's child processes get the declared flags of deno.json's tasks, widened only to the sweep's folder. */
import { assert, assertEquals, assertThrows } from "@std/assert";
import { cellPermissionFlags, reportPermissionFlags, taskPermissionFlags, widen } from "./permissions.ts";

const DENO_JSON = Deno.readTextFileSync(new URL("../../deno.json", import.meta.url));

Deno.test("sweep permissions: a cell gets the train task's flags plus the sweep folder, never -A", () => {
  const train = taskPermissionFlags(DENO_JSON, "train", "/home/u");
  const cell = cellPermissionFlags(DENO_JSON, "/scratch/sweep");
  assert(cell.every((f) => f.startsWith("--allow-") && f !== "--allow-all"), cell.join(" "));
  const kind = (f: string) => f.split("=")[0];
  assertEquals(train.filter((f) => !cell.map(kind).includes(kind(f))), [], "every train flag is kept");
  const write = cell.find((f) => f.startsWith("--allow-write="))!;
  assert(write.endsWith(",/scratch/sweep"), write);
  assert(cell.find((f) => f.startsWith("--allow-env="))!.includes("SLURM_ARRAY_TASK_ID"));
  assert(!cell.some((f) => f.includes("$HOME")), "$HOME is expanded");
  const report = reportPermissionFlags(DENO_JSON, "/scratch/sweep", "/repo");
  assert(report.find((f) => f.startsWith("--allow-write="))!.endsWith("/scratch/sweep"));
  assert(report.find((f) => f.startsWith("--allow-read="))!.endsWith("/scratch/sweep,/repo"));
});

Deno.test("sweep permissions: widen appends to a list, keeps a flag that grants all, adds a missing one", () => {
  assertEquals(widen(["--allow-read=.", "--allow-env"], "read", ["/a"]), ["--allow-read=.,/a", "--allow-env"]);
  assertEquals(widen(["--allow-env"], "env", ["X"]), ["--allow-env"]);
  assertEquals(widen(["--allow-read=."], "write", ["/a", "/b"]), ["--allow-read=.", "--allow-write=/a,/b"]);
  assertThrows(() => taskPermissionFlags(DENO_JSON, "no-such-task"), Error, 'no task "no-such-task"');
  assertThrows(
    () => taskPermissionFlags(JSON.stringify({ tasks: { t: "deno run -A x.ts" } }), "t"),
    Error,
    "declares no --allow-* flags",
  );
});
