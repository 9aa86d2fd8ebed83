/* Unit test of KSPGCRODR (GCRO-DR, Parks et al., SISC 28(5), 2006): GMRES equivalence at k = 0, recycling gains, guesses, Set/Get, errors. */
#include <unistd.h>
#include <petscksp.h>
#include <skua/ksp.h>

typedef enum {
  FAMILY_CONVDIFF,  /* -div(a grad u) + w . grad u, upwind, wind turning slowly with the sample index */
  FAMILY_DIFFUSION, /* -div(a grad u), a with a bump modulated by the sample index */
  FAMILY_HELMHOLTZ  /* -lap u - kappa^2 u, indefinite, kappa field modulated by the sample index */
} Family;

static const char *FamilyName[] = {"convdiff", "diffusion", "helmholtz"};

static PetscInt nfail = 0;

#define CHECK(cond, ...) \
  do { \
    if (!(cond)) { \
      nfail++; \
      PetscCall(PetscPrintf(PETSC_COMM_WORLD, "FAIL: " __VA_ARGS__)); \
    } \
  } while (0)

static PetscReal Coef(Family f, PetscReal x, PetscReal y, PetscReal s)
{
  switch (f) {
  case FAMILY_CONVDIFF:
    return 1.0 + 0.5 * PetscSinReal(PETSC_PI * x) * PetscSinReal(PETSC_PI * y);
  case FAMILY_DIFFUSION:
    /* a contrast of ~100 between a bump and the background makes restarted GMRES stagnate */
    return (1.0 + 99.0 * PetscExpReal(-40.0 * ((x - 0.4) * (x - 0.4) + (y - 0.6) * (y - 0.6)))) * (1.0 + 0.05 * s * PetscSinReal(2.0 * PETSC_PI * x + 0.3 * s) * PetscSinReal(PETSC_PI * y));
  default:
    return 1.0;
  }
}

/* 5-point finite-volume operator on the n x n interior grid of the unit square (Dirichlet), scaled by h^2 */
static PetscErrorCode BuildMatrix(Family f, PetscInt n, PetscReal s, PetscReal kappa0, Mat *A)
{
  PetscInt  rstart, rend, row, N = n * n;
  PetscReal h = 1.0 / (n + 1);

  PetscFunctionBegin;
  PetscCall(MatCreateAIJ(PETSC_COMM_WORLD, PETSC_DECIDE, PETSC_DECIDE, N, N, 5, NULL, 4, NULL, A));
  PetscCall(MatGetOwnershipRange(*A, &rstart, &rend));
  for (row = rstart; row < rend; row++) {
    PetscInt    i = row % n, j = row / n, cols[5], nc = 0;
    PetscScalar vals[5], diag = 0.0;
    PetscReal   x = (i + 1) * h, y = (j + 1) * h;
    PetscReal   aw = Coef(f, x - 0.5 * h, y, s), ae = Coef(f, x + 0.5 * h, y, s);
    PetscReal   as = Coef(f, x, y - 0.5 * h, s), an = Coef(f, x, y + 0.5 * h, s);
    PetscReal   cw = -aw, ce = -ae, cs = -as, cn = -an;

    diag = aw + ae + as + an;
    if (f == FAMILY_CONVDIFF) {
      /* wind of speed 60 whose direction turns by 0.05 rad per sample; first-order upwinding */
      PetscReal th = 0.6 + 0.05 * s, wx = 60.0 * PetscCosReal(th), wy = 60.0 * PetscSinReal(th);

      if (wx > 0) { diag += wx * h; cw -= wx * h; } else { diag -= wx * h; ce += wx * h; }
      if (wy > 0) { diag += wy * h; cs -= wy * h; } else { diag -= wy * h; cn += wy * h; }
    } else if (f == FAMILY_HELMHOLTZ) {
      PetscReal kap = kappa0 * (1.0 + 0.1 * PetscSinReal(PETSC_PI * x) * PetscSinReal(2.0 * PETSC_PI * y)) * (1.0 + 0.004 * s * PetscCosReal(PETSC_PI * (x + y)));

      diag -= kap * kap * h * h;
    }
    if (i > 0) { cols[nc] = row - 1; vals[nc++] = cw; }
    if (i < n - 1) { cols[nc] = row + 1; vals[nc++] = ce; }
    if (j > 0) { cols[nc] = row - n; vals[nc++] = cs; }
    if (j < n - 1) { cols[nc] = row + n; vals[nc++] = cn; }
    cols[nc]   = row;
    vals[nc++] = diag;
    PetscCall(MatSetValues(*A, 1, &row, nc, cols, vals, INSERT_VALUES));
  }
  PetscCall(MatAssemblyBegin(*A, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(*A, MAT_FINAL_ASSEMBLY));
  PetscFunctionReturn(0);
}

/* a smooth right-hand side that changes a little with the sample, identical for any number of ranks */
static PetscErrorCode BuildRHS(Mat A, PetscInt n, PetscReal s, Vec *b)
{
  PetscInt     rstart, rend, row;
  PetscScalar *a;
  PetscReal    h = 1.0 / (n + 1);

  PetscFunctionBegin;
  PetscCall(MatCreateVecs(A, NULL, b));
  PetscCall(VecGetOwnershipRange(*b, &rstart, &rend));
  PetscCall(VecGetArray(*b, &a));
  for (row = rstart; row < rend; row++) {
    PetscReal x = (row % n + 1) * h, y = (row / n + 1) * h;

    a[row - rstart] = h * h * (1.0 + x * y + 0.02 * s * PetscSinReal(3.0 * x));
  }
  PetscCall(VecRestoreArray(*b, &a));
  PetscFunctionReturn(0);
}

static PetscErrorCode TrueRelResidual(Mat A, Vec x, Vec b, PetscReal *rel)
{
  Vec       r;
  PetscReal rn, bn;

  PetscFunctionBegin;
  PetscCall(VecDuplicate(b, &r));
  PetscCall(MatMult(A, x, r));
  PetscCall(VecAYPX(r, -1.0, b));
  PetscCall(VecNorm(r, NORM_2, &rn));
  PetscCall(VecNorm(b, NORM_2, &bn));
  *rel = rn / bn;
  PetscCall(VecDestroy(&r));
  PetscFunctionReturn(0);
}

/* A KSP of the given type; both methods are right preconditioned so they minimise the same (true) residual */
static PetscErrorCode MakeKSP(KSPType type, PetscInt m, PetscInt k, PCType pctype, PetscReal rtol, PetscInt maxit, KSP *ksp)
{
  PC pc;

  PetscFunctionBegin;
  PetscCall(KSPCreate(PETSC_COMM_WORLD, ksp));
  PetscCall(KSPSetType(*ksp, type));
  PetscCall(KSPSetPCSide(*ksp, PC_RIGHT));
  PetscCall(KSPGetPC(*ksp, &pc));
  PetscCall(PCSetType(pc, pctype));
  PetscCall(KSPSetTolerances(*ksp, rtol, 1e-50, PETSC_DEFAULT, maxit));
  PetscCall(KSPGMRESSetRestart(*ksp, m)); /* no-op for gcrodr */
  PetscCall(KSPGCRODRSetRestart(*ksp, m)); /* no-op for gmres */
  PetscCall(KSPGCRODRSetRecycle(*ksp, k));
  PetscFunctionReturn(0);
}

typedef struct {
  PetscInt  its;
  PetscReal relres;
  KSPConvergedReason reason;
} SolveInfo;

static PetscErrorCode SolveOne(KSP ksp, Mat A, Vec b, Vec x, PetscBool nonzero, SolveInfo *info)
{
  PetscFunctionBegin;
  PetscCall(KSPSetOperators(ksp, A, A));
  PetscCall(KSPSetInitialGuessNonzero(ksp, nonzero));
  PetscCall(KSPSolve(ksp, b, x));
  PetscCall(KSPGetIterationNumber(ksp, &info->its));
  PetscCall(KSPGetConvergedReason(ksp, &info->reason));
  PetscCall(TrueRelResidual(A, x, b, &info->relres));
  PetscFunctionReturn(0);
}

static PetscErrorCode TableRow(const char *matrix, const char *method, PetscInt its, PetscReal relres)
{
  PetscFunctionBegin;
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "| %-28s | %-22s | %6" PetscInt_FMT " | %9.2e |\n", matrix, method, its, (double)relres));
  PetscFunctionReturn(0);
}

