/* Recycle space of GCRO-DR (Parks, de Sturler, Mackey, Johnson, Maiti, SISC 28(5), 2006): re-orthonormalisation for a new operator, projection, harmonic-Ritz update. */
#include "gcrodr_impl.h"
#include <petscblaslapack.h>

/* relative size of an R diagonal entry below which a recycled column is numerically dependent on the others */
#define GCRODR_DROPTOL 1.0e-10
/* CholeskyQR is used while min/max of R's diagonal exceeds this (cond(A U) below ~1e6); else Gram-Schmidt */
#define GCRODR_CHOLQR_TOL 1.0e-6
/* one CholeskyQR pass is enough while cond(C~) (bounded by ||R||_F ||R^-1||_F) stays below this: the loss of
   orthogonality eps cond^2 is then below ~1e-12. A_new U for a neighbouring operator is nearly orthonormal. */
#define GCRODR_CHOLQR_ONEPASS 1.0e2

/* ||U_i|| for all i in one reduction; D_k = diag(1/||u_i||) of the paper keeps Ghat well scaled */
PetscErrorCode GCRODRUNorms(KSP ksp)
{
  KSP_GCRODR *gc = (KSP_GCRODR *)ksp->data;
  PetscInt    i;

  PetscFunctionBegin;
  for (i = 0; i < gc->kcur; i++) PetscCall(VecNormBegin(gc->U[i], NORM_2, &gc->unorm[i]));
  for (i = 0; i < gc->kcur; i++) PetscCall(VecNormEnd(gc->U[i], NORM_2, &gc->unorm[i]));
  PetscFunctionReturn(0);
}

/* Exchanges two families of recycled vectors (handles and storage) after an update built the new one. */
static void SwapBlock(Vec **a, PetscScalar **aa, Vec **b, PetscScalar **ba)
{
  Vec         *t  = *a;
  PetscScalar *ta = *aa;

  *a  = *b;
  *aa = *ba;
  *b  = t;
  *ba = ta;
}

/* c <- T^{-T} c (trans) or c <- T^{-1} c for the pending kcur x kcur upper-triangular factor T (see tpend). */
void GCRODRTSolve(const KSP_GCRODR *gc, PetscBool trans, PetscScalar *c)
{
  const PetscInt     kc = gc->kcur, ld = gc->kcur;
  const PetscScalar *T  = gc->T;

  if (trans) {
    for (PetscInt i = 0; i < kc; i++) {
      PetscScalar s = c[i];

      for (PetscInt l = 0; l < i; l++) s -= T[l + i * ld] * c[l];
      c[i] = s / T[i + i * ld];
    }
  } else {
    for (PetscInt i = kc - 1; i >= 0; i--) {
      PetscScalar s = c[i];

      for (PetscInt l = i + 1; l < kc; l++) s -= T[i + l * ld] * c[l];
      c[i] = s / T[i + i * ld];
    }
  }
}

/* Local block product Out (nloc x ncol) = beta Out + In (nloc x nin) * S (nin x ncol, leading dimension lds). */
static PetscErrorCode BlockGemm(PetscInt nloc, PetscInt ncol, PetscInt nin, const PetscScalar *In, const PetscScalar *S, PetscInt lds, PetscScalar beta, PetscScalar *Out)
{
  PetscBLASInt m, n, k, lda, ldb;
  PetscScalar  one = 1.0;

  PetscFunctionBegin;
  if (!nloc || !ncol) PetscFunctionReturn(0);
  PetscCall(PetscBLASIntCast(nloc, &m));
  PetscCall(PetscBLASIntCast(ncol, &n));
  PetscCall(PetscBLASIntCast(nin, &k));
  PetscCall(PetscBLASIntCast(nloc, &lda));
  PetscCall(PetscBLASIntCast(PetscMax(lds, 1), &ldb));
  if (!k) {
    if (beta == 0.0) PetscCall(PetscArrayzero(Out, (size_t)nloc * ncol));
    PetscFunctionReturn(0);
  }
  PetscCallBLAS("BLASgemm", BLASgemm_("N", "N", &m, &n, &k, &one, In, &lda, S, &ldb, &beta, Out, &lda));
  PetscCall(PetscLogFlops(2.0 * nloc * ncol * nin));
  PetscFunctionReturn(0);
}

