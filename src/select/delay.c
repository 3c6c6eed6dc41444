/* select/delay: delay-threshold selection, the fast way (algorithms and
 * objective in select.h): the random method walks a list of the violating
 * combinations sorted once; the greedy keeps per-value violation counts and
 * updates them as values go; the search is in search.c; add-back checks a
 * value against the kept sets only. ref.c computes the same results
 * naively. */
#include <stdlib.h>
#include <string.h>

#include "select_internal.h"

void pp_select_opts_default(pp_select_opts *o) {
  o->delay_ps = 0;
  o->repeats = 20;
  o->seed = 1;
  o->method = PP_SELECT_SEARCH;
  o->add_back = 1;
}

const char *pp_select_method_name(pp_select_method m) {
  return m == PP_SELECT_RANDOM ? "random" : m == PP_SELECT_GREEDY ? "greedy" : m == PP_SELECT_SEARCH ? "search" : "unknown";
}

int pp_select_method_parse(const char *s, pp_select_method *m) {
  if (!strcmp(s, "greedy")) *m = PP_SELECT_GREEDY;
  else if (!strcmp(s, "random")) *m = PP_SELECT_RANDOM;
  else if (!strcmp(s, "search")) *m = PP_SELECT_SEARCH;
  else return PP_EINVAL;
  return PP_OK;
}

/* ---- random: the paper's rule ------------------------------------------------ */

/* A violating combination packed for sorting: wi << 16 | a << 8 | b (8-bit
 * activations at most); the delay lives in the bucket it is sorted into. */
typedef struct {
  uint32_t *combo; /* sorted by delay, largest first */
  size_t n;
} viol_list;

static int collect(const sel_ctx *c, viol_list *v, pp_err *e) {
  const pp_char_delay *d = c->d;
  const pp_select_sets *in = &c->start;
  int na = c->na;
  unsigned thr = c->thr;
  size_t *count = pp_xcalloc((size_t)2 * 65536, sizeof *count);
  if (!count) return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  size_t *pos = count + 65536;
  /* Pass 0 counts the violating combinations per delay, pass 1 places them: a counting sort,
   * largest delay first, within one delay in scan order (w, a, b), so the list is a pure
   * function of the table. */
  for (int pass = 0; pass < 2; pass++) {
    if (pass == 1) {
      size_t total = 0;
      for (int dl = 65535; dl >= 0; dl--) {
        pos[dl] = total;
        total += count[dl];
      }
      v->n = total;
      v->combo = total ? malloc(total * sizeof *v->combo) : NULL;
      if (total && !v->combo) {
        free(count);
        return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory for %zu combinations", total);
      }
    }
    for (int wi = 0; wi < c->nw; wi++) {
      if (!in->w_keep[wi]) continue;
      const uint16_t *t = d->d + (size_t)wi * na * na;
      for (int a = 0; a < na; a++) {
        if (!in->a_keep[a]) continue;
        for (int b = 0; b < na; b++) {
          unsigned dl = t[a * na + b];
          if (!in->a_keep[b] || dl <= thr) continue;
          if (pass == 0) count[dl]++;
          else v->combo[pos[dl]++] = (uint32_t)wi << 16 | a << 8 | b;
        }
      }
    }
  }
  free(count);
  return PP_OK;
}

/* One removal run; the (0, 0->0) check in sel_setup guarantees every
 * violating combination has a removable member. */
static void random_run(const sel_ctx *c, const viol_list *v, pp_select_sets *s, pp_rng *r) {
  for (size_t i = 0; i < v->n; i++) {
    uint32_t cb = v->combo[i];
    int wi = (int)(cb >> 16), a = (int)(cb >> 8 & 0xff), b = (int)(cb & 0xff);
    if (!s->w_keep[wi] || !s->a_keep[a] || !s->a_keep[b]) continue;
    int cand[3], nc = 0; /* 0: weight, 1: from, 2: to */
    if (wi != c->zero_wi) cand[nc++] = 0;
    if (a != 0) cand[nc++] = 1;
    if (b != 0 && b != a) cand[nc++] = 2;
    if (!nc) continue; /* not reached: see sel_setup */
    int pick = cand[pp_rng_below(r, (uint32_t)nc)];
    if (pick == 0) s->w_keep[wi] = 0;
    else if (pick == 1) s->a_keep[a] = 0;
    else s->a_keep[b] = 0;
  }
}

