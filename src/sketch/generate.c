/* Tall least-squares and logistic test problems with prescribed conditioning and coherence, identical for any np (CholeskyQR2: Fukaya et al. 2014). */
#include "sketchimpl.h"
#include <petscblaslapack.h>

#define GEN_BLOCK 1024 /* rows per block of the exact Gram sum; fixed, so the Gram does not depend on np */

static inline uint64_t RowKey(PetscInt seed, PetscInt stream, PetscInt i)
{
  return SkuaSketchMix(SkuaSketchKey(seed, i) ^ SkuaSketchMix(0x243f6a8885a308d3ULL + (uint64_t)stream));
}
static inline PetscReal Unif(uint64_t w) { return (PetscReal)((w >> 11) + 1) * 0x1.0p-53; }
static inline PetscReal Gauss(uint64_t key, uint64_t k)
{
  PetscReal u1 = Unif(SkuaSketchMix(key + 2 * k)), u2 = Unif(SkuaSketchMix(key + 2 * k + 1));
  return PetscSqrtReal(-2.0 * PetscLogReal(u1)) * PetscCosReal(2.0 * PETSC_PI * u2);
}

/* Row i of the dense Gaussian factor G (coherent: rows 0..d-1 times 1e3). */
static void DenseRow(PetscInt seed, PetscInt i, PetscInt d, PetscBool coherent, PetscReal g[])
{
  uint64_t key = RowKey(seed, 1, i);
  for (PetscInt j = 0; j < d; j++) g[j] = Gauss(key, (uint64_t)j) * (coherent && i < d ? 1e3 : 1.0);
}

/* Sparse row i: about density * d distinct random columns with N(0,1) values, sorted. Returns the count. */
static PetscInt SparseRow(PetscInt seed, PetscInt i, PetscInt d, PetscReal density, PetscInt cols[], PetscReal vals[])
{
  uint64_t  key = RowKey(seed, 2, i), ctr = 0;
  PetscReal e   = density * d;
  PetscInt  k   = (PetscInt)e + (Unif(SkuaSketchMix(key + ctr++)) < e - (PetscInt)e ? 1 : 0), n = 0;

  k = PetscMin(PetscMax(k, 1), d);
  while (n < k) {
    PetscInt  c   = (PetscInt)(SkuaSketchMix(key + ctr++) % (uint64_t)d);
    PetscBool dup = PETSC_FALSE;
    for (PetscInt q = 0; q < n; q++) dup = (PetscBool)(dup || cols[q] == c);
    if (!dup) cols[n++] = c;
  }
  for (PetscInt a = 1; a < n; a++) /* insertion sort: n is small */
    for (PetscInt q = a; q > 0 && cols[q - 1] > cols[q]; q--) {
      PetscInt t  = cols[q];
      cols[q]     = cols[q - 1];
      cols[q - 1] = t;
    }
  for (PetscInt q = 0; q < n; q++) vals[q] = Gauss(key ^ 0x9e3779b97f4a7c15ULL, (uint64_t)cols[q]);
  return n;
}

/* Gram W^T W of the rows of W = G T (T upper triangular d x d, or NULL = I), exactly: blocks of GEN_BLOCK rows
   are summed in double by the rank owning the block's first row (generating the rows itself, they depend on
   (seed, i) only), the block sums are added in 128-bit fixed point with a common scale. */
static PetscErrorCode ExactGram(MPI_Comm comm, PetscInt M, PetscInt d, PetscInt rstart, PetscInt rend, PetscInt seed, PetscBool coherent, const PetscScalar T[], PetscReal bound, PetscScalar Gram[])
{
  PetscScalar   *blk, *blk2, *g, one = 1.0, zero = 0.0;
  SkuaSketchAcc *acc;
  PetscReal     *scale;
  PetscBLASInt   bd, bk, ldb = GEN_BLOCK;
  int            e;

  PetscFunctionBegin;
  PetscCall(PetscBLASIntCast(d, &bd));
  PetscCall(PetscMalloc4((size_t)GEN_BLOCK * d, &blk, (size_t)GEN_BLOCK * d, &blk2, (size_t)d * d, &g, d, &scale));
  PetscCall(PetscCalloc1((size_t)d * d, &acc));
  (void)frexp(bound * GEN_BLOCK, &e); /* |block Gram entry| <= GEN_BLOCK * bound < 2^e */
  for (PetscInt j = 0; j < d; j++) scale[j] = ldexp(1.0, 94 - e);
  for (PetscInt b = (rstart + GEN_BLOCK - 1) / GEN_BLOCK; b * GEN_BLOCK < rend; b++) {
    PetscInt lo = b * GEN_BLOCK, hi = PetscMin(M, lo + GEN_BLOCK);
    PetscReal row[d > 0 ? d : 1];
    for (PetscInt i = lo; i < hi; i++) {
      DenseRow(seed, i, d, coherent, row);
      for (PetscInt j = 0; j < d; j++) blk[(i - lo) + (size_t)j * GEN_BLOCK] = row[j];
    }
    PetscCall(PetscBLASIntCast(hi - lo, &bk));
    if (T) {
      PetscCallBLAS("BLASgemm", BLASgemm_("N", "N", &bk, &bd, &bd, &one, blk, &ldb, T, &bd, &zero, blk2, &ldb));
      PetscCall(PetscArraycpy(blk, blk2, (size_t)GEN_BLOCK * d));
    }
    PetscCallBLAS("BLASgemm", BLASgemm_("T", "N", &bd, &bd, &bk, &one, blk, &ldb, blk, &ldb, &zero, g, &bd));
    for (size_t k = 0; k < (size_t)d * d; k++) acc[k] += SkuaSketchToAcc(PetscRealPart(g[k]) * scale[0]);
  }
  PetscCall(SkuaSketchAccReduce(comm, d, d, acc, scale, Gram, d));
  PetscCall(PetscFree4(blk, blk2, g, scale));
  PetscCall(PetscFree(acc));
  PetscFunctionReturn(0);
}

