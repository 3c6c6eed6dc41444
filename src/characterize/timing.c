/* characterize/timing: the delay table D[w][a_from][a_to] from dynamic timing
 * of the multiplier and static timing of the adder (paper III-B, Fig. 5). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pp/characterize.h"

double pp_char_mac_delay(const double *t_bits, const double *d_bits, int n_bits, double d_psum) {
  double m = d_psum;
  for (int i = 0; i < n_bits; i++)
    if (t_bits[i] > 0 && t_bits[i] + d_bits[i] > m) m = t_bits[i] + d_bits[i];
  return m;
}

static uint16_t round_ps(double d) {
  double c = ceil(d - 1e-9);
  if (c < 0) c = 0;
  if (c > 65535) c = 65535;
  return (uint16_t)c;
}

int pp_char_adder_sta_run(const pp_sim_model *adder, pp_char_adder_sta *out, pp_err *e) {
  memset(out, 0, sizeof *out);
  const pp_netlist *nl = pp_sim_netlist(adder);
  int pprod = pp_netlist_find_input(nl, "prod"), pp = pp_netlist_find_input(nl, "p");
  if (pprod < 0 || pp < 0)
    return pp_err_set(e, PP_EINVAL, NULL, 0, "netlist '%s' is not the MAC's adder (needs inputs prod and p)", nl->top);
  int np = nl->inputs[pprod].width;
  if (np > 32) return pp_err_set(e, PP_EINVAL, NULL, 0, "prod has %d bits, at most 32 supported", np);
  pp_sta *s;
  int rc = pp_sta_run(adder, &s, e);
  if (rc) return rc;
  double *pb = calloc((size_t)nl->inputs[pp].width + (size_t)np, sizeof *pb);
  if (!pb) {
    pp_sta_free(s);
    return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  }
  out->n_prod = np;
  pp_sta_port_max(adder, s, pprod, pb);
  for (int i = 0; i < np; i++) {
    out->d_bits[i] = pb[i] < 0 ? 0 : pb[i];
    if (out->d_bits[i] > out->max_d_bits) out->max_d_bits = out->d_bits[i];
  }
  double dp = pp_sta_port_max(adder, s, pp, pb);
  out->d_psum = dp < 0 ? 0 : dp;
  free(pb);
  pp_sta_free(s);
  return PP_OK;
}

typedef struct {
  int pw, pa, pprod;
  int ob[32]; /* output bit index of prod[i] */
  int n_prod;
} mult_ports;

static int mult_ports_get(const pp_sim_model *mult, const pp_char_adder_sta *ad, mult_ports *mp, pp_err *e) {
  const pp_netlist *nl = pp_sim_netlist(mult);
  mp->pw = pp_netlist_find_input(nl, "w");
  mp->pa = pp_netlist_find_input(nl, "a");
  mp->pprod = pp_netlist_find_output(nl, "prod");
  if (mp->pw < 0 || mp->pa < 0 || mp->pprod < 0)
    return pp_err_set(e, PP_EINVAL, NULL, 0, "netlist '%s' is not the MAC's multiplier (needs w, a -> prod)", nl->top);
  mp->n_prod = nl->outputs[mp->pprod].width;
  if (mp->n_prod != ad->n_prod)
    return pp_err_set(e, PP_EINVAL, NULL, 0, "multiplier prod has %d bits, the adder's prod %d", mp->n_prod, ad->n_prod);
  for (int i = 0; i < mp->n_prod; i++) mp->ob[i] = pp_sim_output_bit(mult, mp->pprod, i);
  return PP_OK;
}

int pp_char_timing_ref(const pp_sim_model *mult, const pp_char_adder_sta *ad, int w, const uint16_t *pairs, size_t n,
                       uint16_t *out, pp_err *e) {
  mult_ports mp;
  int rc = mult_ports_get(mult, ad, &mp, e);
  if (rc) return rc;
  pp_char_io io;
  if ((rc = pp_char_io_init(&io, mult, 0, w, e))) return rc;
  pp_sim_ws *ws = NULL;
  rc = pp_sim_ws_new(mult, &ws, e);
  for (size_t k = 0; !rc && k < n; k++) {
    pp_char_io_set(&io, pairs[k] >> 8, pairs[k] & 0xff, 0, 0);
    pp_sim_result r;
    if ((rc = pp_sim_transition(ws, io.old_bits, io.new_bits, 0, &r))) {
      rc = pp_err_set(e, rc, NULL, 0, "simulation failed");
      break;
    }
    double t[32];
    for (int i = 0; i < mp.n_prod; i++) t[i] = r.settle_ps[mp.ob[i]];
    out[k] = round_ps(pp_char_mac_delay(t, ad->d_bits, mp.n_prod, ad->d_psum));
  }
  if (ws) pp_sim_ws_free(ws);
  pp_char_io_free(&io);
  return rc;
}

/* All n_a^2 transitions of one weight, 256 per call of the time-stepped
 * engine (lanes past the end repeat the first transition of the batch). */
