/* The equality-constrained Hock-Schittkowski problems (Hock & Schittkowski, "Test Examples for Nonlinear
   Programming Codes", LNEMS 187, Springer 1981) with exact first and second derivatives. Replicated: x, lambda
   and the Mats live on the given communicator with every entry on rank 0; rank 0 evaluates. */
#include "constrainedimpl.h"

#define HS_NMAX 7
#define HS_MMAX 4

typedef struct {
  PetscReal f, g[HS_NMAX], c[HS_MMAX], J[HS_MMAX][HS_NMAX], H[HS_NMAX][HS_NMAX];
} HSOut;

/* Symmetric entry (i, j) of the Lagrangian Hessian: adds v at (i, j) and (j, i). */
#define HADD(i, j, v) \
  do { \
    o->H[i][j] += (v); \
    if ((i) != (j)) o->H[j][i] += (v); \
  } while (0)

static void hs6(const PetscReal *x, const PetscReal *l, HSOut *o)
{
  o->f    = PetscSqr(1 - x[0]);
  o->g[0] = -2 * (1 - x[0]);
  o->c[0] = 10 * (x[1] - x[0] * x[0]);
  o->J[0][0] = -20 * x[0];
  o->J[0][1] = 10;
  HADD(0, 0, 2 - 20 * l[0]);
}

static void hs7(const PetscReal *x, const PetscReal *l, HSOut *o)
{
  PetscReal q = 1 + x[0] * x[0];
  o->f       = PetscLogReal(q) - x[1];
  o->g[0]    = 2 * x[0] / q;
  o->g[1]    = -1;
  o->c[0]    = q * q + x[1] * x[1] - 4;
  o->J[0][0] = 4 * x[0] * q;
  o->J[0][1] = 2 * x[1];
  HADD(0, 0, (2 - 2 * x[0] * x[0]) / (q * q) + l[0] * (4 + 12 * x[0] * x[0]));
  HADD(1, 1, 2 * l[0]);
}

static void hs9(const PetscReal *x, const PetscReal *l, HSOut *o)
{
  PetscReal a = PETSC_PI / 12, b = PETSC_PI / 16;
  PetscReal sa = PetscSinReal(a * x[0]), ca = PetscCosReal(a * x[0]), sb = PetscSinReal(b * x[1]), cb = PetscCosReal(b * x[1]);
  o->f       = sa * cb;
  o->g[0]    = a * ca * cb;
  o->g[1]    = -b * sa * sb;
  o->c[0]    = 4 * x[0] - 3 * x[1];
  o->J[0][0] = 4;
  o->J[0][1] = -3;
  HADD(0, 0, -a * a * sa * cb);
  HADD(0, 1, -a * b * ca * sb);
  HADD(1, 1, -b * b * sa * cb);
}

static void hs26(const PetscReal *x, const PetscReal *l, HSOut *o)
{
  PetscReal a = x[0] - x[1], b = x[1] - x[2];
  o->f       = a * a + PetscPowReal(b, 4);
  o->g[0]    = 2 * a;
  o->g[1]    = -2 * a + 4 * b * b * b;
  o->g[2]    = -4 * b * b * b;
  o->c[0]    = (1 + x[1] * x[1]) * x[0] + PetscPowReal(x[2], 4) - 3;
  o->J[0][0] = 1 + x[1] * x[1];
  o->J[0][1] = 2 * x[1] * x[0];
  o->J[0][2] = 4 * x[2] * x[2] * x[2];
  HADD(0, 0, 2);
  HADD(0, 1, -2 + 2 * x[1] * l[0]);
  HADD(1, 1, 2 + 12 * b * b + 2 * x[0] * l[0]);
  HADD(1, 2, -12 * b * b);
  HADD(2, 2, 12 * b * b + 12 * x[2] * x[2] * l[0]);
}

static void hs27(const PetscReal *x, const PetscReal *l, HSOut *o)
{
  PetscReal r = x[1] - x[0] * x[0];
  o->f       = 0.01 * PetscSqr(x[0] - 1) + r * r;
  o->g[0]    = 0.02 * (x[0] - 1) - 4 * x[0] * r;
  o->g[1]    = 2 * r;
  o->c[0]    = x[0] + x[2] * x[2] + 1;
  o->J[0][0] = 1;
  o->J[0][2] = 2 * x[2];
  HADD(0, 0, 0.02 - 4 * x[1] + 12 * x[0] * x[0]);
  HADD(0, 1, -4 * x[0]);
  HADD(1, 1, 2);
  HADD(2, 2, 2 * l[0]);
}

