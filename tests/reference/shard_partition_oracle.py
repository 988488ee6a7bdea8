#!/usr/bin/env python3
"""Independent implementation of upres's shard partition (src/pipeline/shard_partition.cpp):
FNV-1a 64 over the UTF-8 relative path, the splitmix64 finaliser, then jump consistent hashing
(Lamping & Veach 2014). Prints the values tests/pipeline/shard_partition_test.cpp expects."""
M=(1<<64)-1
def h(key):
    x=0xcbf29ce484222325
    for b in key.encode():
        x^=b; x=(x*0x100000001b3)&M
    x^=x>>30; x=(x*0xbf58476d1ce4e5b9)&M
    x^=x>>27; x=(x*0x94d049bb133111eb)&M
    x^=x>>31
    return x
def jump(key,n):
    k=h(key); b=-1; j=0
    while j<n:
        b=j; k=(k*2862933555777941757+1)&M
        j=int((b+1)*((1<<31)/((k>>33)+1)))
    return b
keys=["a.png","b.png","c.png","scans/0001.tif","scans/0002.tif","film/frame_000001.png","film/frame_000002.png","photos/été.jpg","x","deep/a/b/c.webp"]
print(hex(h("a.png")), hex(h("")))
for n in (4,16):
    print(n,[jump(k,n) for k in keys])
