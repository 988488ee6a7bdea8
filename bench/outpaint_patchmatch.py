#!/usr/bin/python3
"""PatchMatch outpainting: wall time and peak memory of `upres outpaint --aspect 16:9` at
1024x768 and 4000x3000 (made from a Set14 photo with `upres upscale --to WxH --crop`), and a seam
score on real photos against OpenCV's Telea inpainting (the baseline; it is used here only).

Seam score: the squared colour step across each side of the original's edge (first new pixel minus
last original pixel, across the seam), over the mean squared step between neighbouring pixels in
the original in the same direction. 1 = the seam is as visible as any pixel step of the photo;
lower = smoother than the photo (Telea's smearing reaches that); much higher = a visible seam.
Band: the largest such score over the first 12 new columns (or rows), so a seam that a blend only
moves outward still counts. Texture: the mean squared step inside the new border (beyond 8 px from the seam) over the
original's: ~1 = as detailed as the photo, ~0 = smeared.

Usage: bench/outpaint_patchmatch.py BUILD_DIR [--threads 2] [--photos DIR...] [--skip-large]
"""
import argparse
import glob
import os
import re
import subprocess
import tempfile
import time

import cv2
import numpy as np


def run_timed(command, threads):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    cmd = ["/usr/bin/time", "-v", "taskset", "-c", ",".join(str(i) for i in range(threads))] + command
    start = time.monotonic()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.monotonic() - start
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{done.stdout}\n{done.stderr}")
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1))
    return wall, rss_kb / 1024


def canvas_plan(width, height):
    """Where the original sits on a 16:9 canvas, as upres plans it (short side grows, centred)."""
    ratio = 16 / 9
    if width / height < ratio:
        new_w = max(width, round(height * ratio))
        left = (new_w - width) // 2
        return new_w, height, left, 0
    new_h = max(height, round(width / ratio))
    top = (new_h - height) // 2
    return width, new_h, 0, top


def step_energy(img, axis):
    d = np.diff(img.astype(np.float64), axis=axis)
    return (d ** 2).sum(axis=-1)


def scores(result, original_shape, left, top, band=12):
    """(seam, band, texture): band = the largest step score over the first `band` new columns or
    rows, so a seam moved outward by a blend still shows."""
    h, w = original_shape[:2]
    r = result.astype(np.float64)
    orig = r[top:top + h, left:left + w]
    seams, bands, texture_new = [], [], []
    def seam_steps(line, inner, outer, limit):
        """Step scores across the seam (inner: last original line, outer: first new) and k lines out."""
        d = outer - inner
        return [(((line(outer + d * k) - line(inner + d * k)) ** 2).sum(-1)).mean()
                for k in range(band) if 0 <= outer + d * k < limit]

    if left > 0:  # vertical seams: left and right, horizontal steps
        mean_step = step_energy(orig, 1).mean()
        column = lambda x: r[top:top + h, x]
        for inner, outer in ((left, left - 1), (left + w - 1, left + w)):
            if 0 <= outer < r.shape[1]:
                steps = seam_steps(column, inner, outer, r.shape[1])
                seams.append(steps[0] / mean_step)
                bands.append(max(steps) / mean_step)
        for band_pixels in (r[top:top + h, :max(0, left - 8)], r[top:top + h, left + w + 8:]):
            if band_pixels.shape[1] > 2:
                texture_new.append(step_energy(band_pixels, 1).mean() / mean_step)
    if top > 0:
        mean_step = step_energy(orig, 0).mean()
        row = lambda y: r[y, left:left + w]
        for inner, outer in ((top, top - 1), (top + h - 1, top + h)):
            if 0 <= outer < r.shape[0]:
                steps = seam_steps(row, inner, outer, r.shape[0])
                seams.append(steps[0] / mean_step)
                bands.append(max(steps) / mean_step)
        for band_pixels in (r[:max(0, top - 8), left:left + w], r[top + h + 8:, left:left + w]):
            if band_pixels.shape[0] > 2:
                texture_new.append(step_energy(band_pixels, 0).mean() / mean_step)
    return (float(np.mean(seams)), float(np.mean(bands)),
            float(np.mean(texture_new)) if texture_new else float("nan"))


