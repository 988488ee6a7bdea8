#!/usr/bin/env python3
"""Writes the fixtures of tests/weights: small state dicts saved by torch (zip, legacy, pickle
protocol 4, wrapped, prefixed, deflated), a safetensors file written here, hostile files, and the
expected fp32 values of every tensor as raw little-endian .f32 files plus manifest.json.

Usage: /usr/bin/python3 weights_fixtures.py OUT_DIR
OUT_DIR is replaced by rename; nothing is done when its manifest is newer than this script.
"""
import json
import os
import shutil
import struct
import sys
import tempfile
import zipfile

if __name__ == "__main__" and len(sys.argv) == 2:
    _manifest = os.path.join(sys.argv[1], "manifest.json")
    if os.path.exists(_manifest) and os.path.getmtime(_manifest) >= os.path.getmtime(__file__):
        sys.exit(0)  # fixtures are newer than this script

import torch  # noqa: E402


def state_dict():
    g = torch.Generator().manual_seed(1234)
    big = torch.randn(40, generator=g)
    col = torch.randn(6, generator=g).as_strided((2, 3, 1, 1), (3, 1, 17, 5))
    return {
        "conv.weight": torch.randn(4, 3, 3, 3, generator=g),
        "conv.bias": torch.randn(4, generator=g),
        "half.weight": (torch.randn(5, 7, generator=g) * 3).half(),
        "bf.weight": torch.randn(3, 2, 2, generator=g).bfloat16(),
        "double.weight": torch.randn(2, 3, generator=g).double(),
        "steps": torch.tensor([3, -7, 1 << 40], dtype=torch.int64),
        "scalar": torch.tensor(2.5),
        "empty": torch.zeros(0, 3),
        "big": big,
        "view": big[10:22].view(3, 4),  # shares big's storage at offset 10
        "col.weight": col,              # arbitrary strides on size-1 dims
    }


def write_expected(out, set_name, sd):
    folder = os.path.join(out, "expected", set_name)
    os.makedirs(folder, exist_ok=True)
    entries = {}
    for i, (name, t) in enumerate(sd.items()):
        fname = "%d.f32" % i
        t.detach().float().contiguous().numpy().astype("<f4").tofile(os.path.join(folder, fname))
        entries[name] = {"dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape), "file": fname}
    return entries


def write_safetensors(path, sd, metadata=None):
    codes = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
             torch.float64: "F64", torch.int64: "I64"}
    header, blobs, offset = {}, [], 0
    for name, t in sd.items():
        t = t.contiguous()
        raw = t.view(torch.int16).numpy().tobytes() if t.dtype == torch.bfloat16 else t.numpy().tobytes()
        header[name] = {"dtype": codes[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = metadata
    write_raw_safetensors(path, header, b"".join(blobs))


def write_raw_safetensors(path, header, data, header_len=None):
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text) if header_len is None else header_len) + text + data)


