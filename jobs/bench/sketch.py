#!/usr/bin/python3
"""Sketch benchmark helper (Blendenpik/LSRN): writes tall least-squares test problems and tabulates results.

  sketch.py generate -rows M -cols d -cond C [-coherent 0|1] [-sparse 0|1] [-density 0.01] [-seed 1] -output P.h5
  sketch.py generate_logistic -rows M -cols d [-sparse 0|1] [-density 0.05] [-seed 1] -output P.h5
  sketch.py table WORKDIR              (used by jobs/bench/sketch.sh)
"""
import json
import sys

import h5py
import numpy as np


def generate(M, d, cond, coherent=0, sparse=0, density=0.01, seed=1):
    """Returns (A, b) with cond(A) ~= cond and b = A x_true + noise (an inconsistent system)."""
    rng = np.random.default_rng(seed)
    sv = np.logspace(0, -np.log10(cond), d)
    if sparse:
        import scipy.sparse as sp
        # Sparse random rows plus a scaled identity block (full rank), column scaling sets the conditioning.
        G = sp.random(M, d, density=density, random_state=seed, format="csr", data_rvs=rng.standard_normal)
        G = G + sp.vstack([sp.identity(d), sp.csr_matrix((M - d, d))])
        A = (G @ sp.diags(sv)).tocsr()
        A.sort_indices()
    else:
        G = rng.standard_normal((M, d))
        if coherent:
            # A few rows with high leverage: uniform row sampling misses them, random projections do not.
            G[:d] *= 1e3
        U, _ = np.linalg.qr(G)
        V, _ = np.linalg.qr(rng.standard_normal((d, d)))
        A = (U * sv) @ V.T
    x = rng.standard_normal(d)
    b = A @ x + 1e-3 * rng.standard_normal(M)
    return A, b


def generate_logistic(M, d, sparse=0, density=0.05, seed=1):
    """Returns (A, b) with labels b in {-1, +1} drawn from a logistic model with true weights of norm ~3."""
    rng = np.random.default_rng(seed)
    if sparse:
        import scipy.sparse as sp
        A = sp.random(M, d, density=density, random_state=seed, format="csr", data_rvs=rng.standard_normal)
        A.sort_indices()
        scale = 1.0 / np.sqrt(density * d)
    else:
        A = rng.standard_normal((M, d))
        scale = 1.0 / np.sqrt(d)
    w = 3.0 * scale * rng.standard_normal(d)
    p = 1.0 / (1.0 + np.exp(-(A @ w)))
    b = np.where(rng.random(M) < p, 1.0, -1.0)
    return A, b


def logistic_objective(A, b, l2):
    """F(x) = sum log(1 + exp(-b o Ax)) + l2/2 |x|^2 and its gradient (skua-bcd's definition: sums, not means)."""
    def F(x):
        u = b * (A @ x)
        g = A.T @ (-b / (1.0 + np.exp(u))) + l2 * x
        return np.logaddexp(0.0, -u).sum() + 0.5 * l2 * x @ x, g
    return F


def write(path, A, b):
    with h5py.File(path, "w") as f:
        if hasattr(A, "indptr"):
            g = f.create_group("A")
            g["data"] = A.data.astype(np.float64)
            g["indices"] = A.indices.astype(np.int64)
            g["indptr"] = A.indptr.astype(np.int64)
            g.attrs["shape"] = np.array(A.shape, dtype=np.int64)
        else:
            f["A"] = A
        f["b"] = b


