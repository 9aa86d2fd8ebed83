/* SkuaSketch: Gaussian, CountSketch, sparse-sign and (srht.c) block SRHT sketches (Woodruff 2014; Clarkson & Woodruff 2013; Meng & Mahoney 2013). */
#include "sketchimpl.h"
#include <petscviewer.h>

const char *const SkuaSketchTypes[] = {"gaussian", "countsketch", "sparsesign", "srht", "SkuaSketchType", "SKUA_SKETCH_", NULL};
const char *const SkuaLSQQRTypes[]  = {"auto", "lapack", "scalapack", "SkuaLSQQRType", "SKUA_LSQ_QR_", NULL};

PetscLogEvent     SKUA_SKETCH_Apply, SKUA_LSQ_Solve, SKUA_LSQ_QR, SKUA_NEWTON_Solve, SKUA_NEWTON_Hessian, SKUA_NEWTON_LineSearch;
static PetscBool  registered = PETSC_FALSE;

PetscErrorCode SkuaSketchInitializePackage(void)
{
  PetscClassId id;

  PetscFunctionBegin;
  if (registered) PetscFunctionReturn(0);
  registered = PETSC_TRUE;
  PetscCall(PetscClassIdRegister("SkuaSketch", &id));
  PetscCall(PetscLogEventRegister("SkuaSketch_Apply", id, &SKUA_SKETCH_Apply));
  PetscCall(PetscLogEventRegister("SkuaLSQ_Solve", id, &SKUA_LSQ_Solve));
  PetscCall(PetscLogEventRegister("SkuaLSQ_QR", id, &SKUA_LSQ_QR));
  PetscCall(PetscLogEventRegister("SkuaNewton_Solve", id, &SKUA_NEWTON_Solve));
  PetscCall(PetscLogEventRegister("SkuaNewton_Hessian", id, &SKUA_NEWTON_Hessian));
  PetscCall(PetscLogEventRegister("SkuaNewton_LineS", id, &SKUA_NEWTON_LineSearch));
  PetscFunctionReturn(0);
}

static inline PetscReal Uniform53(uint64_t x)
{
  return (PetscReal)((x >> 11) + 1) * 0x1.0p-53; /* in (0, 1], so log() is finite */
}

/* Column i of a Gaussian S: g[k] = S(k, i) = N(0, 1/m) from (seed, i, k) by Box-Muller. */
void SkuaSketchGaussianColumn(SkuaSketch S, PetscInt i, PetscReal g[])
{
  uint64_t  key = SkuaSketchKey(S->seed, i);
  PetscReal sm  = 1.0 / PetscSqrtReal((PetscReal)S->m);

  for (PetscInt k = 0; k < S->m; k++) {
    PetscReal u1 = Uniform53(SkuaSketchMix(key + 2 * (uint64_t)k)), u2 = Uniform53(SkuaSketchMix(key + 2 * (uint64_t)k + 1));
    g[k] = sm * PetscSqrtReal(-2.0 * PetscLogReal(u1)) * PetscCosReal(2.0 * PETSC_PI * u2);
  }
}

/* Column i of a sparse-sign S (s = 1: CountSketch): its s distinct nonzero rows idx[] and values sg[] = +-1/sqrt(s). */
void SkuaSketchSparseColumn(SkuaSketch S, PetscInt i, PetscInt idx[], PetscReal sg[])
{
  uint64_t  key = SkuaSketchKey(S->seed, i), ctr = 0;
  PetscInt  s   = S->type == SKUA_SKETCH_COUNTSKETCH ? 1 : S->s;
  PetscReal w   = 1.0 / PetscSqrtReal((PetscReal)s);

  for (PetscInt t = 0; t < s; t++) {
    PetscInt  k;
    PetscBool dup;
    uint64_t  r;

    /* Rejection keeps the s rows distinct (m >= s is checked at Apply); the draw sequence depends on i only. */
    do {
      r   = SkuaSketchMix(key + ctr++);
      k   = (PetscInt)((r >> 1) % (uint64_t)S->m);
      dup = PETSC_FALSE;
      for (PetscInt q = 0; q < t; q++) dup = (PetscBool)(dup || idx[q] == k);
    } while (dup);
    idx[t] = k;
    sg[t]  = (r & 1) ? w : -w;
  }
}

