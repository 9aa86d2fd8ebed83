/* Private helpers of the Skua core that every module may use (input checks that must fail on all ranks). */
#ifndef SKUA_SKUAIMPL_H
#define SKUA_SKUAIMPL_H

#include <petscsys.h>
#include <petscmath.h>
#include <math.h>

/* Raise the same error on every rank of comm when any rank found a problem; the message of the lowest
   failing rank is used. Input checks go through this so no rank is left waiting in a collective. */
PETSC_INTERN PetscErrorCode SkuaCheckCollective(MPI_Comm comm, PetscBool bad, PetscErrorCode code, const char msg[]);
#define SKUA_MSG_LEN 1024

/* The logistic loss phi(u) = log(1 + exp(-u)) of skua-bcd and Newton Sketch (u = b a^T x) and its derivatives,
   written so that neither branch overflows. */
static inline PetscReal SkuaLgPhi(PetscReal u) { return u > 0 ? log1p(PetscExpReal(-u)) : -u + log1p(PetscExpReal(u)); }
static inline PetscReal SkuaLgDPhi(PetscReal u)
{
  if (u >= 0) {
    PetscReal e = PetscExpReal(-u);
    return -e / (1.0 + e);
  }
  return -1.0 / (1.0 + PetscExpReal(u));
}
static inline PetscReal SkuaLgD2Phi(PetscReal u)
{
  PetscReal e = PetscExpReal(-PetscAbsReal(u));
  return e / ((1.0 + e) * (1.0 + e));
}
/* phi(u + du) - phi(u) through expm1/log1p, so that a tiny du gives an accurate tiny change (line searches near
   the optimum compare such changes with their models). */
static inline PetscReal SkuaLgDiff(PetscReal u, PetscReal du)
{
  PetscReal v;
  if (u >= 0) {
    PetscReal a = PetscExpReal(-u);
    v           = log1p(a * expm1(-du) / (1 + a));
  } else {
    PetscReal a = PetscExpReal(u);
    v           = -du + log1p(a * expm1(du) / (1 + a));
  }
  return PetscIsInfOrNanReal(v) ? SkuaLgPhi(u + du) - SkuaLgPhi(u) : v;
}

#endif
