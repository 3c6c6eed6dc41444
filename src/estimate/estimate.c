/* estimate: array power on Standard and Optimized HW from the per-weight power
 * table and the trace's PE-cycle counts, and the alpha-power voltage model
 * (definitions in estimate.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pp/estimate.h"

void pp_est_vmodel_default(pp_est_vmodel *m) {
  m->v_nom = 0.8;
  m->vth = 0.43;
  m->alpha = 1.3;
  m->leak_k = 1.75;
  m->v_step = 0;
  m->fitted = 0;
}

double pp_est_delay_factor(const pp_est_vmodel *m, double v) {
  double f = v / pow(v - m->vth, m->alpha);
  double f0 = m->v_nom / pow(m->v_nom - m->vth, m->alpha);
  return f / f0;
}

int pp_est_scaled_voltage(const pp_est_vmodel *m, double d_nom_ps, double d_sel_ps, double *v, pp_err *e) {
  if (!(m->v_nom > m->vth && m->vth >= 0 && m->alpha > 0))
    return pp_err_set(e, PP_EINVAL, NULL, 0, "voltage model needs v_nom > vth >= 0 and alpha > 0");
  if (!(d_nom_ps > 0 && d_sel_ps > 0))
    return pp_err_set(e, PP_EINVAL, NULL, 0, "delays must be positive (got %g and %g ps)", d_nom_ps, d_sel_ps);
  if (d_sel_ps >= d_nom_ps) {
    *v = m->v_nom;
    return PP_OK;
  }
  double target = d_nom_ps / d_sel_ps; /* delay factor the slack allows */
  /* factor(V) decreases with V on (vth, v_nom] when alpha >= 1; for alpha < 1
   * it does on (vth, vth/(1-alpha)); bisection on the bracket where the
   * factor is above target at lo and below at hi. */
  double lo = m->vth + 1e-9, hi = m->v_nom;
  if (pp_est_delay_factor(m, lo) < target)
    return pp_err_set(e, PP_EINVAL, NULL, 0, "no voltage above Vth gives a delay factor of %g", target);
  for (int i = 0; i < 200 && hi - lo > 1e-12; i++) {
    double mid = 0.5 * (lo + hi);
    if (pp_est_delay_factor(m, mid) > target) lo = mid;
    else hi = mid;
  }
  double vs = hi; /* factor(hi) <= target: meets timing */
  if (m->v_step > 0) {
    vs = ceil(vs / m->v_step - 1e-9) * m->v_step;
    if (vs > m->v_nom) vs = m->v_nom;
  }
  *v = vs;
  return PP_OK;
}

double pp_est_dyn_scale(const pp_est_vmodel *m, double v) { return (v / m->v_nom) * (v / m->v_nom); }

double pp_est_leak_scale(const pp_est_vmodel *m, double v) {
  return (v / m->v_nom) * exp(m->leak_k * (v - m->v_nom));
}

int pp_est_usage_check(const pp_est_usage *u, pp_err *e) {
  if (u->rows < 1 || u->cols < 1) return pp_err_set(e, PP_EINVAL, NULL, 0, "array size %dx%d", u->rows, u->cols);
  if (!(u->cycles > 0)) return pp_err_set(e, PP_EINVAL, NULL, 0, "the run has no cycles");
  if (u->n_w < 1 || u->n_w > PP_CHAR_MAX_W) return pp_err_set(e, PP_EINVAL, NULL, 0, "bad weight range");
  double mac = 0;
  for (int i = 0; i < u->n_w; i++) {
    if (!(u->mac_cycles[i] >= 0)) return pp_err_set(e, PP_EINVAL, NULL, 0, "negative MAC count of weight %d", u->w_min + i);
    mac += u->mac_cycles[i];
  }
  double total = (double)u->rows * u->cols * u->cycles;
  if (!(u->gated_pe_cycles >= 0) || mac + u->gated_pe_cycles > total * (1 + 1e-12))
    return pp_err_set(e, PP_EINVAL, NULL, 0,
                      "PE-cycles do not add up: %g MAC + %g gated > %d x %d PEs x %g cycles", mac, u->gated_pe_cycles,
                      u->rows, u->cols, u->cycles);
  return PP_OK;
}

/* Array size, cycles and MACs per weight value of a trace (no gating yet);
 * *macs receives their sum. */
static int usage_base(const pp_array_stats *s, pp_est_usage *u, double *macs, pp_err *e) {
  memset(u, 0, sizeof *u);
  u->rows = u->cols = s->size;
  u->cycles = (double)s->c.load_cycles + (double)s->c.stream_cycles;
  u->w_min = -127;
  u->n_w = 255;
  double sum = 0;
  for (int i = 0; i < 255; i++) {
    u->mac_cycles[i] = (double)s->mac_per_weight[i];
    sum += u->mac_cycles[i];
  }
  *macs = sum;
  if (sum != (double)s->c.macs)
    return pp_err_set(e, PP_EPARSE, NULL, 0, "statistics disagree: %g MACs per weight value but %llu MACs in total", sum,
                      (unsigned long long)s->c.macs);
  return PP_OK;
}