PetscErrorCode GCRODRGemvT(PetscInt nloc, PetscInt ncol, const PetscScalar *A, const PetscScalar *x, PetscScalar *y)
{
  PetscBLASInt m, n, one = 1;
  PetscScalar  a = 1.0, b = 0.0;

  PetscFunctionBegin;
  if (!ncol) PetscFunctionReturn(0);
  if (!nloc) {
    PetscCall(PetscArrayzero(y, ncol));
    PetscFunctionReturn(0);
  }
  PetscCall(PetscBLASIntCast(nloc, &m));
  PetscCall(PetscBLASIntCast(ncol, &n));
  PetscCallBLAS("BLASgemv", BLASgemv_("T", &m, &n, &a, A, &m, x, &one, &b, y, &one));
  PetscCall(PetscLogFlops(2.0 * nloc * ncol));
  PetscFunctionReturn(0);
}

PetscErrorCode GCRODRGemvN(PetscInt nloc, PetscInt ncol, PetscScalar alpha, const PetscScalar *A, const PetscScalar *c, PetscScalar *w)
{
  PetscBLASInt m, n, one = 1;
  PetscScalar  a = alpha, b = 1.0;

  PetscFunctionBegin;
  if (!ncol || !nloc) PetscFunctionReturn(0);
  PetscCall(PetscBLASIntCast(nloc, &m));
  PetscCall(PetscBLASIntCast(ncol, &n));
  PetscCallBLAS("BLASgemv", BLASgemv_("N", &m, &n, &a, A, &m, c, &one, &b, w, &one));
  PetscCall(PetscLogFlops(2.0 * nloc * ncol));
  PetscFunctionReturn(0);
}

/* Local inner products T (nrow x ncol, leading dimension ldt) = A^T B, A nloc x nrow, B nloc x ncol. */
static PetscErrorCode BlockDots(PetscInt nloc, PetscInt nrow, PetscInt ncol, const PetscScalar *A, const PetscScalar *B, PetscScalar *T, PetscInt ldt)
{
  PetscBLASInt m, n, k, ld, ldtb;
  PetscScalar  one = 1.0, zero = 0.0;

  PetscFunctionBegin;
  if (!nrow || !ncol) PetscFunctionReturn(0);
  if (!nloc) {
    for (PetscInt j = 0; j < ncol; j++)
      for (PetscInt i = 0; i < nrow; i++) T[i + j * ldt] = 0.0;
    PetscFunctionReturn(0);
  }
  PetscCall(PetscBLASIntCast(nrow, &m));
  PetscCall(PetscBLASIntCast(ncol, &n));
  PetscCall(PetscBLASIntCast(nloc, &k));
  PetscCall(PetscBLASIntCast(nloc, &ld));
  PetscCall(PetscBLASIntCast(ldt, &ldtb));
  PetscCallBLAS("BLASgemm", BLASgemm_("T", "N", &m, &n, &k, &one, A, &ld, B, &ld, &zero, T, &ldtb));
  PetscCall(PetscLogFlops(2.0 * nloc * nrow * ncol));
  PetscFunctionReturn(0);
}

/* Uh = M^{-1} U is unknown for a space handed in by KSPGCRODRSetRecycleSpace(). For an invariant subspace of A M,
   span(U) = M span(C), so fit U by M C X in the least-squares sense (thin QR of M C) and take Uh = C X;
   this costs k preconditioner applications once. */
