/* Decisions never read the test set: `powerprune run` on a small IDX data set
 * and on a copy whose test labels are all wrong must take the same decisions
 * (sparsity, every step's sets, decision accuracies and verdicts, the kept
 * sets) while the reported test accuracy collapses; and summary.json records
 * the decision images and a budget that adds up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pp/nn.h"
#include "pp/report.h"
#include "pp_test.h"

static char dir[256];
static int nval; /* validation images the runs hold out of the training file */

static void put32(FILE *f, uint32_t v) {
  unsigned char b[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8), (unsigned char)v};
  fwrite(b, 1, 4, f);
}

/* Writes images [first, first + n) of d as IDX files base-images/-labels in folder sub; shift moves every label. */
static void write_idx(const char *sub, const char *base, const pp_nn_data *d, int first, int n, int shift) {
  char p[512];
  snprintf(p, sizeof p, "%s/%s/%s-images-idx3-ubyte", dir, sub, base);
  FILE *f = fopen(p, "wb");
  assert_non_null(f);
  put32(f, 0x803);
  put32(f, (uint32_t)n);
  put32(f, 28);
  put32(f, 28);
  fwrite(d->x + (size_t)first * 784, 784, (size_t)n, f);
  fclose(f);
  snprintf(p, sizeof p, "%s/%s/%s-labels-idx1-ubyte", dir, sub, base);
  f = fopen(p, "wb");
  assert_non_null(f);
  put32(f, 0x801);
  put32(f, (uint32_t)n);
  for (int i = 0; i < n; i++) fputc((d->y[first + i] + shift) % 10, f);
  fclose(f);
}

static int setup(void **st) {
  (void)st;
  if (pp_test_tmpdir(dir, sizeof dir, "pp_test_decisions")) return -1;
  if (setenv("OMP_NUM_THREADS", "1", 1)) return -1;
  int ntr = getenv("PP_ASAN") ? 500 : 800, nte = 200;
  nval = ntr / 5; /* the most the flow allows */
  pp_nn_data d;
  pp_err e;
  pp_err_clear(&e);
  if (pp_nn_data_synthetic(ntr + nte, 1, 28, 28, 10, 5, &d, &e)) return -1;
  char p[600];
  const char *sub[2] = {"good", "mislabelled"};
  for (int k = 0; k < 2; k++) {
    snprintf(p, sizeof p, "%s/%s", dir, sub[k]);
    if (mkdir(p, 0755)) return -1;
    write_idx(sub[k], "train", &d, 0, ntr, 0);
    write_idx(sub[k], "t10k", &d, ntr, nte, k ? 3 : 0);
  }
  pp_nn_data_free(&d);
  return 0;
}

static int teardown(void **st) {
  (void)st;
  return pp_test_rmtree(dir);
}

static void run(const char *sub) {
  char data[400], cache[400], out[400], log[400];
  snprintf(data, sizeof data, "%s/%s", dir, sub);
  snprintf(cache, sizeof cache, "%s/cache", dir);
  snprintf(out, sizeof out, "%s/out-%s", dir, sub);
  snprintf(log, sizeof log, "%s/log-%s.txt", dir, sub);
  const char *exe = getenv("PP_EXE");
  assert_non_null(exe);
  char nv[16];
  snprintf(nv, sizeof nv, "%d", nval);
  const char *const args[] = {exe, "run", "--quick", "--data", "fashion-mnist", "--data-dir", data, "--val-images",
                              nv, "--epochs", "2", "--trace-images", "1", "--transitions", "60", "--repeats", "1",
                              "--power-counts", "96,24", "--array", "16", "--tick-ps", "10", "--seed", "4",
                              "--candidates", "3", "--refine", "1", "--no-pann", "--cache", cache, "--out", out, NULL};
  if (pp_test_exec((char *const *)args, NULL, log) != 0) fail_msg("powerprune run on %s failed: see %s", sub, log);
}

static char *slurp(const char *rel) {
  char p[512], *t;
  snprintf(p, sizeof p, "%s/%s", dir, rel);
  pp_err e;
  pp_err_clear(&e);
  if (pp_read_file(p, &t, NULL, &e)) fail_msg("cannot read %s: %s", p, e.msg);
  return t;
}

static void load(const char *sub, pp_jv *v) {
  char p[512];
  pp_err e;
  pp_err_clear(&e);
  snprintf(p, sizeof p, "%s/out-%s/summary.json", dir, sub);
  assert_int_equal(pp_jv_load(p, v, &e), PP_OK);
}

