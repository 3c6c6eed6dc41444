/* select/select_internal: what the fast delay selection (delay.c) and its
 * naive reference (ref.c) share, so that the two differ only in how they find
 * violations: setup and checks, the per-run random streams, the greedy choice
 * of the next value to remove, the add-back order and the choice of the best
 * run. */
#ifndef PP_SELECT_INTERNAL_H
#define PP_SELECT_INTERNAL_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pp/select.h"

#define SEL_GOLDEN 0x9e3779b97f4a7c15ULL
#define SEL_NOISE 0.5 /* spread of the greedy's per-run score factors exp(SEL_NOISE z) */

typedef struct sel_ctx {
  const pp_char_delay *d;
  unsigned thr;
  int nw, na, zero_wi; /* zero_wi < 0: the table has no weight 0 */
  pp_select_sets start;
  double u[PP_CHAR_MAX_W], m[PP_CHAR_MAX_A]; /* the values' weights in J: usage + 1, mass + 1 */
} sel_ctx;

/* Checks the inputs, builds the start set (zeros added) and the weights. */
static inline int sel_setup(sel_ctx *c, const pp_char_delay *d, const pp_select_sets *in, const double *usage,
                            const double *mass, const pp_select_opts *o, pp_err *e) {
  memset(c, 0, sizeof *c);
  if (in->w_min != d->w_min || in->n_w != d->n_w || in->n_a < d->n_a)
    return pp_err_set(e, PP_EINVAL, NULL, 0, "the value sets (weights %d..%d) do not match the delay table (%d..%d)",
                      in->w_min, in->w_min + in->n_w - 1, d->w_min, d->w_min + d->n_w - 1);
  if (d->n_a > 256 || d->n_a < 1) return pp_err_set(e, PP_EINVAL, NULL, 0, "activation values must be 1..256");
  if (o->repeats < 1) return pp_err_set(e, PP_EINVAL, NULL, 0, "repeats must be >= 1");
  if (o->method != PP_SELECT_GREEDY && o->method != PP_SELECT_RANDOM && o->method != PP_SELECT_SEARCH)
    return pp_err_set(e, PP_EINVAL, NULL, 0, "unknown selection method %d", (int)o->method);
  c->d = d;
  c->thr = o->delay_ps;
  c->nw = d->n_w;
  c->na = d->n_a;
  c->zero_wi = (d->w_min <= 0 && d->w_min + d->n_w > 0) ? -d->w_min : -1;
  c->start = *in;
  c->start.n_a = d->n_a;
  if (c->zero_wi >= 0) c->start.w_keep[c->zero_wi] = 1;
  c->start.a_keep[0] = 1;
  for (int i = 0; i < c->nw; i++) c->u[i] = (usage ? usage[i] : 0) + 1;
  for (int a = 0; a < c->na; a++) c->m[a] = (mass ? mass[a] : 0) + 1;
  /* the zeros are always kept: they are no part of what J measures */
  if (c->zero_wi >= 0) c->u[c->zero_wi] = 0;
  c->m[0] = 0;
  if (c->zero_wi >= 0 && pp_char_delay_at(d, 0, 0, 0) > c->thr)
    return pp_err_set(e, PP_EINVAL, NULL, 0,
                      "delay threshold %u ps is infeasible: weight 0 and activation 0 are never removed and "
                      "their combinations need up to %u ps (partial-sum path %u ps)",
                      c->thr, (unsigned)pp_char_delay_at(d, 0, 0, 0), d->d_psum_ps);
  return PP_OK;
}

/* The random streams of run r: `pick` draws the random method's members (the
 * same stream as before greedy existed, so its results did not change); the
 * keys break exact ties; the greedy's score factors are 1 in run 0. */
typedef struct sel_run {
  pp_rng pick;
  uint64_t key_w[PP_CHAR_MAX_W], key_a[PP_CHAR_MAX_A];
  double fac_w[PP_CHAR_MAX_W], fac_a[PP_CHAR_MAX_A];
} sel_run;

