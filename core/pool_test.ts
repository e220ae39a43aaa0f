import { assertEquals, assertMatch, assertNotStrictEquals, assertStrictEquals, assertThrows } from "@std/assert";
import { getEngine, initEngine } from "./engine.ts";
import { BufferPool, OutOfMemoryError, sizeClass } from "./pool.ts";

await initEngine();

function pool(maxLiveBytes?: number): BufferPool {
  return new BufferPool(getEngine().gpu.device, { maxBufferSize: 1 << 20, maxLiveBytes });
}

Deno.test("pool: a free buffer of the class is reused, lowest id first, whatever the release order", () => {
  const p = pool();
  const bufs = Array.from({ length: 5 }, () => p.acquire(1000, "t"));
  const ids = bufs.map((b) => b.id);
  assertEquals(p.buffersCreated, 5);
  for (const k of [3, 0, 4, 1, 2]) p.release(bufs[k], 0);
  const again = Array.from({ length: 5 }, () => p.acquire(1000, "t").id);
  assertEquals(again, [...ids].sort((a, b) => a - b), "ascending ids, regardless of the release order");
  assertEquals(p.buffersCreated, 5, "no new buffers");
  // another size class is not used for this one
  p.acquire(5000, "t");
  assertEquals(p.buffersCreated, 6);
  p.trim();
});

Deno.test("pool: the same acquire/release sequence from the same free set gets the same buffers (steady steps)", () => {
  const p = pool();
  const run = () => {
    const got: number[] = [];
    const a = p.acquire(300, "a");
    const b = p.acquire(300, "b");
    got.push(a.id, b.id);
    p.release(a, 0);
    const c = p.acquire(300, "c");
    const d = p.acquire(2000, "d");
    got.push(c.id, d.id);
    p.release(d, 0);
    p.release(b, 0);
    p.release(c, 0);
    return got;
  };
  const first = run();
  const created = p.buffersCreated;
  const second = run();
  assertEquals(second, first);
  assertStrictEquals(p.buffersCreated, created);
  p.trim();
});

Deno.test("pool: a buffer released in the excluded epoch is skipped (uploads must not overtake pending work)", () => {
  const p = pool();
  const old = p.acquire(256, "old");
  const recent = p.acquire(256, "recent");
  p.release(old, 1);
  p.release(recent, 2);
  assertStrictEquals(
    p.acquire(256, "upload", 2).id,
    old.id,
    "skips the buffer released in epoch 2 even with a higher id",
  );
  const created = p.buffersCreated;
  const fresh = p.acquire(256, "upload", 2);
  assertNotStrictEquals(fresh.id, recent.id, "the epoch-2 buffer is still skipped");
  assertStrictEquals(p.buffersCreated, created + 1, "a new buffer instead");
  assertStrictEquals(p.acquire(256, "kernel output").id, recent.id, "without the exclusion it is reused");
  p.trim();
});

Deno.test("pool: peak and live bytes; resetPeak restarts the peak at the live bytes", () => {
  const p = pool();
  const a = p.acquire(4096, "a");
  const b = p.acquire(4096, "b");
  assertStrictEquals(p.liveBytes, 2 * sizeClass(4096));
  assertStrictEquals(p.peakLiveBytes, 2 * sizeClass(4096));
  p.release(b, 0);
  assertStrictEquals(p.peakLiveBytes, 2 * sizeClass(4096));
  p.resetPeak();
  assertStrictEquals(p.peakLiveBytes, sizeClass(4096));
  assertStrictEquals(p.pooledBytes, sizeClass(4096));
  p.release(a, 0);
  p.trim();
});

Deno.test("pool: the request name is formatted only for an error", () => {
  const p = pool(1000);
  let calls = 0;
  const what = () => {
    calls++;
    return "myOp: tensor [9, 9]";
  };
  const a = p.acquire(512, what);
  assertEquals(calls, 0);
  assertMatch(assertThrows(() => p.acquire(4096, what), OutOfMemoryError).message, /myOp: tensor \[9, 9\]/);
  assertEquals(calls, 1);
  p.release(a, 0);
  p.trim();
});
