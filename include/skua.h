/* Skua public header: initialisation and every module's API. */
#ifndef SKUA_H
#define SKUA_H

#include <petsc.h>
#include <skua/io.h>
#include <skua/ksp.h>
#include <skua/pde.h>
#include <skua/order.h>
#include <skua/pc.h>
#include <skua/bcd.h>
#include <skua/sketch.h>
#include <skua/constrained.h>

/* Wraps PetscInitialize() and registers every Skua plug-in (KSP types, log events), so options such as
   -ksp_type gcrodr work in any program linked with libskua. */
PETSC_EXTERN PetscErrorCode SkuaInitialize(int *argc, char ***argv, const char file[], const char help[]);
PETSC_EXTERN PetscErrorCode SkuaFinalize(void);
/* Registers Skua's plug-ins with an already initialised PETSc (for programs that call PetscInitialize). */
PETSC_EXTERN PetscErrorCode SkuaRegisterAll(void);
PETSC_EXTERN const char    *SkuaVersion(void);
/* The command line given to SkuaInitialize(), arguments joined by spaces (quoted where needed). */
PETSC_EXTERN const char    *SkuaCommandLine(void);

/* Drivers: SkuaInitialize() installs an error handler that records the first error instead of printing
   PETSc's traceback (use -skua_traceback for that). SkuaErrorReport() prints it once (rank 0 for a
   collective error) as "prog: error: message"; an error raised on one rank only aborts the job, since
   the other ranks cannot finish. */
PETSC_EXTERN PetscErrorCode SkuaErrorReport(const char prog[], PetscErrorCode ierr);
/* A driver's failure path: SkuaErrorReport(), then close the result file *w (if open) keeping OUTPUT.partial
   only when it holds finished work (keep) for -resume, and say on rank 0 that OUTPUT was not written. */
PETSC_EXTERN PetscErrorCode SkuaDriverFail(const char prog[], PetscErrorCode ierr, SkuaH5Writer *w, PetscBool keep, const char output[]);

#endif
