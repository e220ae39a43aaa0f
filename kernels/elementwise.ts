/**
 * Element-wise kernels declared once as WGSL expressions: unary ops with their derivative, binary ops with
 * NumPy broadcasting (rank ≤ 6, strides of 0 on broadcast axes), fill and affine scalar maps.
 * @module
 */
import { grid1d, type Kernel, LINEAR_ID_WGSL, LINEAR_MAIN_WGSL, memoKernel } from "./kernel.ts";

/** Threads per workgroup of the element-wise kernels. */
export const EW_WG = 256;

/** Highest rank the broadcasting kernels handle. */
export const MAX_RANK = 6;

/**
 * A unary op: `fwd` maps `x` to `y`; `bwd` maps `x`, `y` and the output gradient `g` to the input gradient. `cpu` is
 * the float64 reference of the forward and `cpuGrad` that of the derivative dy/dx.
 */
export interface UnaryDef {
  /** WGSL expression of the forward in `x`. */
  fwd: string;
  /** WGSL expression of the input gradient in `x`, `y`, `g`. */
  bwd: string;
  /** Float64 reference of the forward. */
  cpu: (x: number) => number;
  /** Float64 reference of dy/dx. */
  cpuGrad: (x: number) => number;
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

function geluNew(x: number): number {
  return 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x ** 3)));
}

function geluNewGrad(x: number): number {
  const t = Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x ** 3));
  return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x);
}

/** The unary ops. WGSL's tanh is evaluated on a clamped argument because some drivers overflow past |x| ≈ 44. */
export const UNARY: Record<string, UnaryDef> = {
  relu: { fwd: "max(x, 0.0)", bwd: "select(0.0, g, x > 0.0)", cpu: (x) => Math.max(x, 0), cpuGrad: (x) => +(x > 0) },
  gelu_new: {
    fwd: "0.5 * x * (1.0 + tanh(clamp(0.7978845608028654 * (x + 0.044715 * x * x * x), -15.0, 15.0)))",
    bwd: "g * gelu_new_grad(x)",
    cpu: geluNew,
    cpuGrad: geluNewGrad,
  },
  exp: { fwd: "exp(x)", bwd: "g * y", cpu: Math.exp, cpuGrad: Math.exp },
  log: { fwd: "log(x)", bwd: "g / x", cpu: Math.log, cpuGrad: (x) => 1 / x },
  tanh: {
    fwd: "tanh(clamp(x, -15.0, 15.0))",
    bwd: "g * (1.0 - y * y)",
    cpu: Math.tanh,
    cpuGrad: (x) => 1 - Math.tanh(x) ** 2,
  },
  sigmoid: {
    fwd: "1.0 / (1.0 + exp(-x))",
    bwd: "g * y * (1.0 - y)",
    cpu: (x) => 1 / (1 + Math.exp(-x)),
    cpuGrad: (x) => Math.exp(-x) / (1 + Math.exp(-x)) ** 2,
  },
  neg: { fwd: "-x", bwd: "-g", cpu: (x) => -x, cpuGrad: () => -1 },
  square: { fwd: "x * x", bwd: "2.0 * g * x", cpu: (x) => x * x, cpuGrad: (x) => 2 * x },
  sqrt: { fwd: "sqrt(x)", bwd: "0.5 * g / y", cpu: Math.sqrt, cpuGrad: (x) => 0.5 / Math.sqrt(x) },
  rsqrt: {
    fwd: "inverseSqrt(x)",
    bwd: "-0.5 * g * y * y * y",
    cpu: (x) => 1 / Math.sqrt(x),
    cpuGrad: (x) => -0.5 * x ** -1.5,
  },
};

/** WGSL of `gelu_new_grad(x)`, the derivative of `gelu_new` that {@link UNARY}'s `gelu_new` backward calls. */
export const GELU_NEW_GRAD_WGSL: string = `
fn gelu_new_grad(x: f32) -> f32 {
  let c = 0.7978845608028654;
  let t = tanh(clamp(c * (x + 0.044715 * x * x * x), -15.0, 15.0));
  return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * c * (1.0 + 3.0 * 0.044715 * x * x);
}`;

/** Forward kernel of a unary op: `y[i] = f(x[i])`. */
export function unaryKernel(op: string): Kernel {
  return memoKernel(`unaryKernel:${op}`, () => {
    const def = UNARY[op];
    if (!def) throw new Error(`unknown unary op "${op}"`);
    return {
      name: `unary_${op}`,
      bindings: [{ name: "xs", access: "read" }, { name: "ys", access: "read_write" }],
      params: [["n", "u32"]],
      workgroupSize: [EW_WG, 1, 1],
      body: `${LINEAR_ID_WGSL}
  ${LINEAR_MAIN_WGSL}
    let i = linear_id(wid, nwg, lid.x, ${EW_WG}u);
    if (i >= p.n) { return; }
    let x = xs[i];
    ys[i] = ${def.fwd};
  }`,
    };
  });
}

