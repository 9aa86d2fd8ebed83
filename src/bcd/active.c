/* -bcd_partition active: the block is every coordinate that may move (x_j != 0 or the L1 optimality condition
   violated; the shrinking heuristic), updated by a proximal Newton step whose block model is solved by cyclic
   coordinate descent -- the limit of the paper's greedy variable blocks with Newton updates (Nutini, Laradji,
   Schmidt, JMLR 2022, Sec. 5-6) and the scheme of LIBLINEAR's newGLMNET (Yuan, Ho, Lin, JMLR 2012).
   Distribution by columns (Hydra-style, Richtarik-Takac): rank r owns the features [c0, c1) with all their rows;
   the row state u (residuals or margins) is replicated. Each rank solves its part of the model with the
   block-diagonal Hessian (its own coupling only); the directions are summed through one reduction of the m-vector
   A d per Newton iteration, followed by an Armijo line search on F (Tseng-Yun). One rank: the exact model. */
#include "bcdimpl.h"

PetscErrorCode SkuaBCDActiveDestroy(SkuaBCD bcd)
{
  PetscFunctionBegin;
  if (bcd->size > 1) PetscCall(PetscFree3(bcd->acp, bcd->ari, bcd->acv)); /* one rank: the local CSC itself */
  PetscCall(PetscFree3(bcd->as, bcd->ao, bcd->au));
  PetscFunctionReturn(0);
}

