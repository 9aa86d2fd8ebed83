/* Unit tests of SkuaSketch (Gaussian, CountSketch, sparse sign, block SRHT): structure of S, E[S^T S] = I, subspace embedding, vector/matrix agreement, errors. */
#include <skua/sketch.h>

/* A = I (n x n): then S A = S, so the structure of each column of S can be checked exactly. */
/* The n x n identity as a row-distributed MATAIJ: S I = S, so the sketch itself can be inspected. */
static PetscErrorCode IdentityAIJ(PetscInt n, Mat *A)
{
  PetscInt lo, hi;

  PetscFunctionBegin;
  PetscCall(MatCreateAIJ(PETSC_COMM_WORLD, PETSC_DECIDE, PETSC_DECIDE, n, n, 1, NULL, 0, NULL, A));
  PetscCall(MatGetOwnershipRange(*A, &lo, &hi));
  for (PetscInt i = lo; i < hi; i++) PetscCall(MatSetValue(*A, i, i, 1.0, INSERT_VALUES));
  PetscCall(MatAssemblyBegin(*A, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(*A, MAT_FINAL_ASSEMBLY));
  PetscFunctionReturn(0);
}

static PetscErrorCode CheckStructure(SkuaSketchType type, PetscInt n, PetscInt m, PetscInt s)
{
  Mat                A, SA;
  SkuaSketch         S;
  const PetscScalar *a;
  PetscInt           lo, hi, lda;
  PetscReal          sum = 0, sum2 = 0;

  PetscFunctionBegin;
  PetscCall(IdentityAIJ(n, &A));
  PetscCall(MatGetOwnershipRange(A, &lo, &hi));
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
        if (type == SKUA_SKETCH_SRHT) PetscCheck(PetscAbsReal(PetscAbsReal(v) - 1.0 / PetscSqrtReal((PetscReal)m)) < 1e-15, PETSC_COMM_SELF, PETSC_ERR_PLIB, "srht: entry (%" PetscInt_FMT ", %" PetscInt_FMT ") = %g, expected +-1/sqrt(m)", k, j, (double)v);
        else if (type != SKUA_SKETCH_GAUSSIAN) {
          PetscInt ss = type == SKUA_SKETCH_COUNTSKETCH ? 1 : s;
          PetscCheck(PetscAbsReal(PetscAbsReal(v) - 1.0 / PetscSqrtReal((PetscReal)ss)) < 1e-15, PETSC_COMM_SELF, PETSC_ERR_PLIB, "%s: entry (%" PetscInt_FMT ", %" PetscInt_FMT ") = %g, expected +-1/sqrt(%" PetscInt_FMT ")", SkuaSketchTypes[type], k, j, (double)v, ss);
        }
      }
    }
    if (type == SKUA_SKETCH_COUNTSKETCH) PetscCheck(nz == 1, PETSC_COMM_SELF, PETSC_ERR_PLIB, "countsketch column %" PetscInt_FMT " has %" PetscInt_FMT " nonzeros, expected 1", j, nz);
    if (type == SKUA_SKETCH_SRHT) PetscCheck(nz == m, PETSC_COMM_SELF, PETSC_ERR_PLIB, "srht column %" PetscInt_FMT " has %" PetscInt_FMT " nonzeros, expected all %" PetscInt_FMT, j, nz, m);
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
  {
    /* The sparse types and SRHT run Skua's own loops, so S b is bit for bit column 0 of S A. The Gaussian tile
       product is a BLAS GEMM, and OpenBLAS may pick another kernel for one column than for d (its small-matrix
       path on AMD Zen does), which changes the rounding of the per-tile sums: there, agreement to rounding. */
    PetscReal amax = 0.0, tol;

    for (PetscInt k = 0; k < m; k++) amax = PetscMax(amax, PetscAbsScalar(a[k]));
    tol = type == SKUA_SKETCH_GAUSSIAN ? 1e-12 * amax : 0.0;
    for (PetscInt k = 0; k < m; k++) PetscCheck(PetscAbsScalar(sc[k] - a[k]) <= tol, PETSC_COMM_SELF, PETSC_ERR_PLIB, "%s: ApplyVec and Apply disagree at %" PetscInt_FMT ": %.17g vs %.17g", SkuaSketchTypes[type], k, (double)sc[k], (double)a[k]);
  }
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