int pp_est_usage_from_stats(const pp_array_stats *s, pp_est_usage *u, pp_err *e) {
  double sum;
  int rc = usage_base(s, u, &sum, e);
  if (rc) return rc;
  if (s->c.tiles > 0 && s->size > 0) {
    double share = (double)s->c.unused_cols / ((double)s->c.tiles * s->size);
    double free_pe = (double)s->size * s->size * u->cycles - sum;
    u->gated_pe_cycles = share * (double)s->size * s->size * u->cycles;
    if (u->gated_pe_cycles > free_pe) u->gated_pe_cycles = free_pe; /* the share is a per-tile mean */
  }
  return pp_est_usage_check(u, e);
}

int pp_est_usage_from_layers(const pp_array_stats *s, pp_est_usage *u, pp_err *e) {
  if (s->nlayers <= 0) return pp_est_usage_from_stats(s, u, e);
  double sum;
  int rc = usage_base(s, u, &sum, e);
  if (rc) return rc;
  const double A = s->size;
  double gated = 0;
  for (int l = 0; l < s->nlayers; l++) {
    const pp_array_layer *L = &s->layers[l];
    if (!L->c.gemms || !L->c.unused_cols) continue;
    double gemms = (double)L->c.gemms, N = (double)L->N;
    if (L->groups <= 1) {
      if (L->M < 1 || L->K < 1 || L->N < 1)
        return pp_err_set(e, PP_EPARSE, NULL, 0, "layer '%s': product %d x %d x %d has no tiles", L->name, L->M, L->K,
                          L->N);
      double nk = ceil((double)L->K / A);
      double clast = L->M - floor((L->M - 1) / A) * A; /* used columns of the last block */
      gated += gemms * nk * A * (A - clast) * (2 * A + N - 2 + clast);
    } else {
      if (!L->c.tiles)
        return pp_err_set(e, PP_EPARSE, NULL, 0, "layer '%s': %llu unused columns but no tiles", L->name,
                          (unsigned long long)L->c.unused_cols);
      double U = (double)L->c.unused_cols, T = (double)L->c.tiles;
      double cavg = A - U / T;
      gated += A * U * (2 * A + N - 2 + cavg);
    }
  }
  u->gated_pe_cycles = gated;
  return pp_est_usage_check(u, e);
}

int pp_est_usage_restrict(const pp_est_usage *in, const uint8_t *allowed, pp_est_usage *out, pp_err *e) {
  int zi = -in->w_min;
  if (zi < 0 || zi >= in->n_w || !allowed[zi]) return pp_err_set(e, PP_EINVAL, NULL, 0, "weight 0 must be allowed");
  pp_est_usage u = *in;
  memset(u.mac_cycles, 0, sizeof u.mac_cycles);
  for (int i = 0; i < in->n_w; i++) {
    int w = in->w_min + i, best = 0;
    for (int j = 0; j < in->n_w; j++) {
      if (!allowed[j]) continue;
      int c = in->w_min + j;
      int dc = abs(c - w), db = abs(best - w);
      if (dc < db || (dc == db && abs(c) < abs(best))) best = c;
    }
    u.mac_cycles[best - in->w_min] += in->mac_cycles[i];
  }
  *out = u;
  return PP_OK;
}

int pp_est_power_at(const pp_est_usage *u, const pp_char_power *p, const pp_est_vmodel *m, double v,
                    pp_est_power *out, pp_err *e) {
  int rc = pp_est_usage_check(u, e);
  if (rc) return rc;
  if (u->w_min < p->w_min || u->w_min + u->n_w > p->w_min + p->n_w || 0 < p->w_min || 0 >= p->w_min + p->n_w)
    return pp_err_set(e, PP_EINVAL, NULL, 0, "the power table (weights %d..%d) does not cover the trace's (%d..%d)",
                      p->w_min, p->w_min + p->n_w - 1, u->w_min, u->w_min + u->n_w - 1);
  double ds = pp_est_dyn_scale(m, v), ls = pp_est_leak_scale(m, v);
  double pes = (double)u->rows * u->cols;
  double mac_total = 0, e_mac = 0, e_mac_nonzero = 0;
  for (int i = 0; i < u->n_w; i++) {
    int w = u->w_min + i;
    double de = u->mac_cycles[i] * p->dyn_uw[w - p->w_min];
    mac_total += u->mac_cycles[i];
    e_mac += de;
    if (w != 0) e_mac_nonzero += de;
  }
  double idle = pes * u->cycles - mac_total; /* includes the gated ones */
  if (idle < 0) idle = 0;
  double dyn0 = p->dyn_uw[-p->w_min];
  memset(out, 0, sizeof *out);
  out->v = v;
  double idle_e = u->idle_mode == PP_EST_IDLE_ZERO_WEIGHT ? idle * dyn0 : 0;
  out->shw.dyn_uw = ds * (e_mac + idle_e) / u->cycles;
  out->shw.leak_uw = ls * pes * p->leak_uw;
  out->ohw.dyn_uw = ds * e_mac_nonzero / u->cycles;
  out->ohw.leak_uw = ls * p->leak_uw * (pes * u->cycles - u->gated_pe_cycles) / u->cycles;
  out->shw.total_uw = out->shw.dyn_uw + out->shw.leak_uw;
  out->ohw.total_uw = out->ohw.dyn_uw + out->ohw.leak_uw;
  return PP_OK;
}

