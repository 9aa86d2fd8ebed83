/* Distributed PDE-constrained control on a DMDA (the PDE problem class of Hong, Na, Mahoney, Kolar, ICML 2023):
   min 1/2 |w - w_target|^2 + alpha/2 |z|^2  s.t.  Delta_h w + z = 0 on the interior of the unit square,
   Delta_h the 5-point Laplacian with homogeneous Dirichlet data. x = (w, z) interleaved per grid point (a dof-2
   DMDA), lambda on the dof-1 DMDA; natural order x = [w; z], lambda by grid point. */
#include "constrainedimpl.h"
#include <petscdmda.h>

typedef struct {
  PetscInt  grid;
  PetscReal alpha;
  DM        da1, da2;
  Mat       J, H;
  Vec       wt, cvec; /* target (x layout, z entries 0) */
  AO        ao_x;
} ControlCtx;

static PetscErrorCode ControlObjective(SkuaConstrained C, Vec x, PetscReal *f, Vec g, void *ctx)
{
  ControlCtx        *c = (ControlCtx *)ctx;
  const PetscScalar *xa, *ta;
  PetscScalar       *ga = NULL;
  PetscInt           nl;
  PetscReal          loc = 0;

  PetscFunctionBegin;
  PetscCall(VecGetLocalSize(x, &nl));
  PetscCall(VecGetArrayRead(x, &xa));
  PetscCall(VecGetArrayRead(c->wt, &ta));
  if (g) PetscCall(VecGetArrayWrite(g, &ga));
  for (PetscInt i = 0; i < nl; i += 2) {
    PetscReal dw = PetscRealPart(xa[i] - ta[i]), z = PetscRealPart(xa[i + 1]);
    loc += 0.5 * dw * dw + 0.5 * c->alpha * z * z;
    if (g) {
      ga[i]     = dw;
      ga[i + 1] = c->alpha * z;
    }
  }
  if (g) PetscCall(VecRestoreArrayWrite(g, &ga));
  PetscCall(VecRestoreArrayRead(c->wt, &ta));
  PetscCall(VecRestoreArrayRead(x, &xa));
  PetscCall(MPIU_Allreduce(&loc, f, 1, MPIU_REAL, MPIU_SUM, PetscObjectComm((PetscObject)x)));
  PetscFunctionReturn(0);
}

/* c = J x; J is constant (assembled at set-up). */
static PetscErrorCode ControlConstraints(SkuaConstrained C, Vec x, Vec cv, Mat J, void *ctx)
{
  ControlCtx *c = (ControlCtx *)ctx;

  PetscFunctionBegin;
  PetscCall(MatMult(c->J, x, cv));
  PetscFunctionReturn(0);
}

static PetscErrorCode ControlHessian(SkuaConstrained C, Vec x, Vec lam, Mat H, void *ctx)
{
  PetscFunctionBegin;
  PetscFunctionReturn(0); /* diag(1, alpha), assembled at set-up */
}

