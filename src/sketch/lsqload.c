/* Reader of tall (rectangular) least-squares problems /A (CSR group or dense) and /b from HDF5 into MATAIJ + Vec. */
#include "sketchimpl.h"
#include <hdf5.h>

/* Every rank opens the file read-only and reads its own rows independently; the checks below see the
   same metadata on every rank, so they fail collectively. */
static PetscErrorCode ReadRows1(MPI_Comm comm, const char file[], hid_t fid, const char path[], hid_t memtype, hsize_t expect_len, hsize_t start, hsize_t count, void *buf)
{
  hid_t   ds, fs, ms;
  hsize_t dims[2];
  int     nd;

  PetscFunctionBegin;
  PetscCheck(H5Lexists(fid, path, H5P_DEFAULT) > 0, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: dataset '%s' is missing", file, path);
  ds = H5Dopen2(fid, path, H5P_DEFAULT);
  PetscCheck(ds >= 0, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: '%s' is not a dataset", file, path);
  fs = H5Dget_space(ds);
  nd = H5Sget_simple_extent_ndims(fs);
  PetscCheck(nd == 1, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: dataset '%s' has %d dimensions; expected a 1-D array", file, path, nd);
  H5Sget_simple_extent_dims(fs, dims, NULL);
  PetscCheck(expect_len == (hsize_t)-1 || dims[0] == expect_len, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: dataset '%s' has length %llu; expected %llu", file, path, (unsigned long long)dims[0], (unsigned long long)expect_len);
  PetscCheck(start + count <= dims[0], comm, PETSC_ERR_FILE_UNEXPECTED, "%s: dataset '%s' is too short (%llu entries, need %llu)", file, path, (unsigned long long)dims[0], (unsigned long long)(start + count));
  ms = H5Screate_simple(1, &count, NULL);
  if (count) H5Sselect_hyperslab(fs, H5S_SELECT_SET, &start, NULL, &count, NULL);
  else H5Sselect_none(fs);
  PetscCheck(H5Dread(ds, memtype, ms, fs, H5P_DEFAULT, buf) >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "%s: reading '%s' failed", file, path);
  H5Sclose(ms);
  H5Sclose(fs);
  H5Dclose(ds);
  PetscFunctionReturn(0);
}

static PetscErrorCode CheckFiniteAll(MPI_Comm comm, const char file[], const char what[], PetscInt n, const PetscScalar v[])
{
  PetscMPIInt bad = 0;

  PetscFunctionBegin;
  for (PetscInt i = 0; i < n && !bad; i++) bad = PetscIsInfOrNanScalar(v[i]) ? 1 : 0;
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_MAX, comm));
  PetscCheck(!bad, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: %s holds NaN or Inf values", file, what);
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaLSQLoadHDF5(MPI_Comm comm, const char file[], Mat *A, Vec *b)
{
  hid_t        fid;
  H5I_type_t   kind;
  PetscInt     M, d, m = PETSC_DECIDE, rstart, end, *rowptr, *cols;
  PetscScalar *vals;
  PetscMPIInt  bad = 0;

  PetscFunctionBegin;
  PetscCall(SkuaSketchInitializePackage());
  {
    /* Silence HDF5's own stack dumps: the messages below say what is wrong. */
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  }
  fid = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
  PetscCheck(fid >= 0, comm, PETSC_ERR_FILE_OPEN, "-problem %s: cannot open it as an HDF5 file", file);
  PetscCheck(H5Lexists(fid, "A", H5P_DEFAULT) > 0, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: no matrix /A (a CSR group data/indices/indptr + attribute shape, or a dense 2-D dataset)", file);
  PetscCheck(H5Lexists(fid, "b", H5P_DEFAULT) > 0, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: no right-hand side /b (1-D dataset of length rows(A))", file);
  {
    hid_t obj = H5Oopen(fid, "A", H5P_DEFAULT);
    PetscCheck(obj >= 0, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: cannot open /A", file);
    kind = H5Iget_type(obj);
    H5Oclose(obj);
  }
  if (kind == H5I_GROUP) {
    int64_t shape[2], *ptr, *ind;
    hid_t   g = H5Gopen2(fid, "A", H5P_DEFAULT), at;
    PetscCheck(H5Aexists(g, "shape") > 0, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: CSR group /A has no attribute shape [rows, cols]", file);
    at = H5Aopen(g, "shape", H5P_DEFAULT);
    {
      hid_t   sp = H5Aget_space(at);
      hssize_t np = H5Sget_simple_extent_npoints(sp);
      H5Sclose(sp);
      PetscCheck(np == 2, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: attribute /A.shape has %lld entries; expected 2", file, (long long)np);
    }
    H5Aread(at, H5T_NATIVE_INT64, shape);
    H5Aclose(at);
    H5Gclose(g);
    PetscCheck(shape[0] > 0 && shape[1] > 0 && shape[0] < PETSC_MAX_INT && shape[1] < PETSC_MAX_INT, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: /A has shape (%lld, %lld); need positive sizes within 32-bit indices", file, (long long)shape[0], (long long)shape[1]);
    M = (PetscInt)shape[0];
    d = (PetscInt)shape[1];
    PetscCheck(M >= d, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: /A is %" PetscInt_FMT " x %" PetscInt_FMT "; least squares here needs rows >= columns", file, M, d);
    PetscCall(PetscSplitOwnership(comm, &m, &M));
    PetscCallMPI(MPI_Scan(&m, &end, 1, MPIU_INT, MPI_SUM, comm));
    rstart = end - m;
    PetscCall(PetscMalloc1(m + 1, &ptr));
    PetscCall(ReadRows1(comm, file, fid, "A/indptr", H5T_NATIVE_INT64, (hsize_t)M + 1, (hsize_t)rstart, (hsize_t)m + 1, ptr));
    for (PetscInt i = 0; i < m; i++) bad = bad || ptr[i + 1] < ptr[i];
    bad = bad || ptr[0] < 0 || (rstart == 0 && ptr[0] != 0);
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_MAX, comm));
    PetscCheck(!bad, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: /A/indptr must start at 0 and never decrease", file);
    {
      hsize_t  off = (hsize_t)ptr[0], cnt = (hsize_t)(ptr[m] - ptr[0]);
      PetscInt nl  = (PetscInt)cnt;
      PetscCall(PetscMalloc1(m + 1, &rowptr));
      for (PetscInt i = 0; i <= m; i++) rowptr[i] = (PetscInt)(ptr[i] - ptr[0]);
      PetscCall(PetscMalloc3(nl, &ind, nl, &cols, nl, &vals));
      PetscCall(ReadRows1(comm, file, fid, "A/indices", H5T_NATIVE_INT64, (hsize_t)-1, off, cnt, ind));
      PetscCall(ReadRows1(comm, file, fid, "A/data", H5T_NATIVE_DOUBLE, (hsize_t)-1, off, cnt, vals));
      for (PetscInt j = 0; j < nl; j++) {
        bad = bad || ind[j] < 0 || ind[j] >= d;
        cols[j] = (PetscInt)ind[j];
      }
      PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_MAX, comm));
      PetscCheck(!bad, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: /A/indices holds a column index outside [0, %" PetscInt_FMT ")", file, d);
      PetscCall(CheckFiniteAll(comm, file, "/A/data", nl, vals));
      /* MatCreateMPIAIJWithArrays wants sorted columns within a row. */
      for (PetscInt i = 0; i < m; i++) PetscCall(PetscSortIntWithScalarArray(rowptr[i + 1] - rowptr[i], cols + rowptr[i], vals + rowptr[i]));
      PetscCall(MatCreateMPIAIJWithArrays(comm, m, PETSC_DECIDE, M, d, rowptr, cols, vals, A));
      PetscCall(PetscFree3(ind, cols, vals));
      PetscCall(PetscFree(rowptr));
    }
    PetscCall(PetscFree(ptr));
  } else if (kind == H5I_DATASET) {
    hid_t   ds = H5Dopen2(fid, "A", H5P_DEFAULT), fs = H5Dget_space(ds), ms;
    hsize_t dims[2], start[2], count[2];
    int     nd = H5Sget_simple_extent_ndims(fs);
    PetscCheck(nd == 2, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: dense /A has %d dimensions; expected 2 (rows x cols)", file, nd);
    H5Sget_simple_extent_dims(fs, dims, NULL);
    PetscCheck(dims[0] > 0 && dims[1] > 0 && dims[0] < (hsize_t)PETSC_MAX_INT, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: /A has shape (%llu, %llu)", file, (unsigned long long)dims[0], (unsigned long long)dims[1]);
    M = (PetscInt)dims[0];
    d = (PetscInt)dims[1];
    PetscCheck(M >= d, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: /A is %" PetscInt_FMT " x %" PetscInt_FMT "; least squares here needs rows >= columns", file, M, d);
    PetscCall(PetscSplitOwnership(comm, &m, &M));
    PetscCallMPI(MPI_Scan(&m, &end, 1, MPIU_INT, MPI_SUM, comm));
    rstart = end - m;
    PetscCall(PetscMalloc3((size_t)m * d, &vals, (size_t)m * d, &cols, m + 1, &rowptr));
    start[0] = (hsize_t)rstart; start[1] = 0; count[0] = (hsize_t)m; count[1] = dims[1];
    ms = H5Screate_simple(2, count, NULL);
    if (m) H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
    else H5Sselect_none(fs);
    PetscCheck(H5Dread(ds, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, vals) >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "%s: reading /A failed", file);
    H5Sclose(ms);
    H5Sclose(fs);
    H5Dclose(ds);
    PetscCall(CheckFiniteAll(comm, file, "/A", m * d, vals));
    /* Stored as all-entries CSR: dense test problems are small in d, and MatGetRow then works uniformly. */
    for (PetscInt i = 0; i <= m; i++) rowptr[i] = i * d;
    for (PetscInt i = 0; i < m; i++)
      for (PetscInt j = 0; j < d; j++) cols[i * d + j] = j;
    PetscCall(MatCreateMPIAIJWithArrays(comm, m, PETSC_DECIDE, M, d, rowptr, cols, vals, A));
    PetscCall(PetscFree3(vals, cols, rowptr));
  } else SETERRQ(comm, PETSC_ERR_FILE_UNEXPECTED, "%s: /A is neither a CSR group nor a dense dataset", file);

  PetscCall(MatCreateVecs(*A, NULL, b));
  {
    PetscScalar *bb;
    PetscInt     lo, hi;
    PetscCall(VecGetOwnershipRange(*b, &lo, &hi));
    PetscCall(VecGetArray(*b, &bb));
    PetscCall(ReadRows1(comm, file, fid, "b", H5T_NATIVE_DOUBLE, (hsize_t)M, (hsize_t)lo, (hsize_t)(hi - lo), bb));
    PetscCall(CheckFiniteAll(comm, file, "/b", hi - lo, bb));
    PetscCall(VecRestoreArray(*b, &bb));
  }
  H5Fclose(fid);
  PetscFunctionReturn(0);
}
