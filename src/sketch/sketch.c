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

/* Sums the accumulators over ranks exactly (integer addition commutes), then rounds once to double. */
PetscErrorCode SkuaSketchAccReduce(MPI_Comm comm, PetscInt m, PetscInt d, SkuaSketchAcc acc[], const PetscReal scale[], PetscScalar out[], PetscInt ld)
{
  MPI_Datatype t;
  MPI_Op       op;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Type_contiguous((int)sizeof(SkuaSketchAcc), MPI_BYTE, &t));
  PetscCallMPI(MPI_Type_commit(&t));
  PetscCallMPI(MPI_Op_create(AccSum, 1, &op));
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
  PetscInt       d, lda;
  SkuaSketchAcc *acc;
  PetscReal     *scale;
  PetscScalar   *a;
  MPI_Comm       comm;

  PetscFunctionBegin;
  PetscCall(PetscObjectGetComm((PetscObject)A, &comm));
  PetscCall(MatGetSize(A, NULL, &d));
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

/* How many of n indices, in blocks of nb dealt round-robin over np processes starting at 0, process p holds
   (ScaLAPACK's numroc). */
PetscInt SkuaSketchNumLocal(PetscInt n, PetscInt nb, PetscInt p, PetscInt np)
{
  PetscInt nblocks = n / nb, extra = nblocks % np, loc = (nblocks / np) * nb;

  if (p < extra) loc += nb;
  else if (p == extra) loc += n % nb;
  return loc;
}

/* S A with each entry delivered only to the process that owns it in the block-cyclic layout L: each rank packs its
   exact partial sums by owner, in runs of up to L->mb rows, one MPI_Alltoallv sends every process the partial sums
   of its entries, and it adds them up (exact integer sums, so the values are exactly those of the replicated
   SkuaSketchApply). Each rank sends and receives about m d entries, not the m d log(P) or so of the allreduce
   behind the replicated result, and nobody holds the rounded m x d result. out: this rank's local array
   (column-major, leading dimension its local row count). */
