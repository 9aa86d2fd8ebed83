/* Skua PDE families on a 2-D or 3-D DMDA: deterministic RNG, Gaussian random fields, operators and right-hand sides.
   The discretizations are documented exactly in docs/pde.md. */
#ifndef SKUA_PDE_H
#define SKUA_PDE_H

#include <stdint.h>
#include <petscdmda.h>

/* ---------------------------------------------------------------------------------------------------------
   Counter-based RNG (splitmix64 finaliser, Box-Muller normals).

   Word w of stream s under seed S is mix64(key + (w+1)*0x9E3779B97F4A7C15), key = mix64(mix64(S) + s*0x9E3779B97F4A7C15),
   so any word is computable from (seed, stream, w) alone: results never depend on the rank that computes them
   and a shorter request is a prefix of a longer one. Normal m uses words 2*(m/2) and 2*(m/2)+1 (Box-Muller pair).
   --------------------------------------------------------------------------------------------------------- */
PETSC_EXTERN uint64_t       SkuaRNGMix64(uint64_t);
PETSC_EXTERN uint64_t       SkuaRNGStreamId(uint64_t sample, PetscInt field_id); /* (sample << 16) | field_id */
PETSC_EXTERN PetscErrorCode SkuaRNGUniforms(uint64_t seed, uint64_t stream, PetscInt count, PetscReal *out); /* in [0,1) */
PETSC_EXTERN PetscErrorCode SkuaRNGNormals(uint64_t seed, uint64_t stream, PetscInt count, PetscReal *out);

/* ---------------------------------------------------------------------------------------------------------
   Gaussian random field on the n x n interior nodes of (0,1)^2, h = 1/(n+1), node (i,j) at ((i+1)h,(j+1)h):
     G(x,y) = sum_{k,l=1..n} sqrt(lambda_kl) xi_kl 2 sin(k pi x) sin(l pi y),
     lambda_kl = sigma^2 (pi^2 (k^2+l^2) + tau^2)^(-alpha),
     xi_kl = SkuaRNGNormals(seed, SkuaRNGStreamId(sample, field_id), n*n)[(l-1)*n + (k-1)].
   Evaluated with FFTW's 2-D RODFT00 (DST-I); every rank computes the whole field, so it is np-independent.
   --------------------------------------------------------------------------------------------------------- */
typedef struct {
  PetscReal alpha; /* smoothness exponent, > 0 (default 2.5) */
  PetscReal tau;   /* inverse length scale, >= 0 (default 7) */
  PetscReal sigma; /* amplitude; <= 0 means tau^(alpha-1), the FNO/SKR convention (default) */
} SkuaGRFParams;

PETSC_EXTERN PetscErrorCode SkuaGRFParamsDefault(SkuaGRFParams *);
PETSC_EXTERN PetscErrorCode SkuaGRFEigenvalue(const SkuaGRFParams *, PetscInt k, PetscInt l, PetscReal *lambda);
/* G: n*n reals, natural order G[j*n+i] (y slow, x fast). Not collective. */
PETSC_EXTERN PetscErrorCode SkuaGRFSample(PetscInt n, const SkuaGRFParams *, uint64_t seed, uint64_t sample, PetscInt field_id, PetscReal *G);

/* The 3-D field on the n x n x n interior nodes of (0,1)^3, node (i,j,k) at ((i+1)h,(j+1)h,(k+1)h), same spectral form:
     G(x,y,z) = sum_{a,b,c=1..n} sqrt(lambda_abc) xi_abc 2^(3/2) sin(a pi x) sin(b pi y) sin(c pi z),
     lambda_abc = sigma^2 (pi^2 (a^2+b^2+c^2) + tau^2)^(-alpha),
     xi_abc = SkuaRNGNormals(seed, SkuaRNGStreamId(sample, field_id), n^3)[((c-1)*n + (b-1))*n + (a-1)].
   sigma <= 0 means tau^(alpha - 3/2): FNO's dimension-general default tau^(alpha - d/2), which keeps the pointwise
   variance independent of tau (in 2-D it is the tau^(alpha-1) above). Evaluated with FFTW's 3-D RODFT00.
   G: n^3 reals, natural order G[(k*n + j)*n + i] (z slowest, x fastest). Not collective. */
PETSC_EXTERN PetscErrorCode SkuaGRFEigenvalue3d(const SkuaGRFParams *, PetscInt a, PetscInt b, PetscInt c, PetscReal *lambda);
PETSC_EXTERN PetscErrorCode SkuaGRFSample3d(PetscInt n, const SkuaGRFParams *, uint64_t seed, uint64_t sample, PetscInt field_id, PetscReal *G);

