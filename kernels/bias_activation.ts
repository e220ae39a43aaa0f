/**
 * A bias added to every row, then an optional activation, in one dispatch; and its backward in one dispatch that
 * also sums the bias gradient over the rows.
 *
 * `x` is viewed as `[G, R, C]` and the bias as `[G, C]`: G = 1 for a bias shared by every row, G = B for a bias per
 * example broadcast over that example's R rows.
 * @module
 */
import { grid1d, type Kernel, LINEAR_ID_WGSL, LINEAR_MAIN_WGSL, memoKernel } from "./kernel.ts";
import { EW_WG } from "./elementwise.ts";
import { planReduce, type ReducePlan, ROW_WG, rowGrid } from "./reduce.ts";

/** The activations {@link biasActivationKernel} applies after the bias. */
export type BiasActivationKind = "none" | "relu";

/** The activation as WGSL of the biased value `v` (the same expression as `UNARY.relu`, so the bits match). */
const ACT_WGSL: Record<BiasActivationKind, string> = { none: "v", relu: "max(v, 0.0)" };

function checkKind(what: string, act: string): void {
  if (!(act in ACT_WGSL)) throw new Error(`${what}: unknown activation "${act}" (expected "none" or "relu")`);
}

/**
 * Forward: `ys[g, r, c] = act(xs[g, r, c] + bias[g, c])` over `n = G·R·C` elements; parameters `n`, `cols` (C) and
 * `rc` (R·C). Launch with {@link biasActivationGrid}.
 */
export function biasActivationKernel(act: BiasActivationKind): Kernel {
  checkKind("biasActivationKernel", act);
  return memoKernel(`biasActivationKernel:${act}`, () => ({
    name: `bias_${act}`,
    bindings: [
      { name: "xs", access: "read" },
      { name: "bias", access: "read" },
      { name: "ys", access: "read_write" },
    ],
    params: [["n", "u32"], ["cols", "u32"], ["rc", "u32"]],
    workgroupSize: [EW_WG, 1, 1],
    body: `${LINEAR_ID_WGSL}
${LINEAR_MAIN_WGSL}
  let i = linear_id(wid, nwg, lid.x, ${EW_WG}u);
  if (i >= p.n) { return; }
  let v = xs[i] + bias[(i / p.rc) * p.cols + i % p.cols];
  ys[i] = ${ACT_WGSL[act]};
}`,
  }));
}

/** Grid of {@link biasActivationKernel} over `n` elements. */
export function biasActivationGrid(n: number): [number, number, number] {
  return grid1d(n, EW_WG);
}

/**
 * How {@link biasActivationGradKernel} lays out `[G, R, C]`: a workgroup per (g, block of `tileX` columns), its
 * `tileY` lanes striding over the R rows (the layout of `reduceKernel`'s one-pass sums). With few workgroups and many
 * rows (a shared bias over 4096 rows of 64 or 768 columns) the column block narrows to 8 (still a 32-byte run per
 * row), for more workgroups and shorter serial sums, aiming at 256 workgroups as `planReduce` does.
 */
export function planBiasActivationGrad(groups: number, rows: number, cols: number): ReducePlan {
  let plan = planReduce(groups, rows, cols, false);
  while (plan.tileX > 8 && groups * plan.tiles < 256 && rows >= 2 * plan.tileY) {
    const tileX = plan.tileX / 2;
    plan = { ...plan, tileX, tileY: ROW_WG / tileX, tiles: Math.max(1, Math.ceil(cols / tileX)) };
  }
  return plan;
}

/**
 * Backward: `d[g, r, c] = gs[g, r, c] · act'`, with act' read from the saved output (`ys > 0` for ReLU), written to
 * `dx` when `writeDx`; and `dbias[g, c] = Σ_r d[g, r, c]` (each workgroup's lanes sum strided rows, then a tree in
 * workgroup memory). Bindings: `gs`, then `ys` for ReLU, then `dx` when `writeDx`, then `dbias`. Parameters `groups`,
 * `rows`, `cols`, `tiles` (of the plan). Launch with {@link biasActivationGradGrid}.
 */
export function biasActivationGradKernel(act: BiasActivationKind, tileX: number, writeDx: boolean): Kernel {
  checkKind("biasActivationGradKernel", act);
  if (![1, 2, 4, 8, 16, 32].includes(tileX)) {
    throw new Error(`biasActivationGradKernel: tileX ${tileX} is not a power of 2 ≤ 32`);
  }
  if (act === "relu" && !writeDx) {
    throw new Error("biasActivationGradKernel: a ReLU backward must write dx (only act none passes g through)");
  }
  return memoKernel(`biasActivationGradKernel:${act}:${tileX}:${writeDx}`, () => {
    const tileY = ROW_WG / tileX;
    const bindings: Kernel["bindings"] = [{ name: "gs", access: "read" }];
    if (act === "relu") bindings.push({ name: "ys", access: "read" });
    if (writeDx) bindings.push({ name: "dx", access: "read_write" });
    bindings.push({ name: "dbias", access: "read_write" });
    const grad = act === "relu" ? "select(0.0, gs[i], ys[i] > 0.0)" : "gs[i]";
    return {
      name: `bias_${act}_grad${writeDx ? "" : "_sum"}_x${tileX}`,
      bindings,
      params: [["groups", "u32"], ["rows", "u32"], ["cols", "u32"], ["tiles", "u32"]],
      // Flat workgroup, lanes split in the body (as reduceKernel: some drivers vectorise only along x).
      workgroupSize: [ROW_WG, 1, 1],
      body: `
var<workgroup> sv: array<f32, ${ROW_WG}>;
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid3: vec3<u32>) {
  let w = wid.y * nwg.x + wid.x;
  if (w >= p.groups * p.tiles) { return; }
  let t = lid3.x;
  let lx = t % ${tileX}u;
  let ly = t / ${tileX}u;
  let grp = w / p.tiles;
  let c = (w % p.tiles) * ${tileX}u + lx;
  var acc = 0.0;
  if (c < p.cols) {
    for (var r = ly; r < p.rows; r = r + ${tileY}u) {
      let i = (grp * p.rows + r) * p.cols + c;
      let d = ${grad};
      ${writeDx ? "dx[i] = d;" : ""}
      acc = acc + d;
    }
  }
  sv[t] = acc;
  workgroupBarrier();
  for (var s = ${tileY / 2}u; s > 0u; s = s >> 1u) {
    if (ly < s) { sv[t] = sv[t] + sv[t + s * ${tileX}u]; }
    workgroupBarrier();
  }
  if (ly == 0u && c < p.cols) { dbias[grp * p.cols + c] = sv[t]; }
}`,
    };
  });
}

/** Grid of {@link biasActivationGradKernel}: one workgroup per (group, column tile). */
export function biasActivationGradGrid(groups: number, plan: ReducePlan): [number, number, number] {
  return rowGrid(groups * plan.tiles);
}
