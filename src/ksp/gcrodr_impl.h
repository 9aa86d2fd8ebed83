/* Private data of KSPGCRODR, GCRO-DR(m, k) of Parks, de Sturler, Mackey, Johnson, Maiti, SISC 28(5), 2006. */
#ifndef SKUA_GCRODR_IMPL_H
#define SKUA_GCRODR_IMPL_H

#include <petsc/private/kspimpl.h>
#include <skua/ksp.h>

PETSC_INTERN PetscLogEvent SKUA_GCRODR_Arnoldi, SKUA_GCRODR_Recycle, SKUA_GCRODR_Eig;

typedef struct {
  PetscInt  m;     /* search-space dimension per cycle: kcur recycled + (m - kcur) Arnoldi vectors */
  PetscInt  k;     /* requested recycle dimension */
  PetscBool reuse; /* keep U across KSPSolve() calls */
  /* Step 4 (harmonic Ritz update, about 8 k (m+1) n flops) follows every cycle whose residual reduction is
     weaker than skip_tol among the first update_early cycles of a solve (-1: all cycles; a converged cycle shorter
     than (m - k)/2 steps is never slow), and at least once update_interval (m - k) Arnoldi steps have run since
     the last update (counted across solves); update_interval = 1 is the algorithm of the paper (an update after
     every cycle). */
  PetscInt  update_interval;
  PetscInt  update_early;
  PetscReal skip_tol;
  PetscInt  ncycle; /* cycles of the current solve before the current one */
  PetscInt  nsteps; /* Arnoldi steps since the last update of the recycle space */
  /* Arnoldi runs one classical Gram-Schmidt pass and a second only when the first cancelled ||w|| below this
     fraction (-ksp_gcrodr_reorth_tol; 1/sqrt(2) is Kahan-Parlett's "twice is enough", 0 never repeats) */
  PetscReal reorth_tol;
  /* After the cycle that converged, C = What Q is not formed at once: the next solve usually has a new
     operator and rebuilds C = A U anyway. Q, the old C and V stay in place until GCRODRFlushC() needs them. */
  PetscBool c_pending;
  PetscInt  c_pending_kc, c_pending_j;

  /* Storage holds k + 1 recycled vectors so that a complex-conjugate harmonic Ritz pair at the boundary can be
     kept whole instead of being split. */
  PetscInt  kmax;
  PetscInt  kcur;        /* current recycle dimension, 0 <= kcur <= kmax */
  PetscBool allocated;
  PetscBool uh_exact;    /* false after KSPGCRODRSetRecycleSpace(): Uh is then refitted from M C (GCRODRFitUh) */

  /* Right preconditioning, operator A M. U lives in solution space and C = A U, so a rebuilt M does not
     invalidate the pair. Uh = M^{-1} U is the residual-space image, only needed for the harmonic Ritz
     projection W^T (M^{-1} Vhat); it is carried along by the same linear combinations as U. */
  Vec       *U, *Uh, *C;
  Vec       *Unew, *Uhnew, *Cnew;
  /* Each family of vectors lives in one column-major array (vector i at offset i * nloc), so the recycle
     update and its inner products are BLAS-3 GEMMs rather than k (m+1) separate vector updates. */
  PetscScalar *Ua, *Uha, *Ca, *Unewa, *Uhnewa, *Cnewa, *Va, *Za;
  PetscInt     nloc;
  /* The operator C = A U was last built for (id and object state): a solve with the same, unchanged operator
     (e.g. the time steps of one heat sample) keeps C instead of spending k products and a QR on it. */
  PetscObjectId    A_id;
  PetscObjectState A_state;
  /* Lazy CholeskyQR factor: while tpend, the stored blocks hold A U~ = C~ with C~ = C T (T upper triangular,
     kcur x kcur, leading dimension kcur), i.e. C = C~ T^{-1}, U = U~ T^{-1}, Uh = Uh~ T^{-1}. Every use applies
     T^{-1} to kcur coefficients instead of three n x kcur triangular solves per new operator
     (GCRODRMaterialise forms U or Uh out of place for callers outside the solver). */
  PetscBool    tpend;
  PetscScalar *T;
  PetscReal   *unorm; /* ||U~_i|| of the stored columns, the D_k scaling of the paper is 1/unorm */
  Vec       *V;     /* m + 1 Arnoldi vectors (residual space) */
  Vec       *Z;     /* m vectors Z_j = M V_j (solution space), as in flexible GMRES */
  Vec        r, t, xold;

  /* small dense arrays, column major with leading dimension m + 1 */
  PetscScalar *H;       /* Hessenberg of the projected Arnoldi process, (m+1) x m */
  PetscScalar *B;       /* C^T A Z, kmax x m (leading dimension kmax) */
  PetscScalar *HR;      /* copy of H reduced to triangular form by Givens rotations */
  PetscScalar *cs, *sn; /* Givens rotations */
  PetscScalar *g;       /* rotated right-hand side beta e1 */
  PetscScalar *y;       /* least-squares solution, then scratch */
  PetscScalar *coef;    /* kmax + m + 1 inner products */
  PetscScalar *ncoef;   /* their negatives, for VecMAXPY */
  PetscScalar *G;       /* Ghat, (m+1) x m */
  PetscScalar *WtV;     /* What^T M^{-1} Vhat, (m+1) x m */
  PetscScalar *Q;       /* (m+1) x kmax */
  PetscScalar *Yc;      /* m x kmax (leading dimension m+1) */
} KSP_GCRODR;

/* gcrodr_recycle.c: BLAS on the local parts of contiguous blocks (nloc rows, column-major) */
PETSC_INTERN PetscErrorCode GCRODRGemvT(PetscInt nloc, PetscInt ncol, const PetscScalar *A, const PetscScalar *x, PetscScalar *y); /* y = A^T x */
PETSC_INTERN PetscErrorCode GCRODRGemvN(PetscInt nloc, PetscInt ncol, PetscScalar alpha, const PetscScalar *A, const PetscScalar *c, PetscScalar *w); /* w += alpha A c */
/* gcrodr_recycle.c */
PETSC_INTERN PetscErrorCode GCRODRUNorms(KSP);
PETSC_INTERN PetscErrorCode GCRODRRecycleForOperator(KSP, Mat);
PETSC_INTERN PetscErrorCode GCRODRProjectResidual(KSP, Vec, PetscReal *);
PETSC_INTERN PetscErrorCode GCRODRUpdateRecycle(KSP, PetscInt, PetscBool);
PETSC_INTERN PetscErrorCode GCRODRFlushC(KSP);
PETSC_INTERN PetscErrorCode GCRODRMaterialise(KSP, PetscBool, Vec **);
PETSC_INTERN void           GCRODRTSolve(const KSP_GCRODR *, PetscBool, PetscScalar *);

/* gcrodr_eig.c: harmonic Ritz vectors of the pencil (G^T G, G^T WtV), G and WtV (n+1) x n with leading dimension ld.
   On return kk <= kmaxallowed columns: Q ((n+1) x kk, orthonormal) and Y (n x kk) with G Y = Q, i.e.
   Y = P R^{-1} for the thin QR G P = Q R of the selected (real-form) eigenvectors P. */
PETSC_INTERN PetscErrorCode GCRODRHarmonicRitz(PetscInt n, PetscInt ld, const PetscScalar *G, const PetscScalar *WtV, PetscInt ktarget, PetscInt kmaxallowed, PetscInt *kk, PetscScalar *Q, PetscScalar *Y);

#endif
