/* Unit tests of SkuaSketch (Gaussian, CountSketch, sparse sign): structure of S, subspace embedding, vector/matrix agreement, errors. */
#include <skua/sketch.h>

/* A = I (n x n): then S A = S, so the structure of each column of S can be checked exactly. */
static PetscErrorCode CheckStructure(SkuaSketchType type, PetscInt n, PetscInt m, PetscInt s)
{
  Mat                A, SA;
  SkuaSketch         S;
  const PetscScalar *a;
  PetscInt           lo, hi, lda;
  PetscReal          sum = 0, sum2 = 0;

  PetscFunctionBegin;
  PetscCall(MatCreateAIJ(PETSC_COMM_WORLD, PETSC_DECIDE, PETSC_DECIDE, n, n, 1, NULL, 0, NULL, &A));
  PetscCall(MatGetOwnershipRange(A, &lo, &hi));
  for (PetscInt i = lo; i < hi; i++) PetscCall(MatSetValue(A, i, i, 1.0, INSERT_VALUES));
  PetscCall(MatAssemblyBegin(A, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(A, MAT_FINAL_ASSEMBLY));
  PetscCall(SkuaSketchCreate(PETSC_COMM_WORLD, &S));
  PetscCall(SkuaSketchSetType(S, type));
  PetscCall(SkuaSketchSetSize(S, m));
  PetscCall(SkuaSketchSetNnz(S, s));
  PetscCall(SkuaSketchSetSeed(S, 42));
  PetscCall(SkuaSketchApply(S, A, &SA));
  PetscCall(MatDenseGetLDA(SA, &lda));
  PetscCall(MatDenseGetArrayRead(SA, &a));
  for (PetscInt j = 0; j < n; j++) {
    PetscInt nz = 0;
    for (PetscInt k = 0; k < m; k++) {
      PetscReal v = PetscRealPart(a[k + j * lda]);
      sum += v;
      sum2 += v * v;
      if (v != 0) {
        nz++;
        if (type != SKUA_SKETCH_GAUSSIAN) {
          PetscInt ss = type == SKUA_SKETCH_COUNTSKETCH ? 1 : s;
          PetscCheck(PetscAbsReal(PetscAbsReal(v) - 1.0 / PetscSqrtReal((PetscReal)ss)) < 1e-15, PETSC_COMM_SELF, PETSC_ERR_PLIB, "%s: entry (%" PetscInt_FMT ", %" PetscInt_FMT ") = %g, expected +-1/sqrt(%" PetscInt_FMT ")", SkuaSketchTypes[type], k, j, (double)v, ss);
        }
      }
    }
    if (type == SKUA_SKETCH_COUNTSKETCH) PetscCheck(nz == 1, PETSC_COMM_SELF, PETSC_ERR_PLIB, "countsketch column %" PetscInt_FMT " has %" PetscInt_FMT " nonzeros, expected 1", j, nz);
    if (type == SKUA_SKETCH_SPARSESIGN) PetscCheck(nz == s, PETSC_COMM_SELF, PETSC_ERR_PLIB, "sparsesign column %" PetscInt_FMT " has %" PetscInt_FMT " nonzeros, expected %" PetscInt_FMT, j, nz, s);
  }
  PetscCall(MatDenseRestoreArrayRead(SA, &a));
  /* Every column of S has unit expected squared norm (E[S^T S] = I) and zero-mean entries. */
  PetscCheck(PetscAbsReal(sum2 / n - 1.0) < (type == SKUA_SKETCH_GAUSSIAN ? 0.05 : 1e-12), PETSC_COMM_SELF, PETSC_ERR_PLIB, "%s: mean squared column norm %g, expected 1", SkuaSketchTypes[type], (double)(sum2 / n));
  PetscCheck(PetscAbsReal(sum / n) < 0.2, PETSC_COMM_SELF, PETSC_ERR_PLIB, "%s: entries are biased (mean column sum %g)", SkuaSketchTypes[type], (double)(sum / n));
  PetscCall(MatDestroy(&SA));
  PetscCall(MatDestroy(&A));
  PetscCall(SkuaSketchDestroy(&S));
  PetscFunctionReturn(0);
}

/* Subspace embedding: |S A x| / |A x| near 1 for a tall random A; and ApplyVec(A e_0) equals column 0 of S A. */
static PetscErrorCode CheckEmbedding(SkuaSketchType type)
{
  Mat                A, SA;
  Vec                c0, Sc0;
  SkuaSketch         S;
  PetscInt           M = 3000, d = 6, m = 240, lo, hi, lda;
  const PetscScalar *a, *sc;
  PetscRandom        r;

  PetscFunctionBegin;
  PetscCall(MatCreateDense(PETSC_COMM_WORLD, PETSC_DECIDE, PETSC_DECIDE, M, d, NULL, &A));
  PetscCall(MatGetOwnershipRange(A, &lo, &hi));
  PetscCall(PetscRandomCreate(PETSC_COMM_SELF, &r));
  PetscCall(PetscRandomSetSeed(r, 7));
  PetscCall(PetscRandomSeed(r));
  /* Entries from the global index, so A is the same for any np. */
  for (PetscInt i = lo; i < hi; i++)
    for (PetscInt j = 0; j < d; j++) PetscCall(MatSetValue(A, i, j, PetscSinReal(1.0 + 0.37 * i * (j + 1)) * (j + 1), INSERT_VALUES));
  PetscCall(MatAssemblyBegin(A, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(A, MAT_FINAL_ASSEMBLY));
  PetscCall(SkuaSketchCreate(PETSC_COMM_WORLD, &S));
  PetscCall(SkuaSketchSetType(S, type));
  PetscCall(SkuaSketchSetSize(S, m));
  PetscCall(SkuaSketchApply(S, A, &SA));
  PetscCall(MatCreateVecs(A, NULL, &c0));
  PetscCall(MatGetColumnVector(A, c0, 0));
  PetscCall(SkuaSketchApplyVec(S, c0, &Sc0));
  PetscCall(MatDenseGetLDA(SA, &lda));
  PetscCall(MatDenseGetArrayRead(SA, &a));
  PetscCall(VecGetArrayRead(Sc0, &sc));
  for (PetscInt k = 0; k < m; k++) PetscCheck(sc[k] == a[k], PETSC_COMM_SELF, PETSC_ERR_PLIB, "%s: ApplyVec and Apply disagree at %" PetscInt_FMT, SkuaSketchTypes[type], k);
  PetscCall(VecRestoreArrayRead(Sc0, &sc));
  for (PetscInt trial = 0; trial < 5; trial++) {
    Vec         x, Ax;
    PetscScalar xs[6], *xa;
    PetscReal   nA, nS = 0;
    PetscInt    clo, chi;
    for (PetscInt j = 0; j < d; j++) xs[j] = PetscCosReal(3.0 * trial + j);
    PetscCall(MatCreateVecs(A, &x, &Ax));
    PetscCall(VecGetOwnershipRange(x, &clo, &chi));
    PetscCall(VecGetArray(x, &xa));
    for (PetscInt j = clo; j < chi; j++) xa[j - clo] = xs[j];
    PetscCall(VecRestoreArray(x, &xa));
    PetscCall(MatMult(A, x, Ax));
    PetscCall(VecNorm(Ax, NORM_2, &nA));
    for (PetscInt k = 0; k < m; k++) {
      PetscScalar t = 0;
      for (PetscInt j = 0; j < d; j++) t += a[k + j * lda] * xs[j];
      nS += PetscRealPart(t * t);
    }
    nS = PetscSqrtReal(nS);
    PetscCheck(nS > 0.6 * nA && nS < 1.4 * nA, PETSC_COMM_SELF, PETSC_ERR_PLIB, "%s: |SAx|/|Ax| = %g is not near 1", SkuaSketchTypes[type], (double)(nS / nA));
    PetscCall(VecDestroy(&x));
    PetscCall(VecDestroy(&Ax));
  }
  PetscCall(MatDenseRestoreArrayRead(SA, &a));
  PetscCall(VecDestroy(&c0));
  PetscCall(VecDestroy(&Sc0));
  PetscCall(MatDestroy(&SA));
  PetscCall(MatDestroy(&A));
  PetscCall(SkuaSketchDestroy(&S));
  PetscCall(PetscRandomDestroy(&r));
  PetscFunctionReturn(0);
}

static PetscErrorCode CheckErrors(void)
{
  SkuaSketch     S;
  Mat            A, SA = NULL;
  PetscErrorCode ierr;

  PetscFunctionBegin;
  PetscCall(SkuaSketchCreate(PETSC_COMM_WORLD, &S));
  PetscCall(MatCreateDense(PETSC_COMM_WORLD, PETSC_DECIDE, PETSC_DECIDE, 50, 10, NULL, &A));
  PetscCall(MatAssemblyBegin(A, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(A, MAT_FINAL_ASSEMBLY));
  PetscCall(SkuaSketchSetSize(S, 5));
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = SkuaSketchApply(S, A, &SA);
  PetscCall(PetscPopErrorHandler());
  PetscCheck(ierr == PETSC_ERR_ARG_OUTOFRANGE, PETSC_COMM_WORLD, PETSC_ERR_PLIB, "m < d must be rejected (got %d)", (int)ierr);
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = SkuaSketchSetType(S, SKUA_SKETCH_SRHT);
  PetscCall(PetscPopErrorHandler());
  PetscCheck(ierr == PETSC_ERR_SUP, PETSC_COMM_WORLD, PETSC_ERR_PLIB, "srht must be rejected as not implemented (got %d)", (int)ierr);
  PetscCall(MatDestroy(&A));
  PetscCall(SkuaSketchDestroy(&S));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCall(CheckStructure(SKUA_SKETCH_GAUSSIAN, 300, 400, 1));
  PetscCall(CheckStructure(SKUA_SKETCH_COUNTSKETCH, 300, 400, 1));
  PetscCall(CheckStructure(SKUA_SKETCH_SPARSESIGN, 300, 400, 4));
  PetscCall(CheckEmbedding(SKUA_SKETCH_GAUSSIAN));
  PetscCall(CheckEmbedding(SKUA_SKETCH_COUNTSKETCH));
  PetscCall(CheckEmbedding(SKUA_SKETCH_SPARSESIGN));
  PetscCall(CheckErrors());
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "PASS test_sketch_unit\n"));
  PetscCall(PetscFinalize());
  return 0;
}
