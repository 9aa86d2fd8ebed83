/* Skua I/O: HDF5 and PETSc-binary problem sets in, HDF5 results out (layouts in docs/formats.md). */
#ifndef SKUA_IO_H
#define SKUA_IO_H

#include <petscmat.h>

/* ---- Matrices and vectors in HDF5 (parallel: each rank reads only its row block) ----
   A sparse matrix is a group with datasets data (float), indices (int), indptr (int) and attribute
   shape (int64[2]) -- scipy's CSR. A dense matrix is a 2-D dataset. Both load into MATAIJ (any shape; rows and
   columns split as PETSc does) with exact preallocation; duplicate (row, column) entries are summed as scipy does. */
PETSC_EXTERN PetscErrorCode SkuaMatLoadHDF5(MPI_Comm comm, const char file[], const char path[], Mat *A);
/* A 1-D dataset with the row layout of A (MatCreateVecs(A, NULL, &v)). */
PETSC_EXTERN PetscErrorCode SkuaVecLoadHDF5(const char file[], const char path[], Mat A, Vec *v);

/* ---- Problem sets: one system /A, /b [, /x0], a sequence /sequence/NNNNNN/{A,b,x0} (A may be the
   shared /A), or a PETSc binary file of Mat, Vec [, Vec ...] [, Mat, Vec ...] objects. ---- */
typedef struct _p_SkuaProblemSet *SkuaProblemSet;

PETSC_EXTERN PetscErrorCode SkuaProblemSetOpen(MPI_Comm comm, const char path[], SkuaProblemSet *ps);
PETSC_EXTERN PetscErrorCode SkuaProblemSetGetSize(SkuaProblemSet ps, PetscInt *nsystems, PetscBool *is_sequence);
/* Name of system i: "" for a single system, "NNNNNN" for a sequence member (valid until the next call). */
PETSC_EXTERN PetscErrorCode SkuaProblemSetGetName(SkuaProblemSet ps, PetscInt i, const char **name);
/* Loads system i. *A is a borrowed reference that stays valid until the next call; *A_changed says whether
   it is a different operator from the previous call. b and x0 are new (x0 NULL if the set has none);
   the caller destroys them. PETSc binary sets must be read in increasing order. */
PETSC_EXTERN PetscErrorCode SkuaProblemSetGetSystem(SkuaProblemSet ps, PetscInt i, Mat *A, PetscBool *A_changed, Vec *b, Vec *x0);
PETSC_EXTERN PetscErrorCode SkuaProblemSetDestroy(SkuaProblemSet *ps);

/* ---- Results: written collectively with parallel HDF5 to PATH.partial, renamed to PATH when finished. ---- */
typedef struct _p_SkuaH5Writer *SkuaH5Writer;

/* Creates PATH.partial (resume = PETSC_TRUE reopens an existing PATH.partial instead, if there is one) and
   writes the provenance attributes skua_version, command_line, nprocs, created. *resumed says which. */
PETSC_EXTERN PetscErrorCode SkuaH5WriterCreate(MPI_Comm comm, const char path[], PetscBool resume, SkuaH5Writer *w, PetscBool *resumed);
PETSC_EXTERN PetscErrorCode SkuaH5WriterSetAttrString(SkuaH5Writer w, const char obj[], const char name[], const char value[]);
PETSC_EXTERN PetscErrorCode SkuaH5WriterSetAttrInt(SkuaH5Writer w, const char obj[], const char name[], PetscInt value);
PETSC_EXTERN PetscErrorCode SkuaH5WriterSetAttrReal(SkuaH5Writer w, const char obj[], const char name[], PetscReal value);
/* Writes a parallel Vec as a 1-D float64 dataset (intermediate groups created); replaces an existing one. */
PETSC_EXTERN PetscErrorCode SkuaH5WriterWriteVec(SkuaH5Writer w, const char path[], Vec x);
/* Writes a row-distributed Mat, each rank its own rows: MATDENSE as a 2-D float64 dataset, other types as a
   scipy CSR group (data, indices, indptr, attribute shape); replaces an existing one. Read back by SkuaMatLoadHDF5. */
