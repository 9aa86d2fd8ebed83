/* Unit test of src/order (SKR sample ordering, Wang et al.): permutations, path lengths, a known optimal order,
   a serial reference walk, np-independence against a size-1 sub-communicator, and errors on bad input.
   Options: -nsamples (200) -grid_n (32) -seed (1)  GRF data set (PETSc options ignore case, so not -N and -n);  -dump_prefix P  write it and the orders for check_order.py */
#include <skua/order.h>
#include <skua/pde.h>

#include "../unitcheck.h"

static PetscMPIInt wsize;

static uint64_t Hash(const void *data, size_t bytes)
{
  const unsigned char *p = (const unsigned char *)data;
  uint64_t             h = 0xCBF29CE484222325ULL;
  for (size_t i = 0; i < bytes; i++) {
    h ^= p[i];
    h *= 0x100000001B3ULL;
  }
  return h;
}

static PetscBool IsPermutation(PetscInt N, const PetscInt *perm)
{
  PetscBool *seen, ok = PETSC_TRUE;

  if (PetscCalloc1(N, &seen)) return PETSC_FALSE;
  for (PetscInt k = 0; k < N && ok; k++) {
    if (perm[k] < 0 || perm[k] >= N || seen[perm[k]]) ok = PETSC_FALSE;
    else seen[perm[k]] = PETSC_TRUE;
  }
  if (PetscFree(seen)) return PETSC_FALSE;
  return ok;
}

/* Fills rows [first, first+count) of a data set; sample i of a data set is a function of (kind, i) alone. */
typedef PetscErrorCode (*FillFn)(PetscInt n, PetscInt nfields, PetscInt first, PetscInt count, void *ctx, PetscReal *feat);

static PetscErrorCode FillGRF(PetscInt n, PetscInt nfields, PetscInt first, PetscInt count, void *ctx, PetscReal *feat)
{
  SkuaGRFParams p;
  uint64_t      seed = *(uint64_t *)ctx;

  PetscFunctionBeginUser;
  PetscCall(SkuaGRFParamsDefault(&p));
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-grf_alpha", &p.alpha, NULL));
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-grf_tau", &p.tau, NULL));
  for (PetscInt i = 0; i < count; i++)
    for (PetscInt f = 0; f < nfields; f++) PetscCall(SkuaGRFSample(n, &p, seed, (uint64_t)(first + i), f, feat + ((size_t)i * nfields + f) * n * n));
  PetscFunctionReturn(0);
}

/* One-parameter family f_t(x, y) = sin(pi x (1 + t)), t_j = j/(N-1), sample i carries t index tidx(i) = (17 i + 5) mod N
   (N prime, so a bijection). ||f_t - f_s|| grows strictly with |t - s| on [0, 1] (checked with numpy for n = 32). */
static PetscInt SynthTIndex(PetscInt i, PetscInt N)
{
  return (17 * i + 5) % N;
}

static PetscErrorCode FillSynth(PetscInt n, PetscInt nfields, PetscInt first, PetscInt count, void *ctx, PetscReal *feat)
{
  const PetscInt N = *(PetscInt *)ctx;

  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < count; i++) {
    const PetscReal t = (PetscReal)SynthTIndex(first + i, N) / (PetscReal)(N - 1);
    for (PetscInt j = 0; j < n; j++)
      for (PetscInt k = 0; k < n; k++) feat[(size_t)i * n * n + j * n + k] = PetscSinReal(PETSC_PI * (k + 1.0) / (n + 1.0) * (1.0 + t));
  }
  PetscFunctionReturn(0);
}

/* Constant fields with value i mod 3: exact distance ties everywhere, to pin down the tie rule. */
static PetscErrorCode FillTies(PetscInt n, PetscInt nfields, PetscInt first, PetscInt count, void *ctx, PetscReal *feat)
{
  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < count; i++)
    for (PetscInt p = 0; p < nfields * n * n; p++) feat[(size_t)i * nfields * n * n + p] = (PetscReal)((first + i) % 3);
  PetscFunctionReturn(0);
}

