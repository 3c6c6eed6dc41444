/* netlist/macgen: the MAC generator. Builds y = p + w*a (w signed, a
 * unsigned, p/y signed and wrapping) as a gate netlist in the cells of a
 * given library, found by their Boolean function rather than by name, with
 * an array or a radix-4 Booth + Dadda-tree multiplier and a ripple-carry or
 * Kogge-Stone prefix adder, and writes it as structural Verilog. */
#include <stdlib.h>
#include <string.h>

#include "pp/util_mem.h"
#include "pp/netlist.h"

/* ---- cells by function --------------------------------------------------------- */

/* A library cell matched to a logical function: the cell, which cell input
 * each logical input goes to, and which cell output gives each logical output. */
typedef struct {
  int cell;
  int in_pin[3];  /* logical input -> cell input position */
  int out_pos[2]; /* logical output -> cell output position */
} cpick;

/* Truth table of the cell output pos, re-indexed to logical input order perm. */
static uint64_t permuted_truth(const pp_lib_cell *c, int pos, const int *perm, int k) {
  uint64_t t = c->pins[c->outputs[pos]].truth, r = 0;
  for (int row = 0; row < (1 << k); row++) {
    int crow = 0;
    for (int l = 0; l < k; l++)
      if ((row >> l) & 1) crow |= 1 << perm[l];
    if ((t >> crow) & 1) r |= (uint64_t)1 << row;
  }
  return r;
}

