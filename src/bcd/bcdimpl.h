/* Private state of SkuaBCD (Nutini, Laradji, Schmidt, JMLR 2022): data layout, ops tables, shared kernels. */
#ifndef SKUA_BCD_IMPL_H
#define SKUA_BCD_IMPL_H

#include <skua/bcd.h>
#include "../skuaimpl.h"
#include <stdint.h>

PETSC_INTERN PetscLogEvent SkuaBCD_Select, SkuaBCD_Update, SkuaBCD_Gradient, SkuaBCD_Trace, SkuaBCD_SetUp, SkuaBCD_Read;

/* Loss-specific kernels. The row-sum losses (squared, logistic) share SkuaBCDRowSumKernels; the quadratic form
   (quadratic.c) and multinomial logistic (softmax.c) bring their own. "local" = this rank's rows only: the
   callers add the reductions, the L2 term and the proximal term. Coordinates are (feature, class) pairs
   numbered j*nc + c, and a block always holds whole features (all nc classes of each). */
typedef struct {
  PetscErrorCode (*block_grad)(SkuaBCD);                                           /* gb on blk, local */
  PetscErrorCode (*full_grad)(SkuaBCD);                                            /* gl (nx), local */
  PetscErrorCode (*delta)(SkuaBCD, const PetscReal delta[]);                       /* dz on touched rows */
  PetscErrorCode (*trial)(SkuaBCD, PetscReal t, const PetscReal delta[], PetscReal v[2]); /* loss change, |terms| */
  PetscErrorCode (*commit)(SkuaBCD, PetscReal t, PetscBool greedy);                /* u (+ gl) on touched rows */
  PetscErrorCode (*hessian)(SkuaBCD, PetscReal H[]);                               /* nblk x nblk, local */
  PetscErrorCode (*bound_gram)(SkuaBCD, PetscInt nf, const PetscInt f[], PetscReal G[]); /* feature-level bound, local */
  PetscErrorCode (*coord_bound)(SkuaBCD, PetscReal Lf[]);                          /* diag of the bound per feature, local */
  PetscReal (*objective)(SkuaBCD);                                                 /* loss on local rows */
} SkuaBCDLossKernels;

/* A loss is a sum over rows of phi(u_i) where u_i = s_i z_i + o_i is an affine image of z = Ax: the residual
   r = Ax - b (s = 1, o = -b) for squared, the margin m = b o Ax (s = b, o = 0) for logistic. Keeping u
   up to date after a block update costs the nonzeros of the block's columns; the gradient weight of row i is
   dF/dz_i = s_i phi'(u_i) and its curvature s_i^2 phi''(u_i) = phi''(u_i) (s_i^2 = 1 for both losses). */
typedef struct {
  const char *name;
  PetscReal   curvature_bound; /* sup phi'': block Lipschitz constants are this times lambda_max(A_b^T A_b) */
  PetscErrorCode (*setup)(SkuaBCD); /* checks the targets (labels +-1 for logistic) and sets s, o */
  PetscReal (*phi)(PetscReal);
  PetscReal (*dphi)(PetscReal);
  PetscReal (*d2phi)(PetscReal);
  PetscReal (*dphi_diff)(PetscReal u, PetscReal du); /* phi(u + du) - phi(u) without cancellation */
  const SkuaBCDLossKernels *k;
  PetscBool exact_quadratic; /* f is quadratic in x: the Newton model is f itself (-bcd_update exact) */
  PetscBool kinked; /* phi'' is piecewise constant with jumps (squared hinge): the line search keeps its L estimate */
} SkuaBCDLossOps;

/* Selection fills bcd->blk/nblk with the sorted coordinates of the block to update at iteration k. */
typedef struct {
  const char *name;
  PetscBool   greedy; /* needs the full gradient every iteration */
  PetscErrorCode (*select)(SkuaBCD, PetscInt k);
} SkuaBCDRuleOps;

/* An update changes x on bcd->blk given the block gradient bcd->gb, through SkuaBCDBlockDelta/Commit. */
typedef struct {
  const char *name;
  PetscErrorCode (*update)(SkuaBCD);
} SkuaBCDUpdateOps;