/* Serial greedy nearest neighbour, written independently of src/order (plain loops, full distances). */
static PetscErrorCode SerialGreedy(PetscInt N, PetscInt dim, const PetscReal *F, PetscInt *perm)
{
  PetscBool *vis;
  PetscInt   cur = 0;

  PetscFunctionBeginUser;
  PetscCall(PetscCalloc1(N, &vis));
  for (PetscInt k = 0; k < N; k++) {
    PetscInt  next = -1;
    PetscReal best = PETSC_MAX_REAL;
    perm[k]        = cur;
    vis[cur]       = PETSC_TRUE;
    for (PetscInt j = 0; j < N; j++) {
      PetscReal d = 0;
      if (vis[j]) continue;
      for (PetscInt p = 0; p < dim; p++) d += (F[(size_t)j * dim + p] - F[(size_t)cur * dim + p]) * (F[(size_t)j * dim + p] - F[(size_t)cur * dim + p]);
      if (d < best) {
        best = d;
        next = j;
      }
    }
    cur = next;
  }
  PetscCall(PetscFree(vis));
  PetscFunctionReturn(0);
}

typedef struct {
  PetscInt      *perm[3]; /* by SkuaOrderType, from PETSC_COMM_WORLD */
  PetscReal      length[3];
  PetscLogDouble seconds[3];
  PetscReal     *all; /* rank 0 only: the full data set */
} Result;

/* Orders a data set with every type on PETSC_COMM_WORLD and, as the np = 1 reference, on a size-1 sub-communicator of
   rank 0; checks permutation, agreement across ranks and with the reference (orders and path lengths, bit for bit). */
static PetscErrorCode OrderAll(const char *name, PetscInt N, PetscInt n, PetscInt nfields, FillFn fill, void *ctx, Result *res)
{
  const PetscInt dim = nfields * n * n;
  PetscInt       nlocal = PETSC_DECIDE, Nn = N, first = 0, *ref;
  PetscReal     *feat, reflen[3] = {0, 0, 0};
  MPI_Comm       self;

  PetscFunctionBeginUser;
  PetscCall(PetscSplitOwnership(PETSC_COMM_WORLD, &nlocal, &Nn));
  PetscCallMPI(MPI_Exscan(&nlocal, &first, 1, MPIU_INT, MPI_SUM, PETSC_COMM_WORLD));
  if (!wrank) first = 0;
  PetscCall(PetscMalloc1((size_t)nlocal * dim, &feat));
  PetscCall(fill(n, nfields, first, nlocal, ctx, feat));
  PetscCall(PetscMalloc1(3 * N, &ref));
  res->all = NULL;
  PetscCallMPI(MPI_Comm_split(PETSC_COMM_WORLD, wrank ? MPI_UNDEFINED : 0, 0, &self));
  if (!wrank) {
    PetscCall(PetscMalloc1((size_t)N * dim, &res->all));
    PetscCall(fill(n, nfields, 0, N, ctx, res->all));
    for (int t = 0; t < 3; t++) {
      PetscCall(SkuaOrderCompute(self, (SkuaOrderType)t, N, n, nfields, res->all, ref + t * N, NULL));
      PetscCall(SkuaOrderPathLength(self, N, dim, res->all, ref + t * N, &reflen[t]));
    }
    PetscCallMPI(MPI_Comm_free(&self));
  }
  PetscCallMPI(MPI_Bcast(ref, (PetscMPIInt)(3 * N), MPIU_INT, 0, PETSC_COMM_WORLD));
  PetscCallMPI(MPI_Bcast(reflen, 3, MPIU_REAL, 0, PETSC_COMM_WORLD));
  for (int t = 0; t < 3; t++) {
    uint64_t           h;
    unsigned long long hv, hmin, hmax;

    PetscCall(PetscMalloc1(N, &res->perm[t]));
    PetscCall(SkuaOrderCompute(PETSC_COMM_WORLD, (SkuaOrderType)t, N, n, nfields, feat, res->perm[t], &res->seconds[t]));
    PetscCall(SkuaOrderPathLength(PETSC_COMM_WORLD, N, dim, feat, res->perm[t], &res->length[t]));
    CHECK(IsPermutation(N, res->perm[t]), "%s/%s: perm is not a permutation of 0..%" PetscInt_FMT, name, SkuaOrderTypes[t], N - 1);
    h  = Hash(res->perm[t], sizeof(PetscInt) * N);
    hv = h;
    PetscCallMPI(MPI_Allreduce(&hv, &hmin, 1, MPI_UNSIGNED_LONG_LONG, MPI_MIN, PETSC_COMM_WORLD));
    PetscCallMPI(MPI_Allreduce(&hv, &hmax, 1, MPI_UNSIGNED_LONG_LONG, MPI_MAX, PETSC_COMM_WORLD));
    CHECK(hmin == hmax, "%s/%s: perm differs between ranks", name, SkuaOrderTypes[t]);
    CHECK(!memcmp(res->perm[t], ref + t * N, sizeof(PetscInt) * N), "%s/%s: perm on %d ranks differs from the np = 1 reference", name, SkuaOrderTypes[t], wsize);
    CHECK(res->length[t] == reflen[t], "%s/%s: path length %.17g on %d ranks, %.17g on 1", name, SkuaOrderTypes[t], (double)res->length[t], wsize, (double)reflen[t]);
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%-8s N=%-4" PetscInt_FMT " n=%-3" PetscInt_FMT " fields=%" PetscInt_FMT "  %-6s path length %10.4f  time %.4f s  hash %016llx\n", name, N, n, nfields, SkuaOrderTypes[t], (double)res->length[t], res->seconds[t], hmin));
  }
  PetscCall(PetscFree(ref));
  PetscCall(PetscFree(feat));
  PetscFunctionReturn(0);
}

