/* BCD data readers: rectangular A (m x d) from HDF5 CSR/dense or LIBSVM text into local CSC/CSR (Nutini et al., JMLR 2022). */
#include <hdf5.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include "bcdimpl.h"


PetscErrorCode SkuaBCDGrowEntries(PetscInt nz, PetscInt *cap, PetscInt **ci, PetscReal **cv)
{
  PetscInt  *ci2;
  PetscReal *cv2;

  PetscFunctionBegin;
  PetscCall(PetscMalloc1(2 * *cap, &ci2));
  PetscCall(PetscMalloc1(2 * *cap, &cv2));
  PetscCall(PetscArraycpy(ci2, *ci, nz));
  PetscCall(PetscArraycpy(cv2, *cv, nz));
  PetscCall(PetscFree(*ci));
  PetscCall(PetscFree(*cv));
  *ci = ci2;
  *cv = cv2;
  *cap *= 2;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaBCDRowSplit(MPI_Comm comm, PetscInt M, PetscInt *mloc, PetscInt *rstart)
{
  PetscInt end;

  PetscFunctionBegin;
  *mloc = PETSC_DECIDE;
  PetscCall(PetscSplitOwnership(comm, mloc, &M));
  PetscCallMPI(MPI_Scan(mloc, &end, 1, MPIU_INT, MPI_SUM, comm));
  *rstart = end - *mloc;
  PetscFunctionReturn(0);
}

/* Sorts each row, sums duplicate columns (scipy's semantics), and builds the local CSC used by every block
   operation: column j's local nonzeros with local row numbers, rows ascending. Takes ownership. */
PetscErrorCode SkuaBCDSetLocalRows(SkuaBCD bcd, PetscInt m, PetscInt d, PetscInt mloc, PetscInt *rp, PetscInt *ci, PetscReal *cv, PetscReal *b)
{
  PetscInt end, k = 0, msum;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Allreduce(&mloc, &msum, 1, MPIU_INT, MPI_SUM, bcd->comm));
  PetscCheck(msum == m, bcd->comm, PETSC_ERR_ARG_SIZ, "Local row counts add up to %" PetscInt_FMT ", not m = %" PetscInt_FMT, msum, m);
  PetscCheck(d > 0 && m > 0, bcd->comm, PETSC_ERR_ARG_SIZ, "%s: the data matrix is empty (%" PetscInt_FMT " x %" PetscInt_FMT ")", bcd->source, m, d);
  PetscCallMPI(MPI_Scan(&mloc, &end, 1, MPIU_INT, MPI_SUM, bcd->comm));
  bcd->m      = m;
  bcd->d      = d;
  bcd->mloc   = mloc;
  bcd->rstart = end - mloc;
  for (PetscInt i = 0; i < mloc; i++) {
    PetscInt s = rp[i], len = rp[i + 1] - s, beg = k;
    PetscCall(PetscSortIntWithScalarArray(len, ci + s, cv + s));
    for (PetscInt p = s; p < s + len; p++) {
      if (k > beg && ci[k - 1] == ci[p]) cv[k - 1] += cv[p];
      else {
        ci[k] = ci[p];
        cv[k] = cv[p];
        k++;
      }
    }
    rp[i] = beg;
  }
  rp[mloc] = k;
  bcd->rrp = rp;
  bcd->rci = ci;
  bcd->rrv = cv;
  bcd->b   = b;
  PetscCall(PetscCalloc1(d + 1, &bcd->ccp));
  PetscCall(PetscMalloc1(k + 1, &bcd->cri));
  PetscCall(PetscMalloc1(k + 1, &bcd->ccv));
  for (PetscInt p = 0; p < k; p++) bcd->ccp[ci[p] + 1]++;
  for (PetscInt j = 0; j < d; j++) bcd->ccp[j + 1] += bcd->ccp[j];
  {
    PetscInt *next;
    PetscCall(PetscMalloc1(d, &next));
    PetscCall(PetscArraycpy(next, bcd->ccp, d));
    for (PetscInt i = 0; i < mloc; i++)
      for (PetscInt p = rp[i]; p < rp[i + 1]; p++) {
        PetscInt q = next[ci[p]]++;
        bcd->cri[q] = i;
        bcd->ccv[q] = cv[p];
      }
    PetscCall(PetscFree(next));
  }
  PetscCallMPI(MPI_Allreduce(&k, &bcd->nnz, 1, MPIU_INT, MPI_SUM, bcd->comm));
  bcd->has_data = PETSC_TRUE;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaBCDSetProblemCSR(SkuaBCD bcd, PetscInt m, PetscInt d, PetscInt mloc, const PetscInt rowptr[], const PetscInt cols[], const PetscReal vals[], const PetscReal b[])
{
  PetscInt  *rp, *ci, nz = rowptr[mloc] - rowptr[0];
  PetscReal *cv, *bb;

  PetscFunctionBegin;
  PetscCheck(!bcd->has_data, bcd->comm, PETSC_ERR_ORDER, "SkuaBCD already holds a problem");
  PetscCall(PetscMalloc1(mloc + 1, &rp));
  PetscCall(PetscMalloc1(nz + 1, &ci));
  PetscCall(PetscMalloc1(nz + 1, &cv));
  PetscCall(PetscMalloc1(mloc + 1, &bb));
  for (PetscInt i = 0; i <= mloc; i++) rp[i] = rowptr[i] - rowptr[0];
  for (PetscInt p = 0; p < nz; p++) {
    PetscCheck(cols[p] >= 0 && cols[p] < d, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "column %" PetscInt_FMT " out of range [0, %" PetscInt_FMT ")", cols[p], d);
    ci[p] = cols[p];
    cv[p] = vals[p];
  }
  PetscCall(PetscArraycpy(bb, b, mloc));
  if (!bcd->source[0]) PetscCall(PetscStrncpy(bcd->source, "(in memory)", sizeof(bcd->source)));
  PetscCall(SkuaBCDSetLocalRows(bcd, m, d, mloc, rp, ci, cv, bb));
  PetscFunctionReturn(0);
}

/* ---------------- HDF5 ---------------- */

/* 0 missing, 1 group, 2 dataset, 3 other */
static int H5Kind(hid_t fid, const char path[])
{
  hid_t obj;
  int   kind = 3;
  if (H5Lexists(fid, path, H5P_DEFAULT) <= 0) return 0;
  obj = H5Oopen(fid, path, H5P_DEFAULT);
  if (obj < 0) return 0;
  if (H5Iget_type(obj) == H5I_GROUP) kind = 1;
  else if (H5Iget_type(obj) == H5I_DATASET) kind = 2;
  H5Oclose(obj);
  return kind;
}

static PetscErrorCode OpenDataset(SkuaBCD bcd, const char file[], hid_t fid, const char path[], int rank, PetscBool isfloat, hid_t *dset, hsize_t dims[])
{
  hid_t       space, type;
  H5T_class_t cls;
  int         r;

  PetscFunctionBegin;
  PetscCheck(H5Kind(fid, path) == 2, bcd->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: dataset '%s' is missing (see docs/bcd.md for the layout)", file, path);
  *dset = H5Dopen2(fid, path, H5P_DEFAULT);
  PetscCheck(*dset >= 0, bcd->comm, PETSC_ERR_FILE_READ, "%s: cannot open dataset '%s'", file, path);
  space = H5Dget_space(*dset);
  r     = H5Sget_simple_extent_ndims(space);
  PetscCheck(r == rank, bcd->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: dataset '%s' has %d dimensions, expected %d", file, path, r, rank);
  H5Sget_simple_extent_dims(space, dims, NULL);
  H5Sclose(space);
  type = H5Dget_type(*dset);
  cls  = H5Tget_class(type);
  H5Tclose(type);
  if (isfloat) PetscCheck(cls == H5T_FLOAT, bcd->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: dataset '%s' must hold floating-point numbers", file, path);
  else PetscCheck(cls == H5T_INTEGER, bcd->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: dataset '%s' must hold integers", file, path);
  PetscFunctionReturn(0);
}

/* Rows [start, start+count) of a 1-D or 2-D dataset; every rank reads its own slice. */
static PetscErrorCode ReadSlice(hid_t dset, hid_t memtype, hsize_t start, hsize_t count, void *buf)
{
  hid_t   fspace = H5Dget_space(dset), mspace;
  hsize_t dims[2] = {0, 1}, off[2] = {start, 0}, cnt[2] = {count, 1};
  int     r       = H5Sget_simple_extent_ndims(fspace);
  herr_t  err;

  PetscFunctionBegin;
  H5Sget_simple_extent_dims(fspace, dims, NULL);
  if (r == 2) cnt[1] = dims[1];
  if (count == 0) H5Sselect_none(fspace);
  else H5Sselect_hyperslab(fspace, H5S_SELECT_SET, off, NULL, cnt, NULL);
  mspace = H5Screate_simple(r, cnt, NULL);
  if (count == 0) H5Sselect_none(mspace);
  err = H5Dread(dset, memtype, mspace, fspace, H5P_DEFAULT, buf);
  H5Sclose(mspace);
  H5Sclose(fspace);
  PetscCheck(err >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "HDF5 read failed");
  PetscFunctionReturn(0);
}

static PetscErrorCode CheckFinite(SkuaBCD bcd, const char file[], const char path[], PetscInt n, const PetscReal v[], PetscInt offset)
{
  PetscInt bad = -1;
  char     msg[SKUA_MSG_LEN] = "", num[32];

  PetscFunctionBegin;
  for (PetscInt i = 0; i < n && bad < 0; i++)
    if (PetscIsInfOrNanReal(v[i])) bad = i;
  if (bad >= 0) PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: dataset '%s' holds a non-finite value (%s) at entry %" PetscInt_FMT, file, path, SkuaBCDNum(num, (double)v[bad]), bad + offset));
  PetscCall(SkuaCheckCollective(bcd->comm, bad >= 0 ? PETSC_TRUE : PETSC_FALSE, PETSC_ERR_FILE_UNEXPECTED, msg));
  PetscFunctionReturn(0);
}

static PetscErrorCode ReadCSR(SkuaBCD bcd, const char file[], hid_t fid, PetscInt *m, PetscInt *d, PetscInt *mloc, PetscInt **rp, PetscInt **ci, PetscReal **cv)
{
  hid_t     attr, dd, di, dp;
  int64_t   shape[2] = {-1, -1}, *ptr, *ind;
  hsize_t   nd, ni, np, dims[1];
  PetscInt  rstart, bad = 0;
  char      msg[SKUA_MSG_LEN] = "";

  PetscFunctionBegin;
  PetscCheck(H5Aexists_by_name(fid, "A", "shape", H5P_DEFAULT) > 0, bcd->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: group '/A' has no attribute 'shape' ([m, d], int64)", file);
  attr = H5Aopen_by_name(fid, "A", "shape", H5P_DEFAULT, H5P_DEFAULT);
  {
    hid_t   sp = H5Aget_space(attr);
    hssize_t n = H5Sget_simple_extent_npoints(sp);
    H5Sclose(sp);
    PetscCheck(n == 2, bcd->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: attribute '/A' shape must have 2 entries, it has %lld", file, (long long)n);
  }
  PetscCheck(H5Aread(attr, H5T_NATIVE_INT64, shape) >= 0, bcd->comm, PETSC_ERR_FILE_READ, "%s: cannot read attribute '/A' shape", file);
  H5Aclose(attr);
  PetscCheck(shape[0] > 0 && shape[1] > 0, bcd->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: '/A' has shape (%lld, %lld); both must be positive", file, (long long)shape[0], (long long)shape[1]);
  PetscCheck(shape[0] < PETSC_MAX_INT && shape[1] < PETSC_MAX_INT, bcd->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: '/A' is too large for 32-bit PetscInt", file);
  PetscCall(OpenDataset(bcd, file, fid, "A/data", 1, PETSC_TRUE, &dd, dims));
  nd = dims[0];
  PetscCall(OpenDataset(bcd, file, fid, "A/indices", 1, PETSC_FALSE, &di, dims));
  ni = dims[0];
  PetscCall(OpenDataset(bcd, file, fid, "A/indptr", 1, PETSC_FALSE, &dp, dims));
  np = dims[0];
  PetscCheck(np == (hsize_t)shape[0] + 1, bcd->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: '/A/indptr' has %llu entries; shape says %lld rows, so it needs %lld", file, (unsigned long long)np, (long long)shape[0], (long long)shape[0] + 1);
  PetscCheck(ni == nd, bcd->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: '/A/indices' has %llu entries but '/A/data' has %llu", file, (unsigned long long)ni, (unsigned long long)nd);
  *m = (PetscInt)shape[0];
  *d = (PetscInt)shape[1];
  PetscCall(SkuaBCDRowSplit(bcd->comm, *m, mloc, &rstart));
  PetscCall(PetscMalloc1(*mloc + 1, &ptr));
  PetscCall(ReadSlice(dp, H5T_NATIVE_INT64, (hsize_t)rstart, (hsize_t)*mloc + 1, ptr));
  if (rstart == 0 && ptr[0] != 0) {
    bad = 1;
    PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: '/A/indptr' must start with 0, not %lld", file, (long long)ptr[0]));
  }
  for (PetscInt i = 0; i < *mloc && !bad; i++)
    if (ptr[i + 1] < ptr[i]) {
      bad = 1;
      PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: '/A/indptr' decreases at entry %" PetscInt_FMT, file, rstart + i + 1));
    }
  if (!bad && (ptr[0] < 0 || ptr[*mloc] > (int64_t)nd || (rstart + *mloc == *m && ptr[*mloc] != (int64_t)nd))) {
    bad = 1;
    PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: '/A/indptr' does not match '/A/data' (%llu entries)", file, (unsigned long long)nd));
  }
  PetscCall(SkuaCheckCollective(bcd->comm, bad ? PETSC_TRUE : PETSC_FALSE, PETSC_ERR_FILE_UNEXPECTED, msg));
  {
    hsize_t  off = (hsize_t)ptr[0], cnt = (hsize_t)(ptr[*mloc] - ptr[0]);
    PetscInt nz  = (PetscInt)cnt;
    PetscCall(PetscMalloc1(*mloc + 1, rp));
    for (PetscInt i = 0; i <= *mloc; i++) (*rp)[i] = (PetscInt)(ptr[i] - ptr[0]);
    PetscCall(PetscMalloc1(nz + 1, &ind));
    PetscCall(PetscMalloc1(nz + 1, ci));
    PetscCall(PetscMalloc1(nz + 1, cv));
    PetscCall(ReadSlice(di, H5T_NATIVE_INT64, off, cnt, ind));
    PetscCall(ReadSlice(dd, H5T_NATIVE_DOUBLE, off, cnt, *cv));
    for (PetscInt p = 0; p < nz; p++) {
      if ((ind[p] < 0 || ind[p] >= shape[1]) && !bad) {
        bad = 1;
        PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: '/A/indices' entry %llu: column %lld is out of range [0, %lld)", file, (unsigned long long)(off + p), (long long)ind[p], (long long)shape[1]));
      }
      (*ci)[p] = (PetscInt)ind[p];
    }
    PetscCall(SkuaCheckCollective(bcd->comm, bad ? PETSC_TRUE : PETSC_FALSE, PETSC_ERR_FILE_UNEXPECTED, msg));
    PetscCall(CheckFinite(bcd, file, "/A/data", nz, *cv, (PetscInt)off));
    PetscCall(PetscFree(ind));
  }
  PetscCall(PetscFree(ptr));
  H5Dclose(dd);
  H5Dclose(di);
  H5Dclose(dp);
  PetscFunctionReturn(0);
}

static PetscErrorCode ReadDense(SkuaBCD bcd, const char file[], hid_t fid, PetscInt *m, PetscInt *d, PetscInt *mloc, PetscInt **rp, PetscInt **ci, PetscReal **cv)
{
  hid_t      ds;
  hsize_t    dims[2];
  PetscInt   rstart, nz = 0;
  PetscReal *buf;

  PetscFunctionBegin;
  PetscCall(OpenDataset(bcd, file, fid, "A", 2, PETSC_TRUE, &ds, dims));
  PetscCheck(dims[0] > 0 && dims[1] > 0, bcd->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: dense '/A' is empty", file);
  *m = (PetscInt)dims[0];
  *d = (PetscInt)dims[1];
  PetscCall(SkuaBCDRowSplit(bcd->comm, *m, mloc, &rstart));
  PetscCall(PetscMalloc1((size_t)*mloc * *d + 1, &buf));
  PetscCall(ReadSlice(ds, H5T_NATIVE_DOUBLE, (hsize_t)rstart, (hsize_t)*mloc, buf));
  H5Dclose(ds);
  PetscCall(CheckFinite(bcd, file, "/A", *mloc * *d, buf, rstart * *d));
  for (PetscInt p = 0; p < *mloc * *d; p++) nz += buf[p] != 0;
  PetscCall(PetscMalloc1(*mloc + 1, rp));
  PetscCall(PetscMalloc1(nz + 1, ci));
  PetscCall(PetscMalloc1(nz + 1, cv));
  nz = 0;
  for (PetscInt i = 0; i < *mloc; i++) {
    (*rp)[i] = nz;
    for (PetscInt j = 0; j < *d; j++)
      if (buf[i * *d + j] != 0) {
        (*ci)[nz]   = j;
        (*cv)[nz++] = buf[i * *d + j];
      }
  }
  (*rp)[*mloc] = nz;
  PetscCall(PetscFree(buf));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaBCDReadHDF5(SkuaBCD bcd, const char file[])
{
  hid_t      fapl, fid, ds;
  int        kind;
  PetscInt   m, d, mloc, *rp, *ci, rstart;
  PetscReal *cv, *b;
  hsize_t    dims[1];

  PetscFunctionBegin;
  fapl = H5Pcreate(H5P_FILE_ACCESS);
  H5Pset_fapl_mpio(fapl, bcd->comm, MPI_INFO_NULL);
  fid = H5Fopen(file, H5F_ACC_RDONLY, fapl);
  H5Pclose(fapl);
  PetscCheck(fid >= 0, bcd->comm, PETSC_ERR_FILE_OPEN, "Cannot open HDF5 file '%s' for parallel reading", file);
  kind = H5Kind(fid, "A");
  PetscCheck(kind == 1 || kind == 2, bcd->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: no data matrix '/A' (a CSR group data/indices/indptr/shape or a dense 2-D dataset)", file);
  if (kind == 1) PetscCall(ReadCSR(bcd, file, fid, &m, &d, &mloc, &rp, &ci, &cv));
  else PetscCall(ReadDense(bcd, file, fid, &m, &d, &mloc, &rp, &ci, &cv));
  PetscCall(OpenDataset(bcd, file, fid, "b", 1, PETSC_TRUE, &ds, dims));
  PetscCheck(dims[0] == (hsize_t)m, bcd->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: '/b' has %llu entries but '/A' has %" PetscInt_FMT " rows", file, (unsigned long long)dims[0], m);
  PetscCall(SkuaBCDRowSplit(bcd->comm, m, &mloc, &rstart));
  PetscCall(PetscMalloc1(mloc + 1, &b));
  PetscCall(ReadSlice(ds, H5T_NATIVE_DOUBLE, (hsize_t)rstart, (hsize_t)mloc, b));
  H5Dclose(ds);
  PetscCall(CheckFinite(bcd, file, "/b", mloc, b, rstart));
  if (H5Aexists(fid, "loss") > 0) { /* the generator's suggestion, used when -bcd_loss is not given */
    hid_t a = H5Aopen(fid, "loss", H5P_DEFAULT), t = H5Aget_type(a);
    PetscCall(PetscArrayzero(bcd->suggested_loss, sizeof(bcd->suggested_loss)));
    if (H5Tget_class(t) == H5T_STRING && H5Tis_variable_str(t) > 0) { /* h5py's default for str attributes */
      char *v = NULL;
      if (H5Aread(a, t, &v) >= 0 && v) {
        PetscCall(PetscStrncpy(bcd->suggested_loss, v, sizeof(bcd->suggested_loss)));
        H5free_memory(v);
      }
    } else if (H5Tget_class(t) == H5T_STRING && H5Tget_size(t) < sizeof(bcd->suggested_loss)) H5Aread(a, t, bcd->suggested_loss);
    H5Tclose(t);
    H5Aclose(a);
  }
  H5Fclose(fid);
  PetscCall(SkuaBCDSetLocalRows(bcd, m, d, mloc, rp, ci, cv, b));
  PetscFunctionReturn(0);
}

/* ---------------- LIBSVM / SVMlight text ---------------- */

/* A decimal number as strtod() reads it, but without strtod's locale and arbitrary-precision machinery for the
   common case: at most 19 significant digits (an exact integer mantissa M) and a decimal exponent E with
   M <= 2^53 and |E| <= 22. Then M and 10^|E| are exact doubles and one IEEE multiply or divide gives the
   correctly rounded value (Clinger's fast path), i.e. the same double strtod() returns. Anything else
   (more digits, larger exponents, inf/nan, hex) goes to strtod(). Sets *end as strtod() does. */
static PetscReal ParseReal(const char *p, char **end)
{
  static const double pow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  const char        *s = p;
  unsigned long long mant = 0;
  int                neg = 0, nd = 0, exp10 = 0, any = 0;

  if (*s == '-' || *s == '+') neg = (*s++ == '-');
  for (; *s >= '0' && *s <= '9'; s++, any = 1) {
    if (mant == 0 && *s == '0') continue; /* leading zeros are not significant */
    if (nd == 19) return strtod(p, end);
    mant = mant * 10 + (unsigned long long)(*s - '0');
    nd++;
  }
  if (*s == '.') {
    for (s++; *s >= '0' && *s <= '9'; s++, any = 1) {
      if (mant == 0 && *s == '0') {
        exp10--;
        continue;
      }
      if (nd == 19) return strtod(p, end);
      mant = mant * 10 + (unsigned long long)(*s - '0');
      nd++;
      exp10--;
    }
  }
  if (!any || *s == 'x' || *s == 'X') return strtod(p, end); /* no digits (inf, nan, not a number) or hex */
  if (*s == 'e' || *s == 'E') {
    const char *t = s + 1;
    int         eneg = 0, ev = 0, edig = 0;

    if (*t == '-' || *t == '+') eneg = (*t++ == '-');
    for (; *t >= '0' && *t <= '9'; t++, edig++)
      if (ev < 10000) ev = ev * 10 + (*t - '0');
    if (edig) { /* "1e" alone is the number 1 followed by 'e', as for strtod() */
      exp10 += eneg ? -ev : ev;
      s = t;
    }
  }
  if (mant > (1ULL << 53) || exp10 < -22 || exp10 > 22) return strtod(p, end);
  *end = (char *)s;
  {
    double v = (double)mant;

    v = exp10 >= 0 ? v * pow10[exp10] : v / pow10[-exp10];
    return neg ? -v : v;
  }
}

/* Occurrences of byte c in p[0..n): byte-wide counters over 16 lanes, flushed every 255 rounds, which the compiler
   vectorises (about 2.5x faster than a memchr per hit at LIBSVM's density of one ':' per ~15 bytes). */
static size_t CountByte(const char *p, size_t n, char c)
{
  size_t tot = 0;

  while (n) {
    size_t        k = n < 255 * 16 ? n : 255 * 16, i = 0;
    unsigned char acc[16] = {0};

    for (; i + 16 <= k; i += 16)
      for (int j = 0; j < 16; j++) acc[j] += (unsigned char)(p[i + j] == c);
    for (int j = 0; j < 16; j++) tot += acc[j];
    for (; i < k; i++) tot += (p[i] == c);
    p += k;
    n -= k;
  }
  return tot;
}

/* The first line start at or after byte lo (0, or the byte after a '\n'), or S when there is none. */
static long long FirstLineStart(FILE *f, long long lo, long long S)
{
  long long pos;
  int       ch;

  if (lo <= 0) return 0;
  if (lo >= S || fseeko(f, (off_t)(lo - 1), SEEK_SET)) return S;
  for (pos = lo - 1; (ch = getc(f)) != EOF; pos++)
    if (ch == '\n') return pos + 1 < S ? pos + 1 : S;
  return S;
}

#define SKUA_LIBSVM_CKPT 256 /* a checkpoint (byte offset, line) every this many data rows of the count pass */

typedef struct {
  long long off;      /* byte offset of the data row */
  PetscInt  line, row; /* its line and data-row index within the rank's byte range */
} LineCkpt;

/* Each rank reads two shares of the file, not the whole file plus a share:
   1. the count pass: rank r owns the lines that start in bytes [r S/P, (r+1) S/P) and counts their lines, data rows
      and ':' (a bound on the entries), keeping a checkpoint every SKUA_LIBSVM_CKPT data rows;
   2. the prefix sums of the counts give every rank's PETSc row block [rstart, rstart + mloc) and the byte offset and
      line number of its first row (found from the owner's nearest checkpoint);
   3. the parse pass reads exactly those rows. The row blocks are those of PetscSplitOwnership, whatever P.
   Comment lines (#...) are not rows; every other line, blank ones included, is. Errors in any rank's share are
   raised collectively with the line number. */
PetscErrorCode SkuaBCDReadLIBSVM(SkuaBCD bcd, const char file[])
{
  FILE      *f;
  char      *line = NULL, msg[SKUA_MSG_LEN] = "";
  size_t     cap  = 0;
  ssize_t    len;
  PetscInt   m = 0, mloc, rstart, row, nz = 0, zcap = 1024, *rp, *ci, dmax = 0, dall, bad = 0, lineno = 0, ncolon = 0;
  PetscInt   nrows = 0, nlines = 0, cnt[3], off[3] = {0, 0, 0}, nck = 0, ckcap = 64;
  long long  S = 0, *bnd, *start;
  PetscInt  *startline, *rstarts;
  LineCkpt  *ck;
  PetscMPIInt P = bcd->size, rank = bcd->rank;
  PetscReal *cv, *b;
  int        ok;

  PetscFunctionBegin;
  f  = fopen(file, "r");
  ok = f ? 1 : 0;
  PetscCall(PetscSNPrintf(msg, sizeof(msg), "Cannot open '%s': %s", file, strerror(errno)));
  PetscCall(SkuaCheckCollective(bcd->comm, ok ? PETSC_FALSE : PETSC_TRUE, PETSC_ERR_FILE_OPEN, msg));
  msg[0] = 0;
  ok     = fseeko(f, 0, SEEK_END) == 0 && (S = (long long)ftello(f)) >= 0;
  PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: cannot seek in the file (a LIBSVM problem must be a regular file, not a pipe)", file));
  PetscCall(SkuaCheckCollective(bcd->comm, ok ? PETSC_FALSE : PETSC_TRUE, PETSC_ERR_FILE_READ, msg));
  msg[0] = 0;
  /* 1. my byte range [bnd[r], bnd[r+1]), cut at line starts */
  PetscCall(PetscMalloc4(P + 1, &bnd, P, &start, P, &startline, P + 1, &rstarts));
  {
    long long lo = FirstLineStart(f, (long long)((double)S * rank / P), S);
    PetscCallMPI(MPI_Allgather(&lo, 1, MPI_LONG_LONG, bnd, 1, MPI_LONG_LONG, bcd->comm));
    bnd[P] = S;
  }
  PetscCall(PetscMalloc1(ckcap, &ck));
  {
    char      blk[1 << 16];
    long long pos = bnd[rank], rest = bnd[rank + 1] - bnd[rank];
    int       at_start = 1;

    if (rest > 0 && fseeko(f, (off_t)pos, SEEK_SET)) rest = 0;
    while (rest > 0) {
      size_t      nread = fread(blk, 1, rest < (long long)sizeof(blk) ? (size_t)rest : sizeof(blk), f);
      const char *q = blk, *qend = blk + nread;

      if (!nread) break;
      ncolon += (PetscInt)CountByte(blk, nread, ':');
      while (q < qend) {
        const char *nl;

        if (at_start) {
          nlines++;
          if (*q != '#') {
            if (nrows % SKUA_LIBSVM_CKPT == 0) {
              if (nck == ckcap) {
                LineCkpt *ck2;
                PetscCall(PetscMalloc1(2 * ckcap, &ck2));
                PetscCall(PetscArraycpy(ck2, ck, nck));
                PetscCall(PetscFree(ck));
                ck = ck2;
                ckcap *= 2;
              }
              ck[nck].off  = pos + (q - blk);
              ck[nck].line = nlines - 1;
              ck[nck].row  = nrows;
              nck++;
            }
            nrows++;
          }
          at_start = 0;
        }
        nl = (const char *)memchr(q, '\n', (size_t)(qend - q));
        if (!nl) break;
        q        = nl + 1;
        at_start = 1;
      }
      pos += (long long)nread;
      rest -= (long long)nread;
    }
  }
  /* 2. global counts, my rows, and where they start */
  cnt[0] = nrows;
  cnt[1] = nlines;
  cnt[2] = ncolon;
  PetscCallMPI(MPI_Exscan(cnt, off, 3, MPIU_INT, MPI_SUM, bcd->comm));
  if (rank == 0) off[0] = off[1] = off[2] = 0;
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, cnt, 3, MPIU_INT, MPI_SUM, bcd->comm));
  m      = cnt[0];
  ncolon = cnt[2];
  PetscCheck(m > 0, bcd->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: no data lines (LIBSVM format: label idx:val idx:val ...)", file);
  PetscCall(SkuaBCDRowSplit(bcd->comm, m, &mloc, &rstart));
  PetscCallMPI(MPI_Allgather(&rstart, 1, MPIU_INT, rstarts, 1, MPIU_INT, bcd->comm));
  rstarts[P] = m;
  for (PetscMPIInt t = 0; t < P; t++) {
    PetscInt j = rstarts[t] - off[0];

    start[t]     = -1;
    startline[t] = -1;
    if (rstarts[t + 1] == rstarts[t] || j < 0 || j >= nrows) continue; /* rank t reads no rows, or not from my range */
    {
      const LineCkpt *c  = &ck[j / SKUA_LIBSVM_CKPT];
      long long       at = c->off;
      PetscInt        ln = c->line, rw = c->row;

      PetscCheck(fseeko(f, (off_t)at, SEEK_SET) == 0, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "%s: cannot seek to byte %lld", file, at);
      while ((len = getline(&line, &cap, f)) >= 0) {
        if (line[0] != '#') {
          if (rw == j) break;
          rw++;
        }
        at += len;
        ln++;
      }
      start[t]     = at;
      startline[t] = off[1] + ln;
    }
  }
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, start, P, MPI_LONG_LONG, MPI_MAX, bcd->comm));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, startline, P, MPIU_INT, MPI_MAX, bcd->comm));
  PetscCall(PetscMalloc1(mloc + 1, &rp));
  PetscCall(PetscMalloc1(mloc + 1, &b));
  /* one rank: the bound is exact; more: this rank's share of it, with a margin (the arrays still grow if needed) */
  zcap = P == 1 ? ncolon + 1 : (PetscInt)(1.25 * (double)ncolon * (double)mloc / (double)m) + 1024;
  PetscCall(PetscMalloc1(zcap, &ci));
  PetscCall(PetscMalloc1(zcap, &cv));
  /* 3. parse my rows */
  row    = rstart;
  lineno = mloc ? startline[rank] : 0;
  if (mloc) PetscCheck(start[rank] >= 0 && fseeko(f, (off_t)start[rank], SEEK_SET) == 0, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "%s: cannot seek to the first row of rank %d", file, (int)rank);
  PetscCall(PetscFree(ck));
  PetscCall(PetscFree4(bnd, start, startline, rstarts));
  while (!bad && row < rstart + mloc && (len = getline(&line, &cap, f)) >= 0) {
    char     *p = line, *e;
    PetscInt  i = row - rstart, last = 0, nfeat = 0;
    PetscReal lab;

    lineno++;
    if (line[0] == '#') continue;
    row++;
    rp[i] = nz;
    {
      char *hash = strchr(line, '#');
      if (hash) *hash = 0;
    }
    while (*p == ' ' || *p == '\t') p++;
    if (*p == '\n' || *p == '\r' || *p == 0) {
      bad = 1;
      PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s:%" PetscInt_FMT ": empty line (every data line needs a label and at least one idx:val)", file, lineno));
      break;
    }
    lab = ParseReal(p, &e);
    if (e == p || (*e != ' ' && *e != '\t' && *e != '\n' && *e != '\r' && *e != 0) || PetscIsInfOrNanReal(lab)) {
      bad = 1;
      PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s:%" PetscInt_FMT ": the label is not a finite number", file, lineno));
      break;
    }
    b[i] = lab;
    p    = e;
    for (;;) {
      long      idx;
      PetscReal v;
      while (*p == ' ' || *p == '\t') p++;
      if (*p == '\n' || *p == '\r' || *p == 0) break;
      /* unsigned decimal digits (a sign is not a valid index); capped so that an absurd index stays "too large" */
      for (idx = 0, e = p; *e >= '0' && *e <= '9'; e++)
        if (idx < PETSC_MAX_INT) idx = idx * 10 + (*e - '0');
      if (e == p || *e != ':') {
        bad = 1;
        PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s:%" PetscInt_FMT ": expected idx:val, found '%.20s'", file, lineno, p));
        break;
      }
      if (idx < 1 || idx <= last || idx >= PETSC_MAX_INT) {
        bad = 1;
        PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s:%" PetscInt_FMT ": feature index %ld is %s", file, lineno, idx, idx < 1 ? "below 1 (LIBSVM indices are 1-based)" : idx <= last ? "not larger than the previous one (indices must be ascending)" : "too large"));
        break;
      }
      p = e + 1;
      v = ParseReal(p, &e);
      if (e == p || (*e != ' ' && *e != '\t' && *e != '\n' && *e != '\r' && *e != 0) || PetscIsInfOrNanReal(v)) {
        bad = 1;
        PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s:%" PetscInt_FMT ": the value of feature %ld is not a finite number", file, lineno, idx));
        break;
      }
      p = e;
      if (nz == zcap) PetscCall(SkuaBCDGrowEntries(nz, &zcap, &ci, &cv));
      ci[nz]   = (PetscInt)idx - 1;
      cv[nz++] = v;
      last     = idx;
      nfeat++;
      dmax = PetscMax(dmax, (PetscInt)idx);
    }
    if (!bad && nfeat == 0) {
      bad = 1;
      PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s:%" PetscInt_FMT ": empty row (a label without features)", file, lineno));
    }
  }
  free(line);
  fclose(f);
  rp[mloc] = nz;
  PetscCall(SkuaCheckCollective(bcd->comm, bad ? PETSC_TRUE : PETSC_FALSE, PETSC_ERR_FILE_UNEXPECTED, msg));
  PetscCallMPI(MPI_Allreduce(&dmax, &dall, 1, MPIU_INT, MPI_MAX, bcd->comm));
  PetscCall(SkuaBCDSetLocalRows(bcd, m, dall, mloc, rp, ci, cv, b));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaBCDSetProblemFile(SkuaBCD bcd, const char path[])
{
  int state = 0; /* 0 missing, 1 HDF5, 2 text */

  PetscFunctionBegin;
  PetscCheck(!bcd->has_data, bcd->comm, PETSC_ERR_ORDER, "SkuaBCD already holds a problem");
  PetscCall(PetscStrncpy(bcd->source, path, sizeof(bcd->source)));
  PetscCall(PetscLogEventBegin(SkuaBCD_Read, 0, 0, 0, 0));
  if (bcd->rank == 0) {
    FILE *f = fopen(path, "r");
    if (f) {
      fclose(f);
      H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
      state = H5Fis_hdf5(path) > 0 ? 1 : 2;
    }
  }
  PetscCallMPI(MPI_Bcast(&state, 1, MPI_INT, 0, bcd->comm));
  PetscCheck(state, bcd->comm, PETSC_ERR_FILE_OPEN, "Cannot open '%s': no such file or not readable", path);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  if (state == 1) PetscCall(SkuaBCDReadHDF5(bcd, path));
  else PetscCall(SkuaBCDReadLIBSVM(bcd, path));
  PetscCall(PetscLogEventEnd(SkuaBCD_Read, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaBCDCreateMat(SkuaBCD bcd, Mat *A, Vec *b)
{
  PetscScalar *bb;

  PetscFunctionBegin;
  PetscCheck(bcd->has_data, bcd->comm, PETSC_ERR_ORDER, "SkuaBCDCreateMat: no problem set (SkuaBCDSetProblemFile or SkuaBCDGenerate first)");
  PetscCheck(bcd->nc == 1, bcd->comm, PETSC_ERR_SUP, "SkuaBCDCreateMat: the problem has %" PetscInt_FMT " classes; only single-column problems map to A x ~ b", bcd->nc);
  /* the local CSR rows (local row pointers, global columns) become one MATAIJ with the same row split */
  PetscCall(MatCreateMPIAIJWithArrays(bcd->comm, bcd->mloc, PETSC_DECIDE, bcd->m, bcd->d, bcd->rrp, bcd->rci, bcd->rrv, A));
  PetscCall(MatCreateVecs(*A, NULL, b));
  PetscCall(VecGetArray(*b, &bb));
  for (PetscInt i = 0; i < bcd->mloc; i++) bb[i] = bcd->b[i];
  PetscCall(VecRestoreArray(*b, &bb));
  PetscFunctionReturn(0);
}