/* Owned columns with global row numbers, from every rank's row block (one all-to-all), and replicated s, o. */
static PetscErrorCode ColumnLayout(SkuaBCD bcd)
{
  PetscMPIInt  P = bcd->size, *scnt, *sdsp, *rcnt, *rdsp, *ncnt, *ndsp, *mcnt, *mdsp;
  PetscInt    *cstart, nloc, c0, *gr, *rcol, *rr, ntot, nown;
  PetscReal   *rv;

  PetscFunctionBegin;
  PetscCall(SkuaBCDRowSplit(bcd->comm, bcd->d, &nloc, &c0));
  bcd->c0 = c0;
  bcd->c1 = c0 + nloc;
  nown    = nloc;
  PetscCall(PetscMalloc3(bcd->m, &bcd->as, bcd->m, &bcd->ao, bcd->m, &bcd->au));
  PetscCall(PetscMalloc1(P + 1, &cstart));
  PetscCall(PetscMalloc4(P, &scnt, P, &sdsp, P, &rcnt, P, &rdsp));
  PetscCall(PetscMalloc4(P, &ncnt, P, &ndsp, P, &mcnt, P, &mdsp));
  PetscCallMPI(MPI_Allgather(&c0, 1, MPIU_INT, cstart, 1, MPIU_INT, bcd->comm));
  cstart[P] = bcd->d;
  if (P == 1) {
    /* One rank owns every column with all rows: the local CSC is the column layout (rows are global and ascending
       in each column). Sharing it saves three nnz-sized copies and their first-touch page faults. */
    PetscCall(PetscArraycpy(bcd->as, bcd->s, bcd->m));
    PetscCall(PetscArraycpy(bcd->ao, bcd->o, bcd->m));
    bcd->acp = bcd->ccp;
    bcd->ari = bcd->cri;
    bcd->acv = bcd->ccv;
    PetscCall(PetscFree(cstart));
    PetscCall(PetscFree4(scnt, sdsp, rcnt, rdsp));
    PetscCall(PetscFree4(ncnt, ndsp, mcnt, mdsp));
    PetscFunctionReturn(0);
  }
  /* replicated s and o */
  {
    PetscMPIInt ml;
    PetscCall(PetscMPIIntCast(bcd->mloc, &ml));
    PetscCallMPI(MPI_Allgather(&ml, 1, MPI_INT, mcnt, 1, MPI_INT, bcd->comm));
    mdsp[0] = 0;
    for (PetscMPIInt r = 1; r < P; r++) mdsp[r] = mdsp[r - 1] + mcnt[r - 1];
    PetscCallMPI(MPI_Allgatherv(bcd->s, ml, MPIU_REAL, bcd->as, mcnt, mdsp, MPIU_REAL, bcd->comm));
    PetscCallMPI(MPI_Allgatherv(bcd->o, ml, MPIU_REAL, bcd->ao, mcnt, mdsp, MPIU_REAL, bcd->comm));
  }
  /* entries of the columns owned by rank r are the contiguous range ccp[cstart[r]] .. ccp[cstart[r+1]] */
  for (PetscMPIInt r = 0; r < P; r++) {
    PetscCall(PetscMPIIntCast(bcd->ccp[cstart[r + 1]] - bcd->ccp[cstart[r]], &scnt[r]));
    PetscCall(PetscMPIIntCast(bcd->ccp[cstart[r]], &sdsp[r]));
    PetscCall(PetscMPIIntCast(cstart[r], &ndsp[r]));
    PetscCall(PetscMPIIntCast(cstart[r + 1] - cstart[r], &ncnt[r]));
  }
  PetscCallMPI(MPI_Alltoall(scnt, 1, MPI_INT, rcnt, 1, MPI_INT, bcd->comm));
  rdsp[0] = 0;
  for (PetscMPIInt r = 1; r < P; r++) rdsp[r] = rdsp[r - 1] + rcnt[r - 1];
  ntot = rdsp[P - 1] + rcnt[P - 1];
  PetscCall(PetscMalloc1(bcd->ccp[bcd->d] + 1, &gr));
  for (PetscInt p = 0; p < bcd->ccp[bcd->d]; p++) gr[p] = bcd->cri[p] + bcd->rstart;
  PetscCall(PetscMalloc3(ntot + 1, &rr, ntot + 1, &rv, (PetscInt)P * nown + 1, &rcol));
  PetscCallMPI(MPI_Alltoallv(gr, scnt, sdsp, MPIU_INT, rr, rcnt, rdsp, MPIU_INT, bcd->comm));
  PetscCallMPI(MPI_Alltoallv(bcd->ccv, scnt, sdsp, MPIU_REAL, rv, rcnt, rdsp, MPIU_REAL, bcd->comm));
  /* column counts of my columns from every source: source s sends ccp differences of my range */
  {
    PetscInt   *cnt;
    PetscMPIInt *rn, *rnd, nownm;
    PetscCall(PetscMalloc3(bcd->d + 1, &cnt, P, &rn, P, &rnd));
    for (PetscInt j = 0; j < bcd->d; j++) cnt[j] = bcd->ccp[j + 1] - bcd->ccp[j];
    PetscCall(PetscMPIIntCast(nown, &nownm));
    for (PetscMPIInt r = 0; r < P; r++) {
      rn[r]  = nownm;
      rnd[r] = r * nownm;
    }
    PetscCallMPI(MPI_Alltoallv(cnt, ncnt, ndsp, MPIU_INT, rcol, rn, rnd, MPIU_INT, bcd->comm));
    PetscCall(PetscFree3(cnt, rn, rnd));
  }
  PetscCall(PetscMalloc3(nown + 1, &bcd->acp, ntot + 1, &bcd->ari, ntot + 1, &bcd->acv));
  bcd->acp[0] = 0;
  for (PetscInt j = 0; j < nown; j++) {
    bcd->acp[j + 1] = bcd->acp[j];
    for (PetscMPIInt r = 0; r < P; r++) bcd->acp[j + 1] += rcol[r * nown + j];
  }
  /* source blocks come in rank order (ascending rows); within a source, column after column */
  {
    PetscInt *fill, q = 0;
    PetscCall(PetscMalloc1(nown + 1, &fill));
    for (PetscInt j = 0; j < nown; j++) fill[j] = bcd->acp[j];
    for (PetscMPIInt r = 0; r < P; r++)
      for (PetscInt j = 0; j < nown; j++)
        for (PetscInt k = 0; k < rcol[r * nown + j]; k++, q++) {
          bcd->ari[fill[j]]   = rr[q];
          bcd->acv[fill[j]++] = rv[q];
        }
    PetscCall(PetscFree(fill));
  }
  PetscCall(PetscFree3(rr, rv, rcol));
  PetscCall(PetscFree(gr));
  PetscCall(PetscFree(cstart));
  PetscCall(PetscFree4(scnt, sdsp, rcnt, rdsp));
  PetscCall(PetscFree4(ncnt, ndsp, mcnt, mdsp));
  PetscFunctionReturn(0);
}