static void hs28(const PetscReal *x, const PetscReal *l, HSOut *o)
{
  PetscReal a = x[0] + x[1], b = x[1] + x[2];
  o->f       = a * a + b * b;
  o->g[0]    = 2 * a;
  o->g[1]    = 2 * a + 2 * b;
  o->g[2]    = 2 * b;
  o->c[0]    = x[0] + 2 * x[1] + 3 * x[2] - 1;
  o->J[0][0] = 1;
  o->J[0][1] = 2;
  o->J[0][2] = 3;
  HADD(0, 0, 2);
  HADD(0, 1, 2);
  HADD(1, 1, 4);
  HADD(1, 2, 2);
  HADD(2, 2, 2);
}

static void hs39(const PetscReal *x, const PetscReal *l, HSOut *o)
{
  o->f       = -x[0];
  o->g[0]    = -1;
  o->c[0]    = x[1] - x[0] * x[0] * x[0] - x[2] * x[2];
  o->c[1]    = x[0] * x[0] - x[1] - x[3] * x[3];
  o->J[0][0] = -3 * x[0] * x[0];
  o->J[0][1] = 1;
  o->J[0][2] = -2 * x[2];
  o->J[1][0] = 2 * x[0];
  o->J[1][1] = -1;
  o->J[1][3] = -2 * x[3];
  HADD(0, 0, -6 * x[0] * l[0] + 2 * l[1]);
  HADD(2, 2, -2 * l[0]);
  HADD(3, 3, -2 * l[1]);
}

static void hs40(const PetscReal *x, const PetscReal *l, HSOut *o)
{
  o->f = -x[0] * x[1] * x[2] * x[3];
  for (PetscInt i = 0; i < 4; i++) {
    PetscReal p = -1;
    for (PetscInt j = 0; j < 4; j++)
      if (j != i) p *= x[j];
    o->g[i] = p;
    for (PetscInt j = i + 1; j < 4; j++) {
      PetscReal q = -1;
      for (PetscInt k = 0; k < 4; k++)
        if (k != i && k != j) q *= x[k];
      HADD(i, j, q);
    }
  }
  o->c[0]    = x[0] * x[0] * x[0] + x[1] * x[1] - 1;
  o->c[1]    = x[0] * x[0] * x[3] - x[2];
  o->c[2]    = x[3] * x[3] - x[1];
  o->J[0][0] = 3 * x[0] * x[0];
  o->J[0][1] = 2 * x[1];
  o->J[1][0] = 2 * x[0] * x[3];
  o->J[1][2] = -1;
  o->J[1][3] = x[0] * x[0];
  o->J[2][1] = -1;
  o->J[2][3] = 2 * x[3];
  HADD(0, 0, 6 * x[0] * l[0] + 2 * x[3] * l[1]);
  HADD(1, 1, 2 * l[0]);
  HADD(0, 3, 2 * x[0] * l[1]);
  HADD(3, 3, 2 * l[2]);
}

static void hs42(const PetscReal *x, const PetscReal *l, HSOut *o)
{
  o->f = 0;
  for (PetscInt i = 0; i < 4; i++) {
    o->f += PetscSqr(x[i] - (i + 1));
    o->g[i] = 2 * (x[i] - (i + 1));
    HADD(i, i, 2);
  }
  o->c[0]    = x[0] - 2;
  o->c[1]    = x[2] * x[2] + x[3] * x[3] - 2;
  o->J[0][0] = 1;
  o->J[1][2] = 2 * x[2];
  o->J[1][3] = 2 * x[3];
  HADD(2, 2, 2 * l[1]);
  HADD(3, 3, 2 * l[1]);
}

/* (x1 - x2)^2 + (x3 - 1)^2 + (x4 - 1)^4 + (x5 - 1)^6: the objective shared by HS46 and HS49; HS77 (x1sq) adds
   (x1 - 1)^2 in front. */
