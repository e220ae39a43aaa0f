/**
 * Analysis of the hypernetwork's instance embeddings (the paper's §6): float64 PCA, exact t-SNE, trustworthiness,
 * multinomial logistic-regression probes, SVG scatter plots, and the report that combines them
 * ({@link analyzeEmbeddings}) over embeddings collected from a model ({@link collectEmbeddings}).
 * Everything here is web-standard; `scripts/analyze.ts` is the command line.
 *
 * @example PCA and t-SNE of a few points, and an SVG of the layout
 * ```ts
 * import { matrixFromRows, pca, scatterSvg, tsne } from "@hyperdecoders/eval";
 *
 * const x = matrixFromRows([[0, 0, 1], [0, 1, 1], [5, 5, 0], [5, 6, 0], [9, 0, 3], [9, 1, 3]]);
 * const { projection, explainedVarianceRatio } = pca(x, { components: 2 });
 * const { embedding } = tsne(x, { perplexity: 1.5, seed: 1 });
 * const xs = Array.from({ length: x.rows }, (_, i) => embedding.data[2 * i]);
 * const ys = Array.from({ length: x.rows }, (_, i) => embedding.data[2 * i + 1]);
 * const svg = scatterSvg(xs, ys, ["a", "a", "b", "b", "c", "c"], { title: "t-SNE" });
 * ```
 * @module
 */
export * from "./matrix.ts";
export * from "./random.ts";
export * from "./pca.ts";
export * from "./tsne.ts";
export * from "./quality.ts";
export * from "./lbfgs.ts";
export * from "./logistic.ts";
export * from "./probe.ts";
export * from "./mlp_probe.ts";
export * from "./mlp_probe_table.ts";
export * from "./scatter_svg.ts";
export * from "./labels.ts";
export * from "./embeddings.ts";
export * from "./report.ts";
