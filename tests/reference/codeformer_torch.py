#!/usr/bin/python3
"""PyTorch fixtures for tests/models/codeformer_test.cpp.

A random-weight CodeFormer at reduced widths (nf, ch_mult, codebook size, emb_dim, dim_embd, layers)
but the released depth (six levels, two res blocks per level, attention at 16x16, connect sizes
32/64/128/256, a 512x512 face, so the original's fixed fusion block indices hold), written here from the architecture description of
  https://github.com/sczhou/CodeFormer/blob/master/basicsr/archs/codeformer_arch.py
  https://github.com/sczhou/CodeFormer/blob/master/basicsr/archs/vqgan_arch.py
with the same state-dict keys, saved as {"params_ema": state_dict}. It is run as the reference UI
runs it (face in [0, 1] scaled to [-1, 1], net(x, w=w, adain=True), output clamped to [-1, 1] and
mapped to [0, 1]) for each fidelity weight, in float64 on the float32 weights and input. Writes to OUT_DIR: codeformer.pth, input.f32
[1, 3, 512, 512], codes.i32 (the top-1 code per latent position), output_<tag>.f32 per weight, and
manifest.json (config, weights, the smallest top-1/top-2 logit gap). Tensors are raw little-endian.
"""
import argparse
import json
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.backends.mkldnn.enabled = False
torch.set_num_threads(2)


def group_norm(channels):
    return nn.GroupNorm(32, channels, eps=1e-6, affine=True)


class ResBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.norm1 = group_norm(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, 1, 1)
        self.norm2 = group_norm(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1)
        self.conv_out = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x):
        h = self.conv1(F.silu(self.norm1(x)))
        h = self.conv2(F.silu(self.norm2(h)))
        return h + (self.conv_out(x) if self.conv_out is not None else x)


class AttnBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.norm = group_norm(c)
        self.q, self.k, self.v, self.proj_out = (nn.Conv2d(c, c, 1) for _ in range(4))

    def forward(self, x):
        b, c, h, w = x.shape
        n = self.norm(x)
        q = self.q(n).reshape(b, c, h * w).transpose(1, 2)           # b, hw, c
        k = self.k(n).reshape(b, c, h * w)                           # b, c, hw
        v = self.v(n).reshape(b, c, h * w)
        attn = torch.softmax(torch.bmm(q, k) * c ** -0.5, dim=2)     # b, hw(query), hw(key)
        out = torch.bmm(v, attn.transpose(1, 2)).reshape(b, c, h, w)
        return x + self.proj_out(out)


class Downsample(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, 2, 0)

    def forward(self, x):
        return self.conv(F.pad(x, (0, 1, 0, 1)))


