#!/usr/bin/python3
"""Bad input to skua-solve: a clear message naming the file and dataset, non-zero exit, no output file."""
import argparse
import os

import h5py
import numpy as np
import scipy.sparse as sp

from skuatest import check, random_system, run, tmpdir, write_csr, write_petsc_binary

N = 50


def base(F, A=None, b=None):
    A0, b0 = random_system(N, seed=7, density=0.1)
    write_csr(F.create_group("A"), A0 if A is None else A)
    F["b"] = b0 if b is None else b


def raw_csr(F, data, indices, indptr, shape):
    g = F.create_group("A")
    g["data"], g["indices"], g["indptr"] = data, indices, indptr
    g.attrs["shape"] = np.array(shape, dtype=np.int64)


def valid_parts():
    A, b = random_system(N, seed=7, density=0.1)
    return A.data.copy(), A.indices.astype(np.int64), A.indptr.astype(np.int64), b


def h5case(fn):
    """Decorator: the case writes an HDF5 file through fn(F)."""
    def make(path):
        with h5py.File(path, "w") as F:
            fn(F)
        return path, []
    return make


def case_missing_file(path):
    return path + ".does-not-exist", ["no such file"]


def case_not_hdf5(path):
    with open(path, "w") as f:
        f.write("this is not HDF5\n")
    return path, ["not an HDF5 file"]


def not_problem_set(F):
    F["something_else"] = np.ones(3)


def missing_b(F):
    A, _ = random_system(N, seed=7)
    write_csr(F.create_group("A"), A)


def missing_indptr(F):
    d, i, p, b = valid_parts()
    g = F.create_group("A")
    g["data"], g["indices"] = d, i
    g.attrs["shape"] = np.array([N, N], dtype=np.int64)
    F["b"] = b


def wrong_dtype_data(F):
    d, i, p, b = valid_parts()
    raw_csr(F, d.astype(np.int64), i, p, (N, N))
    F["b"] = b


def wrong_dtype_indices(F):
    d, i, p, b = valid_parts()
    raw_csr(F, d, i.astype(np.float64), p, (N, N))
    F["b"] = b


