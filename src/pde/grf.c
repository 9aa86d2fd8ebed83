/* Gaussian random fields by sine (DST-I) series, the FNO/SKR convention (Li et al., ICLR 2021; Wang et al., SKR). */
#include "pdeimpl.h"
#include <fftw3.h>

PetscErrorCode SkuaGRFParamsDefault(SkuaGRFParams *p)
{
  PetscFunctionBegin;
  PetscValidPointer(p, 1);
  p->alpha = 2.5;
  p->tau   = 7.0;
  p->sigma = 0.0;
  PetscFunctionReturn(0);
}

static PetscErrorCode SkuaGRFCheckParams(const SkuaGRFParams *p)
{
  PetscFunctionBegin;
  PetscCheck(p->alpha > 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "GRF exponent alpha = %g must be > 0 (option -grf_alpha, default 2.5)", (double)p->alpha);
  PetscCheck(p->tau >= 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "GRF inverse length tau = %g must be >= 0 (option -grf_tau, default 7)", (double)p->tau);
  PetscCheck(!PetscIsInfOrNanReal(p->alpha) && !PetscIsInfOrNanReal(p->tau) && !PetscIsInfOrNanReal(p->sigma), PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "GRF parameters must be finite (options -grf_alpha, -grf_tau, -grf_sigma)");
  PetscFunctionReturn(0);
}

/* tau^(alpha - d/2) keeps the pointwise variance independent of tau (FNO's GaussianRF); tau^(alpha-1) in 2-D. */
PetscReal SkuaGRFDefaultSigma(const SkuaGRFParams *p, PetscInt dim)
{
  return PetscPowReal(p->tau, p->alpha - (dim == 3 ? 1.5 : 1.0));
}

static inline PetscReal SkuaGRFSigma(const SkuaGRFParams *p)
{
  return p->sigma > 0 ? p->sigma : SkuaGRFDefaultSigma(p, 2);
}

static inline PetscReal SkuaGRFSigma3d(const SkuaGRFParams *p)
{
  return p->sigma > 0 ? p->sigma : SkuaGRFDefaultSigma(p, 3);
}