static void obj46(const PetscReal *x, PetscBool x1sq, HSOut *o)
{
  PetscReal a = x[0] - x[1], d = x[3] - 1, e = x[4] - 1, f0 = x1sq ? PetscSqr(x[0] - 1) : 0;
  o->f    = f0 + a * a + PetscSqr(x[2] - 1) + PetscPowReal(d, 4) + PetscPowReal(e, 6);
  o->g[0] = x1sq ? 2 * (x[0] - 1) + 2 * a : 2 * a;
  o->g[1] = -2 * a;
  o->g[2] = 2 * (x[2] - 1);
  o->g[3] = 4 * d * d * d;
  o->g[4] = 6 * PetscPowReal(e, 5);
  HADD(0, 0, x1sq ? 4 : 2);
  HADD(0, 1, -2);
  HADD(1, 1, 2);
  HADD(2, 2, 2);
  HADD(3, 3, 12 * d * d);
  HADD(4, 4, 30 * PetscPowReal(e, 4));
}

/* c1 = x1^2 x4 + sin(x4 - x5) - r1, c2 = x2 + x3^4 x4^2 - r2: the constraints of HS46 and HS77. */
static void con46(const PetscReal *x, const PetscReal *l, PetscReal r1, PetscReal r2, HSOut *o)
{
  PetscReal s = PetscSinReal(x[3] - x[4]), cs = PetscCosReal(x[3] - x[4]);
  o->c[0]    = x[0] * x[0] * x[3] + s - r1;
  o->c[1]    = x[1] + PetscPowReal(x[2], 4) * x[3] * x[3] - r2;
  o->J[0][0] = 2 * x[0] * x[3];
  o->J[0][3] = x[0] * x[0] + cs;
  o->J[0][4] = -cs;
  o->J[1][1] = 1;
  o->J[1][2] = 4 * x[2] * x[2] * x[2] * x[3] * x[3];
  o->J[1][3] = 2 * PetscPowReal(x[2], 4) * x[3];
  HADD(0, 0, 2 * x[3] * l[0]);
  HADD(0, 3, 2 * x[0] * l[0]);
  HADD(3, 3, -s * l[0] + 2 * PetscPowReal(x[2], 4) * l[1]);
  HADD(3, 4, s * l[0]);
  HADD(4, 4, -s * l[0]);
  HADD(2, 2, 12 * x[2] * x[2] * x[3] * x[3] * l[1]);
  HADD(2, 3, 8 * x[2] * x[2] * x[2] * x[3] * l[1]);
}

static void hs46(const PetscReal *x, const PetscReal *l, HSOut *o)
{
  obj46(x, PETSC_FALSE, o);
  con46(x, l, 1, 2, o);
}

/* Derivatives of c1 = x1 + x2^2 + x3^3 - r1, c2 = x2 - x3^2 + x4 - r2, c3 = x1 x5 - r3: the constraints of HS47 and
   HS79, which differ only in the constants. */
static void con47(const PetscReal *x, const PetscReal *l, HSOut *o)
{
  o->J[0][0] = 1;
  o->J[0][1] = 2 * x[1];
  o->J[0][2] = 3 * x[2] * x[2];
  o->J[1][1] = 1;
  o->J[1][2] = -2 * x[2];
  o->J[1][3] = 1;
  o->J[2][0] = x[4];
  o->J[2][4] = x[0];
  HADD(1, 1, 2 * l[0]);
  HADD(2, 2, 6 * x[2] * l[0] - 2 * l[1]);
  HADD(0, 4, l[2]);
}

/* (x1 - x2)^2 + (x2 - x3)^p + (x3 - x4)^4 + (x4 - x5)^q with (p, q) = (3, 4) for HS47; HS79 adds (x1 - 1)^2. */
static void hs47(const PetscReal *x, const PetscReal *l, HSOut *o)
{
  PetscReal a = x[0] - x[1], b = x[1] - x[2], cc = x[2] - x[3], d = x[3] - x[4];
  o->f       = a * a + b * b * b + PetscPowReal(cc, 4) + PetscPowReal(d, 4);
  o->g[0]    = 2 * a;
  o->g[1]    = -2 * a + 3 * b * b;
  o->g[2]    = -3 * b * b + 4 * cc * cc * cc;
  o->g[3]    = -4 * cc * cc * cc + 4 * d * d * d;
  o->g[4]    = -4 * d * d * d;
  HADD(0, 0, 2);
  HADD(0, 1, -2);
  HADD(1, 1, 2 + 6 * b);
  HADD(1, 2, -6 * b);
  HADD(2, 2, 6 * b + 12 * cc * cc);
  HADD(2, 3, -12 * cc * cc);
  HADD(3, 3, 12 * cc * cc + 12 * d * d);
  HADD(3, 4, -12 * d * d);
  HADD(4, 4, 12 * d * d);
  o->c[0]    = x[0] + x[1] * x[1] + x[2] * x[2] * x[2] - 3;
  o->c[1]    = x[1] - x[2] * x[2] + x[3] - 1;
  o->c[2]    = x[0] * x[4] - 1;
  con47(x, l, o);
}

