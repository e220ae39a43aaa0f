"""Writes small PyTorch-format checkpoints (zip of data.pkl + raw storages) for the models/io tests.

torch is not installed on these machines, so this emulates what `torch.save(state_dict)` writes: the same globals
(`torch._utils._rebuild_tensor_v2`, `torch.FloatStorage`, ...), persistent ids
`('storage', <Storage class>, key, 'cpu', numel)`, protocol 2, an OrderedDict state dict carrying `_metadata`
(so the pickle has a BUILD), tensors that share storages at offsets and with non-contiguous strides.
The expected row-major values of every tensor are computed with numpy `as_strided` and written to
`strided_expected.json`. Run: python3 models/io/testdata/make_torch_pickles.py
"""
import collections
import json
import os
import pickle
import struct
import sys
import types
import zipfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

torch = types.ModuleType("torch")
torch_utils = types.ModuleType("torch._utils")
torch._utils = torch_utils
sys.modules["torch"] = torch
sys.modules["torch._utils"] = torch_utils


def _rebuild_tensor_v2(*args):
    raise RuntimeError("never called: only pickled")


_rebuild_tensor_v2.__module__ = "torch._utils"
torch_utils._rebuild_tensor_v2 = _rebuild_tensor_v2

STORAGE_CLASSES = {}
for name in ["FloatStorage", "HalfStorage", "BFloat16Storage", "LongStorage", "IntStorage", "ByteStorage"]:
    cls = type(name, (), {"__module__": "torch"})
    setattr(torch, name, cls)
    STORAGE_CLASSES[name] = cls


class Storage:
    def __init__(self, key, cls_name, raw, numel):
        self.key, self.cls, self.raw, self.numel = key, STORAGE_CLASSES[cls_name], raw, numel


class Tensor:
    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, tuple(size), tuple(stride)

    def __reduce_ex__(self, proto):
        return (_rebuild_tensor_v2, (self.storage, self.offset, self.size, self.stride, False, collections.OrderedDict()))


class StateDictPickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            return ("storage", obj.cls, obj.key, "cpu", obj.numel)
        return None


def bf16_bits(values):
    bits = np.asarray(values, dtype=np.float32).view(np.uint32)
    return ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)


f32 = (np.arange(12, dtype=np.float32) * 0.5 - 2.0)
f16 = np.array([1.0, -2.5, 65504.0, 6e-8, 0.333], dtype=np.float16)
bf16 = bf16_bits([1.0, -3.140625, 1e30, -0.0])
i64 = np.array([-5, 2**40, 7, 0], dtype=np.int64)
u8 = np.array([0, 1, 255, 7], dtype=np.uint8)

storages = {
    "0": (Storage("0", "FloatStorage", f32.tobytes(), f32.size), f32),
    "1": (Storage("1", "HalfStorage", f16.tobytes(), f16.size), f16.astype(np.float32)),
    "2": (Storage("2", "BFloat16Storage", bf16.tobytes(), bf16.size),
          (bf16.astype(np.uint32) << 16).view(np.float32)),
    "3": (Storage("3", "LongStorage", i64.tobytes(), i64.size), i64),
    "4": (Storage("4", "ByteStorage", u8.tobytes(), u8.size), u8),
}

# name: (storage key, offset, size, stride)
views = collections.OrderedDict([
    ("contiguous", ("0", 0, (3, 4), (4, 1))),
    ("transposed", ("0", 0, (4, 3), (1, 4))),
    ("offset_rows", ("0", 4, (2, 4), (4, 1))),
    ("strided_cols", ("0", 1, (3, 2), (4, 2))),
    ("expanded", ("0", 2, (2, 3), (0, 1))),
    ("scalar", ("0", 5, (), ())),
    ("empty", ("0", 0, (0, 4), (4, 1))),
    ("size_one_dims", ("0", 3, (1, 3, 1), (7, 1, 99))),
    ("half", ("1", 0, (5,), (1,))),
    ("half_tail", ("1", 3, (2,), (1,))),
    ("bf16", ("2", 0, (2, 2), (1, 2))),
    ("long", ("3", 0, (4,), (1,))),
    ("bytes", ("4", 1, (3,), (1,))),
])

state = collections.OrderedDict()
expected = {}
for name, (key, offset, size, stride) in views.items():
    storage, values = storages[key]
    state[name] = Tensor(storage, offset, size, stride)
    item = values.itemsize
    strided = np.lib.stride_tricks.as_strided(values[offset:], shape=size, strides=[s * item for s in stride])
    flat = np.ascontiguousarray(strided).reshape(-1)
    dtype = {"FloatStorage": "F32", "HalfStorage": "F16", "BFloat16Storage": "BF16", "LongStorage": "I64",
             "ByteStorage": "U8"}[storage.cls.__name__]
    expected[name] = {"dtype": dtype, "shape": list(size), "storage": key,
                      "values": [str(int(v)) for v in flat] if dtype == "I64" else [float(v) for v in flat]}
state._metadata = collections.OrderedDict([("", {"version": 1})])


def pickle_bytes():
    import io
    buf = io.BytesIO()
    StateDictPickler(buf, protocol=2).dump(state)
    return buf.getvalue()


def write_zip(path, top, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression=compression) as z:
        z.writestr(f"{top}/data.pkl", pickle_bytes())
        z.writestr(f"{top}/byteorder", "little")
        for key, (storage, _) in storages.items():
            z.writestr(f"{top}/data/{key}", storage.raw)
        z.writestr(f"{top}/version", "3\n")


write_zip(os.path.join(HERE, "strided_pytorch_model.bin"), "strided_pytorch_model")
write_zip(os.path.join(HERE, "strided_deflated_pytorch_model.bin"), "archive", zipfile.ZIP_DEFLATED)
# Force every ZIP64 structure (local and central extra fields, ZIP64 end record and locator) on a small file.
saved = zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT
zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT = 0, 0
write_zip(os.path.join(HERE, "strided_zip64_pytorch_model.bin"), "zip64_model")
zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT = saved

with open(os.path.join(HERE, "strided_expected.json"), "w") as f:
    json.dump(expected, f, indent=1)
    f.write("\n")
