/* Private: the multigrid preset context attached to a KSP and the geometric hierarchy it owns. */
#ifndef SKUA_MGIMPL_H
#define SKUA_MGIMPL_H

#include <skua/pc.h>
#include <petscdmda.h>
#include <petsc/private/petscimpl.h>

typedef struct {
  SkuaMGType    type;     /* preset in effect (requested one until the first SkuaMGSetUp) */
  PetscBool     setup;    /* the first SkuaMGSetUp() has run */
  PetscInt      nbuild;   /* hierarchy builds (1 for a sequence: later samples only update) */
  PetscInt      nupdate;  /* re-discretisations of the level operators */
  /* sub-options */
  PetscInt      levels_req; /* -skua_mg_levels, 0 = automatic */
  PetscInt      coarse_n;   /* -skua_mg_coarse_n: smallest grid automatic coarsening stops above (0: 7 in 2-D, 5 in 3-D) */
  PetscBool     galerkin;   /* -skua_mg_galerkin */
  SkuaMGAverage average;    /* -skua_mg_average */
  PetscReal     shift;      /* -skua_mg_shift: beta in M = -lap + beta kappa^2 */
  PetscBool     esteig;     /* -skua_mg_esteig: Chebyshev bounds from CG estimates, else from Gershgorin (<= 2) */
  /* geometric hierarchy, index k = 0 is the finest grid (PCMG numbers levels the other way round) */
  SkuaPDEFamily family;
  PetscInt      dim;      /* 2 or 3: the PDE's (2 without a PDE) */
  PetscReal     cconst;   /* constant reaction term of the family (heat: 1/dt) */
  PetscInt      nlevels;
  PetscInt     *n;        /* grid size per level (n^dim nodes) */
  DM           *da;       /* da[0] is the PDE's DMDA (referenced) */
  Mat          *A;        /* A[0]: the shifted operator M or NULL; A[k>0]: re-discretised level operators (NULL with Galerkin) */
  Mat          *P;        /* P[k]: bilinear (2-D) / trilinear (3-D) interpolation from level k+1 to level k */
  PetscReal   **K;        /* restricted diffusion coefficient per level (K[0] unused: the sample's field is used) */
  PetscReal   **c;        /* restricted variable reaction term per level, NULL where there is none */
} SkuaMG_Ctx;

/* nodes of an n-grid in mg's dimension */
static inline PetscInt SkuaMGNodes(const SkuaMG_Ctx *mg, PetscInt n)
{
  return mg->dim == 3 ? n * n * n : n * n;
}

PETSC_INTERN PetscErrorCode SkuaMGHierarchyCreate(SkuaMG_Ctx *, SkuaPDE);
PETSC_INTERN PetscErrorCode SkuaMGHierarchyUpdate(SkuaMG_Ctx *, SkuaPDE, PetscReal *const *fields);
PETSC_INTERN PetscErrorCode SkuaMGHierarchyAttach(SkuaMG_Ctx *, PC);
PETSC_INTERN PetscErrorCode SkuaMGHierarchyDestroy(SkuaMG_Ctx *);

#endif
