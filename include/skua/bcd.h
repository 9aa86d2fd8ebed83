/* Skua block coordinate descent (Nutini, Laradji, Schmidt, JMLR 23, 2022): min f(x) + l2/2|x|^2 + l1|x|_1 with
   f(x) = loss(Ax) (squared, logistic, softmax) or 1/2 x^T A x - b^T x (quadratic, A SPD). */
#ifndef SKUA_BCD_H
#define SKUA_BCD_H

#include <petscviewer.h>
#include <petscmat.h>

/* One solver object per problem. Life cycle: Create, SetProblem* (or SkuaBCDGenerate), SetFromOptions,
   SetUp, Solve, Get.../View, Destroy. The data A (m x d, rows distributed as PETSc does) lives in the object;
   x (length d) is replicated on every rank. Options are -bcd_* (see docs/bcd.md or -help). */
typedef struct _p_SkuaBCD *SkuaBCD;

typedef enum { SKUA_BCD_LOSS_SQUARED, SKUA_BCD_LOSS_LOGISTIC, SKUA_BCD_LOSS_QUADRATIC, SKUA_BCD_LOSS_SOFTMAX, SKUA_BCD_LOSS_SQHINGE } SkuaBCDLossType;
typedef enum { SKUA_BCD_RULE_CYCLIC, SKUA_BCD_RULE_RANDOM, SKUA_BCD_RULE_PERM, SKUA_BCD_RULE_LIPSCHITZ, SKUA_BCD_RULE_GS, SKUA_BCD_RULE_GSL, SKUA_BCD_RULE_GSD, SKUA_BCD_RULE_GSQ } SkuaBCDRuleType;
typedef enum { SKUA_BCD_UPDATE_GRADIENT, SKUA_BCD_UPDATE_LINESEARCH, SKUA_BCD_UPDATE_NEWTON, SKUA_BCD_UPDATE_EXACT } SkuaBCDUpdateType;
typedef enum { SKUA_BCD_PARTITION_CONTIGUOUS, SKUA_BCD_PARTITION_VARIABLE, SKUA_BCD_PARTITION_ACTIVE, SKUA_BCD_PARTITION_TREE, SKUA_BCD_PARTITION_SORTED } SkuaBCDPartitionType;
typedef enum { SKUA_BCD_ITERATING = 0, SKUA_BCD_CONVERGED_TOL = 1, SKUA_BCD_DIVERGED_MAX_IT = -1, SKUA_BCD_DIVERGED_STAGNATION = -2 } SkuaBCDConvergedReason;

/* PetscOptionsEnum-style name lists (values, then enum name, prefix, NULL). */
PETSC_EXTERN const char *const SkuaBCDLossTypes[];
PETSC_EXTERN const char *const SkuaBCDRuleTypes[];
PETSC_EXTERN const char *const SkuaBCDUpdateTypes[];
PETSC_EXTERN const char *const SkuaBCDPartitionTypes[];

PETSC_EXTERN PetscErrorCode SkuaBCDInitializePackage(void);
PETSC_EXTERN PetscErrorCode SkuaBCDCreate(MPI_Comm comm, SkuaBCD *bcd);
PETSC_EXTERN PetscErrorCode SkuaBCDDestroy(SkuaBCD *bcd);

/* ---- Data ----
   File: HDF5 (/A as a CSR group data/indices/indptr + attribute shape [m, d], or a dense 2-D dataset; /b of
   length m) or LIBSVM/SVMlight text ("label idx:val ...", 1-based indices), chosen by content. Each rank
   keeps only its block of rows, in CSC and CSR form. */
PETSC_EXTERN PetscErrorCode SkuaBCDSetProblemFile(SkuaBCD bcd, const char path[]);
/* Local rows [rstart, rstart + mloc) of an m x d matrix in CSR with global column indices (copied), and
   their targets/labels b. Row blocks must be contiguous in rank order. */
PETSC_EXTERN PetscErrorCode SkuaBCDSetProblemCSR(SkuaBCD bcd, PetscInt m, PetscInt d, PetscInt mloc, const PetscInt rowptr[], const PetscInt cols[], const PetscReal vals[], const PetscReal b[]);
/* The paper's synthetic problems, identical for any number of ranks: "A" (sparse least squares, 1000 x 10000),
   "B" (sparse binary logistic, labels +-1), "C" (50-class softmax, 1000 x 1000, labels 0..49), "D" (label
   propagation on a 50 x 50 lattice, quadratic 2400 x 2400), "E" (label propagation on a 5-nearest-neighbour
   graph of 2000 two-moons points, quadratic 1900 x 1900). Sets the problem and its suggested loss. */
