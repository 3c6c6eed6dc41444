/* Tests of array on synthetic products: outputs equal a plain GEMM for every
 * tiling case (K and M beyond the array, FC N=1, grouped/depthwise packing),
 * the fast engine's statistics equal the cycle-accurate reference's exactly,
 * a hand-worked example, bins, reservoir, file round trip and the sampler. */
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

#include "array/array_internal.h"
#include "pp/array.h"

static int cmp_i32(const void *a, const void *b) {
  int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
  return x < y ? -1 : x > y;
}

static int asan(void) { return getenv("PP_ASAN") != NULL; }

/* A random product with its plain reference accumulator. */
typedef struct prod {
  pp_nn_qgemm g;
  int8_t *w;
  uint8_t *x;
  int32_t *acc;
} prod;

static void prod_make(prod *p, int layer, int kind, int groups, int M, int K, int N, pp_rng *r, int zero_pct,
                      int smooth) {
  p->w = malloc((size_t)M * K);
  p->x = malloc((size_t)groups * K * N);
  p->acc = malloc((size_t)M * N * sizeof *p->acc);
  for (size_t i = 0; i < (size_t)M * K; i++)
    p->w[i] = (int)pp_rng_below(r, 100) < zero_pct ? 0 : (int8_t)((int)pp_rng_below(r, 255) - 127);
  for (size_t i = 0; i < (size_t)groups * K * N; i++) {
    /* smooth inputs look like images: neighbours close */
    if (smooth && i % (size_t)N) {
      int v = (int)p->x[i - 1] + (int)pp_rng_below(r, 9) - 4;
      p->x[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
    } else
      p->x[i] = (uint8_t)pp_rng_below(r, 256);
  }
  int mg = M / groups;
  for (int m = 0; m < M; m++) {
    int g = m / mg;
    for (int n = 0; n < N; n++) {
      int64_t s = 0; /* the reference GEMM, per group */
      for (int k = 0; k < K; k++) s += (int64_t)p->w[(size_t)m * K + k] * p->x[((size_t)g * K + k) * N + n];
      p->acc[(size_t)m * N + n] = (int32_t)s;
    }
  }
  p->g = (pp_nn_qgemm){layer, "synthetic", kind, groups, M, K, N, p->w, p->x, p->acc};
}

static void prod_free(prod *p) {
  free(p->w);
  free(p->x);
  free(p->acc);
}

static pp_array_sim *sim_new(int size, int bins, int res, int naive, uint64_t seed) {
  pp_array_opts o;
  pp_array_opts_defaults(&o);
  o.size = size;
  o.bins = bins;
  o.reservoir = res;
  o.naive = naive;
  o.seed = seed;
  o.per_layer = 1;
  pp_array_sim *s;
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_array_sim_create(&o, &s, &e), PP_OK);
  return s;
}

/* A mix of shapes covering each tiling case for an array of `size`. */
static int make_mix(prod *ps, int size, pp_rng *r) {
  int n = 0;
  int A = size;
  prod_make(&ps[n++], 0, PP_NN_QGEMM_CONV, 1, A + 3, 2 * A + 1, 7, r, 30, 1); /* K and M beyond the array */
  prod_make(&ps[n++], 1, PP_NN_QGEMM_CONV, 1, 1, 1, 5, r, 0, 0);               /* one PE */
  prod_make(&ps[n++], 2, PP_NN_QGEMM_FC, 1, A / 2 + 1, A + 2, 1, r, 20, 0);    /* FC: one vector */
  prod_make(&ps[n++], 3, PP_NN_QGEMM_DEPTHWISE, 5, 5, 2, 6, r, 10, 1);         /* depthwise, packed */
  prod_make(&ps[n++], 4, PP_NN_QGEMM_CONV, 3, 6, A + 1, 4, r, 10, 0);          /* grouped, K > A: unpacked */
  prod_make(&ps[n++], 0, PP_NN_QGEMM_CONV, 1, A + 3, 2 * A + 1, 7, r, 30, 1);  /* layer 0 again (next image) */
  return n;
}

