/**
 * Embedding lookup (row gather) and its deterministic backward (scatter-add of rows into a `[V, D]` gradient).
 *
 * The backward avoids float atomics (whose summation order, and so whose result, varies run to run) by building,
 * for every position, links to the next position with the same id:
 * 1. {@link EMBEDDING_LINKS_KERNEL}: an O(N²) comparison of ids in workgroup memory (N = number of looked-up ids, a
 *    few thousand per step) finds, per position, the next equal id in its segment, the first equal id in a later
 *    segment, and whether it is the first occurrence in its segment and overall. Segments are ≈ √N long.
 * 2. {@link EMBEDDING_SEGMENT_SUM_KERNEL}: each segment's first occurrence sums its chain within the segment.
 * 3. {@link EMBEDDING_ROW_SUM_KERNEL}: each id's first occurrence sums the segment partials along its chain of later
 *    segments and writes the table row.
 * The summation order is fixed (positions in increasing order, grouped by segment) so the result is reproducible,
 * and no chain is longer than a segment or the number of segments (≈ 2√N dependent loads).
 * @module
 */
import { EW_WG } from "./elementwise.ts";
import { grid1d, type Kernel, LINEAR_ID_WGSL, LINEAR_MAIN_WGSL } from "./kernel.ts";

/** Threads per workgroup of the link kernel (also its tile of ids in workgroup memory). */
export const EMBEDDING_LINK_WG = 256;

/** Marks "no next position" in the links buffer. */
export const EMBEDDING_NONE = 0xffffffff;

/** `out[r, d] = table[ids[r], d]`, or 0 when `ids[r]` is outside `[0, V)`. Parameters: `n = N·D`, `D`, `V`. */
export const EMBEDDING_KERNEL: Kernel = {
  name: "embedding",
  bindings: [
    { name: "table", access: "read" },
    { name: "ids", access: "read", elem: "i32" },
    { name: "out", access: "read_write" },
  ],
  params: [["n", "u32"], ["D", "u32"], ["V", "u32"]],
  workgroupSize: [EW_WG, 1, 1],
  body: `${LINEAR_ID_WGSL}
${LINEAR_MAIN_WGSL}
  let i = linear_id(wid, nwg, lid.x, ${EW_WG}u);
  if (i >= p.n) { return; }
  let id = ids[i / p.D];
  var v = 0.0;
  if (id >= 0 && u32(id) < p.V) { v = table[u32(id) * p.D + i % p.D]; }
  out[i] = v;
}`,
};

/**
 * Per position `n` of `N`: `links[3n] =` next position in the same segment with the same id, `links[3n+1] =` first
 * position in a later segment with the same id (both {@link EMBEDDING_NONE} if none), `links[3n+2] =` bit 0: first
 * of its id in its segment, bit 1: first of its id overall. Parameters: `N`, `seg` (segment length).
 */
export const EMBEDDING_LINKS_KERNEL: Kernel = {
  name: "embedding_links",
  bindings: [{ name: "ids", access: "read", elem: "i32" }, { name: "links", access: "read_write", elem: "u32" }],
  params: [["N", "u32"], ["seg", "u32"]],
  workgroupSize: [EMBEDDING_LINK_WG, 1, 1],
  body: `${LINEAR_ID_WGSL}
var<workgroup> tile: array<i32, ${EMBEDDING_LINK_WG}>;
${LINEAR_MAIN_WGSL}
  let n = linear_id(wid, nwg, lid.x, ${EMBEDDING_LINK_WG}u);
  let live = n < p.N;
  var id = 0;
  if (live) { id = ids[n]; }
  let segStart = (n / p.seg) * p.seg;
  let segEnd = segStart + p.seg;
  var nextInSeg = ${EMBEDDING_NONE}u;
  var nextLater = ${EMBEDDING_NONE}u;
  var segHead = true;
  var head = true;
  let tiles = (p.N + ${EMBEDDING_LINK_WG - 1}u) / ${EMBEDDING_LINK_WG}u;
  for (var t = 0u; t < tiles; t++) {
    let m0 = t * ${EMBEDDING_LINK_WG}u;
    if (m0 + lid.x < p.N) { tile[lid.x] = ids[m0 + lid.x]; }
    workgroupBarrier();
    let count = min(${EMBEDDING_LINK_WG}u, p.N - m0);
    for (var k = 0u; k < count; k++) {
      let m = m0 + k;
      if (tile[k] == id) {
        if (m < n) {
          head = false;
          if (m >= segStart) { segHead = false; }
        } else if (m > n) {
          if (m < segEnd) {
            if (nextInSeg == ${EMBEDDING_NONE}u) { nextInSeg = m; }
          } else if (nextLater == ${EMBEDDING_NONE}u) {
            nextLater = m;
          }
        }
      }
    }
    workgroupBarrier();
  }
  if (live) {
    links[3u * n] = nextInSeg;
    links[3u * n + 1u] = nextLater;
    links[3u * n + 2u] = select(0u, 1u, segHead) | select(0u, 2u, head);
  }
}`,
};

