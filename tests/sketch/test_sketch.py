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
from sketch import generate, generate_logistic, logistic_objective, write  # noqa: E402  (jobs/bench/sketch.py)

DRIVER = "skua-sketch"
TYPES = ["gaussian", "countsketch", "sparsesign", "srht"]


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
            x, tr, at = solve(path, os.path.join(d, f"i{sparse}{t}.h5"), np_, ["-sketch_type", t, "-lsq_method", "iterative_sketch", "-lsq_tol", "1e-13"])
            err = np.linalg.norm(x - xref) / np.linalg.norm(xref)
            its = int(at["iterations"])
            print(f"sparse={sparse} {t:12s} iterative_sketch: {its} its, rel. error {err:.2e}")
            check(err < 1e-8, f"iterative_sketch with {t} (sparse={sparse}): relative error {err:.3e} vs lstsq")
            # heavy ball at rate ~sqrt(d/m) = 0.5: about 45 iterations to 1e-13, whatever cond(A)
            check(its <= 200, f"iterative_sketch with {t}: {its} iterations, expected a rate independent of cond(A)")
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


def case_iterations(np_, stype="sparsesign", coherent=0):
    d = tmpdir()
    its = {}
    for cond in (1e2, 1e8):
        path, A, b = problem(d, f"c{cond:g}.h5", M=4000, d=60, cond=cond, seed=5, coherent=coherent)
        for meth in ("sketch_lsqr", "lsqr"):
            p = run(DRIVER, ["-problem", path, "-output", os.path.join(d, f"o{meth}{cond:g}.h5"), "-lsq_method", meth,
                             "-sketch_type", stype, "-lsq_tol", "1e-10", "-lsq_max_it", "3000"], np_=np_, check=False)
            check(p.returncode in (0, 3), f"{meth} cond {cond:g}: exit {p.returncode}\n{p.out}")
            with h5py.File(os.path.join(d, f"o{meth}{cond:g}.h5"), "r") as f:
                its[meth, cond] = int(f.attrs["iterations"])
                if meth == "sketch_lsqr":
                    check(int(f.attrs["converged"]) == 1, f"sketch_lsqr did not converge at cond {cond:g}")
    print(stype, "coherent" if coherent else "incoherent", its)
    a, b2 = its["sketch_lsqr", 1e2], its["sketch_lsqr", 1e8]
    check(max(a, b2) < 2 * min(a, b2), f"sketch_lsqr iterations not flat in cond: {a} (1e2) vs {b2} (1e8)")
    check(its["lsqr", 1e8] > 5 * its["lsqr", 1e2], f"plain LSQR iterations should grow with cond: {its}")
    check(its["lsqr", 1e8] > 5 * b2, f"plain LSQR should need far more iterations than sketched at cond 1e8: {its}")


def case_iterations_srht(np_):
    """Block SRHT on a coherent A (a few rows of high leverage): iterations still flat in cond(A)."""
    case_iterations(np_, "srht", coherent=1)


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
    bad(["-sketch_type", "srht", "-sketch_srht_block", "64"], "-sketch_srht_block")
    bad(["-sketch_type", "srht", "-sketch_srht_block", "100"], "power of two")
    bad(["-task", "constrained"], "Unknown constrained problem")  # a file name is not a built-in problem
    bad(["-task", "regress"], "Unknown -task")
    bad(["-task", "newton"], "label")  # b holds real targets, not +-1 labels
    bad(["-task", "newton", "-newton_loss", "hinge"], "hinge")
    bad(["-task", "newton", "-newton_loss", "squared", "-newton_l2", "-1"], "-newton_l2")
    bad(["-lsq_method", "magic"], "magic")
    bad(["-lsq_qr", "elemental"], "elemental")
    bad(["-generate", "lsq"], "not both")
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