static void test_outputs_equal_gemm(void **st) {
  (void)st;
  pp_rng r;
  pp_rng_seed(&r, 11);
  int sizes[] = {1, 2, 3, 8, 64};
  for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
    for (int naive = 0; naive < 2; naive++) {
      if (naive && sizes[si] > 8) continue;
      prod ps[8];
      int np = make_mix(ps, sizes[si], &r);
      pp_array_sim *s = sim_new(sizes[si], 8, 1000, naive, 3);
      pp_err e;
      pp_err_clear(&e);
      uint64_t want_outputs = 0, want_useful = 0;
      for (int i = 0; i < np; i++) {
        assert_int_equal(pp_array_sim_gemm(s, &ps[i].g, &e), PP_OK);
        want_outputs += (uint64_t)ps[i].g.M * ps[i].g.N;
        want_useful += (uint64_t)ps[i].g.M * ps[i].g.K * ps[i].g.N;
      }
      pp_array_stats *stt = pp_array_sim_stats(s);
      assert_int_equal(stt->c.outputs, want_outputs);
      assert_int_equal(stt->c.mismatches, 0);
      assert_string_equal(pp_array_sim_first_mismatch(s), "");
      assert_int_equal(stt->c.useful_macs, want_useful);
      assert_true(stt->c.macs >= stt->c.useful_macs); /* packed zeros only add */
      /* one activation transition per MAC, all weights counted */
      uint64_t at = 0, mw = 0;
      for (int i = 0; i < 65536; i++) at += stt->act_hist[i];
      for (int i = 0; i < 255; i++) mw += stt->mac_per_weight[i];
      assert_int_equal(at, stt->c.macs);
      assert_int_equal(mw, stt->c.macs);
      assert_int_equal(stt->events, stt->c.macs);
      pp_array_sim_free(s);
      for (int i = 0; i < np; i++) prod_free(&ps[i]);
    }
  }
}

static void test_mismatch_detected(void **st) {
  (void)st;
  pp_rng r;
  pp_rng_seed(&r, 5);
  prod p;
  prod_make(&p, 0, PP_NN_QGEMM_CONV, 1, 9, 20, 6, &r, 0, 0);
  p.acc[17] += 1;
  pp_array_sim *s = sim_new(8, 4, 0, 0, 1);
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_array_sim_gemm(s, &p.g, &e), PP_OK);
  assert_int_equal(pp_array_sim_stats(s)->c.mismatches, 1);
  assert_non_null(strstr(pp_array_sim_first_mismatch(s), "row 2 position 5"));
  /* bad inputs: one clear error each */
  p.w[3] = -128;
  pp_err_clear(&e);
  assert_int_equal(pp_array_sim_gemm(s, &p.g, &e), PP_EINVAL);
  assert_non_null(strstr(e.msg, "-127..127"));
  p.w[3] = 0;
  p.g.groups = 2; /* 9 rows do not split into 2 groups */
  pp_err_clear(&e);
  assert_int_equal(pp_array_sim_gemm(s, &p.g, &e), PP_EINVAL);
  p.g.groups = 1;
  p.g.N = 0;
  pp_err_clear(&e);
  assert_int_equal(pp_array_sim_gemm(s, &p.g, &e), PP_EINVAL);
  pp_array_sim_free(s);
  prod_free(&p);
  pp_array_opts o;
  pp_array_opts_defaults(&o);
  o.size = 0;
  pp_err_clear(&e);
  assert_int_equal(pp_array_sim_create(&o, &s, &e), PP_EINVAL);
}

/* Worked by hand: 2x2 array, W = [[1,2],[3,4]] (m x k), X rows k0 = 1 2 3,
 * k1 = 4 5 6. PE(r, c) holds w[c][r]. Then a 1x1 product x = 7. */
