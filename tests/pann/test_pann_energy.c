/* Tests of pann's energy-count kernel: the fast kernel (hardware popcount and
 * generic builds) gives exactly the naive reference's feature sums on random
 * layer products of both kinds (PANN repeated additions, multiplier plus
 * accumulator, signed and split), the fJ from the sums agree with summing the
 * per-step model energies, and a network's energy has the same bits with 1
 * and with 2 threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "pann/pann_internal.h"
#include "pp/pann.h"

static uint64_t rs = 88172645463325252ull;
static uint64_t rnd(void) {
  rs ^= rs << 13;
  rs ^= rs >> 7;
  rs ^= rs << 17;
  return rs;
}

typedef struct jobbuf {
  pann_layer_job j;
  int32_t *q;
  double *x;
} jobbuf;

/* q: many zeros, both signs, up to qmax; x: many zeros, up to 2^a_bits-1 */
static void make_job(jobbuf *b, int pann, int split, int bits, int M, int K, int N, int qmax) {
  b->q = malloc(sizeof(int32_t) * (size_t)M * K);
  int ld = N + 3; /* a column stride wider than N, as a batch has */
  b->x = malloc(sizeof(double) * (size_t)K * ld);
  for (int i = 0; i < M * K; i++) {
    int z = rnd() % 3 == 0;
    int v = (int)(rnd() % (uint64_t)(2 * qmax + 1)) - qmax;
    b->q[i] = z ? 0 : v;
  }
  for (int i = 0; i < K * ld; i++) b->x[i] = rnd() % 2 ? 0 : (double)(rnd() % (1ull << bits));
  b->j = (pann_layer_job){.q = b->q, .x = b->x, .ld = (size_t)ld, .M = M, .K = K, .N = N, .pann = pann,
                          .split = split, .w_bits = bits, .a_bits = bits,
                          /* the add model's port can be narrower than an unsigned addend: wraps */
                          .in_bits = pann ? (bits > 2 ? bits : 3) : 2 * bits, .acc_bits = pann ? 16 : 22};
}

static void test_kernel_matches_naive(void **st) {
  (void)st;
  int64_t adds = 0, macs = 0;
  for (int trial = 0; trial < 60; trial++) {
    int pann = trial % 2, split = pann || trial % 4 == 2, bits = 2 + trial % 7;
    jobbuf b;
    make_job(&b, pann, split, bits, 1 + (int)(rnd() % 6), 1 + (int)(rnd() % 40), 1 + (int)(rnd() % 9),
             pann ? 1 + trial % 20 : (1 << (bits - 1)) - 1);
    pann_counts f = {0}, g = {0}, r = {0};
    pann_layer_counts(&b.j, &f);
    pann_force_generic = 1;
    pann_layer_counts(&b.j, &g);
    pann_force_generic = 0;
    pann_layer_counts_naive(&b.j, &r);
    assert_memory_equal(&f, &r, sizeof f);
    assert_memory_equal(&g, &r, sizeof g);
    adds += r.acc[0], macs += r.mult[0];
    free(b.q);
    free(b.x);
  }
  assert_true(adds > 1000 && macs > 1000); /* both kinds of job did real work */
}

/* fJ from the integer sums against the per-step model energies in sequence
 * (what the planner summed before): equal to rounding. */
static void test_fj_matches_per_step_sum(void **st) {
  (void)st;
  jobbuf b;
  make_job(&b, 1, 1, 4, 5, 30, 7, 9);
  pp_pann_acc_model am = {.in_bits = b.j.in_bits, .acc_bits = b.j.acc_bits, .c = {0.71, 1.3, 0.52, 1.9, 0.37, 0.11}};
  pann_counts c = {0};
  pann_layer_counts(&b.j, &c);
  double E = 0;
  int64_t px[2] = {0, 0}, pp[2] = {0, 0};
  for (int col = 0; col < b.j.N; col++)
    for (int m = 0; m < b.j.M; m++) {
      int64_t acc[2] = {0, 0};
      for (int k = 0; k < b.j.K; k++) {
        int64_t w = b.q[m * b.j.K + k], a = (int64_t)b.x[(size_t)k * b.j.ld + col];
        int wh = w < 0;
        for (int64_t r = 0; r < (w < 0 ? -w : w); r++) {
          E += pp_pann_acc_energy(&am, px[wh], pp[wh], a, acc[wh]);
          px[wh] = a, pp[wh] = acc[wh];
          acc[wh] = pp_pann_wrap(acc[wh] + a, am.acc_bits);
        }
      }
    }
  double F = pann_counts_fj(am.c, c.acc, PP_PANN_ACC_NF);
  assert_true(E > 0);
  assert_true(fabs(F - E) <= 1e-12 * E);
  free(b.q);
  free(b.x);
}

