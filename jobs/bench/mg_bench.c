/* Multigrid benchmark (issue #5): CG iterations, setup/solve seconds, seconds per million unknowns and solve bandwidth vs STREAM triad, 2-D and 3-D poisson/darcy. */
#include <skua.h>
#include <skua/pc.h>
#include <string.h>

/* memory traffic of one multigrid iteration in fine-grid operator applications: Chebyshev(2) pre- and
   post-smoothing (2 products each), the residual and the grid transfers on the fine level, times ~4/3 (2-D) or
   ~8/7 (3-D) for the coarser levels, plus the CG vector work: about 15 */
#define BOUND_APPLICATIONS 15.0

/* STREAM triad a = b + s c, best of `reps`, 24 bytes per entry (STREAM's count: no write-allocate).
   Every rank runs its own arrays at once, so with np ranks this is the node's aggregate bandwidth. */
static PetscErrorCode StreamTriad(PetscInt n, PetscInt reps, PetscReal *gbs)
{
  double     *a, *b, *c, best = 1e30;
  PetscMPIInt size;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  PetscCall(PetscMalloc3(n, &a, n, &b, n, &c));
  for (PetscInt i = 0; i < n; i++) {
    a[i] = 0.0;
    b[i] = 1.0;
    c[i] = 2.0;
  }
  for (PetscInt r = 0; r < reps; r++) {
    PetscLogDouble t0, t1;
    PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
    PetscCall(PetscTime(&t0));
    for (PetscInt i = 0; i < n; i++) a[i] = b[i] + 3.0 * c[i];
    PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
    PetscCall(PetscTime(&t1));
    if (r > 0) best = PetscMin(best, t1 - t0); /* the first pass pays page faults */
  }
  *gbs = 24.0 * (double)n * size / best / 1e9;
  if (a[n / 2] != 7.0) *gbs = -1; /* keeps the loop from being optimised away, flags a broken run */
  PetscCall(PetscFree3(a, b, c));
  PetscFunctionReturn(0);
}

typedef struct {
  const char *name, *prefix;
  SkuaMGType  mg;        /* SKUA_MG_NONE: one-level PC `pc` */
  const char *pc;
  PetscBool   galerkin;
  PetscBool   onelevel;
} Method;

static const Method methods[] = {
  {"geometric",          "bgeo_",   SKUA_MG_GEOMETRIC, NULL,     PETSC_FALSE, PETSC_FALSE},
  {"geometric-galerkin", "bgeog_",  SKUA_MG_GEOMETRIC, NULL,     PETSC_TRUE,  PETSC_FALSE},
  {"gamg",               "bgamg_",  SKUA_MG_GAMG,      NULL,     PETSC_FALSE, PETSC_FALSE},
  {"boomeramg",          "bboom_",  SKUA_MG_BOOMERAMG, NULL,     PETSC_FALSE, PETSC_FALSE},
  {"icc0",               "bicc_",   SKUA_MG_NONE,      "icc",    PETSC_FALSE, PETSC_TRUE },
  {"jacobi",             "bjac_",   SKUA_MG_NONE,      "jacobi", PETSC_FALSE, PETSC_TRUE },
};
#define NMETHODS 6

