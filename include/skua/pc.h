/* Skua multigrid presets: geometric PCMG on the PDE families' DMDA hierarchy, GAMG, BoomerAMG, shifted-Laplacian MG (docs/multigrid.md). */
#ifndef SKUA_PC_H
#define SKUA_PC_H

#include <petscksp.h>
#include <skua/pde.h>

/* ---------------------------------------------------------------------------------------------------------
   -skua_mg <none|geometric|gamg|boomeramg|shifted>, read with the KSP's options prefix.

     none       the PC is left alone
     geometric  PCMG on a hierarchy of n x n (3-D: n x n x n) DMDAs (n_c = (n-1)/2 for odd n, n/2 for even n,
                bilinear / trilinear interpolation), coarse operators re-discretised from restricted coefficient fields (or
                Galerkin with -skua_mg_galerkin), Chebyshev(2)/Jacobi smoothing with CG eigenvalue
                estimates, redundant LU on the coarsest grid. Needs a SkuaPDE and its fields.
                On helmholtz it selects "shifted" (MG on an indefinite operator diverges).
     gamg       PCGAMG, smoothed aggregation, CG eigenvalue estimates, interpolation reused across a sequence
                (3-D PDE: graph threshold 0 instead of 0.02)
     boomeramg  hypre BoomerAMG, HMIS coarsening, ext+i interpolation, P_max 4, strong threshold 0.25
                (3-D PDE: strong threshold 0.5, P_max 6; without a PDE the 2-D values apply)
     shifted    helmholtz only: the KSP keeps A = -lap - kappa^2 as its operator and is preconditioned by
                PCKSP(preonly + geometric MG) on M = -lap + beta kappa^2 (real, SPD), -skua_mg_shift beta

   Sub-options: -skua_mg_levels <L> (0: coarsen down to a 7..15 grid, 5..11 in 3-D), -skua_mg_coarse_n <0: 7 in 2-D, 5 in 3-D>,
     -skua_mg_galerkin <false>, -skua_mg_average <arithmetic|harmonic|geometric> (nodal diffusion
     coefficient restriction, default arithmetic: the coarse face means are harmonic already),
     -skua_mg_esteig <true> (false: Chebyshev bounds from Gershgorin instead of CG estimates), -skua_mg_shift <0.5>.
   A user's own PETSc options always win over a preset: the PC type is set only when the user gave no
   -pc_type, and a preset's PETSc options are written to the options database only where the user has
   not set them (the exact lists are in docs/multigrid.md and visible with -ksp_view).
   --------------------------------------------------------------------------------------------------------- */
typedef enum {
  SKUA_MG_NONE,
  SKUA_MG_GEOMETRIC,
  SKUA_MG_GAMG,
  SKUA_MG_BOOMERAMG,
  SKUA_MG_SHIFTED
} SkuaMGType;
PETSC_EXTERN const char *const SkuaMGTypes[]; /* "none","geometric","gamg","boomeramg","shifted" */

typedef enum {
  SKUA_MG_AVERAGE_HARMONIC,
  SKUA_MG_AVERAGE_ARITHMETIC,
  SKUA_MG_AVERAGE_GEOMETRIC
} SkuaMGAverage;
PETSC_EXTERN const char *const SkuaMGAverages[];

PETSC_EXTERN PetscErrorCode SkuaMGInitializePackage(void);
/* Default preset before the options are read (-skua_mg still overrides it). Call before the first SkuaMGSetUp. */
PETSC_EXTERN PetscErrorCode SkuaMGSetType(KSP, SkuaMGType);
/* Collective. Call after KSPSetOperators() and before each KSPSolve() of a sequence, with the sample's fields
   (natural order, as given to SkuaPDEAssemble). The first call reads the options, sets the preset and builds
   the hierarchy (and calls KSPSetFromOptions); later calls only re-discretise the coarse operators (and the
   shifted operator) in place. pde and fields may be NULL for none, gamg and boomeramg. */
PETSC_EXTERN PetscErrorCode SkuaMGSetUp(KSP, SkuaPDE pde, PetscReal *const *fields);
/* The preset in effect (SKUA_MG_NONE before the first SkuaMGSetUp). */
PETSC_EXTERN PetscErrorCode SkuaMGGetType(KSP, SkuaMGType *);
/* Geometric/shifted: number of levels and the grid size n of each, finest first (borrowed); 0 and NULL otherwise. */
PETSC_EXTERN PetscErrorCode SkuaMGGetLevels(KSP, PetscInt *nlevels, const PetscInt **n);
/* The shifted operator M (borrowed; NULL unless the preset is shifted). */
PETSC_EXTERN PetscErrorCode SkuaMGGetShiftedOperator(KSP, Mat *);
/* Preset, levels, and how often the hierarchy was built and updated. */
PETSC_EXTERN PetscErrorCode SkuaMGView(KSP, PetscViewer);

PETSC_EXTERN PetscLogEvent SKUAMG_SetUp, SKUAMG_Rediscretize;

#endif
