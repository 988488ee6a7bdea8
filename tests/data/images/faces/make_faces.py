#!/usr/bin/python3
"""Rebuilds portrait.jpg and group_small.jpg from scikit-image's astronaut.png (Eileen Collins,
NASA, public domain), as Debian's python3-skimage ships it. Nothing is installed:

    cd /tmp && apt-get download python3-skimage && dpkg-deb -x python3-skimage_*_all.deb skimage-deb
    /usr/bin/python3 tests/data/images/faces/make_faces.py \
        /tmp/skimage-deb/usr/lib/python3/dist-packages/skimage/data/astronaut.png tests/data/images/faces

portrait.jpg: the whole 512x512 photo at 384x384 (one face). group_small.jpg: 320x200, the head
(astronaut.png's box x 130-330, y 0-230) pasted three times at different sizes, the middle copy
mirrored, on the photo's grey backdrop (box x 315-385, y 0-50, stretched). COPIES below is what the
tests derive their expected face positions from (tests/pipeline/face_detector_test.cpp).
"""
import sys

from PIL import Image, ImageOps

HEAD_BOX = (130, 0, 330, 230)
BACKDROP_BOX = (315, 0, 385, 50)
# (width, left, top, mirrored) of each copy of the head in group_small.jpg; height keeps the aspect.
COPIES = ((72, 10, 80, False), (110, 100, 30, True), (88, 224, 70, False))


def main(source, out_dir):
    photo = Image.open(source).convert("RGB")
    photo.resize((384, 384), Image.LANCZOS).save(out_dir + "/portrait.jpg", quality=90, optimize=True)
    head = photo.crop(HEAD_BOX)
    canvas = photo.crop(BACKDROP_BOX).resize((320, 200), Image.BILINEAR)
    for width, left, top, mirrored in COPIES:
        height = round(width * head.height / head.width)
        piece = head.resize((width, height), Image.LANCZOS)
        canvas.paste(ImageOps.mirror(piece) if mirrored else piece, (left, top))
    canvas.save(out_dir + "/group_small.jpg", quality=92, optimize=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
