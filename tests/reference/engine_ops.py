#!/usr/bin/python3
"""Writes PyTorch fixtures for every engine op: one .bin (raw little-endian fp32) per tensor and a
manifest.json listing each case (op, attrs, inputs, constants, expected output).

Usage: /usr/bin/python3 engine_ops.py OUT_DIR
Fixed seeds; torch.backends.mkldnn disabled so the oracle does not share oneDNN with upres.
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

torch.backends.mkldnn.enabled = False
torch.set_num_threads(1)

CASES = []


def add_case(name, op, attrs, inputs, constants, fn, tol=1e-5):
    """inputs: list of tensors (or ("const", tensor) for graph constants); constants: list of
    tensors or None (undefined); fn(*inputs, *constants) -> expected output."""
    CASES.append((name, op, attrs, inputs, constants, fn, tol))


def rnd(*shape, gen):
    return torch.randn(*shape, generator=gen, dtype=torch.float32)


def conv_cases(g):
    x = rnd(2, 6, 11, 13, gen=g)
    for k, s, p, d, groups, bias in [(1, 1, 0, 1, 1, True), (3, 1, 1, 1, 1, True), (5, 2, 2, 1, 1, True),
                                     (7, 1, 3, 1, 1, False), (3, 1, 2, 2, 1, True), (3, 2, 1, 1, 2, True),
                                     (3, 1, 1, 1, 6, True), (2, 3, 0, 1, 3, True), (4, 1, 2, 1, 1, True)]:
        cout = 12 if groups != 6 else 6
        w = rnd(cout, 6 // groups, k, k, gen=g) * 0.3
        b = rnd(cout, gen=g) if bias else None
        attrs = {"stride": [s, s], "padding": [p, p], "dilation": [d, d], "groups": groups}
        add_case(f"conv2d_k{k}_s{s}_p{p}_d{d}_g{groups}{'' if bias else '_nobias'}", "conv2d", attrs, [x], [w, b],
                 lambda x, w, b, s=s, p=p, d=d, groups=groups:
                 F.conv2d(x, w, b, stride=s, padding=p, dilation=d, groups=groups))
    add_case("conv2d_asym_stride_pad", "conv2d", {"stride": [1, 2], "padding": [0, 1]}, [x],
             [rnd(4, 6, 3, 2, gen=g), rnd(4, gen=g)],
             lambda x, w, b: F.conv2d(x, w, b, stride=(1, 2), padding=(0, 1)))
    conv_post_cases(g, x)


def conv_post_cases(g, x):
    w = rnd(6, 6, 3, 3, gen=g) * 0.3
    b = rnd(6, gen=g)
    r = rnd(2, 6, 11, 13, gen=g)
    slope = torch.rand(6, generator=g) * 0.5
    conv = lambda x, w, b: F.conv2d(x, w, b, padding=1)
    acts = {"relu": F.relu, "leaky_relu": lambda y: F.leaky_relu(y, 0.2), "sigmoid": torch.sigmoid,
            "tanh": torch.tanh, "gelu": F.gelu, "silu": F.silu, "mish": F.mish}
    for name, fn in acts.items():
        add_case(f"conv2d_post_{name}", "conv2d", {"padding": [1, 1], "activation": name, "alpha": 0.2}, [x],
                 [w, b], lambda x, w, b, fn=fn: fn(conv(x, w, b)))
    add_case("conv2d_post_prelu", "conv2d", {"padding": [1, 1], "activation": "prelu"}, [x], [w, b, slope],
             lambda x, w, b, s: F.prelu(conv(x, w, b), s))
    add_case("conv2d_post_residual_scaled", "conv2d", {"padding": [1, 1], "residual": True, "residual_scale": 0.2},
             [x, r], [w, b], lambda x, r, w, b: r + 0.2 * conv(x, w, b))
    add_case("conv2d_post_lrelu_then_residual", "conv2d",
             {"padding": [1, 1], "activation": "leaky_relu", "alpha": 0.2, "residual": True, "residual_scale": 0.5},
             [x, r], [w, b], lambda x, r, w, b: r + 0.5 * F.leaky_relu(conv(x, w, b), 0.2))
    add_case("conv2d_post_residual_then_relu", "conv2d",
             {"padding": [1, 1], "activation": "relu", "residual": True, "activation_after_residual": True},
             [x, r], [w, b], lambda x, r, w, b: F.relu(conv(x, w, b) + r))


def conv_transpose_cases(g):
    x = rnd(2, 4, 5, 6, gen=g)
    for k, s, p, op, groups in [(4, 2, 1, 0, 1), (3, 2, 1, 1, 1), (3, 1, 1, 0, 2), (2, 2, 0, 0, 4)]:
        w = rnd(4, 6 // groups if groups != 4 else 2, k, k, gen=g) * 0.3
        cout = w.shape[1] * groups
        b = rnd(cout, gen=g)
        attrs = {"stride": [s, s], "padding": [p, p], "output_padding": [op, op], "groups": groups}
        add_case(f"conv_transpose2d_k{k}_s{s}_p{p}_op{op}_g{groups}", "conv_transpose2d", attrs, [x], [w, b],
                 lambda x, w, b, k=k, s=s, p=p, op=op, groups=groups:
                 F.conv_transpose2d(x, w, b, stride=s, padding=p, output_padding=op, groups=groups))


def elementwise_cases(g):
    x = rnd(2, 5, 7, 3, gen=g) * 2
    add_case("relu", "relu", {}, [x], [], F.relu)
    add_case("leaky_relu", "leaky_relu", {"negative_slope": 0.2}, [x], [], lambda x: F.leaky_relu(x, 0.2))
    add_case("prelu_channel", "prelu", {}, [x], [torch.rand(5, generator=g)], F.prelu)
    add_case("prelu_single", "prelu", {}, [x], [torch.tensor([0.25])], F.prelu)
    add_case("sigmoid", "sigmoid", {}, [x], [], torch.sigmoid)
    add_case("tanh", "tanh", {}, [x], [], torch.tanh)
    add_case("gelu", "gelu", {}, [x], [], F.gelu)
    add_case("gelu_tanh", "gelu", {"tanh_approximation": True}, [x], [], lambda x: F.gelu(x, approximate="tanh"))
    add_case("silu", "silu", {}, [x], [], F.silu)
    add_case("mish", "mish", {}, [x], [], F.mish)
    add_case("add_same", "add", {}, [x, rnd(2, 5, 7, 3, gen=g)], [], torch.add)
    add_case("add_broadcast_channel", "add", {}, [x, rnd(5, 1, 1, gen=g)], [], torch.add)
    add_case("add_constant", "add", {}, [x, ("const", rnd(1, 5, 1, 3, gen=g))], [], torch.add)
    add_case("mul_broadcast_both", "mul", {}, [rnd(1, 5, 1, 3, gen=g), rnd(2, 1, 7, 1, gen=g)], [], torch.mul)
    add_case("scale", "scale", {"scale": 0.2, "shift": -1.5}, [x], [], lambda x: x * 0.2 - 1.5)


def math_cases(g):
    """kUnary / kBinary / kReduce (ops of imported ONNX graphs): odd shapes, broadcasting, keepdims."""
    x = rnd(2, 5, 7, 3, gen=g) * 2
    pos = x.abs() + 0.25
    add_case("unary_sqrt", "unary", {"op": "sqrt"}, [pos], [], torch.sqrt)
    add_case("unary_exp", "unary", {"op": "exp"}, [x], [], torch.exp)
    add_case("unary_log", "unary", {"op": "log"}, [pos], [], torch.log)
    add_case("unary_abs", "unary", {"op": "abs"}, [x], [], torch.abs)
    add_case("unary_erf", "unary", {"op": "erf"}, [x], [], torch.erf)
    add_case("unary_square", "unary", {"op": "square"}, [x], [], torch.square)
    add_case("unary_reciprocal", "unary", {"op": "reciprocal"}, [pos], [], torch.reciprocal)
    add_case("unary_pow_3", "unary", {"op": "pow", "exponent": 3.0}, [x], [], lambda t: torch.pow(t, 3.0))
    add_case("unary_pow_half", "unary", {"op": "pow", "exponent": 0.5}, [pos], [], lambda t: torch.pow(t, 0.5))
    add_case("unary_clip", "unary", {"op": "clip", "lo": -0.5, "hi": 1.25}, [x], [],
             lambda t: torch.clamp(t, -0.5, 1.25))
    add_case("binary_sub_same", "binary", {"op": "sub"}, [x, rnd(2, 5, 7, 3, gen=g)], [], torch.sub)
    add_case("binary_sub_broadcast_first", "binary", {"op": "sub"}, [rnd(5, 1, 3, gen=g), x], [], torch.sub)
    add_case("binary_div_channel", "binary", {"op": "div"}, [x, rnd(1, 5, 1, 1, gen=g).abs() + 0.5], [], torch.div)
    add_case("binary_div_scalar_rank1", "binary", {"op": "div"}, [x, torch.tensor([1.75])], [], torch.div)
    add_case("binary_max_both_broadcast", "binary", {"op": "max"}, [rnd(1, 5, 1, 3, gen=g), rnd(2, 1, 7, 1, gen=g)],
             [], torch.maximum)
    add_case("binary_min_constant", "binary", {"op": "min"}, [x, ("const", rnd(1, 1, 7, 3, gen=g))], [], torch.minimum)
    add_case("reduce_sum_hw_keep", "reduce", {"op": "sum", "axes": [2, 3], "keepdims": True}, [x], [],
             lambda t: t.sum(dim=(2, 3), keepdim=True))
    add_case("reduce_mean_last_keep", "reduce", {"op": "mean", "axes": [-1], "keepdims": True}, [x], [],
             lambda t: t.mean(dim=-1, keepdim=True))
    add_case("reduce_mean_hw_drop", "reduce", {"op": "mean", "axes": [3, 2], "keepdims": False}, [x], [],
             lambda t: t.mean(dim=(2, 3)))
    add_case("reduce_max_channels_drop", "reduce", {"op": "max", "axes": [1], "keepdims": False}, [x], [],
             lambda t: t.amax(dim=1))
    add_case("reduce_min_outer_keep", "reduce", {"op": "min", "axes": [0, 2], "keepdims": True}, [x], [],
             lambda t: t.amin(dim=(0, 2), keepdim=True))
    add_case("reduce_l2_all_keep", "reduce", {"op": "l2", "axes": [], "keepdims": True}, [x], [],
             lambda t: t.norm().reshape(1, 1, 1, 1))
    # Every axis without keepdims: PyTorch's rank-0 result is the engine's [1].
    add_case("reduce_sum_square_all_drop", "reduce", {"op": "sum_square", "axes": [0, 1, 2, 3], "keepdims": False},
             [x], [], lambda t: (t * t).sum().reshape(1))
    add_case("reduce_mean_rank3_middle", "reduce", {"op": "mean", "axes": [1], "keepdims": True},
             [rnd(3, 11, 6, gen=g)], [], lambda t: t.mean(dim=1, keepdim=True))


def layout_cases(g):
    a, b, c = rnd(2, 3, 4, 5, gen=g), rnd(2, 1, 4, 5, gen=g), rnd(2, 4, 4, 5, gen=g)
    add_case("concat_channels", "concat", {"axis": 1}, [a, b, c], [], lambda *xs: torch.cat(xs, 1))
    add_case("concat_height", "concat", {"axis": 2}, [a, rnd(2, 3, 2, 5, gen=g)], [], lambda *xs: torch.cat(xs, 2))
    add_case("slice_channels", "slice", {"axis": 1, "start": 1, "end": 3}, [c], [], lambda x: x[:, 1:3])
    add_case("slice_negative", "slice", {"axis": 1, "start": -3, "end": -1}, [c], [], lambda x: x[:, -3:-1])
    x = rnd(2, 12, 3, 4, gen=g)
    add_case("pixel_shuffle_r2", "pixel_shuffle", {"factor": 2}, [x], [], lambda x: F.pixel_shuffle(x, 2))
    add_case("pixel_shuffle_r3", "pixel_shuffle", {"factor": 3}, [rnd(1, 18, 3, 2, gen=g)], [],
             lambda x: F.pixel_shuffle(x, 3))
    add_case("pixel_shuffle_dcr", "pixel_shuffle", {"factor": 2, "order": "depth_to_space"}, [x], [],
             lambda x: x.reshape(2, 2, 2, 3, 3, 4).permute(0, 3, 4, 1, 5, 2).reshape(2, 3, 6, 8))
    y = rnd(2, 3, 6, 8, gen=g)
    add_case("pixel_unshuffle_r2", "pixel_unshuffle", {"factor": 2}, [y], [], lambda x: F.pixel_unshuffle(x, 2))
    add_case("pixel_unshuffle_dcr", "pixel_unshuffle", {"factor": 2, "order": "depth_to_space"}, [y], [],
             lambda x: x.reshape(2, 3, 3, 2, 4, 2).permute(0, 3, 5, 1, 2, 4).reshape(2, 12, 3, 4))
    z = rnd(2, 3, 5, 6, gen=g)
    add_case("pad_zero", "pad", {"left": 1, "right": 2, "top": 3, "bottom": 0, "mode": "zero", "value": 0.5}, [z], [],
             lambda x: F.pad(x, (1, 2, 3, 0), mode="constant", value=0.5))
    add_case("pad_reflect", "pad", {"left": 2, "right": 1, "top": 4, "bottom": 3, "mode": "reflect"}, [z], [],
             lambda x: F.pad(x, (2, 1, 4, 3), mode="reflect"))
    add_case("pad_replicate", "pad", {"left": 3, "right": 0, "top": 1, "bottom": 6, "mode": "replicate"}, [z], [],
             lambda x: F.pad(x, (3, 0, 1, 6), mode="replicate"))
    add_case("permute_nhwc", "permute", {"dims": [0, 2, 3, 1]}, [z], [], lambda x: x.permute(0, 2, 3, 1))
    add_case("permute_window_partition", "permute", {"dims": [0, 1, 3, 2, 4, 5]}, [rnd(1, 2, 3, 2, 3, 5, gen=g)], [],
             lambda x: x.permute(0, 1, 3, 2, 4, 5))
    add_case("permute_heads_transposed", "permute", {"dims": [0, 2, 3, 1]}, [rnd(4, 9, 2, 6, gen=g)], [],
             lambda x: x.permute(0, 2, 3, 1))
    add_case("permute_rank3", "permute", {"dims": [2, 0, 1]}, [rnd(3, 4, 5, gen=g)], [], lambda x: x.permute(2, 0, 1))
    add_case("reshape_wildcard", "reshape", {"shape": [2, -1, 5]}, [rnd(2, 3, 4, 5, gen=g)], [],
             lambda x: x.reshape(2, -1, 5))


def resize_cases(g):
    x = rnd(2, 3, 5, 6, gen=g)
    specs = [("nearest", {"scale": [2, 2]}), ("nearest", {"scale": [1.5, 3]}), ("nearest", {"size": [7, 9]}),
             ("nearest", {"size": [3, 4]}), ("bilinear", {"scale": [2, 2]}), ("bilinear", {"size": [7, 9]}),
             ("bilinear", {"scale": [0.5, 0.5]}), ("bilinear", {"size": [8, 11], "align_corners": True}),
             ("bicubic", {"scale": [2, 2]}), ("bicubic", {"size": [7, 9]}), ("bicubic", {"scale": [3, 3]}),
             ("bicubic", {"size": [9, 4], "align_corners": True})]
    for mode, spec in specs:
        ac = spec.get("align_corners", False)
        kwargs = {"mode": mode}
        if mode != "nearest":
            kwargs["align_corners"] = ac
        if "scale" in spec:
            kwargs["scale_factor"] = tuple(float(s) for s in spec["scale"])
            label = "x".join(str(s) for s in spec["scale"])
        else:
            kwargs["size"] = tuple(spec["size"])
            label = "to" + "x".join(str(s) for s in spec["size"])
        attrs = dict(spec, mode=mode)
        add_case(f"resize_{mode}_{label}{'_ac' if ac else ''}", "resize", attrs, [x], [],
                 lambda x, kw=kwargs: F.interpolate(x, **kw))


def pool_cases(g):
    x = rnd(2, 3, 9, 10, gen=g)
    add_case("avg_pool_k2", "avg_pool2d", {"kernel": [2, 2]}, [x], [], lambda x: F.avg_pool2d(x, 2))
    add_case("avg_pool_k3_s2_p1_exclude_pad", "avg_pool2d",
             {"kernel": [3, 3], "stride": [2, 2], "padding": [1, 1], "count_include_pad": False}, [x], [],
             lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False))
    add_case("avg_pool_k3_s2_p1_ceil", "avg_pool2d",
             {"kernel": [3, 3], "stride": [2, 2], "padding": [1, 1], "ceil_mode": True}, [x], [],
             lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True))
    add_case("max_pool_k3_s2_p1", "max_pool2d", {"kernel": [3, 3], "stride": [2, 2], "padding": [1, 1]}, [x], [],
             lambda x: F.max_pool2d(x, 3, 2, 1))
    add_case("max_pool_k2_ceil", "max_pool2d", {"kernel": [2, 2], "ceil_mode": True}, [x], [],
             lambda x: F.max_pool2d(x, 2, ceil_mode=True))
    add_case("global_avg_pool", "global_avg_pool", {}, [x], [], lambda x: F.adaptive_avg_pool2d(x, 1))


def dense_cases(g):
    x = rnd(2, 5, 8, gen=g)
    add_case("linear", "linear", {}, [x], [rnd(6, 8, gen=g), rnd(6, gen=g)], F.linear)
    add_case("linear_nobias", "linear", {}, [x], [rnd(3, 8, gen=g), None], lambda x, w, b: F.linear(x, w))
    add_case("matmul_batched", "matmul", {}, [rnd(2, 3, 4, 5, gen=g), rnd(2, 3, 5, 6, gen=g)], [], torch.matmul)
    add_case("matmul_broadcast", "matmul", {}, [rnd(3, 4, 5, gen=g), rnd(2, 1, 5, 6, gen=g)], [], torch.matmul)
    y = rnd(2, 8, 5, 6, gen=g) * 3 + 1
    add_case("layer_norm_last", "layer_norm", {"normalized_dims": 1}, [y], [rnd(6, gen=g), rnd(6, gen=g)],
             lambda x, w, b: F.layer_norm(x, (6,), w, b))
    add_case("layer_norm_last2_noaffine", "layer_norm", {"normalized_dims": 2, "eps": 1e-6}, [y], [None, None],
             lambda x, w, b: F.layer_norm(x, (5, 6), eps=1e-6))
    add_case("group_norm_4", "group_norm", {"groups": 4}, [y], [rnd(8, gen=g), rnd(8, gen=g)],
             lambda x, w, b: F.group_norm(x, 4, w, b))
    add_case("batch_norm", "batch_norm", {"eps": 1e-5}, [y],
             [rnd(8, gen=g), rnd(8, gen=g), rnd(8, gen=g), torch.rand(8, generator=g) + 0.5],
             lambda x, w, b, m, v: F.batch_norm(x, m, v, w, b, training=False))
    add_case("softmax_last", "softmax", {"axis": -1}, [y], [], lambda x: torch.softmax(x, -1))
    add_case("softmax_channels", "softmax", {"axis": 1}, [y], [], lambda x: torch.softmax(x, 1))
    add_case("l2_normalize_last", "l2_normalize", {}, [y], [], lambda x: F.normalize(x, dim=-1))
    spectral_cases(g)


def rfft2_stacked(x):
    """LaMa's FourierUnit layout: rfftn -> stack(real, imag) -> permute -> view(N, 2C, H, W//2+1)."""
    f = torch.fft.rfftn(x, dim=(-2, -1), norm="ortho")
    f = torch.stack((f.real, f.imag), dim=-1).permute(0, 1, 4, 2, 3).contiguous()
    return f.view(x.shape[0], -1, x.shape[2], x.shape[3] // 2 + 1)


def irfft2_stacked(f, width):
    n, c2, h, bins = f.shape
    f = f.view(n, c2 // 2, 2, h, bins).permute(0, 1, 3, 4, 2).contiguous()
    return torch.fft.irfftn(torch.complex(f[..., 0], f[..., 1]), s=(h, width), dim=(-2, -1), norm="ortho")


def spectral_cases(g):
    x = rnd(2, 3, 6, 7, gen=g)
    add_case("rfft2_odd_width", "rfft2", {}, [x], [], rfft2_stacked)
    # Any spectrum, not only one of a real picture: LaMa's convolution output is not Hermitian.
    add_case("irfft2_even_width", "irfft2", {"width": 8}, [rnd(1, 4, 5, 5, gen=g)], [],
             lambda f: irfft2_stacked(f, 8))


def save(out_dir, name, tensor):
    path = os.path.join(out_dir, name + ".bin")
    tensor.detach().contiguous().to(torch.float32).numpy().astype("<f4").tofile(path)
    return {"file": name + ".bin", "shape": list(tensor.shape)}


def write(out_dir):
    manifest = []
    for name, op, attrs, inputs, constants, fn, tol in CASES:
        tensors_in, entries_in = [], []
        for k, item in enumerate(inputs):
            is_const = isinstance(item, tuple)
            t = item[1] if is_const else item
            tensors_in.append(t)
            entry = save(out_dir, f"{name}.in{k}", t)
            entry["constant"] = is_const
            entries_in.append(entry)
        entries_c = [None if c is None else save(out_dir, f"{name}.c{k}", c) for k, c in enumerate(constants)]
        with torch.no_grad():
            expected = fn(*tensors_in, *constants)
        manifest.append({"name": name, "op": op, "attrs": attrs, "inputs": entries_in, "constants": entries_c,
                         "output": save(out_dir, f"{name}.out", expected), "tolerance": tol})
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump({"cases": manifest}, f, indent=1)


def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    g = torch.Generator().manual_seed(1234)
    for family in (conv_cases, conv_transpose_cases, elementwise_cases, math_cases, layout_cases, resize_cases, pool_cases,
                   dense_cases):
        family(g)
    write(out_dir)
    print(f"wrote {len(CASES)} cases to {out_dir}")


if __name__ == "__main__":
    main()