def telea(original, width, height, left, top):
    canvas = np.zeros((height, width, 3), np.uint8)
    mask = np.full((height, width), 255, np.uint8)
    h, w = original.shape[:2]
    canvas[top:top + h, left:left + w] = original
    mask[top:top + h, left:left + w] = 0
    return cv2.inpaint(canvas, mask, 3, cv2.INPAINT_TELEA)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--photos", nargs="*", default=None)
    parser.add_argument("--skip-large", action="store_true")
    parser.add_argument("--keep", action="store_true", help="also save Telea's results beside ours")
    args = parser.parse_args()
    upres = os.path.join(args.build, "src/cli/upres")
    here = os.path.dirname(os.path.abspath(__file__))
    shared = os.path.join(here, "..", "..", "shared", "images")
    photos = args.photos or sorted(glob.glob(os.path.join(shared, "set14", "*.png")) +
                                   glob.glob(os.path.join(shared, "set5", "*.png")) +
                                   glob.glob(os.path.join(shared, "faces", "*.jpg")))
    work = tempfile.mkdtemp(prefix="upres_outpaint_bench_")
    print(f"upres outpaint, {args.threads} thread(s), CPU: ", end="")
    print(subprocess.run(["sh", "-c", "lscpu | sed -n 's/^Model name: *//p'"], capture_output=True,
                         text=True).stdout.strip())

    print("\n| case | canvas | wall s | max RSS MiB |")
    print("|---|---|---|---|")
    sizes = [(1024, 768)] + ([] if args.skip_large else [(4000, 3000)])
    for width, height in sizes:
        source = os.path.join(shared, "set14", "bridge.png")
        made = os.path.join(work, f"in_{width}")
        subprocess.run([upres, "upscale", source, "--to", f"{width}x{height}", "--crop", "--upscaler", "Lanczos",
                        "-o", made], check=True, capture_output=True)
        picture = os.path.join(made, "00000.png")
        out = os.path.join(work, f"out_{width}")
        wall, rss = run_timed([upres, "outpaint", picture, "--aspect", "16:9", "-o", out], args.threads)
        cw, ch, _, _ = canvas_plan(width, height)
        print(f"| {width}x{height} -> 16:9 | {cw}x{ch} | {wall:.2f} | {rss:.0f} |")

    print("\n| photo | size | canvas | seam PatchMatch | seam Telea | band PatchMatch | band Telea "
          "| texture PatchMatch | texture Telea | PatchMatch s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    totals = []
    for photo in photos:
        original = cv2.imread(photo, cv2.IMREAD_COLOR)
        if original is None:
            continue
        h, w = original.shape[:2]
        cw, ch, left, top = canvas_plan(w, h)
        if (cw, ch) == (w, h):
            continue
        out = os.path.join(work, "photo_" + os.path.basename(photo))
        wall, _ = run_timed([upres, "outpaint", photo, "--aspect", "16:9", "-o", out], args.threads)
        ours = cv2.imread(os.path.join(out, "00000.png"), cv2.IMREAD_COLOR)
        base = telea(original, cw, ch, left, top)
        s_pm, b_pm, t_pm = scores(ours, original.shape, left, top)
        s_te, b_te, t_te = scores(base, original.shape, left, top)
        totals.append((s_pm, s_te, b_pm, b_te, t_pm, t_te))
        name = os.path.relpath(photo, shared) if photo.startswith(shared) else photo
        print(f"| {name} | {w}x{h} | {cw}x{ch} | {s_pm:.2f} | {s_te:.2f} | {b_pm:.2f} | {b_te:.2f} | {t_pm:.2f} "
              f"| {t_te:.2f} | {wall:.2f} |")
        if args.keep:
            cv2.imwrite(os.path.join(work, "telea_" + os.path.basename(photo) + ".png"), base)
    if totals:
        m = np.mean(np.array(totals), axis=0)
        print(f"| **mean** | | | {m[0]:.2f} | {m[1]:.2f} | {m[2]:.2f} | {m[3]:.2f} | {m[4]:.2f} | {m[5]:.2f} | |")
    print(f"\noutputs kept in {work}")


if __name__ == "__main__":
    main()
