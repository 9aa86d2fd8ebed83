/* Dense spectral quantities in AdaSketch-Newton's constants (Hong, Na, Mahoney, Kolar, ICML 2023): the smallest
   eigenvalue of J J^T and of the reduced Hessian Z^T H Z (Z a basis of null(J)), for small problems. */
#include "constrainedimpl.h"
#include <petscblaslapack.h>

/* Column-major dense copy of a parallel Mat on every rank (each entry comes from one rank, so the sum is exact). */
static PetscErrorCode GatherDense(MPI_Comm comm, Mat A, PetscInt *M, PetscInt *Nc, PetscReal **a)
{
  PetscInt rs, re;

  PetscFunctionBegin;
  PetscCall(MatGetSize(A, M, Nc));
  PetscCall(PetscCalloc1((size_t)(*M) * (*Nc) + 1, a));
  PetscCall(MatGetOwnershipRange(A, &rs, &re));
  for (PetscInt i = rs; i < re; i++) {
    PetscInt           nc;
    const PetscInt    *cols;
    const PetscScalar *vals;
    PetscCall(MatGetRow(A, i, &nc, &cols, &vals));
    for (PetscInt k = 0; k < nc; k++) (*a)[i + (size_t)cols[k] * (*M)] = PetscRealPart(vals[k]);
    PetscCall(MatRestoreRow(A, i, &nc, &cols, &vals));
  }
  PetscCall(MPIU_Allreduce(MPI_IN_PLACE, *a, (PetscMPIInt)((*M) * (*Nc)), MPIU_REAL, MPIU_SUM, comm));
  PetscFunctionReturn(0);
}

static PetscErrorCode SymEigMin(PetscInt n, PetscReal *a, PetscReal *emin)
{
  PetscBLASInt bn, lwork, info;
  PetscReal   *w, *work;

  PetscFunctionBegin;
  PetscCall(PetscBLASIntCast(n, &bn));
  PetscCall(PetscBLASIntCast(3 * n + 64, &lwork));
  PetscCall(PetscMalloc2(n, &w, 3 * n + 64, &work));
  PetscCallBLAS("LAPACKsyev", LAPACKsyev_("N", "L", &bn, a, &bn, w, work, &lwork, &info));
  PetscCheck(!info, PETSC_COMM_SELF, PETSC_ERR_LIB, "LAPACK syev failed (info %d)", (int)info);
  *emin = w[0];
  PetscCall(PetscFree2(w, work));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaConstrainedSpectral(MPI_Comm comm, Mat H, Mat J, PetscReal *xi_g, PetscReal *hmin_red)
{
  PetscInt   m, n, n2, n3;
  PetscReal *Jd, *Hd, *G;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(SKUA_CONSTRAINED_Spectral, 0, 0, 0, 0));
  PetscCall(GatherDense(comm, J, &m, &n, &Jd));
  PetscCall(PetscMalloc1((size_t)m * m, &G));
  for (PetscInt i = 0; i < m; i++)
    for (PetscInt j = 0; j < m; j++) {
      PetscReal v = 0;
      for (PetscInt k = 0; k < n; k++) v += Jd[i + (size_t)k * m] * Jd[j + (size_t)k * m];
      G[i + (size_t)j * m] = v;
    }
  PetscCall(SymEigMin(m, G, xi_g));
  PetscCall(PetscFree(G));
  *hmin_red = PETSC_INFINITY;
  if (H && m < n) {
    PetscBLASInt bm, bn, lwork, info, one = 1;
    PetscReal   *sv, *vt, *work, *Z, *HZ, *R, dummy;
    PetscInt     p = n - m;

    PetscCall(GatherDense(comm, H, &n2, &n3, &Hd));
    PetscCall(PetscBLASIntCast(m, &bm));
    PetscCall(PetscBLASIntCast(n, &bn));
    PetscCall(PetscBLASIntCast(5 * (m + n) + 64, &lwork));
    PetscCall(PetscMalloc6(PetscMin(m, n), &sv, (size_t)n * n, &vt, 5 * (m + n) + 64, &work, (size_t)n * p, &Z, (size_t)n * p, &HZ, (size_t)p * p, &R));
    /* Rows m..n-1 of V^T span null(J) when J has full row rank (the paper's assumption). */
    PetscCallBLAS("LAPACKgesvd", LAPACKgesvd_("N", "A", &bm, &bn, Jd, &bm, sv, &dummy, &one, vt, &bn, work, &lwork, &info));
    PetscCheck(!info, PETSC_COMM_SELF, PETSC_ERR_LIB, "LAPACK gesvd failed (info %d) on the Jacobian", (int)info);
    for (PetscInt k = 0; k < p; k++)
      for (PetscInt j = 0; j < n; j++) Z[j + (size_t)k * n] = vt[(m + k) + (size_t)j * n];
    for (PetscInt k = 0; k < p; k++)
      for (PetscInt i = 0; i < n; i++) {
        PetscReal v = 0;
        for (PetscInt j = 0; j < n; j++) v += Hd[i + (size_t)j * n] * Z[j + (size_t)k * n];
        HZ[i + (size_t)k * n] = v;
      }
    for (PetscInt a = 0; a < p; a++)
      for (PetscInt b = 0; b < p; b++) {
        PetscReal v = 0;
        for (PetscInt i = 0; i < n; i++) v += Z[i + (size_t)a * n] * HZ[i + (size_t)b * n];
        R[a + (size_t)b * p] = v;
      }
    PetscCall(SymEigMin(p, R, hmin_red));
    PetscCall(PetscFree6(sv, vt, work, Z, HZ, R));
    PetscCall(PetscFree(Hd));
  }
  PetscCall(PetscFree(Jd));
  PetscCall(PetscLogEventEnd(SKUA_CONSTRAINED_Spectral, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}
