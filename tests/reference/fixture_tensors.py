"""How the PyTorch fixture scripts hand tensors to the C++ tests: into the OUT_DIR named on their
command line, raw little-endian float32 files, manifest entries naming each file and its shape, runs
(an input with the network's output on it) and the manifest.json that lists them. Plain functions
without state."""
import argparse
import json
import os

import torch


def parse_fixture_arguments(parser=None):
    """A fixture script's command line: OUT_DIR (made if missing) besides the options parser already
    declares; returns the parsed arguments."""
    parser = parser or argparse.ArgumentParser()
    parser.add_argument("out_dir")
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    return args


def write_tensor(out_dir, name, tensor):
    tensor.detach().contiguous().numpy().astype("<f4").tofile(os.path.join(out_dir, name))
    return {"file": name, "shape": list(tensor.shape)}


def write_run(out_dir, net, x, input_file, expected_file):
    """Writes x and net(x) (run without autograd); returns the run's manifest entry."""
    with torch.no_grad():
        return {"input": write_tensor(out_dir, input_file, x),
                "expected": write_tensor(out_dir, expected_file, net(x))}


def write_random_runs(out_dir, name, net, sizes, gen):
    """One run per (h, w) of sizes on a uniform [1, 3, h, w] input drawn from gen in that order,
    written as NAME.HxW.in.bin and NAME.HxW.out.bin."""
    return [write_run(out_dir, net, torch.rand((1, 3, h, w), generator=gen), f"{name}.{h}x{w}.in.bin",
                      f"{name}.{h}x{w}.out.bin") for h, w in sizes]


def write_manifest(out_dir, manifest):
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
