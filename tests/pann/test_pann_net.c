/* Tests of pann's quantized-network engine on a small LeNet-5 trained on
 * module nn's synthetic set: the float path agrees with nn's own evaluation,
 * plain 8-bit is close to float and to nn's int8 path, PANN at the 8-bit
 * budget is within a point of the int8 network, the budget moves power
 * monotonically, and the compare driver reports consistent points. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pp/pann.h"
#include "pann/pann_internal.h"
#include <omp.h>

static pp_nn_model *M;
static pp_nn_data TR, TE;

static int setup(void **st) {
  (void)st;
  pp_err e;
  pp_err_clear(&e);
  if (pp_nn_data_synthetic(1600, 1, 12, 12, 10, 11, &TR, &e)) return -1;
  if (pp_nn_data_synthetic(400, 1, 12, 12, 10, 12, &TE, &e)) return -1;
  if (pp_nn_model_create("lenet5", 1, 12, 12, 10, 3, &M, &e)) return -1;
  pp_nn_train_opts o;
  pp_nn_train_defaults(&o);
  o.epochs = 3;
  o.batch = 32;
  o.seed = 5;
  if (pp_nn_train(M, &TR, &o, NULL, NULL, &e)) {
    char b[1024];
    fprintf(stderr, "%s\n", pp_err_format(&e, b, sizeof b));
    return -1;
  }
  return 0;
}

static int teardown(void **st) {
  (void)st;
  pp_nn_model_free(M);
  pp_nn_data_free(&TR);
  pp_nn_data_free(&TE);
  return 0;
}

/* Synthetic models with the physical shape of the fitted ones (see test_pann). */
static void synth_power(pp_pann_power *pw) {
  memset(pw, 0, sizeof *pw);
  pw->acc_bits = 22;
  for (int b = 2; b <= 8; b++) {
    pw->have[b - 2] = 1;
    pw->mult[b - 2] = (pp_pann_mult_model){.w_bits = b, .a_bits = b, .c = {1, 2.0 * b, 2.0 * b, 0.3}};
    pw->acc[b - 2] = (pp_pann_acc_model){.in_bits = 2 * b, .acc_bits = 22, .c = {0.5, 1, 0.5, 1.5}};
    pw->add[b - 2] = (pp_pann_acc_model){.in_bits = b + 1 > 4 ? b + 1 : 4, .acc_bits = 22, .c = {0.5, 1, 0.5, 1.5}};
  }
}

static void test_float_matches_nn(void **st) {
  (void)st;
  pp_err e;
  pp_err_clear(&e);
  pp_pann_net *n;
  assert_int_equal(pp_pann_net_create(M, &TR, 0, 200, &n, &e), PP_OK);
  pp_pann_qspec s = {.mode = PP_PANN_Q_FLOAT};
  assert_int_equal(pp_pann_net_quantize(n, &s, &e), PP_OK);
  int cnt = 100;
  float *lo = malloc(sizeof(float) * cnt * 10), *ln = malloc(sizeof(float) * TE.n * 10);
  double acc, accn, loss;
  assert_int_equal(pp_pann_net_eval(n, &TE, 0, cnt, &acc, lo, &e), PP_OK);
  assert_int_equal(pp_nn_eval(M, &TE, &accn, &loss, ln, &e), PP_OK);
  double md = 0, mx = 0;
  for (int i = 0; i < cnt * 10; i++) {
    md = fmax(md, fabs(lo[i] - ln[i]));
    mx = fmax(mx, fabs(ln[i]));
  }
  assert_true(md < 1e-3 * (1 + mx)); /* same network, two implementations */
  assert_true(accn > 80);            /* the model did learn */
  free(lo);
  free(ln);
  pp_pann_net_free(n);
}

/* The fast forward pass (float GEMM when every integer sum is exact, cache-sized column blocks, images in
 * parallel) against the double-GEMM reference path: the same logits to the bit, on 1 and 2 threads, for plain
 * b-bit and PANN networks. */
