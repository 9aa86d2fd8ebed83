/* Private to src/sketch: the SkuaSketch object and the counter-based random numbers it is built from. */
#ifndef SKUA_SKETCHIMPL_H
#define SKUA_SKETCHIMPL_H

#include <skua/sketch.h>
#include <stdint.h>

/* Sketch sums are accumulated in 128-bit fixed point (per-column scale), so they are exact and the sum over
   rows and ranks does not depend on the order: S A is bit-identical for any number of ranks. */
typedef __int128 SkuaSketchAcc;

/* Deterministic rounding of v (|v| < 2^95) to the accumulator, with two hardware double->int64 conversions
   instead of libgcc's slow double->int128: hi = trunc(v / 2^32) is exact in a double, so r = v - hi 2^32 is
   exact too, and v = hi 2^32 + r to within one unit of r's truncation. */
static inline SkuaSketchAcc SkuaSketchToAcc(double v)
{
  int64_t hi = (int64_t)(v * 0x1p-32);
  double  r  = v - (double)hi * 0x1p32;
  return (SkuaSketchAcc)hi * ((SkuaSketchAcc)1 << 32) + (SkuaSketchAcc)(int64_t)r;
}

/* Adds row i of A (n entries at global columns cols[] with values vals[]) times column i of S into the
   m x d column-major accumulator SA; column j of A is scaled by scale[j] (a power of two) first. One function
   per sketch type: the ops table of the object. */
typedef PetscErrorCode (*SkuaSketchRowFn)(SkuaSketch S, PetscInt i, PetscInt n, const PetscInt cols[], const PetscScalar vals[], const PetscReal scale[], SkuaSketchAcc SA[]);

struct _p_SkuaSketch {
  MPI_Comm        comm;
  SkuaSketchType  type;
  PetscInt        m, m_set, seed, s;
  PetscInt        bs_set; /* srht block size (a power of two; 0: automatic) */
  SkuaLSQQRType   qr;     /* how SkuaLSQSolve factorises S A (-lsq_qr), and the ScaLAPACK block size */
  PetscInt        qr_block;
  PetscInt       *idx; /* workspace: s sketch rows of one column, and their values */
  PetscReal      *sg;
  PetscReal      *g;   /* workspace: one Gaussian column of S */
  SkuaSketchRowFn addrow;
};

PETSC_INTERN PetscLogEvent SKUA_SKETCH_Apply, SKUA_LSQ_Solve, SKUA_LSQ_QR, SKUA_NEWTON_Solve, SKUA_NEWTON_Hessian, SKUA_NEWTON_LineSearch;

/* splitmix64 finaliser: a bijective mix, so (seed, i, k) -> distinct well-mixed 64-bit words. */
static inline uint64_t SkuaSketchMix(uint64_t z)
{
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
/* Key of column i of S: depends on (seed, i) only, never on the rank that owns row i. */
static inline uint64_t SkuaSketchKey(PetscInt seed, PetscInt i)
{
  return SkuaSketchMix(SkuaSketchMix((uint64_t)seed) ^ SkuaSketchMix(0x5bd1e995ULL + (uint64_t)i));
}
/* Column i of S: Gaussian (m values), or the s rows and values of a sparse-sign / CountSketch column. */
PETSC_INTERN void SkuaSketchGaussianColumn(SkuaSketch S, PetscInt i, PetscReal g[]);
PETSC_INTERN void SkuaSketchSparseColumn(SkuaSketch S, PetscInt i, PetscInt idx[], PetscReal sg[]);
/* Fixes m for a problem with d columns (the first call decides, later ones must agree) and the workspaces. */
PETSC_INTERN PetscErrorCode SkuaSketchSetUp(SkuaSketch S, PetscInt d);
/* S diag(w) A (w NULL: S A); with w, Newton Sketch's S W^{1/2} A without forming W^{1/2} A. */
PETSC_INTERN PetscErrorCode SkuaSketchApplyWeighted(SkuaSketch S, Mat A, Vec w, Mat *SA);
/* Blocked dense path (dense.c): global row blocks of SkuaSketchDenseBlock() rows (a function of the sketch size only,
   independent of np) are summed in double by the rank owning the block's first row, and the block sums added
   exactly into acc. */
PETSC_INTERN PetscInt SkuaSketchDenseBlock(PetscInt m);
PETSC_INTERN PetscErrorCode SkuaSketchDenseAmax(Mat A, const PetscScalar w[], PetscReal amax[]);
PETSC_INTERN PetscErrorCode SkuaSketchAccumulateDense(SkuaSketch S, Mat A, Vec w, const PetscReal scale[], SkuaSketchAcc acc[]);
/* Block SRHT (srht.c): the block size for an M-row input, and S A added into the accumulator. */
PETSC_INTERN PetscErrorCode SkuaSketchSRHTBlockSize(SkuaSketch S, PetscInt M, PetscInt *B);
PETSC_INTERN PetscErrorCode SkuaSketchAccumulateSRHT(SkuaSketch S, Mat A, Vec w, const PetscReal scale[], SkuaSketchAcc acc[]);
/* lsq.c: G = A^T diag(rw)^2 A, g = A^T diag(rw) b, replicated (rw = NULL: unweighted; b = NULL: no g). */
PETSC_INTERN PetscErrorCode SkuaSketchGram(Mat A, const PetscReal rw[], Vec b, PetscScalar G[], PetscScalar g[]);
/* scalapack.c: R (and (Q^T S b)_{1:d} in c when Sb, the replicated sketch of b, is given) of S A by pdgeqrf on A's
   communicator; S A is scattered straight into the 2-D block-cyclic layout (block S->qr_block), never replicated. */
PETSC_INTERN PetscErrorCode SkuaSketchQRScaLAPACK(SkuaSketch S, Mat A, const PetscScalar Sb[], PetscScalar R[], PetscScalar c[]);
/* A 2-D block-cyclic layout of the m x d sketch: row blocks of mb dealt over nprow process rows, column blocks of
   nb over npcol process columns; pnum[pr * npcol + pc] is the rank of grid process (pr, pc), which stores its local
   rows x local columns column-major with leading dimension = its local row count (ScaLAPACK's layout). A row
   split is nprow = P, npcol = 1, mb = ceil(m / P), nb = d. */
typedef struct {
  PetscInt   mb, nb;
  int        nprow, npcol;
  const int *pnum;
} SkuaSketchLayout;
/* Global index of local index l in a block-cyclic dimension (block nb, my coordinate p of np). */
static inline PetscInt SkuaSketchGlobalIndex(PetscInt l, PetscInt nb, PetscInt p, PetscInt np)
{
  return ((l / nb) * np + p) * nb + l % nb;
}
/* numroc: how many of n indices in blocks of nb over np processes process p holds. */
PETSC_INTERN PetscInt SkuaSketchNumLocal(PetscInt n, PetscInt nb, PetscInt p, PetscInt np);
/* S A (values identical to SkuaSketchApply's) delivered straight into the layout L; out: this rank's local array. */
PETSC_INTERN PetscErrorCode SkuaSketchApplyScattered(SkuaSketch S, Mat A, const SkuaSketchLayout *L, PetscScalar out[]);
/* Exact sum of the m x d accumulators over comm, then out(k, j) = acc(k, j) / scale[j] (leading dimension ld). */
PETSC_INTERN PetscErrorCode SkuaSketchAccReduce(MPI_Comm comm, PetscInt m, PetscInt d, SkuaSketchAcc acc[], const PetscReal scale[], PetscScalar out[], PetscInt ld);
#endif
