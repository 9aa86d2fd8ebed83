/* skua-sketch: sketch-preconditioned least squares (Blendenpik/LSRN; Avron et al. 2010, Meng et al. 2014), Newton Sketch (Pilanci & Wainwright 2017) and baselines. */
#include <skua.h>
#include <skua/sketch.h>
#include <skua/constrained.h>
#include <skua/bcd.h>
#include <string.h>

static const char help[] = "skua-sketch: min |A x - b| for tall A by sketching, and Newton Sketch for L2 logistic regression / least squares.\n"
                           "  mpirun -n P skua-sketch -task lsq -problem P.h5 -output out.h5 [-lsq_method sketch_lsqr|sketch_solve|iterative_sketch|lsqr|normal]\n"
                           "      [-sketch_type gaussian|countsketch|sparsesign|srht -sketch_size m -sketch_seed s -sketch_nnz k -sketch_srht_block B]\n"
                           "      [-lsq_tol 1e-12 -lsq_max_it 1000 -lsq_qr lapack|scalapack|auto]\n"
                           "  mpirun -n P skua-sketch -task newton -problem P.h5 -output out.h5 [-newton_loss logistic|squared -newton_l2 0\n"
                           "      -newton_tol 1e-10 -newton_max_it 100 -newton_exact] [-sketch_* as above]\n"
                           "  mpirun -n P skua-sketch -task constrained -problem hs6..hs79|logistic|control -output out.h5 [-constrained_* options, docs/constrained.md]\n"
                           "  mpirun -n P skua-sketch -task generate -generate lsq|logistic [-rows M -cols d -cond C -coherent 0|1 -sparse 0|1 -density 0.01 -seed 1] -output P.h5\n"
                           "      writes the generated problem (identical for any P); -task lsq|newton -generate ... solves it in memory instead\n"
                           "  P.h5: /A (CSR group data/indices/indptr + attribute shape [M, d], or dense 2-D) and /b (length M). See docs/sketch.md.\n"
                           "Exit status: 0 converged, 1 error (no output file), 3 output written but the tolerance not reached.\n";

typedef struct {
  char         problem[PETSC_MAX_PATH_LEN], output[PETSC_MAX_PATH_LEN], task[32];
  SkuaSketch   S;
  SkuaH5Writer w;
  Mat          A;
  Vec          b, x;
  SkuaLSQTrace tr;
  int          exit_code;
} SketchCtx;

/* Writes the m x d sketch S A (row-major, as h5py shows it) and S b, for checking them across np. */
static PetscErrorCode SaveSketch(SketchCtx *c)
{
  Mat                SA;
  Vec                Sb;
  PetscInt           m, d, lda, dims[2];
  const PetscScalar *a;
  PetscReal         *buf;

  PetscFunctionBegin;
  PetscCall(SkuaSketchApply(c->S, c->A, &SA));
  PetscCall(SkuaSketchApplyVec(c->S, c->b, &Sb));
  PetscCall(MatGetSize(SA, &m, &d));
  PetscCall(MatDenseGetLDA(SA, &lda));
  PetscCall(PetscMalloc1((size_t)m * d, &buf));
  PetscCall(MatDenseGetArrayRead(SA, &a));
  for (PetscInt i = 0; i < m; i++)
    for (PetscInt j = 0; j < d; j++) buf[(size_t)i * d + j] = PetscRealPart(a[i + (size_t)j * lda]);
  PetscCall(MatDenseRestoreArrayRead(SA, &a));
  dims[0] = m;
  dims[1] = d;
  PetscCall(SkuaH5WriterWriteDataset(c->w, "sketch/SA", 2, dims, buf));
  PetscCall(VecGetArrayRead(Sb, &a));
  PetscCall(SkuaH5WriterWriteDataset(c->w, "sketch/Sb", 1, dims, a));
  PetscCall(VecRestoreArrayRead(Sb, &a));
  PetscCall(PetscFree(buf));
  PetscCall(MatDestroy(&SA));
  PetscCall(VecDestroy(&Sb));
  PetscFunctionReturn(0);
}

/* The problem: -problem FILE, or -generate lsq|logistic built in memory (identical for any np); c->problem
   then describes the generator. */