/* max |(A U)^T (A U) - I|: the handed-out U must satisfy A U = C with C orthonormal for the operator it was last
   built for (a lazily kept triangular factor that was not folded in leaves A U = C R, far from orthonormal) */
static PetscErrorCode GramDeviation(Mat A, PetscInt k, Vec U[], PetscReal *dev)
{
  Vec         *AU;
  PetscScalar *gram;

  PetscFunctionBegin;
  *dev = 0.0;
  PetscCall(VecDuplicateVecs(U[0], k, &AU));
  PetscCall(PetscMalloc1(k, &gram));
  for (PetscInt i = 0; i < k; i++) PetscCall(MatMult(A, U[i], AU[i]));
  for (PetscInt i = 0; i < k; i++) {
    PetscCall(VecMDot(AU[i], k, AU, gram));
    for (PetscInt l = 0; l < k; l++) *dev = PetscMax(*dev, PetscAbsScalar(gram[l] - (l == i ? 1.0 : 0.0)));
  }
  PetscCall(PetscFree(gram));
  PetscCall(VecDestroyVecs(k, &AU));
  PetscFunctionReturn(0);
}

/* Check 1: k = 0 is GMRES(m): same iteration count within max(1, its/100) */
static PetscErrorCode TestGMRESEquivalence(PetscInt n)
{
  Mat       A;
  Vec       b, x;
  KSP       kg, kr;
  SolveInfo ig, ir;
  PetscInt  m[2] = {20, 40}, t;
  char      name[64], meth[64];

  PetscFunctionBegin;
  PetscCall(BuildMatrix(FAMILY_CONVDIFF, n, 0.0, 0.0, &A));
  PetscCall(BuildRHS(A, n, 0.0, &b));
  PetscCall(VecDuplicate(b, &x));
  PetscCall(PetscSNPrintf(name, sizeof(name), "convdiff %" PetscInt_FMT "x%" PetscInt_FMT, n, n));
  for (t = 0; t < 2; t++) {
    PetscCall(MakeKSP(KSPGMRES, m[t], 0, PCJACOBI, 1e-8, 10000, &kg));
    PetscCall(MakeKSP(KSPGCRODR, m[t], 0, PCJACOBI, 1e-8, 10000, &kr));
    PetscCall(SolveOne(kg, A, b, x, PETSC_FALSE, &ig));
    PetscCall(SolveOne(kr, A, b, x, PETSC_FALSE, &ir));
    PetscCall(PetscSNPrintf(meth, sizeof(meth), "gmres(%" PetscInt_FMT ")", m[t]));
    PetscCall(TableRow(name, meth, ig.its, ig.relres));
    PetscCall(PetscSNPrintf(meth, sizeof(meth), "gcrodr(%" PetscInt_FMT ",0)", m[t]));
    PetscCall(TableRow(name, meth, ir.its, ir.relres));
    CHECK(ig.reason > 0 && ir.reason > 0, "check 1 (m=%" PetscInt_FMT "): not converged: gmres reason %d, gcrodr reason %d\n", m[t], (int)ig.reason, (int)ir.reason);
    CHECK(PetscAbsInt(ig.its - ir.its) <= PetscMax(1, ig.its / 100), "check 1 (m=%" PetscInt_FMT "): gcrodr(m,0) took %" PetscInt_FMT " iterations, gmres(m) %" PetscInt_FMT "; they must agree within max(1, its/100)\n", m[t], ir.its, ig.its);
    CHECK(ir.relres <= 1.01e-8, "check 1 (m=%" PetscInt_FMT "): gcrodr(m,0) true relative residual %g > rtol\n", m[t], (double)ir.relres);
    PetscCall(KSPDestroy(&kg));
    PetscCall(KSPDestroy(&kr));
  }
  PetscCall(VecDestroy(&x));
  PetscCall(VecDestroy(&b));
  PetscCall(MatDestroy(&A));
  PetscFunctionReturn(0);
}