/* ---- greedy -------------------------------------------------------------------- */

typedef struct {
  uint64_t cw[PP_CHAR_MAX_W], ca[PP_CHAR_MAX_A]; /* violations each value present takes part in */
  uint64_t total;                                /* violating combinations left */
} counts;

static void count_all(const sel_ctx *c, const pp_select_sets *s, counts *n) {
  memset(n, 0, sizeof *n);
  int na = c->na;
  for (int wi = 0; wi < c->nw; wi++) {
    if (!s->w_keep[wi]) continue;
    const uint16_t *t = c->d->d + (size_t)wi * na * na;
    for (int a = 0; a < na; a++) {
      if (!s->a_keep[a]) continue;
      const uint16_t *row = t + (size_t)a * na;
      for (int b = 0; b < na; b++)
        if (s->a_keep[b] && row[b] > c->thr) {
          n->total++;
          n->cw[wi]++;
          n->ca[a]++;
          if (b != a) n->ca[b]++;
        }
    }
  }
}

static void remove_weight(const sel_ctx *c, pp_select_sets *s, counts *n, int wi) {
  int na = c->na;
  const uint16_t *t = c->d->d + (size_t)wi * na * na;
  for (int a = 0; a < na; a++) {
    if (!s->a_keep[a]) continue;
    const uint16_t *row = t + (size_t)a * na;
    for (int b = 0; b < na; b++)
      if (s->a_keep[b] && row[b] > c->thr) {
        n->total--;
        n->ca[a]--;
        if (b != a) n->ca[b]--;
      }
  }
  n->cw[wi] = 0;
  s->w_keep[wi] = 0;
}

static void remove_act(const sel_ctx *c, pp_select_sets *s, counts *n, int x) {
  int na = c->na;
  for (int wi = 0; wi < c->nw; wi++) {
    if (!s->w_keep[wi]) continue;
    const uint16_t *t = c->d->d + (size_t)wi * na * na;
    const uint16_t *row = t + (size_t)x * na; /* x -> b, including x -> x */
    for (int b = 0; b < na; b++)
      if (s->a_keep[b] && row[b] > c->thr) {
        n->total--;
        n->cw[wi]--;
        if (b != x) n->ca[b]--;
      }
    for (int b = 0; b < na; b++) /* b -> x, b != x */
      if (b != x && s->a_keep[b] && t[b * na + x] > c->thr) {
        n->total--;
        n->cw[wi]--;
        n->ca[b]--;
      }
  }
  n->ca[x] = 0;
  s->a_keep[x] = 0;
}

static void greedy_run(const sel_ctx *c, const sel_run *r, const counts *n0, pp_select_sets *s) {
  counts n = *n0;
  while (n.total) {
    int x = sel_greedy_pick(c, r, s, n.cw, n.ca);
    if (x < 0) break; /* not reached: see sel_setup */
    if (x < c->nw) remove_weight(c, s, &n, x);
    else remove_act(c, s, &n, x - c->nw);
  }
}

/* ---- add-back ------------------------------------------------------------------- */

static int weight_fits(const sel_ctx *c, const pp_select_sets *s, const int *acts, int nacts, int wi) {
  int na = c->na;
  const uint16_t *t = c->d->d + (size_t)wi * na * na;
  for (int i = 0; i < nacts; i++) {
    const uint16_t *row = t + (size_t)acts[i] * na;
    for (int j = 0; j < nacts; j++)
      if (row[acts[j]] > c->thr) return 0;
  }
  (void)s;
  return 1;
}

static int act_fits(const sel_ctx *c, const pp_select_sets *s, const int *acts, int nacts, int x) {
  int na = c->na;
  for (int wi = 0; wi < c->nw; wi++) {
    if (!s->w_keep[wi]) continue;
    const uint16_t *t = c->d->d + (size_t)wi * na * na;
    if (t[x * na + x] > c->thr) return 0;
    for (int j = 0; j < nacts; j++)
      if (t[x * na + acts[j]] > c->thr || t[acts[j] * na + x] > c->thr) return 0;
  }
  return 1;
}

