/* macgen/mac_arith: the MAC's arithmetic on signals: dot-matrix columns
 * reduced by a Dadda tree or carry-save rows, ripple-carry and Kogge-Stone
 * prefix adders, and the Baugh-Wooley array and radix-4 Booth multipliers. */
#include <stdlib.h>
#include <string.h>

#include "macgen_internal.h"

/* ---- columns of bits (a dot matrix) --------------------------------------------- */

typedef struct {
  int *b;
  int n, cap;
} col;

static void col_push(mb *b, col *c, int s) {
  if (s == S0) return; /* zeros add nothing */
  if (pp_grow((void **)&c->b, &c->cap, c->n, sizeof(int))) {
    b->oom = 1;
    return;
  }
  c->b[c->n++] = s;
}

/* Adds the constant v (mod 2^n) into the columns. */
static void col_add_const(mb *b, col *cols, int n, uint64_t v) {
  for (int i = 0; i < n && i < 64; i++)
    if ((v >> i) & 1) col_push(b, &cols[i], S1);
}

/* Folds several constant ones in a column into the constant of the next
 * weight (two ones at weight i are one at i+1), so each column holds at most one. */
static void col_fold_consts(col *cols, int n) {
  for (int i = 0; i < n; i++) {
    int ones = 0, k = 0;
    for (int j = 0; j < cols[i].n; j++)
      if (cols[i].b[j] == S1)
        ones++;
      else
        cols[i].b[k++] = cols[i].b[j];
    cols[i].n = k;
    if (ones & 1) cols[i].b[cols[i].n++] = S1; /* capacity was there */
    if (i + 1 < n)
      for (int c = 0; c < ones / 2; c++) {
        if (cols[i + 1].n >= cols[i + 1].cap) {
          int nc = cols[i + 1].cap ? cols[i + 1].cap * 2 : 8;
          int *nb = realloc(cols[i + 1].b, sizeof(int) * (size_t)nc);
          if (!nb) return;
          cols[i + 1].b = nb;
          cols[i + 1].cap = nc;
        }
        cols[i + 1].b[cols[i + 1].n++] = S1;
      }
  }
}

/* Dadda reduction to height 2: stage heights 2, 3, 4, 6, 9, 13, ... */
static void dadda(mb *b, col *cols, int n) {
  int maxh = 0;
  for (int i = 0; i < n; i++)
    if (cols[i].n > maxh) maxh = cols[i].n;
  int d[32], nd = 0;
  d[nd++] = 2;
  while (d[nd - 1] < maxh && nd < 31) d[nd] = d[nd - 1] * 3 / 2, nd++;
  for (int st = nd - 2; st >= 0; st--) {
    int target = d[st];
    col *next = calloc((size_t)n, sizeof(col));
    if (!next) {
      b->oom = 1;
      return;
    }
    for (int i = 0; i < n; i++) {
      int pos = 0; /* bits of cols[i] consumed */
      while (cols[i].n - pos + next[i].n > target && cols[i].n - pos >= 2) {
        int excess = cols[i].n - pos + next[i].n - target;
        int s, co;
        if (excess == 1 || cols[i].n - pos == 2) {
          if (i == n - 1)
            s = mac_xor2(b, cols[i].b[pos], cols[i].b[pos + 1]), co = S0;
          else
            mac_ha(b, cols[i].b[pos], cols[i].b[pos + 1], &s, &co);
          pos += 2;
        } else {
          if (i == n - 1)
            s = mac_fa_sum(b, cols[i].b[pos], cols[i].b[pos + 1], cols[i].b[pos + 2]), co = S0;
          else
            mac_fa(b, cols[i].b[pos], cols[i].b[pos + 1], cols[i].b[pos + 2], &s, &co);
          pos += 3;
        }
        col_push(b, &next[i], s);
        if (i + 1 < n) col_push(b, &next[i + 1], co);
      }
      for (; pos < cols[i].n; pos++) col_push(b, &next[i], cols[i].b[pos]);
    }
    for (int i = 0; i < n; i++) {
      free(cols[i].b);
      cols[i] = next[i];
    }
    free(next);
  }
}

/* Carry-save array: rows added one after another (one full-adder delay per
 * row), as a classic array multiplier does. rows[r][i] is row r at weight i. */
static void array_reduce(mb *b, int **rows, int nr, int n, int *x, int *y) {
  for (int i = 0; i < n; i++) x[i] = rows[0][i], y[i] = S0;
  for (int r = 1; r < nr; r++) {
    int nx[64], ny[64];
    for (int i = 0; i < n; i++) ny[i] = S0;
    for (int i = 0; i < n; i++) {
      int s, co;
      if (i == n - 1) {
        s = mac_fa_sum(b, x[i], y[i], rows[r][i]);
        co = S0;
      } else {
        mac_fa(b, x[i], y[i], rows[r][i], &s, &co);
      }
      nx[i] = s;
      if (i + 1 < n) ny[i + 1] = co;
    }
    for (int i = 0; i < n; i++) x[i] = nx[i], y[i] = ny[i];
  }
}

