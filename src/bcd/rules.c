/* BCD block selection rules (Nutini, Laradji, Schmidt, JMLR 2022, Sec. 3-4): cyclic, random, permutation,
   Lipschitz sampling, and the greedy GS, GSL, GSD, GSQ rules on fixed or variable (greedy top-tau) blocks. */
#include "bcdimpl.h"

#define SKUA_BCD_GOLDEN 0x9E3779B97F4A7C15ULL

static uint64_t Mix64(uint64_t z)
{
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/* splitmix64 on (seed, stream, word): a pure function of its arguments, so every rank draws the same value
   without communication and the draw at iteration k does not depend on earlier ones. */
uint64_t SkuaBCDRandomWord(PetscInt seed, uint64_t stream, uint64_t w)
{
  uint64_t key = Mix64(Mix64((uint64_t)seed) + stream * SKUA_BCD_GOLDEN);
  return Mix64(key + (w + 1) * SKUA_BCD_GOLDEN);
}

PetscReal SkuaBCDRandomUniform(PetscInt seed, uint64_t stream, uint64_t w) { return (PetscReal)(SkuaBCDRandomWord(seed, stream, w) >> 11) * 0x1.0p-53; }

enum { STREAM_RANDOM = 1, STREAM_LIPSCHITZ = 2, STREAM_PERM = 16 };

static PetscErrorCode SetContiguous(SkuaBCD bcd, PetscInt j)
{
  PetscFunctionBegin;
  bcd->blkid = j;
  bcd->nblk  = bcd->bstart[j + 1] - bcd->bstart[j];
  for (PetscInt k = 0; k < bcd->nblk; k++) bcd->blk[k] = bcd->bstart[j] + k;
  PetscFunctionReturn(0);
}

static PetscErrorCode SelectCyclic(SkuaBCD bcd, PetscInt k) { return SetContiguous(bcd, k % bcd->nb); }

static PetscErrorCode SelectRandom(SkuaBCD bcd, PetscInt k)
{
  PetscInt j = (PetscInt)(SkuaBCDRandomUniform(bcd->seed, STREAM_RANDOM, (uint64_t)k) * bcd->nb);
  return SetContiguous(bcd, PetscMin(j, bcd->nb - 1));
}

/* A fresh uniform permutation per epoch (Fisher-Yates from the epoch's own stream). */
static PetscErrorCode SelectPerm(SkuaBCD bcd, PetscInt k)
{
  PetscInt epoch = k / bcd->nb;

  PetscFunctionBegin;
  if (epoch != bcd->perm_epoch) {
    for (PetscInt i = 0; i < bcd->nb; i++) bcd->perm[i] = i;
    for (PetscInt i = bcd->nb - 1; i > 0; i--) {
      PetscInt j = (PetscInt)(SkuaBCDRandomWord(bcd->seed, STREAM_PERM + (uint64_t)epoch, (uint64_t)i) % (uint64_t)(i + 1)), t = bcd->perm[i];
      bcd->perm[i] = bcd->perm[j];
      bcd->perm[j] = t;
    }
    bcd->perm_epoch = epoch;
  }
  PetscCall(SetContiguous(bcd, bcd->perm[k % bcd->nb]));
  PetscFunctionReturn(0);
}

/* p_b proportional to L_b: binary search of the cumulative sums. */
static PetscErrorCode SelectLipschitz(SkuaBCD bcd, PetscInt k)
{
  PetscReal v  = SkuaBCDRandomUniform(bcd->seed, STREAM_LIPSCHITZ, (uint64_t)k) * bcd->Lcum[bcd->nb - 1];
  PetscInt  lo = 0, hi = bcd->nb - 1;

  while (lo < hi) {
    PetscInt mid = (lo + hi) / 2;
    if (bcd->Lcum[mid] > v) hi = mid;
    else lo = mid + 1;
  }
  return SetContiguous(bcd, lo);
}

/* Greedy scores use the proximal-gradient mapping d_i(L) = x_i - prox_{l1/L}(x_i - g_i/L) (the paper's GS-r
   family); without L1 they reduce to |g_b|^2 (GS), |g_b|^2/L_b (GSL), g_b^T D_b^-1 g_b (GSD). */
static inline PetscReal MapSq(SkuaBCD bcd, PetscInt i, PetscReal L)
{
  PetscReal v = bcd->x[i] - SkuaBCDSoft(bcd->x[i] - bcd->g[i] / L, bcd->l1 / L);
  return v * v;
}

static inline PetscReal CoordScore(SkuaBCD bcd, PetscInt i)
{
  if (bcd->rule == SKUA_BCD_RULE_GS) return bcd->Lmax * bcd->Lmax * MapSq(bcd, i, bcd->Lmax);
  return bcd->Lc[i] * MapSq(bcd, i, bcd->Lc[i]); /* GSL and GSD agree coordinate by coordinate */
}

static PetscErrorCode SelectGreedyFixed(SkuaBCD bcd, PetscInt k)
{
  PetscInt  best = 0;
  PetscReal bs   = -1;

  PetscFunctionBegin;
  for (PetscInt j = 0; j < bcd->nb; j++) {
    PetscReal s = 0;
    switch (bcd->rule) {
    case SKUA_BCD_RULE_GS:
      for (PetscInt i = bcd->bstart[j]; i < bcd->bstart[j + 1]; i++) s += MapSq(bcd, i, bcd->Lmax);
      s *= bcd->Lmax * bcd->Lmax;
      break;
    case SKUA_BCD_RULE_GSL:
      for (PetscInt i = bcd->bstart[j]; i < bcd->bstart[j + 1]; i++) s += MapSq(bcd, i, bcd->Lb[j]);
      s *= bcd->Lb[j];
      break;
    case SKUA_BCD_RULE_GSQ: { /* g_b^T H_b^-1 g_b = |L^-1 g_b|^2 by forward substitution with H_b = L L^T */
      const PetscInt   n = bcd->bstart[j + 1] - bcd->bstart[j], i0 = bcd->bstart[j];
      const PetscReal *Lf = bcd->Hq + bcd->Hqoff[j];
      PetscReal       *y  = bcd->gb; /* free until the block gradient is taken */
      for (PetscInt i = 0; i < n; i++) {
        PetscReal v = bcd->g[i0 + i];
        for (PetscInt k = 0; k < i; k++) v -= Lf[k * n + i] * y[k];
        y[i] = v / Lf[i * n + i];
        s += y[i] * y[i];
      }
    } break;
    default:
      for (PetscInt i = bcd->bstart[j]; i < bcd->bstart[j + 1]; i++) s += bcd->Lc[i] * MapSq(bcd, i, bcd->Lc[i]);
      break;
    }
    if (s > bs) { /* strict: ties go to the lowest block, the same on every rank */
      bs   = s;
      best = j;
    }
  }
  PetscCall(SetContiguous(bcd, best));
  PetscFunctionReturn(0);
}

/* Min-heap of the tau best coordinates; "worse" = lower score, or equal score and higher index. */
static inline PetscBool Worse(const PetscReal *sc, PetscInt a, PetscInt b) { return (sc[a] < sc[b] || (sc[a] == sc[b] && a > b)) ? PETSC_TRUE : PETSC_FALSE; }

static void SiftDown(PetscInt *h, PetscInt n, const PetscReal *sc, PetscInt p)
{
  for (;;) {
    PetscInt l = 2 * p + 1, r = l + 1, w = p;
    if (l < n && Worse(sc, h[l], h[w])) w = l;
    if (r < n && Worse(sc, h[r], h[w])) w = r;
    if (w == p) return;
    PetscInt t = h[p];
    h[p]       = h[w];
    h[w]       = t;
    p          = w;
  }
}

/* Variable blocks: the tau coordinates with the largest |g_i|/sqrt(L_i) (GSL, GSD) or |g_i| (GS). */
static PetscErrorCode SelectGreedyVariable(SkuaBCD bcd, PetscInt k)
{
  PetscInt  tau = PetscMin(bcd->bs, bcd->d), n = 0;
  PetscInt *h = bcd->heap;
  uint64_t  hash = 1469598103934665603ULL;

  PetscFunctionBegin;
  for (PetscInt i = 0; i < bcd->d; i++) bcd->score[i] = CoordScore(bcd, i);
  for (PetscInt i = 0; i < bcd->d; i++) {
    if (n < tau) {
      h[n++] = i;
      if (n == tau)
        for (PetscInt p = tau / 2; p >= 0; p--) SiftDown(h, n, bcd->score, p);
    } else if (Worse(bcd->score, h[0], i)) {
      h[0] = i;
      SiftDown(h, n, bcd->score, 0);
    }
  }
  PetscCall(PetscArraycpy(bcd->blk, h, n));
  PetscCall(PetscSortInt(n, bcd->blk));
  bcd->nblk = n;
  for (PetscInt q = 0; q < n; q++) hash = (hash ^ (uint64_t)bcd->blk[q]) * 1099511628211ULL;
  bcd->blkid = (PetscInt)(hash & ((1ULL << 31) - 1));
  PetscFunctionReturn(0);
}

static PetscErrorCode SelectGreedy(SkuaBCD bcd, PetscInt k)
{
  PetscFunctionBegin;
  PetscCheck(bcd->gfull, bcd->comm, PETSC_ERR_PLIB, "greedy rule without a current full gradient");
  if (bcd->partition == SKUA_BCD_PARTITION_VARIABLE) PetscCall(SelectGreedyVariable(bcd, k));
  else PetscCall(SelectGreedyFixed(bcd, k));
  PetscFunctionReturn(0);
}

static const SkuaBCDRuleOps RuleOps[] = {
  {"cyclic",    PETSC_FALSE, SelectCyclic   },
  {"random",    PETSC_FALSE, SelectRandom   },
  {"perm",      PETSC_FALSE, SelectPerm     },
  {"lipschitz", PETSC_FALSE, SelectLipschitz},
  {"gs",        PETSC_TRUE,  SelectGreedy   },
  {"gsl",       PETSC_TRUE,  SelectGreedy   },
  {"gsd",       PETSC_TRUE,  SelectGreedy   },
  {"gsq",       PETSC_TRUE,  SelectGreedy   },
};

PetscErrorCode SkuaBCDGetRuleOps(SkuaBCDRuleType t, const SkuaBCDRuleOps **ops)
{
  PetscFunctionBegin;
  PetscCheck((int)t >= 0 && (size_t)t < sizeof(RuleOps) / sizeof(RuleOps[0]), PETSC_COMM_WORLD, PETSC_ERR_ARG_OUTOFRANGE, "-bcd_rule: unknown rule %d", (int)t);
  *ops = &RuleOps[t];
  PetscFunctionReturn(0);
}
