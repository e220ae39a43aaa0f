import { assertEquals } from "@std/assert";

Deno.test("a headless Linux run is quiet: no 'XDG_RUNTIME_DIR is invalid' from Mesa's device-select layer", async () => {
  if (Deno.build.os !== "linux") return;
  const script = 'import { initEngine } from "./engine.ts"; await initEngine(); console.log("ok");';
  const env = { ...Deno.env.toObject() };
  delete env.XDG_RUNTIME_DIR;
  delete env.WAYLAND_DISPLAY;
  delete env.NODEVICE_SELECT;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", script],
    cwd: new URL(".", import.meta.url),
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b).trim();
  assertEquals({ code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) }, {
    code: 0,
    stdout: "ok",
    stderr: "",
  });
});
