#!/usr/bin/python3
"""Writes two small networks for the engine's graph API tests: an RRDBNet (ESRGAN, basicsr
archs/rrdbnet_arch.py; 2 RRDB blocks, 16 features, growth 8, x4) and an SRVGGNetCompact (Real-ESRGAN
archs/srvgg_arch.py; 16 features, 4 convs, PReLU, x4), both the classes of models_torch_fixtures.py
with PyTorch's default initialisation. Each state-dict tensor is a raw fp32 .bin, listed with its
shape in manifest.json together with the input and both outputs.

Usage: /usr/bin/python3 engine_networks.py OUT_DIR
"""

import torch

from fixture_tensors import parse_fixture_arguments, write_manifest, write_tensor
from models_torch_fixtures import RRDBNet, SRVGGNetCompact

torch.backends.mkldnn.enabled = False
torch.set_num_threads(1)


def main():
    out_dir = parse_fixture_arguments().out_dir
    torch.manual_seed(2024)  # default initialisation, in construction order
    nets = {"rrdbnet": RRDBNet(nf=16, nb=2, gc=8).eval(),
            "compact": SRVGGNetCompact(nf=16, num_conv=4, upscale=4, act_type="prelu").eval()}
    with torch.no_grad():
        for p in nets["compact"].parameters():  # PReLU slopes vary per channel
            if p.dim() == 1 and p.shape[0] == 16:
                p.add_(torch.rand(16) * 0.2)
    x = torch.rand(1, 3, 12, 10)
    manifest = {"input": write_tensor(out_dir, "input.bin", x), "weights": {}, "outputs": {}}
    for net_name, net in nets.items():
        for key, value in net.state_dict().items():
            manifest["weights"][f"{net_name}.{key}"] = write_tensor(out_dir, f"{net_name}.{key}.bin", value)
        with torch.no_grad():
            manifest["outputs"][net_name] = write_tensor(out_dir, f"{net_name}.out.bin", net(x))
    write_manifest(out_dir, manifest)


if __name__ == "__main__":
    main()