/* Checks 2-4 on one sequence of slowly varying systems */
static PetscErrorCode TestSequence(Family f, PetscInt n, PetscInt nsamples, PetscReal rtol, PCType pctype, PetscReal kappa0, PetscInt maxit, PetscBool strict)
{
  Mat       *A;
  Vec       *b, x, xprev;
  KSP        kg, kr, kw, kp, kfresh, kset;
  SolveInfo  ig, ir, iw, ip;
  PetscInt   s, totg = 0, totr = 0, totw = 0, totp = 0, kU = 0, mid = nsamples; /* one extra system, never seen by the sequence, for check 4 */
  Vec       *U;
  char       name[64];
  const char *fam = FamilyName[f];
  double      tg = 0.0, tr = 0.0; /* informational only: timing never gates a test */

  PetscFunctionBegin;
  PetscCall(PetscMalloc2(nsamples + 1, &A, nsamples + 1, &b));
  for (s = 0; s <= nsamples; s++) {
    PetscCall(BuildMatrix(f, n, (PetscReal)s, kappa0, &A[s]));
    PetscCall(BuildRHS(A[s], n, (PetscReal)s, &b[s]));
  }
  PetscCall(VecDuplicate(b[0], &x));
  PetscCall(VecDuplicate(b[0], &xprev));
  PetscCall(MakeKSP(KSPGMRES, 40, 0, pctype, rtol, maxit, &kg));
  PetscCall(MakeKSP(KSPGCRODR, 40, 20, pctype, rtol, maxit, &kr));
  PetscCall(MakeKSP(KSPGCRODR, 40, 20, pctype, rtol, maxit, &kw));
  /* the paper's schedule: update after every cycle, Kahan-Parlett reorthogonalisation */
  PetscCall(MakeKSP(KSPGCRODR, 40, 20, pctype, rtol, maxit, &kp));
  PetscCall(KSPSetOptionsPrefix(kp, "paper_"));
  PetscCall(PetscOptionsSetValue(NULL, "-paper_ksp_gcrodr_skip_tol", "0"));
  PetscCall(PetscOptionsSetValue(NULL, "-paper_ksp_gcrodr_update_interval", "1"));
  PetscCall(PetscOptionsSetValue(NULL, "-paper_ksp_gcrodr_reorth_tol", "0.7071067811865476"));
  PetscCall(KSPSetFromOptions(kp));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "\n%s %" PetscInt_FMT "x%" PetscInt_FMT ", %" PetscInt_FMT " systems, rtol %g, pc %s\n", fam, n, n, nsamples, (double)rtol, pctype));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "| sample | gmres(40) | gcrodr(40,20) | gcrodr(40,20) warm start | gcrodr true rel. res. |\n|---|---|---|---|---|\n"));
  for (s = 0; s < nsamples; s++) {
    double t0 = MPI_Wtime(), t1, t2;

    PetscCall(SolveOne(kg, A[s], b[s], x, PETSC_FALSE, &ig));
    t1 = MPI_Wtime();
    PetscCall(SolveOne(kr, A[s], b[s], x, PETSC_FALSE, &ir));
    t2 = MPI_Wtime();
    tg += t1 - t0;
    tr += t2 - t1;
    /* check 3: previous solution as initial guess */
    PetscCall(SolveOne(kw, A[s], b[s], xprev, s > 0 ? PETSC_TRUE : PETSC_FALSE, &iw));
    PetscCall(SolveOne(kp, A[s], b[s], x, PETSC_FALSE, &ip));
    totp += ip.its;
    totg += ig.its;
    totr += ir.its;
    totw += iw.its;
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "| %" PetscInt_FMT " | %" PetscInt_FMT "%s | %" PetscInt_FMT " | %" PetscInt_FMT " | %.2e |\n", s, ig.its, ig.reason > 0 ? "" : " (not conv.)", ir.its, iw.its, (double)ir.relres));
    if (strict) {
      CHECK(ir.reason > 0, "check 2: %s sample %" PetscInt_FMT ": gcrodr did not converge (reason %d)\n", fam, s, (int)ir.reason);
      CHECK(ir.relres <= 1.01 * rtol, "check 2: %s sample %" PetscInt_FMT ": gcrodr true relative residual %g > 1.01 rtol\n", fam, s, (double)ir.relres);
      CHECK(iw.reason > 0, "check 3: %s sample %" PetscInt_FMT ": warm-started gcrodr did not converge (reason %d)\n", fam, s, (int)iw.reason);
      CHECK(iw.relres <= 1.01 * rtol, "check 3: %s sample %" PetscInt_FMT ": warm-started gcrodr true relative residual %g > 1.01 rtol\n", fam, s, (double)iw.relres);
      CHECK(ip.reason > 0 && ip.relres <= 1.01 * rtol, "check 2b: %s sample %" PetscInt_FMT ": gcrodr with the paper's schedule: reason %d, true relative residual %g\n", fam, s, (int)ip.reason, (double)ip.relres);
    }
  }
  PetscCall(PetscSNPrintf(name, sizeof(name), "%s %" PetscInt_FMT "x%" PetscInt_FMT " (total of %" PetscInt_FMT ")", fam, n, n, nsamples));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "\n| matrix | method | its | rel. res. (last) |\n|---|---|---|---|\n"));
  PetscCall(TableRow(name, "gmres(40)", totg, ig.relres));
  PetscCall(TableRow(name, "gcrodr(40,20)", totr, ir.relres));
  PetscCall(TableRow(name, "gcrodr(40,20) warm", totw, iw.relres));
  PetscCall(TableRow(name, "gcrodr(40,20) paper sched.", totp, ip.relres));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "(wall time, informational: gmres(40) %.3f s, gcrodr(40,20) %.3f s)\n", tg, tr));
  /* the default schedule skips updates after fast cycles; it may cost a few iterations, not the recycling gain */
  if (strict) CHECK(4 * totr <= 5 * totp, "check 2b: %s: default gcrodr needed %" PetscInt_FMT " iterations, more than 1.25 x the %" PetscInt_FMT " of the paper's schedule\n", fam, totr, totp);
  if (strict) CHECK(2 * totr <= totg, "check 2: %s: gcrodr(40,20) needed %" PetscInt_FMT " iterations in total, more than half of gmres(40)'s %" PetscInt_FMT "\n", fam, totr, totg);

  if (strict) {
    /* check 3b: the exact solution as initial guess must be honoured: zero iterations */
    PetscCall(KSPSetTolerances(kw, 1e-12, 1e-50, PETSC_DEFAULT, maxit));
    PetscCall(SolveOne(kw, A[0], b[0], x, PETSC_FALSE, &iw));
    PetscCall(KSPSetTolerances(kw, rtol, 1e-50, PETSC_DEFAULT, maxit));
    PetscCall(SolveOne(kw, A[0], b[0], x, PETSC_TRUE, &iw));
    CHECK(iw.its == 0 && iw.reason > 0, "check 3: restarting from a converged solution took %" PetscInt_FMT " iterations (reason %d); the initial guess was not used\n", iw.its, (int)iw.reason);

    /* check 3c: the same operator again with another right-hand side keeps C = A U (no rebuild); the C left
       pending by the last converged cycle must be formed before it is used */
    PetscCall(SolveOne(kr, A[nsamples - 1], b[0], x, PETSC_FALSE, &ir));
    CHECK(ir.reason > 0 && ir.relres <= 1.01 * rtol, "check 3c: same operator, new right-hand side: reason %d, true relative residual %g\n", (int)ir.reason, (double)ir.relres);
    PetscCall(SolveOne(kr, A[nsamples - 1], b[1], x, PETSC_FALSE, &ir));
    CHECK(ir.reason > 0 && ir.relres <= 1.01 * rtol, "check 3c: same operator, third right-hand side: reason %d, true relative residual %g\n", (int)ir.reason, (double)ir.relres);

    /* check 4: a recycle space handed from one KSP to a fresh one must beat a fresh start on the next matrix */
    PetscCall(MakeKSP(KSPGCRODR, 40, 20, pctype, rtol, maxit, &kfresh));
    PetscCall(MakeKSP(KSPGCRODR, 40, 20, pctype, rtol, maxit, &kset));
    PetscCall(KSPGCRODRGetRecycleSpace(kr, &kU, &U)); /* kr last solved A[nsamples-1] */
    CHECK(kU > 0 && kU <= 21, "check 4: recycle space dimension %" PetscInt_FMT " after a sequence, expected 1..21\n", kU);
    {
      PetscReal dev;

      PetscCall(GramDeviation(A[nsamples - 1], kU, U, &dev));
      CHECK(dev <= 1e-6, "check 4: (A U)^T (A U) of the handed-out recycle space deviates from I by %g\n", (double)dev);
    }
    PetscCall(KSPGCRODRSetRecycleSpace(kset, kU, U));
    PetscCall(SolveOne(kset, A[mid], b[mid], x, PETSC_FALSE, &ir));
    PetscCall(SolveOne(kfresh, A[mid], b[mid], x, PETSC_FALSE, &ig));
    PetscCall(PetscSNPrintf(name, sizeof(name), "%s %" PetscInt_FMT "x%" PetscInt_FMT " sample %" PetscInt_FMT, fam, n, n, mid));
    PetscCall(TableRow(name, "gcrodr fresh", ig.its, ig.relres));
    PetscCall(TableRow(name, "gcrodr with Set(U)", ir.its, ir.relres));
    CHECK(ir.reason > 0 && ir.relres <= 1.01 * rtol, "check 4: solve with a handed-over recycle space: reason %d, true relative residual %g\n", (int)ir.reason, (double)ir.relres);
    CHECK(ir.its < ig.its, "check 4: with the handed-over recycle space %" PetscInt_FMT " iterations, fresh %" PetscInt_FMT "; expected fewer\n", ir.its, ig.its);
    PetscCall(KSPDestroy(&kfresh));
    PetscCall(KSPDestroy(&kset));
  }

  PetscCall(KSPDestroy(&kg));
  PetscCall(KSPDestroy(&kr));
  PetscCall(KSPDestroy(&kw));
  PetscCall(KSPDestroy(&kp));
  for (s = 0; s <= nsamples; s++) {
    PetscCall(MatDestroy(&A[s]));
    PetscCall(VecDestroy(&b[s]));
  }
  PetscCall(PetscFree2(A, b));
  PetscCall(VecDestroy(&x));
  PetscCall(VecDestroy(&xprev));
  PetscFunctionReturn(0);
}

