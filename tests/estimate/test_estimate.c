/* Tests of estimate: the voltage model against Table I, power on a hand-built
 * trace against a hand computation, Standard >= Optimized, weight remapping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp/estimate.h"

static void test_voltage_table1(void **st) {
  (void)st;
  pp_est_vmodel m;
  pp_est_vmodel_default(&m);
  pp_err e;
  pp_err_clear(&e);
  const double saved[3] = {40, 30, 20}, want[3] = {0.71, 0.73, 0.75};
  for (int i = 0; i < 3; i++) {
    double v;
    assert_int_equal(pp_est_scaled_voltage(&m, 180, 180 - saved[i], &v, &e), PP_OK);
    assert_true(fabs(v - want[i]) <= 0.01);
    /* at that voltage the selected circuit just meets the old clock */
    assert_true((180 - saved[i]) * pp_est_delay_factor(&m, v) <= 180 + 1e-6);
    assert_true((180 - saved[i]) * pp_est_delay_factor(&m, v - 0.001) > 180);
  }
  double v;
  assert_int_equal(pp_est_scaled_voltage(&m, 180, 190, &v, &e), PP_OK); /* slower: no scaling */
  assert_true(v == m.v_nom);
  /* v_step rounds up, never below the exact voltage */
  m.v_step = 0.01;
  assert_int_equal(pp_est_scaled_voltage(&m, 180, 140, &v, &e), PP_OK);
  assert_true(fabs(v - 0.71) < 1e-9);
  assert_true(140 * pp_est_delay_factor(&m, v) <= 180);
  assert_int_equal(pp_est_scaled_voltage(&m, 180, -1, &v, &e), PP_EINVAL);
}

static void test_scaling_laws(void **st) {
  (void)st;
  pp_est_vmodel m;
  pp_est_vmodel_default(&m);
  assert_true(fabs(pp_est_dyn_scale(&m, 0.8) - 1) < 1e-12);
  assert_true(fabs(pp_est_leak_scale(&m, 0.8) - 1) < 1e-12);
  assert_true(fabs(pp_est_dyn_scale(&m, 0.4) - 0.25) < 1e-12);
  /* leakage falls faster than V alone (DIBL), and monotonically */
  double l = pp_est_leak_scale(&m, 0.72);
  assert_true(l < 0.72 / 0.8 && l > 0.5);
  assert_true(pp_est_leak_scale(&m, 0.70) < l);
  assert_true(fabs(l - 0.9 * exp(1.75 * -0.08)) < 1e-12);
  /* delay rises as V drops */
  assert_true(pp_est_delay_factor(&m, 0.7) > pp_est_delay_factor(&m, 0.75));
}

static void tiny(pp_est_usage *u, pp_char_power *p) {
  memset(u, 0, sizeof *u);
  memset(p, 0, sizeof *p);
  u->rows = u->cols = 2;
  u->cycles = 10;
  u->w_min = -1;
  u->n_w = 3;
  u->mac_cycles[0] = 8;  /* w = -1 */
  u->mac_cycles[1] = 4;  /* w = 0 */
  u->mac_cycles[2] = 12; /* w = 1 */
  u->gated_pe_cycles = 10;
  u->idle_mode = PP_EST_IDLE_ZERO_WEIGHT;
  p->w_min = -1;
  p->n_w = 3;
  p->dyn_uw[0] = 30;
  p->dyn_uw[1] = 10;
  p->dyn_uw[2] = 20;
  p->leak_uw = 5;
}

