/**
 * A restricted Python unpickler: it builds plain data (numbers, strings, bytes, tuples/lists as arrays, dicts as
 * `Map`) and resolves `GLOBAL`s only through a caller-supplied allowlist. Nothing found in the pickle is ever run:
 * an allowed global is a JavaScript function the caller wrote, and every other global, every opcode that could
 * construct arbitrary objects (`INST`, `OBJ`, `NEWOBJ`, `EXT*`, ...) and every malformed stream is refused with an
 * error naming the opcode or global and its byte position.
 * @module
 */

/** A callable an allowlist hands out for an accepted global; `REDUCE` calls it with the argument tuple. */
export class PickleCallable {
  /** `module.name`, for messages. */
  readonly qualifiedName: string;
  /** The JavaScript implementation. */
  readonly call: (args: readonly unknown[]) => unknown;

  /** Wraps `call` under the global's qualified name. */
  constructor(qualifiedName: string, call: (args: readonly unknown[]) => unknown) {
    this.qualifiedName = qualifiedName;
    this.call = call;
  }
}

/** Options for {@link unpickle}. */
export interface UnpickleOptions {
  /** File or member name, for messages. */
  label: string;
  /**
   * Maps an accepted `module name` global to a value (a {@link PickleCallable} to allow `REDUCE`, or any marker
   * value); returns `undefined` to refuse it.
   */
  resolveGlobal(module: string, name: string): unknown;
  /** Short description of what `resolveGlobal` accepts, appended to refusal messages. */
  allowedDescription: string;
  /** Handles `BINPERSID` (persistent ids); absent means persistent ids are refused. */
  persistentLoad?(pid: unknown): unknown;
}

const OPCODE_NAMES: Record<number, string> = {
  0x28: "MARK",
  0x2e: "STOP",
  0x30: "POP",
  0x31: "POP_MARK",
  0x32: "DUP",
  0x46: "FLOAT",
  0x49: "INT",
  0x4a: "BININT",
  0x4b: "BININT1",
  0x4c: "LONG",
  0x4d: "BININT2",
  0x4e: "NONE",
  0x50: "PERSID",
  0x51: "BINPERSID",
  0x52: "REDUCE",
  0x53: "STRING",
  0x54: "BINSTRING",
  0x55: "SHORT_BINSTRING",
  0x56: "UNICODE",
  0x58: "BINUNICODE",
  0x61: "APPEND",
  0x62: "BUILD",
  0x63: "GLOBAL",
  0x64: "DICT",
  0x7d: "EMPTY_DICT",
  0x65: "APPENDS",
  0x67: "GET",
  0x68: "BINGET",
  0x69: "INST",
  0x6a: "LONG_BINGET",
  0x6c: "LIST",
  0x5d: "EMPTY_LIST",
  0x6f: "OBJ",
  0x70: "PUT",
  0x71: "BINPUT",
  0x72: "LONG_BINPUT",
  0x73: "SETITEM",
  0x74: "TUPLE",
  0x29: "EMPTY_TUPLE",
  0x75: "SETITEMS",
  0x47: "BINFLOAT",
  0x80: "PROTO",
  0x81: "NEWOBJ",
  0x82: "EXT1",
  0x83: "EXT2",
  0x84: "EXT4",
  0x85: "TUPLE1",
  0x86: "TUPLE2",
  0x87: "TUPLE3",
  0x88: "NEWTRUE",
  0x89: "NEWFALSE",
  0x8a: "LONG1",
  0x8b: "LONG4",
  0x42: "BINBYTES",
  0x43: "SHORT_BINBYTES",
  0x8c: "SHORT_BINUNICODE",
  0x8d: "BINUNICODE8",
  0x8e: "BINBYTES8",
  0x8f: "EMPTY_SET",
  0x90: "ADDITEMS",
  0x91: "FROZENSET",
  0x92: "NEWOBJ_EX",
  0x93: "STACK_GLOBAL",
  0x94: "MEMOIZE",
  0x95: "FRAME",
  0x96: "BYTEARRAY8",
  0x97: "NEXT_BUFFER",
  0x98: "READONLY_BUFFER",
};

const MARK = Symbol("MARK");

