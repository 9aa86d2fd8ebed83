/* Counter-based deterministic RNG: splitmix64 finaliser (Steele, Lea, Flood, OOPSLA 2014) + Box-Muller normals. */
#include "pdeimpl.h"

#define SKUA_GOLDEN 0x9E3779B97F4A7C15ULL

uint64_t SkuaRNGMix64(uint64_t z)
{
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

uint64_t SkuaRNGStreamId(uint64_t sample, PetscInt field_id)
{
  return (sample << 16) | ((uint64_t)field_id & 0xFFFFULL);
}

/* The key is mixed so that neighbouring streams are unrelated, not shifted copies of one sequence. */
static inline uint64_t SkuaRNGKey(uint64_t seed, uint64_t stream)
{
  return SkuaRNGMix64(SkuaRNGMix64(seed) + stream * SKUA_GOLDEN);
}

static inline uint64_t SkuaRNGWord(uint64_t key, uint64_t w)
{
  return SkuaRNGMix64(key + (w + 1) * SKUA_GOLDEN);
}

PetscErrorCode SkuaRNGUniforms(uint64_t seed, uint64_t stream, PetscInt count, PetscReal *out)
{
  const uint64_t key = SkuaRNGKey(seed, stream);

  PetscFunctionBegin;
  PetscCheck(count >= 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "SkuaRNGUniforms: count %" PetscInt_FMT " must be >= 0", count);
  if (count) PetscValidRealPointer(out, 4);
  for (PetscInt m = 0; m < count; m++) out[m] = (PetscReal)(SkuaRNGWord(key, (uint64_t)m) >> 11) * 0x1.0p-53;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaRNGNormals(uint64_t seed, uint64_t stream, PetscInt count, PetscReal *out)
{
  const uint64_t  key    = SkuaRNGKey(seed, stream);
  const PetscReal twopi  = 2.0 * PETSC_PI;

  PetscFunctionBegin;
  PetscCheck(count >= 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "SkuaRNGNormals: count %" PetscInt_FMT " must be >= 0", count);
  if (count) PetscValidRealPointer(out, 4);
  for (PetscInt m = 0; m < count; m += 2) {
    /* u1 in (0,1] keeps log finite; u2 in [0,1). */
    const PetscReal u1 = (PetscReal)((SkuaRNGWord(key, (uint64_t)m) >> 11) + 1) * 0x1.0p-53;
    const PetscReal u2 = (PetscReal)(SkuaRNGWord(key, (uint64_t)m + 1) >> 11) * 0x1.0p-53;
    const PetscReal r  = PetscSqrtReal(-2.0 * PetscLogReal(u1));
    out[m] = r * PetscCosReal(twopi * u2);
    if (m + 1 < count) out[m + 1] = r * PetscSinReal(twopi * u2);
  }
  PetscFunctionReturn(0);
}
