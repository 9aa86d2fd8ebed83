/* KSPGCRODR: GCRO-DR(m, k) Krylov subspace recycling with right preconditioning (Parks, de Sturler, Mackey, Johnson, Maiti, SISC 28(5), 2006). */
#include "gcrodr_impl.h"
#include <petscblaslapack.h>

PetscLogEvent SKUA_GCRODR_Arnoldi, SKUA_GCRODR_Recycle, SKUA_GCRODR_Eig;

/* relative size below which a new Arnoldi direction is rounding noise (happy breakdown) */
#define GCRODR_HAPTOL 1.0e-13
/* a cycle whose true residual exceeds this multiple of the previous one is undone */
#define GCRODR_REVERT 1.5
/* a true residual this many times the cycle's estimate triggers a rebuild of C = A U */
#define GCRODR_GAP 2.0
/* default of -ksp_gcrodr_reorth_tol: a second Gram-Schmidt pass runs when the first one left less than this
   fraction of ||w||. Kahan-Parlett's 1/sqrt(2) repeats nearly every step (a new Krylov direction typically keeps
   30-70% of its norm) and costs ~25% of the solve time with no effect on the iteration counts measured on the
   PDE families; 0.1 still repeats the steps that cancel severely (w nearly in range(C) or the Krylov space). */
#define GCRODR_REORTH 0.1

