/* Blocked S A for dense A: Gaussian sketches by GEMM on tiles of generated columns of S, sparse-sign and CountSketch
   by column-wise scatter-adds in double, both rounded into the exact 128-bit accumulator once per row block. */
#include "sketchimpl.h"
#include <petscblaslapack.h>

/* The rows this rank reads: its own [rstart, rend) (column-major, leading dimension lda) and a tail [rend, tend)
   owned by later ranks (fetched), with the row weights of both (NULL: unweighted). */
typedef struct {
  PetscInt           rstart, rend, tend, d, lda, ldt;
  const PetscScalar *a, *t, *w, *wt;
} DenseRows;

/* Rows per tile, a power of two dividing SKUA_SKETCH_DENSE_BLOCK; tiles start at global multiples of it. Gaussian:
   fixed, so the GEMM of a tile sees the same operands (and k-blocking) whatever np and d (S b matches a column of
   S A). Sparse: any tiling gives each entry its terms in row order, so the tile only has to fit in cache. */
static PetscInt TileRows(SkuaSketch S, PetscInt d)
{
  PetscInt T = 1024;
  if (S->type == SKUA_SKETCH_GAUSSIAN) return 256;
  while (T > 16 && (size_t)T * d > ((size_t)1 << 16)) T /= 2; /* tile at most 512 kB (L2) */
  return T;
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

/* The same rows transposed: tile(j, r) at tile[j + r d] (row-major rows, for the sparse kernel's axpys). */
static void CopyTileT(const DenseRows *R, PetscInt lo, PetscInt hi, PetscReal tile[])
{
  PetscInt d = R->d, h1 = PetscMin(hi, R->rend);

  for (PetscInt j = 0; j < d; j++) {
    PetscReal         *o = tile + j - (size_t)lo * d;
    const PetscScalar *a = R->a + (size_t)j * R->lda - R->rstart, *t = R->t ? R->t + (size_t)j * R->ldt - R->rend : NULL;
    if (R->w) {
      const PetscScalar *w = R->w - R->rstart, *wt = R->wt ? R->wt - R->rend : NULL;
      for (PetscInt i = lo; i < h1; i++) o[(size_t)i * d] = PetscRealPart(w[i] * a[i]);
      for (PetscInt i = PetscMax(lo, h1); i < hi; i++) o[(size_t)i * d] = PetscRealPart(wt[i] * t[i]);
    } else {
      for (PetscInt i = lo; i < h1; i++) o[(size_t)i * d] = PetscRealPart(a[i]);
      for (PetscInt i = PetscMax(lo, h1); i < hi; i++) o[(size_t)i * d] = PetscRealPart(t[i]);
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
  for (PetscInt j = 0; j < d; j++) {
    const PetscScalar *c = a + (size_t)j * lda;
    PetscReal          m = 0;
    PetscBool          bad = PETSC_FALSE;
    for (PetscInt i = 0; i < mloc; i++) {
      PetscReal v = PetscAbsScalar(w ? w[i] * c[i] : c[i]);
      bad         = (PetscBool)(bad || PetscIsInfOrNanReal(v));
      m           = PetscMax(m, v);
    }
    amax[j] = bad ? PETSC_INFINITY : m;
  }
  PetscCall(MatDenseRestoreArrayRead(A, &a));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaSketchAccumulateDense(SkuaSketch S, Mat A, Vec w, const PetscReal scale[], SkuaSketchAcc acc[])
{
  const PetscInt BK = SKUA_SKETCH_DENSE_BLOCK;
  PetscInt       M, d, m = S->m, b0, b1, ntail = 0, T, s = S->type == SKUA_SKETCH_COUNTSKETCH ? 1 : S->s;
  DenseRows      R = {0};
  Mat           *tail = NULL;
  Vec            wt = NULL;
  IS             rows[1], cols[1];
  PetscReal     *buf, *tile, *G = NULL, *sg = NULL;
  PetscInt      *kk = NULL;
  PetscBool      gauss = (PetscBool)(S->type == SKUA_SKETCH_GAUSSIAN);
  PetscInt       dc; /* sparse: columns per chunk of S A */

  PetscFunctionBegin;
  PetscCall(MatGetSize(A, &M, &d));
  PetscCall(MatGetOwnershipRange(A, &R.rstart, &R.rend));
  R.d = d;
  T   = TileRows(S, d);
  dc  = PetscMin(d, PetscMax(64, ((PetscInt)1 << 22) / PetscMax(m, 1))); /* chunks of S A of at most ~32 MB (last-level cache) */
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
  PetscCall(PetscMalloc2((size_t)m * d, &buf, (size_t)T * d, &tile));
  if (gauss) PetscCall(PetscMalloc1((size_t)m * T, &G));
  else PetscCall(PetscMalloc2((size_t)T * s, &kk, (size_t)T * s, &sg));
  for (PetscInt b = b0; b < b1; b++) {
    PetscInt lo = b * BK, hi = PetscMin(lo + BK, M);

    PetscCall(PetscArrayzero(buf, (size_t)m * d));
    for (PetscInt tl = lo; tl < hi; tl += T) {
      PetscInt th = PetscMin(tl + T, hi), n = th - tl;
      if (gauss) {
        CopyTile(&R, tl, th, tile);
        /* buf += G tile, G = the m x n columns tl..th-1 of S. */
        PetscBLASInt bm, bd, bn;
        PetscScalar  one = 1.0;
        for (PetscInt r = 0; r < n; r++) SkuaSketchGaussianColumn(S, tl + r, G + (size_t)r * m);
        PetscCall(PetscBLASIntCast(m, &bm));
        PetscCall(PetscBLASIntCast(d, &bd));
        PetscCall(PetscBLASIntCast(n, &bn));
        PetscCallBLAS("BLASgemm", BLASgemm_("N", "N", &bm, &bd, &bn, &one, G, &bm, tile, &bn, &one, buf, &bm));
      } else {
        /* buf holds S A in column chunks of dc columns, each chunk row-major (entry (k, j) at buf[c0 m + k dc + j - c0]),
           so a chunk stays in cache while every (row, nonzero of S) adds one contiguous axpy of length dc.
           Each entry gets its terms in row order, however the rows are tiled. */
        CopyTileT(&R, tl, th, tile);
        for (PetscInt r = 0; r < n; r++) SkuaSketchSparseColumn(S, tl + r, kk + (size_t)r * s, sg + (size_t)r * s);
        for (PetscInt c0 = 0; c0 < d; c0 += dc) {
          PetscInt   w  = PetscMin(dc, d - c0);
          PetscReal *bc = buf + (size_t)c0 * m;
          for (PetscInt r = 0; r < n; r++) {
            const PetscReal *x = tile + (size_t)r * d + c0;
            for (PetscInt t = 0; t < s; t++) {
              PetscReal *o = bc + (size_t)kk[r * s + t] * w, g = sg[r * s + t];
              for (PetscInt j = 0; j < w; j++) o[j] += g * x[j];
            }
          }
        }
      }
    }
    if (!gauss) {
      for (PetscInt c0 = 0; c0 < d; c0 += dc) {
        PetscInt w = PetscMin(dc, d - c0);
        for (PetscInt k = 0; k < m; k++) {
          const PetscReal *o = buf + (size_t)c0 * m + (size_t)k * w;
          for (PetscInt j = c0; j < c0 + w; j++) acc[k + (size_t)j * m] += SkuaSketchToAcc(o[j - c0] * scale[j]);
        }
      }
      continue;
    }
    for (PetscInt j = 0; j < d; j++) {
      const PetscReal *o = buf + (size_t)j * m;
      SkuaSketchAcc   *c = acc + (size_t)j * m;
      for (PetscInt k = 0; k < m; k++) c[k] += SkuaSketchToAcc(o[k] * scale[j]);
    }
  }
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
