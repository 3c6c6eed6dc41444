/* characterize/power: P[w], the MAC's average power with the weight held at
 * w, from timed gate-level simulation of sampled (activation, partial-sum)
 * transitions (paper III-A3). */
#include <stdlib.h>
#include <string.h>

#include "pp/characterize.h"

void pp_char_uniform_tuples(int a_bits, int p_bits, size_t T, uint64_t seed, pp_char_tuple *out) {
  pp_rng r;
  pp_rng_seed(&r, seed);
  uint64_t pmask = p_bits >= 32 ? 0xffffffffULL : ((1ULL << p_bits) - 1);
  uint32_t na = 1u << a_bits;
  for (size_t i = 0; i < T; i++) {
    out[i].a_old = (uint8_t)pp_rng_below(&r, na);
    out[i].a_new = (uint8_t)pp_rng_below(&r, na);
    /* sign-extend a uniform p_bits word */
    int64_t po = (int64_t)(pp_rng_u64(&r) & pmask), pn = (int64_t)(pp_rng_u64(&r) & pmask);
    if (p_bits < 64 && (po >> (p_bits - 1) & 1)) po -= (int64_t)(pmask + 1);
    if (p_bits < 64 && (pn >> (p_bits - 1) & 1)) pn -= (int64_t)(pmask + 1);
    out[i].p_old = (int32_t)po;
    out[i].p_new = (int32_t)pn;
  }
}

int pp_char_trace_tuples(const pp_array_stats *s, size_t T, uint64_t seed, int reservoir, pp_char_tuple *out,
                         pp_err *e) {
  pp_array_tuple *t = malloc(T * sizeof *t);
  if (!t) return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory for %zu transitions", T);
  int rc = reservoir ? pp_array_sample_reservoir(s, T, seed, t, e) : pp_array_sample_transitions(s, T, seed, t, e);
  uint32_t *perm = NULL;
  if (!rc && reservoir == 2) { /* ablation: exact marginals, activation/psum pairing broken */
    perm = malloc(T * sizeof *perm);
    if (!perm) rc = pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
    else {
      pp_rng r;
      pp_rng_seed(&r, seed ^ 0x5851f42d4c957f2dULL);
      for (size_t i = 0; i < T; i++) perm[i] = (uint32_t)i;
      pp_rng_shuffle_u32(&r, perm, T);
    }
  }
  if (!rc)
    for (size_t i = 0; i < T; i++) {
      size_t j = perm ? perm[i] : i;
      out[i].a_old = t[i].a_old;
      out[i].a_new = t[i].a_new;
      out[i].p_old = t[j].p_old;
      out[i].p_new = t[j].p_new;
    }
  free(perm);
  free(t);
  return rc;
}

int pp_char_ranges(const pp_sim_model *m, int *w_min, int *n_w, int *n_a, pp_err *e) {
  const pp_netlist *nl = pp_sim_netlist(m);
  int pw = pp_netlist_find_input(nl, "w"), pa = pp_netlist_find_input(nl, "a");
  if (pw < 0 || pa < 0) return pp_err_set(e, PP_EINVAL, NULL, 0, "netlist '%s' has no input ports w and a", nl->top);
  int wb = nl->inputs[pw].width, ab = nl->inputs[pa].width;
  if (wb < 2 || wb > 8 || ab < 1 || ab > 8)
    return pp_err_set(e, PP_EINVAL, NULL, 0, "ports w[%d] and a[%d]: need 2..8 weight and 1..8 activation bits", wb, ab);
  *w_min = -((1 << (wb - 1)) - 1);
  *n_w = (1 << wb) - 1;
  *n_a = 1 << ab;
  return PP_OK;
}

