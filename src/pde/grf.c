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

static inline PetscReal SkuaGRFSigma(const SkuaGRFParams *p, PetscInt dim)
{
  return p->sigma > 0 ? p->sigma : SkuaGRFDefaultSigma(p, dim);
}

/* s^2 (pi^2 |k|^2 + tau^2)^-alpha: the covariance eigenvalue of mode k, |k|^2 = ksq. */
static inline PetscReal SkuaGRFLambda(const SkuaGRFParams *p, PetscReal s, PetscInt ksq)
{
  return s * s * PetscPowReal(PETSC_PI * PETSC_PI * (PetscReal)ksq + p->tau * p->tau, -p->alpha);
}

PetscErrorCode SkuaGRFEigenvalue(const SkuaGRFParams *p, PetscInt k, PetscInt l, PetscReal *lambda)
{
  PetscFunctionBegin;
  PetscCall(SkuaGRFCheckParams(p));
  *lambda = SkuaGRFLambda(p, SkuaGRFSigma(p, 2), k * k + l * l);
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaGRFEigenvalue3d(const SkuaGRFParams *p, PetscInt a, PetscInt b, PetscInt c, PetscReal *lambda)
{
  PetscFunctionBegin;
  PetscCall(SkuaGRFCheckParams(p));
  *lambda = SkuaGRFLambda(p, SkuaGRFSigma(p, 3), a * a + b * b + c * c);
  PetscFunctionReturn(0);
}

/* An n^dim sample (dim 2 or 3): N(0,1) mode coefficients scaled by sqrt(lambda), then RODFT00 along every axis.
   A 2-D grid is one plane c = 0 of the 3-D loops (same modes, same order). */
static PetscErrorCode SkuaGRFSampleDim(PetscInt dim, PetscInt n, const SkuaGRFParams *p, uint64_t seed, uint64_t sample, PetscInt field_id, PetscReal *G)
{
  const PetscReal s  = SkuaGRFSigma(p, dim);
  const PetscInt  c0 = dim == 3 ? 1 : 0, c1 = dim == 3 ? n : 0;
  const size_t    nn = (size_t)n * (size_t)n * (dim == 3 ? (size_t)n : 1);
  double         *buf, *xi;
  fftw_plan       plan;

  PetscFunctionBegin;
  if (dim == 3) PetscCheck(n >= 1 && n <= 1290, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "3-D GRF grid size n = %" PetscInt_FMT " must be in [1, 1290] (option -pde_n)", n);
  else PetscCheck(n >= 1, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "GRF grid size n = %" PetscInt_FMT " must be >= 1 (option -pde_n)", n);
  PetscCheck(field_id >= 0 && field_id < 65536, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "GRF field id %" PetscInt_FMT " must be in [0, 65535]", field_id);
  PetscCheck(sample < ((uint64_t)1 << 48), PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "GRF sample index must be < 2^48");
  PetscValidRealPointer(G, 8);
  PetscCall(SkuaGRFCheckParams(p));
  PetscCall(SkuaPDEInitializePackage());
  PetscCall(PetscLogEventBegin(SKUAPDE_GRF, 0, 0, 0, 0));
  /* fftw_malloc fixes the alignment, so the planner picks the same codelets on every call and every rank. */
  buf = (double *)fftw_malloc(sizeof(double) * nn);
  if (dim == 3) PetscCheck(buf, PETSC_COMM_SELF, PETSC_ERR_MEM, "fftw_malloc failed for a %" PetscInt_FMT "^3 GRF", n);
  else PetscCheck(buf, PETSC_COMM_SELF, PETSC_ERR_MEM, "fftw_malloc failed for a %" PetscInt_FMT " x %" PetscInt_FMT " GRF", n, n);
  PetscCall(PetscMalloc1(nn, &xi));
  PetscCall(SkuaRNGNormals(seed, SkuaRNGStreamId(sample, field_id), (PetscInt)nn, xi));
  for (PetscInt c = c0; c <= c1; c++) {
    for (PetscInt b = 1; b <= n; b++) {
      for (PetscInt a = 1; a <= n; a++) {
        const size_t m = ((size_t)(c - c0) * n + (b - 1)) * n + (a - 1);
        buf[m]         = PetscSqrtReal(SkuaGRFLambda(p, s, a * a + b * b + c * c)) * xi[m];
      }
    }
  }
  PetscCall(PetscFree(xi));
  if (dim == 3) {
    /* RODFT00 along all three axes: out = 8 sum c sin sin sin; phi = 2^(3/2) sin sin sin, so G = out 2^(3/2)/8 = out/(2 sqrt 2). */
    plan = fftw_plan_r2r_3d((int)n, (int)n, (int)n, buf, buf, FFTW_RODFT00, FFTW_RODFT00, FFTW_RODFT00, FFTW_ESTIMATE);
    PetscCheck(plan, PETSC_COMM_SELF, PETSC_ERR_LIB, "FFTW could not plan a %" PetscInt_FMT "^3 RODFT00 transform", n);
  } else {
    /* RODFT00 along both axes: out[j][i] = 4 sum_{l,k} c[l][k] sin(pi l (j+1)/(n+1)) sin(pi k (i+1)/(n+1)); phi = 2 sin sin, so G = out/2. */
    plan = fftw_plan_r2r_2d((int)n, (int)n, buf, buf, FFTW_RODFT00, FFTW_RODFT00, FFTW_ESTIMATE);
    PetscCheck(plan, PETSC_COMM_SELF, PETSC_ERR_LIB, "FFTW could not plan a %" PetscInt_FMT " x %" PetscInt_FMT " RODFT00 transform", n, n);
  }
  fftw_execute(plan);
  fftw_destroy_plan(plan);
  if (dim == 3) {
    for (size_t m = 0; m < nn; m++) G[m] = buf[m] / (2.0 * PETSC_SQRT2);
    PetscCall(PetscLogFlops(7.5 * (PetscLogDouble)nn * PetscLogReal((PetscReal)n + 1) / PetscLogReal(2.0)));
  } else {
    for (size_t m = 0; m < nn; m++) G[m] = 0.5 * buf[m];
    PetscCall(PetscLogFlops(5.0 * n * n * PetscLogReal((PetscReal)n + 1) / PetscLogReal(2.0)));
  }
  fftw_free(buf);
  PetscCall(PetscLogEventEnd(SKUAPDE_GRF, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaGRFSample(PetscInt n, const SkuaGRFParams *p, uint64_t seed, uint64_t sample, PetscInt field_id, PetscReal *G)
{
  PetscFunctionBegin;
  PetscCall(SkuaGRFSampleDim(2, n, p, seed, sample, field_id, G));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaGRFSample3d(PetscInt n, const SkuaGRFParams *p, uint64_t seed, uint64_t sample, PetscInt field_id, PetscReal *G)
{
  PetscFunctionBegin;
  PetscCall(SkuaGRFSampleDim(3, n, p, seed, sample, field_id, G));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaPDESampleGRF(SkuaPDE pde, PetscInt sample, PetscInt field_id, PetscReal *G)
{
  PetscFunctionBegin;
  if (pde->dim == 3) PetscCall(SkuaGRFSample3d(pde->n, &pde->grf, pde->seed, (uint64_t)sample, field_id, G));
  else PetscCall(SkuaGRFSample(pde->n, &pde->grf, pde->seed, (uint64_t)sample, field_id, G));
  PetscFunctionReturn(0);
}
