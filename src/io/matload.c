/* Parallel readers for scipy-style CSR groups and dense 2-D datasets in HDF5, into MATAIJ. */
#include <skua/io.h>
#include "h5util.h"

/* Rows [rstart, rstart+m) of an M x N matrix in CSR with global column indices. */
typedef struct {
  PetscInt     m, M, N, rstart;
  PetscInt    *rowptr; /* m+1 local offsets */
  PetscInt    *cols;
  PetscScalar *vals;
} LocalCSR;

static PetscErrorCode LocalCSRFree(LocalCSR *csr)
{
  PetscFunctionBegin;
  PetscCall(PetscFree(csr->rowptr));
  PetscCall(PetscFree(csr->cols));
  PetscCall(PetscFree(csr->vals));
  PetscFunctionReturn(0);
}

/* Sorts each row and sums duplicate columns (scipy's semantics), then builds the MATAIJ with exact
   preallocation. Columns are split like rows (PETSc's default), so a square matrix gets equal layouts. */
static PetscErrorCode LocalCSRAssemble(MPI_Comm comm, LocalCSR *csr, Mat *A)
{
  PetscInt *dnnz, *onnz, k = 0, nloc = PETSC_DECIDE, cstart, cend;

  PetscFunctionBegin;
  PetscCall(PetscSplitOwnership(comm, &nloc, &csr->N));
  PetscCallMPI(MPI_Scan(&nloc, &cend, 1, MPIU_INT, MPI_SUM, comm));
  cstart = cend - nloc;
  PetscCall(PetscCalloc2(csr->m, &dnnz, csr->m, &onnz));
  for (PetscInt i = 0; i < csr->m; i++) {
    PetscInt start = csr->rowptr[i], len = csr->rowptr[i + 1] - start, rowbeg = k;

    PetscCall(PetscSortIntWithScalarArray(len, csr->cols + start, csr->vals + start));
    for (PetscInt j = start; j < start + len; j++) {
      if (k > rowbeg && csr->cols[k - 1] == csr->cols[j]) csr->vals[k - 1] += csr->vals[j];
      else {
        csr->cols[k] = csr->cols[j];
        csr->vals[k] = csr->vals[j];
        k++;
      }
    }
    csr->rowptr[i] = rowbeg;
    for (PetscInt j = rowbeg; j < k; j++) {
      if (csr->cols[j] >= cstart && csr->cols[j] < cend) dnnz[i]++;
      else onnz[i]++;
    }
  }
  csr->rowptr[csr->m] = k;
  PetscCall(MatCreate(comm, A));
  PetscCall(MatSetSizes(*A, csr->m, nloc, csr->M, csr->N));
  PetscCall(MatSetType(*A, MATAIJ));
  PetscCall(MatXAIJSetPreallocation(*A, 1, dnnz, onnz, NULL, NULL));
  PetscCall(MatSetOption(*A, MAT_NEW_NONZERO_ALLOCATION_ERR, PETSC_TRUE));
  for (PetscInt i = 0; i < csr->m; i++) {
    PetscInt row = csr->rstart + i;
    PetscCall(MatSetValues(*A, 1, &row, csr->rowptr[i + 1] - csr->rowptr[i], csr->cols + csr->rowptr[i], csr->vals + csr->rowptr[i], INSERT_VALUES));
  }
  PetscCall(MatAssemblyBegin(*A, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(*A, MAT_FINAL_ASSEMBLY));
  PetscCall(PetscFree2(dnnz, onnz));
  PetscFunctionReturn(0);
}

/* PETSc's default row split, the same one MatCreateVecs will use for b. */
static PetscErrorCode RowSplit(MPI_Comm comm, PetscInt M, PetscInt *m, PetscInt *rstart)
{
  PetscInt end;

  PetscFunctionBegin;
  *m = PETSC_DECIDE;
  PetscCall(PetscSplitOwnership(comm, m, &M));
  PetscCallMPI(MPI_Scan(m, &end, 1, MPIU_INT, MPI_SUM, comm));
  *rstart = end - *m;
  PetscFunctionReturn(0);
}

static PetscErrorCode CheckFinite(MPI_Comm comm, const char file[], const char path[], PetscInt n, const PetscScalar *v, PetscInt offset)
{
  PetscInt bad = -1;
  char     msg[SKUA_MSG_LEN] = "";

  PetscFunctionBegin;
  for (PetscInt i = 0; i < n; i++) {
    if (PetscIsInfOrNanScalar(v[i])) {
      bad = i;
      break;
    }
  }
  if (bad >= 0) PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: dataset '/%s' holds a non-finite value (NaN or Inf: %g) at entry %" PetscInt_FMT, file, path, (double)PetscRealPart(v[bad]), bad + offset));
  PetscCall(SkuaCheckCollective(comm, bad >= 0 ? PETSC_TRUE : PETSC_FALSE, PETSC_ERR_FILE_UNEXPECTED, msg));
  PetscFunctionReturn(0);
}

static PetscErrorCode ReadCSRGroup(MPI_Comm comm, const char file[], hid_t fid, const char path[], LocalCSR *csr)
{
  char     pdata[PETSC_MAX_PATH_LEN], pind[PETSC_MAX_PATH_LEN], pptr[PETSC_MAX_PATH_LEN], msg[SKUA_MSG_LEN] = "";
  int64_t  shape[2], *ptr, *ind;
  hid_t    ddata, dind, dptr;
  hsize_t  ndata, nind, nptr;
  PetscInt bad = 0;

  PetscFunctionBegin;
  PetscCall(SkuaH5ReadAttrInt64(comm, file, fid, path, "shape", 2, shape));
  PetscCheck(shape[0] >= 0 && shape[1] >= 0, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: '/%s' has a negative shape (%lld, %lld)", file, path, (long long)shape[0], (long long)shape[1]);
  PetscCheck(shape[0] > 0 && shape[1] > 0, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: matrix '/%s' is empty (shape %lld x %lld)", file, path, (long long)shape[0], (long long)shape[1]);
  PetscCheck(shape[0] < PETSC_MAX_INT && shape[1] < PETSC_MAX_INT, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: matrix '/%s' has shape %lld x %lld, more than this PETSc's 32-bit indices allow", file, path, (long long)shape[0], (long long)shape[1]);
  PetscCall(PetscSNPrintf(pdata, sizeof(pdata), "%s/data", path));
  PetscCall(PetscSNPrintf(pind, sizeof(pind), "%s/indices", path));
  PetscCall(PetscSNPrintf(pptr, sizeof(pptr), "%s/indptr", path));
  PetscCall(SkuaH5DatasetOpen(comm, file, fid, pdata, 1, SKUA_H5_FLOAT, &ddata, &ndata));
  PetscCall(SkuaH5DatasetOpen(comm, file, fid, pind, 1, SKUA_H5_INTEGER, &dind, &nind));
  PetscCall(SkuaH5DatasetOpen(comm, file, fid, pptr, 1, SKUA_H5_INTEGER, &dptr, &nptr));
  PetscCheck(nptr == (hsize_t)shape[0] + 1, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: '/%s' has %llu entries; shape says %lld rows, so it needs %lld", file, pptr, (unsigned long long)nptr, (long long)shape[0], (long long)shape[0] + 1);
  PetscCheck(nind == ndata, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: '/%s' has %llu entries but '/%s' has %llu; they must match", file, pind, (unsigned long long)nind, pdata, (unsigned long long)ndata);

  csr->M = (PetscInt)shape[0];
  csr->N = (PetscInt)shape[1];
  PetscCall(RowSplit(comm, csr->M, &csr->m, &csr->rstart));
  PetscCall(PetscMalloc1(csr->m + 1, &ptr));
  PetscCall(SkuaH5ReadRows(dptr, H5T_NATIVE_INT64, (hsize_t)csr->rstart, (hsize_t)csr->m + 1, ptr));
  /* indptr must start at 0, never decrease and end at nnz; each rank checks its slice (slices overlap
     by one entry, so together they check the whole array). */
  if (csr->rstart == 0 && ptr[0] != 0) {
    bad = 1;
    PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: '/%s' must start with 0 but starts with %lld", file, pptr, (long long)ptr[0]));
  }
  for (PetscInt i = 0; i < csr->m && !bad; i++) {
    if (ptr[i + 1] < ptr[i]) {
      bad = 1;
      PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: '/%s' is not monotone: entry %" PetscInt_FMT " (%lld) < entry %" PetscInt_FMT " (%lld)", file, pptr, csr->rstart + i + 1, (long long)ptr[i + 1], csr->rstart + i, (long long)ptr[i]));
    }
  }
  if (!bad && csr->rstart + csr->m == csr->M && ptr[csr->m] != (int64_t)ndata) {
    bad = 1;
    PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: '/%s' ends with %lld but '/%s' has %llu entries", file, pptr, (long long)ptr[csr->m], pdata, (unsigned long long)ndata));
  }
  if (!bad && (ptr[0] < 0 || ptr[csr->m] > (int64_t)ndata)) {
    bad = 1;
    PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: '/%s' points outside '/%s' (values %lld..%lld, %llu entries)", file, pptr, pdata, (long long)ptr[0], (long long)ptr[csr->m], (unsigned long long)ndata));
  }
  PetscCall(SkuaCheckCollective(comm, bad ? PETSC_TRUE : PETSC_FALSE, PETSC_ERR_FILE_UNEXPECTED, msg));

  {
    hsize_t  off = (hsize_t)ptr[0], cnt = (hsize_t)(ptr[csr->m] - ptr[0]);
    PetscInt nloc = (PetscInt)cnt;

    PetscCall(PetscMalloc1(csr->m + 1, &csr->rowptr));
    for (PetscInt i = 0; i <= csr->m; i++) csr->rowptr[i] = (PetscInt)(ptr[i] - ptr[0]);
    PetscCall(PetscMalloc1(nloc, &ind));
    PetscCall(PetscMalloc1(nloc, &csr->cols));
    PetscCall(PetscMalloc1(nloc, &csr->vals));
    PetscCall(SkuaH5ReadRows(dind, H5T_NATIVE_INT64, off, cnt, ind));
    PetscCall(SkuaH5ReadRows(ddata, H5T_NATIVE_DOUBLE, off, cnt, csr->vals));
    for (PetscInt j = 0; j < nloc && !bad; j++) {
      if (ind[j] < 0 || ind[j] >= shape[1]) {
        PetscInt row = csr->rstart;
        while (row - csr->rstart < csr->m && csr->rowptr[row - csr->rstart + 1] <= j) row++;
        bad = 1;
        PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: '/%s' entry %llu: column index %lld in row %" PetscInt_FMT " is out of range [0, %lld)", file, pind, (unsigned long long)(off + j), (long long)ind[j], row, (long long)shape[1]));
      }
      csr->cols[j] = (PetscInt)ind[j];
    }
    PetscCall(SkuaCheckCollective(comm, bad ? PETSC_TRUE : PETSC_FALSE, PETSC_ERR_FILE_UNEXPECTED, msg));
    PetscCall(CheckFinite(comm, file, pdata, nloc, csr->vals, (PetscInt)off));
    PetscCall(PetscFree(ind));
  }
  PetscCall(PetscFree(ptr));
  H5Dclose(ddata);
  H5Dclose(dind);
  H5Dclose(dptr);
  PetscFunctionReturn(0);
}

static PetscErrorCode ReadDense(MPI_Comm comm, const char file[], hid_t fid, const char path[], LocalCSR *csr)
{
  hid_t        dset;
  hsize_t      dims[2];
  PetscScalar *buf;
  PetscInt     nnz = 0;

  PetscFunctionBegin;
  PetscCall(SkuaH5DatasetOpen(comm, file, fid, path, 2, SKUA_H5_FLOAT, &dset, dims));
  PetscCheck(dims[0] > 0 && dims[1] > 0, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: matrix '/%s' is empty (shape %llu x %llu)", file, path, (unsigned long long)dims[0], (unsigned long long)dims[1]);
  csr->M = (PetscInt)dims[0];
  csr->N = (PetscInt)dims[1];
  PetscCall(RowSplit(comm, csr->M, &csr->m, &csr->rstart));
  PetscCall(PetscMalloc1((size_t)csr->m * csr->N, &buf));
  PetscCall(SkuaH5ReadRows(dset, H5T_NATIVE_DOUBLE, (hsize_t)csr->rstart, (hsize_t)csr->m, buf));
  H5Dclose(dset);
  PetscCall(CheckFinite(comm, file, path, csr->m * csr->N, buf, csr->rstart * csr->N));
  /* Stored zeros of a dense matrix are structural zeros for the sparse solvers. */
  for (PetscInt i = 0; i < csr->m * csr->N; i++) nnz += (buf[i] != 0.0);
  PetscCall(PetscMalloc1(csr->m + 1, &csr->rowptr));
  PetscCall(PetscMalloc1(nnz, &csr->cols));
  PetscCall(PetscMalloc1(nnz, &csr->vals));
  nnz = 0;
  for (PetscInt i = 0; i < csr->m; i++) {
    csr->rowptr[i] = nnz;
    for (PetscInt j = 0; j < csr->N; j++) {
      if (buf[i * csr->N + j] != 0.0) {
        csr->cols[nnz]   = j;
        csr->vals[nnz++] = buf[i * csr->N + j];
      }
    }
  }
  csr->rowptr[csr->m] = nnz;
  PetscCall(PetscFree(buf));
  PetscFunctionReturn(0);
}

/* Reads the matrix at path (CSR group or dense dataset) from an open file. */
PETSC_INTERN PetscErrorCode SkuaMatLoadHDF5Open(MPI_Comm comm, const char file[], hid_t fid, const char path[], Mat *A)
{
  LocalCSR csr = {0};
  int      kind;

  PetscFunctionBegin;
  PetscCall(SkuaH5ObjectKind(fid, path, &kind));
  PetscCheck(kind != 0, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: matrix '/%s' is missing", file, path);
  if (kind == 1) PetscCall(ReadCSRGroup(comm, file, fid, path, &csr));
  else if (kind == 2) PetscCall(ReadDense(comm, file, fid, path, &csr));
  else SETERRQ(comm, PETSC_ERR_FILE_UNEXPECTED, "%s: '/%s' is neither a CSR group nor a 2-D dataset", file, path);
  PetscCall(LocalCSRAssemble(comm, &csr, A));
  PetscCall(LocalCSRFree(&csr));
  PetscFunctionReturn(0);
}

PETSC_INTERN PetscErrorCode SkuaVecLoadHDF5Open(const char file[], hid_t fid, const char path[], Mat A, Vec *v)
{
  MPI_Comm     comm;
  hid_t        dset;
  hsize_t      n;
  PetscInt     M, lo, hi;
  PetscScalar *a;

  PetscFunctionBegin;
  PetscCall(PetscObjectGetComm((PetscObject)A, &comm));
  PetscCall(MatGetSize(A, &M, NULL));
  PetscCall(SkuaH5DatasetOpen(comm, file, fid, path, 1, SKUA_H5_FLOAT, &dset, &n));
  if (n != (hsize_t)M) {
    H5Dclose(dset);
    SETERRQ(comm, PETSC_ERR_FILE_UNEXPECTED, "%s: shape mismatch: vector '/%s' has length %llu but the matrix has %" PetscInt_FMT " rows", file, path, (unsigned long long)n, M);
  }
  PetscCall(MatCreateVecs(A, NULL, v));
  PetscCall(VecGetOwnershipRange(*v, &lo, &hi));
  PetscCall(VecGetArrayWrite(*v, &a));
  PetscCall(SkuaH5ReadRows(dset, H5T_NATIVE_DOUBLE, (hsize_t)lo, (hsize_t)(hi - lo), a));
  H5Dclose(dset);
  PetscCall(CheckFinite(comm, file, path, hi - lo, a, lo));
  PetscCall(VecRestoreArrayWrite(*v, &a));
  PetscFunctionReturn(0);
}

static const char *StripSlash(const char path[])
{
  while (*path == '/') path++;
  return path;
}

PetscErrorCode SkuaMatLoadHDF5(MPI_Comm comm, const char file[], const char path[], Mat *A)
{
  hid_t fid;

  PetscFunctionBegin;
  PetscCall(SkuaH5OpenRead(comm, file, &fid));
  PetscCall(SkuaMatLoadHDF5Open(comm, file, fid, StripSlash(path), A));
  PetscCall(SkuaH5Close(&fid));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaVecLoadHDF5(const char file[], const char path[], Mat A, Vec *v)
{
  hid_t    fid;
  MPI_Comm comm;

  PetscFunctionBegin;
  PetscCall(PetscObjectGetComm((PetscObject)A, &comm));
  PetscCall(SkuaH5OpenRead(comm, file, &fid));
  PetscCall(SkuaVecLoadHDF5Open(file, fid, StripSlash(path), A, v));
  PetscCall(SkuaH5Close(&fid));
  PetscFunctionReturn(0);
}