static void synth_power(pp_pann_power *pw) {
  memset(pw, 0, sizeof *pw);
  pw->acc_bits = 22;
  for (int b = 2; b <= 8; b++) {
    pw->have[b - 2] = 1;
    pw->mult[b - 2] = (pp_pann_mult_model){.w_bits = b, .a_bits = b, .c = {1, 2.0 * b, 2.0 * b, 0.3, 0.1, 0.2}};
    pw->acc[b - 2] = (pp_pann_acc_model){.in_bits = 2 * b, .acc_bits = 22, .c = {0.5, 1, 0.5, 1.5, 0.3, 0.1}};
    pw->add[b - 2] = (pp_pann_acc_model){.in_bits = b + 1 > 4 ? b + 1 : 4, .acc_bits = 22, .c = {0.5, 1, 0.5, 1.5, 0.3}};
  }
}

static void test_threads_same_bits(void **st) {
  (void)st;
  pp_err e;
  pp_err_clear(&e);
  pp_nn_data d;
  pp_nn_model *m;
  assert_int_equal(pp_nn_data_synthetic(40, 1, 12, 12, 10, 3, &d, &e), PP_OK);
  assert_int_equal(pp_nn_model_create("lenet5", 1, 12, 12, 10, 3, &m, &e), PP_OK);
  pp_pann_net *n;
  assert_int_equal(pp_pann_net_create(m, &d, 0, 20, &n, &e), PP_OK);
  pp_pann_power pw;
  synth_power(&pw);
  pp_pann_qspec specs[2] = {{.mode = PP_PANN_Q_PANN, .a_bits = 4, .R = 2.5, .bias_corr = 1, .lsq = 1},
                            {.mode = PP_PANN_Q_UNIFORM, .w_bits = 4, .a_bits = 4, .bias_corr = 1}};
  int nl = pp_pann_net_nlayers(n);
  pp_pann_energy *l1 = calloc((size_t)nl, sizeof *l1), *l2 = calloc((size_t)nl, sizeof *l2);
  for (int s = 0; s < 2; s++) {
    assert_int_equal(pp_pann_net_quantize(n, &specs[s], &e), PP_OK);
    pp_pann_energy a, b;
    omp_set_num_threads(1);
    assert_int_equal(pp_pann_net_energy_layers(n, &pw, PP_PANN_SPLIT, &d, 0, 7, &a, l1, &e), PP_OK);
    omp_set_num_threads(2);
    assert_int_equal(pp_pann_net_energy_layers(n, &pw, PP_PANN_SPLIT, &d, 0, 7, &b, l2, &e), PP_OK);
    assert_true(a.e_total > 0 && a.additions > 0);
    assert_memory_equal(&a, &b, sizeof a);
    assert_memory_equal(l1, l2, sizeof *l1 * (size_t)nl);
  }
  free(l1);
  free(l2);
  pp_pann_net_free(n);
  pp_nn_model_free(m);
  pp_nn_data_free(&d);
}

int main(void) {
  const struct CMUnitTest t[] = {
      cmocka_unit_test(test_kernel_matches_naive),
      cmocka_unit_test(test_fj_matches_per_step_sum),
      cmocka_unit_test(test_threads_same_bits),
  };
  return cmocka_run_group_tests(t, NULL, NULL);
}
