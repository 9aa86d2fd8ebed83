/* skua-datagen: PDE training-set generation (SKR: Wang et al.): sample fields, order, solve in sequence, write HDF5. */
#include <skua.h>
#include <skua/order.h>
#include <time.h>

static const char help[] = "skua-datagen: generate a neural-operator data set of PDE solves (darcy, poisson, helmholtz, heat).\n"
                           "  mpirun -n P skua-datagen -family darcy -n 80 -samples 1000 -seed 1 -order pca -output darcy.h5\n"
                           "  3-D (n x n x n, 7-point): add -pde_dim 3 (orders none and greedy)\n"
                           "       [-ksp_type gcrodr -pc_type asm -ksp_rtol 1e-7] [-resume]\n"
                           "Exit status: 0 all solves converged, 1 error, 3 written but some solves did not converge.\n";

typedef enum { DG_GUESS_ZERO, DG_GUESS_PREVIOUS } DGGuess;
/* CPU seconds of this process (rank 0's is recorded): less disturbed than wall time on a shared machine. */
static double ProcessCPUSeconds(void)
{
  struct timespec ts;

  if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)) return 0.0;
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static const char *const DGGuessNames[] = {"zero", "previous", "DGGuess", "DG_GUESS_", NULL};

typedef struct {
  char          output[PETSC_MAX_PATH_LEN];
  PetscInt      N, n, nn, dim, nfields, nsteps, abort_after; /* nn = n^dim */
  PetscReal     progress_interval;
  PetscBool     resume;
  DGGuess       guess;
  SkuaOrderType order;
  SkuaPDE       pde;
  KSP           ksp;
  Mat           A;
  Vec           b, u, r;
  SkuaH5Writer  w;
  PetscReal   **fields, *nat;
  PetscInt     *perm;
  PetscInt      finished;
  int           exit_code;
  PetscBool     help_only, recycling, direct;
} DataGen;

/* The PDE settings that determine the data, fetched once for the attributes and the resume fingerprint. */
typedef struct {
  SkuaPDEFamily fam;
  SkuaGRFParams grf;
  uint64_t      seed;
  PetscReal     k0, contrast, dt, dhigh, dlow;
  PetscInt      steps;
} PDESettings;

static PetscErrorCode GetPDESettings(DataGen *g, PDESettings *p)
{
  PetscFunctionBegin;
  PetscCall(SkuaPDEGetFamily(g->pde, &p->fam));
  PetscCall(SkuaPDEGetGRFParams(g->pde, &p->grf));
  PetscCall(SkuaPDEGetSeed(g->pde, &p->seed));
  PetscCall(SkuaPDEGetHelmholtzK0(g->pde, &p->k0));
  PetscCall(SkuaPDEGetHeat(g->pde, &p->contrast, &p->steps, &p->dt));
  PetscCall(SkuaPDEGetDarcyPhases(g->pde, &p->dhigh, &p->dlow));
  PetscFunctionReturn(0);
}

/* One string holding every setting that changes the data, so a resumed run can refuse a mismatched file. */
static PetscErrorCode Fingerprint(DataGen *g, char buf[], size_t len)
{
  PDESettings p;

  PetscFunctionBegin;
  PetscCall(GetPDESettings(g, &p));
  PetscCall(PetscSNPrintf(buf, len, "family=%s n=%" PetscInt_FMT " samples=%" PetscInt_FMT " seed=%llu order=%s alpha=%.17g tau=%.17g sigma=%.17g k0=%.17g contrast=%.17g steps=%" PetscInt_FMT " dt=%.17g darcy_phases=%.17g,%.17g", SkuaPDEFamilies[p.fam], g->n, g->N, (unsigned long long)p.seed, SkuaOrderTypes[g->order], (double)p.grf.alpha, (double)p.grf.tau, (double)p.grf.sigma, (double)p.k0, (double)p.contrast, p.steps, (double)p.dt, (double)p.dhigh, (double)p.dlow));
  /* only 3-D adds to the string, so a 2-D file written before -pde_dim existed still resumes */
  if (g->dim == 3) PetscCall(PetscStrlcat(buf, " dim=3", len));
  PetscFunctionReturn(0);
}

