/**
 * The hypernetwork as the paper defines it (a two-layer network generating W_u, W_d, b_u, b_d from [e; l_i], with
 * e = MLP(mean(h)) over the encoder output h): the instance embedding (masked mean pool of the encoder output, then an optional
 * d→d→d ReLU MLP) and the parameter generator shared by all layers of a stack (learned layer embedding, a bottleneck
 * `z = ReLU(W_1·[e; l_i] + c_1)` and four heads for W_u, W_d, b_u, b_d).
 *
 * All layers are generated together: `W_1·[e; l_i] = W_1[:, :d]·e + W_1[:, d:]·l_i`, so the bottleneck of every
 * (layer, example) pair is one broadcast sum of a [B, b] and an [L, b] product, and each head is one matmul over the
 * L·B rows (layer-major, so that a layer's weights are a contiguous slice).
 * @module
 */
import {
  add,
  biasActivation,
  chunk,
  linear,
  maskedMeanPool,
  relu,
  reshape,
  slice,
  type Tensor,
} from "@hyperdecoders/core";
import type { AdapterWeights } from "./adapters.ts";

/** The MLP applied to the pooled encoder output (`mlp.0`, ReLU, `mlp.2`). */
export interface MlpParams {
  /** `mlp.0.weight` [d, d]. */
  w0: Tensor;
  /** `mlp.0.bias` [d]. */
  b0: Tensor;
  /** `mlp.2.weight` [d, d]. */
  w2: Tensor;
  /** `mlp.2.bias` [d]. */
  b2: Tensor;
}

/** Instance embedding `e = MLP(masked-mean(h))` of encoder states `h` [B, S, d] with mask [B, S]; `mlp` null skips it. */
export function instanceEmbedding(encoderOut: Tensor, mask: Tensor, mlp: MlpParams | null): Tensor {
  const pooled = maskedMeanPool(encoderOut, mask);
  if (!mlp) return pooled;
  const hidden = biasActivation(linear(pooled, mlp.w0), mlp.b0, { activation: "relu" });
  return biasActivation(linear(hidden, mlp.w2), mlp.b2, { activation: "none" });
}

/** One generator's parameters (`param_gen`), PyTorch layout. */
export interface GeneratorParams {
  /** `layer_embed.weight` [L, E]. */
  layerEmbed: Tensor;
  /** `decoder.linear1.weight` [b, d + E]. */
  w1: Tensor;
  /** `decoder.linear1.bias` [b]. */
  c1: Tensor;
  /** `decoder.weight_up.{weight,bias}`: [d·a, b], [d·a]. */
  weightUp: [Tensor, Tensor];
  /** `decoder.weight_down.{weight,bias}`: [d·a, b], [d·a]. */
  weightDown: [Tensor, Tensor];
  /** `decoder.bias_up.{weight,bias}`: [d, b], [d]. */
  biasUp: [Tensor, Tensor];
  /** `decoder.bias_down.{weight,bias}`: [a, b], [a]. */
  biasDown: [Tensor, Tensor];
}

/**
 * Generates every layer's adapter weights from per-example embeddings `e` [B, d]: returns L entries of
 * {@link AdapterWeights} (`W_d` [B, d, a], `b_d` [B, 1, a], `W_u` [B, a, d], `b_u` [B, 1, d]), reshaped as the
 * reference's `apply_adapter_params` does (row-major views of the flat head outputs).
 */
export function generateAdapterWeights(e: Tensor, g: GeneratorParams): AdapterWeights[] {
  if (e.rank !== 2) throw new Error(`generateAdapterWeights: embedding must be [B, d], got ${e.describe()}`);
  const [B, d] = e.shape;
  const [L, E] = g.layerEmbed.shape;
  const [b, inWidth] = g.w1.shape;
  if (inWidth !== d + E) {
    throw new Error(
      `generateAdapterWeights: linear1 ${g.w1.describe()} expects inputs of width ${inWidth}, but [e; l] has ${d} + ${E}`,
    );
  }
  const a = g.biasDown[0].shape[0];
  const ze = linear(e, slice(g.w1, 1, 0, d)); // [B, b]
  const zl = biasActivation(linear(g.layerEmbed, slice(g.w1, 1, d, d + E)), g.c1, { activation: "none" }); // [L, b]
  // Both operands broadcast here (an outer sum over layers × examples), which biasActivation does not take.
  const z = reshape(relu(add(reshape(ze, [1, B, b]), reshape(zl, [L, 1, b]))), [L * B, b]);
  const head = ([w, bias]: [Tensor, Tensor]) => biasActivation(linear(z, w), bias, { activation: "none" });
  const up = head(g.weightUp); // [L·B, d·a]
  const down = head(g.weightDown);
  const upBias = head(g.biasUp); // [L·B, d]
  const downBias = head(g.biasDown); // [L·B, a]
  // each layer's rows, all layers' in one dispatch per head (per up to 15 layers)
  const perLayer = (t: Tensor) => (L === 1 ? [t] : chunk(t, 0, L));
  const [downs, downBiases, ups, upBiases] = [down, downBias, up, upBias].map(perLayer);
  const layers: AdapterWeights[] = [];
  for (let i = 0; i < L; i++) {
    layers.push({
      down: reshape(downs[i], [B, d, a]),
      downBias: reshape(downBiases[i], [B, 1, a]),
      up: reshape(ups[i], [B, a, d]),
      upBias: reshape(upBiases[i], [B, 1, d]),
    });
  }
  // The flat head outputs are not needed by any backward (slices and bias adds keep no inputs), so free them now
  // rather than at the end of the caller's scope: it halves the peak memory of the generated weights. (With L = 1
  // the layer's weights are views, which keep the storage alive.)
  for (const t of [up, down, upBias, downBias]) t.dispose();
  return layers;
}
