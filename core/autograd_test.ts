/** Autograd on its own: no other module has to be imported first for `backward` to work. */
import { assertEquals } from "@std/assert";

Deno.test("autograd: backward works when only the engine, tensors and autograd are imported (no import-order side effect)", async () => {
  // A fresh process, so that no other test file has loaded the ops modules already.
  const code = `
    import { initEngine } from "${new URL("./engine.ts", import.meta.url)}";
    import { tensor } from "${new URL("./tensor.ts", import.meta.url)}";
    import { backward } from "${new URL("./autograd.ts", import.meta.url)}";
    await initEngine();
    const w = tensor([3], [1]).asParameter("w");
    backward(w);
    console.log(JSON.stringify(Array.from(await w.grad.data())));
  `;
  const { code: status, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", code],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(stderr);
  assertEquals(status, 0, err);
  assertEquals(new TextDecoder().decode(stdout).trim().split("\n").at(-1), "[1]");
});
