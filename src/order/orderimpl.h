/* Private: the sample layout and the pieces shared by order.c (walk, checks) and pca.c (SKR's PCA binning). */
#ifndef SKUA_ORDERIMPL_H
#define SKUA_ORDERIMPL_H

#include <skua/order.h>
#include <petsc/private/petscimpl.h>

/* PCA dimension and spectral block of SKR's scalable ordering. */
#define SKUA_ORDER_PCA_NCOMP 7
#define SKUA_ORDER_FFT_BLOCK 12

/* Contiguous split of N samples over comm, PETSc's default (PetscSplitOwnership). */
typedef struct {
  MPI_Comm    comm;
  PetscMPIInt rank, size;
  PetscInt    N, first, nlocal;
  PetscInt   *starts; /* size+1 entries: rank r owns [starts[r], starts[r+1]) */
} SkuaOrderLayout;

PETSC_INTERN PetscErrorCode SkuaOrderLayoutCreate(MPI_Comm, PetscInt N, SkuaOrderLayout *);
PETSC_INTERN PetscErrorCode SkuaOrderLayoutDestroy(SkuaOrderLayout *);
PETSC_INTERN PetscMPIInt    SkuaOrderLayoutOwner(const SkuaOrderLayout *, PetscInt g);

/* Nearest-neighbour walk over all N samples. bin == NULL: one bin, start at sample 0. Otherwise bin[g] in
   [0, nbins) for every sample (same on all ranks) and bins are emptied in the order binorder[0..nbins-1]; the
   walk starts at the smallest index of the first non-empty bin and moves to the nearest unvisited sample of the
   current bin. perm: N entries, the same on every rank. */
PETSC_INTERN PetscErrorCode SkuaOrderWalk(const SkuaOrderLayout *, PetscInt dim, const PetscReal *feat, const PetscInt *bin, PetscInt nbins, const PetscInt *binorder, PetscInt *perm);

/* SKR's bins: bin[g] for all N samples (caller-allocated, same on every rank), *nbins = 2^ncomp. */
PETSC_INTERN PetscErrorCode SkuaOrderPCABins(const SkuaOrderLayout *, PetscInt n, PetscInt nfields, const PetscReal *feat, PetscInt *bin, PetscInt *nbins);

#endif
