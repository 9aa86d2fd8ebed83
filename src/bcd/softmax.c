/* BCD on multinomial logistic regression (Nutini, Laradji, Schmidt, JMLR 2022, problem C): f(W) = sum_i
   [log sum_c exp(s_ic) - s_{i,y_i}] with scores S = AW, W d x C stored feature-major (x[j*C + c]); a block is a set of
   features with all their classes. Each rank keeps S and P = softmax(S) for its rows. */
#include "bcdimpl.h"

static PetscReal LogSumExp(PetscInt nc, const PetscReal s[])
{
  PetscReal m = s[0], a = 0;
  for (PetscInt c = 1; c < nc; c++) m = PetscMax(m, s[c]);
  for (PetscInt c = 0; c < nc; c++) a += PetscExpReal(s[c] - m);
  return m + PetscLogReal(a);
}

static void Softmax(PetscInt nc, const PetscReal s[], PetscReal p[])
{
  PetscReal m = s[0], a = 0;
  for (PetscInt c = 1; c < nc; c++) m = PetscMax(m, s[c]);
  for (PetscInt c = 0; c < nc; c++) a += (p[c] = PetscExpReal(s[c] - m));
  for (PetscInt c = 0; c < nc; c++) p[c] /= a;
}

static PetscErrorCode SMBlockGrad(SkuaBCD bcd)
{
  const PetscInt nc = bcd->nc;

  PetscFunctionBegin;
  for (PetscInt k = 0; k < bcd->nblk; k += nc) {
    PetscInt j = bcd->blk[k] / nc;
    for (PetscInt c = 0; c < nc; c++) bcd->gb[k + c] = 0;
    for (PetscInt p = bcd->ccp[j]; p < bcd->ccp[j + 1]; p++) {
      PetscInt         i  = bcd->cri[p];
      PetscReal        v  = bcd->ccv[p];
      const PetscReal *Pi = bcd->P + i * nc;
      for (PetscInt c = 0; c < nc; c++) bcd->gb[k + c] += v * Pi[c];
      bcd->gb[k + bcd->ylab[i]] -= v;
    }
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode SMFullGrad(SkuaBCD bcd)
{
  const PetscInt nc = bcd->nc;

  PetscFunctionBegin;
  PetscCall(PetscArrayzero(bcd->gl, bcd->nx));
  for (PetscInt j = 0; j < bcd->d; j++) {
    PetscReal *gj = bcd->gl + j * nc;
    for (PetscInt p = bcd->ccp[j]; p < bcd->ccp[j + 1]; p++) {
      PetscInt         i  = bcd->cri[p];
      PetscReal        v  = bcd->ccv[p];
      const PetscReal *Pi = bcd->P + i * nc;
      for (PetscInt c = 0; c < nc; c++) gj[c] += v * Pi[c];
      gj[bcd->ylab[i]] -= v;
    }
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode SMDelta(SkuaBCD bcd, const PetscReal delta[])
{
  const PetscInt nc = bcd->nc;

  PetscFunctionBegin;
  for (PetscInt k = 0; k < bcd->nblk; k += nc) {
    PetscInt  j   = bcd->blk[k] / nc;
    PetscBool any = PETSC_FALSE;
    for (PetscInt c = 0; c < nc; c++) any = (PetscBool)(any || delta[k + c] != 0);
    if (!any) continue;
    for (PetscInt p = bcd->ccp[j]; p < bcd->ccp[j + 1]; p++) {
      PetscInt   i  = bcd->cri[p];
      PetscReal  v  = bcd->ccv[p], *dzi = bcd->dz + i * nc;
      if (!bcd->mark[i]) {
        bcd->mark[i]                  = 1;
        bcd->touched[bcd->ntouched++] = i;
      }
      for (PetscInt c = 0; c < nc; c++) dzi[c] += v * delta[k + c];
    }
  }
  PetscFunctionReturn(0);
}

/* lse(s + ds) - lse(s) = log sum_c p_c exp(ds_c): through expm1/log1p for small ds (line searches near the
   optimum compare tiny changes with their models), else with the maximum shifted out. */
static PetscReal LseChange(PetscInt nc, const PetscReal s[], const PetscReal p[], const PetscReal ds[], PetscReal t, PetscReal *work)
{
  PetscReal mx = 0, e = 0;
  for (PetscInt c = 0; c < nc; c++) mx = PetscMax(mx, PetscAbsReal(t * ds[c]));
  if (mx <= 0.5) {
    for (PetscInt c = 0; c < nc; c++) e += p[c] * expm1(t * ds[c]);
    return log1p(e);
  }
  for (PetscInt c = 0; c < nc; c++) work[c] = s[c] + t * ds[c];
  return LogSumExp(nc, work) - LogSumExp(nc, s);
}

static PetscErrorCode SMTrial(SkuaBCD bcd, PetscReal t, const PetscReal delta[], PetscReal v[2])
{
  const PetscInt nc   = bcd->nc;
  PetscReal     *work = bcd->P + bcd->mloc * nc;

  PetscFunctionBegin;
  v[0] = v[1] = 0;
  for (PetscInt q = 0; q < bcd->ntouched; q++) {
    PetscInt  i  = bcd->touched[q];
    PetscReal a  = LseChange(nc, bcd->u + i * nc, bcd->P + i * nc, bcd->dz + i * nc, t, work);
    PetscReal ly = t * bcd->dz[i * nc + bcd->ylab[i]];
    v[0] += a - ly;
    v[1] += PetscAbsReal(a) + PetscAbsReal(ly);
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode SMCommit(SkuaBCD bcd, PetscReal t, PetscBool greedy)
{
  const PetscInt nc   = bcd->nc;
  PetscReal     *pnew = bcd->P + bcd->mloc * nc;

  PetscFunctionBegin;
  for (PetscInt q = 0; q < bcd->ntouched; q++) {
    PetscInt   i  = bcd->touched[q];
    PetscReal *si = bcd->u + i * nc, *pi = bcd->P + i * nc;
    for (PetscInt c = 0; c < nc; c++) si[c] += t * bcd->dz[i * nc + c];
    Softmax(nc, si, pnew);
    if (greedy) /* the gradient moves along the row's nonzeros, by the change of its probabilities */
      for (PetscInt p = bcd->rrp[i]; p < bcd->rrp[i + 1]; p++) {
        PetscReal *gj = bcd->gl + bcd->rci[p] * nc, v = bcd->rrv[p];
        for (PetscInt c = 0; c < nc; c++) gj[c] += v * (pnew[c] - pi[c]);
      }
    for (PetscInt c = 0; c < nc; c++) pi[c] = pnew[c];
  }
  PetscFunctionReturn(0);
}

/* Block Hessian: sum_i a_ij a_ik (diag(p_i) - p_i p_i^T)_{ce} at rows (j, c), columns (k, e). */
static PetscErrorCode SMHessian(SkuaBCD bcd, PetscReal H[])
{
  const PetscInt nc = bcd->nc, n = bcd->nblk, nf = n / nc;

  PetscFunctionBegin;
  PetscCall(PetscArrayzero(H, n * n));
  for (PetscInt a = 0; a < nf; a++) {
    PetscInt ja = bcd->blk[a * nc] / nc;
    for (PetscInt p = bcd->ccp[ja]; p < bcd->ccp[ja + 1]; p++) bcd->wv[bcd->cri[p]] = bcd->ccv[p];
    for (PetscInt a2 = a; a2 < nf; a2++) {
      PetscInt jb = bcd->blk[a2 * nc] / nc;
      for (PetscInt p = bcd->ccp[jb]; p < bcd->ccp[jb + 1]; p++) {
        PetscInt         i = bcd->cri[p];
        PetscReal        w = bcd->wv[i] * bcd->ccv[p];
        const PetscReal *P = bcd->P + i * nc;
        if (w == 0) continue;
        for (PetscInt c = 0; c < nc; c++) {
          PetscReal wc = w * P[c];
          for (PetscInt e = 0; e < nc; e++) {
            PetscReal h = wc * ((c == e ? 1.0 : 0.0) - P[e]);
            H[(a2 * nc + e) * n + a * nc + c] += h;
            if (a2 != a) H[(a * nc + c) * n + a2 * nc + e] += h;
          }
        }
      }
    }
    for (PetscInt p = bcd->ccp[ja]; p < bcd->ccp[ja + 1]; p++) bcd->wv[bcd->cri[p]] = 0;
  }
  PetscFunctionReturn(0);
}

static PetscReal SMObjective(SkuaBCD bcd)
{
  const PetscInt nc = bcd->nc;
  PetscReal      f  = 0;
  for (PetscInt i = 0; i < bcd->mloc; i++) f += LogSumExp(nc, bcd->u + i * nc) - bcd->u[i * nc + bcd->ylab[i]];
  return f;
}

const SkuaBCDLossKernels SkuaBCDSoftmaxKernels = {SMBlockGrad, SMFullGrad, SMDelta, SMTrial, SMCommit, SMHessian, SkuaBCDColumnBoundGram, SkuaBCDColumnBound, SMObjective};

/* Labels are the class numbers 0..C-1 (C = -bcd_classes, or the largest label + 1). */
PetscErrorCode SkuaBCDSoftmaxSetUp(SkuaBCD bcd)
{
  PetscInt bad = -1, ymax = 0;
  char     msg[SKUA_MSG_LEN] = "", num[32];

  PetscFunctionBegin;
  PetscCall(PetscMalloc1(bcd->mloc + 1, &bcd->ylab));
  for (PetscInt i = 0; i < bcd->mloc; i++) {
    PetscReal y = bcd->b[i];
    bcd->s[i]   = 1.0;
    bcd->o[i]   = 0.0;
    if (!(y >= 0 && y == PetscFloorReal(y) && y < PETSC_MAX_INT) || (bcd->classes > 0 && y >= bcd->classes)) {
      if (bad < 0) {
        bad = i;
        if (bcd->classes > 0) PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: label %s of row %" PetscInt_FMT " is not a class number 0..%" PetscInt_FMT " (-bcd_loss softmax with -bcd_classes %" PetscInt_FMT ")", bcd->source, SkuaBCDNum(num, (double)y), bcd->rstart + i, bcd->classes - 1, bcd->classes));
        else PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: label %s of row %" PetscInt_FMT " is not a class number; -bcd_loss softmax needs labels 0, 1, ..., C-1 (map 1..C labels to 0..C-1)", bcd->source, SkuaBCDNum(num, (double)y), bcd->rstart + i));
      }
      bcd->ylab[i] = 0;
      continue;
    }
    bcd->ylab[i] = (PetscInt)y;
    ymax         = PetscMax(ymax, bcd->ylab[i]);
  }
  PetscCall(SkuaCheckCollective(bcd->comm, bad >= 0 ? PETSC_TRUE : PETSC_FALSE, PETSC_ERR_USER_INPUT, msg));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &ymax, 1, MPIU_INT, MPI_MAX, bcd->comm));
  bcd->nc = bcd->classes > 0 ? bcd->classes : ymax + 1;
  PetscCheck(bcd->nc >= 2, bcd->comm, PETSC_ERR_USER_INPUT, "%s: -bcd_loss softmax needs at least 2 classes; every label is 0 (give -bcd_classes C if some classes have no rows)", bcd->source);
  /* P, then nc reals of work space */
  PetscCall(PetscMalloc1(bcd->mloc * bcd->nc + bcd->nc, &bcd->P));
  PetscFunctionReturn(0);
}
