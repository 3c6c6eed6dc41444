/* Tests of util: error context, rng determinism, JSON escaping, atomic output. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pp/util.h"

static void test_err_keeps_first(void **st) {
  (void)st;
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_err_set(&e, PP_EPARSE, "a.lib", 12, "expected '%s'", "}"), PP_EPARSE);
  pp_err_set(&e, PP_EIO, "b", 1, "later");
  char buf[256];
  assert_string_equal(pp_err_format(&e, buf, sizeof buf), "a.lib:12: expected '}'");
}

static void test_rng_deterministic(void **st) {
  (void)st;
  pp_rng a, b;
  pp_rng_seed(&a, 42);
  pp_rng_seed(&b, 42);
  for (int i = 0; i < 1000; i++) assert_true(pp_rng_u64(&a) == pp_rng_u64(&b));
  pp_rng_seed(&b, 43);
  assert_true(pp_rng_u64(&a) != pp_rng_u64(&b));
  /* below(n) stays in range and hits every value */
  int seen[7] = {0};
  for (int i = 0; i < 7000; i++) {
    uint32_t v = pp_rng_below(&a, 7);
    assert_true(v < 7);
    seen[v]++;
  }
  for (int i = 0; i < 7; i++) assert_true(seen[i] > 800 && seen[i] < 1200);
}

static void test_json_escaping(void **st) {
  (void)st;
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  pp_json j;
  pp_json_init(&j, f, 0);
  pp_json_obj_begin(&j);
  pp_json_key(&j, "s");
  pp_json_str(&j, "a\"b\\\n\x01");
  pp_json_key(&j, "a");
  pp_json_arr_begin(&j);
  pp_json_int(&j, -3);
  pp_json_num(&j, 0.5);
  pp_json_bool(&j, 1);
  pp_json_arr_end(&j);
  pp_json_key(&j, "e");
  pp_json_obj_begin(&j);
  pp_json_obj_end(&j);
  pp_json_obj_end(&j);
  fclose(f);
  assert_string_equal(buf, "{\"s\":\"a\\\"b\\\\\\n\\u0001\",\"a\":[-3,0.5,true],\"e\":{}}");
  free(buf);
}

/* The one-call members write exactly what a key followed by its value writes, commas included. */
static void test_json_key_members(void **st) {
  (void)st;
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  pp_json j;
  pp_json_init(&j, f, 1);
  pp_json_obj_begin(&j);
  pp_json_key_str(&j, "s", "x\"y");
  pp_json_key_int(&j, "i", -7);
  pp_json_key_uint(&j, "u", 18446744073709551615ULL);
  pp_json_key_num(&j, "n", 0.25);
  pp_json_key_bool(&j, "b", 0);
  pp_json_key_null(&j, "z");
  pp_json_key_arr_begin(&j, "a");
  pp_json_int(&j, 1);
  pp_json_arr_end(&j);
  pp_json_key_obj_begin(&j, "o");
  pp_json_obj_end(&j);
  pp_json_obj_end(&j);
  fclose(f);
  char *ref = NULL;
  size_t rlen = 0;
  f = open_memstream(&ref, &rlen);
  pp_json_init(&j, f, 1);
  pp_json_obj_begin(&j);
  pp_json_key(&j, "s");
  pp_json_str(&j, "x\"y");
  pp_json_key(&j, "i");
  pp_json_int(&j, -7);
  pp_json_key(&j, "u");
  pp_json_uint(&j, 18446744073709551615ULL);
  pp_json_key(&j, "n");
  pp_json_num(&j, 0.25);
  pp_json_key(&j, "b");
  pp_json_bool(&j, 0);
  pp_json_key(&j, "z");
  pp_json_null(&j);
  pp_json_key(&j, "a");
  pp_json_arr_begin(&j);
  pp_json_int(&j, 1);
  pp_json_arr_end(&j);
  pp_json_key(&j, "o");
  pp_json_obj_begin(&j);
  pp_json_obj_end(&j);
  pp_json_obj_end(&j);
  fclose(f);
  assert_string_equal(buf, ref);
  free(buf);
  free(ref);
}

