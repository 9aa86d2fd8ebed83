/* skua-solve: solve every linear system of a problem set with one reusable KSP and write HDF5 results. */
#include <skua.h>

static const char help[] = "skua-solve: solve the linear systems of a problem set (HDF5 or PETSc binary).\n"
                           "  mpirun -n P skua-solve -problem in.h5 -output out.h5 [-ksp_type ... -pc_type ...]\n"
                           "Exit status: 0 all systems converged, 1 error (no output file), 3 output written but some\n"
                           "systems did not converge (see /stats/converged_reason).\n";

typedef enum { GUESS_AUTO, GUESS_ZERO, GUESS_PREVIOUS, GUESS_FILE } Guess;
static const char *const GuessNames[] = {"auto", "zero", "previous", "file", "Guess", "GUESS_", NULL};

typedef struct {
  char           problem[PETSC_MAX_PATH_LEN], output[PETSC_MAX_PATH_LEN];
  Guess          guess;
  PetscBool      resume;
  PetscInt       abort_after; /* testing aid: simulate a crash after this many solves */
  SkuaProblemSet ps;
  SkuaH5Writer   w;
  KSP            ksp;
  Vec            x, r;
  PetscInt       finished; /* systems solved and written by this run */
  int            exit_code;
  PetscBool      help_only;
} SolveCtx;

static PetscErrorCode SolutionPath(SolveCtx *c, PetscInt i, char path[], size_t len)
{
  PetscBool   seq;
  const char *name;

  PetscFunctionBegin;
  PetscCall(SkuaProblemSetGetSize(c->ps, NULL, &seq));
  PetscCall(SkuaProblemSetGetName(c->ps, i, &name));
  if (seq) PetscCall(PetscSNPrintf(path, len, "sequence/%s/x", name));
  else PetscCall(PetscStrncpy(path, "x", len));
  PetscFunctionReturn(0);
}

