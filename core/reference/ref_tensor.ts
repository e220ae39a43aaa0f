/**
 * The float64 CPU tensor every reference op works on, plus broadcasting helpers.
 * @module
 */

/** A row-major float64 array with a shape. */
export interface RefTensor {
  /** Dimensions. */
  shape: number[];
  /** Values, row-major. */
  data: Float64Array;
}

/** Makes a reference tensor. */
export function ref(data: ArrayLike<number>, shape: number[]): RefTensor {
  const size = shape.reduce((a, b) => a * b, 1);
  if (data.length !== size) throw new Error(`ref: ${data.length} values for shape [${shape}]`);
  return { shape: [...shape], data: Float64Array.from(data) };
}

/** Broadcast shape of two shapes. */
export function refBroadcastShape(a: number[], b: number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error(`cannot broadcast [${a}] and [${b}]`);
    out.push(Math.max(da, db));
  }
  return out;
}

/** Index into a tensor of `shape` for output coordinates `coords` of a broadcast shape. */
export function broadcastIndex(shape: number[], coords: number[]): number {
  let index = 0;
  const off = coords.length - shape.length;
  for (let i = 0; i < shape.length; i++) {
    const c = shape[i] === 1 ? 0 : coords[off + i];
    index = index * shape[i] + c;
  }
  return index;
}

/** Calls `fn(coords, flatIndex)` for every element of `shape`. */
export function forEachIndex(shape: number[], fn: (coords: number[], flat: number) => void): void {
  const size = shape.reduce((a, b) => a * b, 1);
  const coords = new Array(shape.length).fill(0);
  for (let flat = 0; flat < size; flat++) {
    fn(coords, flat);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++coords[d] < shape[d]) break;
      coords[d] = 0;
    }
  }
}

/** Sums a broadcast-shaped tensor back to `shape`. */
export function refSumTo(x: RefTensor, shape: number[]): RefTensor {
  const out = new Float64Array(shape.reduce((a, b) => a * b, 1));
  forEachIndex(x.shape, (coords, flat) => {
    out[broadcastIndex(shape, coords)] += x.data[flat];
  });
  return { shape: [...shape], data: out };
}