def main(argv):
    if len(argv) < 2 or argv[1] not in ("generate", "generate_logistic", "table"):
        sys.exit(__doc__)
    if argv[1] == "generate_logistic":
        opts = dict(rows=100000, cols=100, sparse=0, density=0.05, seed=1, output=None)
        it = iter(argv[2:])
        for k in it:
            key = k.lstrip("-")
            if key not in opts:
                sys.exit(f"sketch.py generate_logistic: unknown option {k}")
            opts[key] = next(it)
        if not opts["output"]:
            sys.exit("sketch.py generate_logistic: missing -output FILE")
        A, b = generate_logistic(int(opts["rows"]), int(opts["cols"]), int(opts["sparse"]), float(opts["density"]), int(opts["seed"]))
        write(opts["output"], A, b)
        return
    if argv[1] == "generate":
        opts = dict(rows=20000, cols=100, cond=1e8, coherent=0, sparse=0, density=0.01, seed=1, output=None)
        it = iter(argv[2:])
        for k in it:
            key = k.lstrip("-")
            if key not in opts:
                sys.exit(f"sketch.py generate: unknown option {k}")
            opts[key] = next(it)
        if not opts["output"]:
            sys.exit("sketch.py generate: missing -output FILE")
        A, b = generate(int(opts["rows"]), int(opts["cols"]), float(opts["cond"]), int(opts["coherent"]),
                        int(opts["sparse"]), float(opts["density"]), int(opts["seed"]))
        write(opts["output"], A, b)
        return
    table(argv[2])


def table(work):
    """Reads the bench outputs in work/, computes accuracy against a dense QR solve, prints markdown, writes JSON."""
    import glob
    import os
    import time
    import scipy.linalg as sl
    rows = []
    for prob in ("dense", "sparse"):
        path = os.path.join(work, prob + ".h5")
        if not os.path.exists(path):  # PARTS=2: no least-squares part
            continue
        with h5py.File(path, "r") as f:
            if isinstance(f["A"], h5py.Group):
                import scipy.sparse as sp
                g = f["A"]
                A = sp.csr_matrix((g["data"][...], g["indices"][...], g["indptr"][...]), shape=tuple(g.attrs["shape"])).toarray()
            else:
                A = f["A"][...]
            b = f["b"][...]
        t0 = time.perf_counter()
        xref = sl.lstsq(A, b, lapack_driver="gelsy")[0]
        tqr = time.perf_counter() - t0
        rref = np.linalg.norm(A @ xref - b)
        rows.append(dict(problem=f"{prob} {A.shape[0]}x{A.shape[1]}", method="dense QR (gelsy, 1 proc)", its=0, sec=tqr,
                         err=0.0, resid=1.0, ratio=1.0, converged=True))
        # the other dense baselines a user would pick: Householder QR (numpy) and scipy's default driver (SVD, gelsd)
        t0 = time.perf_counter()
        Q, R = np.linalg.qr(A)
        xq = sl.solve_triangular(R, Q.T @ b)
        tq = time.perf_counter() - t0
        del Q
        t0 = time.perf_counter()
        xd = sl.lstsq(A, b)[0]
        td = time.perf_counter() - t0
        for lab, xx, tt in (("Householder QR (numpy qr + triangular solve)", xq, tq), ("SVD least squares (scipy lstsq default, gelsd)", xd, td)):
            rows.append(dict(problem=f"{prob} {A.shape[0]}x{A.shape[1]}", method=lab, its=0, sec=tt,
                             err=float(np.linalg.norm(xx - xref) / np.linalg.norm(xref)),
                             resid=float(np.linalg.norm(A @ xx - b) / rref), ratio=tt / tqr, converged=True))
        for out in sorted(glob.glob(os.path.join(work, prob + "-*.h5"))):
            name = os.path.basename(out)[len(prob) + 1:-3]
            try:
                with h5py.File(out, "r") as f:
                    x = f["x"][...]
                    its, sec, conv = int(f.attrs["iterations"]), float(f.attrs["solve_seconds"]), bool(f.attrs["converged"])
            except OSError:
                rows.append(dict(problem=f"{prob} {A.shape[0]}x{A.shape[1]}", method=name + " (FAILED, see log)", its=-1,
                                 sec=float("nan"), err=float("nan"), resid=float("nan"), ratio=float("nan"), converged=False))
                continue
            rows.append(dict(problem=f"{prob} {A.shape[0]}x{A.shape[1]}", method=name + ("" if conv else " (not converged)"),
                             its=its, sec=sec, err=float(np.linalg.norm(x - xref) / np.linalg.norm(xref)),
                             resid=float(np.linalg.norm(A @ x - b) / rref), ratio=sec / tqr, converged=conv))
    print("| problem | method | iterations | seconds | time / dense QR | rel. diff. x vs QR | residual / QR residual |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['problem']} | {r['method']} | {r['its']} | {r['sec']:.3f} | {r['ratio']:.3f} | {r['err']:.1e} | {r['resid']:.6f} |")
    nrows = newton_table(work)
    with open(os.path.join(work, "sketch-bench.json"), "w") as f:
        json.dump(dict(lsq=rows, newton=nrows), f, indent=1)


