#!/usr/bin/python3
"""skua-bcd driver tests: objectives against scipy references, L1 optimality conditions, greedy vs random on the
paper's problem A, identical traces for np 1 and 4, and clear errors (no output file) on bad input.
Usage: test_bcd.py --case NAME [--np P]; env SKUA_BIN, SKUA_MPIEXEC, SKUA_MPIEXEC_PREFLAGS."""
import argparse
import os
import re
import subprocess
import sys

import h5py
import numpy as np
import scipy.optimize as so
import scipy.sparse as sp

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from skuatest import check, run, tmpdir, write_csr  # noqa: E402

DRIVER = "skua-bcd"


def write_problem(path, A, b, dense=False):
    with h5py.File(path, "w") as F:
        if dense:
            F["A"] = np.asarray(A.todense() if sp.issparse(A) else A, dtype=np.float64)
        else:
            write_csr(F.create_group("A"), A)
        F["b"] = np.asarray(b, dtype=np.float64)


def write_svm(path, A, b):
    A = sp.csr_matrix(A)
    with open(path, "w") as f:
        for i in range(A.shape[0]):
            lo, hi = A.indptr[i], A.indptr[i + 1]
            feats = " ".join(f"{j + 1}:{v:.17g}" for j, v in sorted(zip(A.indices[lo:hi], A.data[lo:hi])))
            f.write(f"{int(b[i]):+d} {feats}\n")


def small_data(m, d, seed, logistic=False, density=0.3):
    rng = np.random.default_rng(seed)
    A = sp.random(m, d, density=density, random_state=rng, format="csr")
    A.data = rng.standard_normal(A.nnz)
    # no empty rows (LIBSVM files cannot hold them): put one entry per row
    A = (A + sp.csr_matrix((rng.standard_normal(m), (np.arange(m), rng.integers(0, d, m))), shape=(m, d))).tocsr()
    xs = rng.standard_normal(d)
    z = A @ xs + 0.5 * rng.standard_normal(m)
    b = np.where(z >= 0, 1.0, -1.0) if logistic else z
    return A, b


def objective(A, b, x, loss, l1=0.0, l2=0.0):
    z = A @ x
    f = 0.5 * np.sum((z - b) ** 2) if loss == "squared" else np.sum(np.logaddexp(0, -b * z))
    return f + 0.5 * l2 * x @ x + l1 * np.abs(x).sum()


def grad(A, b, x, loss, l2=0.0):
    z = A @ x
    w = (z - b) if loss == "squared" else -b / (1 + np.exp(b * z))
    return A.T @ w + l2 * x


def solve(args, np_, out, check_rc=True):
    p = run(DRIVER, args + ["-output", out], np_=np_, check=False)
    if check_rc:
        check(p.returncode == 0, f"skua-bcd failed ({p.returncode}): {' '.join(map(str, args))}\n{p.out}")
    return p


def read(out):
    with h5py.File(out, "r") as F:
        return {"x": F["x"][:], "obj": F["trace/objective"][:], "gn": F["trace/gradient_norm"][:],
                "it": F["trace/iteration"][:], "blk": F["trace/block"][:], "sec": F["trace/seconds"][:],
                "attrs": dict(F.attrs)}


COMBOS = [  # (partition, rule, update, block size, prox)
    ("contiguous", "gsl", "gradient", 4, 0), ("contiguous", "random", "linesearch", 4, 0),
    ("contiguous", "cyclic", "newton", 5, 0), ("contiguous", "perm", "gradient", 3, 0),
    ("contiguous", "lipschitz", "linesearch", 1, 0), ("contiguous", "gs", "newton", 8, 0.5),
    ("contiguous", "gsd", "gradient", 4, 1.0), ("variable", "gsl", "newton", 6, 0),
    ("variable", "gs", "linesearch", 3, 0.1), ("contiguous", "gsq", "newton", 5, 0), ("contiguous", "gsq", "gradient", 4, 0.5),
]