static PetscErrorCode GCRODRFitUh(KSP ksp)
{
  KSP_GCRODR  *gc = (KSP_GCRODR *)ksp->data;
  PetscInt     kc = gc->kcur, i, j, l, pass;
  PetscScalar *R, *T;
  PetscReal    rii, rmax = 0.0;
  Vec         *Q = gc->Cnew;
  PetscBool    ok = PETSC_TRUE;

  PetscFunctionBegin;
  gc->uh_exact = PETSC_TRUE;
  if (!kc) PetscFunctionReturn(0);
  PetscCall(PetscCalloc2(kc * kc, &R, kc * kc, &T));
  for (i = 0; i < kc; i++) PetscCall(KSP_PCApply(ksp, gc->C[i], Q[i]));
  for (i = 0; i < kc && ok; i++) {
    for (pass = 0; pass < 2 && i > 0; pass++) {
      PetscCall(VecMDot(Q[i], i, Q, gc->y));
      for (l = 0; l < i; l++) {
        R[l + i * kc] += gc->y[l];
        gc->ncoef[l] = -gc->y[l];
      }
      PetscCall(VecMAXPY(Q[i], i, gc->ncoef, Q));
    }
    PetscCall(VecNorm(Q[i], NORM_2, &rii));
    rmax = PetscMax(rmax, rii);
    if (!(rii > GCRODR_DROPTOL * rmax)) ok = PETSC_FALSE;
    else {
      R[i + i * kc] = rii;
      PetscCall(VecScale(Q[i], 1.0 / rii));
    }
  }
  if (ok) {
    /* X = R^{-1} Q^T U, column by column; Uh_j = C X(:, j) */
    for (j = 0; j < kc; j++) PetscCall(VecMDotBegin(gc->U[j], kc, Q, T + j * kc));
    for (j = 0; j < kc; j++) PetscCall(VecMDotEnd(gc->U[j], kc, Q, T + j * kc));
    for (j = 0; j < kc; j++) {
      PetscScalar *x = T + j * kc;

      for (i = kc - 1; i >= 0; i--) {
        for (l = i + 1; l < kc; l++) x[i] -= R[i + l * kc] * x[l];
        x[i] /= R[i + i * kc];
      }
      PetscCall(VecSet(gc->Uh[j], 0.0));
      PetscCall(VecMAXPY(gc->Uh[j], kc, x, gc->C));
    }
  } else {
    /* M C rank deficient: fall back to M = I */
    PetscCall(PetscInfo(ksp, "GCRODR: M C is rank deficient; taking M^{-1} U = U for the handed-in recycle space\n"));
    for (j = 0; j < kc; j++) PetscCall(VecCopy(gc->U[j], gc->Uh[j]));
  }
  PetscCall(PetscFree2(R, T));
  PetscFunctionReturn(0);
}

/* X <- X R^{-1} on the local rows of one block of kcur vectors (R upper triangular, kcur x kcur, leading dimension
   kcur); the Vecs over X are told that their array changed. */
static PetscErrorCode GCRODRBlockTrsm(KSP ksp, const PetscScalar *R, PetscScalar *X, Vec *vecs)
{
  KSP_GCRODR  *gc = (KSP_GCRODR *)ksp->data;
  PetscInt     kc = gc->kcur;
  PetscBLASInt m, n;
  PetscScalar  one = 1.0;

  PetscFunctionBegin;
  if (gc->nloc && kc) {
    PetscCall(PetscBLASIntCast(gc->nloc, &m));
    PetscCall(PetscBLASIntCast(kc, &n));
    PetscCallBLAS("BLAStrsm", BLAStrsm_("R", "U", "N", "N", &m, &n, &one, R, &n, X, &m));
    PetscCall(PetscLogFlops(1.0 * gc->nloc * kc * kc));
  }
  for (PetscInt i = 0; i < kc; i++) PetscCall(PetscObjectStateIncrease((PetscObject)vecs[i]));
  PetscFunctionReturn(0);
}

/* One CholeskyQR pass on the kc columns of C: G = C^T C (SYRK, one reduction), R = chol(G) decided on rank 0,
   and, if apply, C <- C R^{-1} (TRSM); R is returned (upper triangle, kc x kc, zero below). *ok = false (and C
   unchanged) when G is not numerically positive definite or R's diagonal spans more than 1/GCRODR_CHOLQR_TOL
   (cond(C) ~1e6). */
static PetscErrorCode GCRODRCholQRPass(KSP ksp, PetscBool apply, PetscScalar *R, PetscBool *ok)
{
  KSP_GCRODR  *gc = (KSP_GCRODR *)ksp->data;
  PetscInt     kc = gc->kcur;
  PetscMPIInt  rank;
  MPI_Comm     comm = PetscObjectComm((PetscObject)ksp);
  int          good = 0;
  PetscBLASInt m, n;
  PetscScalar  one = 1.0, zero = 0.0;

  PetscFunctionBegin;
  PetscCall(PetscBLASIntCast(gc->nloc, &m));
  PetscCall(PetscBLASIntCast(kc, &n));
  PetscCall(PetscArrayzero(R, kc * kc));
  if (gc->nloc) {
    PetscCallBLAS("BLASsyrk", BLASsyrk_("U", "T", &n, &m, &one, gc->Ca, &m, &zero, R, &n));
    PetscCall(PetscLogFlops(1.0 * gc->nloc * kc * (kc + 1)));
  }
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, R, (PetscMPIInt)(kc * kc), MPIU_SCALAR, MPIU_SUM, comm));
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    PetscBLASInt info;
    PetscReal    dmin = PETSC_MAX_REAL, dmax = 0.0;

    PetscCallBLAS("LAPACKpotrf", LAPACKpotrf_("U", &n, R, &n, &info));
    if (!info) {
      for (PetscInt i = 0; i < kc; i++) {
        dmin = PetscMin(dmin, PetscAbsScalar(R[i + i * kc]));
        dmax = PetscMax(dmax, PetscAbsScalar(R[i + i * kc]));
      }
      good = dmin > GCRODR_CHOLQR_TOL * dmax;
    }
  }
  PetscCallMPI(MPI_Bcast(&good, 1, MPI_INT, 0, comm));
  *ok = good ? PETSC_TRUE : PETSC_FALSE;
  if (!good) PetscFunctionReturn(0);
  PetscCallMPI(MPI_Bcast(R, (PetscMPIInt)(kc * kc), MPIU_SCALAR, 0, comm));
  for (PetscInt j = 0; j < kc; j++)
    for (PetscInt i = j + 1; i < kc; i++) R[i + j * kc] = 0.0; /* SYRK/potrf leave the strict lower triangle */
  if (apply) PetscCall(GCRODRBlockTrsm(ksp, R, gc->Ca, gc->C));
  PetscFunctionReturn(0);
}

