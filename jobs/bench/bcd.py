#!/usr/bin/python3
"""BCD benchmark: rules/updates on problems A-E, and skua-bcd vs LIBLINEAR (see bcd.sh)."""
import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time

import h5py
import numpy as np
import scipy.sparse as sp

ap = argparse.ArgumentParser()
ap.add_argument("--bin", default=os.environ.get("SKUA_BIN", "build/bin"))
ap.add_argument("--max-it", type=int, default=60000)
ap.add_argument("--json", default="bcd-bench.json")
ap.add_argument("--skip-liblinear", action="store_true")
ap.add_argument("--targets", default="1e-2,1e-4,1e-8", help="relative gaps (F - F*)/|F*| to report")
ap.add_argument("--problems", default="A,B,C,D,E")
ap.add_argument("--partitions", default="contiguous,sorted,variable,tree", help="part (1): run only the configurations with these partitions")
ap.add_argument("--large", default="100000,20000,50", help="m,d,nnz per row of the large sparse logistic problem vs LIBLINEAR ('' skips it)")
ap.add_argument("--nps", default="1,2,4", help="ranks for skua-bcd on the large problem")
ap.add_argument("--max-it-softmax", type=int, default=3000, help="max block updates on problem C (50-class softmax, ~ms per update)")
ap.add_argument("--mpi-probe", action="store_true", help="let Open MPI probe for fabrics at start-up (default: OMPI_MCA_pml=ob1, "
                "the shared-memory transport it ends up with on one node anyway, without ~0.2 s of libfabric probing)")
a = ap.parse_args()
BIN = os.path.join(a.bin, "skua-bcd")
ENV = dict(os.environ)
if not a.mpi_probe:
    ENV.setdefault("OMPI_MCA_pml", "ob1")
work = tempfile.mkdtemp(prefix="skua-bcd-bench-")


def bcd(args, out, np_=1):
    t = time.perf_counter()
    mpi = ["mpiexec", "--oversubscribe"] + (["--allow-run-as-root"] if os.geteuid() == 0 else []) + ["-n", str(np_)] if np_ > 1 else []
    p = subprocess.run(mpi + [BIN] + [str(x) for x in args] + ["-output", out], capture_output=True, text=True, env=ENV)
    wall = time.perf_counter() - t
    if p.returncode not in (0, 3):
        raise SystemExit(f"skua-bcd failed: {' '.join(map(str, args))}\n{p.stdout}{p.stderr}")
    with h5py.File(out) as F:
        return {"obj": F["trace/objective"][:], "it": F["trace/iteration"][:], "sec": F["trace/seconds"][:], "x": F["x"][:], "wall": wall}


def load(path):
    with h5py.File(path) as F:
        g = F["A"]
        return sp.csr_matrix((g["data"][:], g["indices"][:], g["indptr"][:]), shape=tuple(g.attrs["shape"])), F["b"][:]


def F_of(A, b, x, loss, l1=0.0, l2=0.0):
    if loss == "quadratic":
        return 0.5 * x @ (A @ x) - b @ x + 0.5 * l2 * x @ x + l1 * np.abs(x).sum()
    z = A @ x
    if loss == "sqhinge":
        f = np.sum(np.maximum(0, 1 - b * z) ** 2)
    else:
        f = 0.5 * np.sum((z - b) ** 2) if loss == "squared" else np.sum(np.logaddexp(0, -b * z))
    return f + 0.5 * l2 * x @ x + l1 * np.abs(x).sum()


def liblinear(s, eps, svm, model, d):
    """LIBLINEAR -s s -e eps (C = 1, no bias) on svm: (w padded to d entries and signed to score label +1, wall seconds of the process)."""
    t = time.perf_counter()
    subprocess.run(["liblinear-train", "-s", str(s), "-c", "1", "-B", "-1", "-e", str(eps), "-q", svm, model], check=True, capture_output=True)
    wall = time.perf_counter() - t
    lines = open(model).read().split("\n")
    labels = [int(v) for v in next(l for l in lines if l.startswith("label")).split()[1:]]
    w = np.array([float(v) for v in lines[lines.index("w") + 1:] if v.strip()])
    w = np.concatenate([w, np.zeros(d - w.size)])
    if labels[0] != 1:
        w = -w  # LIBLINEAR's w scores the first label it saw
    return w, wall


def first_reach(r, Fs, tol_abs):
    k = np.nonzero(r["obj"] - Fs <= tol_abs)[0]
    return (int(r["it"][k[0]]), float(r["sec"][k[0]])) if k.size else (None, None)


