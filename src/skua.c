/* Skua initialisation: wraps PETSc's and registers every Skua plug-in and log event. */
#include <skua.h>
#include <skua/ksp.h>
#include <skua/pde.h>
#include <skua/order.h>
#include <skua/pc.h>
#include <skua/bcd.h>
#include <skua/sketch.h>
#include <skua/constrained.h>
#include "io/h5util.h"
#include "skuaimpl.h"

static char     *skua_command_line = NULL;
static PetscBool skua_registered   = PETSC_FALSE;
static PetscBool skua_handler      = PETSC_FALSE; /* SkuaErrorHandler pushed, to pop in SkuaFinalize */

/* The first error of the run, as recorded by SkuaErrorHandler. */
static struct {
  PetscBool set, collective;
  char      msg[1024], where[512];
} skua_err;

static PetscErrorCode SkuaErrorHandler(MPI_Comm comm, int line, const char *fun, const char *file, PetscErrorCode n, PetscErrorType p, const char *mess, void *ctx)
{
  PetscMPIInt size = 1;

  if (p != PETSC_ERROR_INITIAL || skua_err.set) return n;
  skua_err.set = PETSC_TRUE;
  if (comm != MPI_COMM_NULL) MPI_Comm_size(comm, &size);
  /* An error raised on a communicator of several ranks is raised by all of them (Skua's input checks
     are collective); one raised on PETSC_COMM_SELF may be one rank's alone. */
  skua_err.collective = (size > 1 || comm != PETSC_COMM_SELF) ? PETSC_TRUE : PETSC_FALSE;
  if (mess && mess[0]) snprintf(skua_err.msg, sizeof(skua_err.msg), "%s", mess);
  else {
    const char *text;
    PetscErrorMessage(n, &text, NULL);
    snprintf(skua_err.msg, sizeof(skua_err.msg), "%s", text ? text : "unknown error");
  }
  snprintf(skua_err.where, sizeof(skua_err.where), "%s() at %s:%d", fun ? fun : "?", file ? file : "?", line);
  return n;
}

PetscErrorCode SkuaErrorReport(const char prog[], PetscErrorCode ierr)
{
  PetscMPIInt rank, size;

  if (!ierr) return 0;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  MPI_Comm_size(PETSC_COMM_WORLD, &size);
  if (!skua_err.set) snprintf(skua_err.msg, sizeof(skua_err.msg), "error code %d", (int)ierr);
  if (skua_err.collective || size == 1) {
    if (rank == 0) fprintf(stderr, "%s: error: %s\n", prog, skua_err.msg);
  } else {
    fprintf(stderr, "%s: error on rank %d: %s\n  (in %s)\n", prog, rank, skua_err.msg, skua_err.where);
    fflush(stderr);
    MPI_Abort(PETSC_COMM_WORLD, 1);
  }
  fflush(stderr);
  return 0;
}

const char *SkuaVersion(void)
{
  return SKUA_VERSION_STRING;
}

const char *SkuaCommandLine(void)
{
  return skua_command_line ? skua_command_line : "";
}

static PetscErrorCode SkuaStoreCommandLine(int argc, char **argv)
{
  size_t len = 1;

  PetscFunctionBegin;
  for (int i = 0; i < argc; i++) len += strlen(argv[i]) + 3;
  PetscCall(PetscCalloc1(len, &skua_command_line));
  for (int i = 0; i < argc; i++) {
    PetscBool quote = (strpbrk(argv[i], " \t'\"") != NULL) ? PETSC_TRUE : PETSC_FALSE;
    if (i) strcat(skua_command_line, " ");
    if (quote) strcat(skua_command_line, "'");
    strcat(skua_command_line, argv[i]);
    if (quote) strcat(skua_command_line, "'");
  }
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaCheckCollective(MPI_Comm comm, PetscBool bad, PetscErrorCode code, const char msg[])
{
  PetscMPIInt rank, first, mine;
  char        buf[SKUA_MSG_LEN];

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  mine = bad ? rank : PETSC_MPI_INT_MAX;
  PetscCallMPI(MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm));
  if (first == PETSC_MPI_INT_MAX) PetscFunctionReturn(0);
  if (rank == first) PetscCall(PetscStrncpy(buf, msg, sizeof(buf)));
  PetscCallMPI(MPI_Bcast(buf, sizeof(buf), MPI_CHAR, first, comm));
  SETERRQ(comm, code, "%s", buf);
}

PetscErrorCode SkuaDriverFail(const char prog[], PetscErrorCode ierr, SkuaH5Writer *w, PetscBool keep, const char output[])
{
  PetscFunctionBegin;
  PetscCall(SkuaErrorReport(prog, ierr));
  if (w && *w) PetscCall(SkuaH5WriterAbort(w, keep ? PETSC_FALSE : PETSC_TRUE));
  else keep = PETSC_FALSE;
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%s: failed; %s was not written%s\n", prog, output && output[0] ? output : "the output", keep ? " (finished work kept in its .partial file: rerun with -resume)" : ""));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaRegisterAll(void)
{
  PetscFunctionBegin;
  if (skua_registered) PetscFunctionReturn(0);
  skua_registered = PETSC_TRUE;
  PetscCall(SkuaIORegisterEvents());
  PetscCall(SkuaKSPRegisterAll());
  PetscCall(SkuaPDEInitializePackage());
  PetscCall(SkuaOrderInitializePackage());
  PetscCall(SkuaMGInitializePackage());
  PetscCall(SkuaBCDInitializePackage());
  PetscCall(SkuaSketchInitializePackage());
  PetscCall(SkuaConstrainedInitializePackage());
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaInitialize(int *argc, char ***argv, const char file[], const char help[])
{
  /* No PetscFunctionBegin before PETSc exists. */
  PetscErrorCode ierr = PetscInitialize(argc, argv, file, help);

  if (ierr) return ierr;
  PetscFunctionBegin;
  if (argc && argv) PetscCall(SkuaStoreCommandLine(*argc, *argv));
  PetscCall(SkuaRegisterAll());
  {
    PetscBool traceback = PETSC_FALSE;
    PetscCall(PetscOptionsGetBool(NULL, NULL, "-skua_traceback", &traceback, NULL));
    if (!traceback) {
      PetscCall(PetscPushErrorHandler(SkuaErrorHandler, NULL));
      skua_handler = PETSC_TRUE;
    }
  }
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaFinalize(void)
{
  PetscErrorCode ierr = PetscFree(skua_command_line);

  if (ierr) return ierr;
  if (skua_handler) {
    ierr = PetscPopErrorHandler();
    if (ierr) return ierr;
    skua_handler = PETSC_FALSE;
  }
  skua_registered = PETSC_FALSE;
  return PetscFinalize();
}
