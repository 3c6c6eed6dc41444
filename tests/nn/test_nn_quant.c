/* Tests of nn quantization: the integer path agrees with the fake-quantized
 * float path (logits and argmax), the qgemm hook sees exactly the products,
 * restriction leaves only allowed weight and activation levels, pruning
 * masks survive retraining, snapping rules and allowed-set files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nn/nn_internal.h"

static pp_nn_data TR, TE;

static pp_nn_model *trained(const char *arch, int qat, int per_channel, int steps, const uint8_t *wal,
                            const uint8_t *aal, double prune) {
  pp_err e;
  pp_err_clear(&e);
  pp_nn_model *m;
  assert_int_equal(pp_nn_model_create(arch, TR.c, TR.h, TR.w, TR.classes, 3, &m, &e), PP_OK);
  if (wal) memcpy(m->q.w_allowed, wal, 255);
  if (aal) memcpy(m->q.a_allowed, aal, 256);
  if (prune > 0) assert_int_equal(pp_nn_prune(m, prune, 1, &e), PP_OK);
  pp_nn_train_opts o;
  pp_nn_train_defaults(&o);
  o.batch = 32;
  o.epochs = 50;
  o.max_steps = steps / 2;
  o.lr = 3e-3;
  assert_int_equal(pp_nn_train(m, &TR, &o, NULL, NULL, &e), PP_OK); /* float warm-up: BN stats, ranges */
  pp_nn_set_qat(m, qat, per_channel);
  o.seed = 2;
  assert_int_equal(pp_nn_train(m, &TR, &o, NULL, NULL, &e), PP_OK);
  return m;
}

static void check_agreement(const char *arch, int per_channel, int steps) {
  pp_nn_model *m = trained(arch, 1, per_channel, steps, NULL, NULL, 0);
  pp_err e;
  pp_err_clear(&e);
  pp_nn_qcompare qc;
  int n = getenv("PP_ASAN") ? 100 : TE.n;
  assert_int_equal(pp_nn_qcompare_run(m, &TE, 0, n, &qc, &e), PP_OK);
  /* the two paths round the same quantities; only float summation order differs */
  if (qc.argmax_agree < 99.0 || qc.max_logit_diff > 0.25)
    fail_msg("%s: argmax agreement %.2f%%, max logit diff %.4f", arch, qc.argmax_agree, qc.max_logit_diff);
  assert_true(qc.int_accuracy > 50.0); /* it learned something (10 classes) */
  pp_nn_model_free(m);
}

static void test_int_vs_fakequant_lenet(void **st) {
  (void)st;
  check_agreement("lenet5", 0, 200);
}
static void test_int_vs_fakequant_resnet_dw(void **st) {
  (void)st;
  check_agreement("dwnet", 1, 120);
  check_agreement("resnet20", 0, 80);
}

/* The hook sees every conv/fc product in model order, and acc = w * x. */
typedef struct {
  int calls, bad, last_layer, images;
  const pp_nn_qmodel *q;
} hook_ctx;
static int hook(const pp_nn_qgemm *g, void *ctx) {
  hook_ctx *h = ctx;
  if (g->layer <= h->last_layer) h->images++;
  h->last_layer = g->layer;
  h->calls++;
  int Mg = g->M / g->groups;
  int32_t *acc = malloc(sizeof(int32_t) * (size_t)g->M * g->N);
  for (int gi = 0; gi < g->groups; gi++)
    nn_qgemm_ref(Mg, g->K, g->N, g->w + (size_t)gi * Mg * g->K, g->x + (size_t)gi * g->K * g->N,
                 acc + (size_t)gi * Mg * g->N);
  if (memcmp(acc, g->acc, sizeof(int32_t) * (size_t)g->M * g->N)) h->bad++;
  for (int i = 0; i < g->M * g->K; i++)
    if (g->w[i] == -128) h->bad++; /* levels are -127..127 */
  free(acc);
  return 0;
}
static int stop_hook(const pp_nn_qgemm *g, void *ctx) {
  (void)g;
  return ++*(int *)ctx >= 2;
}