class Upsample(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, 1, 1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


def encoder_blocks(nf, emb_dim, ch_mult, res_blocks, size, attn_sizes):
    blocks = [nn.Conv2d(3, nf, 3, 1, 1)]
    cin = nf
    for level, mult in enumerate(ch_mult):
        for _ in range(res_blocks):
            blocks.append(ResBlock(cin, nf * mult))
            cin = nf * mult
            if size in attn_sizes:
                blocks.append(AttnBlock(cin))
        if level != len(ch_mult) - 1:
            blocks.append(Downsample(cin))
            size //= 2
    blocks += [ResBlock(cin, cin), AttnBlock(cin), ResBlock(cin, cin), group_norm(cin),
               nn.Conv2d(cin, emb_dim, 3, 1, 1)]
    return nn.ModuleList(blocks)


def generator_blocks(nf, emb_dim, ch_mult, res_blocks, size, attn_sizes):
    cin = nf * ch_mult[-1]
    size //= 2 ** (len(ch_mult) - 1)
    blocks = [nn.Conv2d(emb_dim, cin, 3, 1, 1), ResBlock(cin, cin), AttnBlock(cin), ResBlock(cin, cin)]
    for level in reversed(range(len(ch_mult))):
        for _ in range(res_blocks):
            blocks.append(ResBlock(cin, nf * ch_mult[level]))
            cin = nf * ch_mult[level]
            if size in attn_sizes:
                blocks.append(AttnBlock(cin))
        if level != 0:
            blocks.append(Upsample(cin))
            size *= 2
    blocks += [group_norm(cin), nn.Conv2d(cin, 3, 3, 1, 1)]
    return nn.ModuleList(blocks)


class Quantize(nn.Module):
    def __init__(self, codebook_size, emb_dim):
        super().__init__()
        self.embedding = nn.Embedding(codebook_size, emb_dim)


class TransformerSALayer(nn.Module):
    def __init__(self, dim, heads, dim_mlp):
        super().__init__()
        self.self_attn = nn.MultiheadAttention(dim, heads, dropout=0.0)
        self.linear1 = nn.Linear(dim, dim_mlp)
        self.linear2 = nn.Linear(dim_mlp, dim)
        self.norm1 = nn.LayerNorm(dim)
        self.norm2 = nn.LayerNorm(dim)

    def forward(self, x, pos):  # x, pos: (L, B, D)
        n = self.norm1(x)
        x = x + self.self_attn(n + pos, n + pos, value=n)[0]
        return x + self.linear2(F.gelu(self.linear1(self.norm2(x))))


class FuseSftBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.encode_enc = ResBlock(2 * c, c)
        self.scale = nn.Sequential(nn.Conv2d(c, c, 3, 1, 1), nn.LeakyReLU(0.2), nn.Conv2d(c, c, 3, 1, 1))
        self.shift = nn.Sequential(nn.Conv2d(c, c, 3, 1, 1), nn.LeakyReLU(0.2), nn.Conv2d(c, c, 3, 1, 1))

    def forward(self, enc, dec, w):
        enc = self.encode_enc(torch.cat([enc, dec], dim=1))
        return dec + w * (dec * self.scale(enc) + self.shift(enc))


def mean_std(feat, eps=1e-5):
    b, c = feat.shape[:2]
    flat = feat.reshape(b, c, -1)
    return flat.mean(dim=2).reshape(b, c, 1, 1), (flat.var(dim=2) + eps).sqrt().reshape(b, c, 1, 1)


def adain(content, style):
    s_mean, s_std = mean_std(style)
    c_mean, c_std = mean_std(content)
    return (content - c_mean) / c_std * s_std + s_mean


class CodeFormer(nn.Module):
    # Fixed block indices of the released model (six levels, two res blocks each): encoder feature
    # after, generator fusion after.
    ENCODER_TAP = {"256": 5, "128": 8, "64": 11, "32": 14}
    GENERATOR_TAP = {"32": 9, "64": 12, "128": 15, "256": 18}

    def __init__(self, nf, ch_mult, emb_dim, codebook_size, dim_embd, n_layers, n_head, size=512,
                 connect_list=("32", "64", "128", "256")):
        super().__init__()
        assert len(ch_mult) == 6 and size == 512, "the tap tables hold for the released depth only"
        self.encoder = nn.Module()
        self.encoder.blocks = encoder_blocks(nf, emb_dim, ch_mult, 2, size, [16])
        self.quantize = Quantize(codebook_size, emb_dim)
        self.generator = nn.Module()
        self.generator.blocks = generator_blocks(nf, emb_dim, ch_mult, 2, size, [16])
        self.latent = size // 2 ** (len(ch_mult) - 1)
        self.position_emb = nn.Parameter(torch.zeros(self.latent ** 2, dim_embd))
        self.feat_emb = nn.Linear(emb_dim, dim_embd)
        self.ft_layers = nn.Sequential(*[TransformerSALayer(dim_embd, n_head, 2 * dim_embd) for _ in range(n_layers)])
        self.idx_pred_layer = nn.Sequential(nn.LayerNorm(dim_embd), nn.Linear(dim_embd, codebook_size, bias=False))
        self.connect_list = list(connect_list)
        channels = {str(size >> level): nf * mult for level, mult in enumerate(ch_mult)}
        self.fuse_convs_dict = nn.ModuleDict({s: FuseSftBlock(channels[s]) for s in self.connect_list})

    def encode(self, x):
        """Encoder and transformer: (logits (B, L, K), top-1 codes, lq_feat, features by size)."""
        taps = {self.ENCODER_TAP[s] for s in self.connect_list}
        features = {}
        for i, block in enumerate(self.encoder.blocks):
            x = block(x)
            if i in taps:
                features[str(x.shape[-1])] = x.clone()
        lq_feat = x
        tokens = self.feat_emb(lq_feat.flatten(2).permute(2, 0, 1))        # (L, B, D)
        pos = self.position_emb.unsqueeze(1).repeat(1, x.shape[0], 1)
        for layer in self.ft_layers:
            tokens = layer(tokens, pos)
        logits = self.idx_pred_layer(tokens).permute(1, 0, 2)             # (B, L, K)
        _, top = torch.topk(F.softmax(logits, dim=2), 1, dim=2)
        return logits, top.reshape(-1), lq_feat, features

    def decode(self, codes, lq_feat, features, w, adain_on=True):
        b, e = lq_feat.shape[:2]
        quant = self.quantize.embedding.weight[codes]
        quant = quant.reshape(b, self.latent, self.latent, e).permute(0, 3, 1, 2)
        if adain_on:
            quant = adain(quant, lq_feat)
        fuse_at = {self.GENERATOR_TAP[s] for s in self.connect_list}
        x = quant
        for i, block in enumerate(self.generator.blocks):
            x = block(x)
            if i in fuse_at and w > 0:
                s = str(x.shape[-1])
                x = self.fuse_convs_dict[s](features[s], x, w)
        return x


def randomize(net, generator):
    """Non-trivial affine norms, position embedding and codebook; larger code logits."""
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, (nn.GroupNorm, nn.LayerNorm)):
                m.weight.copy_(1 + 0.2 * torch.randn(m.weight.shape, generator=generator))
                m.bias.copy_(0.2 * torch.randn(m.bias.shape, generator=generator))
        net.position_emb.copy_(0.5 * torch.randn(net.position_emb.shape, generator=generator))
        net.quantize.embedding.weight.copy_(torch.randn(net.quantize.embedding.weight.shape, generator=generator))


