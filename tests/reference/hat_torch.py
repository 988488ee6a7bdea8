#!/usr/bin/python3
"""PyTorch fixtures for tests/models/hat_test.cpp: HAT (Hybrid Attention Transformer).

A compact HAT written for the test suite from the paper (Chen et al., "Activating More Pixels in
Image Super-Resolution Transformer", CVPR 2023) and the semantics of the original code
(https://github.com/XPixelGroup/HAT, hat/archs/hat_arch.py, and its test-time reflection padding
to the window multiple): the same state-dict keys and buffers, HABs (window attention, shifted in
odd blocks with Swin's mask, plus CAB * 0.01), an OCAB per group (nn.Unfold of keys and values
into overlapping windows, relative position index with PyTorch's negative-index wrap-around),
pixelshuffle reconstruction. Random weights from fixed seeds; writes .pth files (one in a
params_ema wrapper), raw fp32 inputs/outputs and manifest.json to OUT_DIR.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from fixture_tensors import parse_fixture_arguments, write_manifest, write_random_runs
from fixture_weights import fan_in_normal, randomize_weights, save_damaged, save_pth
from window_attention_torch import add_window_mask, from_windows, relative_index, shift_mask, to_windows

torch.backends.mkldnn.enabled = False
torch.set_num_threads(2)

RGB_MEAN = (0.4488, 0.4371, 0.4040)


def grid(n):
    ys, xs = torch.meshgrid(torch.arange(n), torch.arange(n), indexing="ij")
    return ys.flatten(), xs.flatten()


def index_oca(ws, ows):
    """Query i of the ws window against key j of the ows window; may be negative (as the original)."""
    yq, xq = grid(ws)
    yk, xk = grid(ows)
    dy = yk[None, :] - yq[:, None] + ws - ows + 1
    dx = xk[None, :] - xq[:, None] + ws - ows + 1
    return dy * (ws + ows - 1) + dx


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class WindowAttention(nn.Module):
    def __init__(self, dim, ws, heads, qkv_bias):
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * ws - 1) ** 2, heads))
        self.qkv = nn.Linear(dim, 3 * dim, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x, rpi, mask):
        b, n, c = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        attn = (q * self.scale) @ k.transpose(-2, -1)
        attn = attn + self.relative_position_bias_table[rpi.view(-1)].view(n, n, -1).permute(2, 0, 1)[None]
        if mask is not None:
            attn = add_window_mask(attn, mask)
        return self.proj((attn.softmax(-1) @ v).transpose(1, 2).reshape(b, n, c))


class CAB(nn.Module):
    def __init__(self, dim, compressed, squeezed):
        super().__init__()
        attention = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(dim, squeezed, 1), nn.ReLU(),
                                  nn.Conv2d(squeezed, dim, 1), nn.Sigmoid())
        gate = nn.Module()
        gate.attention = attention
        self.cab = nn.Sequential(nn.Conv2d(dim, compressed, 3, 1, 1), nn.GELU(), nn.Conv2d(compressed, dim, 3, 1, 1), gate)

    def forward(self, x):
        y = self.cab[2](self.cab[1](self.cab[0](x)))
        return y * self.cab[3].attention(y)


class HAB(nn.Module):
    def __init__(self, dim, heads, ws, shift, compressed, squeezed, hidden, qkv_bias):
        super().__init__()
        self.ws, self.shift = ws, shift
        self.norm1 = nn.LayerNorm(dim)
        self.attn = WindowAttention(dim, ws, heads, qkv_bias)
        self.conv_block = CAB(dim, compressed, squeezed)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, hidden)

    def forward(self, x, h, w, rpi, mask):
        b, L, c = x.shape
        y = self.norm1(x).view(b, h, w, c)
        conv_x = self.conv_block(y.permute(0, 3, 1, 2)).permute(0, 2, 3, 1).reshape(b, L, c)
        if self.shift:
            y = torch.roll(y, (-self.shift, -self.shift), (1, 2))
        y = self.attn(to_windows(y, self.ws), rpi, mask if self.shift else None)
        y = from_windows(y, h, w, self.ws)
        if self.shift:
            y = torch.roll(y, (self.shift, self.shift), (1, 2))
        x = x + y.reshape(b, L, c) + conv_x * 0.01
        return x + self.mlp(self.norm2(x))


class OCAB(nn.Module):
    def __init__(self, dim, heads, ws, ows, hidden, qkv_bias):
        super().__init__()
        self.dim, self.heads, self.ws, self.ows = dim, heads, ws, ows
        self.scale = (dim // heads) ** -0.5
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim, bias=qkv_bias)
        self.relative_position_bias_table = nn.Parameter(torch.zeros((ws + ows - 1) ** 2, heads))
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, hidden)

    def forward(self, x, h, w, rpi):
        b, L, c = x.shape
        ws, ows, nh, d = self.ws, self.ows, self.heads, c // self.heads
        qkv = self.qkv(self.norm1(x)).view(b, h, w, 3, c)
        q = to_windows(qkv[..., 0, :], ws)                                     # nW, ws*ws, C
        kv = qkv[..., 1:, :].reshape(b, h, w, 2 * c).permute(0, 3, 1, 2)       # B, 2C, H, W
        cols = F.unfold(kv, kernel_size=ows, stride=ws, padding=(ows - ws) // 2)  # B, 2C*ows*ows, nW
        cols = cols.view(b, 2, c, ows * ows, -1).permute(1, 0, 4, 3, 2).reshape(2, -1, ows * ows, c)
        k, v = cols[0], cols[1]
        nw = q.shape[0]
        q = q.view(nw, ws * ws, nh, d).transpose(1, 2) * self.scale
        k = k.reshape(nw, ows * ows, nh, d).transpose(1, 2)
        v = v.reshape(nw, ows * ows, nh, d).transpose(1, 2)
        attn = q @ k.transpose(-2, -1)
        bias = self.relative_position_bias_table[rpi.view(-1)].view(ws * ws, ows * ows, -1).permute(2, 0, 1)
        y = ((attn + bias[None]).softmax(-1) @ v).transpose(1, 2).reshape(nw, ws * ws, c)
        x = self.proj(from_windows(y, h, w, ws).reshape(b, L, c)) + x
        return x + self.mlp(self.norm2(x))


class ResidualGroup(nn.Module):
    def __init__(self, dim, depth, heads, ws, ows, compressed, squeezed, hidden, qkv_bias):
        super().__init__()
        self.blocks = nn.ModuleList([HAB(dim, heads, ws, 0 if i % 2 == 0 else ws // 2, compressed, squeezed, hidden,
                                         qkv_bias) for i in range(depth)])
        self.overlap_attn = OCAB(dim, heads, ws, ows, hidden, qkv_bias)


class RHAG(nn.Module):
    def __init__(self, dim, depth, heads, ws, ows, compressed, squeezed, hidden, qkv_bias):
        super().__init__()
        self.residual_group = ResidualGroup(dim, depth, heads, ws, ows, compressed, squeezed, hidden, qkv_bias)
        self.conv = nn.Conv2d(dim, dim, 3, 1, 1)

    def forward(self, x, h, w, rpi_sa, rpi_oca, mask):
        y = x
        for block in self.residual_group.blocks:
            y = block(y, h, w, rpi_sa, mask)
        y = self.residual_group.overlap_attn(y, h, w, rpi_oca)
        b, L, c = y.shape
        return self.conv(y.transpose(1, 2).reshape(b, c, h, w)).flatten(2).transpose(1, 2) + x


class HAT(nn.Module):
    def __init__(self, dim, depth, heads, ws, overlap_ratio, compress_ratio, squeeze_factor, mlp_ratio, upscale,
                 num_feat=64, qkv_bias=True, patch_norm=True):
        super().__init__()
        self.ws, self.upscale = ws, upscale
        ows = int(ws * overlap_ratio) + ws
        self.register_buffer("mean", torch.tensor(RGB_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("relative_position_index_SA", relative_index(ws))
        self.register_buffer("relative_position_index_OCA", index_oca(ws, ows))
        self.conv_first = nn.Conv2d(3, dim, 3, 1, 1)
        self.patch_embed = nn.Module()
        self.patch_embed.norm = nn.LayerNorm(dim) if patch_norm else nn.Identity()
        hidden = int(dim * mlp_ratio)
        self.layers = nn.ModuleList([RHAG(dim, d, hd, ws, ows, dim // compress_ratio, dim // squeeze_factor, hidden,
                                          qkv_bias) for d, hd in zip(depth, heads)])
        self.norm = nn.LayerNorm(dim)
        self.conv_after_body = nn.Conv2d(dim, dim, 3, 1, 1)
        self.conv_before_upsample = nn.Sequential(nn.Conv2d(dim, num_feat, 3, 1, 1), nn.LeakyReLU())
        stages = []
        if upscale == 3:
            stages += [nn.Conv2d(num_feat, 9 * num_feat, 3, 1, 1), nn.PixelShuffle(3)]
        else:
            for _ in range(int(math.log2(upscale))):
                stages += [nn.Conv2d(num_feat, 4 * num_feat, 3, 1, 1), nn.PixelShuffle(2)]
        self.upsample = nn.Sequential(*stages)
        self.conv_last = nn.Conv2d(num_feat, 3, 3, 1, 1)

    def forward(self, x):
        h0, w0 = x.shape[2:]
        ws = self.ws
        x = x - self.mean
        x = F.pad(x, (0, (ws - w0 % ws) % ws, 0, (ws - h0 % ws) % ws), mode="reflect")
        h, w = x.shape[2:]
        x = self.conv_first(x)
        t = self.patch_embed.norm(x.flatten(2).transpose(1, 2))
        mask = shift_mask(h, w, ws, ws, ws // 2, ws // 2)
        for layer in self.layers:
            t = layer(t, h, w, self.relative_position_index_SA, self.relative_position_index_OCA, mask)
        t = self.norm(t)
        x = self.conv_after_body(t.transpose(1, 2).reshape(x.shape)) + x
        x = self.conv_last(self.upsample(self.conv_before_upsample(x))) + self.mean
        return x[:, :, :h0 * self.upscale, :w0 * self.upscale]


def draw_parameter(name, p, gen):
    if "relative_position_bias_table" in name:
        return torch.randn(p.shape, generator=gen) * 0.5
    if p.dim() == 1:
        base = 1.0 if "norm" in name and name.endswith(".weight") else 0.0
        return base + torch.randn(p.shape, generator=gen) * 0.1
    return fan_in_normal(p, gen)


def randomize(net, seed):
    return randomize_weights(net, seed, draw_parameter)


CASES = [
    # name, kwargs, wrapper, input sizes (a multiple of the window and not)
    ("hat_s_x2", dict(dim=24, depth=[2], heads=[2], ws=4, overlap_ratio=0.5, compress_ratio=3, squeeze_factor=6,
                      mlp_ratio=2.0, upscale=2, num_feat=16), "params_ema", [(16, 16), (13, 15)]),
    ("hat_x4", dict(dim=24, depth=[2, 2], heads=[3, 2], ws=8, overlap_ratio=0.5, compress_ratio=3, squeeze_factor=8,
                    mlp_ratio=2.0, upscale=4, num_feat=16), None, [(16, 16), (11, 21)]),
    ("hat_x3_wide_overlap", dict(dim=16, depth=[3], heads=[4], ws=4, overlap_ratio=1.5, compress_ratio=2,
                                 squeeze_factor=4, mlp_ratio=1.5, upscale=3, num_feat=8, qkv_bias=False,
                                 patch_norm=False), None, [(12, 8), (9, 14)]),
]


def write_hostile(out_dir):
    base = randomize(HAT(dim=24, depth=[2], heads=[2], ws=4, overlap_ratio=0.5, compress_ratio=3, squeeze_factor=6,
                         mlp_ratio=2.0, upscale=2, num_feat=16), 9).state_dict()
    damages = [
        ("hostile_heads.pth", {"layers.0.residual_group.overlap_attn.relative_position_bias_table":
                               torch.zeros(81, 5)}, "heads"),  # 24 channels in 5 heads
        ("hostile_window.pth", {"relative_position_index_SA": torch.zeros(15, 15, dtype=torch.int64)},
         "relative_position_index_SA"),  # not a square window
        ("hostile_missing.pth", {"layers.0.residual_group.blocks.1.mlp.fc2.weight": None},
         "layers.0.residual_group.blocks.1.mlp.fc2.weight"),
        ("hostile_table.pth", {"layers.0.residual_group.blocks.0.attn.relative_position_bias_table":
                               torch.zeros(50, 2)}, "relative_position_bias_table"),
    ]
    return {save_damaged(out_dir, file, base, changes): expect for file, changes, expect in damages}


def main():
    out_dir = parse_fixture_arguments().out_dir
    gen = torch.Generator().manual_seed(4321)
    manifest = {"cases": []}
    for seed, (name, kwargs, wrap, sizes) in enumerate(CASES):
        net = randomize(HAT(**kwargs), 200 + seed)
        file = save_pth(out_dir, f"{name}.pth", dict(net.state_dict()), wrap)
        runs = write_random_runs(out_dir, name, net, sizes, gen)
        manifest["cases"].append({"name": name, "file": file, "scale": kwargs["upscale"], "runs": runs,
                                  "embed_dim": kwargs["dim"], "depth": kwargs["depth"], "heads": kwargs["heads"],
                                  "window": kwargs["ws"]})
    # Released widths (HAT-S: 144 channels, 6 heads, window 16, compress/squeeze 24, mlp 2) in one
    # short group, for the memory estimate: weights only, not run here.
    released = randomize(HAT(dim=144, depth=[2], heads=[6], ws=16, overlap_ratio=0.5, compress_ratio=24,
                             squeeze_factor=24, mlp_ratio=2.0, upscale=4), 5)
    manifest["memory"] = [save_pth(out_dir, "hat_s_widths_x4.pth", released.state_dict())]
    manifest["hostile"] = write_hostile(out_dir)
    write_manifest(out_dir, manifest)


if __name__ == "__main__":
    main()
