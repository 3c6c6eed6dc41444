/* Tests of pann's pure parts: least squares (QR against the normal-equation
 * reference and known coefficients), bit-flip features, accumulation streams
 * (signed vs split), the PANN weight scale and the budget arithmetic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pp/pann.h"

static void test_lsq_recovers_coefficients(void **st) {
  (void)st;
  pp_rng r;
  pp_rng_seed(&r, 7);
  enum { N = 5000, K = 4 };
  double *X = malloc(sizeof(double) * N * K), *y = malloc(sizeof(double) * N);
  const double truth[K] = {3.5, 1.25, -0.75, 0.1};
  for (int i = 0; i < N; i++) {
    double f1 = pp_rng_below(&r, 9), f2 = pp_rng_below(&r, 9);
    double row[K] = {1, f1, f2, f1 * f2};
    double s = 0;
    for (int j = 0; j < K; j++) {
      X[i * K + j] = row[j];
      s += row[j] * truth[j];
    }
    y[i] = s + 0.01 * pp_rng_normal(&r);
  }
  double c[K], cn[K];
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_pann_lsq(X, y, N, K, c, &e), PP_OK);
  assert_int_equal(pp_pann_lsq_naive(X, y, N, K, cn, &e), PP_OK);
  for (int j = 0; j < K; j++) {
    assert_true(fabs(c[j] - truth[j]) < 0.01);
    assert_true(fabs(c[j] - cn[j]) < 1e-8 * (1 + fabs(cn[j])));
  }
  pp_pann_fit_stats s;
  pp_pann_fit_eval(X, y, N, K, c, &s);
  assert_true(s.r2 > 0.9999);
  assert_true(s.mean_err_rel < 1e-4);
  /* A perfectly collinear column gets 0, the fit stays exact. */
  double *X2 = malloc(sizeof(double) * N * 3);
  for (int i = 0; i < N; i++) {
    X2[i * 3] = 1;
    X2[i * 3 + 1] = X[i * K + 1];
    X2[i * 3 + 2] = 2 * X[i * K + 1];
    y[i] = 1 + 3 * X[i * K + 1];
  }
  assert_int_equal(pp_pann_lsq(X2, y, N, 3, c, &e), PP_OK);
  assert_true(fabs(c[0] - 1) < 1e-9 && fabs(c[1] - 3) < 1e-9 && c[2] == 0);
  assert_int_equal(pp_pann_lsq(X2, y, 2, 3, c, &e), PP_EINVAL);
  free(X);
  free(X2);
  free(y);
}

static void test_features(void **st) {
  (void)st;
  double f[6];
  /* w: -1 -> 1 in 4 bits: 1111 -> 0001 = 3 flips; a: 0 -> 15 = 4 flips */
  pp_pann_mult_features(4, 4, -1, 0, 1, 15, f);
  assert_true(f[0] == 1 && f[1] == 3 && f[2] == 4 && f[3] == 12);
  /* partial products: before all 0 (a = 0), after row 0 = 1111: 4 flips;
   * product 0 -> 15 over 8 bits: 4 flips */
  assert_true(f[4] == 4 && f[5] == 4);
  /* a flips against w = 0: no partial product, no product bit moves */
  pp_pann_mult_features(4, 4, 0, 3, 0, 12, f);
  assert_true(f[2] == 4 && f[4] == 0 && f[5] == 0);
  /* Accumulator: addend sign change flips the whole sign-extended part. */
  pp_pann_acc_features(8, 22, 1, 0, -1, 0, f);
  assert_true(f[1] == 21); /* 000..001 -> 111..111 */
  /* Same magnitudes unsigned: only one bit moves, 1 -> 2 */
  pp_pann_acc_features(8, 22, 1, 0, 2, 0, f);
  assert_true(f[1] == 2);
  /* Output flips: y0 = 5+3 = 8, y1 = 5+4 = 9 -> one flip; carries of
   * 0101+0011 go into bits 1..3 (1110), of 0101+0100 into bit 3 (1000) -> 2 flips */
  pp_pann_acc_features(8, 22, 3, 5, 4, 5, f);
  assert_true(f[2] == 0 && f[3] == 1 && f[4] == 2);
  assert_true(pp_pann_wrap(255, 8) == -1 && pp_pann_wrap(128, 8) == -128 && pp_pann_wrap(127, 8) == 127);
}

/* Split accumulation of a mixed-sign dot product flips fewer accumulator
 * bits than signed accumulation: the property PANN's unsigned arithmetic
 * rests on, seen here at the level of the streams. */