static PetscErrorCode ResultDestroy(Result *res)
{
  PetscFunctionBeginUser;
  for (int t = 0; t < 3; t++) PetscCall(PetscFree(res->perm[t]));
  PetscCall(PetscFree(res->all));
  PetscFunctionReturn(0);
}

static PetscErrorCode TestGRF(PetscInt N, PetscInt n, uint64_t seed, const char *dump)
{
  Result   res;
  PetscInt dim = n * n;

  PetscFunctionBeginUser;
  PetscCall(OrderAll("grf", N, n, 1, FillGRF, &seed, &res));
  for (PetscInt k = 0; k < N; k++) CHECK(res.perm[SKUA_ORDER_NONE][k] == k, "grf/none: perm[%" PetscInt_FMT "] = %" PetscInt_FMT, k, res.perm[SKUA_ORDER_NONE][k]);
  CHECK(res.perm[SKUA_ORDER_GREEDY][0] == 0, "grf/greedy: does not start at sample 0");
  /* Independent samples in many effective dimensions are all far apart, so even the nearest neighbour is not close:
     with the default GRF (alpha 2.5, tau 7), n = 32, N = 200, seed 1 the ratio is 0.64 (0.58 at N = 1000; 0.47 for the
     smoother alpha 2.5, tau 3). 0.75 leaves margin for other seeds; a wrong walk (random-like order) gives ~1, and the
     exact comparison with SerialGreedy below is the sharp check. */
  CHECK(res.length[SKUA_ORDER_GREEDY] < 0.75 * res.length[SKUA_ORDER_NONE], "grf: greedy path %g is not < 0.75 x identity path %g", (double)res.length[SKUA_ORDER_GREEDY], (double)res.length[SKUA_ORDER_NONE]);
  CHECK(res.length[SKUA_ORDER_PCA] < res.length[SKUA_ORDER_NONE], "grf: pca path %g is not < identity path %g", (double)res.length[SKUA_ORDER_PCA], (double)res.length[SKUA_ORDER_NONE]);
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "grf: path length / identity: greedy %.3f, pca %.3f\n", (double)(res.length[SKUA_ORDER_GREEDY] / res.length[SKUA_ORDER_NONE]), (double)(res.length[SKUA_ORDER_PCA] / res.length[SKUA_ORDER_NONE])));
  if (!wrank) {
    PetscInt *sg;

    PetscCall(PetscMalloc1(N, &sg));
    PetscCall(SerialGreedy(N, dim, res.all, sg));
    CHECK(!memcmp(sg, res.perm[SKUA_ORDER_GREEDY], sizeof(PetscInt) * N), "grf/greedy: differs from the serial reference walk");
    PetscCall(PetscFree(sg));
    if (dump && dump[0]) {
      char  path[PETSC_MAX_PATH_LEN];
      FILE *fp;

      PetscCall(PetscSNPrintf(path, sizeof(path), "%s_feat.bin", dump));
      fp = fopen(path, "wb");
      PetscCheck(fp, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "Cannot write %s", path);
      PetscCheck(fwrite(res.all, sizeof(PetscReal), (size_t)N * dim, fp) == (size_t)N * dim, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "Short write to %s", path);
      fclose(fp);
      PetscCall(PetscSNPrintf(path, sizeof(path), "%s_order.txt", dump));
      fp = fopen(path, "w");
      PetscCheck(fp, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "Cannot write %s", path);
      fprintf(fp, "N %d n %d nfields 1\n", (int)N, (int)n);
      for (int t = 0; t < 3; t++) {
        fprintf(fp, "%s %.17g", SkuaOrderTypes[t], (double)res.length[t]);
        for (PetscInt k = 0; k < N; k++) fprintf(fp, " %d", (int)res.perm[t][k]);
        fprintf(fp, "\n");
      }
      fclose(fp);
    }
  }
  PetscCall(ResultDestroy(&res));
  PetscFunctionReturn(0);
}