static PetscErrorCode RunSolve(SolveCtx *c)
{
  MPI_Comm           comm = PETSC_COMM_WORLD;
  PetscBool          has_problem, has_output, help, resumed, seq, prev_valid = PETSC_FALSE;
  PetscInt           n, total_its = 0, nfail = 0, nskip = 0;
  PetscReal         *done, rtol, worst = 0.0;
  double             t_start, t_solves = 0.0, t_flush;
  Mat                A;
  Vec                b, x0;
  PetscBool          A_changed;
  KSPType            ksptype;
  PCType             pctype;
  PC                 pc;
  char               xpath[64];

  PetscFunctionBegin;
  c->guess       = GUESS_AUTO;
  c->abort_after = -1;
  PetscOptionsBegin(comm, NULL, "skua-solve options", NULL);
  PetscCall(PetscOptionsString("-problem", "Problem set: HDF5 (/A,/b or /sequence) or PETSc binary (Mat, Vec, ...)", NULL, c->problem, c->problem, sizeof(c->problem), &has_problem));
  PetscCall(PetscOptionsString("-output", "HDF5 output file (written as FILE.partial, renamed when complete)", NULL, c->output, c->output, sizeof(c->output), &has_output));
  PetscCall(PetscOptionsEnum("-initial_guess", "Initial guess: auto (x0 if the set has one, else zero), zero, previous (last solution), file (x0, required)", NULL, GuessNames, (PetscEnum)c->guess, (PetscEnum *)&c->guess, NULL));
  PetscCall(PetscOptionsBool("-resume", "Continue OUTPUT.partial left by an interrupted run, skipping finished systems", NULL, c->resume, &c->resume, NULL));
  PetscCall(PetscOptionsInt("-abort_after", "Testing aid: kill the run (MPI_Abort) after this many solves, to exercise -resume", NULL, c->abort_after, &c->abort_after, NULL));
  PetscCall(PetscOptionsBool("-skua_traceback", "Print PETSc's traceback on errors instead of one message", NULL, PETSC_FALSE, NULL, NULL));
  PetscOptionsEnd();
  PetscCall(PetscOptionsHasHelp(NULL, &help));
  if (help && !has_problem) { /* -help alone: list the KSP/PC options as well, then stop */
    PetscCall(KSPCreate(comm, &c->ksp));
    PetscCall(KSPSetFromOptions(c->ksp));
    c->help_only = PETSC_TRUE;
    PetscFunctionReturn(0);
  }
  PetscCheck(has_problem, comm, PETSC_ERR_USER_INPUT, "Missing -problem FILE (an HDF5 problem set or a PETSc binary file; see docs/formats.md)");
  PetscCheck(has_output, comm, PETSC_ERR_USER_INPUT, "Missing -output FILE (HDF5 file for the solutions and statistics)");

  /* Everything that can reject the input happens before the output file exists. */
  PetscCall(SkuaProblemSetOpen(comm, c->problem, &c->ps));
  PetscCall(SkuaProblemSetGetSize(c->ps, &n, &seq));
  PetscCall(SkuaProblemSetGetSystem(c->ps, 0, &A, &A_changed, &b, &x0));
  PetscCheck(c->guess != GUESS_FILE || x0, comm, PETSC_ERR_USER_INPUT, "-initial_guess file, but %s has no x0 for the first system", c->problem);
  PetscCall(KSPCreate(comm, &c->ksp));
  PetscCall(KSPSetOperators(c->ksp, A, A));
  PetscCall(KSPSetFromOptions(c->ksp));
  PetscCall(SkuaMGSetUp(c->ksp, NULL, NULL)); /* -skua_mg gamg|boomeramg presets (no grid here) */
  PetscCall(KSPGetType(c->ksp, &ksptype));
  PetscCall(KSPGetPC(c->ksp, &pc));
  PetscCall(PCGetType(pc, &pctype));
  PetscCall(KSPGetTolerances(c->ksp, &rtol, NULL, NULL, NULL));

  PetscCall(SkuaH5WriterCreate(comm, c->output, c->resume, &c->w, &resumed));
  PetscCall(SkuaH5WriterSetAttrString(c->w, "/", "problem", c->problem));
  PetscCall(SkuaH5WriterSetAttrString(c->w, "/", "ksp_type", ksptype));
  PetscCall(SkuaH5WriterSetAttrString(c->w, "/", "pc_type", pctype ? pctype : "none"));
  PetscCall(SkuaH5WriterSetAttrReal(c->w, "/", "rtol", rtol));
  PetscCall(SkuaH5WriterSetAttrInt(c->w, "/", "nsystems", n));
  PetscCall(SkuaH5WriterSetAttrString(c->w, "/", "initial_guess", GuessNames[c->guess]));
  PetscCall(SkuaH5WriterCreateArray(c->w, "stats/iterations", PETSC_TRUE, n, -1));
  PetscCall(SkuaH5WriterCreateArray(c->w, "stats/residual_norm", PETSC_FALSE, n, -1));
  PetscCall(SkuaH5WriterCreateArray(c->w, "stats/relative_residual", PETSC_FALSE, n, -1));
  PetscCall(SkuaH5WriterCreateArray(c->w, "stats/solve_seconds", PETSC_FALSE, n, -1));
  PetscCall(SkuaH5WriterCreateArray(c->w, "stats/converged_reason", PETSC_TRUE, n, 0));
  PetscCall(PetscMalloc1(n, &done));
  PetscCall(SkuaH5WriterGetArray(c->w, "stats/iterations", n, done));
  if (resumed) {
    for (PetscInt i = 0; i < n; i++) nskip += done[i] >= 0;
    PetscCall(PetscPrintf(comm, "Resuming %s.partial: %" PetscInt_FMT " of %" PetscInt_FMT " systems already solved\n", c->output, nskip, n));
  }
  PetscCall(PetscPrintf(comm, "skua-solve %s: %" PetscInt_FMT " system(s) from %s, ksp %s, pc %s, rtol %g\n", SkuaVersion(), n, c->problem, ksptype, pctype ? pctype : "none", (double)rtol));

  t_start = t_flush = MPI_Wtime();
  for (PetscInt i = 0; i < n; i++) {
    PetscInt           its;
    KSPConvergedReason reason;
    PetscReal          rnorm, bnorm;
    double             t0, t1;
    const char        *name;

    if (i > 0) PetscCall(SkuaProblemSetGetSystem(c->ps, i, &A, &A_changed, &b, &x0));
    PetscCall(SolutionPath(c, i, xpath, sizeof(xpath)));
    if (!c->x || A_changed) {
      PetscInt nold = -1, nnew;
      if (c->x) PetscCall(VecGetSize(c->x, &nold));
      PetscCall(MatGetSize(A, &nnew, NULL));
      if (nold != nnew) {
        PetscCall(VecDestroy(&c->x));
        PetscCall(VecDestroy(&c->r));
        PetscCall(MatCreateVecs(A, &c->x, &c->r));
        prev_valid = PETSC_FALSE;
      }
    }
    if (done[i] >= 0) { /* finished by an earlier run: keep it as the "previous" solution */
      if (c->guess == GUESS_PREVIOUS) {
        PetscCall(SkuaH5WriterReadVec(c->w, xpath, c->x));
        prev_valid = PETSC_TRUE;
      }
      PetscCall(VecDestroy(&b));
      PetscCall(VecDestroy(&x0));
      continue;
    }
    if (A_changed || i == 0) PetscCall(KSPSetOperators(c->ksp, A, A));
    {
      Guess     g       = (c->guess == GUESS_PREVIOUS && !prev_valid) ? GUESS_AUTO : c->guess;
      PetscBool nonzero = PETSC_FALSE;

      switch (g) {
      case GUESS_ZERO: break;
      case GUESS_FILE:
        PetscCheck(x0, comm, PETSC_ERR_USER_INPUT, "-initial_guess file, but %s has no x0 for system %" PetscInt_FMT, c->problem, i);
        /* fall through */
      case GUESS_AUTO:
        if (x0) {
          PetscCall(VecCopy(x0, c->x));
          nonzero = PETSC_TRUE;
        }
        break;
      case GUESS_PREVIOUS: nonzero = PETSC_TRUE; break; /* c->x still holds the last solution */
      }
      if (!nonzero) PetscCall(VecZeroEntries(c->x));
      PetscCall(KSPSetInitialGuessNonzero(c->ksp, nonzero));
    }
    PetscCallMPI(MPI_Barrier(comm));
    t0 = MPI_Wtime();
    PetscCall(KSPSolve(c->ksp, b, c->x));
    t1 = MPI_Wtime();
    PetscCall(KSPGetIterationNumber(c->ksp, &its));
    PetscCall(KSPGetConvergedReason(c->ksp, &reason));
    /* The recorded residual is the true one, whatever norm the KSP monitored. */
    PetscCall(MatMult(A, c->x, c->r));
    PetscCall(VecAYPX(c->r, -1.0, b));
    PetscCall(VecNorm(c->r, NORM_2, &rnorm));
    PetscCall(VecNorm(b, NORM_2, &bnorm));
    prev_valid = PETSC_TRUE;

    PetscCall(SkuaH5WriterWriteVec(c->w, xpath, c->x));
    PetscCall(SkuaH5WriterSetArrayEntry(c->w, "stats/residual_norm", i, rnorm));
    PetscCall(SkuaH5WriterSetArrayEntry(c->w, "stats/relative_residual", i, bnorm > 0 ? rnorm / bnorm : rnorm));
    PetscCall(SkuaH5WriterSetArrayEntry(c->w, "stats/solve_seconds", i, t1 - t0));
    PetscCall(SkuaH5WriterSetArrayEntry(c->w, "stats/converged_reason", i, reason));
    /* iterations last: an entry >= 0 marks the system finished for -resume */
    PetscCall(SkuaH5WriterSetArrayEntry(c->w, "stats/iterations", i, its));
    {
      PetscBool due;
      PetscCall(SkuaFlushDue(comm, 2.0, (PetscBool)(i == n - 1), &t_flush, &due));
      if (due) PetscCall(SkuaH5WriterFlush(c->w));
    }
    c->finished++;
    total_its += its;
    t_solves += t1 - t0;
    nfail += reason < 0;
    worst = PetscMax(worst, bnorm > 0 ? rnorm / bnorm : rnorm);
    PetscCall(SkuaProblemSetGetName(c->ps, i, &name));
    {
      double   elapsed = MPI_Wtime() - t_start, rate = c->finished / elapsed;
      PetscInt left    = n - i - 1;
      PetscCall(PetscPrintf(comm, "[%6" PetscInt_FMT "/%" PetscInt_FMT "] %-6s its %6" PetscInt_FMT "  |r|/|b| %9.3e  %9.4f s  %-22s %8.2f solves/s  ETA %.1f s\n", i + 1, n, seq ? name : "A", its, (double)(bnorm > 0 ? rnorm / bnorm : rnorm), t1 - t0,
                            KSPConvergedReasons[reason], rate, left / rate));
    }
    PetscCall(VecDestroy(&b));
    PetscCall(VecDestroy(&x0));
    if (c->finished == c->abort_after) {
      PetscCall(SkuaH5WriterFlush(c->w));
      PetscCall(PetscPrintf(comm, "-abort_after %" PetscInt_FMT ": aborting as if killed\n", c->abort_after));
      PetscCallMPI(MPI_Abort(comm, 9));
    }
  }
  PetscCall(PetscFree(done));
  PetscCall(SkuaH5WriterSetAttrReal(c->w, "/", "total_solve_seconds", t_solves));
  PetscCall(SkuaH5WriterSetAttrInt(c->w, "/", "total_iterations", total_its));
  PetscCall(SkuaH5WriterFinish(&c->w));
  PetscCall(PetscPrintf(comm, "Summary: %" PetscInt_FMT " solved (%" PetscInt_FMT " resumed), %" PetscInt_FMT " not converged, %" PetscInt_FMT " iterations, %.3f s in KSPSolve, worst |r|/|b| %.3e\n", c->finished, nskip, nfail, total_its, t_solves, (double)worst));
  PetscCall(PetscPrintf(comm, "Wrote %s\n", c->output));
  if (nfail) {
    PetscCall(PetscPrintf(comm, "WARNING: %" PetscInt_FMT " system(s) did not converge; see /stats/converged_reason (exit status 3)\n", nfail));
    c->exit_code = 3;
  }
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  PetscErrorCode ierr;
  SolveCtx       ctx = {0};

  ierr = SkuaInitialize(&argc, &argv, NULL, help);
  if (ierr) return 1;
  ierr = RunSolve(&ctx);
  /* A failed run never leaves a file that looks complete; a partial file survives only if it holds
     finished systems that -resume can keep. */
  if (ierr) PetscCallAbort(PETSC_COMM_WORLD, SkuaDriverFail("skua-solve", ierr, &ctx.w, (ctx.finished > 0 || ctx.resume) ? PETSC_TRUE : PETSC_FALSE, ctx.output));
  PetscCallAbort(PETSC_COMM_WORLD, VecDestroy(&ctx.x));
  PetscCallAbort(PETSC_COMM_WORLD, VecDestroy(&ctx.r));
  PetscCallAbort(PETSC_COMM_WORLD, KSPDestroy(&ctx.ksp));
  PetscCallAbort(PETSC_COMM_WORLD, SkuaProblemSetDestroy(&ctx.ps));
  if (SkuaFinalize()) return 1;
  return ierr ? 1 : ctx.exit_code;
}
