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
  write_text(f, "weight,power_uw,dynamic_uw,leakage_uw\n-1,3,2,1\n0,2,1,1\n1,3,2,1\n");
  assert_int_equal(pp_char_power_read(f, &q, &e), PP_OK);
  assert_int_equal(q.w_min, -1);
  assert_int_equal(q.n_w, 3);
  assert_int_equal(pp_char_power_read("/nonexistent/p.csv", &q, &e), PP_EIO);
  remove(f);
}

/* text with the first `from` after `after` replaced by `to` (malloc'd) */
static char *edit(const char *text, const char *after, const char *from, const char *to, int *line) {
  const char *base = after ? strstr(text, after) : text;
  assert_non_null(base);
  const char *at = strstr(base, from);
  assert_non_null(at);
  *line = 1;
  for (const char *c = text; c < at; c++) *line += *c == '\n';
  size_t pre = (size_t)(at - text);
  char *t = malloc(strlen(text) + strlen(to) + 1);
  assert_non_null(t);
  memcpy(t, text, pre);
  strcpy(t + pre, to);
  strcat(t, at + strlen(from));
  return t;
}

/* power.json is read strictly: each damaged file gives one error at the
 * damaged value's line with the member's path and what was expected. */
static void test_power_json_strict(void **st) {
  (void)st;
  pp_char_power p, q;
  fill_power(&p);
  p.input_slew_ps = 20;
  p.output_load_ff = 1.5;
  snprintf(p.wire_load, sizeof p.wire_load, "%s", "wl_small");
  char js[128], f[128];
  path_in(js, sizeof js, "strict.json");
  path_in(f, sizeof f, "edited.json");
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_char_power_write_json(&p, js, &e), PP_OK);
  char *text;
  assert_int_equal(pp_read_file(js, &text, NULL, &e), PP_OK);
  assert_int_equal(pp_char_power_read(js, &q, &e), PP_OK);
  assert_true(q.input_slew_ps == 20 && q.output_load_ff == 1.5 && q.inertial == 0);
  assert_string_equal(q.wire_load, "wl_small"); /* the wire_load group the nets added */
  static const struct {
    const char *after, *from, *to;
    int same_line; /* the error is at the edited line (else at the enclosing object) */
    const char *what;
  } bad[] = {
      {NULL, "\"leakage_uw\": ", "\"leakage_uw\": null, \"x\": ", 1,
       "\"leakage_uw\": expected a number in [0, 1000000000], got null"},
      {NULL, "\"leakage_uw\": ", "\"leakage_uw\": \"12.5\", \"x\": ", 1, "got \"12.5\""},
      {NULL, "\"leakage_uw\": ", "\"leakage_uw\": -0.5, \"x\": ", 1, "got -0.5"},
      {NULL, "\"leakage_uw\": ", "\"leakage_uw\": 1e999, \"x\": ", 1, "expected a finite number"},
      {NULL, "\"clock_ps\": ", "\"clock_ps\": 0, \"x\": ", 1, "\"clock_ps\": expected a number > 0, got 0"},
      {NULL, "\"clock_ps\": ", "\"clock_ps\": -810, \"x\": ", 1, "got -810"},
      {NULL, "\"clock_ps\": ", "\"clock_ps\": 1e308, \"x\": ", 1, "got 1e+308"},
      {NULL, "\"voltage\": ", "\"voltage\": -0.8, \"x\": ", 1, "\"voltage\": expected a number in [0, 100]"},
      {NULL, "\"voltage\": ", "\"x\": ", 0, "\"voltage\": missing; expected a number"},
      {NULL, "\"clock_ps\": ", "\"clock_ps\": 1, \"clock_ps\": ", 1, "\"clock_ps\" given twice"},
      {NULL, "\"seed\": 42", "\"seed\": \"42\"", 1, "\"options.seed\": expected an integer"},
      {NULL, "\"seed\": 42", "\"seed\": 42.5", 1, "\"options.seed\": expected an integer"},
      {NULL, "\"uniform\": true", "\"uniform\": 1", 1, "\"options.uniform\": expected true or false, got 1"},
      {NULL, "\"transitions\": 2000", "\"transitions\": -1", 1, "\"options.transitions\": expected an integer in [0, "},
      {NULL, "\"inputs\"", "\"inputz\"", 0, "\"inputs\": missing; expected an object"},
      {NULL, "\"delay_model\": \"transport\"", "\"delay_model\": \"fast\"", 1,
       "\"assumptions.delay_model\": expected \"inertial\" or \"transport\""},
      {"\"dynamic_uw\"", "\"0\": ", "\"0\": -3, \"x\": ", 1, "\"dynamic_uw.0\": expected a number in [0, "},
      {"\"dynamic_uw\"", "\"0\": ", "\"00\": ", 1, "\"dynamic_uw.00\": expected a weight value in -128..127"},
      {"\"dynamic_uw\"", "\"0\": ", "\"200\": ", 1, "\"dynamic_uw.200\": expected a weight value"},
      {"\"dynamic_uw\"", "\"0\": 3.0,", "", 0, "\"dynamic_uw.0\": missing; expected every weight from -127 to 127"},
      {"\"power_uw\": {", "\"0\": 15.5", "\"0\": 16.5", 1,
       "\"power_uw.0\": expected dynamic_uw + leakage_uw = 15.5 (relative tolerance 1e-09), got 16.5"},
      {"\"power_uw\": {", "\"0\": 15.5", "\"0\": \"15.5\"", 1, "\"power_uw.0\": expected a number in [0, 1000000000], got \"15.5\""},
      {"\"power_uw\": {", "\"0\": 15.5,", "", 0, "\"power_uw.0\": missing; expected a power for every weight"},
      {NULL, "\"power_uw\": {", "\"power_uw\": 7, \"x\": {", 1, "\"power_uw\": expected an object, got 7"},
      {NULL, "\"power_uw\": {", "\"x\": {", 0, "\"power_uw\": missing; expected an object"},
      {NULL, "\"zero_power_uw\": 15.5", "\"zero_power_uw\": 15", 1, "\"zero_power_uw\": expected power_uw.0 = 15.5"},
      {"\"max_nonzero\"", "\"weight\": ", "\"weight\": 5, \"x\": ", 1, "\"max_nonzero.weight\": expected "},
      {NULL, "\"format\": \"powerprune-power/1\"", "\"format\": \"powerprune-power/2\"", 1,
       "\"format\": expected \"powerprune-power/1\""},
  };
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    int line;
    char *t = edit(text, bad[k].after, bad[k].from, bad[k].to, &line);
    write_text(f, t);
    free(t);
    pp_err_clear(&e);
    int rc = pp_char_power_read(f, &q, &e);
    if (rc != PP_EPARSE) fail_msg("case %zu: %d, expected PP_EPARSE", k, rc);
    if (!strstr(e.msg, bad[k].what) || (bad[k].same_line && e.line != line) || e.line < 1 || e.col < 1)
      fail_msg("case %zu: %d:%d: %s\n  expected at line %d: %s", k, e.line, e.col, e.msg, line, bad[k].what);
    assert_string_equal(e.file, f);
  }
  free(text);
  remove(js);
  remove(f);
}

