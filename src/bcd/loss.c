/* BCD losses as sums of phi(u_i) over rows (Nutini, Laradji, Schmidt, JMLR 2022, problems A and B). */
#include "bcdimpl.h"

/* Squared: u = Ax - b, f = 1/2 |u|^2. */
static PetscReal SqPhi(PetscReal u) { return 0.5 * u * u; }
static PetscReal SqDPhi(PetscReal u) { return u; }
static PetscReal SqD2Phi(PetscReal u) { return 1.0; }
static PetscReal SqDiff(PetscReal u, PetscReal du) { return du * (u + 0.5 * du); }

static PetscErrorCode SqSetUp(SkuaBCD bcd)
{
  PetscFunctionBegin;
  for (PetscInt i = 0; i < bcd->mloc; i++) {
    bcd->s[i] = 1.0;
    bcd->o[i] = -bcd->b[i];
  }
  PetscFunctionReturn(0);
}

/* Logistic: u = b o Ax, f = sum log(1 + exp(-u)); written so that neither branch overflows. */
static PetscReal LgPhi(PetscReal u) { return u > 0 ? log1p(PetscExpReal(-u)) : -u + log1p(PetscExpReal(u)); }
static PetscReal LgDPhi(PetscReal u)
{
  if (u >= 0) {
    PetscReal e = PetscExpReal(-u);
    return -e / (1.0 + e);
  }
  return -1.0 / (1.0 + PetscExpReal(u));
}
static PetscReal LgD2Phi(PetscReal u)
{
  PetscReal e = PetscExpReal(-PetscAbsReal(u));
  return e / ((1.0 + e) * (1.0 + e));
}

/* log((1 + e^-(u+du)) / (1 + e^-u)) through expm1/log1p, so that a tiny du gives an accurate tiny change
   (line searches near the optimum compare such changes with their models). */
static PetscReal LgDiff(PetscReal u, PetscReal du)
{
  PetscReal v;
  if (u >= 0) {
    PetscReal a = PetscExpReal(-u);
    v           = log1p(a * expm1(-du) / (1 + a));
  } else {
    PetscReal a = PetscExpReal(u);
    v           = -du + log1p(a * expm1(du) / (1 + a));
  }
  return PetscIsInfOrNanReal(v) ? LgPhi(u + du) - LgPhi(u) : v;
}

static PetscErrorCode LgSetUp(SkuaBCD bcd)
{
  PetscInt bad = -1;
  char     msg[512] = "", num[32];

  PetscFunctionBegin;
  for (PetscInt i = 0; i < bcd->mloc; i++) {
    if (bcd->b[i] != 1.0 && bcd->b[i] != -1.0 && bad < 0) bad = i;
    bcd->s[i] = bcd->b[i];
    bcd->o[i] = 0.0;
  }
  /* A 0/1 labelling is the usual mistake; say so rather than silently remapping. */
  if (bad >= 0) PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: label %s of row %" PetscInt_FMT " is not -1 or +1; -bcd_loss logistic needs labels in {-1, +1} (map 0/1 labels to -1/+1)", bcd->source, SkuaBCDNum(num, (double)bcd->b[bad]), bcd->rstart + bad));
  PetscCall(SkuaCheckCollective(bcd->comm, bad >= 0 ? PETSC_TRUE : PETSC_FALSE, PETSC_ERR_USER_INPUT, msg));
  PetscFunctionReturn(0);
}

static const SkuaBCDLossOps SquaredOps  = {"squared", 1.0, SqSetUp, SqPhi, SqDPhi, SqD2Phi, SqDiff};
static const SkuaBCDLossOps LogisticOps = {"logistic", 0.25, LgSetUp, LgPhi, LgDPhi, LgD2Phi, LgDiff};

PetscErrorCode SkuaBCDGetLossOps(SkuaBCDLossType t, const SkuaBCDLossOps **ops)
{
  PetscFunctionBegin;
  switch (t) {
  case SKUA_BCD_LOSS_SQUARED: *ops = &SquaredOps; break;
  case SKUA_BCD_LOSS_LOGISTIC: *ops = &LogisticOps; break;
  default: SETERRQ(PETSC_COMM_WORLD, PETSC_ERR_SUP, "-bcd_loss %s is not implemented in this version of Skua (implemented: squared, logistic)", SkuaBCDLossTypes[t]);
  }
  PetscFunctionReturn(0);
}
