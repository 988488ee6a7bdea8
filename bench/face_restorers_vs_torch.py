#!/usr/bin/python3
"""GFPGAN v1.4 and CodeFormer shapes: seconds per 512x512 face, upres against PyTorch CPU on the
same weights, in one run.

Weights are random (fixed seed) in the released architectures and sizes (GFPGANv1Clean: out_size
512, 512 style features, channel multiplier 2; CodeFormer: nf 64, ch_mult 1,2,2,4,4,8, codebook
1024 x 256, 9 transformer layers of width 512), written once as {"params_ema": ...} .pth by the
PyTorch ports the tests use (tests/reference/gfpgan_torch.py, codeformer_torch.py), so both sides
run exactly the same network. Both sides time the restorer alone on one face (no detection or
paste-back), best of RUNS after a warm-up, with 2 threads:
  upres   : build/bench/face_restorer_throughput (cpu backend, fp32)
  PyTorch : forward in fp32 with oneDNN enabled (as the reference UI runs it on CPU)

Usage: bench/face_restorers_vs_torch.py BUILD_DIR [RUNS=2]
"""
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "reference"))
THREADS = 2


def build_models(out_dir):
    import torch
    import gfpgan_torch
    import codeformer_torch
    torch.manual_seed(0)
    gfpgan = gfpgan_torch.GFPGANv1Clean(out_size=512, num_style_feat=512, channel_multiplier=2, narrow=1,
                                        sft_half=True, different_w=True)
    gfpgan_torch.randomize(gfpgan, 1)
    codeformer = codeformer_torch.CodeFormer(nf=64, ch_mult=[1, 2, 2, 4, 4, 8], emb_dim=256, codebook_size=1024,
                                             dim_embd=512, n_layers=9, n_head=8)
    codeformer_torch.randomize(codeformer, torch.Generator().manual_seed(2))
    paths = {}
    for name, net in (("GFPGAN", gfpgan), ("CodeFormer", codeformer)):
        paths[name] = os.path.join(out_dir, name + ".pth")
        torch.save({"params_ema": net.eval().state_dict()}, paths[name])
    return paths


TORCH_TIMER = r'''
import sys, time, torch
sys.path.insert(0, sys.argv[4])
import gfpgan_torch, codeformer_torch
torch.set_num_threads(int(sys.argv[3]))
torch.backends.mkldnn.enabled = True
name, path, runs = sys.argv[1], sys.argv[2], int(sys.argv[5])
state = torch.load(path, map_location="cpu")["params_ema"]
if name == "GFPGAN":
    net = gfpgan_torch.GFPGANv1Clean(out_size=512, num_style_feat=512, channel_multiplier=2, narrow=1,
                                     sft_half=True, different_w=True)
    forward = lambda x: net(x)
else:
    net = codeformer_torch.CodeFormer(nf=64, ch_mult=[1, 2, 2, 4, 4, 8], emb_dim=256, codebook_size=1024,
                                      dim_embd=512, n_layers=9, n_head=8)
    def forward(x):
        _, codes, lq, feats = net.encode(x)
        return net.decode(codes, lq, feats, 0.5)
net.load_state_dict(state)
net.eval()
x = torch.rand(1, 3, 512, 512) * 2 - 1
best = 1e30
with torch.no_grad():
    for i in range(runs + 1):
        start = time.perf_counter()
        forward(x)
        if i > 0:
            best = min(best, time.perf_counter() - start)
print(best)
'''


def time_torch(name, path, runs):
    out = subprocess.run(["/usr/bin/python3", "-c", TORCH_TIMER, name, path, str(THREADS),
                          os.path.join(HERE, "..", "tests", "reference"), str(runs)],
                         check=True, capture_output=True, text=True,
                         env=dict(os.environ, OMP_NUM_THREADS=str(THREADS)))
    return float(out.stdout.strip().splitlines()[-1])


def time_upres(build_dir, path, runs):
    out = subprocess.run([os.path.join(build_dir, "bench", "face_restorer_throughput"), path, str(runs), "cpu", "0.5"],
                         check=True, capture_output=True, text=True, env=dict(os.environ, OMP_NUM_THREADS=str(THREADS)))
    return float(out.stdout.split()[-1])


def main():
    build_dir = sys.argv[1] if len(sys.argv) > 1 else "build"
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    with tempfile.TemporaryDirectory() as tmp:
        paths = build_models(tmp)
        print(f"| restorer | upres s/face | PyTorch s/face | PyTorch / upres |")
        print(f"|---|---|---|---|")
        for name, path in paths.items():
            ours = time_upres(build_dir, path, runs)
            theirs = time_torch(name, path, runs)
            print(f"| {name} | {ours:.2f} | {theirs:.2f} | {theirs / ours:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