/* R upper triangular with R^T R = Gram (Cholesky, upper), then T <- T R^{-1}. */
static PetscErrorCode CholQRStep(PetscInt d, PetscScalar Gram[], PetscScalar T[])
{
  PetscBLASInt bd, info;
  PetscScalar  one = 1.0;

  PetscFunctionBegin;
  PetscCall(PetscBLASIntCast(d, &bd));
  PetscCallBLAS("LAPACKpotrf", LAPACKpotrf_("U", &bd, Gram, &bd, &info));
  PetscCheck(info == 0, PETSC_COMM_SELF, PETSC_ERR_LIB, "-generate: CholeskyQR failed (info %d); use fewer columns or more rows", (int)info);
  for (PetscInt j = 0; j < d; j++)
    for (PetscInt i = j + 1; i < d; i++) Gram[i + j * d] = 0;
  PetscCallBLAS("BLAStrsm", BLAStrsm_("R", "U", "N", "N", &bd, &bd, &one, Gram, &bd, T, &bd));
  PetscFunctionReturn(0);
}

/* b = A x_true + 1e-3 noise, with x_true and the noise from the seed; row by row in a fixed order (not MatMult,
   whose BLAS kernels may round a row differently depending on the local row count). */
static PetscErrorCode RightHandSide(Mat A, PetscInt seed, Vec *b)
{
  PetscInt     lo, hi, d;
  PetscScalar *bb;
  PetscReal   *xt;

  PetscFunctionBegin;
  PetscCall(MatGetSize(A, NULL, &d));
  PetscCall(PetscMalloc1(d, &xt));
  for (PetscInt j = 0; j < d; j++) xt[j] = Gauss(RowKey(seed, 3, 0), (uint64_t)j);
  PetscCall(MatCreateVecs(A, NULL, b));
  PetscCall(VecGetOwnershipRange(*b, &lo, &hi));
  PetscCall(VecGetArray(*b, &bb));
  for (PetscInt i = lo; i < hi; i++) {
    PetscInt           n;
    const PetscInt    *cols;
    const PetscScalar *vals;
    PetscReal          s = 0;
    PetscCall(MatGetRow(A, i, &n, &cols, &vals));
    for (PetscInt q = 0; q < n; q++) s += PetscRealPart(vals[q]) * xt[cols[q]];
    PetscCall(MatRestoreRow(A, i, &n, &cols, &vals));
    bb[i - lo] = s + 1e-3 * Gauss(RowKey(seed, 4, i), 0);
  }
  PetscCall(VecRestoreArray(*b, &bb));
  PetscCall(PetscFree(xt));
  PetscFunctionReturn(0);
}