static void hs48(const PetscReal *x, const PetscReal *l, HSOut *o)
{
  o->f    = PetscSqr(x[0] - 1) + PetscSqr(x[1] - x[2]) + PetscSqr(x[3] - x[4]);
  o->g[0] = 2 * (x[0] - 1);
  o->g[1] = 2 * (x[1] - x[2]);
  o->g[2] = -2 * (x[1] - x[2]);
  o->g[3] = 2 * (x[3] - x[4]);
  o->g[4] = -2 * (x[3] - x[4]);
  HADD(0, 0, 2);
  HADD(1, 1, 2);
  HADD(1, 2, -2);
  HADD(2, 2, 2);
  HADD(3, 3, 2);
  HADD(3, 4, -2);
  HADD(4, 4, 2);
  o->c[0] = x[0] + x[1] + x[2] + x[3] + x[4] - 5;
  o->c[1] = x[2] - 2 * (x[3] + x[4]) + 3;
  for (PetscInt j = 0; j < 5; j++) o->J[0][j] = 1;
  o->J[1][2] = 1;
  o->J[1][3] = -2;
  o->J[1][4] = -2;
}

static void hs49(const PetscReal *x, const PetscReal *l, HSOut *o)
{
  obj46(x, PETSC_FALSE, o);
  o->c[0]    = x[0] + x[1] + x[2] + 4 * x[3] - 7;
  o->c[1]    = x[2] + 5 * x[4] - 6;
  o->J[0][0] = 1;
  o->J[0][1] = 1;
  o->J[0][2] = 1;
  o->J[0][3] = 4;
  o->J[1][2] = 1;
  o->J[1][4] = 5;
}

static void hs50(const PetscReal *x, const PetscReal *l, HSOut *o)
{
  PetscReal a = x[0] - x[1], b = x[1] - x[2], cc = x[2] - x[3], d = x[3] - x[4];
  o->f    = a * a + b * b + PetscPowReal(cc, 4) + d * d;
  o->g[0] = 2 * a;
  o->g[1] = -2 * a + 2 * b;
  o->g[2] = -2 * b + 4 * cc * cc * cc;
  o->g[3] = -4 * cc * cc * cc + 2 * d;
  o->g[4] = -2 * d;
  HADD(0, 0, 2);
  HADD(0, 1, -2);
  HADD(1, 1, 4);
  HADD(1, 2, -2);
  HADD(2, 2, 2 + 12 * cc * cc);
  HADD(2, 3, -12 * cc * cc);
  HADD(3, 3, 12 * cc * cc + 2);
  HADD(3, 4, -2);
  HADD(4, 4, 2);
  for (PetscInt i = 0; i < 3; i++) {
    o->c[i]        = x[i] + 2 * x[i + 1] + 3 * x[i + 2] - 6;
    o->J[i][i]     = 1;
    o->J[i][i + 1] = 2;
    o->J[i][i + 2] = 3;
  }
}

/* HS51 and HS52 share their constraints (HS52's first has no constant). */
static void con51(const PetscReal *x, PetscReal r, HSOut *o)
{
  o->c[0]    = x[0] + 3 * x[1] - r;
  o->c[1]    = x[2] + x[3] - 2 * x[4];
  o->c[2]    = x[1] - x[4];
  o->J[0][0] = 1;
  o->J[0][1] = 3;
  o->J[1][2] = 1;
  o->J[1][3] = 1;
  o->J[1][4] = -2;
  o->J[2][1] = 1;
  o->J[2][4] = -1;
}