static PetscErrorCode WriteAttributes(DataGen *g, PetscLogDouble order_seconds)
{
  PDESettings p;
  PetscReal   rtol;
  KSPType     ksptype;
  PCType      pctype;
  PC          pc;
  char        fp[1024];

  PetscFunctionBegin;
  PetscCall(GetPDESettings(g, &p));
  PetscCall(KSPGetType(g->ksp, &ksptype));
  PetscCall(KSPGetPC(g->ksp, &pc));
  PetscCall(PCGetType(pc, &pctype));
  PetscCall(KSPGetTolerances(g->ksp, &rtol, NULL, NULL, NULL));
  PetscCall(SkuaH5WriterSetAttrString(g->w, "/", "family", SkuaPDEFamilies[p.fam]));
  PetscCall(SkuaH5WriterSetAttrInt(g->w, "/", "n", g->n));
  PetscCall(SkuaH5WriterSetAttrInt(g->w, "/", "dim", g->dim));
  PetscCall(SkuaH5WriterSetAttrInt(g->w, "/", "samples", g->N));
  PetscCall(SkuaH5WriterSetAttrInt(g->w, "/", "seed", (PetscInt)p.seed));
  PetscCall(SkuaH5WriterSetAttrReal(g->w, "/", "rtol", rtol));
  PetscCall(SkuaH5WriterSetAttrString(g->w, "/", "ksp_type", ksptype));
  PetscCall(SkuaH5WriterSetAttrString(g->w, "/", "pc_type", pctype ? pctype : "none"));
  PetscCall(SkuaH5WriterSetAttrString(g->w, "/", "order", SkuaOrderTypes[g->order]));
  PetscCall(SkuaH5WriterSetAttrReal(g->w, "/", "alpha", p.grf.alpha));
  PetscCall(SkuaH5WriterSetAttrReal(g->w, "/", "tau", p.grf.tau));
  PetscCall(SkuaH5WriterSetAttrReal(g->w, "/", "sigma", p.grf.sigma));
  PetscCall(SkuaH5WriterSetAttrString(g->w, "/", "initial_guess", DGGuessNames[g->guess]));
  if (p.fam == SKUA_PDE_HELMHOLTZ) PetscCall(SkuaH5WriterSetAttrReal(g->w, "/", "helmholtz_k0", p.k0));
  if (p.fam == SKUA_PDE_DARCY && p.dhigh > 0) {
    PetscCall(SkuaH5WriterSetAttrReal(g->w, "/", "darcy_high", p.dhigh));
    PetscCall(SkuaH5WriterSetAttrReal(g->w, "/", "darcy_low", p.dlow));
  }
  if (p.fam == SKUA_PDE_HEAT) {
    PetscCall(SkuaH5WriterSetAttrReal(g->w, "/", "heat_contrast", p.contrast));
    PetscCall(SkuaH5WriterSetAttrInt(g->w, "/", "heat_steps", p.steps));
    PetscCall(SkuaH5WriterSetAttrReal(g->w, "/", "heat_dt", p.dt));
  }
  if (order_seconds >= 0) PetscCall(SkuaH5WriterSetAttrReal(g->w, "/", "order_seconds", order_seconds));
  PetscCall(Fingerprint(g, fp, sizeof(fp)));
  PetscCall(SkuaH5WriterSetAttrString(g->w, "/", "settings", fp));
  PetscFunctionReturn(0);
}

/* With recycling, the solver's state is part of the result: the recycle space after the last finished sample
   (U and M^-1 U, natural order) and the position in the solve order it belongs to. A resumed run restores it
   and continues from that position, so it produces the same solves as an uninterrupted run. */