def case_reference_squared(np_):
    """Least squares + L2: x* from the dense normal equations; every rule/update combination reaches it."""
    d = tmpdir()
    A, b = small_data(60, 40, seed=3)
    l2 = 0.1
    xs = np.linalg.solve((A.T @ A).toarray() + l2 * np.eye(40), A.T @ b)
    Fs = objective(A, b, xs, "squared", l2=l2)
    for k, dense in enumerate([False, True]):
        write_problem(f"{d}/p{k}.h5", A, b, dense=dense)
    for c, (part, rule, upd, bs, rho) in enumerate(COMBOS):
        out = f"{d}/o{c}.h5"
        solve(["-problem", f"{d}/p{c % 2}.h5", "-bcd_loss", "squared", "-bcd_l2", l2, "-bcd_partition", part,
               "-bcd_rule", rule, "-bcd_update", upd, "-bcd_block_size", bs, "-bcd_prox", rho, "-bcd_tol", 1e-9,
               "-bcd_max_it", 200000, "-bcd_trace_every", 10], np_, out)
        r = read(out)
        err = abs(r["obj"][-1] - Fs) / abs(Fs)
        xerr = np.abs(r["x"] - xs).max()
        print(f"  {part:10s} {rule:9s} {upd:10s} bs {bs} rho {rho}: its {r['it'][-1]:6d} F rel err {err:.2e} |x-x*| {xerr:.2e}")
        check(err < 1e-10 and xerr < 1e-7, f"{rule}/{upd}: F {r['obj'][-1]!r} vs reference {Fs!r}, |x-x*| {xerr}")
        check(abs(objective(A, b, r["x"], "squared", l2=l2) - r["obj"][-1]) < 1e-9 * abs(Fs), "written x does not give the reported objective")
    print("reference_squared OK")


def lbfgs_logistic(A, b, l2):
    fg = lambda x: (objective(A, b, x, "logistic", l2=l2), grad(A, b, x, "logistic", l2=l2))
    res = so.minimize(fg, np.zeros(A.shape[1]), jac=True, method="L-BFGS-B", options={"maxiter": 10000, "ftol": 1e-15, "gtol": 1e-11})
    return res.x, res.fun


def case_reference_logistic(np_):
    """L2-logistic from HDF5 and from a LIBSVM file: F* from scipy's L-BFGS-B."""
    d = tmpdir()
    A, b = small_data(80, 30, seed=5, logistic=True)
    l2 = 0.5
    xs, Fs = lbfgs_logistic(A, b, l2)
    write_problem(f"{d}/p.h5", A, b)
    write_svm(f"{d}/p.svm", A, b)
    for c, (part, rule, upd, bs, rho) in enumerate(COMBOS):
        out = f"{d}/o{c}.h5"
        src = f"{d}/p.svm" if c % 2 else f"{d}/p.h5"
        solve(["-problem", src, "-bcd_loss", "logistic", "-bcd_l2", l2, "-bcd_partition", part, "-bcd_rule", rule,
               "-bcd_update", upd, "-bcd_block_size", bs, "-bcd_prox", rho, "-bcd_tol", 1e-9, "-bcd_max_it", 200000,
               "-bcd_trace_every", 10], np_, out)
        r = read(out)
        err = (r["obj"][-1] - Fs) / abs(Fs)
        print(f"  {os.path.basename(src)} {part:10s} {rule:9s} {upd:10s}: its {r['it'][-1]:6d} (F - F_lbfgs)/F {err:.2e}")
        # BCD may end below L-BFGS-B; it must not end above it by more than round-off
        check(err < 1e-9 and abs(err) < 1e-7, f"{rule}/{upd}: F {r['obj'][-1]!r} vs L-BFGS-B {Fs!r}")
        check(np.abs(grad(A, b, r["x"], "logistic", l2=l2)).max() < 1e-8, "gradient at the written x is not ~0")
    print("reference_logistic OK")


def l1_conditions(A, b, x, loss, l1, l2):
    """max violation of |g_i| <= l1 (x_i = 0) and g_i = -l1 sign(x_i) (x_i != 0)."""
    g = grad(A, b, x, loss, l2=l2)
    nz = x != 0
    v0 = np.maximum(np.abs(g[~nz]) - l1, 0).max(initial=0)
    v1 = np.abs(g[nz] + l1 * np.sign(x[nz])).max(initial=0)
    return max(v0, v1), int(nz.sum())