struct _p_SkuaBCD {
  MPI_Comm    comm;
  PetscMPIInt rank, size;
  char        source[PETSC_MAX_PATH_LEN];

  /* Data: local rows [rstart, rstart+mloc) of A (m x d) in CSC (local row numbers) and CSR (global columns). */
  PetscInt   m, d, mloc, rstart, nnz;
  PetscInt   nc, nx, classes; /* classes of softmax (1 otherwise), nx = d*nc coordinates, -bcd_classes */
  PetscInt  *ylab;            /* softmax: class of each local row */
  PetscReal *P;               /* softmax: class probabilities of each local row (mloc x nc) */
  PetscInt  *bpos;            /* quadratic: position of a coordinate in the current block, else -1 (d) */
  PetscInt  *ccp, *cri, *rrp, *rci;
  PetscReal *ccv, *rrv;
  PetscReal *b, *s, *o; /* targets; the affine map z -> u of the loss */
  PetscBool  has_data;
  char       suggested_loss[32];

  /* Settings */
  SkuaBCDLossType      loss;
  SkuaBCDRuleType      rule;
  SkuaBCDUpdateType    update;
  SkuaBCDPartitionType partition;
  PetscReal            l1, l2, rho, tol;
  PetscInt             max_it, bs, trace_every, seed, ls_max, newton_inner;
  PetscBool            active_sync; /* -bcd_active_sync: at np > 1 the active-set Newton model is coupled across ranks after every sweep */
  PetscInt             active_chunks; /* -bcd_active_chunks: exchanges of A d per inner sweep (each rank's active columns in this many chunks) */
  const SkuaBCDLossOps   *lops;
  const SkuaBCDRuleOps   *rops;
  const SkuaBCDUpdateOps *uops;
  PetscBool               setup;

  /* Fixed partitions: block j holds the coordinates at positions [bstart[j], bstart[j+1]) of bcoord (NULL: the
     identity, contiguous blocks). sorted: features by decreasing L_i; tree: fixed forests. */
  PetscInt   nb;
  PetscInt  *bstart, *bcoord;
  PetscReal *Lb, *Lest, *Lcum; /* block Lipschitz bounds, line-search estimates, cumulative Lb (lipschitz rule) */
  PetscReal *Lc;               /* coordinate Lipschitz bounds */
  PetscReal  Lmax;             /* max_j Lb (variable blocks: max_i Lc): the common step of the GS rule */
  PetscInt  *perm, perm_epoch;
  PetscReal *Hq;    /* GSQ: Cholesky factors of the feature-level K_b + (l2 + rho) I (with L1: the matrix itself), block j at Hq + Hqoff[j] */
  PetscInt  *Hqoff;
  PetscInt   bsf;   /* features per block (bs = bsf*nc coordinates) */
  PetscInt  *feat, nfeat; /* features of the current block */
  PetscInt  *cand;        /* variable GSQ: candidate features */
  PetscReal *Kc, *Kw, *dq, *dq2, *gq, *fscore; /* variable GSQ work: candidate Gram, IHT iterates; per-feature scores */

  /* State: x and the gradient are replicated; u is local to the row block. */
  PetscReal *x, *u, *g, *gl;
  PetscBool  gfull; /* g holds the full gradient at the current x (greedy rules) */

  /* Current block and work space */
  PetscInt   nblk, blkid;
  PetscInt  *blk;
  PetscReal *gb, *xb0, *db, *H, *Hw, *score;
  PetscReal *dz;
  PetscInt  *touched, ntouched;
  char      *mark;
  PetscReal *wv; /* dense mloc work for Gram matrices */
  PetscInt  *heap;

  /* -bcd_partition active (active.c): columns [c0, c1) over all m rows in CSC (global rows), replicated row data */
  PetscInt   c0, c1;
  PetscInt  *acp, *ari;
  PetscReal *acv, *as, *ao, *au;

