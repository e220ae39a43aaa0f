/**
 * Fault injection for the crash-safety tests: `tests/fault_shim.c`, compiled with `cc` on first use and loaded with
 * `LD_PRELOAD` into a `deno` subprocess, SIGKILLs it at the Nth rename / unlink / folder removal / truncating or
 * creating open() of a path that contains a pattern, before the call happens. Deterministic: the kill point is a
 * named file-system call, not a time.
 * @module
 */
import { fromFileUrl } from "@std/path";

/** Which call kills the process. */
export interface KillPoint {
  /** "rename", "unlink", "rmdir", "trunc" (open with O_TRUNC) or "create" (open with O_CREAT). */
  call: "rename" | "unlink" | "rmdir" | "trunc" | "create";
  /** Substring of the path (either path of a rename). */
  match: string;
  /** 1-based count of matching calls (default 1). */
  nth?: number;
}

/** What a subprocess did. */
export interface RunResult {
  /** Exit code (137 when killed by the shim). */
  code: number;
  /** True when SIGKILL ended it. */
  killed: boolean;
  /** Standard output and error together. */
  output: string;
}

/** The workspace's deno.json, for `deno run --config` on scripts written outside the repository. */
export const DENO_CONFIG: string = fromFileUrl(new URL("../deno.json", import.meta.url));

let shim: Promise<string | { skip: string }> | undefined;

/** Path of the compiled shim, or why there is none (no `cc`, not Linux). Compiled once per process. */
export function faultShim(): Promise<string | { skip: string }> {
  shim ??= (async () => {
    if (Deno.build.os !== "linux") return { skip: `LD_PRELOAD fault injection needs Linux (this is ${Deno.build.os})` };
    const dir = await Deno.makeTempDir({ prefix: "fault-shim-" });
    globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
    const out = `${dir}/fault_shim.so`;
    const src = fromFileUrl(new URL("./fault_shim.c", import.meta.url));
    let r: Deno.CommandOutput;
    try {
      r = await new Deno.Command("cc", { args: ["-shared", "-fPIC", "-O1", "-o", out, src, "-ldl"], stderr: "piped" })
        .output();
    } catch (e) {
      return { skip: `no C compiler ("cc": ${(e as Error).message}) to build the fault-injection shim` };
    }
    if (!r.success) {
      return { skip: `cc could not build the fault-injection shim: ${new TextDecoder().decode(r.stderr)}` };
    }
    return out;
  })();
  return shim;
}

/** Runs `deno <args>` with the shim loaded, killed at `kill` (or not at all when omitted). */
export async function runDeno(shimPath: string, args: string[], kill?: KillPoint): Promise<RunResult> {
  const env: Record<string, string> = { LD_PRELOAD: shimPath, NO_COLOR: "1" };
  if (kill) {
    env.FAULT_CALL = kill.call;
    env.FAULT_MATCH = kill.match;
    env.FAULT_NTH = String(kill.nth ?? 1);
  }
  const r = await new Deno.Command(Deno.execPath(), { args, env, stdout: "piped", stderr: "piped" }).output();
  const output = new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr);
  return { code: r.code, killed: r.signal === "SIGKILL", output };
}

const compiled = await faultShim();

/** Registers a test that needs the shim; it is ignored, with the reason in its name, where the shim cannot be built. */
export function faultTest(name: string, fn: (shimPath: string) => Promise<void>): void {
  const s = compiled;
  if (typeof s === "string") Deno.test(name, () => fn(s));
  else Deno.test({ name: `${name} (skipped: ${s.skip})`, ignore: true, fn: () => {} });
}
