import assert from "node:assert/strict";
import { posix } from "node:path";
import { baseName, joinPath } from "./path.ts";

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

Deno.test("joinPath agrees with POSIX path.join", () => {
  for (const parts of JOINS) assert.equal(joinPath(...parts), posix.join(...parts), JSON.stringify(parts));
});

Deno.test("baseName agrees with POSIX path.basename and also splits on backslashes", () => {
  for (const p of ["a/b", "a/b/", "/", "file.txt", "dir/x.tar.gz", "a//"]) {
    assert.equal(baseName(p), posix.basename(p), p);
  }
  assert.equal(baseName("C:\\models\\t5\\model.safetensors"), "model.safetensors");
});
