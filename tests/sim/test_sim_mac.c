/* Tests of sim on the generated MAC: exact products through the timed
 * engine, time-stepped == event engine on the multiplier, dynamic settle
 * times never above STA (randomized), and the STA port helper the
 * characterization uses (d_i per product bit, d_psum). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pp/macgen.h"
#include "pp/netlist.h"
#include "pp/sim.h"
#include "pp/verilog.h"

static pp_lib *LIB;

static int setup(void **st) {
  (void)st;
  pp_err e;
  pp_err_clear(&e);
  return pp_lib_read(pp_lib_default_path(), &LIB, &e) ? -1 : 0;
}

static int teardown(void **st) {
  (void)st;
  pp_lib_free(LIB);
  return 0;
}

static pp_netlist *mac(int part, int mult, int adder) {
  pp_mac_opts o;
  pp_mac_opts_default(&o);
  o.part = part;
  o.mult = mult;
  o.adder = adder;
  char path[] = "/tmp/pp_test_mac_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  pp_err e;
  pp_err_clear(&e);
  pp_netlist *nl = NULL;
  assert_int_equal(pp_mac_generate(&o, LIB, path, &e), PP_OK);
  assert_int_equal(pp_netlist_read(path, LIB, NULL, &nl, &e), PP_OK);
  remove(path);
  return nl;
}

static int n_small(int n) { return getenv("PP_ASAN") ? n / 8 : n; }

/* y = p + w*a through the timed engine, and settle times within STA. */
static void test_mac_values_and_sta_bound(void **st) {
  (void)st;
  for (int arch = 0; arch < 2; arch++) {
    pp_netlist *nl = mac(PP_MAC_FULL, arch ? PP_MULT_BOOTH : PP_MULT_ARRAY, arch ? PP_ADDER_PREFIX : PP_ADDER_RIPPLE);
    pp_sim_model *m;
    pp_sta *s;
    pp_sim_ws *w;
    pp_err e;
    assert_int_equal(pp_sim_model_new(nl, NULL, &m, &e), PP_OK);
    assert_int_equal(pp_sta_run(m, &s, &e), PP_OK);
    assert_int_equal(pp_sim_ws_new(m, &w, &e), PP_OK);
    int nb = pp_sim_n_input_bits(m), yo = pp_netlist_find_output(nl, "y");
    int pw = pp_netlist_find_input(nl, "w"), pa = pp_netlist_find_input(nl, "a"), pp = pp_netlist_find_input(nl, "p");
    assert_true(yo >= 0 && pw >= 0 && pa >= 0 && pp >= 0);
    uint8_t *o = calloc((size_t)nb, 1), *n = calloc((size_t)nb, 1);
    pp_rng r;
    pp_rng_seed(&r, 11 + arch);
    long above = 0, reached = 0;
    for (int t = 0; t < n_small(3000); t++) {
      int wv = (int)pp_rng_below(&r, 255) - 127, av = (int)pp_rng_below(&r, 256);
      int pv = (int)pp_rng_below(&r, 1 << 22) - (1 << 21);
      pp_sim_bits_set_port(m, n, pw, wv);
      pp_sim_bits_set_port(m, n, pa, av);
      pp_sim_bits_set_port(m, n, pp, pv);
      pp_sim_result res;
      assert_int_equal(pp_sim_transition(w, o, n, 0, &res), PP_OK);
      int64_t y = (int64_t)pv + (int64_t)wv * av;
      y = ((y + (1 << 21)) & ((1 << 22) - 1)) - (1 << 21); /* wrap to 22 bits */
      assert_int_equal(pp_sim_output_value(w, yo, 1), y);
      for (int ob = 0; ob < res.n_out_bits; ob++) {
        double bound = -1;
        for (int i = 0; i < nb; i++)
          if (o[i] != n[i] && s->max_ps[(size_t)i * s->n_out_bits + ob] > bound)
            bound = s->max_ps[(size_t)i * s->n_out_bits + ob];
        if (res.settle_ps[ob] > bound + 1e-9 && res.settle_ps[ob] > 0) above++;
        if (res.settle_ps[ob] > 0.9 * s->critical_ps) reached++;
      }
      assert_true(res.max_settle_ps <= s->critical_ps + 1e-9);
      memcpy(o, n, (size_t)nb);
    }
    assert_int_equal(above, 0);
    free(o), free(n);
    pp_sim_ws_free(w);
    pp_sta_free(s);
    pp_sim_model_free(m);
    pp_netlist_free(nl);
  }
}

