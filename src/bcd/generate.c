/* The paper's synthetic BCD problems A-E (Nutini, Laradji, Schmidt, JMLR 2022, Sec. "Experiments") and the HDF5 problem writer. */
#include <hdf5.h>
#include <stdio.h>
#include "bcdimpl.h"

static PetscReal Normal(PetscInt seed, uint64_t stream, uint64_t w)
{
  PetscReal u1 = (PetscReal)((SkuaBCDRandomWord(seed, stream, 2 * w) >> 11) + 1) * 0x1.0p-53;
  PetscReal u2 = SkuaBCDRandomUniform(seed, stream, 2 * w + 1);
  return PetscSqrtReal(-2.0 * PetscLogReal(u1)) * PetscCosReal(2.0 * PETSC_PI * u2);
}

/* The local CSR arrays of mloc rows with room for cap entries, and the targets b. */
static PetscErrorCode AllocLocalRows(PetscInt mloc, PetscInt cap, PetscInt **rp, PetscInt **ci, PetscReal **cv, PetscReal **b)
{
  PetscFunctionBegin;
  PetscCall(PetscMalloc1(mloc + 1, rp));
  PetscCall(PetscMalloc1(cap, ci));
  PetscCall(PetscMalloc1(cap, cv));
  PetscCall(PetscMalloc1(mloc + 1, b));
  PetscFunctionReturn(0);
}

/* Appends the entries of one random row (stream st) of problems A-C: column j kept with probability density, its
   value cs[j] (N(0,1) + 1). */
static PetscErrorCode RandomRow(PetscInt seed, uint64_t st, PetscInt d, PetscReal density, const PetscReal cs[], PetscInt *nz, PetscInt *cap, PetscInt **ci, PetscReal **cv)
{
  PetscFunctionBegin;
  for (PetscInt j = 0; j < d; j++) {
    if (SkuaBCDRandomUniform(seed, st, (uint64_t)j) >= density) continue;
    if (*nz == *cap) PetscCall(SkuaBCDGrowEntries(*nz, cap, ci, cv));
    (*ci)[*nz] = j;
    (*cv)[*nz] = cs[j] * (Normal(seed, st, (uint64_t)(d + j)) + 1.0);
    (*nz)++;
  }
  PetscFunctionReturn(0);
}

/* Problems A and B as in the authors' generator (their datasets.py / exp4.m): m = 1000 rows, d = 10000 columns,
   entries N(0,1) + 1, column j scaled by 10 N(0,1) (so coordinate Lipschitz constants differ widely, where GSL and
   Lipschitz sampling gain over GS and uniform sampling), each entry kept with probability 10 log(m)/m ~ 0.069;
   x*_j ~ N(0,1) kept with probability 0.1. A: b = A x* + e, e ~ N(0,1) (least squares); B: b = sign(A x*) (+1 for
   0) with each sign flipped with probability 0.1 (logistic). Row i's entries come from stream (seed, 1000 + i), so
   the data do not depend on the number of ranks. */
static PetscErrorCode GenerateAB(SkuaBCD bcd, PetscBool isA, PetscInt seed)
{
  PetscInt   m = 1000, d = 10000, mloc, rstart, nz = 0, cap = 0, *rp, *ci;
  PetscReal *cv, *b, *xs, *cs, density = 10.0 * PetscLogReal((PetscReal)m) / m;

  PetscFunctionBegin;
  PetscCall(SkuaBCDRowSplit(bcd->comm, m, &mloc, &rstart));
  PetscCall(PetscMalloc2(d, &xs, d, &cs));
  for (PetscInt j = 0; j < d; j++) {
    xs[j] = SkuaBCDRandomUniform(seed, 6, (uint64_t)j) < 0.1 ? Normal(seed, 1, (uint64_t)j) : 0.0;
    cs[j] = 10.0 * Normal(seed, 2, (uint64_t)j);
  }
  cap = (PetscInt)(2 * density * d * mloc) + 64;
  PetscCall(AllocLocalRows(mloc, cap, &rp, &ci, &cv, &b));
  for (PetscInt i = 0; i < mloc; i++) {
    uint64_t  st = 1000 + (uint64_t)(rstart + i);
    PetscReal z  = 0;
    rp[i]        = nz;
    PetscCall(RandomRow(seed, st, d, density, cs, &nz, &cap, &ci, &cv));
    for (PetscInt p = rp[i]; p < nz; p++) z += cv[p] * xs[ci[p]];
    if (isA) b[i] = z + Normal(seed, 3, (uint64_t)(rstart + i));
    else {
      b[i] = z >= 0 ? 1.0 : -1.0;
      if (SkuaBCDRandomUniform(seed, 7, (uint64_t)(rstart + i)) < 0.1) b[i] = -b[i];
    }
  }
  rp[mloc] = nz;
  PetscCall(PetscFree2(xs, cs));
  PetscCall(PetscStrncpy(bcd->suggested_loss, isA ? "squared" : "logistic", sizeof(bcd->suggested_loss)));
  PetscCall(SkuaBCDSetLocalRows(bcd, m, d, mloc, rp, ci, cv, b));
  PetscFunctionReturn(0);
}

