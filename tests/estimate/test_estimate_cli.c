/* Tests of `powerprune estimate` end to end: a hand-built statistics file and
 * power table in, Table I's columns out, checked against a hand computation. */
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

#include "pp/estimate.h"
#include "pp/util_json.h"
#include "pp_test.h"

static char g_dir[64];

/* Runs `powerprune estimate` with the arguments; returns the exit status. */
#define RUN(...) pp_test_cli(g_dir, NULL, "estimate", __VA_ARGS__, (const char *)NULL)
#define P(name) pp_test_path(g_dir, (name))

static void setup(void) {
  pp_array_stats *s = calloc(1, sizeof *s);
  assert_non_null(s);
  s->size = 4;
  s->bins = 2;
  s->psum_bits = pp_array_psum_bits(4);
  uint64_t bh[4] = {1, 2, 3, 4};
  s->bin_hist = bh;
  s->c.load_cycles = 4;
  s->c.stream_cycles = 16;
  s->c.tiles = 2;
  s->c.unused_cols = 2;
  s->mac_per_weight[127] = 30;
  s->mac_per_weight[127 + 5] = 100;
  s->mac_per_weight[127 - 3] = 50;
  s->c.macs = 180;
  s->act_hist[1 * 256 + 2] = 7;
  char path[256];
  pp_err e;
  pp_err_clear(&e);
  snprintf(path, sizeof path, "%s/stats.bin", g_dir);
  assert_int_equal(pp_array_stats_write(s, path, &e), PP_OK);
  free(s);
  pp_char_power p;
  memset(&p, 0, sizeof p);
  p.w_min = -127;
  p.n_w = 255;
  for (int i = 0; i < 255; i++) p.dyn_uw[i] = 10 + abs(i - 127);
  p.leak_uw = 2;
  p.clock_ps = 100;
  p.voltage = 0.8;
  snprintf(path, sizeof path, "%s/power.csv", g_dir);
  assert_int_equal(pp_char_power_write_csv(&p, path, &e), PP_OK);
  /* allowed weights: 0, 4 and -3 (5 moves to 4) */
  int w[3] = {-3, 0, 4};
  snprintf(path, sizeof path, "%s/w.txt", g_dir);
  assert_int_equal(pp_select_write_values(path, w, 3, "test", &e), PP_OK);
}

/* Reads estimate.csv's row into v, and checks that every column is named by the path of the same number in
 * estimate.json (to the %.10g the CSV prints). */
static void read_row(double *v, int n) {
  char path[256];
  snprintf(path, sizeof path, "%s/out/estimate.csv", g_dir);
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  char hdr[1024], line[1024];
  assert_non_null(fgets(hdr, sizeof hdr, f));
  assert_non_null(fgets(line, sizeof line, f));
  fclose(f);
  char *s = line;
  for (int i = 0; i < n; i++) {
    v[i] = strtod(s, &s);
    if (*s == ',') s++;
  }
  snprintf(path, sizeof path, "%s/out/estimate.json", g_dir);
  pp_jv j;
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_jv_load(path, &j, &e), PP_OK);
  hdr[strcspn(hdr, "\n")] = 0;
  char *save = NULL;
  int k = 0;
  for (char *h = strtok_r(hdr, ",", &save); h; h = strtok_r(NULL, ",", &save), k++) {
    double x = pp_jv_num(&j, h, NAN);
    if (!(k < n && fabs(x - v[k]) <= 1e-9 * fabs(x) + 1e-12))
      fail_msg("estimate.csv column %d (%s) = %.10g, estimate.json %.10g", k, h, k < n ? v[k] : NAN, x);
  }
  assert_int_equal(k, n);
  pp_jv_free(&j);
}

