#!/usr/bin/python3
"""Benchmark part (3) of issue 7: AdaSketch-Newton (skua-sketch -task constrained) on the equality-constrained
Hock-Schittkowski set, against scipy.optimize (SLSQP, trust-constr) from the same start.

Also the independent Python definitions of the HS problems (Hock & Schittkowski 1981) used by the tests.
Usage: constrained.py [--bin DIR] [--np P] [--json out.json] [-- extra skua-sketch options]"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

S2 = math.sqrt(2.0)

# name: (objective, constraints (list of c_i(x) = 0), x0, published f*)
HS = {
    "hs6": (lambda x: (1 - x[0]) ** 2, [lambda x: 10 * (x[1] - x[0] ** 2)], [-1.2, 1], 0.0),
    "hs7": (lambda x: math.log(1 + x[0] ** 2) - x[1], [lambda x: (1 + x[0] ** 2) ** 2 + x[1] ** 2 - 4], [2, 2], -math.sqrt(3)),
    "hs9": (lambda x: math.sin(math.pi * x[0] / 12) * math.cos(math.pi * x[1] / 16), [lambda x: 4 * x[0] - 3 * x[1]], [0, 0], -0.5),
    "hs26": (lambda x: (x[0] - x[1]) ** 2 + (x[1] - x[2]) ** 4, [lambda x: (1 + x[1] ** 2) * x[0] + x[2] ** 4 - 3], [-2.6, 2, 2], 0.0),
    "hs27": (lambda x: 0.01 * (x[0] - 1) ** 2 + (x[1] - x[0] ** 2) ** 2, [lambda x: x[0] + x[2] ** 2 + 1], [2, 2, 2], 0.04),
    "hs28": (lambda x: (x[0] + x[1]) ** 2 + (x[1] + x[2]) ** 2, [lambda x: x[0] + 2 * x[1] + 3 * x[2] - 1], [-4, 1, 1], 0.0),
    "hs39": (lambda x: -x[0], [lambda x: x[1] - x[0] ** 3 - x[2] ** 2, lambda x: x[0] ** 2 - x[1] - x[3] ** 2], [2, 2, 2, 2], -1.0),
    "hs40": (lambda x: -x[0] * x[1] * x[2] * x[3],
             [lambda x: x[0] ** 3 + x[1] ** 2 - 1, lambda x: x[0] ** 2 * x[3] - x[2], lambda x: x[3] ** 2 - x[1]], [0.8] * 4, -0.25),
    "hs42": (lambda x: sum((x[i] - (i + 1)) ** 2 for i in range(4)), [lambda x: x[0] - 2, lambda x: x[2] ** 2 + x[3] ** 2 - 2],
             [1, 1, 1, 1], 28 - 10 * S2),
    "hs46": (lambda x: (x[0] - x[1]) ** 2 + (x[2] - 1) ** 2 + (x[3] - 1) ** 4 + (x[4] - 1) ** 6,
             [lambda x: x[0] ** 2 * x[3] + math.sin(x[3] - x[4]) - 1, lambda x: x[1] + x[2] ** 4 * x[3] ** 2 - 2],
             [S2 / 2, 1.75, 0.5, 2, 2], 0.0),
    "hs47": (lambda x: (x[0] - x[1]) ** 2 + (x[1] - x[2]) ** 3 + (x[2] - x[3]) ** 4 + (x[3] - x[4]) ** 4,
             [lambda x: x[0] + x[1] ** 2 + x[2] ** 3 - 3, lambda x: x[1] - x[2] ** 2 + x[3] - 1, lambda x: x[0] * x[4] - 1],
             [2, S2, -1, 2 - S2, 0.5], 0.0),
    "hs48": (lambda x: (x[0] - 1) ** 2 + (x[1] - x[2]) ** 2 + (x[3] - x[4]) ** 2,
             [lambda x: sum(x) - 5, lambda x: x[2] - 2 * (x[3] + x[4]) + 3], [3, 5, -3, 2, -2], 0.0),
    "hs49": (lambda x: (x[0] - x[1]) ** 2 + (x[2] - 1) ** 2 + (x[3] - 1) ** 4 + (x[4] - 1) ** 6,
             [lambda x: x[0] + x[1] + x[2] + 4 * x[3] - 7, lambda x: x[2] + 5 * x[4] - 6], [10, 7, 2, -3, 0.8], 0.0),
    "hs50": (lambda x: (x[0] - x[1]) ** 2 + (x[1] - x[2]) ** 2 + (x[2] - x[3]) ** 4 + (x[3] - x[4]) ** 2,
             [lambda x, i=i: x[i] + 2 * x[i + 1] + 3 * x[i + 2] - 6 for i in range(3)], [35, -31, 11, 5, -5], 0.0),
    "hs51": (lambda x: (x[0] - x[1]) ** 2 + (x[1] + x[2] - 2) ** 2 + (x[3] - 1) ** 2 + (x[4] - 1) ** 2,
             [lambda x: x[0] + 3 * x[1] - 4, lambda x: x[2] + x[3] - 2 * x[4], lambda x: x[1] - x[4]], [2.5, 0.5, 2, -1, 0.5], 0.0),
    "hs52": (lambda x: (4 * x[0] - x[1]) ** 2 + (x[1] + x[2] - 2) ** 2 + (x[3] - 1) ** 2 + (x[4] - 1) ** 2,
             [lambda x: x[0] + 3 * x[1], lambda x: x[2] + x[3] - 2 * x[4], lambda x: x[1] - x[4]], [2] * 5, 1859 / 349),
    "hs56": (lambda x: -x[0] * x[1] * x[2],
             [lambda x: x[0] - 4.2 * math.sin(x[3]) ** 2, lambda x: x[1] - 4.2 * math.sin(x[4]) ** 2,
              lambda x: x[2] - 4.2 * math.sin(x[5]) ** 2, lambda x: x[0] + 2 * x[1] + 2 * x[2] - 7.2 * math.sin(x[6]) ** 2],
             [1, 1, 1] + [math.asin(math.sqrt(1 / 4.2))] * 3 + [math.asin(math.sqrt(5 / 7.2))], -3.456),
    "hs61": (lambda x: 4 * x[0] ** 2 + 2 * x[1] ** 2 + 2 * x[2] ** 2 - 33 * x[0] + 16 * x[1] - 24 * x[2],
             [lambda x: 3 * x[0] - 2 * x[1] ** 2 - 7, lambda x: 4 * x[0] - x[2] ** 2 - 11], [0, 0, 0], -143.6461422),
    "hs77": (lambda x: (x[0] - 1) ** 2 + (x[0] - x[1]) ** 2 + (x[2] - 1) ** 2 + (x[3] - 1) ** 4 + (x[4] - 1) ** 6,
             [lambda x: x[0] ** 2 * x[3] + math.sin(x[3] - x[4]) - 2 * S2, lambda x: x[1] + x[2] ** 4 * x[3] ** 2 - 8 - S2],
             [2] * 5, 0.24150513),
    "hs78": (lambda x: x[0] * x[1] * x[2] * x[3] * x[4],
             [lambda x: sum(v * v for v in x) - 10, lambda x: x[1] * x[2] - 5 * x[3] * x[4], lambda x: x[0] ** 3 + x[1] ** 3 + 1],
             [-2, 1.5, 2, -1, -1], -2.91970041),
    "hs79": (lambda x: (x[0] - 1) ** 2 + (x[0] - x[1]) ** 2 + (x[1] - x[2]) ** 2 + (x[2] - x[3]) ** 4 + (x[3] - x[4]) ** 4,
             [lambda x: x[0] + x[1] ** 2 + x[2] ** 3 - 2 - 3 * S2, lambda x: x[1] - x[2] ** 2 + x[3] + 2 - 2 * S2,
              lambda x: x[0] * x[4] - 2], [2] * 5, 0.0787768209),
}


def scipy_reference(name):
    """Best objective over SLSQP and trust-constr runs from the HS start that end feasible: {method: (f, |c|, ok)}."""
    from scipy.optimize import minimize, NonlinearConstraint
    f, cons, x0, _ = HS[name]
    cfun = lambda x: np.array([c(x) for c in cons])  # noqa: E731
    out = {}
    r = minimize(f, np.array(x0, float), method="SLSQP", constraints=[{"type": "eq", "fun": cfun}],
                 options={"ftol": 1e-14, "maxiter": 2000})
    out["SLSQP"] = (float(r.fun), float(np.linalg.norm(cfun(r.x))), bool(r.success))
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = minimize(f, np.array(x0, float), method="trust-constr", constraints=[NonlinearConstraint(cfun, 0, 0)],
                     options={"gtol": 1e-10, "xtol": 1e-14, "maxiter": 5000})
    out["trust-constr"] = (float(r.fun), float(np.linalg.norm(cfun(r.x))), bool(r.success) or r.status in (1, 2))
    return out


def run_skua(name, bindir, np_=1, extra=(), outdir=None):
    import h5py
    outdir = outdir or tempfile.mkdtemp(prefix="skua-constrained-")
    out = os.path.join(outdir, name + ".h5")
    exe = os.environ.get("SKUA_MPIEXEC", "mpiexec")
    flags = os.environ.get("SKUA_MPIEXEC_PREFLAGS", "--oversubscribe").replace(";", " ").split()
    cmd = [exe, "-n", str(np_)] + flags + [os.path.join(bindir, "skua-sketch"), "-task", "constrained", "-problem", name,
                                          "-output", out, "-constrained_monitor", "0"] + list(extra)
    t0 = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    wall = time.time() - t0
    res = {"rc": p.returncode, "out": p.stdout + p.stderr, "wall": wall}
    if os.path.exists(out):
        with h5py.File(out, "r") as h:
            res.update({k: h.attrs[k] for k in ("n", "m", "final_objective", "kkt_residual", "converged", "iterations",
                                                "inner_iterations", "sketch_size_used")})
            res["x"] = h["x"][...]
            res["lambda"] = h["lambda"][...]
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(__file__), "..", "..", "build", "bin"))
    ap.add_argument("--np", type=int, default=1)
    ap.add_argument("--json", default="")
    ap.add_argument("--problems", default=",".join(HS))
    ap.add_argument("extra", nargs="*", help="extra skua-sketch options (after --)")
    a = ap.parse_args()
    rows = []
    print(f"skua-sketch -task constrained {' '.join(a.extra)} (np {a.np}); scipy {__import__('scipy').__version__}")
    print("| problem | n | m | outer its | sketch its | final KKT | f (skua) | f (scipy best) | f* (H&S) | |f - f_scipy| | converged | s | time (s) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name in a.problems.split(","):
        r = run_skua(name, a.bin, a.np, a.extra)
        ref = scipy_reference(name)
        feas = [v[0] for v in ref.values() if v[1] < 1e-6]
        fs = min(feas) if feas else float("nan")
        if "final_objective" not in r:
            print(f"| {name} | run failed (rc {r['rc']}) |")
            continue
        f = float(r["final_objective"])
        rows.append({"problem": name, "n": int(r["n"]), "m": int(r["m"]), "iterations": int(r["iterations"]),
                     "inner_iterations": int(r["inner_iterations"]), "kkt": float(r["kkt_residual"]), "f": f,
                     "f_scipy": fs, "f_published": HS[name][3], "converged": int(r["converged"]),
                     "sketch_size": int(r["sketch_size_used"]), "seconds": r["wall"], "scipy": ref})
        print(f"| {name} | {int(r['n'])} | {int(r['m'])} | {int(r['iterations'])} | {int(r['inner_iterations'])} | "
              f"{float(r['kkt_residual']):.1e} | {f:.8g} | {fs:.8g} | {HS[name][3]:.8g} | {abs(f - fs):.1e} | "
              f"{'yes' if int(r['converged']) else 'no'} | {int(r['sketch_size_used'])} | {r['wall']:.2f} |")
    conv = sum(r["converged"] for r in rows)
    print(f"\n{conv}/{len(rows)} converged; total outer {sum(r['iterations'] for r in rows)}, "
          f"total sketch iterations {sum(r['inner_iterations'] for r in rows)}")
    if a.json:
        with open(a.json, "w") as fh:
            json.dump({"options": a.extra, "np": a.np, "rows": rows}, fh, indent=1)


if __name__ == "__main__":
    main()
