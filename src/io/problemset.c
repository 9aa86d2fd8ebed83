/* Problem sets: one system or a sequence of systems from HDF5 (docs/formats.md) or PETSc binary files. */
#include <skua/io.h>
#include "h5util.h"

PETSC_INTERN PetscErrorCode SkuaMatLoadHDF5Open(MPI_Comm, const char[], hid_t, const char[], Mat *);
PETSC_INTERN PetscErrorCode SkuaVecLoadHDF5Open(const char[], hid_t, const char[], Mat, Vec *);

typedef enum { PS_HDF5_SINGLE, PS_HDF5_SEQUENCE, PS_PETSC_BINARY } PSKind;

/* One object of a PETSc binary file: a Mat starts a new operator, each Vec after it is a right-hand side. */
typedef struct {
  PetscBool is_mat;
  PetscInt  rows;
} BinObject;

struct _p_SkuaProblemSet {
  MPI_Comm    comm;
  char        path[PETSC_MAX_PATH_LEN];
  PSKind      kind;
  PetscInt    n;        /* number of systems */
  char      (*names)[8];/* sequence member names */
  hid_t       fid;
  PetscBool   shared_A; /* /A exists at the root of a sequence */
  Mat         A;        /* current operator */
  char        A_src[PETSC_MAX_PATH_LEN];
  /* PETSc binary */
  PetscViewer viewer;
  BinObject  *objs;
  PetscInt    nobjs, next_obj, next_system;
  char        name[8]; /* GetName's answer for binary sets */
};

