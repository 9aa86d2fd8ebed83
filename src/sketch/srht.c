/* Block SRHT: random signs, fast Walsh-Hadamard transform and row sampling per fixed global block of rows (Balabanov, Beaupere, Grigori 2022; Tropp 2011). */
#include "sketchimpl.h"

/* S = [S_0 S_1 ...] over global row blocks of B rows (B a power of two, independent of np; the last block
   zero-padded), S_b = (1/sqrt(m)) E_b P_b H D_b: D_b the row signs (keyed by the global row), H the
   unnormalised B x B Hadamard matrix, P_b m distinct sampled rows and E_b m output signs (keyed by (seed, b)).
   Every entry is +-1/sqrt(m), so E[S^T S] = I (the output signs decorrelate the blocks); with one block and
   m = B, S^T S = I exactly. Each block is transformed in double by the one rank that owns its first row,
   always in the same order, so S_b A_b does not depend on np; the sum over blocks is the exact fixed-point
   accumulation of sketch.c. Cost O(M d log B). */

static inline uint64_t BlockKey(PetscInt seed, PetscInt b)
{
  return SkuaSketchMix(SkuaSketchKey(seed, b) ^ 0x6a09e667f3bcc909ULL);
}

/* In-place unnormalised fast Walsh-Hadamard transform of x (length n, a power of two). */
static void FWHT(PetscInt n, PetscReal x[])
{
  for (PetscInt h = 1; h < n; h *= 2)
    for (PetscInt i = 0; i < n; i += 2 * h)
      for (PetscInt j = i; j < i + h; j++) {
        PetscReal a = x[j], c = x[j + h];
        x[j]     = a + c;
        x[j + h] = a - c;
      }
}

PetscErrorCode SkuaSketchSRHTBlockSize(SkuaSketch S, PetscInt M, PetscInt *B)
{
  PetscInt Mp = 1, mp = 1, b;

  PetscFunctionBegin;
  while (Mp < M) Mp *= 2;
  while (mp < S->m) mp *= 2;
  if (S->bs_set) {
    b = S->bs_set;
    PetscCheck((b & (b - 1)) == 0, S->comm, PETSC_ERR_ARG_OUTOFRANGE, "-sketch_srht_block %" PetscInt_FMT " must be a power of two", b);
  } else b = PetscMin(PetscMax(mp, 4096), PetscMax(Mp, mp)); /* large enough to mix, no larger than the padded matrix */
  PetscCheck(S->m <= b, S->comm, PETSC_ERR_ARG_OUTOFRANGE, "-sketch_type srht samples -sketch_size %" PetscInt_FMT " distinct rows of each block of -sketch_srht_block %" PetscInt_FMT " rows; use a block of at least %" PetscInt_FMT " (a power of two) or a smaller sketch", S->m, b, mp);
  *B = b;
  PetscFunctionReturn(0);
}

/* Dense column-major copy (leading dimension ld) of rows [lo, hi) of A into blk, row r at blk[r - off], times the
   row weights wr (wr[r - first row of A on this rank]; NULL: none). A dense A is copied column by column from its
   array; MatGetRow is for sparse A. */
static PetscErrorCode CopyRows(Mat A, PetscInt lo, PetscInt hi, PetscInt off, const PetscScalar wr[], PetscReal blk[], PetscInt ld)
{
  PetscBool dense;
  PetscInt  rs;

  PetscFunctionBegin;
  PetscCall(PetscObjectTypeCompareAny((PetscObject)A, &dense, MATSEQDENSE, MATMPIDENSE, ""));
  PetscCall(MatGetOwnershipRange(A, &rs, NULL));
  if (dense) {
    const PetscScalar *a;
    PetscInt           lda, d;

    PetscCall(MatGetSize(A, NULL, &d));
    PetscCall(MatDenseGetLDA(A, &lda));
    PetscCall(MatDenseGetArrayRead(A, &a));
    for (PetscInt j = 0; j < d; j++) {
      const PetscScalar *c = a + (size_t)j * lda - rs, *w = wr ? wr - rs : NULL;
      PetscReal         *o = blk + (size_t)j * ld - off;
      if (w)
        for (PetscInt i = lo; i < hi; i++) o[i] = PetscRealPart(w[i] * c[i]);
      else
        for (PetscInt i = lo; i < hi; i++) o[i] = PetscRealPart(c[i]);
    }
    PetscCall(MatDenseRestoreArrayRead(A, &a));
    PetscFunctionReturn(0);
  }
  for (PetscInt i = lo; i < hi; i++) {
    PetscInt           n;
    const PetscInt    *cols;
    const PetscScalar *vals;
    PetscCall(MatGetRow(A, i, &n, &cols, &vals));
    if (wr)
      for (PetscInt j = 0; j < n; j++) blk[(i - off) + (size_t)cols[j] * ld] = PetscRealPart(wr[i - rs] * vals[j]);
    else
      for (PetscInt j = 0; j < n; j++) blk[(i - off) + (size_t)cols[j] * ld] = PetscRealPart(vals[j]);
    PetscCall(MatRestoreRow(A, i, &n, &cols, &vals));
  }
  PetscFunctionReturn(0);
}