/* A seed above 2^53 (and above 2^63) reads back bit for bit from both files;
 * a seed >= 2^63 that an older writer stored as a negative int64 reads as
 * the same 64 bits. */
static void test_power_seed_roundtrip(void **st) {
  (void)st;
  const uint64_t seeds[] = {(1ULL << 53) + 1, 0x7fffffffffffffffULL, 0xfedcba9876543211ULL, UINT64_MAX};
  char csv[128], js[128];
  path_in(csv, sizeof csv, "s.csv");
  path_in(js, sizeof js, "s.json");
  for (size_t k = 0; k < sizeof seeds / sizeof seeds[0]; k++) {
    pp_char_power p, q;
    fill_power(&p);
    p.seed = seeds[k];
    pp_err e;
    pp_err_clear(&e);
    assert_int_equal(pp_char_power_write_csv(&p, csv, &e), PP_OK);
    assert_int_equal(pp_char_power_write_json(&p, js, &e), PP_OK);
    assert_int_equal(pp_char_power_read(csv, &q, &e), PP_OK);
    assert_true(q.seed == seeds[k]);
    assert_int_equal(pp_char_power_read(js, &q, &e), PP_OK);
    if (q.seed != seeds[k]) fail_msg("seed %llu read back as %llu", (unsigned long long)seeds[k], (unsigned long long)q.seed);
  }
  /* the old writer's pp_json_int((long long)seed) */
  char *text;
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_read_file(js, &text, NULL, &e), PP_OK);
  int line;
  char *t = edit(text, NULL, "\"seed\": 18446744073709551615", "\"seed\": -1", &line);
  write_text(js, t);
  pp_char_power q;
  assert_int_equal(pp_char_power_read(js, &q, &e), PP_OK);
  assert_true(q.seed == UINT64_MAX);
  free(t);
  free(text);
  remove(csv);
  remove(js);
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
      cmocka_unit_test(test_power_json_strict),
      cmocka_unit_test(test_power_seed_roundtrip),
      cmocka_unit_test(test_delay_roundtrip),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  rmdir(g_dir);
  return rc;
}