PetscErrorCode SkuaGRFEigenvalue(const SkuaGRFParams *p, PetscInt k, PetscInt l, PetscReal *lambda)
{
  const PetscReal s = SkuaGRFSigma(p);

  PetscFunctionBegin;
  PetscCall(SkuaGRFCheckParams(p));
  *lambda = s * s * PetscPowReal(PETSC_PI * PETSC_PI * (PetscReal)(k * k + l * l) + p->tau * p->tau, -p->alpha);
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaGRFSample(PetscInt n, const SkuaGRFParams *p, uint64_t seed, uint64_t sample, PetscInt field_id, PetscReal *G)
{
  const PetscReal s = SkuaGRFSigma(p), pi2 = PETSC_PI * PETSC_PI;
  double         *buf, *xi;
  fftw_plan       plan;

  PetscFunctionBegin;
  PetscCheck(n >= 1, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "GRF grid size n = %" PetscInt_FMT " must be >= 1 (option -pde_n)", n);
  PetscCheck(field_id >= 0 && field_id < 65536, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "GRF field id %" PetscInt_FMT " must be in [0, 65535]", field_id);
  PetscCheck(sample < ((uint64_t)1 << 48), PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "GRF sample index must be < 2^48");
  PetscValidRealPointer(G, 7);
  PetscCall(SkuaGRFCheckParams(p));
  PetscCall(SkuaPDEInitializePackage());
  PetscCall(PetscLogEventBegin(SKUAPDE_GRF, 0, 0, 0, 0));
  /* fftw_malloc fixes the alignment, so the planner picks the same codelets on every call and every rank. */
  buf = (double *)fftw_malloc(sizeof(double) * (size_t)n * (size_t)n);
  PetscCheck(buf, PETSC_COMM_SELF, PETSC_ERR_MEM, "fftw_malloc failed for a %" PetscInt_FMT " x %" PetscInt_FMT " GRF", n, n);
  PetscCall(PetscMalloc1(n * n, &xi));
  PetscCall(SkuaRNGNormals(seed, SkuaRNGStreamId(sample, field_id), n * n, xi));
  for (PetscInt l = 1; l <= n; l++) {
    for (PetscInt k = 1; k <= n; k++) {
      const PetscReal lam = s * s * PetscPowReal(pi2 * (PetscReal)(k * k + l * l) + p->tau * p->tau, -p->alpha);
      buf[(l - 1) * n + (k - 1)] = PetscSqrtReal(lam) * xi[(l - 1) * n + (k - 1)];
    }
  }
  PetscCall(PetscFree(xi));
  /* RODFT00 along both axes: out[j][i] = 4 sum_{l,k} c[l][k] sin(pi l (j+1)/(n+1)) sin(pi k (i+1)/(n+1)); phi = 2 sin sin, so G = out/2. */
  plan = fftw_plan_r2r_2d((int)n, (int)n, buf, buf, FFTW_RODFT00, FFTW_RODFT00, FFTW_ESTIMATE);
  PetscCheck(plan, PETSC_COMM_SELF, PETSC_ERR_LIB, "FFTW could not plan a %" PetscInt_FMT " x %" PetscInt_FMT " RODFT00 transform", n, n);
  fftw_execute(plan);
  fftw_destroy_plan(plan);
  for (PetscInt m = 0; m < n * n; m++) G[m] = 0.5 * buf[m];
  fftw_free(buf);
  PetscCall(PetscLogFlops(5.0 * n * n * PetscLogReal((PetscReal)n + 1) / PetscLogReal(2.0)));
  PetscCall(PetscLogEventEnd(SKUAPDE_GRF, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaGRFEigenvalue3d(const SkuaGRFParams *p, PetscInt a, PetscInt b, PetscInt c, PetscReal *lambda)
{
  const PetscReal s = SkuaGRFSigma3d(p);

  PetscFunctionBegin;
  PetscCall(SkuaGRFCheckParams(p));
  *lambda = s * s * PetscPowReal(PETSC_PI * PETSC_PI * (PetscReal)(a * a + b * b + c * c) + p->tau * p->tau, -p->alpha);
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaGRFSample3d(PetscInt n, const SkuaGRFParams *p, uint64_t seed, uint64_t sample, PetscInt field_id, PetscReal *G)
{
  const PetscReal s = SkuaGRFSigma3d(p), pi2 = PETSC_PI * PETSC_PI;
  const size_t    nn = (size_t)n * (size_t)n * (size_t)n;
  double         *buf, *xi;
  fftw_plan       plan;

  PetscFunctionBegin;
  PetscCheck(n >= 1 && n <= 1290, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "3-D GRF grid size n = %" PetscInt_FMT " must be in [1, 1290] (option -pde_n)", n);
  PetscCheck(field_id >= 0 && field_id < 65536, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "GRF field id %" PetscInt_FMT " must be in [0, 65535]", field_id);
  PetscCheck(sample < ((uint64_t)1 << 48), PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "GRF sample index must be < 2^48");
  PetscValidRealPointer(G, 7);
  PetscCall(SkuaGRFCheckParams(p));
  PetscCall(SkuaPDEInitializePackage());
  PetscCall(PetscLogEventBegin(SKUAPDE_GRF, 0, 0, 0, 0));
  buf = (double *)fftw_malloc(sizeof(double) * nn);
  PetscCheck(buf, PETSC_COMM_SELF, PETSC_ERR_MEM, "fftw_malloc failed for a %" PetscInt_FMT "^3 GRF", n);
  PetscCall(PetscMalloc1(nn, &xi));
  PetscCall(SkuaRNGNormals(seed, SkuaRNGStreamId(sample, field_id), (PetscInt)nn, xi));
  for (PetscInt c = 1; c <= n; c++) {
    for (PetscInt b = 1; b <= n; b++) {
      for (PetscInt a = 1; a <= n; a++) {
        const size_t    m   = ((size_t)(c - 1) * n + (b - 1)) * n + (a - 1);
        const PetscReal lam = s * s * PetscPowReal(pi2 * (PetscReal)(a * a + b * b + c * c) + p->tau * p->tau, -p->alpha);
        buf[m]              = PetscSqrtReal(lam) * xi[m];
      }
    }
  }
  PetscCall(PetscFree(xi));
  /* RODFT00 along all three axes: out = 8 sum c sin sin sin; phi = 2^(3/2) sin sin sin, so G = out 2^(3/2)/8 = out/(2 sqrt 2). */
  plan = fftw_plan_r2r_3d((int)n, (int)n, (int)n, buf, buf, FFTW_RODFT00, FFTW_RODFT00, FFTW_RODFT00, FFTW_ESTIMATE);
  PetscCheck(plan, PETSC_COMM_SELF, PETSC_ERR_LIB, "FFTW could not plan a %" PetscInt_FMT "^3 RODFT00 transform", n);
  fftw_execute(plan);
  fftw_destroy_plan(plan);
  for (size_t m = 0; m < nn; m++) G[m] = buf[m] / (2.0 * PETSC_SQRT2);
  fftw_free(buf);
  PetscCall(PetscLogFlops(7.5 * (PetscLogDouble)nn * PetscLogReal((PetscReal)n + 1) / PetscLogReal(2.0)));
  PetscCall(PetscLogEventEnd(SKUAPDE_GRF, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaPDESampleGRF(SkuaPDE pde, PetscInt sample, PetscInt field_id, PetscReal *G)
{
  PetscFunctionBegin;
  if (pde->dim == 3) PetscCall(SkuaGRFSample3d(pde->n, &pde->grf, pde->seed, (uint64_t)sample, field_id, G));
  else PetscCall(SkuaGRFSample(pde->n, &pde->grf, pde->seed, (uint64_t)sample, field_id, G));
  PetscFunctionReturn(0);
}
