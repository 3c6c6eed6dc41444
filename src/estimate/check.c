/* estimate/check: the table-based estimate against gate-level simulation of
 * the real activation and partial-sum streams of sampled PEs of one layer
 * (definitions in estimate.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pp/estimate.h"

void pp_est_check_opts_default(pp_est_check_opts *o) {
  o->array_size = 64;
  o->n_pes = 32;
  o->max_steps = 0;
  o->seed = 1;
  o->transitions = 10000;
  o->bins = 50;
  o->clock_ps = 0;
  o->reservoir = 0;
}

typedef struct {
  int m, k;
} pe_pos;

/* The partial sum entering PE pos at column n (tile-local). */
static int64_t pe_psum(const pp_nn_qgemm *g, int kt0, pe_pos pos, int n) {
  int64_t psum = 0;
  for (int k = kt0; k < pos.k; k++) psum += (int64_t)g->w[(size_t)pos.m * g->K + k] * g->x[(size_t)k * g->N + n];
  return psum;
}

/* Energy of one PE's stream: `steps` of its N - 1 transitions, n - 1 -> n;
 * when they are fewer, one at a random place in each of `steps` equal
 * strata of the stream (seeded). A prefix would be the first images' first
 * rows only, and an even stride aliases with the image's row length (every
 * 10th column of a 10-wide output is always the same x). Each transition
 * starts from the settled old vector, so any subset of them is exact. */
static int pe_energy(const pp_nn_qgemm *g, const pp_sim_model *mac, pp_sim_ws *ws, int N, pe_pos pos, int steps,
                     uint64_t seed, double *fj, pp_err *e) {
  int kt0 = pos.k / N * N; /* first row of the tile */
  int w = g->w[(size_t)pos.m * g->K + pos.k];
  pp_char_io io;
  int rc = pp_char_io_init(&io, mac, 1, w, e);
  if (rc) return rc;
  double sum = 0;
  long total = (long)g->N - 1;
  pp_rng r;
  pp_rng_seed(&r, seed);
  for (int j = 0; j < steps; j++) {
    long lo = (long)j * total / steps, hi = (long)(j + 1) * total / steps; /* stratum [lo, hi) */
    int n = 1 + (int)(steps < total && hi > lo ? lo + (long)pp_rng_below(&r, (uint32_t)(hi - lo)) : lo);
    pp_char_io_set(&io, g->x[(size_t)pos.k * g->N + n - 1], g->x[(size_t)pos.k * g->N + n], pe_psum(g, kt0, pos, n - 1),
                   pe_psum(g, kt0, pos, n));
    pp_sim_result r;
    if ((rc = pp_sim_transition(ws, io.old_bits, io.new_bits, 0, &r))) {
      rc = pp_err_set(e, rc, NULL, 0, "simulation failed");
      break;
    }
    sum += r.energy_fj;
  }
  pp_char_io_free(&io);
  *fj = sum;
  return rc;
}

/* One sampled PE of pp_est_check_streams. */
typedef struct {
  const pp_nn_qgemm *g;
  const pp_sim_model *mac;
  int N, steps;
  const pe_pos *pos;
  double *fj;
  uint64_t seed;
} streams_job;

static int streams_item(void *ctx, pp_sim_ws *ws, int i, pp_err *e) {
  const streams_job *j = ctx;
  uint64_t seed = j->seed ^ (0x9e3779b97f4a7c15ULL * (uint64_t)(i + 1)); /* one stream of choices per PE */
  return pe_energy(j->g, j->mac, ws, j->N, j->pos[i], j->steps, seed, &j->fj[i], e);
}

int pp_est_check_streams(const pp_nn_qgemm *g, const pp_sim_model *mac, const pp_est_check_opts *o,
                         pp_est_check *out, pp_err *e) {
  memset(out, 0, sizeof *out);
  if (g->groups != 1) return pp_err_set(e, PP_EINVAL, NULL, 0, "layer '%s': grouped products are not supported by the check", g->name ? g->name : "?");
  if (g->N < 2) return pp_err_set(e, PP_EINVAL, NULL, 0, "layer '%s' streams %d vector(s): no transitions", g->name ? g->name : "?", g->N);
  if (o->n_pes < 1 || o->n_pes > PP_EST_CHECK_MAX_PES || o->array_size < 1)
    return pp_err_set(e, PP_EINVAL, NULL, 0, "check: n_pes must be 1..%d", PP_EST_CHECK_MAX_PES);
  const pp_netlist *nl = pp_sim_netlist(mac);
  if (pp_netlist_find_input(nl, "w") < 0 || pp_netlist_find_input(nl, "a") < 0 || pp_netlist_find_input(nl, "p") < 0)
    return pp_err_set(e, PP_EINVAL, NULL, 0, "netlist '%s' is not a MAC (needs inputs w, a, p)", nl->top);
  int steps = g->N - 1;
  if (o->max_steps > 0 && o->max_steps < steps) steps = o->max_steps;
  /* sample distinct (m, k) positions: every weight position is a used PE of some tile */
  long total = (long)g->M * g->K;
  int n = o->n_pes < total ? o->n_pes : (int)total;
  pe_pos *pos = malloc((size_t)n * sizeof *pos);
  if (!pos) return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  pp_rng r;
  pp_rng_seed(&r, o->seed);
  for (int i = 0; i < n; i++) {
    for (;;) {
      long idx = (long)(pp_rng_u64(&r) % (uint64_t)total);
      int dup = 0;
      for (int j = 0; j < i; j++) dup |= pos[j].m == idx / g->K && pos[j].k == idx % g->K;
      if (!dup) {
        pos[i].m = (int)(idx / g->K);
        pos[i].k = (int)(idx % g->K);
        break;
      }
    }
  }
  streams_job job = {g, mac, o->array_size, steps, pos, out->pe_sim_fj, o->seed};
  int rc = pp_char_parallel(mac, n, streams_item, &job, NULL, e);
  if (rc) {
    free(pos);
    return rc;
  }
  out->n_pes = n;
  out->total_pes = total;
  for (int i = 0; i < n; i++) {
    out->pe_w[i] = g->w[(size_t)pos[i].m * g->K + pos[i].k];
    out->pe_m[i] = pos[i].m;
    out->pe_k[i] = pos[i].k;
    out->pe_steps[i] = steps;
    out->transitions += steps;
    out->sim_fj += out->pe_sim_fj[i];
  }
  free(pos);
  return PP_OK;
}

