/* Sketch-preconditioned least squares: Blendenpik (Avron, Maymounkov, Toledo 2010) / LSRN (Meng, Saunders, Mahoney 2014), and baselines. */
#include "sketchimpl.h"
#include <petscblaslapack.h>

const char *const SkuaLSQMethods[] = {"sketch_lsqr", "sketch_solve", "lsqr", "normal", "iterative_sketch", "SkuaLSQMethod", "SKUA_LSQ_", NULL};

/* The operator B = A R^{-1} (R upper triangular d x d, replicated; NULL means R = I) on replicated
   length-d vectors and distributed length-M vectors. */
typedef struct {
  Mat          A;
  PetscInt     d;
  PetscScalar *R; /* column-major, leading dimension d */
  Vec          xc, xall; /* A's column layout, and the same gathered on every rank */
  VecScatter   toall;
  PetscScalar *work;
  PetscBool    dense; /* MATDENSE A: the two products of an iteration in one pass over A (OpFused) */
} LSQOp;

static PetscErrorCode TriSolve(LSQOp *op, const char *trans, PetscScalar *v)
{
  PetscBLASInt n, one = 1, info;

  PetscFunctionBegin;
  if (!op->R) PetscFunctionReturn(0);
  PetscCall(PetscBLASIntCast(op->d, &n));
  PetscCallBLAS("LAPACKtrtrs", LAPACKtrtrs_("U", trans, "N", &n, &one, op->R, &n, v, &n, &info));
  PetscCheck(info == 0, PETSC_COMM_SELF, PETSC_ERR_LIB, "LAPACK trtrs failed (info %d): the sketched R is singular, so A is rank deficient or -sketch_size is too small", (int)info);
  PetscFunctionReturn(0);
}

/* u = B v (v replicated, u distributed). */
static PetscErrorCode OpMult(LSQOp *op, const PetscScalar v[], Vec u)
{
  PetscInt     lo, hi;
  PetscScalar *a;

  PetscFunctionBegin;
  PetscCall(PetscArraycpy(op->work, v, op->d));
  PetscCall(TriSolve(op, "N", op->work));
  PetscCall(VecGetOwnershipRange(op->xc, &lo, &hi));
  PetscCall(VecGetArray(op->xc, &a));
  for (PetscInt j = lo; j < hi; j++) a[j - lo] = op->work[j];
  PetscCall(VecRestoreArray(op->xc, &a));
  PetscCall(MatMult(op->A, op->xc, u));
  PetscFunctionReturn(0);
}

/* v = B^T u (u distributed, v replicated). */
static PetscErrorCode OpMultTranspose(LSQOp *op, Vec u, PetscScalar v[])
{
  const PetscScalar *a;

  PetscFunctionBegin;
  PetscCall(MatMultTranspose(op->A, u, op->xc));
  PetscCall(VecScatterBegin(op->toall, op->xc, op->xall, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(op->toall, op->xc, op->xall, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecGetArrayRead(op->xall, &a));
  PetscCall(PetscArraycpy(v, a, op->d));
  PetscCall(VecRestoreArrayRead(op->xall, &a));
  PetscCall(TriSolve(op, "T", v));
  PetscFunctionReturn(0);
}

/* For dense A, LSQR's u <- B v - alpha u, beta = |u|, u <- u / beta, t = B^T u in one pass over the local rows of
   A: each block of rows (in cache) gives its part of A z - alpha u and, right away, its part of A^T u, scaled by
   1/beta afterwards (A^T (u/beta) = (A^T u)/beta). Half the memory traffic of MatMult + MatMultTranspose, and one
   allreduce of d + 1 numbers. */
static PetscErrorCode OpFused(LSQOp *op, const PetscScalar v[], PetscReal alpha, Vec u, PetscScalar t[], PetscReal *beta)
{
  PetscInt           mloc, lda, d = op->d, RB;
  const PetscScalar *a;
  PetscScalar       *uu, mal = -alpha, one = 1.0;
  PetscReal          ss = 0;
  PetscBLASInt       bn, bd, blda, ione = 1;
  MPI_Comm           comm;

  PetscFunctionBegin;
  PetscCall(PetscObjectGetComm((PetscObject)op->A, &comm));
  PetscCall(PetscArraycpy(op->work, v, d));
  PetscCall(TriSolve(op, "N", op->work));
  PetscCall(PetscArrayzero(t, d + 1));
  PetscCall(MatGetLocalSize(op->A, &mloc, NULL));
  PetscCall(MatDenseGetLDA(op->A, &lda));
  PetscCall(PetscBLASIntCast(d, &bd));
  PetscCall(PetscBLASIntCast(lda, &blda));
  RB = PetscMax(16, 131072 / PetscMax(d, 1)); /* a block of rows is ~1 MB */
  PetscCall(MatDenseGetArrayRead(op->A, &a));
  PetscCall(VecGetArray(u, &uu));
  for (PetscInt lo = 0; lo < mloc; lo += RB) {
    PetscInt n = PetscMin(RB, mloc - lo);
    PetscCall(PetscBLASIntCast(n, &bn));
    PetscCallBLAS("BLASgemv", BLASgemv_("N", &bn, &bd, &one, a + lo, &blda, op->work, &ione, &mal, uu + lo, &ione));
    PetscCallBLAS("BLASgemv", BLASgemv_("T", &bn, &bd, &one, a + lo, &blda, uu + lo, &ione, &one, t, &ione));
    for (PetscInt i = lo; i < lo + n; i++) ss += PetscRealPart(uu[i] * uu[i]);
  }
  PetscCall(MatDenseRestoreArrayRead(op->A, &a));
  t[d] = ss;
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, t, (PetscMPIInt)(d + 1), MPIU_SCALAR, MPIU_SUM, comm));
  *beta = PetscSqrtReal(PetscRealPart(t[d]));
  if (*beta > 0) {
    for (PetscInt i = 0; i < mloc; i++) uu[i] /= *beta;
    for (PetscInt j = 0; j < d; j++) t[j] /= *beta;
  }
  PetscCall(VecRestoreArray(u, &uu));
  PetscCall(TriSolve(op, "T", t));
  PetscFunctionReturn(0);
}

