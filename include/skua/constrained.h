/* Skua constrained optimisation: min f(x) s.t. c(x) = 0 by the exact augmented Lagrangian with randomized
   iterative sketching (AdaSketch-Newton; Hong, Na, Mahoney, Kolar, ICML 2023). See docs/constrained.md. */
#ifndef SKUA_CONSTRAINED_H
#define SKUA_CONSTRAINED_H

#include <petscmat.h>
#include <petscao.h>
#include <skua/io.h>

/* The solver. Life cycle: Create, SetObjective / SetConstraints / SetHessian (/ SetProblemInfo),
   SetFromOptions, Solve, GetTrace / GetSolutionInfo, View, Destroy.
   x (length n) and lambda (length m) are PETSc Vecs with any parallel layout; the KKT matrix
   K = [[H, J^T], [J, 0]] is assembled as one MATMPIAIJ whose rank-local rows are that rank's rows of x
   followed by its rows of lambda, so no data moves between ranks to form or split it. */
typedef struct _p_SkuaConstrained *SkuaConstrained;

/* f(x) and, when g != NULL, g = grad f(x). */
typedef PetscErrorCode (*SkuaConstrainedObjectiveFn)(SkuaConstrained C, Vec x, PetscReal *f, Vec g, void *ctx);
/* c(x) and, when J != NULL, the m x n Jacobian J(x) (assembled on return). */
typedef PetscErrorCode (*SkuaConstrainedConstraintFn)(SkuaConstrained C, Vec x, Vec c, Mat J, void *ctx);
/* H = Hessian of the Lagrangian f + lambda^T c in x at (x, lambda), n x n, symmetric (assembled on return). */
typedef PetscErrorCode (*SkuaConstrainedHessianFn)(SkuaConstrained C, Vec x, Vec lambda, Mat H, void *ctx);

typedef enum { SKUA_CONSTRAINED_SKETCH_KACZMARZ, SKUA_CONSTRAINED_SKETCH_GAUSSIAN } SkuaConstrainedSketchType;
PETSC_EXTERN const char *const SkuaConstrainedSketchTypes[];

typedef enum {
  SKUA_CONSTRAINED_ITERATING       = 0,
  SKUA_CONSTRAINED_CONVERGED_KKT   = 1,  /* |(grad_x L, c)| <= tol */
  SKUA_CONSTRAINED_DIVERGED_MAX_IT = -1, /* max_it outer iterations */
  SKUA_CONSTRAINED_DIVERGED_LS     = -2, /* Armijo backtracking found no step */
  SKUA_CONSTRAINED_DIVERGED_NAN    = -3  /* f, c or their derivatives not finite */
} SkuaConstrainedReason;
PETSC_EXTERN const char *SkuaConstrainedReasonName(SkuaConstrainedReason r);

/* Per outer iteration k = 0..n-1 (entry 0 is the starting point): values at x_k. inner[k] and step[k] are the
   sketch iterations and step length that produced x_k (0 for k = 0); eta1[k] the penalty used for that step;
   sec[k] seconds since Solve started. Arrays belong to the solver (valid until the next Solve or Destroy). */
typedef struct {
  PetscInt   n;
  PetscReal *objective, *kkt, *inner, *step, *eta1, *sec;
} SkuaConstrainedTrace;

PETSC_EXTERN PetscErrorCode SkuaConstrainedInitializePackage(void);
PETSC_EXTERN PetscErrorCode SkuaConstrainedCreate(MPI_Comm comm, SkuaConstrained *C);
PETSC_EXTERN PetscErrorCode SkuaConstrainedDestroy(SkuaConstrained *C);
PETSC_EXTERN PetscErrorCode SkuaConstrainedSetObjective(SkuaConstrained C, SkuaConstrainedObjectiveFn fn, void *ctx);
/* c: a template Vec of length m (its layout is lambda's); J: the m x n Mat the callback fills. */
PETSC_EXTERN PetscErrorCode SkuaConstrainedSetConstraints(SkuaConstrained C, Vec c, Mat J, SkuaConstrainedConstraintFn fn, void *ctx);
PETSC_EXTERN PetscErrorCode SkuaConstrainedSetHessian(SkuaConstrained C, Mat H, SkuaConstrainedHessianFn fn, void *ctx);
/* Problem knowledge that replaces the dense spectral estimates of the paper's constants (needed when n + m
   exceeds -constrained_dense_max): hessian_pd = H is positive definite on null(J), so no Hessian modification;
   xi_g > 0 a lower bound on lambda_min(J J^T) (PETSC_DEFAULT: compute it). */
PETSC_EXTERN PetscErrorCode SkuaConstrainedSetProblemInfo(SkuaConstrained C, PetscBool hessian_pd, PetscReal xi_g);
/* -constrained_eta1 1 -constrained_eta2 0.1 -constrained_delta 0.1 -constrained_beta 0.1 -constrained_nu 1.5
   -constrained_xi_b 0.1 -constrained_theta 1 -constrained_tol 1e-8 -constrained_max_it 500
   -constrained_sketch kaczmarz|gaussian -constrained_sketch_size s -constrained_sketch_max_it 100000
   -constrained_seed 1 -constrained_monitor -constrained_inner auto|sketch|ksp (ksp: PETSc KSP options under the
   prefix -constrained_, default FGMRES + Schur field split) */
