/* HDF5 helpers: collective error checks, file opening, typed collective hyperslab reads and writes. */
#include <sys/stat.h>
#include "h5util.h"

PetscLogEvent SKUA_IO_Read, SKUA_IO_Write;

PetscErrorCode SkuaIORegisterEvents(void)
{
  PetscClassId classid;

  PetscFunctionBegin;
  PetscCall(PetscClassIdRegister("Skua IO", &classid));
  PetscCall(PetscLogEventRegister("SkuaIO_Read", classid, &SKUA_IO_Read));
  PetscCall(PetscLogEventRegister("SkuaIO_Write", classid, &SKUA_IO_Write));
  /* Readers report HDF5 problems themselves; HDF5's own stack dumps would only bury the message. */
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaH5OpenRead(MPI_Comm comm, const char path[], hid_t *fid)
{
  PetscMPIInt rank;
  int         state = 0; /* 0 ok, 1 missing, 2 not a regular file, 3 not HDF5 */
  char        msg[SKUA_MSG_LEN];
  hid_t       fapl;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    struct stat st;
    if (stat(path, &st)) state = 1;
    else if (!S_ISREG(st.st_mode)) state = 2;
    else if (H5Fis_hdf5(path) <= 0) state = 3;
  }
  PetscCallMPI(MPI_Bcast(&state, 1, MPI_INT, 0, comm));
  PetscCheck(state != 1, comm, PETSC_ERR_FILE_OPEN, "Cannot open '%s': no such file", path);
  PetscCheck(state != 2, comm, PETSC_ERR_FILE_OPEN, "Cannot open '%s': not a regular file", path);
  PetscCheck(state != 3, comm, PETSC_ERR_FILE_UNEXPECTED, "'%s' is not an HDF5 file", path);
  fapl = H5Pcreate(H5P_FILE_ACCESS);
  H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL);
  *fid = H5Fopen(path, H5F_ACC_RDONLY, fapl);
  H5Pclose(fapl);
  PetscCall(PetscSNPrintf(msg, sizeof(msg), "Cannot open HDF5 file '%s' for parallel reading", path));
  PetscCall(SkuaCheckCollective(comm, *fid < 0 ? PETSC_TRUE : PETSC_FALSE, PETSC_ERR_FILE_OPEN, msg));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaH5Close(hid_t *fid)
{
  PetscFunctionBegin;
  if (*fid >= 0) H5Fclose(*fid);
  *fid = -1;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaH5Exists(hid_t loc, const char path[], PetscBool *exists)
{
  char   buf[PETSC_MAX_PATH_LEN];
  size_t len;

  PetscFunctionBegin;
  *exists = PETSC_FALSE;
  PetscCall(PetscStrncpy(buf, path, sizeof(buf)));
  PetscCall(PetscStrlen(buf, &len));
  /* Check each prefix: H5Lexists fails when an intermediate group is missing. */
  for (size_t i = 1; i <= len; i++) {
    if (buf[i] == '/' || buf[i] == '\0') {
      char c = buf[i];
      buf[i] = '\0';
      if (H5Lexists(loc, buf, H5P_DEFAULT) <= 0) PetscFunctionReturn(0);
      buf[i] = c;
    }
  }
  *exists = PETSC_TRUE;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaH5ObjectKind(hid_t loc, const char path[], int *kind)
{
  PetscBool exists;
  hid_t     obj;

  PetscFunctionBegin;
  *kind = 0;
  PetscCall(SkuaH5Exists(loc, path, &exists));
  if (!exists) PetscFunctionReturn(0);
  obj = H5Oopen(loc, path, H5P_DEFAULT);
  if (obj < 0) PetscFunctionReturn(0);
  switch (H5Iget_type(obj)) {
  case H5I_GROUP: *kind = 1; break;
  case H5I_DATASET: *kind = 2; break;
  default: *kind = 3;
  }
  H5Oclose(obj);
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaH5DatasetOpen(MPI_Comm comm, const char file[], hid_t loc, const char path[], int rank, SkuaH5Class cls, hid_t *dset, hsize_t dims[])
{
  int         kind, frank;
  hid_t       space, type;
  H5T_class_t tclass;

  PetscFunctionBegin;
  PetscCall(SkuaH5ObjectKind(loc, path, &kind));
  PetscCheck(kind != 0, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: dataset '/%s' is missing", file, path);
  PetscCheck(kind == 2, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: '/%s' is not a dataset", file, path);
  *dset  = H5Dopen2(loc, path, H5P_DEFAULT);
  space  = H5Dget_space(*dset);
  frank  = H5Sget_simple_extent_ndims(space);
  type   = H5Dget_type(*dset);
  tclass = H5Tget_class(type);
  H5Tclose(type);
  if (frank == rank) H5Sget_simple_extent_dims(space, dims, NULL);
  H5Sclose(space);
  if (frank != rank) {
    H5Dclose(*dset);
    SETERRQ(comm, PETSC_ERR_FILE_UNEXPECTED, "%s: dataset '/%s' has %d dimensions; expected %d", file, path, frank, rank);
  }
  if (cls == SKUA_H5_NUMBER && tclass != H5T_FLOAT && tclass != H5T_INTEGER) {
    H5Dclose(*dset);
    SETERRQ(comm, PETSC_ERR_FILE_UNEXPECTED, "%s: dataset '/%s' is not numeric", file, path);
  }
  if (cls == SKUA_H5_FLOAT && tclass != H5T_FLOAT) {
    H5Dclose(*dset);
    SETERRQ(comm, PETSC_ERR_FILE_UNEXPECTED, "%s: dataset '/%s' has wrong dtype (%s); expected floating point (float64)", file, path, tclass == H5T_INTEGER ? "integer" : "not a number type");
  }
  if (cls == SKUA_H5_INTEGER && tclass != H5T_INTEGER) {
    H5Dclose(*dset);
    SETERRQ(comm, PETSC_ERR_FILE_UNEXPECTED, "%s: dataset '/%s' has wrong dtype (%s); expected integer (int64)", file, path, tclass == H5T_FLOAT ? "floating point" : "not a number type");
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode SkuaH5SelectRows(hid_t dset, hsize_t start, hsize_t count, hid_t *fspace, hid_t *mspace)
{
  hsize_t dims[8], offs[8] = {0}, cnt[8];
  int     rank;

  PetscFunctionBegin;
  *fspace = H5Dget_space(dset);
  rank    = H5Sget_simple_extent_ndims(*fspace);
  PetscCheck(rank >= 1 && rank <= 8, PETSC_COMM_SELF, PETSC_ERR_SUP, "Datasets of rank %d are not supported", rank);
  H5Sget_simple_extent_dims(*fspace, dims, NULL);
  offs[0] = start;
  cnt[0]  = count;
  for (int d = 1; d < rank; d++) cnt[d] = dims[d];
  if (count) {
    H5Sselect_hyperslab(*fspace, H5S_SELECT_SET, offs, NULL, cnt, NULL);
    *mspace = H5Screate_simple(rank, cnt, NULL);
  } else {
    /* Ranks without rows still take part in the collective call. */
    hsize_t one = 1;
    H5Sselect_none(*fspace);
    *mspace = H5Screate_simple(1, &one, NULL);
    H5Sselect_none(*mspace);
  }
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaH5ReadRows(hid_t dset, hid_t memtype, hsize_t start, hsize_t count, void *buf)
{
  hid_t  fspace, mspace, dxpl;
  herr_t err;
  double dummy[1]; /* a valid buffer for ranks that transfer nothing */

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(SKUA_IO_Read, 0, 0, 0, 0));
  PetscCall(SkuaH5SelectRows(dset, start, count, &fspace, &mspace));
  dxpl = H5Pcreate(H5P_DATASET_XFER);
  H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE);
  err = H5Dread(dset, memtype, mspace, fspace, dxpl, buf ? buf : (void *)&dummy);
  H5Pclose(dxpl);
  H5Sclose(mspace);
  H5Sclose(fspace);
  PetscCheck(err >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "HDF5 read of rows [%llu, %llu) failed", (unsigned long long)start, (unsigned long long)(start + count));
  PetscCall(PetscLogEventEnd(SKUA_IO_Read, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaH5WriteRows(hid_t dset, hid_t memtype, hsize_t start, hsize_t count, const void *buf)
{
  hid_t  fspace, mspace, dxpl;
  herr_t err;
  double dummy[1]; /* a valid buffer for ranks that transfer nothing */

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(SKUA_IO_Write, 0, 0, 0, 0));
  PetscCall(SkuaH5SelectRows(dset, start, count, &fspace, &mspace));
  dxpl = H5Pcreate(H5P_DATASET_XFER);
  H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE);
  err = H5Dwrite(dset, memtype, mspace, fspace, dxpl, buf ? buf : (const void *)&dummy);
  H5Pclose(dxpl);
  H5Sclose(mspace);
  H5Sclose(fspace);
  PetscCheck(err >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "HDF5 write of rows [%llu, %llu) failed", (unsigned long long)start, (unsigned long long)(start + count));
  PetscCall(PetscLogEventEnd(SKUA_IO_Write, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaH5ReadAttrInt64(MPI_Comm comm, const char file[], hid_t loc, const char path[], const char name[], hsize_t len, int64_t *vals)
{
  hid_t       attr, space, type;
  hssize_t    npoints;
  H5T_class_t tclass;

  PetscFunctionBegin;
  PetscCheck(H5Aexists_by_name(loc, path, name, H5P_DEFAULT) > 0, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: '/%s' has no attribute '%s'", file, path, name);
  attr    = H5Aopen_by_name(loc, path, name, H5P_DEFAULT, H5P_DEFAULT);
  space   = H5Aget_space(attr);
  npoints = H5Sget_simple_extent_npoints(space);
  type    = H5Aget_type(attr);
  tclass  = H5Tget_class(type);
  H5Tclose(type);
  H5Sclose(space);
  if (tclass != H5T_INTEGER || npoints != (hssize_t)len) {
    H5Aclose(attr);
    SETERRQ(comm, PETSC_ERR_FILE_UNEXPECTED, "%s: attribute '%s' of '/%s' must be %llu integers (int64)", file, name, path, (unsigned long long)len);
  }
  H5Aread(attr, H5T_NATIVE_INT64, vals);
  H5Aclose(attr);
  PetscFunctionReturn(0);
}