/* Check 5 (API): bad k is refused with an error, Set* on a non-gcrodr KSP is a no-op, KSPView shows the settings */
static PetscErrorCode TestAPI(void)
{
  KSP            ksp;
  Mat            A;
  Vec            b, x;
  PetscErrorCode ierr;
  PetscInt       k = -1;
  Vec           *U;
  PetscViewer        sv;
  char               buf[4096], fname[128];
  long               pid;
  int                viewok = 0;
  PetscMPIInt        rank;
  KSPConvergedReason reason;
  PetscReal          rel;

  PetscFunctionBegin;
  PetscCall(BuildMatrix(FAMILY_CONVDIFF, 8, 0.0, 0.0, &A));
  PetscCall(BuildRHS(A, 8, 0.0, &b));
  PetscCall(VecDuplicate(b, &x));

  /* k >= m through the options database must fail with an error, not run */
  PetscCall(KSPCreate(PETSC_COMM_WORLD, &ksp));
  PetscCall(KSPSetOptionsPrefix(ksp, "bad_"));
  PetscCall(KSPSetType(ksp, KSPGCRODR));
  PetscCall(PetscOptionsSetValue(NULL, "-bad_ksp_gcrodr_restart", "10"));
  PetscCall(PetscOptionsSetValue(NULL, "-bad_ksp_gcrodr_recycle", "10"));
  PetscCall(KSPSetFromOptions(ksp));
  PetscCall(KSPSetOperators(ksp, A, A));
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = KSPSetUp(ksp);
  PetscCall(PetscPopErrorHandler());
  CHECK(ierr != 0, "check 5: -ksp_gcrodr_recycle 10 with -ksp_gcrodr_restart 10 was accepted\n");
  PetscCall(PetscOptionsClearValue(NULL, "-bad_ksp_gcrodr_restart"));
  PetscCall(PetscOptionsClearValue(NULL, "-bad_ksp_gcrodr_recycle"));
  PetscCall(KSPDestroy(&ksp));

  /* the same through the API must fail at set-up */
  PetscCall(KSPCreate(PETSC_COMM_WORLD, &ksp));
  PetscCall(KSPSetType(ksp, KSPGCRODR));
  PetscCall(KSPGCRODRSetRestart(ksp, 5));
  PetscCall(KSPGCRODRSetRecycle(ksp, 7));
  PetscCall(KSPSetOperators(ksp, A, A));
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = KSPSetUp(ksp);
  PetscCall(PetscPopErrorHandler());
  CHECK(ierr != 0, "check 5: KSPGCRODRSetRecycle(7) with restart 5 was accepted at KSPSetUp\n");
  PetscCall(KSPDestroy(&ksp));

  /* Set* on gmres are no-ops and Get reports no space */
  PetscCall(KSPCreate(PETSC_COMM_WORLD, &ksp));
  PetscCall(KSPSetType(ksp, KSPGMRES));
  PetscCall(KSPGCRODRSetRecycle(ksp, 5));
  PetscCall(KSPGCRODRSetReuse(ksp, PETSC_FALSE));
  PetscCall(KSPGCRODRGetRecycleSpace(ksp, &k, &U));
  CHECK(k == 0 && U == NULL, "check 5: KSPGCRODRGetRecycleSpace on gmres returned k = %" PetscInt_FMT "\n", k);
  PetscCall(KSPDestroy(&ksp));

  /* reuse = false must discard the space at each solve, but the solve still recycles within itself */
  PetscCall(KSPCreate(PETSC_COMM_WORLD, &ksp));
  PetscCall(KSPSetType(ksp, KSPGCRODR));
  PetscCall(KSPGCRODRSetRestart(ksp, 6));
  PetscCall(KSPGCRODRSetRecycle(ksp, 2));
  PetscCall(KSPGCRODRSetReuse(ksp, PETSC_FALSE));
  PetscCall(KSPSetOperators(ksp, A, A));
  PetscCall(KSPSetTolerances(ksp, 1e-10, 1e-50, PETSC_DEFAULT, 1000));
  PetscCall(KSPSolve(ksp, b, x));
  PetscCall(KSPGetConvergedReason(ksp, &reason));
  PetscCall(TrueRelResidual(A, x, b, &rel));
  CHECK(reason > 0 && rel <= 1.01e-10, "check 5: gcrodr(6,2) without reuse: reason %d, true relative residual %g\n", (int)reason, (double)rel);
  /* KSPView: ASCII output goes to a file named after rank 0's pid, read back on rank 0 */
  pid = (long)getpid();
  PetscCallMPI(MPI_Bcast(&pid, 1, MPI_LONG, 0, PETSC_COMM_WORLD));
  PetscCall(PetscSNPrintf(fname, sizeof(fname), "test_gcrodr_view_%ld.txt", pid));
  PetscCall(PetscViewerASCIIOpen(PETSC_COMM_WORLD, fname, &sv));
  PetscCall(KSPView(ksp, sv));
  PetscCall(PetscViewerDestroy(&sv));
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  if (rank == 0) {
    FILE  *fp = fopen(fname, "r");
    size_t len = fp ? fread(buf, 1, sizeof(buf) - 1, fp) : 0;

    buf[len] = 0;
    if (fp) fclose(fp);
    remove(fname);
    viewok = (strstr(buf, "restart m=6") && strstr(buf, "recycle k=2") && strstr(buf, "reuse across solves false") && strstr(buf, "current recycle space dimension")) ? 1 : 0;
    if (!viewok) PetscCall(PetscPrintf(PETSC_COMM_SELF, "KSPView output was:\n%s\n", buf));
  }
  PetscCallMPI(MPI_Bcast(&viewok, 1, MPI_INT, 0, PETSC_COMM_WORLD));
  CHECK(viewok, "check 5: KSPView output lacks the GCRO-DR settings\n");
  PetscCall(KSPDestroy(&ksp));

  PetscCall(VecDestroy(&x));
  PetscCall(VecDestroy(&b));
  PetscCall(MatDestroy(&A));
  PetscFunctionReturn(0);
}

