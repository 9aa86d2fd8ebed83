/* Private helpers of the Skua core that every module may use (input checks that must fail on all ranks). */
#ifndef SKUA_SKUAIMPL_H
#define SKUA_SKUAIMPL_H

#include <petscsys.h>

/* Raise the same error on every rank of comm when any rank found a problem; the message of the lowest
   failing rank is used. Input checks go through this so no rank is left waiting in a collective. */
PETSC_INTERN PetscErrorCode SkuaCheckCollective(MPI_Comm comm, PetscBool bad, PetscErrorCode code, const char msg[]);
#define SKUA_MSG_LEN 1024

#endif
