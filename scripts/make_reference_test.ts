import { assert, assertEquals, assertMatch } from "@std/assert";

const script = new URL("./make_reference.py", import.meta.url).pathname;

async function python(args: string[]): Promise<{ code: number; stdout: string; stderr: string } | null> {
  try {
    const out = await new Deno.Command("python3", {
      args,
      stdout: "piped",
      stderr: "piped",
      env: { PYTHONDONTWRITEBYTECODE: "1" },
    }).output();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

const hasPython = (await python(["--version"])) !== null;

// The script needs PyTorch + transformers to run; CI checks that it parses and documents its options.
Deno.test({
  name: "make_reference.py parses, and --help works without PyTorch",
  ignore: !hasPython,
  fn: async () => {
    const compiled = await python([
      "-c",
      "import ast, sys; ast.parse(open(sys.argv[1]).read(), sys.argv[1])",
      script,
    ]);
    assertEquals(compiled!.code, 0, compiled!.stderr);
    const help = await python([script, "--help"]);
    assertEquals(help!.code, 0, help!.stderr);
    for (const word of ["checkpoint", "--out", "--seed", "--text", "reference_io.safetensors", "deno task parity"]) {
      assert(help!.stdout.includes(word), `--help mentions ${word}`);
    }
    const bad = await python([script, "some/model", "--batch", "0"]);
    assertEquals(bad!.code, 2, "bad options are refused before anything is imported");
    assertMatch(bad!.stderr, /--batch must be ≥ 1/);
  },
});