/* ---- adders ------------------------------------------------------------------------ */

/* s = x + y (mod 2^n), ripple carry */
void mac_add_ripple(mb *b, const int *x, const int *y, int n, int *s) {
  int c = S0;
  for (int i = 0; i < n; i++) {
    if (i == n - 1) {
      s[i] = mac_fa_sum(b, x[i], y[i], c);
    } else {
      int co;
      mac_fa(b, x[i], y[i], c, &s[i], &co);
      c = co;
    }
  }
}

/* A signal in a given polarity, with the inverse made at most once. */
typedef struct {
  int pos, neg; /* -3 when not built yet */
} dual;

static int dual_get(mb *b, dual *d, int want_neg) {
  if (want_neg) {
    if (d->neg == -3) d->neg = mac_inv(b, d->pos);
    return d->neg;
  }
  if (d->pos == -3) d->pos = mac_inv(b, d->neg);
  return d->pos;
}

/* s = x + y (mod 2^n), Kogge-Stone parallel prefix: log2(n) levels of
 * (g, p) o (g', p') = (g | p & g', p & p'). With AOI21/OAI21 in the library
 * each level is one inverting complex gate (AOI21 on true signals gives the
 * complemented group generate, OAI21 on complemented ones the true one), so
 * polarity alternates level by level and inverters appear only where
 * positions of different polarity meet; otherwise AND/OR pairs are used. */
void mac_add_prefix(mb *b, const int *x, const int *y, int n, int *s) {
  int h[64];
  dual g[64], p[64];
  for (int i = 0; i < 64; i++) h[i] = S0, g[i].pos = g[i].neg = p[i].pos = p[i].neg = -3;
  if (n <= 0 || n > 64) return;
  int cplx = b->have[F_AOI21] && b->have[F_OAI21] && b->have[F_INV] && b->have[F_NAND2] && b->have[F_NOR2];
  int neg[64] = {0}; /* polarity in which position i currently exists (1: complemented) */
  for (int i = 0; i < n; i++) {
    int gi;
    mac_ha(b, x[i], y[i], &h[i], &gi); /* h = x ^ y (propagate for the sum), g = x & y */
    g[i].pos = gi;
    p[i].pos = h[i];
  }
  for (int d = 1; d < n; d *= 2) {
    dual ng[64], np[64];
    int nneg[64];
    for (int i = 0; i < n; i++) {
      ng[i] = g[i], np[i] = p[i], nneg[i] = neg[i];
      if (i < d) continue;
      int need_p = i - d >= d; /* p of a prefix reaching bit 0 is never used */
      int pol = neg[i];       /* work in position i's polarity, flip it */
      int gi = dual_get(b, &g[i], pol), pi = dual_get(b, &p[i], pol), gj = dual_get(b, &g[i - d], pol);
      ng[i].pos = ng[i].neg = np[i].pos = np[i].neg = -3;
      if (!cplx) {
        /* plain gates keep the true polarity */
        ng[i].pos = mac_or2(b, gi, mac_and2(b, pi, gj));
        np[i].pos = need_p ? mac_and2(b, pi, dual_get(b, &p[i - d], 0)) : S0;
        nneg[i] = 0;
        continue;
      }
      int in3[3], out;
      if (!pol) { /* true inputs: AOI21(p, g', g) = !(g | p g') */
        in3[0] = pi, in3[1] = gj, in3[2] = gi;
        if (mac_is_const(pi) || mac_is_const(gj) || mac_is_const(gi))
          out = mac_inv(b, mac_or2(b, gi, mac_and2(b, pi, gj)));
        else
          mac_emit(b, F_AOI21, in3, 3, &out, 1);
        ng[i].neg = out;
        np[i].neg = need_p ? mac_nand2(b, pi, dual_get(b, &p[i - d], 0)) : S1;
      } else { /* complemented inputs: OAI21(!p, !g', !g) = g | p g' */
        in3[0] = pi, in3[1] = gj, in3[2] = gi;
        if (mac_is_const(pi) || mac_is_const(gj) || mac_is_const(gi))
          out = mac_or2(b, mac_inv(b, gi), mac_and2(b, mac_inv(b, pi), mac_inv(b, gj)));
        else
          mac_emit(b, F_OAI21, in3, 3, &out, 1);
        ng[i].pos = out;
        np[i].pos = need_p ? mac_nor2(b, pi, dual_get(b, &p[i - d], 1)) : S0;
      }
      nneg[i] = !pol;
    }
    for (int i = 0; i < n; i++) g[i] = ng[i], p[i] = np[i], neg[i] = nneg[i];
  }
  s[0] = h[0];
  for (int i = 1; i < n; i++)
    s[i] = neg[i - 1] && g[i - 1].pos == -3 ? mac_xnor2(b, h[i], g[i - 1].neg) : mac_xor2(b, h[i], dual_get(b, &g[i - 1], 0));
}

