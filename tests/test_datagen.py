#!/usr/bin/python3
"""skua-datagen end-to-end tests: discretization rebuilt in scipy from the stored fields (2-D and 3-D), np independence,
recycling gain, exact resume, bad options, multigrid presets (2-D and 3-D) (run by CTest)."""
import argparse
import os
import sys

import h5py
import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from skuatest import SOURCE, check, run, tmpdir

sys.path.insert(0, os.path.join(SOURCE, "tests", "pde"))
from check_discretization import diffusion, diffusion3, grf, grf3, laplacian, laplacian3  # noqa: E402  (independent scipy builders)


def datagen(args, np_=2, check_rc=True):
    return run("skua-datagen", args + ["-progress_interval", "1e9"], np_, check=check_rc)


def check_heat(u, M, u0, dt, steps, what):
    """u must be u0 after steps implicit-Euler steps with M = A + I/dt (scipy's sparse solves)."""
    ref = u0.ravel()
    for _ in range(steps):
        ref = spla.spsolve(M, ref / dt)
    err = np.linalg.norm(u.ravel() - ref) / np.linalg.norm(ref)
    check(err < 1e-9, f"{what}: u(T) differs from scipy's time stepping by {err:.2e}")


def test_discretization(family, two_phase=False):
    d = tmpdir()
    out = os.path.join(d, f"{family}.h5")
    n, N = 20, 3
    extra = ["-darcy_high", 12, "-darcy_low", 3] if two_phase else []
    datagen(["-family", family, "-n", n, "-samples", N, "-seed", 5, "-order", "greedy", "-output", out,
             "-ksp_type", "preonly", "-pc_type", "redundant"] + extra, 2)
    h = 1.0 / (n + 1)
    with h5py.File(out) as F:
        at = F.attrs
        check(at["family"] == family and at["n"] == n and at["samples"] == N, "root attributes wrong")
        for a in ("seed", "rtol", "ksp_type", "pc_type", "order", "alpha", "tau", "skua_version", "command_line", "nprocs", "created"):
            check(a in at, f"root attribute {a} missing")
        check(sorted(F["order"][:]) == list(range(N)), "/order is not a permutation")
        for i in range(N):
            u = F["solutions/u"][i]
            G0 = grf(n, at["alpha"], at["tau"], at["sigma"], int(at["seed"]), i, 0)
            if family == "darcy":
                K = F["inputs/K"][i]
                if two_phase:  # FNO's permeability: 12 where G >= 0, 3 elsewhere (nodes with G ~ 0 may fall either way)
                    check(at["darcy_high"] == 12 and at["darcy_low"] == 3, "darcy phase attributes missing")
                    ok = (K == np.where(G0 >= 0, 12.0, 3.0)) | (np.abs(G0) < 1e-12)
                    check(ok.all() and set(np.unique(K)) <= {3.0, 12.0}, f"sample {i}: stored K is not the two-phase field")
                else:
                    check(np.allclose(K, np.exp(G0), rtol=1e-12), f"sample {i}: stored K is not exp(GRF(seed, {i}))")
                A, b = diffusion(K, h, 0.0), np.ones(n * n)
            elif family == "poisson":
                f = F["inputs/f"][i]
                check(np.allclose(f, G0, rtol=1e-10, atol=1e-12), f"sample {i}: stored f is not GRF(seed, {i})")
                A, b = laplacian(n, h, 0.0), f.ravel()
            elif family == "helmholtz":
                kap = F["inputs/kappa"][i]
                A, b = laplacian(n, h, kap**2), np.ones(n * n)
            else:
                K, u0, dt = F["inputs/K"][i], F["inputs/u0"][i], at["heat_dt"]
                check_heat(u, diffusion(K, h, 1.0 / dt).tocsc(), u0, dt, int(at["heat_steps"]), f"heat sample {i}")
                continue
            res = np.linalg.norm(A @ u.ravel() - b) / np.linalg.norm(b)
            check(res < 1e-9, f"{family} sample {i}: stored solution has scipy residual {res:.2e}")
    print(f"{family}: solutions satisfy the documented discretization: OK")