static PetscReal Nrm(PetscInt n, const PetscScalar v[])
{
  PetscReal s = 0;
  for (PetscInt i = 0; i < n; i++) s += PetscRealPart(v[i] * v[i]);
  return PetscSqrtReal(s);
}

static PetscErrorCode TraceAdd(SkuaLSQTrace *tr, PetscInt *cap, PetscInt it, PetscReal resid, PetscReal rnorm, PetscReal sec)
{
  PetscFunctionBegin;
  if (tr->n == *cap) {
    PetscInt   nc = 2 * (*cap) + 16;
    PetscInt  *i2;
    PetscReal *r2, *n2, *s2;
    PetscCall(PetscMalloc4(nc, &i2, nc, &r2, nc, &n2, nc, &s2));
    if (tr->n) {
      PetscCall(PetscArraycpy(i2, tr->it, tr->n));
      PetscCall(PetscArraycpy(r2, tr->resid, tr->n));
      PetscCall(PetscArraycpy(n2, tr->rnorm, tr->n));
      PetscCall(PetscArraycpy(s2, tr->sec, tr->n));
    }
    PetscCall(PetscFree4(tr->it, tr->resid, tr->rnorm, tr->sec));
    tr->it = i2; tr->resid = r2; tr->rnorm = n2; tr->sec = s2;
    *cap = nc;
  }
  tr->it[tr->n] = it; tr->resid[tr->n] = resid; tr->rnorm[tr->n] = rnorm; tr->sec[tr->n] = sec;
  tr->n++;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaLSQTraceDestroy(SkuaLSQTrace *tr)
{
  PetscFunctionBegin;
  PetscCall(PetscFree4(tr->it, tr->resid, tr->rnorm, tr->sec));
  tr->n = 0;
  PetscFunctionReturn(0);
}

/* Iterative sketching with momentum (iterative Hessian sketch with one fixed sketch; heavy ball, Lacotte & Pilanci
   2021, Epperly et al. 2024): with R from QR(S A),
       y_{k+1} = y_k + alpha R^{-1} R^{-T} A^T (b - A y_k) + beta (y_k - y_{k-1}).
   For an embedding of distortion eps the eigenvalues of (R^T R)^{-1} A^T A lie in [1/(1+eps)^2, 1/(1-eps)^2], and
   the heavy-ball parameters for that interval are alpha = (1 - eps^2)^2, beta = eps^2 (rate eps per iteration).
   eps defaults to sqrt(d/m), the Gaussian value. Sparse sign and SRHT sketches can distort more; if |r| grows
   past twice the best seen (heavy ball diverges when eps is underestimated), the iteration restarts from the best
   y with eps <- (1 + eps)/2. Stops when |A^T r| / (|A|_F |r|) <= tol (computed exactly, not estimated) or
   |r| <= tol |b|. */
static PetscErrorCode IterativeSketch(LSQOp *op, Vec b, PetscReal eps, PetscReal tol, PetscInt max_it, PetscScalar y[], SkuaLSQTrace *tr, PetscInt *cap, double t0)
{
  PetscInt     d = op->d, it;
  PetscScalar *g, *yold, *ynew, *ybest;
  PetscReal    alpha = (1 - eps * eps) * (1 - eps * eps), beta = eps * eps, anorm, bnorm, rnorm, gnorm, rel = 0, rbest = PETSC_MAX_REAL;
  PetscBool    restart = PETSC_FALSE;
  Vec          r;

  PetscFunctionBegin;
  PetscCheck(eps >= 0 && eps < 1, PetscObjectComm((PetscObject)op->A), PETSC_ERR_ARG_OUTOFRANGE, "-lsq_sketch_distortion %g must be in [0, 1)", (double)eps);
  PetscCall(PetscMalloc4(d, &g, d, &yold, d, &ynew, d, &ybest));
  PetscCall(VecDuplicate(b, &r));
  PetscCall(MatNorm(op->A, NORM_FROBENIUS, &anorm));
  PetscCall(VecNorm(b, NORM_2, &bnorm));
  PetscCall(PetscArrayzero(y, d));
  PetscCall(PetscArrayzero(yold, d));
  tr->converged = PETSC_FALSE;
  for (it = 0;; it++) {
    /* r = b - A y; g = A^T r (replicated) */
    {
      PetscInt     lo, hi;
      PetscScalar *a;
      PetscCall(VecGetOwnershipRange(op->xc, &lo, &hi));
      PetscCall(VecGetArray(op->xc, &a));
      for (PetscInt j = lo; j < hi; j++) a[j - lo] = y[j];
      PetscCall(VecRestoreArray(op->xc, &a));
    }
    PetscCall(MatMult(op->A, op->xc, r));
    PetscCall(VecAYPX(r, -1.0, b));
    PetscCall(VecNorm(r, NORM_2, &rnorm));
    {
      const PetscScalar *a;
      PetscCall(MatMultTranspose(op->A, r, op->xc));
      PetscCall(VecScatterBegin(op->toall, op->xc, op->xall, INSERT_VALUES, SCATTER_FORWARD));
      PetscCall(VecScatterEnd(op->toall, op->xc, op->xall, INSERT_VALUES, SCATTER_FORWARD));
      PetscCall(VecGetArrayRead(op->xall, &a));
      PetscCall(PetscArraycpy(g, a, d));
      PetscCall(VecRestoreArrayRead(op->xall, &a));
    }
    gnorm = Nrm(d, g);
    rel   = (rnorm > 0 && anorm > 0) ? gnorm / (anorm * rnorm) : 0;
    PetscCall(TraceAdd(tr, cap, it, rel, rnorm, MPI_Wtime() - t0));
    if (rel <= tol || rnorm <= tol * bnorm) {
      tr->converged = PETSC_TRUE;
      break;
    }
    if (it >= max_it) break;
    if (rnorm < rbest) {
      rbest = rnorm;
      PetscCall(PetscArraycpy(ybest, y, d));
    } else if (!(rnorm <= 2 * rbest)) { /* diverging (or NaN): the distortion was underestimated */
      eps   = 0.5 * (1 + eps);
      alpha = (1 - eps * eps) * (1 - eps * eps);
      beta  = eps * eps;
      PetscCall(PetscInfo(op->A, "iterative_sketch: |r| %g > 2 x best %g at iteration %" PetscInt_FMT "; restart with distortion %g\n", (double)rnorm, (double)rbest, it, (double)eps));
      PetscCall(PetscArraycpy(y, ybest, d));
      restart = PETSC_TRUE;
      continue; /* recompute r and g at the best y */
    }
    /* step = R^{-1} R^{-T} g */
    PetscCall(TriSolve(op, "T", g));
    PetscCall(TriSolve(op, "N", g));
    for (PetscInt j = 0; j < d; j++) ynew[j] = y[j] + alpha * g[j] + ((it > 0 && !restart) ? beta : 0.0) * (y[j] - yold[j]);
    restart = PETSC_FALSE;
    PetscCall(PetscArraycpy(yold, y, d));
    PetscCall(PetscArraycpy(y, ynew, d));
  }
  tr->its = it;
  PetscCall(VecDestroy(&r));
  PetscCall(PetscFree4(g, yold, ynew, ybest));
  PetscFunctionReturn(0);
}

/* LSQR (Paige & Saunders 1982) on B, from y = 0. The small vectors (length d) are replicated, so their
   arithmetic needs no communication and is identical on every rank. Returns y (B y ~ b). */
static PetscErrorCode LSQR(LSQOp *op, Vec b, PetscReal tol, PetscInt max_it, PetscScalar y[], SkuaLSQTrace *tr, PetscInt *cap, double t0)
{
  PetscInt     d = op->d;
  PetscScalar *v, *w, *t;
  Vec          u, Bv;
  PetscReal    alpha, beta, bnorm, phibar, rhobar, anorm = 0;

  PetscFunctionBegin;
  PetscCall(PetscMalloc3(d, &v, d, &w, d + 1, &t));
  PetscCall(VecDuplicate(b, &u));
  PetscCall(VecDuplicate(b, &Bv));
  PetscCall(PetscArrayzero(y, d));
  PetscCall(VecCopy(b, u));
  PetscCall(VecNorm(u, NORM_2, &beta));
  bnorm = beta;
  tr->converged = PETSC_TRUE;
  if (beta == 0) {
    PetscCall(TraceAdd(tr, cap, 0, 0, 0, MPI_Wtime() - t0));
    goto done;
  }
  PetscCall(VecScale(u, 1.0 / beta));
  PetscCall(OpMultTranspose(op, u, v));
  alpha = Nrm(d, v);
  if (alpha > 0) for (PetscInt j = 0; j < d; j++) v[j] /= alpha;
  PetscCall(PetscArraycpy(w, v, d));
  phibar = beta;
  rhobar = alpha;
  PetscCall(TraceAdd(tr, cap, 0, 1.0, beta, MPI_Wtime() - t0));
  if (alpha == 0) goto done; /* b is orthogonal to range(A): x = 0 */
  tr->converged = PETSC_FALSE;
  for (PetscInt k = 1; k <= max_it; k++) {
    PetscReal rho, c, s, theta, phi, test1, test2;

    if (op->dense) PetscCall(OpFused(op, v, alpha, u, t, &beta));
    else {
      PetscCall(OpMult(op, v, Bv));
      PetscCall(VecAXPBY(u, 1.0, -alpha, Bv));
      PetscCall(VecNorm(u, NORM_2, &beta));
      if (beta > 0) PetscCall(VecScale(u, 1.0 / beta));
      PetscCall(OpMultTranspose(op, u, t));
    }
    anorm = PetscSqrtReal(anorm * anorm + alpha * alpha + beta * beta);
    for (PetscInt j = 0; j < d; j++) v[j] = t[j] - beta * v[j];
    alpha = Nrm(d, v);
    if (alpha > 0) for (PetscInt j = 0; j < d; j++) v[j] /= alpha;
    rho    = PetscSqrtReal(rhobar * rhobar + beta * beta);
    c      = rhobar / rho;
    s      = beta / rho;
    theta  = s * alpha;
    rhobar = -c * alpha;
    phi    = c * phibar;
    phibar = s * phibar;
    for (PetscInt j = 0; j < d; j++) {
      y[j] += (phi / rho) * w[j];
      w[j] = v[j] - (theta / rho) * w[j];
    }
    test1 = phibar / bnorm;
    test2 = phibar > 0 ? alpha * PetscAbsReal(c) / anorm : 0; /* = |B^T r| / (|B| |r|) */
    PetscCall(TraceAdd(tr, cap, k, test2, phibar, MPI_Wtime() - t0));
    tr->its = k;
    if (test2 <= tol || test1 <= tol || alpha == 0) {
      tr->converged = PETSC_TRUE;
      break;
    }
  }
done:
  PetscCall(PetscFree3(v, w, t));
  PetscCall(VecDestroy(&u));
  PetscCall(VecDestroy(&Bv));
  PetscFunctionReturn(0);
}

/* G = A^T diag(rw)^2 A and g = A^T diag(rw) b (rw: local row weights, NULL = 1; b may be NULL), replicated on
   every rank: the normal equations and the exact Newton Hessian. */
PetscErrorCode SkuaSketchGram(Mat A, const PetscReal rw[], Vec b, PetscScalar G[], PetscScalar g[])
{
  PetscInt           d, rstart, rend, lo;
  const PetscInt     CH = 256;
  PetscScalar       *blk, *bw;
  const PetscScalar *bb = NULL;
  MPI_Comm           comm;
  PetscBLASInt       bd, bk, one = 1;
  PetscScalar        a1 = 1.0, b1 = 1.0;
  const PetscScalar *ad = NULL;
  PetscInt           lda = 0;
  PetscBool          dense;

  PetscFunctionBegin;
  PetscCall(PetscObjectGetComm((PetscObject)A, &comm));
  PetscCall(MatGetSize(A, NULL, &d));
  PetscCall(MatGetOwnershipRange(A, &rstart, &rend));
  PetscCall(PetscArrayzero(G, (size_t)d * d));
  if (g) PetscCall(PetscArrayzero(g, d));
  PetscCall(PetscMalloc2((size_t)CH * d, &blk, CH, &bw));
  if (b) PetscCall(VecGetArrayRead(b, &bb));
  PetscCall(PetscBLASIntCast(d, &bd));
  PetscCall(PetscObjectTypeCompareAny((PetscObject)A, &dense, MATSEQDENSE, MATMPIDENSE, ""));
  if (dense) {
    PetscCall(MatDenseGetLDA(A, &lda));
    PetscCall(MatDenseGetArrayRead(A, &ad));
  }
  /* Dense row blocks of CH rows so the O(M d^2) product runs in BLAS-3 (syrk, the upper triangle: M d^2 flops)
     for dense and sparse A alike. */
  for (lo = rstart; lo < rend; lo += CH) {
    PetscInt hi = PetscMin(rend, lo + CH);
    if (dense)
      for (PetscInt j = 0; j < d; j++)
        for (PetscInt i = lo; i < hi; i++) blk[(i - lo) + (size_t)j * CH] = (rw ? rw[i - rstart] : 1.0) * ad[(i - rstart) + (size_t)j * lda];
    else {
      PetscCall(PetscArrayzero(blk, (size_t)CH * d));
      for (PetscInt i = lo; i < hi; i++) {
        PetscInt           n;
        const PetscInt    *cols;
        const PetscScalar *vals;
        PetscReal          w = rw ? rw[i - rstart] : 1.0;
        PetscCall(MatGetRow(A, i, &n, &cols, &vals));
        for (PetscInt j = 0; j < n; j++) blk[(i - lo) + (size_t)cols[j] * CH] = w * vals[j];
        PetscCall(MatRestoreRow(A, i, &n, &cols, &vals));
      }
    }
    if (bb)
      for (PetscInt i = lo; i < hi; i++) bw[i - lo] = (rw ? rw[i - rstart] : 1.0) * bb[i - rstart];
    PetscCall(PetscBLASIntCast(hi - lo, &bk));
    {
      PetscBLASInt ldb = (PetscBLASInt)CH;
      PetscCallBLAS("BLASsyrk", BLASsyrk_("U", "T", &bd, &bk, &a1, blk, &ldb, &b1, G, &bd));
      if (bb && g) PetscCallBLAS("BLASgemm", BLASgemm_("T", "N", &bd, &one, &bk, &a1, blk, &ldb, bw, &bk, &b1, g, &bd));
    }
  }
  if (dense) PetscCall(MatDenseRestoreArrayRead(A, &ad));
  for (PetscInt j = 0; j < d; j++)
    for (PetscInt i = j + 1; i < d; i++) G[i + (size_t)j * d] = G[j + (size_t)i * d];
  if (b) PetscCall(VecRestoreArrayRead(b, &bb));
  PetscCall(PetscFree2(blk, bw));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, G, (PetscMPIInt)(d * d), MPIU_SCALAR, MPIU_SUM, comm));
  if (g) PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, g, (PetscMPIInt)d, MPIU_SCALAR, MPIU_SUM, comm));
  PetscFunctionReturn(0);
}

