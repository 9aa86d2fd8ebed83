/* AdaSketch-Newton: exact augmented Lagrangian merit + randomized iterative sketching for min f s.t. c = 0
   (Hong, Na, Mahoney, Kolar, "Constrained Optimization via Exact Augmented Lagrangian and Randomized Iterative
   Sketching", ICML 2023; constants as in the authors' code, github.com/IlgeeHong/AdaSketch-Newton). */
#include "constrainedimpl.h"

#include <petscviewer.h>
#include <petsctime.h>

/* KKT systems up to this many rows are sketched whole by default */
#define SKUA_CONSTRAINED_FULL_SKETCH 2048

static const char *const SkuaConstrainedInnerTypes[] = {"auto", "sketch", "ksp", "SkuaConstrainedInner", "SKUA_CONSTRAINED_INNER_", NULL};

const char *const SkuaConstrainedSketchTypes[] = {"kaczmarz", "gaussian", "SkuaConstrainedSketchType", "SKUA_CONSTRAINED_SKETCH_", NULL};

PetscLogEvent    SKUA_CONSTRAINED_Solve, SKUA_CONSTRAINED_Outer, SKUA_CONSTRAINED_Sketch, SKUA_CONSTRAINED_LineSearch, SKUA_CONSTRAINED_Assemble, SKUA_CONSTRAINED_Spectral;
static PetscBool registered = PETSC_FALSE;

PetscErrorCode SkuaConstrainedInitializePackage(void)
{
  PetscClassId id;

  PetscFunctionBegin;
  if (registered) PetscFunctionReturn(0);
  registered = PETSC_TRUE;
  PetscCall(PetscClassIdRegister("SkuaConstrained", &id));
  PetscCall(PetscLogEventRegister("SkuaConstr_Solve", id, &SKUA_CONSTRAINED_Solve));
  PetscCall(PetscLogEventRegister("SkuaConstr_Outer", id, &SKUA_CONSTRAINED_Outer));
  PetscCall(PetscLogEventRegister("SkuaConstr_Sketch", id, &SKUA_CONSTRAINED_Sketch));
  PetscCall(PetscLogEventRegister("SkuaConstr_LineSrch", id, &SKUA_CONSTRAINED_LineSearch));
  PetscCall(PetscLogEventRegister("SkuaConstr_KKTAsm", id, &SKUA_CONSTRAINED_Assemble));
  PetscCall(PetscLogEventRegister("SkuaConstr_Spectral", id, &SKUA_CONSTRAINED_Spectral));
  PetscFunctionReturn(0);
}

const char *SkuaConstrainedReasonName(SkuaConstrainedReason r)
{
  switch (r) {
  case SKUA_CONSTRAINED_CONVERGED_KKT:
    return "converged (KKT residual <= tol)";
  case SKUA_CONSTRAINED_DIVERGED_MAX_IT:
    return "not converged (max_it reached)";
  case SKUA_CONSTRAINED_DIVERGED_LS:
    return "not converged (line search failed)";
  case SKUA_CONSTRAINED_DIVERGED_NAN:
    return "not converged (non-finite value)";
  default:
    return "iterating";
  }
}

