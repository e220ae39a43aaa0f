/**
 * Parquet reading (Hugging Face Hub shards) with `hyparquet`, one row group at a time so memory stays bounded by the
 * largest row group. Works on any {@link ParquetBuffer} (`{byteLength, slice}`): a local file or HTTP range requests.
 *
 * @module
 */
import { parquetMetadataAsync, parquetReadObjects, parquetSchema } from "hyparquet";
import { DataFormatError } from "./errors.ts";
import type { RawRecord } from "./tasks.ts";

/** A random-access byte source (hyparquet's `AsyncBuffer`): a local file, a `Blob`, or HTTP range requests. */
export interface ParquetBuffer {
  /** Size in bytes. */
  readonly byteLength: number;
  /** The bytes `[start, end)` (`end` defaults to the size). */
  slice(start: number, end?: number): ArrayBuffer | Promise<ArrayBuffer>;
}

/** A parquet decompressor: compressed page bytes and the uncompressed length in, the uncompressed bytes out. */
export type ParquetDecompressor = (input: Uint8Array, outputLength: number) => Uint8Array;

/** Decompressors by parquet codec name (`GZIP`, `BROTLI`, `ZSTD`, …), hyparquet's `Compressors`. */
export type ParquetCompressors = { [codec: string]: ParquetDecompressor | undefined };

/** Options of {@link readParquetRows}. */
export interface ParquetReadOptions {
  /** Columns to read (top-level names); all when omitted. Missing ones throw, naming the file. */
  columns?: string[];
  /** Decompressors beyond hyparquet's built-in snappy (e.g. GZIP, BROTLI, ZSTD). */
  compressors?: ParquetCompressors;
}

/** One parquet row with its 1-based row number. */
export interface ParquetRow {
  /** Row as an object (int64 values converted to numbers). */
  value: RawRecord;
  /** 1-based row number in the file (reported as the "line" in errors). */
  line: number;
}

function plain(v: unknown): unknown {
  if (typeof v === "bigint") return Number(v);
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === "object" && !(v instanceof Uint8Array) && !(v instanceof Date)) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = plain(x);
    return o;
  }
  return v;
}

/** Number of rows in a parquet file (from its footer). */
export async function parquetRowCount(file: ParquetBuffer, name: string): Promise<number> {
  return Number((await metadataOf(file, name)).num_rows);
}

async function metadataOf(
  file: ParquetBuffer,
  name: string,
): Promise<Awaited<ReturnType<typeof parquetMetadataAsync>>> {
  try {
    return await parquetMetadataAsync(file);
  } catch (e) {
    throw new DataFormatError(
      name,
      0,
      `not a readable parquet file (${(e as Error).message}); the download may be incomplete`,
    );
  }
}

/** Reads the rows of a parquet file, row group by row group. Errors name the file and, where known, the row. */
export async function* readParquetRows(
  file: ParquetBuffer,
  name: string,
  options: ParquetReadOptions = {},
): AsyncGenerator<ParquetRow> {
  const metadata = await metadataOf(file, name);
  const present = parquetSchema(metadata).children.map((c) => c.element.name);
  for (const c of options.columns ?? []) {
    if (!present.includes(c)) {
      throw new DataFormatError(name, 0, `missing column "${c}" (columns: ${present.join(", ")})`);
    }
  }
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    let rows: Record<string, unknown>[];
    try {
      rows = await parquetReadObjects({
        file,
        metadata,
        rowStart,
        rowEnd,
        columns: options.columns,
        compressors: options.compressors,
      });
    } catch (e) {
      throw new DataFormatError(
        name,
        rowStart + 1,
        `cannot decode the row group starting at this row (${(e as Error).message})`,
      );
    }
    for (let i = 0; i < rows.length; i++) {
      yield { value: plain(rows[i]) as RawRecord, line: rowStart + i + 1 };
    }
    rowStart = rowEnd;
  }
}
