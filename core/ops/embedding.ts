/**
 * Embedding lookup: rows of a `[V, D]` table gathered by integer ids, with a deterministic scatter-add backward.
 * @module
 */
import {
  EMBEDDING_KERNEL,
  EMBEDDING_LINKS_KERNEL,
  EMBEDDING_ROW_SUM_KERNEL,
  EMBEDDING_SEGMENT_SUM_KERNEL,
  embeddingGrid,
  embeddingLinksGrid,
} from "@hyperdecoders/kernels";
import { record } from "../autograd.ts";
import { launch } from "../launch.ts";
import { empty, type Tensor } from "../tensor.ts";
import { fill_ } from "./create.ts";
import { reshape } from "./shape.ts";

/**
 * `out[..., d] = table[ids[...], d]` → shape `[...ids.shape, D]`. `ids` is i32 (or u32).
 *
 * Ids outside `[0, V)` cannot be reported without a GPU readback, so their rows are **zeros** in the output and they
 * contribute no gradient; validate ids on the CPU where they are made (the tokenizer / data pipeline).
 *
 * The backward scatter-adds gradient rows into a `[V, D]` table gradient deterministically (no float atomics: the
 * sum for each id is taken in position order; see kernels/embedding.ts). Cost: O(N²) integer comparisons over the
 * `N` ids (workgroup memory; negligible for the few thousand tokens of a step) plus O(N·D + V·D).
 */
export function embedding(table: Tensor, ids: Tensor): Tensor {
  if (table.rank !== 2 || table.dtype !== "f32") {
    throw new Error(`embedding: table must be an f32 [V, D] tensor, got ${table.describe()}`);
  }
  if (ids.dtype === "f32") throw new Error(`embedding: ids must be i32 or u32, got ${ids.describe()}`);
  const [V, D] = table.shape;
  const N = ids.size;
  const out = empty([...ids.shape, D], "f32", "embedding");
  if (out.size > 0) launch(EMBEDDING_KERNEL, [table, ids, out], [N * D, D, V], embeddingGrid(N * D));
  record("embedding", out, [table], (g, [savedIds]) => [embeddingBackward(g, savedIds, V, D)], [ids]);
  return out;
}

/**
 * Rows of `x` [n, ...] picked by `rows` (i32 or u32 [m]), as [m, ...]: the embedding gather over a table of any rank,
 * differentiable in `x` (per-example weights selected by task id, beams reordered in generation).
 */
export function gatherRows(x: Tensor, rows: Tensor): Tensor {
  const rest = x.shape.slice(1);
  const width = rest.reduce((a, b) => a * b, 1);
  return reshape(embedding(reshape(x, [x.shape[0], width]), rows), [rows.size, ...rest]);
}

function embeddingBackward(g: Tensor, ids: Tensor, V: number, D: number): Tensor {
  const N = ids.size;
  const dtable = fill_(empty([V, D], "f32", "embedding backward"), 0);
  if (N === 0 || D === 0) return dtable;
  const seg = Math.max(16, Math.ceil(Math.sqrt(N)));
  const links = empty([3 * N], "u32", "embedding backward links");
  const partial = empty([N, D], "f32", "embedding backward partial sums");
  launch(EMBEDDING_LINKS_KERNEL, [ids, links], [N, seg], embeddingLinksGrid(N));
  launch(EMBEDDING_SEGMENT_SUM_KERNEL, [links, g, partial], [N * D, D], embeddingGrid(N * D));
  launch(EMBEDDING_ROW_SUM_KERNEL, [ids, links, partial, dtable], [N * D, D, V], embeddingGrid(N * D));
  links.dispose();
  partial.dispose();
  return dtable;
}
