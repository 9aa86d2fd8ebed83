/* Skua sketch operators (Gaussian, CountSketch, sparse sign) and sketch-preconditioned least squares (Blendenpik/LSRN). */
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
/* srht is recognised but rejected ("not implemented") in this version. */
PETSC_EXTERN PetscErrorCode SkuaSketchSetType(SkuaSketch S, SkuaSketchType type);
/* m = number of sketch rows; 0 (the default) means 4 d, chosen at the first Apply from A's column count. */
PETSC_EXTERN PetscErrorCode SkuaSketchSetSize(SkuaSketch S, PetscInt m);
PETSC_EXTERN PetscErrorCode SkuaSketchSetSeed(SkuaSketch S, PetscInt seed);
/* Nonzeros per column of S for sparsesign (default 8; countsketch is 1). */
PETSC_EXTERN PetscErrorCode SkuaSketchSetNnz(SkuaSketch S, PetscInt s);
PETSC_EXTERN PetscErrorCode SkuaSketchSetFromOptions(SkuaSketch S);
PETSC_EXTERN PetscErrorCode SkuaSketchGetSize(SkuaSketch S, PetscInt *m);
PETSC_EXTERN PetscErrorCode SkuaSketchGetType(SkuaSketch S, SkuaSketchType *type);
PETSC_EXTERN PetscErrorCode SkuaSketchGetSeed(SkuaSketch S, PetscInt *seed);
PETSC_EXTERN PetscErrorCode SkuaSketchGetNnz(SkuaSketch S, PetscInt *s);
/* A: M x d, MATAIJ or MATDENSE, rows distributed. *SA: new m x d MATSEQDENSE on PETSC_COMM_SELF, identical on
   every rank. Collective on A's communicator; errors if m < d. */
PETSC_EXTERN PetscErrorCode SkuaSketchApply(SkuaSketch S, Mat A, Mat *SA);
/* b: length-M parallel Vec. *Sb: new VECSEQ of length m on PETSC_COMM_SELF, identical on every rank. The
   same S as Apply (same seed, size, type), so Sb pairs with SA. */
PETSC_EXTERN PetscErrorCode SkuaSketchApplyVec(SkuaSketch S, Vec b, Vec *Sb);
PETSC_EXTERN PetscErrorCode SkuaSketchView(SkuaSketch S, PetscViewer viewer);

/* ---- Least squares min |A x - b| for tall A (M >= d) ---- */
typedef enum { SKUA_LSQ_SKETCH_LSQR, SKUA_LSQ_SKETCH_SOLVE, SKUA_LSQ_LSQR, SKUA_LSQ_NORMAL } SkuaLSQMethod;
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

#endif