function toInt(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function latin1(raw: Uint8Array): string {
  let s = "";
  for (let i = 0; i < raw.length; i += 4096) s += String.fromCharCode(...raw.subarray(i, i + 4096));
  return s;
}

function decodeLong(bytes: Uint8Array): number | bigint {
  if (bytes.length === 0) return 0;
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  if (bytes[bytes.length - 1] & 0x80) v -= 1n << BigInt(8 * bytes.length);
  return toInt(v);
}

/**
 * Unpickles `bytes` (protocols 2–5, the subset a tensor state dict uses) without executing anything.
 * Throws `pickle '<label>': ...` errors naming the refused opcode or global and its byte offset.
 */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions): unknown {
  const { label } = options;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const utf8 = new TextDecoder("utf-8", { fatal: true });
  let stack: unknown[] = [];
  const marks: unknown[][] = [];
  const memo = new Map<number, unknown>();
  let pos = 0;
  let opAt = 0;

  const fail = (message: string): never => {
    throw new Error(`pickle '${label}': ${message} (at byte ${opAt})`);
  };
  const need = (n: number): number => {
    if (pos + n > bytes.length) fail("unexpected end of data; the file is truncated or not a pickle");
    const at = pos;
    pos += n;
    return at;
  };
  const take = (n: number): Uint8Array => bytes.subarray(need(n), pos);
  const u64 = (): number => {
    const v = view.getBigUint64(need(8), true);
    if (v > BigInt(bytes.length)) fail(`length ${v} is larger than the data`);
    return Number(v);
  };
  const pop = (): unknown => {
    if (stack.length === 0) fail("stack underflow; the pickle is malformed");
    const v = stack.pop();
    if (v === MARK) fail("unexpected MARK on the stack; the pickle is malformed");
    return v;
  };
  const top = (): unknown => {
    if (stack.length === 0) fail("stack underflow; the pickle is malformed");
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const items = stack;
    const prev = marks.pop();
    if (prev === undefined) fail("no MARK to close; the pickle is malformed");
    stack = prev!;
    return items;
  };
  const text = (raw: Uint8Array): string => {
    try {
      return utf8.decode(raw);
    } catch {
      return fail("string is not valid UTF-8");
    }
  };
  const tuple = (items: unknown[]): readonly unknown[] => Object.freeze(items);
  const setItems = (target: unknown, items: unknown[]): void => {
    if (!(target instanceof Map)) fail("SETITEM(S) on something that is not a dict");
    if (items.length % 2 !== 0) fail("SETITEMS with an odd number of items");
    for (let i = 0; i < items.length; i += 2) (target as Map<unknown, unknown>).set(items[i], items[i + 1]);
  };
  const appendItems = (target: unknown, items: unknown[]): void => {
    if (!Array.isArray(target) || Object.isFrozen(target)) fail("APPEND(S) on something that is not a list");
    (target as unknown[]).push(...items);
  };
  const global = (module: string, name: string): unknown => {
    const value = options.resolveGlobal(module, name);
    if (value === undefined) {
      fail(
        `refusing GLOBAL '${module} ${name}' (${module}.${name}): not allowed in a tensor checkpoint; ` +
          `only ${options.allowedDescription} are accepted. Nothing was executed`,
      );
    }
    return value;
  };

  while (true) {
    opAt = pos;
    const op = bytes[need(1)];
    switch (op) {
      case 0x80: // PROTO
        if (bytes[need(1)] > 5) fail(`pickle protocol ${bytes[pos - 1]} is not supported`);
        break;
      case 0x95: // FRAME: framing is only a buffering hint
        need(8);
        break;
      case 0x2e: // STOP
        if (stack.length !== 1 || marks.length !== 0) fail("STOP with a malformed stack");
        return stack[0];
      case 0x28: // MARK
        marks.push(stack);
        stack = [];
        break;
      case 0x30: // POP
        if (stack.length === 0) popMark();
        else pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        stack.push(view.getInt32(need(4), true));
        break;
      case 0x4b: // BININT1
        stack.push(bytes[need(1)]);
        break;
      case 0x4d: // BININT2
        stack.push(view.getUint16(need(2), true));
        break;
      case 0x8a: // LONG1
        stack.push(decodeLong(take(bytes[need(1)])));
        break;
      case 0x8b: { // LONG4
        const n = view.getInt32(need(4), true);
        if (n < 0 || n > 1024) fail(`LONG4 of ${n} bytes is not plausible in a tensor checkpoint`);
        stack.push(decodeLong(take(n)));
        break;
      }
      case 0x47: // BINFLOAT (big-endian)
        stack.push(view.getFloat64(need(8), false));
        break;
      case 0x58: // BINUNICODE
        stack.push(text(take(view.getUint32(need(4), true))));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text(take(bytes[need(1)])));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(text(take(u64())));
        break;
      case 0x54: // BINSTRING (Python 2 str; decoded as Latin-1)
      case 0x55: { // SHORT_BINSTRING
        const n = op === 0x54 ? view.getInt32(need(4), true) : bytes[need(1)];
        if (n < 0) fail("negative string length");
        stack.push(latin1(take(n)));
        break;
      }
      case 0x42: // BINBYTES
        stack.push(take(view.getUint32(need(4), true)).slice());
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(take(bytes[need(1)]).slice());
        break;
      case 0x8e: // BINBYTES8
        stack.push(take(u64()).slice());
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(tuple([]));
        break;
      case 0x74: { // TUPLE
        // popMark() replaces `stack`: take the items first, then push onto the restored stack.
        const items = tuple(popMark());
        stack.push(items);
        break;
      }
      case 0x85: // TUPLE1
        stack.push(tuple([pop()]));
        break;
      case 0x86: { // TUPLE2
        const b = pop();
        stack.push(tuple([pop(), b]));
        break;
      }
      case 0x87: { // TUPLE3
        const c = pop();
        const b = pop();
        stack.push(tuple([pop(), b, c]));
        break;
      }
      case 0x6c: { // LIST
        const items = popMark();
        stack.push(items);
        break;
      }
      case 0x64: { // DICT
        const d = new Map();
        setItems(d, popMark());
        stack.push(d);
        break;
      }
      case 0x61: { // APPEND
        const v = pop();
        appendItems(top(), [v]);
        break;
      }
      case 0x65: { // APPENDS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x73: { // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: { // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x71: // BINPUT
        memo.set(bytes[need(1)], top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(view.getUint32(need(4), true), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
      case 0x6a: { // LONG_BINGET
        const key = op === 0x68 ? bytes[need(1)] : view.getUint32(need(4), true);
        if (!memo.has(key)) fail(`memo key ${key} was never stored`);
        stack.push(memo.get(key));
        break;
      }
      case 0x63: { // GLOBAL "module\nname\n"
        const readLine = (): string => {
          const end = bytes.indexOf(0x0a, pos);
          if (end < 0) fail("GLOBAL without a newline");
          const s = latin1(bytes.subarray(pos, end));
          pos = end + 1;
          return s;
        };
        const module = readLine();
        stack.push(global(module, readLine()));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== "string" || typeof name !== "string") fail("STACK_GLOBAL needs two strings");
        stack.push(global(module as string, name as string));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop();
        const fn = pop();
        if (!(fn instanceof PickleCallable)) fail("REDUCE of something that is not an allowed callable");
        if (!Array.isArray(args)) fail(`REDUCE of ${(fn as PickleCallable).qualifiedName} without an argument tuple`);
        let result: unknown;
        try {
          result = (fn as PickleCallable).call(args as unknown[]);
        } catch (e) {
          fail(`${(fn as PickleCallable).qualifiedName}: ${(e as Error).message}`);
        }
        stack.push(result);
        break;
      }
      case 0x62: { // BUILD
        const state = pop();
        const target = top();
        // Only dict subclasses (OrderedDict state_dicts carry `_metadata`) are built; their attributes are dropped.
        if (!(target instanceof Map) || !(state instanceof Map || state === null)) {
          fail("BUILD is only accepted on a dict (state_dict attributes)");
        }
        break;
      }
      case 0x51: { // BINPERSID
        const pid = pop();
        if (options.persistentLoad === undefined) fail("persistent ids (BINPERSID) are not accepted here");
        try {
          stack.push(options.persistentLoad!(pid));
        } catch (e) {
          fail(`persistent id: ${(e as Error).message}`);
        }
        break;
      }
      default: {
        const name = OPCODE_NAMES[op];
        fail(
          name === undefined
            ? `unknown opcode 0x${op.toString(16).padStart(2, "0")}; this is not a pickle or it is damaged`
            : `refusing opcode ${name}: not used by tensor checkpoints and not supported by this safe reader`,
        );
      }
    }
  }
}