/* Greedy on a shuffled 1-parameter family must start at sample 0 (t index s = 5), run monotonically in t to one end,
   jump back to the other neighbour of s and run monotonically to the other end: distance grows with |t - s|. */
static PetscErrorCode TestSynthetic(void)
{
  const PetscInt N = 41, n = 32;
  PetscInt       N_ = N, s, dir, expect[41], k = 0;
  Result         res;

  PetscFunctionBeginUser;
  PetscCall(OrderAll("synth", N, n, 1, FillSynth, &N_, &res));
  s   = SynthTIndex(0, N);
  dir = SynthTIndex(res.perm[SKUA_ORDER_GREEDY][1], N) - s; /* which side greedy chose first; either is allowed */
  CHECK(dir == 1 || dir == -1, "synth/greedy: second sample has t index %" PetscInt_FMT ", not a neighbour of %" PetscInt_FMT, s + dir, s);
  if (dir == 1 || dir == -1) {
    for (PetscInt j = s; j >= 0 && j < N; j += dir) expect[k++] = j;
    for (PetscInt j = s - dir; j >= 0 && j < N; j -= dir) expect[k++] = j;
    for (k = 0; k < N; k++) {
      const PetscInt got = SynthTIndex(res.perm[SKUA_ORDER_GREEDY][k], N);
      CHECK(got == expect[k], "synth/greedy: step %" PetscInt_FMT " visits t index %" PetscInt_FMT ", expected %" PetscInt_FMT, k, got, expect[k]);
      if (got != expect[k]) break;
    }
  }
  /* That order's length is the two monotone runs plus one jump; the identity order zig-zags through t. */
  CHECK(res.length[SKUA_ORDER_GREEDY] < 0.2 * res.length[SKUA_ORDER_NONE], "synth: greedy path %g vs identity %g", (double)res.length[SKUA_ORDER_GREEDY], (double)res.length[SKUA_ORDER_NONE]);
  CHECK(res.length[SKUA_ORDER_PCA] < res.length[SKUA_ORDER_NONE], "synth: pca path %g vs identity %g", (double)res.length[SKUA_ORDER_PCA], (double)res.length[SKUA_ORDER_NONE]);
  PetscCall(ResultDestroy(&res));
  PetscFunctionReturn(0);
}

/* Two fields per sample, a grid smaller than the 12 x 12 block, and fewer samples than ranks. */
static PetscErrorCode TestShapes(uint64_t seed)
{
  Result res;

  PetscFunctionBeginUser;
  PetscCall(OrderAll("2fields", 64, 16, 2, FillGRF, &seed, &res));
  CHECK(res.length[SKUA_ORDER_GREEDY] < res.length[SKUA_ORDER_NONE], "2fields: greedy path not shorter than identity");
  PetscCall(ResultDestroy(&res));
  /* Ties go to the smallest index on every rank and across ranks: 0, 3, 6, ... (distance 0), then the class
     i = 1 mod 3 (distance n) in ascending order, then i = 2 mod 3. */
  PetscCall(OrderAll("ties", 23, 4, 1, FillTies, NULL, &res));
  for (PetscInt k = 0, c = 0, i = 0; k < 23; k++) {
    CHECK(res.perm[SKUA_ORDER_GREEDY][k] == i, "ties/greedy: step %" PetscInt_FMT " visits %" PetscInt_FMT ", expected %" PetscInt_FMT, k, res.perm[SKUA_ORDER_GREEDY][k], i);
    if ((i += 3) >= 23) i = ++c;
  }
  PetscCall(ResultDestroy(&res));
  PetscCall(OrderAll("small-n", 40, 8, 1, FillGRF, &seed, &res));
  PetscCall(ResultDestroy(&res));
  PetscCall(OrderAll("N=3", 3, 5, 1, FillGRF, &seed, &res));
  PetscCall(ResultDestroy(&res));
  PetscCall(OrderAll("N=1", 1, 4, 1, FillGRF, &seed, &res));
  for (int t = 0; t < 3; t++) CHECK(res.perm[t][0] == 0 && res.length[t] == 0, "N=1/%s: perm[0] = %" PetscInt_FMT ", length %g", SkuaOrderTypes[t], res.perm[t][0], (double)res.length[t]);
  PetscCall(ResultDestroy(&res));
  PetscFunctionReturn(0);
}

