/* BCD losses as sums of phi(u_i) over rows and their kernels (Nutini, Laradji, Schmidt, JMLR 2022, problems A and B). */
#include "bcdimpl.h"

/* ---------------- row-sum kernels: f = sum_i phi(u_i), u = s o (Ax) + o ---------------- */

/* Gradient weight dF/dz_i of local row i. */
static inline PetscReal RowWeight(SkuaBCD bcd, PetscInt i) { return bcd->s[i] * bcd->lops->dphi(bcd->u[i]); }

/* A local sparse product over the block's columns (the caller reduces |b| numbers). */
static PetscErrorCode RSBlockGrad(SkuaBCD bcd)
{
  PetscFunctionBegin;
  for (PetscInt k = 0; k < bcd->nblk; k++) {
    PetscInt  j = bcd->blk[k];
    PetscReal a = 0;
    for (PetscInt p = bcd->ccp[j]; p < bcd->ccp[j + 1]; p++) a += bcd->ccv[p] * RowWeight(bcd, bcd->cri[p]);
    bcd->gb[k] = a;
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode RSFullGrad(SkuaBCD bcd)
{
  PetscFunctionBegin;
  for (PetscInt j = 0; j < bcd->d; j++) {
    PetscReal a = 0;
    for (PetscInt p = bcd->ccp[j]; p < bcd->ccp[j + 1]; p++) a += bcd->ccv[p] * RowWeight(bcd, bcd->cri[p]);
    bcd->gl[j] = a;
  }
  PetscFunctionReturn(0);
}

/* dz = A_b delta on the local rows through the local CSC copy, marking the touched rows (also the quadratic's kernel). */
PetscErrorCode SkuaBCDColumnDelta(SkuaBCD bcd, const PetscReal delta[])
{
  PetscFunctionBegin;
  for (PetscInt k = 0; k < bcd->nblk; k++) {
    PetscInt j = bcd->blk[k];
    if (delta[k] == 0) continue;
    for (PetscInt p = bcd->ccp[j]; p < bcd->ccp[j + 1]; p++) {
      PetscInt i = bcd->cri[p];
      if (!bcd->mark[i]) {
        bcd->mark[i]                  = 1;
        bcd->touched[bcd->ntouched++] = i;
      }
      bcd->dz[i] += bcd->ccv[p] * delta[k];
    }
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode RSTrial(SkuaBCD bcd, PetscReal t, const PetscReal delta[], PetscReal v[2])
{
  PetscFunctionBegin;
  v[0] = v[1] = 0;
  for (PetscInt q = 0; q < bcd->ntouched; q++) {
    PetscInt  i  = bcd->touched[q];
    PetscReal dv = bcd->lops->dphi_diff(bcd->u[i], t * bcd->s[i] * bcd->dz[i]);
    v[0] += dv;
    v[1] += PetscAbsReal(dv);
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode RSCommit(SkuaBCD bcd, PetscReal t, PetscBool greedy)
{
  PetscFunctionBegin;
  for (PetscInt q = 0; q < bcd->ntouched; q++) {
    PetscInt  i  = bcd->touched[q];
    PetscReal un = bcd->u[i] + t * bcd->s[i] * bcd->dz[i];
    if (greedy) { /* the gradient moves along the rows whose weight changed: cost nnz of those rows */
      PetscReal dw = bcd->s[i] * (bcd->lops->dphi(un) - bcd->lops->dphi(bcd->u[i]));
      for (PetscInt p = bcd->rrp[i]; p < bcd->rrp[i + 1]; p++) bcd->gl[bcd->rci[p]] += dw * bcd->rrv[p];
    }
    bcd->u[i] = un;
  }
  PetscFunctionReturn(0);
}

/* Local part of A_idx^T C A_idx, C = diag(phi'') or its bound c, through one dense scatter per column. */
static PetscErrorCode ColumnGram(SkuaBCD bcd, PetscInt n, const PetscInt idx[], PetscBool bound, PetscReal G[])
{
  PetscFunctionBegin;
  for (PetscInt a = 0; a < n; a++) {
    PetscInt ja = idx[a];
    for (PetscInt p = bcd->ccp[ja]; p < bcd->ccp[ja + 1]; p++) {
      PetscInt i = bcd->cri[p];
      bcd->wv[i] = bcd->ccv[p] * (bound ? bcd->lops->curvature_bound : bcd->lops->d2phi(bcd->u[i]));
    }
    for (PetscInt c = a; c < n; c++) {
      PetscInt  jc = idx[c];
      PetscReal v  = 0;
      for (PetscInt p = bcd->ccp[jc]; p < bcd->ccp[jc + 1]; p++) v += bcd->ccv[p] * bcd->wv[bcd->cri[p]];
      G[a * n + c] = G[c * n + a] = v;
    }
    for (PetscInt p = bcd->ccp[ja]; p < bcd->ccp[ja + 1]; p++) bcd->wv[bcd->cri[p]] = 0;
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode RSHessian(SkuaBCD bcd, PetscReal H[]) { return ColumnGram(bcd, bcd->nblk, bcd->blk, PETSC_FALSE, H); }

/* c A_f^T A_f: the curvature bound of every loss of the form sum_i phi_i(a_i^T X) (softmax included). */
PetscErrorCode SkuaBCDColumnBoundGram(SkuaBCD bcd, PetscInt nf, const PetscInt f[], PetscReal G[]) { return ColumnGram(bcd, nf, f, PETSC_TRUE, G); }

PetscErrorCode SkuaBCDColumnBound(SkuaBCD bcd, PetscReal Lf[])
{
  PetscFunctionBegin;
  for (PetscInt j = 0; j < bcd->d; j++) {
    PetscReal a = 0;
    for (PetscInt p = bcd->ccp[j]; p < bcd->ccp[j + 1]; p++) a += bcd->ccv[p] * bcd->ccv[p];
    Lf[j] = bcd->lops->curvature_bound * a;
  }
  PetscFunctionReturn(0);
}

static PetscReal RSObjective(SkuaBCD bcd)
{
  PetscReal f = 0;
  for (PetscInt i = 0; i < bcd->mloc; i++) f += bcd->lops->phi(bcd->u[i]);
  return f;
}

const SkuaBCDLossKernels SkuaBCDRowSumKernels = {RSBlockGrad, RSFullGrad, SkuaBCDColumnDelta, RSTrial, RSCommit, RSHessian, SkuaBCDColumnBoundGram, SkuaBCDColumnBound, RSObjective};

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


static PetscErrorCode PmOneLabelSetUp(SkuaBCD bcd)
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
  if (bad >= 0) PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: label %s of row %" PetscInt_FMT " is not -1 or +1; -bcd_loss %s needs labels in {-1, +1} (map 0/1 labels to -1/+1)", bcd->source, SkuaBCDNum(num, (double)bcd->b[bad]), bcd->rstart + bad, SkuaBCDLossTypes[bcd->loss]));
  PetscCall(SkuaCheckCollective(bcd->comm, bad >= 0 ? PETSC_TRUE : PETSC_FALSE, PETSC_ERR_USER_INPUT, msg));
  PetscFunctionReturn(0);
}

/* Squared hinge (L2-loss SVM, LIBLINEAR -s 2 with C = 1/l2): u = b o Ax, phi(u) = max(0, 1 - u)^2. phi is C^1 with
   a piecewise constant phi'' (2 where u < 1, else 0), its generalized Hessian: Newton steps are semismooth Newton
   steps and the line searches keep F decreasing. */
static PetscReal ShPhi(PetscReal u) { return u < 1 ? (1 - u) * (1 - u) : 0.0; }
static PetscReal ShDPhi(PetscReal u) { return u < 1 ? -2 * (1 - u) : 0.0; }
static PetscReal ShD2Phi(PetscReal u) { return u < 1 ? 2.0 : 0.0; }
static PetscReal ShDiff(PetscReal u, PetscReal du)
{
  PetscReal a = PetscMax(0.0, 1 - u - du), c = PetscMax(0.0, 1 - u);
  return (a - c) * (a + c);
}

static const SkuaBCDLossOps SquaredOps   = {"squared", 1.0, SqSetUp, SqPhi, SqDPhi, SqD2Phi, SqDiff, &SkuaBCDRowSumKernels, PETSC_TRUE, PETSC_FALSE};
static const SkuaBCDLossOps LogisticOps  = {"logistic", 0.25, PmOneLabelSetUp, SkuaLgPhi, SkuaLgDPhi, SkuaLgD2Phi, SkuaLgDiff, &SkuaBCDRowSumKernels, PETSC_FALSE, PETSC_FALSE};
static const SkuaBCDLossOps SqHingeOps   = {"sqhinge", 2.0, PmOneLabelSetUp, ShPhi, ShDPhi, ShD2Phi, ShDiff, &SkuaBCDRowSumKernels, PETSC_FALSE, PETSC_TRUE};
static const SkuaBCDLossOps QuadraticOps = {"quadratic", 1.0, SkuaBCDQuadraticSetUp, NULL, NULL, NULL, NULL, &SkuaBCDQuadraticKernels, PETSC_TRUE, PETSC_FALSE};
/* sup of the softmax Hessian in the scores, diag(p) - p p^T <= 1/2 I: L_b <= 1/2 |A_b|^2 */
static const SkuaBCDLossOps SoftmaxOps   = {"softmax", 0.5, SkuaBCDSoftmaxSetUp, NULL, NULL, NULL, NULL, &SkuaBCDSoftmaxKernels, PETSC_FALSE, PETSC_FALSE};

PetscErrorCode SkuaBCDGetLossOps(SkuaBCDLossType t, const SkuaBCDLossOps **ops)
{
  PetscFunctionBegin;
  switch (t) {
  case SKUA_BCD_LOSS_SQUARED: *ops = &SquaredOps; break;
  case SKUA_BCD_LOSS_LOGISTIC: *ops = &LogisticOps; break;
  case SKUA_BCD_LOSS_QUADRATIC: *ops = &QuadraticOps; break;
  case SKUA_BCD_LOSS_SOFTMAX: *ops = &SoftmaxOps; break;
  case SKUA_BCD_LOSS_SQHINGE: *ops = &SqHingeOps; break;
  default: SETERRQ(PETSC_COMM_WORLD, PETSC_ERR_ARG_OUTOFRANGE, "-bcd_loss: unknown loss %d", (int)t);
  }
  PetscFunctionReturn(0);
}