PETSC_EXTERN PetscErrorCode SkuaH5WriterWriteMat(SkuaH5Writer w, const char path[], Mat A);
/* Reads back a 1-D dataset written earlier (e.g. a finished solution when resuming) into x. */
PETSC_EXTERN PetscErrorCode SkuaH5WriterReadVec(SkuaH5Writer w, const char path[], Vec x);
/* N-dimensional float64 (or int64) dataset of the given dims, created if missing (kept on resume, so
   rows already written survive). Rows are indices along the first dimension. */
PETSC_EXTERN PetscErrorCode SkuaH5WriterCreateDataset(SkuaH5Writer w, const char path[], PetscBool is_int, PetscInt rank, const PetscInt dims[]);
/* Collective: writes rows [start, start+count) from rank 0's data (other ranks pass anything, even NULL). */
PETSC_EXTERN PetscErrorCode SkuaH5WriterWriteRows(SkuaH5Writer w, const char path[], PetscInt start, PetscInt count, const PetscReal data[]);
/* Collective: every rank reads rows [start, start+count). */
PETSC_EXTERN PetscErrorCode SkuaH5WriterReadRows(SkuaH5Writer w, const char path[], PetscInt start, PetscInt count, PetscReal data[]);
/* Writes a whole dataset from rank 0's data, replacing one of another shape (e.g. a checkpoint). Collective. */
PETSC_EXTERN PetscErrorCode SkuaH5WriterWriteDataset(SkuaH5Writer w, const char path[], PetscInt rank, const PetscInt dims[], const PetscReal data[]);
PETSC_EXTERN PetscErrorCode SkuaH5WriterGetAttrInt(SkuaH5Writer w, const char obj[], const char name[], PetscInt *value, PetscBool *found);
/* Reads a string attribute written earlier (e.g. to check a resumed file was made with the same settings). */
PETSC_EXTERN PetscErrorCode SkuaH5WriterGetAttrString(SkuaH5Writer w, const char obj[], const char name[], char value[], size_t len, PetscBool *found);
/* Per-system statistics: 1-D arrays of length n created once (filled with fill), set entry by entry. */
PETSC_EXTERN PetscErrorCode SkuaH5WriterCreateArray(SkuaH5Writer w, const char path[], PetscBool is_int, PetscInt n, PetscReal fill);
PETSC_EXTERN PetscErrorCode SkuaH5WriterSetArrayEntry(SkuaH5Writer w, const char path[], PetscInt i, PetscReal value);
PETSC_EXTERN PetscErrorCode SkuaH5WriterGetArray(SkuaH5Writer w, const char path[], PetscInt n, PetscReal values[]);
/* Flushes to disk, so a run killed after this point loses nothing already written. */
PETSC_EXTERN PetscErrorCode SkuaH5WriterFlush(SkuaH5Writer w);
/* Collective: whether a periodic flush is due, by rank 0's clock (more than interval seconds since *t_last, or
   force), the same answer on every rank. A flush is collective, and per-rank clocks disagree near the boundary:
   deciding on each rank's own clock deadlocked a loaded 4-rank run. On true, *t_last becomes now. */
PETSC_EXTERN PetscErrorCode SkuaFlushDue(MPI_Comm comm, double interval, PetscBool force, double *t_last, PetscBool *due);
/* Closes and renames PATH.partial to PATH. */
PETSC_EXTERN PetscErrorCode SkuaH5WriterFinish(SkuaH5Writer *w);
/* Closes without renaming; with remove = PETSC_TRUE also deletes PATH.partial. */
PETSC_EXTERN PetscErrorCode SkuaH5WriterAbort(SkuaH5Writer *w, PetscBool remove);

#endif
