#!/usr/bin/python3
"""Independent PyTorch runner for ncnn .param/.bin models: the oracle for upres's ncnn graph model.

Reads the .param text and the .bin weights itself (no upres code), runs the graph with torch ops,
applies the host program's conventions (realcugan-ncnn-vulkan, waifu2x-ncnn-vulkan) chosen from
the file path, and writes the input crop and the expected output as raw float32 CHW.

usage: ncnn_torch_reference.py PARAM IMAGE X Y SIZE OUT_DIR
       ncnn_torch_reference.py --batch OUT_ROOT IMAGE X Y NAME:SIZE:PARAM ...  (into OUT_ROOT/NAME)
writes OUT_DIR/input.f32 [3, SIZE, SIZE], OUT_DIR/expected.f32 [3, H, W] and OUT_DIR/meta.txt
("height width psnr_vs_bicubic").
"""
import os
import re
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

torch.backends.mkldnn.enabled = False
torch.set_grad_enabled(False)

FP16_TAG = 0x01306B47
FP32_TAGS = (0x00000000, 0x0002C056)


# --- .param -------------------------------------------------------------------------------------

def parse_value(text):
    return float(text) if re.search(r"[.eE]", text) else int(text)


def parse_param(path):
    tokens = open(path).read().split()
    if int(tokens[0]) != 7767517:
        raise ValueError("bad magic")
    layer_count = int(tokens[1])
    pos = 3
    layers = []
    for _ in range(layer_count):
        kind, name, n_in, n_out = tokens[pos], tokens[pos + 1], int(tokens[pos + 2]), int(tokens[pos + 3])
        pos += 4
        ins = tokens[pos:pos + n_in]
        pos += n_in
        outs = tokens[pos:pos + n_out]
        pos += n_out
        params = {}
        while pos < len(tokens) and re.match(r"^-?\d+=", tokens[pos]):
            key, value = tokens[pos].split("=", 1)
            key = int(key)
            if key <= -23300:
                items = value.split(",")
                params[-23300 - key] = [parse_value(v) for v in items[1:1 + int(items[0])]]
            else:
                params[key] = parse_value(value)
            pos += 1
        layers.append(dict(type=kind, name=name, ins=ins, outs=outs, p=params))
    return layers


# --- .bin ---------------------------------------------------------------------------------------

class BinReader:
    def __init__(self, path):
        self.data = open(path, "rb").read()
        self.pos = 0

    def raw(self, count):
        end = self.pos + 4 * count
        if end > len(self.data):
            raise ValueError("bin truncated")
        out = np.frombuffer(self.data[self.pos:end], dtype="<f4").astype(np.float32)
        self.pos = end
        return torch.from_numpy(out.copy())

    def tagged(self, count):
        (tag,) = struct.unpack_from("<I", self.data, self.pos)
        self.pos += 4
        if tag == FP16_TAG:
            nbytes = (2 * count + 3) // 4 * 4
            out = np.frombuffer(self.data[self.pos:self.pos + 2 * count], dtype="<f2").astype(np.float32)
            self.pos += nbytes
            return torch.from_numpy(out.copy())
        if tag in FP32_TAGS:
            return self.raw(count)
        raise ValueError("unsupported weight tag %08x" % tag)


# --- layers -------------------------------------------------------------------------------------

def activation(x, p):
    kind = p.get(9, 0)
    args = p.get(10, [])
    if kind == 0:
        return x
    if kind == 1:
        return F.relu(x)
    if kind == 2:
        return F.leaky_relu(x, args[0])
    if kind == 3:
        return torch.clamp(x, args[0], args[1])
    if kind == 4:
        return torch.sigmoid(x)
    raise NotImplementedError("activation %d" % kind)


def pads_of(p):
    left = p.get(4, 0)
    right = p.get(15, left)
    top = p.get(14, left)
    bottom = p.get(16, top)
    return left, right, top, bottom


def conv(x, p, b, groups=1):
    out_c, kw = p[0], p[1]
    kh, dw = p.get(11, kw), p.get(2, 1)
    dh, sw = p.get(12, dw), p.get(3, 1)
    sh = p.get(13, sw)
    weight = b.tagged(p[6])
    bias = b.raw(out_c) if p.get(5, 0) else None
    in_per_group = p[6] // (out_c * kh * kw)
    weight = weight.reshape(out_c, in_per_group, kh, kw)
    left, right, top, bottom = pads_of(p)
    if min(left, right, top, bottom) < 0:
        raise NotImplementedError("SAME padding")
    x = F.pad(x, (left, right, top, bottom), value=float(p.get(18, 0.0)))
    y = F.conv2d(x, weight, bias, stride=(sh, sw), dilation=(dh, dw), groups=groups)
    return activation(y, p)