static inline void sel_run_init(sel_run *r, const sel_ctx *c, uint64_t seed, int run) {
  uint64_t s = seed ^ (SEL_GOLDEN * (uint64_t)(run + 1));
  pp_rng_seed(&r->pick, s);
  pp_rng k;
  pp_rng_seed(&k, s ^ 0x6a09e667f3bcc909ULL);
  for (int i = 0; i < c->nw; i++) r->key_w[i] = pp_rng_u64(&k);
  for (int a = 0; a < c->na; a++) r->key_a[a] = pp_rng_u64(&k);
  for (int i = 0; i < c->nw; i++) r->fac_w[i] = run ? exp(SEL_NOISE * pp_rng_normal(&k)) : 1.0;
  for (int a = 0; a < c->na; a++) r->fac_a[a] = run ? exp(SEL_NOISE * pp_rng_normal(&k)) : 1.0;
}

/* What removing a value of weight x costs log J when its kind sums to `sum`. */
static inline double sel_cost(double x, double sum) { return x >= sum ? INFINITY : -log1p(-x / sum); }

/* The greedy's next value to remove, given the violation counts of the values
 * present: returns the weight index, or n_w + a for activation a, or -1 when
 * no removable value takes part in a violation. */
static inline int sel_greedy_pick(const sel_ctx *c, const sel_run *r, const pp_select_sets *s, const uint64_t *cw,
                                  const uint64_t *ca) {
  double U = 0, M = 0;
  for (int i = 0; i < c->nw; i++)
    if (s->w_keep[i]) U += c->u[i];
  for (int a = 0; a < c->na; a++)
    if (s->a_keep[a]) M += c->m[a];
  int best = -1;
  double bs = -1;
  uint64_t bk = 0;
  for (int x = 0; x < c->nw + c->na; x++) {
    int isw = x < c->nw, i = isw ? x : x - c->nw;
    uint64_t n = isw ? cw[i] : ca[i];
    if (!n || (isw ? (i == c->zero_wi || !s->w_keep[i]) : (i == 0 || !s->a_keep[i]))) continue;
    double sc = (double)n / sel_cost(isw ? c->u[i] : c->m[i], isw ? U : M) * (isw ? r->fac_w[i] : r->fac_a[i]);
    uint64_t k = isw ? r->key_w[i] : r->key_a[i];
    if (best < 0 || sc > bs || (sc == bs && k > bk)) {
      best = x;
      bs = sc;
      bk = k;
    }
  }
  return best;
}

/* The removed values (in start, not in s) in the order add-back offers them:
 * largest share of J first (u/U or m/M over what s keeps), ties by the key.
 * Entries as in sel_greedy_pick; returns how many. */
typedef struct {
  double g;
  uint64_t k;
  int x;
} sel_cand;

static inline int sel_cand_cmp(const void *p, const void *q) {
  const sel_cand *a = p, *b = q;
  if (a->g != b->g) return a->g > b->g ? -1 : 1;
  if (a->k != b->k) return a->k > b->k ? -1 : 1;
  return a->x - b->x;
}

static inline int sel_addback_order(const sel_ctx *c, const sel_run *r, const pp_select_sets *s, int *order) {
  double U = 0, M = 0;
  for (int i = 0; i < c->nw; i++)
    if (s->w_keep[i]) U += c->u[i];
  for (int a = 0; a < c->na; a++)
    if (s->a_keep[a]) M += c->m[a];
  sel_cand cand[PP_CHAR_MAX_W + PP_CHAR_MAX_A];
  int n = 0;
  for (int i = 0; i < c->nw; i++)
    if (c->start.w_keep[i] && !s->w_keep[i]) cand[n++] = (sel_cand){c->u[i] / U, r->key_w[i], i};
  for (int a = 0; a < c->na; a++)
    if (c->start.a_keep[a] && !s->a_keep[a]) cand[n++] = (sel_cand){c->m[a] / M, r->key_a[a], c->nw + a};
  qsort(cand, (size_t)n, sizeof cand[0], sel_cand_cmp);
  for (int k = 0; k < n; k++) order[k] = cand[k].x;
  return n;
}

