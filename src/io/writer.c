/* Parallel HDF5 result files: written to PATH.partial with provenance attributes, renamed when complete. */
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <skua.h>
#include "h5util.h"

struct _p_SkuaH5Writer {
  MPI_Comm comm;
  char     path[PETSC_MAX_PATH_LEN], partial[PETSC_MAX_PATH_LEN + 8];
  hid_t    fid;
};

static PetscErrorCode EnsureParentGroups(hid_t fid, const char path[])
{
  char buf[PETSC_MAX_PATH_LEN];

  PetscFunctionBegin;
  PetscCall(PetscStrncpy(buf, path, sizeof(buf)));
  for (char *p = buf + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    if (H5Lexists(fid, buf, H5P_DEFAULT) <= 0) {
      hid_t g = H5Gcreate2(fid, buf, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
      PetscCheck(g >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "Cannot create group '/%s'", buf);
      H5Gclose(g);
    }
    *p = '/';
  }
  PetscFunctionReturn(0);
}

/* Attributes are written collectively: every rank passes the same value. */
static PetscErrorCode WriteAttr(SkuaH5Writer w, const char obj[], const char name[], hid_t type, const void *value)
{
  hid_t space = H5Screate(H5S_SCALAR), attr;

  PetscFunctionBegin;
  if (H5Aexists_by_name(w->fid, obj, name, H5P_DEFAULT) > 0) H5Adelete_by_name(w->fid, obj, name, H5P_DEFAULT);
  attr = H5Acreate_by_name(w->fid, obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  PetscCheck(attr >= 0, w->comm, PETSC_ERR_FILE_WRITE, "%s: cannot create attribute '%s' on '%s'", w->partial, name, obj);
  H5Awrite(attr, type, value);
  H5Aclose(attr);
  H5Sclose(space);
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaH5WriterSetAttrString(SkuaH5Writer w, const char obj[], const char name[], const char value[])
{
  /* Variable-length UTF-8, so h5py returns str rather than bytes. */
  hid_t type = H5Tcopy(H5T_C_S1);

  PetscFunctionBegin;
  H5Tset_size(type, H5T_VARIABLE);
  H5Tset_cset(type, H5T_CSET_UTF8);
  PetscCall(WriteAttr(w, obj, name, type, &value));
  H5Tclose(type);
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaH5WriterSetAttrInt(SkuaH5Writer w, const char obj[], const char name[], PetscInt value)
{
  int64_t v = value;

  PetscFunctionBegin;
  PetscCall(WriteAttr(w, obj, name, H5T_NATIVE_INT64, &v));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaH5WriterSetAttrReal(SkuaH5Writer w, const char obj[], const char name[], PetscReal value)
{
  double v = value;

  PetscFunctionBegin;
  PetscCall(WriteAttr(w, obj, name, H5T_NATIVE_DOUBLE, &v));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaH5WriterCreate(MPI_Comm comm, const char path[], PetscBool resume, SkuaH5Writer *out, PetscBool *resumed)
{
  SkuaH5Writer w;
  PetscMPIInt  rank, size;
  int          exists = 0;
  hid_t        fapl;
  char         created[64] = "";

  PetscFunctionBegin;
  PetscCall(PetscNew(&w));
  w->comm = comm;
  PetscCall(PetscStrncpy(w->path, path, sizeof(w->path)));
  PetscCall(PetscSNPrintf(w->partial, sizeof(w->partial), "%s.partial", path));
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  if (rank == 0) {
    struct stat st;
    time_t      now = time(NULL);
    exists = resume && !stat(w->partial, &st) && H5Fis_hdf5(w->partial) > 0;
    strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%S%z", localtime(&now));
  }
  PetscCallMPI(MPI_Bcast(&exists, 1, MPI_INT, 0, comm));
  PetscCallMPI(MPI_Bcast(created, sizeof(created), MPI_CHAR, 0, comm));
  fapl = H5Pcreate(H5P_FILE_ACCESS);
  H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL);
  if (exists) w->fid = H5Fopen(w->partial, H5F_ACC_RDWR, fapl);
  else w->fid = H5Fcreate(w->partial, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  H5Pclose(fapl);
  PetscCheck(w->fid >= 0, comm, PETSC_ERR_FILE_OPEN, "Cannot %s output file '%s' (is the directory writable?)", exists ? "reopen" : "create", w->partial);
  if (resumed) *resumed = exists ? PETSC_TRUE : PETSC_FALSE;
  PetscCall(SkuaH5WriterSetAttrString(w, "/", "skua_version", SkuaVersion()));
  PetscCall(SkuaH5WriterSetAttrString(w, "/", "command_line", SkuaCommandLine()));
  PetscCall(SkuaH5WriterSetAttrInt(w, "/", "nprocs", size));
  PetscCall(SkuaH5WriterSetAttrString(w, "/", "created", created));
  if (H5Lexists(w->fid, "stats", H5P_DEFAULT) <= 0) {
    hid_t g = H5Gcreate2(w->fid, "stats", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Gclose(g);
  }
  *out = w;
  PetscFunctionReturn(0);
}

/* Opens dataset path with the given global dims, creating it (and parent groups) if missing or of another shape. */
static PetscErrorCode OpenOrCreate(SkuaH5Writer w, const char path[], hid_t type, int rank, const hsize_t dims[], hid_t *dset)
{
  PetscFunctionBegin;
  *dset = -1;
  if (H5Lexists(w->fid, path, H5P_DEFAULT) > 0) {
    hid_t   d = H5Dopen2(w->fid, path, H5P_DEFAULT), s = H5Dget_space(d);
    hsize_t have[8];
    int     r = H5Sget_simple_extent_ndims(s), same = (r == rank);
    if (same) {
      H5Sget_simple_extent_dims(s, have, NULL);
      for (int k = 0; k < rank; k++) same = same && have[k] == dims[k];
    }
    H5Sclose(s);
    if (same) *dset = d;
    else {
      H5Dclose(d);
      H5Ldelete(w->fid, path, H5P_DEFAULT);
    }
  }
  if (*dset < 0) {
    hid_t space = H5Screate_simple(rank, dims, NULL);
    PetscCall(EnsureParentGroups(w->fid, path));
    *dset = H5Dcreate2(w->fid, path, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Sclose(space);
    PetscCheck(*dset >= 0, w->comm, PETSC_ERR_FILE_WRITE, "%s: cannot create dataset '%s'", w->partial, path);
  }
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaH5WriterWriteVec(SkuaH5Writer w, const char path[], Vec x)
{
  PetscInt           N, lo, hi;
  hsize_t            dims[1];
  hid_t              dset;
  const PetscScalar *a;

  PetscFunctionBegin;
  PetscCall(VecGetSize(x, &N));
  PetscCall(VecGetOwnershipRange(x, &lo, &hi));
  dims[0] = (hsize_t)N;
  PetscCall(OpenOrCreate(w, path, H5T_IEEE_F64LE, 1, dims, &dset));
  PetscCall(VecGetArrayRead(x, &a));
  PetscCall(SkuaH5WriteRows(dset, H5T_NATIVE_DOUBLE, (hsize_t)lo, (hsize_t)(hi - lo), a));
  PetscCall(VecRestoreArrayRead(x, &a));
  H5Dclose(dset);
  PetscFunctionReturn(0);
}

/* A row-distributed Mat: MATDENSE as a 2-D float64 dataset (M x N, rows as h5py shows them), anything else as a
   scipy CSR group (data float64, indices and indptr int64, attribute shape int64[2]), the layouts SkuaMatLoadHDF5
   reads (docs/formats.md). Each rank writes its own rows (collective hyperslab writes); the content does not
   depend on np. */
PetscErrorCode SkuaH5WriterWriteMat(SkuaH5Writer w, const char path[], Mat A)
{
  PetscInt  M, N, rstart, rend, mloc;
  PetscBool dense;
  hid_t     dset;

  PetscFunctionBegin;
  PetscCall(MatGetSize(A, &M, &N));
  PetscCall(MatGetOwnershipRange(A, &rstart, &rend));
  mloc = rend - rstart;
  PetscCall(PetscObjectTypeCompareAny((PetscObject)A, &dense, MATSEQDENSE, MATMPIDENSE, ""));
  if (H5Lexists(w->fid, path, H5P_DEFAULT) > 0) H5Ldelete(w->fid, path, H5P_DEFAULT);
  if (dense) {
    hsize_t            dims[2] = {(hsize_t)M, (hsize_t)N};
    const PetscScalar *a;
    PetscReal         *buf;
    PetscInt           lda;
    PetscCall(OpenOrCreate(w, path, H5T_IEEE_F64LE, 2, dims, &dset));
    PetscCall(MatDenseGetLDA(A, &lda));
    PetscCall(PetscMalloc1((size_t)mloc * N + 1, &buf));
    PetscCall(MatDenseGetArrayRead(A, &a));
    for (PetscInt i = 0; i < mloc; i++)
      for (PetscInt j = 0; j < N; j++) buf[(size_t)i * N + j] = PetscRealPart(a[i + (size_t)j * lda]);
    PetscCall(MatDenseRestoreArrayRead(A, &a));
    PetscCall(SkuaH5WriteRows(dset, H5T_NATIVE_DOUBLE, (hsize_t)rstart, (hsize_t)mloc, buf));
    H5Dclose(dset);
    PetscCall(PetscFree(buf));
  } else {
    PetscInt   nnz = 0, off = 0, tot;
    int64_t   *ind, *ptr, shape[2] = {(int64_t)M, (int64_t)N};
    PetscReal *val;
    char       sub[PETSC_MAX_PATH_LEN];
    hsize_t    dims[1];
    hid_t      g, space, attr;
    for (PetscInt i = rstart; i < rend; i++) {
      PetscInt n;
      PetscCall(MatGetRow(A, i, &n, NULL, NULL));
      nnz += n;
      PetscCall(MatRestoreRow(A, i, &n, NULL, NULL));
    }
    PetscCallMPI(MPI_Scan(&nnz, &off, 1, MPIU_INT, MPI_SUM, w->comm));
    off -= nnz;
    PetscCallMPI(MPI_Allreduce(&nnz, &tot, 1, MPIU_INT, MPI_SUM, w->comm));
    PetscCall(PetscMalloc3(nnz + 1, &val, nnz + 1, &ind, mloc + 1, &ptr));
    nnz = 0;
    for (PetscInt i = rstart; i < rend; i++) {
      PetscInt           n;
      const PetscInt    *cols;
      const PetscScalar *vals;
      ptr[i - rstart] = (int64_t)(off + nnz);
      PetscCall(MatGetRow(A, i, &n, &cols, &vals));
      for (PetscInt k = 0; k < n; k++, nnz++) {
        ind[nnz] = (int64_t)cols[k];
        val[nnz] = PetscRealPart(vals[k]);
      }
      PetscCall(MatRestoreRow(A, i, &n, &cols, &vals));
    }
    ptr[mloc] = (int64_t)(off + nnz); /* written by the rank holding the last row */
    PetscCall(EnsureParentGroups(w->fid, path));
    g = H5Gcreate2(w->fid, path, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    PetscCheck(g >= 0, w->comm, PETSC_ERR_FILE_WRITE, "%s: cannot create group '%s'", w->partial, path);
    dims[0] = 2;
    space   = H5Screate_simple(1, dims, NULL);
    attr    = H5Acreate2(g, "shape", H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(attr, H5T_NATIVE_INT64, shape);
    H5Aclose(attr);
    H5Sclose(space);
    H5Gclose(g);
    PetscCall(PetscSNPrintf(sub, sizeof(sub), "%s/data", path));
    dims[0] = (hsize_t)tot;
    PetscCall(OpenOrCreate(w, sub, H5T_IEEE_F64LE, 1, dims, &dset));
    PetscCall(SkuaH5WriteRows(dset, H5T_NATIVE_DOUBLE, (hsize_t)off, (hsize_t)nnz, val));
    H5Dclose(dset);
    PetscCall(PetscSNPrintf(sub, sizeof(sub), "%s/indices", path));
    PetscCall(OpenOrCreate(w, sub, H5T_STD_I64LE, 1, dims, &dset));
    PetscCall(SkuaH5WriteRows(dset, H5T_NATIVE_INT64, (hsize_t)off, (hsize_t)nnz, ind));
    H5Dclose(dset);
    PetscCall(PetscSNPrintf(sub, sizeof(sub), "%s/indptr", path));
    dims[0] = (hsize_t)M + 1;
    PetscCall(OpenOrCreate(w, sub, H5T_STD_I64LE, 1, dims, &dset));
    PetscCall(SkuaH5WriteRows(dset, H5T_NATIVE_INT64, (hsize_t)rstart, (hsize_t)(mloc + (rend == M && mloc > 0 ? 1 : 0)), ptr));
    H5Dclose(dset);
    PetscCall(PetscFree3(val, ind, ptr));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaH5WriterReadVec(SkuaH5Writer w, const char path[], Vec x)
{
  hid_t        dset;
  hsize_t      n;
  PetscInt     N, lo, hi;
  PetscScalar *a;

  PetscFunctionBegin;
  PetscCall(VecGetSize(x, &N));
  PetscCall(VecGetOwnershipRange(x, &lo, &hi));
  PetscCall(SkuaH5DatasetOpen(w->comm, w->partial, w->fid, path, 1, SKUA_H5_FLOAT, &dset, &n));
  PetscCheck(n == (hsize_t)N, w->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: '%s' has length %llu, expected %" PetscInt_FMT, w->partial, path, (unsigned long long)n, N);
  PetscCall(VecGetArrayWrite(x, &a));
  PetscCall(SkuaH5ReadRows(dset, H5T_NATIVE_DOUBLE, (hsize_t)lo, (hsize_t)(hi - lo), a));
  PetscCall(VecRestoreArrayWrite(x, &a));
  H5Dclose(dset);
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaH5WriterCreateDataset(SkuaH5Writer w, const char path[], PetscBool is_int, PetscInt rank, const PetscInt dims[])
{
  hsize_t hd[8];
  hid_t   dset;

  PetscFunctionBegin;
  PetscCheck(rank >= 1 && rank <= 8, w->comm, PETSC_ERR_ARG_OUTOFRANGE, "Dataset rank %" PetscInt_FMT " not in [1, 8]", rank);
  if (H5Lexists(w->fid, path, H5P_DEFAULT) > 0) PetscFunctionReturn(0); /* resumed: keep what is there */
  for (PetscInt d = 0; d < rank; d++) hd[d] = (hsize_t)dims[d];
  PetscCall(OpenOrCreate(w, path, is_int ? H5T_STD_I64LE : H5T_IEEE_F64LE, (int)rank, hd, &dset));
  H5Dclose(dset);
  PetscFunctionReturn(0);
}

static PetscErrorCode OpenExisting(SkuaH5Writer w, const char path[], hid_t *dset)
{
  PetscFunctionBegin;
  *dset = H5Lexists(w->fid, path, H5P_DEFAULT) > 0 ? H5Dopen2(w->fid, path, H5P_DEFAULT) : -1;
  PetscCheck(*dset >= 0, w->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: dataset '%s' does not exist", w->partial, path);
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaH5WriterWriteRows(SkuaH5Writer w, const char path[], PetscInt start, PetscInt count, const PetscReal data[])
{
  PetscMPIInt rank;
  hid_t       dset;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(w->comm, &rank));
  PetscCall(OpenExisting(w, path, &dset));
  PetscCall(SkuaH5WriteRows(dset, H5T_NATIVE_DOUBLE, (hsize_t)start, rank == 0 ? (hsize_t)count : 0, data));
  H5Dclose(dset);
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaH5WriterReadRows(SkuaH5Writer w, const char path[], PetscInt start, PetscInt count, PetscReal data[])
{
  hid_t dset;

  PetscFunctionBegin;
  PetscCall(OpenExisting(w, path, &dset));
  PetscCall(SkuaH5ReadRows(dset, H5T_NATIVE_DOUBLE, (hsize_t)start, (hsize_t)count, data));
  H5Dclose(dset);
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaH5WriterWriteDataset(SkuaH5Writer w, const char path[], PetscInt rank, const PetscInt dims[], const PetscReal data[])
{
  hsize_t hd[8];
  hid_t   dset;

  PetscFunctionBegin;
  PetscCheck(rank >= 1 && rank <= 8, w->comm, PETSC_ERR_ARG_OUTOFRANGE, "Dataset rank %" PetscInt_FMT " not in [1, 8]", rank);
  for (PetscInt d = 0; d < rank; d++) hd[d] = (hsize_t)dims[d];
  PetscCall(OpenOrCreate(w, path, H5T_IEEE_F64LE, (int)rank, hd, &dset));
  H5Dclose(dset);
  PetscCall(SkuaH5WriterWriteRows(w, path, 0, dims[0], data));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaH5WriterGetAttrInt(SkuaH5Writer w, const char obj[], const char name[], PetscInt *value, PetscBool *found)
{
  hid_t   attr;
  int64_t v = 0;

  PetscFunctionBegin;
  *found = PETSC_FALSE;
  if (H5Lexists(w->fid, obj, H5P_DEFAULT) <= 0 && strcmp(obj, "/")) PetscFunctionReturn(0);
  if (H5Aexists_by_name(w->fid, obj, name, H5P_DEFAULT) <= 0) PetscFunctionReturn(0);
  attr = H5Aopen_by_name(w->fid, obj, name, H5P_DEFAULT, H5P_DEFAULT);
  if (H5Aread(attr, H5T_NATIVE_INT64, &v) >= 0) {
    *value = (PetscInt)v;
    *found = PETSC_TRUE;
  }
  H5Aclose(attr);
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaH5WriterGetAttrString(SkuaH5Writer w, const char obj[], const char name[], char value[], size_t len, PetscBool *found)
{
  hid_t attr, type, mtype;
  char *s = NULL;

  PetscFunctionBegin;
  *found   = PETSC_FALSE;
  value[0] = '\0';
  if (H5Aexists_by_name(w->fid, obj, name, H5P_DEFAULT) <= 0) PetscFunctionReturn(0);
  attr = H5Aopen_by_name(w->fid, obj, name, H5P_DEFAULT, H5P_DEFAULT);
  type = H5Aget_type(attr);
  if (H5Tget_class(type) == H5T_STRING && H5Tis_variable_str(type) > 0) {
    mtype = H5Tcopy(H5T_C_S1);
    H5Tset_size(mtype, H5T_VARIABLE);
    H5Tset_cset(mtype, H5T_CSET_UTF8);
    if (H5Aread(attr, mtype, &s) >= 0 && s) {
      PetscCall(PetscStrncpy(value, s, len));
      H5free_memory(s);
      *found = PETSC_TRUE;
    }
    H5Tclose(mtype);
  }
  H5Tclose(type);
  H5Aclose(attr);
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaH5WriterCreateArray(SkuaH5Writer w, const char path[], PetscBool is_int, PetscInt n, PetscReal fill)
{
  PetscMPIInt rank;
  PetscReal  *buf = NULL;

  PetscFunctionBegin;
  if (H5Lexists(w->fid, path, H5P_DEFAULT) > 0) PetscFunctionReturn(0); /* resumed: keep what is there */
  PetscCall(SkuaH5WriterCreateDataset(w, path, is_int, 1, &n));
  /* A never-written entry keeps the fill value (e.g. -1 = not solved yet). */
  PetscCallMPI(MPI_Comm_rank(w->comm, &rank));
  if (rank == 0) {
    PetscCall(PetscMalloc1(n, &buf));
    for (PetscInt i = 0; i < n; i++) buf[i] = fill;
  }
  PetscCall(SkuaH5WriterWriteRows(w, path, 0, n, buf));
  PetscCall(PetscFree(buf));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaH5WriterSetArrayEntry(SkuaH5Writer w, const char path[], PetscInt i, PetscReal value)
{
  PetscFunctionBegin;
  PetscCall(SkuaH5WriterWriteRows(w, path, i, 1, &value));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaH5WriterGetArray(SkuaH5Writer w, const char path[], PetscInt n, PetscReal values[])
{
  hid_t   dset;
  hsize_t dims[1];

  PetscFunctionBegin;
  PetscCall(SkuaH5DatasetOpen(w->comm, w->partial, w->fid, path, 1, SKUA_H5_NUMBER, &dset, dims));
  H5Dclose(dset);
  PetscCheck(dims[0] == (hsize_t)n, w->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: '%s' has %llu entries, expected %" PetscInt_FMT " (was the partial file written for another problem?)", w->partial, path, (unsigned long long)dims[0], n);
  PetscCall(SkuaH5WriterReadRows(w, path, 0, n, values));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaH5WriterFlush(SkuaH5Writer w)
{
  PetscFunctionBegin;
  PetscCheck(H5Fflush(w->fid, H5F_SCOPE_GLOBAL) >= 0, w->comm, PETSC_ERR_FILE_WRITE, "%s: flush failed", w->partial);
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaFlushDue(MPI_Comm comm, double interval, PetscBool force, double *t_last, PetscBool *due)
{
  double now = MPI_Wtime();
  int    flag;

  PetscFunctionBegin;
  flag = (force || now - *t_last > interval) ? 1 : 0;
  PetscCallMPI(MPI_Bcast(&flag, 1, MPI_INT, 0, comm));
  *due = flag ? PETSC_TRUE : PETSC_FALSE;
  if (*due) *t_last = now;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaH5WriterFinish(SkuaH5Writer *w)
{
  PetscMPIInt rank;
  int         err = 0;

  PetscFunctionBegin;
  if (!*w) PetscFunctionReturn(0);
  PetscCallMPI(MPI_Comm_rank((*w)->comm, &rank));
  H5Fclose((*w)->fid);
  PetscCallMPI(MPI_Barrier((*w)->comm));
  if (rank == 0) err = rename((*w)->partial, (*w)->path);
  PetscCallMPI(MPI_Bcast(&err, 1, MPI_INT, 0, (*w)->comm));
  PetscCheck(!err, (*w)->comm, PETSC_ERR_FILE_WRITE, "Cannot rename '%s' to '%s'", (*w)->partial, (*w)->path);
  PetscCall(PetscFree(*w));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaH5WriterAbort(SkuaH5Writer *w, PetscBool remove)
{
  PetscMPIInt rank;

  PetscFunctionBegin;
  if (!*w) PetscFunctionReturn(0);
  PetscCallMPI(MPI_Comm_rank((*w)->comm, &rank));
  if ((*w)->fid >= 0) H5Fclose((*w)->fid);
  PetscCallMPI(MPI_Barrier((*w)->comm));
  if (rank == 0 && remove) unlink((*w)->partial);
  PetscCall(PetscFree(*w));
  PetscFunctionReturn(0);
}
