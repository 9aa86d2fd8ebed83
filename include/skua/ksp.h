/* Skua KSP plug-ins: GCRO-DR Krylov subspace recycling (Parks, de Sturler, Mackey, Johnson, Maiti, SISC 28(5), 2006). */
#ifndef SKUA_KSP_H
#define SKUA_KSP_H

#include <petscksp.h>

#define KSPGCRODR "gcrodr"

/* Registers KSPGCRODR and the SkuaGCRODR_* log events; safe to call more than once. */
PETSC_EXTERN PetscErrorCode SkuaKSPRegisterAll(void);
PETSC_EXTERN PetscErrorCode KSPCreate_GCRODR(KSP);

/* m: dimension of the search space per cycle (recycled + Arnoldi); -ksp_gcrodr_restart, default 40. */
PETSC_EXTERN PetscErrorCode KSPGCRODRSetRestart(KSP, PetscInt m);
/* k: dimension of the recycle space, 0 <= k < m (k = 0 is GMRES(m)); -ksp_gcrodr_recycle, default 20. */
PETSC_EXTERN PetscErrorCode KSPGCRODRSetRecycle(KSP, PetscInt k);
/* keep the recycle space across KSPSolve() calls (default) or discard it at each solve; -ksp_gcrodr_reuse. */
PETSC_EXTERN PetscErrorCode KSPGCRODRSetReuse(KSP, PetscBool);
/* The current recycle space U_k in solution space (A U_k = C_k for the last operator); borrowed, do not destroy.
   *k = 0 and *U = NULL when there is none or the KSP is not gcrodr. */
PETSC_EXTERN PetscErrorCode KSPGCRODRGetRecycleSpace(KSP, PetscInt *k, Vec **U);
/* Copies k vectors into the recycle space; C_k = A U_k is rebuilt from the operator at the next solve. */
PETSC_EXTERN PetscErrorCode KSPGCRODRSetRecycleSpace(KSP, PetscInt k, Vec U[]);
/* M^-1 U, the residual-space image of U that the harmonic Ritz update needs. Checkpoint it with U and restore
   it after KSPGCRODRSetRecycleSpace() (same k) so a restarted run continues exactly; without it the solver
   refits M^-1 U from M C at the next solve (k extra preconditioner applications). */
PETSC_EXTERN PetscErrorCode KSPGCRODRGetPreconditionedRecycleSpace(KSP, PetscInt *k, Vec **MinvU);
PETSC_EXTERN PetscErrorCode KSPGCRODRSetPreconditionedRecycleSpace(KSP, PetscInt k, Vec MinvU[]);

#endif