def write(path, array, dtype):
    np.ascontiguousarray(array, dtype=dtype).tofile(path)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out_dir")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--nf", type=int, default=32)
    parser.add_argument("--ch-mult", type=int, nargs=6, default=[1, 1, 1, 2, 2, 4])
    parser.add_argument("--emb-dim", type=int, default=128)
    parser.add_argument("--codebook", type=int, default=64)
    parser.add_argument("--dim-embd", type=int, default=64)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--heads", type=int, default=8)
    parser.add_argument("--weights", type=float, nargs="+", default=[0.0, 0.7])
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)

    torch.manual_seed(args.seed)
    net = CodeFormer(args.nf, args.ch_mult, args.emb_dim, args.codebook, args.dim_embd, args.layers, args.heads).eval()
    randomize(net, torch.Generator().manual_seed(args.seed + 1))
    torch.save({"params_ema": net.state_dict()}, os.path.join(args.out_dir, "codeformer.pth"))

    # A smooth face-like gradient plus noise, in [0, 1].
    g = torch.Generator().manual_seed(args.seed + 2)
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, 512), torch.linspace(-1, 1, 512), indexing="ij")
    base = torch.stack([0.6 - 0.3 * (xx ** 2 + yy ** 2), 0.5 + 0.2 * xx, 0.4 + 0.2 * yy])
    face = (base + 0.15 * torch.rand((3, 512, 512), generator=g)).clamp(0, 1).unsqueeze(0)
    write(os.path.join(args.out_dir, "input.f32"), face.numpy(), np.float32)

    manifest = {"config": vars(args), "image_size": 512, "cases": []}
    # The saved fp32 weights and input, run in fp64: over 60 convolutions PyTorch's fp32 rounding
    # reaches 9e-5 on the output, which would hide upres's own error (1.5e-5 against fp64).
    net = net.double()
    with torch.no_grad():
        logits, codes, lq_feat, features = net.encode(face.double() * 2 - 1)
        top2 = torch.topk(logits[0], 2, dim=1).values
        manifest["min_top2_gap"] = (top2[:, 0] - top2[:, 1]).min().item()
        manifest["logit_std"] = logits.std().item()
        manifest["distinct_codes"] = int(codes.unique().numel())
        write(os.path.join(args.out_dir, "codes.i32"), codes.numpy(), np.int32)
        for w in args.weights:
            out = net.decode(codes, lq_feat, features, w)
            restored = (out.clamp(-1, 1) + 1) / 2
            tag = "w%03d" % round(w * 100)
            write(os.path.join(args.out_dir, "output_%s.f32" % tag), restored.float().numpy(), np.float32)
            manifest["cases"].append({"w": w, "tag": tag})
    with open(os.path.join(args.out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main()