/* The DTA engines: 256 (and 4 x 64) transitions a -> a' at once with w held
 * agree bit for bit with the event engine (settle time of every product
 * bit, toggles). */
static void test_mult_ts_equals_event(void **st) {
  (void)st;
  pp_netlist *nl = mac(PP_MAC_MULT, PP_MULT_ARRAY, PP_ADDER_RIPPLE);
  pp_sim_model *m;
  pp_sim_ws *w;
  pp_err e;
  assert_int_equal(pp_sim_model_new(nl, NULL, &m, &e), PP_OK);
  assert_int_equal(pp_sim_ws_new(m, &w, &e), PP_OK);
  int pw = pp_netlist_find_input(nl, "w"), pa = pp_netlist_find_input(nl, "a");
  int nb = pp_sim_n_input_bits(m), no = pp_sim_n_output_bits(m);
  pp_rng r;
  pp_rng_seed(&r, 3);
  uint8_t *o = calloc((size_t)nb, 1), *n = calloc((size_t)nb, 1);
  long glitchy = 0;
  for (int batch = 0; batch < n_small(12); batch++) {
    int wv = (int)pp_rng_below(&r, 255) - 127;
    uint64_t ow4[4 * 32] = {0}, nw4[4 * 32] = {0};
    int ao[256], an[256];
    for (int l = 0; l < 256; l++) {
      ao[l] = (int)pp_rng_below(&r, 256), an[l] = (int)pp_rng_below(&r, 256);
      pp_sim_wide_set_port(m, ow4, pw, l, wv);
      pp_sim_wide_set_port(m, nw4, pw, l, wv);
      pp_sim_wide_set_port(m, ow4, pa, l, ao[l]);
      pp_sim_wide_set_port(m, nw4, pa, l, an[l]);
    }
    pp_sim_ts_result tr;
    assert_int_equal(pp_sim_ts_run256(w, ow4, nw4, 0, &tr), PP_OK);
    int32_t settle[256 * 32], mx[256];
    memcpy(settle, tr.settle_ticks, (size_t)no * 256 * sizeof(int32_t));
    memcpy(mx, tr.max_settle_ticks, sizeof mx);
    long ttog = tr.toggles, etog = 0, t64 = 0;
    for (int g = 0; g < 4; g++) { /* the 64-lane engine on each quarter */
      uint64_t ow[32] = {0}, nw[32] = {0};
      for (int l = 0; l < 64; l++) {
        pp_sim_words_set_port(m, ow, pw, l, wv);
        pp_sim_words_set_port(m, nw, pw, l, wv);
        pp_sim_words_set_port(m, ow, pa, l, ao[64 * g + l]);
        pp_sim_words_set_port(m, nw, pa, l, an[64 * g + l]);
      }
      assert_int_equal(pp_sim_ts_run(w, ow, nw, 0, &tr), PP_OK);
      t64 += tr.toggles;
      for (int b = 0; b < no; b++)
        for (int l = 0; l < 64; l++) assert_int_equal(tr.settle_ticks[b * 64 + l], settle[b * 256 + 64 * g + l]);
    }
    assert_int_equal(t64, ttog);
    for (int l = 0; l < 256; l++) {
      pp_sim_bits_set_port(m, o, pw, wv);
      pp_sim_bits_set_port(m, n, pw, wv);
      pp_sim_bits_set_port(m, o, pa, ao[l]);
      pp_sim_bits_set_port(m, n, pa, an[l]);
      pp_sim_result res;
      pp_sim_transition(w, o, n, 0, &res);
      etog += res.toggles;
      glitchy += res.output_toggles > __builtin_popcount((unsigned)((wv * ao[l]) ^ (wv * an[l])) & 0xffff);
      for (int b = 0; b < no; b++) assert_int_equal((int)(res.settle_ps[b] + 0.5), settle[b * 256 + l]);
      assert_int_equal((int)(res.max_settle_ps + 0.5), mx[l]);
    }
    assert_int_equal(etog, ttog);
  }
  assert_true(glitchy > 0);
  free(o), free(n);
  pp_sim_ws_free(w);
  pp_sim_model_free(m);
  pp_netlist_free(nl);
}