static void test_hook(void **st) {
  (void)st;
  pp_nn_model *m = trained("dwnet", 1, 0, 40, NULL, NULL, 0);
  pp_err e;
  pp_err_clear(&e);
  pp_nn_qmodel *q;
  assert_int_equal(pp_nn_qmodel_build(m, &q, &e), PP_OK);
  int nq = pp_nn_qmodel_nlayers(q);
  assert_int_equal(nq, 1 + 5 * 2 + 1);
  assert_int_equal(pp_nn_qmodel_layer(q, 1)->kind, PP_NN_QGEMM_DEPTHWISE);
  assert_int_equal(pp_nn_qmodel_layer(q, nq - 1)->kind, PP_NN_QGEMM_FC);
  hook_ctx h = {0, 0, 1 << 30, 0, q};
  float lg1[3 * 10], lg2[3 * 10];
  int p1[3], p2[3];
  assert_int_equal(pp_nn_qrun(q, &TE, 5, 3, hook, &h, lg1, p1, NULL, &e), PP_OK);
  assert_int_equal(h.calls, 3 * nq);
  assert_int_equal(h.images, 3);
  assert_int_equal(h.bad, 0);
  /* same results without the hook (parallel over images) */
  assert_int_equal(pp_nn_qrun(q, &TE, 5, 3, NULL, NULL, lg2, p2, NULL, &e), PP_OK);
  assert_memory_equal(lg1, lg2, sizeof lg1);
  assert_memory_equal(p1, p2, sizeof p1);
  /* a non-zero return stops the run with an error */
  int cnt = 0;
  assert_int_equal(pp_nn_qrun(q, &TE, 0, 2, stop_hook, &cnt, NULL, NULL, NULL, &e), PP_ECHECK);
  assert_int_equal(cnt, 2);
  pp_nn_qmodel_free(q);
  pp_nn_model_free(m);
}

static void test_snap_rules(void **st) {
  (void)st;
  uint8_t w[255] = {0}, a[256] = {0};
  w[127 + 4] = w[127 - 4] = w[127 + 8] = 1;
  assert_int_equal(pp_nn_snap_weight(w, 6), 4);   /* tie 4/8: smaller magnitude */
  assert_int_equal(pp_nn_snap_weight(w, 7), 8);
  assert_int_equal(pp_nn_snap_weight(w, 2), 0);   /* tie 0/4 -> 0 */
  assert_int_equal(pp_nn_snap_weight(w, 3), 4);
  assert_int_equal(pp_nn_snap_weight(w, -100), -4);
  assert_int_equal(pp_nn_snap_weight(w, 120), 8);
  a[10] = a[20] = 1;
  assert_int_equal(pp_nn_snap_act(a, 15), 10);    /* tie: smaller */
  assert_int_equal(pp_nn_snap_act(a, 16), 20);
  assert_int_equal(pp_nn_snap_act(a, 4), 0);
  assert_int_equal(pp_nn_snap_act(a, 255), 20);
}

static void test_restriction(void **st) {
  (void)st;
  uint8_t w[255] = {0}, a[256] = {0};
  int wv[] = {-64, -16, -4, -1, 1, 2, 8, 32, 100};
  for (size_t i = 0; i < sizeof wv / sizeof *wv; i++) w[wv[i] + 127] = 1;
  for (int v = 0; v < 256; v += 17) a[v] = 1; /* 0, 17, ..., 255 */
  pp_nn_model *m = trained("lenet5", 1, 1, 120, w, a, 0);
  pp_err e;
  pp_err_clear(&e);
  pp_nn_qmodel *q;
  assert_int_equal(pp_nn_qmodel_build(m, &q, &e), PP_OK);
  for (int i = 0; i < pp_nn_qmodel_nlayers(q); i++) {
    const pp_nn_qlayer *L = pp_nn_qmodel_layer(q, i);
    for (int k = 0; k < L->M * L->K; k++)
      if (!(L->w[k] == 0 || w[L->w[k] + 127])) fail_msg("layer %s has weight level %d", L->name, L->w[k]);
  }
  uint64_t seen[256] = {0};
  int n = getenv("PP_ASAN") ? 50 : 300;
  assert_int_equal(pp_nn_qrun(q, &TE, 0, n, NULL, NULL, NULL, NULL, seen, &e), PP_OK);
  uint64_t tot = 0, nonzero = 0;
  for (int v = 0; v < 256; v++) {
    tot += seen[v];
    if (v) nonzero += seen[v];
    if (seen[v] && !(v == 0 || a[v])) fail_msg("activation level %d produced %llu times", v, (unsigned long long)seen[v]);
  }
  assert_true(tot > 0 && nonzero > 0);
  /* and the restricted network still classifies */
  pp_nn_qcompare qc;
  assert_int_equal(pp_nn_qcompare_run(m, &TE, 0, n, &qc, &e), PP_OK);
  assert_true(qc.int_accuracy > 40.0);
  assert_true(qc.argmax_agree >= 98.0);
  pp_nn_qmodel_free(q);
  pp_nn_model_free(m);
}