/** Backward kernel of a unary op: `dx[i] = bwd(x[i], y[i], g[i])`. */
export function unaryGradKernel(op: string): Kernel {
  return memoKernel(`unaryGradKernel:${op}`, () => {
    const def = UNARY[op];
    if (!def) throw new Error(`unknown unary op "${op}"`);
    return {
      name: `unary_${op}_grad`,
      bindings: [
        { name: "xs", access: "read" },
        { name: "ys", access: "read" },
        { name: "gs", access: "read" },
        { name: "dx", access: "read_write" },
      ],
      params: [["n", "u32"]],
      workgroupSize: [EW_WG, 1, 1],
      body: `${LINEAR_ID_WGSL}${GELU_NEW_GRAD_WGSL}
  ${LINEAR_MAIN_WGSL}
    let i = linear_id(wid, nwg, lid.x, ${EW_WG}u);
    if (i >= p.n) { return; }
    let x = xs[i];
    let y = ys[i];
    let g = gs[i];
    dx[i] = ${def.bwd};
  }`,
    };
  });
}

/** Binary ops as WGSL expressions in `a` and `b`. */
export const BINARY: Record<string, { expr: string; cpu: (a: number, b: number) => number }> = {
  add: { expr: "a + b", cpu: (a, b) => a + b },
  sub: { expr: "a - b", cpu: (a, b) => a - b },
  mul: { expr: "a * b", cpu: (a, b) => a * b },
  div: { expr: "a / b", cpu: (a, b) => a / b },
  maximum: { expr: "max(a, b)", cpu: Math.max },
};

const BCAST_PARAMS: [string, "u32"][] = [["n", "u32"]];
for (let d = 0; d < MAX_RANK; d++) BCAST_PARAMS.push([`d${d}`, "u32"]);
for (let d = 0; d < MAX_RANK; d++) BCAST_PARAMS.push([`sa${d}`, "u32"]);
for (let d = 0; d < MAX_RANK; d++) BCAST_PARAMS.push([`sb${d}`, "u32"]);

/**
 * A binary op over broadcast operands. `broadcast` false: both operands have the output's shape (no index maths).
 * Otherwise parameters are `n`, the output dims `d0..d5` (left-padded with 1) and element strides of each operand
 * `sa*`, `sb*` (0 on broadcast axes).
 */
export function binaryKernel(op: string, broadcast: boolean): Kernel {
  return memoKernel(`binaryKernel:${op}:${broadcast}`, () => {
    const def = BINARY[op];
    if (!def) throw new Error(`unknown binary op "${op}"`);
    const bindings = [
      { name: "as_", access: "read" as const },
      { name: "bs", access: "read" as const },
      { name: "out", access: "read_write" as const },
    ];
    let index = "let ia = i;\n  let ib = i;";
    if (broadcast) {
      const lines = ["var rem = i;", "var ia = 0u;", "var ib = 0u;"];
      for (let d = MAX_RANK - 1; d >= 0; d--) {
        lines.push(`{ let c = rem % p.d${d}; rem = rem / p.d${d}; ia += c * p.sa${d}; ib += c * p.sb${d}; }`);
      }
      index = lines.join("\n  ");
    }
    return {
      name: `binary_${op}${broadcast ? "_bcast" : ""}`,
      bindings,
      params: broadcast ? BCAST_PARAMS : [["n", "u32"]],
      workgroupSize: [EW_WG, 1, 1],
      body: `${LINEAR_ID_WGSL}
  ${LINEAR_MAIN_WGSL}
    let i = linear_id(wid, nwg, lid.x, ${EW_WG}u);
    if (i >= p.n) { return; }
    ${index}
    let a = as_[ia];
    let b = bs[ib];
    out[i] = ${def.expr};
  }`,
    };
  });
}

/** `y = x * scale + shift` element-wise (also used for scalar add/mul). */
export const AFFINE_KERNEL: Kernel = {
  name: "affine",
  bindings: [{ name: "xs", access: "read" }, { name: "ys", access: "read_write" }],
  params: [["n", "u32"], ["scale", "f32"], ["shift", "f32"]],
  workgroupSize: [EW_WG, 1, 1],
  body: `${LINEAR_ID_WGSL}
${LINEAR_MAIN_WGSL}
  let i = linear_id(wid, nwg, lid.x, ${EW_WG}u);
  if (i >= p.n) { return; }
  ys[i] = xs[i] * p.scale + p.shift;
}`,
};

/** Fills a buffer with one 32-bit pattern (`bits`: the value's bit pattern, so it serves f32, i32 and u32). */
export const FILL_KERNEL: Kernel = {
  name: "fill",
  bindings: [{ name: "ys", access: "read_write", elem: "u32" }],
  params: [["n", "u32"], ["bits", "u32"]],
  workgroupSize: [EW_WG, 1, 1],
  body: `${LINEAR_ID_WGSL}
${LINEAR_MAIN_WGSL}
  let i = linear_id(wid, nwg, lid.x, ${EW_WG}u);
  if (i >= p.n) { return; }
  ys[i] = p.bits;
}`,
};

/** Copies `n` 32-bit words (any dtype). */
export const COPY_KERNEL: Kernel = {
  name: "copy",
  bindings: [{ name: "xs", access: "read", elem: "u32" }, { name: "ys", access: "read_write", elem: "u32" }],
  params: [["n", "u32"]],
  workgroupSize: [EW_WG, 1, 1],
  body: `${LINEAR_ID_WGSL}
${LINEAR_MAIN_WGSL}
  let i = linear_id(wid, nwg, lid.x, ${EW_WG}u);
  if (i >= p.n) { return; }
  ys[i] = xs[i];
}`,
};

/** Grid for an element-wise kernel over `n` elements. */
export function ewGrid(n: number): [number, number, number] {
  return grid1d(n, EW_WG);
}