static void test_test_labels_change_no_decision(void **st) {
  (void)st;
  run("good");
  run("mislabelled");
  pp_jv g, m;
  load("good", &g);
  load("mislabelled", &m);
  /* the test accuracy is what the labels changed */
  double tg = pp_jv_num(&g, "accuracy_pct.orig", NAN), tm = pp_jv_num(&m, "accuracy_pct.orig", NAN);
  assert_true(tg > 30 && tm < 20);
  /* the decision images are recorded, held out of the training file */
  assert_int_equal((int)pp_jv_num(&g, "decision_images", 0), nval);
  assert_true(pp_jv_get(&g, "decision_images_disjoint_from_test") != NULL);
  /* the budget adds up: pruning + power + delay = the decision loss of the kept network */
  double bp = pp_jv_num(&g, "budget_points.pruning", NAN), bw = pp_jv_num(&g, "budget_points.power_phase", NAN),
         bd = pp_jv_num(&g, "budget_points.delay_phase", NAN);
  assert_true(isfinite(bp) && isfinite(bw) && isfinite(bd));
  /* every decision is the same */
  assert_true(pp_jv_num(&g, "sparsity", NAN) == pp_jv_num(&m, "sparsity", NAN));
  assert_true(bp == pp_jv_num(&m, "budget_points.pruning", NAN));
  assert_true(bw == pp_jv_num(&m, "budget_points.power_phase", NAN));
  assert_true(bd == pp_jv_num(&m, "budget_points.delay_phase", NAN));
  const pp_jv *sg = pp_jv_get(&g, "steps"), *sm = pp_jv_get(&m, "steps");
  assert_non_null(sg);
  assert_non_null(sm);
  assert_true(sg->n >= 2);
  assert_int_equal(sg->n, sm->n);
  for (size_t i = 0; i < sg->n; i++) {
    const char *keys[] = {"threshold", "weights", "activations", "max_delay_ps", "accuracy_pct"};
    for (int k = 0; k < 5; k++)
      assert_true(pp_jv_num(&sg->items[i], keys[k], NAN) == pp_jv_num(&sm->items[i], keys[k], NAN));
    assert_true(pp_jv_get(&sg->items[i], "accepted")->num == pp_jv_get(&sm->items[i], "accepted")->num);
  }
  const char *files[] = {"allowed_weights.txt", "allowed_activations.txt"};
  for (int k = 0; k < 2; k++) {
    char a[256], b[256];
    snprintf(a, sizeof a, "out-good/%s", files[k]);
    snprintf(b, sizeof b, "out-mislabelled/%s", files[k]);
    char *x = slurp(a), *y = slurp(b);
    /* the first line is a comment naming the test accuracy */
    const char *xa = strchr(x, '\n'), *ya = strchr(y, '\n');
    assert_non_null(xa);
    assert_non_null(ya);
    assert_string_equal(xa, ya);
    free(x);
    free(y);
  }
  assert_int_equal((int)pp_jv_num(&g, "selected.weights", -1), (int)pp_jv_num(&m, "selected.weights", -2));
  pp_jv_free(&g);
  pp_jv_free(&m);
}

/* The delay candidates' proxy (accuracy with weights and activations snapped to the allowed sets, no
 * retraining) on the run's trained, pruned network: a set of 16 activation levels ranks below one of 200
 * with the same weights (the delay of the two is not equalized here); the unrestricted network ranks highest; the model's own sets are left alone. */
static void test_proxy_ranks_sets(void **st) {
  (void)st;
  char p[512];
  snprintf(p, sizeof p, "%s/out-good/model_pruned.ppnn", dir);
  pp_nn_model *m;
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_nn_model_load(p, &m, &e), PP_OK);
  pp_nn_data d;
  snprintf(p, sizeof p, "%s/good/train-images-idx3-ubyte", dir);
  char q[512];
  snprintf(q, sizeof q, "%s/good/train-labels-idx1-ubyte", dir);
  assert_int_equal(pp_nn_data_load_idx(p, q, &d, &e), PP_OK);
  uint8_t W[255], A16[256] = {0}, A200[256] = {0}, all[256], own_w[255], own_a[256];
  memset(W, 1, sizeof W);
  memset(all, 1, sizeof all);
  /* what a delay threshold keeps: the levels with the fewest bits set (fewest toggling partial products),
   * the 16 and the 200 first in (bits set, value) order */
  int order[256], n = 0;
  for (int bits = 0; bits <= 8; bits++)
    for (int a = 0; a < 256; a++)
      if (__builtin_popcount((unsigned)a) == bits) order[n++] = a;
  for (int k = 0; k < 16; k++) A16[order[k]] = 1;
  for (int k = 0; k < 200; k++) A200[order[k]] = 1;
  memcpy(own_w, m->q.w_allowed, 255);
  memcpy(own_a, m->q.a_allowed, 256);
  double a16, a200, afull;
  assert_int_equal(pp_nn_eval_restricted(m, &d, 400, W, A16, &a16, &e), PP_OK);
  assert_int_equal(pp_nn_eval_restricted(m, &d, 400, W, A200, &a200, &e), PP_OK);
  assert_int_equal(pp_nn_eval_restricted(m, &d, 400, W, all, &afull, &e), PP_OK);
  assert_true(a16 < a200);
  assert_true(a200 <= afull + 1.0);
  assert_memory_equal(own_w, m->q.w_allowed, 255);
  assert_memory_equal(own_a, m->q.a_allowed, 256);
  pp_nn_data_free(&d);
  pp_nn_model_free(m);
}