/* U <- U R^{-1}, Uh <- Uh R^{-1} for the upper-triangular kc x kc factor R that was applied to C. */
static PetscErrorCode GCRODRApplyRinvToU(KSP ksp, const PetscScalar *R)
{
  KSP_GCRODR *gc = (KSP_GCRODR *)ksp->data;

  PetscFunctionBegin;
  PetscCall(GCRODRBlockTrsm(ksp, R, gc->Ua, gc->U));
  PetscCall(GCRODRBlockTrsm(ksp, R, gc->Uha, gc->Uh));
  PetscFunctionReturn(0);
}

/* The recycled vectors U (or Uh = M^{-1} U, when precond) as the method defines them, for callers outside the
   solver (KSPGCRODRGet[Preconditioned]RecycleSpace). With a pending factor they are formed out of place,
   U~ T^{-1} in the scratch block of the next update, so the solver's own state, and with it every later
   iterate, is the same whether or not a run asked for its space (a checkpoint must not change the results). */
PetscErrorCode GCRODRMaterialise(KSP ksp, PetscBool precond, Vec **vecs)
{
  KSP_GCRODR  *gc = (KSP_GCRODR *)ksp->data;
  PetscInt     kc = gc->kcur;
  PetscScalar *out;

  PetscFunctionBegin;
  *vecs = precond ? gc->Uh : gc->U;
  if (!gc->tpend || !kc) PetscFunctionReturn(0);
  out = precond ? gc->Uhnewa : gc->Unewa;
  PetscCall(PetscArraycpy(out, precond ? gc->Uha : gc->Ua, (size_t)gc->nloc * kc));
  *vecs = precond ? gc->Uhnew : gc->Unew;
  PetscCall(GCRODRBlockTrsm(ksp, gc->T, out, *vecs));
  PetscFunctionReturn(0);
}

/* ||R||_F ||R^{-1}||_F >= cond_2(R) for an upper-triangular kc x kc R (nonsingular); W is kc x kc scratch. */
static PetscReal GCRODRCondF(PetscInt kc, const PetscScalar *R, PetscScalar *W)
{
  PetscReal nr = 0.0, ni = 0.0;

  for (PetscInt j = 0; j < kc; j++) {
    /* column j of R^{-1}: solve R w = e_j by back substitution */
    for (PetscInt i = kc - 1; i >= 0; i--) {
      PetscScalar sum = (i == j) ? 1.0 : 0.0;

      for (PetscInt l = i + 1; l <= j; l++) sum -= R[i + l * kc] * W[l + j * kc];
      W[i + j * kc] = i > j ? 0.0 : sum / R[i + i * kc];
    }
    for (PetscInt i = 0; i <= j; i++) {
      nr += PetscRealPart(R[i + j * kc] * PetscConj(R[i + j * kc]));
      ni += PetscRealPart(W[i + j * kc] * PetscConj(W[i + j * kc]));
    }
  }
  return PetscSqrtReal(nr * ni);
}