/* Check 5, the update schedule: one long solve (no PC, many cycles) where every cycle is "slow" (-ksp_gcrodr_skip_tol
   1e-30), counted by the SkuaGCRODR_Eig event (one per harmonic-Ritz update). With -ksp_gcrodr_update_interval 4,
   -ksp_gcrodr_update_early -1 updates after every cycle, 0 only every 4th (about a quarter), 3 after the first 3
   and then every 4th; all three must reach the tolerance. */
static PetscErrorCode TestSchedule(PetscInt n)
{
  Mat            A;
  Vec            b, x;
  PetscLogEvent  eig;
  const char    *early[] = {"-1", "3", "0"};
  PetscInt       nupd[3], its[3];

  PetscFunctionBegin;
  PetscCall(PetscLogDefaultBegin());
  PetscCall(PetscLogEventGetId("SkuaGCRODR_Eig", &eig));
  PetscCall(BuildMatrix(FAMILY_DIFFUSION, n, 0.0, 0.0, &A));
  PetscCall(BuildRHS(A, n, 0.0, &b));
  PetscCall(VecDuplicate(b, &x));
  for (PetscInt t = 0; t < 3; t++) {
    KSP                ksp;
    SolveInfo          info;
    PetscEventPerfInfo p0, p1;
    char               pre[16], opt[64];

    PetscCall(PetscSNPrintf(pre, sizeof(pre), "sched%" PetscInt_FMT "_", t));
    PetscCall(MakeKSP(KSPGCRODR, 40, 20, PCNONE, 1e-10, 20000, &ksp));
    PetscCall(KSPSetOptionsPrefix(ksp, pre));
    PetscCall(PetscSNPrintf(opt, sizeof(opt), "-%sksp_gcrodr_skip_tol", pre));
    PetscCall(PetscOptionsSetValue(NULL, opt, "1e-30"));
    PetscCall(PetscSNPrintf(opt, sizeof(opt), "-%sksp_gcrodr_update_interval", pre));
    PetscCall(PetscOptionsSetValue(NULL, opt, "4"));
    PetscCall(PetscSNPrintf(opt, sizeof(opt), "-%sksp_gcrodr_update_early", pre));
    PetscCall(PetscOptionsSetValue(NULL, opt, early[t]));
    PetscCall(KSPSetFromOptions(ksp));
    PetscCall(PetscLogEventGetPerfInfo(PETSC_DETERMINE, eig, &p0));
    PetscCall(SolveOne(ksp, A, b, x, PETSC_FALSE, &info));
    PetscCall(PetscLogEventGetPerfInfo(PETSC_DETERMINE, eig, &p1));
    nupd[t] = p1.count - p0.count; /* the eigenproblem runs on rank 0 only (its choice is broadcast) */
    PetscCallMPI(MPI_Bcast(&nupd[t], 1, MPIU_INT, 0, PETSC_COMM_WORLD));
    its[t]  = info.its;
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "schedule: update_interval 4, update_early %s: %" PetscInt_FMT " iterations, %" PetscInt_FMT " recycle updates, true rel. res. %.2e\n", early[t], its[t], nupd[t], (double)info.relres));
    CHECK(info.reason > 0 && info.relres <= 1.01e-10, "check 5: update_early %s: reason %d, true relative residual %g\n", early[t], (int)info.reason, (double)info.relres);
    PetscCall(KSPDestroy(&ksp));
  }
  /* cycles after the first: (its - 40) / 20; every one updates with early -1 */
  CHECK(nupd[0] >= (its[0] - 40) / 20, "check 5: update_early -1 made %" PetscInt_FMT " updates in %" PetscInt_FMT " iterations; every cycle must update\n", nupd[0], its[0]);
  CHECK(4 * nupd[2] <= nupd[0] + 8 && nupd[2] >= 2, "check 5: update_early 0 made %" PetscInt_FMT " updates vs %" PetscInt_FMT " with every cycle; expected about a quarter\n", nupd[2], nupd[0]);
  CHECK(nupd[2] < nupd[1] && nupd[1] < nupd[0], "check 5: update counts %" PetscInt_FMT " (early -1), %" PetscInt_FMT " (early 3), %" PetscInt_FMT " (early 0) are not strictly decreasing\n", nupd[0], nupd[1], nupd[2]);
  PetscCall(VecDestroy(&x));
  PetscCall(VecDestroy(&b));
  PetscCall(MatDestroy(&A));
  PetscFunctionReturn(0);
}

