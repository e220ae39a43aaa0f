/**
 * System test of the engine's error paths: each bad input is a thrown error that names the op and the shapes.
 */
import assert from "node:assert/strict";
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
    assert.throws(() => add(f32([2, 3]), f32([4])), /^Error: add: shapes \[2, 3\] and \[4\] cannot be broadcast/);
    assert.throws(() => mul(f32([5, 1, 3]), f32([2, 4])), /mul: shapes \[5, 1, 3\] and \[2, 4\]/);
    assert.throws(
      () => matmul(f32([2, 3]), f32([4, 5])),
      /matmul: inner dimensions differ \(3 vs 4\) \(a \[2, 3\], b \[4, 5\]\)/,
    );
  });
});

Deno.test("error: wrong dtype names the op, the shape and the dtype", () => {
  scope(() => {
    const ints = tensor([1, 2, 3, 4, 5, 6], [2, 3], "i32");
    assert.throws(() => add(f32([2, 3]), ints), /add: expected an f32 tensor, got \[2, 3\] i32/);
    assert.throws(() => relu(ints), /relu: expected an f32 tensor, got \[2, 3\] i32/);
    assert.throws(() => matmul(ints, f32([3, 2])), /matmul: expected an f32 tensor, got \[2, 3\] i32/);
  });
});

Deno.test("error: use after dispose names the op and the tensor, also after its scope freed it", () => {
  const live = liveBytes();
  scope(() => {
    const a = f32([2, 3]);
    a.dispose();
    assert.throws(() => add(a, f32([2, 3])), /add: .*disposed tensor \[2, 3\] f32/);
    assert.throws(() => matmul(f32([4, 2]), a), /matmul: .*disposed tensor \[2, 3\] f32/);
  });
  let freed: Tensor | null = null;
  scope(() => {
    freed = f32([3, 3]);
  });
  assert.throws(() => scope(() => relu(freed!)), /relu: use of a disposed tensor \[3, 3\] f32 \(freed by .*scope/);
  // ops without their own checks are caught where the kernel is launched, named by the kernel
  assert.throws(() => scope(() => clone(freed!)), /copy \(binding xs\): use of a disposed tensor \[3, 3\] f32/);
  assert.equal(liveBytes(), live, "the failed ops leaked nothing");
});

Deno.test("error: backward through a tensor computed under noGrad() says so and names the shape", () => {
  const w = f32([3, 2]).asParameter("w");
  scope(() => {
    const x = f32([4, 3]);
    const y = noGrad(() => matmul(x, w));
    assert.throws(() => backward(sum(y)), /backward: \[\] f32 does not require a gradient.*noGrad\(\)/);
    assert.throws(() => backward(y, f32([4, 2])), /backward: \[4, 2\] f32 does not require a gradient/);
  });
  assert.equal(w.grad, null);
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
    assert.ok(error instanceof OutOfMemoryError, `expected an OutOfMemoryError, got ${error}`);
    assert.match(error.message, /^matmul: tensor \[256, 256\] f32: out of memory/);
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
  assert.throws(
    () =>
      scope(
        (async () => {
          ran = true;
          const t = f32([2]);
          await Promise.resolve();
          return t;
        }) as unknown as () => Tensor,
      ),
    /scope\(fn\): fn must be synchronous/,
  );
  assert.equal(ran, false, "the async function's body ran (and its tensors would be freed under it)");
  assert.equal(scopeDepth(), depth);
  // a plain function returning a promise is caught after the fact
  let leaked: Tensor | null = null;
  assert.throws(
    () =>
      scope(() => {
        leaked = f32([2]);
        return Promise.resolve(leaked);
      }),
    /scope\(fn\): fn must be synchronous \(it returned a Promise\)/,
  );
  assert.equal(leaked!.disposed, true, "tensors made before the error are freed");
  await Promise.resolve();
});