/* Smallest-area cell with k inputs and n_out outputs realizing truth[0..n_out-1]. */
static int find_cell(const pp_lib *lib, int k, int n_out, const uint64_t *truth, cpick *pk) {
  static const int perms2[2][3] = {{0, 1, 2}, {1, 0, 2}};
  static const int perms3[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
  int best = -1;
  double best_area = 0;
  for (int ci = 0; ci < lib->n_cells; ci++) {
    const pp_lib_cell *c = &lib->cells[ci];
    if (c->unsupported || c->is_sequential || c->n_inputs != k || c->n_outputs != n_out) continue;
    int np = k == 1 ? 1 : k == 2 ? 2 : 6;
    for (int p = 0; p < np; p++) {
      const int *perm = k == 3 ? perms3[p] : perms2[p];
      int out_pos[2] = {-1, -1}, ok = 1;
      for (int o = 0; o < n_out && ok; o++) {
        for (int q = 0; q < n_out; q++) {
          int used = 0;
          for (int o2 = 0; o2 < o; o2++) used |= out_pos[o2] == q;
          if (!used && permuted_truth(c, q, perm, k) == truth[o]) {
            out_pos[o] = q;
            break;
          }
        }
        ok = out_pos[o] >= 0;
      }
      if (!ok) continue;
      if (best < 0 || c->area < best_area) {
        best = ci;
        best_area = c->area;
        pk->cell = ci;
        for (int l = 0; l < 3; l++) pk->in_pin[l] = l < k ? perm[l] : -1;
        pk->out_pos[0] = out_pos[0];
        pk->out_pos[1] = out_pos[1];
      }
      break;
    }
  }
  return best >= 0;
}

enum { F_INV, F_AND2, F_OR2, F_NAND2, F_NOR2, F_XOR2, F_XNOR2, F_HA, F_FA, F_AOI21, F_OAI21, F_N };

typedef struct {
  const pp_lib *lib;
  int have[F_N];
  cpick pick[F_N];
  /* signals: >= 0 are nets; constants are S0/S1 */
  char **names;
  int n_sig, c_sig;
  /* gates */
  struct mgate {
    int cell;
    int in[3];
    int out[2]; /* signals per cell output position, -1 unused */
    int n_in, n_out;
  } *g;
  int n_g, c_g;
  int oom;
} mb;

enum { S0 = -1, S1 = -2 };

static int sig_new(mb *b, const char *name) {
  if (b->oom) return S0;
  if (pp_grow((void **)&b->names, &b->c_sig, b->n_sig, sizeof(char *))) {
    b->oom = 1;
    return S0;
  }
  char buf[64];
  if (!name) {
    snprintf(buf, sizeof buf, "n%d", b->n_sig);
    name = buf;
  }
  size_t l = strlen(name) + 1;
  b->names[b->n_sig] = malloc(l);
  if (!b->names[b->n_sig]) {
    b->oom = 1;
    return S0;
  }
  memcpy(b->names[b->n_sig], name, l);
  return b->n_sig++;
}

/* Instantiates pick f on inputs in[], returning its output signals. */
static void emit(mb *b, int f, const int *in, int n_in, int *out, int n_out) {
  for (int o = 0; o < n_out; o++) out[o] = S0;
  if (b->oom) return;
  if (pp_grow((void **)&b->g, &b->c_g, b->n_g, sizeof(struct mgate))) {
    b->oom = 1;
    return;
  }
  const cpick *pk = &b->pick[f];
  const pp_lib_cell *c = &b->lib->cells[pk->cell];
  struct mgate *g = &b->g[b->n_g++];
  g->cell = pk->cell;
  g->n_in = c->n_inputs;
  g->n_out = c->n_outputs;
  for (int l = 0; l < n_in; l++) g->in[pk->in_pin[l]] = in[l];
  g->out[0] = g->out[1] = -1;
  for (int o = 0; o < n_out; o++) {
    out[o] = sig_new(b, NULL);
    g->out[pk->out_pos[o]] = out[o];
  }
}

static int is_const(int s) { return s == S0 || s == S1; }

static int g_inv(mb *b, int a);
static int g_nand2(mb *b, int a, int c);

static int g_inv(mb *b, int a) {
  if (is_const(a)) return a == S0 ? S1 : S0;
  int in[1] = {a}, out;
  if (b->have[F_INV]) {
    emit(b, F_INV, in, 1, &out, 1);
    return out;
  }
  int in2[2] = {a, a};
  emit(b, b->have[F_NAND2] ? F_NAND2 : F_NOR2, in2, 2, &out, 1);
  return out;
}

static int g_and2(mb *b, int a, int c) {
  if (a == S0 || c == S0) return S0;
  if (a == S1) return c;
  if (c == S1 || a == c) return a;
  int in[2] = {a, c}, out;
  if (b->have[F_AND2]) {
    emit(b, F_AND2, in, 2, &out, 1);
    return out;
  }
  if (b->have[F_NAND2]) return g_inv(b, g_nand2(b, a, c));
  in[0] = g_inv(b, a);
  in[1] = g_inv(b, c);
  emit(b, F_NOR2, in, 2, &out, 1);
  return out;
}

static int g_nand2(mb *b, int a, int c) {
  if (a == S0 || c == S0) return S1;
  if (a == S1) return g_inv(b, c);
  if (c == S1 || a == c) return g_inv(b, a);
  int in[2] = {a, c}, out;
  if (b->have[F_NAND2]) {
    emit(b, F_NAND2, in, 2, &out, 1);
    return out;
  }
  return g_inv(b, g_and2(b, a, c));
}

static int g_or2(mb *b, int a, int c) {
  if (a == S1 || c == S1) return S1;
  if (a == S0) return c;
  if (c == S0 || a == c) return a;
  int in[2] = {a, c}, out;
  if (b->have[F_OR2]) {
    emit(b, F_OR2, in, 2, &out, 1);
    return out;
  }
  if (b->have[F_NOR2]) {
    emit(b, F_NOR2, in, 2, &out, 1);
    return g_inv(b, out);
  }
  return g_nand2(b, g_inv(b, a), g_inv(b, c));
}

static int g_nor2_(mb *b, int a, int c) {
  if (!is_const(a) && !is_const(c) && a != c && b->have[F_NOR2]) {
    int in[2] = {a, c}, out;
    emit(b, F_NOR2, in, 2, &out, 1);
    return out;
  }
  return g_inv(b, g_or2(b, a, c));
}

static int g_xor2(mb *b, int a, int c) {
  if (a == S0) return c;
  if (c == S0) return a;
  if (a == S1) return g_inv(b, c);
  if (c == S1) return g_inv(b, a);
  if (a == c) return S0;
  int in[2] = {a, c}, out;
  if (b->have[F_XOR2]) {
    emit(b, F_XOR2, in, 2, &out, 1);
    return out;
  }
  if (b->have[F_XNOR2]) {
    emit(b, F_XNOR2, in, 2, &out, 1);
    return g_inv(b, out);
  }
  int n = g_nand2(b, a, c); /* the four-NAND XOR */
  return g_nand2(b, g_nand2(b, a, n), g_nand2(b, c, n));
}

static int g_xnor2(mb *b, int a, int c) {
  if (!is_const(a) && !is_const(c) && a != c && b->have[F_XNOR2]) {
    int in[2] = {a, c}, out;
    emit(b, F_XNOR2, in, 2, &out, 1);
    return out;
  }
  return g_inv(b, g_xor2(b, a, c));
}

/* half adder: s = a ^ c, co = a & c */
static void g_ha(mb *b, int a, int c, int *s, int *co) {
  if (is_const(a) || is_const(c) || a == c || !b->have[F_HA]) {
    *s = g_xor2(b, a, c);
    *co = g_and2(b, a, c);
    return;
  }
  int in[2] = {a, c}, out[2];
  emit(b, F_HA, in, 2, out, 2);
  *s = out[0];
  *co = out[1];
}

/* full adder: s = a ^ c ^ d, co = majority */
static void g_fa(mb *b, int a, int c, int d, int *s, int *co) {
  /* constants first: fa(x, y, 0) is a half adder, fa(x, y, 1) = (xnor, or) */
  int in[3] = {a, c, d}, k = -1;
  for (int i = 0; i < 3; i++)
    if (is_const(in[i])) k = i;
  if (k >= 0) {
    int x = in[(k + 1) % 3], y = in[(k + 2) % 3];
    if (in[k] == S0) {
      g_ha(b, x, y, s, co);
    } else {
      *s = g_xnor2(b, x, y);
      *co = g_or2(b, x, y);
    }
    return;
  }
  if (b->have[F_FA]) {
    int out[2];
    emit(b, F_FA, in, 3, out, 2);
    *s = out[0];
    *co = out[1];
    return;
  }
  int t, c1, c2;
  g_ha(b, a, c, &t, &c1);
  g_ha(b, t, d, s, &c2);
  *co = g_or2(b, c1, c2);
}

/* sum bit only (the carry would leave the word) */
static int g_fa_sum(mb *b, int a, int c, int d) { return g_xor2(b, g_xor2(b, a, c), d); }

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
            s = g_xor2(b, cols[i].b[pos], cols[i].b[pos + 1]), co = S0;
          else
            g_ha(b, cols[i].b[pos], cols[i].b[pos + 1], &s, &co);
          pos += 2;
        } else {
          if (i == n - 1)
            s = g_fa_sum(b, cols[i].b[pos], cols[i].b[pos + 1], cols[i].b[pos + 2]), co = S0;
          else
            g_fa(b, cols[i].b[pos], cols[i].b[pos + 1], cols[i].b[pos + 2], &s, &co);
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
        s = g_fa_sum(b, x[i], y[i], rows[r][i]);
        co = S0;
      } else {
        g_fa(b, x[i], y[i], rows[r][i], &s, &co);
      }
      nx[i] = s;
      if (i + 1 < n) ny[i + 1] = co;
    }
    for (int i = 0; i < n; i++) x[i] = nx[i], y[i] = ny[i];
  }
}