static void test_hand_trace(void **st) {
  (void)st;
  pp_est_usage u;
  pp_char_power p;
  tiny(&u, &p);
  pp_est_vmodel m;
  pp_est_vmodel_default(&m);
  pp_err e;
  pp_err_clear(&e);
  pp_est_power r;
  assert_int_equal(pp_est_power_at(&u, &p, &m, m.v_nom, &r, &e), PP_OK);
  /* 40 PE-cycles: 24 MAC, 16 idle. SHW dyn = (8*30 + 4*10 + 12*20 + 16*10)/10 = 68,
   * leak = 4 PEs * 5 = 20. OHW dyn = (240 + 240)/10 = 48, leak = 5 * (40 - 10)/10 = 15. */
  assert_true(fabs(r.shw.dyn_uw - 68) < 1e-9);
  assert_true(fabs(r.shw.leak_uw - 20) < 1e-9);
  assert_true(fabs(r.shw.total_uw - 88) < 1e-9);
  assert_true(fabs(r.ohw.dyn_uw - 48) < 1e-9);
  assert_true(fabs(r.ohw.leak_uw - 15) < 1e-9);
  assert_true(fabs(r.ohw.total_uw - 63) < 1e-9);
  /* idle PEs holding their inputs: SHW dyn = (240 + 40 + 240)/10 = 52; OHW unchanged */
  u.idle_mode = PP_EST_IDLE_HOLD;
  assert_int_equal(pp_est_power_at(&u, &p, &m, m.v_nom, &r, &e), PP_OK);
  assert_true(fabs(r.shw.dyn_uw - 52) < 1e-9 && fabs(r.shw.total_uw - 72) < 1e-9);
  assert_true(fabs(r.ohw.total_uw - 63) < 1e-9);
  u.idle_mode = PP_EST_IDLE_ZERO_WEIGHT;
  /* at 0.72 V: dynamic x (0.9)^2, leakage x leak_scale */
  assert_int_equal(pp_est_power_at(&u, &p, &m, 0.72, &r, &e), PP_OK);
  assert_true(fabs(r.shw.dyn_uw - 68 * 0.81) < 1e-9);
  assert_true(fabs(r.shw.leak_uw - 20 * pp_est_leak_scale(&m, 0.72)) < 1e-9);
  /* PE-cycle budget exceeded is an error */
  u.gated_pe_cycles = 30;
  assert_int_equal(pp_est_power_at(&u, &p, &m, m.v_nom, &r, &e), PP_EINVAL);
}

static void test_standard_ge_optimized(void **st) {
  (void)st;
  pp_rng r;
  pp_rng_seed(&r, 7);
  pp_est_vmodel m;
  pp_est_vmodel_default(&m);
  for (int it = 0; it < 200; it++) {
    pp_est_usage u;
    pp_char_power p;
    memset(&u, 0, sizeof u);
    memset(&p, 0, sizeof p);
    u.rows = u.cols = 1 + (int)pp_rng_below(&r, 64);
    u.cycles = 1 + pp_rng_below(&r, 1000);
    u.w_min = p.w_min = -127;
    u.n_w = p.n_w = 255;
    double budget = u.rows * u.cols * u.cycles * pp_rng_uniform(&r);
    for (int i = 0; i < 255; i++) {
      u.mac_cycles[i] = budget / 255;
      p.dyn_uw[i] = 100 + 900 * pp_rng_uniform(&r);
    }
    u.gated_pe_cycles = (u.rows * u.cols * u.cycles - budget) * pp_rng_uniform(&r);
    p.leak_uw = 50 * pp_rng_uniform(&r);
    pp_err e;
    pp_err_clear(&e);
    pp_est_power pw;
    double v = 0.65 + 0.15 * pp_rng_uniform(&r);
    assert_int_equal(pp_est_power_at(&u, &p, &m, v, &pw, &e), PP_OK);
    assert_true(pw.shw.total_uw >= pw.ohw.total_uw);
    assert_true(pw.shw.dyn_uw >= pw.ohw.dyn_uw && pw.shw.leak_uw >= pw.ohw.leak_uw);
  }
}

