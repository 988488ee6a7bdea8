#!/usr/bin/python3
"""PyTorch fixtures for tests/models/parsenet_test.cpp.

A port of facexlib's ParseNet (PSFRGAN encoder / residual body / decoder with image and mask
heads), written from the original:
  https://github.com/xinntao/facexlib/blob/master/facexlib/parsing/parsenet.py
Every conv is ReflectionPad2d(1) + 3x3 conv ('down': stride 2; 'up': nearest 2x first), then
optional BatchNorm2d and LeakyReLU(0.2) / PReLU. Builds networks with random weights from fixed
seeds, saves each as a plain state_dict .pth, feeds a fixed random face in [0, 1] as facexlib does
((x - 0.5) / 0.5) and writes the out_mask logits (raw little-endian float32), their argmax
(uint8) and manifest.json to OUT_DIR. Also writes a copy of the first model with one key removed.
"""
import argparse
import json
import math
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.backends.mkldnn.enabled = False
torch.set_num_threads(2)

MISSING_KEY = "body.1.conv2.norm.norm.running_var"


class ConvLayer(nn.Module):
    """[nearest 2x] -> reflect pad 1 -> 3x3 conv -> [bn] -> [act]; keys conv2d, norm.norm, relu.func."""

    def __init__(self, cin, cout, scale="none", norm=False, act="none"):
        super().__init__()
        self.scale = scale
        self.conv2d = nn.Conv2d(cin, cout, 3, 2 if scale == "down" else 1, bias=not norm)
        self.norm = nn.Module()
        self.norm.norm = nn.BatchNorm2d(cout) if norm else None
        self.relu = nn.Module()
        self.relu.func = nn.PReLU(cout) if act == "prelu" else None
        self.act = act

    def forward(self, x):
        if self.scale == "up":
            x = F.interpolate(x, scale_factor=2, mode="nearest")
        x = self.conv2d(F.pad(x, (1, 1, 1, 1), mode="reflect"))
        if self.norm.norm is not None:
            x = self.norm.norm(x)
        if self.act == "leakyrelu":
            x = F.leaky_relu(x, 0.2)
        elif self.act == "prelu":
            x = self.relu.func(x)
        return x


class ResidualBlock(nn.Module):
    def __init__(self, cin, cout, act, scale="none"):
        super().__init__()
        self.shortcut_func = None
        if scale != "none" or cin != cout:
            self.shortcut_func = ConvLayer(cin, cout, scale)
        first, second = {"down": ("none", "down"), "up": ("up", "none"), "none": ("none", "none")}[scale]
        self.conv1 = ConvLayer(cin, cout, first, norm=True, act=act)
        self.conv2 = ConvLayer(cout, cout, second, norm=True)

    def forward(self, x):
        identity = x if self.shortcut_func is None else self.shortcut_func(x)
        return identity + self.conv2(self.conv1(x))


class ParseNet(nn.Module):
    def __init__(self, in_size=512, min_feat_size=32, base_ch=64, parsing_ch=19, res_depth=10,
                 act="leakyrelu", ch_range=(32, 256)):
        super().__init__()
        clip = lambda c: max(ch_range[0], min(c, ch_range[1]))  # noqa: E731
        steps = int(math.log2(in_size // min(in_size, min_feat_size)))
        encoder = [ConvLayer(3, base_ch)]
        head = base_ch
        for _ in range(steps):
            encoder.append(ResidualBlock(clip(head), clip(head * 2), act, "down"))
            head *= 2
        self.encoder = nn.Sequential(*encoder)
        self.body = nn.Sequential(*[ResidualBlock(clip(head), clip(head), act) for _ in range(res_depth)])
        decoder = []
        for _ in range(steps):
            decoder.append(ResidualBlock(clip(head), clip(head // 2), act, "up"))
            head //= 2
        self.decoder = nn.Sequential(*decoder)
        self.out_img_conv = ConvLayer(clip(head), 3)
        self.out_mask_conv = ConvLayer(clip(head), parsing_ch)
        self.steps, self.res_depth, self.base_ch, self.parsing_ch = steps, res_depth, base_ch, parsing_ch

    def forward(self, x):
        feat = self.encoder(x)
        x = self.decoder(feat + self.body(feat))
        return self.out_mask_conv(x), self.out_img_conv(x)


def randomize_batch_norms(model, gen):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            c = m.num_features
            m.weight.data = torch.rand(c, generator=gen) + 0.5
            m.bias.data = torch.randn(c, generator=gen) * 0.1
            m.running_mean.data = torch.randn(c, generator=gen) * 0.1
            m.running_var.data = torch.rand(c, generator=gen) * 1.5 + 0.5
        elif isinstance(m, nn.PReLU):
            m.weight.data = torch.rand(m.weight.shape[0], generator=gen) * 0.4
    # Default init leaves the mask logits near the bias, so every pixel gets the same class;
    # larger head weights make the argmax depend on the face.
    model.out_mask_conv.conv2d.weight.data *= 30.0


CASES = [
    # name, network arguments, face side fed to the network, seed
    ("parsenet512_narrow16", dict(in_size=512, base_ch=16, res_depth=2, ch_range=(16, 64)), 512, 1),
    ("parsenet_facexlib_at64", dict(in_size=512), 64, 2),
    ("parsenet128_prelu", dict(in_size=128, base_ch=8, res_depth=1, act="prelu", ch_range=(8, 32)), 128, 3),
]


def write_case(out_dir, name, kwargs, side, seed):
    torch.manual_seed(seed)
    net = ParseNet(**kwargs)
    randomize_batch_norms(net, torch.Generator().manual_seed(seed + 100))
    net.eval()
    torch.save(net.state_dict(), os.path.join(out_dir, name + ".pth"))
    gen = torch.Generator().manual_seed(seed + 200)
    face = torch.rand(1, 3, side, side, generator=gen)
    with torch.no_grad():
        mask = net((face - 0.5) / 0.5)[0]
    face.numpy().astype("<f4").tofile(os.path.join(out_dir, name + ".face.f32"))
    mask.numpy().astype("<f4").tofile(os.path.join(out_dir, name + ".logits.f32"))
    labels = mask.argmax(dim=1)[0].numpy().astype(np.uint8)
    labels.tofile(os.path.join(out_dir, name + ".labels.u8"))
    top2 = mask[0].topk(2, dim=0).values
    return {
        "name": name, "side": side, "base_ch": net.base_ch, "down_steps": net.steps,
        "res_depth": net.res_depth, "parsing_ch": net.parsing_ch, "in_size": kwargs["in_size"],
        "prelu": kwargs.get("act") == "prelu", "logits_abs_max": float(mask.abs().max()),
        "min_top2_gap": float((top2[0] - top2[1]).min()), "classes_seen": int(len(np.unique(labels))),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out_dir")
    out_dir = parser.parse_args().out_dir
    os.makedirs(out_dir, exist_ok=True)
    cases = [write_case(out_dir, *case) for case in CASES]
    first = torch.load(os.path.join(out_dir, CASES[0][0] + ".pth"))
    del first[MISSING_KEY]
    torch.save(first, os.path.join(out_dir, "missing_key.pth"))
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump({"cases": cases, "missing_key": MISSING_KEY}, f, indent=1)


if __name__ == "__main__":
    main()