/* At np > 1 (-bcd_active_sync) the ranks' inner sweeps run at the same time, each on its own columns. After a
   sweep every rank adds the other ranks' changes of A d (A d - Ad0 on each rank, one reduction of m numbers), so the
   next sweep sees the coupled model: block Jacobi between ranks, Gauss-Seidel within one. */
static PetscErrorCode SyncAd(SkuaBCD bcd, PetscReal Ad[], const PetscReal Ad0[])
{
  PetscFunctionBegin;
  for (PetscInt i = 0; i < bcd->m; i++) Ad[i] -= Ad0[i];
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, Ad, (PetscMPIInt)bcd->m, MPIU_REAL, MPIU_SUM, bcd->comm));
  for (PetscInt i = 0; i < bcd->m; i++) Ad[i] += Ad0[i];
  PetscFunctionReturn(0);
}

/* The model value Q(d) = g^T d + 1/2 d^T (A^T D A + (l2 + rho) I) d + l1 (|x + d|_1 - |x|_1) at
   d = d0 + alpha (d1 - d0), from the synchronised A d0 and A d1 (each rank sums its rows and its columns). */
static PetscErrorCode ModelValue(SkuaBCD bcd, PetscReal alpha, PetscInt nact, const PetscInt act[], const PetscReal g[], const PetscReal x[], const PetscReal d0[], const PetscReal d1[], const PetscReal D[], const PetscReal Ad0[], const PetscReal Ad1[], PetscReal *Q)
{
  PetscReal q = 0;

  PetscFunctionBegin;
  for (PetscInt i = bcd->rstart; i < bcd->rstart + bcd->mloc; i++) {
    PetscReal a = Ad0[i] + alpha * (Ad1[i] - Ad0[i]);
    q += 0.5 * D[i] * a * a;
  }
  for (PetscInt c = 0; c < nact; c++) {
    PetscInt  j = act[c];
    PetscReal d = d0[j] + alpha * (d1[j] - d0[j]);
    q += g[j] * d + 0.5 * (bcd->l2 + bcd->rho) * d * d + bcd->l1 * (PetscAbsReal(x[j] + d) - PetscAbsReal(x[j]));
  }
  PetscCallMPI(MPI_Allreduce(&q, Q, 1, MPIU_REAL, MPIU_SUM, bcd->comm));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaBCDSolveActive(SkuaBCD bcd)
{
  const SkuaBCDLossOps *L = bcd->lops;
  const PetscInt        m = bcd->m, i0 = bcd->rstart, i1 = bcd->rstart + bcd->mloc;
  PetscReal            *w, *D, *Ad, *hv, *g, *h, *dx, *x, F = 0, gnorm, *Ad0 = NULL, *dx0 = NULL, Qprev = 0;
  PetscInt             *act, nact, k, n, *pe;
  PetscBool             sync = (PetscBool)(bcd->size > 1 && bcd->active_sync);
  const PetscInt        nch  = sync ? bcd->active_chunks : 1;
  double                t0 = MPI_Wtime();

  PetscFunctionBegin;
  if (!bcd->acp) PetscCall(ColumnLayout(bcd));
  n = bcd->c1 - bcd->c0;
  x = bcd->x + bcd->c0; /* the owned part of the replicated x (kept current, gathered at the end) */
  PetscCall(PetscMalloc4(m, &w, m, &D, m, &Ad, bcd->acp[n] + 1, &hv));
  PetscCall(PetscMalloc4(n + 1, &g, n + 1, &h, n + 1, &dx, n + 1, &act));
  PetscCall(PetscMalloc1(n + 1, &pe));
  if (sync) PetscCall(PetscMalloc2(m, &Ad0, n + 1, &dx0));
  for (PetscInt i = 0; i < m; i++) bcd->au[i] = bcd->ao[i]; /* every solve starts from x = 0 */
  for (PetscInt j = 0; j < bcd->nx; j++) bcd->x[j] = 0;
  for (k = 0;; k++) {
    PetscReal red[3] = {0, 0, 0}, vmax = 0, Delta = 0, t = 1;
    PetscBool ok = PETSC_FALSE, compress;
    PetscInt  nflat = 0;

    /* row weights and curvatures (every rank, all rows: the state is replicated), objective over my row block */
    PetscCall(PetscLogEventBegin(SkuaBCD_Gradient, 0, 0, 0, 0));
    for (PetscInt i = 0; i < m; i++) {
      w[i] = bcd->as[i] * L->dphi(bcd->au[i]);
      D[i] = L->d2phi(bcd->au[i]);
      nflat += (D[i] == 0);
    }
    for (PetscInt i = i0; i < i1; i++) red[0] += L->phi(bcd->au[i]);
    /* Rows with zero curvature (squared hinge: margin >= 1, about half of them near the optimum) do not enter the
       model's Hessian. When there are many, each column's entries are reordered so that the curved rows come
       first (pe[j] ends them) and the inner sweeps touch only those; A d is formed in full once afterwards. D is
       replicated, so every rank takes the same decision. */
    compress = (PetscBool)(10 * nflat > m);
    for (PetscInt j = 0; j < n; j++) {
      PetscReal a = 0, c = 0, v;
      for (PetscInt p = bcd->acp[j]; p < bcd->acp[j + 1]; p++) {
        PetscInt i = bcd->ari[p];
        a += bcd->acv[p] * w[i];
        hv[p] = bcd->acv[p] * D[i]; /* the model Hessian's column, D A e_j */
        c += bcd->acv[p] * hv[p];
      }
      pe[j] = bcd->acp[j + 1];
      if (compress) { /* stable partition is not needed: curved entries to the front, in place */
        PetscInt q = bcd->acp[j];
        for (PetscInt p = bcd->acp[j]; p < bcd->acp[j + 1]; p++) {
          if (hv[p] == 0) continue;
          if (p != q) {
            PetscInt  ti = bcd->ari[q];
            PetscReal tv = bcd->acv[q], th = hv[q];
            bcd->ari[q] = bcd->ari[p];
            bcd->acv[q] = bcd->acv[p];
            hv[q]       = hv[p];
            bcd->ari[p] = ti;
            bcd->acv[p] = tv;
            hv[p]       = th;
          }
          q++;
        }
        pe[j] = q;
      }
      g[j] = a + bcd->l2 * x[j];
      h[j] = c + bcd->l2 + bcd->rho;
      if (!(h[j] > 0)) h[j] = 1e-12; /* a column f does not see: any step is exact */
      v = x[j] - SkuaBCDSoft(x[j] - g[j], bcd->l1);
      red[1] += v * v;
      red[2] += 0.5 * bcd->l2 * x[j] * x[j] + bcd->l1 * PetscAbsReal(x[j]);
    }
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, red, 3, MPIU_REAL, MPIU_SUM, bcd->comm));
    PetscCall(PetscLogEventEnd(SkuaBCD_Gradient, 0, 0, 0, 0));
    F     = red[0] + red[2];
    gnorm = PetscSqrtReal(red[1]);
    PetscCall(SkuaBCDRecordTrace(bcd, k, F, gnorm, MPI_Wtime() - t0));
    if (gnorm <= bcd->tol) {
      bcd->reason = SKUA_BCD_CONVERGED_TOL;
      break;
    }
    if (!(gnorm < PETSC_MAX_REAL)) {
      bcd->reason = SKUA_BCD_DIVERGED_STAGNATION;
      break;
    }
    if (k == bcd->max_it) break;

    /* shrinking: a zero coordinate whose L1 optimality condition holds with a margin stays out of this model */
    PetscCall(PetscLogEventBegin(SkuaBCD_Select, 0, 0, 0, 0));
    nact = 0;
    for (PetscInt j = 0; j < n; j++) {
      if (bcd->l1 > 0 && x[j] == 0 && PetscAbsReal(g[j]) < bcd->l1) continue;
      act[nact++] = j;
      vmax        = PetscMax(vmax, PetscAbsReal(x[j] - SkuaBCDSoft(x[j] - g[j] / h[j], bcd->l1 / h[j])) * h[j]);
    }
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &vmax, 1, MPIU_REAL, MPIU_MAX, bcd->comm));
    PetscCall(PetscLogEventEnd(SkuaBCD_Select, 0, 0, 0, 0));

    /* inner coordinate descent on the model g^T d + 1/2 d^T (A^T D A + (l2 + rho) I) d + l1 |x + d|_1 over my
       active columns, with A d kept current; stop when the sweep's largest scaled step is a tenth of the model's
       initial one (and at most -bcd_newton_inner sweeps) */
    PetscCall(PetscLogEventBegin(SkuaBCD_Update, 0, 0, 0, 0));
    PetscCall(PetscArrayzero(Ad, m));
    if (sync) {
      PetscCall(PetscArrayzero(Ad0, m));
      Qprev = 0;
    }
    for (PetscInt q = 0; q < nact; q++) dx[act[q]] = 0;
    for (PetscInt sweep = 0, stalled = 0; sweep < bcd->newton_inner && !stalled; sweep++) {
      PetscReal vs = 0;
      /* at np > 1 each rank sweeps its active columns in nch chunks with an exchange of A d after each: a rank's
         step sees the others' steps up to the last exchange, so fewer columns are stale (block Jacobi over
         (P - 1) n / (P nch) columns) and the model needs fewer sweeps (-bcd_active_chunks) */
      for (PetscInt ch = 0; ch < nch && !stalled; ch++) {
        PetscInt qa = (nact * ch) / nch, qb = (nact * (ch + 1)) / nch;

        if (sync)
          for (PetscInt q = 0; q < nact; q++) dx0[act[q]] = dx[act[q]];
        for (PetscInt q = qa; q < qb; q++) {
          PetscInt  j = act[q];
          PetscReal G = g[j] + (bcd->l2 + bcd->rho) * dx[j], z = x[j] + dx[j], dz;
          for (PetscInt p = bcd->acp[j]; p < pe[j]; p++) G += hv[p] * Ad[bcd->ari[p]];
          dz = SkuaBCDSoft(z - G / h[j], bcd->l1 / h[j]) - z;
          if (dz == 0) continue;
          dx[j] += dz;
          for (PetscInt p = bcd->acp[j]; p < pe[j]; p++) Ad[bcd->ari[p]] += bcd->acv[p] * dz;
          vs = PetscMax(vs, PetscAbsReal(dz) * h[j]);
        }
        if (sync) {
          /* The ranks' simultaneous steps can overshoot where their columns share rows: take the chunk's combined
             change whole if it lowers the model, else the largest of 1/2, 1/4, ... of it that does (none: stop). */
          PetscReal Q, alpha = 1;
          PetscCall(SyncAd(bcd, Ad, Ad0));
          PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &vs, 1, MPIU_REAL, MPIU_MAX, bcd->comm));
          for (PetscInt ls = 0; ls < 30; ls++, alpha *= 0.5) {
            PetscCall(ModelValue(bcd, alpha, nact, act, g, x, dx0, dx, D, Ad0, Ad, &Q));
            if (Q < Qprev) break;
          }
          if (!(Q < Qprev)) { /* no decrease along this chunk: keep the direction before it */
            for (PetscInt q = 0; q < nact; q++) dx[act[q]] = dx0[act[q]];
            PetscCall(PetscArraycpy(Ad, Ad0, m));
            stalled = 1;
            break;
          }
          if (alpha < 1) {
            for (PetscInt q = 0; q < nact; q++) dx[act[q]] = dx0[act[q]] + alpha * (dx[act[q]] - dx0[act[q]]);
            for (PetscInt i = 0; i < m; i++) Ad[i] = Ad0[i] + alpha * (Ad[i] - Ad0[i]);
          }
          Qprev = Q;
          PetscCall(PetscArraycpy(Ad0, Ad, m));
        }
      }
      if (vs <= 0.1 * vmax) break;
    }
    /* Tseng-Yun decrease measure and the combined direction A d */
    for (PetscInt q = 0; q < nact; q++) {
      PetscInt j = act[q];
      Delta += g[j] * dx[j] + bcd->l1 * (PetscAbsReal(x[j] + dx[j]) - PetscAbsReal(x[j]));
    }
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &Delta, 1, MPIU_REAL, MPIU_SUM, bcd->comm));
    if (compress) { /* the sweeps kept A d on the curved rows only; the line search needs every row */
      PetscCall(PetscArrayzero(Ad, m));
      for (PetscInt q = 0; q < nact; q++) {
        PetscInt j = act[q];
        if (dx[j] == 0) continue;
        for (PetscInt p = bcd->acp[j]; p < bcd->acp[j + 1]; p++) Ad[bcd->ari[p]] += bcd->acv[p] * dx[j];
      }
      if (bcd->size > 1) PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, Ad, (PetscMPIInt)m, MPIU_REAL, MPIU_SUM, bcd->comm));
    } else if (bcd->size > 1 && !sync) PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, Ad, (PetscMPIInt)m, MPIU_REAL, MPIU_SUM, bcd->comm));
    if (!(Delta < 0)) { /* round-off level: no descent direction left */
      PetscCall(PetscLogEventEnd(SkuaBCD_Update, 0, 0, 0, 0));
      bcd->reason = SKUA_BCD_DIVERGED_STAGNATION;
      k++;
      break;
    }
    for (PetscInt it = 0; it < bcd->ls_max; it++, t *= 0.5) {
      PetscReal v[3] = {0, 0, 0}, xd = 0, dd = 0;
      for (PetscInt i = i0; i < i1; i++) {
        PetscReal dv = L->dphi_diff(bcd->au[i], t * bcd->as[i] * Ad[i]);
        v[0] += dv;
        v[1] += PetscAbsReal(dv);
      }
      for (PetscInt q = 0; q < nact; q++) {
        PetscInt j = act[q];
        xd += x[j] * dx[j];
        dd += dx[j] * dx[j];
        v[2] += bcd->l1 * (PetscAbsReal(x[j] + t * dx[j]) - PetscAbsReal(x[j]));
      }
      v[2] += bcd->l2 * (t * xd + 0.5 * t * t * dd) + 0.5 * bcd->rho * t * t * dd;
      PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, v, 3, MPIU_REAL, MPIU_SUM, bcd->comm));
      if (v[0] + v[2] <= 0.01 * t * Delta + 64 * PETSC_MACHINE_EPSILON * v[1]) {
        ok = PETSC_TRUE;
        break;
      }
    }
    PetscCall(PetscLogEventEnd(SkuaBCD_Update, 0, 0, 0, 0));
    if (!ok) { /* no acceptable step (round-off level): stop with x as it is */
      bcd->reason = SKUA_BCD_DIVERGED_STAGNATION;
      k++;
      break;
    }
    for (PetscInt q = 0; q < nact; q++) x[act[q]] += t * dx[act[q]];
    for (PetscInt i = 0; i < m; i++) bcd->au[i] += t * bcd->as[i] * Ad[i];
  }
  bcd->its = k;
  if (!bcd->reason) bcd->reason = SKUA_BCD_DIVERGED_MAX_IT;
  /* gather x on every rank */
  {
    PetscMPIInt *cnt, *dsp, nm, P = bcd->size;
    PetscCall(PetscMalloc2(P, &cnt, P, &dsp));
    PetscCall(PetscMPIIntCast(n, &nm));
    PetscCallMPI(MPI_Allgather(&nm, 1, MPI_INT, cnt, 1, MPI_INT, bcd->comm));
    dsp[0] = 0;
    for (PetscMPIInt r = 1; r < P; r++) dsp[r] = dsp[r - 1] + cnt[r - 1];
    PetscCallMPI(MPI_Allgatherv(MPI_IN_PLACE, nm, MPIU_REAL, bcd->x, cnt, dsp, MPIU_REAL, bcd->comm));
    PetscCall(PetscFree2(cnt, dsp));
  }
  PetscCall(PetscFree4(w, D, Ad, hv));
  PetscCall(PetscFree4(g, h, dx, act));
  PetscCall(PetscFree(pe));
  PetscCall(PetscFree2(Ad0, dx0));
  PetscFunctionReturn(0);
}
