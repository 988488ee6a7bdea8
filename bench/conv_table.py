#!/usr/bin/python3
"""conv_table: joins the CSV rows of conv_throughput and conv_torch (stdin) into one table:
per shape, threads and dtype, upres GFLOP/s, fraction of the measured fp32 peak, PyTorch's
GFLOP/s and the upres/PyTorch ratio; then bf16/fp32 speed-ups."""
import collections
import sys


def main():
    rows = collections.OrderedDict()
    peaks = {}
    for line in sys.stdin:
        parts = line.strip().split(",")
        if len(parts) != 9 or parts[0] == "impl":
            continue
        impl, dtype, threads, shape, ms, gflops, peak, fraction, kernel = parts
        if impl == "fma-peak":
            peaks[(dtype, threads)] = float(gflops)
            continue
        rows.setdefault((threads, dtype, shape), {})[impl] = (float(gflops), float(fraction), kernel)
    for (dtype, threads), value in sorted(peaks.items()):
        print(f"measured FMA peak {dtype} {threads} thread(s): {value:.1f} GFLOP/s")
    print()
    print("| threads | dtype | shape | upres in-place GFLOP/s | % fp32 peak | upres plain GFLOP/s | % fp32 peak "
          "| torch GFLOP/s | in-place / torch | kernel |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for (threads, dtype, shape), impls in rows.items():
        sl = impls.get("upres-slice", (float("nan"), float("nan"), "-"))
        pl = impls.get("upres-plain", (float("nan"), float("nan"), "-"))
        th = impls.get("torch", (float("nan"), float("nan"), "-"))
        print(f"| {threads} | {dtype} | {shape} | {sl[0]:.1f} | {100 * sl[1]:.0f}% | {pl[0]:.1f} | {100 * pl[1]:.0f}% "
              f"| {th[0]:.1f} | {sl[0] / th[0]:.2f} | {sl[2]} |")
    print()
    for (threads, dtype, shape), impls in rows.items():
        if dtype != "bf16" or "upres-slice" not in impls:
            continue
        fp32 = rows.get((threads, "fp32", shape), {}).get("upres-slice")
        if fp32:
            print(f"bf16 / fp32 in-place, {threads} thread(s), {shape}: {impls['upres-slice'][0] / fp32[0]:.2f}x")


if __name__ == "__main__":
    main()