/* ---- adders ------------------------------------------------------------------------ */

/* s = x + y (mod 2^n), ripple carry */
static void add_ripple(mb *b, const int *x, const int *y, int n, int *s) {
  int c = S0;
  for (int i = 0; i < n; i++) {
    if (i == n - 1) {
      s[i] = g_fa_sum(b, x[i], y[i], c);
    } else {
      int co;
      g_fa(b, x[i], y[i], c, &s[i], &co);
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
    if (d->neg == -3) d->neg = g_inv(b, d->pos);
    return d->neg;
  }
  if (d->pos == -3) d->pos = g_inv(b, d->neg);
  return d->pos;
}

/* s = x + y (mod 2^n), Kogge-Stone parallel prefix: log2(n) levels of
 * (g, p) o (g', p') = (g | p & g', p & p'). With AOI21/OAI21 in the library
 * each level is one inverting complex gate (AOI21 on true signals gives the
 * complemented group generate, OAI21 on complemented ones the true one), so
 * polarity alternates level by level and inverters appear only where
 * positions of different polarity meet; otherwise AND/OR pairs are used. */
static void add_prefix(mb *b, const int *x, const int *y, int n, int *s) {
  int h[64];
  dual g[64], p[64];
  for (int i = 0; i < 64; i++) h[i] = S0, g[i].pos = g[i].neg = p[i].pos = p[i].neg = -3;
  if (n <= 0 || n > 64) return;
  int cplx = b->have[F_AOI21] && b->have[F_OAI21] && b->have[F_INV] && b->have[F_NAND2] && b->have[F_NOR2];
  int neg[64] = {0}; /* polarity in which position i currently exists (1: complemented) */
  for (int i = 0; i < n; i++) {
    int gi;
    g_ha(b, x[i], y[i], &h[i], &gi); /* h = x ^ y (propagate for the sum), g = x & y */
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
        ng[i].pos = g_or2(b, gi, g_and2(b, pi, gj));
        np[i].pos = need_p ? g_and2(b, pi, dual_get(b, &p[i - d], 0)) : S0;
        nneg[i] = 0;
        continue;
      }
      int in3[3], out;
      if (!pol) { /* true inputs: AOI21(p, g', g) = !(g | p g') */
        in3[0] = pi, in3[1] = gj, in3[2] = gi;
        if (is_const(pi) || is_const(gj) || is_const(gi))
          out = g_inv(b, g_or2(b, gi, g_and2(b, pi, gj)));
        else
          emit(b, F_AOI21, in3, 3, &out, 1);
        ng[i].neg = out;
        np[i].neg = need_p ? g_nand2(b, pi, dual_get(b, &p[i - d], 0)) : S1;
      } else { /* complemented inputs: OAI21(!p, !g', !g) = g | p g' */
        in3[0] = pi, in3[1] = gj, in3[2] = gi;
        if (is_const(pi) || is_const(gj) || is_const(gi))
          out = g_or2(b, g_inv(b, gi), g_and2(b, g_inv(b, pi), g_inv(b, gj)));
        else
          emit(b, F_OAI21, in3, 3, &out, 1);
        ng[i].pos = out;
        np[i].pos = need_p ? g_nor2_(b, pi, dual_get(b, &p[i - d], 1)) : S0;
      }
      nneg[i] = !pol;
    }
    for (int i = 0; i < n; i++) g[i] = ng[i], p[i] = np[i], neg[i] = nneg[i];
  }
  s[0] = h[0];
  for (int i = 1; i < n; i++)
    s[i] = neg[i - 1] && g[i - 1].pos == -3 ? g_xnor2(b, h[i], g[i - 1].neg) : g_xor2(b, h[i], dual_get(b, &g[i - 1], 0));
}