def case_l1_optimality(np_):
    """L1 (+ L2) squared and logistic: optimality conditions to 1e-6 at the written x, for prox-gradient,
    line search and prox-Newton updates, fixed and variable blocks."""
    d = tmpdir()
    for loss, l1, l2 in [("squared", 2.0, 0.0), ("logistic", 1.0, 0.1)]:
        A, b = small_data(70, 50, seed=11, logistic=(loss == "logistic"))
        write_problem(f"{d}/{loss}.h5", A, b)
        for c, (part, rule, upd, bs) in enumerate([("contiguous", "gsl", "gradient", 5), ("contiguous", "random", "linesearch", 5),
                                                   ("contiguous", "cyclic", "newton", 5), ("variable", "gsl", "newton", 5),
                                                   ("variable", "gsd", "gradient", 1)]):
            out = f"{d}/{loss}{c}.h5"
            solve(["-problem", f"{d}/{loss}.h5", "-bcd_loss", loss, "-bcd_l1", l1, "-bcd_l2", l2, "-bcd_partition", part,
                   "-bcd_rule", rule, "-bcd_update", upd, "-bcd_block_size", bs, "-bcd_tol", 1e-10, "-bcd_max_it", 300000,
                   "-bcd_trace_every", 10], np_, out)
            r = read(out)
            viol, nnz = l1_conditions(A, b, r["x"], loss, l1, l2)
            print(f"  {loss:8s} {part:10s} {rule:6s} {upd:10s}: its {r['it'][-1]:6d} nnz(x) {nnz:3d}/50 violation {viol:.1e}")
            check(viol < 1e-6, f"{loss} {rule}/{upd}: L1 optimality violated by {viol}")
            check(0 < nnz < 50, f"{loss}: the L1 solution should be sparse but not zero (nnz {nnz})")
            check(abs(objective(A, b, r["x"], loss, l1, l2) - r["obj"][-1]) < 1e-9 * abs(r["obj"][-1]), "objective mismatch")
    print("l1_optimality OK")


def iterations_to(r, Fs, target):
    gap = r["obj"] - Fs
    hit = np.nonzero(gap <= target * (r["obj"][0] - Fs))[0]
    return int(r["it"][hit[0]]) if hit.size else None


def case_greedy_vs_random(np_):
    """The paper's finding on problem A (sparse least squares, l2 = 1): GS and GSL need fewer block updates
    than uniform random selection to reach the same relative accuracy."""
    d = tmpdir()
    solve(["-generate", "A", "-seed", 1], np_, f"{d}/A.h5")
    with h5py.File(f"{d}/A.h5") as F:
        g = F["A"]
        A = sp.csr_matrix((g["data"][:], g["indices"][:], g["indptr"][:]), shape=tuple(g.attrs["shape"]))
        b = F["b"][:]
    l2 = 1.0
    # x* = A^T (A A^T + l2 I)^{-1} b: a 1000 x 1000 solve instead of 10000 x 10000
    y = np.linalg.solve((A @ A.T).toarray() + l2 * np.eye(A.shape[0]), b)
    xs = A.T @ y
    Fs = objective(A, b, xs, "squared", l2=l2)
    its = {}
    for rule in ["random", "gs", "gsl"]:
        out = f"{d}/{rule}.h5"
        solve(["-problem", f"{d}/A.h5", "-bcd_l2", l2, "-bcd_rule", rule, "-bcd_block_size", 5, "-bcd_max_it", 8000,
               "-bcd_trace_every", 100, "-bcd_tol", 0], np_, out, check_rc=False)
        r = read(out)
        its[rule] = iterations_to(r, Fs, 1e-2)
        print(f"  {rule:6s}: block updates to (F - F*) <= 1e-2 (F0 - F*): {its[rule]}; final gap {r['obj'][-1] - Fs:.3e}")
    check(its["gs"] is not None and its["gsl"] is not None, "greedy rules did not reach the target")
    check(its["random"] is None or (its["gs"] < its["random"] and its["gsl"] < its["random"]), f"greedy not better than random: {its}")
    print("greedy_vs_random OK")


