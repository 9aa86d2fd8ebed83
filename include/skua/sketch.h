/* Skua sketch operators (Gaussian, CountSketch, sparse sign, block SRHT) and sketch-preconditioned least squares (Blendenpik/LSRN). */
#ifndef SKUA_SKETCH_H
#define SKUA_SKETCH_H

#include <petscmat.h>

/* A random linear map S (m x M) applied to row-distributed tall matrices. Entry (k, i) of S depends only on
   (seed, i, k), and the sums are exact (128-bit fixed point), so S A is bit-identical for any number of ranks.
   Life cycle: Create, Set* / SetFromOptions (-sketch_type, -sketch_size, -sketch_seed, -sketch_nnz),
   Apply / ApplyVec, View, Destroy. */
typedef struct _p_SkuaSketch *SkuaSketch;

typedef enum { SKUA_SKETCH_GAUSSIAN, SKUA_SKETCH_COUNTSKETCH, SKUA_SKETCH_SPARSESIGN, SKUA_SKETCH_SRHT } SkuaSketchType;
PETSC_EXTERN const char *const SkuaSketchTypes[];

PETSC_EXTERN PetscErrorCode SkuaSketchInitializePackage(void);
PETSC_EXTERN PetscErrorCode SkuaSketchCreate(MPI_Comm comm, SkuaSketch *S);
PETSC_EXTERN PetscErrorCode SkuaSketchDestroy(SkuaSketch *S);
PETSC_EXTERN PetscErrorCode SkuaSketchSetType(SkuaSketch S, SkuaSketchType type);
/* m = number of sketch rows; 0 (the default) means 4 d, chosen at the first Apply from A's column count. */
PETSC_EXTERN PetscErrorCode SkuaSketchSetSize(SkuaSketch S, PetscInt m);
PETSC_EXTERN PetscErrorCode SkuaSketchSetSeed(SkuaSketch S, PetscInt seed);
/* Nonzeros per column of S for sparsesign (default 8; countsketch is 1). */
PETSC_EXTERN PetscErrorCode SkuaSketchSetNnz(SkuaSketch S, PetscInt s);
/* Rows per block of the block SRHT: a power of two >= m; 0 (default) = max(4096, m) rounded up to a power of two,
   at most the row count rounded up. The block size, not np, fixes S, so S A is the same for any np. */
PETSC_EXTERN PetscErrorCode SkuaSketchSetSRHTBlockSize(SkuaSketch S, PetscInt B);
/* How SkuaLSQSolve factorises S A (-lsq_qr): LAPACK geqrf redundantly on every rank, ScaLAPACK pdgeqrf on a
   2-D block-cyclic grid over the communicator (block -lsq_qr_block, default 64), or auto: scalapack when d >= 2000
   and np > 1, else lapack. */
typedef enum { SKUA_LSQ_QR_AUTO, SKUA_LSQ_QR_LAPACK, SKUA_LSQ_QR_SCALAPACK } SkuaLSQQRType;
PETSC_EXTERN const char *const SkuaLSQQRTypes[];
PETSC_EXTERN PetscErrorCode SkuaSketchSetQR(SkuaSketch S, SkuaLSQQRType qr, PetscInt block);
PETSC_EXTERN PetscErrorCode SkuaSketchSetFromOptions(SkuaSketch S);
PETSC_EXTERN PetscErrorCode SkuaSketchGetSize(SkuaSketch S, PetscInt *m);
PETSC_EXTERN PetscErrorCode SkuaSketchGetType(SkuaSketch S, SkuaSketchType *type);
PETSC_EXTERN PetscErrorCode SkuaSketchGetSeed(SkuaSketch S, PetscInt *seed);
PETSC_EXTERN PetscErrorCode SkuaSketchGetNnz(SkuaSketch S, PetscInt *s);
/* A: M x d, MATAIJ or MATDENSE, rows distributed. *SA: new m x d MATSEQDENSE on PETSC_COMM_SELF, identical on
   every rank. Collective on A's communicator; errors if m < d. */