/* (s x1 - x2)^2 + (x2 + x3 - 2)^2 + (x4 - 1)^2 + (x5 - 1)^2: HS51 (s = 1) and HS52 (s = 4). */
static void obj51(const PetscReal *x, PetscReal s, HSOut *o)
{
  PetscReal a = s * x[0] - x[1], b = x[1] + x[2] - 2;
  o->f    = a * a + b * b + PetscSqr(x[3] - 1) + PetscSqr(x[4] - 1);
  o->g[0] = 2 * s * a;
  o->g[1] = -2 * a + 2 * b;
  o->g[2] = 2 * b;
  o->g[3] = 2 * (x[3] - 1);
  o->g[4] = 2 * (x[4] - 1);
  HADD(0, 0, 2 * s * s);
  HADD(0, 1, -2 * s);
  HADD(1, 1, 4);
  HADD(1, 2, 2);
  HADD(2, 2, 2);
  HADD(3, 3, 2);
  HADD(4, 4, 2);
}

static void hs51(const PetscReal *x, const PetscReal *l, HSOut *o)
{
  obj51(x, 1, o);
  con51(x, 4, o);
}

static void hs52(const PetscReal *x, const PetscReal *l, HSOut *o)
{
  obj51(x, 4, o);
  con51(x, 0, o);
}

static void hs56(const PetscReal *x, const PetscReal *l, HSOut *o)
{
  o->f    = -x[0] * x[1] * x[2];
  o->g[0] = -x[1] * x[2];
  o->g[1] = -x[0] * x[2];
  o->g[2] = -x[0] * x[1];
  HADD(0, 1, -x[2]);
  HADD(0, 2, -x[1]);
  HADD(1, 2, -x[0]);
  for (PetscInt i = 0; i < 3; i++) {
    PetscReal s = PetscSinReal(x[3 + i]);
    o->c[i]        = x[i] - 4.2 * s * s;
    o->J[i][i]     = 1;
    o->J[i][3 + i] = -4.2 * PetscSinReal(2 * x[3 + i]);
    HADD(3 + i, 3 + i, -8.4 * PetscCosReal(2 * x[3 + i]) * l[i]);
  }
  {
    PetscReal s = PetscSinReal(x[6]);
    o->c[3]    = x[0] + 2 * x[1] + 2 * x[2] - 7.2 * s * s;
    o->J[3][0] = 1;
    o->J[3][1] = 2;
    o->J[3][2] = 2;
    o->J[3][6] = -7.2 * PetscSinReal(2 * x[6]);
    HADD(6, 6, -14.4 * PetscCosReal(2 * x[6]) * l[3]);
  }
}

static void hs61(const PetscReal *x, const PetscReal *l, HSOut *o)
{
  o->f       = 4 * x[0] * x[0] + 2 * x[1] * x[1] + 2 * x[2] * x[2] - 33 * x[0] + 16 * x[1] - 24 * x[2];
  o->g[0]    = 8 * x[0] - 33;
  o->g[1]    = 4 * x[1] + 16;
  o->g[2]    = 4 * x[2] - 24;
  o->c[0]    = 3 * x[0] - 2 * x[1] * x[1] - 7;
  o->c[1]    = 4 * x[0] - x[2] * x[2] - 11;
  o->J[0][0] = 3;
  o->J[0][1] = -4 * x[1];
  o->J[1][0] = 4;
  o->J[1][2] = -2 * x[2];
  HADD(0, 0, 8);
  HADD(1, 1, 4 - 4 * l[0]);
  HADD(2, 2, 4 - 2 * l[1]);
}

static void hs77(const PetscReal *x, const PetscReal *l, HSOut *o)
{
  obj46(x, PETSC_TRUE, o);
  con46(x, l, 2 * PETSC_SQRT2, 8 + PETSC_SQRT2, o);
}