/* Big-endian int32, the byte order of PETSc binary files. */
static int32_t BE32(const unsigned char *p)
{
  return (int32_t)(((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3]);
}

#define SKUA_MAT_FILE_CLASSID 1211216
#define SKUA_VEC_FILE_CLASSID 1211214

/* Rank 0 walks the object headers (sizes only, no data) so the number of systems is known up front. */
static PetscErrorCode ScanPetscBinary(SkuaProblemSet ps)
{
  PetscMPIInt rank;
  char        msg[SKUA_MSG_LEN] = "";
  PetscInt    counts[2] = {0, 0}; /* objects, bad */

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(ps->comm, &rank));
  if (rank == 0) {
    FILE         *fp = fopen(ps->path, "rb");
    unsigned char h[16];
    PetscInt      cap = 16, lastrows = -1;
    long          fsize = 0, pos = 0;

    if (fp && !fseek(fp, 0, SEEK_END)) {
      fsize = ftell(fp);
      rewind(fp);
    }

    PetscCall(PetscMalloc1(cap, &ps->objs));
    while (fp && !counts[1]) {
      size_t got = fread(h, 1, 8, fp);
      long   skip;
      if (got == 0) break;
      if (counts[0] == cap) {
        cap *= 2;
        PetscCall(PetscRealloc(sizeof(BinObject) * cap, &ps->objs));
      }
      if (got == 8 && BE32(h) == SKUA_MAT_FILE_CLASSID && fread(h + 8, 1, 8, fp) == 8) {
        int32_t M = BE32(h + 4), N = BE32(h + 8), nz = BE32(h + 12);
        if (M != N) {
          counts[1] = 1;
          PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: matrix %" PetscInt_FMT " in the file is not square (%d x %d); Skua solves square systems", ps->path, counts[0], M, N));
        } else if (M <= 0 || nz < 0) {
          counts[1] = 1;
          PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: matrix %" PetscInt_FMT " has invalid header sizes (%d x %d, %d nonzeros)", ps->path, counts[0], M, N, nz));
        }
        ps->objs[counts[0]].is_mat = PETSC_TRUE;
        ps->objs[counts[0]].rows   = lastrows = M;
        skip = 4L * M + 4L * nz + 8L * nz;
      } else if (got == 8 && BE32(h) == SKUA_VEC_FILE_CLASSID) {
        int32_t n = BE32(h + 4);
        if (lastrows < 0) {
          counts[1] = 1;
          PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: a vector comes before any matrix; expected Mat A, then Vec b", ps->path));
        } else if (n != lastrows) {
          counts[1] = 1;
          PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: shape mismatch: vector %" PetscInt_FMT " in the file has length %d but its matrix has %" PetscInt_FMT " rows", ps->path, counts[0], n, lastrows));
        }
        ps->objs[counts[0]].is_mat = PETSC_FALSE;
        ps->objs[counts[0]].rows   = n;
        skip = 8L * n;
      } else {
        counts[1] = 1;
        PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: object %" PetscInt_FMT " is neither a PETSc Mat nor a Vec (truncated or corrupt file?)", ps->path, counts[0]));
        break;
      }
      pos += 8 + (ps->objs[counts[0]].is_mat ? 8 : 0) + skip;
      if (!counts[1] && pos > fsize) {
        counts[1] = 1;
        PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: truncated file: object %" PetscInt_FMT " (a %s) ends at byte %ld but the file has %ld bytes", ps->path, counts[0], ps->objs[counts[0]].is_mat ? "Mat" : "Vec", pos, fsize));
      }
      if (counts[1] || fseek(fp, skip, SEEK_CUR)) break;
      counts[0]++;
    }
    if (fp) fclose(fp);
    if (!counts[1] && counts[0] > 0 && ps->objs[counts[0] - 1].is_mat) {
      counts[1] = 1;
      PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: the last matrix has no right-hand side; expected Mat A followed by Vec b", ps->path));
    }
  }
  PetscCallMPI(MPI_Bcast(counts, 2, MPIU_INT, 0, ps->comm));
  PetscCall(SkuaCheckCollective(ps->comm, (rank == 0 && counts[1]) ? PETSC_TRUE : PETSC_FALSE, PETSC_ERR_FILE_UNEXPECTED, msg));
  ps->nobjs = counts[0];
  if (rank != 0) PetscCall(PetscMalloc1(ps->nobjs, &ps->objs));
  PetscCallMPI(MPI_Bcast(ps->objs, (PetscMPIInt)(ps->nobjs * sizeof(BinObject)), MPI_BYTE, 0, ps->comm));
  ps->n = 0;
  for (PetscInt i = 0; i < ps->nobjs; i++) ps->n += !ps->objs[i].is_mat;
  PetscCheck(ps->n > 0, ps->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: no Mat/Vec pair found", ps->path);
  PetscCall(PetscViewerBinaryOpen(ps->comm, ps->path, FILE_MODE_READ, &ps->viewer));
  PetscFunctionReturn(0);
}

static herr_t CollectName(hid_t g, const char *name, const H5L_info_t *info, void *ctx)
{
  SkuaProblemSet ps = (SkuaProblemSet)ctx;
  (void)g;
  (void)info;
  if (strlen(name) >= 8) return -1;
  strcpy(ps->names[ps->n++], name);
  return 0;
}

static PetscErrorCode OpenHDF5(SkuaProblemSet ps)
{
  int kA, kb, kseq;

  PetscFunctionBegin;
  PetscCall(SkuaH5OpenRead(ps->comm, ps->path, &ps->fid));
  PetscCall(SkuaH5ObjectKind(ps->fid, "sequence", &kseq));
  PetscCall(SkuaH5ObjectKind(ps->fid, "A", &kA));
  PetscCall(SkuaH5ObjectKind(ps->fid, "b", &kb));
  ps->shared_A = kA ? PETSC_TRUE : PETSC_FALSE;
  if (kseq == 1) {
    hid_t      g = H5Gopen2(ps->fid, "sequence", H5P_DEFAULT);
    H5G_info_t info;

    ps->kind = PS_HDF5_SEQUENCE;
    H5Gget_info(g, &info);
    PetscCheck(info.nlinks > 0, ps->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: group '/sequence' is empty", ps->path);
    PetscCall(PetscMalloc1(info.nlinks, &ps->names));
    /* Name order is solve order; 6-digit zero padding makes it numeric order too. */
    if (H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, NULL, CollectName, ps) < 0) ps->n = -1;
    H5Gclose(g);
    PetscCheck(ps->n == (PetscInt)info.nlinks, ps->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: '/sequence' members must be named with 6 digits (000000, 000001, ...)", ps->path);
    for (PetscInt i = 0; i < ps->n; i++) {
      PetscBool digits = strlen(ps->names[i]) == 6 ? PETSC_TRUE : PETSC_FALSE;
      int       kind;
      char      p[64];
      for (int c = 0; c < 6 && digits; c++) digits = (ps->names[i][c] >= '0' && ps->names[i][c] <= '9') ? PETSC_TRUE : PETSC_FALSE;
      PetscCheck(digits, ps->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: '/sequence/%s' is not a 6-digit name (000000, 000001, ...)", ps->path, ps->names[i]);
      PetscCall(PetscSNPrintf(p, sizeof(p), "sequence/%s/b", ps->names[i]));
      PetscCall(SkuaH5ObjectKind(ps->fid, p, &kind));
      PetscCheck(kind, ps->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: dataset '/%s' is missing (every sequence member needs b)", ps->path, p);
      PetscCall(PetscSNPrintf(p, sizeof(p), "sequence/%s/A", ps->names[i]));
      PetscCall(SkuaH5ObjectKind(ps->fid, p, &kind));
      PetscCheck(kind || ps->shared_A, ps->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: matrix '/%s' is missing and there is no shared '/A'", ps->path, p);
    }
  } else {
    PetscCheck(kA || kb, ps->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: not a Skua problem set: it has neither '/A' and '/b' nor a '/sequence' group", ps->path);
    PetscCheck(kA, ps->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: matrix '/A' is missing", ps->path);
    PetscCheck(kb, ps->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: dataset '/b' is missing", ps->path);
    ps->kind = PS_HDF5_SINGLE;
    ps->n    = 1;
  }
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaProblemSetOpen(MPI_Comm comm, const char path[], SkuaProblemSet *out)
{
  SkuaProblemSet ps;
  PetscMPIInt    rank;
  int            magic = 0; /* 1 HDF5, 2 PETSc binary */

  PetscFunctionBegin;
  PetscCall(PetscNew(&ps));
  ps->comm = comm;
  ps->fid  = -1;
  PetscCall(PetscStrncpy(ps->path, path, sizeof(ps->path)));
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    FILE *fp = fopen(path, "rb");
    if (fp) {
      unsigned char h[4];
      if (fread(h, 1, 4, fp) == 4 && BE32(h) == SKUA_MAT_FILE_CLASSID) magic = 2;
      else magic = 1; /* HDF5 or unknown: the HDF5 opener gives the precise message */
      fclose(fp);
    }
  }
  PetscCallMPI(MPI_Bcast(&magic, 1, MPI_INT, 0, comm));
  if (magic == 2) {
    ps->kind = PS_PETSC_BINARY;
    PetscCall(ScanPetscBinary(ps));
  } else PetscCall(OpenHDF5(ps));
  *out = ps;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaProblemSetGetSize(SkuaProblemSet ps, PetscInt *n, PetscBool *is_sequence)
{
  PetscFunctionBegin;
  if (n) *n = ps->n;
  if (is_sequence) *is_sequence = ps->kind == PS_HDF5_SINGLE ? PETSC_FALSE : PETSC_TRUE;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaProblemSetGetName(SkuaProblemSet ps, PetscInt i, const char **name)
{
  PetscFunctionBegin;
  PetscCheck(i >= 0 && i < ps->n, ps->comm, PETSC_ERR_ARG_OUTOFRANGE, "System %" PetscInt_FMT " does not exist; the set has %" PetscInt_FMT, i, ps->n);
  if (ps->kind == PS_HDF5_SINGLE) *name = "";
  else if (ps->kind == PS_HDF5_SEQUENCE) *name = ps->names[i];
  else {
    PetscCall(PetscSNPrintf(ps->name, sizeof(ps->name), "%06" PetscInt_FMT, i));
    *name = ps->name;
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode CheckFiniteMat(SkuaProblemSet ps, Mat A, const char what[])
{
  PetscReal nrm;

  PetscFunctionBegin;
  PetscCall(MatNorm(A, NORM_FROBENIUS, &nrm));
  PetscCheck(!PetscIsInfOrNanReal(nrm), ps->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: %s holds NaN or Inf values", ps->path, what);
  PetscFunctionReturn(0);
}

static PetscErrorCode GetSystemBinary(SkuaProblemSet ps, PetscInt i, PetscBool *A_changed, Vec *b)
{
  PetscReal nrm;

  PetscFunctionBegin;
  PetscCheck(i >= ps->next_system, ps->comm, PETSC_ERR_ARG_WRONGSTATE, "%s: PETSc binary problem sets are read in order; system %" PetscInt_FMT " was already passed", ps->path, i);
  *A_changed = PETSC_FALSE;
  /* Walk forward, loading each Mat (the latest one is the operator) and skipping unwanted Vecs. */
  while (PETSC_TRUE) {
    BinObject *o = &ps->objs[ps->next_obj++];
    if (o->is_mat) {
      char what[64];
      PetscCall(MatDestroy(&ps->A));
      PetscCall(MatCreate(ps->comm, &ps->A));
      PetscCall(MatSetType(ps->A, MATAIJ));
      PetscCall(MatLoad(ps->A, ps->viewer));
      PetscCall(PetscSNPrintf(what, sizeof(what), "matrix object %" PetscInt_FMT, ps->next_obj - 1));
      PetscCall(CheckFiniteMat(ps, ps->A, what));
      *A_changed = PETSC_TRUE;
    } else {
      Vec v;
      PetscCall(MatCreateVecs(ps->A, NULL, &v));
      PetscCall(VecLoad(v, ps->viewer));
      if (ps->next_system++ == i) {
        PetscCall(VecNorm(v, NORM_2, &nrm));
        PetscCheck(!PetscIsInfOrNanReal(nrm), ps->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: vector object %" PetscInt_FMT " holds NaN or Inf values", ps->path, ps->next_obj - 1);
        *b = v;
        break;
      }
      PetscCall(VecDestroy(&v));
    }
  }
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaProblemSetGetSystem(SkuaProblemSet ps, PetscInt i, Mat *A, PetscBool *A_changed, Vec *b, Vec *x0)
{
  char      pA[64], pb[64], px[64];
  PetscBool changed = PETSC_FALSE, hasx0 = PETSC_FALSE, same_A = PETSC_FALSE;

  PetscFunctionBegin;
  PetscCheck(i >= 0 && i < ps->n, ps->comm, PETSC_ERR_ARG_OUTOFRANGE, "System %" PetscInt_FMT " does not exist; %s has %" PetscInt_FMT, i, ps->path, ps->n);
  if (x0) *x0 = NULL;
  if (ps->kind == PS_PETSC_BINARY) {
    PetscCall(GetSystemBinary(ps, i, &changed, b));
  } else {
    if (ps->kind == PS_HDF5_SINGLE) {
      PetscCall(PetscStrcpy(pA, "A"));
      PetscCall(PetscStrcpy(pb, "b"));
      PetscCall(PetscStrcpy(px, "x0"));
    } else {
      int kind;
      PetscCall(PetscSNPrintf(pA, sizeof(pA), "sequence/%s/A", ps->names[i]));
      PetscCall(PetscSNPrintf(pb, sizeof(pb), "sequence/%s/b", ps->names[i]));
      PetscCall(PetscSNPrintf(px, sizeof(px), "sequence/%s/x0", ps->names[i]));
      PetscCall(SkuaH5ObjectKind(ps->fid, pA, &kind));
      if (!kind) PetscCall(PetscStrcpy(pA, "A"));
    }
    PetscCall(PetscStrcmp(pA, ps->A_src, &same_A));
    if (!ps->A || !same_A) {
      PetscCall(MatDestroy(&ps->A));
      PetscCall(SkuaMatLoadHDF5Open(ps->comm, ps->path, ps->fid, pA, &ps->A));
      {
        PetscInt M, N;
        PetscCall(MatGetSize(ps->A, &M, &N));
        PetscCheck(M == N, ps->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: matrix '/%s' is not square (shape %" PetscInt_FMT " x %" PetscInt_FMT "); Skua solves square systems", ps->path, pA, M, N);
      }
      PetscCall(PetscStrcpy(ps->A_src, pA));
      changed = PETSC_TRUE;
    }
    PetscCall(SkuaVecLoadHDF5Open(ps->path, ps->fid, pb, ps->A, b));
    PetscCall(SkuaH5Exists(ps->fid, px, &hasx0));
    if (hasx0 && x0) PetscCall(SkuaVecLoadHDF5Open(ps->path, ps->fid, px, ps->A, x0));
  }
  *A = ps->A;
  if (A_changed) *A_changed = changed;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaProblemSetDestroy(SkuaProblemSet *ps)
{
  PetscFunctionBegin;
  if (!*ps) PetscFunctionReturn(0);
  PetscCall(SkuaH5Close(&(*ps)->fid));
  PetscCall(PetscViewerDestroy(&(*ps)->viewer));
  PetscCall(MatDestroy(&(*ps)->A));
  PetscCall(PetscFree((*ps)->names));
  PetscCall(PetscFree((*ps)->objs));
  PetscCall(PetscFree(*ps));
  PetscFunctionReturn(0);
}