static void test_fast_path_bit_identical(void **st) {
  (void)st;
  pp_err e;
  pp_err_clear(&e);
  pp_pann_net *n;
  assert_int_equal(pp_pann_net_create(M, &TR, 0, 300, &n, &e), PP_OK);
  const pp_pann_qspec specs[] = {{.mode = PP_PANN_Q_UNIFORM, .w_bits = 8, .a_bits = 8, .bias_corr = 1},
                                 {.mode = PP_PANN_Q_UNIFORM, .w_bits = 3, .a_bits = 3},
                                 {.mode = PP_PANN_Q_PANN, .a_bits = 6, .R = 4.0}};
  size_t nl = (size_t)TE.n * 10;
  float *ref = malloc(nl * sizeof(float)), *fast = malloc(nl * sizeof(float));
  assert_non_null(ref);
  assert_non_null(fast);
  for (size_t k = 0; k < sizeof specs / sizeof specs[0]; k++) {
    pp_pann_qspec s = specs[k];
    assert_int_equal(pp_pann_net_quantize(n, &s, &e), PP_OK);
    double a_ref, a_fast, l_ref, l_fast;
    pann_force_double = 1;
    omp_set_num_threads(1);
    assert_int_equal(pp_pann_net_eval_loss(n, &TE, 0, TE.n, &a_ref, &l_ref, ref, &e), PP_OK);
    pann_force_double = 0;
    for (int t = 1; t <= 3; t++) { /* 3: two threads, and column blocks of a few images */
      omp_set_num_threads(t < 3 ? t : 2);
      pann_col_block_bytes = t < 3 ? (size_t)256 << 10 : 4 * 25 * 144 * sizeof(float);
      assert_int_equal(pp_pann_net_eval_loss(n, &TE, 0, TE.n, &a_fast, &l_fast, fast, &e), PP_OK);
      assert_memory_equal(ref, fast, nl * sizeof(float));
      assert_true(a_ref == a_fast && l_ref == l_fast);
    }
  }
  pann_col_block_bytes = (size_t)256 << 10;
  free(ref);
  free(fast);
  pp_pann_net_free(n);
}