def case_scalapack(np_):
    """-lsq_qr scalapack (pdgeqrf on a 2-D block-cyclic grid; block 8 so every process holds many blocks) gives the
    same x as the LAPACK path, for sketch_lsqr and for sketch_solve (which uses Q^T S b from the factorisation)."""
    d = tmpdir()
    path, A, b = problem(d, "p.h5", M=3000, d=50, cond=1e4, seed=12)
    for meth in ("sketch_lsqr", "sketch_solve"):
        xs = {}
        for qr in ("lapack", "scalapack"):
            p = run(DRIVER, ["-problem", path, "-output", os.path.join(d, f"{meth}{qr}.h5"), "-lsq_method", meth,
                             "-lsq_qr", qr, "-lsq_qr_block", "8", "-lsq_tol", "1e-15", "-lsq_max_it", "200", "-log_view"],
                    np_=np_, check=False)
            check(p.returncode in (0, 3), f"{meth} -lsq_qr {qr}: exit {p.returncode}\n{p.out}")
            check("SkuaLSQ_QR" in p.out, f"-log_view should list SkuaLSQ_QR:\n{p.out}")
            with h5py.File(os.path.join(d, f"{meth}{qr}.h5"), "r") as f:
                xs[qr] = f["x"][...]
        err = np.linalg.norm(xs["lapack"] - xs["scalapack"]) / np.linalg.norm(xs["lapack"])
        print(f"{meth}: |x_scalapack - x_lapack| / |x_lapack| = {err:.2e} (np {np_})")
        check(err < 1e-10, f"{meth}: ScaLAPACK and LAPACK QR give different x ({err:.2e})")
    xref = np.linalg.lstsq(A, b, rcond=None)[0]
    ratio = np.linalg.norm(A @ xs["scalapack"] - b) / np.linalg.norm(A @ xref - b)
    check(1 - 1e-12 <= ratio < 3, f"sketch_solve with scalapack: residual / optimal = {ratio:.3f}, not in [1, 3)")


def newton(path, out, np_, args, expect_rc=(0,)):
    p = run(DRIVER, ["-task", "newton", "-problem", path, "-output", out, "-newton_monitor", "0"] + args, np_=np_, check=False)
    check(p.returncode in expect_rc, f"exit {p.returncode} (expected {expect_rc}) for newton {args}:\n{p.out}")
    with h5py.File(out, "r") as f:
        return f["x"][...], f["trace/objective"][...], dict(f.attrs)