int pp_est_compare_run(const pp_est_usage *orig, const pp_est_usage *sel, const pp_char_power *p, double d_orig_ps,
                       double d_sel_ps, const pp_est_vmodel *m, pp_est_compare *out, pp_err *e) {
  memset(out, 0, sizeof *out);
  int rc;
  if ((rc = pp_est_power_at(orig, p, m, m->v_nom, &out->orig, e))) return rc;
  if ((rc = pp_est_power_at(sel, p, m, m->v_nom, &out->sel, e))) return rc;
  if ((rc = pp_est_scaled_voltage(m, d_orig_ps, d_sel_ps, &out->v_scaled, e))) return rc;
  if ((rc = pp_est_power_at(sel, p, m, out->v_scaled, &out->sel_scaled, e))) return rc;
  out->d_orig_ps = d_orig_ps;
  out->d_sel_ps = d_sel_ps;
  double so = out->orig.shw.total_uw, oo = out->orig.ohw.total_uw;
  if (!(so > 0 && oo > 0)) return pp_err_set(e, PP_EINVAL, NULL, 0, "the original network draws no power");
  out->red_shw_noscale = 1 - out->sel.shw.total_uw / so;
  out->red_ohw_noscale = 1 - out->sel.ohw.total_uw / oo;
  out->red_shw = 1 - out->sel_scaled.shw.total_uw / so;
  out->red_ohw = 1 - out->sel_scaled.ohw.total_uw / oo;
  out->v_share_shw = out->red_shw - out->red_shw_noscale;
  out->v_share_ohw = out->red_ohw - out->red_ohw_noscale;
  return PP_OK;
}

static void hw_json(pp_json *j, const char *key, const pp_est_hw *h) {
  pp_json_key(j, key);
  pp_json_obj_begin(j);
  pp_json_key_num(j, "total_mw", h->total_uw / 1000);
  pp_json_key_num(j, "dynamic_mw", h->dyn_uw / 1000);
  pp_json_key_num(j, "leakage_mw", h->leak_uw / 1000);
  pp_json_obj_end(j);
}

static void power_json(pp_json *j, const char *key, const pp_est_power *p) {
  pp_json_key(j, key);
  pp_json_obj_begin(j);
  pp_json_key_num(j, "voltage", p->v);
  hw_json(j, "standard_hw", &p->shw);
  hw_json(j, "optimized_hw", &p->ohw);
  pp_json_obj_end(j);
}

void pp_est_compare_json(const pp_est_compare *c, const pp_est_vmodel *m, pp_json *j) {
  pp_json_obj_begin(j);
  pp_json_key_str(j, "format", PP_EST_COMPARE_FORMAT);
  pp_json_key_obj_begin(j, "voltage_model");
  pp_json_key_str(j, "law", "delay ~ V/(V-Vth)^alpha; dynamic ~ V^2; leakage ~ V*exp(k(V-V0))");
  pp_json_key_num(j, "v_nom", m->v_nom);
  pp_json_key_num(j, "vth", m->vth);
  pp_json_key_num(j, "alpha", m->alpha);
  pp_json_key_num(j, "leak_k", m->leak_k);
  pp_json_key_num(j, "v_step", m->v_step);
  pp_json_key_str(j, "source", m->fitted ? "fitted to the MAC's STA and leakage under the library at several supplies"
                                         : "default (fitted to the paper's Table I voltages)");
  pp_json_key_int(j, "fitted_points", m->fitted);
  pp_json_obj_end(j);
  power_json(j, "original", &c->orig);
  power_json(j, "selected", &c->sel);
  power_json(j, "selected_scaled", &c->sel_scaled);
  pp_json_key_num(j, "max_delay_orig_ps", c->d_orig_ps);
  pp_json_key_num(j, "max_delay_selected_ps", c->d_sel_ps);
  pp_json_key_num(j, "max_delay_reduction_ps", c->d_orig_ps - c->d_sel_ps);
  pp_json_key_num(j, "voltage_scaled", c->v_scaled);
  pp_json_key_num(j, "voltage_factor", c->v_scaled / m->v_nom);
  pp_json_key_num(j, "reduction_standard_hw", c->red_shw);
  pp_json_key_num(j, "reduction_optimized_hw", c->red_ohw);
  pp_json_key_num(j, "reduction_standard_hw_no_scaling", c->red_shw_noscale);
  pp_json_key_num(j, "reduction_optimized_hw_no_scaling", c->red_ohw_noscale);
  pp_json_key_num(j, "v_shw", c->v_share_shw);
  pp_json_key_num(j, "v_ohw", c->v_share_ohw);
  pp_json_obj_end(j);
}