/* |R_jj| spread: a numerically singular R means A is rank deficient or the sketch too small. */
static PetscErrorCode CheckR(PetscInt d, const PetscScalar R[])
{
  PetscReal rmax = 0, rmin = PETSC_MAX_REAL;

  PetscFunctionBegin;
  for (PetscInt j = 0; j < d; j++) {
    rmax = PetscMax(rmax, PetscAbsScalar(R[j + (size_t)j * d]));
    rmin = PetscMin(rmin, PetscAbsScalar(R[j + (size_t)j * d]));
  }
  PetscCheck(rmin > 1e3 * PETSC_MACHINE_EPSILON * rmax, PETSC_COMM_SELF, PETSC_ERR_NOT_CONVERGED, "The sketch S A is numerically rank deficient (|R_jj| from %g to %g): A is rank deficient or -sketch_size is too small", (double)rmin, (double)rmax);
  PetscFunctionReturn(0);
}

/* R of S A with ScaLAPACK over A's communicator (S A scattered block-cyclically, never replicated); with Sb, the
   sketch-and-solve x into xs. */
static PetscErrorCode SketchQRScaLAPACK(SkuaSketch S, Mat A, Vec Sb, PetscScalar R[], PetscScalar xs[])
{
  PetscInt           d;
  const PetscScalar *sb = NULL;
  PetscBLASInt       bd, one = 1, info;

  PetscFunctionBegin;
  PetscCall(MatGetSize(A, NULL, &d));
  if (Sb && xs) PetscCall(VecGetArrayRead(Sb, &sb));
  PetscCall(PetscLogEventBegin(SKUA_LSQ_QR, 0, 0, 0, 0)); /* includes the sketch, which it computes in place */
  PetscCall(SkuaSketchQRScaLAPACK(S, A, sb, R, xs));
  PetscCall(CheckR(d, R));
  PetscCall(PetscLogEventEnd(SKUA_LSQ_QR, 0, 0, 0, 0));
  if (Sb && xs) {
    PetscCall(VecRestoreArrayRead(Sb, &sb));
    PetscCall(PetscBLASIntCast(d, &bd));
    PetscCallBLAS("LAPACKtrtrs", LAPACKtrtrs_("U", "N", "N", &bd, &one, R, &bd, xs, &bd, &info));
    PetscCheck(info == 0, PETSC_COMM_SELF, PETSC_ERR_LIB, "LAPACK trtrs failed (info %d)", (int)info);
  }
  PetscFunctionReturn(0);
}