static PetscErrorCode ControlSetUp(SkuaConstrainedProblem P, SkuaConstrained C, Vec *x0, Vec *l0)
{
  ControlCtx *c = (ControlCtx *)P->data;
  PetscInt    xs, ys, xm, ym, M = c->grid;
  PetscReal   h = 1.0 / (M + 1), ih2 = 1.0 / (h * h);
  AO          ao1;

  PetscFunctionBegin;
  if (!c->da1) {
    PetscCall(DMDACreate2d(P->comm, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DMDA_STENCIL_STAR, M, M, PETSC_DECIDE, PETSC_DECIDE, 1, 1, NULL, NULL, &c->da1));
    PetscCall(DMSetUp(c->da1));
    PetscCall(DMDACreateCompatibleDMDA(c->da1, 2, &c->da2));
    PetscCall(DMCreateGlobalVector(c->da2, &c->wt));
    PetscCall(DMCreateGlobalVector(c->da1, &c->cvec));
    PetscCall(DMDAGetCorners(c->da1, &xs, &ys, NULL, &xm, &ym, NULL));
    PetscCall(DMDAGetAO(c->da1, &ao1));
    {
      PetscInt  nloc = xm * ym, *app, *pet, p0;
      PetscInt *nat;
      PetscCall(VecGetOwnershipRange(c->cvec, &p0, NULL));
      /* AO of x: PETSc index 2p + k <-> natural k M^2 + g(p), g the grid point's natural index. */
      PetscCall(PetscMalloc3(2 * nloc, &app, 2 * nloc, &pet, nloc, &nat));
      for (PetscInt l = 0; l < nloc; l++) nat[l] = p0 + l;
      PetscCall(AOPetscToApplication(ao1, nloc, nat));
      for (PetscInt l = 0; l < nloc; l++)
        for (PetscInt k = 0; k < 2; k++) {
          pet[2 * l + k] = 2 * (p0 + l) + k;
          app[2 * l + k] = k * M * M + nat[l];
        }
      PetscCall(AOCreateBasic(P->comm, 2 * nloc, app, pet, &c->ao_x));
      PetscCall(PetscFree3(app, pet, nat));
    }
    /* Target w_t = sin(pi x) sin(2 pi y) at the interior points. */
    {
      PetscScalar ***t;
      PetscCall(DMDAVecGetArrayDOF(c->da2, c->wt, &t));
      for (PetscInt j = ys; j < ys + ym; j++)
        for (PetscInt i = xs; i < xs + xm; i++) {
          t[j][i][0] = PetscSinReal(PETSC_PI * (i + 1) * h) * PetscSinReal(2 * PETSC_PI * (j + 1) * h);
          t[j][i][1] = 0;
        }
      PetscCall(DMDAVecRestoreArrayDOF(c->da2, c->wt, &t));
    }
    /* J = [Delta_h, I] (rows: grid points; columns: (w, z) per point), H = diag(1, alpha). */
    {
      PetscInt nloc = xm * ym, p0;
      PetscCall(VecGetOwnershipRange(c->cvec, &p0, NULL));
      PetscCall(MatCreateAIJ(P->comm, nloc, 2 * nloc, M * M, 2 * M * M, 6, NULL, 4, NULL, &c->J));
      PetscCall(MatCreateAIJ(P->comm, 2 * nloc, 2 * nloc, 2 * M * M, 2 * M * M, 1, NULL, 0, NULL, &c->H));
      for (PetscInt j = ys; j < ys + ym; j++)
        for (PetscInt i = xs; i < xs + xm; i++) {
          PetscInt  nb[5][2] = {{i, j}, {i - 1, j}, {i + 1, j}, {i, j - 1}, {i, j + 1}};
          PetscInt  natg[5], cnt = 0, row;
          PetscReal v[5];
          for (PetscInt q = 0; q < 5; q++) {
            if (nb[q][0] < 0 || nb[q][0] >= M || nb[q][1] < 0 || nb[q][1] >= M) continue; /* Dirichlet 0 */
            natg[cnt] = nb[q][1] * M + nb[q][0];
            v[cnt++]  = q ? ih2 : -4 * ih2;
          }
          PetscCall(AOApplicationToPetsc(ao1, cnt, natg));
          row = natg[0];
          for (PetscInt q = 0; q < cnt; q++) PetscCall(MatSetValue(c->J, row, 2 * natg[q], v[q], INSERT_VALUES));
          PetscCall(MatSetValue(c->J, row, 2 * row + 1, 1.0, INSERT_VALUES));
          PetscCall(MatSetValue(c->H, 2 * row, 2 * row, 1.0, INSERT_VALUES));
          PetscCall(MatSetValue(c->H, 2 * row + 1, 2 * row + 1, c->alpha, INSERT_VALUES));
        }
      (void)p0;
      PetscCall(MatAssemblyBegin(c->J, MAT_FINAL_ASSEMBLY));
      PetscCall(MatAssemblyEnd(c->J, MAT_FINAL_ASSEMBLY));
      PetscCall(MatAssemblyBegin(c->H, MAT_FINAL_ASSEMBLY));
      PetscCall(MatAssemblyEnd(c->H, MAT_FINAL_ASSEMBLY));
    }
  }
  PetscCall(DMCreateGlobalVector(c->da2, x0));
  PetscCall(DMCreateGlobalVector(c->da1, l0));
  PetscCall(VecSet(*x0, 0.0));
  PetscCall(VecSet(*l0, 0.0));
  PetscCall(DMDAGetAO(c->da1, &ao1));
  PetscCall(SkuaConstrainedSetObjective(C, ControlObjective, c));
  PetscCall(SkuaConstrainedSetConstraints(C, c->cvec, c->J, ControlConstraints, c));
  PetscCall(SkuaConstrainedSetHessian(C, c->H, ControlHessian, c));
  PetscCall(SkuaConstrainedSetNaturalOrdering(C, c->ao_x, ao1));
  /* H = diag(1, alpha) is positive definite, and J J^T = Delta_h^2 + I >= I: no dense estimates needed. */
  PetscCall(SkuaConstrainedSetProblemInfo(C, PETSC_TRUE, 1.0));
  PetscFunctionReturn(0);
}

static PetscErrorCode ControlDestroy(SkuaConstrainedProblem P)
{
  ControlCtx *c = (ControlCtx *)P->data;

  PetscFunctionBegin;
  PetscCall(MatDestroy(&c->J));
  PetscCall(MatDestroy(&c->H));
  PetscCall(VecDestroy(&c->wt));
  PetscCall(VecDestroy(&c->cvec));
  PetscCall(AODestroy(&c->ao_x));
  PetscCall(DMDestroy(&c->da2));
  PetscCall(DMDestroy(&c->da1));
  PetscCall(PetscFree(c));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaConstrainedProblemCreate_Control(SkuaConstrainedProblem P)
{
  ControlCtx *c;

  PetscFunctionBegin;
  PetscCall(PetscNew(&c));
  c->grid  = 8;
  c->alpha = 0.01;
  PetscOptionsBegin(P->comm, NULL, "PDE-constrained control problem (-problem control)", NULL);
  PetscCall(PetscOptionsInt("-control_grid", "Interior grid points per direction", NULL, c->grid, &c->grid, NULL));
  PetscCall(PetscOptionsReal("-control_alpha", "Control cost alpha", NULL, c->alpha, &c->alpha, NULL));
  PetscOptionsEnd();
  if (c->grid < 2 || !(c->alpha > 0)) {
    PetscInt  g = c->grid;
    PetscReal a = c->alpha;
    PetscCall(PetscFree(c));
    SETERRQ(P->comm, PETSC_ERR_USER_INPUT, "-control_grid %" PetscInt_FMT " must be >= 2 and -control_alpha %g positive", g, (double)a);
  }
  P->data        = c;
  P->n           = 2 * c->grid * c->grid;
  P->m           = c->grid * c->grid;
  P->ops.setup   = ControlSetUp;
  P->ops.destroy = ControlDestroy;
  PetscFunctionReturn(0);
}
