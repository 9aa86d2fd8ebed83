#!/usr/bin/python3
"""Sketch benchmark helper (Blendenpik/LSRN): writes tall least-squares test problems and tabulates results.

  sketch.py generate -rows M -cols d -cond C [-coherent 0|1] [-sparse 0|1] [-density 0.01] [-seed 1] -output P.h5
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
    if len(argv) < 2 or argv[1] not in ("generate", "table"):
        sys.exit(__doc__)
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
    with open(os.path.join(work, "sketch-bench.json"), "w") as f:
        json.dump(rows, f, indent=1)

if __name__ == "__main__":
    main(sys.argv)
