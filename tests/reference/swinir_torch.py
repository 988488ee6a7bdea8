#!/usr/bin/python3
"""PyTorch fixtures for tests/models/swinir_test.cpp and swin2sr_test.cpp.

Our own PyTorch SwinIR and Swin2SR, written from the papers and the original code's semantics
(module and buffer names as the originals, so the saved state dicts have the public checkpoints'
key structure):
  SwinIR  (Liang et al. 2021)  https://github.com/JingyunLiang/SwinIR/blob/main/models/network_swinir.py
  Swin2SR (Conde et al. 2022)  https://github.com/mv-lab/swin2sr/blob/main/models/network_swin2sr.py
Random-weight tiny configurations from fixed seeds are saved as .pth (some wrapped in params_ema)
and run on fixed inputs, some not multiples of the window. Everything goes to OUT_DIR with a
manifest.json; tensors are raw little-endian float32.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from fixture_tensors import parse_fixture_arguments, write_manifest, write_random_runs
from fixture_weights import fan_in_normal, randomize_weights, save_pth
from window_attention_torch import add_window_mask, from_windows, relative_index, shift_mask, to_windows

torch.backends.mkldnn.enabled = False
torch.set_num_threads(2)

DIV2K_MEAN = (0.4488, 0.4371, 0.4040)


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


# --- attention ------------------------------------------------------------------------------------
class SwinIRAttention(nn.Module):
    """Dot-product window attention with a learned relative position bias table."""

    def __init__(self, dim, ws, heads):
        super().__init__()
        self.heads, self.ws = heads, ws
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * ws - 1) ** 2, heads))
        self.register_buffer("relative_position_index", relative_index(ws))
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x, mask):
        b, n, c = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        scores = (q * (c // self.heads) ** -0.5) @ k.transpose(-2, -1)
        bias = self.relative_position_bias_table[self.relative_position_index.reshape(-1)]
        scores = scores + bias.reshape(n, n, -1).permute(2, 0, 1)[None]
        if mask is not None:
            scores = add_window_mask(scores, mask)
        out = (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, n, c)
        return self.proj(out)


class Swin2SRAttention(nn.Module):
    """SwinV2 window attention: cosine similarity times a clamped learned per-head temperature, plus
    16 * sigmoid of a continuous position bias (an MLP over log-spaced relative coordinates)."""

    def __init__(self, dim, ws, heads):
        super().__init__()
        self.heads, self.ws = heads, ws
        self.logit_scale = nn.Parameter(torch.log(10 * torch.ones(heads, 1, 1)))
        self.cpb_mlp = nn.Sequential(nn.Linear(2, 512), nn.ReLU(), nn.Linear(512, heads, bias=False))
        r = torch.arange(-(ws - 1), ws, dtype=torch.float32) / (ws - 1) * 8
        table = torch.stack(torch.meshgrid(r, r, indexing="ij"), -1)[None]  # [1, 2ws-1, 2ws-1, 2]
        table = torch.sign(table) * torch.log2(table.abs() + 1.0) / math.log2(8)
        self.register_buffer("relative_coords_table", table)
        self.register_buffer("relative_position_index", relative_index(ws))
        self.qkv = nn.Linear(dim, 3 * dim, bias=False)
        self.q_bias = nn.Parameter(torch.zeros(dim))
        self.v_bias = nn.Parameter(torch.zeros(dim))
        self.proj = nn.Linear(dim, dim)

    def forward(self, x, mask):
        b, n, c = x.shape
        bias = torch.cat((self.q_bias, torch.zeros_like(self.v_bias), self.v_bias))
        q, k, v = F.linear(x, self.qkv.weight, bias).reshape(b, n, 3, self.heads, -1).permute(2, 0, 3, 1, 4)
        scores = F.normalize(q, dim=-1) @ F.normalize(k, dim=-1).transpose(-2, -1)
        scores = scores * torch.clamp(self.logit_scale, max=math.log(1.0 / 0.01)).exp()
        table = self.cpb_mlp(self.relative_coords_table).reshape(-1, self.heads)
        pos = table[self.relative_position_index.reshape(-1)].reshape(n, n, -1).permute(2, 0, 1)
        scores = scores + 16 * torch.sigmoid(pos)[None]
        if mask is not None:
            scores = add_window_mask(scores, mask)
        out = (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, n, c)
        return self.proj(out)


# --- blocks and residual groups ---------------------------------------------------------------------
class Block(nn.Module):
    """Swin block: (shifted) window attention and an MLP, pre-norm (SwinIR) or post-norm (Swin2SR)."""

    def __init__(self, dim, heads, ws, shift, hidden, v2, img_size):
        super().__init__()
        self.ws, self.shift, self.v2 = ws, shift, v2
        self.norm1 = nn.LayerNorm(dim)
        self.attn = (Swin2SRAttention if v2 else SwinIRAttention)(dim, ws, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, hidden)
        if shift:  # the originals keep the training-size mask as a buffer
            self.register_buffer("attn_mask", shift_mask(img_size, img_size, ws, ws, shift, shift))

    def attend(self, x, h, w):
        b, _, c = x.shape
        x = x.reshape(b, h, w, c)
        if self.shift:
            x = torch.roll(x, (-self.shift, -self.shift), (1, 2))
        mask = shift_mask(h, w, self.ws, self.ws, self.shift, self.shift) if self.shift else None
        x = from_windows(self.attn(to_windows(x, self.ws), mask), h, w, self.ws)
        if self.shift:
            x = torch.roll(x, (self.shift, self.shift), (1, 2))
        return x.reshape(b, h * w, c)

    def forward(self, x, h, w):
        if self.v2:
            x = x + self.norm1(self.attend(x, h, w))
            return x + self.norm2(self.mlp(x))
        x = x + self.attend(self.norm1(x), h, w)
        return x + self.mlp(self.norm2(x))


def resi_conv(dim, kind):
    if kind == "1conv":
        return nn.Conv2d(dim, dim, 3, 1, 1)
    return nn.Sequential(nn.Conv2d(dim, dim // 4, 3, 1, 1), nn.LeakyReLU(0.2),
                         nn.Conv2d(dim // 4, dim // 4, 1, 1, 0), nn.LeakyReLU(0.2),
                         nn.Conv2d(dim // 4, dim, 3, 1, 1))


class Blocks(nn.Module):
    def __init__(self, blocks):
        super().__init__()
        self.blocks = nn.ModuleList(blocks)


class Proj(nn.Module):
    """Swin2SR's PatchEmbed: a patch_size-1 convolution (the `proj` SwinIR lacks)."""

    def __init__(self, dim):
        super().__init__()
        self.proj = nn.Conv2d(dim, dim, 1, 1)


