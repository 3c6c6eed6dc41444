/* `powerprune run --dry-run` and `run --config FILE`: the run file holds every
 * option with the value the run would use (numbers exactly, a 64-bit seed
 * too), reading it back gives the same run file, options on the command line
 * win over it, and a bad run file is refused with one error naming the file
 * and the key before any work (no output folder appears). The CLI runs in
 * the test's folder: every path is absolute. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pp/util_json.h"
#include "pp_test.h"

static char dir[256];

static int setup(void **st) {
  (void)st;
  return pp_test_tmpdir(dir, sizeof dir, "pp_test_run_file");
}

static int teardown(void **st) {
  (void)st;
  return pp_test_rmtree(dir);
}

static void write_text(const char *rel, const char *text) {
  FILE *f = fopen(pp_test_path(dir, rel), "w");
  assert_non_null(f);
  fputs(text, f);
  assert_int_equal(fclose(f), 0);
}

static void parse(const char *text, pp_jv *v) {
  pp_err e;
  pp_err_clear(&e);
  if (pp_jv_parse(text, "stdout", v, &e)) fail_msg("stdout is not one JSON document: %s\n%s", e.msg, text);
}

static void test_dry_run_and_config(void **st) {
  (void)st;
  if (!getenv("PP_EXE")) skip();
  char *a = NULL, *b = NULL, *c = NULL;
  assert_int_equal(pp_test_cli(dir, &a, "run", "--quick", "--tolerance", "0.3", "--seed", "18446744073709551615",
                               "--power-counts", "96,32", "--no-final-prune", "--mult", "array", "--out",
                               pp_test_path(dir, "first"), "--dry-run", NULL),
                   0);
  pp_jv v;
  parse(a, &v);
  assert_string_equal(pp_jv_str(&v, "format", ""), "powerprune-run/1");
  assert_true(pp_jv_num(&v, "options.tolerance", 0) == 0.3); /* %.17g: the same double */
  uint64_t seed = 0;
  assert_int_equal(pp_jv_uint64(&v, "options.seed", &seed), PP_OK);
  assert_true(seed == UINT64_MAX);
  const pp_jv *pc = pp_jv_path(&v, "options.power-counts");
  assert_non_null(pc);
  assert_int_equal(pc->type, PP_JV_ARR);
  assert_int_equal(pc->n, 2);
  assert_true(pc->items[0].num == 96 && pc->items[1].num == 32);
  assert_int_equal(pp_jv_path(&v, "options.quick")->type, PP_JV_BOOL);
  assert_true(pp_jv_path(&v, "options.quick")->num == 1);
  assert_true(pp_jv_path(&v, "options.final-prune")->num == 0);
  assert_string_equal(pp_jv_str(&v, "options.mult", ""), "array");
  assert_string_equal(pp_jv_str(&v, "options.out", ""), pp_test_path(dir, "first"));
  assert_int_equal(pp_jv_path(&v, "options.val-images")->type, PP_JV_NULL); /* the flow's default */
  assert_null(pp_jv_path(&v, "options.dry-run")); /* how the command ran is no option of the run */
  assert_null(pp_jv_path(&v, "options.json"));
  pp_jv_free(&v);
  struct stat sb;
  assert_int_not_equal(stat(pp_test_path(dir, "first"), &sb), 0); /* a dry run makes nothing */

  /* the file read back is the same run */
  write_text("run.json", a);
  assert_int_equal(pp_test_cli(dir, &b, "run", "--config", pp_test_path(dir, "run.json"), "--dry-run", NULL), 0);
  assert_string_equal(a, b);
  /* the command line wins over the file, wherever it stands */
  assert_int_equal(pp_test_cli(dir, &c, "run", "--tolerance", "2", "--config", pp_test_path(dir, "run.json"), "--out", "second",
                               "--final-prune", "--dry-run", NULL),
                   0);
  parse(c, &v);
  assert_true(pp_jv_num(&v, "options.tolerance", 0) == 2);
  assert_string_equal(pp_jv_str(&v, "options.out", ""), "second");
  assert_true(pp_jv_path(&v, "options.final-prune")->num == 1);
  assert_int_equal(pp_jv_uint64(&v, "options.seed", &seed), PP_OK); /* the rest from the file */
  assert_true(seed == UINT64_MAX);
  assert_string_equal(pp_jv_str(&v, "options.mult", ""), "array");
  pp_jv_free(&v);
  free(a);
  free(b);
  free(c);
}

static void test_bad_run_file(void **st) {
  (void)st;
  if (!getenv("PP_EXE")) skip();
  static const struct {
    const char *text, *expect;
  } cases[] = {
      {"{\"format\": \"powerprune-run/1\", \"options\": {\"tolerence\": 2}}", "options.tolerence"},
      {"{\"format\": \"powerprune-run/1\", \"options\": {\"tolerance\": \"2\"}}", "options.tolerance"},
      {"{\"format\": \"powerprune-run/1\", \"options\": {\"array\": 1.5}}", "options.array"},
      {"{\"format\": \"powerprune-run/1\", \"options\": {\"model\": \"vgg16\"}}", "options.model"},
      {"{\"format\": \"powerprune-run/1\", \"options\": {\"quick\": 1}}", "options.quick"},
      {"{\"format\": \"powerprune-run/1\", \"options\": {\"seed\": -1}}", "options.seed"},
      {"{\"format\": \"powerprune-run/1\", \"options\": {\"power-counts\": [96, 300]}}", "options.power-counts"},
      {"{\"format\": \"powerprune-run/1\", \"options\": {\"json\": true}}", "options.json"},
      {"{\"format\": \"powerprune-run/2\", \"options\": {}}", "format"},
      {"{\"options\": {}}", "format"},
      {"{\"format\": \"powerprune-run/1\"}", "options"},
      {"{\"format\": \"powerprune-run/1\", \"options\": {}, \"extra\": 1}", "extra"},
      {"{\"format\": \"powerprune-run/1\", \"options\": {}", "bad.json:1:"},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    write_text("bad.json", cases[k].text);
    int rc = pp_test_cli(dir, NULL, "run", "--config", pp_test_path(dir, "bad.json"), "--out",
                         pp_test_path(dir, "never"), NULL);
    char *err = pp_test_slurp(pp_test_path(dir, "stderr.txt"));
    assert_non_null(err);
    if (rc != 3 || !strstr(err, "bad.json") || !strstr(err, cases[k].expect))
      fail_msg("%s: exit %d, stderr '%s' (expected 3 and bad.json, %s)", cases[k].text, rc, err, cases[k].expect);
    free(err);
    struct stat sb;
    assert_int_not_equal(stat(pp_test_path(dir, "never"), &sb), 0); /* refused before any work */
  }
  assert_int_not_equal(pp_test_cli(dir, NULL, "run", "--config", pp_test_path(dir, "missing.json"), "--dry-run", NULL), 0);
  char *err = pp_test_slurp(pp_test_path(dir, "stderr.txt"));
  assert_non_null(strstr(err, "missing.json"));
  free(err);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_dry_run_and_config),
      cmocka_unit_test(test_bad_run_file),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
