#!/usr/bin/python3
"""SKR benchmark: Krylov recycling (gcrodr) vs the baselines a user would pick, on skua-datagen sequences.

For each family/rtol/PC it runs, in one go and on the same samples:
  (a) gmres(40) from zero          (b) gmres(40) warm start from the previous solution (sorted order)
  (c) gcrodr(40,20) unsorted       (d) gcrodr(40,20) sorted
  and the other peers PETSc offers: lgmres / dgmres warm-started on the sorted order.
Reports total KSPSolve time, total iterations, failed solves and the speedups (a)/(d), (b)/(d) as a
markdown table, and writes all numbers to JSON. Timing is wall time of KSPSolve as recorded by skua-datagen.
"""
import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.join(os.environ.get("SKUA_BUILD", os.path.join(ROOT, "build")), "bin", "skua-datagen")

FAMILIES = {  # the paper's sizes; default sample counts and PCs keep the whole run near 30 min on 2 cores
    "darcy": {"n": 80, "samples": 200, "pcs": "jacobi,ilu", "extra": []},
    "helmholtz": {"n": 100, "samples": 20, "pcs": "none,ilu", "extra": []},
    "poisson": {"n": 267, "samples": 20, "pcs": "ilu", "extra": []},
    "heat": {"n": 80, "samples": 30, "pcs": "jacobi,ilu", "extra": []},  # x 10 time steps = 300 systems
    # opt-in variant: ten times the default time step (t = 0.1 instead of 0.01), harder systems per step
    "heat_dt1e-2": {"family": "heat", "n": 80, "samples": 30, "pcs": "jacobi,ilu", "extra": ["-heat_dt", "1e-2"]},
}
PCS = {
    "none": ["-pc_type", "none"],
    "jacobi": ["-pc_type", "jacobi"],
    "bjacobi": ["-pc_type", "bjacobi"],
    "sor": ["-pc_type", "sor"],
    "asm": ["-pc_type", "asm"],
    "ilu": ["-pc_type", "ilu"],
    "mg": ["-skua_mg", "geometric"],  # Skua's multigrid preset; shifted-Laplacian MG on helmholtz
}


def gcrodr_opts(m, k):
    return ["-ksp_type", "gcrodr", "-ksp_gcrodr_restart", str(m), "-ksp_gcrodr_recycle", str(k)]


GCRODR = gcrodr_opts(40, 20)
FISCHER = ["-ksp_guess_type", "fischer", "-ksp_guess_fischer_model", "1,10"]
METHODS = {  # name -> (ksp options, order, initial guess)
    "a_gmres_zero": (["-ksp_type", "gmres", "-ksp_gmres_restart", "40"], "none", "zero"),
    "b_gmres_warm": (["-ksp_type", "gmres", "-ksp_gmres_restart", "40"], "greedy", "previous"),
    "c_gcrodr_unsorted": (GCRODR, "none", "zero"),
    "d_gcrodr_sorted": (GCRODR, "greedy", "zero"),
    "d_gcrodr_k10_sorted": (gcrodr_opts(40, 10), "greedy", "zero"),
    # the paper's schedule: harmonic-Ritz update after every cycle, Kahan-Parlett reorthogonalisation
    "d_gcrodr_paper_sorted": (GCRODR + ["-ksp_gcrodr_skip_tol", "0", "-ksp_gcrodr_update_interval", "1",
                                        "-ksp_gcrodr_reorth_tol", "0.7071"], "greedy", "zero"),
    # PETSc's projection of the new right-hand side onto earlier solutions (Fischer 1998), a peer for sequences
    # with smoothly changing right-hand sides such as heat's time steps; not part of the (a)-(d)
    "gmres_fischer": (["-ksp_type", "gmres", "-ksp_gmres_restart", "40"] + FISCHER, "greedy", "zero"),
    "gcrodr_fischer_sorted": (GCRODR + FISCHER, "greedy", "zero"),
    "lgmres_warm": (["-ksp_type", "lgmres", "-ksp_gmres_restart", "40"], "greedy", "previous"),
    "dgmres_warm": (["-ksp_type", "dgmres", "-ksp_gmres_restart", "40"], "greedy", "previous"),
}


GCRODR_MK = re.compile(r"^gcrodr_m(\d+)_k(\d+)(_fischer)?_(sorted|unsorted)$")
GCRODR_MK_FORM = "gcrodr_m<M>_k<K>[_fischer]_sorted|_unsorted"


def method_spec(name):
    """METHODS[name], or a gcrodr(m, k) variant named gcrodr_m<M>_k<K>[_fischer]_{sorted,unsorted} (for sweeps)."""
    if name in METHODS:
        return METHODS[name]
    mt = GCRODR_MK.match(name)
    if not mt:
        return None
    m, k = int(mt.group(1)), int(mt.group(2))
    if not 0 <= k < m:
        return None
    return (gcrodr_opts(m, k) + (FISCHER if mt.group(3) else []), "greedy" if mt.group(4) == "sorted" else "none", "zero")


def mpirun(np_):
    cmd = ["mpirun", "--oversubscribe", "-n", str(np_)]
    if os.geteuid() == 0:
        cmd.append("--allow-run-as-root")
    return cmd


