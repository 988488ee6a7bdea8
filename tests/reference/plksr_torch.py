#!/usr/bin/python3
"""PyTorch fixtures for tests/models/plksr_test.cpp.

PLKSR (Lee et al. 2024, "Partial Large Kernel CNNs for Efficient Super-Resolution") and RealPLKSR
(neosr's real-world variant) written from the paper and the original code's semantics
(github.com/dslisleedh/PLKSR, neosr realplksr_arch.py, as spandrel ships them), in eval mode:
random-weight configurations from fixed seeds (PLKSR with CCM/ICCM/DCCM mixers and PLK, sparse and
rectangular large kernels, with and without EA; RealPLKSR with group norm and with layer norm) saved
as zip .pth (one also params_ema-wrapped legacy .pth), run on fixed inputs. Raw little-endian
float32 tensors + manifest.json.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from fixture_tensors import parse_fixture_arguments, write_manifest, write_random_runs
from fixture_weights import randomize_weights, save_pth, unit_scale_parameter

torch.backends.mkldnn.enabled = False
torch.set_num_threads(2)


def mixer(dim, kind, act):
    k0, k2 = {"CCM": (3, 1), "ICCM": (1, 3), "DCCM": (3, 3)}[kind]
    return nn.Sequential(nn.Conv2d(dim, dim * 2, k0, 1, k0 // 2), act(), nn.Conv2d(dim * 2, dim, k2, 1, k2 // 2))


class PLK(nn.Module):
    """The large kernel(s) on the first pdim channels; the rest pass through."""

    def __init__(self, pdim, kind, kernel):
        super().__init__()
        self.idx, self.kind = pdim, kind
        if kind == "PLK":
            self.conv = nn.Conv2d(pdim, pdim, kernel, 1, kernel // 2)
        elif kind == "SparsePLK":  # spandrel's defaults: kernels [5, 5, 5, 5], dilations [1, 2, 3, 4]
            self.convs = nn.ModuleList([nn.Conv2d(pdim, pdim, 5, 1, 2 * d, dilation=d) for d in (1, 2, 3, 4)])
        else:  # RectSparsePLK
            m, n = kernel, kernel // 3
            self.mn_conv = nn.Conv2d(pdim, pdim, (m, n), 1, (m // 2, n // 2))
            self.nm_conv = nn.Conv2d(pdim, pdim, (n, m), 1, (n // 2, m // 2))
            self.nn_conv = nn.Conv2d(pdim, pdim, (n, n), 1, (n // 2, n // 2))

    def forward(self, x):
        x1, x2 = x[:, :self.idx], x[:, self.idx:]
        if self.kind == "PLK":
            y = self.conv(x1)
        elif self.kind == "SparsePLK":
            y = sum(conv(x1) for conv in self.convs)
        else:
            y = self.mn_conv(x1) + self.nm_conv(x1) + self.nn_conv(x1)
        return torch.cat([y, x2], dim=1)


class EA(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.f = nn.Sequential(nn.Conv2d(dim, dim, 3, 1, 1), nn.Sigmoid())

    def forward(self, x):
        return x * self.f(x)


class ChannelLayerNorm(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.bias = nn.Parameter(torch.zeros(dim))
        self.eps = eps

    def forward(self, x):
        u = x.mean(1, keepdim=True)
        s = (x - u).pow(2).mean(1, keepdim=True)
        return self.weight[:, None, None] * (x - u) / torch.sqrt(s + self.eps) + self.bias[:, None, None]


class Block(nn.Module):
    def __init__(self, dim, real, ccm, lk, kernel, pdim, use_ea, norm):
        super().__init__()
        self.real, self.norm_kind = real, norm
        if real and norm == "layer":
            self.layer_norm = ChannelLayerNorm(dim)
        mix = mixer(dim, ccm, nn.Mish if real else nn.GELU)
        if real:
            self.channel_mixer = mix
        else:
            self.channe_mixer = mix  # the original's spelling
        self.lk = PLK(pdim, lk, kernel)
        self.attn = EA(dim) if use_ea else nn.Identity()
        self.refine = nn.Conv2d(dim, dim, 1, 1, 0)
        if real and norm == "group":
            self.norm = nn.GroupNorm(4, dim)

    def forward(self, x):
        skip = x
        if self.real and self.norm_kind == "layer":
            x = self.layer_norm(x)
        x = (self.channel_mixer if self.real else self.channe_mixer)(x)
        x = self.refine(self.attn(self.lk(x)))
        if self.real and self.norm_kind == "group":
            x = self.norm(x)
        return x + skip


class Net(nn.Module):
    def __init__(self, real=False, dim=16, n_blocks=2, scale=2, ccm="CCM", lk="PLK", kernel=9, pdim=4, use_ea=True,
                 norm="group"):
        super().__init__()
        self.scale = scale
        layers = [nn.Conv2d(3, dim, 3, 1, 1)]
        layers += [Block(dim, real, ccm, lk, kernel, pdim, use_ea, norm) for _ in range(n_blocks)]
        if real:
            layers.append(nn.Dropout2d(0.0))
        layers.append(nn.Conv2d(dim, 3 * scale ** 2, 3, 1, 1))
        self.feats = nn.Sequential(*layers)

    def forward(self, x):
        return F.pixel_shuffle(self.feats(x) + torch.repeat_interleave(x, self.scale ** 2, dim=1), self.scale)


def randomize(net, seed):
    return randomize_weights(net, seed, unit_scale_parameter)


RANDOM_CASES = [
    # name, architecture, kwargs, input sizes
    ("plksr_ccm_x2", "PLKSR", dict(dim=16, n_blocks=2, scale=2, ccm="CCM", lk="PLK", kernel=9, pdim=4), [(20, 18)]),
    ("plksr_dccm_x4_noea", "PLKSR", dict(dim=12, n_blocks=1, scale=4, ccm="DCCM", lk="PLK", kernel=7, pdim=12,
                                         use_ea=False), [(13, 17)]),
    ("plksr_iccm_sparse_x3", "PLKSR", dict(dim=8, n_blocks=1, scale=3, ccm="ICCM", lk="SparsePLK", pdim=4),
     [(16, 15)]),
    ("plksr_rect_x2", "PLKSR", dict(dim=8, n_blocks=1, scale=2, ccm="CCM", lk="RectSparsePLK", kernel=9, pdim=2),
     [(15, 16)]),
    ("realplksr_gn_x4", "RealPLKSR", dict(real=True, dim=16, n_blocks=2, scale=4, ccm="DCCM", kernel=9, pdim=4,
                                          norm="group"), [(18, 20)]),
    ("realplksr_ln_x2", "RealPLKSR", dict(real=True, dim=12, n_blocks=1, scale=2, ccm="DCCM", kernel=5, pdim=3,
                                          norm="layer"), [(17, 13)]),
]


def main():
    args = parse_fixture_arguments()
    cases = []
    for seed, (name, arch, kwargs, sizes) in enumerate(RANDOM_CASES):
        net = randomize(Net(**kwargs), 700 + seed)
        sd = net.state_dict()
        files = [save_pth(args.out_dir, f"{name}.pth", sd)]
        if seed in (0, 4):
            files.append(save_pth(args.out_dir, f"{name}.ema.legacy.pth", sd, "params_ema", legacy=True))
        runs = write_random_runs(args.out_dir, name, net, sizes, torch.Generator().manual_seed(80 + seed))
        cases.append({"name": name, "architecture": arch, "scale": kwargs["scale"], "files": files,
                      "dim": kwargs["dim"], "n_blocks": kwargs["n_blocks"], "runs": runs})
    write_manifest(args.out_dir, {"cases": cases, "real": []})


if __name__ == "__main__":
    main()