static int timing_weight(const pp_sim_model *mult, pp_sim_ws *ws, const mult_ports *mp, const pp_char_adder_sta *ad,
                         int w, int n_a, uint16_t *out, pp_err *e) {
  enum { NL = 256 };
  size_t nb = (size_t)pp_sim_n_input_bits(mult) * 4;
  uint64_t *ow = calloc(nb, sizeof *ow), *nw = calloc(nb, sizeof *nw);
  if (!ow || !nw) {
    free(ow);
    free(nw);
    return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  }
  for (int l = 0; l < NL; l++) {
    pp_sim_wide_set_port(mult, ow, mp->pw, l, w);
    pp_sim_wide_set_port(mult, nw, mp->pw, l, w);
  }
  double tick = pp_sim_tick_ps(mult);
  size_t total = (size_t)n_a * n_a;
  int rc = PP_OK;
  for (size_t base = 0; base < total; base += NL) {
    int lanes = total - base < NL ? (int)(total - base) : NL;
    for (int l = 0; l < NL; l++) {
      size_t k = base + (size_t)(l < lanes ? l : 0);
      int af = (int)(k / (size_t)n_a), at = (int)(k % (size_t)n_a);
      pp_sim_wide_set_port(mult, ow, mp->pa, l, af);
      pp_sim_wide_set_port(mult, nw, mp->pa, l, at);
    }
    pp_sim_ts_result r;
    if ((rc = pp_sim_ts_run256(ws, ow, nw, 0, &r))) {
      rc = pp_err_set(e, rc, NULL, 0, "time-stepped simulation of weight %d failed", w);
      break;
    }
    for (int l = 0; l < lanes; l++) {
      double t[32];
      for (int i = 0; i < mp->n_prod; i++) t[i] = r.settle_ticks[mp->ob[i] * NL + l] * tick;
      out[base + (size_t)l] = round_ps(pp_char_mac_delay(t, ad->d_bits, mp->n_prod, ad->d_psum));
    }
  }
  free(ow);
  free(nw);
  return rc;
}

int pp_char_timing_weight(const pp_sim_model *mult, const pp_char_adder_sta *ad, int w, uint16_t *out, pp_err *e) {
  int w_min = 0, n_w = 0, n_a = 0;
  int rc = pp_char_ranges(mult, &w_min, &n_w, &n_a, e);
  if (rc) return rc;
  if (w < w_min || w >= w_min + n_w) return pp_err_set(e, PP_EINVAL, NULL, 0, "weight %d outside %d..%d", w, w_min, w_min + n_w - 1);
  mult_ports mp;
  if ((rc = mult_ports_get(mult, ad, &mp, e))) return rc;
  pp_sim_ws *ws;
  if ((rc = pp_sim_ws_new(mult, &ws, e))) return rc;
  rc = timing_weight(mult, ws, &mp, ad, w, n_a, out, e);
  pp_sim_ws_free(ws);
  return rc;
}

/* One weight value of pp_char_timing_run. */
typedef struct {
  const pp_sim_model *mult;
  const mult_ports *mp;
  const pp_char_adder_sta *ad;
  int w_min, n_a;
  pp_char_delay *out;
} timing_job;

static int timing_item(void *ctx, pp_sim_ws *ws, int i, pp_err *e) {
  const timing_job *j = ctx;
  return timing_weight(j->mult, ws, j->mp, j->ad, j->w_min + i, j->n_a, j->out->d + (size_t)i * j->n_a * j->n_a, e);
}

int pp_char_timing_run(const pp_sim_model *mult, const pp_sim_model *adder, const pp_sim_model *full,
                       pp_char_delay *out, pp_err *e) {
  double t0 = pp_now();
  int w_min = 0, n_w = 0, n_a = 0;
  int rc = pp_char_ranges(mult, &w_min, &n_w, &n_a, e);
  if (rc) return rc;
  pp_char_adder_sta ad;
  if ((rc = pp_char_adder_sta_run(adder, &ad, e))) return rc;
  mult_ports mp;
  if ((rc = mult_ports_get(mult, &ad, &mp, e))) return rc;
  pp_sta *s;
  if ((rc = pp_sta_run(mult, &s, e))) return rc;
  double sta_mult = s->critical_ps;
  pp_sta_free(s);
  double sta_full = 0;
  if (full) {
    if ((rc = pp_sta_run(full, &s, e))) return rc;
    sta_full = s->critical_ps;
    pp_sta_free(s);
  }
  if ((rc = pp_char_delay_alloc(out, w_min, n_w, n_a, e))) return rc;
  out->d_psum_ps = round_ps(ad.d_psum);
  out->sta_mult_ps = sta_mult;
  out->sta_adder_max_ps = ad.max_d_bits;
  out->sta_mac_ps = sta_full;
  timing_job job = {mult, &mp, &ad, w_min, n_a, out};
  pp_progress prog;
  pp_progress_start(&prog, "timing", n_w);
  rc = pp_char_parallel(mult, n_w, timing_item, &job, &prog, e);
  pp_progress_end(&prog);
  if (rc) {
    pp_char_delay_free(out);
    return rc;
  }
  out->seconds = pp_now() - t0;
  return PP_OK;
}
