#!/usr/bin/python3
"""Writes a small random-weight ncnn model (model.param + model.bin) using the layer types and
forms the npm models do not: ConvolutionDepthWise, ReLU with slope, Padding (reflect), valid
average Pooling, Slice, Sigmoid, Eltwise product, PixelShuffle mode 1 (depth-to-space), global max
Pooling, InnerProduct + per-channel BinaryOp, bilinear Interp, BinaryOp sub and scalar mul,
Deconvolution with asymmetric pads, numpy-slice Crop on channels, Scale with weights. Blobs are
fp16- or fp32-tagged alternately. The graph is a 4x upscaler of 3 channels.

usage: ncnn_synthetic_model.py OUT_DIR (fixed seed)
"""
import os
import struct
import sys

import numpy as np

PARAM = """7767517
24 28
Input in 0 1 data
Split sp0 1 3 data d0 d1 d2
Convolution c1 1 1 d0 a 0=8 1=3 4=1 5=1 6=216 9=2 -23310=1,0.2
ConvolutionDepthWise dw 1 1 a b 0=8 1=3 4=1 5=1 6=72 7=8
ReLU r 1 1 b c 0=0.1
Padding pd 1 1 c d 0=1 1=1 2=1 3=1 4=2
Pooling pl 1 1 d e 0=1 1=3 2=1 5=1
Slice sl 1 2 e f g -23300=2,4,-233 1=0
Sigmoid sg 1 1 f h
Eltwise ep 2 1 h g i 0=0
Concat cc 2 1 i d1 j 0=0
Convolution c2 1 1 j k 0=12 1=1 5=1 6=84
PixelShuffle ps 1 1 k l 0=2 1=1
Split sp1 1 2 l l1 l2
Pooling gp 1 1 l1 m 0=0 4=1
InnerProduct ip 1 1 m n 0=3 1=1 2=9 9=4
BinaryOp bm 2 1 l2 n o 0=2
Interp up 1 1 d2 p 0=2 1=2.0 2=2.0
BinaryOp sb 2 1 o p q 0=1
BinaryOp sc 1 1 q r 0=2 1=1 2=0.5
Deconvolution dc 1 1 r s 0=4 1=4 3=2 4=0 15=2 14=2 16=0 5=1 6=192
Crop cr 1 1 s t -23309=1,0 -23310=1,3 -23311=1,0
Scale sc2 1 1 t u 0=3 1=1
TanH th 1 1 u out
"""

# (layer, [(count, tagged)]) in file order.
BLOBS = [
    ("c1", [(216, True), (8, False)]),
    ("dw", [(72, True), (8, False)]),
    ("c2", [(84, True), (12, False)]),
    ("ip", [(9, True), (3, False)]),
    ("dc", [(192, True), (4, False)]),
    ("sc2", [(3, False), (3, False)]),
]


def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(1234)
    with open(os.path.join(out_dir, "model.param"), "w") as f:
        f.write(PARAM)
    data = bytearray()
    fp16 = True
    for _, blobs in BLOBS:
        for count, tagged in blobs:
            values = rng.normal(0.0, 0.5, count).astype(np.float32)
            if tagged and fp16:
                data += struct.pack("<I", 0x01306B47)
                raw = values.astype("<f2").tobytes()
                data += raw + b"\0" * (-len(raw) % 4)
            else:
                if tagged:
                    data += struct.pack("<I", 0)
                data += values.astype("<f4").tobytes()
            if tagged:
                fp16 = not fp16
    with open(os.path.join(out_dir, "model.bin"), "wb") as f:
        f.write(bytes(data))


if __name__ == "__main__":
    main()
