/**
 * Reader for PyTorch `torch.save` checkpoints (`pytorch_model.bin`, zip format of torch ≥ 1.6): a ZIP holding
 * `<top>/data.pkl` (the state dict, pickled) and `<top>/data/<key>` (raw little-endian storages). The pickle is read
 * by the restricted {@link unpickle}, which accepts only what a tensor state dict needs.
 * @module
 */
import type { ByteReader } from "./byte_reader.ts";
import { type DType, dtypeItemSize, type Float32Tensor, numel, type StoredTensor } from "./dtype.ts";
import { readDecoded, readDecodedFloat32 } from "./_read_tensor.ts";
import { missingTensorError, type TensorInfo, type TensorSource } from "./tensor_source.ts";
import { PickleCallable, unpickle } from "./unpickler.ts";
import { ZipArchive } from "./zip_reader.ts";

/** Storage classes of `torch` (legacy typed-storage names that `torch.save` still writes) and their dtypes. */
const STORAGE_DTYPES: Record<string, DType> = {
  FloatStorage: "F32",
  HalfStorage: "F16",
  BFloat16Storage: "BF16",
  DoubleStorage: "F64",
  LongStorage: "I64",
  IntStorage: "I32",
  ShortStorage: "I16",
  CharStorage: "I8",
  ByteStorage: "U8",
  BoolStorage: "BOOL",
};

class StorageType {
  constructor(readonly dtype: DType, readonly name: string) {}
}

/** One storage (zip member `data/<key>`) as referenced by the pickle. */
interface StorageRef {
  dtype: DType;
  key: string;
  /** Number of elements in the storage. */
  numel: number;
}

/** A tensor view into a storage, as `_rebuild_tensor_v2` describes it (offset and strides in elements). */
export interface TorchTensorRef {
  /** Element type of the storage. */
  dtype: DType;
  /** Storage key (zip member `<top>/data/<key>`). */
  storageKey: string;
  /** Elements in the storage. */
  storageNumel: number;
  /** Offset of element 0, in elements. */
  offset: number;
  /** Dimensions. */
  shape: number[];
  /** Strides in elements. */
  stride: number[];
}

const ALLOWED_DESCRIPTION = "collections.OrderedDict, torch._utils._rebuild_tensor(_v2), " +
  "torch._utils._rebuild_parameter(_with_state) and torch.<Type>Storage";

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

function rebuildTensor(args: readonly unknown[]): TorchTensorRef {
  const [storage, offset, size, stride] = args;
  if (typeof storage !== "object" || storage === null || !("key" in storage)) {
    throw new Error("first argument is not a storage loaded from the archive");
  }
  const s = storage as StorageRef;
  if (!isCount(offset)) throw new Error(`storage offset ${String(offset)} is not a non-negative integer`);
  if (!Array.isArray(size) || !size.every(isCount)) throw new Error(`size ${JSON.stringify(size)} is not valid`);
  if (!Array.isArray(stride) || !stride.every(isCount) || stride.length !== size.length) {
    throw new Error(`stride ${JSON.stringify(stride)} does not match size ${JSON.stringify(size)}`);
  }
  const shape = [...size] as number[];
  const strides = [...stride] as number[];
  if (numel(shape) > 0) {
    let last = offset;
    for (let i = 0; i < shape.length; i++) last += (shape[i] - 1) * strides[i];
    if (last >= s.numel) {
      throw new Error(
        `view (offset ${offset}, size ${JSON.stringify(shape)}, stride ${JSON.stringify(strides)}) reaches element ` +
          `${last} of storage '${s.key}', which has ${s.numel}`,
      );
    }
  }
  return { dtype: s.dtype, storageKey: s.key, storageNumel: s.numel, offset, shape, stride: strides };
}

function isTensorRef(v: unknown): v is TorchTensorRef {
  return typeof v === "object" && v !== null && "storageKey" in v;
}