static PetscErrorCode LoadProblem(SketchCtx *c, const char gen[])
{
  MPI_Comm  comm = PETSC_COMM_WORLD;
  PetscInt  M = 20000, d = 100, seed = 1;
  PetscReal cond = 1e8, density = 0.01;
  PetscBool coherent = PETSC_FALSE, sparse = PETSC_FALSE, lsq, logistic;

  PetscFunctionBegin;
  if (!gen[0]) {
    /* HDF5 by its signature; anything else is read as LIBSVM/SVMlight text by skua-bcd's reader, so both drivers
       take the same files */
    int is_h5 = 1;
    if (!PetscGlobalRank) {
      unsigned char sig[8] = {0};
      FILE         *f      = fopen(c->problem, "rb");
      if (f) {
        is_h5 = fread(sig, 1, 8, f) == 8 && !memcmp(sig, "\x89HDF\r\n\x1a\n", 8);
        fclose(f);
      }
    }
    PetscCallMPI(MPI_Bcast(&is_h5, 1, MPI_INT, 0, comm));
    if (is_h5) PetscCall(SkuaLSQLoadHDF5(comm, c->problem, &c->A, &c->b));
    else {
      SkuaBCD bcd;
      PetscCall(SkuaBCDCreate(comm, &bcd));
      PetscCall(SkuaBCDSetProblemFile(bcd, c->problem));
      PetscCall(SkuaBCDCreateMat(bcd, &c->A, &c->b));
      PetscCall(SkuaBCDDestroy(&bcd));
    }
    PetscFunctionReturn(0);
  }
  PetscOptionsBegin(comm, NULL, "skua-sketch -generate (test problems, identical for any np)", NULL);
  PetscCall(PetscOptionsInt("-rows", "Rows M", NULL, M, &M, NULL));
  PetscCall(PetscOptionsInt("-cols", "Columns d", NULL, d, &d, NULL));
  PetscCall(PetscOptionsReal("-cond", "cond(A) (lsq)", NULL, cond, &cond, NULL));
  PetscCall(PetscOptionsBool("-coherent", "A few rows of high leverage (lsq)", NULL, coherent, &coherent, NULL));
  PetscCall(PetscOptionsBool("-sparse", "Sparse A (MATAIJ)", NULL, sparse, &sparse, NULL));
  PetscCall(PetscOptionsReal("-density", "Fraction of nonzeros per row when -sparse", NULL, density, &density, NULL));
  PetscCall(PetscOptionsInt("-seed", "Seed of the generator", NULL, seed, &seed, NULL));
  PetscOptionsEnd();
  PetscCall(PetscStrcmp(gen, "lsq", &lsq));
  PetscCall(PetscStrcmp(gen, "logistic", &logistic));
  PetscCheck(lsq || logistic, comm, PETSC_ERR_USER_INPUT, "Unknown -generate %s; use lsq or logistic", gen);
  if (lsq) PetscCall(SkuaSketchGenerateLSQ(comm, M, d, cond, coherent, sparse, density, seed, &c->A, &c->b));
  else PetscCall(SkuaSketchGenerateLogistic(comm, M, d, sparse, density, seed, &c->A, &c->b));
  PetscCall(PetscSNPrintf(c->problem, sizeof(c->problem), "generate:%s rows=%" PetscInt_FMT " cols=%" PetscInt_FMT " cond=%g coherent=%d sparse=%d density=%g seed=%" PetscInt_FMT, gen, M, d, (double)cond, (int)coherent, (int)sparse, (double)density, seed));
  PetscFunctionReturn(0);
}

/* -task generate: the -generate problem written to -output as a problem file (dense /A as a 2-D dataset, sparse as a
   CSR group, and /b), each rank writing its rows; the datasets are identical for any np. */
static PetscErrorCode WriteProblem(SketchCtx *c, const char gen[])
{
  MPI_Comm comm = PETSC_COMM_WORLD;
  PetscInt M, d;

  PetscFunctionBegin;
  PetscCall(LoadProblem(c, gen));
  PetscCall(MatGetSize(c->A, &M, &d));
  PetscCall(SkuaH5WriterCreate(comm, c->output, PETSC_FALSE, &c->w, NULL));
  PetscCall(SkuaH5WriterSetAttrString(c->w, "/", "problem", c->problem));
  PetscCall(SkuaH5WriterWriteMat(c->w, "A", c->A));
  PetscCall(SkuaH5WriterWriteVec(c->w, "b", c->b));
  PetscCall(SkuaH5WriterFinish(&c->w));
  PetscCall(PetscPrintf(comm, "Wrote %s: %" PetscInt_FMT " x %" PetscInt_FMT " (%s)\n", c->output, M, d, c->problem));
  PetscFunctionReturn(0);
}

