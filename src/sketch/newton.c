/* Newton Sketch (Pilanci & Wainwright, SIAM J. Optim. 27, 2017) and exact Newton for L2 logistic regression and least squares. */
#include "sketchimpl.h"
#include "../skuaimpl.h"
#include <petscblaslapack.h>

const char *const SkuaNewtonLosses[] = {"logistic", "squared", "SkuaNewtonLoss", "SKUA_NEWTON_", NULL};


PetscErrorCode SkuaNewtonSettingsDefault(SkuaNewtonSettings *s)
{
  PetscFunctionBegin;
  PetscCall(PetscMemzero(s, sizeof(*s)));
  s->loss    = SKUA_NEWTON_LOGISTIC;
  s->tol     = 1e-10;
  s->max_it  = 100;
  s->alpha   = 0.1;
  s->beta    = 0.5;
  s->monitor = PETSC_TRUE;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaNewtonSettingsSetFromOptions(MPI_Comm comm, SkuaNewtonSettings *s)
{
  char      name[64];
  PetscBool found = PETSC_FALSE;

  PetscFunctionBegin;
  PetscOptionsBegin(comm, NULL, "Newton Sketch (skua-sketch -task newton)", NULL);
  PetscCall(PetscStrncpy(name, SkuaNewtonLosses[s->loss], sizeof(name)));
  PetscCall(PetscOptionsString("-newton_loss", "Loss: logistic (labels +-1) or squared, as skua-bcd's -bcd_loss", "SkuaNewtonSolve", name, name, sizeof(name), NULL));
  for (PetscInt t = 0; t < 2 && !found; t++) {
    PetscCall(PetscStrcasecmp(name, SkuaNewtonLosses[t], &found));
    if (found) s->loss = (SkuaNewtonLoss)t;
  }
  PetscCheck(found, comm, PETSC_ERR_USER_INPUT, "Unknown -newton_loss %s; use logistic or squared", name);
  PetscCall(PetscOptionsReal("-newton_l2", "L2 weight l2 in F = sum phi + l2/2 |x|^2", "SkuaNewtonSolve", s->l2, &s->l2, NULL));
  PetscCall(PetscOptionsReal("-newton_tol", "Stop when the Newton decrement lambda^2/2 <= tol", "SkuaNewtonSolve", s->tol, &s->tol, NULL));
  PetscCall(PetscOptionsInt("-newton_max_it", "Maximum Newton iterations", "SkuaNewtonSolve", s->max_it, &s->max_it, NULL));
  PetscCall(PetscOptionsReal("-newton_ls_alpha", "Armijo constant in (0, 1/2)", "SkuaNewtonSolve", s->alpha, &s->alpha, NULL));
  PetscCall(PetscOptionsReal("-newton_ls_beta", "Backtracking factor in (0, 1)", "SkuaNewtonSolve", s->beta, &s->beta, NULL));
  PetscCall(PetscOptionsBool("-newton_exact", "Exact Newton (A^T W A formed directly) instead of Newton Sketch", "SkuaNewtonSolve", s->exact, &s->exact, NULL));
  PetscCall(PetscOptionsBool("-newton_monitor", "Print one line per iteration", "SkuaNewtonSolve", s->monitor, &s->monitor, NULL));
  PetscOptionsEnd();
  PetscCheck(s->l2 >= 0 && !PetscIsInfOrNanReal(s->l2), comm, PETSC_ERR_USER_INPUT, "-newton_l2 %g must be >= 0", (double)s->l2);
  PetscCheck(s->tol > 0, comm, PETSC_ERR_USER_INPUT, "-newton_tol %g must be > 0", (double)s->tol);
  PetscCheck(s->max_it >= 0, comm, PETSC_ERR_USER_INPUT, "-newton_max_it %" PetscInt_FMT " must be >= 0", s->max_it);
  PetscCheck(s->alpha > 0 && s->alpha < 0.5, comm, PETSC_ERR_USER_INPUT, "-newton_ls_alpha %g must be in (0, 1/2)", (double)s->alpha);
  PetscCheck(s->beta > 0 && s->beta < 1, comm, PETSC_ERR_USER_INPUT, "-newton_ls_beta %g must be in (0, 1)", (double)s->beta);
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaNewtonTraceDestroy(SkuaNewtonTrace *tr)
{
  PetscFunctionBegin;
  PetscCall(PetscFree6(tr->obj, tr->dec, tr->gnorm, tr->step, tr->sec, tr->ls));
  tr->n = 0;
  PetscFunctionReturn(0);
}

/* Loss terms of the local rows from z = A x: u_i, and optionally dF/dz_i (c) and sqrt(phi''(u_i)) (sw). */
static PetscErrorCode LocalLoss(const SkuaNewtonSettings *s, PetscInt n, const PetscScalar z[], const PetscScalar b[], PetscReal u[], PetscReal *f, PetscScalar c[], PetscScalar sw[])
{
  PetscReal sum = 0;

  PetscFunctionBegin;
  for (PetscInt i = 0; i < n; i++) {
    if (s->loss == SKUA_NEWTON_LOGISTIC) {
      u[i] = PetscRealPart(b[i] * z[i]);
      sum += SkuaLgPhi(u[i]);
      if (c) c[i] = b[i] * SkuaLgDPhi(u[i]);
      if (sw) sw[i] = PetscSqrtReal(SkuaLgD2Phi(u[i]));
    } else {
      u[i] = PetscRealPart(z[i] - b[i]);
      sum += 0.5 * u[i] * u[i];
      if (c) c[i] = u[i];
      if (sw) sw[i] = 1.0;
    }
  }
  *f = sum;
  PetscFunctionReturn(0);
}

static PetscErrorCode CheckLabels(const SkuaNewtonSettings *s, Vec b)
{
  PetscInt           n, lo, bad = -1;
  const PetscScalar *bb;
  char               msg[SKUA_MSG_LEN] = "";
  MPI_Comm           comm;

  PetscFunctionBegin;
  if (s->loss != SKUA_NEWTON_LOGISTIC) PetscFunctionReturn(0);
  PetscCall(PetscObjectGetComm((PetscObject)b, &comm));
  PetscCall(VecGetLocalSize(b, &n));
  PetscCall(VecGetOwnershipRange(b, &lo, NULL));
  PetscCall(VecGetArrayRead(b, &bb));
  for (PetscInt i = 0; i < n && bad < 0; i++)
    if (bb[i] != 1.0 && bb[i] != -1.0) bad = i;
  if (bad >= 0) PetscCall(PetscSNPrintf(msg, sizeof(msg), "/b: label %g of row %" PetscInt_FMT " is not -1 or +1; -newton_loss logistic needs labels in {-1, +1} (map 0/1 labels to -1/+1)", (double)PetscRealPart(bb[bad]), lo + bad));
  PetscCall(VecRestoreArrayRead(b, &bb));
  PetscCall(SkuaCheckCollective(comm, bad >= 0 ? PETSC_TRUE : PETSC_FALSE, PETSC_ERR_USER_INPUT, msg));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaNewtonObjective(const SkuaNewtonSettings *s, Mat A, Vec b, Vec x, PetscReal *F)
{
  Vec                z;
  PetscInt           n;
  const PetscScalar *zz, *bb;
  PetscReal         *u, f, xx;
  MPI_Comm           comm;

  PetscFunctionBegin;
  PetscCall(PetscObjectGetComm((PetscObject)A, &comm));
  PetscCall(MatCreateVecs(A, NULL, &z));
  PetscCall(MatMult(A, x, z));
  PetscCall(VecGetLocalSize(z, &n));
  PetscCall(PetscMalloc1(n, &u));
  PetscCall(VecGetArrayRead(z, &zz));
  PetscCall(VecGetArrayRead(b, &bb));
  PetscCall(LocalLoss(s, n, zz, bb, u, &f, NULL, NULL));
  PetscCall(VecRestoreArrayRead(z, &zz));
  PetscCall(VecRestoreArrayRead(b, &bb));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &f, 1, MPIU_REAL, MPIU_SUM, comm));
  PetscCall(VecDot(x, x, &xx));
  *F = f + 0.5 * s->l2 * xx;
  PetscCall(PetscFree(u));
  PetscCall(VecDestroy(&z));
  PetscFunctionReturn(0);
}

static PetscErrorCode TraceAdd(SkuaNewtonTrace *tr, PetscInt *cap, PetscReal obj, PetscReal dec, PetscReal gnorm, PetscReal sec)
{
  PetscFunctionBegin;
  if (tr->n == *cap) {
    PetscInt   nc = 2 * (*cap) + 16;
    PetscReal *o, *d, *g, *st, *se;
    PetscInt  *l;
    PetscCall(PetscCalloc6(nc, &o, nc, &d, nc, &g, nc, &st, nc, &se, nc, &l));
    if (tr->n) {
      PetscCall(PetscArraycpy(o, tr->obj, tr->n));
      PetscCall(PetscArraycpy(d, tr->dec, tr->n));
      PetscCall(PetscArraycpy(g, tr->gnorm, tr->n));
      PetscCall(PetscArraycpy(st, tr->step, tr->n));
      PetscCall(PetscArraycpy(se, tr->sec, tr->n));
      PetscCall(PetscArraycpy(l, tr->ls, tr->n));
    }
    PetscCall(PetscFree6(tr->obj, tr->dec, tr->gnorm, tr->step, tr->sec, tr->ls));
    tr->obj = o; tr->dec = d; tr->gnorm = g; tr->step = st; tr->sec = se; tr->ls = l;
    *cap = nc;
  }
  tr->obj[tr->n] = obj; tr->dec[tr->n] = dec; tr->gnorm[tr->n] = gnorm; tr->step[tr->n] = 0; tr->sec[tr->n] = sec; tr->ls[tr->n] = 0;
  tr->n++;
  PetscFunctionReturn(0);
}

/* Copies the replicated vector r into the distributed Vec v (A's column layout). */
static PetscErrorCode SetFromReplicated(Vec v, const PetscReal r[])
{
  PetscInt     lo, hi;
  PetscScalar *a;

  PetscFunctionBegin;
  PetscCall(VecGetOwnershipRange(v, &lo, &hi));
  PetscCall(VecGetArray(v, &a));
  for (PetscInt j = lo; j < hi; j++) a[j - lo] = r[j];
  PetscCall(VecRestoreArray(v, &a));
  PetscFunctionReturn(0);
}

/* H = (S W^{1/2} A)^T (S W^{1/2} A) (fresh seed per iteration) or A^T W A, both + l2 I; replicated, upper part. */
static PetscErrorCode Hessian(SkuaSketch S, const SkuaNewtonSettings *s, PetscInt seed, Mat A, Vec sw, PetscScalar H[])
{
  PetscInt d;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(SKUA_NEWTON_Hessian, A, 0, 0, 0));
  PetscCall(MatGetSize(A, NULL, &d));
  if (s->exact) {
    const PetscScalar *w;
    PetscCall(VecGetArrayRead(sw, &w));
    PetscCall(SkuaSketchGram(A, (const PetscReal *)w, NULL, H, NULL));
    PetscCall(VecRestoreArrayRead(sw, &w));
  } else {
    Mat                SA;
    const PetscScalar *a;
    PetscInt           m, lda;
    PetscBLASInt       bm, bd, blda;
    PetscScalar        one = 1.0, zero = 0.0;
    /* S W^{1/2} A: the rows are scaled inside the sketch kernel, A is never copied. */
    PetscCall(SkuaSketchSetSeed(S, seed));
    PetscCall(SkuaSketchApplyWeighted(S, A, sw, &SA));
    PetscCall(MatGetSize(SA, &m, NULL));
    PetscCall(MatDenseGetLDA(SA, &lda));
    PetscCall(PetscBLASIntCast(m, &bm));
    PetscCall(PetscBLASIntCast(d, &bd));
    PetscCall(PetscBLASIntCast(lda, &blda));
    PetscCall(MatDenseGetArrayRead(SA, &a));
    PetscCallBLAS("BLASsyrk", BLASsyrk_("U", "T", &bd, &bm, &one, a, &blda, &zero, H, &bd));
    PetscCall(MatDenseRestoreArrayRead(SA, &a));
    PetscCall(MatDestroy(&SA));
  }
  for (PetscInt j = 0; j < d; j++) H[j + (size_t)j * d] += s->l2;
  PetscCall(PetscLogEventEnd(SKUA_NEWTON_Hessian, A, 0, 0, 0));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaNewtonSolve(SkuaSketch S, const SkuaNewtonSettings *s, Mat A, Vec b, Vec x, SkuaNewtonTrace *tr)
{
  MPI_Comm     comm;
  PetscInt     M, d, mloc, cap = 0, seed0 = 0, k;
  Vec          z, dz, c, sw, gd, gall, xd;
  VecScatter   toall;
  PetscReal   *xr, *gr, *dx, *u;
  PetscScalar *H;
  PetscBLASInt bd, one = 1, info;
  double       t0;

  PetscFunctionBegin;
  PetscCall(SkuaSketchInitializePackage());
  PetscCall(PetscObjectGetComm((PetscObject)A, &comm));
  PetscCheck(s->exact || S, comm, PETSC_ERR_ARG_NULL, "Newton Sketch needs a SkuaSketch (or -newton_exact)");
  PetscCall(MatGetSize(A, &M, &d));
  PetscCall(MatGetLocalSize(A, &mloc, NULL));
  PetscCall(CheckLabels(s, b));
  PetscCall(PetscMemzero(tr, sizeof(*tr)));
  PetscCall(PetscLogEventBegin(SKUA_NEWTON_Solve, A, b, 0, 0));
  t0 = MPI_Wtime();
  PetscCall(MatCreateVecs(A, &xd, &z));
  PetscCall(VecDuplicate(z, &dz));
  PetscCall(VecDuplicate(z, &c));
  PetscCall(VecDuplicate(z, &sw));
  PetscCall(VecDuplicate(xd, &gd));
  PetscCall(VecScatterCreateToAll(gd, &toall, &gall));
  PetscCall(PetscCalloc4(d, &xr, d, &gr, d, &dx, mloc, &u));
  PetscCall(PetscMalloc1((size_t)d * d, &H));
  PetscCall(PetscBLASIntCast(d, &bd));
  if (!s->exact) PetscCall(SkuaSketchGetSeed(S, &seed0));
  tr->converged = PETSC_FALSE;
  for (k = 0;; k++) {
    PetscReal          f, F, xx = 0, gn = 0, slope = 0, dec, t = 1, dxx = 0, xdx = 0;
    const PetscScalar *zz, *bb, *ga;
    PetscScalar       *cc, *ww;
    PetscInt           nls = 0;
    PetscBool          ok = PETSC_FALSE;

    /* F, gradient and weights at x_k (x replicated, so the small algebra is identical on every rank). */
    PetscCall(SetFromReplicated(xd, xr));
    PetscCall(MatMult(A, xd, z));
    PetscCall(VecGetArrayRead(z, &zz));
    PetscCall(VecGetArrayRead(b, &bb));
    PetscCall(VecGetArray(c, &cc));
    PetscCall(VecGetArray(sw, &ww));
    PetscCall(LocalLoss(s, mloc, zz, bb, u, &f, cc, ww));
    PetscCall(VecRestoreArray(sw, &ww));
    PetscCall(VecRestoreArray(c, &cc));
    PetscCall(VecRestoreArrayRead(b, &bb));
    PetscCall(VecRestoreArrayRead(z, &zz));
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &f, 1, MPIU_REAL, MPIU_SUM, comm));
    for (PetscInt j = 0; j < d; j++) xx += xr[j] * xr[j];
    F = f + 0.5 * s->l2 * xx;
    PetscCall(MatMultTranspose(A, c, gd));
    PetscCall(VecScatterBegin(toall, gd, gall, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecScatterEnd(toall, gd, gall, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecGetArrayRead(gall, &ga));
    for (PetscInt j = 0; j < d; j++) {
      gr[j] = PetscRealPart(ga[j]) + s->l2 * xr[j];
      gn += gr[j] * gr[j];
    }
    PetscCall(VecRestoreArrayRead(gall, &ga));
    gn = PetscSqrtReal(gn);

    /* Newton (or sketched Newton) direction and decrement. */
    PetscCall(Hessian(S, s, seed0 + k, A, sw, H));
    PetscCallBLAS("LAPACKpotrf", LAPACKpotrf_("U", &bd, H, &bd, &info));
    PetscCheck(info == 0, comm, PETSC_ERR_NOT_CONVERGED, "Newton iteration %" PetscInt_FMT ": the %s Hessian is not positive definite (Cholesky failed at column %d); use -newton_l2 > 0%s", k, s->exact ? "exact" : "sketched", (int)info, s->exact ? " or check A for zero columns" : ", a larger -sketch_size, or -newton_exact");
    for (PetscInt j = 0; j < d; j++) dx[j] = -gr[j];
    PetscCallBLAS("LAPACKpotrs", LAPACKpotrs_("U", &bd, &one, H, &bd, dx, &bd, &info));
    for (PetscInt j = 0; j < d; j++) {
      slope += gr[j] * dx[j];
      dxx += dx[j] * dx[j];
      xdx += xr[j] * dx[j];
    }
    dec = -0.5 * slope; /* lambda^2 / 2 */
    PetscCall(TraceAdd(tr, &cap, F, dec, gn, MPI_Wtime() - t0));
    tr->its = k;
    if (s->monitor) PetscCall(PetscPrintf(comm, "  newton %3" PetscInt_FMT ": F = %.15e  lambda^2/2 = %.3e  |grad| = %.3e  %.2f s\n", k, (double)F, (double)dec, (double)gn, MPI_Wtime() - t0));
    if (dec <= s->tol) {
      tr->converged = PETSC_TRUE;
      break;
    }
    if (k == s->max_it) break;
    PetscCheck(slope < 0, comm, PETSC_ERR_NOT_CONVERGED, "Newton iteration %" PetscInt_FMT ": the direction is not a descent direction (g^T dx = %g)", k, (double)slope);

    /* Armijo backtracking on F along dx: F(x + t dx) - F(x) <= alpha t g^T dx, with dz = A dx computed once. */
    PetscCall(PetscLogEventBegin(SKUA_NEWTON_LineSearch, A, 0, 0, 0));
    PetscCall(SetFromReplicated(xd, dx));
    PetscCall(MatMult(A, xd, dz));
    PetscCall(VecGetArrayRead(dz, &zz));
    PetscCall(VecGetArrayRead(b, &bb));
    for (nls = 0; nls < 60 && !ok; nls++) {
      PetscReal ch = 0;
      if (nls) t *= s->beta;
      for (PetscInt i = 0; i < mloc; i++) {
        if (s->loss == SKUA_NEWTON_LOGISTIC) ch += SkuaLgDiff(u[i], t * PetscRealPart(bb[i] * zz[i]));
        else {
          PetscReal du = t * PetscRealPart(zz[i]);
          ch += du * (u[i] + 0.5 * du);
        }
      }
      PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &ch, 1, MPIU_REAL, MPIU_SUM, comm));
      ch += s->l2 * (t * xdx + 0.5 * t * t * dxx);
      ok = (PetscBool)(ch <= s->alpha * t * slope);
    }
    PetscCall(VecRestoreArrayRead(b, &bb));
    PetscCall(VecRestoreArrayRead(dz, &zz));
    PetscCall(PetscLogEventEnd(SKUA_NEWTON_LineSearch, A, 0, 0, 0));
    tr->ls[tr->n - 1] = nls - 1;
    if (!ok) {
      PetscCall(PetscPrintf(comm, "  newton %3" PetscInt_FMT ": line search failed after %" PetscInt_FMT " backtracking steps (round-off level reached?); stopping\n", k, nls));
      break;
    }
    tr->step[tr->n - 1] = t;
    for (PetscInt j = 0; j < d; j++) xr[j] += t * dx[j];
  }
  PetscCall(SetFromReplicated(x, xr));
  PetscCall(PetscFree4(xr, gr, dx, u));
  PetscCall(PetscFree(H));
  PetscCall(VecScatterDestroy(&toall));
  PetscCall(VecDestroy(&gall));
  PetscCall(VecDestroy(&gd));
  PetscCall(VecDestroy(&xd));
  PetscCall(VecDestroy(&z));
  PetscCall(VecDestroy(&dz));
  PetscCall(VecDestroy(&c));
  PetscCall(VecDestroy(&sw));
  PetscCall(PetscLogEventEnd(SKUA_NEWTON_Solve, A, b, 0, 0));
  PetscFunctionReturn(0);
}
