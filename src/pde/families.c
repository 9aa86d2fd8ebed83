/* PDE families (darcy, poisson, helmholtz, heat): parameter fields and 5-point / 7-point operators on a 2-D / 3-D DMDA (docs/pde.md). */
#include "pdeimpl.h"

/* Face coefficient between two nodes: harmonic mean, written so that it is bit-symmetric in (a, b). */
static inline PetscReal HarmonicMean(PetscReal a, PetscReal b)
{
  return 2.0 * (a * b) / (a + b);
}

/* The 7-point operator on an n^3 DMDA: node p = (k*n + j)*n + i, faces in the fixed order west, east, south,
   north, down (k-1), up (k+1); a boundary face uses K_p. */
static PetscErrorCode AssembleStencil3d(DM da, PetscInt n, const PetscReal *K, const PetscReal *c, PetscReal cconst, PetscReal scale, Mat A)
{
  const PetscReal ih2 = (PetscReal)(n + 1) * (PetscReal)(n + 1);
  const PetscInt  s1 = n, s2 = n * n; /* natural-order strides in y and z */
  PetscInt        xs, ys, zs, xm, ym, zm;

  PetscFunctionBegin;
  PetscCall(DMDAGetCorners(da, &xs, &ys, &zs, &xm, &ym, &zm));
  for (PetscInt k = zs; k < zs + zm; k++) {
    for (PetscInt j = ys; j < ys + ym; j++) {
      for (PetscInt i = xs; i < xs + xm; i++) {
        const PetscInt  p  = (k * n + j) * n + i;
        const PetscReal Kp = K ? K[p] : 1.0;
        const PetscReal kw = (K && i > 0) ? HarmonicMean(Kp, K[p - 1]) : Kp;
        const PetscReal ke = (K && i < n - 1) ? HarmonicMean(Kp, K[p + 1]) : Kp;
        const PetscReal ks = (K && j > 0) ? HarmonicMean(Kp, K[p - s1]) : Kp;
        const PetscReal kn = (K && j < n - 1) ? HarmonicMean(Kp, K[p + s1]) : Kp;
        const PetscReal kd = (K && k > 0) ? HarmonicMean(Kp, K[p - s2]) : Kp;
        const PetscReal ku = (K && k < n - 1) ? HarmonicMean(Kp, K[p + s2]) : Kp;
        MatStencil      row = {0}, col[7];
        PetscScalar     v[7];
        PetscInt        nc = 0;

        row.i = i;
        row.j = j;
        row.k = k;
#define SKUA_COL(ii, jj, kk, val) \
  do { \
    col[nc].i = (ii); col[nc].j = (jj); col[nc].k = (kk); col[nc].c = 0; v[nc++] = (val); \
  } while (0)
        if (k > 0) SKUA_COL(i, j, k - 1, -kd * ih2);
        if (j > 0) SKUA_COL(i, j - 1, k, -ks * ih2);
        if (i > 0) SKUA_COL(i - 1, j, k, -kw * ih2);
        SKUA_COL(i, j, k, (kw + ke + ks + kn + kd + ku) * ih2 + (c ? c[p] : cconst));
        if (i < n - 1) SKUA_COL(i + 1, j, k, -ke * ih2);
        if (j < n - 1) SKUA_COL(i, j + 1, k, -kn * ih2);
        if (k < n - 1) SKUA_COL(i, j, k + 1, -ku * ih2);
#undef SKUA_COL
        if (scale != 1.0)
          for (PetscInt q = 0; q < nc; q++) v[q] *= scale;
        PetscCall(MatSetValuesStencil(A, 1, &row, nc, col, v, INSERT_VALUES));
      }
    }
  }
  PetscFunctionReturn(0);
}

