#!/usr/bin/python3
"""Peak memory per tile of the transformer and modern upscalers (issue 12): max RSS of `upres upscale`
at --tile 64, 128, 256 and at the default tile of each --max-memory budget, beside what upres's own
tile sizing estimates for that tile, with R-ESRGAN 4x+ (the ncnn realesrgan-x4plus under models/, an
RRDBNet) as the baseline run in the same script.

Models: random weights in the published configurations bench/transformers_vs_torch.py builds
(SwinIR-M real-world x4, HAT-S x4, DAT-S x4, OmniSR x4, SPAN x4, RealPLKSR x4) plus SCUNet (the
published config (4,4,4,4,4,4,4), dim 64, 1x), written once as .pth into --model-dir (not the repo)
by /usr/bin/python3 with the test suite's PyTorch modules (tests/reference).
Pictures: centre crops of Set14 barbara (720x576). The budget rows run on each model's input (--size,
or per model: 512 px; 256 px for the slow attention models and the baseline, whose small-budget tiles
take many minutes at 512 px on two shared cores). The --tile T rows run on a T x T crop: one tile of
side T, so the peak is that tile's and the run is one forward (on the 512 px input, 64 px tiles with
the default 32 px overlap are 576 tiles, 9x the pixels: minutes per model); --tiles-on-input runs
them on the model's input instead.
Per model, each in its own `upres upscale IN --upscaler FILE --scale S --precision fp32 --backend cpu`
process with OMP_NUM_THREADS=--threads, peak RSS read from os.wait4 (ru_maxrss, what /usr/bin/time -v
prints) and wall seconds:
  floor      : the same model on a 64x64 crop at --tile 64: program, libraries, weights and their
               prepared copies, no picture to speak of; what is beyond it is the tile and the pictures,
               and, from about 128 px tiles up, the Winograd convolutions' transformed weights (4x
               the 3x3 weights, whatever the tile; oneDNN runs 64 px maps direct)
  --tile T   : T = 64, 128, 256 (--tiles)
  budget B   : --max-memory B with no --tile: the default tile that budget gives (--budgets; default =
               the CLI's own default, 4G)
Beside each: the tile input the planner really runs and how many (a picture no larger than the tile is
one tile of its own size), upres's estimate for that executable (kFixedExecutableBytes +
bytes_per_input_pixel x its pixels: what the default tile is sized from, so for a budget row it is at
most the budget), the arena the cpu backend plans for it (fp32), all from build/bench/tile_memory_estimate,
and the RSS beyond the floor and the fp32 output picture (the one picture-sized buffer no tile avoids).
"under budget" says whether that RSS beyond the floor stays under the budget the tile was sized for.
A second table gives, per model, the growth of the peak with the tile between the two largest --tile
rows, in bytes per input pixel of the tile, beside the planned arena's and the estimate's growth.
Progress goes to stderr, the markdown table to stdout. Run it under nice on a shared machine.

Usage: bench/transformer_peak_memory.py BUILD_DIR [--models esrgan,span,realplksr,omnisr,swinir,hat,dat,scunet]
          [--size PX (all models)] [--tiles 64 128 256] [--budgets default 1G 256M] [--threads 2]
          [--model-dir /tmp/tfmem] [--timeout 600] [--tiles-on-input]
       bench/transformer_peak_memory.py BUILD_DIR --growth-from SAVED_OUTPUT   (the growth table only)
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
sys.path.insert(0, HERE)
import transformers_vs_torch as tvt  # noqa: E402  (its builders and tests/reference on sys.path)

PHOTO = "/work/shared/images/set14/barbara.png"
CLI_DEFAULT_BUDGET = "4G"  # upres upscale --max-memory's default (src/cli/upscale_command.h)


def make_scunet(torch_modules):
    m = torch_modules("scunet_torch")
    return m.SCUNet(in_nc=3, config=(4, 4, 4, 4, 4, 4, 4), dim=64, head_dim=32)


# name: (label, builder or a model file in the repo, input side)
MODELS = {
    "esrgan": ("R-ESRGAN 4x+ (ncnn, baseline)", os.path.join(REPO, "models", "RealESRGAN", "realesrgan-x4plus.param"), 256),
    "span": ("SPAN x4", tvt.make_span, 512),
    "realplksr": ("RealPLKSR x4", tvt.make_realplksr, 512),
    "omnisr": ("OmniSR x4", tvt.make_omnisr, 512),
    "swinir": ("SwinIR-M real-world x4", tvt.make_swinir, 256),
    "hat": ("HAT-S x4", tvt.make_hat, 256),
    "dat": ("DAT-S x4", tvt.make_dat, 256),
    "scunet": ("SCUNet (1x)", make_scunet, 256),
}


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def model_file(name, model_dir):
    """The model's file: the repo's for the baseline, else a random-weight .pth built once."""
    builder = MODELS[name][1]
    if isinstance(builder, str):
        return builder
    path = os.path.join(model_dir, f"{name}.pth")
    if not os.path.exists(path):
        import torch
        log(f"building {path}")
        net = builder(tvt.import_module)
        module = sys.modules[net.__class__.__module__]
        if hasattr(module, "randomize"):  # as transformers_vs_torch.build_net
            net = module.randomize(net, 1)
        else:
            torch.manual_seed(1)
        os.makedirs(model_dir, exist_ok=True)
        torch.save(net.state_dict(), path + ".part")
        os.replace(path + ".part", path)
    return path


def crop(size, path):
    from PIL import Image
    photo = Image.open(PHOTO).convert("RGB")
    if min(photo.size) < size:
        sys.exit(f"{PHOTO} is smaller than {size} px")
    left, top = (photo.width - size) // 2, (photo.height - size) // 2
    photo.crop((left, top, left + size, top + size)).save(path)


def estimates(build_dir, model, size, budgets, tiles, threads, tiles_on_input):
    """tile_memory_estimate's lines: the model, then {budget: line}, {tile: line}; the tiles on a
    size x size picture, or each on a picture of its own side."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    cli_budgets = [CLI_DEFAULT_BUDGET if b == "default" else b for b in budgets]
    out = subprocess.run([os.path.join(build_dir, "bench", "tile_memory_estimate"), model, str(size),
                          ",".join(cli_budgets), ",".join(str(t) if tiles_on_input else f"{t}:{t}" for t in tiles)],
                         env=env, check=True, capture_output=True, text=True).stdout
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    by_budget = {b: line for b, line in zip(budgets, (l for l in lines if "budget" in l))}
    by_tile = {t: line for t, line in zip(tiles, (l for l in lines if "tile" in l and "budget" not in l))}
    return lines[0], by_budget, by_tile