int pp_est_check_price(pp_est_check *c, const pp_char_power *p, pp_err *e) {
  double t = 0, sd = 0, sdd = 0;
  for (int i = 0; i < c->n_pes; i++) {
    int w = c->pe_w[i];
    if (w < p->w_min || w >= p->w_min + p->n_w)
      return pp_err_set(e, PP_EINVAL, NULL, 0, "weight %d is outside the power table", w);
    double ti = (double)c->pe_steps[i] * p->dyn_uw[w - p->w_min] * p->clock_ps / 1000.0, d = ti - c->pe_sim_fj[i];
    t += ti;
    sd += d;
    sdd += d * d;
  }
  c->table_fj = t;
  c->error = c->sim_fj > 0 ? t / c->sim_fj - 1 : 0;
  /* se of sum(d) / sum(sim): n * sd(d) / sqrt(n), the sum of sim taken as fixed */
  int n = c->n_pes;
  double var = n > 1 ? (sdd - sd * sd / n) / (n - 1) : 0;
  double fpc = c->total_pes > 1 ? 1 - (double)n / (double)c->total_pes : 1;
  c->error_se = c->sim_fj > 0 && var > 0 && fpc > 0 ? sqrt(n * var * fpc) / c->sim_fj : 0;
  return PP_OK;
}

/* One weight value of the partial table in pp_est_check_layer. */
typedef struct {
  const pp_sim_model *mac;
  const pp_char_tuple *t;
  size_t T;
  const int *list; /* weight indices to characterize */
  double clock;
  pp_char_power *p;
} energy_job;

static int energy_item(void *ctx, pp_sim_ws *ws, int j, pp_err *e) {
  const energy_job *c = ctx;
  double mean = 0;
  int rc = pp_char_weight_energy(c->mac, ws, c->p->w_min + c->list[j], c->t, c->T, &mean, e);
  c->p->dyn_uw[c->list[j]] = mean / c->clock * 1000.0;
  return rc;
}

int pp_est_check_layer(const pp_nn_qgemm *g, const pp_sim_model *mac, const pp_est_check_opts *o,
                       pp_est_check *out, pp_char_power *table, pp_err *e) {
  int rc = pp_est_check_streams(g, mac, o, out, e);
  if (rc) return rc;
  if (o->transitions < 1) return pp_err_set(e, PP_EINVAL, NULL, 0, "check: transitions must be >= 1");
  /* statistics of this layer on the array */
  pp_array_opts ao;
  pp_array_opts_defaults(&ao);
  ao.size = o->array_size;
  ao.bins = o->bins;
  ao.seed = o->seed;
  pp_array_sim *sim;
  if ((rc = pp_array_sim_create(&ao, &sim, e))) return rc;
  if (!(rc = pp_array_sim_gemm(sim, g, e)) && !(rc = pp_array_sim_calibrate(sim, e))) rc = pp_array_sim_gemm(sim, g, e);
  pp_char_tuple *t = NULL;
  if (!rc) {
    t = malloc((size_t)o->transitions * sizeof *t);
    if (!t) rc = pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
    else rc = pp_char_trace_tuples(pp_array_sim_stats(sim), (size_t)o->transitions, o->seed, o->reservoir, t, e);
  }
  pp_array_sim_free(sim);
  /* E[w] for the sampled PEs' weights */
  pp_char_power p;
  memset(&p, 0, sizeof p);
  double clock = o->clock_ps;
  if (!rc && clock <= 0) {
    pp_sta *s;
    if (!(rc = pp_sta_run(mac, &s, e))) {
      clock = s->critical_ps;
      pp_sta_free(s);
    }
  }
  if (!rc) {
    rc = pp_char_ranges(mac, &p.w_min, &p.n_w, &(int){0}, e);
    p.clock_ps = clock;
    p.leak_uw = pp_sim_leakage_nw(mac) / 1000.0;
    p.voltage = pp_sim_netlist(mac)->lib->voltage;
    p.transitions = o->transitions;
    p.seed = o->seed;
  }
  uint8_t need[PP_CHAR_MAX_W] = {0};
  for (int i = 0; !rc && i < out->n_pes; i++) {
    int wi = out->pe_w[i] - p.w_min;
    if (wi < 0 || wi >= p.n_w) rc = pp_err_set(e, PP_EINVAL, NULL, 0, "weight %d does not fit the MAC", out->pe_w[i]);
    else need[wi] = 1;
  }
  int list[PP_CHAR_MAX_W], nl = 0;
  for (int i = 0; i < p.n_w; i++)
    if (need[i]) list[nl++] = i;
  energy_job job = {mac, t, (size_t)o->transitions, list, clock, &p};
  if (!rc) rc = pp_char_parallel(mac, nl, energy_item, &job, NULL, e);
  free(t);
  if (!rc) rc = pp_est_check_price(out, &p, e);
  if (!rc && table) *table = p;
  return rc;
}