/* Problem C as in the authors' code: A (1000 x 1000) = (N(0,1) + 1) entries, column j scaled by 10 N(0,1), each
   entry kept with probability 10 log(n)/n; W (1000 x 50) ~ N(0,1); label_i = argmax_c (AW)_ic + N(0,1), in 0..49. */
static PetscErrorCode GenerateC(SkuaBCD bcd, PetscInt seed)
{
  const PetscInt nc = 50;
  PetscInt       m = 1000, d = 1000, mloc, rstart, nz = 0, cap, *rp, *ci;
  PetscReal     *cv, *b, *W, *cs, density = 10.0 * PetscLogReal((PetscReal)m) / m, s[50];

  PetscFunctionBegin;
  PetscCall(SkuaBCDRowSplit(bcd->comm, m, &mloc, &rstart));
  PetscCall(PetscMalloc2(d * nc, &W, d, &cs));
  for (PetscInt j = 0; j < d; j++) {
    cs[j] = 10.0 * Normal(seed, 2, (uint64_t)j);
    for (PetscInt c = 0; c < nc; c++) W[j * nc + c] = Normal(seed, 4, (uint64_t)(j * nc + c));
  }
  cap = (PetscInt)(2 * density * d * mloc) + 64;
  PetscCall(AllocLocalRows(mloc, cap, &rp, &ci, &cv, &b));
  for (PetscInt i = 0; i < mloc; i++) {
    uint64_t st   = 1000 + (uint64_t)(rstart + i);
    PetscInt best = 0;
    rp[i]         = nz;
    for (PetscInt c = 0; c < nc; c++) s[c] = Normal(seed, 5, (uint64_t)((rstart + i) * nc + c));
    PetscCall(RandomRow(seed, st, d, density, cs, &nz, &cap, &ci, &cv));
    for (PetscInt p = rp[i]; p < nz; p++)
      for (PetscInt c = 0; c < nc; c++) s[c] += cv[p] * W[ci[p] * nc + c];
    for (PetscInt c = 1; c < nc; c++)
      if (s[c] > s[best]) best = c;
    b[i] = (PetscReal)best;
  }
  rp[mloc] = nz;
  PetscCall(PetscFree2(W, cs));
  PetscCall(PetscStrncpy(bcd->suggested_loss, "softmax", sizeof(bcd->suggested_loss)));
  PetscCall(SkuaBCDSetLocalRows(bcd, m, d, mloc, rp, ci, cv, b));
  PetscFunctionReturn(0);
}

/* Label propagation (the paper's problems D and E): on a graph with weights w_ij and labels y_j on a set S of
   nodes, min over the unlabelled x of 1/2 sum_ij w_ij (x_i - x_j)^2 (labelled x_j = y_j) is the quadratic with
   A = the graph Laplacian restricted to the unlabelled nodes (A_ii = weighted degree, A_ij = -w_ij) and
   b_i = sum_{j in S} w_ij y_j. A is SPD when every connected component holds a label. The graph (n nodes,
   symmetric adjacency nbr/wt in CSR form adj) is built identically on every rank; each keeps its rows. */