def run_upscale(build_dir, model, image, scale, flags, threads, timeout):
    """(max RSS MiB, wall s) of one `upres upscale` process, or (None, reason). A run past `timeout`
    is stopped and gives (its peak so far, "> timeout"): every tile of a pass is the same size, so
    the peak is reached within the first tiles."""
    with tempfile.TemporaryDirectory() as out_dir:
        command = [os.path.join(build_dir, "src", "cli", "upres"), "upscale", image, "--upscaler", model,
                   "--scale", str(scale), "--precision", "fp32", "--backend", "cpu", "-o", out_dir, *flags]
        env = dict(os.environ, OMP_NUM_THREADS=str(threads))
        start = time.monotonic()
        child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        status, usage = None, None
        while status is None:
            pid, status_word, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                status = status_word
            elif time.monotonic() - start > timeout:
                child.kill()
                _, _, usage = os.wait4(child.pid, 0)
                return usage.ru_maxrss / 1024.0, f"> {timeout} (stopped)"
            else:
                time.sleep(0.05)
        child.returncode = os.waitstatus_to_exitcode(status)
        wall = time.monotonic() - start
        if child.returncode != 0:
            message = " ".join(child.stderr.read().decode(errors="replace").split()).replace("|", "/")
            return None, "failed: " + message[-200:]
        if not os.listdir(out_dir):
            return None, "no output written"
        return usage.ru_maxrss / 1024.0, wall


def mib(value):
    return "-" if value is None else f"{value / 2**20:.0f}"


