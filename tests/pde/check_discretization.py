#!/usr/bin/python3
"""Independent check of src/pde: rebuild the fields (RNG + GRF) and the matrices from docs/pde.md alone.

Usage: /usr/bin/python3 check_discretization.py PREFIX [family ...]
PREFIX is the -dump_prefix given to test_pde; it wrote PREFIX_<family>_{meta.txt,fields,indptr,indices,data,b}.bin
(2-D) and PREFIX_3d_<family>_* (3-D, -pde_dim 3); pass PREFIX_3d to check the 3-D dump (meta.txt says "dim 3").
The GRF is evaluated by dense sine-matrix products (no FFT), the RNG by a numpy re-implementation of splitmix64.
Exits 1 on any mismatch larger than 1e-12 (relative).
"""
import sys
import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg  # noqa: F401  (sp.linalg.norm)

TOL = 1e-12
GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def mix64(z):
    z = np.asarray(z, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def normals(seed, stream, count):
    with np.errstate(over="ignore"):
        key = mix64(mix64(np.array([seed], dtype=np.uint64)) + np.array([stream], dtype=np.uint64) * GOLDEN)[0]
        npair = (count + 1) // 2
        w = np.arange(2 * npair, dtype=np.uint64)
        words = mix64(key + (w + np.uint64(1)) * GOLDEN)
    u1 = ((words[0::2] >> np.uint64(11)) + np.uint64(1)).astype(np.float64) * 2.0**-53
    u2 = (words[1::2] >> np.uint64(11)).astype(np.float64) * 2.0**-53
    r = np.sqrt(-2.0 * np.log(u1))
    out = np.empty(2 * npair)
    out[0::2] = r * np.cos(2 * np.pi * u2)
    out[1::2] = r * np.sin(2 * np.pi * u2)
    return out[:count]


def grf(n, alpha, tau, sigma, seed, sample, field_id):
    """G[j, i] at x = (i+1)h, y = (j+1)h: sum_{k,l} sqrt(lambda_kl) xi_kl 2 sin(k pi x) sin(l pi y)."""
    stream = (sample << 16) | field_id
    xi = normals(seed, stream, n * n).reshape(n, n)  # [l-1, k-1]
    k = np.arange(1, n + 1)
    lam = sigma**2 * (np.pi**2 * (k[None, :] ** 2 + k[:, None] ** 2) + tau**2) ** (-alpha)
    c = np.sqrt(lam) * xi
    x = np.arange(1, n + 1) / (n + 1)
    S = np.sin(np.pi * np.outer(x, k))  # S[i, k-1] = sin(k pi x_i)
    return 2.0 * S @ c @ S.T  # [j, i]


def grf3(n, alpha, tau, sigma, seed, sample, field_id):
    """3-D: G[k, j, i] at ((i+1)h, (j+1)h, (k+1)h) = sum_{a,b,c} sqrt(lambda_abc) xi_abc 2^(3/2) sin sin sin."""
    stream = (sample << 16) | field_id
    xi = normals(seed, stream, n**3).reshape(n, n, n)  # [c-1, b-1, a-1]
    k = np.arange(1, n + 1)
    lam = sigma**2 * (np.pi**2 * (k[:, None, None] ** 2 + k[None, :, None] ** 2 + k[None, None, :] ** 2) + tau**2) ** (-alpha)
    coef = np.sqrt(lam) * xi
    x = np.arange(1, n + 1) / (n + 1)
    S = np.sin(np.pi * np.outer(x, k))
    return 2.0 * np.sqrt(2.0) * np.einsum("zc,yb,xa,cba->zyx", S, S, S, coef)


def seven_point(n, diag, nbr):
    """CSR from per-node coefficients [k, j, i] (natural order p = (k*n + j)*n + i); nbr maps (di, dj, dk) to the
    coefficient array of that neighbour; neighbours outside the grid are dropped."""
    idx = np.arange(n**3).reshape(n, n, n)
    k, j, i = np.meshgrid(np.arange(n), np.arange(n), np.arange(n), indexing="ij")
    rows, cols, vals = [idx.ravel()], [idx.ravel()], [diag.ravel()]
    for (di, dj, dk), coef in nbr.items():
        m = (i + di >= 0) & (i + di < n) & (j + dj >= 0) & (j + dj < n) & (k + dk >= 0) & (k + dk < n)
        rows.append(idx[m])
        cols.append((idx + di + dj * n + dk * n * n)[m])
        vals.append(coef[m])
    N = n**3
    return sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(N, N))


