#!/usr/bin/python3
"""PyTorch fixtures for tests/models/scunet_test.cpp.

Our own PyTorch SCUNet (Zhang et al. 2022, "Practical Blind Denoising via Swin-Conv-UNet and Data
Synthesis"), written from the paper and the original code's semantics, with module and parameter
names as the original so the saved state dicts have the public checkpoints' key structure:
  https://github.com/cszn/SCUNet/blob/main/models/network_scunet.py
Semantics kept: each Swin-Conv block splits a 1x1 conv into a residual conv branch and a window
transformer branch ('W' and 'SW' alternating, shift ws//2, attention scores of different
sub-windows set to -inf), the relative position parameters stored as [heads, 2ws-1, 2ws-1], the
qkv channels laid out as (q|k|v, head, head_dim); the input is replicate-padded at the bottom and
right to a multiple of 64 and the output cropped back. head_dim is 32 in every published file; it
is a parameter here only so tiny test networks stay tiny.
Random-weight configurations from fixed seeds are saved as .pth (one wrapped in params_ema, one in
state_dict with module. prefixes) and run on fixed inputs that are not multiples of 64. Everything
goes to OUT_DIR with a manifest.json; tensors are raw little-endian float32.
"""
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

from fixture_tensors import parse_fixture_arguments, write_manifest, write_random_runs
from fixture_weights import randomize_weights, save_damaged, save_pth
from window_attention_torch import from_windows, relative_index, to_windows

torch.backends.mkldnn.enabled = False
torch.set_num_threads(2)

WINDOW = 8


class WindowSelfAttention(nn.Module):
    """SCUNet's WMSA on [B, H, W, C] maps (H, W multiples of the window)."""

    def __init__(self, dim, head_dim, window, shifted):
        super().__init__()
        self.heads = dim // head_dim
        self.head_dim = head_dim
        self.window = window
        self.shifted = shifted
        self.embedding_layer = nn.Linear(dim, 3 * dim)
        self.relative_position_params = nn.Parameter(torch.zeros(self.heads, 2 * window - 1, 2 * window - 1))
        self.linear = nn.Linear(dim, dim)

    def bias(self):
        """[heads, N, N]: params[h, dy + ws - 1, dx + ws - 1] for query i, key j."""
        return self.relative_position_params.flatten(1)[:, relative_index(self.window)]

    def blocked(self, rows, cols):
        """[rows * cols, N, N] booleans: True where query and key come from different parts of a
        window of the rolled map (only windows in the last row or column are split)."""
        ws, s = self.window, self.window - self.window // 2
        part = (torch.arange(ws) >= s).long()          # 0 / 1 within a window, per row or column
        py = part[:, None].expand(ws, ws).flatten()    # token's row part
        px = part[None, :].expand(ws, ws).flatten()    # token's column part
        cut_rows = py[:, None] != py[None, :]
        cut_cols = px[:, None] != px[None, :]
        mask = torch.zeros(rows, cols, ws * ws, ws * ws, dtype=torch.bool)
        mask[-1, :] |= cut_rows
        mask[:, -1] |= cut_cols
        return mask.reshape(rows * cols, ws * ws, ws * ws)

    def forward(self, x):
        b, h, w, c = x.shape
        ws, shift = self.window, self.window // 2
        if self.shifted:
            x = torch.roll(x, shifts=(-shift, -shift), dims=(1, 2))
        rows, cols = h // ws, w // ws
        win = to_windows(x, ws).reshape(b, rows * cols, ws * ws, c)
        qkv = self.embedding_layer(win).reshape(b, rows * cols, ws * ws, 3 * self.heads, self.head_dim)
        qkv = qkv.permute(3, 0, 1, 2, 4)                  # [3 heads, b, nw, N, d]
        q, k, v = qkv[:self.heads], qkv[self.heads:2 * self.heads], qkv[2 * self.heads:]
        scores = torch.matmul(q, k.transpose(-1, -2)) * self.head_dim ** -0.5
        scores = scores + self.bias()[:, None, None]
        if self.shifted:
            scores = scores.masked_fill(self.blocked(rows, cols)[None, None], float("-inf"))
        out = torch.matmul(scores.softmax(dim=-1), v)     # [heads, b, nw, N, d]
        out = out.permute(1, 2, 3, 0, 4).reshape(b, rows * cols, ws * ws, c)
        out = self.linear(out)
        out = from_windows(out.flatten(0, 1), h, w, ws)
        if self.shifted:
            out = torch.roll(out, shifts=(shift, shift), dims=(1, 2))
        return out


