/* BCD block selection rules (Nutini, Laradji, Schmidt, JMLR 2022, Sec. 3-4): cyclic, random, permutation,
   Lipschitz sampling, and the greedy GS, GSL, GSD, GSQ (GSQ-r with L1) rules on fixed or variable blocks. */
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
  for (PetscInt k = 0; k < bcd->nblk; k++) bcd->blk[k] = SkuaBCDBCoord(bcd, bcd->bstart[j] + k);
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
      for (PetscInt p = bcd->bstart[j]; p < bcd->bstart[j + 1]; p++) s += MapSq(bcd, SkuaBCDBCoord(bcd, p), bcd->Lmax);
      s *= bcd->Lmax * bcd->Lmax;
      break;
    case SKUA_BCD_RULE_GSL:
      for (PetscInt p = bcd->bstart[j]; p < bcd->bstart[j + 1]; p++) s += MapSq(bcd, SkuaBCDBCoord(bcd, p), bcd->Lb[j]);
      s *= bcd->Lb[j];
      break;
    case SKUA_BCD_RULE_GSQ: {
      /* Feature-level K_b (coordinate-level K_b (x) I_nc: the classes decouple). Without L1: g_b^T H_b^-1 g_b =
         |L^-1 g_b|^2 per class by forward substitution with H_b = L L^T. With L1 (GSQ-r): twice the decrease
         of the block's L1-regularised quadratic model, which is the same score when l1 = 0. */
      const PetscInt   nc = bcd->nc, n = (bcd->bstart[j + 1] - bcd->bstart[j]) / nc, i0 = bcd->bstart[j];
      const PetscReal *Lf = bcd->Hq + bcd->Hqoff[j];
      PetscReal       *y = bcd->gb, *gg = bcd->Hw, *xx = bcd->Hw + n * nc; /* free until the block gradient is taken */
      for (PetscInt p = 0; p < n * nc; p++) { /* the block's g and x, feature-major as the factor's rows */
        gg[p] = bcd->g[SkuaBCDBCoord(bcd, i0 + p)];
        xx[p] = bcd->x[SkuaBCDBCoord(bcd, i0 + p)];
      }
      for (PetscInt c = 0; c < nc; c++) {
        if (bcd->l1 > 0) {
          s -= 2 * SkuaBCDL1QuadModel(n, Lf, gg + c, xx + c, nc, bcd->l1, bcd->newton_inner, y, bcd->db);
          continue;
        }
        for (PetscInt i = 0; i < n; i++) {
          PetscReal v = gg[i * nc + c];
          for (PetscInt k = 0; k < i; k++) v -= Lf[k * n + i] * y[k];
          y[i] = v / Lf[i * n + i];
          s += y[i] * y[i];
        }
      }
    } break;
    default:
      for (PetscInt p = bcd->bstart[j]; p < bcd->bstart[j + 1]; p++) {
        PetscInt i = SkuaBCDBCoord(bcd, p);
        s += bcd->Lc[i] * MapSq(bcd, i, bcd->Lc[i]);
      }
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

/* The tau features with the largest scores (ties: lower index), into h (unsorted). */
static PetscInt TopFeatures(SkuaBCD bcd, PetscInt tau, const PetscReal *sc, PetscInt *h)
{
  PetscInt n = 0;

  for (PetscInt i = 0; i < bcd->d; i++) {
    if (n < tau) {
      h[n++] = i;
      if (n == tau)
        for (PetscInt p = tau / 2; p >= 0; p--) SiftDown(h, n, sc, p);
    } else if (Worse(sc, h[0], i)) {
      h[0] = i;
      SiftDown(h, n, sc, 0);
    }
  }
  return n;
}

