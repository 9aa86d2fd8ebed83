/* Unit test of the SkuaBCD C API (SkuaBCDSetProblemCSR path): closed-form solutions of separable problems. */
#include <petscsys.h>
#include <skua/bcd.h>

/* A = diag(a) (m = d = n, rows split over ranks), b given: the squared loss with l1, l2 is separable and
   x_i = soft(a_i b_i, l1) / (a_i^2 + l2); the logistic loss with labels b and l2 has no closed form, so it is
   checked through its gradient a_i (-b_i sigma(-b_i a_i x_i)) + l2 x_i = 0. The quadratic 1/2 x^T A x - b^T x
   with A = diag(a) has x_i = soft(b_i, l1) / (a_i + l2). */
static PetscErrorCode CheckOne(SkuaBCDLossType loss, SkuaBCDRuleType rule, SkuaBCDUpdateType upd, SkuaBCDPartitionType part, PetscReal l1, PetscReal l2, PetscReal *err)
{
  const PetscInt   n = 37;
  PetscInt         mloc = PETSC_DECIDE, N = n, rstart, *rp, *ci, d, its;
  PetscReal       *cv, *b;
  const PetscReal *x;
  SkuaBCD          bcd;
  SkuaBCDConvergedReason reason;

  PetscFunctionBegin;
  PetscCall(PetscSplitOwnership(PETSC_COMM_WORLD, &mloc, &N));
  PetscCallMPI(MPI_Scan(&mloc, &rstart, 1, MPIU_INT, MPI_SUM, PETSC_COMM_WORLD));
  rstart -= mloc;
  PetscCall(PetscMalloc4(mloc + 1, &rp, mloc, &ci, mloc, &cv, mloc, &b));
  for (PetscInt i = 0; i < mloc; i++) {
    PetscInt g = rstart + i;
    rp[i]      = i;
    ci[i]      = g;
    cv[i]      = 1.0 + 0.1 * (g % 7);
    b[i]       = loss == SKUA_BCD_LOSS_LOGISTIC ? ((g % 3) ? 1.0 : -1.0) : PetscSinReal((PetscReal)g);
  }
  rp[mloc] = mloc;
  PetscCall(SkuaBCDCreate(PETSC_COMM_WORLD, &bcd));
  PetscCall(SkuaBCDSetProblemCSR(bcd, n, n, mloc, rp, ci, cv, b));
  PetscCall(SkuaBCDSetLoss(bcd, loss));
  PetscCall(SkuaBCDSetRule(bcd, rule));
  PetscCall(SkuaBCDSetUpdate(bcd, upd));
  PetscCall(SkuaBCDSetPartition(bcd, part, 4));
  PetscCall(SkuaBCDSetRegularization(bcd, l1, l2, 0));
  PetscCall(SkuaBCDSetTolerances(bcd, 1e-12, 100000));
  PetscCall(SkuaBCDSolve(bcd));
  PetscCall(SkuaBCDGetSolution(bcd, &x, &d));
  PetscCall(SkuaBCDGetIterationNumber(bcd, &its));
  PetscCall(SkuaBCDGetConvergedReason(bcd, &reason));
  PetscCheck(reason > 0, PETSC_COMM_WORLD, PETSC_ERR_NOT_CONVERGED, "%s/%s did not converge in %" PetscInt_FMT " iterations", SkuaBCDRuleTypes[rule], SkuaBCDUpdateTypes[upd], its);
  *err = 0;
  for (PetscInt g = 0; g < n; g++) {
    PetscReal a = 1.0 + 0.1 * (g % 7), e;
    if (loss == SKUA_BCD_LOSS_SQUARED) {
      PetscReal v = a * PetscSinReal((PetscReal)g), s = v > l1 ? v - l1 : (v < -l1 ? v + l1 : 0);
      e           = PetscAbsReal(x[g] - s / (a * a + l2));
    } else if (loss == SKUA_BCD_LOSS_QUADRATIC) {
      PetscReal v = PetscSinReal((PetscReal)g), s = v > l1 ? v - l1 : (v < -l1 ? v + l1 : 0);
      e           = PetscAbsReal(x[g] - s / (a + l2));
    } else {
      PetscReal y = (g % 3) ? 1.0 : -1.0;
      e           = PetscAbsReal(-a * y / (1 + PetscExpReal(y * a * x[g])) + l2 * x[g]);
    }
    *err = PetscMax(*err, e);
  }
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%-8s %-9s %-10s %-10s l1 %g l2 %g: %5" PetscInt_FMT " its, max error %.2e\n", SkuaBCDLossTypes[loss], SkuaBCDRuleTypes[rule], SkuaBCDUpdateTypes[upd], SkuaBCDPartitionTypes[part], (double)l1, (double)l2, its, (double)*err));
  PetscCall(SkuaBCDDestroy(&bcd));
  PetscCall(PetscFree4(rp, ci, cv, b));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  PetscReal err, worst = 0;

  PetscCall(PetscInitialize(&argc, &argv, NULL, "SkuaBCD API unit test"));
  for (int r = SKUA_BCD_RULE_CYCLIC; r <= SKUA_BCD_RULE_GSD; r++)
    for (int u = SKUA_BCD_UPDATE_GRADIENT; u <= SKUA_BCD_UPDATE_EXACT; u++) {
      PetscCall(CheckOne(SKUA_BCD_LOSS_SQUARED, (SkuaBCDRuleType)r, (SkuaBCDUpdateType)u, SKUA_BCD_PARTITION_CONTIGUOUS, 0.3, 0.5, &err));
      worst = PetscMax(worst, err);
    }
  PetscCall(CheckOne(SKUA_BCD_LOSS_SQUARED, SKUA_BCD_RULE_GSQ, SKUA_BCD_UPDATE_GRADIENT, SKUA_BCD_PARTITION_CONTIGUOUS, 0, 0.5, &err));
  worst = PetscMax(worst, err);
  for (int u = SKUA_BCD_UPDATE_GRADIENT; u <= SKUA_BCD_UPDATE_EXACT; u++) {
    PetscCall(CheckOne(SKUA_BCD_LOSS_QUADRATIC, SKUA_BCD_RULE_GSQ, (SkuaBCDUpdateType)u, SKUA_BCD_PARTITION_CONTIGUOUS, 0.3, 0.5, &err));
    worst = PetscMax(worst, err);
    PetscCall(CheckOne(SKUA_BCD_LOSS_QUADRATIC, SKUA_BCD_RULE_GSQ, (SkuaBCDUpdateType)u, SKUA_BCD_PARTITION_VARIABLE, 0.3, 0, &err));
    worst = PetscMax(worst, err);
  }
  PetscCall(CheckOne(SKUA_BCD_LOSS_SQUARED, SKUA_BCD_RULE_GSQ, SKUA_BCD_UPDATE_EXACT, SKUA_BCD_PARTITION_VARIABLE, 0.3, 0.5, &err));
  worst = PetscMax(worst, err);
  PetscCall(CheckOne(SKUA_BCD_LOSS_SQUARED, SKUA_BCD_RULE_GSL, SKUA_BCD_UPDATE_NEWTON, SKUA_BCD_PARTITION_VARIABLE, 0.3, 0, &err));
  worst = PetscMax(worst, err);
  PetscCall(CheckOne(SKUA_BCD_LOSS_LOGISTIC, SKUA_BCD_RULE_GSL, SKUA_BCD_UPDATE_NEWTON, SKUA_BCD_PARTITION_CONTIGUOUS, 0, 0.5, &err));
  worst = PetscMax(worst, err);
  PetscCall(CheckOne(SKUA_BCD_LOSS_LOGISTIC, SKUA_BCD_RULE_RANDOM, SKUA_BCD_UPDATE_LINESEARCH, SKUA_BCD_PARTITION_CONTIGUOUS, 0, 0.5, &err));
  worst = PetscMax(worst, err);
  PetscCheck(worst < 1e-9, PETSC_COMM_WORLD, PETSC_ERR_PLIB, "FAIL: max error %g", (double)worst);
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "test_bcd_unit OK (max error %.1e)\n", (double)worst));
  PetscCall(PetscFinalize());
  return 0;
}