def deconv(x, p, b):
    out_c, kw = p[0], p[1]
    kh, sw = p.get(11, kw), p.get(3, 1)
    sh = p.get(13, sw)
    if p.get(2, 1) != 1 or p.get(18, 0) or p.get(20, 0):
        raise NotImplementedError("deconvolution dilation / output padding / output size")
    weight = b.tagged(p[6])
    bias = b.raw(out_c) if p.get(5, 0) else None
    in_c = p[6] // (out_c * kh * kw)
    # ncnn stores [out][in][kh][kw] and scatters without flipping: PyTorch's [in][out][kh][kw].
    weight = weight.reshape(out_c, in_c, kh, kw).permute(1, 0, 2, 3).contiguous()
    y = F.conv_transpose2d(x, weight, bias, stride=(sh, sw))
    left, right, top, bottom = pads_of(p)
    y = y[:, :, top:y.shape[2] - bottom, left:y.shape[3] - right]
    return activation(y, p)


def inner_product(x, p, b):
    weight = b.tagged(p[2]).reshape(p[0], -1)
    bias = b.raw(p[0]) if p.get(1, 0) else None
    return activation(F.linear(x.reshape(-1), weight, bias), p)


def broadcast_pair(a, c):
    """ncnn's rule: a 1-D operand whose length is the other's channel count is per-channel."""
    if a.dim() == 4 and c.dim() == 1:
        c = c.reshape(1, -1, 1, 1) if c.numel() == a.shape[1] else c.reshape(1, 1, 1, -1)
    if c.dim() == 4 and a.dim() == 1:
        a = a.reshape(1, -1, 1, 1) if a.numel() == c.shape[1] else a.reshape(1, 1, 1, -1)
    return a, c


BINARY = {0: torch.add, 1: torch.sub, 2: torch.mul, 3: torch.div, 4: torch.maximum, 5: torch.minimum,
          7: lambda a, c: c - a, 8: lambda a, c: c / a}


def binary_op(xs, p):
    op = BINARY[p.get(0, 0)]
    if p.get(1, 0):
        return op(xs[0], torch.tensor(float(p.get(2, 0.0))))
    a, c = broadcast_pair(xs[0], xs[1])
    return op(a, c)


def eltwise(xs, p):
    op, coeffs = p.get(0, 1), p.get(1, [])
    if op == 0:
        y = xs[0]
        for x in xs[1:]:
            y = y * x
        return y
    if op == 2:
        y = xs[0]
        for x in xs[1:]:
            y = torch.maximum(y, x)
        return y
    y = 0
    for i, x in enumerate(xs):
        y = y + (coeffs[i] if coeffs else 1.0) * x
    return y


def crop(xs, p):
    x = xs[0]
    h, w = x.shape[2], x.shape[3]
    if 9 in p:  # numpy slice form, axes relative to [c, h, w]
        for start, end, axis in zip(p[9], p[10], p[11]):
            dim = (axis if axis >= 0 else axis + 3) + 1
            size = x.shape[dim]
            s = start if start >= 0 else size + start
            e = size if end == -233 else (end if end > 0 else size + end)
            x = x.narrow(dim, s, e - s)
        return x
    wo, ho = p.get(0, 0), p.get(1, 0)
    if len(xs) == 2:
        out_h, out_w = xs[1].shape[2], xs[1].shape[3]
    else:
        out_w = p.get(3, 0)
        out_h = p.get(4, 0)
        out_w = w - wo - p.get(6, 0) if out_w in (0, -233) else min(out_w, w - wo - p.get(6, 0))
        out_h = h - ho - p.get(7, 0) if out_h in (0, -233) else min(out_h, h - ho - p.get(7, 0))
    return x[:, :, ho:ho + out_h, wo:wo + out_w]


def interp(x, p):
    mode = {1: "nearest", 2: "bilinear", 3: "bicubic"}[p.get(0, 0)]
    h, w = x.shape[2], x.shape[3]
    out_h, out_w = p.get(3, 0), p.get(4, 0)
    if not (out_h and out_w):
        out_h, out_w = int(h * p.get(1, 1.0)), int(w * p.get(2, 1.0))
    kwargs = {} if mode == "nearest" else {"align_corners": bool(p.get(6, 0))}
    return F.interpolate(x, size=(out_h, out_w), mode=mode, **kwargs)


