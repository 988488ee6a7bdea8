#!/usr/bin/python3
"""PyTorch reference for tests/models/retinaface_test.cpp and tests/pipeline/face_detector_test.cpp.

  network BACKBONE OUT_DIR H W SEED   random-weight RetinaFace ('mobilenet0.25' or 'resnet50')
      saved as OUT_DIR/retinaface_BACKBONE.pth (facexlib's key names; the resnet50 file with
      `module.` prefixes as DataParallel saves them), input.f32 [1,3,H,W] and the three outputs
      loc.f32 [1,N,4], conf.f32 [1,N,2] (softmax), landmarks.f32 [1,N,10].
  detect WEIGHTS IMAGE OUT_DIR        facexlib's get_face_landmarks_5(resize=640) + detect_faces on
      IMAGE decoded by PIL: writes OUT_DIR/pixels.u8 (the decoded RGB samples, for the C++ side
      to check its decoder against) and OUT_DIR/faces.json.

The architecture is written from facexlib (detection/retinaface.py, retinaface_net.py,
retinaface_utils.py) and torchvision's ResNet-50; the post-processing from retinaface.py and
utils/face_restoration_helper.py. Tensors are raw little-endian float32.
"""
import json
import os
import sys
from itertools import product
from math import ceil

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

torch.backends.mkldnn.enabled = False
torch.set_num_threads(2)


