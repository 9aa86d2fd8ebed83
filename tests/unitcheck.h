/* Shared by the C unit tests that check on every rank: a failure counter, the world rank, CHECK (prints the rank,
   file and line, counts, goes on) and ExpectError (an expected error and a phrase its message must contain). */
#ifndef SKUA_TESTS_UNITCHECK_H
#define SKUA_TESTS_UNITCHECK_H

#include <petscsys.h>
#include <string.h>

static PetscInt    nfail = 0;
static PetscMPIInt wrank;

#define CHECK(cond, ...) \
  do { \
    if (!(cond)) { \
      nfail++; \
      PetscCall(PetscPrintf(PETSC_COMM_SELF, "[%d] FAIL %s:%d: ", wrank, __FILE__, __LINE__)); \
      PetscCall(PetscPrintf(PETSC_COMM_SELF, __VA_ARGS__)); \
      PetscCall(PetscPrintf(PETSC_COMM_SELF, "\n")); \
    } \
  } while (0)

static inline PetscErrorCode ExpectError(PetscErrorCode ierr, const char *needle, const char *what)
{
  const char *text, *specific = NULL;

  PetscFunctionBeginUser;
  CHECK(ierr != 0, "%s: no error raised", what);
  if (ierr) {
    PetscCall(PetscErrorMessage(ierr, &text, (char **)&specific));
    CHECK(specific && strstr(specific, needle), "%s: message \"%s\" does not mention \"%s\"", what, specific ? specific : "(null)", needle);
  }
  PetscFunctionReturn(0);
}

#endif