def pixel_shuffle(x, p):
    r = p.get(0, 1)
    if p.get(1, 0) == 0:
        return F.pixel_shuffle(x, r)
    n, c, h, w = x.shape
    oc = c // (r * r)
    return x.reshape(n, r, r, oc, h, w).permute(0, 3, 4, 1, 5, 2).reshape(n, oc, h * r, w * r)


def pooling(x, p):
    if not p.get(4, 0):
        kw, sw, pl = p.get(1, 0), p.get(2, 1), p.get(3, 0)
        kh, sh, pt = p.get(11, kw), p.get(12, sw), p.get(13, pl)
        if p.get(5, 0) != 1 or p.get(14, pl) != pl or p.get(15, pt) != pt:
            raise NotImplementedError("pooling other than valid with symmetric pads")
        if p.get(0, 0) == 1:
            return F.avg_pool2d(x, (kh, kw), (sh, sw), (pt, pl), count_include_pad=bool(p.get(6, 0)))
        return F.max_pool2d(x, (kh, kw), (sh, sw), (pt, pl))
    return x.mean(dim=(0, 2, 3)) if p.get(0, 0) == 1 else x.amax(dim=(0, 2, 3))


def padding(x, p):
    top, bottom, left, right = p.get(0, 0), p.get(1, 0), p.get(2, 0), p.get(3, 0)
    mode = {0: "constant", 1: "replicate", 2: "reflect"}[p.get(4, 0)]
    kwargs = {"value": float(p.get(5, 0.0))} if mode == "constant" else {}
    return F.pad(x, (left, right, top, bottom), mode=mode, **kwargs)


def slice_layer(x, p, count):
    axis = p.get(1, 0)
    dim = (axis if axis >= 0 else axis + 3) + 1
    outs, start = [], 0
    for i, length in enumerate(p[0]):
        if length == -233:
            length = (x.shape[dim] - start) // (count - i)
        outs.append(x.narrow(dim, start, length))
        start += length
    return outs


def run_layer(layer, xs, b):
    kind, p = layer["type"], layer["p"]
    if kind == "Convolution":
        return [conv(xs[0], p, b)]
    if kind == "ConvolutionDepthWise":
        return [conv(xs[0], p, b, groups=p.get(7, 1))]
    if kind == "Deconvolution":
        return [deconv(xs[0], p, b)]
    if kind == "InnerProduct":
        return [inner_product(xs[0], p, b)]
    if kind == "Split":
        return [xs[0]] * len(layer["outs"])
    if kind == "ReLU":
        return [F.leaky_relu(xs[0], p.get(0, 0.0)) if p.get(0, 0.0) else F.relu(xs[0])]
    if kind == "PReLU":
        slope = b.raw(p.get(0, 1))
        return [torch.where(xs[0] < 0, xs[0] * slope.reshape(1, -1, 1, 1), xs[0])]
    if kind == "Sigmoid":
        return [torch.sigmoid(xs[0])]
    if kind == "TanH":
        return [torch.tanh(xs[0])]
    if kind == "BinaryOp":
        return [binary_op(xs, p)]
    if kind == "Eltwise":
        return [eltwise(xs, p)]
    if kind == "Concat":
        return [torch.cat(xs, dim=p.get(0, 0) + 1)]
    if kind == "Crop":
        return [crop(xs, p)]
    if kind == "Interp":
        return [interp(xs[0], p)]
    if kind == "PixelShuffle":
        return [pixel_shuffle(xs[0], p)]
    if kind == "Padding":
        return [padding(xs[0], p)]
    if kind == "Slice":
        return slice_layer(xs[0], p, len(layer["outs"]))
    if kind == "Pooling":
        return [pooling(xs[0], p)]
    if kind == "Scale":
        if p.get(0) == -233:
            a, c = broadcast_pair(xs[0], xs[1])
            return [a * c]
        scale = b.raw(p[0])
        bias = b.raw(p[0]) if p.get(1, 0) else torch.zeros(p[0])
        return [xs[0] * scale.reshape(1, -1, 1, 1) + bias.reshape(1, -1, 1, 1)]
    raise NotImplementedError(kind)


