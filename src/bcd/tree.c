/* Forest-structured blocks for the quadratic loss (Nutini, Laradji, Schmidt, JMLR 2022, Sec. 6): when the
   variables of a block induce a forest in the graph of A (an edge i-j wherever A_ij != 0), the block system
   (A_bb + s I) d = -g_b is solved exactly in O(|b|) by Gaussian elimination from the leaves to the roots and
   back substitution from the roots (message passing), so blocks can hold thousands of variables.
   - Greedy rules (gs, gsl, gsd, gsq): each iteration the block is grown greedily in decreasing order of the
     coordinate scores, a variable joining when it keeps the block a forest (union-find over the block's
     components), up to -bcd_block_size variables (default: no limit).
   - cyclic, random, perm: a fixed partition into forests, built once by first fit in index order (each
     variable goes into the first forest it keeps acyclic and below the size limit).
   A's rows are replicated on every rank (like x and the gradient), so the block choice and the block solve are
   the same computation on every rank. */
#include "bcdimpl.h"

/* Union-find with path halving; the roots carry no rank (union by index keeps it deterministic). */
static inline PetscInt Find(PetscInt *uf, PetscInt v)
{
  while (uf[v] != v) {
    uf[v] = uf[uf[v]];
    v     = uf[v];
  }
  return v;
}

/* If variable v joins the variables with in[w] == tag, do they stay a forest? Its neighbours there must lie in
   distinct components. On success the components are merged through v. */
static PetscBool TryJoin(SkuaBCD bcd, PetscInt v, const PetscInt *in, PetscInt tag)
{
  PetscInt *uf = bcd->tuf, *roots = bcd->troots, nr = 0;

  for (PetscInt p = bcd->trp[v]; p < bcd->trp[v + 1]; p++) {
    PetscInt w = bcd->tci[p], r;
    if (w == v || in[w] != tag) continue;
    r = Find(uf, w);
    for (PetscInt q = 0; q < nr; q++)
      if (roots[q] == r) return PETSC_FALSE; /* two neighbours in one tree: a cycle through v */
    roots[nr++] = r;
  }
  uf[v] = v;
  for (PetscInt q = 0; q < nr; q++) uf[roots[q]] = v;
  return PETSC_TRUE;
}

