/**
 * A minimal protocol-buffers wire-format reader (proto2 varint, fixed32/64 and length-delimited fields), enough to
 * read `sentencepiece_model.proto` messages without a schema compiler. Every read is bounds-checked so that a
 * truncated file raises an error naming the byte offset instead of yielding a silently shorter message.
 */

/** Wire types of the protocol-buffers encoding. */
export const WIRE_VARINT = 0;
/** 64-bit fixed-size field. */
export const WIRE_FIXED64 = 1;
/** Length-delimited field (strings, bytes, sub-messages). */
export const WIRE_LEN = 2;
/** 32-bit fixed-size field (`float`, `fixed32`). */
export const WIRE_FIXED32 = 5;

/** Sequential reader over one protobuf message (a byte range). */
export class ProtoReader {
  #bytes: Uint8Array;
  #view: DataView;
  #pos: number;
  #end: number;
  #what: string;

  /** Read `bytes[start, end)`; `what` names the file and message in error messages. */
  constructor(bytes: Uint8Array, what: string, start = 0, end: number = bytes.length) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#pos = start;
    this.#end = end;
    this.#what = what;
  }

  /** True when the whole message has been read. */
  get done(): boolean {
    return this.#pos >= this.#end;
  }

  /** Current byte offset (into the whole buffer). */
  get pos(): number {
    return this.#pos;
  }

  #fail(detail: string): never {
    throw new Error(
      `${this.#what}: malformed or truncated protobuf at byte ${this.#pos}: ${detail}. ` +
        "Re-download or re-export the file (it must be a complete SentencePiece ModelProto).",
    );
  }

  /** Read a field key; returns `[fieldNumber, wireType]`. */
  key(): [number, number] {
    const k = this.varint();
    const field = Math.floor(k / 8);
    const wire = k % 8;
    if (field === 0) this.#fail("field number 0");
    return [field, wire];
  }

  /** Read a varint as a JS number (exact up to 2^53); int32 fields holding negatives read back via `int32()`. */
  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.#pos >= this.#end) this.#fail("varint runs past the end of the message");
      const b = this.#bytes[this.#pos++];
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
    this.#fail("varint longer than 10 bytes");
  }

  /** Read a varint-encoded `int32` (negative values are sign-extended 10-byte varints; the low 32 bits count). */
  int32(): number {
    let low = 0;
    for (let i = 0; i < 10; i++) {
      if (this.#pos >= this.#end) this.#fail("varint runs past the end of the message");
      const b = this.#bytes[this.#pos++];
      if (i < 5) low |= (b & 0x7f) << (7 * i);
      if ((b & 0x80) === 0) return low | 0;
    }
    this.#fail("varint longer than 10 bytes");
  }

  /** Read a varint-encoded `bool`. */
  bool(): boolean {
    return this.varint() !== 0;
  }

  /** Read a little-endian IEEE float (wire type 5). */
  float32(): number {
    if (this.#pos + 4 > this.#end) this.#fail("float runs past the end of the message");
    const v = this.#view.getFloat32(this.#pos, true);
    this.#pos += 4;
    return v;
  }

  /** Read a length-delimited field and return its byte range `[start, end)`. */
  lengthDelimited(): [number, number] {
    const len = this.varint();
    const start = this.#pos;
    if (start + len > this.#end) {
      this.#fail(`length-delimited field of ${len} bytes runs past the end of the message (${this.#end - start} left)`);
    }
    this.#pos = start + len;
    return [start, start + len];
  }

  /** Read a length-delimited field as bytes (a view, not a copy). */
  bytes(): Uint8Array {
    const [s, e] = this.lengthDelimited();
    return this.#bytes.subarray(s, e);
  }

  /** Read a length-delimited field as UTF-8 text. */
  string(): string {
    return utf8.decode(this.bytes());
  }

  /** Reader over a nested message held in a length-delimited field. */
  message(what: string): ProtoReader {
    const [s, e] = this.lengthDelimited();
    return new ProtoReader(this.#bytes, what, s, e);
  }

  /** Skip a field of the given wire type. */
  skip(wire: number): void {
    switch (wire) {
      case WIRE_VARINT:
        this.varint();
        return;
      case WIRE_FIXED64:
        if (this.#pos + 8 > this.#end) this.#fail("fixed64 runs past the end of the message");
        this.#pos += 8;
        return;
      case WIRE_LEN:
        this.lengthDelimited();
        return;
      case WIRE_FIXED32:
        if (this.#pos + 4 > this.#end) this.#fail("fixed32 runs past the end of the message");
        this.#pos += 4;
        return;
      default:
        this.#fail(`unsupported wire type ${wire}`);
    }
  }

  /** Throw unless the wire type read for `name` is the expected one. */
  expectWire(wire: number, expected: number, name: string): void {
    if (wire !== expected) this.#fail(`field ${name} has wire type ${wire}, expected ${expected}`);
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: false });