  /* -bcd_partition tree (tree.c): A's rows replicated (CSR), union-find and forest-solve work; fixed forests are
     tnodes[bstart[j] .. bstart[j+1]) */
  PetscBool  bs_set; /* -bcd_block_size given (tree: otherwise no limit on the forest size) */
  PetscInt  *trp, *tci, *tuf, *tpos, *troots, *torder, *tpar, *tsort;
  PetscReal *tcv, *tpiv, *trhs, *tcp;

  /* Results */
  PetscInt               its;
  SkuaBCDConvergedReason reason;
  PetscInt               ntrace, trace_cap;
  PetscInt              *tr_it;
  PetscReal             *tr_obj, *tr_sec, *tr_gnorm, *tr_blk;
  SkuaBCDMonitorFn       monitor;
  void                  *monctx;
  char                   setnames[24][32], setvals[24][PETSC_MAX_PATH_LEN];
  const char            *setnp[24], *setvp[24];
  PetscInt               nset;
};

/* A number as C's %g writes it (PETSc's printf appends '.' to integral values: "-1." and "nan." read badly). */
#include <stdio.h>
static inline const char *SkuaBCDNum(char buf[32], double v)
{
  snprintf(buf, 32, "%g", v);
  return buf;
}

/* Coordinate at position p of the fixed partition; fixed Lipschitz blocks are the contiguous and sorted ones. */
static inline PetscInt  SkuaBCDBCoord(SkuaBCD bcd, PetscInt p) { return bcd->bcoord ? bcd->bcoord[p] : p; }
static inline PetscBool SkuaBCDFixedBlocks(SkuaBCD bcd) { return (bcd->partition == SKUA_BCD_PARTITION_CONTIGUOUS || bcd->partition == SKUA_BCD_PARTITION_SORTED) ? PETSC_TRUE : PETSC_FALSE; }

/* Counter-based randomness: word w of stream (seed, stream), the same on every rank. */
PETSC_INTERN uint64_t  SkuaBCDRandomWord(PetscInt seed, uint64_t stream, uint64_t w);
PETSC_INTERN PetscReal SkuaBCDRandomUniform(PetscInt seed, uint64_t stream, uint64_t w);

PETSC_INTERN PetscErrorCode SkuaBCDGetLossOps(SkuaBCDLossType, const SkuaBCDLossOps **);
PETSC_INTERN PetscErrorCode SkuaBCDGetRuleOps(SkuaBCDRuleType, const SkuaBCDRuleOps **);
PETSC_INTERN PetscErrorCode SkuaBCDGetUpdateOps(SkuaBCDUpdateType, const SkuaBCDUpdateOps **);

/* Data set-up from local CSR arrays (takes ownership) and the readers. */
PETSC_INTERN PetscErrorCode SkuaBCDSetLocalRows(SkuaBCD, PetscInt m, PetscInt d, PetscInt mloc, PetscInt *rowptr, PetscInt *cols, PetscReal *vals, PetscReal *b);
PETSC_INTERN PetscErrorCode SkuaBCDReadHDF5(SkuaBCD, const char path[]);
PETSC_INTERN PetscErrorCode SkuaBCDReadLIBSVM(SkuaBCD, const char path[]);
/* Doubles the capacity of a row's (column index, value) buffers, keeping the first nz entries. */
PETSC_INTERN PetscErrorCode SkuaBCDGrowEntries(PetscInt nz, PetscInt *cap, PetscInt **ci, PetscReal **cv);
PETSC_INTERN PetscErrorCode SkuaBCDRowSplit(MPI_Comm comm, PetscInt M, PetscInt *mloc, PetscInt *rstart);