/* ---- the multipliers ------------------------------------------------------------------ */

/* prod = w * a mod 2^n (n = W + A): partial products as a dot matrix. */
void mac_mult_array(mb *b, const int *w, int W, const int *a, int A, int *prod) {
  int n = W + A;
  /* Baugh-Wooley for signed w x unsigned a: the sign row terms -w[W-1] a[j] 2^(W-1+j)
   * become NAND bits plus the constant 2^(W-1) + 2^(W+A-1) (mod 2^n). */
  int **rows = calloc((size_t)A + 1, sizeof(int *));
  if (!rows) {
    b->oom = 1;
    return;
  }
  for (int j = 0; j <= A; j++) {
    rows[j] = malloc(sizeof(int) * (size_t)n);
    if (!rows[j]) b->oom = 1;
  }
  if (!b->oom) {
    for (int j = 0; j < A; j++) {
      for (int i = 0; i < n; i++) rows[j][i] = S0;
      for (int i = 0; i < W - 1; i++) rows[j][i + j] = mac_and2(b, w[i], a[j]);
      rows[j][W - 1 + j] = mac_nand2(b, w[W - 1], a[j]);
    }
    // NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult): W, A >= 2, pp_mac_generate checks them first
    uint64_t k = ((uint64_t)1 << (W - 1)) + ((uint64_t)1 << (n - 1));
    for (int i = 0; i < n; i++) rows[A][i] = ((k >> i) & 1) ? S1 : S0;
    /* the constant row goes first so that it folds into the first adders */
    int *t = rows[A];
    for (int j = A; j > 0; j--) rows[j] = rows[j - 1];
    rows[0] = t;
    int x[64] = {0}, y[64] = {0}; /* every bit below n is set by array_reduce */
    array_reduce(b, rows, A + 1, n, x, y);
    mac_add_ripple(b, x, y, n, prod);
  }
  for (int j = 0; j <= A; j++) free(rows[j]);
  free(rows);
}

/* Radix-4 Booth recoding of the signed weight, a Dadda tree, a prefix adder. */
void mac_mult_booth(mb *b, const int *w, int W, const int *a, int A, int *prod) {
  int n = W + A;
  col *cols = calloc((size_t)n, sizeof(col));
  if (!cols) {
    b->oom = 1;
    return;
  }
  int nd = (W + 1) / 2;
  uint64_t konst = 0, mask = n >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << n) - 1);
  for (int k = 0; k < nd; k++) {
    /* digit from w[2k+1], w[2k], w[2k-1] (w sign-extended, w[-1] = 0) */
    int hi = w[2 * k + 1 < W ? 2 * k + 1 : W - 1];
    int mid = w[(size_t)2 * k];
    int lo = k ? w[2 * k - 1] : S0;
    int neg = hi;
    int one = mac_xor2(b, mid, lo);
    int two = mac_and2(b, mac_xor2(b, hi, mid), mac_inv(b, one));
    /* magnitude m (A+1 bits) and the partial product (A+2 bits, sign = neg) */
    int base = 2 * k;
    for (int i = 0; i <= A; i++) {
      int ai = i < A ? a[i] : S0, am = i ? a[i - 1] : S0;
      int m = mac_nand2(b, mac_nand2(b, one, ai), mac_nand2(b, two, am));
      if (base + i < n) col_push(b, &cols[base + i], mac_xor2(b, m, neg));
    }
    /* sign bit at A+1 as !neg, and -2^(A+1) in the constant (sign-extension trick) */
    if (base + A + 1 < n) col_push(b, &cols[base + A + 1], mac_inv(b, neg));
    konst -= (uint64_t)1 << (base + A + 1 < 64 ? base + A + 1 : 63);
    /* +neg at the LSB completes the two's complement */
    if (base < n) col_push(b, &cols[base], neg);
  }
  col_add_const(b, cols, n, konst & mask);
  col_fold_consts(cols, n);
  dadda(b, cols, n);
  int x[64] = {0}, y[64] = {0}; /* every bit below n is set in the loop */
  for (int i = 0; i < n; i++) {
    // NOLINTNEXTLINE(clang-analyzer-unix.Malloc): dadda frees each old column after moving its successor in
    x[i] = cols[i].n > 0 ? cols[i].b[0] : S0;
    y[i] = cols[i].n > 1 ? cols[i].b[1] : S0;
  }
  mac_add_prefix(b, x, y, n, prod);
  for (int i = 0; i < n; i++) free(cols[i].b);
  free(cols);
}

