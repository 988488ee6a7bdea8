"""facexlib's alignment and square-mask paste-back, computed with OpenCV as facexlib does it, for
tests/pipeline/face_paste_test.cpp. Writes raw little-endian float32 files into OUT_DIR:
  picture.f32 [H, W, 3], face.f32 [512, 512, 3], landmarks.f32 [5, 2], labels.u8 [512, 512]
  (inputs, seeded); parse_mask.f32 [512, 512] and pasted_parse.f32 [H, W, 3] (the parsing branch);
  matrix.f32 [2, 3] (cv2.estimateAffinePartial2D, LMEDS), crop.f32 [512, 512, 3] (warpAffine with
  facexlib's grey border), pasted.f32 [H, W, 3] (paste_faces_to_input_image, use_parse=False,
  upscale_factor 1), mask.f32 / eroded.f32 / blurred.f32 [H, W] (the filters on their own).
Usage: face_paste_cv2.py OUT_DIR"""
import os
import sys

import cv2
import numpy as np

TEMPLATE = np.array([[192.98138, 239.94708], [318.90277, 240.1936], [256.63416, 314.01935],
                     [201.26117, 371.41043], [313.08905, 371.15118]], dtype=np.float32)
H, W = 300, 420


def smooth_noise(rng, h, w, channels, cells):
    """A picture with structure at several scales (bilinear-upsampled random grids)."""
    out = np.zeros((h, w, channels), np.float32)
    for c in cells:
        grid = rng.random((c, c, channels), dtype=np.float32)
        out += cv2.resize(grid, (w, h), interpolation=cv2.INTER_LINEAR).reshape(h, w, channels)
    return (out / len(cells)).astype(np.float32)


def main():
    out_dir = sys.argv[1]
    rng = np.random.default_rng(1234)
    picture = smooth_noise(rng, H, W, 3, [4, 16, 64])
    face = smooth_noise(rng, 512, 512, 3, [8, 32])
    # Landmarks: the template seen at a scale of ~0.35, rotated 12 degrees, moved, plus noise.
    angle, scale = np.deg2rad(12.0), 0.35
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]) * scale
    landmarks = (TEMPLATE @ rot.T + np.array([270.0, -25.0]) + rng.normal(0, 0.6, (5, 2))).astype(np.float32)

    matrix = cv2.estimateAffinePartial2D(landmarks, TEMPLATE, method=cv2.LMEDS)[0]
    # facexlib align_warp_face: BGR border (135, 133, 132); our pictures are RGB.
    crop = cv2.warpAffine(picture, matrix, (512, 512), borderMode=cv2.BORDER_CONSTANT,
                          borderValue=(132 / 255.0, 133 / 255.0, 135 / 255.0))
    inverse = cv2.invertAffineTransform(matrix)

    # facexlib paste_faces_to_input_image, use_parse False, upscale_factor 1.
    inv_restored = cv2.warpAffine(face, inverse, (W, H))
    mask = np.ones((512, 512), dtype=np.float32)
    inv_mask = cv2.warpAffine(mask, inverse, (W, H))
    inv_mask_erosion = cv2.erode(inv_mask, np.ones((2, 2), np.uint8))
    pasted_face = inv_mask_erosion[:, :, None] * inv_restored
    total_face_area = np.sum(inv_mask_erosion)
    w_edge = int(total_face_area**0.5) // 20
    erosion_radius = w_edge * 2
    inv_mask_center = cv2.erode(inv_mask_erosion, np.ones((erosion_radius, erosion_radius), np.uint8))
    blur_size = w_edge * 2
    inv_soft_mask = cv2.GaussianBlur(inv_mask_center, (blur_size + 1, blur_size + 1), 0)[:, :, None]
    pasted = inv_soft_mask * pasted_face + (1 - inv_soft_mask) * picture

    # The filters alone, on a mask that touches the picture's edges (erosion ignores the border,
    # the blur reflects it).
    edge_mask = np.zeros((H, W), np.float32)
    edge_mask[0:120, 0:200] = 1.0
    edge_mask[150:, 300:] = rng.random((H - 150, W - 300), dtype=np.float32)
    eroded = cv2.erode(edge_mask, np.ones((7, 7), np.uint8))
    blurred = cv2.GaussianBlur(edge_mask, (31, 31), 0)
    blurred5 = cv2.GaussianBlur(edge_mask, (5, 5), 0)

    # The parsing branch (use_parse=True): a synthetic ParseNet map: background, a skin ellipse
    # with a nose, hair on top, neck below.
    yy, xx = np.mgrid[0:512, 0:512]
    labels = np.zeros((512, 512), np.uint8)
    labels[((xx - 256) / 170.0) ** 2 + ((yy - 280) / 210.0) ** 2 < 1] = 1
    labels[(abs(xx - 256) < 30) & (abs(yy - 300) < 50)] = 10
    labels[(yy < 140) & (labels == 0)] = 17
    labels[(yy > 440) & (abs(xx - 256) < 90)] = 14
    colormap = [0, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 0, 255, 0, 0, 0]
    parse = np.zeros(labels.shape)
    for idx, color in enumerate(colormap):
        parse[labels == idx] = color
    parse = cv2.GaussianBlur(parse, (101, 101), 11)
    parse = cv2.GaussianBlur(parse, (101, 101), 11)
    parse[:10, :] = 0
    parse[-10:, :] = 0
    parse[:, :10] = 0
    parse[:, -10:] = 0
    parse = parse / 255.
    parse = cv2.resize(parse, face.shape[:2])
    parse_warped = cv2.warpAffine(parse, inverse, (W, H), flags=3)[:, :, None]
    pasted_parse = parse_warped * inv_restored + (1 - parse_warped) * picture

    labels.tofile(os.path.join(out_dir, "labels.u8"))
    files = {"parse_mask": parse, "pasted_parse": pasted_parse, "picture": picture, "face": face, "landmarks": landmarks, "matrix": matrix, "crop": crop,
             "pasted": pasted, "mask": edge_mask, "eroded": eroded, "blurred": blurred,
             "blurred5": blurred5}
    for name, array in files.items():
        np.ascontiguousarray(array, dtype="<f4").tofile(os.path.join(out_dir, name + ".f32"))
    print("paste reference: w_edge", w_edge, "face area", float(total_face_area))


if __name__ == "__main__":
    main()