static PetscErrorCode LabelPropagation(SkuaBCD bcd, PetscInt n, const PetscInt adj[], const PetscInt nbr[], const PetscReal wt[], const PetscBool lab[], const PetscReal y[])
{
  PetscInt  *map, nu = 0, mloc, rstart, *rp, *ci, nz = 0, cap;
  PetscReal *cv, *b;

  PetscFunctionBegin;
  PetscCall(PetscMalloc1(n, &map));
  for (PetscInt i = 0; i < n; i++) map[i] = lab[i] ? -1 : nu++;
  PetscCall(SkuaBCDRowSplit(bcd->comm, nu, &mloc, &rstart));
  cap = adj[n] + n + 1;
  PetscCall(AllocLocalRows(mloc, cap, &rp, &ci, &cv, &b));
  for (PetscInt i = 0, r = 0; i < n; i++) {
    PetscReal deg = 0, bi = 0;
    PetscInt  diag;
    if (map[i] < rstart || map[i] >= rstart + mloc) continue;
    rp[r] = nz;
    diag  = nz++;
    ci[diag] = map[i];
    for (PetscInt p = adj[i]; p < adj[i + 1]; p++) {
      PetscInt j = nbr[p];
      deg += wt[p];
      if (lab[j]) bi += wt[p] * y[j];
      else {
        ci[nz]   = map[j];
        cv[nz++] = -wt[p];
      }
    }
    cv[diag] = deg;
    b[r++]   = bi;
  }
  rp[mloc] = nz;
  PetscCall(PetscFree(map));
  PetscCall(PetscStrncpy(bcd->suggested_loss, "quadratic", sizeof(bcd->suggested_loss)));
  PetscCall(SkuaBCDSetLocalRows(bcd, nu, nu, mloc, rp, ci, cv, b));
  PetscFunctionReturn(0);
}

/* The first k entries of a uniform random permutation of 0..n-1 (Fisher-Yates from stream (seed, stream)). */
static PetscErrorCode RandomPermutation(PetscInt seed, uint64_t stream, PetscInt n, PetscInt perm[])
{
  PetscFunctionBegin;
  for (PetscInt i = 0; i < n; i++) perm[i] = i;
  for (PetscInt i = n - 1; i > 0; i--) {
    PetscInt j = (PetscInt)(SkuaBCDRandomWord(seed, stream, (uint64_t)i) % (uint64_t)(i + 1)), t = perm[i];
    perm[i]    = perm[j];
    perm[j]    = t;
  }
  PetscFunctionReturn(0);
}

/* Problem D as in the authors' code: a 50 x 50 lattice (4-neighbour, weights 1e5), 100 nodes labelled with
   10 N(0,1): A is 2400 x 2400 with at most 5 nonzeros per row. */
static PetscErrorCode GenerateD(SkuaBCD bcd, PetscInt seed)
{
  const PetscInt nr = 50, ncol = 50, n = nr * ncol, nlab = 100;
  PetscInt      *adj, *nbr, *perm, nz = 0;
  PetscReal     *wt, *y;
  PetscBool     *lab;

  PetscFunctionBegin;
  PetscCall(PetscMalloc3(n + 1, &adj, 4 * n, &nbr, 4 * n, &wt));
  PetscCall(PetscMalloc3(n, &perm, n, &y, n, &lab));
  for (PetscInt i = 0; i < n; i++) { /* node i is row i % nr, column i / nr */
    PetscInt r = i % nr, c = i / nr, cand[4] = {i - nr, i - 1, i + 1, i + nr};
    PetscBool ok[4] = {c > 0, r > 0, r < nr - 1, c < ncol - 1};
    adj[i] = nz;
    for (PetscInt q = 0; q < 4; q++)
      if (ok[q]) {
        nbr[nz]  = cand[q];
        wt[nz++] = 1e5;
      }
  }
  adj[n] = nz;
  PetscCall(RandomPermutation(seed, 6, n, perm));
  for (PetscInt i = 0; i < n; i++) {
    lab[i] = PETSC_FALSE;
    y[i]   = 0;
  }
  for (PetscInt k = 0; k < nlab; k++) {
    lab[perm[k]] = PETSC_TRUE;
    y[perm[k]]   = 10.0 * Normal(seed, 7, (uint64_t)k);
  }
  PetscCall(LabelPropagation(bcd, n, adj, nbr, wt, lab, y));
  PetscCall(PetscFree3(adj, nbr, wt));
  PetscCall(PetscFree3(perm, y, lab));
  PetscFunctionReturn(0);
}

static PetscInt Find(PetscInt *parent, PetscInt i)
{
  while (parent[i] != i) i = parent[i] = parent[parent[i]];
  return i;
}