def growth_table(lines):
    """Per model, from the --tile rows of the table: how fast the peak grows with the tile, as bytes
    per input pixel between the two largest tiles (RSS, planned arena, upres's estimate)."""
    tiles = {}
    for line in lines:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 11 or not cells[2].startswith("--tile") or not cells[6].replace(".", "").isdigit():
            continue
        tiles.setdefault(cells[0], []).append((int(cells[1]) ** 2, float(cells[6]), float(cells[5]), float(cells[4])))
    tiles = {label: rows for label, rows in tiles.items() if len(rows) >= 2}
    if not tiles:
        return
    print("\n| model | tiles compared | RSS growth B per input pixel | planned arena growth | upres estimate growth |")
    print("|---|---|---|---|---|")
    for label, rows in tiles.items():
        (pa, ra, aa, ea), (pb, rb, ab, eb) = sorted(rows)[-2:]
        per_pixel = lambda a, b: (b - a) * 2**20 / (pb - pa)  # noqa: E731
        print(f"| {label} | {pa ** 0.5:.0f} -> {pb ** 0.5:.0f} | {per_pixel(ra, rb):.0f} | {per_pixel(aa, ab):.0f} "
              f"| {per_pixel(ea, eb):.0f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("build_dir")
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--size", type=int, default=0, help="input side for every model (default: per model)")
    parser.add_argument("--tiles", type=int, nargs="*", default=[64, 128, 256])
    parser.add_argument("--budgets", nargs="*", default=["default", "1G", "256M"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--model-dir", default="/tmp/tfmem")
    parser.add_argument("--tiles-on-input", action="store_true",
                        help="run the --tile rows on the model's input picture (many tiles) rather than on a "
                             "picture of the tile's side (one tile)")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per upscale run")
    parser.add_argument("--growth-from", metavar="TABLE", help="only print the growth table from a saved run's output")
    args = parser.parse_args()
    if args.growth_from:
        growth_table(open(args.growth_from).read().splitlines())
        return
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"# {cpu}, {args.threads} threads, fp32, cpu backend, load average at start "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}\n")
    print("| model | input | tile | runs as | upres estimate MiB | planned arena MiB | max RSS MiB "
          "| floor MiB | RSS beyond floor and output MiB | under budget | wall s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    printed = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models.split(","):
            label, _, default_size = MODELS[name]
            size = args.size or default_size
            model = model_file(name, args.model_dir)
            header, by_budget, by_tile = estimates(args.build_dir, model, size, args.budgets, args.tiles, args.threads,
                                                   args.tiles_on_input)
            scale = header["scale"]
            small = os.path.join(tmp, "in64.png")
            crop(64, small)
            log(f"{label}: {header['bytes_per_input_pixel']:.0f} B per input pixel, floor run")
            floor, floor_wall = run_upscale(args.build_dir, model, small, scale, ["--tile", "64"], args.threads,
                                            args.timeout)
            if floor is None:
                log(f"{label}: floor run {floor_wall}")
            # (what, picture side, flags, estimate line, budget): tile rows on a picture of the tile's
            # own side unless --tiles-on-input (see the docstring), budget rows on the model's input.
            rows = [(f"--tile {t}", size if args.tiles_on_input else t, ["--tile", str(t)], by_tile[t], None)
                    for t in args.tiles]
            rows += [(f"default tile of {'4G (CLI default)' if b == 'default' else b}: {by_budget[b]['default_tile']}",
                      size, [] if b == "default" else ["--max-memory", b], by_budget[b], by_budget[b]["budget_bytes"])
                     for b in args.budgets]
            for what, side, flags, estimate, budget in rows:
                log(f"{label} {side}px {what}")
                image = os.path.join(tmp, f"in{side}.png")
                if not os.path.exists(image):
                    crop(side, image)
                output_mib = (side * scale) ** 2 * 3 * 4 / 2**20
                rss, wall = run_upscale(args.build_dir, model, image, scale, flags, args.threads, args.timeout)
                runs_as = f"{estimate['tiles']} x {estimate['run_tile'][0]}x{estimate['run_tile'][1]}"
                arena = estimate["arena_bytes"]
                if rss is None:
                    printed.append(f"| {label} | {side} | {what} | {runs_as} | {mib(estimate['estimate_bytes'])} "
                                   f"| {mib(arena)} | {wall} | | | | |")
                    print(printed[-1], flush=True)
                    continue
                beyond = rss - floor - output_mib if floor is not None else None
                under = "-" if budget is None or beyond is None else ("yes" if beyond * 2**20 <= budget else "**no**")
                printed.append(f"| {label} | {side} | {what} | {runs_as} | {mib(estimate['estimate_bytes'])} "
                               f"| {mib(arena)} | {rss:.0f} | {'-' if floor is None else f'{floor:.0f}'} "
                               f"| {'-' if beyond is None else f'{beyond:.0f}'} | {under} "
                               f"| {wall if isinstance(wall, str) else f'{wall:.1f}'} |")
                print(printed[-1], flush=True)
    if args.tiles:
        growth_table(printed)
    print(f"\n# load average at the end {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
