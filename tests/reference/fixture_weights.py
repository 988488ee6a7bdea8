"""How the PyTorch fixture scripts make and store a test network's weights: random values drawn from
a seed by each architecture's rule, .pth files in the wrappers trainers save them in, .safetensors,
and damaged copies the C++ loaders must refuse. Plain functions without state."""
import json
import os
import struct

import torch


def fan_in_normal(p, gen):
    """N(0, 1 / fan_in) for a weight of rank >= 2 (fan_in: the elements of one output row), so a
    layer keeps its activations unit-sized."""
    return torch.randn(p.shape, generator=gen) * (1.0 / p[0].numel()) ** 0.5


def unit_scale_parameter(name, p, gen):
    """A parameter rule for randomize_weights: norm gains 1 + N(0, 0.2^2), other vectors (biases,
    scales) N(0, 0.05^2), weights fan_in_normal."""
    if p.dim() == 1 and "norm" in name and name.endswith("weight"):
        return 1 + torch.randn(p.shape, generator=gen) * 0.2
    if p.dim() == 1:
        return torch.randn(p.shape, generator=gen) * 0.05
    return fan_in_normal(p, gen)


def batch_norm_statistics(name, buf, gen):
    """A buffer rule for randomize_weights: running means near 0 and variances in [0.5, 1.5), so
    eval-mode batch norm is not the identity; other buffers kept (None)."""
    if name.endswith("running_mean"):
        return torch.randn(buf.shape, generator=gen) * 0.1
    if name.endswith("running_var"):
        return torch.rand(buf.shape, generator=gen) + 0.5
    return None


def randomize_weights(net, seed, draw_parameter, draw_buffer=None):
    """Replaces every parameter by draw_parameter(name, p, gen), in named_parameters order, then every
    buffer for which draw_buffer(name, buf, gen) gives a tensor, all from one generator seeded with
    seed: the fixtures depend on that order. Returns net in eval mode."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in net.named_parameters():
            p.copy_(draw_parameter(name, p, gen))
        if draw_buffer is not None:
            for name, buf in net.named_buffers():
                value = draw_buffer(name, buf, gen)
                if value is not None:
                    buf.copy_(value)
    return net.eval()


def checkpoint(state_dict, wrapper=None):
    """What a trainer saves around a state dict. wrapper None: the bare dict; "params" or
    "params_ema": basicsr's {wrapper: state_dict}; "module": DataParallel's "module." key prefix;
    "state_dict_module": {"state_dict": {"module." + key: tensor}}."""
    if wrapper is None:
        return state_dict
    if wrapper in ("params", "params_ema"):
        return {wrapper: state_dict}
    prefixed = {"module." + k: v for k, v in state_dict.items()}
    if wrapper == "module":
        return prefixed
    if wrapper == "state_dict_module":
        return {"state_dict": prefixed}
    raise ValueError(f"unknown checkpoint wrapper {wrapper!r}")


def save_pth(out_dir, file, state_dict, wrapper=None, legacy=False):
    """Writes checkpoint(state_dict, wrapper) to OUT_DIR/FILE, as a zip .pth or, with legacy, in
    torch's pre-1.6 format; returns file. The mapping is pickled as given: net.state_dict() (an
    OrderedDict with _metadata) and dict(net.state_dict()) make different files, and both occur."""
    torch.save(checkpoint(state_dict, wrapper), os.path.join(out_dir, file), _use_new_zipfile_serialization=not legacy)
    return file


def save_damaged(out_dir, file, state_dict, changes):
    """Writes state_dict with changes (key -> replacement tensor, or None to drop the key; the other
    keys keep their order) to OUT_DIR/FILE as a zip .pth; returns file."""
    damaged = dict(state_dict)
    for key, value in changes.items():
        if value is None:
            del damaged[key]
        else:
            damaged[key] = value
    torch.save(damaged, os.path.join(out_dir, file))
    return file


def write_safetensors(path, state_dict, metadata=None):
    """A float32 .safetensors file: little-endian header length, JSON header padded with spaces to a
    multiple of 8 bytes, then the tensors back to back in state_dict order."""
    header = {}
    blobs = []
    offset = 0
    for key, tensor in state_dict.items():
        data = tensor.detach().contiguous().numpy().astype("<f4").tobytes()
        header[key] = {"dtype": "F32", "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)
