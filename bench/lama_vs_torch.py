#!/usr/bin/python3
"""LaMa (issue 14): upres's big-lama generator against PyTorch CPU, same random weights, one
512x512 forward (the outpaint fill's tile), in one script run.

The network is big-lama's real configuration (ngf 64, 3 downsamplings, 18 FFC residual blocks,
split 0.75, 4 -> 3 channels; 51M parameters) built by the PyTorch implementation the test suite
carries (tests/reference/lama_torch.py, equal to spandrel's to 0.0 on the same weights), with
random weights (randomize(): BatchNorm statistics away from the identity), saved once as .pth.
Both sides run it on the same kind of input, cat(image * (1 - mask), mask) with the right quarter
masked, with --threads threads:
  upres   : build/bench/lama_forward (LamaRunner: BatchNorm folded at load, cpu backend, fp32)
  PyTorch : the module in eval mode, inference_mode, torch.set_num_threads, in a child process with
            OpenBLAS (OpenMP build) first on LD_LIBRARY_PATH, as bench/transformers_vs_torch.py does
            (Debian's torch otherwise calls the reference netlib BLAS; its convolutions run on its
            own oneDNN either way). torch.fft is its pocketfft.
Each time is a warm-up then the best of --runs. The ratio is PyTorch seconds / upres seconds
(above 1: upres is faster); the issue's goal is >= 1.3x. Progress on stderr, the table on stdout.

Usage: bench/lama_vs_torch.py BUILD_DIR [--sizes 512] [--runs 2] [--threads 2]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "reference"))
OPENBLAS_DIR = "/usr/lib/x86_64-linux-gnu/openblas-openmp"


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def torch_child(model_path, size, runs, threads):
    """Runs in a child process: prints one JSON line {"seconds": s}."""
    import torch
    import lama_torch
    torch.backends.mkldnn.enabled = True  # lama_torch turns it off for the oracle; a user has it on
    torch.set_num_threads(threads)
    net = lama_torch.Generator().eval()
    state = torch.load(model_path, map_location="cpu")
    net.load_state_dict({k[len("model."):]: v for k, v in state.items()})  # the file has spandrel's keys
    x = lama_torch.masked_input(size, size, 3)
    best = float("inf")
    with torch.inference_mode():
        for i in range(runs + 1):
            start = time.perf_counter()
            net(x)
            if i > 0:
                best = min(best, time.perf_counter() - start)
    print(json.dumps({"seconds": best}))


def run_torch(model_path, size, runs, threads):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads),
               LD_LIBRARY_PATH=OPENBLAS_DIR + ":" + os.environ.get("LD_LIBRARY_PATH", ""))
    cmd = [sys.executable, os.path.abspath(__file__), "--child", model_path, str(size), str(runs), str(threads)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        log(f"torch {size}: failed: {out.stderr.strip()[-400:]}")
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])["seconds"]


def run_upres(binary, model_path, size, runs, threads):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    out = subprocess.run([binary, model_path, str(size), str(runs)], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        log(f"upres {size}: failed: {(out.stdout + out.stderr).strip()[-400:]}")
        return None, None
    values = dict(line.split() for line in out.stdout.splitlines() if len(line.split()) == 2)
    return float(values["forward"]), float(values["first"])


def count_flops(net, size):
    """Multiply-add FLOPs (2 per MAC) of the convolutions (transposed included) in one forward."""
    import torch
    import torch.nn as nn
    import lama_torch
    total = [0]

    def hook(module, inputs, output):
        w = module.weight
        if isinstance(module, nn.ConvTranspose2d):
            total[0] += 2 * w[:, 0].numel() * inputs[0].numel() // inputs[0].shape[1] * w.shape[1]
        else:
            total[0] += 2 * w[0].numel() * output.numel()

    handles = [m.register_forward_hook(hook) for m in net.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    with torch.inference_mode():
        net(lama_torch.masked_input(size, size, 3))
    for h in handles:
        h.remove()
    return total[0]


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        model_path, size, runs, threads = sys.argv[2:6]
        torch_child(model_path, int(size), int(runs), int(threads))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("build_dir")
    parser.add_argument("--sizes", type=int, nargs="+", default=[512])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if not os.path.exists(os.path.join(OPENBLAS_DIR, "libblas.so.3")):
        sys.exit(f"{OPENBLAS_DIR}/libblas.so.3 missing: apt-get install libopenblas0-openmp (see the docstring)")
    import torch
    import lama_torch
    binary = os.path.join(args.build_dir, "bench", "lama_forward")
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"# {cpu}, {args.threads} threads, torch {torch.__version__}, best of {args.runs} after a warm-up\n")
    print("| model | input | GFLOP | upres s | torch s | ratio | upres GFLOP/s | torch GFLOP/s | upres first run s |")
    print("|---|---|---|---|---|---|---|---|---|")
    net = lama_torch.randomize(lama_torch.Generator(), 1)
    params = sum(p.numel() for p in net.parameters())
    log(f"big-lama: {params / 1e6:.1f}M parameters")
    with tempfile.TemporaryDirectory() as tmp:
        model_path = os.path.join(tmp, "big-lama-random.pth")
        torch.save({"model." + k: v for k, v in net.state_dict().items()}, model_path)
        for size in args.sizes:
            log(f"big-lama {size}x{size}")
            gflop = count_flops(net, size) / 1e9
            ours, first = run_upres(binary, model_path, size, args.runs, args.threads)
            theirs = run_torch(model_path, size, args.runs, args.threads)
            ratio = theirs / ours if ours and theirs else None
            cell = lambda v, f="{:.2f}": "-" if v is None else f.format(v)
            print(f"| big-lama | {size} | {gflop:.0f} | {cell(ours)} | {cell(theirs)} | {cell(ratio)} "
                  f"| {cell(gflop / ours if ours else None, '{:.0f}')} | {cell(gflop / theirs if theirs else None, '{:.0f}')} "
                  f"| {cell(first)} |", flush=True)


if __name__ == "__main__":
    main()