GAPS = (1e-4, 1e-6, 1e-8)


def newton_table(work):
    """Part (2): Newton Sketch vs exact Newton vs skua-bcd on work/logistic.h5 (same objective definition): final
    state, and seconds to reach each relative objective gap (F - F_best) / |F_best| in GAPS from the traces."""
    import os
    if not os.path.exists(os.path.join(work, "logistic.h5")):
        return []
    rows = []
    for name, label in (("newton-sketch-countsketch", "Newton Sketch (countsketch, m = 8d)"),
                        ("newton-sketch-sparsesign", "Newton Sketch (sparsesign, m = 8d)"),
                        ("newton-sketch-srht", "Newton Sketch (srht, m = 8d)"),
                        ("newton-exact-none", "exact Newton (A^T W A)"), ("bcd", "skua-bcd (logistic)")):
        try:
            with h5py.File(os.path.join(work, name + ".h5"), "r") as f:
                at = dict(f.attrs)
                tr = (f["trace/objective"][:], f["trace/seconds"][:])
                if name == "bcd":
                    rows.append(dict(method=label, its=int(at["iterations"]), sec=float(f["stats/solve_seconds"][0]),
                                     F=float(at["objective"]), gnorm=float(at["gradient_norm"]), trace=tr))
                else:
                    rows.append(dict(method=label, its=int(at["iterations"]), sec=float(at["solve_seconds"]),
                                     F=float(at["final_objective"]), gnorm=float(at["final_gradient_norm"]), trace=tr))
        except (OSError, KeyError):
            rows.append(dict(method=label + " (FAILED, see log)", its=-1, sec=float("nan"), F=float("nan"), gnorm=float("nan"), trace=None))
    fbest = min(r["F"] for r in rows if r["F"] == r["F"])
    for r in rows:
        r["to_gap"] = []
        for g in GAPS:
            hit = [] if r["trace"] is None else np.nonzero((r["trace"][0] - fbest) <= g * abs(fbest))[0]
            r["to_gap"].append(float(r["trace"][1][hit[0]]) if len(hit) else None)
        del r["trace"]
    texact = next((r["sec"] for r in rows if r["method"].startswith("exact")), float("nan"))
    with h5py.File(os.path.join(work, "logistic.h5"), "r") as f:
        shape = f["A"].shape
    print()
    print(f"Logistic regression {shape[0]} x {shape[1]} (dense), sum of losses + l2/2 |x|^2; seconds to a relative gap from")
    print("the per-iteration traces (skua-bcd: trace points), F_best = the lowest final F of all methods:")
    print()
    print("| method | iterations | seconds | time / exact Newton | " + " | ".join(f"s to gap {g:g}" for g in GAPS) + " | F | (F - F_best) / F_best | gradient norm |")
    print("|---|---:|---:|---:|" + "---:|" * len(GAPS) + "---:|---:|---:|")
    for r in rows:
        cells = " | ".join("-" if t is None else f"{t:.2f}" for t in r["to_gap"])
        print(f"| {r['method']} | {r['its']} | {r['sec']:.3f} | {r['sec'] / texact:.2f} | {cells} | {r['F']:.12e} | "
              f"{(r['F'] - fbest) / abs(fbest):.1e} | {r['gnorm']:.1e} |")
    return rows

if __name__ == "__main__":
    main(sys.argv)
