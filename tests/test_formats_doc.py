#!/usr/bin/python3
"""Runs docs/formats.md as a user would: the write example, the skua-solve line, the read example."""
import os
import re
import shlex
import subprocess
import sys

from skuatest import BIN, SOURCE, check, mpiexec, tmpdir

doc = open(os.path.join(SOURCE, "docs", "formats.md")).read()
blocks = re.findall(r"```python\n(.*?)```", doc, re.S)
check(len(blocks) == 2, f"expected 2 python examples in docs/formats.md, found {len(blocks)}")
solve = re.search(r"Solve it: `mpirun -n (\d+) build/bin/(skua-solve [^`]*)`", doc)
check(solve is not None, "docs/formats.md lacks the 'Solve it: `mpirun ...`' line")
d = tmpdir()
os.chdir(d)


def run_py(code):
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    check(p.returncode == 0, f"example failed:\n{code}\n{p.stdout}{p.stderr}")
    return p.stdout


run_py(blocks[0])
args = shlex.split(solve.group(2))
p = subprocess.run(mpiexec(int(solve.group(1))) + [os.path.join(BIN, args[0])] + args[1:], capture_output=True, text=True)
check(p.returncode == 0, f"documented skua-solve command failed:\n{p.stdout}{p.stderr}")
out = run_py(blocks[1])
check("relative residual" in out, "read example printed nothing")
print(out.strip())
print("formats doc example: OK")
