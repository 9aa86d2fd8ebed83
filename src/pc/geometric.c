/* Geometric multigrid hierarchy for the 2-D and 3-D PDE families: DMDA levels, bi/trilinear interpolation, coefficient restriction, re-discretisation. */
#include "mgimpl.h"

/* Grids hold n interior nodes at (i+1)/(n+1) (Dirichlet nodes eliminated, docs/pde.md). An odd n nests
   n_c = (n-1)/2 exactly (coarse node I is fine node 2I+1); an even n takes n_c = n/2, whose nodes do not
   coincide with fine ones, and the same bilinear formula interpolates between the non-nested grids. This
   keeps every n usable (2049 = 2*1024+1, then 1024, 512, ...) instead of only n = 2^k m - 1. */
static PetscInt CoarserSize(PetscInt n)
{
  return (n % 2) ? (n - 1) / 2 : n / 2;
}

/* Fine node i of an nf-grid lies between coarse nodes *lo and *lo+1 of an nc-grid, with weight *th on *lo+1.
   Integer arithmetic, so nested grids get exact weights 0, 1/2 and 1. Coarse indices -1 and nc are
   boundary nodes (value 0). */
static inline void Interp1D(PetscInt nf, PetscInt nc, PetscInt i, PetscInt *lo, PetscReal *th)
{
  const PetscInt64 num = (PetscInt64)(i + 1) * (PetscInt64)(nc + 1);

  *lo = (PetscInt)(num / (nf + 1)) - 1;
  *th = (PetscReal)(num % (nf + 1)) / (PetscReal)(nf + 1);
}

/* The (up to two) coarse nodes of 1-D fine node i with nonzero weight: *cnt entries in idx/w. */
static inline PetscInt Stencil1D(const PetscInt *lo, const PetscReal *th, PetscInt nc, PetscInt i, PetscInt idx[2], PetscReal w[2])
{
  PetscInt cnt = 0;

  for (PetscInt a = 0; a < 2; a++) {
    const PetscInt  ic = lo[i] + a;
    const PetscReal wa = a ? th[i] : 1.0 - th[i];
    if (ic < 0 || ic >= nc || wa == 0.0) continue;
    idx[cnt] = ic;
    w[cnt++] = wa;
  }
  return cnt;
}

/* P: fine (level k) x coarse (level k+1), rows in the fine DMDA's PETSc order, columns in the coarse one's.
   Bilinear (dim 2, up to 4 entries a row) or trilinear (dim 3, up to 8): the tensor product of Interp1D; a
   2-D grid is one z-plane with weight 1 (exact), so both share the loops. */