def case_np_identical(np_):
    """np 1 and np 4: same block choices, objective traces equal to round-off, generated data identical."""
    d = tmpdir()
    for n in (1, 4):
        solve(["-generate", "B", "-seed", 7], n, f"{d}/B{n}.h5")
    with h5py.File(f"{d}/B1.h5") as F1, h5py.File(f"{d}/B4.h5") as F4:
        for k in ["A/data", "A/indices", "A/indptr", "b"]:
            check(np.array_equal(F1[k][:], F4[k][:]), f"generated problem B differs between np 1 and np 4 in {k}")
    runs = [["-bcd_rule", "gsl", "-bcd_update", "gradient", "-bcd_l2", 1, "-bcd_block_size", 10],
            ["-bcd_rule", "random", "-bcd_update", "linesearch", "-bcd_l2", 1, "-bcd_block_size", 10],
            ["-bcd_rule", "perm", "-bcd_update", "newton", "-bcd_l2", 1, "-bcd_l1", 0.5, "-bcd_block_size", 10],
            ["-bcd_rule", "gsq", "-bcd_update", "newton", "-bcd_l2", 1, "-bcd_block_size", 10],
            ["-bcd_partition", "variable", "-bcd_rule", "gsl", "-bcd_update", "newton", "-bcd_l1", 1, "-bcd_block_size", 20]]
    for k, opts in enumerate(runs):
        res = []
        for n in (1, 4):
            out = f"{d}/r{k}_np{n}.h5"
            solve(["-problem", f"{d}/B1.h5", "-bcd_loss", "logistic", "-bcd_max_it", 300, "-bcd_trace_every", 1, "-bcd_tol", 0] + opts, n, out, check_rc=False)
            res.append(read(out))
        a, c = res
        same_blocks = np.array_equal(a["blk"], c["blk"])
        rel = np.abs(a["obj"] - c["obj"]).max() / abs(a["obj"]).max()
        xr = np.abs(a["x"] - c["x"]).max()
        print(f"  {' '.join(map(str, opts))}: blocks equal {same_blocks}, max rel objective diff {rel:.1e}, max |dx| {xr:.1e}")
        check(same_blocks, "block choices differ between np 1 and np 4")
        check(rel < 1e-12 and xr < 1e-9, "traces differ beyond round-off between np 1 and np 4")
    print("np_identical OK")