static void test_restrict_and_compare(void **st) {
  (void)st;
  pp_est_usage u, s;
  pp_char_power p;
  tiny(&u, &p);
  uint8_t allowed[3] = {0, 1, 1}; /* -1 not allowed: moves to 0 (nearest) */
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_est_usage_restrict(&u, allowed, &s, &e), PP_OK);
  assert_true(s.mac_cycles[0] == 0 && s.mac_cycles[1] == 12 && s.mac_cycles[2] == 12);
  uint8_t nozero[3] = {1, 0, 1};
  assert_int_equal(pp_est_usage_restrict(&u, nozero, &s, &e), PP_EINVAL);
  pp_err_clear(&e);
  assert_int_equal(pp_est_usage_restrict(&u, allowed, &s, &e), PP_OK);
  pp_est_vmodel m;
  pp_est_vmodel_default(&m);
  pp_est_compare c;
  assert_int_equal(pp_est_compare_run(&u, &s, &p, 180, 140, &m, &c, &e), PP_OK);
  /* selected, nominal: SHW dyn = (12*10 + 12*20 + 16*10)/10 = 52, total 72 */
  assert_true(fabs(c.sel.shw.total_uw - 72) < 1e-9);
  assert_true(fabs(c.red_shw_noscale - (1 - 72.0 / 88)) < 1e-12);
  assert_true(c.v_scaled < 0.72 && c.v_scaled > 0.70);
  assert_true(c.red_shw > c.red_shw_noscale && c.red_ohw > c.red_ohw_noscale);
  assert_true(fabs(c.v_share_shw - (c.sel.shw.total_uw - c.sel_scaled.shw.total_uw) / 88) < 1e-12);
  /* no delay saved: no share from voltage */
  assert_int_equal(pp_est_compare_run(&u, &s, &p, 180, 180, &m, &c, &e), PP_OK);
  assert_true(c.v_share_shw == 0 && c.v_share_ohw == 0);
}

static void test_usage_from_stats(void **st) {
  (void)st;
  pp_array_stats *s = calloc(1, sizeof *s);
  assert_non_null(s);
  s->size = 4;
  s->c.load_cycles = 4;
  s->c.stream_cycles = 16; /* 20 cycles x 16 PEs = 320 PE-cycles */
  s->c.tiles = 2;
  s->c.unused_cols = 2; /* one of four columns per tile on average */
  s->mac_per_weight[127] = 30;      /* w = 0 */
  s->mac_per_weight[127 + 5] = 100; /* w = 5 */
  s->mac_per_weight[127 - 3] = 50;  /* w = -3 */
  s->c.macs = 180;
  pp_est_usage u;
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_est_usage_from_stats(s, &u, &e), PP_OK);
  assert_int_equal(u.rows, 4);
  assert_true(u.cycles == 20);
  assert_true(u.mac_cycles[132] == 100 && u.mac_cycles[124] == 50 && u.mac_cycles[127] == 30);
  assert_true(fabs(u.gated_pe_cycles - 80) < 1e-9); /* 0.25 x 320 */
  pp_char_power p;
  memset(&p, 0, sizeof p);
  p.w_min = -127;
  p.n_w = 255;
  for (int i = 0; i < 255; i++) p.dyn_uw[i] = 10 + abs(i - 127);
  p.leak_uw = 2;
  pp_est_vmodel m;
  pp_est_vmodel_default(&m);
  pp_est_power r;
  assert_int_equal(pp_est_power_at(&u, &p, &m, m.v_nom, &r, &e), PP_OK);
  /* SHW: (30*10 + 100*15 + 50*13)/20 = 122.5 dyn, 16*2 = 32 leak;
   * OHW: (1500 + 650)/20 = 107.5 dyn, 2*(320-80)/20 = 24 leak */
  assert_true(fabs(r.shw.total_uw - 154.5) < 1e-9);
  assert_true(fabs(r.ohw.total_uw - 131.5) < 1e-9);
  s->c.macs = 181; /* inconsistent statistics are an error */
  assert_int_equal(pp_est_usage_from_stats(s, &u, &e), PP_EPARSE);
  free(s);
}

/* Points drawn from a known law: the fit gives it back. */
static void vpoints(pp_est_vfit *f, const double *v, int n, double vth, double alpha, double k) {
  memset(f, 0, sizeof *f);
  f->n = n;
  for (int i = 0; i < n; i++) {
    f->pt[i].v = v[i];
    f->pt[i].delay_ps = 180 * (v[i] / pow(v[i] - vth, alpha)) / (v[0] / pow(v[0] - vth, alpha));
    f->pt[i].leak_nw = 900 * (v[i] / v[0]) * exp(k * (v[i] - v[0]));
    snprintf(f->pt[i].lib, sizeof f->pt[i].lib, "lib%d.lib", i);
  }
}