/* Kernels shared by rules and updates (update.c). */
PETSC_INTERN PetscReal      SkuaBCDSoft(PetscReal v, PetscReal t);
PETSC_INTERN PetscErrorCode SkuaBCDBlockGradient(SkuaBCD);                       /* gb on blk */
PETSC_INTERN PetscErrorCode SkuaBCDFullGradient(SkuaBCD);                        /* g from scratch */
PETSC_INTERN PetscErrorCode SkuaBCDBlockDelta(SkuaBCD, const PetscReal delta[]); /* dz = A_blk delta (touched rows) */
PETSC_INTERN PetscErrorCode SkuaBCDTrialLoss(SkuaBCD, PetscReal t, const PetscReal delta[], PetscReal out[2]); /* change, sum of |row changes| */
PETSC_INTERN PetscErrorCode SkuaBCDCommit(SkuaBCD, PetscReal t, const PetscReal delta[]);
PETSC_INTERN PetscErrorCode SkuaBCDBlockHessian(SkuaBCD, PetscReal H[]); /* of f on blk, reduced */
PETSC_INTERN PetscErrorCode SkuaBCDRecordTrace(SkuaBCD, PetscInt it, PetscReal F, PetscReal gnorm, PetscReal seconds);
PETSC_INTERN PetscErrorCode SkuaBCDSolveActive(SkuaBCD);
PETSC_INTERN void           SkuaBCDOrderDescending(PetscInt n, const PetscReal key[], PetscInt stride, PetscInt ord[], PetscInt work[]);
PETSC_INTERN PetscErrorCode SkuaBCDTreeSetUp(SkuaBCD);
PETSC_INTERN PetscErrorCode SkuaBCDTreeDestroy(SkuaBCD);
PETSC_INTERN PetscInt       SkuaBCDGreedyForest(SkuaBCD, const PetscReal score[], PetscInt f[]);
PETSC_INTERN PetscErrorCode SkuaBCDTreeSolve(SkuaBCD, PetscReal shift, PetscReal db[]);
PETSC_INTERN PetscErrorCode SkuaBCDActiveDestroy(SkuaBCD);
PETSC_INTERN PetscErrorCode SkuaBCDMaxEig(PetscInt n, const PetscReal G[], PetscReal work[], PetscReal *lmax);
PETSC_INTERN PetscErrorCode SkuaBCDLipschitzSetUp(SkuaBCD);
PETSC_INTERN PetscErrorCode SkuaBCDObjective(SkuaBCD, PetscReal *F);
PETSC_INTERN PetscErrorCode SkuaBCDMappingNorm(SkuaBCD, PetscReal *gnorm); /* after SkuaBCDFullGradient */
PETSC_INTERN PetscErrorCode SkuaBCDBlockFeatures(SkuaBCD);                       /* feat/nfeat from blk */
PETSC_INTERN PetscErrorCode SkuaBCDBoundGram(SkuaBCD, PetscInt nf, const PetscInt f[], PetscReal G[]); /* reduced */
/* min_d g^T d + 1/2 d^T K d + l1 (|x + d|_1 - |x|_1) over n coordinates by coordinate descent (K n x n, column-major,
   stride ld between columns of d/g/x): returns the model value (<= 0); d and Kd (n) are work/output. */
PETSC_INTERN PetscReal      SkuaBCDL1QuadModel(PetscInt n, const PetscReal K[], const PetscReal g[], const PetscReal x[], PetscInt stride, PetscReal l1, PetscInt sweeps, PetscReal d[], PetscReal Kd[]);

PETSC_INTERN const SkuaBCDLossKernels SkuaBCDRowSumKernels, SkuaBCDQuadraticKernels, SkuaBCDSoftmaxKernels;
PETSC_INTERN PetscErrorCode           SkuaBCDQuadraticSetUp(SkuaBCD);
PETSC_INTERN PetscErrorCode           SkuaBCDColumnBoundGram(SkuaBCD, PetscInt nf, const PetscInt f[], PetscReal G[]);
PETSC_INTERN PetscErrorCode           SkuaBCDColumnBound(SkuaBCD, PetscReal Lf[]);
PETSC_INTERN PetscErrorCode           SkuaBCDColumnDelta(SkuaBCD, const PetscReal delta[]); /* dz = A_b delta through the local CSC copy */
PETSC_INTERN PetscErrorCode           SkuaBCDSoftmaxSetUp(SkuaBCD);

#endif
