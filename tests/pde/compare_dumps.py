#!/usr/bin/python3
"""The PDE dumps (fields, natural-order matrices, right-hand sides) of two runs must be byte-identical."""
import glob
import os
import sys

a, b = sys.argv[1], sys.argv[2]
files = sorted(glob.glob(a + "_*"))
if not files:
    print("FAIL: no dump files", a + "_*")
    sys.exit(1)
for fa in files:
    fb = b + fa[len(a):]
    if not os.path.exists(fb) or open(fa, "rb").read() != open(fb, "rb").read():
        print("FAIL: differs:", fa, fb)
        sys.exit(1)
print(f"{len(files)} dump files identical: OK")
