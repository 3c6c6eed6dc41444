/* select/ref: the naive reference of pp_select_delay. Every step looks at the
 * whole table again: the random method searches the largest violating
 * combination still present, the greedy recounts every value's violations,
 * the search checks each activation against the table for every kept weight,
 * add-back inserts a value and measures the max delay. Only the choices
 * themselves (select_internal.h) are shared with the fast code. */
#include <stdlib.h>
#include <string.h>

#include "select_internal.h"

static int present(const pp_select_sets *s, int wi, int a, int b) {
  return s->w_keep[wi] && s->a_keep[a] && s->a_keep[b];
}

static void random_ref(const sel_ctx *c, pp_select_sets *s, pp_rng *r) {
  for (;;) {
    /* the largest violation present, first in (w, a, b) order */
    int bw = -1, ba = 0, bb = 0;
    unsigned bd = c->thr;
    for (int wi = 0; wi < c->nw; wi++)
      for (int a = 0; a < c->na; a++)
        for (int b = 0; b < c->na; b++) {
          unsigned dl = c->d->d[((size_t)wi * c->na + a) * c->na + b];
          if (dl > bd && present(s, wi, a, b)) {
            bd = dl;
            bw = wi;
            ba = a;
            bb = b;
          }
        }
    if (bw < 0) return;
    int cand[3], nc = 0;
    if (bw != c->zero_wi) cand[nc++] = 0;
    if (ba != 0) cand[nc++] = 1;
    if (bb != 0 && bb != ba) cand[nc++] = 2;
    if (!nc) return;
    int pick = cand[pp_rng_below(r, (uint32_t)nc)];
    if (pick == 0) s->w_keep[bw] = 0;
    else if (pick == 1) s->a_keep[ba] = 0;
    else s->a_keep[bb] = 0;
  }
}

static void greedy_ref(const sel_ctx *c, const sel_run *r, pp_select_sets *s) {
  uint64_t cw[PP_CHAR_MAX_W], ca[PP_CHAR_MAX_A];
  for (;;) {
    memset(cw, 0, sizeof cw);
    memset(ca, 0, sizeof ca);
    int any = 0;
    for (int wi = 0; wi < c->nw; wi++)
      for (int a = 0; a < c->na; a++)
        for (int b = 0; b < c->na; b++)
          if (present(s, wi, a, b) && c->d->d[((size_t)wi * c->na + a) * c->na + b] > c->thr) {
            any = 1;
            cw[wi]++;
            ca[a]++;
            if (b != a) ca[b]++;
          }
    if (!any) return;
    int x = sel_greedy_pick(c, r, s, cw, ca);
    if (x < 0) return;
    if (x < c->nw) s->w_keep[x] = 0;
    else s->a_keep[x - c->nw] = 0;
  }
}

static int add_back_ref(const sel_ctx *c, const sel_run *r, pp_select_sets *s) {
  int order[PP_CHAR_MAX_W + PP_CHAR_MAX_A], added = 0;
  int n = sel_addback_order(c, r, s, order);
  for (int k = 0; k < n; k++) {
    uint8_t *slot = order[k] < c->nw ? &s->w_keep[order[k]] : &s->a_keep[order[k] - c->nw];
    *slot = 1;
    if (pp_select_max_delay(c->d, s) > c->thr) *slot = 0;
    else added++;
  }
  return added;
}

/* The activations for weight set w_keep, straight from the table: 0, then
 * each offered value whose combinations with itself and every value taken
 * are within the threshold for every kept weight. 0 when 0 itself is not. */
static int choose_ref(const sel_ctx *c, const uint8_t *w_keep, const int *order, int n, uint8_t *a_keep) {
  int taken[PP_CHAR_MAX_A], nt = 0;
  memset(a_keep, 0, (size_t)c->na);
  for (int j = -1; j < n; j++) {
    int v = j < 0 ? 0 : order[j], ok = 1;
    for (int wi = 0; wi < c->nw && ok; wi++) {
      if (!w_keep[wi]) continue;
      if (pp_char_delay_at(c->d, c->d->w_min + wi, v, v) > c->thr) ok = 0;
      for (int t = 0; t < nt && ok; t++)
        if (pp_char_delay_at(c->d, c->d->w_min + wi, v, taken[t]) > c->thr ||
            pp_char_delay_at(c->d, c->d->w_min + wi, taken[t], v) > c->thr)
          ok = 0;
    }
    if (!ok && j < 0) return 0;
    if (!ok) continue;
    taken[nt++] = v;
    a_keep[v] = 1;
  }
  return 1;
}

static void search_ref(const sel_ctx *c, const sel_run *r, pp_select_sets *s) {
  int order[PP_CHAR_MAX_A], n = sel_act_order(c, r, order);
  pp_select_sets cur = c->start, best;
  uint8_t a_try[PP_CHAR_MAX_A], a_step[PP_CHAR_MAX_A];
  memset(cur.w_keep, 0, (size_t)c->nw);
  if (c->zero_wi >= 0) cur.w_keep[c->zero_wi] = 1;
  choose_ref(c, cur.w_keep, order, n, cur.a_keep);
  best = cur;
  double bj = sel_j(c, cur.w_keep, cur.a_keep);
  for (;;) {
    sel_pick b = {.w = -1};
    for (int wi = 0; wi < c->nw; wi++) {
      if (!c->start.w_keep[wi] || cur.w_keep[wi]) continue;
      cur.w_keep[wi] = 1;
      int ok = choose_ref(c, cur.w_keep, order, n, a_try);
      double j = ok ? sel_j(c, cur.w_keep, a_try) : 0;
      cur.w_keep[wi] = 0;
      if (!ok) continue;
      if (sel_pick_offer(&b, r, wi, j)) memcpy(a_step, a_try, (size_t)c->na);
    }
    if (b.w < 0) break;
    int bw = b.w;
    cur.w_keep[bw] = 1;
    memcpy(cur.a_keep, a_step, (size_t)c->na);
    if (b.j > bj) {
      bj = b.j;
      best = cur;
    }
  }
  memcpy(s->w_keep, best.w_keep, (size_t)c->nw);
  memcpy(s->a_keep, best.a_keep, (size_t)c->na);
}

int pp_select_delay_ref(const pp_char_delay *d, const pp_select_sets *in, const double *usage, const double *mass,
                        const pp_select_opts *o, pp_select_result *out, pp_err *e) {
  memset(out, 0, sizeof *out);
  sel_ctx *c = malloc(sizeof *c);
  sel_run *r = malloc(sizeof *r);
  int rc = (!c || !r) ? pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory") : PP_OK;
  if (!rc) rc = sel_setup(c, d, in, usage, mass, o, e);
  int have = 0;
  for (int run = 0; !rc && run < o->repeats; run++) {
    sel_run_init(r, c, o->seed, run);
    pp_select_sets s = c->start;
    if (o->method == PP_SELECT_RANDOM) random_ref(c, &s, &r->pick);
    else if (o->method == PP_SELECT_GREEDY) greedy_ref(c, r, &s);
    else search_ref(c, r, &s);
    int added = o->add_back ? add_back_ref(c, r, &s) : 0;
    sel_consider(c, &s, run, added, usage, mass, &have, out);
  }
  if (!rc) {
    out->runs = o->repeats;
    out->max_delay_ps = pp_select_max_delay(d, &out->sets);
  }
  free(r);
  free(c);
  return rc;
}
