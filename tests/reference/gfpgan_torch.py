#!/usr/bin/python3
"""PyTorch fixtures for tests/models/gfpgan_test.cpp.

A port of GFPGANv1Clean (U-Net encoder, final linear to the latents, SFT condition branches and
the StyleGAN2GeneratorClean/CSFT decoder), written from the original:
  https://github.com/TencentARC/GFPGAN/blob/master/gfpgan/archs/gfpganv1_clean_arch.py
  https://github.com/TencentARC/GFPGAN/blob/master/gfpgan/archs/stylegan2_clean_arch.py
Batch 1 only. Builds reduced-width networks with random weights from fixed seeds, saves each as
{"params_ema": state_dict} .pth, runs it with the stored noise (randomize_noise=False) on a fixed
random face, and writes raw little-endian float32 tensors and a manifest.json to OUT_DIR. Also
writes a copy of the first model with one key removed, and a file that is not GFPGAN.
"""
import argparse
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.backends.mkldnn.enabled = False
torch.set_num_threads(2)


def lrelu(x):
    return F.leaky_relu(x, 0.2)


def resample(x, factor):
    return F.interpolate(x, scale_factor=factor, mode="bilinear", align_corners=False)


def widths(narrow, channel_multiplier):
    base = {4: 512, 8: 512, 16: 512, 32: 512, 64: 256 * channel_multiplier, 128: 128 * channel_multiplier,
            256: 64 * channel_multiplier, 512: 32 * channel_multiplier, 1024: 16 * channel_multiplier}
    return {r: int(c * narrow) for r, c in base.items()}


class NormStyleCode(nn.Module):
    def forward(self, x):
        return x * torch.rsqrt(torch.mean(x ** 2, dim=1, keepdim=True) + 1e-8)


