#!/usr/bin/python3
"""conv_torch: the dense-block 3x3 convolutions of conv_throughput.cpp through PyTorch
(channels_last, torch.set_num_threads from OMP_NUM_THREADS), printed as the same CSV rows.
PyTorch's fraction is of the fp32 peak that conv_throughput measured in the same run (passed in)."""
import os
import sys
import time

import torch
import torch.nn.functional as F

SHAPES = [(64, 32), (96, 32), (128, 32), (160, 32), (192, 64), (64, 64)]
SIZE = 256


def best_seconds(fn, repeats=15):
    for _ in range(3):
        fn()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main():
    threads = int(os.environ.get("OMP_NUM_THREADS", "1"))
    peak = float(sys.argv[1]) if len(sys.argv) > 1 else float("nan")
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    for dtype, name in ((torch.float32, "fp32"), (torch.bfloat16, "bf16")):
        for cin, cout in SHAPES:
            x = torch.randn(1, cin, SIZE, SIZE).to(dtype=dtype, memory_format=torch.channels_last)
            w = (torch.randn(cout, cin, 3, 3) * 0.01).to(dtype=dtype, memory_format=torch.channels_last)
            b = torch.zeros(cout, dtype=dtype)
            with torch.no_grad():
                seconds = best_seconds(lambda: F.leaky_relu(F.conv2d(x, w, b, padding=1), 0.2))
            gflops = 2.0 * SIZE * SIZE * cin * cout * 9 / seconds * 1e-9
            print(f"torch,{name},{threads},{cin}x{cout},{seconds * 1e3:.3f},{gflops:.1f},{peak:.1f},"
                  f"{gflops / peak:.3f},torch-{torch.__version__}", flush=True)


if __name__ == "__main__":
    main()