PETSC_EXTERN PetscErrorCode SkuaSketchApply(SkuaSketch S, Mat A, Mat *SA);
/* The same S A, distributed: *SA is a new m x d MATDENSE on A's communicator whose rows are split in blocks of
   ceil(m / P) (rank r holds rows [r b, (r + 1) b) as far as they exist; convert it with MatConvert(..., MATSCALAPACK,
   ...) if wanted), bit-identical to the rows of SkuaSketchApply's result. No rank holds the whole m x d result; the
   exact partial sums travel by one all-to-all. */
PETSC_EXTERN PetscErrorCode SkuaSketchApplyDistributed(SkuaSketch S, Mat A, Mat *SA);
/* b: length-M parallel Vec. *Sb: new VECSEQ of length m on PETSC_COMM_SELF, identical on every rank. The
   same S as Apply (same seed, size, type), so Sb pairs with SA. */
PETSC_EXTERN PetscErrorCode SkuaSketchApplyVec(SkuaSketch S, Vec b, Vec *Sb);
PETSC_EXTERN PetscErrorCode SkuaSketchView(SkuaSketch S, PetscViewer viewer);

/* ---- Least squares min |A x - b| for tall A (M >= d) ---- */
/* iterative_sketch: iterative Hessian sketch with one fixed sketch and heavy-ball momentum (-lsq_sketch_distortion eps,
   default sqrt(d/m)); stops on the exact |A^T r| / (|A|_F |r|). */
typedef enum { SKUA_LSQ_SKETCH_LSQR, SKUA_LSQ_SKETCH_SOLVE, SKUA_LSQ_LSQR, SKUA_LSQ_NORMAL, SKUA_LSQ_ITERATIVE_SKETCH } SkuaLSQMethod;
PETSC_EXTERN const char *const SkuaLSQMethods[];

/* Per-iteration record of an LSQ solve (arrays owned by the caller after the call; free with
   SkuaLSQTraceDestroy). resid[k] = LSQR's estimate of |B^T r| / (|B| |r|) for the operator B it iterates
   on (A R^{-1} when preconditioned), rnorm[k] its estimate of |r|, sec[k] seconds since the solve started
   (the sketch and QR included). Direct methods record one entry. */
typedef struct {
  PetscInt   n, its;
  PetscBool  converged;
  PetscInt  *it;
  PetscReal *resid, *rnorm, *sec;
} SkuaLSQTrace;
PETSC_EXTERN PetscErrorCode SkuaLSQTraceDestroy(SkuaLSQTrace *tr);

/* Solves min |A x - b| with method; S is used by sketch_lsqr and sketch_solve (may be NULL otherwise).
   x: a Vec with A's column layout (MatCreateVecs(A, &x, NULL)). LSQR stops when its estimate of
   |B^T r|/(|B| |r|) <= tol or |r| <= tol |b|, or after max_it iterations (tr->converged = PETSC_FALSE). */
PETSC_EXTERN PetscErrorCode SkuaLSQSolve(SkuaSketch S, SkuaLSQMethod method, Mat A, Vec b, PetscReal tol, PetscInt max_it, Vec x, SkuaLSQTrace *tr);
/* The method-independent check: |A^T r| / (|A|_F |r|) with r = b - A x (0 when r = 0). */
PETSC_EXTERN PetscErrorCode SkuaLSQResidual(Mat A, Vec b, Vec x, PetscReal *rel_normal_resid, PetscReal *rnorm);
/* Reads a tall least-squares problem from HDF5: /A (CSR group data/indices/indptr + attribute shape [M, d],
   or dense 2-D dataset) into an M x d MATAIJ with PETSc's default row split, and /b (length M). Rejects
   wrong shapes, non-finite values and M < d with messages naming the file and dataset. */
PETSC_EXTERN PetscErrorCode SkuaLSQLoadHDF5(MPI_Comm comm, const char file[], Mat *A, Vec *b);


/* ---- Test problems, identical for any np (every entry from (seed, global row, column) by a counter-based
   generator; sums that fix A are exact), the families of jobs/bench/sketch.py ----
   Least squares: dense A = G T with G Gaussian (rows 0..d-1 times 1e3 when coherent) and T = R^{-1} diag(s) V^T,
   R from CholeskyQR2 of G, so A = U diag(s) V^T with U orthonormal and log-spaced s from 1 to 1/cond: cond(A) =
   cond exactly. Sparse: random rows with density * d nonzeros plus an identity block (times 1e3 when coherent),
   columns scaled by s (cond(A) ~ cond). b = A x_true + 1e-3 noise. Logistic: Gaussian (dense or sparse) rows,
   labels +-1 drawn with P(+1) = 1 / (1 + exp(-a_i^T w)), |w| ~ 3. A: MATDENSE or MATAIJ, PETSc's row split. */