/* CholQR2 of C~ = A U: CholeskyQR passes on C alone (C~ = C R2 R1), then U and Uh take the combined factor in
   one triangular solve each. C~ is usually close to orthonormal already (A_new U where A_old U was), so one pass
   is usually enough (GCRODR_CHOLQR_ONEPASS); its factor then stays pending (tpend, T = R1) and no block is
   touched. Otherwise the second pass restores what cond(C~)^2 cost. *ok = false when the first pass fails
   (nothing changed); if only the second fails, U and Uh get R1 so that A U = C still holds and the caller
   finishes with Gram-Schmidt. */
static PetscErrorCode GCRODRCholQR2(KSP ksp, PetscBool *ok)
{
  KSP_GCRODR  *gc = (KSP_GCRODR *)ksp->data;
  PetscInt     kc = gc->kcur;
  PetscScalar *R1, *R2, *R;
  PetscBool    ok1, ok2 = PETSC_FALSE;

  PetscFunctionBegin;
  *ok = PETSC_FALSE;
  PetscCall(PetscMalloc3(kc * kc, &R1, kc * kc, &R2, kc * kc, &R));
  PetscCall(GCRODRCholQRPass(ksp, PETSC_FALSE, R1, &ok1));
  if (ok1 && GCRODRCondF(kc, R1, R2) <= GCRODR_CHOLQR_ONEPASS) {
    /* C~ was well conditioned: C = C~ R1^{-1} is orthonormal to ~eps cond(C~)^2 <= 1e-12; U~ is untouched, so
       its column norms stay valid */
    PetscCall(PetscArraycpy(gc->T, R1, kc * kc));
    gc->tpend = PETSC_TRUE;
    *ok       = PETSC_TRUE;
  } else if (ok1) {
    PetscCall(GCRODRBlockTrsm(ksp, R1, gc->Ca, gc->C));
    PetscCall(GCRODRCholQRPass(ksp, PETSC_TRUE, R2, &ok2));
    if (ok2) { /* R = R2 R1, both upper triangular */
      for (PetscInt j = 0; j < kc; j++)
        for (PetscInt i = 0; i < kc; i++) {
          PetscScalar s = 0.0;

          for (PetscInt l = i; l <= j; l++) s += R2[i + l * kc] * R1[l + j * kc];
          R[i + j * kc] = s;
        }
    }
    PetscCall(GCRODRApplyRinvToU(ksp, ok2 ? R : R1));
    *ok = ok2;
  }
  PetscCall(PetscFree3(R1, R2, R));
  PetscFunctionReturn(0);
}

/* C~ = A U~ for all kcur columns. For AIJ matrices one sparse-times-dense product (PETSc streams the matrix once
   for several columns) instead of kcur MatMults; other types fall back to the columns one by one. */
static PetscErrorCode GCRODRApplyOperator(KSP ksp, Mat A)
{
  KSP_GCRODR *gc = (KSP_GCRODR *)ksp->data;
  PetscInt    kc = gc->kcur, N;
  PetscBool   aij;
  Mat         Ud, Cd;
  MPI_Comm    comm = PetscObjectComm((PetscObject)ksp);

  PetscFunctionBegin;
  PetscCall(PetscObjectTypeCompareAny((PetscObject)A, &aij, MATSEQAIJ, MATMPIAIJ, ""));
  if (!aij || kc < 2) {
    for (PetscInt i = 0; i < kc; i++) PetscCall(KSP_MatMult(ksp, A, gc->U[i], gc->C[i]));
    PetscFunctionReturn(0);
  }
  PetscCall(VecGetSize(gc->r, &N));
  PetscCall(MatCreateDense(comm, gc->nloc, PETSC_DECIDE, N, kc, gc->Ua, &Ud));
  PetscCall(MatCreateDense(comm, gc->nloc, PETSC_DECIDE, N, kc, gc->Ca, &Cd));
  PetscCall(MatProductCreateWithMat(A, Ud, NULL, Cd));
  PetscCall(MatProductSetType(Cd, MATPRODUCT_AB));
  PetscCall(MatProductSetFromOptions(Cd));
  PetscCall(MatProductSymbolic(Cd));
  PetscCall(MatProductNumeric(Cd));
  PetscCall(MatDestroy(&Ud));
  PetscCall(MatDestroy(&Cd));
  for (PetscInt i = 0; i < kc; i++) PetscCall(PetscObjectStateIncrease((PetscObject)gc->C[i]));
  PetscFunctionReturn(0);
}

/* Step 1 of the paper for a new operator: C~ = A U, thin QR C~ = C R by CGS2 with dropping of dependent columns,
   U <- U R^{-1} (and Uh alike), so that A U = C and C^T C = I hold for the operator of this solve. */