static void test_pruning(void **st) {
  (void)st;
  pp_err e;
  pp_err_clear(&e);
  pp_nn_model *m;
  assert_int_equal(pp_nn_model_create("lenet5", 1, 12, 12, 10, 5, &m, &e), PP_OK);
  /* per layer: each layer at the target */
  assert_int_equal(pp_nn_prune(m, 0.5, 0, &e), PP_OK);
  for (int i = 0; i < m->nlayers; i++) {
    const pp_nn_layer *L = &m->layers[i];
    if (L->type != PP_NN_L_CONV && L->type != PP_NN_L_FC) continue;
    size_t z = 0;
    for (size_t k = 0; k < L->nw; k++) z += !m->mask[L->w_off + k];
    assert_int_equal(z, (size_t)llround(0.5 * (double)L->nw));
  }
  /* global, on top: 80% overall; survivors are the largest magnitudes */
  assert_int_equal(pp_nn_prune(m, 0.8, 1, &e), PP_OK);
  assert_true(fabs(pp_nn_sparsity(m) - 0.8) < 1e-3);
  float maxpruned = 0, minkept = 1e9f;
  for (int i = 0; i < m->nlayers; i++) {
    const pp_nn_layer *L = &m->layers[i];
    if (L->type != PP_NN_L_CONV && L->type != PP_NN_L_FC) continue;
    for (size_t k = 0; k < L->nw; k++)
      if (m->mask[L->w_off + k]) minkept = fminf(minkept, fabsf(m->params[L->w_off + k]));
      else assert_true(m->params[L->w_off + k] == 0.0f);
  }
  (void)maxpruned;
  assert_true(minkept > 0);
  /* retraining (float then QAT) keeps the pruned weights at zero */
  pp_nn_train_opts o;
  pp_nn_train_defaults(&o);
  o.batch = 32;
  o.max_steps = 60;
  assert_int_equal(pp_nn_train(m, &TR, &o, NULL, NULL, &e), PP_OK);
  pp_nn_set_qat(m, 1, 0);
  assert_int_equal(pp_nn_train(m, &TR, &o, NULL, NULL, &e), PP_OK);
  assert_true(fabs(pp_nn_sparsity(m) - 0.8) < 1e-3);
  for (size_t k = 0; k < m->nparams; k++)
    if (!m->mask[k]) assert_true(m->params[k] == 0.0f);
  pp_nn_qmodel *q;
  assert_int_equal(pp_nn_qmodel_build(m, &q, &e), PP_OK);
  size_t zeros = 0, all = 0;
  for (int i = 0; i < pp_nn_qmodel_nlayers(q); i++) {
    const pp_nn_qlayer *L = pp_nn_qmodel_layer(q, i);
    for (int k = 0; k < L->M * L->K; k++) zeros += L->w[k] == 0;
    all += (size_t)L->M * L->K;
  }
  assert_true((double)zeros / (double)all >= 0.8 - 1e-3); /* pruned levels are 0 in the integer model */
  pp_nn_qmodel_free(q);
  assert_int_equal(pp_nn_prune(m, 1.5, 1, &e), PP_EINVAL);
  pp_nn_model_free(m);
}

static void test_allowed_file(void **st) {
  (void)st;
  char path[] = "/tmp/pp_nn_allowedXXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  FILE *f = fdopen(fd, "w");
  fputs("# power-cheap weights\n-3\n  5, 7 # inline comment\n\n-127 127\n", f);
  fclose(f);
  uint8_t w[255];
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_nn_read_allowed(path, 1, w, &e), PP_OK);
  int cnt = 0;
  for (int i = 0; i < 255; i++) cnt += w[i];
  assert_int_equal(cnt, 6); /* 0 is added */
  assert_true(w[127] && w[124] && w[132] && w[134] && w[0] && w[254]);
  f = fopen(path, "w");
  fputs("1\n2\n300\n", f);
  fclose(f);
  assert_int_equal(pp_nn_read_allowed(path, 1, w, &e), PP_EPARSE);
  assert_int_equal(e.line, 3);
  assert_non_null(strstr(e.msg, "300"));
  pp_err_clear(&e);
  f = fopen(path, "w");
  fputs("1\nx2\n", f);
  fclose(f);
  uint8_t a[256];
  assert_int_equal(pp_nn_read_allowed(path, 0, a, &e), PP_EPARSE);
  assert_int_equal(e.line, 2);
  pp_err_clear(&e);
  f = fopen(path, "w");
  fputs("-1\n", f);
  fclose(f);
  assert_int_equal(pp_nn_read_allowed(path, 0, a, &e), PP_EPARSE); /* activations are 0..255 */
  unlink(path);
}

int main(void) {
  /* small nets: one thread avoids barrier waits on a shared machine */
  omp_set_num_threads(1);
  openblas_set_num_threads(1);
  pp_err e;
  pp_err_clear(&e);
  int asan = getenv("PP_ASAN") != NULL;
  if (pp_nn_data_synthetic(asan ? 600 : 1500, 1, 12, 12, 10, 11, &TR, &e) ||
      pp_nn_data_synthetic(asan ? 200 : 500, 1, 12, 12, 10, 12, &TE, &e))
    return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_snap_rules),
      cmocka_unit_test(test_allowed_file),
      cmocka_unit_test(test_int_vs_fakequant_lenet),
      cmocka_unit_test(test_int_vs_fakequant_resnet_dw),
      cmocka_unit_test(test_hook),
      cmocka_unit_test(test_restriction),
      cmocka_unit_test(test_pruning),
  };
  int r = cmocka_run_group_tests(tests, NULL, NULL);
  pp_nn_data_free(&TR);
  pp_nn_data_free(&TE);
  return r;
}
