#!/usr/bin/python3
"""PyTorch fixtures for tests/models/lama_test.cpp, and the baseline of bench/lama_vs_torch.py.

LaMa's generator (Suvorov et al. 2022, "Resolution-robust Large Mask Inpainting with Fourier
Convolutions"), the big-lama configuration of FFCResNetGenerator written from the semantics of
github.com/advimman/lama (saicinpainting/training/modules/ffc.py) as spandrel ships it: a reflect
pad 7x7 stem, stride-2 downsampling FFC convs (the last one splits channels local/global 1:3),
FFC residual blocks (global/local split 0.75, every conv reflect padded, no bias) whose global
branch is the spectral transform (1x1 conv-BN-ReLU, the Fourier unit: rfftn ortho -> 1x1 conv-BN-
ReLU on stacked real/imag -> irfftn, then a 1x1 conv over x + fu(x); no LFU in big-lama), concat,
ConvTranspose2d-BN-ReLU upsamplers, reflect pad 7x7 conv and a sigmoid. Inference (BatchNorm with
running statistics). Keys as the original: model.<i>. under a "model." (spandrel) or "generator."
(the training checkpoint) prefix.

Usage: /usr/bin/python3 lama_torch.py OUT_DIR  (random tiny configurations, raw fp32 + manifest.json)
"""
import argparse
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixture_tensors import write_tensor  # noqa: E402

torch.backends.mkldnn.enabled = False


def reflect_conv(cin, cout, k, stride=1, padding=0, bias=False):
    return nn.Conv2d(cin, cout, k, stride, padding, bias=bias, padding_mode="reflect")