/* n vectors of tmpl's layout in one contiguous column-major array. */
static PetscErrorCode GCRODRBlockCreate(Vec tmpl, PetscInt n, PetscScalar **array, Vec **v)
{
  PetscInt  nloc, N;
  VecType   type;
  MPI_Comm  comm;
  PetscBool seq, mpi;

  PetscFunctionBegin;
  PetscCall(PetscObjectGetComm((PetscObject)tmpl, &comm));
  PetscCall(VecGetLocalSize(tmpl, &nloc));
  PetscCall(VecGetSize(tmpl, &N));
  PetscCall(VecGetType(tmpl, &type));
  PetscCall(PetscStrcmp(type, VECSEQ, &seq));
  PetscCall(PetscStrcmp(type, VECMPI, &mpi));
  PetscCheck(seq || mpi, comm, PETSC_ERR_SUP, "KSPGCRODR works on standard (seq or mpi) vectors, not type %s", type);
  PetscCall(PetscCalloc1((size_t)nloc * n + 1, array));
  PetscCall(PetscMalloc1(n, v));
  for (PetscInt i = 0; i < n; i++) {
    if (seq) PetscCall(VecCreateSeqWithArray(comm, 1, nloc, *array + (size_t)i * nloc, &(*v)[i]));
    else PetscCall(VecCreateMPIWithArray(comm, 1, nloc, N, *array + (size_t)i * nloc, &(*v)[i]));
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode GCRODRBlockDestroy(PetscInt n, PetscScalar **array, Vec **v)
{
  PetscFunctionBegin;
  if (!*v) PetscFunctionReturn(0);
  for (PetscInt i = 0; i < n; i++) PetscCall(VecDestroy(&(*v)[i]));
  PetscCall(PetscFree(*v));
  PetscCall(PetscFree(*array));
  PetscFunctionReturn(0);
}

static PetscErrorCode GCRODRFreeStorage(KSP ksp)
{
  KSP_GCRODR *gc = (KSP_GCRODR *)ksp->data;

  PetscFunctionBegin;
  if (!gc->allocated) PetscFunctionReturn(0);
  PetscCall(GCRODRBlockDestroy(gc->kmax, &gc->Ua, &gc->U));
  PetscCall(GCRODRBlockDestroy(gc->kmax, &gc->Uha, &gc->Uh));
  PetscCall(GCRODRBlockDestroy(gc->kmax, &gc->Ca, &gc->C));
  PetscCall(GCRODRBlockDestroy(gc->kmax, &gc->Unewa, &gc->Unew));
  PetscCall(GCRODRBlockDestroy(gc->kmax, &gc->Uhnewa, &gc->Uhnew));
  PetscCall(GCRODRBlockDestroy(gc->kmax, &gc->Cnewa, &gc->Cnew));
  PetscCall(GCRODRBlockDestroy(gc->m + 1, &gc->Va, &gc->V));
  PetscCall(GCRODRBlockDestroy(gc->m, &gc->Za, &gc->Z));
  PetscCall(VecDestroy(&gc->r));
  PetscCall(VecDestroy(&gc->t));
  PetscCall(VecDestroy(&gc->xold));
  PetscCall(PetscFree2(gc->unorm, gc->T));
  PetscCall(PetscFree5(gc->H, gc->B, gc->HR, gc->cs, gc->sn));
  PetscCall(PetscFree5(gc->g, gc->y, gc->coef, gc->ncoef, gc->G));
  PetscCall(PetscFree3(gc->WtV, gc->Q, gc->Yc));
  gc->allocated = PETSC_FALSE;
  gc->kcur      = 0;
  gc->c_pending = PETSC_FALSE;
  gc->tpend     = PETSC_FALSE;
  PetscFunctionReturn(0);
}

static PetscErrorCode GCRODRAllocate(KSP ksp, Vec tmpl)
{
  KSP_GCRODR *gc = (KSP_GCRODR *)ksp->data;
  PetscInt    m = gc->m, kx, m1 = gc->m + 1;

  PetscFunctionBegin;
  if (gc->allocated) PetscFunctionReturn(0);
  PetscCheck(m >= 1, PetscObjectComm((PetscObject)ksp), PETSC_ERR_ARG_OUTOFRANGE, "KSPGCRODR restart m = %" PetscInt_FMT " must be at least 1; set -ksp_gcrodr_restart", m);
  PetscCheck(gc->k >= 0 && gc->k < m, PetscObjectComm((PetscObject)ksp), PETSC_ERR_ARG_OUTOFRANGE, "KSPGCRODR recycle dimension k = %" PetscInt_FMT " must satisfy 0 <= k < m = %" PetscInt_FMT " (restart); lower -ksp_gcrodr_recycle or raise -ksp_gcrodr_restart", gc->k, m);
  gc->kmax = gc->k ? gc->k + 1 : 0;
  kx       = PetscMax(gc->kmax, 1);
  if (gc->kmax) {
    PetscCall(GCRODRBlockCreate(tmpl, gc->kmax, &gc->Ua, &gc->U));
    PetscCall(GCRODRBlockCreate(tmpl, gc->kmax, &gc->Uha, &gc->Uh));
    PetscCall(GCRODRBlockCreate(tmpl, gc->kmax, &gc->Ca, &gc->C));
    PetscCall(GCRODRBlockCreate(tmpl, gc->kmax, &gc->Unewa, &gc->Unew));
    PetscCall(GCRODRBlockCreate(tmpl, gc->kmax, &gc->Uhnewa, &gc->Uhnew));
    PetscCall(GCRODRBlockCreate(tmpl, gc->kmax, &gc->Cnewa, &gc->Cnew));
  }
  PetscCall(GCRODRBlockCreate(tmpl, m + 1, &gc->Va, &gc->V));
  PetscCall(GCRODRBlockCreate(tmpl, m, &gc->Za, &gc->Z));
  PetscCall(VecGetLocalSize(tmpl, &gc->nloc));
  PetscCall(VecDuplicate(tmpl, &gc->r));
  PetscCall(VecDuplicate(tmpl, &gc->t));
  PetscCall(VecDuplicate(tmpl, &gc->xold));
  PetscCall(PetscCalloc2(kx, &gc->unorm, kx * kx, &gc->T));
  PetscCall(PetscCalloc5(m1 * m, &gc->H, kx * m, &gc->B, m1 * m, &gc->HR, m, &gc->cs, m, &gc->sn));
  PetscCall(PetscCalloc5(m1, &gc->g, m1 + kx, &gc->y, kx + m1, &gc->coef, kx + m1, &gc->ncoef, m1 * m, &gc->G));
  PetscCall(PetscCalloc3(m1 * m, &gc->WtV, m1 * kx, &gc->Q, m1 * kx, &gc->Yc));
  gc->kcur      = 0;
  gc->tpend     = PETSC_FALSE;
  gc->allocated = PETSC_TRUE;
  PetscFunctionReturn(0);
}

/* One cycle: up to m - kcur Arnoldi steps of (I - C C^T) A M from r (r _|_ C, ||r|| = beta), then the
   minimal-residual update. With y = [y1; y2], the top block of [0; beta e1] - Ghat y vanishes for
   y1 = -D^{-1} B y2, so y2 is the ordinary GMRES solution for Hbar and the Givens estimate is the true residual. */
static PetscErrorCode GCRODRCycle(KSP ksp, Mat A, Vec x, PetscReal beta, PetscReal *rest, PetscBool *singular)
{
  KSP_GCRODR  *gc = (KSP_GCRODR *)ksp->data;
  PetscInt     kc = gc->kcur, jmax = gc->m - kc, ld = gc->m + 1, j = 0, i, l, nb, pass;
  PetscScalar *H = gc->H, *HR = gc->HR, *g = gc->g, *y = gc->y;
  PetscReal    hnew = 0.0, wnorm0, ssq, rnorm;
  PetscBool    breakdown = PETSC_FALSE;

  PetscFunctionBegin;
  *singular = PETSC_FALSE;
  *rest     = beta;
  PetscCall(PetscLogEventBegin(SKUA_GCRODR_Arnoldi, ksp, 0, 0, 0));
  PetscCall(VecAXPBY(gc->V[0], 1.0 / beta, 0.0, gc->r));
  PetscCall(PetscArrayzero(g, ld));
  g[0] = beta;
  while (j < jmax && ksp->its < ksp->max_it) {
    Vec w = gc->V[j + 1];

    PetscCall(KSP_PCApply(ksp, gc->V[j], gc->Z[j]));
    PetscCall(KSP_MatMult(ksp, A, gc->Z[j], w));
    /* classical Gram-Schmidt against [C, V_1..V_j], repeated only when the first pass cancelled most of w
       (||w'|| < reorth_tol ||w||, cf. Kahan-Parlett "twice is enough"); that is the case in which one pass loses
       orthogonality, e.g. when w lies nearly in range(C). C and V are contiguous blocks, so each pass is two
       GEMVs for the inner products (||w||^2 rides in the same reduction) and two for the update. */
    nb            = kc + j + 1;
    PetscCall(PetscArrayzero(gc->coef, nb));
    {
      PetscScalar *wa = gc->Va + (size_t)(j + 1) * gc->nloc;
      MPI_Comm     comm = PetscObjectComm((PetscObject)ksp);

      for (pass = 0; pass < 2; pass++) {
        if (pass == 1 && hnew >= gc->reorth_tol * wnorm0) break;
        PetscCall(GCRODRGemvT(gc->nloc, kc, gc->Ca, wa, y));
        PetscCall(GCRODRGemvT(gc->nloc, j + 1, gc->Va, wa, y + kc));
        y[nb] = 0.0;
        if (pass == 0 && gc->nloc) { /* ||w||^2 locally, vectorised by BLAS (a scalar loop is latency-bound) */
          PetscBLASInt bn, one = 1;

          PetscCall(PetscBLASIntCast(gc->nloc, &bn));
          y[nb] = BLASdot_(&bn, wa, &one, wa, &one);
        }
        PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, y, (PetscMPIInt)(nb + 1), MPIU_SCALAR, MPIU_SUM, comm));
        if (pass == 0) wnorm0 = PetscSqrtReal(PetscRealPart(y[nb]));
        if (gc->tpend) GCRODRTSolve(gc, PETSC_TRUE, y); /* C^T w = T^{-T} C~^T w */
        for (l = 0; l < nb; l++) gc->coef[l] += y[l];
        if (gc->tpend) GCRODRTSolve(gc, PETSC_FALSE, y); /* C (C^T w) = C~ T^{-1} (C^T w) */
        PetscCall(GCRODRGemvN(gc->nloc, kc, -1.0, gc->Ca, y, wa));
        PetscCall(GCRODRGemvN(gc->nloc, j + 1, -1.0, gc->Va, y + kc, wa));
        PetscCall(PetscObjectStateIncrease((PetscObject)w)); /* written through the block's array */
        PetscCall(VecNorm(w, NORM_2, &hnew));
      }
    }
    if (PetscIsInfOrNanReal(hnew)) {
      PetscCall(PetscLogEventEnd(SKUA_GCRODR_Arnoldi, ksp, 0, 0, 0));
      KSPCheckNorm(ksp, hnew);
    }
    for (l = 0; l < kc; l++) gc->B[l + j * gc->kmax] = gc->coef[l];
    ssq = hnew * hnew;
    for (l = 0; l <= j; l++) {
      H[l + j * ld] = gc->coef[kc + l];
      ssq += PetscRealPart(gc->coef[kc + l] * gc->coef[kc + l]);
    }
    for (l = 0; l < kc; l++) ssq += PetscRealPart(gc->coef[l] * gc->coef[l]);
    if (hnew <= GCRODR_HAPTOL * PetscSqrtReal(ssq)) {
      /* A M Z_j lies in the current space: the least-squares solution is exact there */
      breakdown         = PETSC_TRUE;
      H[j + 1 + j * ld] = 0.0;
      PetscCall(VecSet(w, 0.0));
      PetscCall(PetscInfo(ksp, "GCRODR: happy breakdown at step %" PetscInt_FMT " of the cycle, h = %g\n", j + 1, (double)hnew));
    } else {
      H[j + 1 + j * ld] = hnew;
      PetscCall(VecScale(w, 1.0 / hnew));
    }

    /* Givens rotations reduce the new Hessenberg column; |g_{j+1}| is the residual norm */
    for (l = 0; l <= j + 1; l++) HR[l + j * ld] = H[l + j * ld];
    for (l = 0; l < j; l++) {
      PetscScalar a = HR[l + j * ld], b = HR[l + 1 + j * ld];

      HR[l + j * ld]     = gc->cs[l] * a + gc->sn[l] * b;
      HR[l + 1 + j * ld] = -gc->sn[l] * a + gc->cs[l] * b;
    }
    {
      PetscScalar a = HR[j + j * ld], b = HR[j + 1 + j * ld];
      PetscReal   d = PetscSqrtReal(PetscRealPart(a * a + b * b));

      if (d == 0.0) {
        gc->cs[j] = 1.0;
        gc->sn[j] = 0.0;
      } else {
        gc->cs[j] = a / d;
        gc->sn[j] = b / d;
      }
      HR[j + j * ld]     = d;
      HR[j + 1 + j * ld] = 0.0;
      g[j + 1]           = -gc->sn[j] * g[j];
      g[j]               = gc->cs[j] * g[j];
    }
    j++;
    ksp->its++;
    rnorm = PetscAbsScalar(g[j]);
    *rest = rnorm;
    PetscCall(PetscObjectSAWsTakeAccess((PetscObject)ksp));
    ksp->rnorm = rnorm;
    PetscCall(PetscObjectSAWsGrantAccess((PetscObject)ksp));
    PetscCall(KSPLogResidualHistory(ksp, rnorm));
    PetscCall(KSPMonitor(ksp, ksp->its, rnorm));
    PetscCall((*ksp->converged)(ksp, ksp->its, rnorm, &ksp->reason, ksp->cnvP));
    if (ksp->reason || breakdown) break;
  }

  /* back substitution; a zero pivot (singular Hbar after breakdown) shortens the basis instead */
  while (j > 0 && PetscAbsScalar(HR[j - 1 + (j - 1) * ld]) == 0.0) {
    j--;
    *singular = PETSC_TRUE;
  }
  for (i = j - 1; i >= 0; i--) {
    PetscScalar s = g[i];

    for (l = i + 1; l < j; l++) s -= HR[i + l * ld] * y[l];
    y[i] = s / HR[i + i * ld];
  }
  if (j > 0) {
    /* x += Z y2 + Utilde y1 with Utilde y1 = U D (-D^{-1} B y2) = -U B y2, as GEMVs on the contiguous blocks */
    PetscScalar *xa, *by = gc->coef;

    for (l = 0; l < kc; l++) {
      by[l] = 0.0;
      for (i = 0; i < j; i++) by[l] += gc->B[l + i * gc->kmax] * y[i];
    }
    if (gc->tpend) GCRODRTSolve(gc, PETSC_FALSE, by); /* U = U~ T^{-1} */
    PetscCall(VecGetArray(x, &xa));
    PetscCall(GCRODRGemvN(gc->nloc, j, 1.0, gc->Za, y, xa));   /* x += Z y2 */
    PetscCall(GCRODRGemvN(gc->nloc, kc, -1.0, gc->Ua, by, xa)); /* x -= U (B y2) */
    PetscCall(VecRestoreArray(x, &xa));
  }
  PetscCall(PetscLogEventEnd(SKUA_GCRODR_Arnoldi, ksp, 0, 0, 0));
  /* after the converging cycle C = What Q is deferred (GCRODRFlushC): the next operator usually rebuilds it */
  /* Step 4 (harmonic Ritz update) costs about as much as the cycle's Arnoldi steps. It always follows a cycle
     that reduced the residual by less than skip_tol in the first update_early cycles of a solve, when the space
     has to catch up with a new operator or right-hand side; otherwise it happens once update_interval full
     cycles' worth of Arnoldi steps (update_interval (m - k)) have run since the last one (always while the space
     is not full). In a long solve the space stops improving after a few updates, and
     updating after each of its many slow cycles doubled the cost of heat and Helmholtz without a preconditioner
     for no fewer iterations. update_interval = 1 is the paper's schedule (an update after every cycle). */
  if (gc->k > 0 && j > 0) {
    /* A converged cycle of fewer than half a full cycle's steps is the tail of the solve: it says that the space
       served, not that it has to catch up, and its few new vectors barely move the harmonic Ritz vectors, so it
       is not a slow cycle (on Darcy with ILU at rtol 1e-5, one full cycle and a tail of ~3 steps per solve, the
       tail's update was a fifth of KSPSolve). The interval counts Arnoldi steps, so a tail adds only its own. */
    const PetscInt full = gc->m - gc->k;
    PetscBool      tail = (PetscBool)(ksp->reason > 0 && 2 * j < full);
    PetscBool      slow = (PetscBool)(!tail && *rest > gc->skip_tol * beta && (gc->update_early < 0 || gc->ncycle < gc->update_early));
    PetscBool      due, upd;

    gc->nsteps += j;
    due = (PetscBool)(gc->update_interval == 1 || (PetscInt64)gc->nsteps >= (PetscInt64)gc->update_interval * full);
    upd = (PetscBool)(kc < gc->k || due || slow);
    if (upd) {
      PetscCall(GCRODRUpdateRecycle(ksp, j, ksp->reason > 0 ? PETSC_TRUE : PETSC_FALSE));
      gc->nsteps = 0;
    }
  }
  gc->ncycle++;
  PetscFunctionReturn(0);
}