/* Natural orderings of x and lambda (PETSc -> application index, e.g. a DMDA's AO; NULL = identity). Sketches are
   keyed by natural index, so they are identical for any number of ranks. */
PETSC_EXTERN PetscErrorCode SkuaConstrainedSetNaturalOrdering(SkuaConstrained C, AO ao_x, AO ao_lambda);
/* New Vec with v's entries in natural order (default layout): isx selects x's ordering, else lambda's. */
PETSC_EXTERN PetscErrorCode SkuaConstrainedGetNaturalVec(SkuaConstrained C, Vec v, PetscBool isx, Vec *vn);
PETSC_EXTERN PetscErrorCode SkuaConstrainedSetFromOptions(SkuaConstrained C);
PETSC_EXTERN PetscErrorCode SkuaConstrainedSetTolerances(SkuaConstrained C, PetscReal tol, PetscInt max_it);
/* x: starting point on entry, solution on return; lambda likewise (zero is the usual start). */
PETSC_EXTERN PetscErrorCode SkuaConstrainedSolve(SkuaConstrained C, Vec x, Vec lambda);
PETSC_EXTERN PetscErrorCode SkuaConstrainedGetTrace(SkuaConstrained C, const SkuaConstrainedTrace **tr);
PETSC_EXTERN PetscErrorCode SkuaConstrainedGetConvergedReason(SkuaConstrained C, SkuaConstrainedReason *reason);
/* Final objective and KKT residual |(grad_x L, c)|_2, outer iterations and total sketch iterations. */
PETSC_EXTERN PetscErrorCode SkuaConstrainedGetSolutionInfo(SkuaConstrained C, PetscReal *f, PetscReal *kkt, PetscInt *its, PetscInt *inner);
PETSC_EXTERN PetscErrorCode SkuaConstrainedView(SkuaConstrained C, PetscViewer viewer);
/* Finite-difference check of the callbacks at (x, lambda) along a fixed pseudo-random direction (step h, central
   differences): relative errors of grad f, J and the Hessian of the Lagrangian. Collective. */
PETSC_EXTERN PetscErrorCode SkuaConstrainedCheckDerivatives(SkuaConstrained C, Vec x, Vec lambda, PetscReal h, PetscReal *err_g, PetscReal *err_J, PetscReal *err_H);
/* Writes every option as a root attribute of w (constrained_eta1, ... , constrained_sketch). */
PETSC_EXTERN PetscErrorCode SkuaConstrainedWriteOptions(SkuaConstrained C, SkuaH5Writer w);

/* ---- Built-in problems ---- */
/* A problem owns its callbacks' context, x0, lambda0 and Mats; Setup installs them on C. */
typedef struct _p_SkuaConstrainedProblem *SkuaConstrainedProblem;
/* name: hs6 hs7 hs9 hs26 hs27 hs28 hs39 hs40 hs42 hs46 hs47 hs48 hs49 hs50 hs51 hs52 hs56 hs61 hs77 hs78 hs79
   (Hock & Schittkowski 1981, standard starting points, replicated: all entries on rank 0), logistic
   (-logistic_n 20 -logistic_samples 200 -logistic_seed 1), control (-control_grid 8 -control_alpha 0.01,
   distributed on a DMDA). Unknown names raise PETSC_ERR_USER_INPUT listing the valid ones. */
PETSC_EXTERN PetscErrorCode SkuaConstrainedProblemCreate(MPI_Comm comm, const char name[], SkuaConstrainedProblem *P);
PETSC_EXTERN PetscErrorCode SkuaConstrainedProblemSetUp(SkuaConstrainedProblem P, SkuaConstrained C, Vec *x0, Vec *lambda0);
/* n, m; the published optimal objective (NAN when none is known). */
PETSC_EXTERN PetscErrorCode SkuaConstrainedProblemGetInfo(SkuaConstrainedProblem P, PetscInt *n, PetscInt *m, PetscReal *fstar);
PETSC_EXTERN PetscErrorCode SkuaConstrainedProblemDestroy(SkuaConstrainedProblem *P);
PETSC_EXTERN PetscErrorCode SkuaConstrainedProblemList(const char ***names, PetscInt *count);

/* The driver's -task constrained: builds the problem, solves with options from the database, writes /x,
   /lambda, /trace/{objective,kkt_residual,inner_iterations,step_length,eta1,seconds} and root attributes to w
   (created by the caller; the caller finishes or aborts it), prints progress on rank 0.
   *exit_code = 0 converged, 3 written but not converged. */
PETSC_EXTERN PetscErrorCode SkuaConstrainedRunTask(MPI_Comm comm, const char problem[], SkuaH5Writer w, PetscInt *exit_code);

#endif
