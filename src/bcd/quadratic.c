/* BCD on the quadratic f(x) = 1/2 x^T A x - b^T x, A SPD (Nutini, Laradji, Schmidt, JMLR 2022, problems D and E):
   the maintained vector is z = Ax (this rank's rows), so grad_j f = z_j - b_j is read, not computed. */
#include "bcdimpl.h"

/* Row i of the local rows is coordinate rstart + i: local iff it lies in [rstart, rstart + mloc). */
static inline PetscInt LocalRow(SkuaBCD bcd, PetscInt j) { return (j >= bcd->rstart && j < bcd->rstart + bcd->mloc) ? j - bcd->rstart : -1; }

static PetscErrorCode QBlockGrad(SkuaBCD bcd)
{
  PetscFunctionBegin;
  for (PetscInt k = 0; k < bcd->nblk; k++) {
    PetscInt i = LocalRow(bcd, bcd->blk[k]);
    bcd->gb[k] = i >= 0 ? bcd->u[i] - bcd->b[i] : 0;
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode QFullGrad(SkuaBCD bcd)
{
  PetscFunctionBegin;
  PetscCall(PetscArrayzero(bcd->gl, bcd->d));
  for (PetscInt i = 0; i < bcd->mloc; i++) bcd->gl[bcd->rstart + i] = bcd->u[i] - bcd->b[i];
  PetscFunctionReturn(0);
}

/* f(x + t delta) - f(x) = t delta^T (Ax - b)_b + t^2/2 delta^T A_bb delta, both read off the block's own rows. */
static PetscErrorCode QTrial(SkuaBCD bcd, PetscReal t, const PetscReal delta[], PetscReal v[2])
{
  PetscFunctionBegin;
  v[0] = v[1] = 0;
  for (PetscInt k = 0; k < bcd->nblk; k++) {
    PetscInt  i = LocalRow(bcd, bcd->blk[k]);
    PetscReal a, q;
    if (i < 0) continue;
    a = t * delta[k] * (bcd->u[i] - bcd->b[i]);
    q = 0.5 * t * t * delta[k] * bcd->dz[i];
    v[0] += a + q;
    v[1] += PetscAbsReal(a) + PetscAbsReal(q) + PetscAbsReal(t * delta[k] * bcd->b[i]);
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode QCommit(SkuaBCD bcd, PetscReal t, PetscBool greedy)
{
  PetscFunctionBegin;
  for (PetscInt q = 0; q < bcd->ntouched; q++) {
    PetscInt i = bcd->touched[q];
    bcd->u[i] += t * bcd->dz[i];
    if (greedy) bcd->gl[bcd->rstart + i] += t * bcd->dz[i];
  }
  PetscFunctionReturn(0);
}

/* The local rows' part of A_ff (f sorted or not): row f[a] if local, its entries in the columns of f. */
static PetscErrorCode QBlockMatrix(SkuaBCD bcd, PetscInt n, const PetscInt f[], PetscReal G[])
{
  PetscFunctionBegin;
  PetscCall(PetscArrayzero(G, n * n));
  for (PetscInt a = 0; a < n; a++) bcd->bpos[f[a]] = a;
  for (PetscInt a = 0; a < n; a++) {
    PetscInt i = LocalRow(bcd, f[a]);
    if (i < 0) continue;
    for (PetscInt p = bcd->rrp[i]; p < bcd->rrp[i + 1]; p++) {
      PetscInt c = bcd->bpos[bcd->rci[p]];
      if (c >= 0) G[c * n + a] = bcd->rrv[p];
    }
  }
  for (PetscInt a = 0; a < n; a++) bcd->bpos[f[a]] = -1;
  PetscFunctionReturn(0);
}

static PetscErrorCode QHessian(SkuaBCD bcd, PetscReal H[]) { return QBlockMatrix(bcd, bcd->nblk, bcd->blk, H); }

static PetscErrorCode QCoordBound(SkuaBCD bcd, PetscReal Lf[])
{
  PetscFunctionBegin;
  for (PetscInt i = 0; i < bcd->mloc; i++)
    for (PetscInt p = bcd->rrp[i]; p < bcd->rrp[i + 1]; p++)
      if (bcd->rci[p] == bcd->rstart + i) Lf[bcd->rstart + i] = bcd->rrv[p];
  PetscFunctionReturn(0);
}

static PetscReal QObjective(SkuaBCD bcd)
{
  PetscReal f = 0;
  for (PetscInt i = 0; i < bcd->mloc; i++) {
    PetscReal xi = bcd->x[bcd->rstart + i];
    f += xi * (0.5 * bcd->u[i] - bcd->b[i]);
  }
  return f;
}

/* dz = A_b delta: the row-sum losses' column kernel (A is symmetric, so its local CSC copy holds column j = row j). */
const SkuaBCDLossKernels SkuaBCDQuadraticKernels = {QBlockGrad, QFullGrad, SkuaBCDColumnDelta, QTrial, QCommit, QHessian, QBlockMatrix, QCoordBound, QObjective};

/* A must be square, with a positive diagonal (necessary for SPD) and symmetric. Symmetry is tested as
   w^T (A v) = v^T (A w) for two fixed pseudo-random vectors: two local products and one reduction, and a
   nonsymmetric A fails it with probability one. Definiteness shows later: a block that does not factor. */
PetscErrorCode SkuaBCDQuadraticSetUp(SkuaBCD bcd)
{
  PetscInt  bad = -1;
  PetscReal v[3] = {0, 0, 0};
  char      msg[SKUA_MSG_LEN] = "", num[32];

  PetscFunctionBegin;
  PetscCheck(bcd->m == bcd->d, bcd->comm, PETSC_ERR_ARG_SIZ, "%s: -bcd_loss quadratic (f = 1/2 x^T A x - b^T x) needs a square, symmetric positive definite A; this A is %" PetscInt_FMT " x %" PetscInt_FMT, bcd->source, bcd->m, bcd->d);
  PetscCall(PetscMalloc1(bcd->d, &bcd->bpos));
  for (PetscInt j = 0; j < bcd->d; j++) bcd->bpos[j] = -1;
  for (PetscInt i = 0; i < bcd->mloc; i++) {
    PetscReal dii = 0, av = 0, aw = 0;
    PetscInt  gi  = bcd->rstart + i;
    bcd->s[i]     = 1.0;
    bcd->o[i]     = 0.0;
    for (PetscInt p = bcd->rrp[i]; p < bcd->rrp[i + 1]; p++) {
      PetscInt j = bcd->rci[p];
      if (j == gi) dii = bcd->rrv[p];
      av += bcd->rrv[p] * (SkuaBCDRandomUniform(7, 900, (uint64_t)j) - 0.5);
      aw += bcd->rrv[p] * (SkuaBCDRandomUniform(7, 901, (uint64_t)j) - 0.5);
      v[2] += bcd->rrv[p] * bcd->rrv[p];
    }
    if (!(dii > 0) && bad < 0) {
      bad = gi;
      PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: -bcd_loss quadratic needs A symmetric positive definite, but A[%" PetscInt_FMT "][%" PetscInt_FMT "] = %s is not positive", bcd->source, gi, gi, SkuaBCDNum(num, (double)dii)));
    }
    v[0] += (SkuaBCDRandomUniform(7, 901, (uint64_t)gi) - 0.5) * av; /* w^T A v */
    v[1] += (SkuaBCDRandomUniform(7, 900, (uint64_t)gi) - 0.5) * aw; /* v^T A w */
  }
  PetscCall(SkuaCheckCollective(bcd->comm, bad >= 0 ? PETSC_TRUE : PETSC_FALSE, PETSC_ERR_USER_INPUT, msg));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, v, 3, MPIU_REAL, MPIU_SUM, bcd->comm));
  /* |w^T A v| <= |A|_F |v| |w| with |v|, |w| <= sqrt(d)/2 */
  PetscCheck(PetscAbsReal(v[0] - v[1]) <= 1e-10 * PetscSqrtReal(v[2]) * 0.25 * bcd->d, bcd->comm, PETSC_ERR_USER_INPUT, "%s: -bcd_loss quadratic needs A symmetric positive definite, but A is not symmetric (w^T A v = %g, v^T A w = %g for two test vectors)", bcd->source, (double)v[0], (double)v[1]);
  PetscFunctionReturn(0);
}
