/* Tests of pp_est_usage_from_layers: the power-gated PE-cycles of unused
 * columns computed from each layer's tiling, against a hand-computed fixture
 * and against a tile-by-tile count over a product streamed through the
 * array module. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pp/estimate.h"

static pp_array_layer layer(int groups, int M, int K, int N, uint64_t gemms, uint64_t tiles, uint64_t unused_cols) {
  pp_array_layer L;
  memset(&L, 0, sizeof L);
  snprintf(L.name, sizeof L.name, "l%dx%d", M, K);
  L.groups = groups;
  L.M = M;
  L.K = K;
  L.N = N;
  L.c.gemms = gemms;
  L.c.tiles = tiles;
  L.c.unused_cols = unused_cols;
  return L;
}

/* A 4 x 4 array and four layers:
 *  L0 M=6, K=5, N=3, 2 products: two row blocks (K), the second column
 *     block uses 2 of 4 columns; each such tile lasts 4 load + 3 + 4 + 2 - 2
 *     = 11 cycles with 4 x 2 PEs idle: 2 products x 2 tiles x 8 x 11 = 352;
 *  L1 M=8, K=3: both column blocks full, nothing gated;
 *  L2 grouped, 2 tiles leaving 5 columns unused in all (mean used width
 *     4 - 5/2 = 1.5), N=2: 5 x 4 x (4 + 2 + 4 + 1.5 - 2) = 190;
 *  L3 M=4: full width.
 * Gated PE-cycles: 352 + 190 = 542. */
static pp_array_stats *fixture(void) {
  pp_array_stats *s = calloc(1, sizeof *s);
  assert_non_null(s);
  s->size = 4;
  s->c.load_cycles = 100;
  s->c.stream_cycles = 200; /* 300 cycles x 16 PEs = 4800 PE-cycles */
  s->mac_per_weight[127] = 300;
  s->mac_per_weight[127 + 7] = 500;
  s->mac_per_weight[127 - 2] = 200;
  s->c.macs = 1000;
  s->c.tiles = 8 + 2 + 2 + 3;
  s->c.unused_cols = 8 + 5;
  s->nlayers = 4;
  s->layers = calloc(4, sizeof *s->layers);
  assert_non_null(s->layers);
  s->layers[0] = layer(1, 6, 5, 3, 2, 8, 8);
  s->layers[1] = layer(1, 8, 3, 5, 1, 2, 0);
  s->layers[2] = layer(3, 6, 2, 2, 1, 2, 5);
  s->layers[3] = layer(1, 4, 4, 1, 3, 3, 0);
  return s;
}

static void free_fixture(pp_array_stats *s) {
  free(s->layers);
  free(s);
}

static void test_hand_fixture(void **st) {
  (void)st;
  pp_array_stats *s = fixture();
  pp_est_usage u;
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_est_usage_from_layers(s, &u, &e), PP_OK);
  assert_int_equal(u.rows, 4);
  assert_int_equal(u.cols, 4);
  assert_true(u.cycles == 300);
  assert_int_equal(u.w_min, -127);
  assert_int_equal(u.n_w, 255);
  assert_true(u.mac_cycles[127] == 300 && u.mac_cycles[134] == 500 && u.mac_cycles[125] == 200);
  assert_true(fabs(u.gated_pe_cycles - 542) < 1e-9);
  assert_int_equal(u.idle_mode, PP_EST_IDLE_HOLD);
  /* the per-tile mean (every tile alike) gives another number:
   * 13 / (15 x 4) of all 4800 PE-cycles */
  pp_est_usage m;
  assert_int_equal(pp_est_usage_from_stats(s, &m, &e), PP_OK);
  assert_true(fabs(m.gated_pe_cycles - 13.0 / 60 * 4800) < 1e-9);
  assert_memory_equal(m.mac_cycles, u.mac_cycles, sizeof u.mac_cycles);
  assert_true(m.cycles == u.cycles);
  free_fixture(s);
}