# -- hand-made pickles (opcodes of CPython's pickle.py, protocol 2) ---------------------------
def p_str(s):
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def p_int(n):
    b = n.to_bytes((n.bit_length() + 8) // 8 or 1, "little", signed=True)
    return b"\x8a" + bytes([len(b)]) + b


def p_tuple(*items):
    return b"(" + b"".join(items) + b"t"


def p_tensor(key, numel, shape, stride, offset=0, storage="FloatStorage"):
    pid = p_tuple(p_str("storage"), b"ctorch\n" + storage.encode() + b"\n", p_str(key), p_str("cpu"), p_int(numel))
    args = p_tuple(pid + b"Q", p_int(offset), p_tuple(*map(p_int, shape)), p_tuple(*map(p_int, stride)),
                   b"\x89", b"ccollections\nOrderedDict\n)R")
    return b"ctorch._utils\n_rebuild_tensor_v2\n" + args + b"R"


def p_state_dict(items):
    return b"\x80\x02}(" + b"".join(p_str(k) + v for k, v in items) + b"u."


def write_zip(path, records, folder="archive", method=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", method) as z:
        for name, data in records + [("version", b"3\n")]:
            z.writestr(folder + "/" + name, data)


def legacy_wrap(pickle_bytes):
    magic = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19."
    proto = b"\x80\x02M\xe9\x03."
    sys_info = b"\x80\x02}(" + p_str("protocol_version") + b"M\xe9\x03" + p_str("little_endian") + b"\x88u."
    return magic + proto + sys_info + pickle_bytes


def write_hostile(out, marker):
    cmd = p_str("touch " + marker)
    evil = {
        "os_system": b"\x80\x02cos\nsystem\n" + cmd + b"\x85R.",
        "posix_system": b"\x80\x02cposix\nsystem\n" + cmd + b"\x85R.",
        "builtins_eval": b"\x80\x02cbuiltins\neval\n" + p_str("open(%r, 'w')" % marker) + b"\x85R.",
        "stack_global": b"\x80\x04\x8c\x05posix\x8c\x06system\x93" + cmd + b"\x85R.",
        "subprocess": b"\x80\x02csubprocess\ncall\n" + cmd + b"\x85R.",
    }
    for name, pkl in evil.items():
        write_zip(os.path.join(out, "evil_%s.pth" % name), [("data.pkl", pkl)])
        with open(os.path.join(out, "evil_%s_legacy.pth" % name), "wb") as f:
            f.write(legacy_wrap(pkl))
    floats = struct.pack("<12f", *range(12))
    bad = {
        "huge_shape": p_tensor("0", 12, [1 << 40, 1 << 40, 1 << 40], [1, 1, 1]),
        "negative_dim": p_tensor("0", 12, [-3, 4], [4, 1]),
        "offset_past_storage": p_tensor("0", 12, [3, 4], [4, 1], offset=5),
        "storage_bigger_than_data": p_tensor("0", 1000, [3, 4], [4, 1]),
        "non_contiguous": p_tensor("0", 12, [3, 4], [1, 3]),
    }
    for name, tensor in bad.items():
        write_zip(os.path.join(out, "bad_%s.pth" % name), [("data.pkl", p_state_dict([("w", tensor)])), ("data/0", floats)])
    write_zip(os.path.join(out, "crafted_ok.pth"),
              [("data.pkl", p_state_dict([("w", p_tensor("0", 12, [3, 4], [4, 1]))])), ("data/0", floats)])


def patch_central(data, entry_name, offset_in_header, fmt, value):
    pos = data.find(b"PK\x01\x02" + b"\x00" * 0, 0)
    while pos >= 0:
        name_len = struct.unpack_from("<H", data, pos + 28)[0]
        if data[pos + 46:pos + 46 + name_len] == entry_name.encode():
            struct.pack_into(fmt, data, pos + offset_in_header, value)
            return
        pos = data.find(b"PK\x01\x02", pos + 4)
    raise KeyError(entry_name)


def write_lying_zips(out, plain):
    with zipfile.ZipFile(plain) as z:
        prefix = z.namelist()[0].split("/")[0]
    data = bytearray(open(plain, "rb").read())
    lie = bytearray(data)
    patch_central(lie, prefix + "/data/0", 20, "<I", 0x7FFFFFF0)  # compressed size
    patch_central(lie, prefix + "/data/0", 24, "<I", 0x7FFFFFF0)  # size
    open(os.path.join(out, "zip_size_lie.pth"), "wb").write(lie)
    lie = bytearray(data)
    patch_central(lie, prefix + "/data/0", 24, "<I", 8)  # stored entry with two different sizes
    open(os.path.join(out, "zip_stored_mismatch.pth"), "wb").write(lie)
    with zipfile.ZipFile(plain) as z:
        info = z.getinfo(prefix + "/data/0")
    name_len, extra_len = struct.unpack_from("<HH", data, info.header_offset + 26)
    flipped = bytearray(data)
    flipped[info.header_offset + 30 + name_len + extra_len + 5] ^= 0x40
    open(os.path.join(out, "zip_crc.pth"), "wb").write(flipped)


def write_deflated(src, dst, folder):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for name in zin.namelist():
            zout.writestr(folder + "/" + name.split("/", 1)[1], zin.read(name))
    data = bytearray(open(dst, "rb").read())
    patch_central(data, folder + "/data/0", 24, "<I", 4096)  # lies about the inflated size
    open(dst.replace(".pth", "_lie.pth"), "wb").write(data)


def write_safetensors_variants(out, sd):
    st = {k: v.contiguous().clone() for k, v in sd.items()}
    write_safetensors(os.path.join(out, "model.safetensors"), st, {"format": "pt", "source": "upres"})
    write_safetensors(os.path.join(out, "module_prefix.safetensors"), {"module." + k: v for k, v in st.items()})
    f32 = struct.pack("<6f", *range(6))
    variants = {
        "past_end": ({"a": {"dtype": "F32", "shape": [6], "data_offsets": [0, 48]}}, f32),
        "overflow": ({"a": {"dtype": "F32", "shape": [1 << 40, 1 << 40, 1 << 40], "data_offsets": [0, 24]}}, f32),
        "overlap": ({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
                     "b": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]}}, f32),
        "hole": ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                  "b": {"dtype": "F32", "shape": [2], "data_offsets": [16, 24]}}, f32),
        "size_mismatch": ({"a": {"dtype": "F32", "shape": [5], "data_offsets": [0, 24]}}, f32),
        "begin_after_end": ({"a": {"dtype": "F32", "shape": [0], "data_offsets": [24, 0]}}, f32),
        "bad_dtype": ({"a": {"dtype": "Q7", "shape": [6], "data_offsets": [0, 24]}}, f32),
    }
    for name, (header, data) in variants.items():
        write_raw_safetensors(os.path.join(out, "st_%s.safetensors" % name), header, data)
    write_raw_safetensors(os.path.join(out, "st_header_past_end.safetensors"), {"a": {}}, b"", header_len=1 << 20)