GRADIENT_RULES = [("contiguous", r, "gradient") for r in ["cyclic", "random", "lipschitz", "gs", "gsl", "gsd", "gsq"]]
CONFIGS = {
    "A": GRADIENT_RULES + [("contiguous", "random", "linesearch"), ("contiguous", "gsl", "linesearch"), ("contiguous", "random", "exact"),
                           ("contiguous", "gsl", "exact"), ("contiguous", "gsq", "exact"), ("variable", "gsl", "exact"), ("variable", "gsq", "exact")],
    "B": GRADIENT_RULES + [("contiguous", "random", "linesearch"), ("contiguous", "gsl", "linesearch"), ("contiguous", "random", "newton"),
                           ("contiguous", "gsl", "newton"), ("contiguous", "gsq", "newton"), ("variable", "gsl", "newton"), ("variable", "gsq", "newton")],
    "C": [("contiguous", "cyclic", "gradient"), ("contiguous", "random", "gradient"), ("contiguous", "gsl", "gradient"), ("contiguous", "random", "newton"),
          ("contiguous", "gsl", "newton"), ("contiguous", "gsq", "newton"), ("variable", "gsl", "newton"), ("variable", "gsq", "newton")],
    "D": GRADIENT_RULES + [("contiguous", "random", "exact"), ("contiguous", "gsl", "exact"), ("contiguous", "gsq", "exact"),
                           ("variable", "gsl", "exact"), ("variable", "gsq", "exact"),
          # forest blocks solved by message passing (paper Sec. 6): fixed forests, and a greedy forest per update
          ("tree", "cyclic", "exact"), ("tree", "random", "exact"), ("tree", "gs", "exact"), ("tree", "gsl", "exact")],
}
for p_, upd_ in [("A", "exact"), ("B", "newton"), ("D", "exact")]:  # the paper's sorted fixed blocks (features by decreasing L_i)
    CONFIGS[p_] += [("sorted", "lipschitz", "gradient"), ("sorted", "gsl", "gradient"), ("sorted", "gsl", upd_)]
CONFIGS["E"] = CONFIGS["D"]
LOSS = {"A": ("squared", 0.0), "B": ("logistic", 1.0), "C": ("softmax", 1.0), "D": ("quadratic", 0.0), "E": ("quadratic", 0.0)}
results = {"part1": [], "part2": []}
targets = [float(t) for t in a.targets.split(",")]
print(f"# skua-bcd benchmark (block size 5; tree: forests without a size limit; max {a.max_it} block updates ({a.max_it_softmax} on C), np 1)\n")
print("Cells: block updates / solver seconds until (F - F*) <= target * scale (trace every 100 updates, 50 on C; '-': not reached);")
print("scale = |F*|, or F(0) - F* on A, whose F* is 0. Problem A is the paper's unregularised least squares (the authors' code")
print("asserts l2 = 0; A is 1000 x 10000 with full row rank, so F* = 0); B and C use l2 = 1; D and E (label propagation) none.")
print("F*: minimum-norm solution (A), scipy spsolve (D, E), best run (B, C).\n")
for prob in [p for p in a.problems.split(",") if p]:
    loss, l2 = LOSS[prob]
    path = f"{work}/{prob}.h5"
    subprocess.run([BIN, "-generate", prob, "-seed", "1", "-output", path], check=True, capture_output=True)
    A, b = load(path)
    runs = {}
    maxit, every = (a.max_it_softmax, 50) if loss == "softmax" else (a.max_it, 100)
    for part, rule, upd in [c for c in CONFIGS[prob] if c[0] in a.partitions.split(",")]:
        runs[(part, rule, upd)] = bcd(["-problem", path, "-bcd_loss", loss, "-bcd_l2", l2, "-bcd_partition", part, "-bcd_rule", rule,
                                       "-bcd_update", upd, "-bcd_tol", 1e-10, "-bcd_max_it", maxit, "-bcd_trace_every", every]
                                      + (["-bcd_block_size", 5] if part != "tree" else []), f"{work}/{prob}-{part}-{rule}-{upd}.h5")
    if loss == "squared":  # x* = A^T (A A^T + l2 I)^-1 b (l2 = 0: the minimum-norm solution, F* = 0 up to round-off)
        xs = A.T @ np.linalg.solve((A @ A.T).toarray() + l2 * np.eye(A.shape[0]), b)
        Fs = F_of(A, b, xs, loss, l2=l2)
    elif loss == "quadratic":
        import scipy.sparse.linalg as spla
        xs = spla.spsolve(A.tocsc(), b)
        Fs = F_of(A, b, xs, loss)
    else:  # the best of all runs (Newton runs converge to round-off)
        Fs = min(r["obj"].min() for r in runs.values())
    F0 = next(iter(runs.values()))["obj"][0]
    scale = abs(Fs) if abs(Fs) > 1e-12 * abs(F0) else F0 - Fs
    print(f"## Problem {prob} ({loss}, l2 = {l2:g}, {A.shape[0]} x {A.shape[1]}, {A.nnz} nonzeros), F* = {Fs:.12g}, scale = {scale:.6g}\n")
    print("| partition | rule | update | " + " | ".join(f"to {t:g}" for t in targets) + " | final (F - F*)/scale |")
    print("|---|---|---|" + "---:|" * len(targets) + "---:|")
    for (part, rule, upd), r in runs.items():
        cells, reach = [], {}
        for t in targets:
            its, sec = first_reach(r, Fs, t * scale)
            reach[str(t)] = {"iterations": its, "seconds": sec}
            cells.append(f"{its} / {sec:.2f}" if its is not None else "-")
        gap = (r["obj"][-1] - Fs) / scale
        print(f"| {part} | {rule} | {upd} | " + " | ".join(cells) + f" | {gap:.1e} |")
        results["part1"].append({"problem": prob, "partition": part, "rule": rule, "update": upd, "reach": reach, "final_rel_gap": gap})
    print(flush=True)