/* ---------------------------------------------------------------------------------------------------------
   SkuaPDE: one PDE family on an n x n DMDA (DM_BOUNDARY_NONE, DMDA_STENCIL_STAR, width 1, homogeneous Dirichlet
   boundary eliminated). Fields are natural-order n*n arrays held in full on every rank.

     family     fields          operator (row p, sums over the 4 neighbours q; boundary u_q = 0)      rhs
     darcy      K = exp(G)      sum_q k_pq (u_p - u_q)/h^2                                             1
                (or two-phase K = high if G >= 0 else low, -darcy_high/-darcy_low, as FNO's 12/3 data)
     poisson    f = G           (4 u_p - sum_q u_q)/h^2                                                f_p
     helmholtz  kappa           (4 u_p - sum_q u_q)/h^2 - kappa_p^2 u_p,  kappa = k0 (1 + tanh(G)/2)   1
     heat       K, u0           u_p/dt + sum_q k_pq (u_p - u_q)/h^2,  K = contrast if G > 0 else 1    u^k/dt, u^0 = u0
   k_pq = 2 K_p K_q/(K_p + K_q) (harmonic mean), k_pq = K_p for a face on the boundary.
   Field ids for the GRF streams: 0 for the first field, 1 for heat's u0.

   3-D (-pde_dim 3, SkuaPDESetDimension): the same families on an n x n x n DMDA with the 7-point stencil (6 faces,
   same harmonic face means, boundary faces use K_p, rows scaled by 1/h^2), fields from SkuaGRFSample3d, natural
   order p = (k*n + j)*n + i. Everything below that says n*n means n^dim (SkuaPDEGetNumNodes).

   Options (SkuaPDESetFromOptions): -pde_family <darcy|poisson|helmholtz|heat> -pde_n <n> -pde_dim <2|3> -seed <uint64>
     -grf_alpha -grf_tau -grf_sigma -helmholtz_k0 (20) -heat_contrast (100) -heat_steps (10) -heat_dt (1e-3)
   --------------------------------------------------------------------------------------------------------- */
typedef struct _p_SkuaPDE *SkuaPDE;

typedef enum {
  SKUA_PDE_DARCY,
  SKUA_PDE_POISSON,
  SKUA_PDE_HELMHOLTZ,
  SKUA_PDE_HEAT
} SkuaPDEFamily;
PETSC_EXTERN const char *const SkuaPDEFamilies[]; /* "darcy","poisson","helmholtz","heat" */

