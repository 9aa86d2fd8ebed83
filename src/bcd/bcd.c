/* SkuaBCD object: options, set-up and the outer loop of block coordinate descent (Nutini, Laradji, Schmidt, JMLR 2022). */
#include "bcdimpl.h"

const char *const SkuaBCDLossTypes[]      = {"squared", "logistic", "quadratic", "softmax", "sqhinge", "SkuaBCDLossType", "SKUA_BCD_LOSS_", NULL};
const char *const SkuaBCDRuleTypes[]      = {"cyclic", "random", "perm", "lipschitz", "gs", "gsl", "gsd", "gsq", "SkuaBCDRuleType", "SKUA_BCD_RULE_", NULL};
const char *const SkuaBCDUpdateTypes[]    = {"gradient", "linesearch", "newton", "exact", "SkuaBCDUpdateType", "SKUA_BCD_UPDATE_", NULL};
const char *const SkuaBCDPartitionTypes[] = {"contiguous", "variable", "active", "tree", "sorted", "SkuaBCDPartitionType", "SKUA_BCD_PARTITION_", NULL};

PetscLogEvent    SkuaBCD_Select, SkuaBCD_Update, SkuaBCD_Gradient, SkuaBCD_Trace, SkuaBCD_SetUp, SkuaBCD_Read;
static PetscBool registered = PETSC_FALSE;