static void test_hand_example(void **st) {
  (void)st;
  for (int naive = 0; naive < 2; naive++) {
    int8_t w[4] = {1, 2, 3, 4};
    uint8_t x[6] = {1, 2, 3, 4, 5, 6};
    int32_t acc[6] = {1 * 1 + 2 * 4, 1 * 2 + 2 * 5, 1 * 3 + 2 * 6, 3 * 1 + 4 * 4, 3 * 2 + 4 * 5, 3 * 3 + 4 * 6};
    pp_nn_qgemm g = {0, "hand", PP_NN_QGEMM_CONV, 1, 2, 2, 3, w, x, acc};
    pp_array_sim *s = sim_new(2, 2, 100, naive, 1);
    pp_err e;
    pp_err_clear(&e);
    assert_int_equal(pp_array_sim_gemm(s, &g, &e), PP_OK);
    int8_t w2[1] = {0};
    uint8_t x2[1] = {7};
    int32_t acc2[1] = {0};
    pp_nn_qgemm g2 = {1, "one", PP_NN_QGEMM_FC, 1, 1, 1, 1, w2, x2, acc2};
    assert_int_equal(pp_array_sim_gemm(s, &g2, &e), PP_OK);
    pp_array_stats *t = pp_array_sim_stats(s);
    assert_int_equal(t->c.mismatches, 0);
    /* both columns of row 0 see 0->1->2->3, of row 1 0->4->5->6; then PE(0,0) 3->7 */
    uint64_t want[][3] = {{0, 1, 2}, {1, 2, 2}, {2, 3, 2}, {0, 4, 2}, {4, 5, 2}, {5, 6, 2}, {3, 7, 1}};
    uint64_t total = 0;
    for (size_t i = 0; i < 7; i++) {
      assert_int_equal(t->act_hist[want[i][0] * 256 + want[i][1]], want[i][2]);
      total += want[i][2];
    }
    uint64_t at = 0;
    for (int i = 0; i < 65536; i++) at += t->act_hist[i];
    assert_int_equal(at, total);
    assert_int_equal(t->c.macs, 13);
    assert_int_equal(t->c.tiles, 2);
    assert_int_equal(t->c.load_cycles, 4);
    /* stream: N + A + C - 2 = 3+2+2-2 and 1+2+1-2 */
    assert_int_equal(t->c.stream_cycles, 5 + 2);
    assert_int_equal(t->c.fill_drain_cycles, 2 + 1);
    assert_int_equal(t->c.unused_rows, 1);
    assert_int_equal(t->c.unused_cols, 1);
    assert_int_equal(t->mac_per_weight[1 + 127], 3);
    assert_int_equal(t->mac_per_weight[4 + 127], 3);
    assert_int_equal(t->mac_per_weight[0 + 127], 1);
    assert_int_equal(t->c.zero_macs, 1);
    assert_int_equal(t->c.weights, 5);
    assert_int_equal(t->c.zero_weights, 1);
    /* reservoir holds every event (13 < 100) in event order: tile event
     * (c*R + r)*N + n; event 4 is column 0, row 1, n = 1: a 4->5, psum
     * w[0][0]*x0 for n=0 -> n=1, i.e. 1 -> 2 */
    assert_int_equal(t->nres, 13);
    assert_int_equal(t->res[4].a_old, 4);
    assert_int_equal(t->res[4].a_new, 5);
    assert_int_equal(t->res[4].p_old, 1);
    assert_int_equal(t->res[4].p_new, 2);
    /* event 9 is column 1, row 1, n = 0: psum from reset 0 to w[1][0]*1 = 3 */
    assert_int_equal(t->res[9].p_old, 0);
    assert_int_equal(t->res[9].p_new, 3);
    assert_int_equal(t->res[12].a_old, 3);
    assert_int_equal(t->res[12].a_new, 7);
    pp_array_sim_free(s);
  }
}

