/* select/search: the search method (see select.h). For a fixed weight set the
 * activations left are an independent set of a conflict graph (an edge joins
 * a and b when some kept weight makes a->b or b->a too slow); the search
 * grows the weight set one weight at a time from {0}, always taking the weight
 * whose addition keeps the largest J after the activations are re-chosen, and
 * returns the best point of that path. The graph is held as one bit matrix
 * per weight, so a candidate costs 256 four-word tests. ref.c checks it
 * against the delay table directly. */
#include <stdlib.h>
#include <string.h>

#include "select_internal.h"

int sel_conf_build(const sel_ctx *c, sel_conf *k, pp_err *e) {
  k->conf = calloc((size_t)c->nw, sizeof *k->conf);
  k->self = calloc((size_t)c->nw, sizeof *k->self);
  if (!k->conf || !k->self) {
    sel_conf_free(k);
    return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory for the conflict matrices");
  }
  int na = c->na;
  for (int wi = 0; wi < c->nw; wi++) {
    if (!c->start.w_keep[wi]) continue;
    const uint16_t *t = c->d->d + (size_t)wi * na * na;
    for (int a = 0; a < na; a++) {
      if (!c->start.a_keep[a]) continue;
      for (int b = 0; b < na; b++) {
        if (!c->start.a_keep[b] || t[a * na + b] <= c->thr) continue;
        if (a == b) k->self[wi][a >> 6] |= 1ULL << (a & 63);
        else {
          k->conf[wi][a][b >> 6] |= 1ULL << (b & 63);
          k->conf[wi][b][a >> 6] |= 1ULL << (a & 63);
        }
      }
    }
  }
  return PP_OK;
}

void sel_conf_free(sel_conf *k) {
  free(k->conf);
  free(k->self);
  k->conf = NULL;
  k->self = NULL;
}

static const sel_run *g_order_run; /* qsort has no context argument */
static const sel_ctx *g_order_ctx;
static int cmp_act(const void *x, const void *y) {
  int a = *(const int *)x, b = *(const int *)y;
  double ga = g_order_ctx->m[a] * pow(g_order_run->fac_a[a], SEL_SEARCH_EXP);
  double gb = g_order_ctx->m[b] * pow(g_order_run->fac_a[b], SEL_SEARCH_EXP);
  if (ga != gb) return ga > gb ? -1 : 1;
  if (g_order_run->key_a[a] != g_order_run->key_a[b]) return g_order_run->key_a[a] > g_order_run->key_a[b] ? -1 : 1;
  return a - b;
}

int sel_act_order(const sel_ctx *c, const sel_run *r, int *order) {
  int n = 0;
  for (int a = 1; a < c->na; a++)
    if (c->start.a_keep[a]) order[n++] = a;
  g_order_run = r;
  g_order_ctx = c;
  if (n > 1) qsort(order, (size_t)n, sizeof order[0], cmp_act);
  return n;
}

/* The activations for the union graph U (plus weight `extra`'s conflicts,
 * extra < 0 for none): 0, then each offered value that conflicts with none
 * chosen. Returns 0 when 0 itself is excluded (a kept weight makes 0->0 too
 * slow). */
static int choose(const sel_conf *k, uint64_t (*U)[4], const uint64_t *US, int extra, const int *order, int n,
                  int na, uint8_t *a_keep) {
  uint64_t self[4], chosen[4] = {1, 0, 0, 0};
  for (int i = 0; i < 4; i++) self[i] = US[i] | (extra >= 0 ? k->self[extra][i] : 0);
  memset(a_keep, 0, (size_t)na);
  if (self[0] & 1) return 0;
  a_keep[0] = 1;
  for (int j = 0; j < n; j++) {
    int v = order[j];
    if (self[v >> 6] >> (v & 63) & 1) continue;
    const uint64_t *row = U[v], *xr = extra >= 0 ? k->conf[extra][v] : NULL;
    int clash = 0;
    for (int i = 0; i < 4 && !clash; i++) clash = ((row[i] | (xr ? xr[i] : 0)) & chosen[i]) != 0;
    if (clash) continue;
    chosen[v >> 6] |= 1ULL << (v & 63);
    a_keep[v] = 1;
  }
  return 1;
}

void sel_search_run(const sel_ctx *c, const sel_run *r, const sel_conf *k, pp_select_sets *s, pp_select_sets *path,
                    int *npath) {
  int order[PP_CHAR_MAX_A], n = sel_act_order(c, r, order);
  uint64_t U[PP_CHAR_MAX_A][4], US[4] = {0}; /* union of the kept weights' conflicts */
  memset(U, 0, sizeof U);
  pp_select_sets cur = c->start, best;
  uint8_t a_try[PP_CHAR_MAX_A], a_best_step[PP_CHAR_MAX_A];
  memset(cur.w_keep, 0, (size_t)c->nw);
  if (c->zero_wi >= 0) {
    cur.w_keep[c->zero_wi] = 1;
    for (int a = 0; a < c->na; a++)
      for (int i = 0; i < 4; i++) U[a][i] |= k->conf[c->zero_wi][a][i];
    for (int i = 0; i < 4; i++) US[i] |= k->self[c->zero_wi][i];
  }
  choose(k, U, US, -1, order, n, c->na, cur.a_keep); /* feasible: sel_setup checked (0, 0->0) */
  best = cur;
  if (path) {
    *npath = 0;
    path[(*npath)++] = cur;
  }
  double bj = sel_j(c, cur.w_keep, cur.a_keep);
  for (;;) {
    sel_pick b = {.w = -1};
    for (int wi = 0; wi < c->nw; wi++) {
      if (!c->start.w_keep[wi] || cur.w_keep[wi]) continue;
      if (!choose(k, U, US, wi, order, n, c->na, a_try)) continue;
      cur.w_keep[wi] = 1;
      double j = sel_j(c, cur.w_keep, a_try);
      cur.w_keep[wi] = 0;
      if (sel_pick_offer(&b, r, wi, j)) memcpy(a_best_step, a_try, (size_t)c->na);
    }
    if (b.w < 0) break;
    int bw = b.w;
    cur.w_keep[bw] = 1;
    memcpy(cur.a_keep, a_best_step, (size_t)c->na);
    for (int a = 0; a < c->na; a++)
      for (int i = 0; i < 4; i++) U[a][i] |= k->conf[bw][a][i];
    for (int i = 0; i < 4; i++) US[i] |= k->self[bw][i];
    if (path) path[(*npath)++] = cur;
    if (b.j > bj) {
      bj = b.j;
      best = cur;
    }
  }
  memcpy(s->w_keep, best.w_keep, (size_t)c->nw);
  memcpy(s->a_keep, best.a_keep, (size_t)c->na);
}