PetscErrorCode GCRODRRecycleForOperator(KSP ksp, Mat A)
{
  KSP_GCRODR *gc = (KSP_GCRODR *)ksp->data;
  PetscInt    i, l, nk = 0, kc = gc->kcur, pass;
  PetscReal   maxnorm = 0.0, rii;
  PetscReal  *cn      = gc->unorm; /* reused as scratch, recomputed at the end */

  PetscFunctionBegin;
  gc->c_pending = PETSC_FALSE; /* C is rebuilt from U below */
  gc->tpend     = PETSC_FALSE; /* from U~, which spans the same space as U = U~ T^{-1} */
  if (!kc) PetscFunctionReturn(0);
  PetscCall(PetscLogEventBegin(SKUA_GCRODR_Recycle, ksp, 0, 0, 0));
  PetscCall(GCRODRApplyOperator(ksp, A));
  if (gc->uh_exact) {
    PetscBool ok;

    PetscCall(GCRODRCholQR2(ksp, &ok));
    if (ok) {
      if (!gc->tpend) PetscCall(GCRODRUNorms(ksp));
      PetscCall(PetscLogEventEnd(SKUA_GCRODR_Recycle, ksp, 0, 0, 0));
      PetscFunctionReturn(0);
    }
  }
  for (i = 0; i < kc; i++) PetscCall(VecNormBegin(gc->C[i], NORM_2, &cn[i]));
  for (i = 0; i < kc; i++) PetscCall(VecNormEnd(gc->C[i], NORM_2, &cn[i]));
  for (i = 0; i < kc; i++) maxnorm = PetscMax(maxnorm, cn[i]);
  for (i = 0; i < kc; i++) {
    PetscScalar *rc = gc->coef;

    PetscCall(PetscArrayzero(rc, nk + 1));
    for (pass = 0; pass < 2 && nk > 0; pass++) {
      PetscCall(VecMDot(gc->C[i], nk, gc->C, gc->y));
      for (l = 0; l < nk; l++) {
        rc[l] += gc->y[l];
        gc->ncoef[l] = -gc->y[l];
      }
      PetscCall(VecMAXPY(gc->C[i], nk, gc->ncoef, gc->C));
    }
    PetscCall(VecNorm(gc->C[i], NORM_2, &rii));
    if (!(rii > GCRODR_DROPTOL * maxnorm)) {
      PetscCall(PetscInfo(ksp, "GCRODR: recycled column %" PetscInt_FMT " dropped, |R_ii| = %g vs max %g\n", i, (double)rii, (double)maxnorm));
      continue;
    }
    /* the kept column moves to slot nk; slots in [nk, i) hold dropped columns (contents move, so the
       columns stay in storage order for the block products) */
    if (nk != i) {
      PetscCall(VecSwap(gc->C[nk], gc->C[i]));
      PetscCall(VecSwap(gc->U[nk], gc->U[i]));
      PetscCall(VecSwap(gc->Uh[nk], gc->Uh[i]));
    }
    for (l = 0; l < nk; l++) gc->ncoef[l] = -rc[l];
    if (nk) {
      PetscCall(VecMAXPY(gc->U[nk], nk, gc->ncoef, gc->U));
      PetscCall(VecMAXPY(gc->Uh[nk], nk, gc->ncoef, gc->Uh));
    }
    PetscCall(VecScale(gc->C[nk], 1.0 / rii));
    PetscCall(VecScale(gc->U[nk], 1.0 / rii));
    PetscCall(VecScale(gc->Uh[nk], 1.0 / rii));
    nk++;
  }
  gc->kcur = nk;
  if (!gc->uh_exact) PetscCall(GCRODRFitUh(ksp));
  PetscCall(GCRODRUNorms(ksp));
  PetscCall(PetscLogEventEnd(SKUA_GCRODR_Recycle, ksp, 0, 0, 0));
  PetscFunctionReturn(0);
}

