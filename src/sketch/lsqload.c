/* Least-squares problems from HDF5: a tall /A (CSR group or dense) and /b, read by Skua's parallel io readers. */
#include "sketchimpl.h"
#include <skua/io.h>
#include "../io/h5util.h"

/* A dense 2-D /A straight into MATDENSE (PETSc's default row split, column-major local block): LSQR's products are
   then BLAS-2 GEMV and the sketch takes the blocked dense path, where an all-nonzero MATAIJ would cost ~1.5x the bytes. */
static PetscErrorCode LoadDense(MPI_Comm comm, const char file[], hid_t fid, Mat *A)
{
  hid_t        dset;
  hsize_t      dims[2];
  PetscInt     M, d, mloc, rstart, lda, bad = -1;
  PetscScalar *buf, *a;
  char         msg[SKUA_MSG_LEN] = "";

  PetscFunctionBegin;
  PetscCall(SkuaH5DatasetOpen(comm, file, fid, "A", 2, SKUA_H5_FLOAT, &dset, dims));
  if (!(dims[0] > 0 && dims[1] > 0)) H5Dclose(dset);
  PetscCheck(dims[0] > 0 && dims[1] > 0, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: matrix '/A' is empty (shape %llu x %llu)", file, (unsigned long long)dims[0], (unsigned long long)dims[1]);
  M = (PetscInt)dims[0];
  d = (PetscInt)dims[1];
  PetscCall(MatCreateDense(comm, PETSC_DECIDE, PETSC_DECIDE, M, d, NULL, A));
  PetscCall(MatGetOwnershipRange(*A, &rstart, NULL));
  PetscCall(MatGetLocalSize(*A, &mloc, NULL));
  PetscCall(PetscMalloc1((size_t)mloc * d, &buf));
  PetscCall(SkuaH5ReadRows(dset, H5T_NATIVE_DOUBLE, (hsize_t)rstart, (hsize_t)mloc, buf));
  H5Dclose(dset);
  PetscCall(MatDenseGetLDA(*A, &lda));
  PetscCall(MatDenseGetArrayWrite(*A, &a));
  for (PetscInt i = 0; i < mloc; i++)
    for (PetscInt j = 0; j < d; j++) {
      PetscScalar v = buf[(size_t)i * d + j];
      if (bad < 0 && PetscIsInfOrNanScalar(v)) bad = (rstart + i) * d + j;
      a[i + (size_t)j * lda] = v;
    }
  PetscCall(MatDenseRestoreArrayWrite(*A, &a));
  PetscCall(PetscFree(buf));
  if (bad >= 0) PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: dataset '/A' holds a non-finite value (NaN or Inf) at row %" PetscInt_FMT ", column %" PetscInt_FMT, file, bad / d, bad % d));
  PetscCall(SkuaCheckCollective(comm, bad >= 0 ? PETSC_TRUE : PETSC_FALSE, PETSC_ERR_FILE_UNEXPECTED, msg));
  PetscCall(MatAssemblyBegin(*A, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(*A, MAT_FINAL_ASSEMBLY));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaLSQLoadHDF5(MPI_Comm comm, const char file[], Mat *A, Vec *b)
{
  PetscInt M, d;
  hid_t    fid;
  int      kind;

  PetscFunctionBegin;
  PetscCall(SkuaSketchInitializePackage());
  PetscCall(SkuaH5OpenRead(comm, file, &fid));
  PetscCall(SkuaH5ObjectKind(fid, "A", &kind));
  if (kind == 2) {
    PetscErrorCode ierr = LoadDense(comm, file, fid, A);
    if (ierr) PetscCall(SkuaH5Close(&fid));
    PetscCall(ierr);
  }
  PetscCall(SkuaH5Close(&fid));
  if (kind != 2) PetscCall(SkuaMatLoadHDF5(comm, file, "A", A));
  PetscCall(MatGetSize(*A, &M, &d));
  PetscCheck(M >= d, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: /A is %" PetscInt_FMT " x %" PetscInt_FMT "; least squares here needs rows >= columns", file, M, d);
  PetscCall(SkuaVecLoadHDF5(file, "b", *A, b));
  PetscFunctionReturn(0);
}