/* -task newton: Newton Sketch (or -newton_exact) on the problem file; writes /x, /trace/*, root attributes. */
static PetscErrorCode RunNewton(SketchCtx *c, const char gen[])
{
  MPI_Comm           comm = PETSC_COMM_WORLD;
  SkuaNewtonSettings ns;
  SkuaNewtonTrace    tr = {0};
  PetscInt           M, d, m, n;
  PetscBool          resumed;
  PetscReal          F;

  PetscFunctionBegin;
  PetscCall(SkuaNewtonSettingsDefault(&ns));
  PetscCall(SkuaNewtonSettingsSetFromOptions(comm, &ns));
  PetscCall(SkuaSketchSetFromOptions(c->S));
  PetscCall(LoadProblem(c, gen));
  PetscCall(MatGetSize(c->A, &M, &d));
  PetscCall(SkuaSketchGetSize(c->S, &m));
  if (!m) m = 4 * d;
  PetscCheck(ns.exact || m >= d, comm, PETSC_ERR_USER_INPUT, "-sketch_size %" PetscInt_FMT " is smaller than the number of columns %" PetscInt_FMT "; a sketch needs m >= d (2d..4d is typical)", m, d);
  PetscCall(MatCreateVecs(c->A, &c->x, NULL));
  PetscCall(PetscPrintf(comm, "skua-sketch %s: %s Newton, %s loss, l2 = %g, on %" PetscInt_FMT " x %" PetscInt_FMT " (%s)%s", SkuaVersion(), ns.exact ? "exact" : "sketched", SkuaNewtonLosses[ns.loss], (double)ns.l2, M, d, c->problem, ns.exact ? "\n" : "; "));
  if (!ns.exact) PetscCall(SkuaSketchView(c->S, PETSC_VIEWER_STDOUT_WORLD));
  PetscCall(SkuaNewtonSolve(c->S, &ns, c->A, c->b, c->x, &tr));
  PetscCall(SkuaNewtonObjective(&ns, c->A, c->b, c->x, &F));
  n = tr.n;

  PetscCall(SkuaH5WriterCreate(comm, c->output, PETSC_FALSE, &c->w, &resumed));
  PetscCall(SkuaH5WriterSetAttrString(c->w, "/", "task", c->task));
  PetscCall(SkuaH5WriterSetAttrString(c->w, "/", "problem", c->problem));
  PetscCall(SkuaH5WriterSetAttrString(c->w, "/", "newton_loss", SkuaNewtonLosses[ns.loss]));
  PetscCall(SkuaH5WriterSetAttrString(c->w, "/", "newton_method", ns.exact ? "exact" : "sketch"));
  PetscCall(SkuaH5WriterSetAttrReal(c->w, "/", "newton_l2", ns.l2));
  PetscCall(SkuaH5WriterSetAttrReal(c->w, "/", "newton_tol", ns.tol));
  PetscCall(SkuaH5WriterSetAttrInt(c->w, "/", "newton_max_it", ns.max_it));
  PetscCall(SkuaH5WriterSetAttrReal(c->w, "/", "newton_ls_alpha", ns.alpha));
  PetscCall(SkuaH5WriterSetAttrReal(c->w, "/", "newton_ls_beta", ns.beta));
  if (!ns.exact) {
    SkuaSketchType stype;
    PetscInt       seed, s;
    PetscCall(SkuaSketchGetType(c->S, &stype));
    PetscCall(SkuaSketchGetSeed(c->S, &seed));
    PetscCall(SkuaSketchGetNnz(c->S, &s));
    PetscCall(SkuaH5WriterSetAttrString(c->w, "/", "sketch_type", SkuaSketchTypes[stype]));
    PetscCall(SkuaH5WriterSetAttrInt(c->w, "/", "sketch_size", m));
    PetscCall(SkuaH5WriterSetAttrInt(c->w, "/", "sketch_seed", seed));
    PetscCall(SkuaH5WriterSetAttrInt(c->w, "/", "sketch_nnz", s));
  }
  PetscCall(SkuaH5WriterSetAttrInt(c->w, "/", "rows", M));
  PetscCall(SkuaH5WriterSetAttrInt(c->w, "/", "cols", d));
  PetscCall(SkuaH5WriterSetAttrInt(c->w, "/", "iterations", tr.its));
  PetscCall(SkuaH5WriterSetAttrInt(c->w, "/", "converged", tr.converged ? 1 : 0));
  PetscCall(SkuaH5WriterSetAttrReal(c->w, "/", "final_objective", F));
  PetscCall(SkuaH5WriterSetAttrReal(c->w, "/", "final_decrement", tr.dec[n - 1]));
  PetscCall(SkuaH5WriterSetAttrReal(c->w, "/", "final_gradient_norm", tr.gnorm[n - 1]));
  PetscCall(SkuaH5WriterSetAttrReal(c->w, "/", "solve_seconds", tr.sec[n - 1]));
  PetscCall(SkuaH5WriterWriteVec(c->w, "x", c->x));
  {
    PetscReal *it;
    PetscInt   dims[1] = {n};
    PetscCall(PetscMalloc1(n, &it));
    for (PetscInt i = 0; i < n; i++) it[i] = (PetscReal)i;
    PetscCall(SkuaH5WriterCreateDataset(c->w, "trace/iteration", PETSC_TRUE, 1, dims));
    PetscCall(SkuaH5WriterWriteRows(c->w, "trace/iteration", 0, n, it));
    for (PetscInt i = 0; i < n; i++) it[i] = (PetscReal)tr.ls[i];
    PetscCall(SkuaH5WriterCreateDataset(c->w, "trace/backtracks", PETSC_TRUE, 1, dims));
    PetscCall(SkuaH5WriterWriteRows(c->w, "trace/backtracks", 0, n, it));
    PetscCall(PetscFree(it));
    PetscCall(SkuaH5WriterWriteDataset(c->w, "trace/objective", 1, dims, tr.obj));
    PetscCall(SkuaH5WriterWriteDataset(c->w, "trace/decrement", 1, dims, tr.dec));
    PetscCall(SkuaH5WriterWriteDataset(c->w, "trace/gradient_norm", 1, dims, tr.gnorm));
    PetscCall(SkuaH5WriterWriteDataset(c->w, "trace/step", 1, dims, tr.step));
    PetscCall(SkuaH5WriterWriteDataset(c->w, "trace/seconds", 1, dims, tr.sec));
  }
  PetscCall(SkuaH5WriterCreateArray(c->w, "stats/iterations", PETSC_TRUE, 1, tr.its));
  PetscCall(SkuaH5WriterCreateArray(c->w, "stats/solve_seconds", PETSC_FALSE, 1, tr.sec[n - 1]));
  PetscCall(SkuaH5WriterCreateArray(c->w, "stats/final_objective", PETSC_FALSE, 1, F));
  PetscCall(SkuaH5WriterFinish(&c->w));
  PetscCall(PetscPrintf(comm, "Summary: %s, %" PetscInt_FMT " Newton iterations, F = %.15e, lambda^2/2 = %.3e, |grad| = %.3e, %.3f s\n", tr.converged ? "converged" : "NOT converged", tr.its, (double)F, (double)tr.dec[n - 1], (double)tr.gnorm[n - 1], (double)tr.sec[n - 1]));
  PetscCall(PetscPrintf(comm, "Wrote %s\n", c->output));
  if (!tr.converged) {
    PetscCall(PetscPrintf(comm, "WARNING: -newton_tol was not reached (exit status 3)\n"));
    c->exit_code = 3;
  }
  PetscCall(SkuaNewtonTraceDestroy(&tr));
  PetscFunctionReturn(0);
}