def run_one(args, family, n, samples, rtol, pc, method, order_kind, np_, max_it, tmp):
    ksp, order, guess = method_spec(method)
    if order == "greedy":
        order = order_kind
    out = os.path.join(tmp, f"{family}_{pc}_{rtol}_{method}.h5")
    cmd = mpirun(np_) + [BIN, "-family", FAMILIES[family].get("family", family), "-n", str(n), "-samples", str(samples), "-seed", str(args.seed),
                         "-order", order, "-initial_guess", guess, "-ksp_rtol", str(rtol), "-ksp_max_it", str(max_it),
                         "-output", out, "-progress_interval", "1e9"] + ksp + PCS[pc] + FAMILIES[family]["extra"]
    t0 = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.time() - t0
    if p.returncode not in (0, 3):
        print(f"# FAILED ({p.returncode}): {' '.join(map(shlex.quote, cmd))}\n{p.stdout}\n{p.stderr}", file=sys.stderr)
        return None
    with h5py.File(out) as F:
        its = F["stats/iterations"][:]
        secs = F["stats/solve_seconds"][:] + F["stats/setup_seconds"][:]  # per-sample PC setup + KSPSolve
        reason = F["stats/converged_reason"][:]
        r = {"family": family, "n": n, "samples": samples, "rtol": rtol, "pc": pc, "method": method,
             "order": F.attrs["order"], "order_seconds": float(F.attrs.get("order_seconds", 0.0)),
             "solve_seconds": float(secs.sum()), "iterations": int(its.sum()), "failed": int((reason < 0).sum()),
             "cpu_seconds": float(F.attrs.get("solve_cpu_seconds", float("nan"))),
             "wall_seconds": wall}
    os.remove(out)
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--families", default="darcy,helmholtz,poisson,heat")
    ap.add_argument("--samples", type=int, default=0, help="override every family's sample count")
    ap.add_argument("--rtols", default="1e-7")
    ap.add_argument("--pcs", default="", help="override every family's PC list")
    ap.add_argument("--methods", default=",".join(m for m in METHODS if m not in ("d_gcrodr_paper_sorted", "gmres_fischer", "gcrodr_fischer_sorted")),
                    help=f"any of {','.join(METHODS)}, or {GCRODR_MK_FORM} (e.g. gcrodr_m30_k10_sorted)")
    ap.add_argument("--order", default="greedy", help="sorted order used by (b), (d) and the peers: greedy or pca")
    ap.add_argument("--np", type=int, default=1)
    ap.add_argument("--max-it", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--n", type=int, default=0, help="override the grid size of every family")
    ap.add_argument("--json", default=os.path.join(ROOT, "jobs", "bench", "results", "skr.json"))
    args = ap.parse_args()
    bad = [m for m in args.methods.split(",") if method_spec(m) is None]
    if bad:
        sys.exit(f"unknown method(s) {','.join(bad)}: use {','.join(METHODS)} or {GCRODR_MK_FORM} with 0 <= K < M")
    if not os.path.exists(BIN):
        sys.exit(f"{BIN} not built: run scripts/bootstrap first")
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="skua-skr-")
    rows = []
    for family in args.families.split(","):
        n = args.n or FAMILIES[family]["n"]
        samples = args.samples or FAMILIES[family]["samples"]
        for rtol in [float(x) for x in args.rtols.split(",")]:
            for pc in (args.pcs or FAMILIES[family]["pcs"]).split(","):
                for method in args.methods.split(","):
                    r = run_one(args, family, n, samples, rtol, pc, method, args.order, args.np, args.max_it, tmp)
                    if r:
                        rows.append(r)
                        print(f"# {family} n={n} rtol={rtol:g} pc={pc} {method}: {r['solve_seconds']:.2f} s, "
                              f"{r['iterations']} its, {r['failed']} failed", file=sys.stderr, flush=True)
    meta = {"machine": os.uname().nodename, "cores": os.cpu_count(), "np": args.np,
            "date": time.strftime("%Y-%m-%d %H:%M"), "command": " ".join(sys.argv)}
    with open(args.json, "w") as f:
        json.dump({"meta": meta, "rows": rows}, f, indent=1)

    print(f"SKR benchmark: np {args.np}, sorted order = {args.order}, "
          f"max_it {args.max_it}, setup + KSPSolve seconds summed over the sequence (wall; CPU = rank 0's process\n"
          f"CPU time in them, less disturbed when other jobs share the cores; speedups are from CPU time)\n")
    print("| family | n | samples | rtol | pc | method | order | wall s | CPU s | its | failed | (a)/this | (b)/this |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    key = lambda r: (r["family"], r["rtol"], r["pc"])
    for k in sorted({key(r) for r in rows}):
        grp = {r["method"]: r for r in rows if key(r) == k}
        a, b = grp.get("a_gmres_zero"), grp.get("b_gmres_warm")
        for m, r in grp.items():
            sa = f"{a['cpu_seconds'] / r['cpu_seconds']:.2f}x" if a else "-"
            sb = f"{b['cpu_seconds'] / r['cpu_seconds']:.2f}x" if b else "-"
            print(f"| {r['family']} | {r['n']} | {r['samples']} | {r['rtol']:g} | {r['pc']} | {m} | {r['order']} | "
                  f"{r['solve_seconds']:.2f} | {r['cpu_seconds']:.2f} | {r['iterations']} | {r['failed']} | {sa} | {sb} |")
    print(f"\nJSON: {args.json}")


if __name__ == "__main__":
    main()
