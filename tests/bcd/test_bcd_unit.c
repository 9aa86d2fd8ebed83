/* Unit test of the SkuaBCD C API (SkuaBCDSetProblemCSR path): closed-form solutions of separable problems; and the
   LIBSVM reader's number parsing, bit for bit against strtod(). */
#include <petscsys.h>
#include <petscmat.h>
#include <skua/bcd.h>
#include <stdlib.h>

#define PARSE_ROWS 300
#define PARSE_COLS 6

/* The text of entry (i, j) in one of the ways people write numbers: %g, round-trip %.17g, exponents of either case,
   explicit '+', leading and trailing dots, 20 significant digits and exponents beyond 1e+-22 (strtod's slow path). */
static void ParseEntryText(PetscInt i, PetscInt j, char *s, size_t len)
{
  unsigned long long h = 1469598103934665603ULL ^ (unsigned long long)(i * 131 + j);
  double             u, v;

  for (int r = 0; r < 4; r++) h = (h ^ (h >> 29)) * 1099511628211ULL;
  u = ((double)(h >> 11) + 0.5) / 9007199254740992.0; /* (0, 1) */
  v = (h & 1 ? -1.0 : 1.0) * (0.001 + 1000.0 * u * u);
  switch ((i + 7 * j) % 10) {
  case 0: snprintf(s, len, "%.6g", v); break;
  case 1: snprintf(s, len, "%.17g", v); break;
  case 2: snprintf(s, len, "%.3e", v); break;
  case 3: snprintf(s, len, "%+.10f", v); break;
  case 4: snprintf(s, len, "%.15E", v); break;
  case 5: snprintf(s, len, "%.19e", v); break;        /* 20 significant digits */
  case 6: snprintf(s, len, "%.8e", v * 1e-31); break; /* exponent below -22 */
  case 7: snprintf(s, len, "%.5e", v * 1e25); break;  /* exponent above 22 */
  case 8: snprintf(s, len, "%.0f.", v < 0 ? v - 1 : v + 1); break; /* "12." */
  default:
    snprintf(s, len, "%.7f", u); /* "0.1234567" -> ".1234567", "-.1234567" */
    memmove(s, s + 1, strlen(s));
    if (h & 2) {
      memmove(s + 1, s, strlen(s) + 1);
      s[0] = '-';
    }
  }
}

static PetscErrorCode CheckLIBSVMParse(void)
{
  const char *path = "test_bcd_unit_parse.svm";
  static const char *labels[] = {"+1", "-1", "1.0", "-1e0", "1"};
  PetscMPIInt rank;
  SkuaBCD     bcd;
  Mat         A;
  Vec         b;
  PetscInt    rs, re, bad = 0;
  char        s[64];

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  if (rank == 0) {
    FILE *f = fopen(path, "w");

    PetscCheck(f, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "cannot write %s", path);
    fprintf(f, "# written by test_bcd_unit\n");
    for (PetscInt i = 0; i < PARSE_ROWS; i++) {
      fprintf(f, "%s", labels[i % 5]);
      for (PetscInt j = 0; j < PARSE_COLS; j++) {
        ParseEntryText(i, j, s, sizeof(s));
        fprintf(f, " %" PetscInt_FMT ":%s", 1 + 3 * j + i % 3, s);
      }
      fprintf(f, i % 4 == 3 ? " \r\n" : "\n");
    }
    fclose(f);
  }
  PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
  PetscCall(SkuaBCDCreate(PETSC_COMM_WORLD, &bcd));
  PetscCall(SkuaBCDSetProblemFile(bcd, path));
  PetscCall(SkuaBCDCreateMat(bcd, &A, &b));
  PetscCall(MatGetOwnershipRange(A, &rs, &re));
  {
    const PetscScalar *bb;

    PetscCall(VecGetArrayRead(b, &bb));
    for (PetscInt i = rs; i < re; i++) {
      const PetscInt    *cols;
      const PetscScalar *vals;
      PetscInt           nc;

      if (bb[i - rs] != strtod(labels[i % 5], NULL)) bad++;
      PetscCall(MatGetRow(A, i, &nc, &cols, &vals));
      if (nc != PARSE_COLS) bad++;
      for (PetscInt j = 0; j < PetscMin(nc, PARSE_COLS); j++) {
        double want;

        ParseEntryText(i, j, s, sizeof(s));
        want = strtod(s, NULL);
        if (cols[j] != 3 * j + i % 3 || memcmp(&want, &vals[j], sizeof(double))) {
          if (bad < 5) PetscCall(PetscPrintf(PETSC_COMM_SELF, "LIBSVM parse: row %" PetscInt_FMT " entry '%s' read as %.17g, strtod gives %.17g\n", i, s, (double)PetscRealPart(vals[j]), want));
          bad++;
        }
      }
      PetscCall(MatRestoreRow(A, i, &nc, &cols, &vals));
    }
    PetscCall(VecRestoreArrayRead(b, &bb));
  }
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPIU_INT, MPI_SUM, PETSC_COMM_WORLD));
  PetscCheck(bad == 0, PETSC_COMM_WORLD, PETSC_ERR_PLIB, "FAIL: %" PetscInt_FMT " LIBSVM entries differ from strtod()", bad);
  PetscCall(MatDestroy(&A));
  PetscCall(VecDestroy(&b));
  PetscCall(SkuaBCDDestroy(&bcd));
  PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
  if (rank == 0) remove(path);
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "LIBSVM parsing: %d entries identical to strtod()\n", PARSE_ROWS * PARSE_COLS));
  PetscFunctionReturn(0);
}

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
  PetscCall(CheckLIBSVMParse());
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