/* ---- the multipliers ------------------------------------------------------------------ */

/* prod = w * a mod 2^n (n = W + A): partial products as a dot matrix. */
static void mult_array(mb *b, const int *w, int W, const int *a, int A, int *prod) {
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
      for (int i = 0; i < W - 1; i++) rows[j][i + j] = g_and2(b, w[i], a[j]);
      rows[j][W - 1 + j] = g_nand2(b, w[W - 1], a[j]);
    }
    // NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult): W, A >= 2, pp_mac_generate checks them first
    uint64_t k = ((uint64_t)1 << (W - 1)) + ((uint64_t)1 << (n - 1));
    for (int i = 0; i < n; i++) rows[A][i] = ((k >> i) & 1) ? S1 : S0;
    /* the constant row goes first so that it folds into the first adders */
    int *t = rows[A];
    for (int j = A; j > 0; j--) rows[j] = rows[j - 1];
    rows[0] = t;
    int x[64], y[64];
    array_reduce(b, rows, A + 1, n, x, y);
    add_ripple(b, x, y, n, prod);
  }
  for (int j = 0; j <= A; j++) free(rows[j]);
  free(rows);
}

/* Radix-4 Booth recoding of the signed weight, a Dadda tree, a prefix adder. */
static void mult_booth(mb *b, const int *w, int W, const int *a, int A, int *prod) {
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
    int one = g_xor2(b, mid, lo);
    int two = g_and2(b, g_xor2(b, hi, mid), g_inv(b, one));
    /* magnitude m (A+1 bits) and the partial product (A+2 bits, sign = neg) */
    int base = 2 * k;
    for (int i = 0; i <= A; i++) {
      int ai = i < A ? a[i] : S0, am = i ? a[i - 1] : S0;
      int m = g_nand2(b, g_nand2(b, one, ai), g_nand2(b, two, am));
      if (base + i < n) col_push(b, &cols[base + i], g_xor2(b, m, neg));
    }
    /* sign bit at A+1 as !neg, and -2^(A+1) in the constant (sign-extension trick) */
    if (base + A + 1 < n) col_push(b, &cols[base + A + 1], g_inv(b, neg));
    konst -= (uint64_t)1 << (base + A + 1 < 64 ? base + A + 1 : 63);
    /* +neg at the LSB completes the two's complement */
    if (base < n) col_push(b, &cols[base], neg);
  }
  col_add_const(b, cols, n, konst & mask);
  col_fold_consts(cols, n);
  dadda(b, cols, n);
  int x[64], y[64];
  for (int i = 0; i < n; i++) {
    // NOLINTNEXTLINE(clang-analyzer-unix.Malloc): dadda frees each old column after moving its successor in
    x[i] = cols[i].n > 0 ? cols[i].b[0] : S0;
    y[i] = cols[i].n > 1 ? cols[i].b[1] : S0;
  }
  add_prefix(b, x, y, n, prod);
  for (int i = 0; i < n; i++) free(cols[i].b);
  free(cols);
}

