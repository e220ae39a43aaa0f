/**
 * System test of the engine's error paths: each bad input is a thrown error that names the op and the shapes.
 */
import { assert, assertEquals, assertMatch, assertStrictEquals, assertThrows } from "@std/assert";
import { backward, noGrad } from "../core/autograd.ts";
import { getEngine, initEngine, liveBytes } from "../core/engine.ts";
import { clone } from "../core/ops/create.ts";
import { add, mul, relu } from "../core/ops/elementwise.ts";
import { matmul } from "../core/ops/matmul.ts";
import { sum } from "../core/ops/reduce.ts";
import { OutOfMemoryError } from "../core/pool.ts";
import { scope, scopeDepth } from "../core/scope.ts";
import { type Tensor, tensor } from "../core/tensor.ts";

await initEngine();

function f32(shape: number[]): Tensor {
  return tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.5), shape);
}

Deno.test("error: shape mismatch names the op and both shapes", () => {
  scope(() => {
    assertMatch(
      assertThrows(() => add(f32([2, 3]), f32([4])), Error).message,
      /^add: shapes \[2, 3\] and \[4\] cannot be broadcast/,
    );
    assertMatch(
      assertThrows(() => mul(f32([5, 1, 3]), f32([2, 4])), Error).message,
      /mul: shapes \[5, 1, 3\] and \[2, 4\]/,
    );
    assertMatch(
      assertThrows(() => matmul(f32([2, 3]), f32([4, 5])), Error).message,
      /matmul: inner dimensions differ \(3 vs 4\) \(a \[2, 3\], b \[4, 5\]\)/,
    );
  });
});

Deno.test("error: wrong dtype names the op, the shape and the dtype", () => {
  scope(() => {
    const ints = tensor([1, 2, 3, 4, 5, 6], [2, 3], "i32");
    assertMatch(
      assertThrows(() => add(f32([2, 3]), ints), Error).message,
      /add: expected an f32 tensor, got \[2, 3\] i32/,
    );
    assertMatch(assertThrows(() => relu(ints), Error).message, /relu: expected an f32 tensor, got \[2, 3\] i32/);
    assertMatch(
      assertThrows(() => matmul(ints, f32([3, 2])), Error).message,
      /matmul: expected an f32 tensor, got \[2, 3\] i32/,
    );
  });
});

Deno.test("error: use after dispose names the op and the tensor, also after its scope freed it", () => {
  const live = liveBytes();
  scope(() => {
    const a = f32([2, 3]);
    a.dispose();
    assertMatch(assertThrows(() => add(a, f32([2, 3])), Error).message, /add: .*disposed tensor \[2, 3\] f32/);
    assertMatch(assertThrows(() => matmul(f32([4, 2]), a), Error).message, /matmul: .*disposed tensor \[2, 3\] f32/);
  });
  let freed: Tensor | null = null;
  scope(() => {
    freed = f32([3, 3]);
  });
  assertMatch(
    assertThrows(() => scope(() => relu(freed!)), Error).message,
    /relu: use of a disposed tensor \[3, 3\] f32 \(freed by .*scope/,
  );
  // ops without their own checks are caught where the kernel is launched, named by the kernel
  assertMatch(
    assertThrows(() => scope(() => clone(freed!)), Error).message,
    /copy \(binding xs\): use of a disposed tensor \[3, 3\] f32/,
  );
  assertStrictEquals(liveBytes(), live, "the failed ops leaked nothing");
});

Deno.test("error: backward through a tensor computed under noGrad() says so and names the shape", () => {
  const w = f32([3, 2]).asParameter("w");
  scope(() => {
    const x = f32([4, 3]);
    const y = noGrad(() => matmul(x, w));
    assertMatch(
      assertThrows(() => backward(sum(y)), Error).message,
      /backward: \[\] f32 does not require a gradient.*noGrad\(\)/,
    );
    assertMatch(
      assertThrows(() => backward(y, f32([4, 2])), Error).message,
      /backward: \[4, 2\] f32 does not require a gradient/,
    );
  });
  assertEquals(w.grad, null);
  w.dispose();
});

Deno.test("error: out of memory names the op and the shape, leaves the engine usable", () => {
  const pool = getEngine().pool;
  const a = f32([256, 256]);
  const b = f32([256, 256]);
  pool.setMaxLiveBytes(liveBytes() + 1024);
  try {
    let error: unknown;
    try {
      scope(() => matmul(a, b));
    } catch (e) {
      error = e;
    }
    assert(error instanceof OutOfMemoryError, `expected an OutOfMemoryError, got ${error}`);
    assertMatch(error.message, /^matmul: tensor \[256, 256\] f32: out of memory/);
  } finally {
    pool.setMaxLiveBytes(undefined);
  }
  scope(() => matmul(a, b)); // works again once the cap is lifted
  a.dispose();
  b.dispose();
});

Deno.test("error: scope() given an async function is refused before the function runs", async () => {
  const depth = scopeDepth();
  let ran = false;
  assertMatch(
    assertThrows(() =>
      scope(
        (async () => {
          ran = true;
          const t = f32([2]);
          await Promise.resolve();
          return t;
        }) as unknown as () => Tensor,
      ), Error).message,
    /scope\(fn\): fn must be synchronous/,
  );
  assertEquals(ran, false, "the async function's body ran (and its tensors would be freed under it)");
  assertStrictEquals(scopeDepth(), depth);
  // a plain function returning a promise is caught after the fact
  let leaked: Tensor | null = null;
  assertMatch(
    assertThrows(() =>
      scope(() => {
        leaked = f32([2]);
        return Promise.resolve(leaked);
      }), Error).message,
    /scope\(fn\): fn must be synchronous \(it returned a Promise\)/,
  );
  assertEquals(leaked!.disposed, true, "tensors made before the error are freed");
  await Promise.resolve();
});
