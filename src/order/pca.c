/* SKR's scalable ordering, binning part: low-frequency FFT features, PCA to 7 dimensions, orthant bins (Wang et al., SKR). */
#include "orderimpl.h"
#include <petscblaslapack.h>
#include <fftw3.h>

#define SKUA_ORDER_SIGN_RTOL 1e-6

/* Frequencies kept along FFT dimension 0 (y, full range): 0..5 and -6..-1 when n >= 12, all of them otherwise. */
static PetscInt SkuaOrderFFTRows(PetscInt n, PetscInt *ky)
{
  const PetscInt half = SKUA_ORDER_FFT_BLOCK / 2;

  if (n <= SKUA_ORDER_FFT_BLOCK) {
    for (PetscInt b = 0; b < n; b++) ky[b] = b;
    return n;
  }
  for (PetscInt b = 0; b < half; b++) {
    ky[b]        = b;
    ky[half + b] = n - half + b;
  }
  return SKUA_ORDER_FFT_BLOCK;
}

/* red: nlocal x m*nfields reduced features of the local samples (layout documented in order.h). */
static PetscErrorCode SkuaOrderSpectralFeatures(const SkuaOrderLayout *L, PetscInt n, PetscInt nfields, const PetscReal *feat, PetscInt *mfield, PetscReal **red)
{
  const PetscInt  nc = n / 2 + 1, nkx = PetscMin(SKUA_ORDER_FFT_BLOCK, nc), nn = n * n;
  const PetscReal scale = 1.0 / (PetscReal)nn;
  PetscInt        ky[SKUA_ORDER_FFT_BLOCK], nky, m;
  double         *in;
  fftw_complex   *out;
  fftw_plan       plan;
  PetscReal      *r;

  PetscFunctionBegin;
  nky     = SkuaOrderFFTRows(n, ky);
  m       = 2 * nky * nkx;
  *mfield = m;
  PetscCall(PetscMalloc1((size_t)L->nlocal * m * nfields, &r));
  /* fftw_malloc fixes the alignment, so FFTW_ESTIMATE picks the same codelets on every rank: a sample's
     features do not depend on which rank owns it. */
  in  = (double *)fftw_malloc(sizeof(double) * (size_t)nn);
  out = (fftw_complex *)fftw_malloc(sizeof(fftw_complex) * (size_t)n * (size_t)nc);
  PetscCheck(in && out, PETSC_COMM_SELF, PETSC_ERR_MEM, "fftw_malloc failed for a %" PetscInt_FMT " x %" PetscInt_FMT " FFT", n, n);
  plan = fftw_plan_dft_r2c_2d((int)n, (int)n, in, out, FFTW_ESTIMATE);
  PetscCheck(plan, PETSC_COMM_SELF, PETSC_ERR_LIB, "FFTW could not plan a %" PetscInt_FMT " x %" PetscInt_FMT " r2c transform", n, n);
  for (PetscInt i = 0; i < L->nlocal; i++) {
    for (PetscInt f = 0; f < nfields; f++) {
      PetscReal *dst = r + ((size_t)i * nfields + f) * m;

      PetscCall(PetscArraycpy(in, feat + ((size_t)i * nfields + f) * nn, nn));
      fftw_execute(plan);
      for (PetscInt b = 0; b < nky; b++) {
        for (PetscInt kx = 0; kx < nkx; kx++) {
          const double *c = (const double *)out + 2 * (ky[b] * nc + kx); /* fftw_complex is (re, im) in memory */
          dst[2 * (b * nkx + kx)]     = scale * c[0];
          dst[2 * (b * nkx + kx) + 1] = scale * c[1];
        }
      }
    }
  }
  fftw_destroy_plan(plan);
  fftw_free(out);
  fftw_free(in);
  PetscCall(PetscLogFlops(2.5 * (PetscLogDouble)L->nlocal * nfields * nn * PetscLog2Real((PetscReal)nn + 1)));
  *red = r;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaOrderPCABins(const SkuaOrderLayout *L, PetscInt n, PetscInt nfields, const PetscReal *feat, PetscInt *bin, PetscInt *nbins)
{
  const PetscInt N = L->N;
  PetscInt       m, D, ncomp, r0 = 0, r1 = 0;
  PetscReal     *red = NULL, *X, *mean, *C, *V;
  PetscMPIInt   *counts, *displs, cnt;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(SKUA_ORDER_PCABins, 0, 0, 0, 0));
  PetscCall(SkuaOrderSpectralFeatures(L, n, nfields, feat, &m, &red));
  D     = m * nfields;
  ncomp = PetscMin(SKUA_ORDER_PCA_NCOMP, D);

  /* Every rank gets all N x D reduced features (small), so the PCA below sums in one fixed order. */
  PetscCall(PetscMalloc2(L->size, &counts, L->size, &displs));
  for (PetscMPIInt r = 0; r < L->size; r++) {
    PetscCall(PetscMPIIntCast((L->starts[r + 1] - L->starts[r]) * (PetscInt64)D, &counts[r]));
    PetscCall(PetscMPIIntCast(L->starts[r] * (PetscInt64)D, &displs[r]));
  }
  PetscCall(PetscMPIIntCast(L->nlocal * (PetscInt64)D, &cnt));
  PetscCall(PetscMalloc2((size_t)N * D, &X, D, &mean));
  PetscCallMPI(MPI_Allgatherv(red, cnt, MPIU_REAL, X, counts, displs, MPIU_REAL, L->comm));
  PetscCall(PetscFree(red));
  for (PetscInt p = 0; p < D; p++) mean[p] = 0;
  for (PetscInt i = 0; i < N; i++)
    for (PetscInt p = 0; p < D; p++) mean[p] += X[(size_t)i * D + p];
  for (PetscInt p = 0; p < D; p++) mean[p] /= (PetscReal)N;
  for (PetscInt i = 0; i < N; i++)
    for (PetscInt p = 0; p < D; p++) X[(size_t)i * D + p] -= mean[p];

  /* Covariance (unscaled: X^T X; the scale does not change eigenvectors), rows split over ranks; entry (p, q) is
     summed over samples in index order by whichever rank owns row p, so the matrix is the same for any np.
     It is gathered on rank 0 only: dsyev runs there and its eigenvectors are broadcast, so every rank uses the
     same bits even if the LAPACK/BLAS threading differed between ranks. */
  for (PetscMPIInt r = 0; r < L->size; r++) {
    const PetscInt a = (D / L->size) * r + PetscMin(r, D % L->size), b = a + D / L->size + (r < D % L->size ? 1 : 0);
    PetscCall(PetscMPIIntCast((b - a) * (PetscInt64)D, &counts[r]));
    PetscCall(PetscMPIIntCast(a * (PetscInt64)D, &displs[r]));
    if (r == L->rank) {
      r0 = a;
      r1 = b;
    }
  }
  PetscCall(PetscCalloc1(L->rank ? (size_t)(r1 - r0) * D : (size_t)D * D, &C));
  {
    PetscReal *mine = L->rank ? C : C + (size_t)r0 * D;
    for (PetscInt p = r0; p < r1; p++) {
      PetscReal *Crow = mine + (size_t)(p - r0) * D;
      for (PetscInt i = 0; i < N; i++) {
        const PetscReal *x  = X + (size_t)i * D;
        const PetscReal  xp = x[p];
        for (PetscInt q = 0; q < D; q++) Crow[q] += xp * x[q];
      }
    }
    PetscCall(PetscLogFlops(2.0 * (PetscLogDouble)(r1 - r0) * N * D));
    if (L->rank) PetscCallMPI(MPI_Gatherv(mine, counts[L->rank], MPIU_REAL, NULL, counts, displs, MPIU_REAL, 0, L->comm));
    else PetscCallMPI(MPI_Gatherv(MPI_IN_PLACE, counts[0], MPIU_REAL, C, counts, displs, MPIU_REAL, 0, L->comm));
  }

  PetscCall(PetscMalloc1((size_t)ncomp * D, &V));
  if (!L->rank) {
    PetscBLASInt bD, lwork = -1, info;
    PetscReal   *w, wq, *work;

    PetscCall(PetscBLASIntCast(D, &bD));
    PetscCall(PetscMalloc1(D, &w));
    PetscCall(PetscFPTrapPush(PETSC_FP_TRAP_OFF));
    PetscCallBLAS("LAPACKsyev", LAPACKsyev_("V", "U", &bD, C, &bD, w, &wq, &lwork, &info));
    PetscCall(PetscBLASIntCast((PetscInt)wq, &lwork));
    PetscCall(PetscMalloc1(lwork, &work));
    PetscCallBLAS("LAPACKsyev", LAPACKsyev_("V", "U", &bD, C, &bD, w, work, &lwork, &info));
    PetscCall(PetscFPTrapPop());
    PetscCheck(info == 0, PETSC_COMM_SELF, PETSC_ERR_LIB, "LAPACK dsyev failed on the %" PetscInt_FMT " x %" PetscInt_FMT " feature covariance (info = %d)", D, D, (int)info);
    PetscCall(PetscFree(work));
    PetscCall(PetscFree(w));
    /* Eigenvalues ascend: component c is column D-1-c. An eigenvector's sign is arbitrary; fixing it makes the
       bins reproducible: the first entry whose magnitude is within a relative SKUA_ORDER_SIGN_RTOL of the largest
       is made positive. The tolerance matters: the kx = 0 column holds both ky and -ky, complex conjugates, so
       eigenvectors come with pairs of entries of equal magnitude and opposite sign (the imaginary parts), and a
       strict argmax would pick between them by rounding, i.e. by LAPACK implementation. */
    for (PetscInt c = 0; c < ncomp; c++) {
      const PetscReal *v    = C + (size_t)(D - 1 - c) * D;
      PetscReal        vmax = 0;
      PetscInt         imax = 0;
      for (PetscInt p = 0; p < D; p++) vmax = PetscMax(vmax, PetscAbsReal(v[p]));
      while (PetscAbsReal(v[imax]) < (1.0 - SKUA_ORDER_SIGN_RTOL) * vmax) imax++;
      for (PetscInt p = 0; p < D; p++) V[(size_t)c * D + p] = v[imax] < 0 ? -v[p] : v[p];
    }
  }
  PetscCall(PetscFree(C));
  PetscCall(PetscMPIIntCast(ncomp * (PetscInt64)D, &cnt));
  PetscCallMPI(MPI_Bcast(V, cnt, MPIU_REAL, 0, L->comm));

  /* Bit c of a sample's bin: its coordinate on component c is positive. Every rank holds the same X and V and sums
     in the same order, so the bins agree without communication. */
  for (PetscInt i = 0; i < N; i++) {
    PetscInt b = 0;
    for (PetscInt c = 0; c < ncomp; c++) {
      PetscReal y = 0;
      for (PetscInt p = 0; p < D; p++) y += X[(size_t)i * D + p] * V[(size_t)c * D + p];
      if (y > 0) b |= (PetscInt)1 << c;
    }
    bin[i] = b;
  }
  *nbins = (PetscInt)1 << ncomp;
  PetscCall(PetscFree(V));
  PetscCall(PetscFree2(X, mean));
  PetscCall(PetscFree2(counts, displs));
  PetscCall(PetscLogEventEnd(SKUA_ORDER_PCABins, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}