/* x <- x + U C^T r, r <- r - C C^T r: the best correction from the recycle space, leaves r _|_ range(C) */
PetscErrorCode GCRODRProjectResidual(KSP ksp, Vec x, PetscReal *rnorm)
{
  KSP_GCRODR  *gc = (KSP_GCRODR *)ksp->data;
  PetscInt     kc = gc->kcur;
  PetscScalar *ra, *xa;

  PetscFunctionBegin;
  if (!kc) PetscFunctionReturn(0);
  /* GEMVs on the contiguous blocks (one reduction), as in the Arnoldi steps */
  PetscCall(VecGetArray(gc->r, &ra));
  PetscCall(GCRODRGemvT(gc->nloc, kc, gc->Ca, ra, gc->coef));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, gc->coef, (PetscMPIInt)kc, MPIU_SCALAR, MPIU_SUM, PetscObjectComm((PetscObject)ksp)));
  if (gc->tpend) { /* U C^T r = U~ T^{-1} T^{-T} C~^T r, and C C^T r likewise */
    GCRODRTSolve(gc, PETSC_TRUE, gc->coef);
    GCRODRTSolve(gc, PETSC_FALSE, gc->coef);
  }
  PetscCall(GCRODRGemvN(gc->nloc, kc, -1.0, gc->Ca, gc->coef, ra)); /* r -= C c */
  PetscCall(VecRestoreArray(gc->r, &ra));
  PetscCall(VecGetArray(x, &xa));
  PetscCall(GCRODRGemvN(gc->nloc, kc, 1.0, gc->Ua, gc->coef, xa)); /* x += U c */
  PetscCall(VecRestoreArray(x, &xa));
  PetscCall(VecNorm(gc->r, NORM_2, rnorm));
  PetscFunctionReturn(0);
}

/* Step 4 of the paper after a cycle of j Arnoldi steps: harmonic Ritz vectors of A M over Vhat = [U D, Z_j],
   with What = [C, V_{j+1}], Ghat = [[D, B], [0, Hbar]] and What^T M^{-1} Vhat = [[C^T Uh D, 0], [V^T Uh D, [I; 0]]]. */