/* Check 5b, the tail of a solve: a converged cycle of fewer than (m - k)/2 steps is not a slow cycle, so it does
   not update the space even when every cycle counts as slow (-ksp_gcrodr_skip_tol 1e-30, -ksp_gcrodr_update_early
   -1) and the interval never falls due. Run 1 (rtol 1e-10) records, per monitor call, the iteration, the residual
   estimate and the number of updates so far; a cycle ends where an iteration number repeats (estimate, then true
   residual). Run 2 stops 3 steps into the fourth cycle (its rtol lies between run 1's residuals there); it must make
   exactly the updates run 1 had made by the end of the third cycle, one fewer than a rule that updates after
   every slow cycle. */
typedef struct {
  PetscInt      n, its[4096], nupd[4096];
  PetscReal     rn[4096];
  PetscLogEvent eig;
} TailLog;

static PetscErrorCode TailMonitor(KSP ksp, PetscInt it, PetscReal rnorm, void *ctx)
{
  TailLog           *log = (TailLog *)ctx;
  PetscEventPerfInfo p;

  PetscFunctionBegin;
  (void)ksp;
  if (log->n >= 4096) PetscFunctionReturn(0);
  PetscCall(PetscLogEventGetPerfInfo(PETSC_DETERMINE, log->eig, &p));
  log->its[log->n]  = it;
  log->rn[log->n]   = rnorm;
  log->nupd[log->n] = p.count; /* rank 0 runs the eigenproblems; other ranks compare rank 0's count below */
  log->n++;
  PetscFunctionReturn(0);
}

static PetscErrorCode TailRun(Mat A, Vec b, Vec x, PetscReal rtol, TailLog *log, SolveInfo *info, PetscInt *kU)
{
  KSP         ksp;
  const char *pre = "tail_";

  PetscFunctionBegin;
  PetscCall(MakeKSP(KSPGCRODR, 40, 20, PCNONE, rtol, 20000, &ksp));
  PetscCall(KSPSetOptionsPrefix(ksp, pre));
  PetscCall(PetscOptionsSetValue(NULL, "-tail_ksp_gcrodr_skip_tol", "1e-30"));
  PetscCall(PetscOptionsSetValue(NULL, "-tail_ksp_gcrodr_update_early", "-1"));
  PetscCall(PetscOptionsSetValue(NULL, "-tail_ksp_gcrodr_update_interval", "1000000"));
  PetscCall(KSPSetFromOptions(ksp));
  log->n = 0;
  PetscCall(KSPMonitorSet(ksp, TailMonitor, log, NULL));
  PetscCall(SolveOne(ksp, A, b, x, PETSC_FALSE, info));
  PetscCall(KSPGCRODRGetRecycleSpace(ksp, kU, NULL));
  PetscCall(KSPDestroy(&ksp));
  PetscCall(PetscOptionsClearValue(NULL, "-tail_ksp_gcrodr_skip_tol"));
  PetscCall(PetscOptionsClearValue(NULL, "-tail_ksp_gcrodr_update_early"));
  PetscCall(PetscOptionsClearValue(NULL, "-tail_ksp_gcrodr_update_interval"));
  PetscFunctionReturn(0);
}

