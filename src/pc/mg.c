/* Multigrid presets (-skua_mg): option handling, the GAMG/BoomerAMG option lists, geometric and shifted-Laplacian set-up, reuse across a sequence. */
#include "mgimpl.h"

const char *const SkuaMGTypes[]    = {"none", "geometric", "gamg", "boomeramg", "shifted", "SkuaMGType", "SKUA_MG_", NULL};
const char *const SkuaMGAverages[] = {"harmonic", "arithmetic", "geometric", "SkuaMGAverage", "SKUA_MG_AVERAGE_", NULL};

PetscLogEvent       SKUAMG_SetUp = 0, SKUAMG_Rediscretize = 0;
static PetscClassId SKUAMG_CLASSID;
static PetscBool    SkuaMGPackageInitialized = PETSC_FALSE;

/* Preset option lists, written under the KSP's prefix where the user has not set the option. Only options
   that belong to one PC type are listed (pc_gamg_*, pc_hypre_*): shared names such as mg_levels_* would
   leak from one preset into another KSP with the same prefix. The geometric preset sets its smoothers
   through the API instead (SkuaMGHierarchyAttach). docs/multigrid.md explains each value. */
static const char *const GAMGOptions[][2] = {
  {"pc_gamg_type",                "agg" }, /* smoothed aggregation */
  {"pc_gamg_agg_nsmooths",        "1"   }, /* one Jacobi smoothing step of the tentative prolongator */
  {"pc_gamg_threshold",           "0.02"}, /* drop weak edges of the graph: follows strong high-contrast couplings */
  {"pc_gamg_aggressive_coarsening", "1"  }, /* MIS-2 on the finest level: 3 more iterations (10 vs 7) but half the setup */
  {"pc_gamg_reuse_interpolation", "true"}, /* a sequence: keep P, redo only the Galerkin products */
  {"pc_gamg_esteig_ksp_type",     "cg"  }, /* the operators are SPD: CG estimates lambda_max(D^-1 A) */
  {"pc_gamg_esteig_ksp_max_it",   "10"  },
  {"pc_gamg_coarse_eq_limit",     "200" }, /* stop at ~200 equations: a cheap direct coarse solve */
  {NULL,                          NULL  }
};

static const char *const BoomerAMGOptions[][2] = {
  {"pc_hypre_type",                        "boomeramg"           },
  {"pc_hypre_boomeramg_coarsen_type",      "HMIS"                }, /* low operator complexity in parallel */
  {"pc_hypre_boomeramg_interp_type",       "ext+i"               }, /* long-range interpolation HMIS needs */
  {"pc_hypre_boomeramg_P_max",             "4"                   }, /* truncate P to 4 entries a row: sparse coarse ops */
  {"pc_hypre_boomeramg_strong_threshold",  "0.25"                }, /* 2-D 5-point operators (BoomerAMG3DOptions: 0.5) */
  {"pc_hypre_boomeramg_relax_type_down",   "symmetric-SOR/Jacobi"}, /* symmetric V-cycle: usable with CG */
  {"pc_hypre_boomeramg_relax_type_up",     "symmetric-SOR/Jacobi"},
  {"pc_hypre_boomeramg_relax_type_coarse", "Gaussian-elimination"},
  {NULL,                                   NULL                  }
};

/* Written before GAMGOptions when the PDE is 3-D. Threshold 0: on 7-point operators the 0.02 filter slows the
   coarsening of the Galerkin levels (5 levels instead of 4 at n = 65) and costs 40 % more setup (4.3 s vs 2.7 s,
   darcy n = 65, np 1) for the same iterations (poisson 9 -> 10, darcy 9 -> 9, K over 3 decades 10 -> 9, n = 17 -> 65). */
static const char *const GAMG3DOptions[][2] = {
  {"pc_gamg_threshold", "0"},
  {NULL,                NULL}
};

/* Written before BoomerAMGOptions when the PDE is 3-D, so they take precedence over the 2-D values there.
   Threshold 0.5: hypre's recommendation for 3-D 7-point operators (0.25 keeps too many strong connections on the
   coarse Galerkin levels). P_max 6: ext+i rows are longer in 3-D and truncating them to 4 entries costs
   convergence; measured (CG to 1e-8, np 1, poisson n = 17 -> 65): P_max 4: 7 -> 9 iterations, 6: 4 -> 5. */