/* QR of the replicated m x d sketch, redundantly on every rank with LAPACK (it is small); R (upper d x d) into R,
   and, with Sb, the sketch-and-solve x = R^{-1} (Q^T S b)_{1:d} into xs. */
static PetscErrorCode SketchQR(Mat SA, Vec Sb, PetscScalar R[], PetscScalar xs[])
{
  PetscInt     m, d, lda;
  PetscScalar *a, *qa, *tau, *work, wq;
  PetscBLASInt bm, bd, blda, lwork = -1, info, one = 1;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(SKUA_LSQ_QR, 0, 0, 0, 0));
  PetscCall(MatGetSize(SA, &m, &d));
  PetscCall(MatDenseGetLDA(SA, &lda));
  PetscCall(PetscMalloc2((size_t)m * d, &qa, d, &tau));
  PetscCall(MatDenseGetArray(SA, &a));
  for (PetscInt j = 0; j < d; j++) PetscCall(PetscArraycpy(qa + (size_t)j * m, a + (size_t)j * lda, m));
  PetscCall(MatDenseRestoreArray(SA, &a));
  PetscCall(PetscBLASIntCast(m, &bm));
  PetscCall(PetscBLASIntCast(d, &bd));
  blda = bm;
  PetscCallBLAS("LAPACKgeqrf", LAPACKgeqrf_(&bm, &bd, qa, &blda, tau, &wq, &lwork, &info));
  lwork = (PetscBLASInt)PetscRealPart(wq) + d;
  PetscCall(PetscMalloc1(lwork, &work));
  PetscCallBLAS("LAPACKgeqrf", LAPACKgeqrf_(&bm, &bd, qa, &blda, tau, work, &lwork, &info));
  PetscCheck(info == 0, PETSC_COMM_SELF, PETSC_ERR_LIB, "LAPACK geqrf of the sketch failed (info %d)", (int)info);
  PetscCall(PetscArrayzero(R, (size_t)d * d));
  for (PetscInt j = 0; j < d; j++)
    for (PetscInt i = 0; i <= j; i++) R[i + (size_t)j * d] = qa[i + (size_t)j * m];
  PetscCall(CheckR(d, R));
  if (Sb && xs) {
    const PetscScalar *sb;
    PetscScalar       *c;
    PetscCall(PetscMalloc1(m, &c));
    PetscCall(VecGetArrayRead(Sb, &sb));
    PetscCall(PetscArraycpy(c, sb, m));
    PetscCall(VecRestoreArrayRead(Sb, &sb));
    PetscCallBLAS("LAPACKormqr", LAPACKormqr_("L", "T", &bm, &one, &bd, qa, &blda, tau, c, &bm, work, &lwork, &info));
    PetscCheck(info == 0, PETSC_COMM_SELF, PETSC_ERR_LIB, "LAPACK ormqr failed (info %d)", (int)info);
    PetscCallBLAS("LAPACKtrtrs", LAPACKtrtrs_("U", "N", "N", &bd, &one, R, &bd, c, &bd, &info));
    PetscCheck(info == 0, PETSC_COMM_SELF, PETSC_ERR_LIB, "LAPACK trtrs failed (info %d)", (int)info);
    PetscCall(PetscArraycpy(xs, c, d));
    PetscCall(PetscFree(c));
  }
  PetscCall(PetscFree(work));
  PetscCall(PetscFree2(qa, tau));
  PetscCall(PetscLogEventEnd(SKUA_LSQ_QR, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaLSQSolve(SkuaSketch S, SkuaLSQMethod method, Mat A, Vec b, PetscReal tol, PetscInt max_it, Vec x, SkuaLSQTrace *tr)
{
  MPI_Comm     comm;
  PetscInt     M, d, Mb, cap = 0, lo, hi;
  LSQOp        op = {0};
  PetscScalar *y;
  double       t0;

  PetscFunctionBegin;
  PetscCall(SkuaSketchInitializePackage());
  PetscCall(PetscObjectGetComm((PetscObject)A, &comm));
  PetscCall(MatGetSize(A, &M, &d));
  PetscCall(VecGetSize(b, &Mb));
  PetscCheck(Mb == M, comm, PETSC_ERR_ARG_SIZ, "b has length %" PetscInt_FMT " but A has %" PetscInt_FMT " rows", Mb, M);
  PetscCheck(M >= d, comm, PETSC_ERR_ARG_SIZ, "A is %" PetscInt_FMT " x %" PetscInt_FMT ": least squares here needs a tall matrix (rows >= columns)", M, d);
  PetscCheck(S || (method != SKUA_LSQ_SKETCH_LSQR && method != SKUA_LSQ_SKETCH_SOLVE && method != SKUA_LSQ_ITERATIVE_SKETCH), comm, PETSC_ERR_ARG_NULL, "Method %s needs a SkuaSketch", SkuaLSQMethods[method]);
  PetscCall(PetscMemzero(tr, sizeof(*tr)));
  PetscCall(PetscLogEventBegin(SKUA_LSQ_Solve, A, b, 0, 0));
  t0 = MPI_Wtime();
  op.A = A;
  op.d = d;
  PetscCall(PetscObjectTypeCompareAny((PetscObject)A, &op.dense, MATSEQDENSE, MATMPIDENSE, ""));
  PetscCall(PetscMalloc2(d, &y, d, &op.work));
  PetscCall(MatCreateVecs(A, &op.xc, NULL));
  PetscCall(VecScatterCreateToAll(op.xc, &op.toall, &op.xall));
  switch (method) {
  case SKUA_LSQ_SKETCH_LSQR:
  case SKUA_LSQ_ITERATIVE_SKETCH:
  case SKUA_LSQ_SKETCH_SOLVE: {
    Vec         Sb = NULL;
    PetscMPIInt size;
    PetscCall(PetscMalloc1((size_t)d * d, &op.R));
    PetscCallMPI(MPI_Comm_size(comm, &size));
    if (S->qr == SKUA_LSQ_QR_SCALAPACK || (S->qr == SKUA_LSQ_QR_AUTO && d >= 2000 && size > 1)) {
      PetscCall(SkuaSketchSetUp(S, d)); /* fixes m before S b */
      if (method == SKUA_LSQ_SKETCH_SOLVE) PetscCall(SkuaSketchApplyVec(S, b, &Sb)); /* m entries: replicated */
      PetscCall(SketchQRScaLAPACK(S, A, Sb, op.R, y));
    } else {
      Mat SA;
      PetscCall(SkuaSketchApply(S, A, &SA));
      if (method == SKUA_LSQ_SKETCH_SOLVE) PetscCall(SkuaSketchApplyVec(S, b, &Sb));
      PetscCall(SketchQR(SA, Sb, op.R, y));
      PetscCall(MatDestroy(&SA));
    }
    PetscCall(VecDestroy(&Sb));
    if (method == SKUA_LSQ_ITERATIVE_SKETCH) {
      PetscInt  m;
      PetscReal eps;
      PetscBool set;

      PetscCall(SkuaSketchGetSize(S, &m));
      if (!m) m = 4 * d;
      eps = PetscSqrtReal((PetscReal)d / (PetscReal)m);
      PetscCall(PetscOptionsGetReal(NULL, NULL, "-lsq_sketch_distortion", &eps, &set));
      PetscCall(IterativeSketch(&op, b, eps, tol, max_it, y, tr, &cap, t0));
    } else if (method == SKUA_LSQ_SKETCH_LSQR) {
      /* LSQR on A R^{-1}: well conditioned whatever cond(A), then x = R^{-1} y. */
      PetscCall(LSQR(&op, b, tol, max_it, y, tr, &cap, t0));
      PetscCall(TriSolve(&op, "N", y));
    } else {
      tr->converged = PETSC_TRUE;
      PetscCall(TraceAdd(tr, &cap, 0, -1, -1, MPI_Wtime() - t0));
    }
  } break;
  case SKUA_LSQ_LSQR:
    PetscCall(LSQR(&op, b, tol, max_it, y, tr, &cap, t0));
    break;
  case SKUA_LSQ_NORMAL: {
    PetscScalar *G;
    PetscBLASInt bd, one = 1, info;
    PetscCall(PetscMalloc1((size_t)d * d, &G));
    PetscCall(SkuaSketchGram(A, NULL, b, G, y));
    PetscCall(PetscBLASIntCast(d, &bd));
    PetscCallBLAS("LAPACKpotrf", LAPACKpotrf_("L", &bd, G, &bd, &info));
    PetscCheck(info == 0, comm, PETSC_ERR_NOT_CONVERGED, "-lsq_method normal: Cholesky of A^T A failed at column %d; A is (numerically) rank deficient, cond(A)^2 exceeds 1/eps. Use -lsq_method sketch_lsqr", (int)info);
    PetscCallBLAS("LAPACKpotrs", LAPACKpotrs_("L", &bd, &one, G, &bd, y, &bd, &info));
    PetscCall(PetscFree(G));
    tr->converged = PETSC_TRUE;
    PetscCall(TraceAdd(tr, &cap, 0, -1, -1, MPI_Wtime() - t0));
  } break;
  default:
    SETERRQ(comm, PETSC_ERR_ARG_OUTOFRANGE, "Unknown least-squares method %d", (int)method);
  }
  PetscCall(VecGetOwnershipRange(x, &lo, &hi));
  {
    PetscScalar *xa;
    PetscCall(VecGetArray(x, &xa));
    for (PetscInt j = lo; j < hi; j++) xa[j - lo] = y[j];
    PetscCall(VecRestoreArray(x, &xa));
  }
  PetscCall(PetscFree2(y, op.work));
  PetscCall(PetscFree(op.R));
  PetscCall(VecDestroy(&op.xc));
  PetscCall(VecDestroy(&op.xall));
  PetscCall(VecScatterDestroy(&op.toall));
  PetscCall(PetscLogEventEnd(SKUA_LSQ_Solve, A, b, 0, 0));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaLSQResidual(Mat A, Vec b, Vec x, PetscReal *rel, PetscReal *rnorm)
{
  Vec       r, g;
  PetscReal gn, an;

  PetscFunctionBegin;
  PetscCall(VecDuplicate(b, &r));
  PetscCall(MatCreateVecs(A, &g, NULL));
  PetscCall(MatMult(A, x, r));
  PetscCall(VecAYPX(r, -1.0, b));
  PetscCall(MatMultTranspose(A, r, g));
  PetscCall(VecNorm(r, NORM_2, rnorm));
  PetscCall(VecNorm(g, NORM_2, &gn));
  PetscCall(MatNorm(A, NORM_FROBENIUS, &an));
  *rel = (*rnorm > 0 && an > 0) ? gn / (an * *rnorm) : 0;
  PetscCall(VecDestroy(&r));
  PetscCall(VecDestroy(&g));
  PetscFunctionReturn(0);
}
