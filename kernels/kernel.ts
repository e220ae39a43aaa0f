/**
 * The typed description of a WGSL compute kernel: its storage bindings, its scalar parameters and its body.
 *
 * The engine generates the declarations (the `Params` uniform struct at binding 0, then one storage binding per
 * entry of `bindings`), so a kernel's `body` holds only helper functions and the `@compute` entry point `main`.
 * @module
 */

/** Access mode of a storage binding. */
export type Access = "read" | "read_write";

/** Scalar type of a kernel parameter (a field of the uniform struct). */
export type ParamType = "u32" | "i32" | "f32";

/** One storage binding of a kernel: a WGSL `array<elem>` bound at binding 1, 2, … in declaration order. */
export interface Binding {
  /** Variable name used in the body. */
  name: string;
  /** Read-only or read-write. */
  access: Access;
  /** Element type; `f32` unless stated. */
  elem?: "f32" | "i32" | "u32" | "atomic<u32>" | "atomic<i32>" | "vec4<f32>";
}

/** A compute kernel ready for the engine. */
export interface Kernel {
  /** Unique, human-readable name (used in errors and profiles). */
  name: string;
  /** Storage bindings in order. */
  bindings: Binding[];
  /** Uniform parameters in order, as `[name, type]` pairs; the body reads them as `p.<name>`. */
  params: [string, ParamType][];
  /** Workgroup size, substituted for `@workgroup_size(WG)` in the body. */
  workgroupSize: [number, number, number];
  /** WGSL helper functions and the `main` entry point. */
  body: string;
  /** Extensions (`f16`) the kernel needs. */
  enables?: string[];
}

const MEMO = new Map<string, Kernel>();

/**
 * Returns the kernel built for `key`, building it once. Kernel factories use it so that a dispatch finds its
 * pipeline by object identity instead of rebuilding and hashing the WGSL.
 */
export function memoKernel(key: string, build: () => Kernel): Kernel {
  let kernel = MEMO.get(key);
  if (!kernel) MEMO.set(key, kernel = build());
  return kernel;
}

/** Builds the full WGSL source of a kernel: enables, the `Params` struct, the bindings, then the body. */
export function kernelSource(kernel: Kernel): string {
  const enables = (kernel.enables ?? []).map((e) => `enable ${e};\n`).join("");
  const fields = kernel.params.length > 0
    ? kernel.params.map(([name, type]) => `  ${name}: ${type},`).join("\n")
    : "  _unused: u32,";
  const bindings = kernel.bindings.map((b, i) => {
    const access = b.access === "read" ? "read" : "read_write";
    return `@group(0) @binding(${i + 1}) var<storage, ${access}> ${b.name}: array<${b.elem ?? "f32"}>;`;
  }).join("\n");
  const [x, y, z] = kernel.workgroupSize;
  const body = kernel.body.replaceAll("@workgroup_size(WG)", `@workgroup_size(${x}, ${y}, ${z})`);
  return `${enables}struct Params {\n${fields}\n};\n@group(0) @binding(0) var<uniform> p: Params;\n${bindings}\n${body}`;
}

/** Number of 32-bit words of a kernel's uniform struct. */
export function paramWords(kernel: Kernel): number {
  return Math.max(1, kernel.params.length);
}

/**
 * WGSL that turns a possibly 2-D dispatch grid back into a linear workgroup index, for kernels launched with
 * {@link grid1d}: `let gid = linear_id(wid, nwg, lid.x, WGX);`.
 */
export const LINEAR_ID_WGSL: string = `
fn linear_id(wid: vec3<u32>, nwg: vec3<u32>, lx: u32, wgx: u32) -> u32 {
  return (wid.y * nwg.x + wid.x) * wgx + lx;
}`;

/**
 * The entry point of a kernel launched over a {@link grid1d} grid: `main` with the workgroup id `wid`, the grid size
 * `nwg` and the local id `lid`, ready for `let i = linear_id(wid, nwg, lid.x, …);`. The body follows, then `}`.
 */
export const LINEAR_MAIN_WGSL: string = `@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {`;

/** Maximum workgroups per dispatch dimension in WebGPU's default limits. */
export const MAX_GROUPS_PER_DIM = 65535;

/** A dispatch grid covering `n` threads with `workgroupSize` threads per group, folded into 2-D past 65,535 groups. */
export function grid1d(n: number, workgroupSize: number): [number, number, number] {
  const groups = Math.max(1, Math.ceil(n / workgroupSize));
  if (groups <= MAX_GROUPS_PER_DIM) return [groups, 1, 1];
  const y = Math.ceil(groups / MAX_GROUPS_PER_DIM);
  return [Math.ceil(groups / y), y, 1];
}