/* Dense Gaussian: cost m nnz(A). */
static PetscErrorCode AddRowGaussian(SkuaSketch S, PetscInt i, PetscInt n, const PetscInt cols[], const PetscScalar vals[], const PetscReal scale[], SkuaSketchAcc SA[])
{
  PetscFunctionBegin;
  SkuaSketchGaussianColumn(S, i, S->g);
  /* Column of S first, then one contiguous pass per nonzero of the row (SA is column-major). */
  for (PetscInt j = 0; j < n; j++) {
    SkuaSketchAcc *col = SA + (size_t)cols[j] * S->m;
    PetscReal      v   = PetscRealPart(vals[j]) * scale[cols[j]];
    for (PetscInt k = 0; k < S->m; k++) col[k] += SkuaSketchToAcc(S->g[k] * v);
  }
  PetscFunctionReturn(0);
}

/* s distinct sketch rows, each with a random sign and weight 1/sqrt(s); s = 1 is CountSketch. Cost s nnz(A). */
static PetscErrorCode AddRowSparse(SkuaSketch S, PetscInt i, PetscInt n, const PetscInt cols[], const PetscScalar vals[], const PetscReal scale[], SkuaSketchAcc SA[])
{
  PetscInt s = S->type == SKUA_SKETCH_COUNTSKETCH ? 1 : S->s;

  PetscFunctionBegin;
  SkuaSketchSparseColumn(S, i, S->idx, S->sg);
  for (PetscInt t = 0; t < s; t++) {
    PetscInt  k  = S->idx[t];
    PetscReal sg = S->sg[t];
    for (PetscInt j = 0; j < n; j++) SA[k + (size_t)cols[j] * S->m] += SkuaSketchToAcc((sg * vals[j]) * scale[cols[j]]);
  }
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaSketchCreate(MPI_Comm comm, SkuaSketch *S)
{
  PetscFunctionBegin;
  PetscCall(SkuaSketchInitializePackage());
  PetscCall(PetscNew(S));
  (*S)->comm = comm;
  (*S)->type = SKUA_SKETCH_SPARSESIGN;
  (*S)->seed = 1;
  (*S)->s    = 8;
  (*S)->qr_block = 64;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaSketchDestroy(SkuaSketch *S)
{
  PetscFunctionBegin;
  if (!*S) PetscFunctionReturn(0);
  PetscCall(PetscFree2((*S)->idx, (*S)->sg));
  PetscCall(PetscFree((*S)->g));
  PetscCall(PetscFree(*S));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaSketchSetType(SkuaSketch S, SkuaSketchType type)
{
  PetscFunctionBegin;
  PetscCheck(type >= SKUA_SKETCH_GAUSSIAN && type <= SKUA_SKETCH_SRHT, S->comm, PETSC_ERR_ARG_OUTOFRANGE, "Unknown sketch type %d", (int)type);
  S->type = type;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaSketchSetSize(SkuaSketch S, PetscInt m)
{
  PetscFunctionBegin;
  PetscCheck(m >= 0, S->comm, PETSC_ERR_ARG_OUTOFRANGE, "-sketch_size %" PetscInt_FMT " must be positive (or 0 for 4 x the number of columns)", m);
  S->m_set = m;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaSketchSetSeed(SkuaSketch S, PetscInt seed)
{
  PetscFunctionBegin;
  S->seed = seed;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaSketchSetNnz(SkuaSketch S, PetscInt s)
{
  PetscFunctionBegin;
  PetscCheck(s >= 1, S->comm, PETSC_ERR_ARG_OUTOFRANGE, "-sketch_nnz %" PetscInt_FMT " must be at least 1", s);
  if (s != S->s) PetscCall(PetscFree2(S->idx, S->sg)); /* workspace sized by s: reallocated at the next Apply */
  S->s = s;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaSketchSetSRHTBlockSize(SkuaSketch S, PetscInt B)
{
  PetscFunctionBegin;
  PetscCheck(B >= 0 && (B & (B - 1)) == 0, S->comm, PETSC_ERR_ARG_OUTOFRANGE, "-sketch_srht_block %" PetscInt_FMT " must be a power of two (or 0: automatic)", B);
  S->bs_set = B;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaSketchSetQR(SkuaSketch S, SkuaLSQQRType qr, PetscInt block)
{
  PetscFunctionBegin;
  PetscCheck(qr >= SKUA_LSQ_QR_AUTO && qr <= SKUA_LSQ_QR_SCALAPACK, S->comm, PETSC_ERR_ARG_OUTOFRANGE, "Unknown -lsq_qr %d", (int)qr);
  PetscCheck(block >= 1, S->comm, PETSC_ERR_ARG_OUTOFRANGE, "-lsq_qr_block %" PetscInt_FMT " must be at least 1", block);
  S->qr       = qr;
  S->qr_block = block;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaSketchSetFromOptions(SkuaSketch S)
{
  PetscInt type = (PetscInt)S->type, m = S->m_set, seed = S->seed, s = S->s, bs = S->bs_set, qr = (PetscInt)S->qr, qrb = S->qr_block;

  PetscFunctionBegin;
  PetscOptionsBegin(S->comm, NULL, "Sketch operator (SkuaSketch)", NULL);
  {
    char      name[64];
    PetscBool set, found = PETSC_FALSE;
    /* Read as a string and matched here, so an unknown name is one collective error, not one per rank. */
    PetscCall(PetscStrncpy(name, SkuaSketchTypes[type], sizeof(name)));
    PetscCall(PetscOptionsString("-sketch_type", "Sketch: gaussian, countsketch, sparsesign, srht", "SkuaSketchSetType", name, name, sizeof(name), &set));
    for (PetscInt t = 0; t < 4 && !found; t++) {
      PetscCall(PetscStrcasecmp(name, SkuaSketchTypes[t], &found));
      if (found) type = t;
    }
    PetscCheck(found, S->comm, PETSC_ERR_USER_INPUT, "Unknown -sketch_type %s; use gaussian, countsketch, sparsesign or srht", name);
  }
  PetscCall(PetscOptionsInt("-sketch_size", "Sketch rows m (0: 4 x number of columns)", "SkuaSketchSetSize", m, &m, NULL));
  PetscCall(PetscOptionsInt("-sketch_seed", "Seed; S depends on (seed, row index) only", "SkuaSketchSetSeed", seed, &seed, NULL));
  PetscCall(PetscOptionsInt("-sketch_nnz", "Nonzeros per column of a sparsesign sketch", "SkuaSketchSetNnz", s, &s, NULL));
  PetscCall(PetscOptionsInt("-sketch_srht_block", "Rows per SRHT block, a power of two >= m (0: max(4096, m) rounded up, at most the padded row count)", "SkuaSketchSetSRHTBlockSize", bs, &bs, NULL));
  {
    char      name[64];
    PetscBool found = PETSC_FALSE;
    PetscCall(PetscStrncpy(name, SkuaLSQQRTypes[qr], sizeof(name)));
    PetscCall(PetscOptionsString("-lsq_qr", "QR of the sketch S A: auto (scalapack if d >= 2000 and np > 1), lapack, scalapack", "SkuaSketchSetQR", name, name, sizeof(name), NULL));
    for (PetscInt t = 0; t < 3 && !found; t++) {
      PetscCall(PetscStrcasecmp(name, SkuaLSQQRTypes[t], &found));
      if (found) qr = t;
    }
    PetscCheck(found, S->comm, PETSC_ERR_USER_INPUT, "Unknown -lsq_qr %s; use auto, lapack or scalapack", name);
  }
  PetscCall(PetscOptionsInt("-lsq_qr_block", "ScaLAPACK block-cyclic block size for -lsq_qr scalapack", "SkuaSketchSetQR", qrb, &qrb, NULL));
  PetscOptionsEnd();
  PetscCall(SkuaSketchSetQR(S, (SkuaLSQQRType)qr, qrb));
  PetscCall(SkuaSketchSetSRHTBlockSize(S, bs));
  PetscCall(SkuaSketchSetType(S, (SkuaSketchType)type));
  PetscCall(SkuaSketchSetSize(S, m));
  PetscCall(SkuaSketchSetSeed(S, seed));
  PetscCall(SkuaSketchSetNnz(S, s));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaSketchGetSize(SkuaSketch S, PetscInt *m)
{
  PetscFunctionBegin;
  *m = S->m ? S->m : S->m_set;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaSketchGetType(SkuaSketch S, SkuaSketchType *type)
{
  PetscFunctionBegin;
  *type = S->type;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaSketchGetSeed(SkuaSketch S, PetscInt *seed)
{
  PetscFunctionBegin;
  *seed = S->seed;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaSketchGetNnz(SkuaSketch S, PetscInt *s)
{
  PetscFunctionBegin;
  *s = S->type == SKUA_SKETCH_SPARSESIGN ? S->s : (S->type == SKUA_SKETCH_COUNTSKETCH ? 1 : 0);
  PetscFunctionReturn(0);
}

/* Fixes m for a problem with d columns and checks it; the first Apply decides, later ones must agree. */
PetscErrorCode SkuaSketchSetUp(SkuaSketch S, PetscInt d)
{
  PetscFunctionBegin;
  if (!S->m) S->m = S->m_set ? S->m_set : 4 * d;
  PetscCheck(S->m >= d, S->comm, PETSC_ERR_ARG_OUTOFRANGE, "-sketch_size %" PetscInt_FMT " is smaller than the number of columns %" PetscInt_FMT "; a sketch needs m >= d (m = 2d..4d is typical)", S->m, d);
  PetscCheck(S->type != SKUA_SKETCH_SPARSESIGN || S->s <= S->m, S->comm, PETSC_ERR_ARG_OUTOFRANGE, "-sketch_nnz %" PetscInt_FMT " exceeds -sketch_size %" PetscInt_FMT, S->s, S->m);
  S->addrow = S->type == SKUA_SKETCH_GAUSSIAN ? AddRowGaussian : AddRowSparse;
  if (!S->idx) PetscCall(PetscMalloc2(S->s, &S->idx, S->s, &S->sg));
  if (S->type == SKUA_SKETCH_GAUSSIAN && !S->g) PetscCall(PetscMalloc1(S->m, &S->g));
  PetscFunctionReturn(0);
}

static void AccSum(void *in, void *inout, int *len, MPI_Datatype *type)
{
  SkuaSketchAcc *a = (SkuaSketchAcc *)in, *b = (SkuaSketchAcc *)inout;
  (void)type;
  for (int i = 0; i < *len; i++) b[i] += a[i];
}

/* Per-column power-of-two scales: the largest possible contribution |S(k,i) a_ij| maps to about 2^94, so up to
   2^31 rows sum without overflowing 127 bits while each term keeps ~94 bits (far below double round-off). A term
   may itself be a double sum of up to `terms` contributions (the blocked dense path): its bound grows accordingly. */
static PetscErrorCode ColumnScales(SkuaSketch S, MPI_Comm comm, PetscInt M, PetscInt d, PetscReal terms, PetscReal amax[], PetscReal scale[])
{
  PetscReal bound = terms * (S->type == SKUA_SKETCH_GAUSSIAN ? 8.6 / PetscSqrtReal((PetscReal)S->m) : 1.0); /* |N| <= sqrt(-2 ln 2^-53) < 8.6 */

  PetscFunctionBegin;
  if (S->type == SKUA_SKETCH_SRHT) { /* one term is a whole block's transform: |(H D a)_k| / sqrt(m) <= B max|a| / sqrt(m) */
    PetscInt B;
    PetscCall(SkuaSketchSRHTBlockSize(S, M, &B));
    bound = (PetscReal)B / PetscSqrtReal((PetscReal)S->m);
  }
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, amax, (PetscMPIInt)d, MPIU_REAL, MPI_MAX, comm));
  for (PetscInt j = 0; j < d; j++) {
    int e;
    PetscCheck(!PetscIsInfOrNanReal(amax[j]), comm, PETSC_ERR_ARG_WRONG, "SkuaSketchApply: column %" PetscInt_FMT " of the input holds NaN or Inf", j);
    if (amax[j] == 0) {
      scale[j] = 1.0;
      continue;
    }
    (void)frexp(amax[j] * bound, &e); /* amax * bound < 2^e */
    scale[j] = ldexp(1.0, 94 - e);
  }
  PetscFunctionReturn(0);
}

/* The MPI datatype of one accumulator and the exact sum over it (free both after use). */
static PetscErrorCode AccTypeOp(MPI_Datatype *t, MPI_Op *op)
{
  PetscFunctionBegin;
  PetscCallMPI(MPI_Type_contiguous((int)sizeof(SkuaSketchAcc), MPI_BYTE, t));
  PetscCallMPI(MPI_Type_commit(t));
  PetscCallMPI(MPI_Op_create(AccSum, 1, op));
  PetscFunctionReturn(0);
}

/* Sums the accumulators over ranks exactly (integer addition commutes), then rounds once to double. */
PetscErrorCode SkuaSketchAccReduce(MPI_Comm comm, PetscInt m, PetscInt d, SkuaSketchAcc acc[], const PetscReal scale[], PetscScalar out[], PetscInt ld)
{
  MPI_Datatype t;
  MPI_Op       op;

  PetscFunctionBegin;
  PetscCall(AccTypeOp(&t, &op));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, acc, (PetscMPIInt)((size_t)m * d), t, op, comm));
  PetscCallMPI(MPI_Op_free(&op));
  PetscCallMPI(MPI_Type_free(&t));
  for (PetscInt j = 0; j < d; j++)
    for (PetscInt k = 0; k < m; k++) out[k + (size_t)j * ld] = (PetscReal)acc[k + (size_t)j * m] / scale[j];
  PetscFunctionReturn(0);
}

/* The exact sketch of this rank's rows of diag(w) A: *acc (m x d, column-major, PetscFree it) and the column scales
   *scale (d, PetscFree it) that SkuaSketchAccReduce divides by. Dense A (MATSEQDENSE/MATMPIDENSE) with a Gaussian
   or sparse sketch takes the blocked path of dense.c; otherwise one row at a time (SRHT: srht.c, which weights the
   rows as it copies them into its blocks). */
static PetscErrorCode SketchAccumulate(SkuaSketch S, Mat A, Vec w, SkuaSketchAcc **acc, PetscReal **scale)
{
  PetscInt           M, d, rstart, rend;
  PetscReal         *amax, *rv = NULL;
  const PetscScalar *ww = NULL;
  PetscBool          dense;
  MPI_Comm           comm;

  PetscFunctionBegin;
  PetscCall(PetscObjectGetComm((PetscObject)A, &comm));
  PetscCall(MatGetSize(A, &M, &d));
  PetscCall(PetscObjectTypeCompareAny((PetscObject)A, &dense, MATSEQDENSE, MATMPIDENSE, ""));
  PetscCall(MatGetOwnershipRange(A, &rstart, &rend));
  PetscCall(PetscCalloc1(d, &amax));
  PetscCall(PetscMalloc1(d, scale));
  if (w) PetscCall(VecGetArrayRead(w, &ww));
  if (dense) PetscCall(SkuaSketchDenseAmax(A, ww, amax)); /* also for srht on dense A */
  else {
    if (w) PetscCall(PetscMalloc1(d, &rv));
    for (PetscInt i = rstart; i < rend; i++) {
      PetscInt           n;
      const PetscInt    *cols;
      const PetscScalar *vals;
      PetscCall(MatGetRow(A, i, &n, &cols, &vals));
      for (PetscInt j = 0; j < n; j++) {
        PetscScalar v = ww ? ww[i - rstart] * vals[j] : vals[j];
        amax[cols[j]] = PetscMax(amax[cols[j]], PetscIsInfOrNanScalar(v) ? PETSC_INFINITY : PetscAbsScalar(v));
      }
      PetscCall(MatRestoreRow(A, i, &n, &cols, &vals));
    }
  }
  /* dense: one term is a row block's partial sum in double, and the whole sum over M rows must stay below 2^94 for
     the split int64 accumulation of dense.c (resolution ~M 2^-94 max|a|, far below double precision) */
  PetscCall(ColumnScales(S, comm, M, d, dense && S->type != SKUA_SKETCH_SRHT ? (PetscReal)M : 1.0, amax, *scale));
  PetscCall(PetscCalloc1((size_t)S->m * d, acc));
  if (S->type == SKUA_SKETCH_SRHT) PetscCall(SkuaSketchAccumulateSRHT(S, A, w, *scale, *acc));
  else if (dense) PetscCall(SkuaSketchAccumulateDense(S, A, w, *scale, *acc));
  else
    for (PetscInt i = rstart; i < rend; i++) {
      PetscInt           n;
      const PetscInt    *cols;
      const PetscScalar *vals;
      PetscCall(MatGetRow(A, i, &n, &cols, &vals));
      if (ww) {
        for (PetscInt j = 0; j < n; j++) rv[j] = PetscRealPart(ww[i - rstart] * vals[j]);
        PetscCall(S->addrow(S, i, n, cols, rv, *scale, *acc));
      } else PetscCall(S->addrow(S, i, n, cols, vals, *scale, *acc));
      PetscCall(MatRestoreRow(A, i, &n, &cols, &vals));
    }
  if (w) PetscCall(VecRestoreArrayRead(w, &ww));
  PetscCall(PetscFree(rv));
  PetscCall(PetscFree(amax));
  PetscFunctionReturn(0);
}

/* S diag(w) A (w: NULL, or a Vec with A's row layout), replicated on every rank. */
PetscErrorCode SkuaSketchApplyWeighted(SkuaSketch S, Mat A, Vec w, Mat *SA)
{
  PetscInt       M, d, lda;
  SkuaSketchAcc *acc;
  PetscReal     *scale;
  PetscScalar   *a;
  MPI_Comm       comm;

  PetscFunctionBegin;
  PetscCall(PetscObjectGetComm((PetscObject)A, &comm));
  PetscCall(MatGetSize(A, &M, &d));
  PetscCall(SkuaSketchSetUp(S, d));
  PetscCall(PetscLogEventBegin(SKUA_SKETCH_Apply, A, 0, 0, 0));
  PetscCall(SketchAccumulate(S, A, w, &acc, &scale));
  PetscCall(MatCreateSeqDense(PETSC_COMM_SELF, S->m, d, NULL, SA));
  PetscCall(MatDenseGetLDA(*SA, &lda));
  PetscCall(MatDenseGetArrayWrite(*SA, &a));
  PetscCall(SkuaSketchAccReduce(comm, S->m, d, acc, scale, a, lda));
  PetscCall(MatDenseRestoreArrayWrite(*SA, &a));
  PetscCall(MatAssemblyBegin(*SA, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(*SA, MAT_FINAL_ASSEMBLY));
  PetscCall(PetscFree(acc));
  PetscCall(PetscFree(scale));
  PetscCall(PetscLogEventEnd(SKUA_SKETCH_Apply, A, 0, 0, 0));
  PetscFunctionReturn(0);
}

/* S A with each entry delivered only to the rank that owns it in a distributed layout: where() names the owner
   and the position in its local array (counts[r] entries on rank r). The accumulators are packed by owner and
   summed by one MPI_Reduce_scatter, so the values are exactly those of the replicated SkuaSketchApply, and the
   traffic is m d entries in all rather than m d per rank. out: this rank's counts[rank] entries. */
PetscErrorCode SkuaSketchApplyScattered(SkuaSketch S, Mat A, SkuaSketchWhere where, void *ctx, const PetscMPIInt counts[], PetscScalar out[])
{
  PetscInt       M, d;
  SkuaSketchAcc *acc, *send, *recv;
  PetscReal     *scale;
  PetscMPIInt    size, rank, *displs;
  MPI_Datatype   t;
  MPI_Op         op;
  MPI_Comm       comm;

  PetscFunctionBegin;
  PetscCall(PetscObjectGetComm((PetscObject)A, &comm));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCall(MatGetSize(A, &M, &d));
  PetscCall(SkuaSketchSetUp(S, d));
  PetscCall(PetscLogEventBegin(SKUA_SKETCH_Apply, A, 0, 0, 0));
  PetscCall(SketchAccumulate(S, A, NULL, &acc, &scale));
  PetscCall(PetscMalloc1(size + 1, &displs));
  displs[0] = 0;
  for (PetscMPIInt r = 0; r < size; r++) displs[r + 1] = displs[r] + counts[r];
  PetscCheck((PetscInt)displs[size] == S->m * d, comm, PETSC_ERR_PLIB, "Distributed layout holds %d entries, the sketch %" PetscInt_FMT, displs[size], S->m * d);
  PetscCall(PetscMalloc2((size_t)S->m * d, &send, PetscMax(1, counts[rank]), &recv));
  for (PetscInt j = 0; j < d; j++)
    for (PetscInt k = 0; k < S->m; k++) {
      PetscMPIInt r;
      PetscInt    pos;
      where(ctx, k, j, &r, &pos);
      send[displs[r] + pos] = acc[k + (size_t)j * S->m];
    }
  PetscCall(PetscFree(acc));
  PetscCall(AccTypeOp(&t, &op));
  PetscCallMPI(MPI_Reduce_scatter(send, recv, counts, t, op, comm));
  PetscCallMPI(MPI_Op_free(&op));
  PetscCallMPI(MPI_Type_free(&t));
  for (PetscInt j = 0; j < d; j++)
    for (PetscInt k = 0; k < S->m; k++) {
      PetscMPIInt r;
      PetscInt    pos;
      where(ctx, k, j, &r, &pos);
      if (r == rank) out[pos] = (PetscReal)recv[pos] / scale[j];
    }
  PetscCall(PetscFree2(send, recv));
  PetscCall(PetscFree(displs));
  PetscCall(PetscFree(scale));
  PetscCall(PetscLogEventEnd(SKUA_SKETCH_Apply, A, 0, 0, 0));
  PetscFunctionReturn(0);
}

typedef struct {
  const PetscInt *ranges; /* row ownership of the m x d result */
  PetscMPIInt     size;
} RowSplit;

static void RowSplitWhere(void *ctx, PetscInt k, PetscInt j, PetscMPIInt *rank, PetscInt *pos)
{
  RowSplit   *rs = (RowSplit *)ctx;
  PetscMPIInt lo = 0, hi = rs->size - 1;
  while (lo < hi) { /* the last rank whose range starts at or before k */
    PetscMPIInt mid = (lo + hi + 1) / 2;
    if (rs->ranges[mid] <= k) lo = mid;
    else hi = mid - 1;
  }
  while (rs->ranges[lo + 1] <= k) lo++; /* skip ranks that own no rows */
  *rank = lo;
  *pos  = (k - rs->ranges[lo]) + j * (rs->ranges[lo + 1] - rs->ranges[lo]);
}

PetscErrorCode SkuaSketchApplyDistributed(SkuaSketch S, Mat A, Mat *SA)
{
  PetscInt        M, d, mloc, lda;
  PetscMPIInt     size, rank, *counts;
  const PetscInt *ranges;
  PetscScalar    *loc, *a;
  RowSplit        rs;
  MPI_Comm        comm;

  PetscFunctionBegin;
  PetscCall(PetscObjectGetComm((PetscObject)A, &comm));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCall(MatGetSize(A, &M, &d));
  PetscCall(SkuaSketchSetUp(S, d));
  PetscCall(MatCreateDense(comm, PETSC_DECIDE, PETSC_DECIDE, S->m, d, NULL, SA));
  PetscCall(MatGetOwnershipRanges(*SA, &ranges));
  PetscCall(PetscMalloc1(size, &counts));
  for (PetscMPIInt r = 0; r < size; r++) PetscCall(PetscMPIIntCast((ranges[r + 1] - ranges[r]) * d, &counts[r]));
  mloc = ranges[rank + 1] - ranges[rank];
  rs.ranges = ranges;
  rs.size   = size;
  PetscCall(PetscMalloc1(PetscMax(1, mloc * d), &loc));
  PetscCall(SkuaSketchApplyScattered(S, A, RowSplitWhere, &rs, counts, loc));
  PetscCall(MatDenseGetLDA(*SA, &lda));
  PetscCall(MatDenseGetArrayWrite(*SA, &a));
  for (PetscInt j = 0; j < d; j++) PetscCall(PetscArraycpy(a + (size_t)j * lda, loc + (size_t)j * mloc, mloc));
  PetscCall(MatDenseRestoreArrayWrite(*SA, &a));
  PetscCall(MatAssemblyBegin(*SA, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(*SA, MAT_FINAL_ASSEMBLY));
  PetscCall(PetscFree(loc));
  PetscCall(PetscFree(counts));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaSketchApply(SkuaSketch S, Mat A, Mat *SA)
{
  PetscFunctionBegin;
  PetscCall(SkuaSketchApplyWeighted(S, A, NULL, SA));
  PetscFunctionReturn(0);
}

/* b is a one-column dense matrix: the same kernels (and so the same rounding) as Apply on a dense A. */
PetscErrorCode SkuaSketchApplyVec(SkuaSketch S, Vec b, Vec *Sb)
{
  PetscInt           M, rstart, rend;
  const PetscScalar *bb, *sa;
  PetscScalar       *out;
  Mat                B1, SB;
  MPI_Comm           comm;

  PetscFunctionBegin;
  PetscCall(PetscObjectGetComm((PetscObject)b, &comm));
  PetscCall(VecGetSize(b, &M));
  PetscCheck(S->m || S->m_set, S->comm, PETSC_ERR_ORDER, "SkuaSketchApplyVec: set -sketch_size or call SkuaSketchApply first, so the sketch size is known");
  PetscCall(VecGetOwnershipRange(b, &rstart, &rend));
  PetscCall(VecGetArrayRead(b, &bb));
  PetscCall(MatCreateDense(comm, rend - rstart, PETSC_DECIDE, M, 1, (PetscScalar *)bb, &B1));
  PetscCall(SkuaSketchApplyWeighted(S, B1, NULL, &SB));
  PetscCall(MatDestroy(&B1));
  PetscCall(VecRestoreArrayRead(b, &bb));
  PetscCall(VecCreateSeq(PETSC_COMM_SELF, S->m, Sb));
  PetscCall(VecGetArray(*Sb, &out));
  PetscCall(MatDenseGetArrayRead(SB, &sa));
  PetscCall(PetscArraycpy(out, sa, S->m));
  PetscCall(MatDenseRestoreArrayRead(SB, &sa));
  PetscCall(VecRestoreArray(*Sb, &out));
  PetscCall(MatDestroy(&SB));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaSketchView(SkuaSketch S, PetscViewer viewer)
{
  PetscInt m;

  PetscFunctionBegin;
  PetscCall(SkuaSketchGetSize(S, &m));
  PetscCall(PetscViewerASCIIPrintf(viewer, "SkuaSketch: type %s, size m = %" PetscInt_FMT "%s, seed %" PetscInt_FMT, SkuaSketchTypes[S->type], m, m ? "" : " (4 d)", S->seed));
  if (S->type == SKUA_SKETCH_SPARSESIGN) PetscCall(PetscViewerASCIIPrintf(viewer, ", %" PetscInt_FMT " nonzeros per column", S->s));
  if (S->type == SKUA_SKETCH_SRHT) {
    if (S->bs_set) PetscCall(PetscViewerASCIIPrintf(viewer, ", blocks of %" PetscInt_FMT " rows", S->bs_set));
    else PetscCall(PetscViewerASCIIPrintf(viewer, ", automatic block size"));
  }
  PetscCall(PetscViewerASCIIPrintf(viewer, "\n"));
  PetscFunctionReturn(0);
}
