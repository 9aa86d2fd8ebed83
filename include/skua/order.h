/* Skua ordering of a sequence of parameterised systems so that consecutive ones are similar (Wang et al., SKR). */
#ifndef SKUA_ORDER_H
#define SKUA_ORDER_H

#include <petscsys.h>

/* ---------------------------------------------------------------------------------------------------------
   Krylov recycling pays off when system k+1 resembles system k, so the N samples of a data set are put in an
   order that walks through parameter space in small steps (SKR, "Accelerating Data Generation for Neural
   Operators via Krylov Subspace Recycling"). The distance between two samples is the Frobenius (Euclidean)
   distance of their parameter fields, all fields concatenated.

   Distribution: samples are split over the communicator in contiguous blocks, PETSc's default split
   (PetscSplitOwnership with N global): rank r holds samples [first, first + nlocal). feat_local holds the
   nlocal rows of dim = nfields*n*n reals, row-major; a row is the sample's fields one after the other, each an
   n x n grid in natural order (G[j*n + i], y slow, x fast, as SkuaGRFSample writes it).

   Types (option -order_type none|greedy|pca):
     none    perm[k] = k.
     greedy  perm[0] = 0; perm[k+1] = the unvisited sample nearest to perm[k]. Each step the owner broadcasts
             the current row, every rank scans its unvisited rows, and MPI_MINLOC over (squared distance, index)
             picks the winner; equal distances go to the smallest index. Cost O(N^2 dim / P) flops, N broadcasts
             of dim reals.
     pca     SKR's scalable variant, in four steps:
             1. Spectral features. Per sample and field, the 2-D real FFT (FFTW r2c, scaled by 1/n^2) of the
                n x n field: c[ky][kx], ky in [0, n) along y (FFT dimension 0), kx in [0, n/2] along x (the
                halved dimension, so kx >= 0 only; negative kx are conjugates). Kept block:
                  ky in {0..5} U {n-6..n-1} (frequencies 0..5 and -6..-1), kx in {0..11}  when n >= 12;
                  every ky in [0, n) when n < 12, and kx in {0..min(11, n/2)}.
                Real and imaginary parts, stored [field][ky block index][kx][re, im]: 2*12*12 = 288 reals per
                field (fewer when n < 12). Identically zero imaginary parts (kx = 0, ky = 0) are kept; they have
                zero variance and do not affect the PCA.
             2. PCA. The reduced features are gathered on every rank (MPI_Allgatherv, N x 288 nfields reals) and
                centred; the covariance is computed row-block-parallel with every entry summed over samples in
                index order, so it is bit-identical for any number of ranks; LAPACK dsyev (LAPACKsyev_) then runs
                on rank 0 and its eigenvectors are broadcast. The 7 leading eigenvectors (fewer if the feature
                dimension is < 7) get a deterministic sign: the first entry whose magnitude is within a relative
                1e-6 of the largest is made positive (ky and -ky at kx = 0 are conjugates, so near-ties between
                entries of opposite sign are structural, and a strict argmax would let rounding decide).
             3. Bins. Sample i's bin has bit c set iff its coordinate on component c (c = 0 the leading one) is
                > 0: 2^7 = 128 orthant bins. Bins are visited in binary-reflected Gray-code order
                g(i) = i ^ (i >> 1), i = 0..127, so consecutive bins differ in the sign of one coordinate.
             4. Within bins, greedy nearest neighbour in the original (Frobenius) feature space: the walk starts
                at the smallest index of the first non-empty bin; the first sample of every later bin is the one
                nearest to the last sample of the previous bin; after that nearest unvisited within the bin.
                Step 4's distances use the same parallel MINLOC step as greedy.
             Cost: N FFTs of n^2 log n, O(N 288^2 nfields^2 / P) for the covariance, a 288 nfields dsyev, and
             the within-bin greedy, O(sum over bins of |bin|^2 dim / P) plus N broadcasts.

   All types give the same perm on every rank and for any number of ranks (deterministic ties, fixed-order sums).
   --------------------------------------------------------------------------------------------------------- */
typedef enum {
  SKUA_ORDER_NONE,
  SKUA_ORDER_GREEDY,
  SKUA_ORDER_PCA
} SkuaOrderType;
PETSC_EXTERN const char *const SkuaOrderTypes[]; /* "none","greedy","pca","SkuaOrderType","SKUA_ORDER_",NULL */

PETSC_EXTERN PetscErrorCode SkuaOrderInitializePackage(void);
/* Name ("none", "greedy", "pca"; case-insensitive) -> type, with a clear error for anything else. Not collective. */
PETSC_EXTERN PetscErrorCode SkuaOrderTypeFromName(const char name[], SkuaOrderType *type);
/* Reads -<prefix>order_type from the options database; *type is the default on entry and is left alone when the
   option is absent. Not collective. */
PETSC_EXTERN PetscErrorCode SkuaOrderGetTypeFromOptions(const char prefix[], SkuaOrderType *type);

/* Collective. N global number of samples (>= 1, same on every rank); n grid size and nfields fields per sample
   (dim = nfields*n*n; only pca needs the grid shape, the other types use dim alone). feat_local: the rank's
   nlocal x dim rows (may be NULL when nlocal = 0). perm: output, N entries, identical on all ranks: perm[k] is
   the index of the k-th sample to solve. seconds (may be NULL): wall time of the ordering, max over ranks. */
PETSC_EXTERN PetscErrorCode SkuaOrderCompute(MPI_Comm comm, SkuaOrderType type, PetscInt N, PetscInt n, PetscInt nfields, const PetscReal *feat_local, PetscInt *perm, PetscLogDouble *seconds);

/* Collective. Path length sum_{k=0}^{N-2} ||F_perm[k+1] - F_perm[k]||_F of the ordering perm (same on all ranks,
   a permutation of 0..N-1), features distributed as above with row length dim. Identical on all ranks and for
   any number of ranks. */
PETSC_EXTERN PetscErrorCode SkuaOrderPathLength(MPI_Comm comm, PetscInt N, PetscInt dim, const PetscReal *feat_local, const PetscInt *perm, PetscReal *length);

/* SkuaOrder_Compute: the whole SkuaOrderCompute(); SkuaOrder_PCABins: spectral features, PCA and binning;
   SkuaOrder_Walk: the nearest-neighbour walk (greedy, and pca within bins). */
PETSC_EXTERN PetscLogEvent SKUA_ORDER_Compute, SKUA_ORDER_PCABins, SKUA_ORDER_Walk;

#endif