/* The one 5-point / 7-point operator every family (and every multigrid level) uses; see include/skua/pde.h. */
PetscErrorCode SkuaPDEAssembleStencil(DM da, PetscInt n, const PetscReal *K, const PetscReal *c, PetscReal cconst, PetscReal scale, Mat A)
{
  const PetscReal ih2 = (PetscReal)(n + 1) * (PetscReal)(n + 1);
  PetscInt        xs, ys, xm, ym, dim;

  PetscFunctionBegin;
  PetscCall(DMGetDimension(da, &dim));
  if (dim == 3) {
    PetscCall(AssembleStencil3d(da, n, K, c, cconst, scale, A));
    PetscFunctionReturn(0);
  }
  PetscCheck(dim == 2, PetscObjectComm((PetscObject)da), PETSC_ERR_ARG_WRONG, "SkuaPDEAssembleStencil: the DMDA is %" PetscInt_FMT "-D; only 2-D and 3-D grids are supported", dim);
  PetscCall(DMDAGetCorners(da, &xs, &ys, NULL, &xm, &ym, NULL));
  for (PetscInt j = ys; j < ys + ym; j++) {
    for (PetscInt i = xs; i < xs + xm; i++) {
      const PetscReal Kp = K ? K[j * n + i] : 1.0;
      /* faces in the fixed order west, east, south, north; a boundary face uses K_p */
      const PetscReal kw = (K && i > 0) ? HarmonicMean(Kp, K[j * n + i - 1]) : Kp;
      const PetscReal ke = (K && i < n - 1) ? HarmonicMean(Kp, K[j * n + i + 1]) : Kp;
      const PetscReal ks = (K && j > 0) ? HarmonicMean(Kp, K[(j - 1) * n + i]) : Kp;
      const PetscReal kn = (K && j < n - 1) ? HarmonicMean(Kp, K[(j + 1) * n + i]) : Kp;
      MatStencil      row = {0}, col[5];
      PetscScalar     v[5];
      PetscInt        nc = 0;

      row.i = i;
      row.j = j;
      if (j > 0) {
        col[nc].i = i; col[nc].j = j - 1; col[nc].k = 0; col[nc].c = 0; v[nc++] = -ks * ih2;
      }
      if (i > 0) {
        col[nc].i = i - 1; col[nc].j = j; col[nc].k = 0; col[nc].c = 0; v[nc++] = -kw * ih2;
      }
      col[nc].i = i; col[nc].j = j; col[nc].k = 0; col[nc].c = 0; v[nc++] = (kw + ke + ks + kn) * ih2 + (c ? c[j * n + i] : cconst);
      if (i < n - 1) {
        col[nc].i = i + 1; col[nc].j = j; col[nc].k = 0; col[nc].c = 0; v[nc++] = -ke * ih2;
      }
      if (j < n - 1) {
        col[nc].i = i; col[nc].j = j + 1; col[nc].k = 0; col[nc].c = 0; v[nc++] = -kn * ih2;
      }
      if (scale != 1.0)
        for (PetscInt q = 0; q < nc; q++) v[q] *= scale;
      PetscCall(MatSetValuesStencil(A, 1, &row, nc, col, v, INSERT_VALUES));
    }
  }
  PetscFunctionReturn(0);
}

/* b_p = value (f == NULL) or b_p = scale * f_p on the owned nodes. */
static PetscErrorCode FillRHS(SkuaPDE pde, const PetscReal *f, PetscReal value, PetscReal scale, Vec bv)
{
  const PetscInt n = pde->n;
  PetscInt       xs, ys, zs, xm, ym, zm;

  PetscFunctionBegin;
  PetscCall(DMDAGetCorners(pde->da, &xs, &ys, &zs, &xm, &ym, &zm));
  if (pde->dim == 3) {
    PetscScalar ***b;
    PetscCall(DMDAVecGetArray(pde->da, bv, &b));
    for (PetscInt k = zs; k < zs + zm; k++)
      for (PetscInt j = ys; j < ys + ym; j++)
        for (PetscInt i = xs; i < xs + xm; i++) b[k][j][i] = f ? scale * f[(k * n + j) * n + i] : value;
    PetscCall(DMDAVecRestoreArray(pde->da, bv, &b));
  } else {
    PetscScalar **b;
    PetscCall(DMDAVecGetArray(pde->da, bv, &b));
    for (PetscInt j = ys; j < ys + ym; j++)
      for (PetscInt i = xs; i < xs + xm; i++) b[j][i] = f ? scale * f[j * n + i] : value;
    PetscCall(DMDAVecRestoreArray(pde->da, bv, &b));
  }
  PetscFunctionReturn(0);
}

/* ---- darcy: -div(exp(G) grad u) = 1 ---- */
static PetscErrorCode DarcySample(SkuaPDE pde, PetscInt s, PetscReal *const *fields)
{
  const PetscInt nn = pde->nn;

  PetscFunctionBegin;
  PetscCall(SkuaPDESampleGRF(pde, s, 0, fields[0]));
  if (pde->dhigh > 0) /* FNO's piecewise-constant permeability */
    for (PetscInt m = 0; m < nn; m++) fields[0][m] = fields[0][m] >= 0 ? pde->dhigh : pde->dlow;
  else
    for (PetscInt m = 0; m < nn; m++) fields[0][m] = PetscExpReal(fields[0][m]);
  PetscFunctionReturn(0);
}

