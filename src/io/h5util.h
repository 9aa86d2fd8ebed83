/* Private HDF5 helpers shared by Skua's readers and writers: collective checks, typed hyperslab reads. */
#ifndef SKUA_IO_H5UTIL_H
#define SKUA_IO_H5UTIL_H

#include <petscsys.h>
#include <hdf5.h>
#include "../skuaimpl.h"

PETSC_INTERN PetscLogEvent SKUA_IO_Read, SKUA_IO_Write;
PETSC_INTERN PetscErrorCode SkuaIORegisterEvents(void);


typedef enum { SKUA_H5_INTEGER, SKUA_H5_FLOAT, SKUA_H5_NUMBER } SkuaH5Class;

/* Open an existing HDF5 file for parallel reading (fails collectively with a clear message). */
PETSC_INTERN PetscErrorCode SkuaH5OpenRead(MPI_Comm comm, const char path[], hid_t *fid);
PETSC_INTERN PetscErrorCode SkuaH5Close(hid_t *fid);
/* Does a link path (e.g. "sequence/000001/A") exist, checking each component? */
PETSC_INTERN PetscErrorCode SkuaH5Exists(hid_t loc, const char path[], PetscBool *exists);
/* Kind of object at path: 0 missing, 1 group, 2 dataset. */
PETSC_INTERN PetscErrorCode SkuaH5ObjectKind(hid_t loc, const char path[], int *kind);
/* Open a dataset and check its rank and type class; dims receives its shape. Errors name file and path. */
PETSC_INTERN PetscErrorCode SkuaH5DatasetOpen(MPI_Comm comm, const char file[], hid_t loc, const char path[], int rank, SkuaH5Class cls, hid_t *dset, hsize_t dims[]);
/* Collective read of rows [start, start+count) of a 1-D or 2-D dataset (all columns) into buf. */
PETSC_INTERN PetscErrorCode SkuaH5ReadRows(hid_t dset, hid_t memtype, hsize_t start, hsize_t count, void *buf);
/* Collective write of rows [start, start+count) (all trailing dimensions) of a dataset. */
PETSC_INTERN PetscErrorCode SkuaH5WriteRows(hid_t dset, hid_t memtype, hsize_t start, hsize_t count, const void *buf);
/* Reads an int64 attribute array of known length attached to object path. */
PETSC_INTERN PetscErrorCode SkuaH5ReadAttrInt64(MPI_Comm comm, const char file[], hid_t loc, const char path[], const char name[], hsize_t len, int64_t *vals);

#endif