PETSC_EXTERN PetscErrorCode SkuaPDEInitializePackage(void);
PETSC_EXTERN PetscErrorCode SkuaPDECreate(MPI_Comm, SkuaPDE *);
PETSC_EXTERN PetscErrorCode SkuaPDESetFamily(SkuaPDE, SkuaPDEFamily);
PETSC_EXTERN PetscErrorCode SkuaPDESetFamilyName(SkuaPDE, const char[]);
PETSC_EXTERN PetscErrorCode SkuaPDEGetFamily(SkuaPDE, SkuaPDEFamily *);
PETSC_EXTERN PetscErrorCode SkuaPDESetSize(SkuaPDE, PetscInt n);
PETSC_EXTERN PetscErrorCode SkuaPDEGetSize(SkuaPDE, PetscInt *n);
PETSC_EXTERN PetscErrorCode SkuaPDESetDimension(SkuaPDE, PetscInt dim); /* 2 (default) or 3 */
PETSC_EXTERN PetscErrorCode SkuaPDEGetDimension(SkuaPDE, PetscInt *dim);
PETSC_EXTERN PetscErrorCode SkuaPDEGetNumNodes(SkuaPDE, PetscInt *nn); /* n^dim: unknowns, and reals per field */
PETSC_EXTERN PetscErrorCode SkuaPDESetSeed(SkuaPDE, uint64_t);
PETSC_EXTERN PetscErrorCode SkuaPDEGetSeed(SkuaPDE, uint64_t *);
PETSC_EXTERN PetscErrorCode SkuaPDESetGRFParams(SkuaPDE, const SkuaGRFParams *);
PETSC_EXTERN PetscErrorCode SkuaPDEGetGRFParams(SkuaPDE, SkuaGRFParams *); /* sigma resolved to its actual value */
PETSC_EXTERN PetscErrorCode SkuaPDESetHelmholtzK0(SkuaPDE, PetscReal);
PETSC_EXTERN PetscErrorCode SkuaPDESetDarcyPhases(SkuaPDE, PetscReal high, PetscReal low); /* 0, 0: K = exp(G) */
PETSC_EXTERN PetscErrorCode SkuaPDEGetDarcyPhases(SkuaPDE, PetscReal *high, PetscReal *low);
PETSC_EXTERN PetscErrorCode SkuaPDESetHeat(SkuaPDE, PetscReal contrast, PetscInt steps, PetscReal dt);
PETSC_EXTERN PetscErrorCode SkuaPDEGetHeat(SkuaPDE, PetscReal *contrast, PetscInt *steps, PetscReal *dt);
PETSC_EXTERN PetscErrorCode SkuaPDEGetHelmholtzK0(SkuaPDE, PetscReal *);
PETSC_EXTERN PetscErrorCode SkuaPDESetFromOptions(SkuaPDE);
PETSC_EXTERN PetscErrorCode SkuaPDESetUp(SkuaPDE); /* validates parameters, creates the DMDA */
PETSC_EXTERN PetscErrorCode SkuaPDEView(SkuaPDE, PetscViewer);
PETSC_EXTERN PetscErrorCode SkuaPDEGetDM(SkuaPDE, DM *); /* borrowed reference */
PETSC_EXTERN PetscErrorCode SkuaPDEGetFieldNames(SkuaPDE, PetscInt *nfields, const char *const **names);
/* Number of consecutive systems per sample, all with the same matrix: 1, or heat_steps for heat. */
PETSC_EXTERN PetscErrorCode SkuaPDEGetNumSteps(SkuaPDE, PetscInt *nsteps);
/* fields[f]: caller-allocated n*n arrays (natural order); identical on every rank and for any np. Not collective. */
PETSC_EXTERN PetscErrorCode SkuaPDESampleFields(SkuaPDE, PetscInt sample, PetscReal *const *fields);
/* Collective. A from DMCreateMatrix(dm) (MATAIJ, created once, re-filled in place); b from DMCreateGlobalVector.
   b is the rhs of the first system (heat: u0/dt). */
PETSC_EXTERN PetscErrorCode SkuaPDEAssemble(SkuaPDE, PetscReal *const *fields, Mat A, Vec b);
/* Time-dependent families only: b = uprev/dt, the rhs of the next system. */
PETSC_EXTERN PetscErrorCode SkuaPDEStepRHS(SkuaPDE, Vec uprev, Vec b);
/* nat: full natural-order n*n array on every rank -> DMDA global Vec. Not communicating. */
PETSC_EXTERN PetscErrorCode SkuaPDENaturalToGlobal(SkuaPDE, const PetscReal *nat, Vec g);
/* DMDA global Vec -> full natural-order n*n array on every rank. Collective. */
PETSC_EXTERN PetscErrorCode SkuaPDEGlobalToNatural(SkuaPDE, Vec g, PetscReal *nat);
/* A (on the DMDA) -> CSR in natural ordering, rows with sorted columns, gathered on rank 0 of the PDE's
   communicator (other ranks get nnz = 0 and NULL arrays). Free the arrays with PetscFree. Collective. */
PETSC_EXTERN PetscErrorCode SkuaPDEGetNaturalCSR(SkuaPDE, Mat A, PetscInt *nnz, PetscInt **rowptr, PetscInt **colidx, PetscScalar **vals);
PETSC_EXTERN PetscErrorCode SkuaPDEDestroy(SkuaPDE *);
/* The 5-point (2-D) or 7-point (3-D) operator behind every family, on any n x n (x n) DMDA da (e.g. a multigrid
   level; the dimension is the DMDA's): row p of A is scale * [ sum_q k_pq (u_p - u_q)/h^2 + c_p u_p ], h = 1/(n+1),
   k_pq the harmonic mean of K (a boundary face uses K_p; K == NULL means K = 1), c_p = c[p] (c == NULL means
   c_p = cconst). K and c are natural-order n^dim arrays. Inserts the owned rows; the caller assembles A. Collective. */
PETSC_EXTERN PetscErrorCode SkuaPDEAssembleStencil(DM da, PetscInt n, const PetscReal *K, const PetscReal *c, PetscReal cconst, PetscReal scale, Mat A);

PETSC_EXTERN PetscLogEvent SKUAPDE_Assemble, SKUAPDE_GRF;

#endif