static PetscErrorCode CheckSizes(MPI_Comm comm, PetscInt M, PetscInt d, PetscReal density)
{
  PetscFunctionBegin;
  PetscCheck(d >= 1 && M >= d, comm, PETSC_ERR_USER_INPUT, "-generate: -rows %" PetscInt_FMT " and -cols %" PetscInt_FMT " must satisfy rows >= cols >= 1", M, d);
  PetscCheck(density > 0 && density <= 1, comm, PETSC_ERR_USER_INPUT, "-generate: -density %g must be in (0, 1]", (double)density);
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaSketchGenerateLSQ(MPI_Comm comm, PetscInt M, PetscInt d, PetscReal cond, PetscBool coherent, PetscBool sparse, PetscReal density, PetscInt seed, Mat *A, Vec *b)
{
  PetscInt   rstart, rend;
  PetscReal *sv;

  PetscFunctionBegin;
  PetscCall(SkuaSketchInitializePackage());
  PetscCall(CheckSizes(comm, M, d, density));
  PetscCheck(cond >= 1, comm, PETSC_ERR_USER_INPUT, "-generate: -cond %g must be >= 1", (double)cond);
  PetscCall(PetscMalloc1(d, &sv));
  for (PetscInt j = 0; j < d; j++) sv[j] = d > 1 ? PetscPowReal(cond, -(PetscReal)j / (d - 1)) : 1.0;
  if (sparse) {
    PetscInt  *cols, nloc;
    PetscReal *vals;
    PetscCall(MatCreateAIJ(comm, PETSC_DECIDE, PETSC_DECIDE, M, d, PetscMin(d, (PetscInt)(density * d) + 2), NULL, PetscMin(d, (PetscInt)(density * d) + 2), NULL, A));
    PetscCall(MatSetOption(*A, MAT_NEW_NONZERO_ALLOCATION_ERR, PETSC_FALSE));
    PetscCall(MatGetOwnershipRange(*A, &rstart, &rend));
    PetscCall(PetscMalloc2(d + 1, &cols, d + 1, &vals));
    for (PetscInt i = rstart; i < rend; i++) {
      nloc = SparseRow(seed, i, d, density, cols, vals);
      for (PetscInt q = 0; q < nloc; q++) vals[q] *= sv[cols[q]];
      PetscCall(MatSetValues(*A, 1, &i, nloc, cols, vals, ADD_VALUES)); /* distinct columns: ADD = INSERT */
      if (i < d) PetscCall(MatSetValue(*A, i, i, (coherent ? 1e3 : 1.0) * sv[i], ADD_VALUES));
    }
    PetscCall(PetscFree2(cols, vals));
    PetscCall(MatAssemblyBegin(*A, MAT_FINAL_ASSEMBLY));
    PetscCall(MatAssemblyEnd(*A, MAT_FINAL_ASSEMBLY));
  } else {
    PetscScalar *T, *Gram, *V, *tau, *work, *a, one = 1.0, zero = 0.0;
    PetscBLASInt bd, bml, lwork, info, lda;
    PetscReal    bound = coherent ? 8.6 * 8.6 * 1e6 : 8.6 * 8.6; /* |N| <= 8.6 (Box-Muller with 53-bit uniforms) */
    PetscInt     ldA;

    PetscCall(PetscBLASIntCast(d, &bd));
    lwork = 64 * bd;
    PetscCall(PetscCalloc5((size_t)d * d, &T, (size_t)d * d, &Gram, (size_t)d * d, &V, d, &tau, lwork, &work));
    for (PetscInt j = 0; j < d; j++) T[j + j * d] = 1.0;
    PetscCall(MatCreateDense(comm, PETSC_DECIDE, PETSC_DECIDE, M, d, NULL, A));
    PetscCall(MatGetOwnershipRange(*A, &rstart, &rend));
    /* CholeskyQR2: U = G R1^{-1} R2^{-1} is orthonormal to round-off (cond(G) is modest), from two exact Grams. */
    PetscCall(ExactGram(comm, M, d, rstart, rend, seed, coherent, NULL, bound, Gram));
    PetscCall(CholQRStep(d, Gram, T));
    PetscCall(ExactGram(comm, M, d, rstart, rend, seed, coherent, T, 4.0, Gram)); /* rows of G R1^{-1} have norm <= ~1 */
    PetscCall(CholQRStep(d, Gram, T));
    /* V: Q factor of a d x d Gaussian (the same on every rank); T <- T diag(s) V^T. */
    for (PetscInt i = 0; i < d; i++)
      for (PetscInt j = 0; j < d; j++) V[i + j * d] = Gauss(RowKey(seed, 5, i), (uint64_t)j);
    PetscCallBLAS("LAPACKgeqrf", LAPACKgeqrf_(&bd, &bd, V, &bd, tau, work, &lwork, &info));
    PetscCallBLAS("LAPACKorgqr", LAPACKorgqr_(&bd, &bd, &bd, V, &bd, tau, work, &lwork, &info));
    PetscCheck(info == 0, PETSC_COMM_SELF, PETSC_ERR_LIB, "-generate: LAPACK orgqr failed (info %d)", (int)info);
    for (PetscInt j = 0; j < d; j++)
      for (PetscInt i = 0; i < d; i++) T[i + j * d] *= sv[j];
    PetscCallBLAS("BLASgemm", BLASgemm_("N", "T", &bd, &bd, &bd, &one, T, &bd, V, &bd, &zero, Gram, &bd));
    /* Local rows: A = G (T diag(s) V^T), by gemm on the fixed global blocks of GEN_BLOCK rows (the block, not the
       rank's row count, decides how BLAS splits the work, so every row is computed the same way for any np). */
    PetscCall(MatDenseGetLDA(*A, &ldA));
    PetscCall(MatDenseGetArrayWrite(*A, &a));
    {
      PetscScalar *g1, *g2;
      PetscReal    row[d];
      PetscBLASInt ldb = GEN_BLOCK;
      PetscCall(PetscMalloc2((size_t)GEN_BLOCK * d, &g1, (size_t)GEN_BLOCK * d, &g2));
      for (PetscInt blk = rstart / GEN_BLOCK; blk * GEN_BLOCK < rend; blk++) {
        PetscInt lo = blk * GEN_BLOCK, hi = PetscMin(M, lo + GEN_BLOCK);
        for (PetscInt i = lo; i < hi; i++) {
          DenseRow(seed, i, d, coherent, row);
          for (PetscInt j = 0; j < d; j++) g1[(i - lo) + (size_t)j * GEN_BLOCK] = row[j];
        }
        PetscCall(PetscBLASIntCast(hi - lo, &bml));
        PetscCallBLAS("BLASgemm", BLASgemm_("N", "N", &bml, &bd, &bd, &one, g1, &ldb, Gram, &bd, &zero, g2, &ldb));
        for (PetscInt i = PetscMax(lo, rstart); i < PetscMin(hi, rend); i++)
          for (PetscInt j = 0; j < d; j++) a[(i - rstart) + (size_t)j * ldA] = g2[(i - lo) + (size_t)j * GEN_BLOCK];
      }
      PetscCall(PetscFree2(g1, g2));
    }
    (void)lda;
    PetscCall(MatDenseRestoreArrayWrite(*A, &a));
    PetscCall(MatAssemblyBegin(*A, MAT_FINAL_ASSEMBLY));
    PetscCall(MatAssemblyEnd(*A, MAT_FINAL_ASSEMBLY));
    PetscCall(PetscFree5(T, Gram, V, tau, work));
  }
  PetscCall(PetscFree(sv));
  PetscCall(RightHandSide(*A, seed, b));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaSketchGenerateLogistic(MPI_Comm comm, PetscInt M, PetscInt d, PetscBool sparse, PetscReal density, PetscInt seed, Mat *A, Vec *b)
{
  PetscInt     rstart, rend, *cols, n;
  PetscReal   *vals, *w, scale = 3.0 / PetscSqrtReal(sparse ? density * d : (PetscReal)d);
  PetscScalar *bb;

  PetscFunctionBegin;
  PetscCall(SkuaSketchInitializePackage());
  PetscCall(CheckSizes(comm, M, d, density));
  if (sparse) PetscCall(MatCreateAIJ(comm, PETSC_DECIDE, PETSC_DECIDE, M, d, PetscMin(d, (PetscInt)(density * d) + 2), NULL, PetscMin(d, (PetscInt)(density * d) + 2), NULL, A));
  else PetscCall(MatCreateDense(comm, PETSC_DECIDE, PETSC_DECIDE, M, d, NULL, A));
  PetscCall(MatGetOwnershipRange(*A, &rstart, &rend));
  PetscCall(PetscMalloc3(d, &cols, d, &vals, d, &w));
  for (PetscInt j = 0; j < d; j++) w[j] = scale * Gauss(RowKey(seed, 6, 0), (uint64_t)j);
  PetscCall(MatCreateVecs(*A, NULL, b));
  PetscCall(VecGetArray(*b, &bb));
  for (PetscInt i = rstart; i < rend; i++) {
    PetscReal z = 0;
    if (sparse) n = SparseRow(seed, i, d, density, cols, vals);
    else {
      n = d;
      DenseRow(seed, i, d, PETSC_FALSE, vals);
      for (PetscInt j = 0; j < d; j++) cols[j] = j;
    }
    for (PetscInt q = 0; q < n; q++) z += vals[q] * w[cols[q]];
    bb[i - rstart] = Unif(SkuaSketchMix(RowKey(seed, 7, i))) < 1.0 / (1.0 + PetscExpReal(-z)) ? 1.0 : -1.0;
    PetscCall(MatSetValues(*A, 1, &i, n, cols, vals, INSERT_VALUES));
  }
  PetscCall(VecRestoreArray(*b, &bb));
  PetscCall(MatAssemblyBegin(*A, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(*A, MAT_FINAL_ASSEMBLY));
  PetscCall(PetscFree3(cols, vals, w));
  PetscFunctionReturn(0);
}
