/* Dense harmonic-Ritz step of GCRO-DR (Parks, de Sturler, Mackey, Johnson, Maiti, SISC 28(5), 2006): pencil by LAPACK dggev, thin QR. */
#include "gcrodr_impl.h"
#include <petscblaslapack.h>

/* dggev is not declared by petscblaslapack.h. Debian's LAPACK is built by gfortran, which passes the lengths of
   CHARACTER arguments as trailing hidden size_t arguments; passing them keeps the call well defined. */
extern void dggev_(const char *jobvl, const char *jobvr, const PetscBLASInt *n, double *a, const PetscBLASInt *lda, double *b, const PetscBLASInt *ldb, double *alphar, double *alphai, double *beta, double *vl, const PetscBLASInt *ldvl, double *vr, const PetscBLASInt *ldvr, double *work, const PetscBLASInt *lwork, PetscBLASInt *info, size_t ljobvl, size_t ljobvr);

/* A real harmonic Ritz value is one eigenvector column, a complex-conjugate pair two (real and imaginary part). */
typedef struct {
  PetscReal mod;
  PetscInt  first, size;
} EigGroup;

static int CompareEigGroup(const void *a, const void *b)
{
  const EigGroup *x = (const EigGroup *)a, *y = (const EigGroup *)b;

  if (x->mod < y->mod) return -1;
  if (x->mod > y->mod) return 1;
  /* ties broken by position so the choice never depends on qsort's internals */
  return (x->first < y->first) ? -1 : (x->first > y->first);
}

