/* Blocked S A for dense A: Gaussian sketches by GEMM on tiles of generated columns of S, sparse-sign and CountSketch
   by scatter-adds in double down each column of A, both rounded into the exact 128-bit accumulator once per row block. */
#include "sketchimpl.h"
#include <petscblaslapack.h>

#if defined(PETSC_USE_COMPLEX)
  #error "src/sketch reads real arrays of PETSc matrices and vectors; build Skua against a real-scalar PETSc"
#endif

/* The rows this rank reads: its own [rstart, rend) (column-major, leading dimension lda) and a tail [rend, tend)
   owned by later ranks (fetched), with the row weights of both (NULL: unweighted). */
typedef struct {
  PetscInt           rstart, rend, tend, d, lda, ldt;
  const PetscScalar *a, *t, *w, *wt;
} DenseRows;

/* Rows per block. Each block ends with m d additions of its double sums to the exact accumulator (and the zeroing
   of the m x d buffer), so a block must hold several times m rows for that not to dominate the O(rows d) work of
   the block itself: 8 m rows, at least 8192, rounded up to a power of two, at most 65536. It depends on m only, so
   the sums are the same for any np; the price of large blocks is balance when a rank holds fewer rows than a block
   (a block is summed by the rank that owns its first row, which fetches the rest). */
PetscInt SkuaSketchDenseBlock(PetscInt m)
{
  PetscInt BK = 8192;

  while (BK < 8 * m && BK < 65536) BK *= 2;
  return BK;
}

/* Rows per Gaussian tile, a power of two dividing every block size; tiles start at global multiples of it
   and are fixed, so the GEMM of a tile sees the same operands (and k-blocking) whatever np: S A is the same for
   any np. Across d (S b against a column of S A) the tile sums agree to rounding only, since the BLAS may choose
   another kernel for another shape (OpenBLAS's small-matrix path on AMD Zen does). */
#define GAUSSIAN_TILE 256

/* Sparse sketches on the rows [lo, hi) of a block, SPARSE_GROUP columns of A at a time: every row adds its s signed
   terms to rows kk of the group's part of buf, which is k-major (entry (k, j0 + c) at buf[j0 m + k wc + c], wc
   columns in the group), so one row's update of the group is wc contiguous entries. Rows are taken in order, so
   each entry of S A gets its terms in row order; A is read down its columns in place (no copy or transpose). */
#define SPARSE_GROUP 8

static inline void SparseRows(PetscInt n, PetscInt s, const PetscInt *kk, const PetscReal *sg, const PetscScalar *a, PetscInt lda, PetscInt wc, const PetscScalar *w, PetscReal *o)
{
  for (PetscInt i = 0; i < n; i++) {
    PetscReal x[SPARSE_GROUP];

    for (PetscInt c = 0; c < wc; c++) x[c] = w ? PetscRealPart(w[i] * a[i + c * lda]) : PetscRealPart(a[i + c * lda]);
    for (PetscInt q = 0; q < s; q++) {
      PetscReal *oo = o + kk[i * s + q] * wc, g = sg[i * s + q];

      for (PetscInt c = 0; c < wc; c++) oo[c] += g * x[c];
    }
  }
}

static void SparseBlock(const DenseRows *R, PetscInt lo, PetscInt hi, PetscInt m, PetscInt s, const PetscInt kk[], const PetscReal sg[], PetscReal buf[])
{
  PetscInt h1 = PetscMin(hi, R->rend), n1 = PetscMax(h1 - lo, 0), off = (lo < h1 ? h1 : lo) - lo;

  for (PetscInt j0 = 0; j0 < R->d; j0 += SPARSE_GROUP) {
    PetscInt           wc = PetscMin(SPARSE_GROUP, R->d - j0);
    PetscReal         *o  = buf + (size_t)j0 * m;
    const PetscScalar *a  = R->a + (size_t)j0 * R->lda + (lo - R->rstart), *w = R->w ? R->w + (lo - R->rstart) : NULL;

    /* own rows [lo, h1), then the fetched tail [h1, hi); a full group has a constant width the compiler unrolls */
    if (n1) {
      if (wc == SPARSE_GROUP) SparseRows(n1, s, kk, sg, a, R->lda, SPARSE_GROUP, w, o);
      else SparseRows(n1, s, kk, sg, a, R->lda, wc, w, o);
    }
    if (hi > lo + off) {
      const PetscScalar *t = R->t + (size_t)j0 * R->ldt + (lo + off - R->rend), *wt = R->wt ? R->wt + (lo + off - R->rend) : NULL;

      if (wc == SPARSE_GROUP) SparseRows(hi - lo - off, s, kk + off * s, sg + off * s, t, R->ldt, SPARSE_GROUP, wt, o);
      else SparseRows(hi - lo - off, s, kk + off * s, sg + off * s, t, R->ldt, wc, wt, o);
    }
  }
}