/* Keeps run `run` (sets s) in *out when it beats what *out holds. */
static inline void sel_consider(const sel_ctx *c, const pp_select_sets *s, int run, int added, const double *usage,
                                const double *mass, int *have, pp_select_result *out) {
  double j = pp_select_objective(&c->start, s, usage, mass);
  int nk = pp_select_count_w(s) + pp_select_count_a(s);
  int nk_best = *have ? pp_select_count_w(&out->sets) + pp_select_count_a(&out->sets) : 0;
  if (!*have || j > out->objective || (j == out->objective && nk > nk_best)) {
    out->sets = *s;
    out->objective = j;
    out->best_run = run;
    out->added_back = added;
    *have = 1;
  }
}

/* ---- search (search.c) ---- */

/* Conflicts of each weight of the start set at the threshold, as bit
 * matrices over the activations: conf[wi][a] has bit b when (wi, a->b) or
 * (wi, b->a) exceeds it (a != b), self[wi] bit a when (wi, a->a) does. */
typedef struct sel_conf {
  uint64_t (*conf)[PP_CHAR_MAX_A][4]; /* n_w entries */
  uint64_t (*self)[4];
} sel_conf;
int sel_conf_build(const sel_ctx *c, sel_conf *k, pp_err *e);
void sel_conf_free(sel_conf *k);

/* The activations the search offers in run r, in the order it tries them:
 * largest m[a] * fac_a[a]^SEL_SEARCH_EXP first, ties by the key; 0 excluded
 * (always kept). Returns how many. */
#define SEL_SEARCH_EXP 0.2
int sel_act_order(const sel_ctx *c, const sel_run *r, int *order);

/* J of a candidate (w_keep, a_keep) against the start set; sums in index
 * order so that fast and reference code agree to the bit. */
static inline double sel_j(const sel_ctx *c, const uint8_t *w_keep, const uint8_t *a_keep) {
  double u0 = 0, u1 = 0, m0 = 0, m1 = 0;
  for (int i = 0; i < c->nw; i++)
    if (c->start.w_keep[i]) {
      u0 += c->u[i];
      if (w_keep[i]) u1 += c->u[i];
    }
  for (int a = 0; a < c->na; a++)
    if (c->start.a_keep[a]) {
      m0 += c->m[a];
      if (a_keep[a]) m1 += c->m[a];
    }
  return (u0 > 0 ? u1 / u0 : 1) * (m0 > 0 ? m1 / m0 : 1);
}

/* The step's best candidate weight so far (w < 0: none yet). */
typedef struct {
  int w;
  double score, j;
  uint64_t key;
} sel_pick;

/* Offers weight wi of objective j: kept when its score J * fac^SEL_SEARCH_EXP is larger, or
 * equal with the larger key (the search's rule for the next weight). Returns 1 when kept. */
static inline int sel_pick_offer(sel_pick *p, const sel_run *r, int wi, double j) {
  double sc = j * pow(r->fac_w[wi], SEL_SEARCH_EXP);
  if (!(p->w < 0 || sc > p->score || (sc == p->score && r->key_w[wi] > p->key))) return 0;
  p->w = wi, p->score = sc, p->j = j, p->key = r->key_w[wi];
  return 1;
}

/* One search run (fast, search.c); s gets the best point of the path. */
/* path (may be NULL): every point of the path, from W = {0} on, into path[0..*npath) (room for nw + 1) */
void sel_search_run(const sel_ctx *c, const sel_run *r, const sel_conf *k, pp_select_sets *s, pp_select_sets *path,
                    int *npath);

#endif