PetscErrorCode SkuaBCDInitializePackage(void)
{
  PetscClassId id;

  PetscFunctionBegin;
  if (registered) PetscFunctionReturn(0);
  registered = PETSC_TRUE;
  PetscCall(PetscClassIdRegister("Skua BCD", &id));
  PetscCall(PetscLogEventRegister("SkuaBCD_Read", id, &SkuaBCD_Read));
  PetscCall(PetscLogEventRegister("SkuaBCD_SetUp", id, &SkuaBCD_SetUp));
  PetscCall(PetscLogEventRegister("SkuaBCD_Select", id, &SkuaBCD_Select));
  PetscCall(PetscLogEventRegister("SkuaBCD_Update", id, &SkuaBCD_Update));
  PetscCall(PetscLogEventRegister("SkuaBCD_Gradient", id, &SkuaBCD_Gradient));
  PetscCall(PetscLogEventRegister("SkuaBCD_Trace", id, &SkuaBCD_Trace));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaBCDCreate(MPI_Comm comm, SkuaBCD *bcd)
{
  SkuaBCD b;

  PetscFunctionBegin;
  PetscCall(SkuaBCDInitializePackage());
  PetscCall(PetscNew(&b));
  b->comm = comm;
  PetscCallMPI(MPI_Comm_rank(comm, &b->rank));
  PetscCallMPI(MPI_Comm_size(comm, &b->size));
  b->loss         = SKUA_BCD_LOSS_SQUARED;
  b->rule         = SKUA_BCD_RULE_GSL;
  b->update       = SKUA_BCD_UPDATE_GRADIENT;
  b->partition    = SKUA_BCD_PARTITION_CONTIGUOUS;
  b->bs           = 5;
  b->tol          = 1e-6;
  b->max_it       = 100000;
  b->trace_every  = 1;
  b->seed         = 1;
  b->ls_max       = 50;
  b->newton_inner = 100;
  b->active_sync  = PETSC_TRUE;
  b->active_chunks = 2;
  b->perm_epoch   = -1;
  b->nc           = 1;
  *bcd            = b;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaBCDDestroy(SkuaBCD *bcd)
{
  SkuaBCD b = *bcd;

  PetscFunctionBegin;
  if (!b) PetscFunctionReturn(0);
  PetscCall(PetscFree(b->ccp));
  PetscCall(PetscFree(b->cri));
  PetscCall(PetscFree(b->ccv));
  PetscCall(PetscFree(b->rrp));
  PetscCall(PetscFree(b->rci));
  PetscCall(PetscFree(b->rrv));
  PetscCall(PetscFree(b->b));
  PetscCall(PetscFree2(b->s, b->o));
  PetscCall(PetscFree(b->bstart));
  PetscCall(PetscFree(b->bcoord));
  PetscCall(PetscFree(b->Hq));
  PetscCall(PetscFree(b->Hqoff));
  PetscCall(PetscFree4(b->Lb, b->Lest, b->Lcum, b->perm));
  PetscCall(PetscFree5(b->Lc, b->x, b->g, b->gl, b->score));
  PetscCall(PetscFree4(b->u, b->dz, b->wv, b->mark));
  PetscCall(PetscFree(b->touched));
  PetscCall(PetscFree(b->ylab));
  PetscCall(PetscFree(b->P));
  PetscCall(PetscFree(b->bpos));
  PetscCall(SkuaBCDActiveDestroy(b));
  PetscCall(SkuaBCDTreeDestroy(b));
  PetscCall(PetscFree2(b->feat, b->fscore));
  PetscCall(PetscFree6(b->cand, b->Kc, b->Kw, b->dq, b->dq2, b->gq));
  PetscCall(PetscFree6(b->blk, b->heap, b->gb, b->db, b->H, b->Hw));
  PetscCall(PetscFree5(b->tr_it, b->tr_obj, b->tr_sec, b->tr_gnorm, b->tr_blk));
  PetscCall(PetscFree(b));
  *bcd = NULL;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaBCDSetLoss(SkuaBCD bcd, SkuaBCDLossType t)
{
  PetscFunctionBegin;
  bcd->loss = t;
  PetscFunctionReturn(0);
}
PetscErrorCode SkuaBCDSetRule(SkuaBCD bcd, SkuaBCDRuleType t)
{
  PetscFunctionBegin;
  bcd->rule = t;
  PetscFunctionReturn(0);
}
PetscErrorCode SkuaBCDSetUpdate(SkuaBCD bcd, SkuaBCDUpdateType t)
{
  PetscFunctionBegin;
  bcd->update = t;
  PetscFunctionReturn(0);
}
PetscErrorCode SkuaBCDSetPartition(SkuaBCD bcd, SkuaBCDPartitionType t, PetscInt bs)
{
  PetscFunctionBegin;
  bcd->partition = t;
  if (bs > 0) {
    bcd->bs     = bs;
    bcd->bs_set = PETSC_TRUE;
  }
  PetscFunctionReturn(0);
}
PetscErrorCode SkuaBCDSetRegularization(SkuaBCD bcd, PetscReal l1, PetscReal l2, PetscReal rho)
{
  PetscFunctionBegin;
  bcd->l1  = l1;
  bcd->l2  = l2;
  bcd->rho = rho;
  PetscFunctionReturn(0);
}
PetscErrorCode SkuaBCDSetTolerances(SkuaBCD bcd, PetscReal tol, PetscInt max_it)
{
  PetscFunctionBegin;
  bcd->tol    = tol;
  bcd->max_it = max_it;
  PetscFunctionReturn(0);
}
PetscErrorCode SkuaBCDSetMonitor(SkuaBCD bcd, SkuaBCDMonitorFn fn, void *ctx)
{
  PetscFunctionBegin;
  bcd->monitor = fn;
  bcd->monctx  = ctx;
  PetscFunctionReturn(0);
}

/* PetscOptionsEnum rejects an unknown value on each rank separately; checking first gives one collective
   message that names the option and lists the choices. */
static PetscErrorCode CheckEnumOption(SkuaBCD bcd, const char opt[], const char *const list[])
{
  char      val[64], choices[256] = "";
  PetscBool set, found = PETSC_FALSE;

  PetscFunctionBegin;
  PetscCall(PetscOptionsGetString(NULL, NULL, opt, val, sizeof(val), &set));
  if (!set) PetscFunctionReturn(0);
  for (PetscInt i = 0; list[i + 2]; i++) {
    PetscBool eq;
    PetscCall(PetscStrcasecmp(val, list[i], &eq));
    found = (PetscBool)(found || eq);
    PetscCall(PetscStrlcat(choices, i ? ", " : "", sizeof(choices)));
    PetscCall(PetscStrlcat(choices, list[i], sizeof(choices)));
  }
  PetscCheck(found, bcd->comm, PETSC_ERR_USER_INPUT, "%s %s: unknown value; choose one of %s", opt, val, choices);
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaBCDSetFromOptions(SkuaBCD bcd)
{
  PetscBool set;

  PetscFunctionBegin;
  PetscCall(CheckEnumOption(bcd, "-bcd_loss", SkuaBCDLossTypes));
  PetscCall(CheckEnumOption(bcd, "-bcd_rule", SkuaBCDRuleTypes));
  PetscCall(CheckEnumOption(bcd, "-bcd_update", SkuaBCDUpdateTypes));
  PetscCall(CheckEnumOption(bcd, "-bcd_partition", SkuaBCDPartitionTypes));
  /* A generated or annotated problem says which loss it was made for; -bcd_loss overrides it. */
  if (bcd->suggested_loss[0]) {
    PetscBool found = PETSC_FALSE;
    for (PetscInt i = 0; SkuaBCDLossTypes[i + 2] && !found; i++) {
      PetscCall(PetscStrcmp(bcd->suggested_loss, SkuaBCDLossTypes[i], &found));
      if (found) bcd->loss = (SkuaBCDLossType)i;
    }
    PetscCheck(found, bcd->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: root attribute 'loss' is '%s'; it must be 'squared', 'logistic', 'quadratic', 'softmax' or 'sqhinge' (or remove it and give -bcd_loss)", bcd->source, bcd->suggested_loss);
  }
  PetscOptionsBegin(bcd->comm, NULL, "Block coordinate descent (SkuaBCD) options", NULL);
  PetscCall(PetscOptionsEnum("-bcd_loss", "Loss f: squared 1/2|Ax-b|^2, logistic sum log(1+exp(-b_i a_i^T x)), quadratic 1/2 x^T A x - b^T x (A SPD), softmax (labels 0..C-1, x is d x C), sqhinge sum max(0, 1 - b_i a_i^T x)^2 (LIBLINEAR -s 2)", "SkuaBCDSetLoss", SkuaBCDLossTypes, (PetscEnum)bcd->loss, (PetscEnum *)&bcd->loss, NULL));
  PetscCall(PetscOptionsInt("-bcd_classes", "Softmax: number of classes C (0: largest label + 1)", NULL, bcd->classes, &bcd->classes, NULL));
  PetscCall(PetscOptionsReal("-bcd_l2", "L2 regulariser l2/2 |x|^2 (LIBLINEAR's cost C is l2 = 1/C)", "SkuaBCDSetRegularization", bcd->l2, &bcd->l2, NULL));
  PetscCall(PetscOptionsReal("-bcd_l1", "L1 regulariser l1 |x|_1 (proximal updates)", "SkuaBCDSetRegularization", bcd->l1, &bcd->l1, NULL));
  PetscCall(PetscOptionsReal("-bcd_prox", "BCD-PR: add rho/2 |x_b - x_b^k|^2 to every block subproblem", "SkuaBCDSetRegularization", bcd->rho, &bcd->rho, NULL));
  PetscCall(PetscOptionsEnum("-bcd_partition", "Blocks: contiguous (fixed, of -bcd_block_size), sorted (fixed, of features sorted by their Lipschitz constants), variable (greedy top-tau coordinates each iteration), active (proximal Newton on the active set), tree (forests of A's graph solved by message passing; quadratic loss)", "SkuaBCDSetPartition", SkuaBCDPartitionTypes, (PetscEnum)bcd->partition, (PetscEnum *)&bcd->partition, NULL));
  PetscCall(PetscOptionsInt("-bcd_block_size", "Block size tau (tree: the largest forest; default no limit)", "SkuaBCDSetPartition", bcd->bs, &bcd->bs, &set));
  if (set) bcd->bs_set = PETSC_TRUE;
  PetscCall(PetscOptionsEnum("-bcd_rule", "Selection: cyclic, random, perm, lipschitz, gs, gsl, gsd, gsq", "SkuaBCDSetRule", SkuaBCDRuleTypes, (PetscEnum)bcd->rule, (PetscEnum *)&bcd->rule, NULL));
  PetscCall(PetscOptionsEnum("-bcd_update", "Block update: gradient (1/L_b), linesearch (backtracking), newton (block Newton, Armijo), exact (block minimisation; squared and quadratic losses)", "SkuaBCDSetUpdate", SkuaBCDUpdateTypes, (PetscEnum)bcd->update, (PetscEnum *)&bcd->update, NULL));
  PetscCall(PetscOptionsReal("-bcd_tol", "Stop when |x - prox(x - grad f)| <= tol (checked at trace points)", "SkuaBCDSetTolerances", bcd->tol, &bcd->tol, NULL));
  PetscCall(PetscOptionsInt("-bcd_max_it", "Maximum number of block updates", "SkuaBCDSetTolerances", bcd->max_it, &bcd->max_it, NULL));
  PetscCall(PetscOptionsInt("-bcd_trace_every", "Record objective and gradient-mapping norm (and test -bcd_tol) every k block updates", NULL, bcd->trace_every, &bcd->trace_every, NULL));
  PetscCall(PetscOptionsInt("-bcd_seed", "Seed of the random rules (draw k comes from stream (seed, k) on every rank)", NULL, bcd->seed, &bcd->seed, NULL));
  PetscCall(PetscOptionsInt("-bcd_ls_max", "Maximum backtracking steps per block update", NULL, bcd->ls_max, &bcd->ls_max, &set));
  PetscCall(PetscOptionsBool("-bcd_active_sync", "At np > 1, -bcd_partition active exchanges A d after every inner sweep (coupled model); false: once per Newton step (block-diagonal model)", NULL, bcd->active_sync, &bcd->active_sync, NULL));
  PetscCall(PetscOptionsInt("-bcd_active_chunks", "At np > 1 with -bcd_active_sync, each rank sweeps its active columns in this many chunks and A d is exchanged after each (1: once per sweep)", NULL, bcd->active_chunks, &bcd->active_chunks, NULL));
  PetscCall(PetscOptionsInt("-bcd_newton_inner", "Coordinate sweeps of the proximal-Newton block model (with -bcd_l1)", NULL, bcd->newton_inner, &bcd->newton_inner, NULL));
  PetscOptionsEnd();
  PetscFunctionReturn(0);
}

static PetscErrorCode RecordSettings(SkuaBCD bcd)
{
  PetscFunctionBegin;
#define SET(nm, ...) \
  do { \
    PetscCall(PetscStrncpy(bcd->setnames[bcd->nset], nm, sizeof(bcd->setnames[0]))); \
    PetscCall(PetscSNPrintf(bcd->setvals[bcd->nset], sizeof(bcd->setvals[0]), __VA_ARGS__)); \
    bcd->setnp[bcd->nset] = bcd->setnames[bcd->nset]; \
    bcd->setvp[bcd->nset] = bcd->setvals[bcd->nset]; \
    bcd->nset++; \
  } while (0)
  bcd->nset = 0;
  SET("problem", "%s", bcd->source);
  SET("bcd_loss", "%s", SkuaBCDLossTypes[bcd->loss]);
  SET("bcd_classes", "%" PetscInt_FMT, bcd->nc);
  SET("bcd_l1", "%.17g", (double)bcd->l1);
  SET("bcd_l2", "%.17g", (double)bcd->l2);
  SET("bcd_prox", "%.17g", (double)bcd->rho);
  SET("bcd_partition", "%s", SkuaBCDPartitionTypes[bcd->partition]);
  SET("bcd_block_size", "%" PetscInt_FMT, bcd->bs);
  SET("bcd_rule", "%s", SkuaBCDRuleTypes[bcd->rule]);
  SET("bcd_update", "%s", SkuaBCDUpdateTypes[bcd->update]);
  SET("bcd_tol", "%.17g", (double)bcd->tol);
  SET("bcd_max_it", "%" PetscInt_FMT, bcd->max_it);
  SET("bcd_trace_every", "%" PetscInt_FMT, bcd->trace_every);
  SET("bcd_seed", "%" PetscInt_FMT, bcd->seed);
  SET("bcd_ls_max", "%" PetscInt_FMT, bcd->ls_max);
  SET("bcd_newton_inner", "%" PetscInt_FMT, bcd->newton_inner);
  SET("bcd_active_sync", "%s", bcd->active_sync ? "true" : "false");
  SET("bcd_active_chunks", "%" PetscInt_FMT, bcd->active_chunks);
#undef SET
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaBCDGetSettings(SkuaBCD bcd, PetscInt *n, const char *const *names[], const char *const *values[])
{
  PetscFunctionBegin;
  PetscCall(RecordSettings(bcd));
  *n      = bcd->nset;
  *names  = bcd->setnp;
  *values = bcd->setvp;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaBCDGetSizes(SkuaBCD bcd, PetscInt *m, PetscInt *d, PetscInt *nnz)
{
  PetscFunctionBegin;
  if (m) *m = bcd->m;
  if (d) *d = bcd->d;
  if (nnz) *nnz = bcd->nnz;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaBCDSetUp(SkuaBCD bcd)
{
  PetscInt bs;
  char     num[32];

  PetscFunctionBegin;
  if (bcd->setup) PetscFunctionReturn(0);
  PetscCheck(bcd->has_data, bcd->comm, PETSC_ERR_ORDER, "SkuaBCDSetUp: no problem; call SkuaBCDSetProblemFile, SkuaBCDSetProblemCSR or SkuaBCDGenerate first");
  /* Reject every bad setting before any work, with the option's name. */
  PetscCheck(bcd->l1 >= 0 && !PetscIsInfOrNanReal(bcd->l1), bcd->comm, PETSC_ERR_ARG_OUTOFRANGE, "-bcd_l1 %s: the L1 weight must be a finite number >= 0", SkuaBCDNum(num, (double)bcd->l1));
  PetscCheck(bcd->l2 >= 0 && !PetscIsInfOrNanReal(bcd->l2), bcd->comm, PETSC_ERR_ARG_OUTOFRANGE, "-bcd_l2 %s: the L2 weight must be a finite number >= 0", SkuaBCDNum(num, (double)bcd->l2));
  PetscCheck(bcd->rho >= 0 && !PetscIsInfOrNanReal(bcd->rho), bcd->comm, PETSC_ERR_ARG_OUTOFRANGE, "-bcd_prox %s: the proximal weight rho must be a finite number >= 0", SkuaBCDNum(num, (double)bcd->rho));
  PetscCheck(bcd->tol >= 0 && !PetscIsInfOrNanReal(bcd->tol), bcd->comm, PETSC_ERR_ARG_OUTOFRANGE, "-bcd_tol %s must be a finite number >= 0", SkuaBCDNum(num, (double)bcd->tol));
  PetscCheck(bcd->bs >= 1, bcd->comm, PETSC_ERR_ARG_OUTOFRANGE, "-bcd_block_size %" PetscInt_FMT " must be >= 1", bcd->bs);
  PetscCheck(bcd->max_it >= 0, bcd->comm, PETSC_ERR_ARG_OUTOFRANGE, "-bcd_max_it %" PetscInt_FMT " must be >= 0", bcd->max_it);
  PetscCheck(bcd->trace_every >= 1, bcd->comm, PETSC_ERR_ARG_OUTOFRANGE, "-bcd_trace_every %" PetscInt_FMT " must be >= 1", bcd->trace_every);
  PetscCheck(bcd->ls_max >= 1 && bcd->newton_inner >= 1, bcd->comm, PETSC_ERR_ARG_OUTOFRANGE, "-bcd_ls_max and -bcd_newton_inner must be >= 1");
  PetscCheck(bcd->active_chunks >= 1, bcd->comm, PETSC_ERR_ARG_OUTOFRANGE, "-bcd_active_chunks %" PetscInt_FMT " must be >= 1", bcd->active_chunks);
  PetscCall(SkuaBCDGetLossOps(bcd->loss, &bcd->lops));
  PetscCall(SkuaBCDGetRuleOps(bcd->rule, &bcd->rops));
  PetscCall(SkuaBCDGetUpdateOps(bcd->update, &bcd->uops));
  PetscCheck(bcd->classes >= 0, bcd->comm, PETSC_ERR_ARG_OUTOFRANGE, "-bcd_classes %" PetscInt_FMT " must be >= 0 (0: the largest label + 1)", bcd->classes);
  PetscCheck(bcd->partition != SKUA_BCD_PARTITION_VARIABLE || bcd->rops->greedy, bcd->comm, PETSC_ERR_ARG_INCOMP, "-bcd_partition variable chooses the tau coordinates with the largest gradient scores every iteration, so it needs -bcd_rule gs, gsl, gsd or gsq, not %s", SkuaBCDRuleTypes[bcd->rule]);
  PetscCheck(bcd->partition != SKUA_BCD_PARTITION_ACTIVE || ((bcd->loss == SKUA_BCD_LOSS_SQUARED || bcd->loss == SKUA_BCD_LOSS_LOGISTIC || bcd->loss == SKUA_BCD_LOSS_SQHINGE) && (bcd->update == SKUA_BCD_UPDATE_NEWTON || bcd->update == SKUA_BCD_UPDATE_EXACT)), bcd->comm, PETSC_ERR_ARG_INCOMP, "-bcd_partition active (proximal Newton over the active set, inner coordinate descent) needs -bcd_loss squared, logistic or sqhinge and -bcd_update newton, not %s and %s", SkuaBCDLossTypes[bcd->loss], SkuaBCDUpdateTypes[bcd->update]);
  if (bcd->partition == SKUA_BCD_PARTITION_TREE) {
    PetscCheck(bcd->loss == SKUA_BCD_LOSS_QUADRATIC, bcd->comm, PETSC_ERR_ARG_INCOMP, "-bcd_partition tree takes its forests from the graph of A, so it needs -bcd_loss quadratic (f = 1/2 x^T A x - b^T x), not %s", SkuaBCDLossTypes[bcd->loss]);
    PetscCheck(bcd->l1 == 0, bcd->comm, PETSC_ERR_ARG_INCOMP, "-bcd_partition tree solves each forest block exactly by message passing, which has no L1 form; drop -bcd_l1 or use -bcd_partition contiguous or variable");
    PetscCheck(bcd->update == SKUA_BCD_UPDATE_EXACT || bcd->update == SKUA_BCD_UPDATE_NEWTON, bcd->comm, PETSC_ERR_ARG_INCOMP, "-bcd_partition tree needs -bcd_update exact (or newton, the same for a quadratic), not %s: a forest block is solved, not stepped", SkuaBCDUpdateTypes[bcd->update]);
    PetscCheck(bcd->rule != SKUA_BCD_RULE_LIPSCHITZ, bcd->comm, PETSC_ERR_ARG_INCOMP, "-bcd_partition tree: -bcd_rule lipschitz needs block Lipschitz constants of the forests; use cyclic, random, perm (fixed forests) or gs, gsl, gsd, gsq (a greedy forest per iteration)");
  }
  PetscCheck(bcd->update != SKUA_BCD_UPDATE_EXACT || bcd->lops->exact_quadratic, bcd->comm, PETSC_ERR_ARG_INCOMP, "-bcd_update exact minimises each block subproblem in closed form, which needs a loss that is quadratic in x (-bcd_loss squared or quadratic), not %s; use -bcd_update newton", SkuaBCDLossTypes[bcd->loss]);
  PetscCall(PetscLogEventBegin(SkuaBCD_SetUp, 0, 0, 0, 0));
  bs = PetscMin(bcd->bs, bcd->d); /* features per block */
  if (bcd->partition == SKUA_BCD_PARTITION_TREE && !bcd->bs_set) bs = bcd->d;

  PetscCall(PetscMalloc2(bcd->mloc + 1, &bcd->s, bcd->mloc + 1, &bcd->o));
  bcd->nc = 1;
  PetscCall(bcd->lops->setup(bcd)); /* softmax sets nc */
  bcd->nx  = bcd->d * bcd->nc;
  bcd->bsf = bs;
  bcd->nb  = SkuaBCDFixedBlocks(bcd) ? (bcd->d + bs - 1) / bs : 0;
  if (bcd->partition == SKUA_BCD_PARTITION_TREE) {
    bcd->bs = bs;
    PetscCall(SkuaBCDTreeSetUp(bcd)); /* fixed forests: nb, bstart and bcoord */
  }
  if (!bcd->bstart) {
    PetscCall(PetscMalloc1(bcd->nb + 1, &bcd->bstart));
    for (PetscInt j = 0; j <= bcd->nb; j++) bcd->bstart[j] = PetscMin(j * bs, bcd->d) * bcd->nc;
  }
  PetscCall(PetscMalloc4(bcd->nb + 1, &bcd->Lb, bcd->nb + 1, &bcd->Lest, bcd->nb + 1, &bcd->Lcum, bcd->nb + 1, &bcd->perm));
  PetscCall(PetscCalloc5(bcd->nx, &bcd->Lc, bcd->nx, &bcd->x, bcd->nx, &bcd->g, bcd->nx, &bcd->gl, bcd->nx, &bcd->score));
  PetscCall(PetscCalloc4(bcd->mloc * bcd->nc + 1, &bcd->u, bcd->mloc * bcd->nc + 1, &bcd->dz, bcd->mloc + 1, &bcd->wv, bcd->mloc + 1, &bcd->mark));
  PetscCall(PetscMalloc1(bcd->mloc + 1, &bcd->touched));
  PetscCall(PetscMalloc2(bs, &bcd->feat, bcd->d, &bcd->fscore));
  bcd->bs = bs;
  {
    PetscInt n = bs * bcd->nc, nh = bcd->partition == SKUA_BCD_PARTITION_TREE ? 1 : n; /* coordinates per block; forests need no dense Hessian */
    PetscCall(PetscMalloc6(n, &bcd->blk, n, &bcd->heap, n, &bcd->gb, n, &bcd->db, nh * nh, &bcd->H, nh * nh + 4 * nh, &bcd->Hw));
  }
  if (bcd->rule == SKUA_BCD_RULE_GSQ && bcd->partition == SKUA_BCD_PARTITION_VARIABLE) {
    PetscInt M = PetscMin(4 * bs, bcd->d); /* candidate features of the approximate variable-block GSQ rule */
    PetscCall(PetscMalloc6(M, &bcd->cand, M * M, &bcd->Kc, M * M + 4 * M, &bcd->Kw, M * bcd->nc, &bcd->dq, M * bcd->nc, &bcd->dq2, 2 * M * bcd->nc, &bcd->gq));
  }
  PetscCall(SkuaBCDLipschitzSetUp(bcd));
  /* x = 0, so u = o (the residual -b, or zero margins); Ax = 0 and the scores XW = 0 for quadratic and softmax. */
  if (bcd->nc == 1)
    for (PetscInt i = 0; i < bcd->mloc; i++) bcd->u[i] = bcd->o[i];
  if (bcd->P)
    for (PetscInt i = 0; i < bcd->mloc * bcd->nc; i++) bcd->P[i] = 1.0 / bcd->nc;
  PetscCall(RecordSettings(bcd));
  PetscCall(PetscLogEventEnd(SkuaBCD_SetUp, 0, 0, 0, 0));
  bcd->setup = PETSC_TRUE;
  PetscFunctionReturn(0);
}

/* Appends a trace point (F and the gradient-mapping norm computed by the caller). */
PetscErrorCode SkuaBCDRecordTrace(SkuaBCD bcd, PetscInt it, PetscReal F, PetscReal gnorm, PetscReal seconds)
{
  PetscFunctionBegin;
  if (bcd->ntrace == bcd->trace_cap) {
    PetscInt   cap = 2 * bcd->trace_cap + 64, *ti;
    PetscReal *to, *ts, *tg, *tb;
    PetscCall(PetscMalloc5(cap, &ti, cap, &to, cap, &ts, cap, &tg, cap, &tb));
    PetscCall(PetscArraycpy(ti, bcd->tr_it, bcd->ntrace));
    PetscCall(PetscArraycpy(to, bcd->tr_obj, bcd->ntrace));
    PetscCall(PetscArraycpy(ts, bcd->tr_sec, bcd->ntrace));
    PetscCall(PetscArraycpy(tg, bcd->tr_gnorm, bcd->ntrace));
    PetscCall(PetscArraycpy(tb, bcd->tr_blk, bcd->ntrace));
    PetscCall(PetscFree5(bcd->tr_it, bcd->tr_obj, bcd->tr_sec, bcd->tr_gnorm, bcd->tr_blk));
    bcd->tr_it     = ti;
    bcd->tr_obj    = to;
    bcd->tr_sec    = ts;
    bcd->tr_gnorm  = tg;
    bcd->tr_blk    = tb;
    bcd->trace_cap = cap;
  }
  bcd->tr_it[bcd->ntrace]    = it;
  bcd->tr_obj[bcd->ntrace]   = F;
  bcd->tr_sec[bcd->ntrace]   = seconds;
  bcd->tr_gnorm[bcd->ntrace] = gnorm;
  bcd->tr_blk[bcd->ntrace]   = it ? (PetscReal)bcd->blkid : -1;
  bcd->ntrace++;
  if (bcd->monitor) PetscCall(bcd->monitor(bcd, it, F, gnorm, seconds, bcd->monctx));
  PetscFunctionReturn(0);
}

static PetscErrorCode TracePoint(SkuaBCD bcd, PetscInt it, PetscReal seconds, PetscReal *gnorm)
{
  PetscReal F;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(SkuaBCD_Trace, 0, 0, 0, 0));
  /* From scratch: the stopping test must not inherit the drift of incremental updates; greedy rules
     restart their incremental gradient from here. */
  PetscCall(SkuaBCDFullGradient(bcd));
  PetscCall(SkuaBCDMappingNorm(bcd, gnorm));
  PetscCall(SkuaBCDObjective(bcd, &F));
  PetscCall(PetscLogEventEnd(SkuaBCD_Trace, 0, 0, 0, 0));
  PetscCall(SkuaBCDRecordTrace(bcd, it, F, *gnorm, seconds));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaBCDSolve(SkuaBCD bcd)
{
  double    t0, t1, traced = 0, solver = 0;
  PetscReal gnorm;
  PetscInt  k;

  PetscFunctionBegin;
  PetscCall(SkuaBCDSetUp(bcd));
  bcd->ntrace = 0;
  bcd->reason = SKUA_BCD_ITERATING;
  if (bcd->partition == SKUA_BCD_PARTITION_ACTIVE) {
    PetscCall(SkuaBCDSolveActive(bcd));
    PetscFunctionReturn(0);
  }
  PetscCall(TracePoint(bcd, 0, 0, &gnorm));
  if (gnorm <= bcd->tol) bcd->reason = SKUA_BCD_CONVERGED_TOL;
  /* Solver seconds = wall time since the start minus the time spent in trace points (objective and gradient-mapping
     norm, not part of the algorithm); ranks synchronise only at trace points, not at every block update. */
  PetscCallMPI(MPI_Barrier(bcd->comm));
  t0 = MPI_Wtime();
  for (k = 0; k < bcd->max_it && !bcd->reason; k++) {
    PetscCall(PetscLogEventBegin(SkuaBCD_Select, 0, 0, 0, 0));
    PetscCall(bcd->rops->select(bcd, k));
    PetscCall(PetscLogEventEnd(SkuaBCD_Select, 0, 0, 0, 0));
    PetscCall(PetscLogEventBegin(SkuaBCD_Update, 0, 0, 0, 0));
    PetscCall(SkuaBCDBlockGradient(bcd));
    PetscCall(bcd->uops->update(bcd));
    PetscCall(PetscLogEventEnd(SkuaBCD_Update, 0, 0, 0, 0));
    if ((k + 1) % bcd->trace_every == 0 || k + 1 == bcd->max_it) {
      PetscCallMPI(MPI_Barrier(bcd->comm));
      t1     = MPI_Wtime();
      solver = t1 - t0 - traced;
      PetscCall(TracePoint(bcd, k + 1, solver, &gnorm));
      traced += MPI_Wtime() - t1;
      if (gnorm <= bcd->tol) bcd->reason = SKUA_BCD_CONVERGED_TOL;
      else if (!(gnorm < PETSC_MAX_REAL)) bcd->reason = SKUA_BCD_DIVERGED_STAGNATION;
    }
  }
  bcd->its = k;
  if (!bcd->reason) bcd->reason = SKUA_BCD_DIVERGED_MAX_IT;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaBCDGetSolution(SkuaBCD bcd, const PetscReal *x[], PetscInt *d)
{
  PetscFunctionBegin;
  *x = bcd->x;
  if (d) *d = bcd->d;
  PetscFunctionReturn(0);
}
PetscErrorCode SkuaBCDGetClasses(SkuaBCD bcd, PetscInt *nc)
{
  PetscFunctionBegin;
  *nc = bcd->nc;
  PetscFunctionReturn(0);
}
PetscErrorCode SkuaBCDGetIterationNumber(SkuaBCD bcd, PetscInt *its)
{
  PetscFunctionBegin;
  *its = bcd->its;
  PetscFunctionReturn(0);
}
PetscErrorCode SkuaBCDGetConvergedReason(SkuaBCD bcd, SkuaBCDConvergedReason *r)
{
  PetscFunctionBegin;
  *r = bcd->reason;
  PetscFunctionReturn(0);
}
PetscErrorCode SkuaBCDGetTrace(SkuaBCD bcd, PetscInt *n, const PetscInt *it[], const PetscReal *obj[], const PetscReal *sec[], const PetscReal *gnorm[], const PetscReal *block[])
{
  PetscFunctionBegin;
  *n = bcd->ntrace;
  if (it) *it = bcd->tr_it;
  if (obj) *obj = bcd->tr_obj;
  if (sec) *sec = bcd->tr_sec;
  if (gnorm) *gnorm = bcd->tr_gnorm;
  if (block) *block = bcd->tr_blk;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaBCDView(SkuaBCD bcd, PetscViewer viewer)
{
  PetscFunctionBegin;
  if (!viewer) viewer = PETSC_VIEWER_STDOUT_(bcd->comm);
  PetscCall(PetscViewerASCIIPrintf(viewer, "SkuaBCD: %s, %" PetscInt_FMT " x %" PetscInt_FMT " (%" PetscInt_FMT " nonzeros) on %d rank(s)\n", bcd->source, bcd->m, bcd->d, bcd->nnz, (int)bcd->size));
  PetscCall(PetscViewerASCIIPrintf(viewer, "  loss %s, l2 %g, l1 %g, prox rho %g\n", SkuaBCDLossTypes[bcd->loss], (double)bcd->l2, (double)bcd->l1, (double)bcd->rho));
  PetscCall(PetscViewerASCIIPrintf(viewer, "  partition %s (block size %" PetscInt_FMT ", %" PetscInt_FMT " blocks), rule %s, update %s\n", SkuaBCDPartitionTypes[bcd->partition], bcd->bs, bcd->nb, SkuaBCDRuleTypes[bcd->rule], SkuaBCDUpdateTypes[bcd->update]));
  PetscCall(PetscViewerASCIIPrintf(viewer, "  tol %g, max_it %" PetscInt_FMT ", trace every %" PetscInt_FMT ", seed %" PetscInt_FMT "\n", (double)bcd->tol, bcd->max_it, bcd->trace_every, bcd->seed));
  if (bcd->setup) PetscCall(PetscViewerASCIIPrintf(viewer, "  max block Lipschitz bound %g\n", (double)bcd->Lmax));
  PetscFunctionReturn(0);
}