static PetscErrorCode WriteCheckpoint(DataGen *g, PetscInt position)
{
  PetscInt  kc, nn = g->nn;
  Vec      *U, *W;
  PetscReal *buf;

  PetscFunctionBegin;
  if (!g->recycling) PetscFunctionReturn(0);
  PetscCall(KSPGCRODRGetRecycleSpace(g->ksp, &kc, &U));
  PetscCall(KSPGCRODRGetPreconditionedRecycleSpace(g->ksp, NULL, &W));
  if (kc) {
    PetscInt dims[4] = {kc, g->n, g->n, g->n};
    PetscCall(PetscMalloc1((size_t)kc * nn, &buf));
    for (PetscInt i = 0; i < kc; i++) PetscCall(SkuaPDEGlobalToNatural(g->pde, U[i], buf + (size_t)i * nn));
    PetscCall(SkuaH5WriterWriteDataset(g->w, "checkpoint/U", 1 + g->dim, dims, buf));
    for (PetscInt i = 0; i < kc; i++) PetscCall(SkuaPDEGlobalToNatural(g->pde, W[i], buf + (size_t)i * nn));
    PetscCall(SkuaH5WriterWriteDataset(g->w, "checkpoint/MinvU", 1 + g->dim, dims, buf));
    PetscCall(PetscFree(buf));
  } else {
    PetscInt  dims[1] = {1};
    PetscReal zero    = 0;
    PetscCall(SkuaH5WriterWriteDataset(g->w, "checkpoint/U", 1, dims, &zero));
  }
  PetscCall(SkuaH5WriterSetAttrInt(g->w, "checkpoint", "k", kc));
  PetscCall(SkuaH5WriterSetAttrInt(g->w, "checkpoint", "position", position)); /* last: commits the checkpoint */
  PetscFunctionReturn(0);
}

/* Restores the checkpointed recycle space; returns the order position to continue from (0 without one). */
static PetscErrorCode ReadCheckpoint(DataGen *g, PetscInt *position)
{
  PetscInt  kc = 0, nn = g->nn;
  PetscBool found, found_k;
  Vec      *V;

  PetscFunctionBegin;
  *position = g->N;
  if (!g->recycling) PetscFunctionReturn(0);
  PetscCall(SkuaH5WriterGetAttrInt(g->w, "checkpoint", "position", position, &found));
  PetscCall(SkuaH5WriterGetAttrInt(g->w, "checkpoint", "k", &kc, &found_k));
  if (!found || !found_k) {
    *position = 0;
    PetscFunctionReturn(0);
  }
  if (kc) {
    PetscReal *buf;
    PetscCall(PetscMalloc1((size_t)kc * nn, &buf));
    PetscCall(VecDuplicateVecs(g->u, kc, &V));
    PetscCall(SkuaH5WriterReadRows(g->w, "checkpoint/U", 0, kc, buf));
    for (PetscInt i = 0; i < kc; i++) PetscCall(SkuaPDENaturalToGlobal(g->pde, buf + (size_t)i * nn, V[i]));
    PetscCall(KSPGCRODRSetRecycleSpace(g->ksp, kc, V));
    PetscCall(SkuaH5WriterReadRows(g->w, "checkpoint/MinvU", 0, kc, buf));
    for (PetscInt i = 0; i < kc; i++) PetscCall(SkuaPDENaturalToGlobal(g->pde, buf + (size_t)i * nn, V[i]));
    PetscCall(KSPGCRODRSetPreconditionedRecycleSpace(g->ksp, kc, V));
    PetscCall(VecDestroyVecs(kc, &V));
    PetscCall(PetscFree(buf));
  }
  PetscFunctionReturn(0);
}

/* Sample fields of this rank's block of samples, concatenated per sample, for the ordering. A 3-D field enters
   as n slices of n x n (z slowest, as stored): the same concatenated feature row, so greedy's Frobenius distances
   are those of the 3-D fields (pca is refused for 3-D before this point). */
static PetscErrorCode ComputeOrder(DataGen *g, PetscLogDouble *seconds)
{
  MPI_Comm   comm = PETSC_COMM_WORLD;
  PetscInt   nloc = PETSC_DECIDE, first, dim = g->nfields * g->nn;
  PetscReal *feat;

  PetscFunctionBegin;
  PetscCall(PetscSplitOwnership(comm, &nloc, &g->N));
  PetscCallMPI(MPI_Scan(&nloc, &first, 1, MPIU_INT, MPI_SUM, comm));
  first -= nloc;
  PetscCall(PetscMalloc1((size_t)nloc * dim + 1, &feat));
  for (PetscInt s = 0; s < nloc; s++) {
    PetscReal *f[8];
    for (PetscInt k = 0; k < g->nfields; k++) f[k] = feat + (size_t)s * dim + (size_t)k * g->nn;
    PetscCall(SkuaPDESampleFields(g->pde, first + s, f));
  }
  PetscCall(SkuaOrderCompute(comm, g->order, g->N, g->n, g->nfields * (g->dim == 3 ? g->n : 1), feat, g->perm, seconds));
  PetscCall(PetscFree(feat));
  PetscFunctionReturn(0);
}