static void test_quantized_networks(void **st) {
  (void)st;
  pp_err e;
  pp_err_clear(&e);
  pp_pann_net *n;
  assert_int_equal(pp_pann_net_create(M, &TR, 0, 300, &n, &e), PP_OK);
  double facc, a8, p8, a2;
  pp_pann_qspec s = {.mode = PP_PANN_Q_FLOAT};
  assert_int_equal(pp_pann_net_quantize(n, &s, &e), PP_OK);
  assert_int_equal(pp_pann_net_eval(n, &TE, 0, TE.n, &facc, NULL, &e), PP_OK);
  s = (pp_pann_qspec){.mode = PP_PANN_Q_UNIFORM, .w_bits = 8, .a_bits = 8, .bias_corr = 1};
  assert_int_equal(pp_pann_net_quantize(n, &s, &e), PP_OK);
  assert_int_equal(pp_pann_net_eval(n, &TE, 0, TE.n, &a8, NULL, &e), PP_OK);
  assert_true(fabs(a8 - facc) <= 1.0);
  for (int i = 0; i < pp_pann_net_nlayers(n); i++) {
    pp_pann_layer_info li;
    pp_pann_net_layer(n, i, &li);
    assert_true(li.max_abs_q <= 127);
  }
  /* module nn's int8 path: an independent int8 network */
  pp_nn_qmodel *q;
  assert_int_equal(pp_nn_qmodel_build(M, &q, &e), PP_OK);
  int *pred = malloc(sizeof(int) * TE.n);
  assert_int_equal(pp_nn_qrun(q, &TE, 0, TE.n, NULL, NULL, NULL, pred, NULL, &e), PP_OK);
  int hits = 0;
  for (int i = 0; i < TE.n; i++) hits += pred[i] == TE.y[i];
  double int8 = 100.0 * hits / TE.n;
  free(pred);
  /* PANN at the power of the 8-bit MAC: within a point of the int8 network */
  pp_pann_power pw;
  synth_power(&pw);
  double P8 = pp_pann_ref_mac_energy(&pw, 8, PP_PANN_SPLIT, 64, 1);
  double R = pp_pann_budget_R(&pw, 8, P8, 64, 1);
  assert_true(R > 4);
  s = (pp_pann_qspec){.mode = PP_PANN_Q_PANN, .a_bits = 8, .R = R, .bias_corr = 1};
  assert_int_equal(pp_pann_net_quantize(n, &s, &e), PP_OK);
  assert_int_equal(pp_pann_net_eval(n, &TE, 0, TE.n, &p8, NULL, &e), PP_OK);
  assert_true(fabs(p8 - int8) <= 1.0);
  for (int i = 0; i < pp_pann_net_nlayers(n); i++) {
    pp_pann_layer_info li;
    pp_pann_net_layer(n, i, &li);
    assert_true(li.r <= R + 1e-9 && li.r > 0.9 * R);
  }
  /* plain 2-bit loses accuracy: the comparison is not trivial */
  s = (pp_pann_qspec){.mode = PP_PANN_Q_UNIFORM, .w_bits = 2, .a_bits = 2, .bias_corr = 1};
  assert_int_equal(pp_pann_net_quantize(n, &s, &e), PP_OK);
  assert_int_equal(pp_pann_net_eval(n, &TE, 0, TE.n, &a2, NULL, &e), PP_OK);
  assert_true(a2 <= a8);
  /* moving the budget moves the energy of the network's products monotonically */
  double prev = 0;
  const double Rs[] = {0.5, 1, 2, 4, 8};
  for (int k = 0; k < 5; k++) {
    s = (pp_pann_qspec){.mode = PP_PANN_Q_PANN, .a_bits = 6, .R = Rs[k], .bias_corr = 1};
    assert_int_equal(pp_pann_net_quantize(n, &s, &e), PP_OK);
    pp_pann_energy en;
    assert_int_equal(pp_pann_net_energy(n, &pw, PP_PANN_SPLIT, &TE, 0, 3, &en, &e), PP_OK);
    assert_true(en.e_per_mac > prev);
    /* additions per MAC follow R (the layers' mean |q| is at most R) */
    assert_true(en.additions / en.macs <= Rs[k] * 1.0001);
    assert_true(en.additions / en.macs > 0.8 * Rs[k]);
    prev = en.e_per_mac;
  }
  /* bad specs are refused with a message */
  s = (pp_pann_qspec){.mode = PP_PANN_Q_PANN, .a_bits = 9, .R = 1};
  pp_err_clear(&e);
  assert_int_equal(pp_pann_net_quantize(n, &s, &e), PP_EINVAL);
  s = (pp_pann_qspec){.mode = PP_PANN_Q_PANN, .a_bits = 4, .R = -1};
  pp_err_clear(&e);
  assert_int_equal(pp_pann_net_quantize(n, &s, &e), PP_EINVAL);
  pp_err_clear(&e);
  assert_int_equal(pp_pann_net_eval(n, &TE, 390, 20, &a2, NULL, &e), PP_EINVAL);
  pp_nn_qmodel_free(q);
  pp_pann_net_free(n);
}

