/* Unit tests of src/constrained: finite-difference checks of every built-in problem's gradient, Jacobian and
   Lagrangian Hessian; a QP (HS28) solved to its closed-form solution; unknown problem names rejected. */
#include <skua.h>

static int failures = 0;

#define CHECK(cond, ...) \
  do { \
    if (!(cond)) { \
      PetscCall(PetscPrintf(PETSC_COMM_WORLD, "FAIL: " __VA_ARGS__)); \
      PetscCall(PetscPrintf(PETSC_COMM_WORLD, "\n")); \
      failures++; \
    } \
  } while (0)

/* x0 + 0.05 (deterministic bumps) so that no derivative term vanishes by symmetry of the start; lambda = (1, -2, 3, ...)/4. */
static PetscErrorCode Derivatives(const char name[])
{
  SkuaConstrainedProblem P;
  SkuaConstrained        C;
  Vec                    x, l;
  PetscInt               rs, re;
  PetscScalar           *a;
  PetscReal              eg, eJ, eH;

  PetscFunctionBegin;
  PetscCall(SkuaConstrainedProblemCreate(PETSC_COMM_WORLD, name, &P));
  PetscCall(SkuaConstrainedCreate(PETSC_COMM_WORLD, &C));
  PetscCall(SkuaConstrainedProblemSetUp(P, C, &x, &l));
  PetscCall(VecGetOwnershipRange(x, &rs, &re));
  PetscCall(VecGetArray(x, &a));
  for (PetscInt i = rs; i < re; i++) a[i - rs] += 0.05 * PetscSinReal(1.0 + 3.0 * i);
  PetscCall(VecRestoreArray(x, &a));
  PetscCall(VecGetOwnershipRange(l, &rs, &re));
  PetscCall(VecGetArray(l, &a));
  for (PetscInt i = rs; i < re; i++) a[i - rs] = (i % 2 ? -1.0 : 1.0) * (1 + i % 5) / 4.0;
  PetscCall(VecRestoreArray(l, &a));
  PetscCall(SkuaConstrainedCheckDerivatives(C, x, l, 1e-5, &eg, &eJ, &eH));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%-9s FD errors: grad %.2e  Jacobian %.2e  Hessian %.2e\n", name, (double)eg, (double)eJ, (double)eH));
  CHECK(eg < 1e-6 && eJ < 1e-6 && eH < 1e-6, "%s: derivative check failed (grad %.2e, J %.2e, H %.2e)", name, (double)eg, (double)eJ, (double)eH);
  PetscCall(VecDestroy(&x));
  PetscCall(VecDestroy(&l));
  PetscCall(SkuaConstrainedDestroy(&C));
  PetscCall(SkuaConstrainedProblemDestroy(&P));
  PetscFunctionReturn(0);
}

/* HS28 is a QP: min (x1+x2)^2 + (x2+x3)^2 s.t. x1 + 2x2 + 3x3 = 1, solution (1/2, -1/2, 1/2), f* = 0. */
static PetscErrorCode QPSolution(void)
{
  SkuaConstrainedProblem P;
  SkuaConstrained        C;
  Vec                    x, l, xs;
  PetscReal              err, f, kkt;
  SkuaConstrainedReason  reason;

  PetscFunctionBegin;
  PetscCall(SkuaConstrainedProblemCreate(PETSC_COMM_WORLD, "hs28", &P));
  PetscCall(SkuaConstrainedCreate(PETSC_COMM_WORLD, &C));
  PetscCall(SkuaConstrainedSetFromOptions(C));
  PetscCall(SkuaConstrainedProblemSetUp(P, C, &x, &l));
  PetscCall(SkuaConstrainedSolve(C, x, l));
  PetscCall(SkuaConstrainedGetConvergedReason(C, &reason));
  PetscCall(SkuaConstrainedGetSolutionInfo(C, &f, &kkt, NULL, NULL));
  PetscCall(VecDuplicate(x, &xs));
  {
    PetscInt    idx[3] = {0, 1, 2};
    PetscScalar val[3] = {0.5, -0.5, 0.5};
    PetscInt    rs, re;
    PetscCall(VecGetOwnershipRange(xs, &rs, &re));
    if (re > rs) PetscCall(VecSetValues(xs, 3, idx, val, INSERT_VALUES));
    PetscCall(VecAssemblyBegin(xs));
    PetscCall(VecAssemblyEnd(xs));
  }
  PetscCall(VecAXPY(xs, -1.0, x));
  PetscCall(VecNorm(xs, NORM_INFINITY, &err));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "hs28 QP: %s, |x - x*| = %.2e, f = %.2e, KKT %.2e\n", SkuaConstrainedReasonName(reason), (double)err, (double)f, (double)kkt));
  CHECK(reason > 0 && err < 1e-8 && PetscAbsReal(f) < 1e-12, "hs28: solution error %.3e (reason %d)", (double)err, (int)reason);
  PetscCall(VecDestroy(&xs));
  PetscCall(VecDestroy(&x));
  PetscCall(VecDestroy(&l));
  PetscCall(SkuaConstrainedDestroy(&C));
  PetscCall(SkuaConstrainedProblemDestroy(&P));
  PetscFunctionReturn(0);
}

static PetscErrorCode UnknownName(void)
{
  SkuaConstrainedProblem P = NULL;
  PetscErrorCode         ierr;

  PetscFunctionBegin;
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = SkuaConstrainedProblemCreate(PETSC_COMM_WORLD, "hs1000", &P);
  PetscCall(PetscPopErrorHandler());
  CHECK(ierr == PETSC_ERR_USER_INPUT && !P, "unknown problem hs1000 was not rejected with PETSC_ERR_USER_INPUT (got %d)", (int)ierr);
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  const char **names;
  PetscInt     count;

  PetscCall(SkuaInitialize(&argc, &argv, NULL, "Unit tests of the constrained solver"));
  PetscCall(SkuaConstrainedProblemList(&names, &count));
  for (PetscInt k = 0; k < count; k++) PetscCall(Derivatives(names[k]));
  PetscCall(QPSolution());
  PetscCall(UnknownName());
  if (failures) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%d failure(s)\n", failures));
  else PetscCall(PetscPrintf(PETSC_COMM_WORLD, "all constrained unit tests passed\n"));
  PetscCall(SkuaFinalize());
  return failures ? 1 : 0;
}