class ModulatedConv2d(nn.Module):
    def __init__(self, cin, cout, k, num_style_feat, demodulate=True, upsample=False):
        super().__init__()
        self.k, self.demodulate, self.upsample = k, demodulate, upsample
        self.modulation = nn.Linear(num_style_feat, cin)
        self.weight = nn.Parameter(torch.randn(1, cout, cin, k, k) / math.sqrt(cin * k * k))

    def forward(self, x, style):
        s = self.modulation(style).view(1, 1, -1, 1, 1)
        w = self.weight * s                                   # [1, out, in, k, k]
        if self.demodulate:
            w = w * torch.rsqrt(w.pow(2).sum([2, 3, 4]) + 1e-8).view(1, -1, 1, 1, 1)
        if self.upsample:
            x = resample(x, 2)
        return F.conv2d(x, w[0], padding=self.k // 2)


class StyleConv(nn.Module):
    def __init__(self, cin, cout, num_style_feat, upsample=False):
        super().__init__()
        self.modulated_conv = ModulatedConv2d(cin, cout, 3, num_style_feat, True, upsample)
        self.weight = nn.Parameter(torch.zeros(1))            # noise strength
        self.bias = nn.Parameter(torch.zeros(1, cout, 1, 1))

    def forward(self, x, style, noise):
        out = self.modulated_conv(x, style) * 2 ** 0.5
        out = out + self.weight * noise + self.bias
        return lrelu(out)


class ToRGB(nn.Module):
    def __init__(self, cin, num_style_feat, upsample=True):
        super().__init__()
        self.upsample = upsample
        self.modulated_conv = ModulatedConv2d(cin, 3, 1, num_style_feat, demodulate=False)
        self.bias = nn.Parameter(torch.zeros(1, 3, 1, 1))

    def forward(self, x, style, skip=None):
        out = self.modulated_conv(x, style) + self.bias
        if skip is not None:
            out = out + (resample(skip, 2) if self.upsample else skip)
        return out


class ConstantInput(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(1, channels, 4, 4))


class StyleGAN2DecoderCSFT(nn.Module):
    def __init__(self, out_size, num_style_feat, num_mlp, channel_multiplier, narrow, sft_half):
        super().__init__()
        layers = [NormStyleCode()]
        for _ in range(num_mlp):                              # unused by GFPGAN (input_is_latent)
            layers += [nn.Linear(num_style_feat, num_style_feat), nn.LeakyReLU(0.2)]
        self.style_mlp = nn.Sequential(*layers)
        ch = widths(narrow, channel_multiplier)
        self.log_size = int(math.log(out_size, 2))
        self.sft_half = sft_half
        self.constant_input = ConstantInput(ch[4])
        self.style_conv1 = StyleConv(ch[4], ch[4], num_style_feat)
        self.to_rgb1 = ToRGB(ch[4], num_style_feat, upsample=False)
        self.num_layers = (self.log_size - 2) * 2 + 1
        self.noises = nn.Module()
        for i in range(self.num_layers):
            r = 2 ** ((i + 5) // 2)
            self.noises.register_buffer(f"noise{i}", torch.randn(1, 1, r, r))
        self.style_convs = nn.ModuleList()
        self.to_rgbs = nn.ModuleList()
        cin = ch[4]
        for i in range(3, self.log_size + 1):
            cout = ch[2 ** i]
            self.style_convs.append(StyleConv(cin, cout, num_style_feat, upsample=True))
            self.style_convs.append(StyleConv(cout, cout, num_style_feat))
            self.to_rgbs.append(ToRGB(cout, num_style_feat))
            cin = cout

    def forward(self, latent, conditions):                    # latent [1, num_latent, F]
        noise = [getattr(self.noises, f"noise{i}") for i in range(self.num_layers)]
        out = self.style_conv1(self.constant_input.weight, latent[:, 0], noise[0])
        skip = self.to_rgb1(out, latent[:, 1])
        i = 1
        for conv1, conv2, n1, n2, to_rgb in zip(self.style_convs[::2], self.style_convs[1::2], noise[1::2],
                                                noise[2::2], self.to_rgbs):
            out = conv1(out, latent[:, i], n1)
            if i < len(conditions):
                if self.sft_half:
                    half = out.size(1) // 2
                    same, sft = out[:, :half], out[:, half:]
                    out = torch.cat([same, sft * conditions[i - 1] + conditions[i]], dim=1)
                else:
                    out = out * conditions[i - 1] + conditions[i]
            out = conv2(out, latent[:, i + 1], n2)
            skip = to_rgb(out, latent[:, i + 2], skip)
            i += 2
        return skip


class ResBlock(nn.Module):
    def __init__(self, cin, cout, factor):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cin, 3, 1, 1)
        self.conv2 = nn.Conv2d(cin, cout, 3, 1, 1)
        self.skip = nn.Conv2d(cin, cout, 1, bias=False)
        self.factor = factor

    def forward(self, x):
        out = lrelu(self.conv1(x))
        out = lrelu(self.conv2(resample(out, self.factor)))
        return out + self.skip(resample(x, self.factor))


def condition_branch(c, out):
    return nn.Sequential(nn.Conv2d(c, c, 3, 1, 1), nn.LeakyReLU(0.2), nn.Conv2d(c, out, 3, 1, 1))


class GFPGANv1Clean(nn.Module):
    def __init__(self, out_size, num_style_feat, channel_multiplier, narrow, sft_half, different_w, num_mlp=2):
        super().__init__()
        self.different_w, self.num_style_feat = different_w, num_style_feat
        ch = widths(narrow * 0.5, channel_multiplier)
        self.log_size = int(math.log(out_size, 2))
        self.conv_body_first = nn.Conv2d(3, ch[out_size], 1)
        self.conv_body_down = nn.ModuleList()
        cin = ch[out_size]
        for i in range(self.log_size, 2, -1):
            self.conv_body_down.append(ResBlock(cin, ch[2 ** (i - 1)], 0.5))
            cin = ch[2 ** (i - 1)]
        self.final_conv = nn.Conv2d(cin, ch[4], 3, 1, 1)
        self.conv_body_up = nn.ModuleList()
        cin = ch[4]
        for i in range(3, self.log_size + 1):
            self.conv_body_up.append(ResBlock(cin, ch[2 ** i], 2))
            cin = ch[2 ** i]
        self.toRGB = nn.ModuleList([nn.Conv2d(ch[2 ** i], 3, 1) for i in range(3, self.log_size + 1)])
        latents = (self.log_size * 2 - 2) if different_w else 1
        self.final_linear = nn.Linear(ch[4] * 16, latents * num_style_feat)
        self.stylegan_decoder = StyleGAN2DecoderCSFT(out_size, num_style_feat, num_mlp, channel_multiplier,
                                                     narrow, sft_half)
        self.condition_scale = nn.ModuleList()
        self.condition_shift = nn.ModuleList()
        for i in range(3, self.log_size + 1):
            c = ch[2 ** i]
            self.condition_scale.append(condition_branch(c, c if sft_half else 2 * c))
            self.condition_shift.append(condition_branch(c, c if sft_half else 2 * c))

    def forward(self, x):
        feat = lrelu(self.conv_body_first(x))
        skips = []
        for block in self.conv_body_down:
            feat = block(feat)
            skips.insert(0, feat)
        feat = lrelu(self.final_conv(feat))
        code = self.final_linear(feat.reshape(1, -1))
        num_latent = self.log_size * 2 - 2
        latent = code.view(1, -1, self.num_style_feat) if self.different_w else \
            code.unsqueeze(1).repeat(1, num_latent, 1)
        conditions = []
        for i, up in enumerate(self.conv_body_up):
            feat = up(feat + skips[i])
            conditions.append(self.condition_scale[i](feat))
            conditions.append(self.condition_shift[i](feat))
        return self.stylegan_decoder(latent, conditions)


def randomize(net, seed):
    """Weights that exercise every path: nonzero noise strengths and biases, modulation biases near 1
    (the original initializes them to 1)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in net.named_parameters():
            if name.endswith("modulation.bias"):
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=g))
            elif name.endswith(".weight") and p.dim() == 1:   # StyleConv noise strength
                p.copy_(0.5 * torch.randn(p.shape, generator=g))
            elif name.endswith(".bias") and p.dim() == 4:     # StyleConv / ToRGB bias
                p.copy_(0.1 * torch.randn(p.shape, generator=g))


def write(path, tensor):
    tensor.detach().contiguous().numpy().astype("<f4").tofile(path)


CASES = [
    dict(name="gfpgan512_narrow16", out_size=512, num_style_feat=64, channel_multiplier=2, narrow=1 / 16,
         sft_half=True, different_w=True, seed=14),
    dict(name="gfpgan64_full_sft_shared_w", out_size=64, num_style_feat=32, channel_multiplier=1, narrow=1 / 8,
         sft_half=False, different_w=False, seed=13),
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out_dir")
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    manifest = {"cases": []}
    for case in CASES:
        torch.manual_seed(case["seed"])
        net = GFPGANv1Clean(case["out_size"], case["num_style_feat"], case["channel_multiplier"], case["narrow"],
                            case["sft_half"], case["different_w"]).eval()
        randomize(net, case["seed"])
        state = {k: v.contiguous() for k, v in net.state_dict().items()}
        name, s = case["name"], case["out_size"]
        torch.save({"params_ema": state}, os.path.join(args.out_dir, name + ".pth"))
        face = torch.rand(1, 3, s, s, generator=torch.Generator().manual_seed(case["seed"] + 100))
        with torch.no_grad():
            out = net(face * 2 - 1)
        write(os.path.join(args.out_dir, name + ".face.f32"), face)
        write(os.path.join(args.out_dir, name + ".out.f32"), out)
        write(os.path.join(args.out_dir, name + ".restored.f32"), (out.clamp(-1, 1) + 1) / 2)
        entry = {k: v for k, v in case.items() if k != "seed"}
        entry.update(decoder_channels=widths(case["narrow"], case["channel_multiplier"])[s],
                     unet_channels=widths(case["narrow"] * 0.5, case["channel_multiplier"])[s],
                     out_abs_max=float(out.abs().max()))
        manifest["cases"].append(entry)
        if case is CASES[0]:
            del state["condition_shift.3.2.weight"]
            torch.save({"params_ema": state}, os.path.join(args.out_dir, "missing_key.pth"))
    other = {"body.0.weight": torch.randn(8, 3, 3, 3), "body.0.bias": torch.randn(8)}
    torch.save({"params_ema": other}, os.path.join(args.out_dir, "not_gfpgan.pth"))
    with open(os.path.join(args.out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main()