static void hs78(const PetscReal *x, const PetscReal *l, HSOut *o)
{
  o->f = x[0] * x[1] * x[2] * x[3] * x[4];
  for (PetscInt i = 0; i < 5; i++) {
    PetscReal p = 1;
    for (PetscInt j = 0; j < 5; j++)
      if (j != i) p *= x[j];
    o->g[i] = p;
    for (PetscInt j = i + 1; j < 5; j++) {
      PetscReal q = 1;
      for (PetscInt k = 0; k < 5; k++)
        if (k != i && k != j) q *= x[k];
      HADD(i, j, q);
    }
  }
  o->c[0] = -10;
  for (PetscInt i = 0; i < 5; i++) {
    o->c[0] += x[i] * x[i];
    o->J[0][i] = 2 * x[i];
    HADD(i, i, 2 * l[0]);
  }
  o->c[1]    = x[1] * x[2] - 5 * x[3] * x[4];
  o->J[1][1] = x[2];
  o->J[1][2] = x[1];
  o->J[1][3] = -5 * x[4];
  o->J[1][4] = -5 * x[3];
  HADD(1, 2, l[1]);
  HADD(3, 4, -5 * l[1]);
  o->c[2]    = x[0] * x[0] * x[0] + x[1] * x[1] * x[1] + 1;
  o->J[2][0] = 3 * x[0] * x[0];
  o->J[2][1] = 3 * x[1] * x[1];
  HADD(0, 0, 6 * x[0] * l[2]);
  HADD(1, 1, 6 * x[1] * l[2]);
}

static void hs79(const PetscReal *x, const PetscReal *l, HSOut *o)
{
  PetscReal a = x[0] - x[1], b = x[1] - x[2], cc = x[2] - x[3], d = x[3] - x[4];
  o->f    = PetscSqr(x[0] - 1) + a * a + b * b + PetscPowReal(cc, 4) + PetscPowReal(d, 4);
  o->g[0] = 2 * (x[0] - 1) + 2 * a;
  o->g[1] = -2 * a + 2 * b;
  o->g[2] = -2 * b + 4 * cc * cc * cc;
  o->g[3] = -4 * cc * cc * cc + 4 * d * d * d;
  o->g[4] = -4 * d * d * d;
  HADD(0, 0, 4);
  HADD(0, 1, -2);
  HADD(1, 1, 4);
  HADD(1, 2, -2);
  HADD(2, 2, 2 + 12 * cc * cc);
  HADD(2, 3, -12 * cc * cc);
  HADD(3, 3, 12 * cc * cc + 12 * d * d);
  HADD(3, 4, -12 * d * d);
  HADD(4, 4, 12 * d * d);
  o->c[0]    = x[0] + x[1] * x[1] + x[2] * x[2] * x[2] - 2 - 3 * PETSC_SQRT2;
  o->c[1]    = x[1] - x[2] * x[2] + x[3] + 2 - 2 * PETSC_SQRT2;
  o->c[2]    = x[0] * x[4] - 2;
  con47(x, l, o);
}

typedef struct {
  PetscInt  number, n, m;
  void (*eval)(const PetscReal *, const PetscReal *, HSOut *);
  PetscReal x0[HS_NMAX];
  PetscReal fstar; /* from Hock & Schittkowski 1981 */
} HSDef;

/* Starting points with irrational entries are completed in HSStart(). */
static const HSDef hs_table[] = {
  {6, 2, 1, hs6, {-1.2, 1}, 0},
  {7, 2, 1, hs7, {2, 2}, -1.7320508075688772},
  {9, 2, 1, hs9, {0, 0}, -0.5},
  {26, 3, 1, hs26, {-2.6, 2, 2}, 0},
  {27, 3, 1, hs27, {2, 2, 2}, 0.04},
  {28, 3, 1, hs28, {-4, 1, 1}, 0},
  {39, 4, 2, hs39, {2, 2, 2, 2}, -1},
  {40, 4, 3, hs40, {0.8, 0.8, 0.8, 0.8}, -0.25},
  {42, 4, 2, hs42, {1, 1, 1, 1}, 13.857864376269049},
  {46, 5, 2, hs46, {0, 1.75, 0.5, 2, 2}, 0},
  {47, 5, 3, hs47, {2, 0, -1, 0, 0.5}, 0},
  {48, 5, 2, hs48, {3, 5, -3, 2, -2}, 0},
  {49, 5, 2, hs49, {10, 7, 2, -3, 0.8}, 0},
  {50, 5, 3, hs50, {35, -31, 11, 5, -5}, 0},
  {51, 5, 3, hs51, {2.5, 0.5, 2, -1, 0.5}, 0},
  {52, 5, 3, hs52, {2, 2, 2, 2, 2}, 5.326647564469914},
  {56, 7, 4, hs56, {1, 1, 1, 0, 0, 0, 0}, -3.456},
  {61, 3, 2, hs61, {0, 0, 0}, -143.6461422},
  {77, 5, 2, hs77, {2, 2, 2, 2, 2}, 0.24150513},
  {78, 5, 3, hs78, {-2, 1.5, 2, -1, -1}, -2.91970041},
  {79, 5, 3, hs79, {2, 2, 2, 2, 2}, 0.0787768209},
};