static int add_back(const sel_ctx *c, const sel_run *r, pp_select_sets *s) {
  int order[PP_CHAR_MAX_W + PP_CHAR_MAX_A], acts[PP_CHAR_MAX_A], nacts = 0, added = 0;
  int n = sel_addback_order(c, r, s, order);
  for (int a = 0; a < c->na; a++)
    if (s->a_keep[a]) acts[nacts++] = a;
  for (int k = 0; k < n; k++) {
    int x = order[k];
    if (x < c->nw) {
      if (weight_fits(c, s, acts, nacts, x)) {
        s->w_keep[x] = 1;
        added++;
      }
    } else if (act_fits(c, s, acts, nacts, x - c->nw)) {
      s->a_keep[x - c->nw] = 1;
      nacts = 0;
      for (int a = 0; a < c->na; a++)
        if (s->a_keep[a]) acts[nacts++] = a;
      added++;
    }
  }
  return added;
}

/* ---- the selection -------------------------------------------------------------- */

int pp_select_delay(const pp_char_delay *d, const pp_select_sets *in, const double *usage, const double *mass,
                    const pp_select_opts *o, pp_select_result *out, pp_err *e) {
  memset(out, 0, sizeof *out);
  sel_ctx *c = malloc(sizeof *c);
  sel_run *r = malloc(sizeof *r);
  counts *n0 = malloc(sizeof *n0);
  viol_list v = {NULL, 0};
  sel_conf k = {NULL, NULL};
  int rc = (!c || !r || !n0) ? pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory") : PP_OK;
  if (!rc) rc = sel_setup(c, d, in, usage, mass, o, e);
  if (!rc && o->method == PP_SELECT_RANDOM) rc = collect(c, &v, e);
  if (!rc && o->method == PP_SELECT_GREEDY) count_all(c, &c->start, n0);
  if (!rc && o->method == PP_SELECT_SEARCH) rc = sel_conf_build(c, &k, e);
  int have = 0;
  for (int run = 0; !rc && run < o->repeats; run++) {
    sel_run_init(r, c, o->seed, run);
    pp_select_sets s = c->start;
    if (o->method == PP_SELECT_RANDOM) random_run(c, &v, &s, &r->pick);
    else if (o->method == PP_SELECT_GREEDY) greedy_run(c, r, n0, &s);
    else sel_search_run(c, r, &k, &s, NULL, NULL);
    int added = o->add_back ? add_back(c, r, &s) : 0;
    sel_consider(c, &s, run, added, usage, mass, &have, out);
  }
  if (!rc) {
    out->runs = o->repeats;
    out->max_delay_ps = pp_select_max_delay(d, &out->sets);
  }
  free(v.combo);
  sel_conf_free(&k);
  free(n0);
  free(r);
  free(c);
  return rc;
}

int pp_select_delay_path(const pp_char_delay *d, const pp_select_sets *in, const double *usage, const double *mass,
                         const pp_select_opts *o, pp_select_sets *pts, int max, int *n, pp_err *e) {
  *n = 0;
  if (max < 1) return pp_err_set(e, PP_EINVAL, NULL, 0, "select: a path needs room for at least one point");
  sel_ctx *c = malloc(sizeof *c);
  sel_run *r = malloc(sizeof *r);
  pp_select_sets *path = malloc((PP_CHAR_MAX_W + 1) * sizeof *path);
  sel_conf k = {NULL, NULL};
  int rc = (!c || !r || !path) ? pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory") : PP_OK;
  if (!rc) rc = sel_setup(c, d, in, usage, mass, o, e);
  if (!rc) rc = sel_conf_build(c, &k, e);
  if (!rc) {
    int np = 0;
    sel_run_init(r, c, o->seed, 0);
    pp_select_sets best;
    sel_search_run(c, r, &k, &best, path, &np);
    /* evenly spaced along the path, both ends included */
    int m = max < np ? max : np;
    for (int i = 0; i < m; i++) {
      int at = m > 1 ? (int)((long)i * (np - 1) / (m - 1)) : np - 1;
      pts[i] = path[at];
      if (o->add_back) add_back(c, r, &pts[i]);
    }
    *n = m;
  }
  sel_conf_free(&k);
  free(path);
  free(r);
  free(c);
  return rc;
}