def case_newton_reference(np_):
    """Newton Sketch and exact Newton reach the L-BFGS (scipy) optimum of the same logistic objective to 1e-8
    relative, and the closed-form ridge solution for the squared loss."""
    from scipy.optimize import minimize
    d = tmpdir()
    l2 = 0.5
    for sparse in (0, 1):
        A, b = generate_logistic(4000, 30, sparse=sparse, density=0.2, seed=4)
        path = os.path.join(d, f"lg{sparse}.h5")
        write(path, A, b)
        F = logistic_objective(A, b, l2)
        ref = minimize(F, np.zeros(A.shape[1]), jac=True, method="L-BFGS-B",
                       options=dict(ftol=1e-16, gtol=1e-10, maxiter=20000, maxcor=30))
        fref = ref.fun
        if sparse:  # the same data as LIBSVM text (1-based "label idx:val"), read through skua-bcd's reader
            import scipy.sparse as sps
            C = sps.csr_matrix(A)
            keep = np.diff(C.indptr) > 0  # LIBSVM files may not have empty rows (skua-bcd rejects them)
            C, bk = C[keep], b[keep]
            Fk = logistic_objective(C.toarray(), bk, l2)
            frefk = minimize(Fk, np.zeros(C.shape[1]), jac=True, method="L-BFGS-B",
                             options=dict(ftol=1e-16, gtol=1e-10, maxiter=20000, maxcor=30)).fun
            svm = os.path.join(d, "lg.svm")
            with open(svm, "w") as fh:
                for i in range(C.shape[0]):
                    row = C.getrow(i)
                    fh.write(f"{int(bk[i])} " + " ".join(f"{j + 1}:{v!r}" for j, v in zip(row.indices, row.data)) + "\n")
            x, obj, at = newton(svm, os.path.join(d, "osvm.h5"), np_, ["-newton_l2", l2, "-newton_exact"])
            rel = abs(at["final_objective"] - frefk) / abs(frefk)
            print(f"LIBSVM input ({C.shape[0]} non-empty rows), exact: F = {at['final_objective']:.15e}, rel. diff {rel:.1e}")
            check(rel < 1e-8, f"newton on the LIBSVM copy: objective {at['final_objective']!r} vs L-BFGS {frefk!r} ({rel:.2e})")
        for name, args in (("exact", ["-newton_exact"]), ("sparsesign", []), ("srht", ["-sketch_type", "srht"]),
                           ("gaussian", ["-sketch_type", "gaussian", "-sketch_size", "200"])):
            x, obj, at = newton(path, os.path.join(d, f"o{sparse}{name}.h5"), np_, ["-newton_l2", l2] + args)
            rel = abs(at["final_objective"] - fref) / abs(fref)
            fx = F(x)[0]
            print(f"sparse={sparse} {name:10s}: {int(at['iterations'])} its, F = {at['final_objective']:.15e}, "
                  f"L-BFGS {fref:.15e}, rel. diff {rel:.1e}")
            check(int(at["converged"]) == 1, f"newton {name} did not converge")
            check(rel < 1e-8, f"newton {name} (sparse={sparse}): objective {at['final_objective']!r} vs L-BFGS {fref!r} ({rel:.2e})")
            check(abs(fx - at["final_objective"]) <= 1e-10 * abs(fref), f"newton {name}: attribute final_objective disagrees with F(/x)")
            check(np.all(np.diff(obj) <= 1e-12 * abs(fref)), f"newton {name}: objective trace not monotone: {obj}")
            check(abs(obj[0] - len(b) * np.log(2)) < 1e-9 * len(b), f"newton {name}: F(0) = {obj[0]} should be M log 2")
    A, b = generate(3000, 25, 1e3, seed=8)
    path = os.path.join(d, "sq.h5")
    write(path, A, b)
    xref = np.linalg.solve(A.T @ A + l2 * np.eye(A.shape[1]), A.T @ b)
    for args in (["-newton_exact"], []):
        x, _, at = newton(path, os.path.join(d, "sq.h5.out"), np_, ["-newton_loss", "squared", "-newton_l2", l2, "-newton_tol", "1e-20"] + args, expect_rc=(0, 3))
        err = np.linalg.norm(x - xref) / np.linalg.norm(xref)
        print(f"squared {args}: {int(at['iterations'])} its, rel. error vs ridge solution {err:.1e}")
        check(err < 1e-8, f"newton squared {args}: x differs from the ridge solution by {err:.2e}")


def case_newton_np_identical(np_):
    """The objective trace of Newton Sketch at np 1 and 4: same iterations, same values to round-off (the
    sketched Hessians are bit-identical; gradients differ only by the order of parallel sums)."""
    d = tmpdir()
    A, b = generate_logistic(3001, 25, sparse=1, density=0.2, seed=9)
    path = os.path.join(d, "lg.h5")
    write(path, A, b)
    for st in ("sparsesign", "srht"):
        # srht blocks of 512 rows: blocks start on every rank, and rows (with their weights) straddle ranks
        extra = ["-sketch_srht_block", "512"] if st == "srht" else []
        o1 = newton(path, os.path.join(d, f"{st}1.h5"), 1, ["-newton_l2", "0.1", "-sketch_type", st] + extra)[1]
        o4 = newton(path, os.path.join(d, f"{st}4.h5"), 4, ["-newton_l2", "0.1", "-sketch_type", st] + extra)[1]
        print(st, len(o1), len(o4), np.abs(o1[: len(o4)] - o4[: len(o1)]).max() if len(o1) == len(o4) else "")
        check(len(o1) == len(o4), f"{st}: np 1 took {len(o1)} iterations, np 4 {len(o4)}")
        check(np.allclose(o1, o4, rtol=1e-12, atol=0), f"{st}: objective traces differ: {o1} vs {o4}")


