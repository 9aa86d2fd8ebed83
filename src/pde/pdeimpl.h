/* Private: the SkuaPDE object and the per-family ops table. */
#ifndef SKUA_PDEIMPL_H
#define SKUA_PDEIMPL_H

#include <skua/pde.h>
#include <petsc/private/petscimpl.h>

#define SKUA_PDE_MAX_FIELDS 2

typedef struct {
  const char *name;
  PetscInt    nfields;
  const char *fieldnames[SKUA_PDE_MAX_FIELDS];
  PetscBool   timedependent;
  /* fill the natural-order fields of one sample (every rank, identical) */
  PetscErrorCode (*samplefields)(SkuaPDE, PetscInt, PetscReal *const *);
  /* set the owned rows of A (INSERT_VALUES, no assembly) and the owned entries of b */
  PetscErrorCode (*assemble)(SkuaPDE, PetscReal *const *, Mat, Vec);
} SkuaPDEOps;

struct _p_SkuaPDE {
  MPI_Comm          comm;
  SkuaPDEFamily     family;
  const SkuaPDEOps *ops;
  PetscInt          n;
  PetscInt          dim;      /* 2 or 3 */
  PetscInt          nn;       /* n^dim, valid after SkuaPDECheckParams */
  uint64_t          seed;
  SkuaGRFParams     grf;
  PetscReal         k0;       /* helmholtz */
  PetscReal         dhigh, dlow; /* darcy: two-phase K (dhigh where G >= 0, dlow elsewhere) when both > 0 */
  PetscReal         contrast; /* heat */
  PetscInt          steps;    /* heat */
  PetscReal         dt;       /* heat */
  PetscBool         setupcalled;
  DM                da;
  Vec               natural; /* cached for GlobalToNatural */
  Vec               allnat;
  VecScatter        toall;
};

PETSC_INTERN const SkuaPDEOps *SkuaPDEFamilyOps(SkuaPDEFamily);
PETSC_INTERN PetscErrorCode    SkuaPDECheckParams(SkuaPDE);
/* GRF of the PDE's dimension: SkuaGRFSample (2-D) or SkuaGRFSample3d */
PETSC_INTERN PetscErrorCode    SkuaPDESampleGRF(SkuaPDE, PetscInt sample, PetscInt field_id, PetscReal *G);
/* sigma <= 0 resolved: tau^(alpha - dim/2) */
PETSC_INTERN PetscReal         SkuaGRFDefaultSigma(const SkuaGRFParams *, PetscInt dim);

#endif
