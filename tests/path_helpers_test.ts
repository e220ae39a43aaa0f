/**
 * `data` and `models` each keep a copy of the POSIX path helpers (neither package may import the other, and `data`
 * imports nothing from the engine side, so there is no shared home); both copies are checked here against
 * `node:path` on the same cases, so neither can drift.
 */
import { assertEquals, assertStrictEquals } from "@std/assert";
import { posix } from "node:path";
import * as dataPath from "../data/path.ts";
import * as modelsPath from "../models/io/path.ts";

const JOINS: string[][] = [
  ["a", "b"],
  ["a/", "b"],
  ["/a", "b"],
  ["/a/", "../b"],
  ["/a/", "b/"],
  ["a", "..", ".."],
  ["..", "a"],
  ["", "a"],
  [""],
  ["a/b/", "c/"],
  ["/", "..", "x"],
  ["a", "."],
  ["."],
  ["./a", "./b/"],
  ["/x/y", "../../.."],
  ["a//b", "c"],
  ["runs/demo", "checkpoints", "checkpoint-00000300", "trainable.safetensors"],
];

for (const [where, { baseName, joinPath }] of [["data", dataPath], ["models", modelsPath]] as const) {
  Deno.test(`${where}: joinPath agrees with POSIX path.join`, () => {
    for (const parts of JOINS) assertStrictEquals(joinPath(...parts), posix.join(...parts), JSON.stringify(parts));
  });

  Deno.test(`${where}: baseName agrees with POSIX path.basename and also splits on backslashes`, () => {
    for (const p of ["a/b", "a/b/", "/", "file.txt", "dir/x.tar.gz", "a//"]) {
      assertStrictEquals(baseName(p), posix.basename(p), p);
    }
    assertEquals(baseName("C:\\models\\t5\\model.safetensors"), "model.safetensors");
  });
}
