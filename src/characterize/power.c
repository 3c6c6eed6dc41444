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

int pp_char_weight_energy_event(const pp_sim_model *mac, pp_sim_ws *ws, int w, const pp_char_tuple *t, size_t T,
                                double *mean_fj, pp_err *e) {
  pp_char_io io;
  int rc = pp_char_io_init(&io, mac, 1, w, e);
  if (rc) return rc;
  double sum = 0;
  for (size_t i = 0; i < T; i++) {
    pp_char_io_set(&io, t[i].a_old, t[i].a_new, t[i].p_old, t[i].p_new);
    pp_sim_result r;
    if ((rc = pp_sim_transition(ws, io.old_bits, io.new_bits, 0, &r))) {
      rc = pp_err_set(e, rc, NULL, 0, "simulation of weight %d failed", w);
      break;
    }
    sum += r.energy_fj;
  }
  pp_char_io_free(&io);
  *mean_fj = T ? sum / (double)T : 0;
  return rc;
}

/* 256 tuples per call of the time-stepped engine; lanes past the last tuple
 * repeat the old vector (nothing switches, no energy). */
int pp_char_weight_energy_ts(const pp_sim_model *mac, pp_sim_ws *ws, int w, const pp_char_tuple *t, size_t T,
                             double *mean_fj, pp_err *e) {
  *mean_fj = 0;
  if (!pp_sim_ts_exact(mac))
    return pp_err_set(e, PP_EINVAL, NULL, 0, "the time-stepped engine simulates transport delays only");
  pp_char_io io; /* checks the ports */
  int rc = pp_char_io_init(&io, mac, 1, w, e);
  if (rc) return rc;
  pp_char_io_free(&io);
  size_t nw = (size_t)pp_sim_n_input_bits(mac) * 4;
  uint64_t *ow = calloc(nw, sizeof *ow), *nwd = calloc(nw, sizeof *nwd);
  if (!ow || !nwd) {
    free(ow);
    free(nwd);
    return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  }
  for (int l = 0; l < 256; l++) {
    pp_sim_wide_set_port(mac, ow, io.pw, l, w);
    pp_sim_wide_set_port(mac, nwd, io.pw, l, w);
  }
  double sum = 0;
  for (size_t i0 = 0; i0 < T && !rc; i0 += 256) {
    for (int l = 0; l < 256; l++) {
      const pp_char_tuple *u = &t[i0 + l < T ? i0 + l : i0];
      int idle = i0 + l >= T;
      pp_sim_wide_set_port(mac, ow, io.pa, l, u->a_old);
      pp_sim_wide_set_port(mac, nwd, io.pa, l, idle ? u->a_old : u->a_new);
      pp_sim_wide_set_port(mac, ow, io.pp, l, u->p_old);
      pp_sim_wide_set_port(mac, nwd, io.pp, l, idle ? u->p_old : u->p_new);
    }
    pp_sim_ts_result r;
    if ((rc = pp_sim_ts_run256(ws, ow, nwd, PP_SIM_ENERGY, &r))) {
      rc = pp_err_set(e, rc, NULL, 0, "simulation of weight %d failed", w);
      break;
    }
    sum += r.energy_fj;
  }
  free(ow);
  free(nwd);
  *mean_fj = T ? sum / (double)T : 0;
  return rc;
}

int pp_char_weight_energy(const pp_sim_model *mac, pp_sim_ws *ws, int w, const pp_char_tuple *t, size_t T,
                          double *mean_fj, pp_err *e) {
  if (pp_sim_ts_exact(mac)) return pp_char_weight_energy_ts(mac, ws, w, t, T, mean_fj, e);
  return pp_char_weight_energy_event(mac, ws, w, t, T, mean_fj, e);
}

/* One weight value of pp_char_power_run. */
typedef struct {
  const pp_sim_model *mac;
  const pp_char_tuple *t;
  size_t T;
  int w_min;
  double *mean;
} power_job;

static int power_item(void *ctx, pp_sim_ws *ws, int i, pp_err *e) {
  const power_job *j = ctx;
  return pp_char_weight_energy(j->mac, ws, j->w_min + i, j->t, j->T, &j->mean[i], e);
}

/* The settled states the table's stimulus gives, for libraries whose
 * leakage or internal power depends on them. */
static int use_states(pp_sim_model *mac, const pp_char_tuple *t, size_t T, int w_min, int n_w, pp_err *e) {
  if (!pp_sim_model_state_dependent(mac)) return PP_OK;
  size_t per = T < PP_CHAR_STATE_TUPLES ? T : PP_CHAR_STATE_TUPLES;
  size_t nb = (size_t)pp_sim_n_input_bits(mac), n = per * (size_t)n_w;
  uint8_t *v = calloc(n * nb, 1);
  pp_char_io io;
  int rc = pp_char_io_init(&io, mac, 1, w_min, e);
  if (!rc && !v) rc = pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  for (int i = 0; i < n_w && !rc; i++)
    for (size_t k = 0; k < per; k++) {
      const pp_char_tuple *u = &t[k * T / per];
      pp_char_io_set(&io, u->a_new, u->a_new, u->p_new, u->p_new);
      pp_sim_bits_set_port(mac, io.new_bits, io.pw, w_min + i);
      memcpy(v + ((size_t)i * per + k) * nb, io.new_bits, nb);
    }
  if (!rc) rc = pp_sim_model_use_states(mac, v, (long)n, e);
  pp_char_io_free(&io);
  free(v);
  return rc;
}

int pp_char_power_run(pp_sim_model *mac, const pp_char_tuple *t, size_t T, double clock_ps,
                      pp_char_power *out, pp_err *e) {
  int w_min = 0, n_w = 0, n_a = 0;
  int rc = pp_char_ranges(mac, &w_min, &n_w, &n_a, e);
  if (rc) return rc;
  if (!(clock_ps > 0)) return pp_err_set(e, PP_EINVAL, NULL, 0, "clock period must be > 0 ps");
  if (!T) return pp_err_set(e, PP_EINVAL, NULL, 0, "no transitions to simulate");
  if ((rc = use_states(mac, t, T, w_min, n_w, e))) return rc;
  double t0 = pp_now();
  double mean[PP_CHAR_MAX_W];
  power_job job = {mac, t, T, w_min, mean};
  pp_progress prog;
  pp_progress_start(&prog, "characterize", n_w);
  rc = pp_char_parallel(mac, n_w, power_item, &job, &prog, e);
  pp_progress_end(&prog);
  if (rc) return rc;
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