/* blk = all classes of the sorted features f[0..n), and a 31-bit hash of the block for the trace. */
static PetscErrorCode SetFeatures(SkuaBCD bcd, PetscInt n, PetscInt f[])
{
  uint64_t hash = 1469598103934665603ULL;

  PetscFunctionBegin;
  PetscCall(PetscSortInt(n, f));
  bcd->nblk = 0;
  for (PetscInt q = 0; q < n; q++)
    for (PetscInt c = 0; c < bcd->nc; c++) bcd->blk[bcd->nblk++] = f[q] * bcd->nc + c;
  for (PetscInt q = 0; q < bcd->nblk; q++) hash = (hash ^ (uint64_t)bcd->blk[q]) * 1099511628211ULL;
  bcd->blkid = (PetscInt)(hash & ((1ULL << 31) - 1));
  PetscFunctionReturn(0);
}

/* A feature's score: the sum over its classes of the coordinate scores. */
static void FeatureScores(SkuaBCD bcd)
{
  for (PetscInt j = 0; j < bcd->d; j++) {
    PetscReal s = 0;
    for (PetscInt c = 0; c < bcd->nc; c++) s += CoordScore(bcd, j * bcd->nc + c);
    bcd->fscore[j] = s;
  }
}

/* Variable blocks: the tau features with the largest |g_i|/sqrt(L_i) (GSL, GSD) or |g_i| (GS), in the
   proximal-gradient form with L1. */
static PetscErrorCode SelectGreedyVariable(SkuaBCD bcd, PetscInt k)
{
  PetscInt tau = PetscMin(bcd->bs, bcd->d), n;

  PetscFunctionBegin;
  FeatureScores(bcd);
  n = TopFeatures(bcd, tau, bcd->fscore, bcd->feat);
  PetscCall(SetFeatures(bcd, n, bcd->feat));
  PetscFunctionReturn(0);
}

/* GSQ with variable blocks: the best block of tau features under the model g^T d + 1/2 d^T (K (x) I) d
   + l1 (|x + d|_1 - |x|_1) with |supp d| <= tau is a sparse quadratic problem; as in the authors' code (their
   "GSQ-IHT") it is approximated by iterative hard thresholding, here restricted to the 4 tau candidate
   features with the largest GSL scores so that K (the loss's bound matrix, + l2 + rho) is a small dense
   matrix: d <- T_tau(prox_{mu l1}(x + d - mu (g + K d)) - x), mu = 1/lambda_max(K), from d = 0; the block is
   the support, filled up with the best remaining candidates. */