PetscErrorCode GCRODRUpdateRecycle(KSP ksp, PetscInt j, PetscBool defer_c)
{
  KSP_GCRODR  *gc = (KSP_GCRODR *)ksp->data;
  PetscInt     kc = gc->kcur, n = kc + j, ld = gc->m + 1, i, l, kk, kallow;
  PetscScalar *G = gc->G, *W = gc->WtV;
  MPI_Comm     comm = PetscObjectComm((PetscObject)ksp);
  PetscMPIInt  rank;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(SKUA_GCRODR_Recycle, ksp, 0, 0, 0));
  PetscCall(PetscArrayzero(G, ld * n));
  PetscCall(PetscArrayzero(W, ld * n));
  /* only the k (m+1) inner products What^T Uh are new: two local GEMMs ([C, V]^T Uh) and one reduction */
  if (kc) {
    PetscCall(BlockDots(gc->nloc, kc, kc, gc->Ca, gc->Uha, W, ld));
    PetscCall(BlockDots(gc->nloc, j + 1, kc, gc->Va, gc->Uha, W + kc, ld));
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, W, (PetscMPIInt)(ld * kc), MPIU_SCALAR, MPIU_SUM, comm));
  }
  /* with a pending factor the basis is [U~ D, Z] (D = diag(1/||U~_i||)): A U~ D = C T D, and C^T Uh~ =
     T^{-T} C~^T Uh~; the harmonic Ritz values do not depend on the basis of the space */
  for (i = 0; i < kc; i++) {
    if (gc->tpend) {
      GCRODRTSolve(gc, PETSC_TRUE, W + i * ld);
      for (l = 0; l <= i; l++) G[l + i * ld] = gc->T[l + i * kc] / gc->unorm[i];
    } else G[i + i * ld] = 1.0 / gc->unorm[i];
    for (l = 0; l <= n; l++) W[l + i * ld] /= gc->unorm[i];
  }
  for (i = 0; i < j; i++) {
    W[kc + i + (kc + i) * ld] = 1.0;
    for (l = 0; l < kc; l++) G[l + (kc + i) * ld] = gc->B[l + i * gc->kmax];
    for (l = 0; l <= i + 1; l++) G[kc + l + (kc + i) * ld] = gc->H[l + i * ld];
  }
  /* at least one Arnoldi step must remain in the next cycle */
  kallow = PetscMin(gc->kmax, gc->m - 1);
  /* Rank 0 decides and broadcasts: ranks must never pick different spaces, whatever LAPACK's round-off
     (threaded BLAS, a pair at the selection boundary) does; the message is (m+1) k numbers per cycle. */
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) PetscCall(GCRODRHarmonicRitz(n, ld, G, W, gc->k, kallow, &kk, gc->Q, gc->Yc));
  PetscCallMPI(MPI_Bcast(&kk, 1, MPIU_INT, 0, comm));
  if (kk) {
    PetscCallMPI(MPI_Bcast(gc->Q, (PetscMPIInt)(ld * kk), MPIU_SCALAR, 0, comm));
    PetscCallMPI(MPI_Bcast(gc->Yc, (PetscMPIInt)(ld * kk), MPIU_SCALAR, 0, comm));
  }

  /* C <- What Q, U <- [U D, Z] Y, Uh <- [Uh D, V] Y; with a pending factor What = [C~ T^{-1}, V] */
  for (i = 0; i < kk; i++) {
    for (l = 0; l < kc; l++) gc->Yc[l + i * ld] /= gc->unorm[l];
    if (gc->tpend) GCRODRTSolve(gc, PETSC_FALSE, gc->Q + i * ld);
  }
  if (!defer_c) {
    PetscCall(BlockGemm(gc->nloc, kk, kc, gc->Ca, gc->Q, ld, 0.0, gc->Cnewa));
    PetscCall(BlockGemm(gc->nloc, kk, j + 1, gc->Va, gc->Q + kc, ld, 1.0, gc->Cnewa));
  }
  PetscCall(BlockGemm(gc->nloc, kk, kc, gc->Ua, gc->Yc, ld, 0.0, gc->Unewa));
  PetscCall(BlockGemm(gc->nloc, kk, j, gc->Za, gc->Yc + kc, ld, 1.0, gc->Unewa));
  PetscCall(BlockGemm(gc->nloc, kk, kc, gc->Uha, gc->Yc, ld, 0.0, gc->Uhnewa));
  PetscCall(BlockGemm(gc->nloc, kk, j, gc->Va, gc->Yc + kc, ld, 1.0, gc->Uhnewa));
  /* the arrays changed behind the Vecs' backs */
  for (i = 0; i < kk; i++) {
    if (!defer_c) PetscCall(PetscObjectStateIncrease((PetscObject)gc->Cnew[i]));
    PetscCall(PetscObjectStateIncrease((PetscObject)gc->Unew[i]));
    PetscCall(PetscObjectStateIncrease((PetscObject)gc->Uhnew[i]));
  }
  SwapBlock(&gc->U, &gc->Ua, &gc->Unew, &gc->Unewa);
  SwapBlock(&gc->Uh, &gc->Uha, &gc->Uhnew, &gc->Uhnewa);
  if (defer_c) {
    gc->c_pending    = kk > 0 ? PETSC_TRUE : PETSC_FALSE;
    gc->c_pending_kc = kc;
    gc->c_pending_j  = j;
  } else SwapBlock(&gc->C, &gc->Ca, &gc->Cnew, &gc->Cnewa);
  gc->kcur  = kk;
  gc->tpend = PETSC_FALSE;
  PetscCall(GCRODRUNorms(ksp));
  PetscCall(PetscLogEventEnd(SKUA_GCRODR_Recycle, ksp, 0, 0, 0));
  PetscFunctionReturn(0);
}

/* Forms the C = What Q that the update of the converged cycle left pending (the old C, V and Q are untouched
   until the next cycle); needed only when the next solve keeps the operator, e.g. the time steps of one heat
   sample, or when the true residual sends the solve into another cycle. */
PetscErrorCode GCRODRFlushC(KSP ksp)
{
  KSP_GCRODR *gc = (KSP_GCRODR *)ksp->data;
  PetscInt    kc = gc->c_pending_kc, j = gc->c_pending_j, ld = gc->m + 1, kk = gc->kcur;

  PetscFunctionBegin;
  if (!gc->c_pending) PetscFunctionReturn(0);
  gc->c_pending = PETSC_FALSE;
  PetscCall(PetscLogEventBegin(SKUA_GCRODR_Recycle, ksp, 0, 0, 0));
  PetscCall(BlockGemm(gc->nloc, kk, kc, gc->Ca, gc->Q, ld, 0.0, gc->Cnewa));
  PetscCall(BlockGemm(gc->nloc, kk, j + 1, gc->Va, gc->Q + kc, ld, 1.0, gc->Cnewa));
  for (PetscInt i = 0; i < kk; i++) PetscCall(PetscObjectStateIncrease((PetscObject)gc->Cnew[i]));
  SwapBlock(&gc->C, &gc->Ca, &gc->Cnew, &gc->Cnewa);
  PetscCall(PetscLogEventEnd(SKUA_GCRODR_Recycle, ksp, 0, 0, 0));
  PetscFunctionReturn(0);
}