int main(int argc, char **argv)
{
  PetscInt       sizes[16] = {257, 513, 1025, 2049}, nsizes = 16, onelevel_max = 1025, stream_n = 20000000;
  PetscInt       sizes3d[16] = {33, 65}, nsizes3d = 16, onelevel_max3d = 65;
  char           fams[256] = "poisson,darcy", meth[256] = "geometric,geometric-galerkin,gamg,boomeramg,icc0,jacobi", json[PETSC_MAX_PATH_LEN] = "";
  PetscReal      stream, rtol = 1e-8;
  PetscMPIInt    size, rank;
  FILE          *fj = NULL;
  PetscBool      first = PETSC_TRUE, rhs_one = PETSC_TRUE, set, set3d, warmup = PETSC_TRUE;

  PetscCall(SkuaInitialize(&argc, &argv, NULL, "Multigrid benchmark: jobs/bench/mg.sh"));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscOptionsBegin(PETSC_COMM_WORLD, NULL, "mg_bench options", NULL);
  PetscCall(PetscOptionsIntArray("-sizes", "2-D grid sizes n (n x n unknowns); 0 skips 2-D", NULL, sizes, &nsizes, &set));
  PetscCall(PetscOptionsIntArray("-sizes3d", "3-D grid sizes n (n^3 unknowns, 7-point; up to 129 as memory allows); 0 skips 3-D", NULL, sizes3d, &nsizes3d, &set3d));
  PetscCall(PetscOptionsInt("-onelevel_max_n3d", "largest 3-D n for icc0/jacobi", NULL, onelevel_max3d, &onelevel_max3d, NULL));
  PetscCall(PetscOptionsString("-families", "comma-separated families", NULL, fams, fams, sizeof(fams), NULL));
  PetscCall(PetscOptionsString("-methods", "comma-separated methods", NULL, meth, meth, sizeof(meth), NULL));
  PetscCall(PetscOptionsInt("-onelevel_max_n", "largest n for icc0/jacobi (thousands of iterations)", NULL, onelevel_max, &onelevel_max, NULL));
  PetscCall(PetscOptionsInt("-stream_n", "STREAM array length per rank", NULL, stream_n, &stream_n, NULL));
  PetscCall(PetscOptionsReal("-rtol", "relative tolerance", NULL, rtol, &rtol, NULL));
  PetscCall(PetscOptionsBool("-rhs_one", "poisson with f = 1 (as the peers' numbers) instead of the GRF f", NULL, rhs_one, &rhs_one, NULL));
  PetscCall(PetscOptionsBool("-warmup", "one untimed geometric solve per size first, so no method pays the process's first touch of that much memory", NULL, warmup, &warmup, NULL));
  PetscCall(PetscOptionsString("-json", "write the results as JSON here", NULL, json, json, sizeof(json), NULL));
  PetscOptionsEnd();
  if (!set) nsizes = 4;
  if (!set3d) nsizes3d = 2;
  if (nsizes == 1 && sizes[0] == 0) nsizes = 0;
  if (nsizes3d == 1 && sizes3d[0] == 0) nsizes3d = 0;

  PetscCall(StreamTriad(stream_n, 10, &stream));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "STREAM triad (%d rank(s), %" PetscInt_FMT " doubles per array): %.1f GB/s\n\n", (int)size, stream_n, (double)stream));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "CG to rtol %g. setup = SkuaMGSetUp + KSPSetUp; us/unk = (setup+solve) seconds per million unknowns;\n"
                                          "BW = its x bytes of one fine-grid MatMult / solve time (a lower bound of the traffic); mv/it = solve time per iteration in fine MatMult times;\n"
                                          "mv BW/STREAM = bandwidth of one fine MatMult (12 nnz + 20 n bytes) against the triad; solve/bound = solve time over the bandwidth\n"
                                          "bound of an iteration taken as %g fine-grid operator applications at STREAM speed (goal for the best preset: <= 3)\n\n", (double)rtol, (double)BOUND_APPLICATIONS));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "| family | n | method | its | setup s | solve s | s per 1M unk | BW GB/s | BW/STREAM | mv/it | mv BW/STREAM | solve/bound |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n"));
  if (json[0] && rank == 0) {
    fj = fopen(json, "w");
    PetscCheck(fj, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "Cannot write %s", json);
    fprintf(fj, "{\"nprocs\": %d, \"stream_triad_gbs\": %.3f, \"rtol\": %g, \"results\": [\n", (int)size, (double)stream, (double)rtol);
  }
  for (PetscInt dfi = 0; dfi < 4; dfi++) {
    const PetscInt      dim = dfi < 2 ? 2 : 3;
    const SkuaPDEFamily f   = dfi % 2 ? SKUA_PDE_DARCY : SKUA_PDE_POISSON;
    char                label[32];
    if (!strstr(fams, SkuaPDEFamilies[f])) continue;
    PetscCall(PetscSNPrintf(label, sizeof(label), "%s%s", SkuaPDEFamilies[f], dim == 3 ? "3d" : ""));
    for (PetscInt s = 0; s < (dim == 3 ? nsizes3d : nsizes); s++) {
      SkuaPDE        pde;
      DM             da;
      Mat            A;
      Vec            b, x;
      PetscReal     *fields[1];
      const PetscInt n = dim == 3 ? sizes3d[s] : sizes[s];
      PetscInt       nn;
      MatInfo        info;
      PetscReal      mvbytes, tmv;
      PetscLogDouble t0, t1;

      PetscCall(SkuaPDECreate(PETSC_COMM_WORLD, &pde));
      PetscCall(SkuaPDESetFamily(pde, f));
      PetscCall(SkuaPDESetSize(pde, n));
      PetscCall(SkuaPDESetDimension(pde, dim));
      PetscCall(SkuaPDESetUp(pde));
      PetscCall(SkuaPDEGetNumNodes(pde, &nn));
      PetscCall(SkuaPDEGetDM(pde, &da));
      PetscCall(DMCreateMatrix(da, &A));
      PetscCall(DMCreateGlobalVector(da, &b));
      PetscCall(VecDuplicate(b, &x));
      PetscCall(PetscMalloc1(nn, &fields[0]));
      PetscCall(SkuaPDESampleFields(pde, 0, fields));
      PetscCall(SkuaPDEAssemble(pde, fields, A, b));
      if (f == SKUA_PDE_POISSON && rhs_one) PetscCall(VecSet(b, 1.0));
      /* one fine MatMult: 8-byte values + 4-byte column indices per nonzero, row pointers, read x, write y */
      PetscCall(MatGetInfo(A, MAT_GLOBAL_SUM, &info));
      mvbytes = 12.0 * info.nz_used + (4.0 + 16.0) * (PetscReal)nn;
      PetscCall(MatMult(A, b, x));
      PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
      PetscCall(PetscTime(&t0));
      for (PetscInt r = 0; r < 20; r++) PetscCall(MatMult(A, b, x));
      PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
      PetscCall(PetscTime(&t1));
      tmv = (t1 - t0) / 20;
      if (warmup) {
        /* A fresh process pays page faults on its first touch of each new high-water mark of memory
           (~1 s at n = 2049 here); later samples of a sequence do not. Pay it once, untimed. */
        KSP wksp;
        PetscCall(KSPCreate(PETSC_COMM_WORLD, &wksp));
        PetscCall(KSPSetOptionsPrefix(wksp, dim == 3 ? "d3bwarm_" : "bwarm_"));
        PetscCall(KSPSetOperators(wksp, A, A));
        PetscCall(KSPSetType(wksp, KSPCG));
        PetscCall(SkuaMGSetType(wksp, SKUA_MG_GEOMETRIC));
        PetscCall(SkuaMGSetUp(wksp, pde, fields));
        PetscCall(KSPSolve(wksp, b, x));
        PetscCall(KSPDestroy(&wksp));
      }
      for (PetscInt m = 0; m < NMETHODS; m++) {
        KSP                ksp;
        PC                 pc;
        PetscInt           its;
        KSPConvergedReason reason;
        PetscLogDouble     ts0, ts1, ts2;
        PetscReal          setup, solve, bw, bound;
        char               opt[64], prefix[64];

        if (!strstr(meth, methods[m].name)) continue;
        /* "geometric" is a prefix of "geometric-galerkin": match whole list items */
        {
          char  buf[256], *tok, *save = NULL;
          PetscBool found = PETSC_FALSE;
          PetscCall(PetscStrncpy(buf, meth, sizeof(buf)));
          for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) found = (PetscBool)(found || !strcmp(tok, methods[m].name));
          if (!found) continue;
        }
        if (methods[m].onelevel && n > (dim == 3 ? onelevel_max3d : onelevel_max)) continue;
        PetscCall(KSPCreate(PETSC_COMM_WORLD, &ksp));
        /* 3-D gets its own prefix: the 2-D presets' option entries (e.g. BoomerAMG's 0.25 threshold) are in the
           database under the 2-D prefix and would otherwise count as user settings for the 3-D KSP */
        PetscCall(PetscSNPrintf(prefix, sizeof(prefix), "%s%s", dim == 3 ? "d3" : "", methods[m].prefix));
        PetscCall(KSPSetOptionsPrefix(ksp, prefix));
        PetscCall(KSPSetOperators(ksp, A, A));
        PetscCall(KSPSetType(ksp, KSPCG));
        PetscCall(KSPSetTolerances(ksp, rtol, 1e-50, PETSC_DEFAULT, 100000));
        if (methods[m].galerkin) {
          PetscCall(PetscSNPrintf(opt, sizeof(opt), "-%sskua_mg_galerkin", prefix));
          PetscCall(PetscOptionsSetValue(NULL, opt, "true"));
        }
        PetscCall(VecZeroEntries(x));
        PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
        PetscCall(PetscTime(&ts0));
        if (methods[m].onelevel) {
          PetscCall(KSPGetPC(ksp, &pc));
          PetscCall(PCSetType(pc, size > 1 && !strcmp(methods[m].pc, "icc") ? PCBJACOBI : methods[m].pc));
          PetscCall(KSPSetFromOptions(ksp));
        } else {
          PetscCall(SkuaMGSetType(ksp, methods[m].mg));
          PetscCall(SkuaMGSetUp(ksp, pde, fields));
        }
        PetscCall(KSPSetUp(ksp));
        PetscCall(KSPSetUpOnBlocks(ksp));
        PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
        PetscCall(PetscTime(&ts1));
        PetscCall(KSPSolve(ksp, b, x));
        PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
        PetscCall(PetscTime(&ts2));
        PetscCall(KSPGetIterationNumber(ksp, &its));
        PetscCall(KSPGetConvergedReason(ksp, &reason));
        setup = ts1 - ts0;
        solve = ts2 - ts1;
        bw    = its * mvbytes / solve / 1e9;
        bound = PetscMax(its, 1) * BOUND_APPLICATIONS * mvbytes / (stream * 1e9);
        PetscCall(PetscPrintf(PETSC_COMM_WORLD, "| %s | %" PetscInt_FMT " | %s | %" PetscInt_FMT "%s | %.3f | %.3f | %.3f | %.1f | %.2f | %.1f | %.2f | %.2f |\n", label, n, methods[m].name, its, reason > 0 ? "" : " (not converged)", setup, solve, (setup + solve) / ((PetscReal)nn) * 1e6, (double)bw, (double)(bw / stream), (double)(solve / PetscMax(its, 1) / tmv), (double)(mvbytes / tmv / 1e9 / stream), (double)(solve / bound)));
        if (fj) {
          fprintf(fj, "%s  {\"family\": \"%s\", \"dim\": %d, \"n\": %d, \"unknowns\": %d, \"method\": \"%s\", \"its\": %d, \"converged\": %s, \"setup_s\": %.6f, \"solve_s\": %.6f, \"s_per_munknowns\": %.6f, \"solve_bw_gbs\": %.3f, \"bw_over_stream\": %.4f, \"matmult_s\": %.6g, \"matmult_bytes\": %.0f, \"solve_over_bound\": %.4f}", first ? "" : ",\n", SkuaPDEFamilies[f], (int)dim, (int)n, (int)nn, methods[m].name, (int)its, reason > 0 ? "true" : "false", setup, solve, (setup + solve) / ((double)nn) * 1e6, (double)bw, (double)(bw / stream), (double)tmv, (double)mvbytes, (double)(solve / bound));
          first = PETSC_FALSE;
          fflush(fj);
        }
        PetscCall(KSPDestroy(&ksp));
      }
      PetscCall(PetscFree(fields[0]));
      PetscCall(VecDestroy(&x));
      PetscCall(VecDestroy(&b));
      PetscCall(MatDestroy(&A));
      PetscCall(SkuaPDEDestroy(&pde));
    }
  }
  if (fj) {
    fprintf(fj, "\n]}\n");
    fclose(fj);
  }
  PetscCall(SkuaFinalize());
  return 0;
}