PETSC_EXTERN PetscErrorCode SkuaBCDGenerate(SkuaBCD bcd, const char name[], PetscInt seed);
/* Writes the problem (/A CSR group, /b, root attribute loss, plus nattr string attributes such as the
   provenance) to path.partial collectively, renamed when complete. */
PETSC_EXTERN PetscErrorCode SkuaBCDWriteProblem(SkuaBCD bcd, const char path[], PetscInt nattr, const char *const names[], const char *const values[]);
PETSC_EXTERN PetscErrorCode SkuaBCDGetSizes(SkuaBCD bcd, PetscInt *m, PetscInt *d, PetscInt *nnz);
/* The problem's data as PETSc objects (new, the caller destroys them): A (m x d MATAIJ, the same row split) and b
   (targets or labels, length m). Lets other solvers read the files skua-bcd reads (HDF5 or LIBSVM text). */
PETSC_EXTERN PetscErrorCode SkuaBCDCreateMat(SkuaBCD bcd, Mat *A, Vec *b);

/* ---- Configuration (each also an option) ---- */
PETSC_EXTERN PetscErrorCode SkuaBCDSetLoss(SkuaBCD bcd, SkuaBCDLossType loss);
PETSC_EXTERN PetscErrorCode SkuaBCDSetRule(SkuaBCD bcd, SkuaBCDRuleType rule);
PETSC_EXTERN PetscErrorCode SkuaBCDSetUpdate(SkuaBCD bcd, SkuaBCDUpdateType update);
PETSC_EXTERN PetscErrorCode SkuaBCDSetPartition(SkuaBCD bcd, SkuaBCDPartitionType partition, PetscInt block_size);
PETSC_EXTERN PetscErrorCode SkuaBCDSetRegularization(SkuaBCD bcd, PetscReal l1, PetscReal l2, PetscReal rho);
PETSC_EXTERN PetscErrorCode SkuaBCDSetTolerances(SkuaBCD bcd, PetscReal tol, PetscInt max_it);
PETSC_EXTERN PetscErrorCode SkuaBCDSetFromOptions(SkuaBCD bcd);
PETSC_EXTERN PetscErrorCode SkuaBCDSetUp(SkuaBCD bcd);

/* Called at every trace point (iteration 0, every -bcd_trace_every iterations, the last): objective F,
   norm of the proximal-gradient mapping, solver seconds so far (tracing excluded). */
typedef PetscErrorCode (*SkuaBCDMonitorFn)(SkuaBCD bcd, PetscInt it, PetscReal F, PetscReal gnorm, PetscReal seconds, void *ctx);
PETSC_EXTERN PetscErrorCode SkuaBCDSetMonitor(SkuaBCD bcd, SkuaBCDMonitorFn fn, void *ctx);

/* Runs from x = 0 until the gradient-mapping norm <= tol (checked at trace points) or max_it block updates. */
PETSC_EXTERN PetscErrorCode SkuaBCDSolve(SkuaBCD bcd);
/* x has d*nc entries, feature-major: x[j*nc + c] (nc = number of classes for softmax, 1 otherwise). */
PETSC_EXTERN PetscErrorCode SkuaBCDGetSolution(SkuaBCD bcd, const PetscReal *x[], PetscInt *d);
PETSC_EXTERN PetscErrorCode SkuaBCDGetClasses(SkuaBCD bcd, PetscInt *nc);
PETSC_EXTERN PetscErrorCode SkuaBCDGetIterationNumber(SkuaBCD bcd, PetscInt *its);
PETSC_EXTERN PetscErrorCode SkuaBCDGetConvergedReason(SkuaBCD bcd, SkuaBCDConvergedReason *reason);
/* Trace arrays (length *n, identical on every rank, owned by bcd): iteration, F, seconds, gradient-mapping
   norm, and the block updated last (contiguous: its number; variable: a 31-bit hash of its sorted indices;
   -1 at iteration 0), so runs can be compared block choice by block choice. */
PETSC_EXTERN PetscErrorCode SkuaBCDGetTrace(SkuaBCD bcd, PetscInt *n, const PetscInt *it[], const PetscReal *obj[], const PetscReal *sec[], const PetscReal *gnorm[], const PetscReal *block[]);
/* The options in effect as "name=value" pairs for result-file attributes; *names/values owned by bcd. */
PETSC_EXTERN PetscErrorCode SkuaBCDGetSettings(SkuaBCD bcd, PetscInt *n, const char *const *names[], const char *const *values[]);
PETSC_EXTERN PetscErrorCode SkuaBCDView(SkuaBCD bcd, PetscViewer viewer);

#endif