def diffusion3(K, h, shift):
    """3-D: shift*u_p + sum over the 6 faces k_pq (u_p - u_q)/h^2, harmonic means, boundary faces use K_p."""
    hm = lambda a, b: 2.0 * a * b / (a + b)
    f = {d: K.copy() for d in ("w", "e", "s", "n", "d", "u")}
    f["w"][:, :, 1:] = hm(K[:, :, 1:], K[:, :, :-1])
    f["e"][:, :, :-1] = hm(K[:, :, :-1], K[:, :, 1:])
    f["s"][:, 1:, :] = hm(K[:, 1:, :], K[:, :-1, :])
    f["n"][:, :-1, :] = hm(K[:, :-1, :], K[:, 1:, :])
    f["d"][1:, :, :] = hm(K[1:, :, :], K[:-1, :, :])
    f["u"][:-1, :, :] = hm(K[:-1, :, :], K[1:, :, :])
    diag = shift + sum(f.values()) / h**2
    nbr = {(-1, 0, 0): -f["w"] / h**2, (1, 0, 0): -f["e"] / h**2, (0, -1, 0): -f["s"] / h**2,
           (0, 1, 0): -f["n"] / h**2, (0, 0, -1): -f["d"] / h**2, (0, 0, 1): -f["u"] / h**2}
    return seven_point(K.shape[0], diag, nbr)


def laplacian3(n, h, c):
    one = np.ones((n, n, n))
    nbr = {d: -one / h**2 for d in ((-1, 0, 0), (1, 0, 0), (0, -1, 0), (0, 1, 0), (0, 0, -1), (0, 0, 1))}
    return seven_point(n, np.broadcast_to(6.0 / h**2 - c, (n, n, n)), nbr)


def read_meta(prefix, fam):
    meta = {}
    with open(f"{prefix}_{fam}_meta.txt") as fp:
        for line in fp:
            key, *val = line.split()
            meta[key] = val if key == "fields" else val[0]
    return meta


def five_point(n, diag, west, east, south, north):
    """CSR from per-node coefficients (natural order p = j*n + i); neighbours outside the grid are dropped."""
    idx = np.arange(n * n).reshape(n, n)
    i = np.tile(np.arange(n), n).reshape(n, n)
    j = np.repeat(np.arange(n), n).reshape(n, n)
    rows, cols, vals = [idx.ravel()], [idx.ravel()], [diag.ravel()]
    for coef, di, dj in ((west, -1, 0), (east, 1, 0), (south, 0, -1), (north, 0, 1)):
        m = (i + di >= 0) & (i + di < n) & (j + dj >= 0) & (j + dj < n)
        rows.append(idx[m])
        cols.append((idx + di + dj * n)[m])
        vals.append(coef[m])
    return sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n * n, n * n))


def diffusion(K, h, shift):
    """shift*u_p + sum_q k_pq (u_p - u_q)/h^2, k_pq harmonic mean, boundary faces use K_p."""
    hm = lambda a, b: 2.0 * a * b / (a + b)
    kw, ke, ks, kn = K.copy(), K.copy(), K.copy(), K.copy()
    kw[:, 1:] = hm(K[:, 1:], K[:, :-1])
    ke[:, :-1] = hm(K[:, :-1], K[:, 1:])
    ks[1:, :] = hm(K[1:, :], K[:-1, :])
    kn[:-1, :] = hm(K[:-1, :], K[1:, :])
    n = K.shape[0]
    return five_point(n, shift + (kw + ke + ks + kn) / h**2, -kw / h**2, -ke / h**2, -ks / h**2, -kn / h**2)


def laplacian(n, h, c):
    one = np.ones((n, n))
    return five_point(n, np.broadcast_to(4.0 / h**2 - c, (n, n)), -one / h**2, -one / h**2, -one / h**2, -one / h**2)


def relerr(a, b):
    d = np.max(np.abs(a - b)) if a.size else 0.0
    return d / max(np.max(np.abs(b)), 1e-300)