def case_docs_example(np_):
    """The h5py example in docs/bcd.md runs on a real output file."""
    d = tmpdir()
    A, b = small_data(30, 20, seed=2)
    write_problem(f"{d}/p.h5", A, b)
    solve(["-problem", f"{d}/p.h5", "-bcd_l2", 1, "-bcd_tol", 1e-8], np_, f"{d}/out.h5")
    src = os.environ.get("SKUA_SOURCE", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    text = open(os.path.join(src, "docs", "bcd.md")).read()
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    p = subprocess.run([sys.executable, "-c", code], cwd=d, capture_output=True, text=True)
    check(p.returncode == 0, f"docs/bcd.md example failed:\n{code}\n{p.stdout}{p.stderr}")
    print(p.stdout)
    print("docs_example OK")


def bad_cases(d):
    A, b = small_data(20, 10, seed=1)
    write_problem(f"{d}/ok.h5", A, b)
    write_problem(f"{d}/labels.h5", A, np.where(b > 0, 1.0, 0.0))
    An = A.copy()
    An.data[3] = np.nan
    write_problem(f"{d}/nan.h5", An, b)
    write_svm(f"{d}/ok.svm", A, np.where(b > 0, 1, -1))
    lines = open(f"{d}/ok.svm").read().splitlines()
    open(f"{d}/empty.svm", "w").write("\n".join(lines[:5] + [""] + lines[5:]) + "\n")
    open(f"{d}/labelonly.svm", "w").write("\n".join(lines[:7] + ["+1"] + lines[7:]) + "\n")
    open(f"{d}/nan.svm", "w").write("\n".join(lines[:3] + ["-1 2:nan 4:1"] + lines[3:]) + "\n")
    open(f"{d}/zeroidx.svm", "w").write("\n".join(lines[:3] + ["-1 0:1.5 4:1"] + lines[3:]) + "\n")
    ok = ["-problem", f"{d}/ok.h5"]
    return {
        "labels_not_pm1": (["-problem", f"{d}/labels.h5", "-bcd_loss", "logistic"], r"label 0\.? of row \d+ is not -1 or \+1"),
        "nan_hdf5": (ok[:1] + [f"{d}/nan.h5"], r"nan.h5: dataset '/A/data' holds a non-finite value \(nan\) at entry 3"),
        "nan_svm": (["-problem", f"{d}/nan.svm"], r"nan.svm:4: the value of feature 2 is not a finite number"),
        "empty_line_svm": (["-problem", f"{d}/empty.svm"], r"empty.svm:6: empty line"),
        "label_only_svm": (["-problem", f"{d}/labelonly.svm"], r"labelonly.svm:8: empty row"),
        "zero_index_svm": (["-problem", f"{d}/zeroidx.svm"], r"feature index 0 is below 1"),
        "negative_l2": (ok + ["-bcd_l2", -1], r"-bcd_l2 -1\.?: the L2 weight must be"),
        "negative_l1": (ok + ["-bcd_l1", -0.5], r"-bcd_l1 -0.5: the L1 weight must be"),
        "unknown_rule": (ok + ["-bcd_rule", "bogus"], r"bogus"),
        "gsq_l1_not_implemented": (ok + ["-bcd_rule", "gsq", "-bcd_l1", 1], r"gsq with -bcd_l1 > 0 .*is not implemented"),
        "gsq_variable_not_implemented": (ok + ["-bcd_rule", "gsq", "-bcd_partition", "variable"], r"gsq with -bcd_partition variable is not implemented"),
        "quadratic_not_implemented": (ok + ["-bcd_loss", "quadratic"], r"quadratic is not implemented"),
        "variable_needs_greedy": (ok + ["-bcd_partition", "variable", "-bcd_rule", "random"], r"variable .* needs -bcd_rule gs, gsl or gsd"),
        "missing_file": (["-problem", f"{d}/nope.h5"], r"Cannot open '.*nope.h5'"),
        "missing_b": (None, r"dataset 'b' is missing"),
    }


def case_bad_input(np_):
    """Each bad input: non-zero exit, a message naming the file/option and the problem, no output file."""
    d = tmpdir()
    cases = bad_cases(d)
    with h5py.File(f"{d}/nob.h5", "w") as F:
        A, _ = small_data(20, 10, seed=1)
        write_csr(F.create_group("A"), A)
    cases["missing_b"] = (["-problem", f"{d}/nob.h5"], cases["missing_b"][1])
    A, b = small_data(20, 10, seed=1)
    write_problem(f"{d}/badloss.h5", A, b)
    with h5py.File(f"{d}/badloss.h5", "a") as F:
        F.attrs["loss"] = "hinge"
    cases["bad_loss_attribute"] = (["-problem", f"{d}/badloss.h5"], r"root attribute 'loss' is 'hinge'")
    for name, (args, pattern) in cases.items():
        out = f"{d}/{name}.out.h5"
        p = run(DRIVER, args + ["-output", out], np_=np_, check=False)
        ok = p.returncode != 0 and re.search(pattern, p.out) and not os.path.exists(out) and not os.path.exists(out + ".partial")
        msg = next((l for l in p.out.splitlines() if "error" in l), "")
        print(f"  {name}: rc {p.returncode}, {msg}")
        check(ok, f"{name}: expected a non-zero exit, /{pattern}/ and no output file; got rc {p.returncode}:\n{p.out}")
    print("bad_input OK")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--case", required=True)
    ap.add_argument("--np", type=int, default=1)
    a = ap.parse_args()
    globals()["case_" + a.case](a.np)