if not a.skip_liblinear and shutil.which("liblinear-train") and "B" in a.problems.split(","):
    A, b = load(f"{work}/B.h5")
    svm = f"{work}/B.svm"
    with open(svm, "w") as f:
        for i in range(A.shape[0]):
            lo, hi = A.indptr[i], A.indptr[i + 1]
            f.write(f"{int(b[i]):+d} " + " ".join(f"{j + 1}:{v:.17g}" for j, v in zip(A.indices[lo:hi], A.data[lo:hi])) + "\n")
    print("## skua-bcd vs LIBLINEAR on problem B (logistic, C = 1, no bias), from the same LIBSVM file\n")
    print("LIBLINEAR: wall seconds of the whole process (parsing included). skua-bcd: solver seconds until its trace first\nreaches LIBLINEAR's F (trace every 5 updates, tracing excluded), and wall seconds of the whole run (4000 updates, traces, I/O).\n")
    print("| problem | solver | settings | F | wall s (process) | solver s |")
    print("|---|---|---|---:|---:|---:|")
    for name, s, reg in [("L2-logistic", 0, {"-bcd_l2": 1}), ("L1-logistic", 6, {"-bcd_l1": 1})]:
        for eps in [1e-2, 1e-4, 1e-6]:
            model = f"{work}/model{s}"
            w, wall = liblinear(s, eps, svm, model, A.shape[1])
            Fl = F_of(A, b, w, "logistic", l1=reg.get("-bcd_l1", 0), l2=reg.get("-bcd_l2", 0))
            print(f"| {name} | LIBLINEAR -s {s} | -e {eps:g} | {Fl:.10g} | {wall:.3f} | - |")
            results["part2"].append({"problem": name, "solver": f"liblinear -s {s}", "eps": eps, "F": Fl, "wall": wall})
            # skua-bcd to the same objective: variable GSL blocks + Newton, stopped at that F
            args = ["-problem", svm, "-bcd_loss", "logistic", "-bcd_partition", "variable", "-bcd_rule", "gsl", "-bcd_update", "newton",
                    "-bcd_block_size", 20, "-bcd_tol", 0, "-bcd_max_it", 4000, "-bcd_trace_every", 5]
            for k, v in reg.items():
                args += [k, v]
            r = bcd(args, f"{work}/bcd-{s}.h5")
            k = np.nonzero(r["obj"] <= Fl)[0]
            if k.size:
                print(f"| {name} | skua-bcd | variable gsl newton, tau 20: reached at {r['it'][k[0]]} updates | {r['obj'][k[0]]:.10g} | {r['wall']:.3f} (to {r['it'][-1]} updates) | {r['sec'][k[0]]:.3f} |")
                results["part2"].append({"problem": name, "solver": "skua-bcd", "iterations": int(r["it"][k[0]]), "F": float(r["obj"][k[0]]), "solver_seconds": float(r["sec"][k[0]])})
            else:
                print(f"| {name} | skua-bcd | variable gsl newton, tau 20 | not reached (best {r['obj'].min():.10g}) | {r['wall']:.3f} | - |")
    print()