def check(prefix, fam):
    meta = read_meta(prefix, fam)
    n, seed, sample = int(meta["n"]), int(meta["seed"]), int(meta["sample"])
    alpha, tau, sigma = float(meta["alpha"]), float(meta["tau"]), float(meta["sigma"])
    dim = int(meta.get("dim", 2))
    h = 1.0 / (n + 1)
    names = meta["fields"]
    raw = np.fromfile(f"{prefix}_{fam}_fields.bin", dtype="<f8").reshape((len(names),) + (n,) * dim)
    fields = dict(zip(names, raw))
    field, diff, lap = (grf3, diffusion3, laplacian3) if dim == 3 else (grf, diffusion, laplacian)
    N = n**dim
    if dim == 3:  # the documented default amplitude tau^(alpha - 3/2), unless -grf_sigma was given
        check_sigma = abs(sigma - tau ** (alpha - 1.5)) <= 1e-14 * sigma
        print(f"  {fam:9s} 3-D sigma {sigma:.6g} {'= tau^(alpha-3/2)' if check_sigma else '(user value)'}")
    indptr = np.fromfile(f"{prefix}_{fam}_indptr.bin", dtype="<i8")
    indices = np.fromfile(f"{prefix}_{fam}_indices.bin", dtype="<i8")
    data = np.fromfile(f"{prefix}_{fam}_data.bin", dtype="<f8")
    b = np.fromfile(f"{prefix}_{fam}_b.bin", dtype="<f8")
    A = sp.csr_matrix((data, indices, indptr), shape=(N, N))
    fails = []

    # 1. fields from (seed, sample, field id) alone
    G0 = field(n, alpha, tau, sigma, seed, sample, 0)
    if fam == "darcy":
        ref = {"K": np.exp(G0)}
    elif fam == "poisson":
        ref = {"f": G0}
    elif fam == "helmholtz":
        ref = {"kappa": float(meta["k0"]) * (1.0 + 0.5 * np.tanh(G0))}
    else:
        ref = {"K": np.where(G0 > 0, float(meta["contrast"]), 1.0), "u0": field(n, alpha, tau, sigma, seed, sample, 1)}
    for name, r in ref.items():
        if fam == "heat" and name == "K":
            bad = (fields[name] != r) & (np.abs(G0) > 1e-12)  # a node with G ~ 0 may fall either way
            e = float(bad.sum())
        else:
            e = relerr(fields[name], r)
        print(f"  {fam:9s} {dim}-D field {name:5s} vs numpy GRF: rel diff {e:.2e}")
        if e > TOL:
            fails.append(f"field {name}")

    # 2. matrix and rhs from the stored fields, per docs/pde.md
    if fam == "darcy":
        Aref, bref = diff(fields["K"], h, 0.0), np.ones(N)
    elif fam == "poisson":
        Aref, bref = lap(n, h, 0.0), fields["f"].ravel()
    elif fam == "helmholtz":
        Aref, bref = lap(n, h, fields["kappa"] ** 2), np.ones(N)
    else:
        dt = float(meta["dt"])
        Aref, bref = diff(fields["K"], h, 1.0 / dt), fields["u0"].ravel() / dt
    Aref.sort_indices()
    same_pattern = np.array_equal(Aref.indptr, indptr) and np.array_equal(Aref.indices, indices)
    eA = sp.linalg.norm(A - Aref) / sp.linalg.norm(Aref)
    eb = np.linalg.norm(b - bref) / np.linalg.norm(bref)
    print(f"  {fam:9s} {dim}-D matrix rel diff {eA:.2e} (pattern {'same' if same_pattern else 'DIFFERENT'}, nnz {A.nnz}), rhs rel diff {eb:.2e}")
    if dim == 3 and A.nnz != 7 * n**3 - 6 * n**2:
        fails.append(f"nnz {A.nnz} != 7n^3 - 6n^2")
    if not same_pattern:
        fails.append("pattern")
    if not eA <= TOL:
        fails.append(f"matrix {eA:.2e}")
    if not eb <= TOL:
        fails.append(f"rhs {eb:.2e}")
    return fails


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    prefix = sys.argv[1]
    fams = sys.argv[2:] or ["darcy", "poisson", "helmholtz", "heat"]
    bad = 0
    # self-test of the reference itself: the sine matrix is orthogonal up to (n+1)/2
    k = np.arange(1, 9)
    S = np.sin(np.pi * np.outer(k / 9.0, k))
    assert np.allclose(S @ S.T, 4.5 * np.eye(8))
    for fam in fams:
        fails = check(prefix, fam)
        if fails:
            print(f"FAIL {fam}: {', '.join(fails)}")
            bad += 1
    print("check_discretization: " + ("all checks passed" if not bad else f"{bad} families FAILED"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