def run_graph(layers, bin_path, x):
    b = BinReader(bin_path)
    blobs = {}
    consumed = set()
    for layer in layers:
        if layer["type"] == "Input":
            blobs[layer["outs"][0]] = x
            continue
        xs = [blobs[name] for name in layer["ins"]]
        consumed.update(layer["ins"])
        for name, value in zip(layer["outs"], run_layer(layer, xs, b)):
            blobs[name] = value
    if b.pos != len(b.data):
        raise ValueError("bin has %d bytes left over" % (len(b.data) - b.pos))
    outputs = [name for name in blobs if name not in consumed and blobs[name] is not x]
    if len(outputs) != 1:
        raise ValueError("expected one output blob, got %s" % outputs)
    return blobs[outputs[0]]


# --- host conventions (realcugan-ncnn-vulkan, waifu2x-ncnn-vulkan src/main.cpp) ----------------

def host_convention(param_path):
    """(scale, prepadding, multiple, pad mode, add nearest input) by model family."""
    name = os.path.basename(param_path)
    if "real-cugan" in param_path or re.match(r"up[234]x", name):
        scale = int(re.match(r"up(\d)x", name).group(1))
        return scale, {2: 18, 3: 14, 4: 19}[scale], {2: 2, 3: 4, 4: 2}[scale], "reflect", scale == 4
    if "models-cunet" in param_path:
        scale = 2 if "scale2.0x" in name else 1
        return scale, 18 if scale == 2 else 28, 2 if scale == 2 else 4, "replicate", False
    if "upconv_7" in param_path:
        return 2, 7, 2, "replicate", False
    return None


def run_model(param_path, x):
    layers = parse_param(param_path)
    bin_path = param_path[:-len(".param")] + ".bin"
    conv = host_convention(param_path)
    if conv is None:
        return run_graph(layers, bin_path, x)
    scale, pad, multiple, mode, add_nearest = conv
    h, w = x.shape[2], x.shape[3]
    extra_h = (h + multiple - 1) // multiple * multiple - h
    extra_w = (w + multiple - 1) // multiple * multiple - w
    padded = F.pad(x, (pad, pad + extra_w, pad, pad + extra_h), mode=mode)
    y = run_graph(layers, bin_path, padded)
    if y.shape[2] < h * scale or y.shape[3] < w * scale:
        raise ValueError("graph output %s smaller than %dx scale" % (list(y.shape), scale))
    y = y[:, :, :h * scale, :w * scale]
    if add_nearest:
        y = y + F.interpolate(x, scale_factor=scale, mode="nearest")
    return y


def write_case(param_path, image, x0, y0, size, out_dir):
    crop_hwc = image[y0:y0 + size, x0:x0 + size]
    if crop_hwc.shape[:2] != (size, size):
        raise ValueError("crop outside the image")
    x = torch.from_numpy(crop_hwc.copy()).permute(2, 0, 1).unsqueeze(0).contiguous()
    y = run_model(param_path, x)
    bicubic = F.interpolate(x, size=y.shape[2:], mode="bicubic", align_corners=False)
    mse = float(((y.clamp(0, 1) - bicubic.clamp(0, 1)) ** 2).mean())
    psnr = 10 * np.log10(1.0 / max(mse, 1e-12))
    os.makedirs(out_dir, exist_ok=True)
    x[0].numpy().astype("<f4").tofile(os.path.join(out_dir, "input.f32"))
    y[0].numpy().astype("<f4").tofile(os.path.join(out_dir, "expected.f32"))
    with open(os.path.join(out_dir, "meta.txt"), "w") as f:
        f.write("%d %d %.3f\n" % (y.shape[2], y.shape[3], psnr))
    print("%s: output %dx%d, psnr vs bicubic %.2f dB" % (out_dir, y.shape[2], y.shape[3], psnr))


def main():
    if sys.argv[1] == "--batch":
        # --batch OUT_ROOT IMAGE X Y NAME:SIZE:PARAM ...: one torch start-up for many models.
        out_root, image_path, x0, y0 = sys.argv[2:6]
        image = np.asarray(Image.open(image_path).convert("RGB"), dtype=np.float32) / 255.0
        for item in sys.argv[6:]:
            name, size, param_path = item.split(":", 2)
            write_case(param_path, image, int(x0), int(y0), int(size), os.path.join(out_root, name))
        return
    param_path, image_path, x0, y0, size, out_dir = sys.argv[1:7]
    image = np.asarray(Image.open(image_path).convert("RGB"), dtype=np.float32) / 255.0
    write_case(param_path, image, int(x0), int(y0), int(size), out_dir)


if __name__ == "__main__":
    main()