def case_generate(np_):
    """-generate lsq (dense and sparse, coherent) and -generate logistic: the problem is identical at np 1 and 4
    (the sketches S A and S b of it are bit-identical), cond(S A) is near the prescribed cond, and the solves work."""
    d = tmpdir()
    for sparse in (0, 1):
        res = []
        for n in (1, 4):
            out = os.path.join(d, f"g{sparse}{n}.h5")
            run(DRIVER, ["-generate", "lsq", "-rows", 4000, "-cols", 30, "-cond", "1e6", "-coherent", 1, "-sparse", sparse,
                         "-density", 0.1, "-seed", 3, "-output", out, "-save_sketch", "-sketch_type", "gaussian"], np_=n)
            with h5py.File(out, "r") as f:
                res.append((f["sketch/SA"][...], f["sketch/Sb"][...], int(f.attrs["converged"]), str(f.attrs["problem"])))
        (S1, b1, c1, p1), (S4, b4, c4, _) = res
        cond = np.linalg.cond(S1)
        print(f"sparse={sparse}: np1 vs np4 identical {np.array_equal(S1, S4) and np.array_equal(b1, b4)}, cond(SA) = {cond:.3g}; {p1}")
        check(np.array_equal(S1, S4) and np.array_equal(b1, b4), f"-generate lsq sparse={sparse}: problem differs between np 1 and 4")
        check(c1 == 1 and c4 == 1, "sketch_lsqr on the generated problem did not converge")
        check(1e6 / 3 < cond < 3e6, f"-generate lsq -cond 1e6: cond(S A) = {cond:.3g}")
        # Coherent: rows 0..d-1 carry high leverage, so a plain uniform sample of rows would be badly conditioned.
    tr = []
    for n in (1, 4):
        out = os.path.join(d, f"lg{n}.h5")
        run(DRIVER, ["-task", "newton", "-generate", "logistic", "-rows", 3000, "-cols", 20, "-seed", 5, "-newton_l2", 1,
                     "-output", out, "-newton_monitor", 0], np_=n)
        with h5py.File(out, "r") as f:
            tr.append(f["trace/objective"][...])
    check(len(tr[0]) == len(tr[1]) and np.allclose(tr[0], tr[1], rtol=1e-12), f"-generate logistic: traces differ {tr}")
    check(tr[0][-1] < 0.8 * tr[0][0], f"-generate logistic: the labels carry no signal (F from {tr[0][0]} to {tr[0][-1]})")


