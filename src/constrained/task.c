/* skua-sketch -task constrained: build a built-in problem, solve it with AdaSketch-Newton, write the result. */
#include "constrainedimpl.h"

PetscErrorCode SkuaConstrainedRunTask(MPI_Comm comm, const char problem[], SkuaH5Writer w, PetscInt *exit_code)
{
  SkuaConstrainedProblem      P = NULL;
  SkuaConstrained             C = NULL;
  Vec                         x = NULL, lam = NULL;
  PetscInt                    n, m, its, inner;
  PetscReal                   fstar, f, kkt;
  SkuaConstrainedReason       reason;
  const SkuaConstrainedTrace *tr;

  PetscFunctionBegin;
  *exit_code = 1;
  /* Everything that can reject the input happens before the solve. */
  PetscCall(SkuaConstrainedProblemCreate(comm, problem, &P));
  PetscCall(SkuaConstrainedCreate(comm, &C));
  C->monitor = PETSC_TRUE;
  PetscCall(SkuaConstrainedSetFromOptions(C));
  PetscCall(SkuaConstrainedProblemSetUp(P, C, &x, &lam));
  PetscCall(SkuaConstrainedProblemGetInfo(P, &n, &m, &fstar));
  PetscCall(PetscPrintf(comm, "skua-sketch constrained: problem %s, n = %" PetscInt_FMT ", m = %" PetscInt_FMT "\n", problem, n, m));
  PetscCall(SkuaConstrainedView(C, PETSC_VIEWER_STDOUT_(comm)));
  PetscCall(SkuaConstrainedSolve(C, x, lam));
  PetscCall(SkuaConstrainedGetConvergedReason(C, &reason));
  PetscCall(SkuaConstrainedGetSolutionInfo(C, &f, &kkt, &its, &inner));
  PetscCall(SkuaConstrainedGetTrace(C, &tr));

  if (w) {
    PetscInt dims[1] = {tr->n};
    PetscCall(SkuaH5WriterSetAttrString(w, "/", "task", "constrained"));
    PetscCall(SkuaH5WriterSetAttrString(w, "/", "problem", problem));
    PetscCall(SkuaH5WriterSetAttrInt(w, "/", "n", n));
    PetscCall(SkuaH5WriterSetAttrInt(w, "/", "m", m));
    PetscCall(SkuaH5WriterSetAttrReal(w, "/", "final_objective", f));
    PetscCall(SkuaH5WriterSetAttrReal(w, "/", "kkt_residual", kkt));
    PetscCall(SkuaH5WriterSetAttrInt(w, "/", "converged", reason > 0 ? 1 : 0));
    PetscCall(SkuaH5WriterSetAttrString(w, "/", "converged_reason", SkuaConstrainedReasonName(reason)));
    PetscCall(SkuaH5WriterSetAttrInt(w, "/", "iterations", its));
    PetscCall(SkuaH5WriterSetAttrInt(w, "/", "inner_iterations", inner));
    PetscCall(SkuaH5WriterSetAttrReal(w, "/", "reference_objective", fstar));
    PetscCall(SkuaH5WriterSetAttrReal(w, "/", "solve_seconds", tr->sec[tr->n - 1]));
    PetscCall(SkuaConstrainedWriteOptions(C, w));
    if (P->ops.write) PetscCall(P->ops.write(P, w));
    {
      Vec xn, ln; /* natural order, so files from any number of ranks compare entry by entry */
      PetscCall(SkuaConstrainedGetNaturalVec(C, x, PETSC_TRUE, &xn));
      PetscCall(SkuaConstrainedGetNaturalVec(C, lam, PETSC_FALSE, &ln));
      PetscCall(SkuaH5WriterWriteVec(w, "x", xn));
      PetscCall(SkuaH5WriterWriteVec(w, "lambda", ln));
      PetscCall(VecDestroy(&xn));
      PetscCall(VecDestroy(&ln));
    }
    PetscCall(SkuaH5WriterWriteDataset(w, "trace/objective", 1, dims, tr->objective));
    PetscCall(SkuaH5WriterWriteDataset(w, "trace/kkt_residual", 1, dims, tr->kkt));
    PetscCall(SkuaH5WriterWriteDataset(w, "trace/inner_iterations", 1, dims, tr->inner));
    PetscCall(SkuaH5WriterWriteDataset(w, "trace/step_length", 1, dims, tr->step));
    PetscCall(SkuaH5WriterWriteDataset(w, "trace/eta1", 1, dims, tr->eta1));
    PetscCall(SkuaH5WriterWriteDataset(w, "trace/seconds", 1, dims, tr->sec));
    PetscCall(SkuaH5WriterCreateArray(w, "stats/iterations", PETSC_TRUE, 1, (PetscReal)its));
    PetscCall(SkuaH5WriterCreateArray(w, "stats/inner_iterations", PETSC_TRUE, 1, (PetscReal)inner));
    PetscCall(SkuaH5WriterCreateArray(w, "stats/kkt_residual", PETSC_FALSE, 1, kkt));
    PetscCall(SkuaH5WriterCreateArray(w, "stats/solve_seconds", PETSC_FALSE, 1, tr->sec[tr->n - 1]));
  }
  PetscCall(PetscPrintf(comm, "Summary: %s, %" PetscInt_FMT " outer iterations, %" PetscInt_FMT " inner (sketch or Krylov) iterations, f = %.12e, KKT residual = %.3e, %.3f s\n", SkuaConstrainedReasonName(reason), its, inner, (double)f, (double)kkt, (double)tr->sec[tr->n - 1]));
  if (fstar == fstar) PetscCall(PetscPrintf(comm, "Published optimal objective (Hock & Schittkowski 1981): %.10g\n", (double)fstar));
  *exit_code = reason > 0 ? 0 : 3;
  if (reason <= 0) PetscCall(PetscPrintf(comm, "WARNING: -constrained_tol was not reached (exit status 3)\n"));
  PetscCall(VecDestroy(&x));
  PetscCall(VecDestroy(&lam));
  PetscCall(SkuaConstrainedDestroy(&C));
  PetscCall(SkuaConstrainedProblemDestroy(&P));
  PetscFunctionReturn(0);
}
