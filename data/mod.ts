/**
 * The data side of hyperdecoders, with no GPU code: the T5 SentencePiece tokenizer (exact against `sentencepiece` and
 * Hugging Face), the paper's task registry and templates, readers (GLUE TSV, JSONL(.gz), parquet, MRQA with context
 * chunking), gzip JSONL shards with a manifest, and a seeded, resumable streaming loader over a task mixture.
 *
 * The tokenizer, templates, readers of bytes and batching are web-standard; the file adapters (`loadTokenizer`,
 * `prepareDataset`, `openDatasetDir`, `openTaskSources`, …) use `Deno.*`.
 *
 * @example
 * ```ts
 * import { loadTokenizer } from "@hyperdecoders/data";
 *
 * const tokenizer = await loadTokenizer("path/to/t5-small"); // spiece.model, tokenizer.json or their folder
 * const batch = tokenizer.encodeBatch(["rte sentence1: A cat sat. sentence2: An animal sat.", "cola sentence: Hi."]);
 * console.log(batch.ids, tokenizer.decode(batch.ids[0]));
 * ```
 * @module
 */

export {};
export { cleanUpTokenization, loadTokenizer, parseSpieceModel, PieceType, Tokenizer } from "./tokenizer/mod.ts";
export type {
  BatchEncodeOptions,
  BatchEncoding,
  DecodeOptions,
  EncodedPieces,
  EncodeOptions,
  FromSpieceModelOptions,
  FromTokenizerJsonOptions,
  LoadTokenizerOptions,
  SpmModel,
  SpmNormalizerSpec,
  SpmPiece,
  SpmTrainerSpec,
  TextTokenizer,
} from "./tokenizer/mod.ts";
export { type BadRecordOptions, DataFormatError, SkipTally } from "./errors.ts";
export type { TextEncoderLike } from "./encoder.ts";
export { type Example, exampleFromJson, exampleToJson } from "./example.ts";
export { concatBytes, gunzipIfNeeded } from "./gzip.ts";
export { type Line, readLines } from "./lines.ts";
export { type JsonlRecord, readJsonl, readUserTasks } from "./jsonl.ts";
export { GLUE_TSV_TASKS, readGlueTsv, type TsvRow } from "./glue_tsv.ts";
export { mrqaFromHfRow, type MrqaQuestion, type MrqaRecord, readMrqaJsonl } from "./mrqa.ts";
export { chunkMrqaQuestion, encodeWithOffsets, type MrqaChunkOptions, type TokensWithOffsets } from "./mrqa_chunk.ts";
export {
  type ParquetBuffer,
  type ParquetCompressors,
  type ParquetDecompressor,
  type ParquetReadOptions,
  type ParquetRow,
  parquetRowCount,
  readParquetRows,
} from "./parquet.ts";
export {
  formatExample,
  type FormatOptions,
  getTask,
  GLUE_TASKS,
  labelToTarget,
  type RawRecord,
  roundHalfEven,
  type SplitPolicy,
  type StsbRounding,
  stsbTarget,
  type TargetKind,
  targetToLabel,
  TASKS,
  type TaskSpec,
  taskSpecOf,
  TEMPLATE_VERSION,
} from "./tasks.ts";
export { planSizes, planSplits, type SplitName, type SplitOptions, type SplitPlan } from "./splits.ts";
export {
  type Manifest,
  MANIFEST_FORMAT,
  type ManifestEntry,
  mergeManifest,
  parseManifest,
  type Provenance,
  type ShardInfo,
} from "./manifest.ts";
export { DEFAULT_SHARD_BYTES, gzipBytes, sha256Hex, type ShardSink, ShardWriter } from "./shard_writer.ts";
export {
  readShardExamples,
  readShardLines,
  readTaskExamples,
  type ShardLine,
  type ShardRef,
  type TaskSource,
  taskSourcesFromManifest,
} from "./task_source.ts";
export { TaskStream } from "./task_stream.ts";
export { MixtureSampler, mixtureWeights } from "./mixing.ts";
export {
  type Batch,
  collate,
  type CollateOptions,
  type TokenizedExample,
  tokenizeExample,
  truncateIds,
} from "./collate.ts";
export {
  type LoaderState,
  sequentialBatches,
  type SequentialOptions,
  StreamingLoader,
  type StreamingLoaderOptions,
} from "./loader.ts";
export {
  DEFAULT_DEMO_SIZES,
  DEMO_FILLER,
  DEMO_MARKED,
  DEMO_NAMES,
  DEMO_NEGATIVE,
  DEMO_POSITIVE,
  DEMO_TASKS,
  demoRecords,
  type DemoSizes,
} from "./demo.ts";
export {
  type DatasetDir,
  directorySink,
  isUrl,
  openAsyncBuffer,
  openByteStream,
  openDatasetDir,
  openTaskSources,
  parquetCompressors,
  readManifest,
  removeLeftovers,
  sha256File,
  syncDir,
  tokenizerInfo,
  writeFileAtomic,
} from "./fs.ts";
export {
  expandInputs,
  inferFormat,
  inferSplit,
  type InputFormat,
  prepareDataset,
  type PrepareInput,
  type PrepareOptions,
  type PrepareResult,
} from "./prepare.ts";
export { type DemoMixtureOptions, writeDemoMixture } from "./demo_prepare.ts";
export { datasetStats, type StatsOptions, type StatsTable } from "./stats.ts";