PetscErrorCode SkuaConstrainedCreate(MPI_Comm comm, SkuaConstrained *C)
{
  SkuaConstrained c;

  PetscFunctionBegin;
  PetscCall(SkuaConstrainedInitializePackage());
  PetscCall(PetscNew(&c));
  c->comm       = comm;
  c->eta1_0     = 1.0;
  c->eta2_0     = 0.1;
  c->delta_0    = 0.1;
  c->beta       = 0.1;
  c->nu         = 1.5;
  c->xi_b       = 0.1;
  c->theta      = 1.0;
  c->tol        = 1e-8;
  c->max_it     = 500;
  c->dense_max  = 2000;
  c->ls_max     = 60;
  c->info_xig   = PETSC_DEFAULT;
  c->sp.type    = SKUA_CONSTRAINED_SKETCH_KACZMARZ;
  c->sp.s       = 0; /* 0: chosen from N at Solve */
  c->sp.max_it  = 100000;
  c->sp.seed    = 1;
  *C            = c;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaConstrainedDestroy(SkuaConstrained *C)
{
  SkuaConstrained c = *C;

  PetscFunctionBegin;
  if (!c) PetscFunctionReturn(0);
  PetscCall(SkuaSketchProjectReset(&c->sp));
  PetscCall(KSPDestroy(&c->ksp));
  PetscCall(VecDestroy(&c->ctemplate));
  PetscCall(MatDestroy(&c->J));
  PetscCall(MatDestroy(&c->H));
  PetscCall(MatDestroy(&c->K));
  PetscCall(VecDestroy(&c->kz));
  PetscCall(VecDestroy(&c->kr));
  PetscCall(VecDestroy(&c->kb));
  PetscCall(VecDestroy(&c->kg));
  PetscCall(PetscFree2(c->map.nat, c->map.kkt_of_nat));
  PetscCall(PetscFree(c->map.kr));
  PetscCall(AODestroy(&c->ao_x));
  PetscCall(AODestroy(&c->ao_l));
  PetscCall(PetscFree6(c->trace.objective, c->trace.kkt, c->trace.inner, c->trace.step, c->trace.eta1, c->trace.sec));
  PetscCall(PetscFree(c));
  *C = NULL;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaConstrainedSetObjective(SkuaConstrained C, SkuaConstrainedObjectiveFn fn, void *ctx)
{
  PetscFunctionBegin;
  C->objective = fn;
  C->objctx    = ctx;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaConstrainedSetConstraints(SkuaConstrained C, Vec c, Mat J, SkuaConstrainedConstraintFn fn, void *ctx)
{
  PetscFunctionBegin;
  PetscCall(PetscObjectReference((PetscObject)c));
  PetscCall(PetscObjectReference((PetscObject)J));
  PetscCall(VecDestroy(&C->ctemplate));
  PetscCall(MatDestroy(&C->J));
  C->ctemplate   = c;
  C->J           = J;
  C->constraints = fn;
  C->conctx      = ctx;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaConstrainedSetHessian(SkuaConstrained C, Mat H, SkuaConstrainedHessianFn fn, void *ctx)
{
  PetscFunctionBegin;
  PetscCall(PetscObjectReference((PetscObject)H));
  PetscCall(MatDestroy(&C->H));
  C->H       = H;
  C->hessian = fn;
  C->hessctx = ctx;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaConstrainedSetProblemInfo(SkuaConstrained C, PetscBool hessian_pd, PetscReal xi_g)
{
  PetscFunctionBegin;
  C->info_pd  = hessian_pd;
  C->info_xig = xi_g;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaConstrainedSetTolerances(SkuaConstrained C, PetscReal tol, PetscInt max_it)
{
  PetscFunctionBegin;
  if (tol != (PetscReal)PETSC_DEFAULT) C->tol = tol;
  if (max_it != PETSC_DEFAULT) C->max_it = max_it;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaConstrainedSetFromOptions(SkuaConstrained C)
{
  PetscEnum type = (PetscEnum)C->sp.type;

  PetscFunctionBegin;
  PetscOptionsBegin(C->comm, NULL, "AdaSketch-Newton (exact augmented Lagrangian + randomized sketching) options", "SkuaConstrained");
  PetscCall(PetscOptionsReal("-constrained_eta1", "Initial penalty eta1 on |c|^2 in the merit", "SkuaConstrainedSolve", C->eta1_0, &C->eta1_0, NULL));
  PetscCall(PetscOptionsReal("-constrained_eta2", "Initial penalty eta2 on |grad_x L|^2 in the merit", "SkuaConstrainedSolve", C->eta2_0, &C->eta2_0, NULL));
  PetscCall(PetscOptionsReal("-constrained_delta", "Initial sketch accuracy delta", "SkuaConstrainedSolve", C->delta_0, &C->delta_0, NULL));
  PetscCall(PetscOptionsReal("-constrained_beta", "Armijo constant beta in (0, 1/2)", "SkuaConstrainedSolve", C->beta, &C->beta, NULL));
  PetscCall(PetscOptionsReal("-constrained_nu", "Penalty growth nu > 1 (eta1 <- nu^2 eta1, eta2 <- eta2/nu, delta <- delta/nu^4)", "SkuaConstrainedSolve", C->nu, &C->nu, NULL));
  PetscCall(PetscOptionsReal("-constrained_xi_b", "Hessian modification / curvature constant xi_B", "SkuaConstrainedSolve", C->xi_b, &C->xi_b, NULL));
  PetscCall(PetscOptionsReal("-constrained_theta", "Extra factor theta in the accuracy condition (theta < 1 sharpens it)", "SkuaConstrainedSolve", C->theta, &C->theta, NULL));
  PetscCall(PetscOptionsReal("-constrained_tol", "Stop when the KKT residual |(grad_x L, c)|_2 <= tol", "SkuaConstrainedSolve", C->tol, &C->tol, NULL));
  PetscCall(PetscOptionsInt("-constrained_max_it", "Maximum outer (Newton) iterations", "SkuaConstrainedSolve", C->max_it, &C->max_it, NULL));
  PetscCall(PetscOptionsEnum("-constrained_sketch", "Sketch of the KKT rows: kaczmarz (random row blocks) or gaussian", "SkuaConstrainedSolve", SkuaConstrainedSketchTypes, type, &type, NULL));
  PetscCall(PetscOptionsInt("-constrained_sketch_size", "Rows per sketch s (0: n + m up to 2048 rows, else max(8, (n + m)/4))", "SkuaConstrainedSolve", C->sp.s, &C->sp.s, NULL));
  {
    PetscEnum inner = (PetscEnum)C->inner;
    PetscCall(PetscOptionsEnum("-constrained_inner", "Inner solver of the KKT system: auto (sketch while n + m <= 2048 or -constrained_sketch_size is set, else ksp), sketch, ksp (PETSc KSP, prefix -constrained_, stopped by the same accuracy condition)", "SkuaConstrainedSolve", SkuaConstrainedInnerTypes, inner, &inner, NULL));
    C->inner = (SkuaConstrainedInner)inner;
  }
  PetscCall(PetscOptionsInt("-constrained_sketch_max_it", "Maximum sketch-and-project iterations per accuracy level", "SkuaConstrainedSolve", C->sp.max_it, &C->sp.max_it, NULL));
  PetscCall(PetscOptionsInt("-constrained_seed", "Seed of the sketches (identical for any number of ranks)", "SkuaConstrainedSolve", C->sp.seed, &C->sp.seed, NULL));
  PetscCall(PetscOptionsInt("-constrained_dense_max", "Largest n + m for the dense eigenvalue estimates of the paper's constants", "SkuaConstrainedSolve", C->dense_max, &C->dense_max, NULL));
  PetscCall(PetscOptionsBool("-constrained_monitor", "Print every outer iteration", "SkuaConstrainedSolve", C->monitor, &C->monitor, NULL));
  PetscOptionsEnd();
  C->sp.type = (SkuaConstrainedSketchType)type;
  PetscCheck(C->eta1_0 > 0 && C->eta2_0 > 0, C->comm, PETSC_ERR_USER_INPUT, "-constrained_eta1 %g and -constrained_eta2 %g must be positive", (double)C->eta1_0, (double)C->eta2_0);
  PetscCheck(C->delta_0 > 0 && C->delta_0 < 1, C->comm, PETSC_ERR_USER_INPUT, "-constrained_delta %g must be in (0, 1)", (double)C->delta_0);
  PetscCheck(C->beta > 0 && C->beta < 0.5, C->comm, PETSC_ERR_USER_INPUT, "-constrained_beta %g must be in (0, 1/2)", (double)C->beta);
  PetscCheck(C->nu > 1, C->comm, PETSC_ERR_USER_INPUT, "-constrained_nu %g must be > 1", (double)C->nu);
  PetscCheck(C->xi_b > 0, C->comm, PETSC_ERR_USER_INPUT, "-constrained_xi_b %g must be positive", (double)C->xi_b);
  PetscCheck(C->theta > 0 && C->theta <= 1, C->comm, PETSC_ERR_USER_INPUT, "-constrained_theta %g must be in (0, 1]", (double)C->theta);
  PetscCheck(C->tol > 0, C->comm, PETSC_ERR_USER_INPUT, "-constrained_tol %g must be positive", (double)C->tol);
  PetscCheck(C->max_it >= 0, C->comm, PETSC_ERR_USER_INPUT, "-constrained_max_it %" PetscInt_FMT " must be >= 0", C->max_it);
  PetscCheck(C->sp.s >= 0, C->comm, PETSC_ERR_USER_INPUT, "-constrained_sketch_size %" PetscInt_FMT " must be >= 0 (0 = automatic)", C->sp.s);
  PetscCheck(C->sp.max_it >= 1, C->comm, PETSC_ERR_USER_INPUT, "-constrained_sketch_max_it %" PetscInt_FMT " must be >= 1", C->sp.max_it);
  C->setfromoptions_called = PETSC_TRUE;
  PetscFunctionReturn(0);
}

static PetscErrorCode TracePush(SkuaConstrained C, PetscReal f, PetscReal kkt, PetscReal inner, PetscReal step, PetscReal eta1, PetscReal sec)
{
  SkuaConstrainedTrace *t = &C->trace;

  PetscFunctionBegin;
  if (t->n == C->trace_alloc) {
    PetscInt   na = 2 * C->trace_alloc + 64;
    PetscReal *a[6];
    PetscCall(PetscMalloc6(na, &a[0], na, &a[1], na, &a[2], na, &a[3], na, &a[4], na, &a[5]));
    if (t->n) {
      PetscCall(PetscArraycpy(a[0], t->objective, t->n));
      PetscCall(PetscArraycpy(a[1], t->kkt, t->n));
      PetscCall(PetscArraycpy(a[2], t->inner, t->n));
      PetscCall(PetscArraycpy(a[3], t->step, t->n));
      PetscCall(PetscArraycpy(a[4], t->eta1, t->n));
      PetscCall(PetscArraycpy(a[5], t->sec, t->n));
    }
    PetscCall(PetscFree6(t->objective, t->kkt, t->inner, t->step, t->eta1, t->sec));
    t->objective = a[0];
    t->kkt       = a[1];
    t->inner     = a[2];
    t->step      = a[3];
    t->eta1      = a[4];
    t->sec       = a[5];
    C->trace_alloc = na;
  }
  t->objective[t->n] = f;
  t->kkt[t->n]       = kkt;
  t->inner[t->n]     = inner;
  t->step[t->n]      = step;
  t->eta1[t->n]      = eta1;
  t->sec[t->n]       = sec;
  t->n++;
  PetscFunctionReturn(0);
}

static PetscErrorCode SetUpMap(SkuaConstrained C, Vec x)
{
  SkuaKKTMap  *map = &C->map;
  PetscInt     xs, ls, nl, *counts_i, N;
  PetscMPIInt  size, rank, *counts, *displs;
  PetscInt    *all;

  PetscFunctionBegin;
  PetscCall(PetscFree2(map->nat, map->kkt_of_nat));
  PetscCallMPI(MPI_Comm_size(C->comm, &size));
  PetscCallMPI(MPI_Comm_rank(C->comm, &rank));
  PetscCall(VecGetSize(x, &map->n));
  PetscCall(VecGetSize(C->ctemplate, &map->m));
  PetscCall(VecGetLocalSize(x, &map->nloc));
  PetscCall(VecGetLocalSize(C->ctemplate, &map->mloc));
  PetscCall(VecGetOwnershipRange(x, &xs, NULL));
  PetscCall(VecGetOwnershipRange(C->ctemplate, &ls, NULL));
  map->N = N = map->n + map->m;
  nl     = map->nloc + map->mloc;
  PetscCallMPI(MPI_Scan(&nl, &map->kstart, 1, MPIU_INT, MPI_SUM, C->comm));
  map->kstart -= nl;
  PetscCall(PetscMalloc2(nl + 1, &map->nat, N, &map->kkt_of_nat));
  for (PetscInt l = 0; l < map->nloc; l++) map->nat[l] = xs + l;
  for (PetscInt l = 0; l < map->mloc; l++) map->nat[map->nloc + l] = ls + l;
  if (C->ao_x) PetscCall(AOPetscToApplication(C->ao_x, map->nloc, map->nat));
  if (C->ao_l) PetscCall(AOPetscToApplication(C->ao_l, map->mloc, map->nat + map->nloc));
  for (PetscInt l = 0; l < map->mloc; l++) map->nat[map->nloc + l] += map->n;
  /* Natural index of every KKT row on every rank, inverted. */
  PetscCall(PetscMalloc4(size, &counts, size + 1, &displs, size, &counts_i, N, &all));
  {
    PetscMPIInt nlm;
    PetscCall(PetscMPIIntCast(nl, &nlm));
    PetscCallMPI(MPI_Allgather(&nlm, 1, MPI_INT, counts, 1, MPI_INT, C->comm));
  }
  displs[0] = 0;
  for (PetscMPIInt r = 0; r < size; r++) displs[r + 1] = displs[r] + counts[r];
  PetscCallMPI(MPI_Allgatherv(map->nat, (PetscMPIInt)nl, MPIU_INT, all, counts, displs, MPIU_INT, C->comm));
  for (PetscInt k = 0; k < N; k++) map->kkt_of_nat[all[k]] = k;
  PetscCall(PetscFree4(counts, displs, counts_i, all));
  {
    PetscLayout xl, ll;
    PetscCall(PetscFree(map->kr));
    map->size = size;
    PetscCall(VecGetLayout(x, &xl));
    PetscCall(VecGetLayout(C->ctemplate, &ll));
    PetscCall(PetscLayoutGetRanges(xl, &map->xr));
    PetscCall(PetscLayoutGetRanges(ll, &map->lr));
    PetscCall(PetscMalloc1(size + 1, &map->kr));
    for (PetscMPIInt r = 0; r <= size; r++) map->kr[r] = map->xr[r] + map->lr[r];
  }
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaKKTMapPetscToKKT(const SkuaKKTMap *map, PetscBool isx, PetscInt i, PetscInt *k)
{
  const PetscInt *rg = isx ? map->xr : map->lr;
  PetscMPIInt     lo = 0, hi = map->size - 1;

  PetscFunctionBegin;
  while (lo < hi) { /* the last rank r with rg[r] <= i (empty ranks repeat a range start) */
    PetscMPIInt mid = (lo + hi + 1) / 2;
    if (rg[mid] <= i) lo = mid;
    else hi = mid - 1;
  }
  *k = map->kr[lo] + (isx ? i - map->xr[lo] : (map->xr[lo + 1] - map->xr[lo]) + i - map->lr[lo]);
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaConstrainedSetNaturalOrdering(SkuaConstrained C, AO ao_x, AO ao_lambda)
{
  PetscFunctionBegin;
  if (ao_x) PetscCall(PetscObjectReference((PetscObject)ao_x));
  if (ao_lambda) PetscCall(PetscObjectReference((PetscObject)ao_lambda));
  PetscCall(AODestroy(&C->ao_x));
  PetscCall(AODestroy(&C->ao_l));
  C->ao_x = ao_x;
  C->ao_l = ao_lambda;
  PetscFunctionReturn(0);
}

/* A copy of v (x when isx, else lambda) in natural order with PETSc's default layout (for output). */
PetscErrorCode SkuaConstrainedGetNaturalVec(SkuaConstrained C, Vec v, PetscBool isx, Vec *vn)
{
  AO         ao = isx ? C->ao_x : C->ao_l;
  PetscInt   rs, re, N;
  IS         from, to;
  PetscInt  *idx;
  VecScatter sc;

  PetscFunctionBegin;
  PetscCall(VecGetSize(v, &N));
  PetscCall(VecCreateMPI(PetscObjectComm((PetscObject)v), PETSC_DECIDE, N, vn));
  PetscCall(VecGetOwnershipRange(v, &rs, &re));
  PetscCall(PetscMalloc1(re - rs + 1, &idx));
  for (PetscInt i = rs; i < re; i++) idx[i - rs] = i;
  if (ao) PetscCall(AOPetscToApplication(ao, re - rs, idx));
  PetscCall(ISCreateStride(PETSC_COMM_SELF, re - rs, rs, 1, &from));
  PetscCall(ISCreateGeneral(PETSC_COMM_SELF, re - rs, idx, PETSC_OWN_POINTER, &to));
  PetscCall(VecScatterCreate(v, from, *vn, to, &sc));
  PetscCall(VecScatterBegin(sc, v, *vn, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(sc, v, *vn, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterDestroy(&sc));
  PetscCall(ISDestroy(&from));
  PetscCall(ISDestroy(&to));
  PetscFunctionReturn(0);
}

/* K = [[H + t I, J^T], [J, 0]] into the KKT layout; pattern fixed at the first call (a preallocator pass). */
static PetscErrorCode InsertKKT(SkuaConstrained C, Mat K, PetscReal t)
{
  SkuaKKTMap *map = &C->map;
  PetscInt    rs, re;

  PetscFunctionBegin;
  PetscCall(MatGetOwnershipRange(C->H, &rs, &re));
  for (PetscInt i = rs; i < re; i++) {
    PetscInt           nc, ki;
    const PetscInt    *cols;
    const PetscScalar *vals;
    PetscBool          diag = PETSC_FALSE;
    PetscCall(SkuaKKTMapPetscToKKT(map, PETSC_TRUE, i, &ki));
    PetscCall(MatGetRow(C->H, i, &nc, &cols, &vals));
    for (PetscInt k = 0; k < nc; k++) {
      PetscInt    kj;
      PetscScalar v = vals[k];
      if (cols[k] == i) {
        v += t;
        diag = PETSC_TRUE;
      }
      PetscCall(SkuaKKTMapPetscToKKT(map, PETSC_TRUE, cols[k], &kj));
      PetscCall(MatSetValue(K, ki, kj, v, INSERT_VALUES));
    }
    PetscCall(MatRestoreRow(C->H, i, &nc, &cols, &vals));
    if (!diag) PetscCall(MatSetValue(K, ki, ki, t, INSERT_VALUES));
  }
  PetscCall(MatGetOwnershipRange(C->J, &rs, &re));
  for (PetscInt i = rs; i < re; i++) {
    PetscInt           nc, ki;
    const PetscInt    *cols;
    const PetscScalar *vals;
    PetscCall(SkuaKKTMapPetscToKKT(map, PETSC_FALSE, i, &ki));
    PetscCall(MatGetRow(C->J, i, &nc, &cols, &vals));
    for (PetscInt k = 0; k < nc; k++) {
      PetscInt kj;
      PetscCall(SkuaKKTMapPetscToKKT(map, PETSC_TRUE, cols[k], &kj));
      PetscCall(MatSetValue(K, ki, kj, vals[k], INSERT_VALUES));
      PetscCall(MatSetValue(K, kj, ki, vals[k], INSERT_VALUES));
    }
    PetscCall(MatRestoreRow(C->J, i, &nc, &cols, &vals));
  }
  PetscCall(MatAssemblyBegin(K, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(K, MAT_FINAL_ASSEMBLY));
  PetscFunctionReturn(0);
}

/* Sets an option in the database unless the user already gave it. */
static PetscErrorCode DefaultOption(const char name[], const char value[])
{
  PetscBool set;

  PetscFunctionBegin;
  PetscCall(PetscOptionsHasName(NULL, NULL, name, &set));
  if (!set) PetscCall(PetscOptionsSetValue(NULL, name, value));
  PetscFunctionReturn(0);
}

/* The Krylov inner solver: K z = b from the current z (kept, so a call continues the previous one) until
   |K z - b| <= atol, or the residual reaches rounding level (-constrained_ksp_rtol, default 1e-12, relative to |b|),
   or -constrained_ksp_max_it. Defaults: FGMRES(100) (right preconditioning, so the unpreconditioned residual, the
   one the accuracy condition bounds, is what it minimises; it keeps the preconditioned vectors, where GMRES applies
   the preconditioner once more to form x and lost the true residual at 2e-8 relative at grid 128) and a
   Schur-complement field split of K into x and lambda rows: block ILU on B, and the assembled Schur approximation
   J diag(B)^{-1} J^T (selfp; exact when B is diagonal, as in the control problem) factorised by LU (MUMPS at
   np > 1). ILU or AMG on that fourth-order operator stalled GMRES at grid 64. All changeable under the prefix
   -constrained_. */
static PetscErrorCode KrylovSolve(SkuaConstrained C, PetscReal atol, PetscInt *its, PetscReal *rnorm)
{
  PC pc;

  PetscFunctionBegin;
  if (!C->ksp) {
    IS        isx, isl;
    PetscBool set;

    PetscCall(KSPCreate(C->comm, &C->ksp));
    PetscCall(KSPSetOptionsPrefix(C->ksp, "constrained_"));
    PetscCall(KSPSetType(C->ksp, KSPFGMRES));
    PetscCall(KSPGMRESSetRestart(C->ksp, 100));
    PetscCall(KSPSetPCSide(C->ksp, PC_RIGHT));
    PetscCall(KSPSetNormType(C->ksp, KSP_NORM_UNPRECONDITIONED));
    PetscCall(KSPSetInitialGuessNonzero(C->ksp, PETSC_TRUE));
    PetscCall(KSPSetTolerances(C->ksp, 1e-12, PETSC_DEFAULT, PETSC_DEFAULT, 10000));
    PetscCall(KSPGetPC(C->ksp, &pc));
    PetscCall(PCSetType(pc, PCFIELDSPLIT));
    PetscCall(ISCreateStride(C->comm, C->map.nloc, C->map.kstart, 1, &isx));
    PetscCall(ISCreateStride(C->comm, C->map.mloc, C->map.kstart + C->map.nloc, 1, &isl));
    PetscCall(PCFieldSplitSetIS(pc, "x", isx));
    PetscCall(PCFieldSplitSetIS(pc, "l", isl));
    PetscCall(ISDestroy(&isx));
    PetscCall(ISDestroy(&isl));
    PetscCall(PCFieldSplitSetType(pc, PC_COMPOSITE_SCHUR));
    PetscCall(PCFieldSplitSetSchurFactType(pc, PC_FIELDSPLIT_SCHUR_FACT_FULL));
    PetscCall(PCFieldSplitSetSchurPre(pc, PC_FIELDSPLIT_SCHUR_PRE_SELFP, NULL));
    /* sub-solver defaults, unless the user set them: block ILU on B, LU of the Schur approximation (MUMPS at np > 1;
       without MUMPS, block ILU) */
    {
      PetscMPIInt size;
      PetscBool   have_mumps = PETSC_FALSE;
#if defined(PETSC_HAVE_MUMPS)
      have_mumps = PETSC_TRUE;
#endif
      PetscCallMPI(MPI_Comm_size(C->comm, &size));
      PetscCall(DefaultOption("-constrained_fieldsplit_x_ksp_type", "preonly"));
      PetscCall(DefaultOption("-constrained_fieldsplit_x_pc_type", "bjacobi"));
      PetscCall(DefaultOption("-constrained_fieldsplit_l_ksp_type", "preonly"));
      PetscCall(PetscOptionsHasName(NULL, NULL, "-constrained_fieldsplit_l_pc_type", &set));
      if (!set) {
        PetscCall(PetscOptionsSetValue(NULL, "-constrained_fieldsplit_l_pc_type", size == 1 || have_mumps ? "lu" : "bjacobi"));
        if (size > 1 && have_mumps) PetscCall(PetscOptionsSetValue(NULL, "-constrained_fieldsplit_l_pc_factor_mat_solver_type", "mumps"));
      }
    }
    PetscCall(KSPSetFromOptions(C->ksp));
  }
  PetscCall(KSPSetOperators(C->ksp, C->K, C->K));
  {
    PetscReal rtol, dtol;
    PetscInt  maxit;
    PetscCall(KSPGetTolerances(C->ksp, &rtol, NULL, &dtol, &maxit));
    PetscCall(KSPSetTolerances(C->ksp, rtol, atol, dtol, maxit));
  }
  PetscCall(KSPSolve(C->ksp, C->kb, C->kz));
  {
    KSPConvergedReason reason;
    PetscCall(KSPGetConvergedReason(C->ksp, &reason));
    PetscCheck(reason != KSP_DIVERGED_PC_FAILED && reason != KSP_DIVERGED_NANORINF, C->comm, PETSC_ERR_NOT_CONVERGED, "The Krylov inner solve of the KKT system failed (%s); choose another preconditioner (-constrained_pc_type, -constrained_fieldsplit_x_pc_type, -constrained_fieldsplit_l_pc_type) or -constrained_inner sketch", KSPConvergedReasons[reason]);
  }
  PetscCall(KSPGetIterationNumber(C->ksp, its));
  PetscCall(MatMult(C->K, C->kz, C->kr));
  PetscCall(VecAXPY(C->kr, -1.0, C->kb));
  PetscCall(VecNorm(C->kr, NORM_2, rnorm));
  PetscFunctionReturn(0);
}

static PetscErrorCode AssembleKKT(SkuaConstrained C, PetscReal t)
{
  PetscInt nl = C->map.nloc + C->map.mloc;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(SKUA_CONSTRAINED_Assemble, 0, 0, 0, 0));
  if (!C->K) {
    Mat P;
    PetscCall(MatCreate(C->comm, &P));
    PetscCall(MatSetSizes(P, nl, nl, C->map.N, C->map.N));
    PetscCall(MatSetType(P, MATPREALLOCATOR));
    PetscCall(MatSetUp(P));
    PetscCall(InsertKKT(C, P, t));
    PetscCall(MatCreate(C->comm, &C->K));
    PetscCall(MatSetSizes(C->K, nl, nl, C->map.N, C->map.N));
    PetscCall(MatSetType(C->K, MATAIJ));
    PetscCall(MatPreallocatorPreallocate(P, PETSC_TRUE, C->K));
    PetscCall(MatDestroy(&P));
    PetscCall(MatSetOption(C->K, MAT_NEW_NONZERO_ALLOCATION_ERR, PETSC_FALSE));
    PetscCall(MatCreateVecs(C->K, &C->kz, &C->kr));
    PetscCall(VecDuplicate(C->kz, &C->kb));
    PetscCall(VecDuplicate(C->kz, &C->kg));
  }
  PetscCall(MatZeroEntries(C->K));
  PetscCall(InsertKKT(C, C->K, t));
  PetscCall(PetscLogEventEnd(SKUA_CONSTRAINED_Assemble, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

/* KKT-layout vector k = [a; b] from x-layout a and lambda-layout b (rank-local copy), and back. */
static PetscErrorCode Pack(SkuaConstrained C, Vec a, Vec b, Vec k)
{
  const PetscScalar *aa, *ba;
  PetscScalar       *ka;

  PetscFunctionBegin;
  PetscCall(VecGetArrayRead(a, &aa));
  PetscCall(VecGetArrayRead(b, &ba));
  PetscCall(VecGetArrayWrite(k, &ka));
  PetscCall(PetscArraycpy(ka, aa, C->map.nloc));
  PetscCall(PetscArraycpy(ka + C->map.nloc, ba, C->map.mloc));
  PetscCall(VecRestoreArrayWrite(k, &ka));
  PetscCall(VecRestoreArrayRead(b, &ba));
  PetscCall(VecRestoreArrayRead(a, &aa));
  PetscFunctionReturn(0);
}

static PetscErrorCode Unpack(SkuaConstrained C, Vec k, Vec a, Vec b)
{
  const PetscScalar *ka;
  PetscScalar       *aa, *ba;

  PetscFunctionBegin;
  PetscCall(VecGetArrayRead(k, &ka));
  PetscCall(VecGetArrayWrite(a, &aa));
  PetscCall(VecGetArrayWrite(b, &ba));
  PetscCall(PetscArraycpy(aa, ka, C->map.nloc));
  PetscCall(PetscArraycpy(ba, ka + C->map.nloc, C->map.mloc));
  PetscCall(VecRestoreArrayWrite(b, &ba));
  PetscCall(VecRestoreArrayWrite(a, &aa));
  PetscCall(VecRestoreArrayRead(k, &ka));
  PetscFunctionReturn(0);
}

/* f, c, J and grad_x L = grad f + J^T lambda at (x, lambda); returns the merit L_eta too. */
typedef struct {
  Vec g, gl, c, t1, t2;
} Work;

static PetscErrorCode Evaluate(SkuaConstrained C, Vec x, Vec lam, Work *w, PetscReal *f, PetscReal *nl2, PetscReal *nc2, PetscReal *ctl)
{
  PetscFunctionBegin;
  PetscCall(C->objective(C, x, f, w->g, C->objctx));
  PetscCall(C->constraints(C, x, w->c, C->J, C->conctx));
  PetscCall(MatMultTranspose(C->J, lam, w->gl));
  PetscCall(VecAXPY(w->gl, 1.0, w->g));
  PetscCall(VecDot(w->gl, w->gl, nl2));
  PetscCall(VecDot(w->c, w->c, nc2));
  PetscCall(VecDot(w->c, lam, ctl));
  PetscFunctionReturn(0);
}

static PetscErrorCode Monitor(SkuaConstrained C, PetscInt k, PetscReal f, PetscReal kkt, PetscInt inner, PetscReal alpha, PetscReal eta1)
{
  PetscFunctionBegin;
  if (C->monitor) PetscCall(PetscPrintf(C->comm, "  %4" PetscInt_FMT " f %+.10e  KKT %.3e  inner %6" PetscInt_FMT "  step %.3g  eta1 %.3g\n", k, (double)f, (double)kkt, inner, (double)alpha, (double)eta1));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaConstrainedSolve(SkuaConstrained C, Vec x, Vec lam)
{
  Work           w;
  Vec            xt, lt, dx, dl, Hg;
  PetscReal      f, nl2, nc2, ctl, t0, tnow;
  PetscReal      nH, nJ, trH;
  PetscLogDouble ts;
  PetscInt       k = 0, s_auto;

  PetscFunctionBegin;
  PetscCheck(C->objective && C->constraints && C->hessian, C->comm, PETSC_ERR_ORDER, "SkuaConstrainedSolve needs SetObjective, SetConstraints and SetHessian first");
  PetscCall(PetscLogEventBegin(SKUA_CONSTRAINED_Solve, 0, 0, 0, 0));
  PetscCall(PetscTime(&ts));
  t0 = (PetscReal)ts;
  PetscCall(SetUpMap(C, x));
  PetscCheck(C->map.m >= 1 && C->map.n >= 1, C->comm, PETSC_ERR_ARG_SIZ, "Need n >= 1 variables and m >= 1 constraints (got n = %" PetscInt_FMT ", m = %" PetscInt_FMT ")", C->map.n, C->map.m);
  /* automatic size: the whole KKT system while it is small (an exact Newton step per outer iteration; with
     s < N the ill-conditioned control KKT system stalls sketch-and-project), else a quarter of its rows */
  s_auto = C->sp.s ? C->sp.s : (C->map.N <= SKUA_CONSTRAINED_FULL_SKETCH ? C->map.N : PetscMax(8, (C->map.N + 3) / 4));
  C->sp.s_used = s_auto;
  /* Sketch-and-project with s < N stalls on ill-conditioned KKT systems (the control problem), and the whole-system
     sketch costs O(N^3): large systems go to a Krylov solver under the same accuracy condition unless asked otherwise */
  C->use_ksp = (PetscBool)(C->inner == SKUA_CONSTRAINED_INNER_KSP || (C->inner == SKUA_CONSTRAINED_INNER_AUTO && !C->sp.s && C->map.N > SKUA_CONSTRAINED_FULL_SKETCH));
  if (C->use_ksp) C->sp.s_used = 0;
  PetscCall(KSPDestroy(&C->ksp)); /* its field split follows this solve's KKT layout */
  PetscCall(VecDuplicate(x, &w.g));
  PetscCall(VecDuplicate(x, &w.gl));
  PetscCall(VecDuplicate(x, &w.t1));
  PetscCall(VecDuplicate(x, &xt));
  PetscCall(VecDuplicate(x, &dx));
  PetscCall(VecDuplicate(x, &Hg));
  PetscCall(VecDuplicate(C->ctemplate, &w.c));
  PetscCall(VecDuplicate(C->ctemplate, &w.t2));
  PetscCall(VecDuplicate(C->ctemplate, &lt));
  PetscCall(VecDuplicate(C->ctemplate, &dl));
  C->trace.n     = 0;
  C->eta1        = C->eta1_0;
  C->eta2        = C->eta2_0;
  C->delta       = C->delta_0;
  C->reason      = SKUA_CONSTRAINED_ITERATING;
  C->inner_total = 0;

  PetscCall(Evaluate(C, x, lam, &w, &f, &nl2, &nc2, &ctl));
  C->f   = f;
  C->kkt = PetscSqrtReal(nl2 + nc2);
  PetscCall(PetscTime(&ts));
  PetscCall(TracePush(C, f, C->kkt, 0, 0, C->eta1, (PetscReal)ts - t0));
  PetscCall(Monitor(C, 0, f, C->kkt, 0, 0, C->eta1));
  while (PETSC_TRUE) {
    PetscReal xi_g, hmin, tshift = 0, nB2, psi, ups, dtrial, nK, q, alpha = 1, L0, Lt;
    PetscInt  inner = 0, t, ls;
    PetscReal rn;

    if (PetscIsInfOrNanReal(C->f) || PetscIsInfOrNanReal(C->kkt)) {
      C->reason = SKUA_CONSTRAINED_DIVERGED_NAN;
      break;
    }
    if (C->kkt <= C->tol) {
      C->reason = SKUA_CONSTRAINED_CONVERGED_KKT;
      break;
    }
    if (k >= C->max_it) {
      C->reason = SKUA_CONSTRAINED_DIVERGED_MAX_IT;
      break;
    }
    PetscCall(PetscLogEventBegin(SKUA_CONSTRAINED_Outer, 0, 0, 0, 0));
    PetscCall(C->hessian(C, x, lam, C->H, C->hessctx));

    /* The paper's constants: Psi = 20 max(|B|^2, 1) / (min(xi_G, 1) min(xi_B, 1)), Upsilon = max(|J|, |H|, 1),
       delta_trial = (1/2 - beta) eta2 / ((1 + eta1 + eta2) Upsilon^2 Psi^2); norms are Frobenius. */
    xi_g = C->info_xig;
    hmin = C->info_pd ? PETSC_INFINITY : -PETSC_INFINITY;
    if (xi_g == (PetscReal)PETSC_DEFAULT || !C->info_pd) {
      PetscReal xg, hm;
      PetscCheck(C->map.N <= C->dense_max, C->comm, PETSC_ERR_SUP,
                 "n + m = %" PetscInt_FMT " exceeds -constrained_dense_max %" PetscInt_FMT ": the dense estimates of lambda_min(J J^T) and of the reduced Hessian would be too costly; raise the limit or declare them with SkuaConstrainedSetProblemInfo()",
                 C->map.N, C->dense_max);
      PetscCall(SkuaConstrainedSpectral(C->comm, C->info_pd ? NULL : C->H, C->J, &xg, &hm));
      if (xi_g == (PetscReal)PETSC_DEFAULT) xi_g = xg;
      if (!C->info_pd) hmin = hm;
    }
    PetscCall(MatNorm(C->H, NORM_FROBENIUS, &nH));
    PetscCall(MatNorm(C->J, NORM_FROBENIUS, &nJ));
    PetscCall(MatGetTrace(C->H, &trH));
    /* Hessian modification on null(J) (the authors' rule): B = H + (xi_B + |H|) I when H is not safely positive there. */
    if (C->map.m < C->map.n && hmin < 1e-6) tshift = C->xi_b + nH;
    nB2 = nH * nH + 2 * tshift * trH + C->map.n * tshift * tshift;
    psi = 20 * PetscMax(nB2, 1.0) / (PetscMin(PetscMax(xi_g, 1e-2), 1.0) * PetscMin(C->xi_b, 1.0));
    ups = PetscMax(PetscMax(nJ, nH), 1.0);
    nK  = PetscSqrtReal(nB2 + 2 * nJ * nJ);
#define DTRIAL() ((0.5 - C->beta) * C->eta2 / ((1 + C->eta1 + C->eta2) * ups * ups * psi * psi))
    dtrial   = DTRIAL();
    C->delta = PetscMax(PetscMin(C->delta, dtrial), 1e-6);
    PetscCall(AssembleKKT(C, tshift));

    /* b = -(grad_x L, c); merit gradient gL = (gl + eta2 H gl + eta1 J^T c, c + eta2 J gl) with the exact H. */
    PetscCall(VecScale(w.gl, -1.0));
    PetscCall(VecScale(w.c, -1.0));
    PetscCall(Pack(C, w.gl, w.c, C->kb));
    PetscCall(VecScale(w.gl, -1.0));
    PetscCall(VecScale(w.c, -1.0));
    PetscCall(MatMult(C->H, w.gl, Hg));
    PetscCall(VecZeroEntries(C->kz));
    while (PETSC_TRUE) {
      PetscReal atol = C->theta * C->delta * C->kkt / (nK * psi);
      if (C->use_ksp) PetscCall(KrylovSolve(C, atol, &t, &rn));
      else PetscCall(SkuaSketchProjectSolve(&C->sp, &C->map, C->K, C->kb, atol, k, inner, C->kz, C->kr, &t, &rn));
      inner += t;
      PetscCall(MatMultTranspose(C->J, w.c, w.t1));
      PetscCall(VecAXPBYPCZ(w.t1, 1.0, C->eta2, C->eta1, w.gl, Hg)); /* t1 = gl + eta2 H gl + eta1 J^T c */
      PetscCall(MatMult(C->J, w.gl, w.t2));
      PetscCall(VecAYPX(w.t2, C->eta2, w.c)); /* t2 = c + eta2 J gl */
      PetscCall(Pack(C, w.t1, w.t2, C->kg));
      PetscCall(VecDot(C->kg, C->kz, &q));
      if (C->eta1 > 1e8 || C->eta2 < 1e-8) break; /* the authors' numerical safeguard */
      if (q <= -(C->eta2 / 2) * C->kkt * C->kkt) break;
      /* Not a sufficient descent direction of the merit: raise eta1, lower eta2, sharpen the accuracy. */
      C->eta1 *= C->nu * C->nu;
      C->eta2 /= C->nu;
      dtrial   = DTRIAL();
      C->delta = PetscMax(PetscMin(C->delta / PetscPowReal(C->nu, 4), dtrial), 1e-6);
    }
#undef DTRIAL
    C->inner_total += inner;
    PetscCall(Unpack(C, C->kz, dx, dl));

    /* Armijo backtracking on L_eta = f + lambda^T c + eta1/2 |c|^2 + eta2/2 |grad_x L|^2 (halving). */
    PetscCall(PetscLogEventBegin(SKUA_CONSTRAINED_LineSearch, 0, 0, 0, 0));
    L0 = C->f + ctl + 0.5 * C->eta1 * nc2 + 0.5 * C->eta2 * nl2;
    for (ls = 0; ls < C->ls_max; ls++) {
      PetscReal ft;
      PetscCall(VecWAXPY(xt, alpha, dx, x));
      PetscCall(VecWAXPY(lt, alpha, dl, lam));
      PetscCall(Evaluate(C, xt, lt, &w, &ft, &nl2, &nc2, &ctl));
      Lt = ft + ctl + 0.5 * C->eta1 * nc2 + 0.5 * C->eta2 * nl2;
      if (!PetscIsInfOrNanReal(Lt) && Lt <= L0 + alpha * C->beta * q) break;
      alpha *= 0.5;
    }
    PetscCall(PetscLogEventEnd(SKUA_CONSTRAINED_LineSearch, 0, 0, 0, 0));
    if (ls == C->ls_max) {
      /* Leave x at the last accepted iterate, with its values. */
      PetscCall(Evaluate(C, x, lam, &w, &f, &nl2, &nc2, &ctl));
      C->reason = SKUA_CONSTRAINED_DIVERGED_LS;
      PetscCall(PetscLogEventEnd(SKUA_CONSTRAINED_Outer, 0, 0, 0, 0));
      break;
    }
    PetscCall(VecCopy(xt, x));
    PetscCall(VecCopy(lt, lam));
    k++;
    PetscCall(Evaluate(C, x, lam, &w, &f, &nl2, &nc2, &ctl));
    C->f   = f;
    C->kkt = PetscSqrtReal(nl2 + nc2);
    PetscCall(PetscTime(&ts));
    tnow = (PetscReal)ts - t0;
    PetscCall(TracePush(C, f, C->kkt, (PetscReal)inner, alpha, C->eta1, tnow));
    PetscCall(Monitor(C, k, f, C->kkt, inner, alpha, C->eta1));
    PetscCall(PetscLogEventEnd(SKUA_CONSTRAINED_Outer, 0, 0, 0, 0));
  }
  C->its = k;
  PetscCall(VecDestroy(&w.g));
  PetscCall(VecDestroy(&w.gl));
  PetscCall(VecDestroy(&w.t1));
  PetscCall(VecDestroy(&w.c));
  PetscCall(VecDestroy(&w.t2));
  PetscCall(VecDestroy(&xt));
  PetscCall(VecDestroy(&lt));
  PetscCall(VecDestroy(&dx));
  PetscCall(VecDestroy(&dl));
  PetscCall(VecDestroy(&Hg));
  PetscCall(PetscLogEventEnd(SKUA_CONSTRAINED_Solve, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaConstrainedGetTrace(SkuaConstrained C, const SkuaConstrainedTrace **tr)
{
  PetscFunctionBegin;
  *tr = &C->trace;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaConstrainedGetConvergedReason(SkuaConstrained C, SkuaConstrainedReason *reason)
{
  PetscFunctionBegin;
  *reason = C->reason;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaConstrainedGetSolutionInfo(SkuaConstrained C, PetscReal *f, PetscReal *kkt, PetscInt *its, PetscInt *inner)
{
  PetscFunctionBegin;
  if (f) *f = C->f;
  if (kkt) *kkt = C->kkt;
  if (its) *its = C->its;
  if (inner) *inner = C->inner_total;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaConstrainedView(SkuaConstrained C, PetscViewer viewer)
{
  PetscFunctionBegin;
  PetscCall(PetscViewerASCIIPrintf(viewer, "AdaSketch-Newton: sketch %s, size %" PetscInt_FMT " (0 = auto), max %" PetscInt_FMT " sketch its, seed %" PetscInt_FMT "\n", SkuaConstrainedSketchTypes[C->sp.type], C->sp.s, C->sp.max_it, C->sp.seed));
  PetscCall(PetscViewerASCIIPrintf(viewer, "  eta1 %g eta2 %g delta %g beta %g nu %g xi_B %g theta %g tol %g max_it %" PetscInt_FMT "\n", (double)C->eta1_0, (double)C->eta2_0, (double)C->delta_0, (double)C->beta, (double)C->nu, (double)C->xi_b, (double)C->theta, (double)C->tol, C->max_it));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaConstrainedWriteOptions(SkuaConstrained C, SkuaH5Writer w)
{
  PetscFunctionBegin;
  PetscCall(SkuaH5WriterSetAttrReal(w, "/", "constrained_eta1", C->eta1_0));
  PetscCall(SkuaH5WriterSetAttrReal(w, "/", "constrained_eta2", C->eta2_0));
  PetscCall(SkuaH5WriterSetAttrReal(w, "/", "constrained_delta", C->delta_0));
  PetscCall(SkuaH5WriterSetAttrReal(w, "/", "constrained_beta", C->beta));
  PetscCall(SkuaH5WriterSetAttrReal(w, "/", "constrained_nu", C->nu));
  PetscCall(SkuaH5WriterSetAttrReal(w, "/", "constrained_xi_b", C->xi_b));
  PetscCall(SkuaH5WriterSetAttrReal(w, "/", "constrained_theta", C->theta));
  PetscCall(SkuaH5WriterSetAttrReal(w, "/", "constrained_tol", C->tol));
  PetscCall(SkuaH5WriterSetAttrInt(w, "/", "constrained_max_it", C->max_it));
  PetscCall(SkuaH5WriterSetAttrString(w, "/", "constrained_sketch", SkuaConstrainedSketchTypes[C->sp.type]));
  PetscCall(SkuaH5WriterSetAttrInt(w, "/", "constrained_sketch_size", C->sp.s));
  PetscCall(SkuaH5WriterSetAttrInt(w, "/", "sketch_size_used", C->sp.s_used));
  PetscCall(SkuaH5WriterSetAttrString(w, "/", "constrained_inner", C->use_ksp ? "ksp" : "sketch"));
  PetscCall(SkuaH5WriterSetAttrInt(w, "/", "constrained_sketch_max_it", C->sp.max_it));
  PetscCall(SkuaH5WriterSetAttrInt(w, "/", "constrained_seed", C->sp.seed));
  PetscCall(SkuaH5WriterSetAttrInt(w, "/", "constrained_dense_max", C->dense_max));
  PetscFunctionReturn(0);
}

/* Central differences along one direction v (entries from (seed, global index), so identical for any np):
   relative errors of grad f . v, J v and H v = d/dt grad_x L(x + t v, lambda). */
PetscErrorCode SkuaConstrainedCheckDerivatives(SkuaConstrained C, Vec x, Vec lam, PetscReal h, PetscReal *err_g, PetscReal *err_J, PetscReal *err_H)
{
  Vec          v, xp, xm, gp, gm, g, cp, cm, Jv, Hv, glp, glm;
  PetscReal    fp, fm, f, gv, nrm, nd;
  PetscInt     rs, re;
  PetscScalar *va;

  PetscFunctionBegin;
  PetscCheck(C->objective && C->constraints && C->hessian, C->comm, PETSC_ERR_ORDER, "Set the objective, constraints and Hessian first");
  PetscCall(VecDuplicate(x, &v));
  PetscCall(VecGetOwnershipRange(v, &rs, &re));
  PetscCall(VecGetArrayWrite(v, &va));
  for (PetscInt i = rs; i < re; i++) va[i - rs] = 2 * SkuaConstrainedUniform(SkuaConstrainedKey(12345, 7, i)) - 1;
  PetscCall(VecRestoreArrayWrite(v, &va));
  PetscCall(VecDuplicate(x, &xp));
  PetscCall(VecDuplicate(x, &xm));
  PetscCall(VecDuplicate(x, &g));
  PetscCall(VecDuplicate(x, &gp));
  PetscCall(VecDuplicate(x, &gm));
  PetscCall(VecDuplicate(x, &Hv));
  PetscCall(VecDuplicate(x, &glp));
  PetscCall(VecDuplicate(x, &glm));
  PetscCall(VecDuplicate(C->ctemplate, &cp));
  PetscCall(VecDuplicate(C->ctemplate, &cm));
  PetscCall(VecDuplicate(C->ctemplate, &Jv));
  PetscCall(VecWAXPY(xp, h, v, x));
  PetscCall(VecWAXPY(xm, -h, v, x));
  /* gradient */
  PetscCall(C->objective(C, x, &f, g, C->objctx));
  PetscCall(VecDot(g, v, &gv));
  PetscCall(C->objective(C, xp, &fp, gp, C->objctx));
  PetscCall(C->objective(C, xm, &fm, gm, C->objctx));
  *err_g = PetscAbsReal(gv - (fp - fm) / (2 * h)) / PetscMax(1.0, PetscAbsReal(gv));
  /* Jacobian */
  PetscCall(C->constraints(C, x, cp, C->J, C->conctx));
  PetscCall(MatMult(C->J, v, Jv));
  PetscCall(VecNorm(Jv, NORM_2, &nrm));
  PetscCall(C->constraints(C, xp, cp, NULL, C->conctx));
  PetscCall(C->constraints(C, xm, cm, NULL, C->conctx));
  PetscCall(VecAXPY(cp, -1.0, cm));
  PetscCall(VecAXPY(Jv, -1.0 / (2 * h), cp));
  PetscCall(VecNorm(Jv, NORM_2, &nd));
  *err_J = nd / PetscMax(1.0, nrm);
  /* Hessian of the Lagrangian: difference of grad f + J^T lambda */
  PetscCall(C->constraints(C, xp, cp, C->J, C->conctx));
  PetscCall(MatMultTranspose(C->J, lam, glp));
  PetscCall(VecAXPY(glp, 1.0, gp));
  PetscCall(C->constraints(C, xm, cm, C->J, C->conctx));
  PetscCall(MatMultTranspose(C->J, lam, glm));
  PetscCall(VecAXPY(glm, 1.0, gm));
  PetscCall(C->hessian(C, x, lam, C->H, C->hessctx));
  PetscCall(MatMult(C->H, v, Hv));
  PetscCall(VecNorm(Hv, NORM_2, &nrm));
  PetscCall(VecAXPY(glp, -1.0, glm));
  PetscCall(VecAXPY(Hv, -1.0 / (2 * h), glp));
  PetscCall(VecNorm(Hv, NORM_2, &nd));
  *err_H = nd / PetscMax(1.0, nrm);
  PetscCall(VecDestroy(&v));
  PetscCall(VecDestroy(&xp));
  PetscCall(VecDestroy(&xm));
  PetscCall(VecDestroy(&g));
  PetscCall(VecDestroy(&gp));
  PetscCall(VecDestroy(&gm));
  PetscCall(VecDestroy(&Hv));
  PetscCall(VecDestroy(&glp));
  PetscCall(VecDestroy(&glm));
  PetscCall(VecDestroy(&cp));
  PetscCall(VecDestroy(&cm));
  PetscCall(VecDestroy(&Jv));
  PetscFunctionReturn(0);
}
