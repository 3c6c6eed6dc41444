/* Tests of PANN's planning and training levers: the least-squares scales
 * never reconstruct the weights worse than the rounding step, the greedy
 * allocation keeps the energy budget and never ends worse on its objective
 * than uniform R, trace matching hits the target energy, QAT with quantized
 * activations improves the quantized accuracy of a small synthetic model, and
 * the same seed gives the same result. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pp/pann.h"

static pp_nn_model *M;
static pp_nn_data TR, TE;
static int ASAN;

static int setup(void **st) {
  (void)st;
  pp_err e;
  pp_err_clear(&e);
  ASAN = getenv("PP_ASAN") != NULL;
  if (pp_nn_data_synthetic(1600, 1, 12, 12, 10, 21, &TR, &e)) return -1;
  if (pp_nn_data_synthetic(400, 1, 12, 12, 10, 22, &TE, &e)) return -1;
  if (pp_nn_model_create("lenet5", 1, 12, 12, 10, 4, &M, &e)) return -1;
  pp_nn_train_opts o;
  pp_nn_train_defaults(&o);
  o.epochs = 3;
  o.batch = 32;
  o.seed = 6;
  if (pp_nn_train(M, &TR, &o, NULL, NULL, &e)) return -1;
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

static void test_lsq_scales(void **st) {
  (void)st;
  pp_err e;
  pp_err_clear(&e);
  pp_rng r;
  pp_rng_seed(&r, 9);
  const int Mr = 24, K = 50;
  float w[24 * 50];
  int32_t q[24 * 50];
  double gm[24];
  const double Rs[] = {0.2, 0.7, 1.5, 6};
  for (int t = 0; t < 4; t++) {
    for (int k = 0; k < Mr * K; k++) w[k] = (float)(pp_rng_normal(&r) * (1 + (k / K) % 3)); /* rows of different spread */
    double g, rr;
    assert_int_equal(pp_pann_weight_scale(w, (size_t)Mr * K, Rs[t], &g, q, &rr, &e), PP_OK);
    pp_pann_lsq_scales(w, Mr, K, q, g, gm);
    double tot_g = 0, tot_l = 0;
    for (int m = 0; m < Mr; m++) {
      double eg = 0, el = 0;
      for (int k = 0; k < K; k++) {
        double d1 = w[m * K + k] - g * q[m * K + k], d2 = w[m * K + k] - gm[m] * q[m * K + k];
        eg += d1 * d1, el += d2 * d2;
      }
      assert_true(el <= eg * (1 + 1e-12) + 1e-15);
      tot_g += eg, tot_l += el;
    }
    assert_true(tot_l < tot_g); /* and it does help somewhere */
  }
  /* an all-zero row keeps the rounding step */
  memset(q, 0, sizeof(int32_t) * K);
  pp_pann_lsq_scales(w, 1, K, q, 0.25, gm);
  assert_true(gm[0] == 0.25);
}

static void plan_opts(pp_pann_plan_opts *po, int match, int alloc) {
  pp_pann_plan_defaults(po);
  po->match = match;
  po->alloc = alloc;
  po->val = &TR;
  po->val_first = 300;
  po->val_count = ASAN ? 100 : 300;
  po->trace = &TR;
  po->trace_first = 0;
  po->trace_count = 2;
  po->bx_min = 3;
  po->bx_max = ASAN ? 3 : 4;
  po->alloc_max_evals = ASAN ? 6 : 24;
  po->trace_tol = 0.01;
}