/* Adds (rounded) the block's double sums v = buf * scale to the fixed-point accumulator, split as hi 2^32 + lo in two
   int64 sums: the rounding of SkuaSketchToAcc without 128-bit arithmetic per entry. The scale bounds the sum over all
   M rows by 2^94 (SkuaSketchApply), so sum |hi| < 2^62 and sum |lo| < (number of blocks) 2^32: neither overflows. */
static inline void AccAdd(double v, int64_t *h, int64_t *l)
{
  int64_t hk = (int64_t)(v * 0x1p-32);

  *h += hk;
  *l += (int64_t)(v - (double)hk * 0x1p32);
}

/* tile(r, j) = w_i a_ij for global rows i = lo + r in [lo, hi), column-major with leading dimension hi - lo. */
static void CopyTile(const DenseRows *R, PetscInt lo, PetscInt hi, PetscReal tile[])
{
  PetscInt n = hi - lo, h1 = PetscMin(hi, R->rend);

  for (PetscInt j = 0; j < R->d; j++) {
    PetscReal         *o = tile + (size_t)j * n;
    const PetscScalar *a = R->a + (size_t)j * R->lda - R->rstart, *t = R->t ? R->t + (size_t)j * R->ldt - R->rend : NULL;
    if (R->w) {
      const PetscScalar *w = R->w - R->rstart, *wt = R->wt ? R->wt - R->rend : NULL;
      for (PetscInt i = lo; i < h1; i++) o[i - lo] = PetscRealPart(w[i] * a[i]);
      for (PetscInt i = PetscMax(lo, h1); i < hi; i++) o[i - lo] = PetscRealPart(wt[i] * t[i]);
    } else {
      for (PetscInt i = lo; i < h1; i++) o[i - lo] = PetscRealPart(a[i]);
      for (PetscInt i = PetscMax(lo, h1); i < hi; i++) o[i - lo] = PetscRealPart(t[i]);
    }
  }
}

