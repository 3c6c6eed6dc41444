/* Tests of array on real networks: every layer of LeNet-5, ResNet-20 and the
 * depthwise model, streamed through the array, equals the nn integer path's
 * accumulator bit for bit; the fast and cycle-accurate engines agree on a
 * whole network; and `powerprune trace` prints its result JSON last. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pp/array.h"
#include "pp/nn.h"
#include "pp_test.h"

static int asan(void) { return getenv("PP_ASAN") != NULL; }

/* An untrained seeded model whose activation ranges come from a few training
 * steps on synthetic images, and its integer form. */
static void make_model(const char *arch, uint64_t seed, pp_nn_model **m, pp_nn_qmodel **q, pp_nn_data *d) {
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_nn_data_synthetic(8, 1, 28, 28, 10, seed, d, &e), PP_OK);
  int rc = pp_nn_model_create(arch, 1, 28, 28, 10, seed, m, &e);
  if (rc) fprintf(stderr, "%s\n", e.msg);
  assert_int_equal(rc, PP_OK);
  pp_nn_train_opts o;
  pp_nn_train_defaults(&o);
  o.epochs = 1;
  o.batch = 4;
  o.max_steps = 1; /* one step sets the activation ranges */
  o.seed = seed;
  rc = pp_nn_train(*m, d, &o, NULL, NULL, &e);
  if (rc) fprintf(stderr, "%s\n", e.msg);
  assert_int_equal(rc, PP_OK);
  rc = pp_nn_qmodel_build(*m, q, &e);
  if (rc) fprintf(stderr, "%s\n", e.msg);
  assert_int_equal(rc, PP_OK);
}

static void check_network(const char *arch, int images, int size) {
  pp_nn_model *m;
  pp_nn_qmodel *q;
  pp_nn_data d;
  make_model(arch, 3, &m, &q, &d);
  pp_array_opts o;
  pp_array_opts_defaults(&o);
  o.size = size;
  o.calib_images = 1;
  o.reservoir = 5000;
  pp_array_stats *st;
  pp_err e;
  pp_err_clear(&e);
  int rc = pp_array_trace(q, &d, 0, images, &o, &st, &e);
  if (rc) fprintf(stderr, "%s\n", e.msg);
  assert_int_equal(rc, PP_OK);
  /* every integer product of the model was streamed and matched */
  int nq = pp_nn_qmodel_nlayers(q);
  assert_int_equal(st->nlayers, nq);
  assert_int_equal(st->c.gemms, (uint64_t)nq * images);
  assert_true(st->c.outputs > 0);
  assert_int_equal(st->c.mismatches, 0);
  int dw = 0;
  uint64_t outs = 0;
  for (int l = 0; l < st->nlayers; l++) {
    const pp_array_layer *L = &st->layers[l];
    assert_int_equal(L->c.mismatches, 0);
    assert_int_equal(L->c.outputs, (uint64_t)L->M * L->N * images);
    assert_int_equal(L->c.useful_macs, (uint64_t)L->M * L->K * L->N * images);
    outs += L->c.outputs;
    dw += L->kind == PP_NN_QGEMM_DEPTHWISE;
  }
  assert_int_equal(outs, st->c.outputs);
  if (!strcmp(arch, "dwnet")) assert_true(dw > 0);
  assert_int_equal(st->images, (uint64_t)images);
  uint64_t bt = 0;
  for (int i = 0; i < st->bins * st->bins; i++) bt += st->bin_hist[i];
  assert_int_equal(bt, st->c.macs);
  fprintf(stderr, "%s: %d layers, %llu array MACs, bit exact\n", arch, nq, (unsigned long long)st->c.macs);
  pp_array_stats_free(st);
  pp_nn_qmodel_free(q);
  pp_nn_model_free(m);
  pp_nn_data_free(&d);
}

static void test_lenet5_exact(void **st) {
  (void)st;
  check_network("lenet5", asan() ? 2 : 3, 64);
  check_network("lenet5", asan() ? 1 : 2, 7); /* small array: many tiles per layer */
}
static void test_resnet20_exact(void **st) {
  (void)st;
  check_network("resnet20", asan() ? 1 : 2, 64);
}
static void test_dwnet_exact(void **st) {
  (void)st;
  check_network("dwnet", asan() ? 1 : 2, 64);
  check_network("dwnet", 1, 5); /* depthwise K = 9 > 5: groups tiled one by one */
}

