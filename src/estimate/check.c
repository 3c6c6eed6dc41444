/* estimate/check: the table-based estimate against gate-level simulation of
 * the real activation and partial-sum streams of sampled PEs of one layer
 * (definitions in estimate.h). */
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

/* Energy of one PE's stream. */
static int pe_energy(const pp_nn_qgemm *g, const pp_sim_model *mac, pp_sim_ws *ws, int N, pe_pos pos, int steps,
                     double *fj, pp_err *e) {
  const pp_netlist *nl = pp_sim_netlist(mac);
  int pw = pp_netlist_find_input(nl, "w"), pa = pp_netlist_find_input(nl, "a"), pp = pp_netlist_find_input(nl, "p");
  int nb = pp_sim_n_input_bits(mac);
  uint8_t *bo = calloc((size_t)nb, 1), *bn = calloc((size_t)nb, 1);
  if (!bo || !bn) {
    free(bo);
    free(bn);
    return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  }
  int kt0 = pos.k / N * N; /* first row of the tile */
  int w = g->w[(size_t)pos.m * g->K + pos.k];
  pp_sim_bits_set_port(mac, bo, pw, w);
  pp_sim_bits_set_port(mac, bn, pw, w);
  double sum = 0;
  int rc = PP_OK;
  int64_t p_prev = 0;
  int a_prev = 0;
  for (int n = 0; n <= steps; n++) {
    int64_t psum = 0;
    for (int k = kt0; k < pos.k; k++) psum += (int64_t)g->w[(size_t)pos.m * g->K + k] * g->x[(size_t)k * g->N + n];
    int a = g->x[(size_t)pos.k * g->N + n];
    if (n > 0) {
      pp_sim_bits_set_port(mac, bo, pa, a_prev);
      pp_sim_bits_set_port(mac, bo, pp, p_prev);
      pp_sim_bits_set_port(mac, bn, pa, a);
      pp_sim_bits_set_port(mac, bn, pp, psum);
      pp_sim_result r;
      if ((rc = pp_sim_transition(ws, bo, bn, 0, &r))) {
        rc = pp_err_set(e, rc, NULL, 0, "simulation failed");
        break;
      }
      sum += r.energy_fj;
    }
    a_prev = a;
    p_prev = psum;
  }
  free(bo);
  free(bn);
  *fj = sum;
  return rc;
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
  int status[PP_EST_CHECK_MAX_PES];
  pp_err errs[PP_EST_CHECK_MAX_PES];
#pragma omp parallel
  {
    pp_sim_ws *ws = NULL;
    pp_err le;
    pp_err_clear(&le);
    int wrc = pp_sim_ws_new(mac, &ws, &le);
#pragma omp for schedule(dynamic, 1)
    for (int i = 0; i < n; i++) {
      pp_err_clear(&errs[i]);
      if (wrc) {
        status[i] = wrc;
        errs[i] = le;
        continue;
      }
      status[i] = pe_energy(g, mac, ws, o->array_size, pos[i], steps, &out->pe_sim_fj[i], &errs[i]);
    }
    if (ws) pp_sim_ws_free(ws);
  }
  for (int i = 0; i < n; i++)
    if (status[i]) {
      if (e && !e->status) *e = errs[i];
      free(pos);
      return status[i];
    }
  out->n_pes = n;
  for (int i = 0; i < n; i++) {
    out->pe_w[i] = g->w[(size_t)pos[i].m * g->K + pos[i].k];
    out->pe_steps[i] = steps;
    out->transitions += steps;
    out->sim_fj += out->pe_sim_fj[i];
  }
  free(pos);
  return PP_OK;
}

int pp_est_check_price(pp_est_check *c, const pp_char_power *p, pp_err *e) {
  double t = 0;
  for (int i = 0; i < c->n_pes; i++) {
    int w = c->pe_w[i];
    if (w < p->w_min || w >= p->w_min + p->n_w)
      return pp_err_set(e, PP_EINVAL, NULL, 0, "weight %d is outside the power table", w);
    t += (double)c->pe_steps[i] * p->dyn_uw[w - p->w_min] * p->clock_ps / 1000.0;
  }
  c->table_fj = t;
  c->error = c->sim_fj > 0 ? t / c->sim_fj - 1 : 0;
  return PP_OK;
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
  int status[PP_CHAR_MAX_W] = {0};
  pp_err errs[PP_CHAR_MAX_W];
  if (!rc) {
#pragma omp parallel
    {
      pp_sim_ws *ws = NULL;
      pp_err le;
      pp_err_clear(&le);
      int wrc = pp_sim_ws_new(mac, &ws, &le);
#pragma omp for schedule(dynamic, 1)
      for (int j = 0; j < nl; j++) {
        pp_err_clear(&errs[j]);
        double mean = 0;
        status[j] = wrc ? wrc : pp_char_weight_energy(mac, ws, p.w_min + list[j], t, (size_t)o->transitions, &mean, &errs[j]);
        if (wrc) errs[j] = le;
        p.dyn_uw[list[j]] = mean / clock * 1000.0;
      }
      if (ws) pp_sim_ws_free(ws);
    }
    for (int j = 0; j < nl && !rc; j++)
      if (status[j]) {
        if (e && !e->status) *e = errs[j];
        rc = status[j];
      }
  }
  free(t);
  if (!rc) rc = pp_est_check_price(out, &p, e);
  if (!rc && table) *table = p;
  return rc;
}
