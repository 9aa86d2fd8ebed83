#!/usr/bin/python3
"""Install Skua into a temporary prefix and build an outside project with find_package(Skua)."""
import argparse
import os
import shutil
import subprocess
import tempfile

from skuatest import check, mpiexec

ap = argparse.ArgumentParser()
ap.add_argument("--build", required=True)
a = ap.parse_args()
here = os.path.dirname(os.path.abspath(__file__))
work = tempfile.mkdtemp(prefix="skua-install-", dir=os.getcwd())
prefix = os.path.join(work, "prefix")


def sh(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    check(p.returncode == 0, f"{' '.join(cmd)} failed:\n{p.stdout}\n{p.stderr}")
    return p


sh(["cmake", "--install", a.build, "--prefix", prefix])
check(os.path.exists(os.path.join(prefix, "include", "skua.h")), "skua.h not installed")
check(os.path.exists(os.path.join(prefix, "bin", "skua-solve")), "skua-solve not installed")
cbuild = os.path.join(work, "consumer-build")
sh(["cmake", "-S", os.path.join(here, "consumer"), "-B", cbuild, f"-DCMAKE_PREFIX_PATH={prefix}"])
sh(["cmake", "--build", cbuild])
p = sh(mpiexec(2) + [os.path.join(cbuild, "consumer")])
check(p.stdout.startswith("consumer: ") and p.stdout.strip().endswith("OK"), "consumer did not run:\n" + p.stdout + p.stderr)
p = sh([os.path.join(prefix, "bin", "skua-solve"), "-help"])
check("-problem" in p.stdout, "installed skua-solve does not run")
shutil.rmtree(work)
print("install + find_package(Skua): OK")
