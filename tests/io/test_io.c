/* Unit test of the HDF5 CSR/dense readers: both layouts give the same Mat, and A x matches scipy's. */
#include <skua.h>

int main(int argc, char **argv)
{
  char      file[PETSC_MAX_PATH_LEN] = "io_fixture.h5";
  Mat       Acsr, Adense;
  Vec       x, y, ref;
  PetscBool eq;
  PetscReal err, nrm;
  PetscInt  lo, hi;

  PetscCall(SkuaInitialize(&argc, &argv, NULL, "test_io -file io_fixture.h5"));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-file", file, sizeof(file), NULL));
  PetscCall(SkuaMatLoadHDF5(PETSC_COMM_WORLD, file, "/csr", &Acsr));
  PetscCall(SkuaMatLoadHDF5(PETSC_COMM_WORLD, file, "dense", &Adense));
  PetscCall(MatEqual(Acsr, Adense, &eq));
  PetscCheck(eq, PETSC_COMM_WORLD, PETSC_ERR_PLIB, "CSR and dense layouts of the same matrix load differently");
  PetscCall(MatCreateVecs(Acsr, &x, &y));
  PetscCall(VecGetOwnershipRange(x, &lo, &hi));
  for (PetscInt i = lo; i < hi; i++) PetscCall(VecSetValue(x, i, (PetscScalar)i, INSERT_VALUES));
  PetscCall(VecAssemblyBegin(x));
  PetscCall(VecAssemblyEnd(x));
  PetscCall(MatMult(Acsr, x, y));
  PetscCall(SkuaVecLoadHDF5(file, "Ax", Acsr, &ref));
  PetscCall(VecAXPY(y, -1.0, ref));
  PetscCall(VecNorm(y, NORM_2, &err));
  PetscCall(VecNorm(ref, NORM_2, &nrm));
  PetscCheck(err <= 1e-13 * nrm, PETSC_COMM_WORLD, PETSC_ERR_PLIB, "A x differs from scipy's: relative error %g", (double)(err / nrm));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "test_io: CSR == dense, |Ax - ref|/|ref| = %.2e: OK\n", (double)(err / nrm)));
  PetscCall(VecDestroy(&x));
  PetscCall(VecDestroy(&y));
  PetscCall(VecDestroy(&ref));
  PetscCall(MatDestroy(&Acsr));
  PetscCall(MatDestroy(&Adense));
  PetscCall(SkuaFinalize());
  return 0;
}
