#!/usr/bin/python3
"""Fixture for test_io: one random nonsymmetric matrix stored as CSR and as dense, plus scipy's A @ x."""
import sys

import h5py
import numpy as np
import scipy.sparse as sp

n = 97  # odd, so np 2 and 4 split rows unevenly
rng = np.random.default_rng(11)
A = (sp.random(n, n, density=0.08, random_state=rng, format="csr") + sp.eye(n) * 3).tocsr()
A.sort_indices()
x = np.arange(n, dtype=np.float64)
with h5py.File(sys.argv[1], "w") as F:
    g = F.create_group("csr")
    g["data"], g["indices"], g["indptr"] = A.data, A.indices.astype(np.int64), A.indptr.astype(np.int64)
    g.attrs["shape"] = np.array(A.shape, dtype=np.int64)
    F["dense"] = A.toarray()
    F["Ax"] = A @ x  # reference product for x_i = i
    F.attrs["frobenius"] = sp.linalg.norm(A)