/* Fast and cycle-accurate engines agree on a whole network. */
static void test_network_fast_equals_naive(void **st) {
  (void)st;
  pp_nn_model *m;
  pp_nn_qmodel *q;
  pp_nn_data d;
  make_model("lenet5", 5, &m, &q, &d);
  pp_array_stats *res[2];
  for (int naive = 0; naive < 2; naive++) {
    pp_array_opts o;
    pp_array_opts_defaults(&o);
    o.size = 16;
    o.bins = 20;
    o.reservoir = 500;
    o.calib_images = 1;
    o.naive = naive;
    pp_err e;
    pp_err_clear(&e);
    assert_int_equal(pp_array_trace(q, &d, 0, 2, &o, &res[naive], &e), PP_OK);
  }
  assert_memory_equal(&res[0]->c, &res[1]->c, sizeof res[0]->c);
  assert_memory_equal(res[0]->act_hist, res[1]->act_hist, sizeof res[0]->act_hist);
  assert_memory_equal(res[0]->bin_hist, res[1]->bin_hist, 400 * sizeof(uint64_t));
  assert_memory_equal(res[0]->mac_per_weight, res[1]->mac_per_weight, sizeof res[0]->mac_per_weight);
  for (uint32_t i = 0; i < res[0]->nres; i++) {
    assert_int_equal(res[0]->res[i].p_old, res[1]->res[i].p_old);
    assert_int_equal(res[0]->res[i].p_new, res[1]->res[i].p_new);
    assert_int_equal(res[0]->res[i].a_old, res[1]->res[i].a_old);
  }
  pp_array_stats_free(res[0]);
  pp_array_stats_free(res[1]);
  pp_nn_qmodel_free(q);
  pp_nn_model_free(m);
  pp_nn_data_free(&d);
}

static void test_cli_trace(void **st) {
  (void)st;
  const char *exe = getenv("PP_EXE");
  if (!exe) skip();
  pp_nn_model *m;
  pp_nn_qmodel *q;
  pp_nn_data d;
  make_model("lenet5", 9, &m, &q, &d);
  char model[512], dir[512];
  snprintf(model, sizeof model, "%s/test_array_nn_lenet.ppm", PP_BINARY_DIR);
  snprintf(dir, sizeof dir, "%s/test_array_nn_trace", PP_BINARY_DIR);
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_nn_model_save(m, model, &e), PP_OK);
  char *out = NULL, td[64]; /* td: the CLI's captured stdout and stderr */
  assert_int_equal(pp_test_tmpdir(td, sizeof td, "pp_arraynn"), 0);
  const char *const args[] = {"trace", "--model-file", model, "--data", "synthetic", "--images", "3", "--array", "64",
                              "--calib-images", "1", "-o", dir, "--json", "--no-plots", NULL};
  int code = pp_test_cliv(td, &out, args);
  assert_int_equal(code, 0);
  assert_non_null(out);
  /* the last line is the result object */
  char *last = out + strlen(out);
  while (last > out && (last[-1] == '\n')) *--last = 0;
  char *nl = strrchr(out, '\n');
  last = nl ? nl + 1 : out;
  assert_true(last[0] == '{');
  assert_non_null(strstr(last, "\"bit_exact\":true"));
  assert_non_null(strstr(last, "\"mac_ops\":"));
  char p[700];
  snprintf(p, sizeof p, "%s/array_stats.bin", dir);
  pp_array_stats *s;
  assert_int_equal(pp_array_stats_read(p, &s, &e), PP_OK);
  assert_int_equal(s->images, 3);
  assert_int_equal(s->c.mismatches, 0);
  pp_array_stats_free(s);
  /* a missing model: one clear error and a non-zero status */
  free(out);
  assert_int_not_equal(pp_test_cli(td, NULL, "trace", "--model-file", "/nonexistent/model.ppm", "-o", dir,
                                   (const char *)NULL),
                       0);
  assert_int_equal(pp_test_cli(td, NULL, "trace", "--images", "x", (const char *)NULL), 2);
  assert_int_equal(pp_test_rmtree(td), 0);
  pp_nn_qmodel_free(q);
  pp_nn_model_free(m);
  pp_nn_data_free(&d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lenet5_exact), cmocka_unit_test(test_resnet20_exact),
      cmocka_unit_test(test_dwnet_exact),  cmocka_unit_test(test_network_fast_equals_naive),
      cmocka_unit_test(test_cli_trace),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
