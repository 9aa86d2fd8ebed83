/* SkuaPDE object: life cycle, options, 2-D/3-D DMDA, natural-order transfers; families live in families.c. */
#include "pdeimpl.h"
#include <errno.h>
#include <stdlib.h>

const char *const SkuaPDEFamilies[] = {"darcy", "poisson", "helmholtz", "heat", "SkuaPDEFamily", "SKUA_PDE_", NULL};

PetscLogEvent       SKUAPDE_Assemble = 0, SKUAPDE_GRF = 0;
static PetscClassId SKUAPDE_CLASSID;
static PetscBool    SkuaPDEPackageInitialized = PETSC_FALSE;

static PetscErrorCode SkuaPDEFinalizePackage(void)
{
  PetscFunctionBegin;
  SkuaPDEPackageInitialized = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaPDEInitializePackage(void)
{
  PetscFunctionBegin;
  if (SkuaPDEPackageInitialized) PetscFunctionReturn(0);
  SkuaPDEPackageInitialized = PETSC_TRUE;
  PetscCall(PetscClassIdRegister("SkuaPDE", &SKUAPDE_CLASSID));
  PetscCall(PetscLogEventRegister("SkuaPDE_Assemble", SKUAPDE_CLASSID, &SKUAPDE_Assemble));
  PetscCall(PetscLogEventRegister("SkuaPDE_GRF", SKUAPDE_CLASSID, &SKUAPDE_GRF));
  PetscCall(PetscRegisterFinalize(SkuaPDEFinalizePackage));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaPDECreate(MPI_Comm comm, SkuaPDE *pde)
{
  SkuaPDE p;

  PetscFunctionBegin;
  PetscValidPointer(pde, 2);
  PetscCall(SkuaPDEInitializePackage());
  PetscCall(PetscNew(&p));
  p->comm     = comm;
  p->family   = SKUA_PDE_DARCY;
  p->ops      = SkuaPDEFamilyOps(p->family);
  p->n        = 64;
  p->dim      = 2;
  p->seed     = 0;
  p->k0       = 20.0;
  p->contrast = 100.0;
  p->steps    = 10;
  p->dt       = 1e-3;
  PetscCall(SkuaGRFParamsDefault(&p->grf));
  *pde = p;
  PetscFunctionReturn(0);
}

#define SkuaPDECheckNotSetUp(pde, what) \
  PetscCheck(!(pde)->setupcalled, (pde)->comm, PETSC_ERR_ARG_WRONGSTATE, "%s must be called before SkuaPDESetUp()", what)
#define SkuaPDECheckSetUp(pde, what) \
  PetscCheck((pde)->setupcalled, (pde)->comm, PETSC_ERR_ARG_WRONGSTATE, "Call SkuaPDESetUp() before %s", what)

PetscErrorCode SkuaPDESetFamily(SkuaPDE pde, SkuaPDEFamily f)
{
  PetscFunctionBegin;
  SkuaPDECheckNotSetUp(pde, "SkuaPDESetFamily()");
  PetscCheck(SkuaPDEFamilyOps(f), pde->comm, PETSC_ERR_ARG_OUTOFRANGE, "Unknown PDE family %d; allowed: darcy, poisson, helmholtz, heat", (int)f);
  pde->family = f;
  pde->ops    = SkuaPDEFamilyOps(f);
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaPDESetFamilyName(SkuaPDE pde, const char name[])
{
  PetscFunctionBegin;
  for (int f = SKUA_PDE_DARCY; f <= SKUA_PDE_HEAT; f++) {
    PetscBool match;
    PetscCall(PetscStrcasecmp(name, SkuaPDEFamilies[f], &match));
    if (match) {
      PetscCall(SkuaPDESetFamily(pde, (SkuaPDEFamily)f));
      PetscFunctionReturn(0);
    }
  }
  SETERRQ(pde->comm, PETSC_ERR_ARG_UNKNOWN_TYPE, "Unknown PDE family \"%s\" (option -pde_family); allowed values: darcy, poisson, helmholtz, heat", name);
}

PetscErrorCode SkuaPDEGetFamily(SkuaPDE pde, SkuaPDEFamily *f)
{
  PetscFunctionBegin;
  *f = pde->family;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaPDESetSize(SkuaPDE pde, PetscInt n)
{
  PetscFunctionBegin;
  SkuaPDECheckNotSetUp(pde, "SkuaPDESetSize()");
  PetscCheck(n >= 1, pde->comm, PETSC_ERR_ARG_OUTOFRANGE, "Grid size n = %" PetscInt_FMT " (option -pde_n) must be >= 1 interior nodes per direction", n);
  PetscCheck(n <= 46340, pde->comm, PETSC_ERR_ARG_OUTOFRANGE, "Grid size n = %" PetscInt_FMT " (option -pde_n) is too large: n*n must fit a 32-bit PetscInt", n);
  pde->n = n;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaPDEGetSize(SkuaPDE pde, PetscInt *n)
{
  PetscFunctionBegin;
  *n = pde->n;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaPDESetDimension(SkuaPDE pde, PetscInt dim)
{
  PetscFunctionBegin;
  SkuaPDECheckNotSetUp(pde, "SkuaPDESetDimension()");
  PetscCheck(dim == 2 || dim == 3, pde->comm, PETSC_ERR_ARG_OUTOFRANGE, "Dimension %" PetscInt_FMT " (option -pde_dim) must be 2 or 3", dim);
  pde->dim = dim;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaPDEGetDimension(SkuaPDE pde, PetscInt *dim)
{
  PetscFunctionBegin;
  *dim = pde->dim;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaPDEGetNumNodes(SkuaPDE pde, PetscInt *nn)
{
  PetscFunctionBegin;
  *nn = pde->dim == 3 ? pde->n * pde->n * pde->n : pde->n * pde->n;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaPDESetSeed(SkuaPDE pde, uint64_t seed)
{
  PetscFunctionBegin;
  pde->seed = seed;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaPDEGetSeed(SkuaPDE pde, uint64_t *seed)
{
  PetscFunctionBegin;
  *seed = pde->seed;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaPDESetGRFParams(SkuaPDE pde, const SkuaGRFParams *p)
{
  PetscFunctionBegin;
  pde->grf = *p;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaPDEGetGRFParams(SkuaPDE pde, SkuaGRFParams *p)
{
  PetscFunctionBegin;
  *p = pde->grf;
  if (p->sigma <= 0) p->sigma = SkuaGRFDefaultSigma(p, pde->dim);
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaPDESetHelmholtzK0(SkuaPDE pde, PetscReal k0)
{
  PetscFunctionBegin;
  pde->k0 = k0;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaPDEGetHelmholtzK0(SkuaPDE pde, PetscReal *k0)
{
  PetscFunctionBegin;
  *k0 = pde->k0;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaPDESetDarcyPhases(SkuaPDE pde, PetscReal high, PetscReal low)
{
  PetscFunctionBegin;
  pde->dhigh = high;
  pde->dlow  = low;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaPDEGetDarcyPhases(SkuaPDE pde, PetscReal *high, PetscReal *low)
{
  PetscFunctionBegin;
  if (high) *high = pde->dhigh;
  if (low) *low = pde->dlow;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaPDESetHeat(SkuaPDE pde, PetscReal contrast, PetscInt steps, PetscReal dt)
{
  PetscFunctionBegin;
  pde->contrast = contrast;
  pde->steps    = steps;
  pde->dt       = dt;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaPDEGetHeat(SkuaPDE pde, PetscReal *contrast, PetscInt *steps, PetscReal *dt)
{
  PetscFunctionBegin;
  if (contrast) *contrast = pde->contrast;
  if (steps) *steps = pde->steps;
  if (dt) *dt = pde->dt;
  PetscFunctionReturn(0);
}

/* Every rank must hold the same parameters: fields are computed redundantly. */
PetscErrorCode SkuaPDECheckParams(SkuaPDE pde)
{
  const SkuaGRFParams *g = &pde->grf;

  PetscFunctionBegin;
  PetscCheck(pde->n >= 1, pde->comm, PETSC_ERR_ARG_OUTOFRANGE, "Grid size n = %" PetscInt_FMT " (option -pde_n) must be >= 1", pde->n);
  PetscCheck(pde->dim == 2 || pde->dim == 3, pde->comm, PETSC_ERR_ARG_OUTOFRANGE, "Dimension %" PetscInt_FMT " (option -pde_dim) must be 2 or 3", pde->dim);
  PetscCheck(pde->dim == 2 || pde->n <= 1290, pde->comm, PETSC_ERR_ARG_OUTOFRANGE, "Grid size n = %" PetscInt_FMT " (option -pde_n) is too large for -pde_dim 3: n^3 must fit a 32-bit PetscInt (n <= 1290)", pde->n);
  pde->nn = pde->dim == 3 ? pde->n * pde->n * pde->n : pde->n * pde->n;
  PetscCheck(g->alpha > 0 && !PetscIsInfOrNanReal(g->alpha), pde->comm, PETSC_ERR_ARG_OUTOFRANGE, "GRF exponent %g (option -grf_alpha) must be finite and > 0, e.g. 2 or 2.5", (double)g->alpha);
  PetscCheck(g->tau >= 0 && !PetscIsInfOrNanReal(g->tau), pde->comm, PETSC_ERR_ARG_OUTOFRANGE, "GRF inverse length %g (option -grf_tau) must be finite and >= 0, e.g. 3 or 7", (double)g->tau);
  PetscCheck(!PetscIsInfOrNanReal(g->sigma), pde->comm, PETSC_ERR_ARG_OUTOFRANGE, "GRF amplitude (option -grf_sigma) must be finite; <= 0 selects tau^(alpha-1)");
  PetscCheck(pde->k0 >= 0 && !PetscIsInfOrNanReal(pde->k0), pde->comm, PETSC_ERR_ARG_OUTOFRANGE, "Helmholtz wave number %g (option -helmholtz_k0) must be finite and >= 0", (double)pde->k0);
  PetscCheck((pde->dhigh == 0 && pde->dlow == 0) || (pde->dhigh > 0 && pde->dlow > 0 && !PetscIsInfOrNanReal(pde->dhigh) && !PetscIsInfOrNanReal(pde->dlow)), pde->comm, PETSC_ERR_ARG_OUTOFRANGE, "Darcy phases -darcy_high %g -darcy_low %g: give both, finite and > 0 (or neither, for K = exp(G))", (double)pde->dhigh, (double)pde->dlow);
  PetscCheck(pde->contrast > 0 && !PetscIsInfOrNanReal(pde->contrast), pde->comm, PETSC_ERR_ARG_OUTOFRANGE, "Heat conductivity contrast %g (option -heat_contrast) must be finite and > 0", (double)pde->contrast);
  PetscCheck(pde->steps >= 1, pde->comm, PETSC_ERR_ARG_OUTOFRANGE, "Heat steps %" PetscInt_FMT " (option -heat_steps) must be >= 1", pde->steps);
  PetscCheck(pde->dt > 0 && !PetscIsInfOrNanReal(pde->dt), pde->comm, PETSC_ERR_ARG_OUTOFRANGE, "Heat time step %g (option -heat_dt) must be finite and > 0", (double)pde->dt);
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaPDESetFromOptions(SkuaPDE pde)
{
  char          family[64], seedstr[64];
  PetscBool     flg, nflg, sflg, dflg;
  PetscInt      n = pde->n, dim = pde->dim;
  SkuaGRFParams g = pde->grf;

  PetscFunctionBegin;
  SkuaPDECheckNotSetUp(pde, "SkuaPDESetFromOptions()");
  PetscCall(PetscStrncpy(family, pde->ops->name, sizeof(family)));
  PetscCall(PetscSNPrintf(seedstr, sizeof(seedstr), "%llu", (unsigned long long)pde->seed));
  /* Values are validated after PetscOptionsEnd() so that an error does not leave the options block open. */
  PetscOptionsBegin(pde->comm, NULL, "Skua PDE family options", "SkuaPDE");
  PetscCall(PetscOptionsString("-pde_family", "PDE family: darcy, poisson, helmholtz, heat", "SkuaPDESetFamilyName", family, family, sizeof(family), &flg));
  PetscCall(PetscOptionsInt("-pde_n", "Interior nodes per direction (h = 1/(n+1))", "SkuaPDESetSize", n, &n, &nflg));
  PetscCall(PetscOptionsInt("-pde_dim", "Space dimension: 2 (n x n grid, 5-point) or 3 (n x n x n grid, 7-point)", "SkuaPDESetDimension", dim, &dim, &dflg));
  PetscCall(PetscOptionsString("-seed", "Random seed (unsigned 64-bit integer)", "SkuaPDESetSeed", seedstr, seedstr, sizeof(seedstr), &sflg));
  PetscCall(PetscOptionsReal("-grf_alpha", "GRF smoothness exponent alpha", "SkuaPDESetGRFParams", g.alpha, &g.alpha, NULL));
  PetscCall(PetscOptionsReal("-grf_tau", "GRF inverse length scale tau", "SkuaPDESetGRFParams", g.tau, &g.tau, NULL));
  PetscCall(PetscOptionsReal("-grf_sigma", "GRF amplitude sigma (<= 0: tau^(alpha-1))", "SkuaPDESetGRFParams", g.sigma, &g.sigma, NULL));
  pde->grf = g;
  PetscCall(PetscOptionsReal("-helmholtz_k0", "Helmholtz base wave number k0", "SkuaPDESetHelmholtzK0", pde->k0, &pde->k0, NULL));
  PetscCall(PetscOptionsReal("-darcy_high", "Darcy two-phase K where G >= 0 (with -darcy_low; FNO uses 12, 3); 0: K = exp(G)", "SkuaPDESetDarcyPhases", pde->dhigh, &pde->dhigh, NULL));
  PetscCall(PetscOptionsReal("-darcy_low", "Darcy two-phase K where G < 0 (with -darcy_high)", "SkuaPDESetDarcyPhases", pde->dlow, &pde->dlow, NULL));
  PetscCall(PetscOptionsReal("-heat_contrast", "Heat conductivity in the G > 0 phase (1 elsewhere)", "SkuaPDESetHeat", pde->contrast, &pde->contrast, NULL));
  PetscCall(PetscOptionsInt("-heat_steps", "Heat backward Euler steps per sample", "SkuaPDESetHeat", pde->steps, &pde->steps, NULL));
  PetscCall(PetscOptionsReal("-heat_dt", "Heat backward Euler time step", "SkuaPDESetHeat", pde->dt, &pde->dt, NULL));
  PetscOptionsEnd();
  if (flg) PetscCall(SkuaPDESetFamilyName(pde, family));
  if (nflg) PetscCall(SkuaPDESetSize(pde, n));
  if (dflg) PetscCall(SkuaPDESetDimension(pde, dim));
  if (sflg) {
    char              *end;
    unsigned long long v;
    errno = 0;
    v     = strtoull(seedstr, &end, 0);
    PetscCheck(errno == 0 && end != seedstr && *end == '\0' && seedstr[0] != '-', pde->comm, PETSC_ERR_ARG_WRONG, "Option -seed \"%s\" is not an unsigned 64-bit integer", seedstr);
    pde->seed = (uint64_t)v;
  }
  PetscCall(SkuaPDECheckParams(pde));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaPDESetUp(SkuaPDE pde)
{
  const PetscReal h = 1.0 / (PetscReal)(pde->n + 1);

  PetscFunctionBegin;
  if (pde->setupcalled) PetscFunctionReturn(0);
  PetscCall(SkuaPDECheckParams(pde));
  /* No DMSetFromOptions: -da_grid_x would silently break the n that the fields were sampled for. */
  if (pde->dim == 3) PetscCall(DMDACreate3d(pde->comm, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DMDA_STENCIL_STAR, pde->n, pde->n, pde->n, PETSC_DECIDE, PETSC_DECIDE, PETSC_DECIDE, 1, 1, NULL, NULL, NULL, &pde->da));
  else PetscCall(DMDACreate2d(pde->comm, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DMDA_STENCIL_STAR, pde->n, pde->n, PETSC_DECIDE, PETSC_DECIDE, 1, 1, NULL, NULL, &pde->da));
  PetscCall(DMSetMatType(pde->da, MATAIJ));
  PetscCall(DMSetUp(pde->da));
  if (pde->dim == 3) PetscCall(DMDASetUniformCoordinates(pde->da, h, 1.0 - h, h, 1.0 - h, h, 1.0 - h));
  else PetscCall(DMDASetUniformCoordinates(pde->da, h, 1.0 - h, h, 1.0 - h, 0.0, 0.0));
  PetscCall(DMDASetFieldName(pde->da, 0, "u"));
  pde->setupcalled = PETSC_TRUE;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaPDEView(SkuaPDE pde, PetscViewer viewer)
{
  PetscBool     iascii;
  SkuaGRFParams g;

  PetscFunctionBegin;
  if (!viewer) PetscCall(PetscViewerASCIIGetStdout(pde->comm, &viewer));
  PetscCall(PetscObjectTypeCompare((PetscObject)viewer, PETSCVIEWERASCII, &iascii));
  if (!iascii) PetscFunctionReturn(0);
  PetscCall(SkuaPDEGetGRFParams(pde, &g));
  PetscCall(PetscViewerASCIIPrintf(viewer, "SkuaPDE: family %s, %" PetscInt_FMT "-D, n = %" PetscInt_FMT " (h = 1/%" PetscInt_FMT "), seed %llu\n", pde->ops->name, pde->dim, pde->n, pde->n + 1, (unsigned long long)pde->seed));
  PetscCall(PetscViewerASCIIPrintf(viewer, "  GRF: alpha %g, tau %g, sigma %g\n", (double)g.alpha, (double)g.tau, (double)g.sigma));
  if (pde->family == SKUA_PDE_HELMHOLTZ) PetscCall(PetscViewerASCIIPrintf(viewer, "  helmholtz k0 %g\n", (double)pde->k0));
  if (pde->family == SKUA_PDE_HEAT) PetscCall(PetscViewerASCIIPrintf(viewer, "  heat contrast %g, steps %" PetscInt_FMT ", dt %g\n", (double)pde->contrast, pde->steps, (double)pde->dt));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaPDEGetDM(SkuaPDE pde, DM *dm)
{
  PetscFunctionBegin;
  SkuaPDECheckSetUp(pde, "SkuaPDEGetDM()");
  *dm = pde->da;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaPDEGetFieldNames(SkuaPDE pde, PetscInt *nfields, const char *const **names)
{
  PetscFunctionBegin;
  if (nfields) *nfields = pde->ops->nfields;
  if (names) *names = pde->ops->fieldnames;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaPDEGetNumSteps(SkuaPDE pde, PetscInt *nsteps)
{
  PetscFunctionBegin;
  *nsteps = pde->ops->timedependent ? pde->steps : 1;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaPDESampleFields(SkuaPDE pde, PetscInt sample, PetscReal *const *fields)
{
  PetscFunctionBegin;
  PetscCheck(sample >= 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Sample index %" PetscInt_FMT " must be >= 0", sample);
  PetscCall(SkuaPDECheckParams(pde));
  for (PetscInt f = 0; f < pde->ops->nfields; f++) PetscCheck(fields[f], PETSC_COMM_SELF, PETSC_ERR_ARG_NULL, "Field array %" PetscInt_FMT " (%s) is NULL; allocate n^dim reals per field (SkuaPDEGetNumNodes)", f, pde->ops->fieldnames[f]);
  PetscCall(pde->ops->samplefields(pde, sample, fields));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaPDEAssemble(SkuaPDE pde, PetscReal *const *fields, Mat A, Vec b)
{
  PetscInt M, N;

  PetscFunctionBegin;
  SkuaPDECheckSetUp(pde, "SkuaPDEAssemble()");
  PetscCall(MatGetSize(A, &M, &N));
  PetscCheck(M == pde->nn && N == M, pde->comm, PETSC_ERR_ARG_SIZ, "Matrix is %" PetscInt_FMT " x %" PetscInt_FMT ", expected %" PetscInt_FMT "^%" PetscInt_FMT " rows and columns; create it with DMCreateMatrix() on SkuaPDEGetDM()", M, N, pde->n, pde->dim);
  for (PetscInt f = 0; f < pde->ops->nfields; f++) PetscCheck(fields[f], PETSC_COMM_SELF, PETSC_ERR_ARG_NULL, "Field array %" PetscInt_FMT " (%s) is NULL", f, pde->ops->fieldnames[f]);
  PetscCall(PetscLogEventBegin(SKUAPDE_Assemble, 0, 0, 0, 0));
  PetscCall(pde->ops->assemble(pde, fields, A, b));
  PetscCall(MatAssemblyBegin(A, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(A, MAT_FINAL_ASSEMBLY));
  PetscCall(PetscLogEventEnd(SKUAPDE_Assemble, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaPDEStepRHS(SkuaPDE pde, Vec uprev, Vec b)
{
  PetscFunctionBegin;
  PetscCheck(pde->ops->timedependent, pde->comm, PETSC_ERR_ARG_WRONG, "SkuaPDEStepRHS() applies to time-dependent families (heat) only, not %s", pde->ops->name);
  PetscCall(VecCopy(uprev, b));
  PetscCall(VecScale(b, 1.0 / pde->dt));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaPDENaturalToGlobal(SkuaPDE pde, const PetscReal *nat, Vec g)
{
  PetscScalar **a;
  PetscInt      xs, ys, xm, ym;

  PetscFunctionBegin;
  SkuaPDECheckSetUp(pde, "SkuaPDENaturalToGlobal()");
  if (pde->dim == 3) {
    PetscScalar ***a3;
    PetscInt       zs, zm;
    const PetscInt n = pde->n;
    PetscCall(DMDAGetCorners(pde->da, &xs, &ys, &zs, &xm, &ym, &zm));
    PetscCall(DMDAVecGetArray(pde->da, g, &a3));
    for (PetscInt k = zs; k < zs + zm; k++)
      for (PetscInt j = ys; j < ys + ym; j++)
        for (PetscInt i = xs; i < xs + xm; i++) a3[k][j][i] = nat[(k * n + j) * n + i];
    PetscCall(DMDAVecRestoreArray(pde->da, g, &a3));
    PetscFunctionReturn(0);
  }
  PetscCall(DMDAGetCorners(pde->da, &xs, &ys, NULL, &xm, &ym, NULL));
  PetscCall(DMDAVecGetArray(pde->da, g, &a));
  for (PetscInt j = ys; j < ys + ym; j++)
    for (PetscInt i = xs; i < xs + xm; i++) a[j][i] = nat[j * pde->n + i];
  PetscCall(DMDAVecRestoreArray(pde->da, g, &a));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaPDEGlobalToNatural(SkuaPDE pde, Vec g, PetscReal *nat)
{
  const PetscScalar *a;

  PetscFunctionBegin;
  SkuaPDECheckSetUp(pde, "SkuaPDEGlobalToNatural()");
  if (!pde->natural) {
    PetscCall(DMDACreateNaturalVector(pde->da, &pde->natural));
    PetscCall(VecScatterCreateToAll(pde->natural, &pde->toall, &pde->allnat));
  }
  PetscCall(DMDAGlobalToNaturalBegin(pde->da, g, INSERT_VALUES, pde->natural));
  PetscCall(DMDAGlobalToNaturalEnd(pde->da, g, INSERT_VALUES, pde->natural));
  PetscCall(VecScatterBegin(pde->toall, pde->natural, pde->allnat, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(pde->toall, pde->natural, pde->allnat, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecGetArrayRead(pde->allnat, &a));
  PetscCall(PetscArraycpy(nat, a, pde->nn));
  PetscCall(VecRestoreArrayRead(pde->allnat, &a));
  PetscFunctionReturn(0);
}

/* Sort the entries of each row by column (rows hold at most 7 entries, so insertion sort). */
static void SortRow(PetscInt *c, PetscScalar *v, PetscInt m)
{
  for (PetscInt a = 1; a < m; a++) {
    PetscInt    ca = c[a];
    PetscScalar va = v[a];
    PetscInt    b  = a - 1;
    while (b >= 0 && c[b] > ca) {
      c[b + 1] = c[b];
      v[b + 1] = v[b];
      b--;
    }
    c[b + 1] = ca;
    v[b + 1] = va;
  }
}

PetscErrorCode SkuaPDEGetNaturalCSR(SkuaPDE pde, Mat A, PetscInt *nnz, PetscInt **rowptr, PetscInt **colidx, PetscScalar **vals)
{
  AO           ao;
  PetscInt     rstart, rend, lnnz = 0, N = pde->nn, *lrow, *lcol, *grow = NULL, *gcol = NULL, *ptr = NULL, *cnt = NULL;
  PetscScalar *lval, *gval = NULL;
  PetscMPIInt  rank, size, mycount, *counts = NULL, *displs = NULL;
  PetscInt     total = 0;

  PetscFunctionBegin;
  SkuaPDECheckSetUp(pde, "SkuaPDEGetNaturalCSR()");
  PetscCallMPI(MPI_Comm_rank(pde->comm, &rank));
  PetscCallMPI(MPI_Comm_size(pde->comm, &size));
  PetscCall(DMDAGetAO(pde->da, &ao));
  PetscCall(MatGetOwnershipRange(A, &rstart, &rend));
  for (PetscInt r = rstart; r < rend; r++) {
    PetscInt ncols;
    PetscCall(MatGetRow(A, r, &ncols, NULL, NULL));
    lnnz += ncols;
    PetscCall(MatRestoreRow(A, r, &ncols, NULL, NULL));
  }
  PetscCall(PetscMalloc3(lnnz, &lrow, lnnz, &lcol, lnnz, &lval));
  lnnz = 0;
  for (PetscInt r = rstart; r < rend; r++) {
    PetscInt           ncols;
    const PetscInt    *cols;
    const PetscScalar *v;
    PetscCall(MatGetRow(A, r, &ncols, &cols, &v));
    for (PetscInt c = 0; c < ncols; c++) {
      lrow[lnnz] = r;
      lcol[lnnz] = cols[c];
      lval[lnnz] = v[c];
      lnnz++;
    }
    PetscCall(MatRestoreRow(A, r, &ncols, &cols, &v));
  }
  PetscCall(AOPetscToApplication(ao, lnnz, lrow));
  PetscCall(AOPetscToApplication(ao, lnnz, lcol));
  PetscCall(PetscMPIIntCast(lnnz, &mycount));
  if (rank == 0) PetscCall(PetscMalloc2(size, &counts, size, &displs));
  PetscCallMPI(MPI_Gather(&mycount, 1, MPI_INT, counts, 1, MPI_INT, 0, pde->comm));
  if (rank == 0) {
    for (PetscMPIInt r = 0; r < size; r++) {
      displs[r] = (PetscMPIInt)total;
      total += counts[r];
    }
    PetscCall(PetscMalloc3(total, &grow, total, &gcol, total, &gval));
  }
  PetscCallMPI(MPI_Gatherv(lrow, mycount, MPIU_INT, grow, counts, displs, MPIU_INT, 0, pde->comm));
  PetscCallMPI(MPI_Gatherv(lcol, mycount, MPIU_INT, gcol, counts, displs, MPIU_INT, 0, pde->comm));
  PetscCallMPI(MPI_Gatherv(lval, mycount, MPIU_SCALAR, gval, counts, displs, MPIU_SCALAR, 0, pde->comm));
  PetscCall(PetscFree3(lrow, lcol, lval));
  *nnz    = 0;
  *rowptr = NULL;
  *colidx = NULL;
  *vals   = NULL;
  if (rank == 0) {
    PetscInt    *ci;
    PetscScalar *cv;
    PetscCall(PetscCalloc1(N + 1, &ptr));
    PetscCall(PetscCalloc1(N, &cnt));
    PetscCall(PetscMalloc1(total, &ci));
    PetscCall(PetscMalloc1(total, &cv));
    for (PetscInt e = 0; e < total; e++) ptr[grow[e] + 1]++;
    for (PetscInt r = 0; r < N; r++) ptr[r + 1] += ptr[r];
    for (PetscInt e = 0; e < total; e++) {
      const PetscInt pos = ptr[grow[e]] + cnt[grow[e]]++;
      ci[pos]            = gcol[e];
      cv[pos]            = gval[e];
    }
    for (PetscInt r = 0; r < N; r++) SortRow(ci + ptr[r], cv + ptr[r], ptr[r + 1] - ptr[r]);
    PetscCall(PetscFree(cnt));
    PetscCall(PetscFree3(grow, gcol, gval));
    PetscCall(PetscFree2(counts, displs));
    *nnz    = total;
    *rowptr = ptr;
    *colidx = ci;
    *vals   = cv;
  }
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaPDEDestroy(SkuaPDE *pde)
{
  PetscFunctionBegin;
  if (!pde || !*pde) PetscFunctionReturn(0);
  PetscCall(VecScatterDestroy(&(*pde)->toall));
  PetscCall(VecDestroy(&(*pde)->allnat));
  PetscCall(VecDestroy(&(*pde)->natural));
  PetscCall(DMDestroy(&(*pde)->da));
  PetscCall(PetscFree(*pde));
  PetscFunctionReturn(0);
}
