/* Private to src/constrained: the AdaSketch-Newton solver object, its sketch-and-project inner solver and the
   counter-based random numbers they use (Hong, Na, Mahoney, Kolar, ICML 2023). */
#ifndef SKUA_CONSTRAINEDIMPL_H
#define SKUA_CONSTRAINEDIMPL_H

#include <skua/constrained.h>
#include <petscbt.h>
#include <petscksp.h>
#include <petscao.h>
#include <stdint.h>

PETSC_INTERN PetscLogEvent SKUA_CONSTRAINED_Solve, SKUA_CONSTRAINED_Outer, SKUA_CONSTRAINED_Sketch, SKUA_CONSTRAINED_LineSearch, SKUA_CONSTRAINED_Assemble, SKUA_CONSTRAINED_Spectral;

/* Maps between the KKT layout (rank r owns its x rows, then its lambda rows) and the natural ordering
   [x; lambda] in which random numbers are keyed, so sketches do not depend on the number of ranks. The natural
   order of x and lambda is the problem's (an AO per vector, e.g. a DMDA's), identity by default. */
typedef struct {
  PetscInt  n, m, N;            /* global sizes, N = n + m */
  PetscInt  nloc, mloc, kstart; /* this rank's rows of x and lambda; first KKT row */
  PetscInt *nat;                /* natural index of each local KKT row */
  PetscInt *kkt_of_nat;         /* KKT row of each natural index (all N, on every rank) */
  const PetscInt *xr, *lr;      /* PETSc ownership ranges of x and lambda */
  PetscInt       *kr;           /* KKT ownership ranges */
  PetscMPIInt     size;
} SkuaKKTMap;

/* KKT row of PETSc index i of x (isx) or of lambda. */
PETSC_INTERN PetscErrorCode SkuaKKTMapPetscToKKT(const SkuaKKTMap *map, PetscBool isx, PetscInt i, PetscInt *k);

static inline PetscErrorCode SkuaKKTMapNaturalToKKT(const SkuaKKTMap *map, PetscInt i, PetscInt *k)
{
  *k = map->kkt_of_nat[i];
  return 0;
}
static inline PetscInt SkuaKKTMapLocalToNatural(const SkuaKKTMap *map, PetscInt l)
{
  return map->nat[l];
}

/* The inner solver: sketch-and-project for K z = b (Gower & Richtarik 2015), started from z = 0. */
typedef struct {
  SkuaConstrainedSketchType type;
  PetscInt                  s, s_used, max_it; /* s: option (0 = auto); s_used: the size of the last solve */
  PetscInt                  seed;
  /* workspace, sized at first use */
  Mat                       W;          /* K^T S, N x s, KKT row layout */
  PetscInt                  s_alloc;
  PetscReal                *G, *rho, *y, *evec, *eval, *work;
  PetscInt                 *rows;
  PetscBT                   mark;
  Vec                       gcol;       /* one Gaussian column of S */
} SkuaSketchProject;

/* Iterates until |K z - b| <= atol or max_it iterations (counted in *its), from the z given (its current value
   is kept, so a call can continue a previous one). stream identifies the outer iteration: sketches are keyed by
   (seed, stream, iteration, natural row). r holds K z - b on return. */
PETSC_INTERN PetscErrorCode SkuaSketchProjectSolve(SkuaSketchProject *sp, const SkuaKKTMap *map, Mat K, Vec b, PetscReal atol, PetscInt stream, PetscInt it0, Vec z, Vec r, PetscInt *its, PetscReal *rnorm);
PETSC_INTERN PetscErrorCode SkuaSketchProjectReset(SkuaSketchProject *sp);

/* -constrained_inner, in the order of SkuaConstrainedInnerTypes */
typedef enum { SKUA_CONSTRAINED_INNER_AUTO, SKUA_CONSTRAINED_INNER_SKETCH, SKUA_CONSTRAINED_INNER_KSP } SkuaConstrainedInner;

struct _p_SkuaConstrained {
  MPI_Comm                    comm;
  SkuaConstrainedObjectiveFn  objective;
  SkuaConstrainedConstraintFn constraints;
  SkuaConstrainedHessianFn    hessian;
  void                       *objctx, *conctx, *hessctx;
  Vec                         ctemplate;
  AO                          ao_x, ao_l; /* natural orderings (NULL: identity) */
  Mat                         J, H;
  /* parameters (paper's notation) */
  PetscReal eta1_0, eta2_0, delta_0, beta, nu, xi_b, theta, tol;
  PetscInt  max_it, dense_max, ls_max;
  PetscBool monitor, info_pd, setfromoptions_called;
  PetscReal info_xig;
  SkuaSketchProject sp;
  SkuaConstrainedInner inner; /* -constrained_inner */
  PetscBool         use_ksp;  /* the choice of the last solve */
  KSP               ksp;      /* the Krylov inner solver (-constrained_inner ksp), options prefix constrained_ */
  /* state of the last solve */
  SkuaConstrainedReason reason;
  SkuaConstrainedTrace  trace;
  PetscInt              trace_alloc, its, inner_total;
  PetscReal             f, kkt, eta1, eta2, delta;
  /* KKT assembly */
  SkuaKKTMap map;
  Mat        K;
  Vec        kz, kr, kb, kg; /* step, sketch residual, right-hand side, merit gradient (KKT layout) */
};

/* Dense spectral quantities of the paper's accuracy condition for problems small enough (n + m <= dense_max):
   xi_g = lambda_min(J J^T) and the smallest eigenvalue of H on null(J) (+inf when m >= n). Collective. */
PETSC_INTERN PetscErrorCode SkuaConstrainedSpectral(MPI_Comm comm, Mat H, Mat J, PetscReal *xi_g, PetscReal *hmin_red);

/* splitmix64 finaliser (a bijection): used to derive independent streams from (seed, ids). */
static inline uint64_t SkuaConstrainedMix(uint64_t z)
{
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
static inline uint64_t SkuaConstrainedKey(PetscInt seed, PetscInt a, PetscInt b)
{
  return SkuaConstrainedMix(SkuaConstrainedMix(SkuaConstrainedMix((uint64_t)seed) ^ (uint64_t)a) ^ (0x632be59bd9b4e019ULL + (uint64_t)b));
}
/* Uniform in (0, 1] from a word. */
static inline PetscReal SkuaConstrainedUniform(uint64_t x)
{
  return (PetscReal)((x >> 11) + 1) * 0x1.0p-53;
}

/* Problem objects (hs.c, logistic.c, control.c). */
typedef struct {
  PetscErrorCode (*setup)(SkuaConstrainedProblem, SkuaConstrained, Vec *, Vec *);
  PetscErrorCode (*destroy)(SkuaConstrainedProblem);
  PetscErrorCode (*write)(SkuaConstrainedProblem, SkuaH5Writer); /* optional: the problem's data */
} SkuaConstrainedProblemOps;

struct _p_SkuaConstrainedProblem {
  MPI_Comm                  comm;
  char                      name[64];
  PetscInt                  n, m;
  PetscReal                 fstar;
  SkuaConstrainedProblemOps ops;
  void                     *data;
};

PETSC_INTERN PetscErrorCode SkuaConstrainedProblemCreate_HS(SkuaConstrainedProblem P, PetscInt number, PetscBool *found);
PETSC_INTERN PetscErrorCode SkuaConstrainedProblemCreate_Logistic(SkuaConstrainedProblem P);
PETSC_INTERN PetscErrorCode SkuaConstrainedProblemCreate_Control(SkuaConstrainedProblem P);

#endif