static const char *const BoomerAMG3DOptions[][2] = {
  {"pc_hypre_boomeramg_strong_threshold", "0.5"},
  {"pc_hypre_boomeramg_P_max",            "6"  },
  {NULL,                                  NULL }
};

static PetscErrorCode SkuaMGFinalizePackage(void)
{
  PetscFunctionBegin;
  SkuaMGPackageInitialized = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaMGInitializePackage(void)
{
  PetscFunctionBegin;
  if (SkuaMGPackageInitialized) PetscFunctionReturn(0);
  SkuaMGPackageInitialized = PETSC_TRUE;
  PetscCall(PetscClassIdRegister("SkuaMG", &SKUAMG_CLASSID));
  PetscCall(PetscLogEventRegister("SkuaMG_SetUp", SKUAMG_CLASSID, &SKUAMG_SetUp));
  PetscCall(PetscLogEventRegister("SkuaMG_Rediscr", SKUAMG_CLASSID, &SKUAMG_Rediscretize));
  PetscCall(PetscRegisterFinalize(SkuaMGFinalizePackage));
  PetscFunctionReturn(0);
}

static PetscErrorCode SkuaMGCtxDestroy(void *ptr)
{
  SkuaMG_Ctx *mg = (SkuaMG_Ctx *)ptr;

  PetscFunctionBegin;
  PetscCall(SkuaMGHierarchyDestroy(mg));
  PetscCall(PetscFree(mg));
  PetscFunctionReturn(0);
}

/* The context lives in a container composed with the KSP, so it follows the KSP's life time and a driver
   needs no extra handle. */
static PetscErrorCode SkuaMGGetCtx(KSP ksp, PetscBool create, SkuaMG_Ctx **mg)
{
  PetscContainer c;

  PetscFunctionBegin;
  *mg = NULL;
  PetscCall(PetscObjectQuery((PetscObject)ksp, "SkuaMG", (PetscObject *)&c));
  if (c) {
    PetscCall(PetscContainerGetPointer(c, (void **)mg));
    PetscFunctionReturn(0);
  }
  if (!create) PetscFunctionReturn(0);
  PetscCall(PetscNew(mg));
  (*mg)->type     = SKUA_MG_NONE;
  (*mg)->coarse_n = 0;
  (*mg)->dim      = 2;
  (*mg)->galerkin = PETSC_FALSE;
  (*mg)->average  = SKUA_MG_AVERAGE_ARITHMETIC;
  (*mg)->shift    = 0.5;
  (*mg)->esteig   = PETSC_TRUE;
  PetscCall(PetscContainerCreate(PetscObjectComm((PetscObject)ksp), &c));
  PetscCall(PetscContainerSetPointer(c, *mg));
  PetscCall(PetscContainerSetUserDestroy(c, SkuaMGCtxDestroy));
  PetscCall(PetscObjectCompose((PetscObject)ksp, "SkuaMG", (PetscObject)c));
  PetscCall(PetscContainerDestroy(&c));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaMGSetType(KSP ksp, SkuaMGType type)
{
  SkuaMG_Ctx *mg;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(ksp, KSP_CLASSID, 1);
  PetscCall(SkuaMGGetCtx(ksp, PETSC_TRUE, &mg));
  PetscCheck(!mg->setup, PetscObjectComm((PetscObject)ksp), PETSC_ERR_ARG_WRONGSTATE, "SkuaMGSetType() must come before the first SkuaMGSetUp() on this KSP");
  PetscCheck(type >= SKUA_MG_NONE && type <= SKUA_MG_SHIFTED, PetscObjectComm((PetscObject)ksp), PETSC_ERR_ARG_OUTOFRANGE, "Unknown multigrid preset %d; allowed: none, geometric, gamg, boomeramg, shifted", (int)type);
  mg->type = type;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaMGGetType(KSP ksp, SkuaMGType *type)
{
  SkuaMG_Ctx *mg;

  PetscFunctionBegin;
  PetscCall(SkuaMGGetCtx(ksp, PETSC_FALSE, &mg));
  *type = (mg && mg->setup) ? mg->type : SKUA_MG_NONE;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaMGGetLevels(KSP ksp, PetscInt *nlevels, const PetscInt **n)
{
  SkuaMG_Ctx *mg;

  PetscFunctionBegin;
  PetscCall(SkuaMGGetCtx(ksp, PETSC_FALSE, &mg));
  if (nlevels) *nlevels = mg ? mg->nlevels : 0;
  if (n) *n = (mg && mg->nlevels) ? mg->n : NULL;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaMGGetShiftedOperator(KSP ksp, Mat *M)
{
  SkuaMG_Ctx *mg;

  PetscFunctionBegin;
  PetscCall(SkuaMGGetCtx(ksp, PETSC_FALSE, &mg));
  *M = (mg && mg->type == SKUA_MG_SHIFTED && mg->A) ? mg->A[0] : NULL;
  PetscFunctionReturn(0);
}

/* Write each (name, value) as -<prefix><name> unless that option is already in the database: the user's
   command line, options file or YAML always wins over the preset. */
static PetscErrorCode InsertPreset(const char *prefix, const char *const opts[][2])
{
  PetscFunctionBegin;
  for (PetscInt o = 0; opts[o][0]; o++) {
    char      name[256];
    PetscBool set;

    PetscCall(PetscSNPrintf(name, sizeof(name), "-%s", opts[o][0]));
    PetscCall(PetscOptionsHasName(NULL, prefix, name, &set));
    if (set) continue;
    PetscCall(PetscSNPrintf(name, sizeof(name), "-%s%s", prefix ? prefix : "", opts[o][0]));
    PetscCall(PetscOptionsSetValue(NULL, name, opts[o][1]));
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode UserSet(const char *prefix, const char *name, PetscBool *set)
{
  PetscFunctionBegin;
  PetscCall(PetscOptionsHasName(NULL, prefix, name, set));
  PetscFunctionReturn(0);
}

static PetscErrorCode SkuaMGSetFromOptions(KSP ksp, SkuaMG_Ctx *mg)
{
  const char *prefix;
  MPI_Comm    comm = PetscObjectComm((PetscObject)ksp);

  PetscFunctionBegin;
  PetscCall(KSPGetOptionsPrefix(ksp, &prefix));
  PetscOptionsBegin(comm, prefix, "Skua multigrid presets", "SkuaMG");
  PetscCall(PetscOptionsEnum("-skua_mg", "Multigrid preset: none, geometric, gamg, boomeramg, shifted (helmholtz)", "SkuaMGSetType", SkuaMGTypes, (PetscEnum)mg->type, (PetscEnum *)&mg->type, NULL));
  PetscCall(PetscOptionsInt("-skua_mg_levels", "Geometric MG levels including the finest (0: coarsen down to a grid of coarse_n..2 coarse_n+1)", "SkuaMGSetUp", mg->levels_req, &mg->levels_req, NULL));
  PetscCall(PetscOptionsInt("-skua_mg_coarse_n", "Automatic coarsening stops before the grid gets smaller than this (0: 7 in 2-D, 5 in 3-D)", "SkuaMGSetUp", mg->coarse_n, &mg->coarse_n, NULL));
  PetscCall(PetscOptionsBool("-skua_mg_galerkin", "Geometric MG: Galerkin coarse operators P^T A P instead of re-discretisation", "SkuaMGSetUp", mg->galerkin, &mg->galerkin, NULL));
  PetscCall(PetscOptionsEnum("-skua_mg_average", "Geometric MG: restriction of the diffusion coefficient", "SkuaMGSetUp", SkuaMGAverages, (PetscEnum)mg->average, (PetscEnum *)&mg->average, NULL));
  PetscCall(PetscOptionsBool("-skua_mg_esteig", "Geometric MG: Chebyshev bounds from CG eigenvalue estimates (false: Gershgorin bound 2, re-discretised levels only)", "SkuaMGSetUp", mg->esteig, &mg->esteig, NULL));
  PetscCall(PetscOptionsReal("-skua_mg_shift", "Shifted MG for helmholtz: beta in M = -lap + beta kappa^2", "SkuaMGSetUp", mg->shift, &mg->shift, NULL));
  PetscOptionsEnd();
  PetscCheck(mg->levels_req >= 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-skua_mg_levels %" PetscInt_FMT " must be >= 0 (0: automatic)", mg->levels_req);
  PetscCheck(mg->coarse_n >= 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-skua_mg_coarse_n %" PetscInt_FMT " must be >= 1 (or 0: 7 in 2-D, 5 in 3-D)", mg->coarse_n);
  PetscCheck(mg->shift >= 0 && !PetscIsInfOrNanReal(mg->shift), comm, PETSC_ERR_ARG_OUTOFRANGE, "-skua_mg_shift %g must be finite and >= 0 (M = -lap + beta kappa^2 must stay positive definite)", (double)mg->shift);
  PetscFunctionReturn(0);
}

/* Check that pde/fields fit the KSP's operator before anything is built from them. */
static PetscErrorCode CheckPDE(KSP ksp, SkuaMG_Ctx *mg, SkuaPDE pde, PetscReal *const *fields)
{
  MPI_Comm  comm = PetscObjectComm((PetscObject)ksp);
  PetscBool set;
  Mat       A;
  PetscInt  n, M, nn, dim;

  PetscFunctionBegin;
  PetscCheck(pde && fields && fields[0], comm, PETSC_ERR_ARG_NULL, "-skua_mg %s needs the PDE and the sample's fields: call SkuaMGSetUp(ksp, pde, fields); without a grid (skua-solve) use gamg or boomeramg", SkuaMGTypes[mg->type]);
  PetscCall(KSPGetOperatorsSet(ksp, &set, NULL));
  PetscCheck(set, comm, PETSC_ERR_ORDER, "Call KSPSetOperators() before SkuaMGSetUp()");
  PetscCall(KSPGetOperators(ksp, &A, NULL));
  PetscCall(MatGetSize(A, &M, NULL));
  PetscCall(SkuaPDEGetSize(pde, &n));
  PetscCall(SkuaPDEGetDimension(pde, &dim));
  PetscCall(SkuaPDEGetNumNodes(pde, &nn));
  PetscCheck(M == nn, comm, PETSC_ERR_ARG_SIZ, "KSP operator has %" PetscInt_FMT " rows but the PDE grid has %" PetscInt_FMT "^%" PetscInt_FMT " nodes", M, n, dim);
  PetscFunctionReturn(0);
}

static PetscErrorCode SetPCName(PC pc, const char *name)
{
  PetscFunctionBegin;
  PetscCall(PetscObjectSetName((PetscObject)pc, name));
  PetscFunctionReturn(0);
}

/* First call: choose the preset, write its options, build what it needs, then KSPSetFromOptions. */
static PetscErrorCode SkuaMGBuild(KSP ksp, SkuaMG_Ctx *mg, SkuaPDE pde, PetscReal *const *fields)
{
  const char *prefix;
  PC          pc;
  PetscBool   userpc, ismg;

  PetscFunctionBegin;
  PetscCall(KSPGetOptionsPrefix(ksp, &prefix));
  PetscCall(KSPGetPC(ksp, &pc));
  PetscCall(UserSet(prefix, "-pc_type", &userpc));
  if (pde) PetscCall(SkuaPDEGetDimension(pde, &mg->dim));
  switch (mg->type) {
  case SKUA_MG_NONE:
    break;
  case SKUA_MG_GAMG:
    if (mg->dim == 3) PetscCall(InsertPreset(prefix, GAMG3DOptions));
    PetscCall(InsertPreset(prefix, GAMGOptions));
    if (!userpc) PetscCall(PCSetType(pc, PCGAMG));
    PetscCall(KSPSetFromOptions(ksp));
    PetscCall(PetscObjectTypeCompare((PetscObject)pc, PCGAMG, &ismg));
    if (ismg) PetscCall(SetPCName(pc, "skua_mg_gamg")); /* a user -pc_type of another kind keeps its plain name */
    break;
  case SKUA_MG_BOOMERAMG:
    if (mg->dim == 3) PetscCall(InsertPreset(prefix, BoomerAMG3DOptions));
    PetscCall(InsertPreset(prefix, BoomerAMGOptions));
    if (!userpc) PetscCall(PCSetType(pc, PCHYPRE));
    PetscCall(KSPSetFromOptions(ksp));
    PetscCall(PetscObjectTypeCompare((PetscObject)pc, PCHYPRE, &ismg));
    if (ismg) PetscCall(SetPCName(pc, "skua_mg_boomeramg")); /* a user -pc_type of another kind keeps its plain name */
    break;
  case SKUA_MG_GEOMETRIC:
    PetscCall(SkuaMGHierarchyCreate(mg, pde));
    PetscCall(SkuaMGHierarchyUpdate(mg, pde, fields));
    if (!userpc) PetscCall(PCSetType(pc, PCMG));
    PetscCall(KSPSetFromOptions(ksp));
    PetscCall(PetscObjectTypeCompare((PetscObject)pc, PCMG, &ismg));
    if (ismg) {
      PetscCall(SkuaMGHierarchyAttach(mg, pc));
      PetscCall(SetPCName(pc, mg->galerkin ? "skua_mg_geometric_galerkin" : "skua_mg_geometric"));
    } else PetscCall(PetscInfo(ksp, "-pc_type given by the user: the geometric hierarchy is built but not used\n"));
    break;
  case SKUA_MG_SHIFTED: {
    Mat         A;
    KSP         inner;
    PC          ipc;
    const char *iprefix;
    PetscBool   ispcksp, set;

    PetscCall(SkuaMGHierarchyCreate(mg, pde));
    PetscCall(SkuaMGHierarchyUpdate(mg, pde, fields));
    /* The Krylov method iterates with A; only the preconditioner sees M. PCKSP hands its Pmat (M) to an
       inner preonly KSP as both operators, so the inner PCMG smooths and corrects M, never the indefinite A. */
    PetscCall(KSPGetOperators(ksp, &A, NULL));
    PetscCall(KSPSetOperators(ksp, A, mg->A[0]));
    if (!userpc) PetscCall(PCSetType(pc, PCKSP));
    PetscCall(KSPSetFromOptions(ksp));
    PetscCall(PetscObjectTypeCompare((PetscObject)pc, PCKSP, &ispcksp));
    if (!ispcksp) {
      PetscCall(PetscInfo(ksp, "-pc_type given by the user: it preconditions with the shifted operator M directly\n"));
      break;
    }
    PetscCall(SetPCName(pc, "skua_mg_shifted"));
    PetscCall(PCKSPGetKSP(pc, &inner));
    PetscCall(KSPGetOptionsPrefix(inner, &iprefix));
    PetscCall(UserSet(iprefix, "-ksp_type", &set));
    if (!set) PetscCall(KSPSetType(inner, KSPPREONLY)); /* one V-cycle: a fixed linear operator, fine for GMRES and gcrodr */
    PetscCall(KSPGetPC(inner, &ipc));
    PetscCall(UserSet(iprefix, "-pc_type", &set));
    if (!set) PetscCall(PCSetType(ipc, PCMG));
    PetscCall(KSPSetFromOptions(inner));
    PetscCall(PetscObjectTypeCompare((PetscObject)ipc, PCMG, &ismg));
    if (ismg) {
      PetscCall(SkuaMGHierarchyAttach(mg, ipc));
      PetscCall(SetPCName(ipc, "skua_mg_shifted_laplacian"));
    }
  } break;
  }
  mg->nbuild++;
  mg->setup = PETSC_TRUE;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaMGSetUp(KSP ksp, SkuaPDE pde, PetscReal *const *fields)
{
  SkuaMG_Ctx *mg;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(ksp, KSP_CLASSID, 1);
  PetscCall(SkuaMGInitializePackage());
  PetscCall(SkuaMGGetCtx(ksp, PETSC_TRUE, &mg));
  /* every input check before the event begins, so a caught error leaves the log balanced */
  if (!mg->setup) {
    PetscCall(SkuaMGSetFromOptions(ksp, mg));
    if (mg->type == SKUA_MG_GEOMETRIC && pde) {
      SkuaPDEFamily fam;
      PetscCall(SkuaPDEGetFamily(pde, &fam));
      if (fam == SKUA_PDE_HELMHOLTZ) {
        /* smoothing and coarse correction both fail on an indefinite operator; precondition with the SPD shifted one */
        PetscCall(PetscInfo(ksp, "-skua_mg geometric on helmholtz selects the shifted-Laplacian preset\n"));
        mg->type = SKUA_MG_SHIFTED;
      }
    }
  }
  if (mg->type == SKUA_MG_GEOMETRIC || mg->type == SKUA_MG_SHIFTED) PetscCall(CheckPDE(ksp, mg, pde, fields));
  if (mg->type == SKUA_MG_SHIFTED) {
    SkuaPDEFamily fam;
    PetscCall(SkuaPDEGetFamily(pde, &fam));
    PetscCheck(fam == SKUA_PDE_HELMHOLTZ, PetscObjectComm((PetscObject)ksp), PETSC_ERR_ARG_WRONG, "-skua_mg shifted applies to the helmholtz family only, not %s; use geometric", SkuaPDEFamilies[fam]);
  }
  PetscCall(PetscLogEventBegin(SKUAMG_SetUp, ksp, 0, 0, 0));
  if (!mg->setup) PetscCall(SkuaMGBuild(ksp, mg, pde, fields));
  else if (mg->type == SKUA_MG_GEOMETRIC || mg->type == SKUA_MG_SHIFTED) {
    PetscInt n;
    PetscCall(SkuaPDEGetSize(pde, &n));
    PetscCheck(!mg->nlevels || n == mg->n[0], PetscObjectComm((PetscObject)ksp), PETSC_ERR_ARG_SIZ, "The hierarchy was built for n = %" PetscInt_FMT ", this PDE has n = %" PetscInt_FMT "; use a new KSP for a new grid", mg->n[0], n);
    PetscCall(SkuaMGHierarchyUpdate(mg, pde, fields));
    if (mg->type == SKUA_MG_SHIFTED) {
      Mat A, P;
      /* a driver that called KSPSetOperators(ksp, A, A) again would otherwise precondition with A */
      PetscCall(KSPGetOperators(ksp, &A, &P));
      if (P != mg->A[0]) PetscCall(KSPSetOperators(ksp, A, mg->A[0]));
    }
  }
  /* gamg and boomeramg need nothing per sample: PCSetUp sees the changed matrix and GAMG reuses its
     interpolation (-pc_gamg_reuse_interpolation); BoomerAMG redoes its whole setup. */
  PetscCall(PetscLogEventEnd(SKUAMG_SetUp, ksp, 0, 0, 0));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaMGView(KSP ksp, PetscViewer viewer)
{
  SkuaMG_Ctx *mg;
  PetscBool   iascii;

  PetscFunctionBegin;
  if (!viewer) PetscCall(PetscViewerASCIIGetStdout(PetscObjectComm((PetscObject)ksp), &viewer));
  PetscCall(PetscObjectTypeCompare((PetscObject)viewer, PETSCVIEWERASCII, &iascii));
  if (!iascii) PetscFunctionReturn(0);
  PetscCall(SkuaMGGetCtx(ksp, PETSC_FALSE, &mg));
  if (!mg || !mg->setup) {
    PetscCall(PetscViewerASCIIPrintf(viewer, "SkuaMG: not set up\n"));
    PetscFunctionReturn(0);
  }
  PetscCall(PetscViewerASCIIPrintf(viewer, "SkuaMG: preset %s, hierarchy builds %" PetscInt_FMT ", operator updates %" PetscInt_FMT "\n", SkuaMGTypes[mg->type], mg->nbuild, mg->nupdate));
  if (mg->nlevels) {
    PetscCall(PetscViewerASCIIPrintf(viewer, "  %" PetscInt_FMT " levels of %" PetscInt_FMT "-D grids, n =", mg->nlevels, mg->dim));
    PetscCall(PetscViewerASCIIUseTabs(viewer, PETSC_FALSE));
    for (PetscInt k = 0; k < mg->nlevels; k++) PetscCall(PetscViewerASCIIPrintf(viewer, " %" PetscInt_FMT, mg->n[k]));
    PetscCall(PetscViewerASCIIPrintf(viewer, "\n"));
    PetscCall(PetscViewerASCIIUseTabs(viewer, PETSC_TRUE));
    PetscCall(PetscViewerASCIIPrintf(viewer, "  coarse operators: %s", mg->galerkin ? "Galerkin P^T A P\n" : "re-discretised, "));
    if (!mg->galerkin) PetscCall(PetscViewerASCIIPrintf(viewer, "coefficient average %s\n", SkuaMGAverages[mg->average]));
    if (mg->type == SKUA_MG_SHIFTED) PetscCall(PetscViewerASCIIPrintf(viewer, "  preconditioner operator M = -lap + %g kappa^2\n", (double)mg->shift));
  }
  PetscFunctionReturn(0);
}