static void test_voltage_fit(void **st) {
  (void)st;
  pp_err e;
  pp_err_clear(&e);
  pp_est_vmodel m;
  pp_est_vfit f;
  /* three or more supplies: vth, alpha and k all come back */
  const double v3[4] = {0.8, 0.7, 0.6, 0.9};
  vpoints(&f, v3, 4, 0.35, 1.6, 2.4);
  pp_est_vmodel_default(&m);
  assert_int_equal(pp_est_vmodel_fit(&f, &m, &e), PP_OK);
  assert_true(fabs(m.vth - 0.35) < 1e-4 && fabs(m.alpha - 1.6) < 1e-3 && fabs(m.leak_k - 2.4) < 1e-9);
  assert_true(f.alpha_fitted && f.leak_fitted && f.rms_log_delay < 1e-6);
  assert_int_equal(m.fitted, 4);
  /* the fitted law reproduces every point's delay */
  for (int i = 1; i < 4; i++)
    assert_true(fabs(pp_est_delay_factor(&m, v3[i]) - f.pt[i].delay_ps / f.pt[0].delay_ps) < 1e-4);
  /* two supplies: alpha stays, vth reproduces the one ratio exactly */
  vpoints(&f, v3, 2, 0.30, 1.3, 1.0);
  pp_est_vmodel_default(&m);
  assert_int_equal(pp_est_vmodel_fit(&f, &m, &e), PP_OK);
  assert_true(fabs(m.alpha - 1.3) < 1e-15 && fabs(m.vth - 0.30) < 1e-9 && !f.alpha_fitted);
  /* a ratio too small for any vth >= 0 at alpha 1.3: vth 0, alpha solved */
  vpoints(&f, v3, 2, 0.0, 1.05, 1.0);
  pp_est_vmodel_default(&m);
  assert_int_equal(pp_est_vmodel_fit(&f, &m, &e), PP_OK);
  assert_true(f.vth_at_zero && m.vth == 0 && fabs(m.alpha - 1.05) < 1e-9);
  assert_true(fabs(pp_est_delay_factor(&m, 0.7) - f.pt[1].delay_ps / f.pt[0].delay_ps) < 1e-9);
  /* the scaled voltage now follows the fitted law */
  vpoints(&f, v3, 3, 0.35, 1.6, 2.4);
  pp_est_vmodel_default(&m);
  assert_int_equal(pp_est_vmodel_fit(&f, &m, &e), PP_OK);
  double v;
  assert_int_equal(pp_est_scaled_voltage(&m, f.pt[1].delay_ps, f.pt[0].delay_ps, &v, &e), PP_OK);
  assert_true(fabs(v - 0.7) < 1e-4); /* a 0.8 V path as slow as the 0.7 V one allows 0.7 V */
  /* bad points: each names the file */
  vpoints(&f, v3, 2, 0.35, 1.6, 2.4);
  f.pt[1].v = 0.8;
  assert_int_equal(pp_est_vmodel_fit(&f, &m, &e), PP_EINVAL);
  assert_non_null(strstr(e.msg, "distinct"));
  vpoints(&f, v3, 2, 0.35, 1.6, 2.4);
  f.pt[1].delay_ps = f.pt[0].delay_ps * 0.9;
  pp_err_clear(&e);
  assert_int_equal(pp_est_vmodel_fit(&f, &m, &e), PP_EINVAL);
  assert_non_null(strstr(e.msg, "grow as the supply drops"));
  assert_string_equal(e.file, "lib1.lib");
  f.n = 1;
  assert_int_equal(pp_est_vmodel_fit(&f, &m, &e), PP_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_voltage_table1),       cmocka_unit_test(test_scaling_laws),
      cmocka_unit_test(test_hand_trace),           cmocka_unit_test(test_standard_ge_optimized),
      cmocka_unit_test(test_restrict_and_compare), cmocka_unit_test(test_usage_from_stats),
      cmocka_unit_test(test_voltage_fit),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