static PetscErrorCode TestTail(PetscInt n)
{
  Mat       A;
  Vec       b, x;
  TailLog  *log;
  SolveInfo info;
  PetscInt  ends = 0, e = -1, upd_e = -1, i2 = -1, i3 = -1, kU, base;
  PetscReal rtol2;

  PetscFunctionBegin;
  PetscCall(PetscNew(&log));
  PetscCall(PetscLogDefaultBegin());
  PetscCall(PetscLogEventGetId("SkuaGCRODR_Eig", &log->eig));
  PetscCall(BuildMatrix(FAMILY_DIFFUSION, n, 0.0, 0.0, &A));
  PetscCall(BuildRHS(A, n, 0.0, &b));
  PetscCall(VecDuplicate(b, &x));
  PetscCall(TailRun(A, b, x, 1e-10, log, &info, &kU));
  base = log->nupd[0];
  for (PetscInt i = 1; i < log->n && e < 0; i++)
    if (log->its[i] == log->its[i - 1] && ++ends == 3) {
      e     = log->its[i];
      upd_e = log->nupd[i] - base;
    }
  for (PetscInt i = 0; i < log->n && e >= 0; i++) {
    if (log->its[i] == e + 2) i2 = i;
    if (log->its[i] == e + 3) i3 = i;
  }
  CHECK(e > 0 && i2 > 0 && i3 == i2 + 1 && info.its > e + 3, "check 5b: run 1 (%" PetscInt_FMT " iterations) has no fourth cycle of 3+ steps after the third ends at %" PetscInt_FMT "\n", info.its, e);
  if (e > 0 && i2 > 0 && i3 == i2 + 1) {
    /* the geometric mean of the estimates after steps e + 2 and e + 3, relative to ||b|| (zero initial guess) */
    rtol2 = PetscSqrtReal(log->rn[i2] * log->rn[i3]) / log->rn[0];
    PetscCall(TailRun(A, b, x, rtol2, log, &info, &kU));
    {
      PetscInt nupd = log->nupd[log->n - 1] - log->nupd[0];

      /* counted before the first monitor call of run 2: the updates of run 2 are those after it */
      PetscCallMPI(MPI_Bcast(&nupd, 1, MPIU_INT, 0, PETSC_COMM_WORLD));
      PetscCallMPI(MPI_Bcast(&upd_e, 1, MPIU_INT, 0, PETSC_COMM_WORLD));
      PetscCall(PetscPrintf(PETSC_COMM_WORLD, "tail: third cycle ends at iteration %" PetscInt_FMT " after %" PetscInt_FMT " updates; run 2 (rtol %.3e): %" PetscInt_FMT " iterations, %" PetscInt_FMT " updates, recycle space %" PetscInt_FMT "\n", e, upd_e, (double)rtol2, info.its, nupd, kU));
      CHECK(info.reason > 0 && info.its == e + 3, "check 5b: run 2 stopped at iteration %" PetscInt_FMT " (reason %d), not %" PetscInt_FMT "\n", info.its, (int)info.reason, e + 3);
      CHECK(kU == 20, "check 5b: the recycle space holds %" PetscInt_FMT " vectors, not k = 20 (the tail would update as the space is not full)\n", kU);
      CHECK(nupd == upd_e && upd_e == 3, "check 5b: run 2 made %" PetscInt_FMT " updates, run 1 %" PetscInt_FMT " in its first three cycles; the 3-step converged tail must not update\n", nupd, upd_e);
    }
  }
  PetscCall(PetscFree(log));
  PetscCall(VecDestroy(&x));
  PetscCall(VecDestroy(&b));
  PetscCall(MatDestroy(&A));
  PetscFunctionReturn(0);
}

/* Check 6, the lazy CholeskyQR factor: after a new operator the recycled blocks hold A U~ = C~ = C T with T kept
   aside. With updates switched off once the space is full (-ksp_gcrodr_update_early 0, a huge interval), a solve on
   a second operator runs entirely on that representation; it must converge to the true residual, the space it
   hands out must be the materialised U with A U orthonormal, and handing it out must not change later solves. */