class TransformerBlock(nn.Module):
    def __init__(self, dim, head_dim, window, shifted):
        super().__init__()
        self.ln1 = nn.LayerNorm(dim)
        self.msa = WindowSelfAttention(dim, head_dim, window, shifted)
        self.ln2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x):
        x = x + self.msa(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class ConvTransBlock(nn.Module):
    def __init__(self, conv_dim, trans_dim, head_dim, window, shifted):
        super().__init__()
        self.conv_dim = conv_dim
        self.trans_dim = trans_dim
        self.trans_block = TransformerBlock(trans_dim, head_dim, window, shifted)
        self.conv1_1 = nn.Conv2d(conv_dim + trans_dim, conv_dim + trans_dim, 1)
        self.conv1_2 = nn.Conv2d(conv_dim + trans_dim, conv_dim + trans_dim, 1)
        self.conv_block = nn.Sequential(nn.Conv2d(conv_dim, conv_dim, 3, 1, 1, bias=False), nn.ReLU(),
                                        nn.Conv2d(conv_dim, conv_dim, 3, 1, 1, bias=False))

    def forward(self, x):
        y = self.conv1_1(x)
        conv_x, trans_x = y[:, :self.conv_dim], y[:, self.conv_dim:]
        conv_x = self.conv_block(conv_x) + conv_x
        trans_x = self.trans_block(trans_x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        return x + self.conv1_2(torch.cat((conv_x, trans_x), dim=1))


class SCUNet(nn.Module):
    def __init__(self, in_nc=3, config=(4, 4, 4, 4, 4, 4, 4), dim=64, head_dim=32):
        super().__init__()

        def stage(half, count):
            return [ConvTransBlock(half, half, head_dim, WINDOW, i % 2 == 1) for i in range(count)]

        self.m_head = nn.Sequential(nn.Conv2d(in_nc, dim, 3, 1, 1, bias=False))
        self.m_down1 = nn.Sequential(*stage(dim // 2, config[0]), nn.Conv2d(dim, 2 * dim, 2, 2, 0, bias=False))
        self.m_down2 = nn.Sequential(*stage(dim, config[1]), nn.Conv2d(2 * dim, 4 * dim, 2, 2, 0, bias=False))
        self.m_down3 = nn.Sequential(*stage(2 * dim, config[2]), nn.Conv2d(4 * dim, 8 * dim, 2, 2, 0, bias=False))
        self.m_body = nn.Sequential(*stage(4 * dim, config[3]))
        self.m_up3 = nn.Sequential(nn.ConvTranspose2d(8 * dim, 4 * dim, 2, 2, 0, bias=False), *stage(2 * dim, config[4]))
        self.m_up2 = nn.Sequential(nn.ConvTranspose2d(4 * dim, 2 * dim, 2, 2, 0, bias=False), *stage(dim, config[5]))
        self.m_up1 = nn.Sequential(nn.ConvTranspose2d(2 * dim, dim, 2, 2, 0, bias=False), *stage(dim // 2, config[6]))
        self.m_tail = nn.Sequential(nn.Conv2d(dim, in_nc, 3, 1, 1, bias=False))

    def forward(self, x0):
        h, w = x0.shape[-2:]
        x0 = F.pad(x0, (0, (-w) % 64, 0, (-h) % 64), mode="replicate")
        x1 = self.m_head(x0)
        x2 = self.m_down1(x1)
        x3 = self.m_down2(x2)
        x4 = self.m_down3(x3)
        x = self.m_body(x4)
        x = self.m_up3(x + x4)
        x = self.m_up2(x + x3)
        x = self.m_up1(x + x2)
        x = self.m_tail(x + x1)
        return x[..., :h, :w]


def draw_parameter(name, p, gen):
    """Weights large enough that every layer matters; LayerNorm gains around 1."""
    if name.endswith("relative_position_params"):
        return torch.randn(p.shape, generator=gen) * 0.5
    if ".ln" in name and name.endswith("weight"):
        return 1.0 + torch.randn(p.shape, generator=gen) * 0.1
    if name.endswith("bias"):
        return torch.randn(p.shape, generator=gen) * 0.05
    # Branches that feed a residual sum are damped, so the sums stay O(1) through every stage
    # (undamped, 2-block stages end near 500 and fp32 rounding dominates).
    damping = 0.3 if any(k in name for k in ("conv1_2", "conv_block.2", "msa.linear", "mlp.2")) else 1.0
    fan_in = p[0].numel()
    return torch.randn(p.shape, generator=gen) * damping * (1.0 / fan_in) ** 0.5


def randomize(net, seed):
    return randomize_weights(net, seed, draw_parameter)


CASES = [
    # name, constructor kwargs, checkpoint wrapper, input sizes (h, w)
    ("scunet_d16_c1", dict(dim=16, head_dim=8, config=(1, 1, 1, 1, 1, 1, 1)), None, [(20, 28)]),
    # 2-block stages ('W' then 'SW' everywhere); 70x9 pads to 128x64, so the 16x8 body has 2 windows.
    ("scunet_d8_c2", dict(dim=8, head_dim=4, config=(2, 2, 2, 2, 2, 2, 2)), "params_ema", [(70, 9)]),
    # The published head_dim 32 (1 and 2 heads at the deep levels, whose widths allow it), empty
    # stages, state_dict + module. prefixes, flat relative position parameters.
    ("scunet_d16_head32", dict(dim=16, head_dim=32, config=(0, 0, 2, 2, 1, 0, 0)), "state_dict_module",
     [(20, 28)]),
]


def save(out_dir, name, net, wrap):
    sd = dict(net.state_dict())
    if wrap == "state_dict_module":
        # Also the flat [(2ws-1)^2, heads] relative position layout some converted files keep.
        sd = {k: (v.permute(1, 2, 0).reshape(-1, v.shape[0]).contiguous().clone() if k.endswith("relative_position_params") else v)
              for k, v in sd.items()}
    return save_pth(out_dir, f"{name}.pth", sd, wrap)


def hostile_files(out_dir, net):
    """Files that must be refused with a clear error."""
    sd = net.state_dict()
    files = {
        "bad_window": save_damaged(out_dir, "bad_window.pth", sd, {
            "m_down1.0.trans_block.msa.relative_position_params": torch.zeros(2, 13, 13)}),
        "missing_key": save_damaged(out_dir, "missing_key.pth", sd, {"m_up2.1.conv1_2.weight": None}),
        "bad_shape": save_damaged(out_dir, "bad_shape.pth", sd,
                                  {"m_body.0.conv_block.0.weight": torch.zeros(63, 64, 3, 3)}),
    }
    with open(os.path.join(out_dir, "scunet_d16_c1.pth"), "rb") as f:
        data = f.read()
    with open(os.path.join(out_dir, "truncated.pth"), "wb") as f:
        f.write(data[: len(data) // 2])
    files["truncated"] = "truncated.pth"
    return files


def main():
    args = parse_fixture_arguments()
    gen = torch.Generator().manual_seed(4321)
    cases = []
    nets = {}
    for seed, (name, kwargs, wrap, sizes) in enumerate(CASES):
        net = randomize(SCUNet(**kwargs), 500 + seed)
        nets[name] = net
        runs = write_random_runs(args.out_dir, name, net, sizes, gen)
        cases.append({"name": name, "file": save(args.out_dir, name, net, wrap), "dim": kwargs["dim"],
                      "config": list(kwargs["config"]), "runs": runs})
    write_manifest(args.out_dir, {"cases": cases, "hostile": hostile_files(args.out_dir, nets["scunet_d16_c1"])})


if __name__ == "__main__":
    main()
