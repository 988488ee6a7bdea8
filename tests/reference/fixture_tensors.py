"""How the PyTorch fixture scripts hand tensors to the C++ tests: raw little-endian float32 files
plus a manifest entry naming the file and its shape."""
import os


def write_tensor(out_dir, name, tensor):
    tensor.detach().contiguous().numpy().astype("<f4").tofile(os.path.join(out_dir, name))
    return {"file": name, "shape": list(tensor.shape)}