/* Energy of the time-stepped engines (256 and 64 lanes) against the event
 * engine on the whole MAC (w, a and p switching): per lane within 1e-9
 * relative, and the lane totals from integer counts likewise. */
static void test_mac_ts_energy_equals_event(void **st) {
  (void)st;
  for (int arch = 0; arch < 2; arch++) {
    pp_netlist *nl = mac(PP_MAC_FULL, arch ? PP_MULT_BOOTH : PP_MULT_ARRAY, arch ? PP_ADDER_PREFIX : PP_ADDER_RIPPLE);
    pp_sim_model *m;
    pp_sim_ws *w;
    pp_err e;
    assert_int_equal(pp_sim_model_new(nl, NULL, &m, &e), PP_OK);
    assert_int_equal(pp_sim_ws_new(m, &w, &e), PP_OK);
    int pw = pp_netlist_find_input(nl, "w"), pa = pp_netlist_find_input(nl, "a"), pp = pp_netlist_find_input(nl, "p");
    assert_true(pw >= 0 && pa >= 0 && pp >= 0);
    int nb = pp_sim_n_input_bits(m);
    pp_rng r;
    pp_rng_seed(&r, 11 + arch);
    uint8_t *o = calloc((size_t)nb, 1), *n = calloc((size_t)nb, 1);
    uint64_t *ow4 = calloc((size_t)nb * 4, 8), *nw4 = calloc((size_t)nb * 4, 8);
    uint64_t *ow = calloc((size_t)nb, 8), *nw = calloc((size_t)nb, 8);
    for (int batch = 0; batch < (getenv("PP_ASAN") ? 1 : 2); batch++) {
      int wv = (int)pp_rng_below(&r, 255) - 127;
      int ao[256], an[256];
      int32_t po[256], pn[256];
      for (int l = 0; l < 256; l++) {
        ao[l] = (int)pp_rng_below(&r, 256), an[l] = l % 8 == 0 ? ao[l] : (int)pp_rng_below(&r, 256);
        po[l] = (int32_t)pp_rng_below(&r, 1u << 20) - (1 << 19), pn[l] = (int32_t)pp_rng_below(&r, 1u << 20) - (1 << 19);
        pp_sim_wide_set_port(m, ow4, pw, l, wv);
        pp_sim_wide_set_port(m, nw4, pw, l, wv);
        pp_sim_wide_set_port(m, ow4, pa, l, ao[l]);
        pp_sim_wide_set_port(m, nw4, pa, l, an[l]);
        pp_sim_wide_set_port(m, ow4, pp, l, po[l]);
        pp_sim_wide_set_port(m, nw4, pp, l, pn[l]);
      }
      pp_sim_ts_result tr;
      assert_int_equal(pp_sim_ts_run256(w, ow4, nw4, PP_SIM_LANE_ENERGY, &tr), PP_OK);
      double lsw[256], lin[256], tot = tr.energy_fj, tsw = tr.switching_fj, tin = tr.internal_fj;
      memcpy(lsw, tr.lane_switching_fj, sizeof lsw);
      memcpy(lin, tr.lane_internal_fj, sizeof lin);
      int nob = pp_sim_n_output_bits(m);
      int32_t *set = malloc(sizeof(int32_t) * 256 * (size_t)nob);
      memcpy(set, tr.settle_ticks, sizeof(int32_t) * 256 * (size_t)nob);
      /* the portable build of the engine (the default may be a CPU-specific clone): same bits */
      setenv("PP_SIM_GENERIC", "1", 1);
      assert_int_equal(pp_sim_ts_run256(w, ow4, nw4, PP_SIM_LANE_ENERGY, &tr), PP_OK);
      unsetenv("PP_SIM_GENERIC");
      assert_memory_equal(set, tr.settle_ticks, sizeof(int32_t) * 256 * (size_t)nob);
      assert_memory_equal(lsw, tr.lane_switching_fj, sizeof lsw);
      assert_memory_equal(lin, tr.lane_internal_fj, sizeof lin);
      assert_true(tr.energy_fj == tot);
      free(set);
      double t64 = 0;
      for (int g = 0; g < 4; g++) {
        for (int l = 0; l < 64; l++) {
          pp_sim_words_set_port(m, ow, pw, l, wv);
          pp_sim_words_set_port(m, nw, pw, l, wv);
          pp_sim_words_set_port(m, ow, pa, l, ao[64 * g + l]);
          pp_sim_words_set_port(m, nw, pa, l, an[64 * g + l]);
          pp_sim_words_set_port(m, ow, pp, l, po[64 * g + l]);
          pp_sim_words_set_port(m, nw, pp, l, pn[64 * g + l]);
        }
        assert_int_equal(pp_sim_ts_run(w, ow, nw, PP_SIM_ENERGY, &tr), PP_OK);
        assert_null(tr.lane_switching_fj);
        t64 += tr.energy_fj;
      }
      double esw = 0, ein = 0;
      for (int l = 0; l < 256; l++) {
        pp_sim_bits_set_port(m, o, pw, wv);
        pp_sim_bits_set_port(m, n, pw, wv);
        pp_sim_bits_set_port(m, o, pa, ao[l]);
        pp_sim_bits_set_port(m, n, pa, an[l]);
        pp_sim_bits_set_port(m, o, pp, po[l]);
        pp_sim_bits_set_port(m, n, pp, pn[l]);
        pp_sim_result res;
        assert_int_equal(pp_sim_transition(w, o, n, 0, &res), PP_OK);
        assert_true(fabs(lsw[l] - res.switching_fj) <= 1e-9 * res.switching_fj);
        assert_true(fabs(lin[l] - res.internal_fj) <= 1e-9 * res.internal_fj);
        esw += res.switching_fj, ein += res.internal_fj;
      }
      assert_true(esw > 0 && ein > 0);
      assert_true(fabs(tsw - esw) <= 1e-9 * esw && fabs(tin - ein) <= 1e-9 * ein);
      assert_true(fabs(t64 - tot) <= 1e-9 * tot);
    }
    free(o), free(n), free(ow4), free(nw4), free(ow), free(nw);
    pp_sim_ws_free(w);
    pp_sim_model_free(m);
    pp_netlist_free(nl);
  }
}

