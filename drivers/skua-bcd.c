/* skua-bcd: block coordinate descent for least squares, logistic/softmax regression and SPD quadratics (Nutini, Laradji, Schmidt, JMLR 2022). */
#include <skua.h>
#include <skua/bcd.h>
#include <time.h>

static const char help[] = "skua-bcd: block coordinate descent for min f(x) + l2/2|x|^2 + l1|x|_1 (f squared, logistic, squared hinge, softmax in Ax, or quadratic 1/2 x^T A x - b^T x).\n"
                           "  mpirun -n P skua-bcd -problem X.h5|X.svm -bcd_loss logistic -bcd_l1 1 -bcd_rule gsl -bcd_update newton -output out.h5\n"
                           "  skua-bcd -generate A|B|C|D|E -seed 1 -output A.h5     (the paper's synthetic problems)\n"
                           "Exit status: 0 converged, 1 error (no output file), 3 output written but -bcd_tol not reached.\n";

typedef struct {
  char         problem[PETSC_MAX_PATH_LEN], output[PETSC_MAX_PATH_LEN], generate[16];
  PetscInt     seed;
  PetscReal    progress_interval;
  double       last_print, wall0;
  SkuaBCD      bcd;
  SkuaH5Writer w;
  Vec          x;
  int          exit_code;
} BCDCtx;

/* Rank 0 prints a line at the first and last trace point and at most every -progress_interval seconds. */
static PetscErrorCode Progress(SkuaBCD bcd, PetscInt it, PetscReal F, PetscReal gnorm, PetscReal seconds, void *ptr)
{
  BCDCtx  *c   = (BCDCtx *)ptr;
  double   now = MPI_Wtime();

  PetscFunctionBegin;
  if (it == 0 || now - c->last_print >= c->progress_interval) {
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "it %9" PetscInt_FMT "  F %.12e  |G| %.3e  %8.3f s  %10.1f it/s\n", it, (double)F, (double)gnorm, (double)seconds, seconds > 0 ? it / seconds : 0.0));
    c->last_print = now;
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode Provenance(char created[], size_t len)
{
  time_t    t = time(NULL);
  struct tm tmv;

  PetscFunctionBegin;
  gmtime_r(&t, &tmv);
  strftime(created, len, "%Y-%m-%dT%H:%M:%SZ", &tmv);
  PetscFunctionReturn(0);
}

static PetscErrorCode Generate(BCDCtx *c)
{
  PetscMPIInt size;
  char        np[16], created[64];
  const char *names[4] = {"skua_version", "command_line", "nprocs", "created"}, *values[4];
  PetscInt    m, d, nnz;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  PetscCall(PetscSNPrintf(np, sizeof(np), "%d", (int)size));
  PetscCall(Provenance(created, sizeof(created)));
  values[0] = SkuaVersion();
  values[1] = SkuaCommandLine();
  values[2] = np;
  values[3] = created;
  PetscCall(SkuaBCDGenerate(c->bcd, c->generate, c->seed));
  PetscCall(SkuaBCDWriteProblem(c->bcd, c->output, 4, names, values));
  PetscCall(SkuaBCDGetSizes(c->bcd, &m, &d, &nnz));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "skua-bcd: wrote problem %s (seed %" PetscInt_FMT "): %" PetscInt_FMT " x %" PetscInt_FMT ", %" PetscInt_FMT " nonzeros, to %s\n", c->generate, c->seed, m, d, nnz, c->output));
  PetscFunctionReturn(0);
}

