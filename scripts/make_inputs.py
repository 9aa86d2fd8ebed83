#!/usr/bin/python3
"""Generate Skua's shipped problem sets in inputs/ (deterministic; run with Debian's /usr/bin/python3).

convdiff_sequence.h5  20 systems of 2-D convection-diffusion, -eps*Lap(u) + w.grad(u) = f on (0,1)^2,
                      48x48 interior nodes, first-order upwind convection, u = 0 on the boundary.
                      The wind w = |w| (cos t, sin t) turns by 3 degrees per system, so neighbouring systems
                      are similar (the setting Krylov recycling is built for). /sequence/NNNNNN/{A,b}.
aniso_diffusion.h5    one SPD system, -div(K grad u) = 1 with K = diag(a(x,y), 1e-2 a(x,y)) on 64x64 nodes,
                      a(x,y) = 1 + 0.9 sin(3 pi x) sin(2 pi y) (harmonic face means), /A, /b, /x0 = 0.
"""
import argparse
import os
import sys

import h5py
import numpy as np
import scipy.sparse as sp


def write_csr(group, A):
    A = sp.csr_matrix(A)
    A.sort_indices()
    group.create_dataset("data", data=A.data.astype(np.float64))
    group.create_dataset("indices", data=A.indices.astype(np.int64))
    group.create_dataset("indptr", data=A.indptr.astype(np.int64))
    group.attrs["shape"] = np.array(A.shape, dtype=np.int64)


def convdiff(n, eps, wx, wy):
    h = 1.0 / (n + 1)
    rows, cols, vals = [], [], []
    idx = lambda i, j: j * n + i  # x fast, y slow
    for j in range(n):
        for i in range(n):
            p = idx(i, j)
            diag = 4 * eps / h**2 + (abs(wx) + abs(wy)) / h
            rows.append(p); cols.append(p); vals.append(diag)
            # upwind: the upstream neighbour gets -|w|/h
            nb = {(-1, 0): eps / h**2 + max(wx, 0) / h, (1, 0): eps / h**2 + max(-wx, 0) / h,
                  (0, -1): eps / h**2 + max(wy, 0) / h, (0, 1): eps / h**2 + max(-wy, 0) / h}
            for (di, dj), c in nb.items():
                ii, jj = i + di, j + dj
                if 0 <= ii < n and 0 <= jj < n:
                    rows.append(p); cols.append(idx(ii, jj)); vals.append(-c)
    return sp.csr_matrix((vals, (rows, cols)), shape=(n * n, n * n))


def aniso(n, ratio):
    h = 1.0 / (n + 1)
    x = (np.arange(n) + 1) * h
    X, Y = np.meshgrid(x, x)  # Y slow
    a = 1 + 0.9 * np.sin(3 * np.pi * X) * np.sin(2 * np.pi * Y)
    rows, cols, vals = [], [], []
    for j in range(n):
        for i in range(n):
            p = j * n + i
            d = 0.0
            for (di, dj, scale) in ((-1, 0, 1.0), (1, 0, 1.0), (0, -1, ratio), (0, 1, ratio)):
                ii, jj = i + di, j + dj
                if 0 <= ii < n and 0 <= jj < n:
                    k = scale * 2 * a[j, i] * a[jj, ii] / (a[j, i] + a[jj, ii])
                    rows.append(p); cols.append(jj * n + ii); vals.append(-k / h**2)
                else:
                    k = scale * a[j, i]
                d += k / h**2
            rows.append(p); cols.append(p); vals.append(d)
    return sp.csr_matrix((vals, (rows, cols)), shape=(n * n, n * n))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--outdir", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "inputs"))
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)

    n, eps, speed = 48, 0.01, 1.0
    h = 1.0 / (n + 1)
    x = (np.arange(n) + 1) * h
    X, Y = np.meshgrid(x, x)
    f = np.exp(-50 * ((X - 0.3) ** 2 + (Y - 0.4) ** 2)).ravel()
    path = os.path.join(args.outdir, "convdiff_sequence.h5")
    with h5py.File(path, "w") as F:
        F.attrs["description"] = "2-D upwind convection-diffusion, eps=0.01, |w|=1, wind turning 3 deg per system, 48x48"
        for s in range(20):
            t = np.deg2rad(20 + 3 * s)
            g = F.create_group(f"sequence/{s:06d}")
            write_csr(g.create_group("A"), convdiff(n, eps, speed * np.cos(t), speed * np.sin(t)))
            g.create_dataset("b", data=f)
    print("wrote", path)

    n = 64
    path = os.path.join(args.outdir, "aniso_diffusion.h5")
    with h5py.File(path, "w") as F:
        F.attrs["description"] = "SPD anisotropic diffusion -div(diag(a, 0.01 a) grad u) = 1, 64x64, harmonic face means"
        write_csr(F.create_group("A"), aniso(n, 1e-2))
        F.create_dataset("b", data=np.ones(n * n))
        F.create_dataset("x0", data=np.zeros(n * n))
    print("wrote", path)


if __name__ == "__main__":
    sys.exit(main())