class FourierUnit(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv_layer = nn.Conv2d(2 * channels, 2 * channels, 1, bias=False)
        self.bn = nn.BatchNorm2d(2 * channels)

    def forward(self, x):
        n, _, h, w = x.shape
        f = torch.fft.rfftn(x, dim=(-2, -1), norm="ortho")
        f = torch.stack((f.real, f.imag), dim=-1).permute(0, 1, 4, 2, 3).contiguous()
        f = f.view(n, -1, h, w // 2 + 1)
        f = F.relu(self.bn(self.conv_layer(f)))
        f = f.view(n, -1, 2, h, w // 2 + 1).permute(0, 1, 3, 4, 2).contiguous()
        return torch.fft.irfftn(torch.complex(f[..., 0], f[..., 1]), s=(h, w), dim=(-2, -1), norm="ortho")


class SpectralTransform(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(cin, cout // 2, 1, bias=False), nn.BatchNorm2d(cout // 2), nn.ReLU())
        self.fu = FourierUnit(cout // 2)
        self.conv2 = nn.Conv2d(cout // 2, cout, 1, bias=False)

    def forward(self, x):
        x = self.conv1(x)
        return self.conv2(x + self.fu(x))


class FFCBnAct(nn.Module):
    """FFC_BN_ACT with ReLU: local/global channel split in and out; absent paths have no module."""

    def __init__(self, cin, cout, k, ratio_in, ratio_out, stride=1, padding=0):
        super().__init__()
        in_g, out_g = int(cin * ratio_in), int(cout * ratio_out)
        in_l, out_l = cin - in_g, cout - out_g
        self.ffc = nn.Module()
        conv = lambda a, b: reflect_conv(a, b, k, stride, padding)
        self.ffc.convl2l = conv(in_l, out_l) if in_l and out_l else None
        self.ffc.convl2g = conv(in_l, out_g) if in_l and out_g else None
        self.ffc.convg2l = conv(in_g, out_l) if in_g and out_l else None
        self.ffc.convg2g = SpectralTransform(in_g, out_g) if in_g and out_g else None
        self.bn_l = nn.BatchNorm2d(out_l) if out_l else None
        self.bn_g = nn.BatchNorm2d(out_g) if out_g else None

    def forward(self, x_l, x_g):
        f = self.ffc
        out_l = out_g = None
        if self.bn_l is not None:
            out_l = (f.convl2l(x_l) if f.convl2l is not None else 0) + (f.convg2l(x_g) if f.convg2l is not None else 0)
            out_l = F.relu(self.bn_l(out_l))
        if self.bn_g is not None:
            out_g = (f.convl2g(x_l) if f.convl2g is not None else 0) + (f.convg2g(x_g) if f.convg2g is not None else 0)
            out_g = F.relu(self.bn_g(out_g))
        return out_l, out_g


class FFCResnetBlock(nn.Module):
    def __init__(self, dim, ratio):
        super().__init__()
        self.conv1 = FFCBnAct(dim, dim, 3, ratio, ratio, padding=1)
        self.conv2 = FFCBnAct(dim, dim, 3, ratio, ratio, padding=1)

    def forward(self, x_l, x_g):
        y_l, y_g = self.conv2(*self.conv1(x_l, x_g))
        return x_l + y_l, x_g + y_g


class Generator(nn.Module):
    """FFCResNetGenerator(4, 3) with big-lama's kwargs; ngf/n_downsampling/n_blocks shrink it for tests."""

    def __init__(self, ngf=64, n_downsampling=3, n_blocks=18, max_features=1024, ratio=0.75):
        super().__init__()
        layers = [nn.ReflectionPad2d(3), FFCBnAct(4, ngf, 7, 0, 0)]
        for i in range(n_downsampling):
            cin, cout = min(max_features, ngf * 2 ** i), min(max_features, ngf * 2 ** (i + 1))
            layers.append(FFCBnAct(cin, cout, 3, 0, ratio if i == n_downsampling - 1 else 0, stride=2, padding=1))
        dim = min(max_features, ngf * 2 ** n_downsampling)
        layers += [FFCResnetBlock(dim, ratio) for _ in range(n_blocks)]
        layers.append(nn.Identity())  # ConcatTupleLayer
        for i in range(n_downsampling):
            mult = 2 ** (n_downsampling - i)
            cin, cout = min(max_features, ngf * mult), min(max_features, ngf * mult // 2)
            layers += [nn.ConvTranspose2d(cin, cout, 3, stride=2, padding=1, output_padding=1),
                       nn.BatchNorm2d(cout), nn.ReLU()]
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, 3, 7), nn.Sigmoid()]
        self.model = nn.Sequential(*layers)
        self.n_downsampling, self.n_blocks = n_downsampling, n_blocks

    def forward(self, x):
        m = self.model
        x_l, x_g = m[1](m[0](x), None)
        i = 2
        for _ in range(self.n_downsampling):
            x_l, x_g = m[i](x_l, x_g)
            i += 1
        for _ in range(self.n_blocks):
            x_l, x_g = m[i](x_l, x_g)
            i += 1
        x = torch.cat((x_l, x_g), 1) if x_g is not None else x_l
        for layer in list(m)[i + 1:]:
            x = layer(x)
        return x


def randomize(net, seed):
    """Weights at unit-preserving scale and BatchNorm statistics away from the identity."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in net.modules():
            if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
                fan_in = module.weight.shape[1] * module.weight.shape[2] * module.weight.shape[3]
                if isinstance(module, nn.ConvTranspose2d):
                    fan_in = module.weight.shape[0] * module.weight.shape[2] * module.weight.shape[3] // 4
                module.weight.copy_(torch.randn(module.weight.shape, generator=gen) * (2.0 / fan_in) ** 0.5)
                if module.bias is not None:
                    module.bias.copy_(torch.randn(module.bias.shape, generator=gen) * 0.05)
            elif isinstance(module, nn.BatchNorm2d):
                c = module.num_features
                module.weight.copy_(1.0 + 0.2 * torch.randn(c, generator=gen))
                module.bias.copy_(0.1 * torch.randn(c, generator=gen))
                module.running_mean.copy_(0.1 * torch.randn(c, generator=gen))
                module.running_var.copy_(0.5 + torch.rand(c, generator=gen))
                module.num_batches_tracked.fill_(1000)
    return net.eval()


def calibrate_output(net, x):
    """Scales the last conv so its output (the sigmoid's input) has std 2: random weights otherwise
    saturate the sigmoid and a comparison at 0 and 1 would test little."""
    with torch.no_grad():
        last = net.model[-2]
        net.model[-1] = nn.Identity()
        std = net(x).std().item()
        net.model[-1] = nn.Sigmoid()
        last.weight.mul_(2.0 / std)
        last.bias.mul_(2.0 / std)


def masked_input(height, width, seed):
    """cat(image * (1 - mask), mask) with a mask over a border band, as the outpaint fill feeds it."""
    gen = torch.Generator().manual_seed(seed)
    image = torch.rand((1, 3, height, width), generator=gen)
    mask = torch.zeros((1, 1, height, width))
    mask[..., :, width * 3 // 4:] = 1.0
    return torch.cat((image * (1 - mask), mask), 1)


CASES = [
    # name, generator kwargs, input sizes, file form
    ("lama_ngf4_d2_b1", dict(ngf=4, n_downsampling=2, n_blocks=1), [(32, 32)], "spandrel"),
    ("lama_ngf8_d3_b2", dict(ngf=8, n_downsampling=3, n_blocks=2), [(48, 40)], "checkpoint"),
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out_dir")
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    torch.set_num_threads(2)
    cases = []
    for seed, (name, kwargs, sizes, form) in enumerate(CASES):
        net = randomize(Generator(**kwargs), 900 + seed)
        calibrate_output(net, masked_input(*sizes[0], 70 + seed))
        sd = {k: v.clone() for k, v in net.state_dict().items()}
        if form == "spandrel":
            file = f"{name}.pth"
            torch.save({"model." + k: v for k, v in sd.items()}, os.path.join(args.out_dir, file))
        else:  # a Lightning training checkpoint: generator and discriminator under state_dict
            file = f"{name}.ckpt"
            state = {"generator." + k: v for k, v in sd.items()}
            state["discriminator.model0.0.weight"] = torch.zeros(4, 3, 4, 4)
            torch.save({"state_dict": state, "epoch": 3}, os.path.join(args.out_dir, file))
        runs = []
        with torch.no_grad():
            for h, w in sizes:
                x = masked_input(h, w, 70 + seed)
                runs.append({"input": write_tensor(args.out_dir, f"{name}.{h}x{w}.in.bin", x),
                             "expected": write_tensor(args.out_dir, f"{name}.{h}x{w}.out.bin", net(x))})
        cases.append({"name": name, "file": file, "ngf": kwargs["ngf"], "n_downsampling": kwargs["n_downsampling"],
                      "n_blocks": kwargs["n_blocks"], "runs": runs})
    with open(os.path.join(args.out_dir, "manifest.json"), "w") as f:
        json.dump({"cases": cases}, f, indent=1)
    print(f"wrote {len(cases)} LaMa cases to {args.out_dir}")


if __name__ == "__main__":
    main()
