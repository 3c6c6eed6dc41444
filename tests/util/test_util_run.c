/* Tests of util/run: programs run from argument vectors with no shell, so
 * hostile arguments arrive byte for byte; exit codes, missing programs and
 * the staging folder behave as documented. */
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

#include "pp/util.h"
#include "pp_hostile.h"

static char g_dir[512];

static int setup(void **st) {
  (void)st;
  snprintf(g_dir, sizeof g_dir, "%s/test_run_%ld", PP_BINARY_DIR, (long)getpid());
  pp_err e;
  pp_err_clear(&e);
  return pp_mkdirs(g_dir, &e);
}

static int teardown(void **st) {
  (void)st;
  char *argv[] = {"rm", "-rf", g_dir, NULL};
  return pp_run(argv, NULL, NULL, NULL);
}

/* The argument reaches the program unchanged and nothing it names runs. */
static void test_arguments_verbatim(void **st) {
  (void)st;
  for (size_t i = 0; i < PP_N_HOSTILE; i++) {
    char *argv[] = {"printf", "%s", (char *)pp_hostile_names[i], NULL};
    pp_run_opts o = {.cwd = g_dir};
    pp_proc p;
    pp_err e;
    pp_err_clear(&e);
    assert_int_equal(pp_proc_start(argv, &o, &p, &e), PP_OK);
    char buf[256];
    size_t n = fread(buf, 1, sizeof buf - 1, p.out);
    buf[n] = 0;
    int code = -1;
    assert_int_equal(pp_proc_finish(&p, &code, &e), PP_OK);
    assert_int_equal(code, 0);
    assert_string_equal(buf, pp_hostile_names[i]);
  }
  char pw[600];
  snprintf(pw, sizeof pw, "%s/pwned", g_dir);
  assert_int_not_equal(access(pw, F_OK), 0);
}

static void test_exit_codes(void **st) {
  (void)st;
  pp_err e;
  pp_err_clear(&e);
  char *f[] = {"false", NULL};
  int code = -1;
  assert_int_equal(pp_run(f, NULL, &code, &e), PP_OK);
  assert_int_equal(code, 1);
  /* without a code pointer a failure is an error naming the program */
  assert_int_equal(pp_run(f, NULL, NULL, &e), PP_EIO);
  assert_non_null(strstr(e.msg, "false"));
  assert_non_null(strstr(e.msg, "exit status 1"));
  pp_err_clear(&e);
  char *missing[] = {"pp-no-such-program-xyz", NULL};
  assert_int_equal(pp_run(missing, NULL, &code, &e), PP_EIO);
  assert_non_null(strstr(e.msg, "pp-no-such-program-xyz"));
  assert_non_null(strstr(e.msg, "not installed"));
  /* a log file gets stdout (and stderr when merged) */
  char log[600];
  snprintf(log, sizeof log, "%s/log.txt", g_dir);
  char *sh[] = {"sh", "-c", "echo out; echo err >&2", NULL};
  pp_run_opts o = {.log_path = log, .stderr_mode = PP_RUN_STDERR_MERGE};
  pp_err_clear(&e);
  assert_int_equal(pp_run(sh, &o, NULL, &e), PP_OK);
  char *data;
  size_t len;
  assert_int_equal(pp_read_file(log, &data, &len, &e), PP_OK);
  assert_string_equal(data, "out\nerr\n");
  free(data);
  /* a cwd that does not exist is an error naming it */
  pp_run_opts bad = {.cwd = "/nonexistent/dir"};
  pp_err_clear(&e);
  assert_int_equal(pp_run(f, &bad, &code, &e), PP_EIO);
  assert_string_equal(e.file, "/nonexistent/dir");
}

/* The stage gives hostile names fixed safe aliases and cleans up after itself. */
static void test_stage(void **st) {
  (void)st;
  pp_err e;
  pp_err_clear(&e);
  char src[600];
  snprintf(src, sizeof src, "%s/%s.v", g_dir, pp_hostile_names[0]);
  FILE *f = fopen(src, "w");
  assert_non_null(f);
  fputs("module m; endmodule\n", f);
  fclose(f);
  pp_stage s;
  assert_int_equal(pp_stage_open(&s, src, &e), PP_OK);
  assert_int_equal(strncmp(s.dir, g_dir, strlen(g_dir)), 0); /* beside the file */
  assert_int_equal(pp_stage_link(&s, "in.v", src, &e), PP_OK);
  char out[4300];
  assert_int_equal(pp_stage_path(&s, "out.v", out, sizeof out, &e), PP_OK);
  char *cp[] = {"cp", "in.v", "out.v", NULL};
  pp_run_opts o = {.cwd = s.dir};
  assert_int_equal(pp_run(cp, &o, NULL, &e), PP_OK);
  char *data;
  assert_int_equal(pp_read_file(out, &data, NULL, &e), PP_OK);
  assert_string_equal(data, "module m; endmodule\n");
  free(data);
  /* unsafe names and missing targets are refused */
  assert_int_equal(pp_stage_link(&s, "a b", src, &e), PP_EINTERNAL);
  pp_err_clear(&e);
  assert_int_equal(pp_stage_link(&s, "x.v", "/nonexistent.v", &e), PP_EIO);
  assert_string_equal(e.file, "/nonexistent.v");
  pp_err_clear(&e);
  assert_int_equal(pp_stage_link(&s, "d.v", g_dir, &e), PP_EIO);
  assert_non_null(strstr(e.msg, "not a regular file"));
  char dir[4160];
  snprintf(dir, sizeof dir, "%s", s.dir);
  pp_stage_close(&s);
  struct stat sb;
  assert_int_not_equal(stat(dir, &sb), 0);
  assert_int_equal(access(src, F_OK), 0); /* the user's file stays */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_arguments_verbatim),
      cmocka_unit_test(test_exit_codes),
      cmocka_unit_test(test_stage),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