static void test_streams_signed_vs_split(void **st) {
  (void)st;
  enum { T = 20, K = 64, N = 8, B = 22 };
  int32_t *A = malloc(sizeof(int32_t) * T * K), *W = malloc(sizeof(int32_t) * K * N);
  pp_rng r;
  pp_rng_seed(&r, 3);
  for (int i = 0; i < T * K; i++) A[i] = pp_rng_below(&r, 3) ? (int32_t)pp_rng_below(&r, 256) : 0; /* ReLU zeros */
  for (int i = 0; i < K * N; i++) W[i] = (int32_t)pp_rng_below(&r, 255) - 127;
  pp_pann_acc_model unit = {.in_bits = 16, .acc_bits = B, .c = {0, 1, 0, 1, 0}};
  for (int df = 0; df < 2; df++) {
    pp_pann_acc_stream s[2] = {{0}}, u[2] = {{0}};
    pp_err e;
    pp_err_clear(&e);
    assert_int_equal(pp_pann_layer_acc_streams(A, W, T, K, N, df, PP_PANN_SIGNED, B, 16, 0, s, &e), PP_OK);
    assert_int_equal(pp_pann_layer_acc_streams(A, W, T, K, N, df, PP_PANN_SPLIT, B, 16, 0, u, &e), PP_OK);
    assert_true(s[1].n == 0);
    long nz = 0;
    for (int i = 0; i < K * N; i++) nz += W[i] != 0;
    if (df == PP_PANN_SEQUENTIAL) {
      assert_int_equal(s[0].n, (long)T * K * N);
      assert_int_equal(u[0].n + u[1].n, nz * T);
      /* the sequential signed stream really accumulates: final sums are right */
      int64_t acc = 0;
      for (int i = 0; i < K; i++) acc += (int64_t)A[i] * W[(size_t)i * N];
      assert_true(s[0].p[K - 1] + s[0].x[K - 1] == acc);
      for (long t = 0; t < u[0].n; t++) assert_true(u[0].x[t] >= 0 && u[0].p[t] >= 0);
      for (long t = 0; t < u[1].n; t++) assert_true(u[1].x[t] >= 0 && u[1].p[t] >= 0);
    }
    double es = pp_pann_acc_stream_energy(&unit, &s[0]);
    double eu = pp_pann_acc_stream_energy(&unit, &u[0]) + pp_pann_acc_stream_energy(&unit, &u[1]);
    assert_true(eu < 0.8 * es);
    for (int k = 0; k < 2; k++) {
      pp_pann_acc_stream_free(&s[k]);
      pp_pann_acc_stream_free(&u[k]);
    }
  }
  free(A);
  free(W);
}

static void test_weight_scale(void **st) {
  (void)st;
  enum { N = 20000 };
  float *w = malloc(sizeof(float) * N);
  int32_t *q = malloc(sizeof(int32_t) * N);
  pp_rng r;
  pp_rng_seed(&r, 11);
  for (int i = 0; i < N; i++) w[i] = (float)(0.05 * pp_rng_normal(&r));
  double prevg = 0, prevr = 0;
  const double Rs[] = {0.25, 0.5, 1, 2, 4, 8, 16};
  for (int k = 0; k < 7; k++) {
    double g, rr;
    pp_err e;
    pp_err_clear(&e);
    assert_int_equal(pp_pann_weight_scale(w, N, Rs[k], &g, q, &rr, &e), PP_OK);
    assert_true(rr <= Rs[k] + 1e-12);
    assert_true(rr > 0.97 * Rs[k]); /* many weights: the step function is fine-grained */
    double s = 0;
    for (int i = 0; i < N; i++) {
      s += abs(q[i]);
      assert_true(q[i] == (int32_t)nearbyint(w[i] / g));
    }
    assert_true(fabs(s / N - rr) < 1e-12);
    /* a larger budget: finer scale, more additions */
    if (k) assert_true(g < prevg && rr > prevr);
    prevg = g;
    prevr = rr;
  }
  pp_err e;
  pp_err_clear(&e);
  double g;
  assert_int_equal(pp_pann_weight_scale(w, N, 0, &g, q, NULL, &e), PP_EINVAL);
  float bad[2] = {1, NAN};
  assert_int_equal(pp_pann_weight_scale(bad, 2, 1, &g, q, NULL, &e), PP_EINVAL);
  /* uniform baseline: the 2-bit scale is ternary, error below the naive max scale */
  assert_int_equal(pp_pann_uniform_scale(w, N, 2, &g, &e), PP_OK);
  assert_true(g > 0 && g < 0.25);
  free(w);
  free(q);
}

/* Synthetic models with the physical shape: multiplier energy ~ flips x
 * width, accumulator ~ flips. The budget arithmetic must be monotone. */
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

static void test_budget_monotone(void **st) {
  (void)st;
  pp_pann_power pw;
  synth_power(&pw);
  double prev = 0;
  for (int b = 2; b <= 8; b++) {
    double es = pp_pann_ref_mac_energy(&pw, b, PP_PANN_SIGNED, 32, 1);
    double eu = pp_pann_ref_mac_energy(&pw, b, PP_PANN_SPLIT, 32, 1);
    assert_true(isfinite(es) && isfinite(eu));
    assert_true(eu < es);
    assert_true(eu > prev);
    prev = eu;
  }
  /* R from a budget grows with the budget; R * E_add meets it */
  double pr = 0;
  for (int b = 2; b <= 8; b++) {
    double P = pp_pann_ref_mac_energy(&pw, b, PP_PANN_SPLIT, 32, 1);
    double R = pp_pann_budget_R(&pw, 6, P, 32, 5);
    assert_true(R > pr);
    double Ea = pp_pann_ref_add_energy(&pw, 6, R, 32, 5);
    assert_true(fabs(R * Ea - P) < 0.02 * P);
    pr = R;
  }
  assert_true(isnan(pp_pann_ref_mac_energy(&pw, 9, PP_PANN_SPLIT, 32, 1)));
}

