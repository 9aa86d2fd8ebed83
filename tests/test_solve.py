#!/usr/bin/python3
"""skua-solve end-to-end tests against scipy reference solutions (run by CTest)."""
import argparse
import os

import h5py
import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from skuatest import SOURCE, check, fail, random_system, run, tmpdir, write_csr, write_petsc_binary


def rel(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


def test_reference(np_):
    d = tmpdir()
    # 1. scipy CSR with int32 indices (scipy's default) and duplicate entries (summed, as scipy does)
    A, b = random_system(600, seed=1)
    coo = A.tocoo()
    rows, cols = np.r_[coo.row, [3, 3]], np.r_[coo.col, [3, 7]]
    vals = np.r_[coo.data, [0.5, -0.25]]
    order = np.lexsort((cols, rows))
    rows, cols, vals = rows[order], cols[order], vals[order]
    Adup = sp.csr_matrix((vals, (rows, cols)), shape=A.shape)  # scipy sums the duplicates
    f = os.path.join(d, "p.h5")
    with h5py.File(f, "w") as F:
        g = F.create_group("A")
        g.create_dataset("data", data=vals)
        g.create_dataset("indices", data=cols.astype(np.int32))
        g.create_dataset("indptr", data=np.searchsorted(rows, np.arange(A.shape[0] + 1)).astype(np.int32))
        g.attrs["shape"] = np.array(A.shape, dtype=np.int64)
        F["b"] = b
    out = os.path.join(d, "x.h5")
    p = run("skua-solve", ["-problem", f, "-output", out, "-ksp_type", "gmres", "-pc_type", "jacobi", "-ksp_rtol", "1e-11"], np_)
    xref = spla.spsolve(Adup.tocsc(), b)
    with h5py.File(out) as F:
        x = F["x"][:]
        err = rel(x, xref)
        check(err < 1e-8, f"CSR: relative error {err:.2e} vs scipy spsolve")
        for a in ("skua_version", "command_line", "nprocs", "created", "ksp_type", "pc_type", "rtol"):
            check(a in F.attrs, f"root attribute {a} missing")
        check(F.attrs["nprocs"] == np_, "nprocs attribute wrong")
        check(F.attrs["ksp_type"] == "gmres" and F.attrs["pc_type"] == "jacobi", "ksp/pc attributes wrong")
        for s in ("iterations", "residual_norm", "solve_seconds", "converged_reason"):
            check(F[f"stats/{s}"].shape == (1,), f"/stats/{s} must have one entry")
        rn = np.linalg.norm(b - Adup @ x)
        check(abs(F["stats/residual_norm"][0] - rn) <= 1e-6 * rn + 1e-14, "stats/residual_norm is not the true residual")
        check(F["stats/converged_reason"][0] > 0, "converged_reason should be positive")
    check(not os.path.exists(out + ".partial"), "partial file left behind")

    # 2. dense 2-D /A, and x0 = exact solution converges in 0 iterations
    A, b = random_system(120, seed=2, density=0.2)
    f2 = os.path.join(d, "dense.h5")
    xref = spla.spsolve(A.tocsc(), b)
    with h5py.File(f2, "w") as F:
        F["A"] = A.toarray()
        F["b"] = b
        F["x0"] = xref
    out2 = os.path.join(d, "dense_x.h5")
    run("skua-solve", ["-problem", f2, "-output", out2, "-ksp_type", "gmres", "-pc_type", "none", "-ksp_rtol", "1e-8"], np_)
    with h5py.File(out2) as F:
        check(rel(F["x"][:], xref) < 1e-10, "dense: solution wrong")
        check(F["stats/iterations"][0] == 0, f"x0 = solution should need 0 iterations, got {F['stats/iterations'][0]}")

    # 3. a sequence with shared /A and per-system b, CG on an SPD matrix
    A, _ = random_system(400, seed=3, nonsym=False)
    rng = np.random.default_rng(4)
    bs = [rng.standard_normal(400) for _ in range(3)]
    f3 = os.path.join(d, "seq.h5")
    with h5py.File(f3, "w") as F:
        write_csr(F.create_group("A"), A)
        for i, bb in enumerate(bs):
            F[f"sequence/{i:06d}/b"] = bb
    out3 = os.path.join(d, "seq_x.h5")
    p = run("skua-solve", ["-problem", f3, "-output", out3, "-ksp_type", "cg", "-pc_type", "jacobi", "-ksp_rtol", "1e-10"], np_)
    check("[     3/3]" in p.out and "Summary" in p.out, "progress lines / summary missing:\n" + p.out)
    with h5py.File(out3) as F:
        for i, bb in enumerate(bs):
            xi = F[f"sequence/{i:06d}/x"][:]
            check(rel(xi, spla.spsolve(A.tocsc(), bb)) < 1e-7, f"sequence system {i} wrong")
        check(F["stats/iterations"].shape == (3,), "stats length")
    print("reference: OK")


def test_binary(np_):
    d = tmpdir()
    A1, b1 = random_system(300, seed=5)
    A2, b3 = random_system(300, seed=6)
    b2 = np.linspace(-1, 1, 300)
    f = os.path.join(d, "sys.petsc")
    write_petsc_binary(f, [A1, b1, b2, A2, b3])  # two rhs share A1, then a new operator
    out = os.path.join(d, "x.h5")
    run("skua-solve", ["-problem", f, "-output", out, "-ksp_type", "gmres", "-pc_type", "jacobi", "-ksp_rtol", "1e-11"], np_)
    with h5py.File(out) as F:
        for i, (A, b) in enumerate([(A1, b1), (A1, b2), (A2, b3)]):
            x = F[f"sequence/{i:06d}/x"][:]
            check(rel(x, spla.spsolve(A.tocsc(), b)) < 1e-8, f"PETSc binary system {i} wrong")
    print("binary: OK")


def test_sequence_np():
    d = tmpdir()
    its, xs = {}, {}
    for np_ in (1, 4):
        out = os.path.join(d, f"x{np_}.h5")
        run("skua-solve", ["-problem", os.path.join(SOURCE, "inputs", "convdiff_sequence.h5"), "-output", out,
                           "-ksp_type", "gmres", "-pc_type", "jacobi", "-ksp_rtol", "1e-8"], np_)
        with h5py.File(out) as F:
            its[np_] = F["stats/iterations"][:]
            xs[np_] = np.concatenate([F[f"sequence/{k}/x"][:] for k in sorted(F["sequence"])])
    check(np.array_equal(its[1], its[4]), f"iteration counts differ between np 1 and 4: {its[1]} vs {its[4]}")
    check(rel(xs[4], xs[1]) < 1e-10, "solutions differ between np 1 and 4")
    print("sequence np1 vs np4: OK, iterations", its[1].tolist())


def test_resume(np_):
    d = tmpdir()
    prob = os.path.join(SOURCE, "inputs", "convdiff_sequence.h5")
    common = ["-problem", prob, "-ksp_type", "gmres", "-pc_type", "jacobi", "-ksp_rtol", "1e-8", "-initial_guess", "zero"]
    full = os.path.join(d, "full.h5")
    run("skua-solve", common + ["-output", full], np_)
    out = os.path.join(d, "resumed.h5")
    p = run("skua-solve", common + ["-output", out, "-abort_after", "7"], np_, check=False)
    check(p.returncode != 0, "the simulated crash should exit non-zero")
    check(not os.path.exists(out), "a crashed run must not leave the final file")
    check(os.path.exists(out + ".partial"), "a crashed run should leave its .partial file for -resume")
    with h5py.File(out + ".partial") as F:
        check((F["stats/iterations"][:] >= 0).sum() == 7, "the partial file should hold exactly 7 finished systems")
    p = run("skua-solve", common + ["-output", out, "-resume"], np_)
    check("7 of 20 systems already solved" in p.out, "resume did not report the finished systems:\n" + p.out)
    check(not os.path.exists(out + ".partial"), "partial file left after a completed resume")
    with h5py.File(full) as F, h5py.File(out) as G:
        check(np.array_equal(F["stats/iterations"][:], G["stats/iterations"][:]), "iterations differ after resume")
        for k in F["sequence"]:
            check(np.array_equal(F[f"sequence/{k}/x"][:], G[f"sequence/{k}/x"][:]), f"solution {k} differs after resume")
    print("resume: OK")


def test_yaml_logview():
    """Options from a YAML file reach PETSc and Skua; -log_view lists Skua's own events."""
    d = tmpdir()
    y = os.path.join(d, "opts.yaml")
    with open(y, "w") as f:
        f.write("ksp:\n  type: cg\n  rtol: 1.0e-9\npc:\n  type: jacobi\ninitial_guess: zero\n")
    out = os.path.join(d, "x.h5")
    p = run("skua-solve", ["-problem", os.path.join(SOURCE, "inputs", "aniso_diffusion.h5"), "-output", out,
                           "-options_file_yaml", y, "-log_view"], 2)
    with h5py.File(out) as F:
        check(F.attrs["ksp_type"] == "cg" and F.attrs["pc_type"] == "jacobi", "YAML ksp/pc options not applied")
        check(abs(F.attrs["rtol"] - 1e-9) < 1e-20 and F.attrs["initial_guess"] == "zero", "YAML rtol/initial_guess not applied")
        check(F["stats/relative_residual"][0] < 1e-8, "CG did not converge to the YAML rtol")
    for ev in ("SkuaIO_Read", "SkuaIO_Write"):
        check(ev in p.out, f"-log_view does not show {ev}")
    print("yaml + log_view: OK")


def test_help():
    p = run("skua-solve", ["-help"], 1, check=False)
    for opt in ("-problem", "-output", "-initial_guess", "-resume", "-ksp_type"):
        check(opt in p.out, f"-help does not list {opt}")
    print("help: OK")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("case")
    ap.add_argument("--np", type=int, default=1)
    a = ap.parse_args()
    {"reference": lambda: test_reference(a.np), "binary": lambda: test_binary(a.np), "sequence_np": test_sequence_np,
     "resume": lambda: test_resume(a.np), "help": test_help,
     "yaml_logview": test_yaml_logview}[a.case]()
