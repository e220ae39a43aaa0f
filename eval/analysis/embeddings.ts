/**
 * Collects, for every example of a split, the hypernetwork's instance embedding e = MLP(masked-mean(h)) and the
 * mean-pooled encoder output itself (the encoder-only features of the paper's Table 7), plus, for the tasks asked
 * for, the model's greedy prediction (for colouring plots by predicted label).
 * @module
 */
import { maskedMeanPool, noGrad, scope } from "@hyperdecoders/core";
import { type AdaptedT5, greedySearch } from "@hyperdecoders/models";
import type { TaskSource } from "@hyperdecoders/data";
import type { DecodingSettings, EvalTokenizer } from "../evaluate.ts";
import { batchTensors, evaluationBatches } from "../_batches.ts";
import { type Matrix, zerosMatrix } from "./matrix.ts";

/** The embeddings of a split, one row per example. */
export interface EmbeddingSet {
  /** Which hypernetwork produced `embeddings`. */
  stack: "decoder";
  /** Task of each example. */
  tasks: string[];
  /** Example ids. */
  ids: string[];
  /** Reference target texts. */
  targets: string[];
  /** Greedy predictions (null for tasks not decoded). */
  predictions: (string | null)[];
  /** Hypernetwork embeddings e, [N × d]. */
  embeddings: Matrix;
  /** Mean-pooled encoder outputs, [N × d]. */
  pooled: Matrix;
}

/** Options of {@link collectEmbeddings}. */
export interface CollectOptions {
  /** Examples per batch (default 32). */
  batchSize?: number;
  /** At most this many examples per task: a seeded subset (seed 42, as evaluation uses). */
  maxExamples?: number | null;
  /** Source truncation (default 512). */
  maxSourceLength?: number;
  /** Decoding settings for the tasks whose predictions are wanted (null: do not decode this task). */
  decodeTask?: (task: string) => DecodingSettings | null;
  /** Called after each batch with the number of examples done. */
  onProgress?: (done: number) => void;
}

/**
 * The stack whose hypernetwork embedding is analysed: the decoder's when its adapters are generated (the
 * hyperdecoder). Throws for methods without a generated decoder.
 */
export function embeddingStack(model: AdaptedT5): "decoder" {
  if (model.method.decoder === "generated") return "decoder";
  throw new Error(
    `the analysis needs a hypernetwork that reads the encoder output: this checkpoint's method has ` +
      `decoder adapters "${model.method.decoder}" and encoder adapters "${model.method.encoder}" ` +
      `(analyse a hyperdecoder run: method.decoder = "generated")`,
  );
}

/** Runs the encoder over every example of `sources` and returns e, the pooled encoder output and predictions. */
export async function collectEmbeddings(
  model: AdaptedT5,
  tokenizer: EvalTokenizer,
  sources: TaskSource[],
  options: CollectOptions = {},
): Promise<EmbeddingSet> {
  const stack = embeddingStack(model);
  const d = model.config.dModel;
  const tasks: string[] = [];
  const ids: string[] = [];
  const targets: string[] = [];
  const predictions: (string | null)[] = [];
  const eRows: Float32Array[] = [];
  const pooledRows: Float32Array[] = [];
  const batches = evaluationBatches(sources, tokenizer, options);
  for await (const batch of batches) {
    const b = batch.batchSize;
    const { inputIds, mask } = batchTensors(batch);
    try {
      const [e, pooled] = noGrad(() =>
        scope(() => {
          const encoderOut = model.encode(inputIds, mask, { tasks: batch.tasks });
          return [model.instanceEmbedding(stack, encoderOut, mask), maskedMeanPool(encoderOut, mask)];
        })
      );
      try {
        eRows.push(Float32Array.from(await e.data()));
        pooledRows.push(Float32Array.from(await pooled.data()));
      } finally {
        e.dispose();
        pooled.dispose();
      }
      const settings = options.decodeTask?.(batch.tasks[0]) ?? null;
      let decoded: (string | null)[] = new Array(b).fill(null);
      if (settings) {
        const sequences = await greedySearch(model, inputIds, mask, {
          ...model.generationOptions(batch.tasks),
          maxNewTokens: settings.maxNewTokens,
          minNewTokens: Math.min(settings.minNewTokens, settings.maxNewTokens),
        });
        decoded = sequences.map((seq) => tokenizer.decode(seq.slice(1)).trim());
      }
      tasks.push(...batch.tasks);
      ids.push(...batch.ids);
      targets.push(...batch.targets);
      predictions.push(...decoded);
    } finally {
      inputIds.dispose();
      mask.dispose();
    }
    options.onProgress?.(tasks.length);
  }
  const toMatrix = (rows: Float32Array[]): Matrix => {
    const m = zerosMatrix(tasks.length, d);
    let offset = 0;
    for (const r of rows) {
      m.data.set(r, offset);
      offset += r.length;
    }
    return m;
  };
  return { stack, tasks, ids, targets, predictions, embeddings: toMatrix(eRows), pooled: toMatrix(pooledRows) };
}
