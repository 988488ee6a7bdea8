"""Window-attention pieces the test suite's PyTorch transformers share: SwinIR/Swin2SR, HAT and DAT
use all of them, SCUNet the window partition and the relative position index, OmniSR the index.

Written from Swin Transformer's semantics (Liu et al. 2021, window_partition / window_reverse /
relative_position_index / the shifted-window attn_mask of the original code), which these
architectures inherit; windows may be rectangular (DAT's H x W and W x H branches).
"""
import torch


def to_windows(x, wh, ww=None):
    """[B, H, W, C] -> [B * nW, wh * ww, C], windows in row-major order (H, W multiples of the window)."""
    ww = wh if ww is None else ww
    b, h, w, c = x.shape
    x = x.reshape(b, h // wh, wh, w // ww, ww, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(-1, wh * ww, c)


def from_windows(windows, h, w, wh, ww=None):
    """The inverse of to_windows: [B * nW, wh * ww, C] -> [B, H, W, C]."""
    ww = wh if ww is None else ww
    c = windows.shape[-1]
    x = windows.reshape(-1, h // wh, w // ww, wh, ww, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(-1, h, w, c)


def relative_index(wh, ww=None):
    """relative_position_index: [N, N], the row of the (2wh-1) x (2ww-1) bias table for query i, key j."""
    ww = wh if ww is None else ww
    ys, xs = torch.meshgrid(torch.arange(wh), torch.arange(ww), indexing="ij")
    ys, xs = ys.flatten(), xs.flatten()
    dy = ys[:, None] - ys[None, :] + wh - 1
    dx = xs[:, None] - xs[None, :] + ww - 1
    return dy * (2 * ww - 1) + dx


def _region_labels(size, window, shift):
    """Which of the rolled map's three bands (0, 1, 2) each row or column lies in; one band unshifted."""
    labels = torch.zeros(size)
    if shift == 0:
        labels[:] = 2
    else:
        labels[size - window:size - shift] = 1
        labels[size - shift:] = 2
    return labels


def shift_mask(h, w, wh, ww, shift_h, shift_w):
    """The shifted-window attention mask [nW, N, N]: 0 within a region of the rolled map, -100 across."""
    img = (_region_labels(h, wh, shift_h)[:, None] * 3 + _region_labels(w, ww, shift_w)[None, :]).reshape(1, h, w, 1)
    labels = to_windows(img, wh, ww).squeeze(-1)
    diff = labels[:, None, :] - labels[:, :, None]
    return torch.where(diff != 0, torch.tensor(-100.0), torch.tensor(0.0))


def add_window_mask(scores, mask):
    """scores [B * nW, heads, N, N] + mask [nW, N, N], each window getting its own mask."""
    bw, heads, n, _ = scores.shape
    nw = mask.shape[0]
    return (scores.reshape(bw // nw, nw, heads, n, n) + mask[None, :, None]).reshape(bw, heads, n, n)