const GLOBALS: Record<string, unknown> = {
  "collections OrderedDict": new PickleCallable("collections.OrderedDict", (args) => {
    if (args.length !== 0) throw new Error("only an empty OrderedDict() construction is accepted");
    return new Map();
  }),
  "torch._utils _rebuild_tensor_v2": new PickleCallable("torch._utils._rebuild_tensor_v2", rebuildTensor),
  "torch._utils _rebuild_tensor": new PickleCallable("torch._utils._rebuild_tensor", rebuildTensor),
  "torch._utils _rebuild_parameter": new PickleCallable("torch._utils._rebuild_parameter", (args) => {
    if (!isTensorRef(args[0])) throw new Error("argument is not a tensor");
    return args[0];
  }),
  "torch._utils _rebuild_parameter_with_state": new PickleCallable(
    "torch._utils._rebuild_parameter_with_state",
    (args) => {
      if (!isTensorRef(args[0])) throw new Error("argument is not a tensor");
      return args[0];
    },
  ),
};
for (const [name, dtype] of Object.entries(STORAGE_DTYPES)) GLOBALS[`torch ${name}`] = new StorageType(dtype, name);

/** Parses a `data.pkl` state dict into tensor views, refusing anything but a flat name → tensor dict. */
export function parseTorchStateDict(pickle: Uint8Array, label: string): Map<string, TorchTensorRef> {
  const storages = new Map<string, StorageRef>();
  const root = unpickle(pickle, {
    label,
    allowedDescription: ALLOWED_DESCRIPTION,
    resolveGlobal: (module, name) =>
      Object.hasOwn(GLOBALS, `${module} ${name}`) ? GLOBALS[`${module} ${name}`] : undefined,
    persistentLoad(pid: unknown): StorageRef {
      if (!Array.isArray(pid) || pid.length !== 5 || pid[0] !== "storage") {
        throw new Error(`expected ('storage', type, key, location, numel), got ${String(pid)}`);
      }
      const [, type, key, , count] = pid;
      if (!(type instanceof StorageType)) throw new Error(`storage type is not a torch.<Type>Storage`);
      if (typeof key !== "string" || !/^[A-Za-z0-9_.-]+$/.test(key)) throw new Error(`bad storage key ${String(key)}`);
      if (!isCount(count)) throw new Error(`storage '${key}' has an invalid element count ${String(count)}`);
      const known = storages.get(key);
      if (known !== undefined) {
        if (known.dtype !== type.dtype || known.numel !== count) {
          throw new Error(`storage '${key}' is referenced with two different types or sizes`);
        }
        return known;
      }
      const ref = { dtype: type.dtype, key, numel: count };
      storages.set(key, ref);
      return ref;
    },
  });
  if (!(root instanceof Map)) {
    throw new Error(`pickle '${label}': the checkpoint is not a dict of tensors (a state dict)`);
  }
  const tensors = new Map<string, TorchTensorRef>();
  for (const [k, v] of root) {
    if (typeof k !== "string") throw new Error(`pickle '${label}': state dict key ${String(k)} is not a string`);
    if (!isTensorRef(v)) {
      throw new Error(
        `pickle '${label}': entry '${k}' is not a tensor; only flat state dicts (name → tensor) are supported ` +
          `(for a training checkpoint, save model.state_dict() instead)`,
      );
    }
    tensors.set(k, v);
  }
  return tensors;
}

function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && stride[i] !== expected) return false;
    expected *= shape[i];
  }
  return true;
}

/** Copies a strided view out of `src` (which starts at the view's first element) into row-major order. */
function gatherStrided(
  src: Uint8Array,
  shape: readonly number[],
  stride: readonly number[],
  itemSize: number,
): Uint8Array {
  const n = numel(shape);
  const out = new Uint8Array(n * itemSize);
  const rank = shape.length;
  const index = new Array<number>(rank).fill(0);
  let srcElem = 0;
  for (let i = 0; i < n; i++) {
    const s = srcElem * itemSize;
    for (let b = 0; b < itemSize; b++) out[i * itemSize + b] = src[s + b];
    for (let d = rank - 1; d >= 0; d--) {
      index[d]++;
      srcElem += stride[d];
      if (index[d] < shape[d]) break;
      srcElem -= stride[d] * shape[d];
      index[d] = 0;
    }
  }
  return out;
}

/** A PyTorch zip checkpoint read tensor by tensor (only the bytes of the requested view are read). */
export class TorchCheckpointSource implements TensorSource {
  /** File path or label. */
  readonly label: string;
  readonly #zip: ZipArchive;
  readonly #prefix: string;
  readonly #tensors: Map<string, TorchTensorRef>;
  readonly #reader: ByteReader;
  #closed = false;

