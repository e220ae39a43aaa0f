/**
 * Float64 references of the element-wise ops and their gradients.
 * @module
 */
import { BINARY, UNARY } from "@hyperdecoders/kernels";
import { broadcastIndex, forEachIndex, refBroadcastShape, refSumTo, type RefTensor } from "./ref_tensor.ts";

/** Unary op forward. */
export function refUnary(op: string, x: RefTensor): RefTensor {
  const f = UNARY[op].cpu;
  return { shape: [...x.shape], data: x.data.map(f) };
}

/** Unary op input gradient given the output gradient. */
export function refUnaryGrad(op: string, x: RefTensor, g: RefTensor): RefTensor {
  const df = UNARY[op].cpuGrad;
  return { shape: [...x.shape], data: x.data.map((v, i) => df(v) * g.data[i]) };
}

/** Binary op forward with broadcasting. */
export function refBinary(op: string, a: RefTensor, b: RefTensor): RefTensor {
  const f = BINARY[op].cpu;
  const shape = refBroadcastShape(a.shape, b.shape);
  const out = new Float64Array(shape.reduce((x, y) => x * y, 1));
  forEachIndex(shape, (coords, flat) => {
    out[flat] = f(a.data[broadcastIndex(a.shape, coords)], b.data[broadcastIndex(b.shape, coords)]);
  });
  return { shape, data: out };
}

/** Gradients of add/sub/mul/div with respect to both operands. */
export function refBinaryGrad(op: string, a: RefTensor, b: RefTensor, g: RefTensor): [RefTensor, RefTensor] {
  const shape = g.shape;
  const ga = new Float64Array(g.data.length);
  const gb = new Float64Array(g.data.length);
  forEachIndex(shape, (coords, flat) => {
    const x = a.data[broadcastIndex(a.shape, coords)];
    const y = b.data[broadcastIndex(b.shape, coords)];
    const gv = g.data[flat];
    if (op === "add") [ga[flat], gb[flat]] = [gv, gv];
    else if (op === "sub") [ga[flat], gb[flat]] = [gv, -gv];
    else if (op === "mul") [ga[flat], gb[flat]] = [gv * y, gv * x];
    else if (op === "div") [ga[flat], gb[flat]] = [gv / y, -gv * x / (y * y)];
    else throw new Error(`no reference gradient for ${op}`);
  });
  return [refSumTo({ shape, data: ga }, a.shape), refSumTo({ shape, data: gb }, b.shape)];
}

/** `x * scale + shift`. */
export function refAffine(x: RefTensor, scale: number, shift: number): RefTensor {
  return { shape: [...x.shape], data: x.data.map((v) => v * scale + shift) };
}