static void test_errors_and_fallback(void **st) {
  (void)st;
  pp_array_stats *s = fixture();
  pp_est_usage u, m;
  pp_err e;
  pp_err_clear(&e);
  s->c.macs = 999; /* per-weight counts disagree with the total */
  assert_int_equal(pp_est_usage_from_layers(s, &u, &e), PP_EPARSE);
  s->c.macs = 1000;
  pp_err_clear(&e);
  s->layers[2].c.tiles = 0; /* unused columns without tiles */
  assert_int_equal(pp_est_usage_from_layers(s, &u, &e), PP_EPARSE);
  assert_non_null(strstr(e.msg, s->layers[2].name));
  s->layers[2].c.tiles = 2;
  pp_err_clear(&e);
  s->layers[0].K = 0; /* a product without rows */
  assert_int_equal(pp_est_usage_from_layers(s, &u, &e), PP_EPARSE);
  s->layers[0].K = 5;
  pp_err_clear(&e);
  s->c.load_cycles = 1; /* 201 cycles: 3216 PE-cycles, 1000 MACs + 542 gated still fit */
  assert_int_equal(pp_est_usage_from_layers(s, &u, &e), PP_OK);
  s->c.stream_cycles = 5; /* 6 cycles: 96 PE-cycles cannot hold 1000 MACs */
  assert_int_equal(pp_est_usage_from_layers(s, &u, &e), PP_EINVAL);
  s->c.load_cycles = 100;
  s->c.stream_cycles = 200;
  /* no per-layer records: the per-tile mean, as pp_est_usage_from_stats */
  s->nlayers = 0;
  pp_err_clear(&e);
  assert_int_equal(pp_est_usage_from_layers(s, &u, &e), PP_OK);
  assert_int_equal(pp_est_usage_from_stats(s, &m, &e), PP_OK);
  assert_memory_equal(&u, &m, sizeof u);
  free_fixture(s);
}

/* Ungrouped products through the array module: the gated PE-cycles equal a
 * count over every tile (columns the tile leaves unused x all rows x the
 * tile's load and streaming cycles), and the tiles' cycles add up to the
 * statistics' own. */
static void test_against_array(void **st) {
  (void)st;
  const int A = 4;
  static const int shapes[][3] = {{6, 5, 3}, {9, 4, 2}, {3, 11, 1}, {8, 8, 4}, {13, 2, 5}};
  pp_array_opts ao;
  pp_array_opts_defaults(&ao);
  ao.size = A;
  ao.bins = 4;
  ao.reservoir = 64;
  pp_array_sim *sim;
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_array_sim_create(&ao, &sim, &e), PP_OK);
  double want = 0, cycles = 0;
  pp_rng r;
  pp_rng_seed(&r, 7);
  for (size_t k = 0; k < sizeof shapes / sizeof *shapes; k++) {
    int M = shapes[k][0], K = shapes[k][1], N = shapes[k][2];
    int8_t *w = malloc((size_t)M * K);
    uint8_t *x = malloc((size_t)K * N);
    assert_true(w && x);
    for (int i = 0; i < M * K; i++) w[i] = (int8_t)((int)pp_rng_below(&r, 255) - 127);
    for (int i = 0; i < K * N; i++) x[i] = (uint8_t)pp_rng_below(&r, 256);
    char name[16];
    snprintf(name, sizeof name, "g%zu", k);
    pp_nn_qgemm g = {.layer = (int)k, .name = name, .kind = 0, .groups = 1, .M = M, .K = K, .N = N, .w = w, .x = x};
    int reps = (int)k % 2 + 1; /* some layers twice, as for two images */
    for (int rep = 0; rep < reps; rep++) assert_int_equal(pp_array_sim_gemm(sim, &g, &e), PP_OK);
    for (int mt = 0; mt * A < M; mt++)
      for (int kt = 0; kt * A < K; kt++) {
        int C = M - mt * A < A ? M - mt * A : A;
        double tile = A + (N + A + C - 2);
        want += reps * (double)A * (A - C) * tile;
        cycles += reps * tile;
      }
    free(w);
    free(x);
  }
  const pp_array_stats *s = pp_array_sim_stats(sim);
  assert_true((double)(s->c.load_cycles + s->c.stream_cycles) == cycles);
  pp_est_usage u;
  assert_int_equal(pp_est_usage_from_layers(s, &u, &e), PP_OK);
  assert_true(want > 0);
  assert_true(fabs(u.gated_pe_cycles - want) < 1e-9);
  pp_array_sim_free(sim);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hand_fixture),
      cmocka_unit_test(test_errors_and_fallback),
      cmocka_unit_test(test_against_array),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
