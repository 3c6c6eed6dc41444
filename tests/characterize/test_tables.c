/* Tests of the characterize table files: power CSV/JSON round trips, delay
 * table binary round trip with CRC, and clear errors on damaged files. */
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

#include "pp/characterize.h"

static char g_dir[64];

static void path_in(char *buf, size_t n, const char *name) { snprintf(buf, n, "%s/%s", g_dir, name); }

static void write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static void fill_power(pp_char_power *p) {
  memset(p, 0, sizeof *p);
  p->w_min = -127;
  p->n_w = 255;
  for (int i = 0; i < 255; i++) p->dyn_uw[i] = 100 + sin(i) * 50 + i * 1e-3;
  p->dyn_uw[127] = 3;
  p->leak_uw = 12.5;
  p->clock_ps = 810.25;
  p->voltage = 0.8;
  p->transitions = 2000;
  p->seed = 42;
  p->uniform = 1;
  snprintf(p->source, sizeof p->source, "uniform");
  snprintf(p->lib, sizeof p->lib, "/x/y.lib");
}

static void test_power_roundtrip(void **st) {
  (void)st;
  pp_char_power p, q;
  fill_power(&p);
  char csv[128], js[128];
  path_in(csv, sizeof csv, "p.csv");
  path_in(js, sizeof js, "p.json");
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_char_power_write_csv(&p, csv, &e), PP_OK);
  assert_int_equal(pp_char_power_write_json(&p, js, &e), PP_OK);
  const char *files[2] = {csv, js};
  for (int k = 0; k < 2; k++) {
    assert_int_equal(pp_char_power_read(files[k], &q, &e), PP_OK);
    assert_int_equal(q.w_min, -127);
    assert_int_equal(q.n_w, 255);
    for (int i = 0; i < 255; i++) assert_true(q.dyn_uw[i] == p.dyn_uw[i]); /* %.17g is exact */
    assert_true(q.leak_uw == p.leak_uw && q.clock_ps == p.clock_ps);
    assert_true(q.transitions == 2000 && q.seed == 42 && q.uniform == 1);
    assert_string_equal(q.lib, "/x/y.lib");
  }
  assert_int_equal(pp_char_power_argmin_nonzero(&p) != 0, 1);
  remove(csv);
  remove(js);
}

static void test_power_bad_files(void **st) {
  (void)st;
  char f[128];
  path_in(f, sizeof f, "bad.csv");
  pp_char_power q;
  pp_err e;
  pp_err_clear(&e);
  write_text(f, "weight,power_uw,dynamic_uw,leakage_uw\n-1,3,2,1\n0,2,1,1\n1,x,2,1\n");
  assert_int_equal(pp_char_power_read(f, &q, &e), PP_EPARSE);
  assert_int_equal(e.line, 4);
  pp_err_clear(&e);
  write_text(f, "weight,power_uw,dynamic_uw,leakage_uw\n-1,3,2,1\n1,3,2,1\n");
  assert_int_equal(pp_char_power_read(f, &q, &e), PP_EPARSE);
  assert_non_null(strstr(e.msg, "missing"));
  pp_err_clear(&e);
  write_text(f, "weight,power_uw,dynamic_uw,leakage_uw\n-1,3,2,1\n0,9,1,1\n1,3,2,1\n");
  assert_int_equal(pp_char_power_read(f, &q, &e), PP_EPARSE);
  assert_int_equal(e.line, 3);
  pp_err_clear(&e);
  write_text(f, "hello\n");
  assert_int_equal(pp_char_power_read(f, &q, &e), PP_EPARSE);
  assert_int_equal(e.line, 1);
  pp_err_clear(&e);
  write_text(f, "{\"format\": \"other\"}");
  assert_int_equal(pp_char_power_read(f, &q, &e), PP_EPARSE);
  pp_err_clear(&e);
  /* the old format name (files written before the one JSON convention) is still read */
  write_text(f, "{\"format\": \"powerprune-power-1\", \"leakage_uw\": 1, \"clock_ps\": 5,\n \"dynamic_uw\": {\"0\": 1, \"1\": -2}}");
  assert_int_equal(pp_char_power_read(f, &q, &e), PP_EPARSE);
  assert_int_equal(e.line, 2);
  pp_err_clear(&e);
  write_text(f, "{\"format\": \"powerprune-power/1\", \"leakage_uw\": 1, \"clock_ps\": 5,\n \"dynamic_uw\": {\"0\": 1, \"1\": -2}}");
  assert_int_equal(pp_char_power_read(f, &q, &e), PP_EPARSE);
  assert_int_equal(e.line, 2);
  pp_err_clear(&e);
  write_text(f, "weight,power_uw,dynamic_uw,leakage_uw\n-1,3,2,1\n0,2,1,1\n1,3,2,1\n");
  assert_int_equal(pp_char_power_read(f, &q, &e), PP_OK);
  assert_int_equal(q.w_min, -1);
  assert_int_equal(q.n_w, 3);
  assert_int_equal(pp_char_power_read("/nonexistent/p.csv", &q, &e), PP_EIO);
  remove(f);
}

