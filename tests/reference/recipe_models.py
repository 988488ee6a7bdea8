#!/usr/bin/python3
"""Model files for the reference UI's best-known Extras recipe (ESRGAN_4x as Upscaler 1, SwinIR_4x as
Upscaler 2): small random-weight networks of the right architectures placed where the reference UI
keeps those downloads, so `upres upscale --upscaler ESRGAN_4x --upscaler2 SwinIR_4x` finds them.

models/ESRGAN/ESRGAN_4x.pth : RRDBNet x4, 8 features, 1 block
models/SwinIR/SwinIR_4x.pth : SwinIR real-world x4 (nearest+conv), embed 12, one 2-block group,
                              window 4, padded with a stored zip member to exactly the release file's
                              size (142473939 bytes), which is what makes a catalog file "installed"

Usage: recipe_models.py OUT_DIR   (writes OUT_DIR/models/... and OUT_DIR/manifest.json)
"""
import json
import os
import sys
import zipfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import models_torch_fixtures  # noqa: E402
import swinir_torch  # noqa: E402

SWINIR_RELEASE_BYTES = 142473939


def pad_zip_to(path, size):
    """Appends one stored member so the zip is exactly `size` bytes (readers ignore unknown members).
    The member's header size depends on its length (zip64 fields), so the length is settled by trial."""
    with zipfile.ZipFile(path) as z:  # PyTorch wants every member under the archive's one folder
        member = z.namelist()[0].split("/")[0] + "/upres_test_padding"
    with open(path, "rb") as f:
        original = f.read()
    length = size - len(original)
    for _ in range(4):
        with open(path, "wb") as f:
            f.write(original)
        with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_STORED) as z:
            z.writestr(member, b"\0" * max(length, 0))
        excess = os.path.getsize(path) - size
        if excess == 0:
            return
        length -= excess
    sys.exit(f"padding {path}: {os.path.getsize(path)} bytes, wanted {size}")


def main():
    out = sys.argv[1]
    esrgan_dir = os.path.join(out, "models", "ESRGAN")
    swinir_dir = os.path.join(out, "models", "SwinIR")
    os.makedirs(esrgan_dir, exist_ok=True)
    os.makedirs(swinir_dir, exist_ok=True)
    esrgan = models_torch_fixtures.randomize(models_torch_fixtures.RRDBNet(8, 1, 4, num_up=2), 5)
    torch.save(esrgan.state_dict(), os.path.join(esrgan_dir, "ESRGAN_4x.pth"))
    swinir = swinir_torch.randomize(swinir_torch.SwinSR(False, 12, [2], [2], 4, 2.0, 4, "nearest+conv"), 6)
    swinir_path = os.path.join(swinir_dir, "SwinIR_4x.pth")
    torch.save({"params_ema": swinir.state_dict()}, swinir_path)
    pad_zip_to(swinir_path, SWINIR_RELEASE_BYTES)
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump({"models": os.path.join(out, "models")}, f)


if __name__ == "__main__":
    main()