/* Problem E: two moons of 1000 points each (sklearn's make_moons shape: (cos t, sin t) and (1 - cos t,
   1/2 - sin t), t evenly spaced in [0, pi], plus N(0, 0.1^2) noise per coordinate), each node joined to its 5
   nearest neighbours (symmetrised, weight 1), 100 nodes labelled with their moon (+1/-1): A is 1900 x 1900.
   The labelled set is a random one with at least one node in every connected component of the graph, so
   that A is positive definite (the authors' data file has the same sizes; its exact points are not public). */
static PetscErrorCode GenerateE(SkuaBCD bcd, PetscInt seed)
{
  const PetscInt n = 2000, half = 1000, knn = 5, nlab = 100;
  PetscReal     *pt, *y, *wt, *dist;
  PetscInt      *nn, *adj, *nbr, *perm, *parent, nz = 0, nsel = 0;
  PetscBool     *lab, *isedge, *compdone;

  PetscFunctionBegin;
  PetscCall(PetscMalloc4(2 * n, &pt, n, &y, n, &dist, n * knn, &nn));
  for (PetscInt i = 0; i < n; i++) {
    PetscReal t = PETSC_PI * (PetscReal)(i % half) / (half - 1);
    if (i < half) {
      pt[2 * i]     = PetscCosReal(t);
      pt[2 * i + 1] = PetscSinReal(t);
      y[i]          = 1.0;
    } else {
      pt[2 * i]     = 1.0 - PetscCosReal(t);
      pt[2 * i + 1] = 0.5 - PetscSinReal(t);
      y[i]          = -1.0;
    }
    pt[2 * i] += 0.1 * Normal(seed, 8, (uint64_t)(2 * i));
    pt[2 * i + 1] += 0.1 * Normal(seed, 8, (uint64_t)(2 * i + 1));
  }
  /* k nearest neighbours by brute force; ties go to the lower index */
  for (PetscInt i = 0; i < n; i++) {
    PetscInt *h = nn + i * knn;
    for (PetscInt j = 0; j < n; j++) {
      PetscReal dx = pt[2 * i] - pt[2 * j], dy = pt[2 * i + 1] - pt[2 * j + 1];
      dist[j] = j == i ? PETSC_MAX_REAL : dx * dx + dy * dy;
    }
    for (PetscInt q = 0; q < knn; q++) {
      PetscInt best = -1;
      for (PetscInt j = 0; j < n; j++) {
        PetscBool taken = PETSC_FALSE;
        for (PetscInt r = 0; r < q; r++) taken = (PetscBool)(taken || h[r] == j);
        if (!taken && j != i && (best < 0 || dist[j] < dist[best])) best = j;
      }
      h[q] = best;
    }
  }
  /* symmetrised adjacency: i ~ j when either is among the other's neighbours */
  PetscCall(PetscMalloc5(n + 1, &adj, 2 * n * knn, &nbr, 2 * n * knn, &wt, n, &isedge, n, &parent));
  for (PetscInt i = 0; i < n; i++) isedge[i] = PETSC_FALSE;
  {
    PetscInt *cnt, *rev, *revp;
    PetscCall(PetscCalloc3(n + 1, &cnt, n * knn, &rev, n + 1, &revp));
    for (PetscInt i = 0; i < n * knn; i++) cnt[nn[i] + 1]++;
    for (PetscInt i = 0; i < n; i++) cnt[i + 1] += cnt[i];
    for (PetscInt i = 0; i <= n; i++) revp[i] = cnt[i];
    for (PetscInt i = 0; i < n; i++)
      for (PetscInt q = 0; q < knn; q++) rev[cnt[nn[i * knn + q]]++] = i;
    for (PetscInt i = 0; i < n; i++) {
      adj[i] = nz;
      for (PetscInt q = 0; q < knn; q++) {
        PetscInt j = nn[i * knn + q];
        if (!isedge[j]) {
          isedge[j] = PETSC_TRUE;
          nbr[nz]   = j;
          wt[nz++]  = 1.0;
        }
      }
      for (PetscInt p = revp[i]; p < revp[i + 1]; p++)
        if (!isedge[rev[p]]) {
          isedge[rev[p]] = PETSC_TRUE;
          nbr[nz]        = rev[p];
          wt[nz++]       = 1.0;
        }
      for (PetscInt p = adj[i]; p < nz; p++) isedge[nbr[p]] = PETSC_FALSE;
    }
    adj[n] = nz;
    PetscCall(PetscFree3(cnt, rev, revp));
  }
  for (PetscInt i = 0; i < n; i++) parent[i] = i;
  for (PetscInt i = 0; i < n; i++)
    for (PetscInt p = adj[i]; p < adj[i + 1]; p++) {
      PetscInt a = Find(parent, i), c = Find(parent, nbr[p]);
      if (a != c) parent[PetscMax(a, c)] = PetscMin(a, c);
    }
  PetscCall(PetscMalloc3(n, &perm, n, &lab, n, &compdone));
  PetscCall(RandomPermutation(seed, 9, n, perm));
  for (PetscInt i = 0; i < n; i++) lab[i] = compdone[i] = PETSC_FALSE;
  /* one label in every component first (in permutation order), then the next ones of the permutation */
  for (PetscInt k = 0; k < n; k++) {
    PetscInt r = Find(parent, perm[k]);
    if (!compdone[r]) {
      compdone[r]   = PETSC_TRUE;
      lab[perm[k]] = PETSC_TRUE;
      nsel++;
    }
  }
  PetscCheck(nsel <= nlab, bcd->comm, PETSC_ERR_PLIB, "problem E: the 5-nearest-neighbour graph has %" PetscInt_FMT " components, more than the %" PetscInt_FMT " labels; try another -seed", nsel, nlab);
  for (PetscInt k = 0; k < n && nsel < nlab; k++)
    if (!lab[perm[k]]) {
      lab[perm[k]] = PETSC_TRUE;
      nsel++;
    }
  PetscCall(LabelPropagation(bcd, n, adj, nbr, wt, lab, y));
  PetscCall(PetscFree4(pt, y, dist, nn));
  PetscCall(PetscFree5(adj, nbr, wt, isedge, parent));
  PetscCall(PetscFree3(perm, lab, compdone));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaBCDGenerate(SkuaBCD bcd, const char name[], PetscInt seed)
{
  PetscBool is[5];

  PetscFunctionBegin;
  PetscCheck(!bcd->has_data, bcd->comm, PETSC_ERR_ORDER, "SkuaBCD already holds a problem");
  for (PetscInt k = 0; k < 5; k++) {
    char nm[2] = {(char)('A' + k), 0};
    PetscCall(PetscStrcmp(name, nm, &is[k]));
  }
  PetscCheck(is[0] || is[1] || is[2] || is[3] || is[4], bcd->comm, PETSC_ERR_ARG_OUTOFRANGE, "-generate %s: unknown problem; choose A (sparse least squares), B (sparse logistic), C (50-class softmax), D (lattice label propagation) or E (two-moons label propagation)", name);
  PetscCall(PetscSNPrintf(bcd->source, sizeof(bcd->source), "generated problem %s (seed %" PetscInt_FMT ")", name, seed));
  if (is[0] || is[1]) PetscCall(GenerateAB(bcd, is[0], seed));
  else if (is[2]) PetscCall(GenerateC(bcd, seed));
  else if (is[3]) PetscCall(GenerateD(bcd, seed));
  else PetscCall(GenerateE(bcd, seed));
  PetscFunctionReturn(0);
}

static PetscErrorCode WriteSlice(hid_t fid, const char path[], hid_t ftype, hid_t mtype, hsize_t total, hsize_t start, hsize_t count, const void *buf)
{
  hid_t  space = H5Screate_simple(1, &total, NULL), ds, ms;
  herr_t err;

  PetscFunctionBegin;
  ds = H5Dcreate2(fid, path, ftype, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  PetscCheck(ds >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "cannot create dataset '%s'", path);
  if (count) H5Sselect_hyperslab(space, H5S_SELECT_SET, &start, NULL, &count, NULL);
  else H5Sselect_none(space);
  ms = H5Screate_simple(1, &count, NULL);
  if (!count) H5Sselect_none(ms);
  err = H5Dwrite(ds, mtype, ms, space, H5P_DEFAULT, buf);
  H5Sclose(ms);
  H5Sclose(space);
  H5Dclose(ds);
  PetscCheck(err >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "cannot write dataset '%s'", path);
  PetscFunctionReturn(0);
}

static PetscErrorCode WriteAttrString(hid_t obj, const char name[], const char value[])
{
  hid_t  t = H5Tcopy(H5T_C_S1), sp = H5Screate(H5S_SCALAR), a;
  size_t n;

  PetscFunctionBegin;
  PetscCall(PetscStrlen(value, &n));
  H5Tset_size(t, n ? n : 1);
  H5Tset_cset(t, H5T_CSET_UTF8);
  a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, t, n ? value : "");
  H5Aclose(a);
  H5Sclose(sp);
  H5Tclose(t);
  PetscFunctionReturn(0);
}

/* The problem in the layout the reader takes, written by every rank's rows into PATH.partial, renamed last. */
PetscErrorCode SkuaBCDWriteProblem(SkuaBCD bcd, const char path[], PetscInt nattr, const char *const names[], const char *const values[])
{
  char      partial[PETSC_MAX_PATH_LEN + 16];
  hid_t     fapl, fid, grp;
  PetscInt  nzloc = bcd->rrp[bcd->mloc], zstart, zend;
  int64_t  *i64, shape[2] = {bcd->m, bcd->d};
  hsize_t   two = 2;
  int       ok;

  PetscFunctionBegin;
  PetscCheck(bcd->has_data, bcd->comm, PETSC_ERR_ORDER, "SkuaBCDWriteProblem: no problem set");
  PetscCall(PetscSNPrintf(partial, sizeof(partial), "%s.partial", path));
  fapl = H5Pcreate(H5P_FILE_ACCESS);
  H5Pset_fapl_mpio(fapl, bcd->comm, MPI_INFO_NULL);
  fid = H5Fcreate(partial, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  H5Pclose(fapl);
  PetscCheck(fid >= 0, bcd->comm, PETSC_ERR_FILE_OPEN, "Cannot create '%s'", partial);
  PetscCallMPI(MPI_Scan(&nzloc, &zend, 1, MPIU_INT, MPI_SUM, bcd->comm));
  zstart = zend - nzloc;
  grp    = H5Gcreate2(fid, "A", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  {
    hid_t sp = H5Screate_simple(1, &two, NULL), a = H5Acreate2(grp, "shape", H5T_STD_I64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_INT64, shape);
    H5Aclose(a);
    H5Sclose(sp);
  }
  H5Gclose(grp);
  PetscCall(WriteSlice(fid, "A/data", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, (hsize_t)bcd->nnz, (hsize_t)zstart, (hsize_t)nzloc, bcd->rrv));
  PetscCall(PetscMalloc1(PetscMax(nzloc, bcd->mloc + 1) + 1, &i64));
  for (PetscInt p = 0; p < nzloc; p++) i64[p] = bcd->rci[p];
  PetscCall(WriteSlice(fid, "A/indices", H5T_STD_I64LE, H5T_NATIVE_INT64, (hsize_t)bcd->nnz, (hsize_t)zstart, (hsize_t)nzloc, i64));
  /* indptr has m+1 entries: the last rank also writes the final one */
  for (PetscInt i = 0; i <= bcd->mloc; i++) i64[i] = zstart + bcd->rrp[i];
  PetscCall(WriteSlice(fid, "A/indptr", H5T_STD_I64LE, H5T_NATIVE_INT64, (hsize_t)bcd->m + 1, (hsize_t)bcd->rstart, (hsize_t)bcd->mloc + (bcd->rstart + bcd->mloc == bcd->m ? 1 : 0), i64));
  PetscCall(PetscFree(i64));
  PetscCall(WriteSlice(fid, "b", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, (hsize_t)bcd->m, (hsize_t)bcd->rstart, (hsize_t)bcd->mloc, bcd->b));
  if (bcd->suggested_loss[0]) PetscCall(WriteAttrString(fid, "loss", bcd->suggested_loss));
  PetscCall(WriteAttrString(fid, "source", bcd->source));
  for (PetscInt a = 0; a < nattr; a++) PetscCall(WriteAttrString(fid, names[a], values[a]));
  ok = H5Fclose(fid) >= 0;
  PetscCheck(ok, bcd->comm, PETSC_ERR_FILE_WRITE, "Closing '%s' failed", partial);
  PetscCallMPI(MPI_Barrier(bcd->comm));
  if (bcd->rank == 0) ok = rename(partial, path) == 0;
  PetscCallMPI(MPI_Bcast(&ok, 1, MPI_INT, 0, bcd->comm));
  PetscCheck(ok, bcd->comm, PETSC_ERR_FILE_WRITE, "Cannot rename '%s' to '%s'", partial, path);
  PetscFunctionReturn(0);
}
