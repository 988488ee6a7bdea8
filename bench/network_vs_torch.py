#!/usr/bin/python3
"""R-ESRGAN 4x+ (RRDBNet, 23 blocks) and AnimeVideo (SRVGGNetCompact, 16 convs) forward passes: upres
against PyTorch CPU on the same weights, forward only on both sides, in one script run.

Weights are random (fixed seed) in the real architectures, written once as .pth, so both sides run
exactly the same network on a random [1, 3, S, S] input (one tile, no image codec, no model loading):
  upres   : build/bench/upscale_model_forward (NeuralUpscaler::run_pass, cpu backend), fp32 and bf16,
            with conv GFLOP/s and % of the fp32 FMA peak measured in the same process; fp32 runs
            3x3 convolutions as Winograd where oneDNN can (GFLOP/s count the direct algorithm's
            FLOPs, so they can pass the peak), "fp32 direct" is the same without Winograd
  default : PyTorch as the original inference scripts run it (NCHW fp32, glibc malloc)
  tuned   : what a careful CPU user runs: channels_last model and input (input converted once, outside
            the timed call), jemalloc through LD_PRELOAD (Debian libjemalloc2) with MALLOC_CONF
            dirty_decay_ms:-1,muzzy_decay_ms:-1. With its defaults jemalloc is slower than glibc here:
            allocations over 8 MiB come from an arena that returns freed pages at once (decay 0 unless
            the decay is -1), so every forward page-faults its activations again (1 thread, 128x128:
            860k faults, 2x glibc's time; decay off: no faults after the warm-up, 10% under glibc).
  bf16    : tuned + torch.autocast("cpu", torch.bfloat16)
Each PyTorch configuration runs in its own child process (LD_PRELOAD and allocator state are per
process). Times are a warm-up then best of --runs; a configuration whose warm-up took longer than
--slow-s gets one timed call after it (marked "*"). The warm-up is never the measurement: PyTorch's
first call costs up to 14x a later one (RRDBNet 128, bf16: 19 s, then 1.3 s; default: 18.6 s, 6.2 s).
The installed ncnn R-ESRGAN 4x+ and AnimeVideo v3 x4 (what users run by default) get extra upres rows
when they load; their torch columns are the same architecture on the random weights. Progress goes to
stderr, the markdown table to stdout.

Usage: bench/network_vs_torch.py BUILD_DIR [--sizes 128 256 512] [--configs upres,ncnn,default,tuned,bf16]
                                 [--nets rrdbnet,compact] [--runs 2] [--threads 2] [--slow-s 20]
"""
import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "reference"))
JEMALLOC = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"
JEMALLOC_CONF = "dirty_decay_ms:-1,muzzy_decay_ms:-1"  # keep freed pages: no page faults after the warm-up
TORCH_MODES = ("default", "tuned", "bf16")
# name -> (constructor from the fixtures module, installed ncnn model of the same architecture)
NETS = {
    "rrdbnet": (lambda m: m.RRDBNet(64, 23, 32, num_up=2), "RealESRGAN/realesrgan-x4plus.param"),
    "compact": (lambda m: m.SRVGGNetCompact(64, 16, 4, "prelu"), "RealESRGAN/realesr-animevideov3-x4.param"),
}
NET_LABELS = {"rrdbnet": "R-ESRGAN 4x+ (RRDBNet 23b)", "compact": "AnimeVideo x4 (Compact 16c)"}


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def make_net(name):
    import models_torch_fixtures
    return NETS[name][0](models_torch_fixtures)


def write_random_weights(name, out_dir):
    import torch
    from models_torch_fixtures import randomize
    path = os.path.join(out_dir, name + ".pth")
    torch.save(randomize(make_net(name), 1).state_dict(), path)
    return path


def upres_forward(binary, model_path, size, runs, threads):
    """{precision: (seconds, GFLOP, GFLOP/s, % fp32 peak)} from one upscale_model_forward process."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    out = subprocess.run([binary, model_path, str(size), str(runs), "fp32,fp32-direct,bf16"], env=env,
                         capture_output=True, text=True)
    if out.returncode != 0:
        log(f"upres failed on {model_path}: {out.stderr.strip()}")
        return {}
    results = {}
    for line in out.stdout.splitlines():
        log("  upres: " + line)
        fields = line.split()
        if len(fields) == 5 and not line.startswith("#"):
            results[fields[0]] = tuple(float(f) for f in fields[1:])
    return results


def torch_forward(model_path, net, size, mode, runs, threads, slow_s):
    """(seconds, single_run) of one PyTorch configuration, in a child process."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    env.pop("LD_PRELOAD", None)
    env.pop("MALLOC_CONF", None)
    if mode != "default":
        if not os.path.exists(JEMALLOC):
            sys.exit(f"{JEMALLOC} missing: apt-get install libjemalloc2")
        env["LD_PRELOAD"] = JEMALLOC
        env["MALLOC_CONF"] = JEMALLOC_CONF
    args = [sys.executable, __file__, "--torch-child", model_path, net, str(size), mode, str(runs),
            str(threads), str(slow_s)]
    out = subprocess.run(args, env=env, stdout=subprocess.PIPE, text=True)  # its stderr is progress
    if out.returncode != 0:
        log(f"torch {mode} failed (exit {out.returncode})")
        return float("nan"), False
    seconds, single = out.stdout.split()[-2:]
    return float(seconds), single == "single"