static void test_alloc_and_trace(void **st) {
  (void)st;
  pp_err e;
  pp_err_clear(&e);
  pp_pann_power pw;
  synth_power(&pw);
  pp_pann_net *n;
  assert_int_equal(pp_pann_net_create(M, &TR, 0, 300, &n, &e), PP_OK);
  int nl = pp_pann_net_nlayers(n);
  double macs[PP_PANN_MAX_LAYERS], tot = 0;
  for (int l = 0; l < nl; l++) {
    pp_pann_layer_info li;
    pp_pann_net_layer(n, l, &li);
    macs[l] = li.macs;
    tot += li.macs;
  }
  pp_pann_plan_opts po;
  pp_pann_plan pu, pg, pt, pt2;
  /* reference budget: the greedy keeps sum MACs*R and never ends worse */
  plan_opts(&po, PP_PANN_MATCH_REF, PP_PANN_ALLOC_UNIFORM);
  assert_int_equal(pp_pann_plan_run(n, &pw, 3, 0, &po, &pu, &e), PP_OK);
  plan_opts(&po, PP_PANN_MATCH_REF, PP_PANN_ALLOC_GREEDY);
  assert_int_equal(pp_pann_plan_run(n, &pw, 3, 0, &po, &pg, &e), PP_OK);
  assert_int_equal(pg.a_bits, pu.a_bits);
  assert_true(pg.val_loss <= pu.val_loss);
  double s = 0;
  for (int l = 0; l < nl; l++) s += macs[l] * pg.layer_R[l];
  assert_true(fabs(s / tot - pu.R) < 1e-6 * pu.R);
  assert_true(fabs(pg.achieved_fj / pg.budget_fj - 1) < 0.03);
  /* the net is left at the plan: its validation loss is the plan's */
  double acc, loss;
  assert_int_equal(pp_pann_net_eval_loss(n, &TR, po.val_first, po.val_count, &acc, &loss, NULL, &e), PP_OK);
  assert_true(fabs(loss - pg.val_loss) < 1e-9);
  /* trace budget: the PANN network spends the b-bit network's trace energy */
  plan_opts(&po, PP_PANN_MATCH_TRACE, PP_PANN_ALLOC_UNIFORM);
  assert_int_equal(pp_pann_plan_run(n, &pw, 3, 0, &po, &pt, &e), PP_OK);
  assert_true(fabs(pt.achieved_fj / pt.target_fj - 1) <= po.trace_tol);
  pp_pann_energy en;
  assert_int_equal(pp_pann_net_energy(n, &pw, po.accum, &TR, 0, 2, &en, &e), PP_OK);
  assert_true(fabs(en.e_per_mac - pt.achieved_fj) < 1e-9 * pt.achieved_fj);
  pp_pann_qspec u = {.mode = PP_PANN_Q_UNIFORM, .w_bits = 3, .a_bits = 3, .bias_corr = 1};
  assert_int_equal(pp_pann_net_quantize(n, &u, &e), PP_OK);
  assert_int_equal(pp_pann_net_energy(n, &pw, po.accum, &TR, 0, 2, &en, &e), PP_OK);
  assert_true(fabs(en.e_per_mac - pt.target_fj) < 1e-9 * pt.target_fj);
  /* trace + greedy: still on the target, no worse than uniform, deterministic */
  plan_opts(&po, PP_PANN_MATCH_TRACE, PP_PANN_ALLOC_GREEDY);
  assert_int_equal(pp_pann_plan_run(n, &pw, 3, 0, &po, &pg, &e), PP_OK);
  assert_true(fabs(pg.achieved_fj / pg.target_fj - 1) <= po.trace_tol);
  assert_true(pg.val_loss <= pt.val_loss + 1e-12);
  assert_int_equal(pp_pann_plan_run(n, &pw, 3, 0, &po, &pt2, &e), PP_OK);
  assert_memory_equal(pg.layer_R, pt2.layer_R, sizeof(double) * (size_t)nl);
  /* bad input: one clear error */
  po.trace_count = TR.n + 1;
  pp_err_clear(&e);
  assert_int_equal(pp_pann_plan_run(n, &pw, 3, 0, &po, &pt2, &e), PP_EINVAL);
  pp_pann_net_free(n);
}

/* PANN accuracy of model m at R (bx-bit activations, no bias correction). */
static double pann_acc(pp_nn_model *m, int bx, const double *R) {
  pp_err e;
  pp_err_clear(&e);
  pp_pann_net *n;
  assert_int_equal(pp_pann_net_create(m, &TR, 0, 300, &n, &e), PP_OK);
  pp_pann_qspec s = {.mode = PP_PANN_Q_PANN, .a_bits = bx, .R = R[0], .layer_R = R, .lsq = 1};
  assert_int_equal(pp_pann_net_quantize(n, &s, &e), PP_OK);
  double acc;
  assert_int_equal(pp_pann_net_eval(n, &TE, 0, TE.n, &acc, NULL, &e), PP_OK);
  pp_pann_net_free(n);
  return acc;
}