static PetscErrorCode TestLazyFactor(PetscInt n)
{
  Mat       A0, A1;
  Vec       b, x, *U;
  KSP       ksp, kset;
  SolveInfo i0, i1, i2;
  PetscInt  kU;
  PetscReal dev;

  PetscFunctionBegin;
  PetscCall(BuildMatrix(FAMILY_DIFFUSION, n, 0.0, 0.0, &A0));
  PetscCall(BuildMatrix(FAMILY_DIFFUSION, n, 3.0, 0.0, &A1));
  PetscCall(BuildRHS(A0, n, 0.0, &b));
  PetscCall(VecDuplicate(b, &x));
  PetscCall(MakeKSP(KSPGCRODR, 40, 20, PCJACOBI, 1e-8, 10000, &ksp));
  PetscCall(KSPSetOptionsPrefix(ksp, "lazy_"));
  PetscCall(PetscOptionsSetValue(NULL, "-lazy_ksp_gcrodr_update_early", "0"));
  PetscCall(PetscOptionsSetValue(NULL, "-lazy_ksp_gcrodr_update_interval", "1000000"));
  PetscCall(KSPSetFromOptions(ksp));
  PetscCall(SolveOne(ksp, A0, b, x, PETSC_FALSE, &i0));
  PetscCall(SolveOne(ksp, A1, b, x, PETSC_FALSE, &i1));
  PetscCall(TableRow("diffusion, s = 3, no updates", "gcrodr lazy factor", i1.its, i1.relres));
  CHECK(i0.reason > 0 && i1.reason > 0 && i1.relres <= 1.01e-8, "check 6: reasons %d / %d, true relative residual %g on the second operator\n", (int)i0.reason, (int)i1.reason, (double)i1.relres);
  PetscCall(KSPGCRODRGetRecycleSpace(ksp, &kU, &U));
  CHECK(kU >= 10, "check 6: recycle space dimension %" PetscInt_FMT " after the first solve, expected at least 10\n", kU);
  if (kU > 0) {
    PetscCall(GramDeviation(A1, kU, U, &dev));
    CHECK(dev <= 1e-6, "check 6: (A U)^T (A U) of the handed-out space deviates from I by %g\n", (double)dev);
    /* the same space in a fresh KSP on the same operator: recycled, so fewer iterations than the first solve */
    PetscCall(MakeKSP(KSPGCRODR, 40, 20, PCJACOBI, 1e-8, 10000, &kset));
    PetscCall(KSPGCRODRSetRecycleSpace(kset, kU, U));
    PetscCall(SolveOne(kset, A1, b, x, PETSC_FALSE, &i2));
    CHECK(i2.reason > 0 && i2.relres <= 1.01e-8 && i2.its < i0.its, "check 6: handed-over space: reason %d, true relative residual %g, %" PetscInt_FMT " iterations vs %" PetscInt_FMT " for the first solve\n", (int)i2.reason, (double)i2.relres, i2.its, i0.its);
    PetscCall(KSPDestroy(&kset));
  }
  {
    /* asking for the space (a checkpoint) must not change later iterates: the same two solves plus a third with
       another right-hand side, with and without Get* in between, must give bit-identical solutions */
    KSP       kq;
    Vec       b2, x2, *W;
    PetscReal diff;

    PetscCall(BuildRHS(A0, n, 1.0, &b2));
    PetscCall(VecDuplicate(b, &x2));
    PetscCall(KSPGCRODRGetPreconditionedRecycleSpace(ksp, NULL, &W));
    PetscCall(SolveOne(ksp, A1, b2, x, PETSC_FALSE, &i1));
    PetscCall(MakeKSP(KSPGCRODR, 40, 20, PCJACOBI, 1e-8, 10000, &kq));
    PetscCall(KSPSetOptionsPrefix(kq, "lazy_"));
    PetscCall(KSPSetFromOptions(kq));
    PetscCall(SolveOne(kq, A0, b, x2, PETSC_FALSE, &i2));
    PetscCall(SolveOne(kq, A1, b, x2, PETSC_FALSE, &i2));
    PetscCall(SolveOne(kq, A1, b2, x2, PETSC_FALSE, &i2));
    PetscCall(VecAXPY(x2, -1.0, x));
    PetscCall(VecNorm(x2, NORM_INFINITY, &diff));
    CHECK(diff == 0.0 && i1.its == i2.its, "check 6: a solve after Get*RecycleSpace differs from the same solve without it (max |dx| = %g, %" PetscInt_FMT " vs %" PetscInt_FMT " iterations)\n", (double)diff, i1.its, i2.its);
    PetscCall(KSPDestroy(&kq));
    PetscCall(VecDestroy(&x2));
    PetscCall(VecDestroy(&b2));
  }
  PetscCall(PetscOptionsClearValue(NULL, "-lazy_ksp_gcrodr_update_early"));
  PetscCall(PetscOptionsClearValue(NULL, "-lazy_ksp_gcrodr_update_interval"));
  PetscCall(KSPDestroy(&ksp));
  PetscCall(VecDestroy(&x));
  PetscCall(VecDestroy(&b));
  PetscCall(MatDestroy(&A0));
  PetscCall(MatDestroy(&A1));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  PetscInt  n1 = 32, n2 = 32, ns = 10, nh = 64, nsh = 10;
  PetscReal kappa = 20.0;
  PetscBool helmholtz = PETSC_FALSE;
  PetscMPIInt size;

  PetscCall(PetscInitialize(&argc, &argv, NULL, "Unit test of KSPGCRODR"));
  PetscCall(SkuaKSPRegisterAll());
  PetscCall(SkuaKSPRegisterAll()); /* idempotent */
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-n1", &n1, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-n2", &n2, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-nsamples", &ns, NULL));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-helmholtz", &helmholtz, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-helmholtz_n", &nh, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-helmholtz_nsamples", &nsh, NULL));
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-helmholtz_kappa", &kappa, NULL));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "test_gcrodr on %d MPI ranks\n\n| matrix | method | its | true rel. res. |\n|---|---|---|---|\n", (int)size));

  PetscCall(TestGMRESEquivalence(n1));
  PetscCall(TestSequence(FAMILY_DIFFUSION, n2, ns, 1e-8, PCJACOBI, 0.0, 10000, PETSC_TRUE));
  PetscCall(TestAPI());
  PetscCall(TestSchedule(n2));
  PetscCall(TestTail(n2));
  PetscCall(TestLazyFactor(n2));
  if (helmholtz) {
    PetscCall(TestSequence(FAMILY_HELMHOLTZ, nh, nsh, 1e-8, PCJACOBI, kappa, 20000, PETSC_FALSE));
    PetscCall(TestSequence(FAMILY_HELMHOLTZ, nh, nsh, 1e-8, PCNONE, kappa, 20000, PETSC_FALSE));
  }

  if (nfail) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "\ntest_gcrodr: %" PetscInt_FMT " check(s) FAILED\n", nfail));
  else PetscCall(PetscPrintf(PETSC_COMM_WORLD, "\ntest_gcrodr: all checks passed\n"));
  PetscCall(PetscFinalize());
  return nfail ? 1 : 0;
}