def torch_child(model_path, net_name, size, mode, runs, threads, slow_s):
    import torch
    import models_torch_fixtures  # noqa: F401 (it turns oneDNN off for the test oracle: turn it back on)
    torch.backends.mkldnn.enabled = True
    torch.set_num_threads(threads)
    net = make_net(net_name)
    net.load_state_dict(torch.load(model_path))
    net.eval()
    x = torch.rand(1, 3, size, size, generator=torch.Generator().manual_seed(1))
    if mode != "default":
        net = net.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=(mode == "bf16")):
        start = time.perf_counter()
        net(x)
        first = time.perf_counter() - start
        print(f"  torch {mode} {size}: warm-up {first:.2f} s", file=sys.stderr, flush=True)
        if first > slow_s:
            runs = 1
        best = float("inf")
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for _ in range(runs):
            start = time.perf_counter()
            net(x)
            best = min(best, time.perf_counter() - start)
        faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults) // runs
        print(f"  torch {mode} {size}: best {best:.2f} s, {faults} page faults per call", file=sys.stderr, flush=True)
    print(best, "single" if first > slow_s else "best")


def ratio(a, b):
    return f"{a / b:.2f}" if a == a and b == b and b > 0 else "-"


def cell(value, fmt="{:.2f}"):
    return fmt.format(value) if value == value else "-"


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--torch-child":
        a = sys.argv[2:]
        torch_child(a[0], a[1], int(a[2]), a[3], int(a[4]), int(a[5]), float(a[6]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("build_dir")
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 256, 512])
    parser.add_argument("--configs", default="upres,ncnn," + ",".join(TORCH_MODES))
    parser.add_argument("--nets", default=",".join(NETS))
    parser.add_argument("--runs", type=int, default=2, help="timed runs after the warm-up (best is kept)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--slow-s", type=float, default=20.0,
                        help="after a PyTorch warm-up longer than this, one timed call (no best-of)")
    parser.add_argument("--models-dir", default=os.path.join(REPO, "models"))
    args = parser.parse_args()
    configs = args.configs.split(",")
    binary = os.path.join(args.build_dir, "bench", "upscale_model_forward")
    if ("upres" in configs or "ncnn" in configs) and not os.path.exists(binary):
        sys.exit(f"{binary} missing: cmake --build {args.build_dir} --target upscale_model_forward")
    nan = float("nan")
    print(f"{args.threads} threads; times in seconds (forward only, after a warm-up); * = one timed call, "
          "not best of; ratios > 1: upres faster")
    print("| model | size | conv GFLOP | upres fp32 | GFLOP/s | % fp32 peak | upres fp32 direct | upres bf16 "
          "| GFLOP/s | torch default | torch tuned | torch bf16 | default / upres fp32 | tuned / upres fp32 "
          "| torch bf16 / upres bf16 |")
    print("|---" * 15 + "|")
    with tempfile.TemporaryDirectory() as work:
        for net in args.nets.split(","):
            model_path = write_random_weights(net, work)
            ncnn_path = os.path.join(args.models_dir, NETS[net][1])
            for size in args.sizes:
                rows = []
                if "upres" in configs:
                    log(f"{net} {size}: upres")
                    rows.append((NET_LABELS[net] + ", random .pth", upres_forward(binary, model_path, size,
                                                                                  args.runs, args.threads)))
                if "ncnn" in configs and os.path.exists(ncnn_path):
                    log(f"{net} {size}: upres on {ncnn_path}")
                    rows.append(("ncnn " + os.path.basename(ncnn_path), upres_forward(binary, ncnn_path, size,
                                                                                      args.runs, args.threads)))
                torch_times = {}
                for mode in TORCH_MODES:
                    if mode in configs:
                        log(f"{net} {size}: torch {mode}")
                        torch_times[mode] = torch_forward(model_path, net, size, mode, args.runs, args.threads,
                                                          args.slow_s)
                        log(f"{net} {size}: torch {mode} {torch_times[mode][0]:.2f} s")
                if not rows:
                    rows.append((NET_LABELS[net] + ", random .pth", {}))
                torch_cells = []
                for mode in TORCH_MODES:
                    seconds, single = torch_times.get(mode, (nan, False))
                    torch_cells.append(cell(seconds) + ("*" if single else ""))
                for label, up in rows:
                    f32 = up.get("fp32", (nan,) * 4)
                    b16 = up.get("bf16", (nan,) * 4)
                    direct = up.get("fp32-direct", (nan,) * 4)
                    default, tuned, bf16 = (torch_times.get(m, (nan, False))[0] for m in TORCH_MODES)
                    print(f"| {label} | {size} | {cell(f32[1], '{:.1f}')} | {cell(f32[0], '{:.3f}')} "
                          f"| {cell(f32[2], '{:.0f}')} | {cell(f32[3], '{:.0f}%')} | {cell(direct[0], '{:.3f}')} "
                          f"| {cell(b16[0], '{:.3f}')} "
                          f"| {cell(b16[2], '{:.0f}')} | {' | '.join(torch_cells)} | {ratio(default, f32[0])} "
                          f"| {ratio(tuned, f32[0])} | {ratio(bf16, b16[0])} |", flush=True)


if __name__ == "__main__":
    main()
