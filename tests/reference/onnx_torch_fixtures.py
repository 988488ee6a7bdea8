#!/usr/bin/python3
"""ONNX fixtures for tests/models/onnx_test.cpp.

Small random-weight PyTorch upscalers exported with torch.onnx.export (opset 17): a compact conv
net (PReLU, PixelShuffle -> DepthToSpace CRD), a token-attention net (LayerNorm, MatMul, Softmax,
erf GELU, SiLU, ReduceMean) exported with dynamic H/W so Shape/Gather/Concat chains appear, and a
layout net (Resize nearest and bilinear, reflect Pad, Slice, ConvTranspose, PixelUnshuffle,
clamp), a pooling net (InstanceNorm, Max/AveragePool, GlobalAveragePool, BatchNorm), and a math net
at opset 13 (decomposed LayerNorm, Reduce* on run-time tensors, Sqrt/Exp/Erf/Abs/Pow, Div/Sub/Max/Min
of run-time tensors; see MathNet). Each also as an fp16 file (float initializers and I/O stored as float16, made with
python3-onnx) whose reference output is PyTorch on the same fp16-rounded weights in fp32. A
hand-made graph covers DepthToSpace DCR and SpaceToDepth. Hostile files (truncated, short raw_data,
huge dims, a cycle, a missing input, an unsupported op, a run-time Pow exponent, a reduce axis out of
range, a reduce whose rank-4 Unsqueeze of a [1] result breaks, shapes that do not broadcast, external data)
have no outputs.
Writes OUT_DIR/manifest.json; tensors are raw little-endian float32.
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
import torch
import torch.nn as nn
import torch.nn.functional as F

from fixture_tensors import parse_fixture_arguments, write_manifest
from fixture_weights import batch_norm_statistics, randomize_weights

torch.backends.mkldnn.enabled = False
torch.set_num_threads(2)
OPSET = 17


class CompactNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv_first = nn.Conv2d(3, 16, 3, 1, 1)
        self.act1 = nn.PReLU(16)
        self.conv_body = nn.Conv2d(16, 16, 3, 1, 1)
        self.act2 = nn.PReLU(1)
        self.conv_last = nn.Conv2d(16, 3 * 4, 3, 1, 1)
        self.upsampler = nn.PixelShuffle(2)

    def forward(self, x):
        y = self.act1(self.conv_first(x))
        y = self.act2(self.conv_body(y)) + y
        y = self.upsampler(self.conv_last(y))
        return y + F.interpolate(x, scale_factor=2, mode="nearest")


class AttentionNet(nn.Module):
    def __init__(self, dim=16, heads=2):
        super().__init__()
        self.heads = heads
        self.conv_first = nn.Conv2d(3, dim, 3, 1, 1)
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, dim * 2)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(dim * 2, dim)
        self.gate = nn.Linear(dim, dim)
        self.conv_last = nn.Conv2d(dim, 3 * 4, 3, 1, 1)
        self.upsampler = nn.PixelShuffle(2)

    def forward(self, x):
        f = self.conv_first(x)
        b, c, h, w = f.shape
        t = f.flatten(2).transpose(1, 2)  # [b, hw, c]
        q, k, v = self.qkv(self.norm1(t)).chunk(3, dim=-1)
        q = q.reshape(b, h * w, self.heads, c // self.heads).transpose(1, 2)
        k = k.reshape(b, h * w, self.heads, c // self.heads).transpose(1, 2)
        v = v.reshape(b, h * w, self.heads, c // self.heads).transpose(1, 2)
        attn = torch.softmax((q * (c // self.heads) ** -0.5) @ k.transpose(-2, -1), dim=-1)
        o = (attn @ v).transpose(1, 2).reshape(b, h * w, c)
        t = t + self.proj(o)
        t = t + self.fc2(self.act(self.fc1(self.norm2(t))))
        t = t - t.mean(-1, keepdim=True)
        t = t * torch.sigmoid(self.gate(t))  # SiLU-like gating
        t = F.silu(t)
        f = t.transpose(1, 2).reshape(b, c, h, w)
        return self.upsampler(self.conv_last(f))


class LayoutNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv_in = nn.Conv2d(12, 8, 3, 1, 1)
        self.up = nn.ConvTranspose2d(8, 8, 4, 2, 1)
        self.conv_mid = nn.Conv2d(16, 8, 3, 1, 0)
        self.conv_out = nn.Conv2d(8, 3 * 4, 3, 1, 1)
        self.shuffle = nn.PixelShuffle(2)

    def forward(self, x):
        y = F.pixel_unshuffle(x, 2)                      # [b, 12, h/2, w/2]
        y = F.leaky_relu(self.conv_in(y), 0.1)
        y = torch.tanh(self.up(y))                       # [b, 8, h, w]
        z = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        z = F.interpolate(z, scale_factor=0.5, mode="nearest")
        z = torch.cat([y, z, y[:, :5]], 1)              # 16 channels
        z = F.pad(z, (1, 1, 1, 1), mode="reflect")
        y = torch.sigmoid(self.conv_mid(z)) * y
        y = self.shuffle(self.conv_out(y))
        return torch.clamp(y + F.interpolate(x, scale_factor=2, mode="nearest"), 0.0, 1.0)


class PoolNet(nn.Module):
    """InstanceNorm, max/avg pooling, an SE gate (global average) and an eval BatchNorm after a
    ReLU (so the exporter cannot fold it into a conv). Needs even sizes (size multiple 2)."""

    def __init__(self):
        super().__init__()
        self.conv_first = nn.Conv2d(3, 8, 3, 1, 1)
        self.norm = nn.InstanceNorm2d(8, affine=True)
        self.bn = nn.BatchNorm2d(8)
        self.se = nn.Conv2d(8, 8, 1)
        self.conv_last = nn.Conv2d(8, 12, 3, 1, 1)

    def forward(self, x):
        f = self.norm(self.conv_first(x))
        f = F.max_pool2d(f, 3, 1, 1) + F.avg_pool2d(f, 3, 1, 1)
        p = self.bn(torch.relu(F.avg_pool2d(f, 2)))
        f = f + F.interpolate(p, scale_factor=2, mode="nearest")
        f = f * torch.sigmoid(self.se(F.adaptive_avg_pool2d(f, 1)))
        return F.pixel_shuffle(self.conv_last(f), 2)


class MathNet(nn.Module):
    """Ops that older community exports decompose into, exported at opset 13 (before
    LayerNormalization): nn.LayerNorm as ReduceMean-Sub-Pow-ReduceMean-Add-Sqrt-Div, channel
    attention with mean and max over H, W, x / x.norm() (ReduceL2), a lone erf, exp, abs, an
    instance-norm written out, ReduceSum with its axes as an input, Max/Min of run-time tensors,
    Pow 3, HardSigmoid and Swish."""

    def __init__(self, dim=16):
        super().__init__()
        self.conv_first = nn.Conv2d(3, dim, 3, 1, 1)
        self.norm = nn.LayerNorm(dim)
        self.ca_down = nn.Conv2d(dim, dim // 4, 1)
        self.ca_up = nn.Conv2d(dim // 4, dim, 1)
        self.conv_mid = nn.Conv2d(dim, dim, 3, 1, 1)
        self.conv_last = nn.Conv2d(dim, 3 * 4, 3, 1, 1)

    def forward(self, x):
        f = self.conv_first(x)
        avg = self.ca_up(F.relu(self.ca_down(f.mean((2, 3), keepdim=True))))
        peak = self.ca_up(F.relu(self.ca_down(f.amax((2, 3), keepdim=True))))
        f = f * torch.sigmoid(avg + peak)
        t = self.norm(f.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        t = t / t.norm() * 24.0
        t = t + 0.5 * torch.erf(t) + torch.exp(-t.abs())
        t = t - t.sum(dim=1, keepdim=True) / 16.0
        mu = t.mean((2, 3), keepdim=True)
        var = (t - mu).pow(2).mean((2, 3), keepdim=True)
        t = (t - mu) / torch.sqrt(var + 1e-5)
        t = torch.maximum(t, -0.5 * t) + torch.minimum(t, t.amin(1, keepdim=True) + 1.0)
        t = t + 0.05 * torch.clamp(t, -2.0, 2.0).pow(3)
        t = self.conv_mid(t)
        t = t * F.hardsigmoid(t) + t * torch.sigmoid(t)
        t = t / (1.0 + t.abs())
        return F.pixel_shuffle(self.conv_last(t), 2)


def draw_parameter(name, p, gen):
    if "norm" in name and name.endswith("weight"):
        return 1.0 + 0.2 * torch.randn(p.shape, generator=gen)
    if name.startswith("act"):
        return 0.1 + 0.2 * torch.rand(p.shape, generator=gen)
    return torch.randn(p.shape, generator=gen) * (1.0 / max(1, p[0].numel()) ** 0.5)


def randomize(model, seed):
    return randomize_weights(model, seed, draw_parameter, batch_norm_statistics)


def save_f32(path, t):
    np.ascontiguousarray(t.detach().numpy().astype("<f4")).tofile(path)


def to_fp16_model(src, dst):
    """Float initializers, float Constant tensors and the graph I/O stored as float16 (not Resize
    scales, which ONNX requires in float32)."""
    m = onnx.load(src)
    keep = set()
    for n in m.graph.node:
        if n.op_type == "Resize":
            keep.update(n.input[1:])
    for init in m.graph.initializer:
        if init.data_type == TensorProto.FLOAT and init.name not in keep:
            init.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(init).astype(np.float16), init.name))
    for n in m.graph.node:
        if n.op_type == "Constant" and n.output[0] not in keep:
            for a in n.attribute:
                if a.name == "value" and a.t.data_type == TensorProto.FLOAT and len(a.t.dims) > 0:
                    a.t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(a.t).astype(np.float16), a.t.name))
    for v in list(m.graph.input) + list(m.graph.output):
        v.type.tensor_type.elem_type = TensorProto.FLOAT16
    del m.graph.value_info[:]
    onnx.save(m, dst)


def export(model, name, out, probe, dynamic, cases, run_size, opset=OPSET):
    path = os.path.join(out, name + ".onnx")
    axes = {"input": {2: "height", 3: "width"}, "output": {2: "oh", 3: "ow"}} if dynamic else None
    torch.onnx.export(model, probe, path, opset_version=opset, input_names=["input"], output_names=["output"],
                      dynamic_axes=axes, do_constant_folding=True)
    x = torch.rand(1, 3, *run_size, generator=torch.Generator().manual_seed(7))
    save_f32(os.path.join(out, name + ".input.f32"), x)
    with torch.no_grad():
        y = model(x)
    save_f32(os.path.join(out, name + ".output.f32"), y)
    ops = sorted({n.op_type for n in onnx.load(path).graph.node})
    cases.append({"name": name, "file": name + ".onnx", "input": name + ".input.f32", "input_shape": list(x.shape),
                  "output": name + ".output.f32", "output_shape": list(y.shape), "tolerance": 1e-4, "ops": ops})
    # fp16 file: the reference is the same network on fp16-rounded weights, in fp32.
    half = name + "_fp16"
    to_fp16_model(path, os.path.join(out, half + ".onnx"))
    with torch.no_grad():
        for p in list(model.parameters()) + [b for b in model.buffers() if b.is_floating_point()]:
            p.copy_(p.half().float())
        y16 = model(x)
    save_f32(os.path.join(out, half + ".output.f32"), y16)
    cases.append({"name": half, "file": half + ".onnx", "input": name + ".input.f32", "input_shape": list(x.shape),
                  "output": half + ".output.f32", "output_shape": list(y16.shape), "tolerance": 1e-4, "ops": ops})


def hand_made_shuffles(out, cases):
    """conv 3->8 (1x1), SpaceToDepth(2), DepthToSpace(DCR, 4), Conv 8->3 1x1: scale 2."""
    g = np.random.default_rng(3)
    w1 = g.standard_normal((8, 3, 1, 1)).astype(np.float32) * 0.5
    w2 = g.standard_normal((3, 2, 1, 1)).astype(np.float32) * 0.5
    nodes = [helper.make_node("Conv", ["input", "w1"], ["a"], name="conv1"),
             helper.make_node("SpaceToDepth", ["a"], ["b"], blocksize=2, name="s2d"),
             helper.make_node("DepthToSpace", ["b"], ["c"], blocksize=4, mode="DCR", name="d2s"),
             helper.make_node("Conv", ["c", "w2"], ["output"], name="conv2")]
    graph = helper.make_graph(nodes, "shuffles", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, "h", "w"])],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 3, "oh", "ow"])],
                              [numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(w2, "w2")])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)]), os.path.join(out, "shuffles.onnx"))
    x = torch.rand(1, 3, 12, 16, generator=torch.Generator().manual_seed(5))
    a = F.conv2d(x, torch.from_numpy(w1))
    n, c, h, w = a.shape  # SpaceToDepth: out channel (i*2 + j)*C + c
    b = a.reshape(n, c, h // 2, 2, w // 2, 2).permute(0, 3, 5, 1, 2, 4).reshape(n, c * 4, h // 2, w // 2)
    n, c, h, w = b.shape  # DepthToSpace DCR: in channel (i*4 + j)*C' + c
    d = b.reshape(n, 4, 4, c // 16, h, w).permute(0, 3, 4, 1, 5, 2).reshape(n, c // 16, h * 4, w * 4)
    y = F.conv2d(d, torch.from_numpy(w2))
    save_f32(os.path.join(out, "shuffles.input.f32"), x)
    save_f32(os.path.join(out, "shuffles.output.f32"), y)
    cases.append({"name": "shuffles", "file": "shuffles.onnx", "input": "shuffles.input.f32",
                  "input_shape": list(x.shape), "output": "shuffles.output.f32", "output_shape": list(y.shape),
                  "tolerance": 1e-4, "ops": ["Conv", "DepthToSpace", "SpaceToDepth"]})


def hand_made_scalar_norm(out, cases):
    """x / unsqueeze(ReduceL2(x, keepdims=0), [0, 1, 2, 3]) - ReduceMean(x, all axes): rank-0
    results reshaped back to rank 4, as exporters write x / x.norm()."""
    nodes = [helper.make_node("ReduceL2", ["input"], ["n"], name="norm", keepdims=0),
             helper.make_node("Unsqueeze", ["n", "ax"], ["n4"], name="unsqueeze"),
             helper.make_node("Div", ["input", "n4"], ["d"], name="div"),
             helper.make_node("ReduceMean", ["input"], ["m"], name="mean", keepdims=0),
             helper.make_node("Sub", ["d", "m"], ["output"], name="sub")]
    ax = numpy_helper.from_array(np.array([0, 1, 2, 3], dtype=np.int64), "ax")
    onnx.save(small_graph(nodes, [ax], "scalar_norm"), os.path.join(out, "scalar_norm.onnx"))
    x = torch.rand(1, 3, 10, 14, generator=torch.Generator().manual_seed(6))
    y = x / x.norm() - x.mean()
    save_f32(os.path.join(out, "scalar_norm.input.f32"), x)
    save_f32(os.path.join(out, "scalar_norm.output.f32"), y)
    cases.append({"name": "scalar_norm", "file": "scalar_norm.onnx", "input": "scalar_norm.input.f32",
                  "input_shape": list(x.shape), "output": "scalar_norm.output.f32", "output_shape": list(y.shape),
                  "tolerance": 1e-5, "ops": ["Div", "ReduceL2", "ReduceMean", "Sub", "Unsqueeze"]})


def raw_tensor(name, dims, raw):
    t = TensorProto()
    t.name, t.data_type = name, TensorProto.FLOAT
    t.dims.extend(dims)
    t.raw_data = raw
    return t


def small_graph(nodes, initializers, name):
    graph = helper.make_graph(nodes, name, [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, "h", "w"])],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 3, "oh", "ow"])],
                              initializers)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])


def hostile(out, compact_path):
    """Each entry: file name and a phrase the error must contain."""
    files = []
    data = open(compact_path, "rb").read()
    open(os.path.join(out, "truncated.onnx"), "wb").write(data[: len(data) // 2])
    files.append(["truncated.onnx", "not a valid ONNX protobuf"])

    w = raw_tensor("w", [3, 3, 3, 3], b"\0" * 40)
    onnx.save(small_graph([helper.make_node("Conv", ["input", "w"], ["output"], name="conv")], [w], "short"),
              os.path.join(out, "short_raw.onnx"))
    files.append(["short_raw.onnx", "bytes of raw_data"])

    huge = raw_tensor("w", [1 << 40, 1 << 40, 3, 3], b"\0" * 16)
    onnx.save(small_graph([helper.make_node("Conv", ["input", "w"], ["output"], name="conv")], [huge], "huge"),
              os.path.join(out, "huge_dims.onnx"))
    files.append(["huge_dims.onnx", "product exceeds"])

    neg = raw_tensor("w", [-4, 3, 3, 3], b"")
    onnx.save(small_graph([helper.make_node("Conv", ["input", "w"], ["output"], name="conv")], [neg], "neg"),
              os.path.join(out, "negative_dims.onnx"))
    files.append(["negative_dims.onnx", "negative dimension"])

    cyc = [helper.make_node("Add", ["input", "b"], ["a"], name="add_a"),
           helper.make_node("Relu", ["a"], ["b"], name="relu_b"),
           helper.make_node("Relu", ["b"], ["output"], name="relu_out")]
    onnx.save(small_graph(cyc, [], "cycle"), os.path.join(out, "cycle.onnx"))
    files.append(["cycle.onnx", "cycle"])

    missing = [helper.make_node("Add", ["input", "nowhere"], ["output"], name="add")]
    onnx.save(small_graph(missing, [], "missing"), os.path.join(out, "missing_input.onnx"))
    files.append(["missing_input.onnx", "'nowhere'"])

    bad_op = [helper.make_node("Relu", ["input"], ["a"], name="relu"),
              helper.make_node("Einsum", ["a"], ["output"], name="einsum", equation="nchw->nchw")]
    onnx.save(small_graph(bad_op, [], "unsupported"), os.path.join(out, "unsupported_op.onnx"))
    files.append(["unsupported_op.onnx", "op Einsum is not supported"])

    pow_rt = [helper.make_node("Relu", ["input"], ["a"], name="relu"),
              helper.make_node("Pow", ["input", "a"], ["output"], name="pow")]
    onnx.save(small_graph(pow_rt, [], "pow"), os.path.join(out, "runtime_pow.onnx"))
    files.append(["runtime_pow.onnx", "Pow with a run-time"])

    axis = [helper.make_node("ReduceMax", ["input"], ["a"], name="reduce", axes=[5], keepdims=1),
            helper.make_node("Sub", ["input", "a"], ["output"], name="sub")]
    onnx.save(small_graph(axis, [], "axis"), os.path.join(out, "bad_reduce_axis.onnx"))
    files.append(["bad_reduce_axis.onnx", "ReduceMax axis 5 out of range for the rank 4 input"])

    shapes = [helper.make_node("Min", ["input", "c"], ["output"], name="min")]
    c = numpy_helper.from_array(np.ones((4, 1, 1), dtype=np.float32), "c")
    onnx.save(small_graph(shapes, [c], "shapes"), os.path.join(out, "bad_min_shapes.onnx"))
    files.append(["bad_min_shapes.onnx", "do not broadcast"])

    ext = raw_tensor("w", [3, 3, 1, 1], b"")
    ext.ClearField("raw_data")
    ext.data_location = TensorProto.EXTERNAL
    entry = ext.external_data.add()
    entry.key, entry.value = "location", "../../etc/passwd"
    onnx.save(small_graph([helper.make_node("Conv", ["input", "w"], ["output"], name="conv")], [ext], "ext"),
              os.path.join(out, "external_data.onnx"))
    files.append(["external_data.onnx", "external file"])
    return files


def main():
    out = parse_fixture_arguments().out_dir
    cases = []
    export(randomize(CompactNet(), 1), "compact", out, torch.rand(1, 3, 16, 16), False, cases, (16, 20))
    export(randomize(AttentionNet(), 2), "attention", out, torch.rand(1, 3, 16, 16), True, cases, (12, 20))
    export(randomize(LayoutNet(), 3), "layout", out, torch.rand(1, 3, 16, 16), True, cases, (16, 24))
    export(randomize(PoolNet(), 4), "pool", out, torch.rand(1, 3, 16, 16), True, cases, (16, 20))
    export(randomize(MathNet(), 5), "math", out, torch.rand(1, 3, 16, 16), True, cases, (13, 18), opset=13)
    hand_made_shuffles(out, cases)
    hand_made_scalar_norm(out, cases)
    for c in cases:
        # pixel_unshuffle / SpaceToDepth / avg_pool2d(2) then x2 back need even sizes
        c["size_multiple"] = 2 if c["name"].split("_")[0] in ("layout", "pool", "shuffles") else 1
    bad = hostile(out, os.path.join(out, "compact.onnx"))
    write_manifest(out, {"cases": cases, "hostile": bad})


if __name__ == "__main__":
    main()