static pp_nn_model *copy_model(void) {
  pp_err e;
  pp_err_clear(&e);
  pp_nn_model *m;
  assert_int_equal(pp_nn_model_create("lenet5", 1, 12, 12, 10, 4, &m, &e), PP_OK);
  memcpy(m->params, M->params, sizeof(float) * m->nparams);
  memcpy(m->bufs, M->bufs, sizeof(float) * m->nbufs);
  return m;
}

static void test_qat_act(void **st) {
  (void)st;
  pp_err e;
  pp_err_clear(&e);
  pp_pann_power pw;
  synth_power(&pw);
  const int bx = 3;
  double R[5] = {0.35, 0.35, 0.35, 0.35, 0.35}, Rout[5], Rout2[5];
  pp_nn_model *m = copy_model(), *m2 = copy_model();
  double before = pann_acc(m, bx, R);
  pp_pann_plan_opts mo;
  plan_opts(&mo, PP_PANN_MATCH_TRACE, PP_PANN_ALLOC_UNIFORM);
  mo.bias_corr = 0;
  pp_pann_qat_opts o;
  pp_pann_qat_defaults(&o);
  o.R = R[0];
  o.act_bits = bx;
  o.steps = ASAN ? 40 : 250;
  o.batch = 32;
  o.lr = 1e-3;
  o.calib_images = 300;
  o.act_every = 50;
  o.pw = &pw;
  o.match_opts = &mo;
  /* hold the energy of the starting point */
  pp_pann_net *n;
  assert_int_equal(pp_pann_net_create(m, &TR, 0, 300, &n, &e), PP_OK);
  pp_pann_qspec s = {.mode = PP_PANN_Q_PANN, .a_bits = bx, .R = R[0], .lsq = 1};
  pp_pann_energy en;
  assert_int_equal(pp_pann_net_quantize(n, &s, &e), PP_OK);
  assert_int_equal(pp_pann_net_energy(n, &pw, PP_PANN_SPLIT, &TR, 0, 2, &en, &e), PP_OK);
  pp_pann_net_free(n);
  o.target_fj = en.e_per_mac;
  o.layer_R_out = Rout;
  assert_int_equal(pp_pann_qat(m, &TR, &o, &e), PP_OK);
  double after = pann_acc(m, bx, Rout);
  if (getenv("PP_PANN_VERBOSE")) fprintf(stderr, "QAT with %d-bit activations: %.2f -> %.2f (R %.3f)\n", bx, before, after, Rout[0]);
  assert_true(after > before + 2);
  for (int l = 0; l < 5; l++) assert_true(Rout[l] > 0.5 * R[l] && Rout[l] < 2 * R[l]);
  /* the model's quantization state is as before */
  assert_int_equal(m->q.qat, M->q.qat);
  assert_memory_equal(m->q.a_allowed, M->q.a_allowed, sizeof M->q.a_allowed);
  assert_memory_equal(m->bufs, M->bufs, sizeof(float) * M->nbufs);
  /* same seed, same result */
  o.layer_R_out = Rout2;
  assert_int_equal(pp_pann_qat(m2, &TR, &o, &e), PP_OK);
  assert_memory_equal(m->params, m2->params, sizeof(float) * m->nparams);
  assert_memory_equal(Rout, Rout2, sizeof Rout);
  o.act_bits = 9;
  pp_err_clear(&e);
  assert_int_equal(pp_pann_qat(m2, &TR, &o, &e), PP_EINVAL);
  pp_nn_model_free(m);
  pp_nn_model_free(m2);
}

/* QAT never trains on the held-out images: a data set whose held-out range
 * is mislabelled noise gives bit for bit the model the clean one gives (the
 * same check without the skip does differ, so it can fail). */
