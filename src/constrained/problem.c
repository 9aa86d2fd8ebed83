/* Built-in test problems of the constrained solver: Hock-Schittkowski, constrained logistic regression and a
   distributed PDE-constrained control problem (the three problem classes of Hong, Na, Mahoney, Kolar, ICML 2023). */
#include "constrainedimpl.h"
#include <math.h>

static const char *problem_names[] = {"hs6",  "hs7",  "hs9",  "hs26", "hs27", "hs28", "hs39", "hs40", "hs42", "hs46", "hs47", "hs48",
                                      "hs49", "hs50", "hs51", "hs52", "hs56", "hs61", "hs77", "hs78", "hs79", "logistic", "control"};

PetscErrorCode SkuaConstrainedProblemList(const char ***names, PetscInt *count)
{
  PetscFunctionBegin;
  *names = problem_names;
  *count = (PetscInt)(sizeof(problem_names) / sizeof(problem_names[0]));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaConstrainedProblemCreate(MPI_Comm comm, const char name[], SkuaConstrainedProblem *P)
{
  SkuaConstrainedProblem p;
  PetscBool              found = PETSC_FALSE, match;

  PetscFunctionBegin;
  PetscCall(SkuaConstrainedInitializePackage());
  PetscCheck(name && name[0], comm, PETSC_ERR_USER_INPUT, "Missing problem name; use hs6 ... hs79, logistic or control");
  PetscCall(PetscNew(&p));
  p->comm  = comm;
  p->fstar = (PetscReal)NAN;
  PetscCall(PetscStrncpy(p->name, name, sizeof(p->name)));
  if ((name[0] == 'h' || name[0] == 'H') && (name[1] == 's' || name[1] == 'S') && name[2]) {
    char    *end;
    long     num = strtol(name + 2, &end, 10);
    if (!*end && num > 0) PetscCall(SkuaConstrainedProblemCreate_HS(p, (PetscInt)num, &found));
  }
  if (!found) {
    PetscCall(PetscStrcasecmp(name, "logistic", &match));
    if (match) {
      PetscCall(SkuaConstrainedProblemCreate_Logistic(p));
      found = PETSC_TRUE;
    }
  }
  if (!found) {
    PetscCall(PetscStrcasecmp(name, "control", &match));
    if (match) {
      PetscCall(SkuaConstrainedProblemCreate_Control(p));
      found = PETSC_TRUE;
    }
  }
  if (!found) {
    PetscCall(PetscFree(p));
    SETERRQ(comm, PETSC_ERR_USER_INPUT,
            "Unknown constrained problem '%s'; use one of hs6 hs7 hs9 hs26 hs27 hs28 hs39 hs40 hs42 hs46 hs47 hs48 hs49 hs50 hs51 hs52 hs56 hs61 hs77 hs78 hs79 (Hock-Schittkowski), logistic, control", name);
  }
  *P = p;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaConstrainedProblemSetUp(SkuaConstrainedProblem P, SkuaConstrained C, Vec *x0, Vec *lambda0)
{
  PetscFunctionBegin;
  PetscCall(P->ops.setup(P, C, x0, lambda0));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaConstrainedProblemGetInfo(SkuaConstrainedProblem P, PetscInt *n, PetscInt *m, PetscReal *fstar)
{
  PetscFunctionBegin;
  if (n) *n = P->n;
  if (m) *m = P->m;
  if (fstar) *fstar = P->fstar;
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaConstrainedProblemDestroy(SkuaConstrainedProblem *P)
{
  PetscFunctionBegin;
  if (!*P) PetscFunctionReturn(0);
  if ((*P)->ops.destroy) PetscCall((*P)->ops.destroy(*P));
  PetscCall(PetscFree(*P));
  PetscFunctionReturn(0);
}
