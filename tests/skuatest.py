"""Shared helpers for Skua's Python tests: launching drivers under MPI and writing problem sets."""
import atexit
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np
import scipy.sparse as sp

SOURCE = os.environ.get("SKUA_SOURCE", os.path.abspath(os.path.join(os.path.dirname(__file__), "..")))
BIN = os.environ.get("SKUA_BIN", os.path.join(SOURCE, "build", "bin"))


def mpiexec(np_):
    exe = os.environ.get("SKUA_MPIEXEC", "mpiexec")
    flags = os.environ.get("SKUA_MPIEXEC_PREFLAGS", "--oversubscribe").replace(";", " ")
    return [exe, "-n", str(np_)] + shlex.split(flags)


def run(driver, args, np_=1, check=True, timeout=300):
    """Run BIN/driver under mpiexec; returns CompletedProcess with .out = stdout+stderr."""
    cmd = mpiexec(np_) + [os.path.join(BIN, driver)] + [str(a) for a in args]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    p.out = p.stdout + p.stderr
    if check and p.returncode != 0:
        fail(f"command failed ({p.returncode}): {' '.join(cmd)}\n{p.out}")
    return p


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def write_csr(group, A, index_dtype=np.int64):
    A = sp.csr_matrix(A)
    group.create_dataset("data", data=A.data.astype(np.float64))
    group.create_dataset("indices", data=A.indices.astype(index_dtype))
    group.create_dataset("indptr", data=A.indptr.astype(index_dtype))
    group.attrs["shape"] = np.array(A.shape, dtype=np.int64)


def random_system(n, seed, density=0.01, nonsym=True):
    """A well-conditioned sparse system: diagonally dominant random matrix and a random b."""
    rng = np.random.default_rng(seed)
    R = sp.random(n, n, density=density, random_state=rng, format="csr")
    if not nonsym:
        R = R + R.T
    rowsum = np.asarray(abs(R).sum(axis=1)).ravel()
    A = (R + sp.diags(rowsum + 1.0 + rng.random(n))).tocsr()
    b = rng.standard_normal(n)
    return A, b


def write_petsc_binary(path, objects):
    """PETSc binary format (big-endian, 32-bit ints): objects are scipy matrices or 1-D arrays."""
    with open(path, "wb") as f:
        for o in objects:
            if sp.issparse(o):
                A = sp.csr_matrix(o)
                A.sort_indices()
                f.write(np.array([1211216, A.shape[0], A.shape[1], A.nnz], dtype=">i4").tobytes())
                f.write(np.diff(A.indptr).astype(">i4").tobytes())
                f.write(A.indices.astype(">i4").tobytes())
                f.write(A.data.astype(">f8").tobytes())
            else:
                v = np.asarray(o, dtype=np.float64)
                f.write(np.array([1211214, v.size], dtype=">i4").tobytes())
                f.write(v.astype(">f8").tobytes())


def tmpdir():
    """A scratch folder in the working directory, removed when the test exits (kept with SKUA_KEEP_TEST_DIRS=1,
    for looking at a failure's files)."""
    d = tempfile.mkdtemp(prefix="skua-test-", dir=os.getcwd())
    if not os.environ.get("SKUA_KEEP_TEST_DIRS"):
        atexit.register(shutil.rmtree, d, True)
    return d