PetscErrorCode SkuaSketchDenseAmax(Mat A, const PetscScalar w[], PetscReal amax[])
{
  PetscInt           mloc, d, lda;
  const PetscScalar *a;

  PetscFunctionBegin;
  PetscCall(MatGetLocalSize(A, &mloc, NULL));
  PetscCall(MatGetSize(A, NULL, &d));
  PetscCall(MatDenseGetLDA(A, &lda));
  PetscCall(MatDenseGetArrayRead(A, &a));
  /* Branch-free loops without calls (this pass runs at every Newton Sketch iteration): v - v is 0 for a finite v
     and NaN for Inf or NaN, so z flags both without a per-entry test. Real scalars only (see the top of the file). */
  for (PetscInt j = 0; j < d; j++) {
    const PetscReal *c = (const PetscReal *)(a + (size_t)j * lda);
    PetscReal        m = 0, z = 0;

    if (w) {
      const PetscReal *ww = (const PetscReal *)w;
      for (PetscInt i = 0; i < mloc; i++) {
        PetscReal v = PetscAbsReal(ww[i] * c[i]);
        m           = v > m ? v : m;
        z += v - v;
      }
    } else {
      for (PetscInt i = 0; i < mloc; i++) {
        PetscReal v = PetscAbsReal(c[i]);
        m           = v > m ? v : m;
        z += v - v;
      }
    }
    amax[j] = z != 0 ? PETSC_INFINITY : m; /* NaN != 0 too */
  }
  PetscCall(MatDenseRestoreArrayRead(A, &a));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaSketchAccumulateDense(SkuaSketch S, Mat A, Vec w, const PetscReal scale[], SkuaSketchAcc acc[])
{
  const PetscInt BK = SkuaSketchDenseBlock(S->m);
  PetscInt       M, d, m = S->m, b0, b1, ntail = 0, T = GAUSSIAN_TILE, s = S->type == SKUA_SKETCH_COUNTSKETCH ? 1 : S->s;
  DenseRows      R = {0};
  Mat           *tail = NULL;
  Vec            wt = NULL;
  IS             rows[1], cols[1];
  PetscReal     *buf, *tile, *G = NULL, *sg = NULL;
  PetscInt      *kk = NULL;
  int64_t       *ahi, *alo;
  PetscBool      gauss = (PetscBool)(S->type == SKUA_SKETCH_GAUSSIAN);

  PetscFunctionBegin;
  PetscCall(MatGetSize(A, &M, &d));
  PetscCall(MatGetOwnershipRange(A, &R.rstart, &R.rend));
  R.d = d;
  b0  = (R.rstart + BK - 1) / BK; /* blocks [b0, b1) start on this rank */
  b1  = R.rend > R.rstart ? (R.rend - 1) / BK + 1 : b0;
  if (b0 * BK >= R.rend) b1 = b0;
  if (b1 > b0 && PetscMin(b1 * BK, M) > R.rend) ntail = PetscMin(b1 * BK, M) - R.rend;
  R.tend = R.rend + ntail;
  /* The tail of the last block (and its weights) from the later ranks; collective even where ntail = 0. */
  PetscCall(ISCreateStride(PETSC_COMM_SELF, ntail, R.rend, 1, &rows[0]));
  PetscCall(ISCreateStride(PETSC_COMM_SELF, d, 0, 1, &cols[0]));
  PetscCall(MatCreateSubMatrices(A, 1, rows, cols, MAT_INITIAL_MATRIX, &tail));
  if (w) {
    VecScatter sc;
    PetscCall(VecCreateSeq(PETSC_COMM_SELF, ntail, &wt));
    PetscCall(VecScatterCreate(w, rows[0], wt, NULL, &sc));
    PetscCall(VecScatterBegin(sc, w, wt, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecScatterEnd(sc, w, wt, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecScatterDestroy(&sc));
    PetscCall(VecGetArrayRead(w, &R.w));
    PetscCall(VecGetArrayRead(wt, &R.wt));
  }
  PetscCall(ISDestroy(&rows[0]));
  PetscCall(ISDestroy(&cols[0]));
  PetscCall(MatDenseGetLDA(A, &R.lda));
  PetscCall(MatDenseGetArrayRead(A, &R.a));
  if (ntail) {
    PetscCall(MatDenseGetLDA(tail[0], &R.ldt));
    PetscCall(MatDenseGetArrayRead(tail[0], &R.t));
  }
  PetscCall(PetscMalloc2((size_t)m * d, &buf, gauss ? (size_t)T * d : 1, &tile));
  PetscCall(PetscCalloc2((size_t)m * d, &ahi, (size_t)m * d, &alo));
  if (gauss) PetscCall(PetscMalloc1((size_t)m * T, &G));
  else PetscCall(PetscMalloc2((size_t)BK * s, &kk, (size_t)BK * s, &sg));
  for (PetscInt b = b0; b < b1; b++) {
    PetscInt lo = b * BK, hi = PetscMin(lo + BK, M);

    PetscCall(PetscArrayzero(buf, (size_t)m * d));
    if (!gauss) {
      for (PetscInt i = lo; i < hi; i++) SkuaSketchSparseColumn(S, i, kk + (size_t)(i - lo) * s, sg + (size_t)(i - lo) * s);
      SparseBlock(&R, lo, hi, m, s, kk, sg, buf);
    } else
      for (PetscInt tl = lo; tl < hi; tl += T) {
        PetscInt     th = PetscMin(tl + T, hi), n = th - tl;
        PetscBLASInt bm, bd, bn;
        PetscScalar  one = 1.0;

        /* buf += G tile, G = the m x n columns tl..th-1 of S. */
        CopyTile(&R, tl, th, tile);
        for (PetscInt r = 0; r < n; r++) SkuaSketchGaussianColumn(S, tl + r, G + (size_t)r * m);
        PetscCall(PetscBLASIntCast(m, &bm));
        PetscCall(PetscBLASIntCast(d, &bd));
        PetscCall(PetscBLASIntCast(n, &bn));
        PetscCallBLAS("BLASgemm", BLASgemm_("N", "N", &bm, &bd, &bn, &one, G, &bm, tile, &bn, &one, buf, &bm));
      }
    if (gauss) /* buf column-major */
      for (PetscInt j = 0; j < d; j++) {
        const PetscReal *o = buf + (size_t)j * m;
        int64_t         *h = ahi + (size_t)j * m, *l = alo + (size_t)j * m;
        for (PetscInt k = 0; k < m; k++) AccAdd(o[k] * scale[j], &h[k], &l[k]);
      }
    else /* buf in k-major column groups (SparseBlock) */
      for (PetscInt j0 = 0; j0 < d; j0 += SPARSE_GROUP) {
        PetscInt         wc = PetscMin(SPARSE_GROUP, d - j0);
        const PetscReal *o  = buf + (size_t)j0 * m;
        for (PetscInt k = 0; k < m; k++)
          for (PetscInt c = 0; c < wc; c++) AccAdd(o[k * wc + c] * scale[j0 + c], &ahi[k + (size_t)(j0 + c) * m], &alo[k + (size_t)(j0 + c) * m]);
      }
  }
  for (size_t k = 0; k < (size_t)m * d; k++) acc[k] += (SkuaSketchAcc)ahi[k] * ((SkuaSketchAcc)1 << 32) + (SkuaSketchAcc)alo[k];
  PetscCall(PetscFree2(ahi, alo));
  if (gauss) PetscCall(PetscFree(G));
  else PetscCall(PetscFree2(kk, sg));
  PetscCall(PetscFree2(buf, tile));
  PetscCall(MatDenseRestoreArrayRead(A, &R.a));
  if (ntail) PetscCall(MatDenseRestoreArrayRead(tail[0], &R.t));
  if (w) {
    PetscCall(VecRestoreArrayRead(w, &R.w));
    PetscCall(VecRestoreArrayRead(wt, &R.wt));
    PetscCall(VecDestroy(&wt));
  }
  PetscCall(MatDestroySubMatrices(1, &tail));
  PetscFunctionReturn(0);
}