  private constructor(
    reader: ByteReader,
    zip: ZipArchive,
    prefix: string,
    tensors: Map<string, TorchTensorRef>,
    label: string,
  ) {
    this.#reader = reader;
    this.#zip = zip;
    this.#prefix = prefix;
    this.#tensors = tensors;
    this.label = label;
  }

  /** Opens the archive, unpickles the state dict safely and checks every referenced storage exists and is large enough. */
  static async open(reader: ByteReader, label: string): Promise<TorchCheckpointSource> {
    let zip: ZipArchive;
    try {
      zip = await ZipArchive.open(reader, label);
    } catch (e) {
      throw new Error(
        `'${label}' is not a zip-format PyTorch checkpoint (torch >= 1.6); a legacy checkpoint must be re-saved ` +
          `with a recent torch or converted to safetensors (${(e as Error).message})`,
      );
    }
    const pkl = [...zip.entries.keys()].find((n) => /^[^/]+\/data\.pkl$/.test(n));
    if (pkl === undefined) throw new Error(`PyTorch checkpoint '${label}': the archive has no '<folder>/data.pkl'`);
    const prefix = pkl.slice(0, -"data.pkl".length);
    const order = zip.entries.get(`${prefix}byteorder`);
    if (order !== undefined) {
      const text = new TextDecoder().decode(await zip.readAll(order.name)).trim();
      if (text !== "little") throw new Error(`PyTorch checkpoint '${label}': byte order '${text}' is not supported`);
    }
    const tensors = parseTorchStateDict(await zip.readAll(pkl), `${label}:${pkl}`);
    for (const [name, t] of tensors) {
      const member = zip.entries.get(`${prefix}data/${t.storageKey}`);
      const needed = t.storageNumel * dtypeItemSize(t.dtype);
      if (member === undefined) {
        throw new Error(
          `PyTorch checkpoint '${label}': tensor '${name}' needs storage member '${prefix}data/${t.storageKey}', which is missing`,
        );
      }
      if (member.size < needed) {
        throw new Error(
          `PyTorch checkpoint '${label}': storage '${t.storageKey}' of tensor '${name}' has ${member.size} bytes, ` +
            `${needed} needed; the file is truncated`,
        );
      }
    }
    return new TorchCheckpointSource(reader, zip, prefix, tensors, label);
  }

  /** Tensor names in state-dict order. */
  names(): string[] {
    return [...this.#tensors.keys()];
  }

  /** Whether the state dict has that name. */
  has(name: string): boolean {
    return this.#tensors.has(name);
  }

  /** The storage view behind a tensor (storage key, offset, strides): tensors sharing a storage share the key. */
  view(name: string): TorchTensorRef {
    const t = this.#tensors.get(name);
    if (t === undefined) throw missingTensorError(`PyTorch checkpoint '${this.label}'`, name, this.names());
    return t;
  }

  /** dtype and shape of one tensor. */
  info(name: string): TensorInfo {
    const t = this.view(name);
    return { dtype: t.dtype, shape: [...t.shape] };
  }

  /** Raw little-endian bytes of one tensor in row-major order (strided views are gathered). */
  async readBytes(name: string): Promise<Uint8Array> {
    if (this.#closed) throw new Error(`PyTorch checkpoint '${this.label}' is closed`);
    const t = this.view(name);
    const itemSize = dtypeItemSize(t.dtype);
    const n = numel(t.shape);
    if (n === 0) return new Uint8Array(0);
    const member = `${this.#prefix}data/${t.storageKey}`;
    if (isContiguous(t.shape, t.stride)) return this.#zip.readRange(member, t.offset * itemSize, n * itemSize);
    let extent = 1;
    for (let i = 0; i < t.shape.length; i++) extent += (t.shape[i] - 1) * t.stride[i];
    const span = await this.#zip.readRange(member, t.offset * itemSize, extent * itemSize);
    return gatherStrided(span, t.shape, t.stride, itemSize);
  }

  /** Reads and decodes one tensor. */
  read(name: string): Promise<StoredTensor> {
    return readDecoded(this, name, `PyTorch checkpoint '${this.label}'`);
  }

  /** Reads one tensor as float32. */
  readFloat32(name: string): Promise<Float32Tensor> {
    return readDecodedFloat32(this, name, `PyTorch checkpoint '${this.label}'`);
  }

  /** Closes the underlying reader. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#reader.close?.();
  }
}