int pp_char_weight_energy(const pp_sim_model *mac, pp_sim_ws *ws, int w, const pp_char_tuple *t, size_t T,
                          double *mean_fj, pp_err *e) {
  const pp_netlist *nl = pp_sim_netlist(mac);
  int pw = pp_netlist_find_input(nl, "w"), pa = pp_netlist_find_input(nl, "a"), pp = pp_netlist_find_input(nl, "p");
  if (pw < 0 || pa < 0 || pp < 0)
    return pp_err_set(e, PP_EINVAL, NULL, 0, "netlist '%s' is not a MAC (needs inputs w, a, p)", nl->top);
  int nb = pp_sim_n_input_bits(mac);
  uint8_t *old = calloc((size_t)nb, 1), *nw = calloc((size_t)nb, 1);
  if (!old || !nw) {
    free(old);
    free(nw);
    return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  }
  pp_sim_bits_set_port(mac, old, pw, w);
  pp_sim_bits_set_port(mac, nw, pw, w);
  double sum = 0;
  int rc = PP_OK;
  for (size_t i = 0; i < T; i++) {
    pp_sim_bits_set_port(mac, old, pa, t[i].a_old);
    pp_sim_bits_set_port(mac, old, pp, t[i].p_old);
    pp_sim_bits_set_port(mac, nw, pa, t[i].a_new);
    pp_sim_bits_set_port(mac, nw, pp, t[i].p_new);
    pp_sim_result r;
    if ((rc = pp_sim_transition(ws, old, nw, 0, &r))) {
      rc = pp_err_set(e, rc, NULL, 0, "simulation of weight %d failed", w);
      break;
    }
    sum += r.energy_fj;
  }
  free(old);
  free(nw);
  *mean_fj = T ? sum / (double)T : 0;
  return rc;
}

int pp_char_power_run(const pp_sim_model *mac, const pp_char_tuple *t, size_t T, double clock_ps,
                      pp_char_power *out, pp_err *e) {
  int w_min, n_w, n_a;
  int rc = pp_char_ranges(mac, &w_min, &n_w, &n_a, e);
  if (rc) return rc;
  if (!(clock_ps > 0)) return pp_err_set(e, PP_EINVAL, NULL, 0, "clock period must be > 0 ps");
  if (!T) return pp_err_set(e, PP_EINVAL, NULL, 0, "no transitions to simulate");
  double t0 = pp_now();
  double mean[PP_CHAR_MAX_W];
  int status[PP_CHAR_MAX_W];
  pp_err errs[PP_CHAR_MAX_W];
  pp_progress prog;
  pp_progress_start(&prog, "characterize", n_w);
  long done = 0;
#pragma omp parallel
  {
    pp_sim_ws *ws = NULL;
    pp_err le;
    pp_err_clear(&le);
    int wrc = pp_sim_ws_new(mac, &ws, &le);
#pragma omp for schedule(dynamic, 1)
    for (int i = 0; i < n_w; i++) {
      pp_err_clear(&errs[i]);
      if (wrc) {
        status[i] = wrc;
        errs[i] = le;
        continue;
      }
      status[i] = pp_char_weight_energy(mac, ws, w_min + i, t, T, &mean[i], &errs[i]);
#pragma omp critical(pp_char_progress)
      pp_progress_update(&prog, ++done);
    }
    if (ws) pp_sim_ws_free(ws);
  }
  pp_progress_end(&prog);
  for (int i = 0; i < n_w; i++)
    if (status[i]) {
      if (e && !e->status) *e = errs[i];
      return status[i];
    }
  memset(out, 0, sizeof *out);
  out->w_min = w_min;
  out->n_w = n_w;
  for (int i = 0; i < n_w; i++) out->dyn_uw[i] = mean[i] / clock_ps * 1000.0; /* fJ/ps = mW */
  out->leak_uw = pp_sim_leakage_nw(mac) / 1000.0;
  out->clock_ps = clock_ps;
  out->voltage = pp_sim_netlist(mac)->lib->voltage;
  out->transitions = (long)T;
  out->seconds = pp_now() - t0;
  return PP_OK;
}