static void test_qat_skip(void **st) {
  (void)st;
  pp_err e;
  pp_err_clear(&e);
  pp_nn_data bad = TR;
  size_t img = (size_t)TR.c * TR.h * TR.w;
  bad.x = malloc(img * (size_t)TR.n);
  bad.y = malloc((size_t)TR.n);
  assert_non_null(bad.x);
  assert_non_null(bad.y);
  memcpy(bad.x, TR.x, img * (size_t)TR.n);
  memcpy(bad.y, TR.y, (size_t)TR.n);
  const int first = 400, count = 500;
  for (int i = first; i < first + count; i++) {
    bad.y[i] = (uint8_t)((TR.y[i] + 3) % 10);
    for (size_t k = 0; k < img; k++) bad.x[(size_t)i * img + k] = (uint8_t)(255 - TR.x[(size_t)i * img + k]);
  }
  pp_pann_qat_opts o;
  pp_pann_qat_defaults(&o);
  o.R = 0.5;
  o.act_bits = 4;
  o.steps = ASAN ? 20 : 80;
  o.batch = 32;
  o.calib_images = 300;
  o.skip_first = first;
  o.skip_count = count;
  pp_nn_model *a = copy_model(), *b = copy_model();
  assert_int_equal(pp_pann_qat(a, &TR, &o, &e), PP_OK);
  assert_int_equal(pp_pann_qat(b, &bad, &o, &e), PP_OK);
  assert_memory_equal(a->params, b->params, sizeof(float) * a->nparams);
  pp_nn_model *c = copy_model(), *d = copy_model();
  o.skip_count = 0;
  assert_int_equal(pp_pann_qat(c, &TR, &o, &e), PP_OK);
  assert_int_equal(pp_pann_qat(d, &bad, &o, &e), PP_OK);
  assert_true(memcmp(c->params, d->params, sizeof(float) * c->nparams) != 0);
  o.skip_first = TR.n - 10; /* a range past the end */
  o.skip_count = 20;
  pp_err_clear(&e);
  assert_int_equal(pp_pann_qat(c, &TR, &o, &e), PP_EINVAL);
  pp_nn_model_free(a);
  pp_nn_model_free(b);
  pp_nn_model_free(c);
  pp_nn_model_free(d);
  free(bad.x);
  free(bad.y);
}

/* The width probe: every width a candidate with its figures, the winner the
 * best on validation after its probe, the model left as it came, the same
 * answer twice. */
static void test_probe(void **st) {
  (void)st;
  pp_err e;
  pp_err_clear(&e);
  pp_pann_power pw;
  synth_power(&pw);
  pp_pann_plan_opts po;
  plan_opts(&po, PP_PANN_MATCH_TRACE, PP_PANN_ALLOC_UNIFORM);
  po.bx_min = 2;
  po.bx_max = ASAN ? 3 : 5;
  pp_pann_qat_opts qo;
  pp_pann_qat_defaults(&qo);
  qo.batch = 32;
  qo.lr = 1e-3;
  qo.calib_images = 300;
  qo.act_every = 25;
  pp_nn_model *m = copy_model();
  pp_pann_probe p, p2;
  assert_int_equal(pp_pann_qat_probe(m, &TR, &pw, 3, &po, &qo, ASAN ? 10 : 60, &p, &e), PP_OK);
  assert_int_equal(p.n, po.bx_max - po.bx_min + 1);
  for (int k = 0; k < p.n; k++) {
    assert_int_equal(p.bits[k], po.bx_min + k);
    assert_true(p.R[k] > 0 && p.probe_val_acc[k] >= 0 && p.probe_val_acc[k] <= 100);
    assert_true(p.probe_val_acc[k] <= p.probe_val_acc[p.chosen]);
  }
  assert_memory_equal(m->params, M->params, sizeof(float) * M->nparams);
  assert_memory_equal(m->bufs, M->bufs, sizeof(float) * M->nbufs);
  assert_int_equal(m->q.qat, M->q.qat);
  assert_int_equal(pp_pann_qat_probe(m, &TR, &pw, 3, &po, &qo, ASAN ? 10 : 60, &p2, &e), PP_OK);
  assert_memory_equal(&p, &p2, sizeof p);
  pp_err_clear(&e);
  assert_int_equal(pp_pann_qat_probe(m, &TR, &pw, 3, &po, &qo, 0, &p2, &e), PP_EINVAL);
  pp_nn_model_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lsq_scales),
      cmocka_unit_test(test_alloc_and_trace),
      cmocka_unit_test(test_qat_act),
      cmocka_unit_test(test_qat_skip),
      cmocka_unit_test(test_probe),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