def indptr_not_monotone(F):
    d, i, p, b = valid_parts()
    p[N // 2 + 1], p[N // 2] = p[N // 2], p[N // 2 + 1]  # swap two offsets: a decrease
    raw_csr(F, d, i, p, (N, N))
    F["b"] = b


def indptr_bad_end(F):
    d, i, p, b = valid_parts()
    raw_csr(F, np.r_[d, 1.0], np.r_[i, 0], p, (N, N))  # data/indices one longer than indptr[-1]
    F["b"] = b


def column_out_of_range(F):
    d, i, p, b = valid_parts()
    i[-1] = N + 5  # in the last row: owned by the last rank at np 2
    raw_csr(F, d, i, p, (N, N))
    F["b"] = b


def shape_mismatch(F):
    base(F, b=np.ones(N + 1))


def nonsquare(F):
    A = sp.random(N, N + 3, density=0.2, random_state=1, format="csr") + sp.eye(N, N + 3)
    write_csr(F.create_group("A"), A)
    F["b"] = np.ones(N)


def negative_shape(F):
    d, i, p, b = valid_parts()
    raw_csr(F, d, i, p, (-N, -N))
    F["b"] = b


def nan_data(F):
    d, i, p, b = valid_parts()
    d[-3] = np.nan
    raw_csr(F, d, i, p, (N, N))
    F["b"] = b


def inf_b(F):
    _, _, _, b = valid_parts()
    b[1] = np.inf
    base(F, b=b)


def nan_x0(F):
    base(F)
    x0 = np.zeros(N)
    x0[N - 1] = np.nan
    F["x0"] = x0


def sequence_bad_name(F):
    A, b = random_system(N, seed=7)
    write_csr(F.create_group("A"), A)
    F["sequence/000000/b"] = b
    F["sequence/1/b"] = b


def sequence_missing_A(F):
    _, b = random_system(N, seed=7)
    F["sequence/000000/b"] = b


def case_binary_truncated(path):
    A, b = random_system(N, seed=8)
    write_petsc_binary(path, [A, b])
    with open(path, "r+b") as f:
        f.truncate(os.path.getsize(path) - 100)
    return path, ["truncated"]


def case_binary_shape_mismatch(path):
    A, b = random_system(N, seed=8)
    write_petsc_binary(path, [A, np.ones(N + 2)])
    return path, ["shape mismatch"]


# case -> (file maker, fragments the message must contain, extra args)
CASES = {
    "missing_file": (case_missing_file, [], []),
    "not_hdf5": (case_not_hdf5, [], []),
    "not_problem_set": (h5case(not_problem_set), ["not a Skua problem set"], []),
    "missing_b": (h5case(missing_b), ["'/b' is missing"], []),
    "missing_indptr": (h5case(missing_indptr), ["'/A/indptr' is missing"], []),
    "wrong_dtype_data": (h5case(wrong_dtype_data), ["'/A/data'", "wrong dtype"], []),
    "wrong_dtype_indices": (h5case(wrong_dtype_indices), ["'/A/indices'", "wrong dtype"], []),
    "indptr_not_monotone": (h5case(indptr_not_monotone), ["'/A/indptr'", "not monotone"], []),
    "indptr_bad_end": (h5case(indptr_bad_end), ["'/A/indptr'", "ends with"], []),
    "column_out_of_range": (h5case(column_out_of_range), ["'/A/indices'", "out of range", f"row {N - 1}"], []),
    "shape_mismatch": (h5case(shape_mismatch), ["'/b'", "shape mismatch"], []),
    "nonsquare": (h5case(nonsquare), ["'/A'", "not square"], []),
    "negative_shape": (h5case(negative_shape), ["'/A'", "negative shape"], []),
    "nan_data": (h5case(nan_data), ["'/A/data'", "non-finite"], []),
    "inf_b": (h5case(inf_b), ["'/b'", "non-finite"], []),
    "nan_x0": (h5case(nan_x0), ["'/x0'", "non-finite"], []),
    "sequence_bad_name": (h5case(sequence_bad_name), ["6-digit"], []),
    "sequence_missing_A": (h5case(sequence_missing_A), ["'/sequence/000000/A' is missing"], []),
    "unknown_initial_guess": (h5case(base), ["bogus", "initial_guess"], ["-initial_guess", "bogus"]),
    "unknown_ksp_type": (h5case(base), ["bogus"], ["-ksp_type", "bogus"]),
    "missing_problem_option": (h5case(base), ["Missing -problem"], ["NO_PROBLEM"]),
    "binary_truncated": (case_binary_truncated, [], []),
    "binary_shape_mismatch": (case_binary_shape_mismatch, [], []),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=sorted(CASES))
    ap.add_argument("--np", type=int, default=1)
    a = ap.parse_args()
    d = tmpdir()
    maker, frags, extra = CASES[a.case]
    path, more = maker(os.path.join(d, "input.h5" if "binary" not in a.case else "input.petsc"))
    out = os.path.join(d, "out.h5")
    args = ["-problem", path, "-output", out]
    if extra == ["NO_PROBLEM"]:
        args, extra = ["-output", out], []
    p = run("skua-solve", args + extra, a.np, check=False, timeout=120)
    check(p.returncode != 0, f"{a.case}: exit status 0 on bad input\n{p.out}")
    needs = frags + more + ([os.path.basename(path)] if extra == [] and "-problem" in args else [])
    for frag in needs:
        check(frag in p.out, f"{a.case}: message lacks '{frag}':\n{p.out}")
    check(not os.path.exists(out), f"{a.case}: {out} exists after a failed run")
    check(not os.path.exists(out + ".partial"), f"{a.case}: {out}.partial exists after a failed run")
    print(f"{a.case} (np {a.np}): OK")


if __name__ == "__main__":
    main()