static void test_power_json_roundtrip(void **st) {
  (void)st;
  pp_pann_power pw, back;
  synth_power(&pw);
  pw.have[0] = 0; /* a width left out stays out */
  pw.mult[3].fit.r2 = 0.93;
  pw.acc[4].check.mean_rel_err = 0.125;
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  pp_json j;
  pp_json_init(&j, f, 1);
  pp_pann_power_json(&j, &pw, NULL);
  pp_json_end(&j);
  fclose(f);
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_pann_power_parse(buf, "m.json", &back, &e), PP_OK);
  assert_int_equal(back.have[0], 0);
  assert_int_equal(back.acc_bits, 22);
  for (int b = 3; b <= 8; b++) {
    assert_int_equal(back.have[b - 2], 1);
    for (int k = 0; k < PP_PANN_MULT_NF; k++) assert_true(back.mult[b - 2].c[k] == pw.mult[b - 2].c[k]);
    for (int k = 0; k < PP_PANN_ACC_NF; k++) {
      assert_true(back.acc[b - 2].c[k] == pw.acc[b - 2].c[k]);
      assert_true(back.add[b - 2].c[k] == pw.add[b - 2].c[k]);
    }
    assert_int_equal(back.add[b - 2].in_bits, pw.add[b - 2].in_bits);
  }
  assert_true(back.mult[3].fit.r2 == 0.93 && back.acc[4].check.mean_rel_err == 0.125);
  /* a broken file: one clear error with the line */
  char *bad = strdup(buf);
  char *c = strstr(bad, "\"c\"");
  assert_non_null(c);
  c[1] = 'x'; /* the first "c" key is gone */
  pp_err_clear(&e);
  assert_int_equal(pp_pann_power_parse(bad, "m.json", &back, &e), PP_EPARSE);
  assert_string_equal(e.file, "m.json");
  assert_true(e.line > 1);
  assert_non_null(strstr(e.msg, "coefficients"));
  /* non-finite, null or mistyped values are rejected with the member's path */
  static const struct {
    const char *from, *to, *what;
  } edits[] = {
      {"\"leak_nw\": ", "\"leak_nw\": 1e999, \"x\": ", "finite"},
      {"\"leak_nw\": ", "\"leak_nw\": null, \"x\": ", "\"widths[0].mult.leak_nw\": expected a finite number >= 0, got null"},
      {"\"leak_nw\": ", "\"leak_nw\": -1, \"x\": ", "got -1"},
      {"\"c\": [", "\"c\": [\"1\", ", "\"widths[0].mult.c\": expected an array of 6 coefficients, got 7"},
      {"\"in_bits\": ", "\"in_bits\": 2.5, \"x\": ", "\"widths[0].acc.in_bits\": expected an integer in [2, 40], got 2.5"},
      {"\"bits\": 3", "\"bits\": 4", "bits 4 listed twice"},
  };
  for (size_t k = 0; k < sizeof edits / sizeof edits[0]; k++) {
    const char *at = strstr(buf, edits[k].from);
    assert_non_null(at);
    size_t pre = (size_t)(at - buf), nf = strlen(edits[k].from);
    char *t = malloc(strlen(buf) + strlen(edits[k].to) + 1);
    assert_non_null(t);
    memcpy(t, buf, pre);
    strcpy(t + pre, edits[k].to);
    strcat(t, at + nf);
    pp_err_clear(&e);
    assert_int_equal(pp_pann_power_parse(t, "m.json", &back, &e), PP_EPARSE);
    if (!strstr(e.msg, edits[k].what) || e.line < 2 || e.col < 1) fail_msg("edit %zu: %d:%d: %s", k, e.line, e.col, e.msg);
    free(t);
  }
  pp_err_clear(&e);
  assert_int_equal(pp_pann_power_parse("{\"format\": \"other\"}", "x.json", &back, &e), PP_EPARSE);
  pp_err_clear(&e);
  assert_int_equal(pp_pann_power_parse("{\"format\": [1, 2", "y.json", &back, &e), PP_EPARSE);
  free(bad);
  free(buf);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lsq_recovers_coefficients), cmocka_unit_test(test_features),
      cmocka_unit_test(test_streams_signed_vs_split),   cmocka_unit_test(test_weight_scale),
      cmocka_unit_test(test_budget_monotone),           cmocka_unit_test(test_power_json_roundtrip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
