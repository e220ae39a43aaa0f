import { assertEquals, assertThrows } from "@std/assert";
import { parseCommand, UsageError } from "./command_line.ts";

const SPEC = {
  string: ["config", "out"],
  boolean: ["dry-run"],
  collect: ["runs"],
  alias: { n: "config" },
  overrides: true,
};

Deno.test("parseCommand: options, aliases, collected values, overrides in order and --help", () => {
  const p = parseCommand(
    ["--config", "a.json", "--train.steps", "10", "--dry-run", "--runs", "x", "--runs=y", "--optim.lr=1e-3", "-h"],
    SPEC,
  );
  assertEquals(p.values.config, "a.json");
  assertEquals(p.values["dry-run"], true);
  assertEquals(p.values.runs, ["x", "y"]);
  assertEquals(p.overrides, [["train.steps", "10"], ["optim.lr", "1e-3"]]);
  assertEquals(p.help, true);
  assertEquals(p.positionals, []);
  assertEquals(parseCommand(["-n", "b.json"], SPEC).values.config, "b.json");
  assertEquals(parseCommand(["--out", "007"], SPEC).values.out, "007", "string options stay text");
});

Deno.test("parseCommand: unknown options, missing values and stray arguments are usage errors naming them", () => {
  assertThrows(() => parseCommand(["--nope"], SPEC), UsageError, 'unknown option "--nope"');
  assertThrows(() => parseCommand(["--nope=3"], SPEC), UsageError, 'unknown option "--nope"');
  assertThrows(() => parseCommand(["-x"], SPEC), UsageError, 'unknown option "-x"');
  assertThrows(() => parseCommand(["--config"], SPEC), UsageError, "--config needs a value");
  assertThrows(() => parseCommand(["--train.steps"], SPEC), UsageError, "--train.steps needs a value");
  assertThrows(() => parseCommand(["extra"], SPEC), UsageError, 'unexpected argument "extra"');
  assertThrows(() => parseCommand(["--a.b", "1"], { string: [] }), UsageError, 'unknown option "--a.b"');
});

Deno.test("parseCommand: positionals where allowed, also after --", () => {
  const p = parseCommand(["one", "--out", "o", "two", "--", "--three"], { string: ["out"], positionals: true });
  assertEquals(p.positionals, ["one", "two", "--three"]);
  assertEquals(p.values.out, "o");
});