def test_np_identical():
    d = tmpdir()
    res = {}
    for np_ in (1, 4):
        out = os.path.join(d, f"np{np_}.h5")
        datagen(["-family", "darcy", "-n", 24, "-samples", 8, "-seed", 2, "-order", "pca", "-output", out,
                 "-ksp_type", "gcrodr", "-pc_type", "jacobi", "-ksp_rtol", "1e-8"], np_)
        with h5py.File(out) as F:
            res[np_] = {k: F[k][:] for k in ("inputs/K", "order", "stats/iterations", "solutions/u")}
    a, b = res[1], res[4]
    check(np.array_equal(a["inputs/K"], b["inputs/K"]), "fields differ between np 1 and 4")
    check(np.array_equal(a["order"], b["order"]), "pca order differs between np 1 and 4")
    dif = np.abs(a["stats/iterations"] - b["stats/iterations"])
    check(dif.max() <= 1, f"iteration counts differ by more than 1 between np 1 and 4: {a['stats/iterations']} vs {b['stats/iterations']}")
    e = np.linalg.norm(a["solutions/u"] - b["solutions/u"]) / np.linalg.norm(a["solutions/u"])
    check(e < 1e-6, f"solutions differ between np 1 and 4 ({e:.1e})")
    print("np 1 vs 4: fields and order identical, iterations", a["stats/iterations"].tolist(), "vs", b["stats/iterations"].tolist(), ": OK")


def test_recycling():
    d = tmpdir()
    tot = {}
    rtol = 1e-8
    for name, ksp in (("gmres", ["-ksp_type", "gmres", "-ksp_gmres_restart", "40"]), ("gcrodr", ["-ksp_type", "gcrodr"])):
        out = os.path.join(d, f"{name}.h5")
        datagen(["-family", "darcy", "-n", 32, "-samples", 20, "-seed", 1, "-order", "greedy", "-output", out,
                 "-pc_type", "jacobi", "-ksp_rtol", rtol] + ksp, 2)
        with h5py.File(out) as F:
            tot[name] = int(F["stats/iterations"][:].sum())
            if name == "gcrodr":
                worst = F["stats/relative_residual"][:].max()
                check(worst <= rtol * (1 + 1e-6), f"gcrodr true residual {worst:.2e} above rtol")
                check((F["stats/converged_reason"][:] > 0).all(), "a gcrodr solve did not converge")
    check(tot["gcrodr"] <= 0.5 * tot["gmres"], f"gcrodr used {tot['gcrodr']} iterations, more than half of gmres(40)'s {tot['gmres']}")
    print(f"sorted darcy 32^2 x 20: gmres(40) {tot['gmres']} its, gcrodr(40,20) {tot['gcrodr']} its: OK")


def test_resume():
    d = tmpdir()
    common = ["-family", "darcy", "-n", 24, "-samples", 12, "-seed", 3, "-order", "greedy", "-ksp_type", "gcrodr",
              "-pc_type", "jacobi", "-ksp_rtol", "1e-8"]
    full, out = os.path.join(d, "full.h5"), os.path.join(d, "resumed.h5")
    datagen(common + ["-output", full])
    p = datagen(common + ["-output", out, "-abort_after", "5"], check_rc=False)
    check(p.returncode != 0 and not os.path.exists(out) and os.path.exists(out + ".partial"), "killed run: expected only a .partial file")
    p = datagen(common + ["-output", out, "-resume"])
    check("5 of 12 samples already solved" in p.out, "resume did not pick up the finished samples:\n" + p.out)
    with h5py.File(full) as F, h5py.File(out) as G:
        for k in ("stats/iterations", "solutions/u", "inputs/K", "order"):
            check(np.array_equal(F[k][:], G[k][:]), f"{k} differs between the resumed and the uninterrupted run")
    # a partial file made with other settings is refused
    p = datagen(common + ["-output", out, "-abort_after", "2"], check_rc=False)
    p = datagen(common[:4] + ["13"] + common[5:] + ["-output", out, "-resume"], check_rc=False)
    check(p.returncode != 0 and "other settings" in p.out, "resuming with other settings must fail:\n" + p.out)
    print("resume (with recycling) reproduces the uninterrupted run exactly: OK")


def test_yaml():
    """The shipped options file drives datagen; options given after it override it (PETSc order)."""
    d = tmpdir()
    out = os.path.join(d, "y.h5")
    datagen(["-options_file_yaml", os.path.join(SOURCE, "inputs", "darcy.yaml"), "-samples", 4, "-n", 16, "-output", out])
    with h5py.File(out) as F:
        a = F.attrs
        check((a["family"], a["ksp_type"], a["pc_type"], a["order"], a["seed"]) == ("darcy", "gcrodr", "jacobi", "greedy", 1),
              f"YAML settings not applied: {dict(a)}")
        check(a["samples"] == 4 and a["n"] == 16 and abs(a["rtol"] - 1e-7) < 1e-20, "overrides after the YAML file not applied")
        setup, solve = F["stats/setup_seconds"][:], F["stats/solve_seconds"][:]
        check(setup.shape == (4,) and (setup >= 0).all() and (solve >= 0).all(), f"setup/solve seconds not recorded: {setup} {solve}")
        check(abs(a["total_setup_seconds"] - setup.sum()) < 1e-9 and a["solve_cpu_seconds"] >= 0, "setup/CPU totals missing")
    print("YAML options file: OK")