/* The fast engine and the cycle-accurate reference agree on every statistic. */
static void test_fast_equals_naive(void **st) {
  (void)st;
  int sizes[] = {3, 4, 8};
  for (size_t si = 0; si < 3; si++) {
    int A = sizes[si];
    pp_rng r;
    pp_rng_seed(&r, 100 + si);
    prod ps[8];
    int np = make_mix(ps, A, &r);
    pp_array_stats *res[2];
    for (int naive = 0; naive < 2; naive++) {
      pp_array_sim *s = sim_new(A, 6, 37, naive, 9);
      pp_err e;
      pp_err_clear(&e);
      /* calibration on the first two products, then counting on all */
      for (int i = 0; i < 2; i++) assert_int_equal(pp_array_sim_gemm(s, &ps[i].g, &e), PP_OK);
      assert_int_equal(pp_array_sim_calibrate(s, &e), PP_OK);
      for (int i = 0; i < np; i++) assert_int_equal(pp_array_sim_gemm(s, &ps[i].g, &e), PP_OK);
      res[naive] = pp_array_sim_take_stats(s);
      pp_array_sim_free(s);
    }
    pp_array_stats *f = res[0], *n = res[1];
    assert_memory_equal(&f->c, &n->c, sizeof f->c);
    assert_memory_equal(f->act_hist, n->act_hist, sizeof f->act_hist);
    assert_memory_equal(f->bin_hist, n->bin_hist, (size_t)f->bins * f->bins * sizeof *f->bin_hist);
    assert_memory_equal(f->mac_per_weight, n->mac_per_weight, sizeof f->mac_per_weight);
    assert_int_equal(f->nres, n->nres);
    assert_int_equal(f->nres, 37);
    for (uint32_t i = 0; i < f->nres; i++) {
      assert_int_equal(f->res[i].a_old, n->res[i].a_old);
      assert_int_equal(f->res[i].a_new, n->res[i].a_new);
      assert_int_equal(f->res[i].p_old, n->res[i].p_old);
      assert_int_equal(f->res[i].p_new, n->res[i].p_new);
    }
    assert_int_equal(f->nlayers, n->nlayers);
    for (int l = 0; l < f->nlayers; l++) {
      assert_memory_equal(&f->layers[l].c, &n->layers[l].c, sizeof f->layers[l].c);
      assert_memory_equal(f->layers[l].act_hist, n->layers[l].act_hist, 65536 * sizeof(uint64_t));
      assert_memory_equal(f->layers[l].bin_hist, n->layers[l].bin_hist, (size_t)f->bins * f->bins * sizeof(uint64_t));
    }
    uint64_t bt = 0;
    for (int i = 0; i < f->bins * f->bins; i++) bt += f->bin_hist[i];
    assert_int_equal(bt, f->c.macs); /* one partial-sum transition per MAC */
    pp_array_stats_free(f);
    pp_array_stats_free(n);
    for (int i = 0; i < np; i++) prod_free(&ps[i]);
  }
}

