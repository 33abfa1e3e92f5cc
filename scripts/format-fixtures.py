#!/usr/bin/env python3
"""Writes the .npz and safetensors fixtures of src/test/java/dev/xent/io/FormatsTest.java.

Every file is made by the real writers (numpy's np.savez / np.savez_compressed, the safetensors package), except
the bfloat16 file: numpy has no bfloat16, so its header and bytes are written here by the format's rules and then
read back through the safetensors package, which must accept it and return exactly these bytes. The expected values
are the .npy twins beside them (np.save), which FormatsTest compares bit for bit.

Deterministic (seeded; zipfile stamps members 1980-01-01): rerunning rewrites identical bytes.

    python3 scripts/format-fixtures.py        # needs numpy and safetensors
"""
import json
import os
import struct
import zipfile

import numpy as np
import safetensors
import safetensors.numpy
from safetensors import safe_open
from safetensors._safetensors_rust import deserialize

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "test", "resources", "formats")


def path(name):
    return os.path.join(OUT, name)


def bf16_bits(x):
    """float32 -> bfloat16 bits, round to nearest even (NaN kept quiet), as torch's .to(torch.bfloat16) does."""
    u = x.astype(np.float32).view(np.uint32).astype(np.uint64)
    rounded = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
    nan = np.isnan(x)
    rounded[nan] = ((u[nan] >> 16) | 0x40).astype(np.uint16)
    return rounded


def safetensors_bytes(tensors, metadata):
    """The format by hand: u64 LE header length, the JSON header padded with spaces to 8 bytes, the data in order."""
    header, data, at = {}, b"", 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [at, at + len(raw)]}
        data += raw
        at += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + data


def canonical_header(name):
    """Rewrites a safetensors header with its keys in a fixed order: __metadata__ (keys sorted), then the tensors
    by offset. The package serializes from Rust HashMaps, whose order changes from run to run; any order is one
    the package itself may write, and the length, data and padding stay exactly as it wrote them."""
    with open(path(name), "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    ordered = {}
    if "__metadata__" in header:
        ordered["__metadata__"] = dict(sorted(header.pop("__metadata__").items()))
    ordered.update(sorted(header.items(), key=lambda kv: kv[1]["data_offsets"]))
    h = json.dumps(ordered, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    h += b" " * (-len(h) % 8)
    assert len(h) == n, (len(h), n)
    with open(path(name), "wb") as f:
        f.write(raw[:8] + h + raw[8 + n:])


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20240611)
    logits = (rng.standard_normal((6, 5)) * 3).astype(np.float32)
    # bfloat16 rounding ties (low 16 bits exactly 0x8000): 0x4048 is even and stays, 0xc011 is odd and rounds up
    logits[0, 0] = np.array([0x40480000 | 0x8000], np.uint32).view(np.float32)[0]
    logits[0, 1] = np.array([0xC0110000 | 0x8000], np.uint32).view(np.float32)[0]
    targets = rng.integers(0, 5, size=6).astype(np.int64)
    bits = bf16_bits(logits)
    logits_bf16 = (bits.astype(np.uint32) << 16).view(np.float32)  # the bfloat16 values, exactly, as float32

    # the .npy twins: the expected values
    np.save(path("logits.npy"), logits)
    np.save(path("targets.npy"), targets)
    np.save(path("logits_f16.npy"), logits.astype(np.float16))
    np.save(path("logits_f64.npy"), logits.astype(np.float64))
    np.save(path("targets_i32.npy"), targets.astype(np.int32))
    np.save(path("logits_bf16.npy"), logits_bf16)

    np.savez(path("savez.npz"), logits=logits, targets=targets)
    np.savez_compressed(path("savez_compressed.npz"), logits=logits, targets=targets)
    np.savez(path("savez_single.npz"), logits)  # one unnamed array: arr_0

    # numpy already forces zip64 local headers on every member (gh-10776), so every np.savez file has zip64 extra
    # fields there; the central directory's zip64 fields and the zip64 end records appear only past 2 GiB or 65535
    # members. Lowering zipfile's thresholds makes the same CPython code write them into a small file.
    limits = zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT
    zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT = 0, 1
    try:
        np.savez(path("savez_zip64.npz"), logits=logits, targets=targets)
    finally:
        zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT = limits
    with open(path("savez_zip64.npz"), "rb") as f:
        raw = f.read()
    assert raw.count(b"PK\x06\x06") == 1 and raw.count(b"PK\x06\x07") == 1, "no zip64 end records"

    meta = {"format": "np", "made_by": "scripts/format-fixtures.py"}
    safetensors.numpy.save_file({
        "logits": logits,
        "logits_f16": logits.astype(np.float16),
        "logits_f64": logits.astype(np.float64),
        "targets": targets,
        "targets_i32": targets.astype(np.int32),
    }, path("tensors.safetensors"), metadata=meta)
    safetensors.numpy.save_file({"logits": logits}, path("single.safetensors"))
    canonical_header("tensors.safetensors")

    bf16 = {
        "logits": ("BF16", logits.shape, bits.astype("<u2").tobytes()),
        "targets": ("I64", targets.shape, targets.astype("<i8").tobytes()),
    }
    with open(path("bf16.safetensors"), "wb") as f:
        f.write(safetensors_bytes(bf16, {"made_by": "scripts/format-fixtures.py", "note": "bfloat16 written by hand"}))

    # the package must accept every safetensors file, and give back what was meant
    with safe_open(path("bf16.safetensors"), framework="numpy") as f:
        assert sorted(f.keys()) == ["logits", "targets"], f.keys()
        assert f.metadata()["note"] == "bfloat16 written by hand"
        assert f.get_slice("logits").get_dtype() == "BF16" and f.get_slice("logits").get_shape() == [6, 5]
        assert (f.get_tensor("targets") == targets).all()
    with open(path("bf16.safetensors"), "rb") as f:
        back = dict(deserialize(f.read()))
    assert back["logits"]["dtype"] == "BF16" and bytes(back["logits"]["data"]) == bf16["logits"][2], back["logits"]["dtype"]
    for name in ("tensors.safetensors", "single.safetensors"):
        with safe_open(path(name), framework="numpy") as f:
            for k in f.keys():
                assert f.get_tensor(k).tobytes() == {"logits": logits, "logits_f16": logits.astype(np.float16),
                                                     "logits_f64": logits.astype(np.float64), "targets": targets,
                                                     "targets_i32": targets.astype(np.int32)}[k].tobytes(), k
    for name in ("savez.npz", "savez_compressed.npz", "savez_zip64.npz"):
        with np.load(path(name)) as z:
            assert sorted(z.files) == ["logits", "targets"]
            assert z["logits"].tobytes() == logits.tobytes() and z["targets"].tobytes() == targets.tobytes()
    with zipfile.ZipFile(path("savez_zip64.npz")) as z:
        assert z.testzip() is None

    for name in sorted(os.listdir(OUT)):
        os.chmod(path(name), 0o644)  # safetensors writes through a private temporary
        print(f"{os.path.getsize(path(name)):6d}  {name}")
    print("numpy", np.__version__, "safetensors", safetensors.__version__)


if __name__ == "__main__":
    main()
