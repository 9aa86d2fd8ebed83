/* Constrained logistic regression (the machine-learning problem of Hong, Na, Mahoney, Kolar, ICML 2023):
   min (1/N) sum_i log(1 + exp(-y_i z_i^T w))  s.t.  A w = b (10 rows),  |w|^2 = 1,
   on a data set generated from a seed (z_i ~ N(0, I), y_i = sign(z_i^T w_true + 0.5 noise), A ~ N(0, 1),
   b = A w_feas with |w_feas| = 1 so the constraints are consistent). Replicated: every entry on rank 0. */
#include "constrainedimpl.h"
#include <math.h>

typedef struct {
  PetscInt    d, N, mA, seed;
  PetscMPIInt rank;
  PetscReal  *Z, *y, *A, *b; /* N x d, N, mA x d, mA (row-major), rank 0 only */
  Vec         cvec;
  Mat         J, H;
} LogisticCtx;

static PetscReal Gauss(PetscInt seed, PetscInt stream, PetscInt i)
{
  uint64_t  h  = SkuaConstrainedKey(seed, stream, i);
  PetscReal u1 = SkuaConstrainedUniform(h), u2 = SkuaConstrainedUniform(SkuaConstrainedMix(h));
  return PetscSqrtReal(-2.0 * PetscLogReal(u1)) * PetscCosReal(2.0 * PETSC_PI * u2);
}

/* log(1 + exp(t)) and its derivative without overflow */
static inline PetscReal Softplus(PetscReal t)
{
  return t > 0 ? t + log1p(PetscExpReal(-t)) : log1p(PetscExpReal(t));
}
static inline PetscReal Sigmoid(PetscReal t)
{
  return t >= 0 ? 1 / (1 + PetscExpReal(-t)) : PetscExpReal(t) / (1 + PetscExpReal(t));
}

static PetscErrorCode LogObjective(SkuaConstrained C, Vec x, PetscReal *f, Vec g, void *ctx)
{
  LogisticCtx *L = (LogisticCtx *)ctx;
  PetscReal    fv = 0;

  PetscFunctionBegin;
  if (!L->rank) {
    const PetscScalar *w;
    PetscScalar       *ga = NULL;
    PetscCall(VecGetArrayRead(x, &w));
    if (g) {
      PetscCall(VecGetArrayWrite(g, &ga));
      for (PetscInt j = 0; j < L->d; j++) ga[j] = 0;
    }
    for (PetscInt i = 0; i < L->N; i++) {
      PetscReal t = 0;
      for (PetscInt j = 0; j < L->d; j++) t += L->Z[i * L->d + j] * PetscRealPart(w[j]);
      t = -L->y[i] * t;
      fv += Softplus(t) / L->N;
      if (g) {
        PetscReal s = -L->y[i] * Sigmoid(t) / L->N;
        for (PetscInt j = 0; j < L->d; j++) ga[j] += s * L->Z[i * L->d + j];
      }
    }
    if (g) PetscCall(VecRestoreArrayWrite(g, &ga));
    PetscCall(VecRestoreArrayRead(x, &w));
  }
  PetscCallMPI(MPI_Bcast(&fv, 1, MPIU_REAL, 0, PetscObjectComm((PetscObject)x)));
  *f = fv;
  PetscFunctionReturn(0);
}

static PetscErrorCode LogConstraints(SkuaConstrained C, Vec x, Vec cv, Mat J, void *ctx)
{
  LogisticCtx *L = (LogisticCtx *)ctx;

  PetscFunctionBegin;
  if (!L->rank) {
    const PetscScalar *w;
    PetscScalar       *ca;
    PetscReal          s = 0;
    PetscCall(VecGetArrayRead(x, &w));
    PetscCall(VecGetArrayWrite(cv, &ca));
    for (PetscInt r = 0; r < L->mA; r++) {
      PetscReal v = -L->b[r];
      for (PetscInt j = 0; j < L->d; j++) v += L->A[r * L->d + j] * PetscRealPart(w[j]);
      ca[r] = v;
    }
    for (PetscInt j = 0; j < L->d; j++) s += PetscRealPart(w[j] * w[j]);
    ca[L->mA] = s - 1;
    if (J) {
      for (PetscInt r = 0; r < L->mA; r++)
        for (PetscInt j = 0; j < L->d; j++) PetscCall(MatSetValue(J, r, j, L->A[r * L->d + j], INSERT_VALUES));
      for (PetscInt j = 0; j < L->d; j++) PetscCall(MatSetValue(J, L->mA, j, 2 * w[j], INSERT_VALUES));
    }
    PetscCall(VecRestoreArrayWrite(cv, &ca));
    PetscCall(VecRestoreArrayRead(x, &w));
  }
  if (J) {
    PetscCall(MatAssemblyBegin(J, MAT_FINAL_ASSEMBLY));
    PetscCall(MatAssemblyEnd(J, MAT_FINAL_ASSEMBLY));
  }
  PetscFunctionReturn(0);
}

