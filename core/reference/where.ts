/**
 * Float64 reference of the broadcasting select and its gradients.
 * @module
 */
import { broadcastIndex, forEachIndex, refBroadcastShape, refSumTo, type RefTensor } from "./ref_tensor.ts";

/** `cond ? a : b` with broadcasting (nonzero = true). */
export function refWhere(cond: RefTensor, a: RefTensor, b: RefTensor): RefTensor {
  const shape = refBroadcastShape(refBroadcastShape(cond.shape, a.shape), b.shape);
  const out = new Float64Array(shape.reduce((x, y) => x * y, 1));
  forEachIndex(shape, (coords, flat) => {
    out[flat] = cond.data[broadcastIndex(cond.shape, coords)] !== 0
      ? a.data[broadcastIndex(a.shape, coords)]
      : b.data[broadcastIndex(b.shape, coords)];
  });
  return { shape, data: out };
}

/** Gradients of {@link refWhere} with respect to `a` and `b`. */
export function refWhereGrad(cond: RefTensor, a: RefTensor, b: RefTensor, g: RefTensor): [RefTensor, RefTensor] {
  const ga = new Float64Array(g.data.length);
  const gb = new Float64Array(g.data.length);
  forEachIndex(g.shape, (coords, flat) => {
    if (cond.data[broadcastIndex(cond.shape, coords)] !== 0) ga[flat] = g.data[flat];
    else gb[flat] = g.data[flat];
  });
  return [refSumTo({ shape: g.shape, data: ga }, a.shape), refSumTo({ shape: g.shape, data: gb }, b.shape)];
}