PetscErrorCode SkuaSketchApplyScattered(SkuaSketch S, Mat A, const SkuaSketchLayout *L, PetscScalar out[])
{
  PetscInt       d, m, *lrows, *lcols, mine;
  SkuaSketchAcc *acc, *send, *recv;
  PetscReal     *scale;
  PetscMPIInt    size, rank, *cnt, *dsp, *rcnt, *rdsp, pr = 0, pc = 0;
  MPI_Datatype   t;
  MPI_Comm       comm;

  PetscFunctionBegin;
  PetscCall(PetscObjectGetComm((PetscObject)A, &comm));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCheck(L->nprow * L->npcol == size, comm, PETSC_ERR_ARG_SIZ, "Sketch layout grid %d x %d does not match %d ranks", L->nprow, L->npcol, size);
  PetscCall(MatGetSize(A, NULL, &d));
  PetscCall(SkuaSketchSetUp(S, d));
  m = S->m;
  PetscCall(PetscLogEventBegin(SKUA_SKETCH_Apply, A, 0, 0, 0));
  PetscCall(SketchAccumulate(S, A, NULL, &acc, &scale));
  PetscCall(PetscMalloc6(L->nprow, &lrows, L->npcol, &lcols, size, &cnt, size, &dsp, size, &rcnt, size, &rdsp));
  for (int p = 0; p < L->nprow; p++) lrows[p] = SkuaSketchNumLocal(m, L->mb, p, L->nprow);
  for (int q = 0; q < L->npcol; q++) lcols[q] = SkuaSketchNumLocal(d, L->nb, q, L->npcol);
  for (int p = 0; p < L->nprow; p++)
    for (int q = 0; q < L->npcol; q++) {
      PetscMPIInt r = L->pnum[p * L->npcol + q];
      PetscCall(PetscMPIIntCast(lrows[p] * lcols[q], &cnt[r]));
      if (r == rank) {
        pr = p;
        pc = q;
      }
    }
  dsp[0] = 0;
  for (PetscMPIInt r = 1; r < size; r++) dsp[r] = dsp[r - 1] + cnt[r - 1];
  mine = cnt[rank];
  for (PetscMPIInt r = 0; r < size; r++) {
    rcnt[r] = cnt[rank];
    rdsp[r] = r * cnt[rank];
  }
  PetscCall(PetscMalloc1((size_t)m * d, &send));
  for (PetscInt j = 0; j < d; j++) {
    PetscInt q = (j / L->nb) % L->npcol, jl = (j / (L->nb * L->npcol)) * L->nb + j % L->nb;
    for (PetscInt k = 0; k < m; k += L->mb) {
      PetscInt    p = (k / L->mb) % L->nprow, il = (k / (L->mb * L->nprow)) * L->mb;
      PetscMPIInt r = L->pnum[p * L->npcol + q];
      PetscCall(PetscArraycpy(send + dsp[r] + il + jl * lrows[p], acc + k + (size_t)j * m, PetscMin(L->mb, m - k)));
    }
  }
  PetscCall(PetscFree(acc));
  PetscCall(PetscMalloc1(PetscMax(1, (size_t)size * mine), &recv));
  PetscCallMPI(MPI_Type_contiguous((int)sizeof(SkuaSketchAcc), MPI_BYTE, &t));
  PetscCallMPI(MPI_Type_commit(&t));
  PetscCallMPI(MPI_Alltoallv(send, cnt, dsp, t, recv, rcnt, rdsp, t, comm));
  PetscCallMPI(MPI_Type_free(&t));
  PetscCall(PetscFree(send));
  for (PetscInt jl = 0; jl < lcols[pc]; jl++) {
    PetscInt  j = SkuaSketchGlobalIndex(jl, L->nb, pc, L->npcol);
    PetscReal sc = scale[j];
    for (PetscInt il = 0; il < lrows[pr]; il++) {
      PetscInt      e = il + jl * lrows[pr];
      SkuaSketchAcc v = recv[e];
      for (PetscMPIInt r = 1; r < size; r++) v += recv[(size_t)r * mine + e];
      out[e] = (PetscReal)v / sc;
    }
  }
  PetscCall(PetscFree(recv));
  PetscCall(PetscFree6(lrows, lcols, cnt, dsp, rcnt, rdsp));
  PetscCall(PetscFree(scale));
  PetscCall(PetscLogEventEnd(SKUA_SKETCH_Apply, A, 0, 0, 0));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaSketchApplyDistributed(SkuaSketch S, Mat A, Mat *SA)
{
  PetscInt         d, mloc, lda;
  PetscMPIInt      size, rank;
  int             *pnum;
  PetscScalar     *loc, *a;
  SkuaSketchLayout L;
  MPI_Comm         comm;

  PetscFunctionBegin;
  PetscCall(PetscObjectGetComm((PetscObject)A, &comm));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCall(MatGetSize(A, NULL, &d));
  PetscCall(SkuaSketchSetUp(S, d));
  /* rows in blocks of ceil(m / P), one block per rank: a block-cyclic layout with one block each */
  PetscCall(PetscMalloc1(size, &pnum));
  for (PetscMPIInt r = 0; r < size; r++) pnum[r] = r;
  L.mb    = (S->m + size - 1) / size;
  L.nb    = PetscMax(1, d);
  L.nprow = size;
  L.npcol = 1;
  L.pnum  = pnum;
  mloc    = SkuaSketchNumLocal(S->m, L.mb, rank, size);
  PetscCall(MatCreateDense(comm, mloc, PETSC_DECIDE, S->m, d, NULL, SA));
  PetscCall(PetscMalloc1(PetscMax(1, mloc * d), &loc));
  PetscCall(SkuaSketchApplyScattered(S, A, &L, loc));
  PetscCall(MatDenseGetLDA(*SA, &lda));
  PetscCall(MatDenseGetArrayWrite(*SA, &a));
  for (PetscInt j = 0; j < d; j++) PetscCall(PetscArraycpy(a + (size_t)j * lda, loc + (size_t)j * mloc, mloc));
  PetscCall(MatDenseRestoreArrayWrite(*SA, &a));
  PetscCall(MatAssemblyBegin(*SA, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(*SA, MAT_FINAL_ASSEMBLY));
  PetscCall(PetscFree(loc));
  PetscCall(PetscFree(pnum));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaSketchApply(SkuaSketch S, Mat A, Mat *SA)
{
  PetscFunctionBegin;
  PetscCall(SkuaSketchApplyWeighted(S, A, NULL, SA));
  PetscFunctionReturn(0);
}

/* b is a one-column dense matrix: the same code as Apply on a dense A, so S b is bit for bit a column of S A for
   the sparse types and SRHT; for Gaussian the BLAS may round a one-column tile product differently (dense.c). */
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
