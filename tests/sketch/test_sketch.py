#!/usr/bin/python3
"""skua-sketch driver tests: least squares against numpy.linalg.lstsq for each sketch type and method, iteration
counts of sketch-preconditioned vs plain LSQR as cond(A) grows, bit-identical sketches (and close solutions) for np 1 and 4, and
clear errors (non-zero exit, no output file) on bad input. Usage: test_sketch.py --case NAME [--np P];
env SKUA_BIN (directory holding skua-sketch), SKUA_MPIEXEC, SKUA_MPIEXEC_PREFLAGS."""
import argparse
import os
import sys

import h5py
import numpy as np

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(HERE, "..", "..", "jobs", "bench"))
from skuatest import check, run, tmpdir  # noqa: E402
from sketch import generate, write  # noqa: E402  (jobs/bench/sketch.py: the benchmark's own generator)

DRIVER = "skua-sketch"
TYPES = ["gaussian", "countsketch", "sparsesign"]


def problem(dirpath, name, **kw):
    A, b = generate(**kw)
    path = os.path.join(dirpath, name)
    write(path, A, b)
    Ad = A.toarray() if hasattr(A, "toarray") else A
    return path, Ad, b


def solve(path, out, np_, args, expect_rc=(0,)):
    p = run(DRIVER, ["-task", "lsq", "-problem", path, "-output", out] + args, np_=np_, check=False)
    check(p.returncode in expect_rc, f"exit {p.returncode} (expected {expect_rc}) for {args}:\n{p.out}")
    with h5py.File(out, "r") as f:
        return f["x"][...], f["trace/residual"][...], dict(f.attrs)


def case_accuracy(np_):
    d = tmpdir()
    for sparse in (0, 1):
        path, A, b = problem(d, f"p{sparse}.h5", M=3000, d=40, cond=1e3, sparse=sparse, seed=3)
        xref = np.linalg.lstsq(A, b, rcond=None)[0]
        rref = np.linalg.norm(A @ xref - b)
        for t in TYPES:
            x, _, at = solve(path, os.path.join(d, f"o{sparse}{t}.h5"), np_, ["-sketch_type", t, "-lsq_tol", "1e-14"])
            err = np.linalg.norm(x - xref) / np.linalg.norm(xref)
            print(f"sparse={sparse} {t:12s} sketch_lsqr: {int(at['iterations'])} its, rel. error {err:.2e}")
            check(err < 1e-8, f"sketch_lsqr with {t} (sparse={sparse}): relative error {err:.3e} vs lstsq")
            x, _, _ = solve(path, os.path.join(d, f"s{sparse}{t}.h5"), np_, ["-sketch_type", t, "-lsq_method", "sketch_solve"])
            ratio = np.linalg.norm(A @ x - b) / rref
            print(f"sparse={sparse} {t:12s} sketch_solve: residual / optimal = {ratio:.3f}")
            # Sketch-and-solve is a (1 + eps) approximation of the residual, not of x.
            check(1 - 1e-12 <= ratio < 3, f"sketch_solve with {t}: residual ratio {ratio:.3f} not in [1, 3)")
        x, _, _ = solve(path, os.path.join(d, f"n{sparse}.h5"), np_, ["-lsq_method", "normal"])
        err = np.linalg.norm(x - xref) / np.linalg.norm(xref)
        check(err < 1e-8, f"normal equations: relative error {err:.3e}")
        x, _, _ = solve(path, os.path.join(d, f"l{sparse}.h5"), np_, ["-lsq_method", "lsqr", "-lsq_max_it", "5000", "-lsq_tol", "1e-14"], expect_rc=(0, 3))
        err = np.linalg.norm(x - xref) / np.linalg.norm(xref)
        check(err < 1e-8, f"plain lsqr: relative error {err:.3e}")


def case_iterations(np_):
    d = tmpdir()
    its = {}
    for cond in (1e2, 1e8):
        path, A, b = problem(d, f"c{cond:g}.h5", M=4000, d=60, cond=cond, seed=5)
        for meth in ("sketch_lsqr", "lsqr"):
            p = run(DRIVER, ["-problem", path, "-output", os.path.join(d, f"o{meth}{cond:g}.h5"), "-lsq_method", meth,
                             "-lsq_tol", "1e-10", "-lsq_max_it", "3000"], np_=np_, check=False)
            check(p.returncode in (0, 3), f"{meth} cond {cond:g}: exit {p.returncode}\n{p.out}")
            with h5py.File(os.path.join(d, f"o{meth}{cond:g}.h5"), "r") as f:
                its[meth, cond] = int(f.attrs["iterations"])
                if meth == "sketch_lsqr":
                    check(int(f.attrs["converged"]) == 1, f"sketch_lsqr did not converge at cond {cond:g}")
    print(its)
    a, b2 = its["sketch_lsqr", 1e2], its["sketch_lsqr", 1e8]
    check(max(a, b2) < 2 * min(a, b2), f"sketch_lsqr iterations not flat in cond: {a} (1e2) vs {b2} (1e8)")
    check(its["lsqr", 1e8] > 5 * its["lsqr", 1e2], f"plain LSQR iterations should grow with cond: {its}")
    check(its["lsqr", 1e8] > 5 * b2, f"plain LSQR should need far more iterations than sketched at cond 1e8: {its}")