/* SkuaSketchApplyDistributed gives each rank its rows of S A, bit for bit those of the replicated SkuaSketchApply,
   for dense and sparse A (the reduce-scatter sums the same exact accumulators). m = 37 rows split unevenly. */
static PetscErrorCode CheckDistributed(SkuaSketchType type, PetscBool dense)
{
  Mat                A, SA, SD;
  SkuaSketch         S;
  PetscInt           M = 5000, d = 5, m = 37, lo, hi, rlo, rhi, lda, ldd, Mg, dg;
  const PetscScalar *a, *ad;

  PetscFunctionBegin;
  if (dense) PetscCall(MatCreateDense(PETSC_COMM_WORLD, PETSC_DECIDE, PETSC_DECIDE, M, d, NULL, &A));
  else PetscCall(MatCreateAIJ(PETSC_COMM_WORLD, PETSC_DECIDE, PETSC_DECIDE, M, d, d, NULL, d, NULL, &A));
  PetscCall(MatGetOwnershipRange(A, &lo, &hi));
  for (PetscInt i = lo; i < hi; i++)
    for (PetscInt j = 0; j < d; j++)
      if ((i + j) % 3) PetscCall(MatSetValue(A, i, j, PetscSinReal(0.7 + 0.61 * i * (j + 2)) * PetscPowReal(10.0, (PetscReal)j), INSERT_VALUES));
  PetscCall(MatAssemblyBegin(A, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(A, MAT_FINAL_ASSEMBLY));
  PetscCall(SkuaSketchCreate(PETSC_COMM_WORLD, &S));
  PetscCall(SkuaSketchSetType(S, type));
  PetscCall(SkuaSketchSetSize(S, m));
  if (type == SKUA_SKETCH_SRHT) PetscCall(SkuaSketchSetSRHTBlockSize(S, 1024));
  PetscCall(SkuaSketchApply(S, A, &SA));
  PetscCall(SkuaSketchApplyDistributed(S, A, &SD));
  PetscCall(MatGetSize(SD, &Mg, &dg));
  PetscCheck(Mg == m && dg == d, PETSC_COMM_SELF, PETSC_ERR_PLIB, "%s: distributed sketch is %" PetscInt_FMT " x %" PetscInt_FMT ", expected %" PetscInt_FMT " x %" PetscInt_FMT, SkuaSketchTypes[type], Mg, dg, m, d);
  PetscCall(MatGetOwnershipRange(SD, &rlo, &rhi));
  PetscCall(MatDenseGetLDA(SA, &lda));
  PetscCall(MatDenseGetLDA(SD, &ldd));
  PetscCall(MatDenseGetArrayRead(SA, &a));
  PetscCall(MatDenseGetArrayRead(SD, &ad));
  for (PetscInt j = 0; j < d; j++)
    for (PetscInt k = rlo; k < rhi; k++)
      PetscCheck(ad[(k - rlo) + j * ldd] == a[k + j * lda], PETSC_COMM_SELF, PETSC_ERR_PLIB, "%s (%s A): distributed S A (%" PetscInt_FMT ", %" PetscInt_FMT ") = %.17g, replicated %.17g", SkuaSketchTypes[type], dense ? "dense" : "sparse", k, j, (double)ad[(k - rlo) + j * ldd], (double)a[k + j * lda]);
  PetscCall(MatDenseRestoreArrayRead(SD, &ad));
  PetscCall(MatDenseRestoreArrayRead(SA, &a));
  PetscCall(MatDestroy(&SD));
  PetscCall(MatDestroy(&SA));
  PetscCall(MatDestroy(&A));
  PetscCall(SkuaSketchDestroy(&S));
  PetscFunctionReturn(0);
}

/* Block SRHT with one block and m = B: S is sqrt(B/m) times an orthogonal matrix, so S^T S = I exactly (this
   needs the Hadamard transform, the signs and the sampling all right). At np > 1 the block spans all ranks. */
static PetscErrorCode CheckSRHTOrthogonal(PetscInt n)
{
  Mat                A, SA, G;
  SkuaSketch         S;
  PetscInt           lo, hi;
  const PetscScalar *g;
  PetscReal          err = 0;

  PetscFunctionBegin;
  PetscCall(IdentityAIJ(n, &A));
  PetscCall(MatGetOwnershipRange(A, &lo, &hi));
  PetscCall(SkuaSketchCreate(PETSC_COMM_WORLD, &S));
  PetscCall(SkuaSketchSetType(S, SKUA_SKETCH_SRHT));
  PetscCall(SkuaSketchSetSize(S, n));
  PetscCall(SkuaSketchSetSRHTBlockSize(S, n));
  PetscCall(SkuaSketchSetSeed(S, 3));
  PetscCall(SkuaSketchApply(S, A, &SA));
  PetscCall(MatTransposeMatMult(SA, SA, MAT_INITIAL_MATRIX, PETSC_DEFAULT, &G));
  PetscCall(MatDenseGetArrayRead(G, &g));
  for (PetscInt i = 0; i < n; i++)
    for (PetscInt j = 0; j < n; j++) err = PetscMax(err, PetscAbsScalar(g[i + j * n] - (i == j ? 1.0 : 0.0)));
  PetscCall(MatDenseRestoreArrayRead(G, &g));
  PetscCheck(err < 1e-12, PETSC_COMM_SELF, PETSC_ERR_PLIB, "srht with m = B = %" PetscInt_FMT ": max |S^T S - I| = %g, expected 0", n, (double)err);
  PetscCall(MatDestroy(&G));
  PetscCall(MatDestroy(&SA));
  PetscCall(MatDestroy(&A));
  PetscCall(SkuaSketchDestroy(&S));
  PetscFunctionReturn(0);
}

/* E[S^T S] = I on a coherent A (d rows of size 1e3 e_j among M Gaussian-like rows, which uniform row sampling
   would miss): |(SA)^T(SA) - A^T A|_F / |A^T A|_F is small for one seed, and its average over seeds tends to 0. */
static PetscReal AEntry(PetscInt i, PetscInt j)
{
  return (i == 97 * j + 13 ? 1e3 : 0) + PetscSinReal(1.0 + 0.37 * i * (j + 1));
}
static PetscErrorCode CheckSRHTExpectation(void)
{
  const PetscInt M = 5000, d = 8, m = 400, nseed = 40;
  Mat            A;
  PetscInt       lo, hi;
  PetscReal      nrm = 0, err1 = 0, erravg = 0, *ata;
  PetscScalar   *avg;

  PetscFunctionBegin;
  PetscCall(MatCreateDense(PETSC_COMM_WORLD, PETSC_DECIDE, PETSC_DECIDE, M, d, NULL, &A));
  PetscCall(MatGetOwnershipRange(A, &lo, &hi));
  for (PetscInt i = lo; i < hi; i++)
    for (PetscInt j = 0; j < d; j++) PetscCall(MatSetValue(A, i, j, AEntry(i, j), INSERT_VALUES));
  PetscCall(MatAssemblyBegin(A, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(A, MAT_FINAL_ASSEMBLY));
  /* A^T A on every rank from the closed form of A (independent of the sketch code). */
  PetscCall(PetscCalloc1(d * d, &ata));
  for (PetscInt i = 0; i < M; i++)
    for (PetscInt j = 0; j < d; j++)
      for (PetscInt l = 0; l < d; l++) ata[j + l * d] += AEntry(i, j) * AEntry(i, l);
  for (PetscInt k = 0; k < d * d; k++) nrm += ata[k] * ata[k];
  nrm = PetscSqrtReal(nrm);
  PetscCall(PetscCalloc1(d * d, &avg));
  for (PetscInt t = 0; t < nseed; t++) {
    SkuaSketch         S;
    Mat                SA, G;
    const PetscScalar *g;
    PetscCall(SkuaSketchCreate(PETSC_COMM_WORLD, &S));
    PetscCall(SkuaSketchSetType(S, SKUA_SKETCH_SRHT));
    PetscCall(SkuaSketchSetSize(S, m));
    PetscCall(SkuaSketchSetSeed(S, 100 + t));
    PetscCall(SkuaSketchApply(S, A, &SA));
    PetscCall(MatTransposeMatMult(SA, SA, MAT_INITIAL_MATRIX, PETSC_DEFAULT, &G));
    PetscCall(MatDenseGetArrayRead(G, &g));
    for (PetscInt k = 0; k < d * d; k++) {
      avg[k] += g[k] / nseed;
      if (t == 0) err1 += PetscRealPart((g[k] - ata[k]) * (g[k] - ata[k]));
    }
    PetscCall(MatDenseRestoreArrayRead(G, &g));
    PetscCall(MatDestroy(&G));
    PetscCall(MatDestroy(&SA));
    PetscCall(SkuaSketchDestroy(&S));
  }
  for (PetscInt k = 0; k < d * d; k++) erravg += PetscRealPart((avg[k] - ata[k]) * (avg[k] - ata[k]));
  erravg = PetscSqrtReal(erravg);
  err1   = PetscSqrtReal(err1);
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "srht coherent A: |G - A^T A|_F / |A^T A|_F = %.3f (one seed), %.4f (mean of %" PetscInt_FMT " seeds)\n", (double)(err1 / nrm), (double)(erravg / nrm), nseed));
  PetscCheck(err1 / nrm < 0.5, PETSC_COMM_SELF, PETSC_ERR_PLIB, "srht: one sketch distorts A^T A by %g (relative)", (double)(err1 / nrm));
  PetscCheck(erravg / nrm < 0.06, PETSC_COMM_SELF, PETSC_ERR_PLIB, "srht: mean of (SA)^T SA over seeds is %g away from A^T A: E[S^T S] != I", (double)(erravg / nrm));
  PetscCall(PetscFree(avg));
  PetscCall(PetscFree(ata));
  PetscCall(MatDestroy(&A));
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
  /* srht samples m distinct rows of a block: m > block size is an error, as is a block that is not 2^k. */
  PetscCall(SkuaSketchSetType(S, SKUA_SKETCH_SRHT));
  PetscCall(SkuaSketchSetSize(S, 40));
  PetscCall(SkuaSketchSetSRHTBlockSize(S, 32));
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = SkuaSketchApply(S, A, &SA);
  PetscCall(PetscPopErrorHandler());
  PetscCheck(ierr == PETSC_ERR_ARG_OUTOFRANGE, PETSC_COMM_WORLD, PETSC_ERR_PLIB, "srht with m > block size must be rejected (got %d)", (int)ierr);
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = SkuaSketchSetSRHTBlockSize(S, 48);
  PetscCall(PetscPopErrorHandler());
  PetscCheck(ierr == PETSC_ERR_ARG_OUTOFRANGE, PETSC_COMM_WORLD, PETSC_ERR_PLIB, "srht block 48 (not a power of two) must be rejected (got %d)", (int)ierr);
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
  PetscCall(CheckStructure(SKUA_SKETCH_SRHT, 300, 400, 1));
  PetscCall(CheckEmbedding(SKUA_SKETCH_SRHT));
  for (PetscInt t = 0; t < 4; t++) {
    PetscCall(CheckDistributed((SkuaSketchType)t, PETSC_TRUE));
    PetscCall(CheckDistributed((SkuaSketchType)t, PETSC_FALSE));
  }
  PetscCall(CheckSRHTOrthogonal(256));
  PetscCall(CheckSRHTExpectation());
  PetscCall(CheckErrors());
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "PASS test_sketch_unit\n"));
  PetscCall(PetscFinalize());
  return 0;
}