static PetscErrorCode SelectGSQVariable(SkuaBCD bcd, PetscInt k)
{
  const PetscInt nc = bcd->nc;
  PetscInt       tau = PetscMin(bcd->bs, bcd->d), M = PetscMin(4 * bcd->bs, bcd->d), *cand = bcd->cand, nsel = 0;
  PetscReal     *K = bcd->Kc, *d = bcd->dq, *dn = bcd->dq2, *gq = bcd->gq, *xq = bcd->gq + M * nc, lmax, mu;
  PetscInt      *sel = bcd->heap; /* tau * nc >= tau entries */

  PetscFunctionBegin;
  FeatureScores(bcd);
  M = TopFeatures(bcd, M, bcd->fscore, cand);
  /* candidates by decreasing score, ties to the lower index: the fill-up order */
  for (PetscInt a = 1; a < M; a++)
    for (PetscInt b = a; b > 0 && Worse(bcd->fscore, cand[b - 1], cand[b]); b--) {
      PetscInt t  = cand[b];
      cand[b]     = cand[b - 1];
      cand[b - 1] = t;
    }
  PetscCall(SkuaBCDBoundGram(bcd, M, cand, K));
  for (PetscInt a = 0; a < M; a++) K[a * M + a] += bcd->l2 + bcd->rho;
  PetscCall(SkuaBCDMaxEig(M, K, bcd->Kw, &lmax));
  mu = lmax > 0 ? 1.0 / lmax : 1.0;
  for (PetscInt a = 0; a < M; a++)
    for (PetscInt c = 0; c < nc; c++) {
      gq[a * nc + c] = bcd->g[cand[a] * nc + c];
      xq[a * nc + c] = bcd->x[cand[a] * nc + c];
      d[a * nc + c]  = 0;
    }
  for (PetscInt it = 0; it < 30; it++) {
    PetscReal change = 0, scale = 0;
    for (PetscInt a = 0; a < M; a++) {
      PetscReal nrm = 0;
      for (PetscInt c = 0; c < nc; c++) {
        PetscReal gr = gq[a * nc + c], z;
        for (PetscInt b = 0; b < M; b++) gr += K[b * M + a] * d[b * nc + c];
        z              = xq[a * nc + c] + d[a * nc + c] - mu * gr;
        dn[a * nc + c] = SkuaBCDSoft(z, mu * bcd->l1) - xq[a * nc + c];
        nrm += dn[a * nc + c] * dn[a * nc + c];
      }
      bcd->Kw[a] = nrm; /* feature norm of the step, for the thresholding */
    }
    /* keep the tau candidates with the largest step norms (ties: earlier candidate) */
    nsel = 0;
    for (PetscInt r = 0; r < tau; r++) {
      PetscInt best = -1;
      for (PetscInt a = 0; a < M; a++) {
        PetscBool taken = PETSC_FALSE;
        for (PetscInt q = 0; q < nsel; q++) taken = (PetscBool)(taken || sel[q] == a);
        if (taken || bcd->Kw[a] <= 0) continue;
        if (best < 0 || bcd->Kw[a] > bcd->Kw[best]) best = a;
      }
      if (best < 0) break;
      sel[nsel++] = best;
    }
    for (PetscInt a = 0; a < M; a++) {
      PetscBool keep = PETSC_FALSE;
      for (PetscInt q = 0; q < nsel; q++) keep = (PetscBool)(keep || sel[q] == a);
      for (PetscInt c = 0; c < nc; c++) {
        PetscReal v = keep ? dn[a * nc + c] : 0;
        change      = PetscMax(change, PetscAbsReal(v - d[a * nc + c]));
        scale       = PetscMax(scale, PetscAbsReal(v));
        d[a * nc + c] = v;
      }
    }
    if (change <= 1e-12 * scale) break;
  }
  for (PetscInt q = 0; q < nsel; q++) bcd->feat[q] = cand[sel[q]];
  for (PetscInt a = 0; a < M && nsel < tau; a++) {
    PetscBool taken = PETSC_FALSE;
    for (PetscInt q = 0; q < nsel; q++) taken = (PetscBool)(taken || bcd->feat[q] == cand[a]);
    if (!taken) bcd->feat[nsel++] = cand[a];
  }
  PetscCall(SetFeatures(bcd, nsel, bcd->feat));
  PetscFunctionReturn(0);
}

/* Tree blocks with a greedy rule: the forest grown from the coordinates in decreasing score order (tree.c).
   Single coordinates have no block matrix, so gsd and gsq order them as gsl does. */
static PetscErrorCode SelectGreedyTree(SkuaBCD bcd, PetscInt k)
{
  PetscInt n;

  PetscFunctionBegin;
  FeatureScores(bcd);
  n = SkuaBCDGreedyForest(bcd, bcd->fscore, bcd->feat);
  PetscCall(SetFeatures(bcd, n, bcd->feat));
  PetscFunctionReturn(0);
}

static PetscErrorCode SelectGreedy(SkuaBCD bcd, PetscInt k)
{
  PetscFunctionBegin;
  PetscCheck(bcd->gfull, bcd->comm, PETSC_ERR_PLIB, "greedy rule without a current full gradient");
  if (bcd->partition == SKUA_BCD_PARTITION_TREE) PetscCall(SelectGreedyTree(bcd, k));
  else if (bcd->partition == SKUA_BCD_PARTITION_VARIABLE && bcd->rule == SKUA_BCD_RULE_GSQ) PetscCall(SelectGSQVariable(bcd, k));
  else if (bcd->partition == SKUA_BCD_PARTITION_VARIABLE) PetscCall(SelectGreedyVariable(bcd, k));
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
