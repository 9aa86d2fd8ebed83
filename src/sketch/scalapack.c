/* QR of the sketch S A with ScaLAPACK pdgeqrf on a 2-D block-cyclic process grid (Blackford et al., ScaLAPACK Users' Guide 1997). */
#include "sketchimpl.h"

/* BLACS and ScaLAPACK (libscalapack-openmpi) have no installed C header; these are their C/Fortran entry points. */
extern int  Csys2blacs_handle(MPI_Comm comm);
extern void Cfree_blacs_system_handle(int handle);
extern void Cblacs_gridinit(int *ctxt, const char *order, int nprow, int npcol);
extern void Cblacs_gridinfo(int ctxt, int *nprow, int *npcol, int *myrow, int *mycol);
extern void Cblacs_gridexit(int ctxt);
extern int  Cblacs_pnum(int ctxt, int prow, int pcol);
extern int  numroc_(const int *n, const int *nb, const int *iproc, const int *isrcproc, const int *nprocs);
extern void descinit_(int *desc, const int *m, const int *n, const int *mb, const int *nb, const int *irsrc, const int *icsrc, const int *ictxt, const int *lld, int *info);
extern void pdgeqrf_(const int *m, const int *n, double *a, const int *ia, const int *ja, const int *desca, double *tau, double *work, const int *lwork, int *info);

/* Grid nprow x npcol = size with nprow >= npcol as square as possible (the sketch is taller than wide). */
static void GridShape(int size, int *nprow, int *npcol)
{
  int c = 1;
  for (int q = 1; q * q <= size; q++)
    if (size % q == 0) c = q;
  *npcol = c;
  *nprow = size / c;
}

/* With Sb, the factorised matrix is [SA Sb]: its (d+1)-th column of R holds (Q^T S b)_{1:d}, which gives the
   sketch-and-solve x without forming Q. Column d is the last global column, so on its owners it is the last local
   column, after the d sketch columns SkuaSketchApplyScattered fills. R (d x d, column-major) and c (length d, may be NULL)
   come back on every rank; each entry has one owner, so the sum that gathers them is exact. */
PetscErrorCode SkuaSketchQRScaLAPACK(SkuaSketch S, Mat A, const PetscScalar Sb[], PetscScalar R[], PetscScalar c[])
{
  PetscMPIInt      size;
  int              handle, ctxt, nprow, npcol, myrow, mycol, zero = 0, ione = 1, info, lwork = -1, *pnum;
  int              M, N, NB, mloc, nloc, lld, desc[9];
  PetscScalar     *a, *tau, *work, wq;
  PetscInt         d, ncol;
  SkuaSketchLayout L;
  MPI_Comm         comm;

  PetscFunctionBegin;
  PetscCall(PetscObjectGetComm((PetscObject)A, &comm));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCall(MatGetSize(A, NULL, &d));
  PetscCall(SkuaSketchSetUp(S, d));
  ncol = d + (Sb ? 1 : 0);
  PetscCall(PetscMPIIntCast(S->m, &M));
  PetscCall(PetscMPIIntCast(ncol, &N));
  PetscCall(PetscMPIIntCast(S->qr_block, &NB));
  GridShape(size, &nprow, &npcol);
  handle = Csys2blacs_handle(comm);
  ctxt   = handle;
  Cblacs_gridinit(&ctxt, "R", nprow, npcol);
  Cblacs_gridinfo(ctxt, &nprow, &npcol, &myrow, &mycol);
  mloc = numroc_(&M, &NB, &myrow, &zero, &nprow);
  nloc = numroc_(&N, &NB, &mycol, &zero, &npcol);
  lld  = PetscMax(1, mloc);
  descinit_(desc, &M, &N, &NB, &NB, &zero, &zero, &ctxt, &lld, &info);
  PetscCheck(info == 0, PETSC_COMM_SELF, PETSC_ERR_LIB, "ScaLAPACK descinit failed (info %d)", info);
  PetscCall(PetscMalloc1(nprow * npcol, &pnum));
  for (int pr = 0; pr < nprow; pr++)
    for (int pc = 0; pc < npcol; pc++) pnum[pr * npcol + pc] = Cblacs_pnum(ctxt, pr, pc);
  L.mb    = NB;
  L.nb    = NB;
  L.nprow = nprow;
  L.npcol = npcol;
  L.pnum  = pnum;
  PetscCall(PetscMalloc2((size_t)lld * PetscMax(1, nloc), &a, PetscMax(1, nloc), &tau));
  PetscCall(SkuaSketchApplyScattered(S, A, &L, a)); /* the d sketch columns; lld = local rows, as the layout has it */
  if (Sb && (d / NB) % npcol == mycol)
    for (int il = 0; il < mloc; il++) a[il + (size_t)(nloc - 1) * lld] = Sb[SkuaSketchGlobalIndex(il, NB, myrow, nprow)];
  pdgeqrf_(&M, &N, a, &ione, &ione, desc, tau, &wq, &lwork, &info);
  lwork = (int)PetscRealPart(wq) + 1;
  PetscCall(PetscMalloc1(lwork, &work));
  pdgeqrf_(&M, &N, a, &ione, &ione, desc, tau, work, &lwork, &info);
  PetscCheck(info == 0, PETSC_COMM_SELF, PETSC_ERR_LIB, "ScaLAPACK pdgeqrf of the sketch failed (info %d)", info);
  {
    PetscScalar *Rc;
    PetscCall(PetscCalloc1((size_t)d * ncol, &Rc));
    for (int jl = 0; jl < nloc; jl++) {
      PetscInt j = SkuaSketchGlobalIndex(jl, NB, mycol, npcol);
      for (int il = 0; il < mloc; il++) {
        PetscInt i = SkuaSketchGlobalIndex(il, NB, myrow, nprow);
        if (i <= j && i < d) Rc[i + (size_t)j * d] = a[il + (size_t)jl * lld];
      }
    }
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, Rc, (PetscMPIInt)((size_t)d * ncol), MPIU_SCALAR, MPIU_SUM, comm));
    PetscCall(PetscArraycpy(R, Rc, (size_t)d * d));
    if (Sb && c) PetscCall(PetscArraycpy(c, Rc + (size_t)d * d, d));
    PetscCall(PetscFree(Rc));
  }
  PetscCall(PetscFree(work));
  PetscCall(PetscFree2(a, tau));
  PetscCall(PetscFree(pnum));
  Cblacs_gridexit(ctxt);
  Cfree_blacs_system_handle(handle);
  PetscFunctionReturn(0);
}