def tokens(x):
    return x.flatten(2).transpose(1, 2)


def image(t, h, w):
    return t.transpose(1, 2).reshape(t.shape[0], -1, h, w)


class RSTB(nn.Module):
    def __init__(self, dim, depth, heads, ws, hidden, resi, v2, img_size):
        super().__init__()
        self.v2 = v2
        self.residual_group = Blocks([Block(dim, heads, ws, 0 if i % 2 == 0 else ws // 2, hidden, v2, img_size)
                                      for i in range(depth)])
        self.conv = resi_conv(dim, resi)
        if v2:
            self.patch_embed = Proj(dim)

    def forward(self, x, h, w):
        y = x
        for blk in self.residual_group.blocks:
            y = blk(y, h, w)
        y = self.conv(image(y, h, w))
        if self.v2:
            y = self.patch_embed.proj(y)
        return tokens(y) + x


class PatchNorm(nn.Module):
    def __init__(self, dim, v2):
        super().__init__()
        if v2:
            self.proj = nn.Conv2d(dim, dim, 1, 1)
        self.norm = nn.LayerNorm(dim)


# --- the networks -----------------------------------------------------------------------------------
class SwinSR(nn.Module):
    """SwinIR (v2=False) or Swin2SR (v2=True). upsampler: 'pixelshuffle', 'pixelshuffledirect',
    'nearest+conv', '' (x1) and, Swin2SR only, 'pixelshuffle_aux' (compressed-input SR)."""

    def __init__(self, v2, embed_dim, depths, heads, ws, mlp_ratio, upscale, upsampler, resi="1conv",
                 num_feat=64):
        super().__init__()
        self.v2, self.ws, self.upscale, self.upsampler = v2, ws, upscale, upsampler
        self.img_range = 255.0 if ws == 7 else 1.0
        self.register_buffer("mean", torch.tensor(DIV2K_MEAN).view(1, 3, 1, 1), persistent=False)
        dim, hidden = embed_dim, int(embed_dim * mlp_ratio)
        img_size = 8 * ws  # training patch size: only the stored attn_mask buffers depend on it
        self.conv_first = nn.Conv2d(3, dim, 3, 1, 1)
        self.patch_embed = PatchNorm(dim, v2)
        self.layers = nn.ModuleList([RSTB(dim, d, h, ws, hidden, resi, v2, img_size) for d, h in zip(depths, heads)])
        self.norm = nn.LayerNorm(dim)
        self.conv_after_body = resi_conv(dim, resi)
        if upsampler in ("pixelshuffle", "pixelshuffle_aux"):
            self.conv_before_upsample = nn.Sequential(nn.Conv2d(dim, num_feat, 3, 1, 1), nn.LeakyReLU())
            stages = []
            for factor in ([3] if upscale == 3 else [2] * int(math.log2(upscale))):
                stages += [nn.Conv2d(num_feat, factor * factor * num_feat, 3, 1, 1), nn.PixelShuffle(factor)]
            self.upsample = nn.Sequential(*stages)
            self.conv_last = nn.Conv2d(num_feat, 3, 3, 1, 1)
            if upsampler == "pixelshuffle_aux":
                self.conv_bicubic = nn.Conv2d(3, num_feat, 3, 1, 1)
                self.conv_aux = nn.Conv2d(num_feat, 3, 3, 1, 1)
                self.conv_after_aux = nn.Sequential(nn.Conv2d(3, num_feat, 3, 1, 1), nn.LeakyReLU())
        elif upsampler == "pixelshuffledirect":
            self.upsample = nn.Sequential(nn.Conv2d(dim, upscale * upscale * 3, 3, 1, 1), nn.PixelShuffle(upscale))
        elif upsampler == "nearest+conv":
            self.conv_before_upsample = nn.Sequential(nn.Conv2d(dim, num_feat, 3, 1, 1), nn.LeakyReLU())
            self.ups = int(math.log2(upscale))
            for i in range(self.ups):
                setattr(self, f"conv_up{i + 1}", nn.Conv2d(num_feat, num_feat, 3, 1, 1))
            self.conv_hr = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
            self.conv_last = nn.Conv2d(num_feat, 3, 3, 1, 1)
        else:
            self.conv_last = nn.Conv2d(dim, 3, 3, 1, 1)

    def features(self, x):
        h, w = x.shape[2:]
        if self.v2:
            x = self.patch_embed.proj(x)
        t = self.patch_embed.norm(tokens(x))
        for layer in self.layers:
            t = layer(t, h, w)
        return image(self.norm(t), h, w)

    def forward(self, x):
        h, w = x.shape[2:]
        ph, pw = (-h) % self.ws, (-w) % self.ws
        x = F.pad(x, (0, pw, 0, ph), "reflect")
        x = (x - self.mean) * self.img_range
        s = self.upscale
        if self.upsampler == "":
            first = self.conv_first(x)
            x = x + self.conv_last(self.conv_after_body(self.features(first)) + first)
        else:
            first = self.conv_first(x)
            body = self.conv_after_body(self.features(first)) + first
            if self.upsampler == "pixelshuffle":
                x = self.conv_last(self.upsample(self.conv_before_upsample(body)))
            elif self.upsampler == "pixelshuffle_aux":
                bicubic = self.conv_bicubic(F.interpolate(x, size=(h * s, w * s), mode="bicubic", align_corners=False))
                aux = self.conv_aux(self.conv_before_upsample(body))
                up = self.upsample(self.conv_after_aux(aux))[:, :, :h * s, :w * s]
                x = self.conv_last(up + bicubic)
            elif self.upsampler == "pixelshuffledirect":
                x = self.upsample(body)
            else:
                x = self.conv_before_upsample(body)
                for i in range(self.ups):
                    x = F.leaky_relu(getattr(self, f"conv_up{i + 1}")(F.interpolate(x, scale_factor=2, mode="nearest")), 0.2)
                x = self.conv_last(F.leaky_relu(self.conv_hr(x), 0.2))
        x = x / self.img_range + self.mean
        return x[:, :, :h * s, :w * s]


# --- fixtures ---------------------------------------------------------------------------------------
def draw_parameter(name, p, gen):
    """Weights large enough that every layer matters; layer norms and tables away from identity."""
    if name.endswith("logit_scale"):
        return torch.rand(p.shape, generator=gen) * 3.0 + 2.0  # some above the log(100) clamp
    if name.endswith("relative_position_bias_table"):
        return torch.randn(p.shape, generator=gen) * 0.5
    if "norm" in name.split(".")[-2] and p.dim() == 1:
        base = 1.0 if name.endswith("weight") else 0.0
        return base + torch.randn(p.shape, generator=gen) * 0.2
    if p.dim() == 1:
        return torch.randn(p.shape, generator=gen) * 0.05
    return fan_in_normal(p, gen)


def randomize(net, seed):
    return randomize_weights(net, seed, draw_parameter)


CASES = [
    # name, Swin2SR?, kwargs, wrapper, input sizes (h, w)
    ("swinir_classical_x2", False, dict(embed_dim=16, depths=[2, 2], heads=[2, 4], ws=4, mlp_ratio=2, upscale=2,
                                        upsampler="pixelshuffle", num_feat=16), "params_ema", [(16, 16), (13, 10)]),
    ("swinir_lightweight_x3", False, dict(embed_dim=12, depths=[2], heads=[3], ws=4, mlp_ratio=2, upscale=3,
                                          upsampler="pixelshuffledirect"), "params", [(12, 12), (11, 9)]),
    ("swinir_real_x4_3conv", False, dict(embed_dim=16, depths=[2, 1], heads=[4, 2], ws=8, mlp_ratio=2, upscale=4,
                                         upsampler="nearest+conv", resi="3conv", num_feat=16),
     "params_ema", [(16, 16), (13, 19)]),
    ("swinir_jpeg_x1", False, dict(embed_dim=12, depths=[2], heads=[2], ws=7, mlp_ratio=2, upscale=1, upsampler=""),
     None, [(14, 14), (10, 17)]),
    ("swin2sr_classical_x2", True, dict(embed_dim=16, depths=[2], heads=[2], ws=4, mlp_ratio=2, upscale=2,
                                        upsampler="pixelshuffle", num_feat=16), "params", [(16, 16), (10, 13)]),
    ("swin2sr_lightweight_x3", True, dict(embed_dim=12, depths=[2, 1], heads=[3, 2], ws=4, mlp_ratio=2, upscale=3,
                                          upsampler="pixelshuffledirect"), None, [(12, 12), (9, 11)]),
    ("swin2sr_real_x4", True, dict(embed_dim=16, depths=[2], heads=[4], ws=8, mlp_ratio=2, upscale=4,
                                   upsampler="nearest+conv", resi="3conv", num_feat=16), "params_ema",
     [(16, 16), (11, 13)]),
    ("swin2sr_compressed_x4", True, dict(embed_dim=16, depths=[2], heads=[2], ws=4, mlp_ratio=2, upscale=4,
                                         upsampler="pixelshuffle_aux", num_feat=16), "params", [(12, 12), (10, 7)]),
]


def main():
    args = parse_fixture_arguments()
    gen = torch.Generator().manual_seed(4321)
    cases = []
    for seed, (name, v2, kwargs, wrap, sizes) in enumerate(CASES):
        net = randomize(SwinSR(v2, **kwargs), 300 + seed)
        file = save_pth(args.out_dir, f"{name}.pth", dict(net.state_dict()), wrap)
        cases.append({"name": name, "architecture": "Swin2SR" if v2 else "SwinIR", "scale": kwargs["upscale"],
                      "window": kwargs["ws"], "file": file,
                      "runs": write_random_runs(args.out_dir, name, net, sizes, gen)})
    write_manifest(args.out_dir, {"cases": cases})


if __name__ == "__main__":
    main()