static PetscErrorCode KSPSolve_GCRODR(KSP ksp)
{
  KSP_GCRODR        *gc = (KSP_GCRODR *)ksp->data;
  Mat                A;
  Vec                x = ksp->vec_sol, b = ksp->vec_rhs;
  PetscReal          rnorm, rprev, rest;
  PetscBool          singular = PETSC_FALSE, repair, reverted = PETSC_FALSE;
  PetscInt           nloc, nloc2, kstart;
  KSPConvergedReason estimate;

  PetscFunctionBegin;
  PetscCheck(!ksp->transpose_solve, PetscObjectComm((PetscObject)ksp), PETSC_ERR_SUP, "KSPGCRODR does not support KSPSolveTranspose(); use -ksp_type gmres for transposed solves");
  PetscCheck(ksp->pc_side == PC_RIGHT, PetscObjectComm((PetscObject)ksp), PETSC_ERR_SUP, "KSPGCRODR supports only right preconditioning (-ksp_pc_side right)");
  PetscCall(GCRODRAllocate(ksp, b));
  PetscCall(VecGetLocalSize(b, &nloc));
  PetscCall(VecGetLocalSize(gc->r, &nloc2));
  PetscCheck(nloc == nloc2, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "KSPGCRODR: local size of the system (%" PetscInt_FMT ") differs from its stored vectors (%" PetscInt_FMT "); call KSPReset() after changing the operator size", nloc, nloc2);
  PetscCall(PCGetOperators(ksp->pc, &A, NULL));
  if (!gc->reuse) {
    gc->kcur  = 0;
    gc->tpend = PETSC_FALSE;
  }
  gc->ncycle = 0;

  PetscCall(PetscObjectSAWsTakeAccess((PetscObject)ksp));
  ksp->its    = 0;
  ksp->reason = KSP_CONVERGED_ITERATING;
  PetscCall(PetscObjectSAWsGrantAccess((PetscObject)ksp));
  if (ksp->guess_zero) {
    PetscCall(VecSet(x, 0.0));
    PetscCall(VecCopy(b, gc->r));
  } else {
    PetscCall(KSP_MatMult(ksp, A, x, gc->r));
    PetscCall(VecAYPX(gc->r, -1.0, b));
  }
  PetscCall(VecNorm(gc->r, NORM_2, &rnorm));
  KSPCheckNorm(ksp, rnorm);
  ksp->rnorm = rnorm;
  PetscCall(KSPLogResidualHistory(ksp, rnorm));
  PetscCall(KSPMonitor(ksp, 0, rnorm));
  /* tested before the recycle projection so that the relative tolerance refers to ||r0|| (or ||b||) */
  PetscCall((*ksp->converged)(ksp, 0, rnorm, &ksp->reason, ksp->cnvP));
  if (ksp->reason) PetscFunctionReturn(0);

  /* C = A U must hold for this operator: rebuild (k products and a QR) only if A is another matrix or has
     changed since C was built */
  {
    PetscObjectId    id;
    PetscObjectState state;

    PetscCall(PetscObjectGetId((PetscObject)A, &id));
    PetscCall(PetscObjectStateGet((PetscObject)A, &state));
    repair = (id != gc->A_id || state != gc->A_state) ? PETSC_TRUE : PETSC_FALSE;
    gc->A_id    = id;
    gc->A_state = state;
  }
  while (!ksp->reason) {
    /* x_old and its true residual norm: the state to fall back to if drift in A U = C spoils the next cycle */
    PetscCall(VecCopy(x, gc->xold));
    rprev = rnorm;
    if (repair) PetscCall(GCRODRRecycleForOperator(ksp, A));
    else PetscCall(GCRODRFlushC(ksp));
    PetscCall(GCRODRProjectResidual(ksp, x, &rnorm));
    if (ksp->its >= ksp->max_it) {
      ksp->reason = KSP_DIVERGED_ITS;
      break;
    }
    if (rnorm == 0.0) {
      ksp->reason = KSP_CONVERGED_ATOL;
      break;
    }
    kstart = gc->kcur;
    PetscCall(GCRODRCycle(ksp, A, x, rnorm, &rest, &singular));
    if (ksp->reason < 0) break; /* NaN/Inf or PC failure inside the cycle */
    estimate = ksp->reason;

    /* true residual at every restart, as GMRES does; convergence is decided on it, not on the estimate */
    PetscCall(KSP_MatMult(ksp, A, x, gc->t));
    PetscCall(VecWAXPY(gc->r, -1.0, gc->t, b));
    PetscCall(VecNorm(gc->r, NORM_2, &rnorm));
    KSPCheckNorm(ksp, rnorm);

    /* In exact arithmetic the true residual equals the estimate. Rounding errors in A U = C are amplified
       by ||U|| ~ 1/sigma_min and accumulate over the cycles of a long solve; a gap shows the drift. A cycle
       that increased the residual is undone, and either case rebuilds C = A U (k products) before going on. */
    repair = PETSC_FALSE;
    if (kstart > 0 && rnorm > GCRODR_REVERT * rprev) {
      PetscCall(PetscInfo(ksp, "GCRODR: cycle ending at iteration %" PetscInt_FMT " raised the true residual from %g to %g (estimate %g); undone, recycle space rebuilt\n", ksp->its, (double)rprev, (double)rnorm, (double)rest));
      if (reverted) {
        ksp->reason = KSP_DIVERGED_BREAKDOWN;
        break;
      }
      PetscCall(VecCopy(gc->xold, x));
      PetscCall(KSP_MatMult(ksp, A, x, gc->t));
      PetscCall(VecWAXPY(gc->r, -1.0, gc->t, b));
      PetscCall(VecNorm(gc->r, NORM_2, &rnorm));
      reverted = PETSC_TRUE;
      repair   = PETSC_TRUE;
    } else {
      reverted = PETSC_FALSE;
      if (kstart > 0 && rnorm > GCRODR_GAP * rest) {
        PetscCall(PetscInfo(ksp, "GCRODR: true residual %g vs estimate %g at iteration %" PetscInt_FMT "; recycle space rebuilt\n", (double)rnorm, (double)rest, ksp->its));
        repair = PETSC_TRUE;
      }
    }
    ksp->rnorm = rnorm;
    PetscCall(KSPLogResidualHistory(ksp, rnorm));
    PetscCall(KSPMonitor(ksp, ksp->its, rnorm));
    ksp->reason = KSP_CONVERGED_ITERATING;
    PetscCall((*ksp->converged)(ksp, ksp->its, rnorm, &ksp->reason, ksp->cnvP));
    if (ksp->reason) break;
    if (estimate > 0) PetscCall(PetscInfo(ksp, "GCRODR: residual estimate converged but true residual %g did not; continuing\n", (double)rnorm));
    if (singular) {
      ksp->reason = KSP_DIVERGED_BREAKDOWN;
      break;
    }
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode KSPSetUp_GCRODR(KSP ksp)
{
  KSP_GCRODR *gc = (KSP_GCRODR *)ksp->data;
  Vec        *vecs;

  PetscFunctionBegin;
  PetscCheck(ksp->pc_side == PC_RIGHT, PetscObjectComm((PetscObject)ksp), PETSC_ERR_SUP, "KSPGCRODR supports only right preconditioning (-ksp_pc_side right)");
  PetscCheck(gc->k < gc->m, PetscObjectComm((PetscObject)ksp), PETSC_ERR_ARG_OUTOFRANGE, "KSPGCRODR recycle dimension k = %" PetscInt_FMT " must be smaller than the restart m = %" PetscInt_FMT "; lower -ksp_gcrodr_recycle or raise -ksp_gcrodr_restart", gc->k, gc->m);
  PetscCheck(gc->update_interval >= 1, PetscObjectComm((PetscObject)ksp), PETSC_ERR_ARG_OUTOFRANGE, "KSPGCRODR: -ksp_gcrodr_update_interval %" PetscInt_FMT " must be at least 1", gc->update_interval);
  if (gc->allocated) PetscFunctionReturn(0);
  PetscCall(KSPCreateVecs(ksp, 1, &vecs, 0, NULL));
  PetscCall(GCRODRAllocate(ksp, vecs[0]));
  PetscCall(VecDestroyVecs(1, &vecs));
  PetscFunctionReturn(0);
}

static PetscErrorCode KSPReset_GCRODR(KSP ksp)
{
  PetscFunctionBegin;
  PetscCall(GCRODRFreeStorage(ksp));
  PetscFunctionReturn(0);
}

static PetscErrorCode KSPDestroy_GCRODR(KSP ksp)
{
  PetscFunctionBegin;
  PetscCall(GCRODRFreeStorage(ksp));
  PetscCall(PetscObjectComposeFunction((PetscObject)ksp, "KSPGCRODRSetRestart_C", NULL));
  PetscCall(PetscObjectComposeFunction((PetscObject)ksp, "KSPGCRODRSetRecycle_C", NULL));
  PetscCall(PetscObjectComposeFunction((PetscObject)ksp, "KSPGCRODRSetReuse_C", NULL));
  PetscCall(PetscObjectComposeFunction((PetscObject)ksp, "KSPGCRODRGetRecycleSpace_C", NULL));
  PetscCall(PetscObjectComposeFunction((PetscObject)ksp, "KSPGCRODRSetRecycleSpace_C", NULL));
  PetscCall(PetscObjectComposeFunction((PetscObject)ksp, "KSPGCRODRGetPreconditionedRecycleSpace_C", NULL));
  PetscCall(PetscObjectComposeFunction((PetscObject)ksp, "KSPGCRODRSetPreconditionedRecycleSpace_C", NULL));
  PetscCall(KSPDestroyDefault(ksp));
  PetscFunctionReturn(0);
}

static PetscErrorCode KSPView_GCRODR(KSP ksp, PetscViewer viewer)
{
  KSP_GCRODR *gc = (KSP_GCRODR *)ksp->data;
  PetscBool   isascii;

  PetscFunctionBegin;
  PetscCall(PetscObjectTypeCompare((PetscObject)viewer, PETSCVIEWERASCII, &isascii));
  if (isascii) {
    PetscCall(PetscViewerASCIIPrintf(viewer, "  restart m=%" PetscInt_FMT ", recycle k=%" PetscInt_FMT ", reuse across solves %s\n", gc->m, gc->k, gc->reuse ? "true" : "false"));
    PetscCall(PetscViewerASCIIPrintf(viewer, "  current recycle space dimension %" PetscInt_FMT "\n", gc->kcur));
    PetscCall(PetscViewerASCIIPrintf(viewer, "  recycle space updated every %" PetscInt_FMT " full cycle(s) of Arnoldi steps, and after cycles that reduce the residual by less than %g among the first %" PetscInt_FMT " of a solve%s\n", gc->update_interval, (double)gc->skip_tol, gc->update_early, gc->update_early < 0 ? " (all)" : ""));
    PetscCall(PetscViewerASCIIPrintf(viewer, "  Gram-Schmidt pass repeated when it leaves less than %g of ||w||\n", (double)gc->reorth_tol));
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode KSPSetFromOptions_GCRODR(KSP ksp, PetscOptionItems *PetscOptionsObject)
{
  KSP_GCRODR *gc = (KSP_GCRODR *)ksp->data;
  PetscInt    m = gc->m, k = gc->k;
  PetscBool   reuse = gc->reuse, flg;

  PetscFunctionBegin;
  PetscOptionsHeadBegin(PetscOptionsObject, "KSP GCRO-DR options");
  PetscCall(PetscOptionsInt("-ksp_gcrodr_restart", "Search-space dimension per cycle (recycled + Arnoldi)", "KSPGCRODRSetRestart", m, &m, &flg));
  if (flg) PetscCall(KSPGCRODRSetRestart(ksp, m));
  PetscCall(PetscOptionsInt("-ksp_gcrodr_recycle", "Recycle-space dimension k < m (0 gives GMRES(m))", "KSPGCRODRSetRecycle", k, &k, &flg));
  if (flg) PetscCall(KSPGCRODRSetRecycle(ksp, k));
  PetscCall(PetscOptionsBool("-ksp_gcrodr_reuse", "Keep the recycle space across KSPSolve() calls", "KSPGCRODRSetReuse", reuse, &reuse, &flg));
  if (flg) PetscCall(KSPGCRODRSetReuse(ksp, reuse));
  PetscCall(PetscOptionsReal("-ksp_gcrodr_reorth_tol", "Repeat the Gram-Schmidt pass when it left less than this fraction of ||w|| (0.7071: Kahan-Parlett; 0: never)", NULL, gc->reorth_tol, &gc->reorth_tol, NULL));
  PetscCall(PetscOptionsInt("-ksp_gcrodr_update_interval", "Update the recycle space at least once every s full cycles' worth of Arnoldi steps, s (m - k) (1: after every cycle, as in the paper)", NULL, gc->update_interval, &gc->update_interval, NULL));
  PetscCall(PetscOptionsInt("-ksp_gcrodr_update_early", "In the first this many cycles of a solve, update after every cycle that reduced the residual by less than -ksp_gcrodr_skip_tol (-1: in every cycle)", NULL, gc->update_early, &gc->update_early, NULL));
  PetscCall(PetscOptionsReal("-ksp_gcrodr_skip_tol", "Skip the update after a cycle that reduced the residual below this fraction (0: never skip, as in the paper)", NULL, gc->skip_tol, &gc->skip_tol, NULL));
  PetscOptionsHeadEnd();
  /* k < m and the interval are checked in KSPSetUp_GCRODR(): an error inside the options loop would leak its strings */
  PetscFunctionReturn(0);
}

static PetscErrorCode KSPGCRODRSetRestart_GCRODR(KSP ksp, PetscInt m)
{
  KSP_GCRODR *gc = (KSP_GCRODR *)ksp->data;

  PetscFunctionBegin;
  PetscCheck(m >= 1, PetscObjectComm((PetscObject)ksp), PETSC_ERR_ARG_OUTOFRANGE, "KSPGCRODR restart m = %" PetscInt_FMT " must be at least 1", m);
  if (m != gc->m) PetscCall(GCRODRFreeStorage(ksp));
  gc->m = m;
  PetscFunctionReturn(0);
}

static PetscErrorCode KSPGCRODRSetRecycle_GCRODR(KSP ksp, PetscInt k)
{
  KSP_GCRODR *gc = (KSP_GCRODR *)ksp->data;

  PetscFunctionBegin;
  /* k < m is checked at set-up, so that restart and recycle can be set in either order */
  PetscCheck(k >= 0, PetscObjectComm((PetscObject)ksp), PETSC_ERR_ARG_OUTOFRANGE, "KSPGCRODR recycle dimension k = %" PetscInt_FMT " must be non-negative", k);
  if (k != gc->k) PetscCall(GCRODRFreeStorage(ksp));
  gc->k = k;
  PetscFunctionReturn(0);
}

static PetscErrorCode KSPGCRODRSetReuse_GCRODR(KSP ksp, PetscBool reuse)
{
  KSP_GCRODR *gc = (KSP_GCRODR *)ksp->data;

  PetscFunctionBegin;
  gc->reuse = reuse;
  PetscFunctionReturn(0);
}

static PetscErrorCode KSPGCRODRGetRecycleSpace_GCRODR(KSP ksp, PetscInt *k, Vec **U)
{
  KSP_GCRODR *gc = (KSP_GCRODR *)ksp->data;

  PetscFunctionBegin;
  if (k) *k = gc->allocated ? gc->kcur : 0;
  if (U) {
    *U = NULL;
    if (gc->allocated && gc->kcur) PetscCall(GCRODRMaterialise(ksp, PETSC_FALSE, U));
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode KSPGCRODRSetRecycleSpace_GCRODR(KSP ksp, PetscInt k, Vec U[])
{
  KSP_GCRODR *gc = (KSP_GCRODR *)ksp->data;
  PetscInt    i;

  PetscFunctionBegin;
  PetscCheck(k >= 0, PetscObjectComm((PetscObject)ksp), PETSC_ERR_ARG_OUTOFRANGE, "KSPGCRODRSetRecycleSpace: k = %" PetscInt_FMT " must be non-negative", k);
  if (k == 0) {
    gc->kcur      = 0;
    gc->c_pending = PETSC_FALSE;
    gc->tpend     = PETSC_FALSE;
    PetscFunctionReturn(0);
  }
  PetscCheck(gc->k > 0, PetscObjectComm((PetscObject)ksp), PETSC_ERR_ARG_WRONGSTATE, "KSPGCRODRSetRecycleSpace: the recycle dimension is 0; call KSPGCRODRSetRecycle() (or -ksp_gcrodr_recycle) first");
  PetscCall(GCRODRAllocate(ksp, U[0]));
  PetscCheck(k <= gc->kmax, PetscObjectComm((PetscObject)ksp), PETSC_ERR_ARG_OUTOFRANGE, "KSPGCRODRSetRecycleSpace: %" PetscInt_FMT " vectors given but the recycle space holds at most %" PetscInt_FMT " (k + 1); raise -ksp_gcrodr_recycle", k, gc->kmax);
  for (i = 0; i < k; i++) PetscCall(VecCopy(U[i], gc->U[i]));
  gc->kcur      = k;
  gc->uh_exact  = PETSC_FALSE;
  gc->A_state   = -1; /* C is unknown for a handed-in space */
  gc->c_pending = PETSC_FALSE;
  gc->tpend     = PETSC_FALSE;
  PetscCall(GCRODRUNorms(ksp));
  PetscFunctionReturn(0);
}

static PetscErrorCode KSPGCRODRGetPreconditionedRecycleSpace_GCRODR(KSP ksp, PetscInt *k, Vec **W)
{
  KSP_GCRODR *gc = (KSP_GCRODR *)ksp->data;

  PetscFunctionBegin;
  if (k) *k = gc->allocated ? gc->kcur : 0;
  if (W) {
    *W = NULL;
    if (gc->allocated && gc->kcur) PetscCall(GCRODRMaterialise(ksp, PETSC_TRUE, W));
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode KSPGCRODRSetPreconditionedRecycleSpace_GCRODR(KSP ksp, PetscInt k, Vec W[])
{
  KSP_GCRODR *gc = (KSP_GCRODR *)ksp->data;

  PetscFunctionBegin;
  PetscCheck(gc->allocated && k == gc->kcur, PetscObjectComm((PetscObject)ksp), PETSC_ERR_ARG_WRONGSTATE, "KSPGCRODRSetPreconditionedRecycleSpace: give the same k (%" PetscInt_FMT ") as KSPGCRODRSetRecycleSpace (%" PetscInt_FMT "), after it", k, gc->allocated ? gc->kcur : 0);
  for (PetscInt i = 0; i < k; i++) PetscCall(VecCopy(W[i], gc->Uh[i]));
  gc->uh_exact = PETSC_TRUE;
  PetscFunctionReturn(0);
}

/*@
  KSPGCRODRSetRestart - Sets the search-space dimension m of each GCRO-DR cycle (k recycled + m - k Arnoldi vectors).
  Option -ksp_gcrodr_restart. Default 40.
@*/
PetscErrorCode KSPGCRODRSetRestart(KSP ksp, PetscInt m)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(ksp, KSP_CLASSID, 1);
  PetscValidLogicalCollectiveInt(ksp, m, 2);
  PetscTryMethod(ksp, "KSPGCRODRSetRestart_C", (KSP, PetscInt), (ksp, m));
  PetscFunctionReturn(0);
}

/*@
  KSPGCRODRSetRecycle - Sets the recycle dimension k (0 <= k < m; k = 0 is GMRES(m)). Option -ksp_gcrodr_recycle. Default 20.
@*/
PetscErrorCode KSPGCRODRSetRecycle(KSP ksp, PetscInt k)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(ksp, KSP_CLASSID, 1);
  PetscValidLogicalCollectiveInt(ksp, k, 2);
  PetscTryMethod(ksp, "KSPGCRODRSetRecycle_C", (KSP, PetscInt), (ksp, k));
  PetscFunctionReturn(0);
}

/*@
  KSPGCRODRSetReuse - Keep (default) or discard the recycle space between KSPSolve() calls. Option -ksp_gcrodr_reuse.
@*/
PetscErrorCode KSPGCRODRSetReuse(KSP ksp, PetscBool reuse)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(ksp, KSP_CLASSID, 1);
  PetscValidLogicalCollectiveBool(ksp, reuse, 2);
  PetscTryMethod(ksp, "KSPGCRODRSetReuse_C", (KSP, PetscBool), (ksp, reuse));
  PetscFunctionReturn(0);
}

/*@
  KSPGCRODRGetRecycleSpace - The current recycle space U (solution space), borrowed and valid until the next KSPSolve(); k = 0 and U = NULL if there is none.
@*/
PetscErrorCode KSPGCRODRGetRecycleSpace(KSP ksp, PetscInt *k, Vec **U)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(ksp, KSP_CLASSID, 1);
  if (k) *k = 0;
  if (U) *U = NULL;
  PetscTryMethod(ksp, "KSPGCRODRGetRecycleSpace_C", (KSP, PetscInt *, Vec **), (ksp, k, U));
  PetscFunctionReturn(0);
}

/*@
  KSPGCRODRSetRecycleSpace - Copies k vectors into the recycle space; C = A U is rebuilt at the next solve.
@*/
PetscErrorCode KSPGCRODRSetRecycleSpace(KSP ksp, PetscInt k, Vec U[])
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(ksp, KSP_CLASSID, 1);
  PetscValidLogicalCollectiveInt(ksp, k, 2);
  if (k > 0) PetscValidPointer(U, 3);
  PetscTryMethod(ksp, "KSPGCRODRSetRecycleSpace_C", (KSP, PetscInt, Vec[]), (ksp, k, U));
  PetscFunctionReturn(0);
}

/*@
  KSPGCRODRGetPreconditionedRecycleSpace - M^-1 U for the current recycle space U, borrowed and valid until the next KSPSolve() (for checkpoints).
@*/
PetscErrorCode KSPGCRODRGetPreconditionedRecycleSpace(KSP ksp, PetscInt *k, Vec **W)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(ksp, KSP_CLASSID, 1);
  if (k) *k = 0;
  if (W) *W = NULL;
  PetscTryMethod(ksp, "KSPGCRODRGetPreconditionedRecycleSpace_C", (KSP, PetscInt *, Vec **), (ksp, k, W));
  PetscFunctionReturn(0);
}

/*@
  KSPGCRODRSetPreconditionedRecycleSpace - Restores M^-1 U after KSPGCRODRSetRecycleSpace() with the same k.
@*/
PetscErrorCode KSPGCRODRSetPreconditionedRecycleSpace(KSP ksp, PetscInt k, Vec W[])
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(ksp, KSP_CLASSID, 1);
  PetscTryMethod(ksp, "KSPGCRODRSetPreconditionedRecycleSpace_C", (KSP, PetscInt, Vec[]), (ksp, k, W));
  PetscFunctionReturn(0);
}

PetscErrorCode KSPCreate_GCRODR(KSP ksp)
{
  KSP_GCRODR *gc;

  PetscFunctionBegin;
  PetscCall(PetscNew(&gc));
  gc->m        = 40;
  gc->k        = 20;
  gc->reuse    = PETSC_TRUE;
  gc->update_interval = 3;
  gc->update_early    = 2;
  gc->skip_tol        = 0.1;
  gc->reorth_tol      = GCRODR_REORTH;
  gc->uh_exact = PETSC_TRUE;
  ksp->data    = (void *)gc;

  /* right preconditioning makes the minimised residual the true one */
  PetscCall(KSPSetSupportedNorm(ksp, KSP_NORM_UNPRECONDITIONED, PC_RIGHT, 3));
  PetscCall(KSPSetSupportedNorm(ksp, KSP_NORM_NONE, PC_RIGHT, 1));

  ksp->ops->setup          = KSPSetUp_GCRODR;
  ksp->ops->solve          = KSPSolve_GCRODR;
  ksp->ops->reset          = KSPReset_GCRODR;
  ksp->ops->destroy        = KSPDestroy_GCRODR;
  ksp->ops->view           = KSPView_GCRODR;
  ksp->ops->setfromoptions = KSPSetFromOptions_GCRODR;
  ksp->ops->buildsolution  = KSPBuildSolutionDefault;
  ksp->ops->buildresidual  = KSPBuildResidualDefault;

  PetscCall(PetscObjectComposeFunction((PetscObject)ksp, "KSPGCRODRSetRestart_C", KSPGCRODRSetRestart_GCRODR));
  PetscCall(PetscObjectComposeFunction((PetscObject)ksp, "KSPGCRODRSetRecycle_C", KSPGCRODRSetRecycle_GCRODR));
  PetscCall(PetscObjectComposeFunction((PetscObject)ksp, "KSPGCRODRSetReuse_C", KSPGCRODRSetReuse_GCRODR));
  PetscCall(PetscObjectComposeFunction((PetscObject)ksp, "KSPGCRODRGetRecycleSpace_C", KSPGCRODRGetRecycleSpace_GCRODR));
  PetscCall(PetscObjectComposeFunction((PetscObject)ksp, "KSPGCRODRSetRecycleSpace_C", KSPGCRODRSetRecycleSpace_GCRODR));
  PetscCall(PetscObjectComposeFunction((PetscObject)ksp, "KSPGCRODRGetPreconditionedRecycleSpace_C", KSPGCRODRGetPreconditionedRecycleSpace_GCRODR));
  PetscCall(PetscObjectComposeFunction((PetscObject)ksp, "KSPGCRODRSetPreconditionedRecycleSpace_C", KSPGCRODRSetPreconditionedRecycleSpace_GCRODR));
  PetscFunctionReturn(0);
}

static PetscBool SkuaKSPRegisterAllCalled = PETSC_FALSE;

static PetscErrorCode SkuaKSPFinalizePackage(void)
{
  PetscFunctionBegin;
  SkuaKSPRegisterAllCalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

/*@
  SkuaKSPRegisterAll - Registers KSPGCRODR ("gcrodr") and the SkuaGCRODR_* log events. Idempotent.
@*/
PetscErrorCode SkuaKSPRegisterAll(void)
{
  PetscFunctionBegin;
  if (SkuaKSPRegisterAllCalled) PetscFunctionReturn(0);
  SkuaKSPRegisterAllCalled = PETSC_TRUE;
  PetscCall(KSPInitializePackage());
  PetscCall(KSPRegister(KSPGCRODR, KSPCreate_GCRODR));
  PetscCall(PetscLogEventRegister("SkuaGCRODR_Arnoldi", KSP_CLASSID, &SKUA_GCRODR_Arnoldi));
  PetscCall(PetscLogEventRegister("SkuaGCRODR_Recycle", KSP_CLASSID, &SKUA_GCRODR_Recycle));
  PetscCall(PetscLogEventRegister("SkuaGCRODR_Eig", KSP_CLASSID, &SKUA_GCRODR_Eig));
  /* a later PetscInitialize() in the same process must register again */
  PetscCall(PetscRegisterFinalize(SkuaKSPFinalizePackage));
  PetscFunctionReturn(0);
}