static PetscErrorCode CreateInterpolation(PetscInt dim, DM daf, PetscInt nf, DM dac, PetscInt nc, Mat *P)
{
  const PetscInt nnz = dim == 3 ? 8 : 4;
  MPI_Comm       comm;
  AO             ao;
  PetscInt       xs, ys, zs = 0, xm, ym, zm = 1, cxm, cym, czm = 1, rstart, total = 0, *lo, *cols, *cnt, nloc;
  PetscReal     *th;
  PetscScalar   *vals;

  PetscFunctionBegin;
  PetscCall(PetscObjectGetComm((PetscObject)daf, &comm));
  if (dim == 3) {
    PetscCall(DMDAGetCorners(daf, &xs, &ys, &zs, &xm, &ym, &zm));
    PetscCall(DMDAGetCorners(dac, NULL, NULL, NULL, &cxm, &cym, &czm));
  } else {
    PetscCall(DMDAGetCorners(daf, &xs, &ys, NULL, &xm, &ym, NULL));
    PetscCall(DMDAGetCorners(dac, NULL, NULL, NULL, &cxm, &cym, NULL));
  }
  nloc = xm * ym * zm;
  PetscCall(MatCreateAIJ(comm, nloc, cxm * cym * czm, dim == 3 ? nf * nf * nf : nf * nf, dim == 3 ? nc * nc * nc : nc * nc, nnz, NULL, nnz, NULL, P));
  PetscCall(MatGetOwnershipRange(*P, &rstart, NULL));
  PetscCall(PetscMalloc2(nf, &lo, nf, &th));
  for (PetscInt i = 0; i < nf; i++) Interp1D(nf, nc, i, &lo[i], &th[i]);
  PetscCall(PetscMalloc3(nnz * nloc, &cols, nnz * nloc, &vals, nloc, &cnt));
  for (PetscInt k = zs; k < zs + zm; k++) {
    PetscInt  kc[2] = {0, 0}, nk = 1;
    PetscReal wz[2] = {1.0, 1.0};

    if (dim == 3) nk = Stencil1D(lo, th, nc, k, kc, wz);
    for (PetscInt j = ys; j < ys + ym; j++) {
      PetscInt  jc[2];
      PetscReal wy[2];
      const PetscInt nj = Stencil1D(lo, th, nc, j, jc, wy);

      for (PetscInt i = xs; i < xs + xm; i++) {
        PetscInt       ic[2];
        PetscReal      wx[2];
        const PetscInt ni = Stencil1D(lo, th, nc, i, ic, wx);
        const PetscInt m  = ((k - zs) * ym + (j - ys)) * xm + (i - xs);

        cnt[m] = 0;
        for (PetscInt d = 0; d < nk; d++) {
          for (PetscInt b = 0; b < nj; b++) {
            for (PetscInt a = 0; a < ni; a++) {
              cols[total]   = (kc[d] * nc + jc[b]) * nc + ic[a]; /* natural order; mapped to the coarse DMDA's order below */
              vals[total++] = wx[a] * wy[b] * wz[d];
              cnt[m]++;
            }
          }
        }
      }
    }
  }
  PetscCall(DMDAGetAO(dac, &ao));
  PetscCall(AOApplicationToPetsc(ao, total, cols));
  /* Whole rows with sorted columns, all local: MatSetValues then copies instead of searching, which
     halves the hierarchy setup at n = 2049 (4 million rows). */
  PetscCall(MatSetOption(*P, MAT_SORTED_FULL, PETSC_TRUE));
  PetscCall(MatSetOption(*P, MAT_NO_OFF_PROC_ENTRIES, PETSC_TRUE));
  total = 0;
  for (PetscInt m = 0; m < nloc; m++) {
    const PetscInt row = rstart + m;
    PetscCall(PetscSortIntWithScalarArray(cnt[m], cols + total, vals + total));
    PetscCall(MatSetValues(*P, 1, &row, cnt[m], cols + total, vals + total, INSERT_VALUES));
    total += cnt[m];
  }
  PetscCall(MatAssemblyBegin(*P, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(*P, MAT_FINAL_ASSEMBLY));
  PetscCall(PetscFree3(cols, vals, cnt));
  PetscCall(PetscFree2(lo, th));
  PetscFunctionReturn(0);
}

/* Coarse coefficient at coarse node (I,J[,K]): the average of the fine values weighted by the interpolation
   weights P(fine, (I,J[,K])), i.e. the normalised transpose of P (full weighting on nested grids). The coarse
   operator then forms harmonic face means of these nodal values, as the fine one does. Arithmetic nodal
   averaging is the default because that face mean already weights the low side of a jump: averaging
   the nodes harmonically as well shrinks high-K regions twice, and measured iterations were worse
   (heat, contrast 100: 20 vs 11; darcy with K over 6 decades: 20 vs 16; docs/multigrid.md). Fields are
   complete on every rank, so this is local and np-independent. */
static inline PetscReal AverageForward(SkuaMGAverage avg, PetscReal v)
{
  return avg == SKUA_MG_AVERAGE_HARMONIC ? 1.0 / v : (avg == SKUA_MG_AVERAGE_GEOMETRIC ? PetscLogReal(v) : v);
}

static inline PetscReal AverageBack(SkuaMGAverage avg, PetscReal mean)
{
  return avg == SKUA_MG_AVERAGE_HARMONIC ? 1.0 / mean : (avg == SKUA_MG_AVERAGE_GEOMETRIC ? PetscExpReal(mean) : mean);
}

static PetscErrorCode RestrictField(PetscInt dim, PetscInt nf, const PetscReal *f, PetscInt nc, SkuaMGAverage avg, PetscReal *fc)
{
  const PetscInt nzf = dim == 3 ? nf : 1, nzc = dim == 3 ? nc : 1, ncc = nc * nc * nzc;
  PetscInt      *lo;
  PetscReal     *th, *sw;

  PetscFunctionBegin;
  PetscCall(PetscMalloc3(nf, &lo, nf, &th, ncc, &sw));
  for (PetscInt i = 0; i < nf; i++) Interp1D(nf, nc, i, &lo[i], &th[i]);
  PetscCall(PetscArrayzero(sw, ncc));
  PetscCall(PetscArrayzero(fc, ncc));
  for (PetscInt k = 0; k < nzf; k++) {
    PetscInt  kc[2] = {0, 0}, nk = 1;
    PetscReal wz[2] = {1.0, 1.0};

    if (dim == 3) nk = Stencil1D(lo, th, nc, k, kc, wz);
    for (PetscInt j = 0; j < nf; j++) {
      PetscInt       jc[2];
      PetscReal      wy[2];
      const PetscInt nj = Stencil1D(lo, th, nc, j, jc, wy);

      for (PetscInt i = 0; i < nf; i++) {
        PetscInt        ic[2];
        PetscReal       wx[2];
        const PetscInt  ni = Stencil1D(lo, th, nc, i, ic, wx);
        const PetscReal v  = f[(k * nf + j) * nf + i];
        PetscReal       t;

        if (avg != SKUA_MG_AVERAGE_ARITHMETIC) {
          if (dim == 3) PetscCheck(v > 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Coefficient %g at node (%" PetscInt_FMT ",%" PetscInt_FMT ",%" PetscInt_FMT ") is not positive; %s averaging (-skua_mg_average) needs K > 0, use arithmetic", (double)v, i, j, k, SkuaMGAverages[avg]);
          else PetscCheck(v > 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Coefficient %g at node (%" PetscInt_FMT ",%" PetscInt_FMT ") is not positive; %s averaging (-skua_mg_average) needs K > 0, use arithmetic", (double)v, i, j, SkuaMGAverages[avg]);
        }
        t = AverageForward(avg, v);
        for (PetscInt d = 0; d < nk; d++) {
          for (PetscInt b = 0; b < nj; b++) {
            for (PetscInt a = 0; a < ni; a++) {
              const PetscInt  mc = (kc[d] * nc + jc[b]) * nc + ic[a];
              const PetscReal w  = wx[a] * wy[b] * wz[d];
              fc[mc] += w * t;
              sw[mc] += w;
            }
          }
        }
      }
    }
  }
  for (PetscInt m = 0; m < ncc; m++) fc[m] = AverageBack(avg, fc[m] / sw[m]);
  PetscCall(PetscFree3(lo, th, sw));
  PetscFunctionReturn(0);
}

/* scale * [ sum_q k_pq (u_p - u_q)/h^2 + c_p u_p ] on an n^dim level with the families' own stencil. The scale
   ((n0+1)/(n+1))^dim makes a re-discretised operator match the Galerkin product P^T A P of the rows-scaled-by-1/h^2
   fine operator (P's column sums are (H/h)^dim and P^T L_h P ~ (H/h)^(dim-2) L_H for the unscaled stencil L), so
   PCMG may restrict with P^T unscaled. */
static PetscErrorCode AssembleLevel(DM da, PetscInt n, const PetscReal *K, const PetscReal *c, PetscReal cconst, PetscReal scale, Mat A)
{
  PetscFunctionBegin;
  PetscCall(SkuaPDEAssembleStencil(da, n, K, c, cconst, scale, A));
  PetscCall(MatAssemblyBegin(A, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(A, MAT_FINAL_ASSEMBLY));
  PetscFunctionReturn(0);
}

static PetscBool HasDiffusionField(SkuaPDEFamily f)
{
  return (f == SKUA_PDE_DARCY || f == SKUA_PDE_HEAT) ? PETSC_TRUE : PETSC_FALSE;
}

PetscErrorCode SkuaMGHierarchyCreate(SkuaMG_Ctx *mg, SkuaPDE pde)
{
  DM          da0;
  MPI_Comm    comm;
  PetscMPIInt size;
  PetscInt    n0, sizes[64], L = 1, maxL, coarse_n;
  PetscReal   dt;

  PetscFunctionBegin;
  PetscCall(SkuaPDEGetDM(pde, &da0));
  PetscCall(SkuaPDEGetSize(pde, &n0));
  PetscCall(SkuaPDEGetDimension(pde, &mg->dim));
  /* a coarse 3-D grid costs n^3 unknowns and its LU much more: stop at 5..11 per side instead of 7..15 */
  coarse_n = mg->coarse_n > 0 ? mg->coarse_n : (mg->dim == 3 ? 5 : 7);
  PetscCall(SkuaPDEGetFamily(pde, &mg->family));
  PetscCall(SkuaPDEGetHeat(pde, NULL, NULL, &dt));
  PetscCall(PetscObjectGetComm((PetscObject)da0, &comm));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  mg->cconst = mg->family == SKUA_PDE_HEAT ? 1.0 / dt : 0.0;
  /* A level needs at least one node per rank and direction for any DMDA process grid: n_c >= size. */
  sizes[0] = n0;
  maxL     = mg->levels_req > 0 ? PetscMin(mg->levels_req, 64) : 64;
  while (L < maxL) {
    const PetscInt nc = CoarserSize(sizes[L - 1]);
    if (nc < 1 || nc < size) break;
    if (mg->levels_req <= 0 && nc < coarse_n) break;
    sizes[L++] = nc;
  }
  if (mg->levels_req > L) PetscCall(PetscInfo(NULL, "-skua_mg_levels %" PetscInt_FMT " reduced to %" PetscInt_FMT ": grid %" PetscInt_FMT " cannot be coarsened further on %d ranks\n", mg->levels_req, L, sizes[L - 1], (int)size));
  mg->nlevels = L;
  PetscCall(PetscCalloc1(L, &mg->n));
  PetscCall(PetscCalloc1(L, &mg->da));
  PetscCall(PetscCalloc1(L, &mg->A));
  PetscCall(PetscCalloc1(L, &mg->P));
  PetscCall(PetscCalloc1(L, &mg->K));
  PetscCall(PetscCalloc1(L, &mg->c));
  PetscCall(PetscArraycpy(mg->n, sizes, L));
  PetscCall(PetscObjectReference((PetscObject)da0));
  mg->da[0] = da0;
  for (PetscInt k = 1; k < L; k++) {
    if (mg->dim == 3) PetscCall(DMDACreate3d(comm, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DMDA_STENCIL_STAR, sizes[k], sizes[k], sizes[k], PETSC_DECIDE, PETSC_DECIDE, PETSC_DECIDE, 1, 1, NULL, NULL, NULL, &mg->da[k]));
    else PetscCall(DMDACreate2d(comm, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DMDA_STENCIL_STAR, sizes[k], sizes[k], PETSC_DECIDE, PETSC_DECIDE, 1, 1, NULL, NULL, &mg->da[k]));
    PetscCall(DMSetMatType(mg->da[k], MATAIJ));
    PetscCall(DMSetUp(mg->da[k]));
    if (!mg->galerkin) {
      PetscCall(DMCreateMatrix(mg->da[k], &mg->A[k]));
      if (HasDiffusionField(mg->family)) PetscCall(PetscMalloc1(SkuaMGNodes(mg, sizes[k]), &mg->K[k]));
      if (mg->type == SKUA_MG_SHIFTED) PetscCall(PetscMalloc1(SkuaMGNodes(mg, sizes[k]), &mg->c[k]));
    }
  }
  for (PetscInt k = 0; k + 1 < L; k++) {
    PetscCall(CreateInterpolation(mg->dim, mg->da[k], sizes[k], mg->da[k + 1], sizes[k + 1], &mg->P[k]));
  }
  if (mg->type == SKUA_MG_SHIFTED) {
    PetscCall(DMCreateMatrix(da0, &mg->A[0]));
    PetscCall(PetscObjectSetName((PetscObject)mg->A[0], "skua_mg_shifted_operator"));
    PetscCall(PetscMalloc1(SkuaMGNodes(mg, n0), &mg->c[0]));
  }
  PetscFunctionReturn(0);
}

/* New coefficients, same grids: restrict the sample's fields level by level and refill the level
   operators in place (their nonzero pattern never changes, so PCMG, Jacobi and the redundant LU keep
   their structures and only redo numeric work). */
PetscErrorCode SkuaMGHierarchyUpdate(SkuaMG_Ctx *mg, SkuaPDE pde, PetscReal *const *fields)
{
  const PetscInt n0 = mg->n[0], nn0 = SkuaMGNodes(mg, n0);

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(SKUAMG_Rediscretize, 0, 0, 0, 0));
  if (mg->type == SKUA_MG_SHIFTED) {
    /* M = -lap + beta kappa^2: the same Laplacian, the sign of the reaction term flipped and scaled */
    for (PetscInt m = 0; m < nn0; m++) mg->c[0][m] = mg->shift * fields[0][m] * fields[0][m];
    PetscCall(AssembleLevel(mg->da[0], n0, NULL, mg->c[0], 0.0, 1.0, mg->A[0]));
  }
  if (!mg->galerkin) {
    for (PetscInt k = 1; k < mg->nlevels; k++) {
      const PetscReal r = (PetscReal)(n0 + 1) / (PetscReal)(mg->n[k] + 1);
      if (mg->K[k]) PetscCall(RestrictField(mg->dim, mg->n[k - 1], k == 1 ? fields[0] : mg->K[k - 1], mg->n[k], mg->average, mg->K[k]));
      /* the reaction term is a mass-like quantity: arithmetic mean */
      if (mg->c[k]) PetscCall(RestrictField(mg->dim, mg->n[k - 1], mg->c[k - 1], mg->n[k], SKUA_MG_AVERAGE_ARITHMETIC, mg->c[k]));
      PetscCall(AssembleLevel(mg->da[k], mg->n[k], mg->K[k], mg->c[k], mg->cconst, mg->dim == 3 ? r * r * r : r * r, mg->A[k]));
    }
  }
  mg->nupdate++;
  PetscCall(PetscLogEventEnd(SKUAMG_Rediscretize, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

/* Configure a PCMG: levels, interpolation, operators, smoothers, coarse solve. Each smoother then reads
   its own options, so a user's -mg_levels_* / -mg_coarse_* options override these choices. */
PetscErrorCode SkuaMGHierarchyAttach(SkuaMG_Ctx *mg, PC pc)
{
  const PetscInt L = mg->nlevels;
  KSP            s;
  PC             spc;

  PetscFunctionBegin;
  PetscCall(PCMGSetLevels(pc, L, NULL));
  PetscCall(PCMGSetType(pc, PC_MG_MULTIPLICATIVE));
  PetscCall(PCMGSetCycleType(pc, PC_MG_CYCLE_V));
  for (PetscInt l = 1; l < L; l++) PetscCall(PCMGSetInterpolation(pc, l, mg->P[L - 1 - l]));
  if (mg->galerkin) PetscCall(PCMGSetGalerkin(pc, PC_MG_GALERKIN_BOTH));
  else {
    PetscCall(PCMGSetGalerkin(pc, PC_MG_GALERKIN_NONE));
    for (PetscInt l = 0; l + 1 < L; l++) PetscCall(PCMGSetOperators(pc, l, mg->A[L - 1 - l], mg->A[L - 1 - l]));
  }
  for (PetscInt l = 1; l < L; l++) {
    KSP est;
    PetscCall(PCMGGetSmoother(pc, l, &s));
    PetscCall(KSPSetType(s, KSPCHEBYSHEV));
    PetscCall(KSPSetTolerances(s, PETSC_DEFAULT, PETSC_DEFAULT, PETSC_DEFAULT, 2));
    if (mg->esteig || mg->galerkin) {
      /* Chebyshev targets [0.1, 1.1] x the estimated largest eigenvalue of D^-1 A: the upper part of the
         spectrum, which the coarse grid cannot represent; 10 CG steps estimate it to a few percent. */
      PetscCall(KSPChebyshevEstEigSet(s, 0.0, 0.1, 0.0, 1.1));
      PetscCall(KSPChebyshevEstEigGetKSP(s, &est));
      if (est) PetscCall(KSPSetType(est, KSPCG));
    } else {
      /* Re-discretised levels are weakly diagonally dominant M-matrices (positive diagonal, non-positive
         off-diagonals, non-negative row sums), so Gershgorin bounds lambda(D^-1 A) by 2 and the estimate,
         about half of the setup at n = 2049, can be skipped. (Galerkin operators carry no such guarantee.) */
      PetscCall(KSPChebyshevSetEigenvalues(s, 2.1, 0.2));
    }
    PetscCall(KSPGetPC(s, &spc));
    PetscCall(PCSetType(spc, PCJACOBI));
    PetscCall(KSPSetFromOptions(s));
  }
  PetscCall(PCMGGetCoarseSolve(pc, &s));
  PetscCall(KSPSetType(s, KSPPREONLY));
  PetscCall(KSPGetPC(s, &spc));
  PetscCall(PCSetType(spc, PCREDUNDANT)); /* LU of the 7..15^2 (5..11^3) coarse grid on every rank: no communication inside the solve */
  PetscCall(KSPSetFromOptions(s));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaMGHierarchyDestroy(SkuaMG_Ctx *mg)
{
  PetscFunctionBegin;
  for (PetscInt k = 0; k < mg->nlevels; k++) {
    PetscCall(DMDestroy(&mg->da[k]));
    PetscCall(MatDestroy(&mg->A[k]));
    PetscCall(MatDestroy(&mg->P[k]));
    PetscCall(PetscFree(mg->K[k]));
    PetscCall(PetscFree(mg->c[k]));
  }
  PetscCall(PetscFree(mg->n));
  PetscCall(PetscFree(mg->da));
  PetscCall(PetscFree(mg->A));
  PetscCall(PetscFree(mg->P));
  PetscCall(PetscFree(mg->K));
  PetscCall(PetscFree(mg->c));
  mg->nlevels = 0;
  PetscFunctionReturn(0);
}