static PetscErrorCode Run(BCDCtx *c)
{
  MPI_Comm               comm = PETSC_COMM_WORLD;
  PetscBool              has_problem, has_output, has_gen, help, resumed;
  PetscInt               m, d, nnz, its, ntr, nset, lo, hi, nc;
  const PetscInt        *tit;
  const PetscReal       *tobj, *tsec, *tgn, *tblk, *x;
  const char *const     *names, *const *values;
  SkuaBCDConvergedReason reason;

  PetscFunctionBegin;
  c->seed              = 1;
  c->progress_interval = 1.0;
  PetscOptionsBegin(comm, NULL, "skua-bcd options", NULL);
  PetscCall(PetscOptionsString("-problem", "Data: HDF5 (/A CSR group or dense, /b) or LIBSVM text file", NULL, c->problem, c->problem, sizeof(c->problem), &has_problem));
  PetscCall(PetscOptionsString("-output", "HDF5 output (written as FILE.partial, renamed when complete)", NULL, c->output, c->output, sizeof(c->output), &has_output));
  PetscCall(PetscOptionsString("-generate", "Write the paper's synthetic problem A (least squares), B (logistic), C (softmax), D or E (label propagation) to -output and stop", NULL, c->generate, c->generate, sizeof(c->generate), &has_gen));
  PetscCall(PetscOptionsInt("-seed", "Seed of -generate", NULL, c->seed, &c->seed, NULL));
  PetscCall(PetscOptionsReal("-progress_interval", "Seconds between progress lines", NULL, c->progress_interval, &c->progress_interval, NULL));
  PetscCall(PetscOptionsBool("-skua_traceback", "Print PETSc's traceback on errors instead of one message", NULL, PETSC_FALSE, NULL, NULL));
  PetscOptionsEnd();
  PetscCall(SkuaBCDCreate(comm, &c->bcd));
  PetscCall(PetscOptionsHasHelp(NULL, &help));
  if (help && !has_problem && !has_gen) {
    PetscCall(SkuaBCDSetFromOptions(c->bcd));
    PetscFunctionReturn(0);
  }
  PetscCheck(has_output, comm, PETSC_ERR_USER_INPUT, "Missing -output FILE (HDF5 file for the solution and trace, or for the generated problem)");
  if (has_gen) {
    PetscCheck(!has_problem, comm, PETSC_ERR_USER_INPUT, "Give either -generate NAME or -problem FILE, not both");
    PetscCall(Generate(c));
    PetscFunctionReturn(0);
  }
  PetscCheck(has_problem, comm, PETSC_ERR_USER_INPUT, "Missing -problem FILE (HDF5 with /A and /b, or a LIBSVM text file; see docs/bcd.md) or -generate A|B|C|D|E");

  /* Everything that can reject the input or the options happens before the output file exists. */
  PetscCall(SkuaBCDSetProblemFile(c->bcd, c->problem));
  PetscCall(SkuaBCDSetFromOptions(c->bcd));
  PetscCall(SkuaBCDSetUp(c->bcd));
  PetscCall(SkuaBCDGetSizes(c->bcd, &m, &d, &nnz));
  PetscCall(PetscPrintf(comm, "skua-bcd %s: ", SkuaVersion()));
  PetscCall(SkuaBCDView(c->bcd, PETSC_VIEWER_STDOUT_WORLD));
  PetscCall(SkuaBCDSetMonitor(c->bcd, Progress, c));
  c->last_print = c->wall0 = MPI_Wtime();
  PetscCall(SkuaBCDSolve(c->bcd));

  PetscCall(SkuaBCDGetIterationNumber(c->bcd, &its));
  PetscCall(SkuaBCDGetConvergedReason(c->bcd, &reason));
  PetscCall(SkuaBCDGetTrace(c->bcd, &ntr, &tit, &tobj, &tsec, &tgn, &tblk));
  PetscCall(PetscPrintf(comm, "it %9" PetscInt_FMT "  F %.12e  |G| %.3e  %8.3f s  %10.1f it/s  (final)\n", tit[ntr - 1], (double)tobj[ntr - 1], (double)tgn[ntr - 1], (double)tsec[ntr - 1], tsec[ntr - 1] > 0 ? tit[ntr - 1] / tsec[ntr - 1] : 0.0));

  PetscCall(SkuaH5WriterCreate(comm, c->output, PETSC_FALSE, &c->w, &resumed));
  PetscCall(SkuaBCDGetSettings(c->bcd, &nset, &names, &values));
  for (PetscInt i = 0; i < nset; i++) PetscCall(SkuaH5WriterSetAttrString(c->w, "/", names[i], values[i]));
  PetscCall(SkuaH5WriterSetAttrInt(c->w, "/", "m", m));
  PetscCall(SkuaH5WriterSetAttrInt(c->w, "/", "d", d));
  PetscCall(SkuaH5WriterSetAttrInt(c->w, "/", "nnz", nnz));
  PetscCall(SkuaH5WriterSetAttrInt(c->w, "/", "iterations", its));
  PetscCall(SkuaH5WriterSetAttrInt(c->w, "/", "converged_reason", (PetscInt)reason));
  PetscCall(SkuaH5WriterSetAttrReal(c->w, "/", "objective", tobj[ntr - 1]));
  PetscCall(SkuaH5WriterSetAttrReal(c->w, "/", "gradient_norm", tgn[ntr - 1]));
  /* x is replicated; each rank writes its PETSc-owned slice. Softmax: x is d x C, written as a 2-D dataset. */
  PetscCall(SkuaBCDGetSolution(c->bcd, &x, NULL));
  PetscCall(SkuaBCDGetClasses(c->bcd, &nc));
  if (nc > 1) {
    PetscInt dims[2] = {d, nc};
    PetscCall(SkuaH5WriterWriteDataset(c->w, "x", 2, dims, x));
  } else {
    PetscCall(VecCreateMPI(comm, PETSC_DECIDE, d, &c->x));
    PetscCall(VecGetOwnershipRange(c->x, &lo, &hi));
    PetscScalar *a;
    PetscCall(VecGetArray(c->x, &a));
    for (PetscInt j = lo; j < hi; j++) a[j - lo] = x[j];
    PetscCall(VecRestoreArray(c->x, &a));
    PetscCall(SkuaH5WriterWriteVec(c->w, "x", c->x));
  }
  {
    PetscReal *buf;
    PetscInt   dims[1] = {ntr};
    PetscCall(PetscMalloc1(ntr, &buf));
    for (PetscInt i = 0; i < ntr; i++) buf[i] = (PetscReal)tit[i];
    PetscCall(SkuaH5WriterCreateDataset(c->w, "trace/iteration", PETSC_TRUE, 1, dims));
    PetscCall(SkuaH5WriterWriteRows(c->w, "trace/iteration", 0, ntr, buf));
    PetscCall(SkuaH5WriterCreateDataset(c->w, "trace/block", PETSC_TRUE, 1, dims));
    PetscCall(SkuaH5WriterWriteRows(c->w, "trace/block", 0, ntr, tblk));
    PetscCall(PetscFree(buf));
    PetscCall(SkuaH5WriterWriteDataset(c->w, "trace/objective", 1, dims, tobj));
    PetscCall(SkuaH5WriterWriteDataset(c->w, "trace/seconds", 1, dims, tsec));
    PetscCall(SkuaH5WriterWriteDataset(c->w, "trace/gradient_norm", 1, dims, tgn));
  }
  PetscCall(SkuaH5WriterCreateArray(c->w, "stats/iterations", PETSC_TRUE, 1, its));
  PetscCall(SkuaH5WriterCreateArray(c->w, "stats/solve_seconds", PETSC_FALSE, 1, tsec[ntr - 1]));
  PetscCall(SkuaH5WriterCreateArray(c->w, "stats/objective", PETSC_FALSE, 1, tobj[ntr - 1]));
  PetscCall(SkuaH5WriterCreateArray(c->w, "stats/gradient_norm", PETSC_FALSE, 1, tgn[ntr - 1]));
  PetscCall(SkuaH5WriterFinish(&c->w));
  PetscCall(PetscPrintf(comm, "Summary: %s after %" PetscInt_FMT " block updates, F = %.15e, |G| = %.3e, %.3f s\n", reason > 0 ? "converged" : "NOT converged", its, (double)tobj[ntr - 1], (double)tgn[ntr - 1], (double)tsec[ntr - 1]));
  PetscCall(PetscPrintf(comm, "Wrote %s\n", c->output));
  if (reason <= 0) {
    PetscCall(PetscPrintf(comm, "WARNING: -bcd_tol was not reached within -bcd_max_it %" PetscInt_FMT " (exit status 3)\n", its));
    c->exit_code = 3;
  }
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  PetscErrorCode ierr;
  BCDCtx         ctx = {0};

  ierr = SkuaInitialize(&argc, &argv, NULL, help);
  if (ierr) return 1;
  ierr = Run(&ctx);
  /* A failed run never leaves a file that looks complete. */
  if (ierr) PetscCallAbort(PETSC_COMM_WORLD, SkuaDriverFail("skua-bcd", ierr, &ctx.w, PETSC_FALSE, ctx.output));
  PetscCallAbort(PETSC_COMM_WORLD, VecDestroy(&ctx.x));
  PetscCallAbort(PETSC_COMM_WORLD, SkuaBCDDestroy(&ctx.bcd));
  if (SkuaFinalize()) return 1;
  return ierr ? 1 : ctx.exit_code;
}