/* (1/N) sum sigma (1 - sigma) z z^T + 2 lambda_sphere I */
static PetscErrorCode LogHessian(SkuaConstrained C, Vec x, Vec lam, Mat H, void *ctx)
{
  LogisticCtx *L = (LogisticCtx *)ctx;

  PetscFunctionBegin;
  if (!L->rank) {
    const PetscScalar *w, *la;
    PetscReal         *Hd;
    PetscCall(PetscCalloc1((size_t)L->d * L->d, &Hd));
    PetscCall(VecGetArrayRead(x, &w));
    PetscCall(VecGetArrayRead(lam, &la));
    for (PetscInt i = 0; i < L->N; i++) {
      PetscReal t = 0, s;
      for (PetscInt j = 0; j < L->d; j++) t += L->Z[i * L->d + j] * PetscRealPart(w[j]);
      s = Sigmoid(-L->y[i] * t);
      s = s * (1 - s) / L->N;
      for (PetscInt j = 0; j < L->d; j++)
        for (PetscInt k = 0; k < L->d; k++) Hd[j * L->d + k] += s * L->Z[i * L->d + j] * L->Z[i * L->d + k];
    }
    for (PetscInt j = 0; j < L->d; j++) Hd[j * L->d + j] += 2 * PetscRealPart(la[L->mA]);
    for (PetscInt j = 0; j < L->d; j++)
      for (PetscInt k = 0; k < L->d; k++) PetscCall(MatSetValue(H, j, k, Hd[j * L->d + k], INSERT_VALUES));
    PetscCall(VecRestoreArrayRead(lam, &la));
    PetscCall(VecRestoreArrayRead(x, &w));
    PetscCall(PetscFree(Hd));
  }
  PetscCall(MatAssemblyBegin(H, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(H, MAT_FINAL_ASSEMBLY));
  PetscFunctionReturn(0);
}

static PetscErrorCode LogSetUp(SkuaConstrainedProblem P, SkuaConstrained C, Vec *x0, Vec *l0)
{
  LogisticCtx *L = (LogisticCtx *)P->data;
  PetscInt     d = L->d, m = L->mA + 1;

  PetscFunctionBegin;
  if (!L->J) {
    PetscCall(VecCreateMPI(P->comm, L->rank ? 0 : m, m, &L->cvec));
    PetscCall(MatCreateAIJ(P->comm, L->rank ? 0 : m, L->rank ? 0 : d, m, d, d, NULL, 0, NULL, &L->J));
    PetscCall(MatCreateAIJ(P->comm, L->rank ? 0 : d, L->rank ? 0 : d, d, d, d, NULL, 0, NULL, &L->H));
  }
  PetscCall(VecCreateMPI(P->comm, L->rank ? 0 : d, d, x0));
  PetscCall(VecDuplicate(L->cvec, l0));
  PetscCall(VecSet(*x0, 1.0 / PetscSqrtReal((PetscReal)d)));
  PetscCall(VecSet(*l0, 0.0));
  PetscCall(SkuaConstrainedSetObjective(C, LogObjective, L));
  PetscCall(SkuaConstrainedSetConstraints(C, L->cvec, L->J, LogConstraints, L));
  PetscCall(SkuaConstrainedSetHessian(C, L->H, LogHessian, L));
  PetscFunctionReturn(0);
}

/* The generated data set, for independent checks: /data/Z (N x d), /data/y, /data/A (10 x d), /data/b. */
static PetscErrorCode LogWrite(SkuaConstrainedProblem P, SkuaH5Writer w)
{
  LogisticCtx *L = (LogisticCtx *)P->data;
  PetscInt     dz[2] = {L->N, L->d}, dy[1] = {L->N}, dA[2] = {L->mA, L->d}, db[1] = {L->mA};

  PetscFunctionBegin;
  PetscCall(SkuaH5WriterWriteDataset(w, "data/Z", 2, dz, L->Z));
  PetscCall(SkuaH5WriterWriteDataset(w, "data/y", 1, dy, L->y));
  PetscCall(SkuaH5WriterWriteDataset(w, "data/A", 2, dA, L->A));
  PetscCall(SkuaH5WriterWriteDataset(w, "data/b", 1, db, L->b));
  PetscFunctionReturn(0);
}

static PetscErrorCode LogDestroy(SkuaConstrainedProblem P)
{
  LogisticCtx *L = (LogisticCtx *)P->data;

  PetscFunctionBegin;
  PetscCall(PetscFree4(L->Z, L->y, L->A, L->b));
  PetscCall(VecDestroy(&L->cvec));
  PetscCall(MatDestroy(&L->J));
  PetscCall(MatDestroy(&L->H));
  PetscCall(PetscFree(L));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaConstrainedProblemCreate_Logistic(SkuaConstrainedProblem P)
{
  LogisticCtx *L;
  PetscInt     d = 20, N = 200, seed = 1;

  PetscFunctionBegin;
  PetscOptionsBegin(P->comm, NULL, "Constrained logistic regression (-problem logistic)", NULL);
  PetscCall(PetscOptionsInt("-logistic_n", "Number of features d (variables)", NULL, d, &d, NULL));
  PetscCall(PetscOptionsInt("-logistic_samples", "Number of samples N", NULL, N, &N, NULL));
  PetscCall(PetscOptionsInt("-logistic_seed", "Seed of the generated data set", NULL, seed, &seed, NULL));
  PetscOptionsEnd();
  PetscCheck(d > 11 && N >= 1, P->comm, PETSC_ERR_USER_INPUT, "-logistic_n %" PetscInt_FMT " must exceed the 11 constraints and -logistic_samples %" PetscInt_FMT " be positive", d, N);
  PetscCall(PetscNew(&L));
  L->d    = d;
  L->N    = N;
  L->mA   = 10;
  L->seed = seed;
  PetscCallMPI(MPI_Comm_rank(P->comm, &L->rank));
  PetscCall(PetscMalloc4(N * d, &L->Z, N, &L->y, L->mA * d, &L->A, L->mA, &L->b));
  {
    PetscReal *wt, *wf, nt = 0, nf = 0;
    PetscCall(PetscMalloc2(d, &wt, d, &wf));
    for (PetscInt j = 0; j < d; j++) {
      wt[j] = Gauss(seed, 1, j);
      wf[j] = Gauss(seed, 2, j);
      nt += wt[j] * wt[j];
      nf += wf[j] * wf[j];
    }
    for (PetscInt j = 0; j < d; j++) wf[j] /= PetscSqrtReal(nf);
    for (PetscInt i = 0; i < N; i++) {
      PetscReal t = 0;
      for (PetscInt j = 0; j < d; j++) {
        L->Z[i * d + j] = Gauss(seed, 3, i * d + j);
        t += L->Z[i * d + j] * wt[j] / PetscSqrtReal(nt);
      }
      L->y[i] = (t + 0.5 * Gauss(seed, 4, i) >= 0) ? 1.0 : -1.0;
    }
    for (PetscInt r = 0; r < L->mA; r++) {
      L->b[r] = 0;
      for (PetscInt j = 0; j < d; j++) {
        L->A[r * d + j] = Gauss(seed, 5, r * d + j);
        L->b[r] += L->A[r * d + j] * wf[j];
      }
    }
    PetscCall(PetscFree2(wt, wf));
  }
  P->data        = L;
  P->n           = d;
  P->m           = L->mA + 1;
  P->ops.setup   = LogSetUp;
  P->ops.destroy = LogDestroy;
  P->ops.write   = LogWrite;
  PetscFunctionReturn(0);
}