static void test_delay_roundtrip(void **st) {
  (void)st;
  pp_char_delay t, u;
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_char_delay_alloc(&t, -7, 15, 16, &e), PP_OK);
  pp_rng r;
  pp_rng_seed(&r, 1);
  for (size_t i = 0; i < (size_t)15 * 16 * 16; i++) t.d[i] = (uint16_t)pp_rng_below(&r, 65536);
  t.d_psum_ps = 77;
  t.sta_mult_ps = 123.5;
  t.sta_adder_max_ps = 45.25;
  t.sta_mac_ps = 170;
  char f[128];
  path_in(f, sizeof f, "d.bin");
  assert_int_equal(pp_char_delay_write(&t, f, &e), PP_OK);
  assert_int_equal(pp_char_delay_read(f, &u, &e), PP_OK);
  assert_int_equal(u.w_min, -7);
  assert_int_equal(u.n_w, 15);
  assert_int_equal(u.n_a, 16);
  assert_memory_equal(t.d, u.d, (size_t)15 * 16 * 16 * 2);
  assert_true(u.d_psum_ps == 77 && u.sta_mult_ps == 123.5 && u.sta_adder_max_ps == 45.25 && u.sta_mac_ps == 170);
  unsigned m = 0;
  for (int a = 0; a < 16; a++)
    for (int b = 0; b < 16; b++)
      if (pp_char_delay_at(&t, 3, a, b) > m) m = pp_char_delay_at(&t, 3, a, b);
  assert_int_equal(pp_char_delay_max_w(&t, 3), m);
  pp_char_delay_free(&u);
  /* flip one byte in the data: CRC catches it */
  FILE *fp = fopen(f, "r+b");
  fseek(fp, 100, SEEK_SET);
  int c = fgetc(fp);
  fseek(fp, 100, SEEK_SET);
  fputc(c ^ 0x10, fp);
  fclose(fp);
  assert_int_equal(pp_char_delay_read(f, &u, &e), PP_EPARSE);
  assert_non_null(strstr(e.msg, "CRC"));
  pp_err_clear(&e);
  /* truncated */
  assert_int_equal(truncate(f, 500), 0);
  assert_int_equal(pp_char_delay_read(f, &u, &e), PP_EPARSE);
  assert_non_null(strstr(e.msg, "truncated"));
  pp_err_clear(&e);
  write_text(f, "not a table at all, but long enough to hold a header of seventy-two bytes......");
  assert_int_equal(pp_char_delay_read(f, &u, &e), PP_EPARSE);
  assert_non_null(strstr(e.msg, "magic"));
  remove(f);
  pp_char_delay_free(&t);
}

int main(void) {
  snprintf(g_dir, sizeof g_dir, "/tmp/pp_char_XXXXXX");
  if (!mkdtemp(g_dir)) return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_power_roundtrip),
      cmocka_unit_test(test_power_bad_files),
      cmocka_unit_test(test_delay_roundtrip),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  rmdir(g_dir);
  return rc;
}