PetscErrorCode GCRODRHarmonicRitz(PetscInt n, PetscInt ld, const PetscScalar *G, const PetscScalar *WtV, PetscInt ktarget, PetscInt kmaxallowed, PetscInt *kk, PetscScalar *Q, PetscScalar *Y)
{
  PetscBLASInt bn, bn1, bld, bkq, lwork, info, one = 1;
  PetscScalar *Ae, *Be, *VR, *P, *GP, *tau, *work, wq, dummy = 0.0, sone = 1.0, szero = 0.0;
  PetscReal   *ar, *ai, *be, rmax = 0.0;
  EigGroup    *grp;
  PetscInt     ng = 0, kq = 0, i, j, l;

  PetscFunctionBegin;
  *kk = 0;
  ktarget     = PetscMin(ktarget, n);
  kmaxallowed = PetscMin(kmaxallowed, n);
  if (ktarget <= 0 || kmaxallowed <= 0) PetscFunctionReturn(0);
  PetscCall(PetscLogEventBegin(SKUA_GCRODR_Eig, 0, 0, 0, 0));
  PetscCall(PetscBLASIntCast(n, &bn));
  PetscCall(PetscBLASIntCast(n + 1, &bn1));
  PetscCall(PetscBLASIntCast(ld, &bld));
  PetscCall(PetscMalloc5(n * n, &Ae, n * n, &Be, n * n, &VR, n * (kmaxallowed + 1), &P, (n + 1) * (kmaxallowed + 1), &GP));
  PetscCall(PetscMalloc5(n, &ar, n, &ai, n, &be, n + 1, &tau, n, &grp));

  /* G^T G z = theta G^T (W^T M^{-1} Vhat) z: the harmonic Ritz condition (A M) s - theta s _|_ range(A Vhat) */
  BLASgemm_("T", "N", &bn, &bn, &bn1, &sone, G, &bld, G, &bld, &szero, Ae, &bn);
  BLASgemm_("T", "N", &bn, &bn, &bn1, &sone, G, &bld, WtV, &bld, &szero, Be, &bn);

  lwork = -1;
  dggev_("N", "V", &bn, Ae, &bn, Be, &bn, ar, ai, be, &dummy, &one, VR, &bn, &wq, &lwork, &info, 1, 1);
  PetscCall(PetscBLASIntCast((PetscInt)PetscRealPart(wq) + 1, &lwork));
  lwork = PetscMax(lwork, 8 * bn + 16);
  PetscCall(PetscMalloc1(lwork, &work));
  dggev_("N", "V", &bn, Ae, &bn, Be, &bn, ar, ai, be, &dummy, &one, VR, &bn, work, &lwork, &info, 1, 1);
  if (info) {
    /* A failed QZ iteration costs only the recycle space of this cycle, so carry on without one */
    PetscCall(PetscInfo(NULL, "GCRODR: LAPACK dggev returned info %d on a %" PetscInt_FMT " x %" PetscInt_FMT " pencil; recycle space dropped\n", (int)info, n, n));
    goto done;
  }

  for (j = 0; j < n;) {
    PetscReal mod;
    PetscInt  size = (ai[j] != 0.0 && j + 1 < n) ? 2 : 1;

    if (be[j] == 0.0) mod = PETSC_MAX_REAL; /* infinite eigenvalue: the least useful direction */
    else mod = PetscSqrtReal(ar[j] * ar[j] + ai[j] * ai[j]) / PetscAbsReal(be[j]);
    if (PetscIsInfOrNanReal(mod)) mod = PETSC_MAX_REAL;
    grp[ng].mod   = mod;
    grp[ng].first = j;
    grp[ng].size  = size;
    ng++;
    j += size;
  }
  qsort(grp, (size_t)ng, sizeof(EigGroup), CompareEigGroup);

  /* Split pairs would leave a recycle space that is not invariant under conjugation; a pair at the boundary
     is taken whole (k + 1) when there is room, otherwise dropped (k - 1). */
  for (i = 0; i < ng && kq < ktarget; i++) {
    if (grp[i].size == 2 && kq + 2 > ktarget && kq + 2 > kmaxallowed) break;
    for (l = 0; l < grp[i].size; l++) PetscCall(PetscArraycpy(P + (kq + l) * n, VR + (grp[i].first + l) * n, n));
    kq += grp[i].size;
  }
  if (!kq) goto done;

  /* thin QR of G P; Y = P R^{-1} satisfies G Y = Q */
  PetscCall(PetscBLASIntCast(kq, &bkq));
  BLASgemm_("N", "N", &bn1, &bkq, &bn, &sone, G, &bld, P, &bn, &szero, GP, &bn1);
  LAPACKgeqrf_(&bn1, &bkq, GP, &bn1, tau, work, &lwork, &info);
  PetscCheck(!info, PETSC_COMM_SELF, PETSC_ERR_LIB, "LAPACK dgeqrf failed with info %d in the GCRODR recycle update", (int)info);
  for (i = 0; i < kq; i++) rmax = PetscMax(rmax, PetscAbsScalar(GP[i + i * (n + 1)]));
  for (i = 0; i < kq; i++) {
    /* a numerically dependent direction would blow up U = Vhat P R^{-1}; keep the leading independent ones */
    if (!(PetscAbsScalar(GP[i + i * (n + 1)]) > 1e-12 * rmax)) break;
  }
  kq = i;
  if (!kq) goto done;
  for (i = 0; i < kq; i++) {
    for (j = 0; j < n; j++) {
      PetscScalar s = P[j + i * n];

      for (l = 0; l < i; l++) s -= Y[j + l * ld] * GP[l + i * (n + 1)];
      Y[j + i * ld] = s / GP[i + i * (n + 1)];
    }
  }
  PetscCall(PetscBLASIntCast(kq, &bkq));
  LAPACKorgqr_(&bn1, &bkq, &bkq, GP, &bn1, tau, work, &lwork, &info);
  PetscCheck(!info, PETSC_COMM_SELF, PETSC_ERR_LIB, "LAPACK dorgqr failed with info %d in the GCRODR recycle update", (int)info);
  for (i = 0; i < kq; i++) PetscCall(PetscArraycpy(Q + i * ld, GP + i * (n + 1), n + 1));
  *kk = kq;

done:
  PetscCall(PetscFree(work));
  PetscCall(PetscFree5(Ae, Be, VR, P, GP));
  PetscCall(PetscFree5(ar, ai, be, tau, grp));
  PetscCall(PetscLogEventEnd(SKUA_GCRODR_Eig, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}