static void test_cli_estimate(void **st) {
  (void)st;
  setup();
  double v[12];
  /* original = selected, no delay info: no reduction */
  assert_int_equal(RUN("--trace", P("stats.bin"), "--power", P("power.csv"), "-o", P("out")), 0);
  read_row(v, 12);
  /* SHW: (30*10 + 100*15 + 50*13)/20 + 16*2 = 154.5 uW; OHW: (1500 + 650)/20 + 2*240/20 = 131.5 uW */
  assert_true(fabs(v[0] - 0.1545) < 1e-9 && fabs(v[3] - 0.1315) < 1e-9);
  assert_true(fabs(v[2]) < 1e-12 && fabs(v[5]) < 1e-12);
  /* weights restricted (5 -> 4: dyn 15 -> 14) and 20 of 180 ps saved */
  assert_int_equal(RUN("--trace", P("stats.bin"), "--power", P("power.csv"), "--allowed-weights", P("w.txt"),
                       "--delay-orig-ps", "180", "--delay-sel-ps", "160", "-o", P("out"), "--json"),
                   0);
  read_row(v, 12);
  pp_est_vmodel m;
  pp_est_vmodel_default(&m);
  pp_err e;
  pp_err_clear(&e);
  double vs;
  assert_int_equal(pp_est_scaled_voltage(&m, 180, 160, &vs, &e), PP_OK);
  double ds = (vs / 0.8) * (vs / 0.8), ls = pp_est_leak_scale(&m, vs);
  double shw = ds * (300 + 1400 + 650) / 20.0 + ls * 32, ohw = ds * (1400 + 650) / 20.0 + ls * 24;
  assert_true(fabs(v[1] - shw / 1000) < 1e-8);
  assert_true(fabs(v[4] - ohw / 1000) < 1e-8);
  assert_true(fabs(v[2] - (1 - shw / 154.5)) < 1e-5);
  assert_int_equal((int)v[6], 3);
  assert_true(fabs(v[8] - 20) < 1e-9 && fabs(v[9] - vs / 0.8) < 1e-5);
  double shw_noscale = (300 + 1400 + 650) / 20.0 + 32;
  assert_true(fabs(v[10] - (shw_noscale - shw) / 154.5) < 1e-5);
  /* errors */
  assert_int_equal(RUN("--trace", P("power.csv"), "--power", P("power.csv"), "--json"), 3);
  assert_int_equal(RUN("--trace", P("stats.bin"), "--json"), 2);
  assert_int_equal(RUN("--trace", P("stats.bin"), "--power", P("power.csv"), "--delay-orig-ps", "180", "--json"), 2);
  assert_int_equal(RUN("--help"), 0);
  /* a power.json whose power_uw disagrees with its parts: exit 3, the member named */
  {
    pp_char_power p;
    memset(&p, 0, sizeof p);
    p.w_min = -1;
    p.n_w = 3;
    p.dyn_uw[0] = p.dyn_uw[1] = p.dyn_uw[2] = 5;
    p.leak_uw = 1;
    p.clock_ps = 100;
    p.voltage = 0.8;
    pp_err e;
    pp_err_clear(&e);
    assert_int_equal(pp_char_power_write_json(&p, P("pj.json"), &e), PP_OK);
    char *t;
    assert_int_equal(pp_read_file(P("pj.json"), &t, NULL, &e), PP_OK);
    char *pu = strstr(t, "\"power_uw\": {");
    assert_non_null(pu);
    char *six = strstr(pu, "\"1\": 6.0");
    assert_non_null(six);
    six[6] = '7'; /* 7.0 where dynamic 5 + leakage 1 = 6 */
    FILE *f = fopen(P("pj.json"), "w");
    assert_non_null(f);
    fputs(t, f);
    fclose(f);
    free(t);
    assert_int_equal(RUN("--trace", P("stats.bin"), "--power", P("pj.json"), "--json"), 3);
    char *err;
    assert_int_equal(pp_read_file(P("stderr.txt"), &err, NULL, &e), PP_OK);
    if (!strstr(err, "pj.json:") || !strstr(err, "\"power_uw.1\": expected dynamic_uw + leakage_uw = 6"))
      fail_msg("unclear message: %s", err);
    free(err);
  }
}

/* The power-gated PE-cycles come from each layer's tiling, the computation
 * `run` uses too (pp_est_usage_from_layers): one 6 x 5 product, N = 3, on a
 * 4 x 4 array leaves 2 columns idle in its 2 right-hand tiles, each lasting
 * 4 + 3 + 4 + 2 - 2 = 11 cycles: 2 x 4 x 2 x 11 = 176 gated PE-cycles of
 * 16 x 100. A per-tile mean (4 unused of 4 x 4 columns) would gate 400. */
static void test_cli_estimate_per_layer(void **st) {
  (void)st;
  pp_array_stats *s = calloc(1, sizeof *s);
  assert_non_null(s);
  s->size = 4;
  s->bins = 2;
  s->psum_bits = pp_array_psum_bits(4);
  uint64_t bh[4] = {1, 2, 3, 4};
  s->bin_hist = bh;
  s->c.load_cycles = 40;
  s->c.stream_cycles = 60;
  s->c.tiles = 4;
  s->c.unused_cols = 4;
  s->c.gemms = 1;
  s->mac_per_weight[127] = 30;
  s->mac_per_weight[127 + 5] = 100;
  s->mac_per_weight[127 - 3] = 50;
  s->c.macs = 180;
  pp_array_layer L;
  memset(&L, 0, sizeof L);
  snprintf(L.name, sizeof L.name, "fc");
  L.groups = 1;
  L.M = 6;
  L.K = 5;
  L.N = 3;
  L.c.gemms = 1;
  L.c.tiles = 4;
  L.c.unused_cols = 4;
  L.c.macs = 180;
  s->nlayers = 1;
  s->layers = &L;
  char path[256];
  pp_err e;
  pp_err_clear(&e);
  snprintf(path, sizeof path, "%s/stats_l.bin", g_dir);
  assert_int_equal(pp_array_stats_write(s, path, &e), PP_OK);
  free(s);
  assert_int_equal(RUN("--trace", P("stats_l.bin"), "--power", P("power.csv"), "-o", P("out")), 0);
  double v[12];
  read_row(v, 12);
  /* SHW: (300 + 1500 + 650)/100 + 16 x 2 = 56.5 uW; OHW: (1500 + 650)/100 + 2 x (1600 - 176)/100 = 49.98 uW */
  assert_true(fabs(v[0] - 0.0565) < 1e-9);
  assert_true(fabs(v[3] - 0.04998) < 1e-9);
}

int main(void) {
  if (pp_test_tmpdir(g_dir, sizeof g_dir, "pp_estcli")) return 1;
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_cli_estimate), cmocka_unit_test(test_cli_estimate_per_layer)};
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  if (pp_test_rmtree(g_dir)) {
    fprintf(stderr, "could not remove %s\n", g_dir);
    rc |= 1;
  }
  return rc;
}