def main(out):
    parent = os.path.dirname(os.path.abspath(out))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(dir=parent, prefix=".weights_fixtures.")
    sd = state_dict()
    g = torch.Generator().manual_seed(99)
    other = {k: (torch.randn(v.shape, generator=g).to(v.dtype) if v.is_floating_point() else v) for k, v in sd.items()}
    oldarch = {"model.0.weight": torch.randn(4, 3, 3, 3, generator=g), "model.0.bias": torch.randn(4, generator=g)}
    manifest = {"sets": {"sd": write_expected(tmp, "sd", sd), "oldarch": write_expected(tmp, "oldarch", oldarch)},
                "files": {}}

    def save(name, obj, set_name, wrapper="", **kw):
        torch.save(obj, os.path.join(tmp, name), **kw)
        manifest["files"][name] = {"set": set_name, "wrapper": wrapper}

    save("plain_zip.pth", sd, "sd")
    save("plain_legacy.pth", sd, "sd", _use_new_zipfile_serialization=False)
    save("proto4.pt", sd, "sd", pickle_protocol=4)
    save("wrapped.ckpt", {"params": other, "params_ema": sd, "iter": 5, "best_psnr": 31.5, "tag": b"\x00\xff"},
         "sd", "params_ema")
    save("module_prefix_legacy.pth", {"state_dict": {"module." + k: v for k, v in sd.items()}, "epoch": 3},
         "sd", "state_dict", _use_new_zipfile_serialization=False)
    save("single_key.pth", {"generator": {"netG." + k: v for k, v in sd.items()}}, "sd", "generator")
    save("parameters.pth", {k: torch.nn.Parameter(v, requires_grad=False) for k, v in sd.items()
                            if v.is_floating_point()}, "sd_params")
    manifest["sets"]["sd_params"] = {k: v for k, v in manifest["sets"]["sd"].items()
                                     if sd[k].is_floating_point()}
    save("oldarch.pth", oldarch, "oldarch")
    write_deflated(os.path.join(tmp, "plain_zip.pth"), os.path.join(tmp, "deflated.pth"), "my model")
    manifest["files"]["deflated.pth"] = {"set": "sd", "wrapper": ""}
    write_safetensors_variants(tmp, sd)
    manifest["files"]["model.safetensors"] = {"set": "sd", "wrapper": ""}
    manifest["files"]["module_prefix.safetensors"] = {"set": "sd", "wrapper": ""}
    torch.save({"t": torch.randn(3, 4, generator=g).t()}, os.path.join(tmp, "transposed.pth"))
    write_lying_zips(tmp, os.path.join(tmp, "plain_zip.pth"))
    manifest["marker"] = os.path.join(out, "PWNED")
    write_hostile(tmp, manifest["marker"])
    with open(os.path.join(tmp, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    stale = out + ".stale.%d" % os.getpid()
    if os.path.exists(out):
        os.rename(out, stale)
    try:
        os.rename(tmp, out)
    except OSError:  # another process finished first
        shutil.rmtree(tmp)
    shutil.rmtree(stale, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1])
