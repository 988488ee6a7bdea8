#!/usr/bin/python3
"""PyTorch fixtures for tests/models/dat_test.cpp: DAT (Dual Aggregation Transformer).

A compact DAT written for the test suite from the paper (Chen et al., "Dual Aggregation
Transformer for Image Super-Resolution", ICCV 2023) and the semantics of the original code
(https://github.com/zhengchen1999/DAT, basicsr/archs/dat_arch.py): the same state-dict keys and
buffers, spatial-window attention on two channel halves with H x W and W x H windows (shifted with
masks in some blocks, padded to the larger window side), DynamicPosBias, channel attention with
L2-normalised q/k and a temperature, the AIM gates and the SGFN. Random weights from fixed seeds;
writes .pth files (one in a params_ema wrapper), raw fp32 inputs/outputs and manifest.json to OUT_DIR.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from fixture_tensors import parse_fixture_arguments, write_manifest, write_random_runs
from fixture_weights import batch_norm_statistics, fan_in_normal, randomize_weights, save_damaged, save_pth
from window_attention_torch import add_window_mask, from_windows, relative_index, shift_mask, to_windows

torch.backends.mkldnn.enabled = False
torch.set_num_threads(2)

RGB_MEAN = (0.4488, 0.4371, 0.4040)


class DynamicPosBias(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        pos_dim = dim // 4
        self.pos_proj = nn.Linear(2, pos_dim)
        self.pos1 = nn.Sequential(nn.LayerNorm(pos_dim), nn.ReLU(), nn.Linear(pos_dim, pos_dim))
        self.pos2 = nn.Sequential(nn.LayerNorm(pos_dim), nn.ReLU(), nn.Linear(pos_dim, pos_dim))
        self.pos3 = nn.Sequential(nn.LayerNorm(pos_dim), nn.ReLU(), nn.Linear(pos_dim, heads))

    def forward(self, offsets):
        return self.pos3(self.pos2(self.pos1(self.pos_proj(offsets))))


class WindowBranch(nn.Module):
    """One of Spatial_Attention's two branches (idx 0: split[0] x split[1], idx 1: transposed)."""

    def __init__(self, dim, idx, split, heads):
        super().__init__()
        self.heads = heads
        self.wh, self.ww = (split[0], split[1]) if idx == 0 else (split[1], split[0])
        self.scale = (dim // heads) ** -0.5
        self.pos = DynamicPosBias(dim // 4, heads)
        dh, dw = torch.meshgrid(torch.arange(1 - self.wh, self.wh), torch.arange(1 - self.ww, self.ww), indexing="ij")
        self.register_buffer("rpe_biases", torch.stack([dh.flatten(), dw.flatten()], 1).float())
        self.register_buffer("relative_position_index", relative_index(self.wh, self.ww))

    def forward(self, q, k, v, h, w, mask):
        n = self.wh * self.ww

        def heads_of(t):
            t = to_windows(t.reshape(t.shape[0], h, w, -1), self.wh, self.ww)
            return t.view(t.shape[0], n, self.heads, -1).transpose(1, 2)

        q, k, v = heads_of(q) * self.scale, heads_of(k), heads_of(v)
        attn = q @ k.transpose(-2, -1)
        bias = self.pos(self.rpe_biases)[self.relative_position_index.view(-1)].view(n, n, -1).permute(2, 0, 1)
        attn = attn + bias[None]
        if mask is not None:
            attn = add_window_mask(attn, mask)
        out = (attn.softmax(-1) @ v).transpose(1, 2).reshape(-1, n, q.shape[1] * q.shape[3])
        return from_windows(out, h, w, self.wh, self.ww)


def interaction_layers(dim):
    dwconv = nn.Sequential(nn.Conv2d(dim, dim, 3, 1, 1, groups=dim), nn.BatchNorm2d(dim), nn.GELU())
    channel = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(dim, dim // 8, 1), nn.BatchNorm2d(dim // 8), nn.GELU(),
                            nn.Conv2d(dim // 8, dim, 1))
    spatial = nn.Sequential(nn.Conv2d(dim, dim // 16, 1), nn.BatchNorm2d(dim // 16), nn.GELU(),
                            nn.Conv2d(dim // 16, 1, 1))
    return dwconv, channel, spatial


class SpatialAttention(nn.Module):
    def __init__(self, dim, heads, split, shifted, qkv_bias):
        super().__init__()
        self.dim, self.split, self.shifted = dim, split, shifted
        self.shift = [split[0] // 2, split[1] // 2]
        self.qkv = nn.Linear(dim, 3 * dim, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)
        self.attns = nn.ModuleList([WindowBranch(dim // 2, i, split, heads // 2) for i in range(2)])
        self.dwconv, self.channel_interaction, self.spatial_interaction = interaction_layers(dim)

    def forward(self, x, h, w):
        b, L, c = x.shape
        qkv = self.qkv(x)
        v_img = qkv[:, :, 2 * c:].transpose(1, 2).reshape(b, c, h, w)
        m = max(self.split)
        ph, pw = (m - h % m) % m, (m - w % m) % m
        hp, wp = h + ph, w + pw
        grid = F.pad(qkv.view(b, h, w, 3 * c), (0, 0, 0, pw, 0, ph))  # zeros after the projection
        outs = []
        for i, branch in enumerate(self.attns):
            sh, sw = (self.shift[0], self.shift[1]) if i == 0 else (self.shift[1], self.shift[0])
            part = torch.cat([grid[..., t * c + i * c // 2: t * c + (i + 1) * c // 2] for t in range(3)], -1)
            mask = None
            if self.shifted:
                part = torch.roll(part, shifts=(-sh, -sw), dims=(1, 2))
                mask = shift_mask(hp, wp, branch.wh, branch.ww, sh, sw)
            part = part.reshape(b, hp * wp, -1)
            q, k, v = part.chunk(3, -1)
            y = branch(q, k, v, hp, wp, mask)
            if self.shifted:
                y = torch.roll(y, shifts=(sh, sw), dims=(1, 2))
            outs.append(y[:, :h, :w].reshape(b, L, c // 2))
        attended = torch.cat(outs, -1)
        conv_x = self.dwconv(v_img)
        channel_map = self.channel_interaction(conv_x).permute(0, 2, 3, 1).reshape(b, 1, c)
        spatial_map = self.spatial_interaction(attended.transpose(1, 2).reshape(b, c, h, w))
        attended = attended * torch.sigmoid(channel_map)
        conv_x = (torch.sigmoid(spatial_map) * conv_x).permute(0, 2, 3, 1).reshape(b, L, c)
        return self.proj(attended + conv_x)


class ChannelAttention(nn.Module):
    def __init__(self, dim, heads, qkv_bias):
        super().__init__()
        self.heads = heads
        self.temperature = nn.Parameter(torch.ones(heads, 1, 1))
        self.qkv = nn.Linear(dim, 3 * dim, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)
        self.dwconv, self.channel_interaction, self.spatial_interaction = interaction_layers(dim)

    def forward(self, x, h, w):
        b, n, c = x.shape
        qkv = self.qkv(x).view(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 4, 1)  # 3, B, heads, d, N
        q, k, v = qkv[0], qkv[1], qkv[2]
        q = F.normalize(q, dim=-1)
        k = F.normalize(k, dim=-1)
        attn = ((q @ k.transpose(-2, -1)) * self.temperature).softmax(-1)
        attended = (attn @ v).permute(0, 3, 1, 2).reshape(b, n, c)
        conv_x = self.dwconv(v.reshape(b, c, h, w))
        channel_map = self.channel_interaction(attended.transpose(1, 2).reshape(b, c, h, w))
        spatial_map = self.spatial_interaction(conv_x).permute(0, 2, 3, 1).reshape(b, n, 1)
        attended = attended * torch.sigmoid(spatial_map)
        conv_x = (conv_x * torch.sigmoid(channel_map)).permute(0, 2, 3, 1).reshape(b, n, c)
        return self.proj(attended + conv_x)


class SpatialGate(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.conv = nn.Conv2d(dim, dim, 3, 1, 1, groups=dim)

    def forward(self, x, h, w):
        x1, x2 = x.chunk(2, dim=-1)
        b, n, c = x2.shape
        x2 = self.conv(self.norm(x2).transpose(1, 2).reshape(b, c, h, w)).flatten(2).transpose(1, 2)
        return x1 * x2


class SGFN(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.sg = SpatialGate(hidden // 2)
        self.fc2 = nn.Linear(hidden // 2, dim)

    def forward(self, x, h, w):
        return self.fc2(self.sg(F.gelu(self.fc1(x)), h, w))


class Block(nn.Module):
    def __init__(self, dim, heads, split, hidden, qkv_bias, group, index):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        if index % 2 == 0:
            shifted = (group % 2 == 0 and index > 0 and (index - 2) % 4 == 0) or (group % 2 == 1 and index % 4 == 0)
            self.attn = SpatialAttention(dim, heads, split, shifted, qkv_bias)
        else:
            self.attn = ChannelAttention(dim, heads, qkv_bias)
        self.norm2 = nn.LayerNorm(dim)
        self.ffn = SGFN(dim, hidden)

    def forward(self, x, h, w):
        x = x + self.attn(self.norm1(x), h, w)
        return x + self.ffn(self.norm2(x), h, w)


def residual_conv(dim, three):
    if not three:
        return nn.Conv2d(dim, dim, 3, 1, 1)
    return nn.Sequential(nn.Conv2d(dim, dim // 4, 3, 1, 1), nn.LeakyReLU(0.2), nn.Conv2d(dim // 4, dim // 4, 1),
                         nn.LeakyReLU(0.2), nn.Conv2d(dim // 4, dim, 3, 1, 1))


class Group(nn.Module):
    def __init__(self, dim, depth, heads, split, hidden, qkv_bias, three, group):
        super().__init__()
        self.blocks = nn.ModuleList([Block(dim, heads, split, hidden, qkv_bias, group, i) for i in range(depth)])
        self.conv = residual_conv(dim, three)

    def forward(self, x, h, w):
        y = x
        for block in self.blocks:
            y = block(y, h, w)
        b, n, c = y.shape
        y = self.conv(y.transpose(1, 2).reshape(b, c, h, w)).flatten(2).transpose(1, 2)
        return x + y


class DAT(nn.Module):
    def __init__(self, dim, depth, heads, split, expansion, upscale, upsampler="pixelshuffle", three=False,
                 qkv_bias=True, num_feat=64):
        super().__init__()
        self.upsampler = upsampler
        self.register_buffer("mean", torch.tensor(RGB_MEAN).view(1, 3, 1, 1), persistent=False)
        self.conv_first = nn.Conv2d(3, dim, 3, 1, 1)
        self.before_RG = nn.Sequential(nn.Identity(), nn.LayerNorm(dim))
        hidden = int(dim * expansion)
        self.layers = nn.ModuleList([Group(dim, d, hd, split, hidden, qkv_bias, three, i)
                                     for i, (d, hd) in enumerate(zip(depth, heads))])
        self.norm = nn.LayerNorm(dim)
        self.conv_after_body = residual_conv(dim, three)
        if upsampler == "pixelshuffle":
            self.conv_before_upsample = nn.Sequential(nn.Conv2d(dim, num_feat, 3, 1, 1), nn.LeakyReLU())
            stages = []
            if upscale == 3:
                stages += [nn.Conv2d(num_feat, 9 * num_feat, 3, 1, 1), nn.PixelShuffle(3)]
            else:
                for _ in range(int(math.log2(upscale))):
                    stages += [nn.Conv2d(num_feat, 4 * num_feat, 3, 1, 1), nn.PixelShuffle(2)]
            self.upsample = nn.Sequential(*stages)
            self.conv_last = nn.Conv2d(num_feat, 3, 3, 1, 1)
        else:
            self.upsample = nn.Sequential(nn.Conv2d(dim, 3 * upscale * upscale, 3, 1, 1), nn.PixelShuffle(upscale))

    def forward(self, x):
        h, w = x.shape[2:]
        x = self.conv_first(x - self.mean)
        t = self.before_RG(x.flatten(2).transpose(1, 2))
        for layer in self.layers:
            t = layer(t, h, w)
        t = self.norm(t)
        x = self.conv_after_body(t.transpose(1, 2).reshape(x.shape)) + x
        if self.upsampler == "pixelshuffle":
            x = self.conv_last(self.upsample(self.conv_before_upsample(x)))
        else:
            x = self.upsample(x)
        return x + self.mean


def draw_parameter(name, p, gen):
    """Random weights large enough that attention is far from uniform."""
    if name.endswith("temperature"):
        return torch.rand(p.shape, generator=gen) * 2 + 0.5
    if p.dim() == 1:
        base = 1.0 if "norm" in name or name.endswith(".weight") else 0.0
        return base + torch.randn(p.shape, generator=gen) * 0.1
    return fan_in_normal(p, gen)


def randomize(net, seed):
    """Random weights (draw_parameter), BN statistics random too."""
    return randomize_weights(net, seed, draw_parameter, batch_norm_statistics)


CASES = [
    # name, kwargs, wrapper, input sizes (one a multiple of the window, one not)
    ("dat_x2", dict(dim=64, depth=[2, 4], heads=[4, 2], split=[2, 4], expansion=2.0, upscale=2),
     "params_ema", [(16, 16), (13, 19)]),
    ("dat_light_x3", dict(dim=32, depth=[3], heads=[2], split=[4, 8], expansion=1.5, upscale=3,
                          upsampler="pixelshuffledirect", three=True), None, [(16, 24), (11, 21)]),
    ("dat_x4_nobias", dict(dim=32, depth=[1, 2], heads=[4, 4], split=[4, 4], expansion=2.0, upscale=4,
                           qkv_bias=False, num_feat=16), None, [(12, 12), (10, 14)]),
]


def write_hostile(out_dir):
    """Damaged copies of a small DAT: each must load as a clear error naming the problem."""
    base = randomize(DAT(dim=32, depth=[2], heads=[2], split=[2, 4], expansion=2.0, upscale=2), 7).state_dict()
    rows = base["layers.0.blocks.0.attn.attns.0.rpe_biases"].clone()
    rows[-1] = torch.tensor([99999.0, 3.0])  # a window size beyond any real model
    damages = [
        ("hostile_heads.pth", {"layers.0.blocks.1.attn.temperature": torch.ones(3, 1, 1)}, "heads"),  # 32 in 3 heads
        ("hostile_split.pth", {"layers.0.blocks.0.attn.attns.0.rpe_biases": rows}, "rpe_biases"),
        ("hostile_missing.pth", {"layers.0.blocks.1.ffn.fc2.weight": None}, "layers.0.blocks.1.ffn.fc2.weight"),
        ("hostile_shape.pth", {"layers.0.blocks.0.attn.qkv.weight": torch.zeros(96, 33)},
         "layers.0.blocks.0.attn.qkv.weight"),
    ]
    return {save_damaged(out_dir, file, base, changes): expect for file, changes, expect in damages}


def main():
    out_dir = parse_fixture_arguments().out_dir
    gen = torch.Generator().manual_seed(1234)
    manifest = {"cases": []}
    for seed, (name, kwargs, wrap, sizes) in enumerate(CASES):
        net = randomize(DAT(**kwargs), 100 + seed)
        file = save_pth(out_dir, f"{name}.pth", dict(net.state_dict()), wrap)
        runs = write_random_runs(out_dir, name, net, sizes, gen)
        manifest["cases"].append({"name": name, "file": file, "scale": kwargs["upscale"], "runs": runs,
                                  "embed_dim": kwargs["dim"], "depth": kwargs["depth"], "heads": kwargs["heads"],
                                  "split": kwargs["split"]})
    # Released widths (DAT-S: 180 channels, 6 heads, 8x16 windows, expansion 2) in one short group,
    # for the memory estimate: weights only, not run here.
    released = randomize(DAT(dim=180, depth=[2], heads=[6], split=[8, 16], expansion=2.0, upscale=4), 5)
    manifest["memory"] = [save_pth(out_dir, "dat_s_widths_x4.pth", released.state_dict())]
    manifest["hostile"] = write_hostile(out_dir)
    write_manifest(out_dir, manifest)


if __name__ == "__main__":
    main()
