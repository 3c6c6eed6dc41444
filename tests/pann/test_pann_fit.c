/* Tests of pann's fit against the gate-level simulator: the fitted bit-flip
 * models reproduce energies the timed engine gives on a fresh stream within
 * the error the fit reports, and the width trends PANN rests on show. */
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
#include "pp/pann.h"
#include "pp/sim.h"
#include "pp/verilog.h"

/* Pinned on purpose, not the default (Booth): the PANN models' error bounds below were measured on the array
 * multiplier, whose energy follows the operand bits the model uses. */
#define PINNED_MULT PP_MULT_ARRAY

static pp_lib *LIB;
static pp_pann_power PW;
static pp_pann_claims CL;
static int ASAN;

static int setup(void **st) {
  (void)st;
  pp_err e;
  pp_err_clear(&e);
  ASAN = getenv("PP_ASAN") != NULL;
  if (pp_lib_read(pp_lib_default_path(), &LIB, &e)) return -1;
  pp_pann_fit_opts o;
  pp_pann_fit_defaults(&o);
  o.mult_arch = PINNED_MULT;
  o.samples = 1500;
  o.min_bits = 2;
  o.max_bits = ASAN ? 4 : 8;
  if (pp_pann_fit(LIB, &o, &PW, &CL, &e)) {
    char b[1200];
    fprintf(stderr, "%s\n", pp_err_format(&e, b, sizeof b));
    return -1;
  }
  return 0;
}

static int teardown(void **st) {
  (void)st;
  pp_lib_free(LIB);
  return 0;
}

/* A fresh multiplier part and stream (other seed, other mix than the fit):
 * the model's mean energy and per-transition error stay within what the fit
 * reported on its held-out samples. */
static void check_mult_width(int b) {
  pp_err e;
  pp_err_clear(&e);
  pp_mac_opts mo;
  pp_mac_opts_default(&mo);
  mo.mult = PINNED_MULT;
  mo.w_bits = mo.a_bits = b;
  mo.part = PP_MAC_MULT;
  char path[256];
  snprintf(path, sizeof path, "%s/pann_mult_%d_%d.v", PP_BINARY_DIR, b, (int)getpid());
  assert_int_equal(pp_mac_generate(&mo, LIB, path, &e), PP_OK);
  pp_netlist *nl;
  assert_int_equal(pp_netlist_read(path, LIB, NULL, &nl, &e), PP_OK);
  unlink(path);
  pp_sim_opts so;
  pp_sim_opts_default(&so);
  pp_sim_model *sm;
  pp_sim_ws *ws;
  assert_int_equal(pp_sim_model_new(nl, &so, &sm, &e), PP_OK);
  assert_int_equal(pp_sim_ws_new(sm, &ws, &e), PP_OK);
  int pw_ = pp_netlist_find_input(nl, "w"), pa = pp_netlist_find_input(nl, "a");
  int nb = pp_sim_n_input_bits(sm);
  uint8_t *o = calloc(nb, 1), *n = calloc(nb, 1);
  pp_rng r;
  pp_rng_seed(&r, 99 + b);
  int L = (1 << (b - 1)) - 1, A = (1 << b) - 1;
  int64_t w0 = 0, a0 = 0;
  double sm_meas = 0, sm_pred = 0, sae = 0;
  int N = 600;
  for (int t = 0; t < N; t++) {
    /* weight-stationary runs of 8 with 30% zero activations */
    int64_t w1 = t % 8 ? w0 : (int64_t)pp_rng_below(&r, 2 * L + 1) - L;
    int64_t a1 = pp_rng_below(&r, 10) < 3 ? 0 : pp_rng_below(&r, A + 1);
    pp_sim_bits_set_port(sm, o, pw_, w0);
    pp_sim_bits_set_port(sm, o, pa, a0);
    pp_sim_bits_set_port(sm, n, pw_, w1);
    pp_sim_bits_set_port(sm, n, pa, a1);
    pp_sim_result res;
    assert_int_equal(pp_sim_transition(ws, o, n, 0, &res), PP_OK);
    double pred = pp_pann_mult_energy(&PW.mult[b - 2], w0, a0, w1, a1);
    sm_meas += res.energy_fj;
    sm_pred += pred;
    sae += fabs(pred - res.energy_fj);
    w0 = w1, a0 = a1;
  }
  double mean_err = fabs(sm_pred - sm_meas) / sm_meas, rel = sae / sm_meas;
  const pp_pann_fit_stats *c = &PW.mult[b - 2].check;
  if (getenv("PP_PANN_VERBOSE") || !(mean_err < 0.15 && rel < 1.5 * c->mean_rel_err + 0.05))
    fprintf(stderr, "mult %d: mean err %.3f, rel err %.3f (reported %.3f)\n", b, mean_err, rel, c->mean_rel_err);
  assert_true(mean_err < 0.15);
  assert_true(rel < 1.5 * c->mean_rel_err + 0.05);
  free(o);
  free(n);
  pp_sim_ws_free(ws);
  pp_sim_model_free(sm);
  pp_netlist_free(nl);
}

/* Same for an accumulator: the b-bit MAC's adder on split (unsigned)
 * accumulation of ReLU-like products (pann = 0), or the PANN adder on
 * repeated additions of bx-bit inputs (pann = 1). */