PETSC_EXTERN PetscErrorCode SkuaSketchGenerateLSQ(MPI_Comm comm, PetscInt M, PetscInt d, PetscReal cond, PetscBool coherent, PetscBool sparse, PetscReal density, PetscInt seed, Mat *A, Vec *b);
PETSC_EXTERN PetscErrorCode SkuaSketchGenerateLogistic(MPI_Comm comm, PetscInt M, PetscInt d, PetscBool sparse, PetscReal density, PetscInt seed, Mat *A, Vec *b);

/* ---- Newton Sketch for generalized linear models (Pilanci & Wainwright, SIAM J. Optim. 2017) ----
   F(x) = sum_i phi(u_i) + (l2/2) |x|^2, the definitions of skua-bcd (sums, not means):
   logistic u = b o (A x), phi(u) = log(1 + exp(-u)), labels b_i in {-1, +1};  squared u = A x - b, phi = u^2/2.
   Each iteration: weights w_i = phi''(u_i); H = (S W^{1/2} A)^T (S W^{1/2} A) + l2 I with a fresh sketch
   (seed + iteration), or exactly A^T W A + l2 I (exact Newton); Cholesky; Armijo backtracking on F; stop when
   the Newton decrement lambda^2/2 = -g^T dx / 2 <= tol. */
typedef enum { SKUA_NEWTON_LOGISTIC, SKUA_NEWTON_SQUARED } SkuaNewtonLoss;
PETSC_EXTERN const char *const SkuaNewtonLosses[];

typedef struct {
  SkuaNewtonLoss loss;
  PetscReal      l2;          /* -newton_l2 (default 0) */
  PetscReal      tol;         /* -newton_tol: stop when lambda^2/2 <= tol (default 1e-10) */
  PetscInt       max_it;      /* -newton_max_it (default 100) */
  PetscReal      alpha, beta; /* -newton_ls_alpha 0.1, -newton_ls_beta 0.5: Armijo constant and backtracking factor */
  PetscBool      exact;       /* -newton_exact: A^T W A formed directly (the baseline) */
  PetscBool      monitor;     /* -newton_monitor: one line per iteration on rank 0 (default true) */
} SkuaNewtonSettings;

/* Per-iteration record (iteration k = 0..its): F(x_k), lambda(x_k)^2/2, |grad F(x_k)|, step length taken
   from x_k (0 at the last), backtracking steps, seconds since the solve started. Free with SkuaNewtonTraceDestroy. */
typedef struct {
  PetscInt   n, its;
  PetscBool  converged;
  PetscReal *obj, *dec, *gnorm, *step, *sec;
  PetscInt  *ls;
} SkuaNewtonTrace;

PETSC_EXTERN PetscErrorCode SkuaNewtonSettingsDefault(SkuaNewtonSettings *s);
/* Reads -newton_loss, -newton_l2, -newton_tol, -newton_max_it, -newton_ls_alpha, -newton_ls_beta, -newton_exact, -newton_monitor. */
PETSC_EXTERN PetscErrorCode SkuaNewtonSettingsSetFromOptions(MPI_Comm comm, SkuaNewtonSettings *s);
/* Minimises F from x = 0; S is the sketch (its seed is the base seed; unused with s->exact). x: A's column layout.
   Errors on labels outside {-1, +1} (logistic) or a singular (sketched) Hessian. */
PETSC_EXTERN PetscErrorCode SkuaNewtonSolve(SkuaSketch S, const SkuaNewtonSettings *s, Mat A, Vec b, Vec x, SkuaNewtonTrace *tr);
PETSC_EXTERN PetscErrorCode SkuaNewtonObjective(const SkuaNewtonSettings *s, Mat A, Vec b, Vec x, PetscReal *F);
PETSC_EXTERN PetscErrorCode SkuaNewtonTraceDestroy(SkuaNewtonTrace *tr);

#endif
