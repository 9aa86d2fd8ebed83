/* Skua sample ordering: package, input checks, the parallel nearest-neighbour walk and path length (Wang et al., SKR). */
#include "orderimpl.h"
#include <petscsf.h>
#include <petsctime.h>
#include <limits.h>

const char *const SkuaOrderTypes[] = {"none", "greedy", "pca", "SkuaOrderType", "SKUA_ORDER_", NULL};

PetscLogEvent       SKUA_ORDER_Compute = 0, SKUA_ORDER_PCABins = 0, SKUA_ORDER_Walk = 0;
static PetscClassId SKUA_ORDER_CLASSID;
static PetscBool    SkuaOrderPackageInitialized = PETSC_FALSE;

static PetscErrorCode SkuaOrderFinalizePackage(void)
{
  PetscFunctionBegin;
  SkuaOrderPackageInitialized = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaOrderInitializePackage(void)
{
  PetscFunctionBegin;
  if (SkuaOrderPackageInitialized) PetscFunctionReturn(0);
  SkuaOrderPackageInitialized = PETSC_TRUE;
  PetscCall(PetscClassIdRegister("SkuaOrder", &SKUA_ORDER_CLASSID));
  PetscCall(PetscLogEventRegister("SkuaOrder_Compute", SKUA_ORDER_CLASSID, &SKUA_ORDER_Compute));
  PetscCall(PetscLogEventRegister("SkuaOrder_PCABins", SKUA_ORDER_CLASSID, &SKUA_ORDER_PCABins));
  PetscCall(PetscLogEventRegister("SkuaOrder_Walk", SKUA_ORDER_CLASSID, &SKUA_ORDER_Walk));
  PetscCall(PetscRegisterFinalize(SkuaOrderFinalizePackage));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaOrderTypeFromName(const char name[], SkuaOrderType *type)
{
  PetscFunctionBegin;
  PetscValidPointer(type, 2);
  PetscCheck(name, PETSC_COMM_SELF, PETSC_ERR_ARG_NULL, "Ordering type name is NULL; allowed values: none, greedy, pca");
  for (int t = SKUA_ORDER_NONE; t <= SKUA_ORDER_PCA; t++) {
    PetscBool match;
    PetscCall(PetscStrcasecmp(name, SkuaOrderTypes[t], &match));
    if (match) {
      *type = (SkuaOrderType)t;
      PetscFunctionReturn(0);
    }
  }
  SETERRQ(PETSC_COMM_SELF, PETSC_ERR_ARG_UNKNOWN_TYPE, "Unknown ordering type \"%s\" (option -order_type); allowed values: none, greedy, pca", name);
}

PetscErrorCode SkuaOrderGetTypeFromOptions(const char prefix[], SkuaOrderType *type)
{
  char      name[64];
  PetscBool set;

  PetscFunctionBegin;
  PetscValidPointer(type, 2);
  /* Read as a string, not PetscOptionsGetEnum, so a typo gets Skua's message listing the allowed values. */
  PetscCall(PetscOptionsGetString(NULL, prefix, "-order_type", name, sizeof(name), &set));
  if (set) PetscCall(SkuaOrderTypeFromName(name, type));
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------------------------------------------------- */

PetscErrorCode SkuaOrderLayoutCreate(MPI_Comm comm, PetscInt N, SkuaOrderLayout *L)
{
  PetscInt nlocal = PETSC_DECIDE, Nglobal = N;

  PetscFunctionBegin;
  PetscCall(PetscMemzero(L, sizeof(*L)));
  L->comm = comm;
  PetscCallMPI(MPI_Comm_rank(comm, &L->rank));
  PetscCallMPI(MPI_Comm_size(comm, &L->size));
  PetscCall(PetscSplitOwnership(comm, &nlocal, &Nglobal));
  PetscCall(PetscMalloc1(L->size + 1, &L->starts));
  L->starts[0] = 0;
  PetscCallMPI(MPI_Allgather(&nlocal, 1, MPIU_INT, L->starts + 1, 1, MPIU_INT, comm));
  for (PetscMPIInt r = 0; r < L->size; r++) L->starts[r + 1] += L->starts[r];
  PetscCheck(L->starts[L->size] == N, comm, PETSC_ERR_PLIB, "Sample split covers %" PetscInt_FMT " samples, expected %" PetscInt_FMT, L->starts[L->size], N);
  L->N      = N;
  L->nlocal = nlocal;
  L->first  = L->starts[L->rank];
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaOrderLayoutDestroy(SkuaOrderLayout *L)
{
  PetscFunctionBegin;
  PetscCall(PetscFree(L->starts));
  PetscFunctionReturn(0);
}

/* Largest r with starts[r] <= g: the owner, also when some ranks own nothing. */
PetscMPIInt SkuaOrderLayoutOwner(const SkuaOrderLayout *L, PetscInt g)
{
  PetscMPIInt lo = 0, hi = L->size;

  while (hi - lo > 1) {
    const PetscMPIInt mid = lo + (hi - lo) / 2;
    if (L->starts[mid] <= g) lo = mid;
    else hi = mid;
  }
  return lo;
}

/* Squared distance, abandoned (returning a value > bound) once a partial sum exceeds bound: partial sums of
   non-negative terms never decrease, so an abandoned candidate could not have won, and the winner is unchanged. */
static inline PetscReal SkuaOrderDist2(PetscInt dim, const PetscReal *a, const PetscReal *b, PetscReal bound)
{
  PetscReal s = 0;

  for (PetscInt p0 = 0; p0 < dim; p0 += 64) {
    const PetscInt p1 = PetscMin(dim, p0 + 64);
    for (PetscInt p = p0; p < p1; p++) {
      const PetscReal d = a[p] - b[p];
      s += d * d;
    }
    if (s > bound) return s;
  }
  return s;
}

PetscErrorCode SkuaOrderWalk(const SkuaOrderLayout *L, PetscInt dim, const PetscReal *feat, const PetscInt *bin, PetscInt nbins, const PetscInt *binorder, PetscInt *perm)
{
  const PetscInt N = L->N;
  PetscBool     *visited;
  PetscInt      *count, pos = 0, cur = 0;
  PetscReal     *row;
  PetscLogDouble nevals = 0;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(SKUA_ORDER_Walk, 0, 0, 0, 0));
  PetscCall(PetscCalloc1(L->nlocal, &visited));
  PetscCall(PetscMalloc1(dim, &row));
  if (!bin) nbins = 1;
  PetscCall(PetscCalloc1(nbins, &count));
  if (bin) {
    for (PetscInt g = 0; g < N; g++) count[bin[g]]++;
    while (!count[binorder[pos]]) pos++; /* N >= 1, so some bin is non-empty */
    for (cur = 0; bin[cur] != binorder[pos]; cur++) { }
  } else count[0] = N;

  for (PetscInt k = 0;; k++) {
    const PetscMPIInt owner = SkuaOrderLayoutOwner(L, cur);
    struct {
      double d;
      int    i;
    } best, win;

    perm[k] = cur;
    count[bin ? bin[cur] : 0]--;
    if (owner == L->rank) visited[cur - L->first] = PETSC_TRUE;
    if (k == N - 1) break;
    if (owner == L->rank) PetscCall(PetscArraycpy(row, feat + (size_t)(cur - L->first) * dim, dim));
    PetscCallMPI(MPI_Bcast(row, (PetscMPIInt)dim, MPIU_REAL, owner, L->comm));
    if (bin) {
      while (!count[binorder[pos]]) pos++;
    }
    /* A rank without a candidate offers (inf, INT_MAX): any real candidate, even at infinite distance, beats it
       because MPI_MINLOC breaks ties by the smaller index. */
    best.d = PETSC_INFINITY;
    best.i = INT_MAX;
    for (PetscInt i = 0; i < L->nlocal; i++) {
      const PetscInt g = L->first + i;
      PetscReal      d;

      if (visited[i] || (bin && bin[g] != binorder[pos])) continue;
      d = SkuaOrderDist2(dim, feat + (size_t)i * dim, row, best.d);
      nevals += 1;
      if (d < best.d || best.i == INT_MAX) { /* ascending i: a local tie keeps the smaller index */
        best.d = d;
        best.i = (int)g;
      }
    }
    PetscCallMPI(MPIU_Allreduce(&best, &win, 1, MPI_DOUBLE_INT, MPI_MINLOC, L->comm));
    PetscCheck(win.i != INT_MAX, L->comm, PETSC_ERR_PLIB, "Ordering walk found no unvisited sample in bin %" PetscInt_FMT " at step %" PetscInt_FMT, bin ? binorder[pos] : 0, k + 1);
    cur = (PetscInt)win.i;
  }
  PetscCall(PetscFree(count));
  PetscCall(PetscFree(row));
  PetscCall(PetscFree(visited));
  PetscCall(PetscLogFlops(3.0 * nevals * (PetscLogDouble)dim)); /* upper bound: abandoned distances stop early */
  PetscCall(PetscLogEventEnd(SKUA_ORDER_Walk, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

/* Collective argument checks: every rank must pass the same scalars, so compare them first and raise errors on
   comm (never on one rank alone, which would leave the others waiting). */
static PetscErrorCode SkuaOrderCheckArgs(MPI_Comm comm, const char *fn, PetscInt N, PetscInt n, PetscInt nfields, PetscInt type, PetscInt *dim)
{
  PetscInt mine[8] = {N, -N, n, -n, nfields, -nfields, type, -type}, all[8];

  PetscFunctionBegin;
  PetscCallMPI(MPIU_Allreduce(mine, all, 8, MPIU_INT, MPI_MAX, comm));
  PetscCheck(all[0] == -all[1], comm, PETSC_ERR_ARG_INCOMP, "%s: number of samples differs across ranks (%" PetscInt_FMT " to %" PetscInt_FMT "); pass the global N on every rank", fn, -all[1], all[0]);
  PetscCheck(all[2] == -all[3] && all[4] == -all[5], comm, PETSC_ERR_ARG_INCOMP, "%s: grid size or number of fields differs across ranks", fn);
  PetscCheck(all[6] == -all[7], comm, PETSC_ERR_ARG_INCOMP, "%s: ordering type differs across ranks", fn);
  PetscCheck(N >= 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "%s: number of samples N = %" PetscInt_FMT " must be >= 1", fn, N);
  PetscCheck(N < INT_MAX, comm, PETSC_ERR_ARG_OUTOFRANGE, "%s: number of samples N = %" PetscInt_FMT " must be < %d (MPI_MINLOC index is an int)", fn, N, INT_MAX);
  PetscCheck(type >= SKUA_ORDER_NONE && type <= SKUA_ORDER_PCA, comm, PETSC_ERR_ARG_UNKNOWN_TYPE, "%s: unknown ordering type %" PetscInt_FMT "; allowed: SKUA_ORDER_NONE, SKUA_ORDER_GREEDY, SKUA_ORDER_PCA (option -order_type none|greedy|pca)", fn, type);
  PetscCheck(n >= 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "%s: grid size n = %" PetscInt_FMT " must be >= 1", fn, n);
  PetscCheck(nfields >= 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "%s: number of fields per sample = %" PetscInt_FMT " must be >= 1", fn, nfields);
  PetscCheck((PetscInt64)nfields * n * n <= PETSC_MAX_INT, comm, PETSC_ERR_ARG_OUTOFRANGE, "%s: feature length nfields*n*n = %" PetscInt_FMT "*%" PetscInt_FMT "^2 overflows PetscInt", fn, nfields, n);
  *dim = nfields * n * n;
  PetscFunctionReturn(0);
}

/* NaN would make the nearest-neighbour comparisons meaningless, and silently so. *first_bad: the smallest sample
   index with a non-finite entry, or -1; the same on every rank. */
static PetscErrorCode SkuaOrderFindNonFinite(const SkuaOrderLayout *L, PetscInt dim, const PetscReal *feat, PetscInt *first_bad)
{
  PetscInt bad = PETSC_MAX_INT;

  PetscFunctionBegin;
  for (PetscInt i = 0; i < L->nlocal && bad == PETSC_MAX_INT; i++) {
    for (PetscInt p = 0; p < dim; p++) {
      if (PetscIsInfOrNanReal(feat[(size_t)i * dim + p])) {
        bad = L->first + i;
        break;
      }
    }
  }
  PetscCallMPI(MPIU_Allreduce(&bad, first_bad, 1, MPIU_INT, MPI_MIN, L->comm));
  if (*first_bad == PETSC_MAX_INT) *first_bad = -1;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaOrderCompute(MPI_Comm comm, SkuaOrderType type, PetscInt N, PetscInt n, PetscInt nfields, const PetscReal *feat_local, PetscInt *perm, PetscLogDouble *seconds)
{
  SkuaOrderLayout L;
  PetscInt        dim = 0, bad;
  PetscLogDouble  t0, t1, dt;

  PetscFunctionBegin;
  PetscCall(SkuaOrderInitializePackage());
  PetscCall(PetscTime(&t0));
  PetscCall(SkuaOrderCheckArgs(comm, "SkuaOrderCompute", N, n, nfields, (PetscInt)type, &dim));
  PetscValidIntPointer(perm, 7);
  PetscCall(SkuaOrderLayoutCreate(comm, N, &L));
  if (L.nlocal) PetscValidRealPointer(feat_local, 6);
  PetscCall(SkuaOrderFindNonFinite(&L, dim, feat_local, &bad));
  if (bad >= 0) PetscCall(SkuaOrderLayoutDestroy(&L));
  PetscCheck(bad < 0, comm, PETSC_ERR_FP, "SkuaOrderCompute: features of sample %" PetscInt_FMT " contain Inf or NaN", bad);
  PetscCall(PetscLogEventBegin(SKUA_ORDER_Compute, 0, 0, 0, 0));
  switch (type) {
  case SKUA_ORDER_NONE:
    for (PetscInt k = 0; k < N; k++) perm[k] = k;
    break;
  case SKUA_ORDER_GREEDY:
    PetscCall(SkuaOrderWalk(&L, dim, feat_local, NULL, 1, NULL, perm));
    break;
  case SKUA_ORDER_PCA: {
    PetscInt *bin, *binorder, nbins;

    PetscCall(PetscMalloc1(N, &bin));
    PetscCall(SkuaOrderPCABins(&L, n, nfields, feat_local, bin, &nbins));
    /* Binary-reflected Gray code: consecutive bins differ in the sign of one principal coordinate. */
    PetscCall(PetscMalloc1(nbins, &binorder));
    for (PetscInt i = 0; i < nbins; i++) binorder[i] = i ^ (i >> 1);
    PetscCall(SkuaOrderWalk(&L, dim, feat_local, bin, nbins, binorder, perm));
    PetscCall(PetscFree(binorder));
    PetscCall(PetscFree(bin));
  } break;
  }
  PetscCall(SkuaOrderLayoutDestroy(&L));
  PetscCall(PetscLogEventEnd(SKUA_ORDER_Compute, 0, 0, 0, 0));
  PetscCall(PetscTime(&t1));
  dt = t1 - t0;
  PetscCallMPI(MPIU_Allreduce(&dt, &t1, 1, MPI_DOUBLE, MPI_MAX, comm));
  if (seconds) *seconds = t1;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaOrderPathLength(MPI_Comm comm, PetscInt N, PetscInt dim, const PetscReal *feat_local, const PetscInt *perm, PetscReal *length)
{
  SkuaOrderLayout L;
  PetscInt        *pos, nleaves = 0, bad = 0, anybad;
  PetscSFNode    *remote;
  PetscSF         sf;
  PetscReal      *leaf, *seg, *segsum;
  MPI_Datatype    rowtype;

  PetscFunctionBegin;
  PetscCall(SkuaOrderInitializePackage());
  {
    PetscInt mine[4] = {N, -N, dim, -dim}, all[4];
    PetscCallMPI(MPIU_Allreduce(mine, all, 4, MPIU_INT, MPI_MAX, comm));
    PetscCheck(all[0] == -all[1] && all[2] == -all[3], comm, PETSC_ERR_ARG_INCOMP, "SkuaOrderPathLength: N or dim differs across ranks; pass the global values on every rank");
  }
  PetscCheck(N >= 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "SkuaOrderPathLength: number of samples N = %" PetscInt_FMT " must be >= 1", N);
  PetscCheck(dim >= 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "SkuaOrderPathLength: feature length dim = %" PetscInt_FMT " must be >= 1", dim);
  PetscValidIntPointer(perm, 5);
  PetscValidRealPointer(length, 6);
  PetscCall(SkuaOrderLayoutCreate(comm, N, &L));
  if (L.nlocal) PetscValidRealPointer(feat_local, 4);
  /* pos = inverse permutation; also proves perm is a permutation of 0..N-1 */
  PetscCall(PetscMalloc1(N, &pos));
  for (PetscInt g = 0; g < N; g++) pos[g] = -1;
  for (PetscInt k = 0; k < N; k++) {
    if (perm[k] < 0 || perm[k] >= N || pos[perm[k]] >= 0) {
      bad = 1;
      break;
    }
    pos[perm[k]] = k;
  }
  PetscCallMPI(MPIU_Allreduce(&bad, &anybad, 1, MPIU_INT, MPI_MAX, comm));
  if (anybad) {
    PetscCall(PetscFree(pos));
    PetscCall(SkuaOrderLayoutDestroy(&L));
  }
  PetscCheck(!anybad, comm, PETSC_ERR_ARG_WRONG, "SkuaOrderPathLength: perm is not a permutation of 0..%" PetscInt_FMT " on every rank", N - 1);

  /* Each local sample fetches the row of its predecessor on the path (one PetscSF broadcast of whole rows). */
  for (PetscInt i = 0; i < L.nlocal; i++)
    if (pos[L.first + i] > 0) nleaves++;
  PetscCall(PetscMalloc1(nleaves, &remote));
  nleaves = 0;
  for (PetscInt i = 0; i < L.nlocal; i++) {
    const PetscInt k = pos[L.first + i];
    if (k > 0) {
      const PetscInt    pred  = perm[k - 1];
      const PetscMPIInt owner = SkuaOrderLayoutOwner(&L, pred);
      remote[nleaves].rank    = owner;
      remote[nleaves].index   = pred - L.starts[owner];
      nleaves++;
    }
  }
  PetscCall(PetscSFCreate(comm, &sf));
  PetscCall(PetscSFSetGraph(sf, L.nlocal, nleaves, NULL, PETSC_OWN_POINTER, remote, PETSC_OWN_POINTER));
  PetscCall(PetscSFSetUp(sf));
  PetscCallMPI(MPI_Type_contiguous((PetscMPIInt)dim, MPIU_REAL, &rowtype));
  PetscCallMPI(MPI_Type_commit(&rowtype));
  PetscCall(PetscMalloc1((size_t)nleaves * dim, &leaf));
  PetscCall(PetscSFBcastBegin(sf, rowtype, feat_local, leaf, MPI_REPLACE));
  PetscCall(PetscSFBcastEnd(sf, rowtype, feat_local, leaf, MPI_REPLACE));
  PetscCallMPI(MPI_Type_free(&rowtype));
  PetscCall(PetscSFDestroy(&sf));

  /* Segment k is computed by exactly one rank and the others add zeros, so the sum is exact; the total is then
     accumulated in path order, identical for any number of ranks. */
  PetscCall(PetscCalloc2(N, &seg, N, &segsum));
  nleaves = 0;
  for (PetscInt i = 0; i < L.nlocal; i++) {
    const PetscInt k = pos[L.first + i];
    if (k > 0) {
      seg[k - 1] = PetscSqrtReal(SkuaOrderDist2(dim, feat_local + (size_t)i * dim, leaf + (size_t)nleaves * dim, PETSC_INFINITY));
      nleaves++;
    }
  }
  PetscCallMPI(MPIU_Allreduce(seg, segsum, (PetscMPIInt)N, MPIU_REAL, MPI_SUM, comm));
  *length = 0;
  for (PetscInt k = 0; k + 1 < N; k++) *length += segsum[k];
  PetscCall(PetscFree2(seg, segsum));
  PetscCall(PetscFree(leaf));
  PetscCall(PetscFree(pos));
  PetscCall(SkuaOrderLayoutDestroy(&L));
  PetscFunctionReturn(0);
}