static void test_bins(void **st) {
  (void)st;
  pp_array_stats *s = pp_array_stats_new(64, 50, 1);
  assert_int_equal(s->psum_bits, 22); /* 64 x 127 x 255 needs 21 bits + sign */
  assert_int_equal(pp_array_psum_bits(1), 16); /* 127 x 255 = 32385 < 2^15 */
  pp_rng r;
  pp_rng_seed(&r, 3);
  size_t n = asan() ? 3000 : 20000;
  int32_t *v = malloc(n * sizeof *v);
  for (size_t i = 0; i < n; i++) v[i] = (int32_t)(pp_rng_normal(&r) * 3000) + (i % 3 ? 0 : 100000);
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_array_bins_build(s, v, n, 77, &e), PP_OK);
  /* every distinct value joined exactly one bin, and every bin has its seed */
  uint64_t members = 0;
  for (int b = 0; b < 50; b++) {
    assert_true(s->bin_members[b] >= 1);
    members += s->bin_members[b];
    for (int i = 0; i < 22; i++) assert_true(s->bin_bitcount[b * 22 + i] <= s->bin_members[b]);
  }
  /* members = number of distinct values (words) */
  int32_t *u = malloc(n * sizeof *u);
  memcpy(u, v, n * sizeof *u);
  qsort(u, n, sizeof *u, cmp_i32);
  uint64_t nd = 0;
  for (size_t i = 0; i < n; i++) nd += i == 0 || u[i] != u[i - 1];
  free(u);
  assert_int_equal(members, nd);
  /* table lookup equals the direct rule on random and boundary words */
  int32_t probes[] = {0, -1, 1, 2072640, -2072640, (1 << 21) - 1, -(1 << 21)};
  for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++)
    assert_int_equal(pp_array_psum_bin(s, probes[i]), pp_array_psum_bin_ref(s, probes[i]));
  for (int i = 0; i < 20000; i++) {
    int32_t x = (int32_t)pp_rng_below(&r, 1u << 22) - (1 << 21);
    assert_int_equal(pp_array_psum_bin(s, x), pp_array_psum_bin_ref(s, x));
  }
  /* same seed, same bins; other seed, other bins */
  pp_array_stats *s2 = pp_array_stats_new(64, 50, 1), *s3 = pp_array_stats_new(64, 50, 1);
  assert_int_equal(pp_array_bins_build(s2, v, n, 77, &e), PP_OK);
  assert_int_equal(pp_array_bins_build(s3, v, n, 78, &e), PP_OK);
  assert_memory_equal(s->bin_bitcount, s2->bin_bitcount, 50 * 22 * sizeof(uint32_t));
  assert_memory_not_equal(s->bin_bitcount, s3->bin_bitcount, 50 * 22 * sizeof(uint32_t));
  /* a bin's own seed is classified into a bin at least as close as its own */
  pp_array_stats_free(s);
  pp_array_stats_free(s2);
  pp_array_stats_free(s3);
  /* fewer distinct values than bins: the extra bins stay empty and unused */
  pp_array_stats *t = pp_array_stats_new(8, 10, 1);
  int32_t few[6] = {5, 5, -3, 7, 5, -3};
  assert_int_equal(pp_array_bins_build(t, few, 6, 1, &e), PP_OK);
  int used = 0;
  for (int b = 0; b < 10; b++) used += t->bin_members[b] > 0;
  assert_int_equal(used, 3);
  int b5 = pp_array_psum_bin(t, 5), b7 = pp_array_psum_bin(t, 7), bm3 = pp_array_psum_bin(t, -3);
  assert_true(t->bin_members[b5] && t->bin_members[b7] && t->bin_members[bm3]);
  assert_true(b5 != b7 && b5 != bm3 && b7 != bm3);
  pp_array_stats_free(t);
  free(v);
}

/* Runs a calibrated simulation over a mix and returns its statistics. */
static pp_array_stats *run_mix(int A, uint64_t seed, int res) {
  pp_rng r;
  pp_rng_seed(&r, 42);
  prod ps[8];
  int np = make_mix(ps, A, &r);
  pp_array_sim *s = sim_new(A, 12, res, 0, seed);
  pp_err e;
  pp_err_clear(&e);
  for (int i = 0; i < np; i++) assert_int_equal(pp_array_sim_gemm(s, &ps[i].g, &e), PP_OK);
  assert_int_equal(pp_array_sim_calibrate(s, &e), PP_OK);
  for (int i = 0; i < np; i++) {
    assert_int_equal(pp_array_sim_gemm(s, &ps[i].g, &e), PP_OK);
    pp_array_sim_image_done(s);
  }
  pp_array_stats *t = pp_array_sim_take_stats(s);
  pp_array_sim_free(s);
  for (int i = 0; i < np; i++) prod_free(&ps[i]);
  return t;
}

