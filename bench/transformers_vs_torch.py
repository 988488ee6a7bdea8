#!/usr/bin/python3
"""Transformer and modern upscalers (issue 12): upres against PyTorch CPU, same random weights, whole
forward, one tile, in one script run.

Per architecture a random-weight network in its published configuration is built from the PyTorch
implementation the test suite carries (tests/reference/<family>_torch.py) and written once as .pth:
  SwinIR-M real-world x4 (embed 180, 6x6 blocks, window 8, nearest+conv; the reference UI's SwinIR 4x
  is the L config of the same design), HAT-S x4 (embed 144, 6x6, window 16), DAT-S x4 (embed 180,
  6x6, split 8x16), OmniSR x4 (64 features, 5 OSAGs, window 8), SPAN x4 (48 features) and
  RealPLKSR x4 (64 dims, 28 blocks, 17x17 kernels).
Both sides run it on a random [1, 3, S, S] input with --threads threads:
  upres   : build/bench/upscale_model_forward (NeuralUpscaler::run_pass, cpu backend, one tile), fp32 and
            bf16 (bf16 only where the CPU has avx512_bf16 or AMX)
  PyTorch : the same module, fp32 and torch.autocast("cpu", torch.bfloat16), torch.set_num_threads,
            inference_mode; each in its own child process, with OpenBLAS (OpenMP build) as its BLAS.
            Debian's python3-torch is built with BLAS_INFO=generic and calls whatever libblas.so.3
            the system provides, by default the reference netlib BLAS: every nn.Linear and matmul then
            runs at ~3 GFLOP/s (SwinIR-M 128x128: 146 s). The children get
            /usr/lib/x86_64-linux-gnu/openblas-openmp first on LD_LIBRARY_PATH (apt-get install
            libopenblas0-openmp; the script refuses to run without it), as a user who cares about speed
            would have; the system's BLAS choice (the test suite's oracle) is left alone.
Each time is a warm-up then best of --runs. GFLOP/s count convolutions, linears and matmuls (FLOPs
counted once in PyTorch with a TorchFunctionMode), the same figure for both sides. The ratio column
is PyTorch seconds / upres seconds (above 1: upres is faster). Progress goes to stderr, the markdown
table to stdout. Goals (issue 12): >= 1.5x on SwinIR and HAT, >= 1.2x on the others.

Usage: bench/transformers_vs_torch.py BUILD_DIR [--archs swinir,hat,dat,omnisr,span,realplksr]
                                      [--sizes 128 256] [--runs 2] [--threads 2]
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
REFERENCE = os.path.join(REPO, "tests", "reference")
sys.path.insert(0, REFERENCE)


def make_swinir(torch_modules):
    m = torch_modules("swinir_torch")
    return m.SwinSR(False, 180, [6] * 6, [6] * 6, 8, 2.0, 4, "nearest+conv", "1conv")


def make_hat(torch_modules):
    m = torch_modules("hat_torch")
    return m.HAT(144, [6] * 6, [6] * 6, 16, 0.5, 24, 24, 2.0, 4)  # HAT-S: window 16, overlap 0.5, compress/squeeze 24


def make_dat(torch_modules):
    m = torch_modules("dat_torch")
    return m.DAT(180, [6] * 6, [6] * 6, [8, 16], 2.0, 4)


def make_omnisr(torch_modules):
    m = torch_modules("omnisr_torch")
    return m.OmniSR(num_feat=64, block_num=1, with_pe=True, window_size=8, res_num=5, up_scale=4, bias=True)


def make_span(torch_modules):
    m = torch_modules("span_torch")
    return m.SPAN(feature_channels=48, upscale=4)


def make_realplksr(torch_modules):
    m = torch_modules("plksr_torch")
    return m.Net(real=True, dim=64, n_blocks=28, scale=4, ccm="DCCM", kernel=17, pdim=16)


ARCHS = {
    "swinir": ("SwinIR-M real-world x4", make_swinir),
    "hat": ("HAT-S x4", make_hat),
    "dat": ("DAT-S x4", make_dat),
    "omnisr": ("OmniSR x4", make_omnisr),
    "span": ("SPAN x4", make_span),
    "realplksr": ("RealPLKSR x4", make_realplksr),
}


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def import_module(name):
    import importlib
    return importlib.import_module(name)


def build_net(arch):
    import torch
    net = ARCHS[arch][1](import_module)
    module = sys.modules[net.__class__.__module__]
    if hasattr(module, "randomize"):
        net = module.randomize(net, 1)
    else:
        torch.manual_seed(1)
    return net.eval()


def cpu_has_bf16():
    flags = open("/proc/cpuinfo").read()
    return "avx512_bf16" in flags or "amx_bf16" in flags


def count_flops(net, x):
    """Multiply-add FLOPs (2 per MAC) of conv2d, linear and matmul in one forward of x."""
    import torch
    import torch.nn.functional as F
    from torch.overrides import TorchFunctionMode

    total = [0]

    class Counter(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            out = func(*args, **kwargs)
            if func in (F.conv2d, torch.conv2d):
                w = args[1] if len(args) > 1 else kwargs["weight"]
                total[0] += 2 * w[0].numel() * out.numel()
            elif func is F.linear:
                w = args[1] if len(args) > 1 else kwargs["weight"]
                total[0] += 2 * w.shape[1] * out.numel()
            elif func in (torch.matmul, torch.Tensor.__matmul__, torch.bmm, torch.Tensor.matmul):
                total[0] += 2 * args[0].shape[-1] * out.numel()
            return out

    with torch.inference_mode(), Counter():
        net(x)
    return total[0]


def torch_child(arch, model_path, size, mode, runs, threads):
    """Runs in a child process: prints one JSON line {"seconds": s, "flop": n}; the FLOPs are counted on
    the fp32 warm-up call, which runs with this process's OpenBLAS (the parent's BLAS is netlib's: counting
    there took over 15 minutes for SwinIR-M at 256 px)."""
    import torch
    torch.set_num_threads(threads)
    net = build_net(arch)
    net.load_state_dict(torch.load(model_path, map_location="cpu"), strict=False)
    x = torch.rand(1, 3, size, size, generator=torch.Generator().manual_seed(3))
    best = float("inf")
    flop = count_flops(net, x) if mode == "fp32" else None  # doubles as the warm-up
    with torch.inference_mode():
        for i in range(runs + (0 if flop else 1)):
            start = time.perf_counter()
            if mode == "bf16":
                with torch.autocast("cpu", dtype=torch.bfloat16):
                    net(x)
            else:
                net(x)
            if i > 0 or flop:
                best = min(best, time.perf_counter() - start)
    print(json.dumps({"seconds": best, "flop": flop}))


OPENBLAS_DIR = "/usr/lib/x86_64-linux-gnu/openblas-openmp"


def run_torch(arch, model_path, size, mode, runs, threads):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads),
               LD_LIBRARY_PATH=OPENBLAS_DIR + ":" + os.environ.get("LD_LIBRARY_PATH", ""))
    cmd = [sys.executable, os.path.abspath(__file__), "--child", arch, model_path, str(size), mode, str(runs),
           str(threads)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        log(f"torch {arch} {mode} {size}: failed: {out.stderr.strip()[-400:]}")
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_upres(binary, model_path, size, precisions, runs, threads):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    out = subprocess.run([binary, model_path, str(size), str(runs), ",".join(precisions)], env=env,
                         capture_output=True, text=True)
    if out.returncode != 0:
        log(f"upres {model_path} {size}: failed: {(out.stdout + out.stderr).strip()[-400:]}")
        return {}
    seconds = {}
    for line in out.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] in precisions and parts[1] != "unsupported":
            seconds[parts[0]] = float(parts[1])
    return seconds


def cell(value, fmt="{:.2f}"):
    return "-" if value is None else fmt.format(value)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        arch, model_path, size, mode, runs, threads = sys.argv[2:8]
        torch_child(arch, model_path, int(size), mode, int(runs), int(threads))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("build_dir")
    parser.add_argument("--archs", default=",".join(ARCHS))
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 256])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if not os.path.exists(os.path.join(OPENBLAS_DIR, "libblas.so.3")):
        sys.exit(f"{OPENBLAS_DIR}/libblas.so.3 missing: apt-get install libopenblas0-openmp (see the docstring)")
    import torch
    binary = os.path.join(args.build_dir, "bench", "upscale_model_forward")
    precisions = ["fp32", "bf16"] if cpu_has_bf16() else ["fp32"]
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"# {cpu}, {args.threads} threads, torch {torch.__version__}, best of {args.runs} after a warm-up\n")
    print("| model | input | GFLOP | upres fp32 s | torch fp32 s | fp32 ratio | upres GFLOP/s | torch GFLOP/s "
          "| upres bf16 s | torch bf16 s | bf16 ratio | best vs best |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for arch in args.archs.split(","):
            label = ARCHS[arch][0]
            try:
                net = build_net(arch)
            except Exception as e:  # an architecture whose PyTorch module is missing is reported, not fatal
                log(f"{arch}: cannot build the PyTorch network: {e}")
                continue
            model_path = os.path.join(tmp, f"{arch}.pth")
            torch.save(net.state_dict(), model_path)
            for size in args.sizes:
                log(f"{label} {size}x{size}")
                ours = run_upres(binary, model_path, size, precisions, args.runs, args.threads)
                children = {p: run_torch(arch, model_path, size, p, args.runs, args.threads) for p in precisions}
                theirs = {p: child["seconds"] for p, child in children.items() if child}
                flop = (children.get("fp32") or {}).get("flop") or float("nan")
                ratio = {p: (theirs[p] / ours[p]) if ours.get(p) and theirs.get(p) else None for p in precisions}
                best_ours = min((v for v in ours.values() if v), default=None)
                best_theirs = min((v for v in theirs.values() if v), default=None)
                best = best_theirs / best_ours if best_ours and best_theirs else None
                gflop = flop / 1e9
                print(f"| {label} | {size} | {gflop:.0f} | {cell(ours.get('fp32'))} | {cell(theirs.get('fp32'))} "
                      f"| {cell(ratio.get('fp32'))} | {cell(gflop / ours['fp32'] if ours.get('fp32') else None, '{:.0f}')} "
                      f"| {cell(gflop / theirs['fp32'] if theirs.get('fp32') else None, '{:.0f}')} "
                      f"| {cell(ours.get('bf16'))} | {cell(theirs.get('bf16'))} | {cell(ratio.get('bf16'))} | {cell(best)} |",
                      flush=True)


if __name__ == "__main__":
    main()