static PetscErrorCode Run(SketchCtx *c)
{
  MPI_Comm       comm = PETSC_COMM_WORLD;
  PetscBool      has_problem, has_output, has_gen, help, resumed, save_sketch = PETSC_FALSE;
  PetscInt       method = SKUA_LSQ_SKETCH_LSQR, max_it = 1000, M, d, m, n;
  PetscReal      tol = 1e-12, rel, rnorm;
  SkuaSketchType stype;
  char           gen[64] = "", buf[64];

  PetscFunctionBegin;
  PetscCall(PetscStrcpy(c->task, "lsq"));
  PetscOptionsBegin(comm, NULL, "skua-sketch options", NULL);
  PetscCall(PetscOptionsString("-task", "lsq, newton, constrained or generate", NULL, c->task, c->task, sizeof(c->task), NULL));
  PetscCall(PetscOptionsString("-problem", "HDF5 problem: /A (CSR group or dense 2-D), /b", NULL, c->problem, c->problem, sizeof(c->problem), &has_problem));
  PetscCall(PetscOptionsString("-output", "HDF5 output (written as FILE.partial, renamed when complete)", NULL, c->output, c->output, sizeof(c->output), &has_output));
  PetscCall(PetscOptionsString("-generate", "Test problem instead of -problem: lsq (-rows -cols -cond -coherent -sparse -density -seed) or logistic", NULL, gen, gen, sizeof(gen), &has_gen));
  {
    char      name[64];
    PetscBool found = PETSC_FALSE;
    PetscCall(PetscStrncpy(name, SkuaLSQMethods[method], sizeof(name)));
    PetscCall(PetscOptionsString("-lsq_method", "Least-squares method: sketch_lsqr, sketch_solve, iterative_sketch, lsqr, normal", "SkuaLSQSolve", name, name, sizeof(name), NULL));
    for (PetscInt t = 0; t < 5 && !found; t++) {
      PetscCall(PetscStrcasecmp(name, SkuaLSQMethods[t], &found));
      if (found) method = t;
    }
    PetscCheck(found, comm, PETSC_ERR_USER_INPUT, "Unknown -lsq_method %s; use sketch_lsqr, sketch_solve, iterative_sketch, lsqr or normal", name);
  }
  PetscCall(PetscOptionsReal("-lsq_tol", "LSQR stops when |B^T r|/(|B| |r|) <= tol or |r| <= tol |b|", "SkuaLSQSolve", tol, &tol, NULL));
  PetscCall(PetscOptionsInt("-lsq_max_it", "Maximum LSQR iterations", "SkuaLSQSolve", max_it, &max_it, NULL));
  PetscCall(PetscOptionsBool("-save_sketch", "Also write /sketch/SA and /sketch/Sb (for checks)", NULL, save_sketch, &save_sketch, NULL));
  PetscCall(PetscOptionsBool("-skua_traceback", "Print PETSc's traceback on errors instead of one message", NULL, PETSC_FALSE, NULL, NULL));
  PetscOptionsEnd();
  PetscCall(SkuaSketchCreate(comm, &c->S));
  PetscCall(PetscOptionsHasHelp(NULL, &help));
  if (help && !has_problem) {
    SkuaNewtonSettings ns;
    PetscCall(SkuaSketchSetFromOptions(c->S));
    PetscCall(SkuaNewtonSettingsDefault(&ns));
    PetscCall(SkuaNewtonSettingsSetFromOptions(comm, &ns));
    PetscFunctionReturn(0);
  }
  PetscCheck(!(has_gen && has_problem), comm, PETSC_ERR_USER_INPUT, "Give either -problem FILE or -generate lsq|logistic, not both");
  {
    PetscBool gentask;
    PetscCall(PetscStrcmp(c->task, "generate", &gentask));
    if (gentask) {
      PetscCheck(has_gen, comm, PETSC_ERR_USER_INPUT, "-task generate needs -generate lsq|logistic");
      PetscCheck(has_output, comm, PETSC_ERR_USER_INPUT, "Missing -output FILE (the problem file to write)");
      PetscCall(WriteProblem(c, gen));
      PetscFunctionReturn(0);
    }
  }
  {
    PetscBool lsq, newton, constrained;
    PetscCall(PetscStrcmp(c->task, "lsq", &lsq));
    PetscCall(PetscStrcmp(c->task, "newton", &newton));
    PetscCall(PetscStrcmp(c->task, "constrained", &constrained));
    PetscCheck(lsq || newton || constrained, comm, PETSC_ERR_USER_INPUT, "Unknown -task %s; use lsq, newton, constrained or generate", c->task);
    if (newton) {
      PetscCheck(has_output, comm, PETSC_ERR_USER_INPUT, "Missing -output FILE (HDF5 file for x and the trace)");
      PetscCheck(has_problem || has_gen, comm, PETSC_ERR_USER_INPUT, "Missing -problem FILE (HDF5 with /A and /b as for skua-bcd; see docs/sketch.md) or -generate logistic");
      PetscCall(RunNewton(c, gen));
      PetscFunctionReturn(0);
    }
    if (constrained) { /* AdaSketch-Newton on a built-in problem (src/constrained, docs/constrained.md) */
      SkuaConstrainedProblem P;
      PetscInt               code;
      PetscCheck(has_problem, comm, PETSC_ERR_USER_INPUT, "Missing -problem NAME (hs6 ... hs79, logistic, control; see docs/constrained.md)");
      PetscCheck(has_output, comm, PETSC_ERR_USER_INPUT, "Missing -output FILE (HDF5 file for x, lambda and the trace)");
      PetscCall(SkuaConstrainedProblemCreate(comm, c->problem, &P)); /* rejects unknown names before the file exists */
      PetscCall(SkuaConstrainedProblemDestroy(&P));
      PetscCall(SkuaH5WriterCreate(comm, c->output, PETSC_FALSE, &c->w, &resumed));
      PetscCall(SkuaConstrainedRunTask(comm, c->problem, c->w, &code));
      PetscCall(SkuaH5WriterFinish(&c->w));
      PetscCall(PetscPrintf(comm, "Wrote %s\n", c->output));
      c->exit_code = (int)code;
      PetscFunctionReturn(0);
    }
  }
  PetscCheck(tol > 0 && tol < 1, comm, PETSC_ERR_USER_INPUT, "-lsq_tol %g must be in (0, 1)", (double)tol);
  PetscCheck(max_it >= 1, comm, PETSC_ERR_USER_INPUT, "-lsq_max_it %" PetscInt_FMT " must be at least 1", max_it);
  PetscCheck(has_output, comm, PETSC_ERR_USER_INPUT, "Missing -output FILE (HDF5 file for x and the trace)");
  PetscCheck(has_problem || has_gen, comm, PETSC_ERR_USER_INPUT, "Missing -problem FILE (HDF5 with /A and /b; see docs/sketch.md) or -generate lsq");

  /* Everything that can reject the input or the options happens before the output file exists. */
  PetscCall(SkuaSketchSetFromOptions(c->S));
  PetscCall(LoadProblem(c, gen));
  PetscCall(MatGetSize(c->A, &M, &d));
  PetscCall(SkuaSketchGetSize(c->S, &m));
  if (!m) m = 4 * d;
  PetscCheck(m >= d, comm, PETSC_ERR_USER_INPUT, "-sketch_size %" PetscInt_FMT " is smaller than the number of columns %" PetscInt_FMT "; a sketch needs m >= d (2d..4d is typical)", m, d);
  PetscCall(MatCreateVecs(c->A, &c->x, NULL));
  PetscCall(PetscPrintf(comm, "skua-sketch %s: %s on %" PetscInt_FMT " x %" PetscInt_FMT " (%s); ", SkuaVersion(), SkuaLSQMethods[method], M, d, c->problem));
  PetscCall(SkuaSketchView(c->S, PETSC_VIEWER_STDOUT_WORLD));
  PetscCall(SkuaLSQSolve(c->S, (SkuaLSQMethod)method, c->A, c->b, tol, max_it, c->x, &c->tr));
  PetscCall(SkuaLSQResidual(c->A, c->b, c->x, &rel, &rnorm));
  n = c->tr.n;

  PetscCall(SkuaH5WriterCreate(comm, c->output, PETSC_FALSE, &c->w, &resumed));
  PetscCall(SkuaSketchGetType(c->S, &stype));
  PetscCall(SkuaH5WriterSetAttrString(c->w, "/", "task", c->task));
  PetscCall(SkuaH5WriterSetAttrString(c->w, "/", "problem", c->problem));
  PetscCall(SkuaH5WriterSetAttrString(c->w, "/", "lsq_method", SkuaLSQMethods[method]));
  PetscCall(SkuaH5WriterSetAttrString(c->w, "/", "sketch_type", SkuaSketchTypes[stype]));
  PetscCall(SkuaH5WriterSetAttrInt(c->w, "/", "sketch_size", m));
  {
    PetscInt seed, s;
    PetscCall(SkuaSketchGetSeed(c->S, &seed));
    PetscCall(SkuaSketchGetNnz(c->S, &s));
    PetscCall(SkuaH5WriterSetAttrInt(c->w, "/", "sketch_seed", seed));
    PetscCall(SkuaH5WriterSetAttrInt(c->w, "/", "sketch_nnz", s));
  }
  PetscCall(SkuaH5WriterSetAttrReal(c->w, "/", "lsq_tol", tol));
  PetscCall(SkuaH5WriterSetAttrInt(c->w, "/", "lsq_max_it", max_it));
  PetscCall(SkuaH5WriterSetAttrInt(c->w, "/", "rows", M));
  PetscCall(SkuaH5WriterSetAttrInt(c->w, "/", "cols", d));
  PetscCall(SkuaH5WriterSetAttrInt(c->w, "/", "iterations", c->tr.its));
  PetscCall(SkuaH5WriterSetAttrInt(c->w, "/", "converged", c->tr.converged ? 1 : 0));
  PetscCall(SkuaH5WriterSetAttrReal(c->w, "/", "final_residual", rel));
  PetscCall(SkuaH5WriterSetAttrReal(c->w, "/", "residual_norm", rnorm));
  PetscCall(SkuaH5WriterSetAttrReal(c->w, "/", "solve_seconds", c->tr.sec[n - 1]));
  PetscCall(SkuaH5WriterWriteVec(c->w, "x", c->x));
  {
    PetscReal *it;
    PetscInt   dims[1] = {n};
    PetscCall(PetscMalloc1(n, &it));
    for (PetscInt i = 0; i < n; i++) it[i] = (PetscReal)c->tr.it[i];
    PetscCall(SkuaH5WriterCreateDataset(c->w, "trace/iteration", PETSC_TRUE, 1, dims));
    PetscCall(SkuaH5WriterWriteRows(c->w, "trace/iteration", 0, n, it));
    PetscCall(PetscFree(it));
    PetscCall(SkuaH5WriterWriteDataset(c->w, "trace/residual", 1, dims, c->tr.resid));
    PetscCall(SkuaH5WriterWriteDataset(c->w, "trace/rnorm", 1, dims, c->tr.rnorm));
    PetscCall(SkuaH5WriterWriteDataset(c->w, "trace/seconds", 1, dims, c->tr.sec));
  }
  if (save_sketch) PetscCall(SaveSketch(c));
  PetscCall(SkuaH5WriterCreateArray(c->w, "stats/iterations", PETSC_TRUE, 1, c->tr.its));
  PetscCall(SkuaH5WriterCreateArray(c->w, "stats/solve_seconds", PETSC_FALSE, 1, c->tr.sec[n - 1]));
  PetscCall(SkuaH5WriterCreateArray(c->w, "stats/final_residual", PETSC_FALSE, 1, rel));
  PetscCall(SkuaH5WriterFinish(&c->w));
  PetscCall(PetscSNPrintf(buf, sizeof(buf), "%s", c->tr.converged ? "converged" : "NOT converged"));
  PetscCall(PetscPrintf(comm, "Summary: %s, %" PetscInt_FMT " iterations, |A^T r|/(|A|_F |r|) = %.3e, |r| = %.6e, %.3f s\n", buf, c->tr.its, (double)rel, (double)rnorm, (double)c->tr.sec[n - 1]));
  PetscCall(PetscPrintf(comm, "Wrote %s\n", c->output));
  if (!c->tr.converged) {
    PetscCall(PetscPrintf(comm, "WARNING: -lsq_tol was not reached within -lsq_max_it %" PetscInt_FMT " (exit status 3)\n", max_it));
    c->exit_code = 3;
  }
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  PetscErrorCode ierr;
  SketchCtx      ctx = {0};

  ierr = SkuaInitialize(&argc, &argv, NULL, help);
  if (ierr) return 1;
  ierr = Run(&ctx);
  /* A failed run never leaves a file that looks complete. */
  if (ierr) PetscCallAbort(PETSC_COMM_WORLD, SkuaDriverFail("skua-sketch", ierr, &ctx.w, PETSC_FALSE, ctx.output));
  PetscCallAbort(PETSC_COMM_WORLD, SkuaLSQTraceDestroy(&ctx.tr));
  PetscCallAbort(PETSC_COMM_WORLD, VecDestroy(&ctx.x));
  PetscCallAbort(PETSC_COMM_WORLD, VecDestroy(&ctx.b));
  PetscCallAbort(PETSC_COMM_WORLD, MatDestroy(&ctx.A));
  PetscCallAbort(PETSC_COMM_WORLD, SkuaSketchDestroy(&ctx.S));
  if (SkuaFinalize()) return 1;
  return ierr ? 1 : ctx.exit_code;
}
