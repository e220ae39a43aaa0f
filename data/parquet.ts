/**
 * Parquet reading (Hugging Face Hub shards) with `hyparquet`, one row group at a time so memory stays bounded by the
 * largest row group. Works on any `AsyncBuffer` (`{byteLength, slice}`): a local file or HTTP range requests.
 *
 * @module
 */
import { type AsyncBuffer, type Compressors, parquetMetadataAsync, parquetReadObjects, parquetSchema } from "hyparquet";
import { DataFormatError } from "./errors.ts";
import type { RawRecord } from "./tasks.ts";

/** Options of {@link readParquetRows}. */
export interface ParquetReadOptions {
  /** Columns to read (top-level names); all when omitted. Missing ones throw, naming the file. */
  columns?: string[];
  /** Decompressors beyond hyparquet's built-in snappy (e.g. GZIP, BROTLI, ZSTD). */
  compressors?: Compressors;
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
export async function parquetRowCount(file: AsyncBuffer, name: string): Promise<number> {
  return Number((await metadataOf(file, name)).num_rows);
}

async function metadataOf(file: AsyncBuffer, name: string): Promise<Awaited<ReturnType<typeof parquetMetadataAsync>>> {
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
  file: AsyncBuffer,
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