static void HSStart(const HSDef *d, PetscReal x0[])
{
  for (PetscInt i = 0; i < d->n; i++) x0[i] = d->x0[i];
  if (d->number == 46) x0[0] = 0.5 * PETSC_SQRT2;
  if (d->number == 47) {
    x0[1] = PETSC_SQRT2;
    x0[3] = 2 - PETSC_SQRT2;
  }
  if (d->number == 56) {
    x0[3] = x0[4] = x0[5] = PetscAsinReal(PetscSqrtReal(1 / 4.2));
    x0[6] = PetscAsinReal(PetscSqrtReal(5 / 7.2));
  }
}

typedef struct {
  const HSDef *def;
  PetscMPIInt  rank;
  HSOut        o;
  PetscReal    lam[HS_MMAX];
  Vec          cvec;
  Mat          J, H;
} HSCtx;

/* Rank 0 evaluates everything at (x, lambda); lambda NULL means zero multipliers. */
static PetscErrorCode HSEval(HSCtx *h, Vec x, Vec lam)
{
  PetscFunctionBegin;
  PetscCall(PetscMemzero(&h->o, sizeof(h->o)));
  if (!h->rank) {
    const PetscScalar *xa, *la = NULL;
    PetscReal          xr[HS_NMAX], lr[HS_MMAX] = {0};
    PetscCall(VecGetArrayRead(x, &xa));
    for (PetscInt i = 0; i < h->def->n; i++) xr[i] = PetscRealPart(xa[i]);
    PetscCall(VecRestoreArrayRead(x, &xa));
    if (lam) {
      PetscCall(VecGetArrayRead(lam, &la));
      for (PetscInt i = 0; i < h->def->m; i++) lr[i] = PetscRealPart(la[i]);
      PetscCall(VecRestoreArrayRead(lam, &la));
    }
    h->def->eval(xr, lr, &h->o);
  }
  PetscFunctionReturn(0);
}

/* Rows x n of a row-major array with row stride HS_NMAX (o.J or o.H) into the rank-0 matrix A, then assembly
   (collective; the other ranks hold no rows). */