/**
 * `partial[n, d] = Σ g[m, d]` over the chain of equal ids within `n`'s segment, for segment heads `n` (other rows are
 * left unwritten). Parameters: `n = N·D`, `D`.
 */
export const EMBEDDING_SEGMENT_SUM_KERNEL: Kernel = {
  name: "embedding_segment_sum",
  bindings: [
    { name: "links", access: "read", elem: "u32" },
    { name: "g", access: "read" },
    { name: "partial", access: "read_write" },
  ],
  params: [["n", "u32"], ["D", "u32"]],
  workgroupSize: [EW_WG, 1, 1],
  body: `${LINEAR_ID_WGSL}
${LINEAR_MAIN_WGSL}
  let i = linear_id(wid, nwg, lid.x, ${EW_WG}u);
  if (i >= p.n) { return; }
  let r = i / p.D;
  let d = i % p.D;
  if ((links[3u * r + 2u] & 1u) == 0u) { return; }
  var acc = 0.0;
  var m = r;
  loop {
    acc += g[m * p.D + d];
    m = links[3u * m];
    if (m == ${EMBEDDING_NONE}u) { break; }
  }
  partial[i] = acc;
}`,
};

/**
 * For the first occurrence `n` of each in-range id: `dtable[id, d] = Σ partial[m, d]` over `n` and the segment heads
 * chained after it. `dtable` must be zeroed first (ids that do not occur keep 0). Parameters: `n = N·D`, `D`, `V`.
 */
export const EMBEDDING_ROW_SUM_KERNEL: Kernel = {
  name: "embedding_row_sum",
  bindings: [
    { name: "ids", access: "read", elem: "i32" },
    { name: "links", access: "read", elem: "u32" },
    { name: "partial", access: "read" },
    { name: "dtable", access: "read_write" },
  ],
  params: [["n", "u32"], ["D", "u32"], ["V", "u32"]],
  workgroupSize: [EW_WG, 1, 1],
  body: `${LINEAR_ID_WGSL}
${LINEAR_MAIN_WGSL}
  let i = linear_id(wid, nwg, lid.x, ${EW_WG}u);
  if (i >= p.n) { return; }
  let r = i / p.D;
  let d = i % p.D;
  let id = ids[r];
  if ((links[3u * r + 2u] & 2u) == 0u || id < 0 || u32(id) >= p.V) { return; }
  var acc = 0.0;
  var m = r;
  loop {
    acc += partial[m * p.D + d];
    m = links[3u * m + 1u];
    if (m == ${EMBEDDING_NONE}u) { break; }
  }
  dtable[u32(id) * p.D + d] = acc;
}`,
};

/** Grid for the element-wise embedding kernels over `n` threads. */
export function embeddingGrid(n: number): [number, number, number] {
  return grid1d(n, EW_WG);
}

/** Grid for {@link EMBEDDING_LINKS_KERNEL} over `N` positions. */
export function embeddingLinksGrid(N: number): [number, number, number] {
  return grid1d(N, EMBEDDING_LINK_WG);
}