static void check_acc_width(int b, int pann) {
  pp_err e;
  pp_err_clear(&e);
  const pp_pann_acc_model *am = pann ? &PW.add[b - 2] : &PW.acc[b - 2];
  pp_mac_opts mo;
  pp_mac_opts_default(&mo);
  mo.mult = PINNED_MULT;
  mo.w_bits = pann ? 2 : b;
  mo.a_bits = am->in_bits - mo.w_bits;
  mo.p_bits = am->acc_bits;
  mo.part = PP_MAC_ADDER;
  char path[256];
  snprintf(path, sizeof path, "%s/pann_acc_%d_%d_%d.v", PP_BINARY_DIR, b, pann, (int)getpid());
  assert_int_equal(pp_mac_generate(&mo, LIB, path, &e), PP_OK);
  pp_netlist *nl;
  assert_int_equal(pp_netlist_read(path, LIB, NULL, &nl, &e), PP_OK);
  unlink(path);
  pp_sim_opts so;
  pp_sim_opts_default(&so);
  pp_sim_model *sm;
  pp_sim_ws *ws;
  assert_int_equal(pp_sim_model_new(nl, &so, &sm, &e), PP_OK);
  assert_int_equal(pp_sim_ws_new(sm, &ws, &e), PP_OK);
  int px = pp_netlist_find_input(nl, "prod"), pp_ = pp_netlist_find_input(nl, "p");
  int nb = pp_sim_n_input_bits(sm);
  uint8_t *o = calloc(nb, 1), *n = calloc(nb, 1);
  pp_rng r;
  pp_rng_seed(&r, 7 + b + 100 * pann);
  int64_t x0 = 0, p0 = 0, acc = 0, x1 = 0;
  int rep = 0;
  double meas = 0, pred = 0, sae = 0;
  int N = 600;
  for (int t = 0; t < N; t++) {
    if (t % 40 == 0) acc = 0;
    if (pann) {
      if (rep-- <= 0) {
        x1 = pp_rng_below(&r, 4) == 0 ? 0 : pp_rng_below(&r, (1u << b));
        rep = (int)pp_rng_below(&r, 4);
      }
    } else {
      int64_t a = pp_rng_below(&r, 10) < 4 ? 0 : pp_rng_below(&r, 1u << b);
      x1 = a * (int64_t)pp_rng_below(&r, 1u << (b - 1));
    }
    pp_sim_bits_set_port(sm, o, px, x0);
    pp_sim_bits_set_port(sm, o, pp_, p0);
    pp_sim_bits_set_port(sm, n, px, x1);
    pp_sim_bits_set_port(sm, n, pp_, acc);
    pp_sim_result res;
    assert_int_equal(pp_sim_transition(ws, o, n, 0, &res), PP_OK);
    double pe = pp_pann_acc_energy(am, x0, p0, x1, acc);
    meas += res.energy_fj;
    pred += pe;
    sae += fabs(pe - res.energy_fj);
    x0 = x1, p0 = acc;
    acc = pp_pann_wrap(acc + x1, am->acc_bits);
  }
  double mean_err = fabs(pred - meas) / meas, rel = sae / meas;
  if (getenv("PP_PANN_VERBOSE") || !(mean_err < 0.2 && rel < 1.5 * am->check.mean_rel_err + 0.05))
    fprintf(stderr, "acc %d/%d: mean err %.3f, rel err %.3f (reported %.3f)\n", b, pann, mean_err, rel,
            am->check.mean_rel_err);
  assert_true(mean_err < 0.2);
  assert_true(rel < 1.5 * am->check.mean_rel_err + 0.05);
  free(o);
  free(n);
  pp_sim_ws_free(ws);
  pp_sim_model_free(sm);
  pp_netlist_free(nl);
}

static void test_models_reproduce_simulation(void **st) {
  (void)st;
  int hi = ASAN ? 4 : 8;
  for (int b = 2; b <= hi; b++) {
    assert_true(PW.have[b - 2]);
    /* the fits explain most of the variance on held-out transitions */
    assert_true(PW.mult[b - 2].check.r2 > 0.7);
    assert_true(PW.acc[b - 2].check.r2 > 0.25); /* glitches of the ripple carry: the weakest fit */
    assert_true(PW.add[b - 2].check.r2 > 0.7);
    assert_true(PW.mult[b - 2].check.mean_err_rel < 0.1);
    assert_true(PW.acc[b - 2].check.mean_err_rel < 0.1);
    assert_true(PW.add[b - 2].check.mean_err_rel < 0.1);
    check_mult_width(b);
    check_acc_width(b, 0);
    check_acc_width(b, 1);
  }
}

static void test_width_trends(void **st) {
  (void)st;
  int hi = ASAN ? 4 : 8;
  for (int b = 3; b <= hi; b++) {
    assert_true(CL.mult_random_fj[b - 2] > CL.mult_random_fj[b - 3]); /* grows with width */
    assert_true(CL.add_random_fj[b - 2] > 0);
  }
  for (int b = 2; b <= hi; b++) assert_true(CL.acc_split_fj[b - 2] < CL.acc_signed_fj[b - 2]);
  /* faster than linear growth of the multiplier */
  assert_true(CL.mult_exponent > 1.2);
}

static void test_bad_options(void **st) {
  (void)st;
  pp_err e;
  pp_err_clear(&e);
  pp_pann_fit_opts o;
  pp_pann_fit_defaults(&o);
  o.max_bits = 9;
  pp_pann_power pw;
  pp_pann_claims cl;
  assert_int_equal(pp_pann_fit(LIB, &o, &pw, &cl, &e), PP_EINVAL);
  pp_pann_fit_defaults(&o);
  o.samples = 3;
  pp_err_clear(&e);
  assert_int_equal(pp_pann_fit(LIB, &o, &pw, &cl, &e), PP_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_models_reproduce_simulation),
      cmocka_unit_test(test_width_trends),
      cmocka_unit_test(test_bad_options),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
