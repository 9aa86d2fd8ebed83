/* Least-squares problems from HDF5: a tall /A (CSR group or dense) and /b, read by Skua's parallel io readers. */
#include "sketchimpl.h"
#include <skua/io.h>

PetscErrorCode SkuaLSQLoadHDF5(MPI_Comm comm, const char file[], Mat *A, Vec *b)
{
  PetscInt M, d;

  PetscFunctionBegin;
  PetscCall(SkuaSketchInitializePackage());
  PetscCall(SkuaMatLoadHDF5(comm, file, "A", A));
  PetscCall(MatGetSize(*A, &M, &d));
  PetscCheck(M >= d, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: /A is %" PetscInt_FMT " x %" PetscInt_FMT "; least squares here needs rows >= columns", file, M, d);
  PetscCall(SkuaVecLoadHDF5(file, "b", *A, b));
  PetscFunctionReturn(0);
}