/* Numbers are written so that they read back to the same double, in as few digits as that takes, and the
 * non-finite ones as null (what readers turn back into NaN). */
static void test_json_numbers_round_trip(void **st) {
  (void)st;
  char b[40];
  const struct {
    double v;
    const char *text;
  } fixed[] = {{0.6, "0.6"},   {0.1, "0.1"},     {329.0, "329.0"}, {-2.5, "-2.5"}, {1.0 / 3, "0.3333333333333333"}, {0.1 + 0.2, "0.30000000000000004"},
               {1e300, "1e+300"}, {NAN, "null"}, {INFINITY, "null"}, {-INFINITY, "null"}};
  for (size_t k = 0; k < sizeof fixed / sizeof fixed[0]; k++) {
    pp_json_num_format(b, sizeof b, fixed[k].v);
    assert_string_equal(b, fixed[k].text);
  }
  pp_rng r;
  pp_rng_seed(&r, 7);
  for (int k = 0; k < 20000; k++) {
    uint64_t bits = pp_rng_u64(&r);
    double v;
    memcpy(&v, &bits, sizeof v);
    if (!isfinite(v)) continue;
    int len = pp_json_num_format(b, sizeof b, v);
    assert_true(len > 0 && len < (int)sizeof b);
    assert_true(strtod(b, NULL) == v);
    /* shortest: one digit fewer no longer reads back (unless already at 15) */
    char shorter[400];
    int digits = 0;
    const char *p = b;
    while (*p && !(*p >= '1' && *p <= '9')) p++; /* significant digits start at the first non-zero one */
    for (; *p && *p != 'e'; p++) digits += *p >= '0' && *p <= '9';
    if (digits > 15 && v != floor(v)) {
      snprintf(shorter, sizeof shorter, "%.*g", digits - 1, v);
      assert_true(strtod(shorter, NULL) != v);
    }
  }
}

static void test_outfile_atomic(void **st) {
  (void)st;
  char dir[] = "/tmp/pp_util_XXXXXX";
  assert_non_null(mkdtemp(dir));
  char path[256];
  snprintf(path, sizeof path, "%s/out.txt", dir);
  pp_err e;
  pp_err_clear(&e);
  pp_outfile o;
  assert_int_equal(pp_outfile_open(&o, path, &e), PP_OK);
  fputs("hello", o.f);
  assert_int_equal(access(path, F_OK), -1); /* not visible before commit */
  assert_int_equal(pp_outfile_commit(&o, &e), PP_OK);
  char *data;
  size_t n;
  assert_int_equal(pp_read_file(path, &data, &n, &e), PP_OK);
  assert_string_equal(data, "hello");
  free(data);
  /* abort leaves the old file untouched and no temp behind */
  assert_int_equal(pp_outfile_open(&o, path, &e), PP_OK);
  fputs("partial", o.f);
  pp_outfile_abort(&o);
  assert_int_equal(pp_read_file(path, &data, &n, &e), PP_OK);
  assert_string_equal(data, "hello");
  free(data);
  assert_int_equal(access(o.tmp, F_OK), -1);
  remove(path);
  rmdir(dir);
}

static void test_read_missing_file(void **st) {
  (void)st;
  pp_err e;
  pp_err_clear(&e);
  char *d;
  assert_int_equal(pp_read_file("/nonexistent/x", &d, NULL, &e), PP_EIO);
  assert_string_equal(e.file, "/nonexistent/x");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_err_keeps_first), cmocka_unit_test(test_rng_deterministic),
      cmocka_unit_test(test_json_escaping), cmocka_unit_test(test_json_key_members), cmocka_unit_test(test_json_numbers_round_trip),
      cmocka_unit_test(test_outfile_atomic),
      cmocka_unit_test(test_read_missing_file),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
