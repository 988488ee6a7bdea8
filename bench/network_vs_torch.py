#!/usr/bin/python3
"""R-ESRGAN 4x+ (RRDBNet, 23 blocks) and AnimeVideo (SRVGGNetCompact, 16 convs) shapes: upres against
PyTorch CPU on the same weights, in one run.

Weights are random (fixed seed) in the real architectures, written once as .pth, so both sides run
exactly the same network. PyTorch runs in subprocesses in three configurations:
  default : as the original inference scripts run it (NCHW fp32, glibc malloc)
  tuned   : channels_last, jemalloc through LD_PRELOAD (Debian libjemalloc2)
  bf16    : tuned + torch.autocast("cpu", torch.bfloat16)
PyTorch times are the forward pass only (best of 2 after a warm-up); upres times are the whole
`upres upscale` command (start, model load, PNG decode and encode included), so ratios favour PyTorch.

Usage: bench/network_vs_torch.py BUILD_DIR [SIZES...]   (default sizes 128 256; 2 threads)
"""
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "reference"))
JEMALLOC = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"
THREADS = 2


def build_models(out_dir):
    import torch
    from models_torch_fixtures import RRDBNet, SRVGGNetCompact, randomize
    nets = {
        "rrdbnet_x4_23b": RRDBNet(64, 23, 32, num_up=2),
        "compact_x4_16c": SRVGGNetCompact(64, 16, 4, "prelu"),
    }
    paths = {}
    for name, net in nets.items():
        path = os.path.join(out_dir, name + ".pth")
        torch.save(randomize(net, 1).state_dict(), path)
        paths[name] = path
    return paths


def torch_forward_seconds(model_path, size, mode):
    """Runs in a child process so LD_PRELOAD and allocator state are per configuration."""
    env = dict(os.environ, OMP_NUM_THREADS=str(THREADS))
    if mode != "default" and os.path.exists(JEMALLOC):
        env["LD_PRELOAD"] = JEMALLOC
    out = subprocess.run([sys.executable, __file__, "--torch-child", model_path, str(size), mode],
                         env=env, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def torch_child(model_path, size, mode):
    import torch
    from models_torch_fixtures import RRDBNet, SRVGGNetCompact
    torch.backends.mkldnn.enabled = True  # the fixtures module turns it off for the test oracle
    torch.set_num_threads(THREADS)
    state = torch.load(model_path)
    net = RRDBNet(64, 23, 32, num_up=2) if "rrdbnet" in model_path else SRVGGNetCompact(64, 16, 4, "prelu")
    net.load_state_dict(state)
    net.eval()
    x = torch.rand(1, 3, size, size)
    if mode != "default":
        net = net.to(memory_format=torch.channels_last)
        x = x.to(memory_format=torch.channels_last)
    best = float("inf")
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=(mode == "bf16")):
        for i in range(3):
            start = time.perf_counter()
            net(x)
            if i > 0:
                best = min(best, time.perf_counter() - start)
    print(best)


def upres_seconds(binary, model_path, image_path, precision, out_dir):
    env = dict(os.environ, OMP_NUM_THREADS=str(THREADS))
    cmd = [binary, "upscale", image_path, "--upscaler", model_path, "--scale", "4", "--tile", "1024",
           "--backend", "cpu", "--precision", precision, "-o", out_dir]
    best = float("inf")
    for _ in range(2):
        start = time.perf_counter()
        subprocess.run(cmd, env=env, capture_output=True, check=True)
        best = min(best, time.perf_counter() - start)
    return best


def main():
    if sys.argv[1] == "--torch-child":
        torch_child(sys.argv[2], int(sys.argv[3]), sys.argv[4])
        return
    binary = os.path.join(sys.argv[1], "src", "cli", "upres")
    sizes = [int(s) for s in sys.argv[2:]] or [128, 256]
    from PIL import Image
    with tempfile.TemporaryDirectory() as work:
        models = build_models(work)
        print("| model | size | upres fp32 s | upres bf16 s | torch default s | torch tuned s | torch bf16 s "
              "| default / upres fp32 | tuned / upres fp32 | torch bf16 / upres bf16 |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for name, model_path in models.items():
            for size in sizes:
                image_path = os.path.join(work, f"in{size}.png")
                Image.effect_noise((size, size), 64).convert("RGB").save(image_path)
                up32 = upres_seconds(binary, model_path, image_path, "fp32", os.path.join(work, "out"))
                up16 = upres_seconds(binary, model_path, image_path, "bf16", os.path.join(work, "out"))
                # Default PyTorch spends most of its time in page faults: only the small size.
                default = torch_forward_seconds(model_path, size, "default") if size <= 128 else float("nan")
                tuned = torch_forward_seconds(model_path, size, "tuned")
                bf16 = torch_forward_seconds(model_path, size, "bf16")
                print(f"| {name} | {size} | {up32:.2f} | {up16:.2f} | {default:.2f} | {tuned:.2f} | {bf16:.2f} "
                      f"| {default / up32:.2f} | {tuned / up32:.2f} | {bf16 / up16:.2f} |", flush=True)


if __name__ == "__main__":
    main()