static PetscErrorCode Run(DataGen *g)
{
  MPI_Comm           comm = PETSC_COMM_WORLD;
  PetscBool          help, resumed, has_out, prev_valid = PETSC_FALSE;
  const char *const *names;
  PetscInt           nn, nskip = 0, total_its = 0, nfail = 0, resume_pos;
  PetscReal         *done, worst = 0;
  PetscLogDouble     order_seconds = -1;
  double             t_start, t_flush, t_print, t_solves = 0, t_setups = 0, cpu_solves = 0;
  DM                 da;
  char               path[256], fp[1024], fp_old[1024];

  PetscFunctionBegin;
  g->N = 100;
  g->n = 64;
  g->order = SKUA_ORDER_GREEDY;
  g->guess = DG_GUESS_ZERO;
  g->abort_after = -1;
  g->progress_interval = 2.0;
  PetscCall(SkuaPDECreate(comm, &g->pde));
  PetscOptionsBegin(comm, NULL, "skua-datagen options", NULL);
  {
    char      fam[32] = "darcy";
    PetscBool set;
    PetscCall(PetscOptionsString("-family", "PDE family: darcy, poisson, helmholtz, heat", NULL, fam, fam, sizeof(fam), &set));
    PetscCall(SkuaPDESetFamilyName(g->pde, fam));
    PetscCall(PetscOptionsInt("-n", "Grid: n x n interior nodes (n x n x n with -pde_dim 3)", NULL, g->n, &g->n, NULL));
    PetscCall(PetscOptionsInt("-samples", "Number of samples N", NULL, g->N, &g->N, NULL));
  }
  PetscCall(PetscOptionsEnum("-order", "Solve order: none, greedy (nearest neighbour), pca (SKR's FFT+PCA+Gray-code bins)", NULL, SkuaOrderTypes, (PetscEnum)g->order, (PetscEnum *)&g->order, NULL));
  PetscCall(PetscOptionsEnum("-initial_guess", "Initial guess of each sample: zero, or previous (the last solution in solve order)", NULL, DGGuessNames, (PetscEnum)g->guess, (PetscEnum *)&g->guess, NULL));
  PetscCall(PetscOptionsString("-output", "HDF5 output (written as FILE.partial, renamed when complete)", NULL, g->output, g->output, sizeof(g->output), &has_out));
  PetscCall(PetscOptionsBool("-resume", "Continue FILE.partial of an interrupted run", NULL, g->resume, &g->resume, NULL));
  PetscCall(PetscOptionsReal("-progress_interval", "Seconds between progress lines", NULL, g->progress_interval, &g->progress_interval, NULL));
  PetscCall(PetscOptionsInt("-abort_after", "Testing aid: MPI_Abort after this many samples, to exercise -resume", NULL, g->abort_after, &g->abort_after, NULL));
  PetscOptionsEnd();
  PetscCheck(g->n > 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-n %" PetscInt_FMT ": the grid size must be positive", g->n);
  PetscCheck(g->N > 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-samples %" PetscInt_FMT ": the number of samples must be positive", g->N);
  PetscCall(SkuaPDESetSize(g->pde, g->n));
  PetscCall(SkuaPDESetFromOptions(g->pde));
  PetscCall(SkuaPDESetUp(g->pde));
  PetscCall(SkuaPDEGetSize(g->pde, &g->n));
  PetscCall(SkuaPDEGetDimension(g->pde, &g->dim));
  PetscCall(SkuaPDEGetNumNodes(g->pde, &g->nn));
  PetscCheck(g->dim == 2 || g->order != SKUA_ORDER_PCA, comm, PETSC_ERR_SUP, "-order pca works on 2-D fields only (its features are 2-D FFTs of each field); with -pde_dim 3 use -order greedy or none");
  PetscCall(SkuaPDEGetDM(g->pde, &da));
  PetscCall(SkuaPDEGetFieldNames(g->pde, &g->nfields, &names));
  PetscCall(SkuaPDEGetNumSteps(g->pde, &g->nsteps));
  PetscCall(DMCreateMatrix(da, &g->A));
  PetscCall(DMCreateGlobalVector(da, &g->b));
  PetscCall(VecDuplicate(g->b, &g->u));
  PetscCall(VecDuplicate(g->b, &g->r));
  PetscCall(KSPCreate(comm, &g->ksp));
  PetscCall(KSPSetDM(g->ksp, da));
  PetscCall(KSPSetDMActive(g->ksp, PETSC_FALSE)); /* operators come from SkuaPDEAssemble; the DM serves multigrid */
  PetscCall(KSPSetOperators(g->ksp, g->A, g->A));
  PetscCall(KSPSetFromOptions(g->ksp));
  PetscCall(PetscObjectTypeCompare((PetscObject)g->ksp, KSPGCRODR, &g->recycling));
  PetscCall(PetscObjectTypeCompare((PetscObject)g->ksp, KSPPREONLY, &g->direct));
  PetscCall(PetscOptionsHasHelp(NULL, &help));
  if (help && !has_out) {
    g->help_only = PETSC_TRUE;
    PetscFunctionReturn(0);
  }
  PetscCheck(has_out, comm, PETSC_ERR_USER_INPUT, "Missing -output FILE (HDF5 file for the data set)");

  nn = g->nn;
  PetscCall(PetscMalloc1(g->nfields, &g->fields));
  for (PetscInt k = 0; k < g->nfields; k++) PetscCall(PetscMalloc1(nn, &g->fields[k]));
  /* the preconditioner preset (-skua_mg) is built once here, so a bad choice fails before the output exists */
  PetscCall(SkuaPDESampleFields(g->pde, 0, g->fields));
  PetscCall(SkuaPDEAssemble(g->pde, g->fields, g->A, g->b));
  PetscCall(SkuaMGSetUp(g->ksp, g->pde, g->fields));
  PetscCall(PetscMalloc1(nn, &g->nat));
  PetscCall(PetscMalloc1(g->N, &g->perm));
  PetscCall(PetscMalloc1(g->N, &done));

  PetscCall(SkuaH5WriterCreate(comm, g->output, g->resume, &g->w, &resumed));
  PetscCall(Fingerprint(g, fp, sizeof(fp)));
  if (resumed) {
    PetscBool found, same;
    PetscCall(SkuaH5WriterGetAttrString(g->w, "/", "settings", fp_old, sizeof(fp_old), &found));
    PetscCall(PetscStrcmp(fp, fp_old, &same));
    PetscCheck(found && same, comm, PETSC_ERR_USER_INPUT, "%s.partial was written with other settings (%s); this run has %s. Remove it or drop -resume", g->output, found ? fp_old : "unknown", fp);
  }
  {
    PetscInt dims[4] = {g->N, g->n, g->n, g->n}; /* [N][n][n] or, in 3-D, [N][n][n][n] */
    for (PetscInt k = 0; k < g->nfields; k++) {
      PetscCall(PetscSNPrintf(path, sizeof(path), "inputs/%s", names[k]));
      PetscCall(SkuaH5WriterCreateDataset(g->w, path, PETSC_FALSE, 1 + g->dim, dims));
    }
    PetscCall(SkuaH5WriterCreateDataset(g->w, "solutions/u", PETSC_FALSE, 1 + g->dim, dims));
  }
  PetscCall(SkuaH5WriterCreateArray(g->w, "stats/iterations", PETSC_TRUE, g->N, -1));
  PetscCall(SkuaH5WriterCreateArray(g->w, "stats/solve_seconds", PETSC_FALSE, g->N, -1));
  PetscCall(SkuaH5WriterCreateArray(g->w, "stats/setup_seconds", PETSC_FALSE, g->N, -1));
  PetscCall(SkuaH5WriterCreateArray(g->w, "stats/residual_norm", PETSC_FALSE, g->N, -1));
  PetscCall(SkuaH5WriterCreateArray(g->w, "stats/relative_residual", PETSC_FALSE, g->N, -1));
  PetscCall(SkuaH5WriterCreateArray(g->w, "stats/converged_reason", PETSC_TRUE, g->N, 0));
  PetscCall(SkuaH5WriterGetArray(g->w, "stats/iterations", g->N, done));
  if (resumed) {
    PetscReal *ord;
    PetscCall(PetscMalloc1(g->N, &ord));
    PetscCall(SkuaH5WriterGetArray(g->w, "order", g->N, ord));
    for (PetscInt k = 0; k < g->N; k++) g->perm[k] = (PetscInt)ord[k];
    PetscCall(PetscFree(ord));
    PetscCall(ReadCheckpoint(g, &resume_pos));
    /* samples solved after the last recycle checkpoint are solved again, from the restored space */
    for (PetscInt k = resume_pos; k < g->N; k++) done[g->perm[k]] = -1;
    for (PetscInt i = 0; i < g->N; i++) nskip += done[i] >= 0;
    PetscCall(PetscPrintf(comm, "Resuming %s.partial: %" PetscInt_FMT " of %" PetscInt_FMT " samples already solved\n", g->output, nskip, g->N));
  } else {
    PetscReal *ord;
    PetscCall(ComputeOrder(g, &order_seconds));
    PetscCall(SkuaH5WriterCreateArray(g->w, "order", PETSC_TRUE, g->N, -1));
    PetscCall(PetscMalloc1(g->N, &ord));
    for (PetscInt k = 0; k < g->N; k++) ord[k] = (PetscReal)g->perm[k];
    PetscCall(SkuaH5WriterWriteRows(g->w, "order", 0, g->N, ord));
    PetscCall(PetscFree(ord));
  }
  PetscCall(WriteAttributes(g, order_seconds));
  {
    KSPType kt;
    PC      pc;
    PCType  pt;
    PetscCall(KSPGetType(g->ksp, &kt));
    PetscCall(KSPGetPC(g->ksp, &pc));
    PetscCall(PCGetType(pc, &pt));
    if (g->dim == 3) PetscCall(PetscPrintf(comm, "skua-datagen %s: %s, %" PetscInt_FMT "x%" PetscInt_FMT "x%" PetscInt_FMT " grid, %" PetscInt_FMT " samples x %" PetscInt_FMT " system(s), order %s", SkuaVersion(), fp, g->n, g->n, g->n, g->N, g->nsteps, SkuaOrderTypes[g->order]));
    else PetscCall(PetscPrintf(comm, "skua-datagen %s: %s, %" PetscInt_FMT "x%" PetscInt_FMT " grid, %" PetscInt_FMT " samples x %" PetscInt_FMT " system(s), order %s", SkuaVersion(), fp, g->n, g->n, g->N, g->nsteps, SkuaOrderTypes[g->order]));
    if (order_seconds >= 0) PetscCall(PetscPrintf(comm, " (%.3f s)", order_seconds));
    PetscCall(PetscPrintf(comm, ", ksp %s, pc %s\n", kt, pt ? pt : "none"));
  }

  t_start = t_flush = t_print = MPI_Wtime();
  for (PetscInt k = 0; k < g->N; k++) {
    PetscInt  i = g->perm[k], its_sample = 0;
    PetscReal rnorm_worst = 0, rel_worst = 0;
    KSPConvergedReason worst_reason = KSP_CONVERGED_ITERATING;
    double    t_sample = 0, t_setup, c_setup;

    if (done[i] >= 0) { /* finished by an earlier run; keep it as the warm start of the next sample */
      if (g->guess == DG_GUESS_PREVIOUS) {
        PetscCall(SkuaH5WriterReadRows(g->w, "solutions/u", i, 1, g->nat));
        PetscCall(SkuaPDENaturalToGlobal(g->pde, g->nat, g->u));
        prev_valid = PETSC_TRUE;
      }
      continue;
    }
    PetscCall(SkuaPDESampleFields(g->pde, i, g->fields));
    PetscCall(SkuaPDEAssemble(g->pde, g->fields, g->A, g->b));
    /* setup (preconditioner for the new operator, multigrid levels) is timed apart from the solves */
    t_setup = MPI_Wtime();
    c_setup = ProcessCPUSeconds();
    PetscCall(KSPSetOperators(g->ksp, g->A, g->A));
    PetscCall(SkuaMGSetUp(g->ksp, g->pde, g->fields)); /* -skua_mg: coarse levels re-discretised from these fields */
    PetscCall(KSPSetUp(g->ksp));
    t_setup = MPI_Wtime() - t_setup;
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &t_setup, 1, MPI_DOUBLE, MPI_MAX, comm)); /* one value on every rank */
    cpu_solves += ProcessCPUSeconds() - c_setup;
    t_setups += t_setup;
    if (!(g->guess == DG_GUESS_PREVIOUS && prev_valid)) PetscCall(VecZeroEntries(g->u));
    for (PetscInt s = 0; s < g->nsteps; s++) {
      PetscInt           its;
      KSPConvergedReason reason;
      PetscReal          rnorm, bnorm;
      double             t0, c0;

      if (s > 0) PetscCall(SkuaPDEStepRHS(g->pde, g->u, g->b)); /* time step: the last state is also the guess */
      /* a direct solve (preonly) takes no initial guess */
      PetscCall(KSPSetInitialGuessNonzero(g->ksp, (!g->direct && (s > 0 || (g->guess == DG_GUESS_PREVIOUS && prev_valid))) ? PETSC_TRUE : PETSC_FALSE));
      t0 = MPI_Wtime();
      c0 = ProcessCPUSeconds();
      PetscCall(KSPSolve(g->ksp, g->b, g->u));
      t_sample += MPI_Wtime() - t0;
      cpu_solves += ProcessCPUSeconds() - c0;
      PetscCall(KSPGetIterationNumber(g->ksp, &its));
      PetscCall(KSPGetConvergedReason(g->ksp, &reason));
      PetscCall(MatMult(g->A, g->u, g->r));
      PetscCall(VecAYPX(g->r, -1.0, g->b));
      PetscCall(VecNorm(g->r, NORM_2, &rnorm));
      PetscCall(VecNorm(g->b, NORM_2, &bnorm));
      its_sample += its;
      if (rnorm >= rnorm_worst) rnorm_worst = rnorm;
      rel_worst = PetscMax(rel_worst, bnorm > 0 ? rnorm / bnorm : rnorm);
      if (reason < 0 || worst_reason == KSP_CONVERGED_ITERATING) worst_reason = reason;
    }
    prev_valid = PETSC_TRUE;
    /* inputs and solution in natural order; rank 0 writes (the fields are whole on every rank) */
    for (PetscInt f = 0; f < g->nfields; f++) {
      PetscCall(PetscSNPrintf(path, sizeof(path), "inputs/%s", names[f]));
      PetscCall(SkuaH5WriterWriteRows(g->w, path, i, 1, g->fields[f]));
    }
    PetscCall(SkuaPDEGlobalToNatural(g->pde, g->u, g->nat));
    PetscCall(SkuaH5WriterWriteRows(g->w, "solutions/u", i, 1, g->nat));
    PetscCall(SkuaH5WriterSetArrayEntry(g->w, "stats/solve_seconds", i, t_sample));
    PetscCall(SkuaH5WriterSetArrayEntry(g->w, "stats/setup_seconds", i, t_setup));
    PetscCall(SkuaH5WriterSetArrayEntry(g->w, "stats/residual_norm", i, rnorm_worst));
    PetscCall(SkuaH5WriterSetArrayEntry(g->w, "stats/relative_residual", i, rel_worst));
    PetscCall(SkuaH5WriterSetArrayEntry(g->w, "stats/converged_reason", i, worst_reason));
    PetscCall(SkuaH5WriterSetArrayEntry(g->w, "stats/iterations", i, its_sample)); /* last: marks i finished */
    g->finished++;
    total_its += its_sample;
    t_solves += t_sample;
    nfail += worst_reason < 0;
    worst = PetscMax(worst, rel_worst);
    {
      double    now = MPI_Wtime();
      PetscBool due;
      PetscCall(SkuaFlushDue(comm, g->progress_interval, (PetscBool)(k == g->N - 1 || g->finished == g->abort_after), &t_flush, &due));
      if (due) {
        PetscCall(WriteCheckpoint(g, k + 1));
        PetscCall(SkuaH5WriterFlush(g->w));
      }
      if (now - t_print > g->progress_interval || k == g->N - 1 || g->finished == 1) {
        double rate = g->finished / (now - t_start);
        PetscCall(PetscPrintf(comm, "[%7" PetscInt_FMT "/%" PetscInt_FMT "] %5.1f%%  %8.2f samples/s  ETA %8.1f s  its/sample %7.1f  worst |r|/|b| %.2e  failed %" PetscInt_FMT "\n", k + 1, g->N, 100.0 * (k + 1) / g->N, rate, (g->N - k - 1) / rate, (double)total_its / g->finished, (double)worst, nfail));
        t_print = now;
      }
    }
    if (g->finished == g->abort_after) {
      PetscCall(PetscPrintf(comm, "-abort_after %" PetscInt_FMT ": aborting as if killed\n", g->abort_after));
      PetscCallMPI(MPI_Abort(comm, 9));
    }
  }
  PetscCall(PetscFree(done));
  PetscCall(SkuaH5WriterSetAttrReal(g->w, "/", "total_solve_seconds", t_solves));
  PetscCall(SkuaH5WriterSetAttrReal(g->w, "/", "total_setup_seconds", t_setups));
  PetscCall(SkuaH5WriterSetAttrReal(g->w, "/", "solve_cpu_seconds", cpu_solves));
  PetscCall(SkuaH5WriterSetAttrInt(g->w, "/", "total_iterations", total_its));
  PetscCall(SkuaH5WriterFinish(&g->w));
  PetscCall(PetscPrintf(comm, "Summary: %" PetscInt_FMT " samples solved (%" PetscInt_FMT " resumed), %" PetscInt_FMT " with a failed solve, %" PetscInt_FMT " iterations, %.3f s in KSPSolve, %.3f s in setup, %.3f s total, worst |r|/|b| %.3e\n", g->finished, nskip, nfail, total_its, t_solves, t_setups, MPI_Wtime() - t_start, (double)worst));
  PetscCall(PetscPrintf(comm, "Wrote %s\n", g->output));
  if (nfail) {
    PetscCall(PetscPrintf(comm, "WARNING: %" PetscInt_FMT " sample(s) had a solve that did not converge; see /stats/converged_reason (exit status 3)\n", nfail));
    g->exit_code = 3;
  }
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  PetscErrorCode ierr;
  DataGen        g = {0};

  ierr = SkuaInitialize(&argc, &argv, NULL, help);
  if (ierr) return 1;
  ierr = Run(&g);
  if (ierr) PetscCallAbort(PETSC_COMM_WORLD, SkuaDriverFail("skua-datagen", ierr, &g.w, (g.finished > 0 || g.resume) ? PETSC_TRUE : PETSC_FALSE, g.output));
  if (g.fields)
    for (PetscInt k = 0; k < g.nfields; k++) PetscCallAbort(PETSC_COMM_WORLD, PetscFree(g.fields[k]));
  PetscCallAbort(PETSC_COMM_WORLD, PetscFree(g.fields));
  PetscCallAbort(PETSC_COMM_WORLD, PetscFree(g.nat));
  PetscCallAbort(PETSC_COMM_WORLD, PetscFree(g.perm));
  PetscCallAbort(PETSC_COMM_WORLD, VecDestroy(&g.b));
  PetscCallAbort(PETSC_COMM_WORLD, VecDestroy(&g.u));
  PetscCallAbort(PETSC_COMM_WORLD, VecDestroy(&g.r));
  PetscCallAbort(PETSC_COMM_WORLD, MatDestroy(&g.A));
  PetscCallAbort(PETSC_COMM_WORLD, KSPDestroy(&g.ksp));
  PetscCallAbort(PETSC_COMM_WORLD, SkuaPDEDestroy(&g.pde));
  if (SkuaFinalize()) return 1;
  return ierr ? 1 : g.exit_code;
}