/* Adds S diag(w) A (w NULL: S A) into the m x d accumulator acc (column j scaled by scale[j]) for
   the blocks whose first row this rank owns; the tail of its last block (and its weights), owned by later ranks,
   is fetched with MatCreateSubMatrices (and a scatter). */
PetscErrorCode SkuaSketchAccumulateSRHT(SkuaSketch S, Mat A, Vec w, const PetscReal scale[], SkuaSketchAcc acc[])
{
  PetscInt   M, d, rstart, rend, B, m = S->m, b0, b1, ntail = 0;
  PetscReal *blk, sm = 1.0 / PetscSqrtReal((PetscReal)S->m);
  PetscInt  *perm, *pick;
  PetscReal *osign, *rsign;
  Mat       *tail = NULL;
  IS         rows[1], cols[1];
  Vec        wt = NULL;
  const PetscScalar *wa = NULL, *wta = NULL;

  PetscFunctionBegin;
  PetscCall(MatGetSize(A, &M, &d));
  PetscCall(MatGetOwnershipRange(A, &rstart, &rend));
  PetscCall(SkuaSketchSRHTBlockSize(S, M, &B));
  b0 = (rstart + B - 1) / B; /* first block starting at or after rstart */
  b1 = rend > rstart ? (rend - 1) / B + 1 : b0; /* blocks [b0, b1) start here (if b0 * B < rend) */
  if (b0 * B >= rend) b1 = b0;
  if (b1 > b0 && PetscMin(b1 * B, M) > rend) ntail = 1;
  /* Collective even where ntail = 0. */
  PetscCall(ISCreateStride(PETSC_COMM_SELF, ntail ? PetscMin(b1 * B, M) - rend : 0, rend, 1, &rows[0]));
  PetscCall(ISCreateStride(PETSC_COMM_SELF, d, 0, 1, &cols[0]));
  PetscCall(MatCreateSubMatrices(A, 1, rows, cols, MAT_INITIAL_MATRIX, &tail));
  if (w) {
    VecScatter sc;
    PetscInt   nt;

    PetscCall(ISGetLocalSize(rows[0], &nt));
    PetscCall(VecCreateSeq(PETSC_COMM_SELF, nt, &wt));
    PetscCall(VecScatterCreate(w, rows[0], wt, NULL, &sc));
    PetscCall(VecScatterBegin(sc, w, wt, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecScatterEnd(sc, w, wt, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecScatterDestroy(&sc));
    PetscCall(VecGetArrayRead(w, &wa));
    PetscCall(VecGetArrayRead(wt, &wta));
  }
  PetscCall(ISDestroy(&rows[0]));
  PetscCall(ISDestroy(&cols[0]));
  PetscCall(PetscMalloc5((size_t)B * d, &blk, B, &perm, m, &pick, m, &osign, B, &rsign));
  for (PetscInt b = b0; b < b1; b++) {
    PetscInt lo = b * B, hi = PetscMin(lo + B, M);
    uint64_t key = BlockKey(S->seed, b);

    PetscCall(PetscArrayzero(blk, (size_t)B * d));
    PetscCall(CopyRows(A, lo, PetscMin(hi, rend), lo, wa, blk, B));
    for (PetscInt i = lo; i < hi; i++) rsign[i - lo] = (SkuaSketchKey(S->seed, i) & 1) ? -1.0 : 1.0; /* D_b, once per block */
    if (hi > rend) PetscCall(CopyRows(tail[0], 0, hi - rend, lo - rend, wta, blk, B));
    /* m distinct rows of H by a partial Fisher-Yates shuffle, and the output signs, from (seed, b) only. */
    for (PetscInt r = 0; r < B; r++) perm[r] = r;
    for (PetscInt k = 0; k < m; k++) {
      uint64_t w = SkuaSketchMix(key + (uint64_t)k);
      PetscInt t = k + (PetscInt)((w >> 1) % (uint64_t)(B - k)), q = perm[k];
      perm[k]  = perm[t];
      perm[t]  = q;
      pick[k]  = perm[k];
      osign[k] = (w & 1) ? sm : -sm;
    }
    for (PetscInt j = 0; j < d; j++) {
      PetscReal     *x = blk + (size_t)j * B;
      SkuaSketchAcc *a = acc + (size_t)j * m;
      for (PetscInt i = 0; i < hi - lo; i++) x[i] *= rsign[i];
      FWHT(B, x);
      for (PetscInt k = 0; k < m; k++) a[k] += SkuaSketchToAcc((osign[k] * x[pick[k]]) * scale[j]);
    }
  }
  PetscCall(PetscFree5(blk, perm, pick, osign, rsign));
  if (w) {
    PetscCall(VecRestoreArrayRead(w, &wa));
    PetscCall(VecRestoreArrayRead(wt, &wta));
    PetscCall(VecDestroy(&wt));
  }
  PetscCall(MatDestroySubMatrices(1, &tail));
  PetscFunctionReturn(0);
}