/* ---- driver -------------------------------------------------------------------------- */

void pp_mac_opts_default(pp_mac_opts *o) {
  o->w_bits = 8;
  o->a_bits = 8;
  o->p_bits = 22;
  o->mult = PP_MULT_ARRAY;
  o->adder = PP_ADDER_RIPPLE;
  o->part = PP_MAC_FULL;
}

static int pick_cells(mb *b, pp_err *e) {
  static const uint64_t t_inv = 0x1, t_and = 0x8, t_or = 0xE, t_nand = 0x7, t_nor = 0x1, t_xor = 0x6, t_xnor = 0x9;
  static const uint64_t t_ha[2] = {0x6, 0x8}, t_fa[2] = {0x96, 0xE8};
  b->have[F_INV] = find_cell(b->lib, 1, 1, &t_inv, &b->pick[F_INV]);
  b->have[F_AND2] = find_cell(b->lib, 2, 1, &t_and, &b->pick[F_AND2]);
  b->have[F_OR2] = find_cell(b->lib, 2, 1, &t_or, &b->pick[F_OR2]);
  b->have[F_NAND2] = find_cell(b->lib, 2, 1, &t_nand, &b->pick[F_NAND2]);
  b->have[F_NOR2] = find_cell(b->lib, 2, 1, &t_nor, &b->pick[F_NOR2]);
  b->have[F_XOR2] = find_cell(b->lib, 2, 1, &t_xor, &b->pick[F_XOR2]);
  b->have[F_XNOR2] = find_cell(b->lib, 2, 1, &t_xnor, &b->pick[F_XNOR2]);
  b->have[F_HA] = find_cell(b->lib, 2, 2, t_ha, &b->pick[F_HA]);
  b->have[F_FA] = find_cell(b->lib, 3, 2, t_fa, &b->pick[F_FA]);
  /* logical inputs (a1, a2, b): aoi21 = !((a1 a2) + b), oai21 = !((a1 + a2) b) */
  static const uint64_t t_aoi = 0x07, t_oai = 0x1F;
  b->have[F_AOI21] = find_cell(b->lib, 3, 1, &t_aoi, &b->pick[F_AOI21]);
  b->have[F_OAI21] = find_cell(b->lib, 3, 1, &t_oai, &b->pick[F_OAI21]);
  /* everything is built from these; a library needs NAND2 or NOR2 (each
   * alone is universal), or an inverter with AND2 or OR2 */
  int ok = b->have[F_NAND2] || b->have[F_NOR2] || (b->have[F_INV] && (b->have[F_AND2] || b->have[F_OR2]));
  if (!ok)
    return pp_err_set(e, PP_EINVAL, b->lib->path, 0,
                      "library '%s' has no cells to build a MAC from: it needs a 2-input NAND or NOR, or an inverter "
                      "with a 2-input AND or OR (cells are found by their function)",
                      b->lib->name);
  return PP_OK;
}