/* What the characterization asks of STA on the adder part: d_i for each
 * product bit and d_psum, consistent with the per-bit matrix. */
static void test_adder_port_delays(void **st) {
  (void)st;
  pp_netlist *nl = mac(PP_MAC_ADDER, PP_MULT_ARRAY, PP_ADDER_RIPPLE);
  pp_sim_model *m;
  pp_sta *s;
  pp_err e;
  assert_int_equal(pp_sim_model_new(nl, NULL, &m, &e), PP_OK);
  assert_int_equal(pp_sta_run(m, &s, &e), PP_OK);
  int pr = pp_netlist_find_input(nl, "prod"), pp = pp_netlist_find_input(nl, "p");
  assert_true(pr >= 0 && pp >= 0);
  int wprod = nl->inputs[pr].width;
  double d[64], dp[64];
  double mx = pp_sta_port_max(m, s, pr, d);
  double dpsum = pp_sta_port_max(m, s, pp, dp);
  assert_true(mx > 0 && dpsum > 0);
  for (int b = 0; b < wprod; b++) {
    assert_true(d[b] > 0);
    assert_true(d[b] <= mx);
    double v = -1;
    for (int o = 0; o < s->n_out_bits; o++) {
      double x = s->max_ps[(size_t)pp_sim_input_bit(m, pr, b) * s->n_out_bits + o];
      if (x > v) v = x;
    }
    assert_true(v == d[b]);
  }
  /* in a ripple adder the low bits have the longest way to go */
  assert_true(d[0] > d[wprod - 1]);
  assert_true(s->critical_ps >= mx && s->critical_ps >= dpsum);
  pp_sta_free(s);
  pp_sim_model_free(m);
  pp_netlist_free(nl);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_mac_values_and_sta_bound),
                                     cmocka_unit_test(test_mult_ts_equals_event),
      cmocka_unit_test(test_mac_ts_energy_equals_event),
                                     cmocka_unit_test(test_adder_port_delays)};
  return cmocka_run_group_tests(tests, setup, teardown);
}