static PetscErrorCode TestErrors(void)
{
  const PetscInt n = 4, N = 8;
  PetscInt       nlocal = PETSC_DECIDE, Nn = N, perm[8];
  PetscReal     *feat, len;
  PetscErrorCode ierr;
  SkuaOrderType  type = SKUA_ORDER_NONE;

  PetscFunctionBeginUser;
  PetscCall(PetscSplitOwnership(PETSC_COMM_WORLD, &nlocal, &Nn));
  PetscCall(PetscCalloc1(nlocal * n * n + 1, &feat));
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = SkuaOrderCompute(PETSC_COMM_WORLD, SKUA_ORDER_GREEDY, 0, n, 1, feat, perm, NULL);
  PetscCall(ExpectError(ierr, "N = 0 must be >= 1", "N = 0"));
  ierr = SkuaOrderCompute(PETSC_COMM_WORLD, SKUA_ORDER_GREEDY, -5, n, 1, feat, perm, NULL);
  PetscCall(ExpectError(ierr, "must be >= 1", "N < 0"));
  ierr = SkuaOrderCompute(PETSC_COMM_WORLD, (SkuaOrderType)7, N, n, 1, feat, perm, NULL);
  PetscCall(ExpectError(ierr, "unknown ordering type 7", "type 7"));
  ierr = SkuaOrderCompute(PETSC_COMM_WORLD, SKUA_ORDER_PCA, N, 0, 1, feat, perm, NULL);
  PetscCall(ExpectError(ierr, "grid size n = 0", "n = 0"));
  ierr = SkuaOrderCompute(PETSC_COMM_WORLD, SKUA_ORDER_PCA, N, n, 0, feat, perm, NULL);
  PetscCall(ExpectError(ierr, "number of fields", "nfields = 0"));
  if (wsize > 1) {
    ierr = SkuaOrderCompute(PETSC_COMM_WORLD, SKUA_ORDER_GREEDY, wrank ? N : N - 1, n, 1, feat, perm, NULL);
    PetscCall(ExpectError(ierr, "differs across ranks", "N differs across ranks"));
  }
  ierr = SkuaOrderTypeFromName("hilbert", &type);
  PetscCall(ExpectError(ierr, "none, greedy, pca", "unknown type name"));
  PetscCall(PetscOptionsSetValue(NULL, "-order_type", "spiral"));
  ierr = SkuaOrderGetTypeFromOptions(NULL, &type);
  PetscCall(ExpectError(ierr, "-order_type", "unknown -order_type"));
  PetscCall(PetscOptionsSetValue(NULL, "-order_type", "PCA"));
  PetscCall(SkuaOrderGetTypeFromOptions(NULL, &type));
  CHECK(type == SKUA_ORDER_PCA, "-order_type PCA gave type %d", (int)type);
  PetscCall(PetscOptionsClearValue(NULL, "-order_type"));
  /* a NaN on the last rank's last sample is reported by every rank, with the sample's global index */
  if (wrank == wsize - 1 && nlocal) feat[nlocal * n * n - 1] = NAN;
  ierr = SkuaOrderCompute(PETSC_COMM_WORLD, SKUA_ORDER_GREEDY, N, n, 1, feat, perm, NULL);
  PetscCall(ExpectError(ierr, "sample 7 contain Inf or NaN", "NaN feature"));
  if (wrank == wsize - 1 && nlocal) feat[nlocal * n * n - 1] = 0;
  for (PetscInt k = 0; k < N; k++) perm[k] = k;
  perm[3] = 2;
  ierr = SkuaOrderPathLength(PETSC_COMM_WORLD, N, n * n, feat, perm, &len);
  PetscCall(ExpectError(ierr, "not a permutation", "path length of a non-permutation"));
  PetscCall(PetscPopErrorHandler());
  PetscCall(PetscFree(feat));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  char     dump[PETSC_MAX_PATH_LEN] = "", seedstr[64] = "1";
  PetscInt N = 200, n = 32, total;
  uint64_t seed;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &wrank));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &wsize));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-nsamples", &N, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-grid_n", &n, NULL));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-seed", seedstr, sizeof(seedstr), NULL));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-dump_prefix", dump, sizeof(dump), NULL));
  seed = strtoull(seedstr, NULL, 0);

  PetscCall(TestGRF(N, n, seed, dump));
  PetscCall(TestSynthetic());
  PetscCall(TestShapes(seed));
  PetscCall(TestErrors());

  PetscCallMPI(MPI_Allreduce(&nfail, &total, 1, MPIU_INT, MPI_SUM, PETSC_COMM_WORLD));
  if (total) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "test_order: %" PetscInt_FMT " FAILED checks\n", total));
  else PetscCall(PetscPrintf(PETSC_COMM_WORLD, "test_order: all checks passed\n"));
  PetscCall(PetscFinalize());
  return total ? 1 : 0;
}