static void mb_free(mb *b) {
  for (int i = 0; i < b->n_sig; i++) free(b->names[i]);
  free(b->names);
  free(b->g);
}

static void put_ref(FILE *f, const mb *b, int s) {
  if (s == S0)
    fputs("1'b0", f);
  else if (s == S1)
    fputs("1'b1", f);
  else
    fputs(b->names[s], f);
}

int pp_mac_generate(const pp_mac_opts *o, const pp_lib *lib, const char *path, pp_err *e) {
  if (o->w_bits < 2 || o->w_bits > 8 || o->a_bits < 2 || o->a_bits > 8)
    return pp_err_set(e, PP_EINVAL, NULL, 0, "weight and activation widths must be 2..8 bits (got %d and %d)",
                      o->w_bits, o->a_bits);
  int W = o->w_bits, A = o->a_bits, N = W + A, P = o->p_bits;
  if (P < N || P > 64)
    return pp_err_set(e, PP_EINVAL, NULL, 0, "the partial sum must be %d..64 bits (w_bits + a_bits at least), got %d",
                      N, P);
  if (o->mult != PP_MULT_ARRAY && o->mult != PP_MULT_BOOTH)
    return pp_err_set(e, PP_EINVAL, NULL, 0, "unknown multiplier kind %d", o->mult);
  if (o->adder != PP_ADDER_RIPPLE && o->adder != PP_ADDER_PREFIX)
    return pp_err_set(e, PP_EINVAL, NULL, 0, "unknown adder kind %d", o->adder);
  if (o->part != PP_MAC_FULL && o->part != PP_MAC_MULT && o->part != PP_MAC_ADDER)
    return pp_err_set(e, PP_EINVAL, NULL, 0, "unknown MAC part %d", o->part);
  mb b;
  memset(&b, 0, sizeof b);
  b.lib = lib;
  int rc = pick_cells(&b, e);
  if (rc) return rc;
  int w[8], a[8], p[64], prod[64], y[64];
  char nm[32];
  if (o->part != PP_MAC_ADDER) {
    for (int i = 0; i < W; i++) snprintf(nm, sizeof nm, "w[%d]", i), w[i] = sig_new(&b, nm);
    for (int i = 0; i < A; i++) snprintf(nm, sizeof nm, "a[%d]", i), a[i] = sig_new(&b, nm);
  } else {
    for (int i = 0; i < N; i++) snprintf(nm, sizeof nm, "prod[%d]", i), prod[i] = sig_new(&b, nm);
  }
  if (o->part != PP_MAC_MULT)
    for (int i = 0; i < P; i++) snprintf(nm, sizeof nm, "p[%d]", i), p[i] = sig_new(&b, nm);
  if (o->part != PP_MAC_ADDER) {
    if (o->mult == PP_MULT_ARRAY)
      mult_array(&b, w, W, a, A, prod);
    else
      mult_booth(&b, w, W, a, A, prod);
  }
  int outw = o->part == PP_MAC_MULT ? N : P;
  if (o->part == PP_MAC_MULT) {
    for (int i = 0; i < N; i++) y[i] = prod[i];
  } else {
    int x[64];
    for (int i = 0; i < P; i++) x[i] = prod[i < N ? i : N - 1]; /* sign extension */
    if (o->adder == PP_ADDER_RIPPLE)
      add_ripple(&b, x, p, P, y);
    else
      add_prefix(&b, x, p, P, y);
  }
  if (b.oom) {
    mb_free(&b);
    return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  }
  /* drop gates whose outputs nobody reads (e.g. a carry out of the word) */
  int *reads = calloc((size_t)b.n_sig + 1, sizeof(int));
  char *dead = calloc((size_t)b.n_g + 1, 1);
  if (!reads || !dead) {
    free(reads);
    free(dead);
    mb_free(&b);
    return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  }
  for (int i = 0; i < outw; i++)
    if (y[i] >= 0) reads[y[i]]++;
  for (int k = 0; k < b.n_g; k++)
    for (int q = 0; q < b.g[k].n_in; q++)
      if (b.g[k].in[q] >= 0) reads[b.g[k].in[q]]++;
  for (int k = b.n_g - 1; k >= 0; k--) { /* gates are in creation (topological) order */
    int used = 0;
    for (int oo = 0; oo < b.g[k].n_out; oo++)
      if (b.g[k].out[oo] >= 0 && reads[b.g[k].out[oo]]) used = 1;
    if (used) continue;
    dead[k] = 1;
    for (int q = 0; q < b.g[k].n_in; q++)
      if (b.g[k].in[q] >= 0) reads[b.g[k].in[q]]--;
  }
  pp_outfile of;
  if ((rc = pp_outfile_open(&of, path, e))) {
    free(reads);
    free(dead);
    mb_free(&b);
    return rc;
  }
  FILE *f = of.f;
  static const char *const mname[] = {"array", "booth"}, *const aname[] = {"ripple", "prefix"};
  static const char *const pname[] = {"mac", "mult", "adder"};
  fprintf(f,
          "/* generated by powerprune mac generate: %s, w %d bits signed x a %d bits unsigned%s%s,\n"
          "   %s multiplier, %s adder, library %s */\n",
          pname[o->part], W, A, o->part == PP_MAC_MULT ? "" : " + p ",
          o->part == PP_MAC_MULT ? "" : (P == 22 ? "22 bits signed" : "bits signed"), mname[o->mult],
          aname[o->adder], lib->name);
  char mod[96];
  snprintf(mod, sizeof mod, "pp_%s_%s_%s_w%da%dp%d", pname[o->part], mname[o->mult], aname[o->adder], W, A, P);
  if (o->part == PP_MAC_FULL)
    fprintf(f, "module %s(w, a, p, y);\n  input [%d:0] w;\n  input [%d:0] a;\n  input [%d:0] p;\n  output [%d:0] y;\n",
            mod, W - 1, A - 1, P - 1, P - 1);
  else if (o->part == PP_MAC_MULT)
    fprintf(f, "module %s(w, a, prod);\n  input [%d:0] w;\n  input [%d:0] a;\n  output [%d:0] prod;\n", mod, W - 1,
            A - 1, N - 1);
  else
    fprintf(f, "module %s(prod, p, y);\n  input [%d:0] prod;\n  input [%d:0] p;\n  output [%d:0] y;\n", mod, N - 1,
            P - 1, P - 1);
  for (int k = 0; k < b.n_g; k++) /* wires: the read outputs of live gates */
    for (int oo = 0; oo < b.g[k].n_out && !dead[k]; oo++)
      if (b.g[k].out[oo] >= 0 && reads[b.g[k].out[oo]]) fprintf(f, "  wire %s;\n", b.names[b.g[k].out[oo]]);
  int cnt = 0;
  for (int k = 0; k < b.n_g; k++) {
    if (dead[k]) continue;
    const pp_lib_cell *c = &lib->cells[b.g[k].cell];
    fprintf(f, "  %s g%d (", c->name, cnt++);
    for (int q = 0; q < c->n_inputs; q++) {
      fprintf(f, "%s.%s(", q ? ", " : "", c->pins[c->inputs[q]].name);
      put_ref(f, &b, b.g[k].in[q]);
      fputs(")", f);
    }
    for (int oo = 0; oo < c->n_outputs; oo++) {
      fprintf(f, ", .%s(", c->pins[c->outputs[oo]].name);
      if (b.g[k].out[oo] >= 0 && reads[b.g[k].out[oo]]) fputs(b.names[b.g[k].out[oo]], f);
      fputs(")", f);
    }
    fputs(");\n", f);
  }
  const char *oname = o->part == PP_MAC_MULT ? "prod" : "y";
  for (int i = 0; i < outw; i++) {
    fprintf(f, "  assign %s[%d] = ", oname, i);
    put_ref(f, &b, y[i]);
    fputs(";\n", f);
  }
  fputs("endmodule\n", f);
  free(reads);
  free(dead);
  mb_free(&b);
  return pp_outfile_commit(&of, e);
}
