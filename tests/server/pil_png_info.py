"""Prints, as JSON, what PIL's Image.open(f).info holds for each PNG given, WITHOUT load():
the text chunks a reader that stops at the first IDAT sees (the reference UI's readers do).
Run with /usr/bin/python3 (Debian's PIL)."""
import json
import sys

from PIL import Image

result = {}
for path in sys.argv[1:]:
    with Image.open(path) as im:
        result[path] = {k: v for k, v in im.info.items() if isinstance(k, str) and isinstance(v, str)}
print(json.dumps(result))