static void test_file_round_trip(void **st) {
  (void)st;
  pp_array_stats *s = run_mix(16, 4, 500);
  char path[512], json[512];
  snprintf(path, sizeof path, "%s/test_array_stats.bin", PP_BINARY_DIR);
  snprintf(json, sizeof json, "%s/test_array_stats.json", PP_BINARY_DIR);
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_array_stats_write(s, path, &e), PP_OK);
  assert_int_equal(pp_array_stats_write_json(s, json, &e), PP_OK);
  pp_array_stats *t;
  assert_int_equal(pp_array_stats_read(path, &t, &e), PP_OK);
  assert_int_equal(t->size, 16);
  assert_int_equal(t->bins, 12);
  assert_int_equal(t->images, s->images);
  assert_memory_equal(&t->c, &s->c, sizeof s->c);
  assert_memory_equal(t->act_hist, s->act_hist, sizeof s->act_hist);
  assert_memory_equal(t->bin_hist, s->bin_hist, 144 * sizeof(uint64_t));
  assert_memory_equal(t->mac_per_weight, s->mac_per_weight, sizeof s->mac_per_weight);
  assert_memory_equal(t->bin_bitcount, s->bin_bitcount, 12 * (size_t)s->psum_bits * sizeof(uint32_t));
  assert_memory_equal(t->bin_off, s->bin_off, 13 * sizeof(uint32_t));
  assert_int_equal(t->nres, 500);
  for (uint32_t i = 0; i < t->nres; i++) {
    assert_int_equal(t->res[i].p_old, s->res[i].p_old);
    assert_int_equal(t->res[i].a_new, s->res[i].a_new);
  }
  assert_int_equal(t->nlayers, s->nlayers);
  assert_string_equal(t->layers[3].name, "synthetic");
  assert_memory_equal(t->layers[2].act_hist, s->layers[2].act_hist, 65536 * sizeof(uint64_t));
  /* bins survive: the same classification after reading */
  for (int v = -5000; v < 5000; v += 37) assert_int_equal(pp_array_psum_bin(t, v), pp_array_psum_bin(s, v));
  pp_array_stats_free(t);
  /* the JSON names the format and the exactness */
  char *txt;
  assert_int_equal(pp_read_file(json, &txt, NULL, &e), PP_OK);
  assert_non_null(strstr(txt, "\"format\": \"powerprune-array-stats/1\""));
  assert_non_null(strstr(txt, "\"bit_exact\": true"));
  free(txt);
  /* corruption, truncation, wrong file: clear errors */
  char *data;
  size_t len;
  assert_int_equal(pp_read_file(path, &data, &len, &e), PP_OK);
  char bad[600];
  snprintf(bad, sizeof bad, "%s.bad", path);
  FILE *f = fopen(bad, "wb");
  data[1000] ^= 1;
  fwrite(data, 1, len, f);
  fclose(f);
  pp_err_clear(&e);
  assert_int_equal(pp_array_stats_read(bad, &t, &e), PP_EPARSE);
  assert_non_null(strstr(e.msg, "CRC"));
  assert_string_equal(e.file, bad);
  data[1000] ^= 1;
  f = fopen(bad, "wb");
  fwrite(data, 1, len / 2, f);
  fclose(f);
  pp_err_clear(&e);
  assert_int_equal(pp_array_stats_read(bad, &t, &e), PP_EPARSE);
  f = fopen(bad, "wb");
  fwrite("PPARRAY\0\2\0\0\0xxxxxxxx", 1, 20, f);
  fclose(f);
  pp_err_clear(&e);
  assert_int_equal(pp_array_stats_read(bad, &t, &e), PP_EPARSE);
  assert_non_null(strstr(e.msg, "version 2"));
  f = fopen(bad, "wb");
  fwrite("hello world, this is text", 1, 25, f);
  fclose(f);
  pp_err_clear(&e);
  assert_int_equal(pp_array_stats_read(bad, &t, &e), PP_EPARSE);
  assert_non_null(strstr(e.msg, "magic"));
  pp_err_clear(&e);
  assert_int_equal(pp_array_stats_read("/nonexistent/stats.bin", &t, &e), PP_EIO);
  free(data);
  remove(bad);
  pp_array_stats_free(s);
}