static PetscErrorCode DarcyAssemble(SkuaPDE pde, PetscReal *const *fields, Mat A, Vec b)
{
  PetscFunctionBegin;
  PetscCall(SkuaPDEAssembleStencil(pde->da, pde->n, fields[0], NULL, 0.0, 1.0, A));
  PetscCall(FillRHS(pde, NULL, 1.0, 0.0, b));
  PetscFunctionReturn(0);
}

/* ---- poisson: -lap u = G ---- */
static PetscErrorCode PoissonSample(SkuaPDE pde, PetscInt s, PetscReal *const *fields)
{
  PetscFunctionBegin;
  PetscCall(SkuaPDESampleGRF(pde, s, 0, fields[0]));
  PetscFunctionReturn(0);
}

static PetscErrorCode PoissonAssemble(SkuaPDE pde, PetscReal *const *fields, Mat A, Vec b)
{
  PetscFunctionBegin;
  PetscCall(SkuaPDEAssembleStencil(pde->da, pde->n, NULL, NULL, 0.0, 1.0, A));
  PetscCall(FillRHS(pde, fields[0], 0.0, 1.0, b));
  PetscFunctionReturn(0);
}

/* ---- helmholtz: -lap u - kappa^2 u = 1, kappa = k0 (1 + tanh(G)/2) ---- */
static PetscErrorCode HelmholtzSample(SkuaPDE pde, PetscInt s, PetscReal *const *fields)
{
  const PetscInt nn = pde->nn;

  PetscFunctionBegin;
  PetscCall(SkuaPDESampleGRF(pde, s, 0, fields[0]));
  for (PetscInt m = 0; m < nn; m++) fields[0][m] = pde->k0 * (1.0 + 0.5 * PetscTanhReal(fields[0][m]));
  PetscFunctionReturn(0);
}

static PetscErrorCode HelmholtzAssemble(SkuaPDE pde, PetscReal *const *fields, Mat A, Vec b)
{
  const PetscInt nn = pde->nn;
  PetscReal     *k2;

  PetscFunctionBegin;
  PetscCall(PetscMalloc1(nn, &k2));
  for (PetscInt m = 0; m < nn; m++) k2[m] = -(fields[0][m] * fields[0][m]); /* reaction -kappa^2 */
  PetscCall(SkuaPDEAssembleStencil(pde->da, pde->n, NULL, k2, 0.0, 1.0, A));
  PetscCall(PetscFree(k2));
  PetscCall(FillRHS(pde, NULL, 1.0, 0.0, b));
  PetscFunctionReturn(0);
}

/* ---- heat: u_t = div(K grad u), two-phase K, backward Euler ---- */
static PetscErrorCode HeatSample(SkuaPDE pde, PetscInt s, PetscReal *const *fields)
{
  const PetscInt nn = pde->nn;

  PetscFunctionBegin;
  PetscCall(SkuaPDESampleGRF(pde, s, 0, fields[0]));
  for (PetscInt m = 0; m < nn; m++) fields[0][m] = fields[0][m] > 0 ? pde->contrast : 1.0;
  PetscCall(SkuaPDESampleGRF(pde, s, 1, fields[1]));
  PetscFunctionReturn(0);
}

static PetscErrorCode HeatAssemble(SkuaPDE pde, PetscReal *const *fields, Mat A, Vec b)
{
  PetscFunctionBegin;
  PetscCall(SkuaPDEAssembleStencil(pde->da, pde->n, fields[0], NULL, 1.0 / pde->dt, 1.0, A));
  PetscCall(FillRHS(pde, fields[1], 0.0, 1.0 / pde->dt, b));
  PetscFunctionReturn(0);
}

static const SkuaPDEOps FamilyOps[] = {
  {"darcy",     1, {"K", NULL},     PETSC_FALSE, DarcySample,     DarcyAssemble    },
  {"poisson",   1, {"f", NULL},     PETSC_FALSE, PoissonSample,   PoissonAssemble  },
  {"helmholtz", 1, {"kappa", NULL}, PETSC_FALSE, HelmholtzSample, HelmholtzAssemble},
  {"heat",      2, {"K", "u0"},     PETSC_TRUE,  HeatSample,      HeatAssemble     },
};

const SkuaPDEOps *SkuaPDEFamilyOps(SkuaPDEFamily f)
{
  return (f >= SKUA_PDE_DARCY && f <= SKUA_PDE_HEAT) ? &FamilyOps[f] : NULL;
}
