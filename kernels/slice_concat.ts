/**
 * Block copy along one axis, for slice, concat and their backwards: with both tensors viewed as
 * `[outer, axis, inner]`, `dst[o, dstOff + j, k] = src[o, srcOff + j, k]` for `j < count`.
 * @module
 */
import { EW_WG } from "./elementwise.ts";
import { grid1d, type Kernel, LINEAR_ID_WGSL, LINEAR_MAIN_WGSL, memoKernel } from "./kernel.ts";

/**
 * The main function's head shared by the axis kernels: element `i` of `n = outer·count·inner` as `(o, j, k)` with
 * `j < count` along the axis and `k < inner`.
 */
const AXIS_INDEX_WGSL = `${LINEAR_MAIN_WGSL}
  let i = linear_id(wid, nwg, lid.x, ${EW_WG}u);
  if (i >= p.n) { return; }
  let k = i % p.inner;
  let r = i / p.inner;
  let j = r % p.count;
  let o = r / p.count;
`;

/**
 * An elementwise kernel over `outer × count × inner` elements with `src` and `dst` viewed as `[outer, axis, inner]`:
 * `o`, `j`, `k` index the element; `statement` writes `dst`. Parameters as {@link AXIS_COPY_KERNEL}.
 */
function axisKernel(name: string, elem: "u32" | "f32", statement: string): Kernel {
  return {
    name,
    bindings: elem === "u32"
      ? [{ name: "src", access: "read", elem: "u32" }, { name: "dst", access: "read_write", elem: "u32" }]
      : [{ name: "src", access: "read" }, { name: "dst", access: "read_write" }],
    params: [["n", "u32"], ["count", "u32"], ["inner", "u32"], ["srcAxis", "u32"], ["dstAxis", "u32"], [
      "srcOff",
      "u32",
    ], ["dstOff", "u32"]],
    workgroupSize: [EW_WG, 1, 1],
    body: `${LINEAR_ID_WGSL}
${AXIS_INDEX_WGSL}  ${statement}
}`,
  };
}

/**
 * Copies `outer × count × inner` 32-bit words. Parameters: `n = outer·count·inner`, `count`, `inner`, the axis
 * sizes of source and destination (`srcAxis`, `dstAxis`) and the start offsets along the axis (`srcOff`, `dstOff`).
 */
export const AXIS_COPY_KERNEL: Kernel = axisKernel(
  "axis_copy",
  "u32",
  "dst[(o * p.dstAxis + p.dstOff + j) * p.inner + k] = src[(o * p.srcAxis + p.srcOff + j) * p.inner + k];",
);

/** Grid for {@link AXIS_COPY_KERNEL} over `n` copied elements. */
export function axisCopyGrid(n: number): [number, number, number] {
  return grid1d(n, EW_WG);
}

/**
 * {@link AXIS_COPY_KERNEL} adding instead of copying (f32): `dst[o, dstOff + j, k] += src[o, srcOff + j, k]`; the
 * in-place accumulation of a slice's gradient into the gradient of the sliced tensor.
 */
export const AXIS_ADD_KERNEL: Kernel = axisKernel(
  "axis_add",
  "f32",
  `let d = (o * p.dstAxis + p.dstOff + j) * p.inner + k;
  dst[d] = dst[d] + src[(o * p.srcAxis + p.srcOff + j) * p.inner + k];`,
);

/** Most outputs of one {@link chunkKernel} dispatch (and inputs of one {@link unchunkKernel} dispatch). */
export const CHUNK_MAX_OUTPUTS = 15;

/**
 * Copies `outputs` consecutive equal chunks along one axis into their own tensors in one dispatch: with the source
 * viewed as `[outer, srcAxis, inner]`, `dst_c[o, j, k] = src[o, (first + c)·count + j, k]` for c < outputs, j < count.
 * Parameters: `n = outer·count·inner` (one chunk's size), `count`, `inner`, `srcAxis`, `first`.
 */
export function chunkKernel(outputs: number): Kernel {
  return chunkCopyKernel(outputs, "chunk");
}

/**
 * The reverse of {@link chunkKernel}: `inputs` equal tensors written as consecutive chunks along one axis of one
 * destination, `dst[o, (first + c)·count + j, k] = src_c[o, j, k]` (the gradient of a chunk, joined in one dispatch).
 * Parameters: `n = outer·count·inner` (one chunk's size), `count`, `inner`, `dstAxis`, `first`.
 */
export function unchunkKernel(inputs: number): Kernel {
  return chunkCopyKernel(inputs, "unchunk");
}

function chunkCopyKernel(parts: number, direction: "chunk" | "unchunk"): Kernel {
  if (!Number.isInteger(parts) || parts < 1 || parts > CHUNK_MAX_OUTPUTS) {
    throw new Error(`${direction}Kernel: parts must be 1 … ${CHUNK_MAX_OUTPUTS}, got ${parts}`);
  }
  return memoKernel(`${direction}:${parts}`, () => {
    const chunk = direction === "chunk";
    const copies: string[] = [];
    for (let c = 0; c < parts; c++) {
      copies.push(chunk ? `dst${c}[i] = src[base + ${c}u * step];` : `dst[base + ${c}u * step] = src${c}[i];`);
    }
    const part = (name: string, access: "read" | "read_write") => ({ name, access, elem: "u32" as const });
    const many = Array.from(
      { length: parts },
      (_, c) => chunk ? part(`dst${c}`, "read_write") : part(`src${c}`, "read"),
    );
    return {
      name: `${direction}_x${parts}`,
      bindings: chunk ? [part("src", "read"), ...many] : [...many, part("dst", "read_write")],
      params: [["n", "u32"], ["count", "u32"], ["inner", "u32"], [chunk ? "srcAxis" : "dstAxis", "u32"], [
        "first",
        "u32",
      ]],
      workgroupSize: [EW_WG, 1, 1],
      body: `${LINEAR_ID_WGSL}
${AXIS_INDEX_WGSL}  let base = (o * p.${chunk ? "srcAxis" : "dstAxis"} + p.first * p.count + j) * p.inner + k;
  let step = p.count * p.inner;
  ${copies.join("\n  ")}
}`,
    };
  });
}
