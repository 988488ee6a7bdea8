#!/usr/bin/python3
"""Tiled against untiled output of the window-attention and modern upscalers (issue 12, item 4): how
far do tiles with the default overlap (32 input px, blended) move the picture from one whole-picture
pass? PSNR of the tiled output against the untiled one, per architecture, on real photos.

Models: the installed OmniSR file (4x_WTP_descreenton.pth, real weights, from the waifu2x npm
package) and random-weight networks of each other family in its published configuration (as
bench/transformers_vs_torch.py builds them). Random weights make a harsher test than trained ones
(their attention is not local), so their figures are a floor. Each photo is a centre crop of
--crop px from ../shared/images/set14; upres runs through its CLI (`upres upscale --tile T` versus
`--tile 0` with a budget large enough for one tile), fp32, and the 8-bit PNG outputs are compared.
The markdown table goes to stdout.

Usage: bench/tiled_vs_untiled.py BUILD_DIR [--archs omnisr,swinir,hat,dat,span,realplksr,scunet]
                                 [--tile 64] [--crop 160] [--photos baboon,lenna,comic]
"""
import argparse
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import transformers_vs_torch as bench  # noqa: E402

OMNISR_FILE = os.path.join(REPO, ".cache/npm/waifu2x-1.6.5/package/models/4x_WTP_descreenton.pth")
PHOTOS = os.path.join(REPO, "..", "shared", "images", "set14")


def model_file(arch, tmp):
    if arch == "omnisr":
        return OMNISR_FILE if os.path.exists(OMNISR_FILE) else None
    import torch
    if arch == "scunet":
        m = bench.import_module("scunet_torch")
        net = m.randomize(m.SCUNet(config=(4, 4, 4, 4, 4, 4, 4), dim=64), 1)
    else:
        net = bench.build_net(arch)
    path = os.path.join(tmp, f"{arch}.pth")
    torch.save(net.state_dict(), path)
    return path


def upscale(binary, model, photo, tile, out_dir):
    cmd = [binary, "upscale", photo, "--upscaler", model, "--tile", str(tile), "--max-memory", "32G", "-o", out_dir,
           "--precision", "fp32"]
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {run.stdout}{run.stderr}")
    files = sorted(f for f in os.listdir(out_dir) if f.endswith(".png"))
    return np.asarray(Image.open(os.path.join(out_dir, files[-1])).convert("RGB"), dtype=np.float64)


def psnr(a, b):
    mse = np.mean((a - b) ** 2)
    return float("inf") if mse == 0 else 10 * math.log10(255.0 ** 2 / mse)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("build_dir")
    parser.add_argument("--archs", default="omnisr,swinir,hat,dat,span,realplksr,scunet")
    parser.add_argument("--tile", type=int, default=64)
    parser.add_argument("--crop", type=int, default=160)
    parser.add_argument("--photos", default="baboon,lenna,comic")
    args = parser.parse_args()
    binary = os.path.join(args.build_dir, "src", "cli", "upres")
    print(f"# tile {args.tile} px, default overlap, centre crops of {args.crop} px, fp32\n")
    print("| model | " + " | ".join(args.photos.split(",")) + " |")
    print("|---|" + "---|" * len(args.photos.split(",")))
    with tempfile.TemporaryDirectory() as tmp:
        crops = []
        for name in args.photos.split(","):
            picture = Image.open(os.path.join(PHOTOS, name + ".png")).convert("RGB")
            left, top = (picture.width - args.crop) // 2, (picture.height - args.crop) // 2
            path = os.path.join(tmp, name + ".png")
            picture.crop((left, top, left + args.crop, top + args.crop)).save(path)
            crops.append(path)
        for arch in args.archs.split(","):
            try:
                model = model_file(arch, tmp)
            except Exception as e:
                bench.log(f"{arch}: no model: {e}")
                continue
            if model is None:
                bench.log(f"{arch}: model file absent")
                continue
            cells = []
            for crop in crops:
                bench.log(f"{arch} {os.path.basename(crop)}")
                try:
                    whole = upscale(binary, model, crop, 0, os.path.join(tmp, "whole"))
                    tiled = upscale(binary, model, crop, args.tile, os.path.join(tmp, "tiled"))
                    cells.append(f"{psnr(whole, tiled):.1f} dB")
                except RuntimeError as e:
                    bench.log(str(e)[-300:])
                    cells.append("failed")
            print(f"| {arch} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
