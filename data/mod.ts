/**
 * @module
 * @hyperdecoders/data
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
  tokenizerInfo,
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