def case_np_identical(np_):
    d = tmpdir()
    for sparse in (0, 1):
        path, A, b = problem(d, f"p{sparse}.h5", M=2001, d=30, cond=1e6, sparse=sparse, seed=7)
        for t in TYPES:
            res = []
            for n in (1, 4):
                out = os.path.join(d, f"o{sparse}{t}{n}.h5")
                run(DRIVER, ["-problem", path, "-output", out, "-sketch_type", t, "-save_sketch", "-sketch_seed", "11"], np_=n)
                with h5py.File(out, "r") as f:
                    res.append((f["sketch/SA"][...], f["sketch/Sb"][...], f["x"][...], int(f.attrs["iterations"])))
            (S1, s1, x1, i1), (S4, s4, x4, i4) = res
            dS = np.abs(S1 - S4).max() / np.abs(S1).max()
            dx = np.linalg.norm(x1 - x4) / np.linalg.norm(x1)
            print(f"sparse={sparse} {t:12s} np1 vs np4: SA {dS:.1e}, Sb {np.abs(s1 - s4).max():.1e}, x {dx:.1e}, its {i1}/{i4}")
            # Exact fixed-point accumulation: the sketch is bit-identical, not just close.
            check(np.array_equal(S1, S4) and np.array_equal(s1, s4), f"{t}: sketch not bit-identical between np 1 and 4 (max rel. diff {dS:.2e})")
            check(dx < 1e-8 and abs(i1 - i4) <= 1, f"{t}: solution differs between np 1 and 4 ({dx:.2e}, its {i1}/{i4})")
            # The sketch must really be the documented one: S A for the same S as S b.
            check(S1.shape == (4 * 30, 30), f"default sketch size should be 4 d: {S1.shape}")


def case_bad_input(np_):
    d = tmpdir()
    path, A, b = problem(d, "ok.h5", M=500, d=20, cond=10, seed=1)
    out = os.path.join(d, "out.h5")

    def bad(args, needle, prob=path):
        p = run(DRIVER, ["-problem", prob, "-output", out] + args, np_=np_, check=False)
        check(p.returncode != 0, f"{args}: expected failure, got exit 0\n{p.out}")
        check(needle in p.out, f"{args}: message should mention '{needle}':\n{p.out}")
        check(not os.path.exists(out) and not os.path.exists(out + ".partial"), f"{args}: output file left behind")

    bad(["-sketch_size", "10"], "smaller than the number of columns")
    bad(["-sketch_type", "fancy"], "fancy")
    bad(["-sketch_type", "srht"], "not implemented")
    bad(["-task", "newton"], "not implemented")
    bad(["-lsq_method", "magic"], "magic")
    An = A.copy()
    An[3, 4] = np.nan
    p2 = os.path.join(d, "nan.h5")
    write(p2, An, b)
    bad([], "NaN", prob=p2)
    p3 = os.path.join(d, "shape.h5")
    write(p3, A, b[:-1])
    bad([], "length", prob=p3)
    p4 = os.path.join(d, "wide.h5")
    write(p4, A[:10], b[:10])
    bad([], "rows >= columns", prob=p4)
    bad([], "no such file", prob=os.path.join(d, "missing.h5"))


def case_docs_example(np_):
    """Runs the h5py example of docs/sketch.md on a real output file."""
    d = tmpdir()
    path, A, b = problem(d, "p.h5", M=800, d=10, cond=1e2, seed=2)
    run(DRIVER, ["-problem", path, "-output", os.path.join(d, "out.h5")], np_=np_)
    text = open(os.path.join(HERE, "..", "..", "docs", "sketch.md")).read()
    code = text.split("```python\n", 1)[1].split("```", 1)[0]
    cwd = os.getcwd()
    os.chdir(d)
    try:
        exec(compile(code, "docs/sketch.md", "exec"), {})
    finally:
        os.chdir(cwd)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--case", required=True)
    ap.add_argument("--np", type=int, default=1)
    a = ap.parse_args()
    globals()["case_" + a.case](a.np)
    print("PASS", a.case, "np", a.np)