static void test_compare_driver(void **st) {
  (void)st;
  pp_err e;
  pp_err_clear(&e);
  pp_pann_power pw;
  synth_power(&pw);
  pp_pann_compare_opts o;
  pp_pann_compare_defaults(&o);
  o.calib_images = 300;
  o.val_images = 300;
  o.test_images = 200;
  o.energy_images = 2;
  o.min_bits = 2;
  o.max_bits = 4;
  o.match = PP_PANN_MATCH_BOTH;
  o.trace_images = 1;
  o.pann_bx_min = 3; /* fewer candidates: the planner has its own tests */
  o.pann_bx_max = 4;
  pp_pann_compare c;
  assert_int_equal(pp_pann_compare_run(M, &TR, &TE, &pw, &o, &c, &e), PP_OK);
  int nu = 0, np = 0;
  double prev_budget = 0;
  for (int i = 0; i < c.n; i++) {
    const pp_pann_point *p = &c.pts[i];
    if (!strcmp(p->method, "uniform")) {
      nu++;
      assert_true(p->budget_fj > prev_budget);
      prev_budget = p->budget_fj;
    } else if (p->chosen) {
      np++;
      /* the chosen PANN point spends its budget: reference energies, or
       * the b-bit network's energy on the trace images */
      if (!strcmp(p->match, "ref"))
        assert_true(fabs(p->ref_fj - p->budget_fj) < 0.03 * p->budget_fj);
      else
        assert_true(fabs(p->achieved_fj - p->target_fj) < 0.03 * p->target_fj);
      assert_false(isnan(p->test_acc));
      assert_true(p->trace_fj > 0);
    }
  }
  assert_int_equal(nu, 3);
  assert_int_equal(np, 6);
  pp_pann_compare_free(&c);
  /* more calibration than images: one clear error */
  o.calib_images = TR.n;
  pp_err_clear(&e);
  assert_int_equal(pp_pann_compare_run(M, &TR, &TE, &pw, &o, &c, &e), PP_EINVAL);
}

/* PANN QAT: straight-through steps at a low R leave float weights that
 * quantize at least as well at that R as the weights it started from. */
static void test_qat(void **st) {
  (void)st;
  pp_err e;
  pp_err_clear(&e);
  pp_nn_model *m;
  assert_int_equal(pp_nn_model_create("lenet5", 1, 12, 12, 10, 3, &m, &e), PP_OK);
  memcpy(m->params, M->params, sizeof(float) * m->nparams);
  memcpy(m->bufs, M->bufs, sizeof(float) * m->nbufs);
  const double R = 0.3;
  double before, after;
  pp_pann_net *n;
  pp_pann_qspec s = {.mode = PP_PANN_Q_PANN, .a_bits = 4, .R = R, .bias_corr = 1};
  assert_int_equal(pp_pann_net_create(m, &TR, 0, 300, &n, &e), PP_OK);
  assert_int_equal(pp_pann_net_quantize(n, &s, &e), PP_OK);
  assert_int_equal(pp_pann_net_eval(n, &TE, 0, TE.n, &before, NULL, &e), PP_OK);
  pp_pann_net_free(n);
  pp_pann_qat_opts o;
  pp_pann_qat_defaults(&o);
  o.R = R;
  o.steps = 150;
  o.batch = 32;
  o.lr = 5e-4;
  assert_int_equal(pp_pann_qat(m, &TR, &o, &e), PP_OK);
  int changed = 0;
  for (size_t k = 0; k < m->nparams; k++) {
    assert_true(isfinite(m->params[k]));
    changed += m->params[k] != M->params[k];
  }
  assert_true(changed > 0);
  assert_int_equal(pp_pann_net_create(m, &TR, 0, 300, &n, &e), PP_OK);
  assert_int_equal(pp_pann_net_quantize(n, &s, &e), PP_OK);
  assert_int_equal(pp_pann_net_eval(n, &TE, 0, TE.n, &after, NULL, &e), PP_OK);
  if (after < before - 1) fprintf(stderr, "QAT: %.2f -> %.2f\n", before, after);
  assert_true(after >= before - 1);
  pp_pann_net_free(n);
  pp_nn_model_free(m);
  o.R = 0;
  pp_err_clear(&e);
  assert_int_equal(pp_pann_qat(M, &TR, &o, &e), PP_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_float_matches_nn),
      cmocka_unit_test(test_fast_path_bit_identical),
      cmocka_unit_test(test_quantized_networks),
      cmocka_unit_test(test_compare_driver),
      cmocka_unit_test(test_qat),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