def test_multigrid():
    """-skua_mg presets through the driver: iterations per sample flat in n, same solution as without MG."""
    d = tmpdir()
    its = {}
    for mg in ("geometric", "gamg", "boomeramg"):
        for n in (31, 127):
            out = os.path.join(d, f"{mg}{n}.h5")
            datagen(["-family", "darcy", "-n", n, "-samples", 3, "-seed", 4, "-output", out, "-ksp_type", "cg",
                     "-ksp_rtol", "1e-8", "-skua_mg", mg])
            with h5py.File(out) as F:
                check(F.attrs["pc_type"] != "none", "preset did not set a PC")
                its[mg, n] = F["stats/iterations"][:].max()
                if n == 31:
                    u = F["solutions/u"][:]
                    ref = os.path.join(d, "ref.h5")
                    if not os.path.exists(ref):
                        datagen(["-family", "darcy", "-n", n, "-samples", 3, "-seed", 4, "-output", ref,
                                 "-ksp_type", "preonly", "-pc_type", "redundant"])
                    with h5py.File(ref) as R:
                        e = np.linalg.norm(u - R["solutions/u"][:]) / np.linalg.norm(R["solutions/u"][:])
                    check(e < 1e-6, f"{mg}: solution differs from the direct solve by {e:.1e}")
        check(its[mg, 127] - its[mg, 31] <= 2, f"{mg}: iterations grow from {its[mg, 31]} (n=31) to {its[mg, 127]} (n=127)")
    print("multigrid presets in skua-datagen:", {f"{k[0]} n={k[1]}": int(v) for k, v in its.items()}, ": OK")


def test_discretization3d(family):
    """-pde_dim 3: fields and solutions stored as [N][n][n][n] (index [i][k][j][l] = sample i at x = (l+1)h,
    y = (j+1)h, z = (k+1)h), rebuilt with the 7-point operator in scipy; a gcrodr checkpoint is 4-D too."""
    d = tmpdir()
    out = os.path.join(d, f"{family}3d.h5")
    n, N = 8, 3
    datagen(["-family", family, "-pde_dim", 3, "-n", n, "-samples", N, "-seed", 5, "-order", "greedy", "-output", out,
             "-ksp_type", "preonly", "-pc_type", "redundant"], 2)
    h = 1.0 / (n + 1)
    with h5py.File(out) as F:
        at = F.attrs
        check(at["dim"] == 3 and at["n"] == n and "dim=3" in at["settings"], f"3-D attributes wrong: dim {at.get('dim')}, settings {at['settings']}")
        check(F["solutions/u"].shape == (N, n, n, n), f"/solutions/u has shape {F['solutions/u'].shape}, expected {(N, n, n, n)}")
        check(abs(at["sigma"] - at["tau"] ** (at["alpha"] - 1.5)) < 1e-12 * at["sigma"], "3-D default sigma is not tau^(alpha - 3/2)")
        for i in range(N):
            u = F["solutions/u"][i]
            G0 = grf3(n, at["alpha"], at["tau"], at["sigma"], int(at["seed"]), i, 0)
            if family == "darcy":
                K = F["inputs/K"][i]
                check(K.shape == (n, n, n) and np.allclose(K, np.exp(G0), rtol=1e-12), f"sample {i}: stored K is not exp(GRF3(seed, {i}))")
                A, b = diffusion3(K, h, 0.0), np.ones(n**3)
            elif family == "poisson":
                f = F["inputs/f"][i]
                check(np.allclose(f, G0, rtol=1e-10, atol=1e-12), f"sample {i}: stored f is not GRF3(seed, {i})")
                A, b = laplacian3(n, h, 0.0), f.ravel()
            elif family == "helmholtz":
                kap = F["inputs/kappa"][i]
                A, b = laplacian3(n, h, kap**2), np.ones(n**3)
            else:
                K, u0, dt = F["inputs/K"][i], F["inputs/u0"][i], at["heat_dt"]
                check_heat(u, diffusion3(K, h, 1.0 / dt).tocsc(), u0, dt, int(at["heat_steps"]), f"3-D heat sample {i}")
                continue
            res = np.linalg.norm(A @ u.ravel() - b) / np.linalg.norm(b)
            check(res < 1e-9, f"3-D {family} sample {i}: stored solution has scipy residual {res:.2e}")
    if family == "darcy":
        out2 = os.path.join(d, "gcrodr3d.h5")
        datagen(["-family", "darcy", "-pde_dim", 3, "-n", n, "-samples", 4, "-output", out2, "-ksp_type", "gcrodr",
                 "-pc_type", "jacobi", "-ksp_rtol", "1e-8"], 2)
        with h5py.File(out2) as F:
            k = int(F["checkpoint"].attrs["k"])
            check(k > 0 and F["checkpoint/U"].shape == (k, n, n, n), f"3-D recycle checkpoint has shape {F['checkpoint/U'].shape}")
        p = datagen(["-family", "darcy", "-pde_dim", 3, "-n", n, "-samples", 4, "-order", "pca", "-output", out2 + "x"], 1, check_rc=False)
        check(p.returncode != 0 and "pca" in p.out and "-pde_dim 3" in p.out and not os.path.exists(out2 + "x"), "-order pca with -pde_dim 3 must be refused:\n" + p.out)
    print(f"3-D {family}: [N][n][n][n] fields and solutions satisfy the documented 7-point discretization: OK")