static void test_sampler(void **st) {
  (void)st;
  pp_array_stats *s = run_mix(16, 4, 2000);
  size_t T = asan() ? 20000 : 100000;
  pp_array_tuple *a = calloc(T, sizeof *a), *b = calloc(T, sizeof *b); /* calloc: padding compares equal */
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_array_sample_transitions(s, T, 7, a, &e), PP_OK);
  assert_int_equal(pp_array_sample_transitions(s, T, 7, b, &e), PP_OK);
  assert_memory_equal(a, b, T * sizeof *a);
  /* drawn activation transitions occur in the histogram, with about its frequencies */
  uint64_t at = 0;
  for (int i = 0; i < 65536; i++) at += s->act_hist[i];
  uint64_t *cnt = calloc(65536, sizeof *cnt);
  uint64_t *bcnt = calloc((size_t)s->bins * s->bins, sizeof *bcnt);
  for (size_t i = 0; i < T; i++) {
    int k = a[i].a_old * 256 + a[i].a_new;
    assert_true(s->act_hist[k] > 0);
    cnt[k]++;
    /* partial sums come from the bins the bin transition was drawn from */
    int bo = pp_array_psum_bin(s, a[i].p_old), bn = pp_array_psum_bin(s, a[i].p_new);
    bcnt[bo * s->bins + bn]++;
  }
  /* the most frequent transitions: sampled share within 5 sigma of the truth */
  for (int k = 0; k < 65536; k++) {
    double p = (double)s->act_hist[k] / (double)at;
    if (p < 0.01) continue;
    double sd = sqrt(p * (1 - p) / (double)T);
    assert_true(fabs((double)cnt[k] / (double)T - p) < 5 * sd + 1e-9);
  }
  uint64_t bt = 0;
  for (int k = 0; k < s->bins * s->bins; k++) bt += s->bin_hist[k];
  for (int k = 0; k < s->bins * s->bins; k++) {
    double p = (double)s->bin_hist[k] / (double)bt;
    if (bcnt[k]) assert_true(s->bin_hist[k] > 0); /* never an impossible bin pair */
    if (p < 0.02) continue;
    double sd = sqrt(p * (1 - p) / (double)T);
    assert_true(fabs((double)bcnt[k] / (double)T - p) < 5 * sd + 1e-9);
  }
  assert_int_equal(pp_array_sample_reservoir(s, 100, 3, a, &e), PP_OK);
  free(cnt);
  free(bcnt);
  /* nothing to sample from */
  pp_array_stats *z = pp_array_stats_new(4, 3, 1);
  pp_err_clear(&e);
  assert_int_equal(pp_array_sample_transitions(z, 10, 1, a, &e), PP_EINVAL);
  pp_array_stats_free(z);
  free(a);
  free(b);
  pp_array_stats_free(s);
}

static void test_reservoir_seeded(void **st) {
  (void)st;
  pp_array_stats *a = run_mix(8, 1, 300), *b = run_mix(8, 1, 300), *c = run_mix(8, 2, 300);
  assert_int_equal(a->nres, 300);
  assert_true(a->events > 300);
  int differ = 0;
  for (uint32_t i = 0; i < 300; i++) {
    assert_int_equal(a->res[i].a_old, b->res[i].a_old);
    assert_int_equal(a->res[i].a_new, b->res[i].a_new);
    assert_int_equal(a->res[i].p_old, b->res[i].p_old);
    assert_int_equal(a->res[i].p_new, b->res[i].p_new);
    differ += a->res[i].p_new != c->res[i].p_new || a->res[i].a_new != c->res[i].a_new;
  }
  assert_true(differ > 100); /* another seed samples other events */
  /* samples are real events: their activation transition was counted */
  for (uint32_t i = 0; i < a->nres; i++) assert_true(a->act_hist[a->res[i].a_old * 256 + a->res[i].a_new] > 0);
  pp_array_stats_free(a);
  pp_array_stats_free(b);
  pp_array_stats_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hand_example),     cmocka_unit_test(test_outputs_equal_gemm),
      cmocka_unit_test(test_mismatch_detected), cmocka_unit_test(test_fast_equals_naive),
      cmocka_unit_test(test_bins),             cmocka_unit_test(test_file_round_trip),
      cmocka_unit_test(test_sampler),          cmocka_unit_test(test_reservoir_seeded),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