def case_generate_file(np_):
    """-task generate writes the -generate problem to a file: dense /A as a 2-D dataset, sparse as a CSR group, /b;
    h5py reads it back with the right shape, np 1 and 4 write identical datasets, and solving the file gives the
    in-memory result."""
    d = tmpdir()
    for kind, extra, shape in (("lsq", ["-sparse", 0, "-coherent", 1], (3000, 25)), ("lsq", ["-sparse", 1, "-density", 0.1], (3000, 25)),
                               ("logistic", ["-sparse", 0], (3000, 25)), ("logistic", ["-sparse", 1, "-density", 0.2], (3000, 25))):
        res = []
        for n in (1, 4):
            out = os.path.join(d, f"{kind}{extra[1]}{n}.h5")
            run(DRIVER, ["-task", "generate", "-generate", kind, "-rows", shape[0], "-cols", shape[1], "-seed", 4, "-output", out] + extra, np_=n)
            with h5py.File(out, "r") as f:
                g = f["A"]
                if isinstance(g, h5py.Dataset):
                    A = ("dense", g[...])
                else:
                    A = ("csr", g["data"][...], g["indices"][...], g["indptr"][...], tuple(g.attrs["shape"]))
                res.append((A, f["b"][...], str(f.attrs["problem"])))
        (A1, b1, p1), (A4, b4, _) = res
        Ashape = A1[1].shape if A1[0] == "dense" else A1[4]
        print(f"{kind} {extra}: {A1[0]} {Ashape}, np1 vs np4 identical; {p1}")
        check(A1[0] == ("csr" if extra[1] else "dense"), f"{kind} {extra}: /A stored as {A1[0]}")
        check(tuple(Ashape) == shape and b1.shape == (shape[0],), f"{kind} {extra}: shape {Ashape}, b {b1.shape}")
        check(all(np.array_equal(u, v) for u, v in zip(A1[1:], A4[1:])) and np.array_equal(b1, b4), f"{kind} {extra}: file differs between np 1 and 4")
        if A1[0] == "csr":
            check(A1[3][0] == 0 and A1[3][-1] == len(A1[1]) and np.all(np.diff(A1[3]) >= 0), f"{kind} {extra}: bad indptr")
        if kind == "logistic":
            check(set(np.unique(b1)) <= {-1.0, 1.0}, "logistic labels not +-1")
    # Solving the written file = solving the same problem generated in memory.
    f1 = os.path.join(d, "lsq01.h5")
    x_file, _, _ = solve(f1, os.path.join(d, "xf.h5"), np_, ["-sketch_seed", "3"])
    run(DRIVER, ["-generate", "lsq", "-rows", 3000, "-cols", 25, "-seed", 4, "-sparse", 0, "-coherent", 1, "-sketch_seed", 3,
                 "-output", os.path.join(d, "xm.h5")], np_=np_)
    with h5py.File(os.path.join(d, "xm.h5"), "r") as f:
        x_mem = f["x"][...]
    check(np.array_equal(x_file, x_mem), f"solution from the written file differs from the in-memory one ({np.abs(x_file - x_mem).max():.2e})")


def case_np_identical_blocks(np_):
    """Dense A taller than one block of the blocked dense sketch (8192 rows), so blocks straddle ranks: S A and S b
    bit-identical at np 1 and 4 for every sketch type, and the weighted sketches of Newton Sketch too."""
    d = tmpdir()
    path = os.path.join(d, "p.h5")
    run(DRIVER, ["-task", "generate", "-generate", "lsq", "-rows", 20001, "-cols", 12, "-cond", "1e4", "-coherent", 1, "-seed", 2, "-output", path], np_=1)
    for t in TYPES:
        res = []
        for n in (1, 4):
            out = os.path.join(d, f"o{t}{n}.h5")
            run(DRIVER, ["-problem", path, "-output", out, "-sketch_type", t, "-save_sketch", "-sketch_seed", "5"], np_=n)
            with h5py.File(out, "r") as f:
                res.append((f["sketch/SA"][...], f["sketch/Sb"][...]))
        print(f"{t:12s} 20001 x 12 dense, np1 vs np4: SA identical {np.array_equal(res[0][0], res[1][0])}, Sb identical {np.array_equal(res[0][1], res[1][1])}")
        check(np.array_equal(res[0][0], res[1][0]) and np.array_equal(res[0][1], res[1][1]), f"{t}: blocked dense sketch not bit-identical between np 1 and 4")
    lpath = os.path.join(d, "l.h5")
    run(DRIVER, ["-task", "generate", "-generate", "logistic", "-rows", 20001, "-cols", 12, "-seed", 2, "-output", lpath], np_=1)
    for t in ("sparsesign", "countsketch", "gaussian", "srht"):  # srht: the weights of the fetched tail rows too
        tr = []
        for n in (1, 4):
            out = os.path.join(d, f"n{t}{n}.h5")
            newton(lpath, out, n, ["-sketch_type", t, "-newton_l2", "1", "-sketch_size", "48"])
            with h5py.File(out, "r") as f:
                tr.append(f["trace/objective"][...])
        print(f"newton {t}: {len(tr[0])} / {len(tr[1])} iterations, max objective diff {np.abs(tr[0][:min(map(len, tr))] - tr[1][:min(map(len, tr))]).max():.1e}")
        check(len(tr[0]) == len(tr[1]) and np.allclose(tr[0], tr[1], rtol=1e-12), f"newton {t}: traces differ between np 1 and 4")


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
