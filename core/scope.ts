/**
 * Explicit memory ownership: `scope(fn)` frees every tensor created inside except what `fn` returns or `keep()`s.
 * GPU memory is never left to the JavaScript garbage collector.
 * @module
 */

/** Anything a scope can free. */
export interface Owned {
  /** Frees the object's GPU memory; idempotent. */
  dispose(): void;
  /** True once disposed. */
  readonly disposed: boolean;
}

const stack: Set<Owned>[] = [];

/** Registers a new object with the innermost open scope (no-op outside scopes). */
export function track(item: Owned): void {
  stack[stack.length - 1]?.add(item);
}

/** Removes an object from every open scope so that no scope frees it. Returns it. */
export function keep<T extends Owned>(item: T): T {
  for (const set of stack) set.delete(item);
  return item;
}

function collect(value: unknown, out: Set<unknown>, depth: number): void {
  if (value === null || typeof value !== "object" || depth > 4) return;
  if ("dispose" in value && "disposed" in value) {
    out.add(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collect(v, out, depth + 1);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collect(v, out, depth + 1);
  }
}

/**
 * Runs `fn` and frees every tensor it created, except those it returns (directly, or inside arrays and plain
 * objects) and those it `keep()`s. Returned tensors move to the enclosing scope. `fn` must be synchronous.
 */
export function scope<T>(fn: () => T): T {
  // Refuse async functions before they run: their code after an `await` would use tensors the scope has freed.
  if (fn.constructor?.name === "AsyncFunction") {
    throw new Error("scope(fn): fn must be synchronous (it is an async function); await outside the scope");
  }
  const set = new Set<Owned>();
  stack.push(set);
  let result: T;
  try {
    result = fn();
    if (result instanceof Promise) throw new Error("scope(fn): fn must be synchronous (it returned a Promise)");
  } catch (error) {
    stack.pop();
    for (const item of set) item.dispose();
    throw error;
  }
  stack.pop();
  const returned = new Set<unknown>();
  collect(result, returned, 0);
  for (const item of set) {
    if (returned.has(item)) track(item);
    else item.dispose();
  }
  return result;
}

/** Number of open scopes (for tests). */
export function scopeDepth(): number {
  return stack.length;
}