/* Replicates A (all d rows, CSR) on every rank and, for the non-greedy rules, builds the fixed forests. */
PetscErrorCode SkuaBCDTreeSetUp(SkuaBCD bcd)
{
  PetscMPIInt *cnt, *off;
  PetscInt     nloc = bcd->rrp[bcd->mloc], nnz, maxdeg = 0, *rowlen;

  PetscFunctionBegin;
  PetscCall(PetscMalloc2(bcd->size, &cnt, bcd->size + 1, &off));
  PetscCall(PetscMalloc1(bcd->d + 1, &bcd->trp));
  PetscCall(PetscMalloc1(bcd->mloc + 1, &rowlen));
  for (PetscInt i = 0; i < bcd->mloc; i++) rowlen[i] = bcd->rrp[i + 1] - bcd->rrp[i];
  {
    PetscMPIInt m = (PetscMPIInt)bcd->mloc;
    PetscCallMPI(MPI_Allgather(&m, 1, MPI_INT, cnt, 1, MPI_INT, bcd->comm));
    off[0] = 0;
    for (PetscMPIInt r = 0; r < bcd->size; r++) off[r + 1] = off[r] + cnt[r];
    PetscCallMPI(MPI_Allgatherv(rowlen, m, MPIU_INT, bcd->trp + 1, cnt, off, MPIU_INT, bcd->comm));
  }
  PetscCall(PetscFree(rowlen));
  bcd->trp[0] = 0;
  for (PetscInt j = 0; j < bcd->d; j++) {
    maxdeg           = PetscMax(maxdeg, bcd->trp[j + 1]);
    bcd->trp[j + 1] += bcd->trp[j];
  }
  nnz = bcd->trp[bcd->d];
  PetscCall(PetscMalloc2(nnz + 1, &bcd->tci, nnz + 1, &bcd->tcv));
  {
    PetscMPIInt n = (PetscMPIInt)nloc;
    PetscCallMPI(MPI_Allgather(&n, 1, MPI_INT, cnt, 1, MPI_INT, bcd->comm));
    off[0] = 0;
    for (PetscMPIInt r = 0; r < bcd->size; r++) off[r + 1] = off[r] + cnt[r];
    PetscCallMPI(MPI_Allgatherv(bcd->rci, n, MPIU_INT, bcd->tci, cnt, off, MPIU_INT, bcd->comm));
    PetscCallMPI(MPI_Allgatherv(bcd->rrv, n, MPIU_REAL, bcd->tcv, cnt, off, MPIU_REAL, bcd->comm));
  }
  PetscCall(PetscFree2(cnt, off));

  /* Work: union-find, block membership/position, BFS order, parents, pivots, the solve's right-hand side. */
  PetscCall(PetscMalloc6(bcd->d, &bcd->tuf, bcd->d, &bcd->tpos, maxdeg + 1, &bcd->troots, bcd->d, &bcd->torder, bcd->d, &bcd->tpar, bcd->d, &bcd->tsort));
  PetscCall(PetscMalloc3(bcd->d, &bcd->tpiv, bcd->d, &bcd->trhs, bcd->d, &bcd->tcp));
  for (PetscInt j = 0; j < bcd->d; j++) bcd->tpos[j] = -1;

  if (!bcd->rops->greedy) {
    /* First fit: forest[v] = the first forest, by number, that v keeps acyclic and that has room. */
    PetscInt *forest = bcd->tpos, *size, nf = 0, first = 0;
    PetscCall(PetscCalloc1(bcd->d + 1, &size));
    for (PetscInt v = 0; v < bcd->d; v++) {
      PetscInt f = first;
      for (;; f++) {
        if (f == nf) { /* a new forest */
          nf++;
          forest[v] = f;
          bcd->tuf[v] = v;
          break;
        }
        if (size[f] < bcd->bs && TryJoin(bcd, v, forest, f)) {
          forest[v] = f;
          break;
        }
      }
      size[f]++;
      while (first < nf && size[first] >= bcd->bs) first++;
    }
    bcd->nb = nf;
    PetscCall(PetscMalloc1(nf + 1, &bcd->bstart));
    PetscCall(PetscMalloc1(bcd->d, &bcd->bcoord));
    bcd->bstart[0] = 0;
    for (PetscInt f = 0; f < nf; f++) bcd->bstart[f + 1] = bcd->bstart[f] + size[f];
    for (PetscInt f = 0; f < nf; f++) size[f] = bcd->bstart[f];
    for (PetscInt v = 0; v < bcd->d; v++) bcd->bcoord[size[forest[v]]++] = v; /* ascending within each forest */
    for (PetscInt v = 0; v < bcd->d; v++) forest[v] = -1;
    PetscCall(PetscFree(size));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaBCDTreeDestroy(SkuaBCD bcd)
{
  PetscFunctionBegin;
  PetscCall(PetscFree(bcd->trp));
  PetscCall(PetscFree2(bcd->tci, bcd->tcv));
  PetscCall(PetscFree6(bcd->tuf, bcd->tpos, bcd->troots, bcd->torder, bcd->tpar, bcd->tsort));
  PetscCall(PetscFree3(bcd->tpiv, bcd->trhs, bcd->tcp));
  PetscFunctionReturn(0);
}

/* Greedy forest: variables by decreasing score (ties: lower index), each joining if the block stays a forest.
   score[] is the coordinate score of every variable; the block goes to f[] (unsorted), its size is returned. */
PetscInt SkuaBCDGreedyForest(SkuaBCD bcd, const PetscReal score[], PetscInt f[])
{
  PetscInt *ord = bcd->tsort, *in = bcd->tpos, n = 0, cap = PetscMin(bcd->bs, bcd->d);

  SkuaBCDOrderDescending(bcd->d, score, 1, ord, bcd->torder); /* a total order: every rank builds the same block */
  for (PetscInt q = 0; q < bcd->d && n < cap; q++) {
    PetscInt v = ord[q];
    if (TryJoin(bcd, v, in, 1)) {
      in[v]  = 1;
      f[n++] = v;
    }
  }
  for (PetscInt q = 0; q < n; q++) in[f[q]] = -1;
  return n;
}

/* db = -(A_bb + shift I)^-1 g_b for a forest block (bcd->blk, sorted): order each tree breadth first from its
   lowest variable, eliminate leaves into parents (the pivot and right-hand side of the parent absorb the child),
   then substitute from the roots down. */
PetscErrorCode SkuaBCDTreeSolve(SkuaBCD bcd, PetscReal shift, PetscReal db[])
{
  const PetscInt n = bcd->nblk;
  PetscInt      *pos = bcd->tpos, *order = bcd->torder, *par = bcd->tpar, no = 0;
  PetscReal     *piv = bcd->tpiv, *rhs = bcd->trhs, *cp = bcd->tcp;

  PetscFunctionBegin;
  for (PetscInt a = 0; a < n; a++) {
    PetscInt v = bcd->blk[a];
    pos[v]     = a;
    par[a]     = -2; /* not reached yet */
    piv[a]     = shift;
    rhs[a]     = -bcd->gb[a];
    for (PetscInt p = bcd->trp[v]; p < bcd->trp[v + 1]; p++)
      if (bcd->tci[p] == v) piv[a] += bcd->tcv[p];
  }
  for (PetscInt a0 = 0; a0 < n; a0++) {
    if (par[a0] != -2) continue;
    par[a0]     = -1;
    cp[a0]      = 0;
    order[no++] = a0;
    for (PetscInt h = no - 1; h < no; h++) {
      PetscInt a = order[h], v = bcd->blk[a];
      for (PetscInt p = bcd->trp[v]; p < bcd->trp[v + 1]; p++) {
        PetscInt w = bcd->tci[p], c;
        if (w == v || (c = pos[w]) < 0 || c == par[a]) continue;
        PetscCheck(par[c] == -2, PETSC_COMM_SELF, PETSC_ERR_PLIB, "forest block has a cycle through variable %" PetscInt_FMT, w);
        par[c]      = a;
        cp[c]       = bcd->tcv[p]; /* A_{v w}; A is symmetric */
        order[no++] = c;
      }
    }
  }
  for (PetscInt h = n - 1; h >= 0; h--) { /* leaves first */
    PetscInt a = order[h], p = par[a];
    PetscCheck(piv[a] > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: -bcd_partition tree: a pivot of the forest block is %g <= 0 at variable %" PetscInt_FMT "; A is not positive definite", bcd->source, (double)piv[a], bcd->blk[a]);
    if (p >= 0) {
      PetscReal l = cp[a] / piv[a];
      piv[p] -= l * cp[a];
      rhs[p] -= l * rhs[a];
    }
  }
  for (PetscInt h = 0; h < n; h++) { /* roots first */
    PetscInt a = order[h], p = par[a];
    db[a]      = (rhs[a] - (p >= 0 ? cp[a] * db[p] : 0)) / piv[a];
  }
  for (PetscInt a = 0; a < n; a++) pos[bcd->blk[a]] = -1;
  PetscFunctionReturn(0);
}
