/* The paper's synthetic BCD problems A (sparse least squares) and B (sparse logistic), and the HDF5 problem writer. */
#include <hdf5.h>
#include <stdio.h>
#include "bcdimpl.h"

static PetscReal Normal(PetscInt seed, uint64_t stream, uint64_t w)
{
  PetscReal u1 = (PetscReal)((SkuaBCDRandomWord(seed, stream, 2 * w) >> 11) + 1) * 0x1.0p-53;
  PetscReal u2 = SkuaBCDRandomUniform(seed, stream, 2 * w + 1);
  return PetscSqrtReal(-2.0 * PetscLogReal(u1)) * PetscCosReal(2.0 * PETSC_PI * u2);
}

/* Problems A and B share one sparse design: m = 1000 rows, d = 10000 columns, each entry nonzero with
   probability 0.01 and N(0,1), each column scaled by 10^U(-1,1) so that coordinate Lipschitz constants differ
   (where GSL and Lipschitz sampling gain over GS and uniform sampling). With x* ~ N(0,1) and noise e ~ N(0,1):
   A: b = A x* + e (least squares); B: b = sign(A x* + e) (logistic). Row i's entries come from stream
   (seed, 1000 + i), so the data do not depend on the number of ranks. */
PetscErrorCode SkuaBCDGenerate(SkuaBCD bcd, const char name[], PetscInt seed)
{
  PetscBool  isA, isB;
  PetscInt   m = 1000, d = 10000, mloc, rstart, nz = 0, cap = 0, *rp, *ci;
  PetscReal *cv, *b, *xs, *cs, density = 0.01;

  PetscFunctionBegin;
  PetscCheck(!bcd->has_data, bcd->comm, PETSC_ERR_ORDER, "SkuaBCD already holds a problem");
  PetscCall(PetscStrcmp(name, "A", &isA));
  PetscCall(PetscStrcmp(name, "B", &isB));
  PetscCheck(isA || isB, bcd->comm, PETSC_ERR_SUP, "-generate %s: unknown or not implemented problem (implemented: A sparse least squares, B sparse logistic)", name);
  PetscCall(PetscSNPrintf(bcd->source, sizeof(bcd->source), "generated problem %s (seed %" PetscInt_FMT ")", name, seed));
  PetscCall(SkuaBCDRowSplit(bcd->comm, m, &mloc, &rstart));
  PetscCall(PetscMalloc2(d, &xs, d, &cs));
  for (PetscInt j = 0; j < d; j++) {
    xs[j] = Normal(seed, 1, (uint64_t)j);
    cs[j] = PetscPowReal(10.0, 2.0 * SkuaBCDRandomUniform(seed, 2, (uint64_t)j) - 1.0);
  }
  cap = (PetscInt)(2 * density * d * mloc) + 64;
  PetscCall(PetscMalloc1(mloc + 1, &rp));
  PetscCall(PetscMalloc1(cap, &ci));
  PetscCall(PetscMalloc1(cap, &cv));
  PetscCall(PetscMalloc1(mloc + 1, &b));
  for (PetscInt i = 0; i < mloc; i++) {
    uint64_t  st = 1000 + (uint64_t)(rstart + i);
    PetscReal z  = 0;
    rp[i]        = nz;
    for (PetscInt j = 0; j < d; j++) {
      if (SkuaBCDRandomUniform(seed, st, (uint64_t)j) >= density) continue;
      if (nz == cap) PetscCall(SkuaBCDGrowEntries(nz, &cap, &ci, &cv));
      ci[nz] = j;
      cv[nz] = cs[j] * Normal(seed, st, (uint64_t)(d + j));
      z += cv[nz] * xs[j];
      nz++;
    }
    z += Normal(seed, 3, (uint64_t)(rstart + i));
    b[i] = isA ? z : (z >= 0 ? 1.0 : -1.0);
  }
  rp[mloc] = nz;
  PetscCall(PetscFree2(xs, cs));
  PetscCall(PetscStrncpy(bcd->suggested_loss, isA ? "squared" : "logistic", sizeof(bcd->suggested_loss)));
  PetscCall(SkuaBCDSetLocalRows(bcd, m, d, mloc, rp, ci, cv, b));
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