# --- network -------------------------------------------------------------------------------------
def conv_bn(inp, oup, stride=1, leaky=0.0, kernel=3):
    return nn.Sequential(nn.Conv2d(inp, oup, kernel, stride, kernel // 2, bias=False),
                         nn.BatchNorm2d(oup), nn.LeakyReLU(leaky))


def conv_bn_no_relu(inp, oup):
    return nn.Sequential(nn.Conv2d(inp, oup, 3, 1, 1, bias=False), nn.BatchNorm2d(oup))


def conv_dw(inp, oup, stride, leaky=0.1):
    return nn.Sequential(
        nn.Conv2d(inp, inp, 3, stride, 1, groups=inp, bias=False), nn.BatchNorm2d(inp),
        nn.LeakyReLU(leaky),
        nn.Conv2d(inp, oup, 1, 1, 0, bias=False), nn.BatchNorm2d(oup), nn.LeakyReLU(leaky))


class MobileNetBody(nn.Module):
    def __init__(self):
        super().__init__()
        self.stage1 = nn.Sequential(conv_bn(3, 8, 2, 0.1), conv_dw(8, 16, 1), conv_dw(16, 32, 2),
                                    conv_dw(32, 32, 1), conv_dw(32, 64, 2), conv_dw(64, 64, 1))
        self.stage2 = nn.Sequential(conv_dw(64, 128, 2), *[conv_dw(128, 128, 1) for _ in range(5)])
        self.stage3 = nn.Sequential(conv_dw(128, 256, 2), conv_dw(256, 256, 1))

    def forward(self, x):
        a = self.stage1(x)
        b = self.stage2(a)
        return [a, b, self.stage3(b)]


class Bottleneck(nn.Module):
    def __init__(self, inp, width, stride):
        super().__init__()
        out = width * 4
        self.conv1 = nn.Conv2d(inp, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, out, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out)
        self.downsample = None
        if stride != 1 or inp != out:
            self.downsample = nn.Sequential(nn.Conv2d(inp, out, 1, stride, bias=False), nn.BatchNorm2d(out))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        return F.relu(y + (x if self.downsample is None else self.downsample(x)))


class ResNet50Body(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        inp = 64
        for i, (blocks, width) in enumerate(zip([3, 4, 6, 3], [64, 128, 256, 512])):
            layer = []
            for b in range(blocks):
                layer.append(Bottleneck(inp, width, 2 if (i > 0 and b == 0) else 1))
                inp = width * 4
            setattr(self, 'layer%d' % (i + 1), nn.Sequential(*layer))

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 3, 2, 1)
        x = self.layer1(x)
        a = self.layer2(x)
        b = self.layer3(a)
        return [a, b, self.layer4(b)]


class FPN(nn.Module):
    def __init__(self, ins, out):
        super().__init__()
        leaky = 0.1 if out <= 64 else 0.0
        self.output1 = conv_bn(ins[0], out, 1, leaky, kernel=1)
        self.output2 = conv_bn(ins[1], out, 1, leaky, kernel=1)
        self.output3 = conv_bn(ins[2], out, 1, leaky, kernel=1)
        self.merge1 = conv_bn(out, out, 1, leaky)
        self.merge2 = conv_bn(out, out, 1, leaky)

    def forward(self, xs):
        o1, o2, o3 = self.output1(xs[0]), self.output2(xs[1]), self.output3(xs[2])
        o2 = self.merge2(o2 + F.interpolate(o3, size=o2.shape[2:], mode='nearest'))
        o1 = self.merge1(o1 + F.interpolate(o2, size=o1.shape[2:], mode='nearest'))
        return [o1, o2, o3]


class SSH(nn.Module):
    def __init__(self, c):
        super().__init__()
        leaky = 0.1 if c <= 64 else 0.0
        self.conv3X3 = conv_bn_no_relu(c, c // 2)
        self.conv5X5_1 = conv_bn(c, c // 4, 1, leaky)
        self.conv5X5_2 = conv_bn_no_relu(c // 4, c // 4)
        self.conv7X7_2 = conv_bn(c // 4, c // 4, 1, leaky)
        self.conv7x7_3 = conv_bn_no_relu(c // 4, c // 4)

    def forward(self, x):
        a = self.conv3X3(x)
        b1 = self.conv5X5_1(x)
        b = self.conv5X5_2(b1)
        c = self.conv7x7_3(self.conv7X7_2(b1))
        return F.relu(torch.cat([a, b, c], 1))


class Head(nn.Module):
    def __init__(self, c, values):
        super().__init__()
        self.values = values
        self.conv1x1 = nn.Conv2d(c, 2 * values, 1)

    def forward(self, x):
        y = self.conv1x1(x).permute(0, 2, 3, 1).contiguous()
        return y.view(y.shape[0], -1, self.values)


class RetinaFace(nn.Module):
    def __init__(self, backbone):
        super().__init__()
        self.body = MobileNetBody() if backbone == 'mobilenet0.25' else ResNet50Body()
        cin, cout = (32, 64) if backbone == 'mobilenet0.25' else (256, 256)
        self.fpn = FPN([cin * 2, cin * 4, cin * 8], cout)
        self.ssh1, self.ssh2, self.ssh3 = SSH(cout), SSH(cout), SSH(cout)
        self.ClassHead = nn.ModuleList([Head(cout, 2) for _ in range(3)])
        self.BboxHead = nn.ModuleList([Head(cout, 4) for _ in range(3)])
        self.LandmarkHead = nn.ModuleList([Head(cout, 10) for _ in range(3)])

    def forward(self, x):
        f = self.fpn(self.body(x))
        feats = [self.ssh1(f[0]), self.ssh2(f[1]), self.ssh3(f[2])]
        loc = torch.cat([self.BboxHead[i](v) for i, v in enumerate(feats)], 1)
        conf = torch.cat([self.ClassHead[i](v) for i, v in enumerate(feats)], 1)
        ldm = torch.cat([self.LandmarkHead[i](v) for i, v in enumerate(feats)], 1)
        return loc, F.softmax(conf, dim=-1), ldm


def write_f32(path, tensor):
    np.ascontiguousarray(tensor.detach().numpy(), dtype='<f4').tofile(path)


def make_network(backbone, out_dir, height, width, seed):
    torch.manual_seed(seed)
    net = RetinaFace(backbone)
    x = torch.rand(1, 3, height, width) * 255.0 - torch.tensor([104.0, 117.0, 123.0]).view(1, 3, 1, 1)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
                m.momentum = 1.0  # running stats := one batch's stats, so activations stay O(1)
        net.train()
        net(x)
        net.eval()
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):  # perturb so folding sees non-trivial statistics
                m.running_mean.add_(torch.randn_like(m.running_mean) * 0.05)
                m.running_var.mul_(torch.empty_like(m.running_var).uniform_(0.8, 1.25))
        loc, conf, ldm = net(x)
    state = net.state_dict()
    if backbone == 'resnet50':
        state = {'module.' + k: v for k, v in state.items()}
    torch.save(state, os.path.join(out_dir, 'retinaface_%s.pth' % backbone))
    for name, t in [('input', x), ('loc', loc), ('conf', conf), ('landmarks', ldm)]:
        write_f32(os.path.join(out_dir, '%s_%s.f32' % (backbone, name)), t)


# --- facexlib post-processing --------------------------------------------------------------------
def prior_boxes(h, w):
    anchors = []
    for min_sizes, step in zip([[16, 32], [64, 128], [256, 512]], [8, 16, 32]):
        for i, j in product(range(ceil(h / step)), range(ceil(w / step))):
            for m in min_sizes:
                anchors += [(j + 0.5) * step / w, (i + 0.5) * step / h, m / w, m / h]
    return torch.Tensor(anchors).view(-1, 4)


def decode(loc, priors, v=(0.1, 0.2)):
    boxes = torch.cat((priors[:, :2] + loc[:, :2] * v[0] * priors[:, 2:],
                       priors[:, 2:] * torch.exp(loc[:, 2:] * v[1])), 1)
    boxes[:, :2] -= boxes[:, 2:] / 2
    boxes[:, 2:] += boxes[:, :2]
    return boxes


def decode_landm(pre, priors, v=(0.1, 0.2)):
    return torch.cat([priors[:, :2] + pre[:, 2 * k:2 * k + 2] * v[0] * priors[:, 2:] for k in range(5)], 1)


def py_cpu_nms(dets, thresh):
    x1, y1, x2, y2, scores = dets[:, 0], dets[:, 1], dets[:, 2], dets[:, 3], dets[:, 4]
    areas = (x2 - x1 + 1) * (y2 - y1 + 1)
    order = scores.argsort()[::-1]
    keep = []
    while order.size > 0:
        i = order[0]
        keep.append(i)
        w = np.maximum(0.0, np.minimum(x2[i], x2[order[1:]]) - np.maximum(x1[i], x1[order[1:]]) + 1)
        h = np.maximum(0.0, np.minimum(y2[i], y2[order[1:]]) - np.maximum(y1[i], y1[order[1:]]) + 1)
        inter = w * h
        ovr = inter / (areas[i] + areas[order[1:]] - inter)
        order = order[np.where(ovr <= thresh)[0] + 1]
    return keep


def resize_bilinear(img, w, h):
    """cv2.resize(INTER_LINEAR) on uint8 as facexlib calls it; a numpy port when cv2 is absent."""
    try:
        import cv2
        return cv2.resize(img, (w, h), interpolation=cv2.INTER_LINEAR)
    except ImportError:
        pass
    src_h, src_w = img.shape[:2]

    def taps(n_out, n_in):
        f = (np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5
        f = np.maximum(f, 0.0)
        i0 = np.minimum(np.floor(f).astype(int), n_in - 1)
        return i0, np.minimum(i0 + 1, n_in - 1), f - i0
    y0, y1, fy = taps(h, src_h)
    x0, x1, fx = taps(w, src_w)
    a = img.astype(np.float64)
    rows = a[y0] * (1 - fy)[:, None, None] + a[y1] * fy[:, None, None]
    out = rows[:, x0] * (1 - fx)[None, :, None] + rows[:, x1] * fx[None, :, None]
    return np.clip(np.floor(out + 0.5), 0, 255).astype(np.uint8)


def detect(weights, image_path, out_dir):
    rgb = np.asarray(Image.open(image_path).convert('RGB'))
    rgb.tofile(os.path.join(out_dir, 'pixels.u8'))
    bgr = np.ascontiguousarray(rgb[:, :, ::-1])
    h, w = bgr.shape[:2]
    scale = max(1, 640 / min(h, w))  # get_face_landmarks_5(resize=640)
    h, w = int(h * scale), int(w * scale)
    img = resize_bilinear(bgr, w, h)
    loaded = torch.load(weights, map_location='cpu')
    state = {k[7:] if k.startswith('module.') else k: v for k, v in loaded.items()}
    net = RetinaFace('mobilenet0.25' if 'body.stage1.0.0.weight' in state else 'resnet50')
    net.load_state_dict(state)
    net.eval()
    x = torch.from_numpy(img.astype(np.float32).transpose(2, 0, 1)).unsqueeze(0)
    x = x - torch.tensor([[[[104.0]], [[117.0]], [[123.0]]]])
    with torch.no_grad():
        loc, conf, ldm = net(x)
    priors = prior_boxes(h, w)
    boxes = (decode(loc[0], priors) * torch.tensor([w, h, w, h], dtype=torch.float32)).numpy()
    marks = (decode_landm(ldm[0], priors) * torch.tensor([w, h] * 5, dtype=torch.float32)).numpy()
    scores = conf[0, :, 1].numpy()
    inds = np.where(scores > 0.8)[0]
    boxes, marks, scores = boxes[inds], marks[inds], scores[inds]
    order = scores.argsort()[::-1]
    boxes, marks, scores = boxes[order], marks[order], scores[order]
    dets = np.hstack((boxes, scores[:, None])).astype(np.float32)
    keep = py_cpu_nms(dets, 0.4)
    dets, marks = dets[keep], marks[keep]
    faces = [{'box': (d[:4] / scale).tolist(), 'score': float(d[4]),
              'landmarks': (m / scale).reshape(5, 2).tolist()} for d, m in zip(dets, marks)]
    with open(os.path.join(out_dir, 'faces.json'), 'w') as f:
        json.dump({'width': int(rgb.shape[1]), 'height': int(rgb.shape[0]), 'faces': faces}, f)


if __name__ == '__main__':
    if len(sys.argv) == 7 and sys.argv[1] == 'network':
        make_network(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]))
    elif len(sys.argv) == 5 and sys.argv[1] == 'detect':
        detect(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(__doc__)
