#!/usr/bin/python3
"""PyTorch fixtures for tests/models/span_test.cpp.

SPAN (Wan et al. 2024, "Swift Parameter-free Attention Network for Efficient Super-Resolution")
written from the paper and the original code's semantics (github.com/hongyuanyu/SPAN, as spandrel
ships it), in eval mode: each Conv3XC runs as one 3x3 conv whose weights are recomputed from its
1x1 -> 3x3 -> 1x1 branch and 1x1 skip by two F.conv2d compositions (the original's update_params).
Random-weight configurations from fixed seeds saved as the trained form (every key, with a stale
eval_conv that must not be used; zip .pth, one also as a params_ema-wrapped legacy .pth) and as the
fused eval form (eval_conv keys only); run on fixed inputs. Raw little-endian float32 tensors + manifest.json.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from fixture_tensors import parse_fixture_arguments, write_manifest, write_random_runs
from fixture_weights import randomize_weights, save_pth, unit_scale_parameter

torch.backends.mkldnn.enabled = False
torch.set_num_threads(2)


class Conv3XC(nn.Module):
    def __init__(self, c_in, c_out, gain=2):
        super().__init__()
        self.sk = nn.Conv2d(c_in, c_out, 1)
        self.conv = nn.Sequential(nn.Conv2d(c_in, c_in * gain, 1), nn.Conv2d(c_in * gain, c_out * gain, 3),
                                  nn.Conv2d(c_out * gain, c_out, 1))
        self.eval_conv = nn.Conv2d(c_in, c_out, 3, padding=1)

    def fuse(self):
        """eval_conv = the branch composed (conv of the transposed kernels) plus sk at the centre."""
        w1, b1 = self.conv[0].weight, self.conv[0].bias
        w2, b2 = self.conv[1].weight, self.conv[1].bias
        w3, b3 = self.conv[2].weight, self.conv[2].bias
        w = F.conv2d(w1.flip(2, 3).permute(1, 0, 2, 3), w2, padding=2).flip(2, 3).permute(1, 0, 2, 3)
        b = (w2 * b1.reshape(1, -1, 1, 1)).sum((1, 2, 3)) + b2
        w = F.conv2d(w.flip(2, 3).permute(1, 0, 2, 3), w3).flip(2, 3).permute(1, 0, 2, 3)
        b = (w3 * b.reshape(1, -1, 1, 1)).sum((1, 2, 3)) + b3
        self.eval_conv.weight.data = (w + F.pad(self.sk.weight, [1, 1, 1, 1])).contiguous()
        self.eval_conv.bias.data = (b + self.sk.bias).contiguous()

    def forward(self, x):
        return self.eval_conv(x)


class SPAB(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c1_r, self.c2_r, self.c3_r = Conv3XC(c, c), Conv3XC(c, c), Conv3XC(c, c)

    def forward(self, x):
        # The original's SiLU is in place (nn.SiLU(inplace=True)): the out1 it returns, which the
        # last block's caller concatenates, is already activated.
        out1 = F.silu(self.c1_r(x))
        out3 = self.c3_r(F.silu(self.c2_r(out1)))
        sim_att = torch.sigmoid(out3) - 0.5
        return (out3 + x) * sim_att, out1


class SPAN(nn.Module):
    def __init__(self, feature_channels=48, upscale=4, norm=True):
        super().__init__()
        self.norm = norm
        self.register_buffer("mean", torch.tensor([0.4488, 0.4371, 0.4040]).view(1, 3, 1, 1), persistent=False)
        if not norm:
            self.register_buffer("no_norm", torch.zeros(1))
        f = feature_channels
        self.conv_1 = Conv3XC(3, f)
        for i in range(1, 7):
            setattr(self, f"block_{i}", SPAB(f))
        self.conv_cat = nn.Conv2d(f * 4, f, 1)
        self.conv_2 = Conv3XC(f, f)
        self.upsampler = nn.Sequential(nn.Conv2d(f, 3 * upscale ** 2, 3, padding=1), nn.PixelShuffle(upscale))

    def fuse(self):
        for m in self.modules():
            if isinstance(m, Conv3XC):
                m.fuse()

    def forward(self, x):
        if self.norm:
            x = (x - self.mean) * 255.0
        out_feature = self.conv_1(x)
        out = out_feature
        for i in range(1, 7):
            out, out1 = getattr(self, f"block_{i}")(out)
            if i == 1:
                out_b1 = out
        out_b6 = self.conv_2(out)
        out = self.conv_cat(torch.cat([out_feature, out_b6, out_b1, out1], 1))
        return self.upsampler(out)


def randomize(net, seed):
    randomize_weights(net, seed, unit_scale_parameter)  # SPAN has no norm layers
    if net.norm:  # a trained network's first conv takes the 255-scaled input to unit-sized features
        with torch.no_grad():
            net.conv_1.sk.weight.mul_(1.0 / 255.0)
            net.conv_1.conv[2].weight.mul_(1.0 / 255.0)
    return net


RANDOM_CASES = [
    # name, kwargs, form, input sizes
    ("span_f16_x4", dict(feature_channels=16, upscale=4, norm=True), "trained", [(20, 18)]),
    ("span_f12_x2_nonorm", dict(feature_channels=12, upscale=2, norm=False), "trained", [(17, 23)]),
    ("span_f16_x4_fused", dict(feature_channels=16, upscale=4, norm=True), "fused", [(20, 18)]),
]


def main():
    args = parse_fixture_arguments()
    cases = []
    for seed, (name, kwargs, form, sizes) in enumerate(RANDOM_CASES):
        net = randomize(SPAN(**kwargs), 500 + (0 if form == "fused" else seed))
        with torch.no_grad():
            for m in net.modules():  # a stale eval_conv (as saved mid-training) that must not be used
                if isinstance(m, Conv3XC):
                    m.eval_conv.weight.normal_(generator=torch.Generator().manual_seed(9))
            sd = {k: v.clone() for k, v in net.state_dict().items()}
            net.fuse()
            if form == "fused":
                sd = {k: v for k, v in net.state_dict().items()
                      if not (".sk." in k or ".conv.0." in k or ".conv.1." in k or ".conv.2." in k)}
        files = [save_pth(args.out_dir, f"{name}.pth", sd)]
        if seed == 0:
            files.append(save_pth(args.out_dir, f"{name}.ema.legacy.pth", sd, "params_ema", legacy=True))
        runs = write_random_runs(args.out_dir, name, net, sizes, torch.Generator().manual_seed(60 + seed))
        cases.append({"name": name, "scale": kwargs["upscale"], "form": form, "files": files,
                      "feature_channels": kwargs["feature_channels"], "norm": kwargs["norm"], "runs": runs})
    write_manifest(args.out_dir, {"cases": cases, "real": []})


if __name__ == "__main__":
    main()