/* Wrong parts are refused before any training: the generated MAC and multiplier with a subtractor (y = p -
 * prod, mapped by Yosys onto the built-in library) as the adder; with the right adder the check passes. */
static void test_wrong_part_rejected_before_training(void **st) {
  (void)st;
  const char *const which[] = {"/bin/sh", "-c", "command -v yosys", NULL};
  if (pp_test_exec((char *const *)which, NULL, NULL) != 0) {
    fprintf(stderr, "yosys not installed (apt-get install yosys): skipping the subtractor check\n");
    skip();
  }
  const char *exe = getenv("PP_EXE");
  const char *lib = PP_SOURCE_DIR "/data/pp_cells.lib";
  static const char *const part[] = {"full", "mult", "adder"};
  char nl[3][400];
  for (int k = 0; k < 3; k++) {
    snprintf(nl[k], sizeof nl[k], "%s/%s.v", dir, part[k]);
    const char *const args[] = {exe, "mac", "generate", "--part", part[k], "--lib", lib, "-o", nl[k], NULL};
    assert_int_equal(pp_test_exec((char *const *)args, NULL, NULL), 0);
  }
  /* the adder's product width, from its port list */
  char *ad = slurp("adder.v");
  int hi = -1;
  for (const char *q = strstr(ad, "input ["); q; q = strstr(q + 1, "input [")) {
    int h = -1;
    char name[32] = "";
    if (sscanf(q, "input [%d:0] %31[a-z_]", &h, name) == 2 && !strcmp(name, "prod")) hi = h;
  }
  free(ad);
  assert_true(hi > 0 && hi < 21);
  char p[600], script[2400], subv[400];
  snprintf(p, sizeof p, "%s/sub_rtl.v", dir);
  snprintf(subv, sizeof subv, "%s/sub.v", dir);
  FILE *f = fopen(p, "w");
  assert_non_null(f);
  fprintf(f, "module sub(input [%d:0] prod, input [21:0] p, output [21:0] y);\n"
             "  assign y = p - {{%d{prod[%d]}}, prod};\nendmodule\n", hi, 21 - hi, hi);
  fclose(f);
  snprintf(script, sizeof script,
           "read_verilog \"%s\"; synth -flatten -top sub; abc -liberty \"%s\"; opt_clean; "
           "write_verilog -noattr -noexpr \"%s\"", p, lib, subv);
  /* pp_test_exec runs a path; env finds yosys on PATH */
  const char *const ysenv[] = {"/usr/bin/env", "yosys", "-q", "-p", script, NULL};
  assert_int_equal(pp_test_exec((char *const *)ysenv, NULL, NULL), 0);
  const char *adders[2] = {subv, nl[2]};
  char nothing[400], out[400], log[400];
  snprintf(nothing, sizeof nothing, "%s/nothing-here", dir);
  snprintf(out, sizeof out, "%s/out-parts", dir);
  snprintf(log, sizeof log, "%s/log-parts.txt", dir);
  for (int k = 0; k < 2; k++) {
    const char *const args[] = {exe, "run", "--quick", "--data", "fashion-mnist", "--data-dir", nothing, "--lib", lib,
                                "--mac", nl[0], "--mult-netlist", nl[1], "--adder-netlist", adders[k], "--no-cache",
                                "--out", out, NULL};
    assert_int_not_equal(pp_test_exec((char *const *)args, NULL, log), 0);
    char *text = slurp("log-parts.txt");
    if (k == 0) {
      assert_non_null(strstr(text, "sub.v"));
      assert_non_null(strstr(text, "is not a correct adder"));
    } else {
      assert_null(strstr(text, "is not a correct"));
      assert_non_null(strstr(text, "exact MAC, multiplier and adder"));
      assert_non_null(strstr(text, "nothing-here")); /* then the data set's error */
    }
    free(text);
    snprintf(p, sizeof p, "%s/out-parts/stages/01-train.json", dir);
    assert_int_not_equal(access(p, F_OK), 0); /* nothing trained */
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_test_labels_change_no_decision),
      cmocka_unit_test(test_proxy_ranks_sets),
      cmocka_unit_test(test_wrong_part_rejected_before_training),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