static PetscErrorCode SetRank0Dense(HSCtx *h, Mat A, PetscInt rows, const PetscReal *a)
{
  PetscFunctionBegin;
  if (!h->rank)
    for (PetscInt i = 0; i < rows; i++)
      for (PetscInt j = 0; j < h->def->n; j++) PetscCall(MatSetValue(A, i, j, a[i * HS_NMAX + j], INSERT_VALUES));
  PetscCall(MatAssemblyBegin(A, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(A, MAT_FINAL_ASSEMBLY));
  PetscFunctionReturn(0);
}

static PetscErrorCode HSObjective(SkuaConstrained C, Vec x, PetscReal *f, Vec g, void *ctx)
{
  HSCtx *h = (HSCtx *)ctx;

  PetscFunctionBegin;
  PetscCall(HSEval(h, x, NULL));
  PetscCallMPI(MPI_Bcast(&h->o.f, 1, MPIU_REAL, 0, PetscObjectComm((PetscObject)x)));
  *f = h->o.f;
  if (g) {
    PetscScalar *ga;
    PetscCall(VecGetArrayWrite(g, &ga));
    if (!h->rank)
      for (PetscInt i = 0; i < h->def->n; i++) ga[i] = h->o.g[i];
    PetscCall(VecRestoreArrayWrite(g, &ga));
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode HSConstraints(SkuaConstrained C, Vec x, Vec c, Mat J, void *ctx)
{
  HSCtx       *h = (HSCtx *)ctx;
  PetscScalar *ca;

  PetscFunctionBegin;
  PetscCall(HSEval(h, x, NULL));
  PetscCall(VecGetArrayWrite(c, &ca));
  if (!h->rank)
    for (PetscInt i = 0; i < h->def->m; i++) ca[i] = h->o.c[i];
  PetscCall(VecRestoreArrayWrite(c, &ca));
  if (J) PetscCall(SetRank0Dense(h, J, h->def->m, &h->o.J[0][0]));
  PetscFunctionReturn(0);
}

static PetscErrorCode HSHessian(SkuaConstrained C, Vec x, Vec lam, Mat H, void *ctx)
{
  HSCtx *h = (HSCtx *)ctx;

  PetscFunctionBegin;
  PetscCall(HSEval(h, x, lam));
  PetscCall(SetRank0Dense(h, H, h->def->n, &h->o.H[0][0]));
  PetscFunctionReturn(0);
}

/* A dense-pattern AIJ matrix with all rows on rank 0 (every entry stored, so the pattern never changes). */
static PetscErrorCode CreateRank0Mat(MPI_Comm comm, PetscMPIInt rank, PetscInt M, PetscInt N, Mat *A)
{
  PetscFunctionBegin;
  PetscCall(MatCreateAIJ(comm, rank ? 0 : M, rank ? 0 : N, M, N, N, NULL, 0, NULL, A));
  PetscCall(MatSetOption(*A, MAT_IGNORE_ZERO_ENTRIES, PETSC_FALSE));
  PetscFunctionReturn(0);
}

static PetscErrorCode HSSetUp(SkuaConstrainedProblem P, SkuaConstrained C, Vec *x0, Vec *l0)
{
  HSCtx    *h = (HSCtx *)P->data;
  PetscReal xs[HS_NMAX];

  PetscFunctionBegin;
  PetscCall(VecCreateMPI(P->comm, h->rank ? 0 : P->n, P->n, x0));
  PetscCall(VecCreateMPI(P->comm, h->rank ? 0 : P->m, P->m, l0));
  HSStart(h->def, xs);
  if (!h->rank)
    for (PetscInt i = 0; i < P->n; i++) PetscCall(VecSetValue(*x0, i, xs[i], INSERT_VALUES));
  PetscCall(VecAssemblyBegin(*x0));
  PetscCall(VecAssemblyEnd(*x0));
  PetscCall(VecSet(*l0, 0.0));
  if (!h->J) {
    PetscCall(VecDuplicate(*l0, &h->cvec));
    PetscCall(CreateRank0Mat(P->comm, h->rank, P->m, P->n, &h->J));
    PetscCall(CreateRank0Mat(P->comm, h->rank, P->n, P->n, &h->H));
  }
  PetscCall(SkuaConstrainedSetObjective(C, HSObjective, h));
  PetscCall(SkuaConstrainedSetConstraints(C, h->cvec, h->J, HSConstraints, h));
  PetscCall(SkuaConstrainedSetHessian(C, h->H, HSHessian, h));
  PetscFunctionReturn(0);
}

static PetscErrorCode HSDestroy(SkuaConstrainedProblem P)
{
  HSCtx *h = (HSCtx *)P->data;

  PetscFunctionBegin;
  PetscCall(VecDestroy(&h->cvec));
  PetscCall(MatDestroy(&h->J));
  PetscCall(MatDestroy(&h->H));
  PetscCall(PetscFree(h));
  PetscFunctionReturn(0);
}

PetscErrorCode SkuaConstrainedProblemCreate_HS(SkuaConstrainedProblem P, PetscInt number, PetscBool *found)
{
  HSCtx *h;

  PetscFunctionBegin;
  *found = PETSC_FALSE;
  for (size_t k = 0; k < sizeof(hs_table) / sizeof(hs_table[0]); k++) {
    if (hs_table[k].number != number) continue;
    PetscCall(PetscNew(&h));
    h->def = &hs_table[k];
    PetscCallMPI(MPI_Comm_rank(P->comm, &h->rank));
    P->data        = h;
    P->n           = h->def->n;
    P->m           = h->def->m;
    P->fstar       = h->def->fstar;
    P->ops.setup   = HSSetUp;
    P->ops.destroy = HSDestroy;
    *found         = PETSC_TRUE;
    break;
  }
  PetscFunctionReturn(0);
}