def test_multigrid3d():
    """-skua_mg presets on 3-D darcy through the driver: iterations flat from n = 17 to 33, same solution as LU."""
    d = tmpdir()
    its = {}
    ref = os.path.join(d, "ref.h5")
    datagen(["-family", "darcy", "-pde_dim", 3, "-n", 17, "-samples", 2, "-seed", 4, "-output", ref,
             "-ksp_type", "preonly", "-pc_type", "redundant"])
    with h5py.File(ref) as R:
        uref = R["solutions/u"][:]
    for mg in ("geometric", "gamg", "boomeramg"):
        for n in (17, 33):
            out = os.path.join(d, f"{mg}{n}.h5")
            datagen(["-family", "darcy", "-pde_dim", 3, "-n", n, "-samples", 2, "-seed", 4, "-output", out,
                     "-ksp_type", "cg", "-ksp_rtol", "1e-8", "-skua_mg", mg])
            with h5py.File(out) as F:
                check(F.attrs["pc_type"] != "none", "preset did not set a PC")
                its[mg, n] = F["stats/iterations"][:].max()
                if n == 17:
                    e = np.linalg.norm(F["solutions/u"][:] - uref) / np.linalg.norm(uref)
                    check(e < 1e-6, f"3-D {mg}: solution differs from the direct solve by {e:.1e}")
        check(its[mg, 33] - its[mg, 17] <= 2, f"3-D {mg}: iterations grow from {its[mg, 17]} (n=17) to {its[mg, 33]} (n=33)")
    print("multigrid presets on 3-D darcy in skua-datagen:", {f"{k[0]} n={k[1]}": int(v) for k, v in its.items()}, ": OK")


def test_bad_options():
    d = tmpdir()
    out = os.path.join(d, "x.h5")
    cases = [(["-family", "bogus"], "bogus"), (["-n", "-3"], "-n"), (["-samples", "0"], "-samples"),
             (["-order", "spiral"], "spiral"), (["-ksp_type", "nope"], "nope"), (["-grf_alpha", "-1"], "alpha"),
             (["-skua_mg", "fancy"], "fancy"), (["-darcy_high", "12"], "darcy_low")]
    for np_ in (1, 2):
        for args, frag in cases:
            p = datagen(args + ["-output", out], np_, check_rc=False)
            check(p.returncode != 0, f"{args}: exit status 0")
            check(frag in p.out, f"{args}: message lacks '{frag}':\n{p.out}")
            check(not os.path.exists(out) and not os.path.exists(out + ".partial"), f"{args}: output left behind")
        p = datagen(["-family", "darcy"], np_, check_rc=False)
        check(p.returncode != 0 and "Missing -output" in p.out, "missing -output not reported")
    print("bad options: OK")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("case")
    ap.add_argument("--family", default="darcy")
    ap.add_argument("--two-phase", action="store_true")
    a = ap.parse_args()
    {"discretization": lambda: test_discretization(a.family, a.two_phase), "np_identical": test_np_identical,
     "discretization3d": lambda: test_discretization3d(a.family), "multigrid3d": test_multigrid3d,
     "recycling": test_recycling, "resume": test_resume, "bad_options": test_bad_options, "yaml": test_yaml,
     "multigrid": test_multigrid}[a.case]()