def large_problem(m, d, k, path):
    """m x d, k nonzeros per row (uniform columns, duplicates merged), N(0,1) values; x* with 10% N(0,1) entries,
    b = sign(A x* + N(0,1)). Written as a LIBSVM file (the input of both solvers)."""
    rng = np.random.default_rng(1)
    cols = np.sort(rng.integers(0, d, (m, k)), axis=1)
    vals = rng.standard_normal((m, k))
    xs = np.zeros(d)
    sel = rng.choice(d, d // 10, replace=False)
    xs[sel] = rng.standard_normal(sel.size)
    b = np.where((vals * xs[cols]).sum(1) + rng.standard_normal(m) >= 0, 1, -1)
    ptr, ind, dat = [0], [], []
    with open(path, "w") as f:
        for i in range(m):
            c, ix = np.unique(cols[i], return_index=True)  # a repeated column keeps its first value, in the file and in A
            v = np.array([float(f"{vv:.6g}") for vv in vals[i][ix]])
            f.write(("+1 " if b[i] > 0 else "-1 ") + " ".join(f"{cc + 1}:{vv:.6g}" for cc, vv in zip(c, v)) + "\n")
            ind.append(c)
            dat.append(v)
            ptr.append(ptr[-1] + c.size)
    A = sp.csr_matrix((np.concatenate(dat), np.concatenate(ind), np.array(ptr)), shape=(m, d))
    return A, b.astype(float)


SKL = {}  # the LIBSVM file as scikit-learn loads it, and the load time, once per run


def sklearn_rows(svm, d, A, b, reg, target, loss="logistic"):
    """scikit-learn's LogisticRegression (C = 1, no intercept, the same objective) on the same file: for each solver,
    the loosest tol of 1e-2, 1e-3, 1e-4, 1e-6 whose F meets the target. 'wall' = load_svmlight_file + fit (in-process,
    the interpreter start not counted), 'solver' = fit. saga is left out: at tol 1e-4 it took 595 s on L1 here."""
    try:
        import warnings
        from sklearn import __version__ as skv
        from sklearn.datasets import load_svmlight_file
        from sklearn.linear_model import LogisticRegression
    except ImportError:
        return [{"line": "| (scikit-learn not installed: apt-get install python3-sklearn) | | | | | | |"}]
    if svm not in SKL:
        t = time.perf_counter()
        X, y = load_svmlight_file(svm, n_features=d)
        SKL[svm] = (X, y, time.perf_counter() - t)
    X, y, tload = SKL[svm]
    pen = "l1" if "-bcd_l1" in reg else "l2"
    if loss == "sqhinge":  # LinearSVC(squared_hinge, l2, C = 1, no intercept) is -bcd_loss sqhinge -bcd_l2 1
        from sklearn.svm import LinearSVC
        problem = "L2-loss SVM"
        models = [(f"LinearSVC dual={dual}", lambda tol, dual=dual: LinearSVC(penalty="l2", loss="squared_hinge", dual=dual, C=1.0, tol=tol,
                                                                             fit_intercept=False, max_iter=100000)) for dual in (False, True)]
    else:
        problem = f"{'L1' if pen == 'l1' else 'L2'}-logistic"
        models = [(solver, lambda tol, solver=solver: LogisticRegression(penalty=pen, C=1.0, solver=solver, tol=tol, fit_intercept=False,
                                                                         max_iter=10000))
                  for solver in (["liblinear"] if pen == "l1" else ["lbfgs", "newton-cg", "liblinear"])]
    rows = []
    for name, make in models:
        for tol in (1e-2, 1e-3, 1e-4, 1e-6):
            m = make(tol)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                t = time.perf_counter()
                m.fit(X, y)
                tfit = time.perf_counter() - t
            w = m.coef_.ravel() * (1 if m.classes_[-1] > 0 else -1)
            F = F_of(A, b, w, loss, l1=reg.get("-bcd_l1", 0), l2=reg.get("-bcd_l2", 0))
            if F <= target:
                break
        cell = f"{F:.10g} | {tload + tfit:.2f} | {tfit:.2f}" if F <= target else f"not reached ({F:.10g}) | {tload + tfit:.2f} | -"
        rows.append({"line": f"| {problem} | scikit-learn {skv} {name} | 1 | tol {tol:g} | {cell} |",
                     "solver": f"sklearn {name}", "tol": tol, "F": F, "wall": tload + tfit, "solver_seconds": tfit})
    return rows


if a.large and not a.skip_liblinear and shutil.which("liblinear-train"):
    m, d, k = (int(v) for v in a.large.split(","))
    svm = f"{work}/large.svm"
    A, b = large_problem(m, d, k, svm)
    print(f"## Large sparse logistic regression and L2-loss SVM: {m} x {d}, {k} nonzeros per row, C = 1 (lambda = 1), no bias\n")
    print("F* = LIBLINEAR at -e 1e-6 (the tightest). Target: F <= F* (1 + 1e-6). LIBLINEAR: wall seconds of the process for the")
    print("loosest -e of 1e-2, 1e-3, 1e-4 whose F meets the target (file parsing included). skua-bcd (-bcd_partition active")
    print("-bcd_update newton), the same way: wall seconds of the whole run (parsing, solve, HDF5 output) for the loosest")
    print("-bcd_tol of 1, 1e-1, ..., 1e-4 whose final F meets the target, and its solver seconds to the first trace point")
    print("meeting it. np > 1 distributes columns; the Newton model is coupled across ranks after every chunk of an inner sweep (-bcd_active_chunks 2).")
    print("L2-loss SVM: LIBLINEAR -s 2 (primal trust-region Newton) vs -bcd_loss sqhinge, F = 1/2|x|^2 + sum max(0, 1 - b_i a_i^T x)^2.")
    print("scikit-learn (LogisticRegression; LinearSVC for the SVM; C = 1, no intercept): the loosest tol of 1e-2 ... 1e-6 whose F meets the target;")
    print("wall = load_svmlight_file + fit in one Python process (interpreter start not counted), solver = fit.\n")
    print(f"Open MPI start-up: OMPI_MCA_pml={ENV.get('OMPI_MCA_pml', '(unset: fabrics probed)')} (--mpi-probe leaves it unset).")
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n")
    print("| problem | solver | np | setting | F at target | wall s (process) | solver s to target |")
    print("|---|---|---:|---|---:|---:|---:|")
    for name, s, reg, loss in [("L1-logistic", 6, {"-bcd_l1": 1}, "logistic"), ("L2-logistic", 0, {"-bcd_l2": 1}, "logistic"),
                               ("L2-loss SVM", 2, {"-bcd_l2": 1}, "sqhinge")]:
        lib = {}
        for eps in [1e-6, 1e-2, 1e-3, 1e-4]:
            model = f"{work}/lmodel{s}"
            w, wall = liblinear(s, eps, svm, model, d)
            lib[eps] = (F_of(A, b, w, loss, l1=reg.get("-bcd_l1", 0), l2=reg.get("-bcd_l2", 0)), wall)
        Fs = lib[1e-6][0]
        target = Fs * (1 + 1e-6)
        ok = [e for e in (1e-2, 1e-3, 1e-4) if lib[e][0] <= target]
        e = ok[0] if ok else 1e-6
        print(f"| {name} | LIBLINEAR -s {s} | 1 | -e {e:g} | {lib[e][0]:.10g} | {lib[e][1]:.2f} | - |")
        results["part2"].append({"problem": f"large {name}", "solver": f"liblinear -s {s}", "eps": e, "F": lib[e][0], "wall": lib[e][1], "Fstar": Fs})
        for row in sklearn_rows(svm, d, A, b, reg, target, loss):
            print(row["line"])
            results["part2"].append({k: v for k, v in row.items() if k != "line"} | {"problem": f"large {name}"})
        for np_ in [int(v) for v in a.nps.split(",")]:
            for tol in (1.0, 1e-1, 1e-2, 1e-3, 1e-4):
                args = ["-problem", svm, "-bcd_loss", loss, "-bcd_partition", "active", "-bcd_update", "newton", "-bcd_tol", tol, "-bcd_max_it", 500]
                for kk, v in reg.items():
                    args += [kk, v]
                r = bcd(args, f"{work}/large-{s}-{np_}.h5", np_)
                if r["obj"][-1] <= target:
                    break
            hit = np.nonzero(r["obj"] <= target)[0]
            cell = (f"{r['obj'][-1]:.10g} | {r['wall']:.2f} | {r['sec'][hit[0]]:.2f}") if hit.size else f"not reached ({r['obj'].min():.10g}) | {r['wall']:.2f} | -"
            print(f"| {name} | skua-bcd active newton | {np_} | -bcd_tol {tol:g}, {r['it'][-1]} Newton its | {cell} |")
            results["part2"].append({"problem": f"large {name}", "solver": "skua-bcd active newton", "np": np_, "tol": tol, "wall": r["wall"],
                                     "solver_seconds": float(r["sec"][hit[0]]) if hit.size else None})
    print()

json.dump(results, open(a.json, "w"), indent=1, default=float)
print(f"JSON: {a.json}")
shutil.rmtree(work)
