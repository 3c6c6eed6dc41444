/* No user file name ever reaches a shell or a tool script as syntax: the
 * exploit of issue 15 against `mac synth` creates nothing and fails with a
 * clear message, and names full of shell/script syntax work as plain names
 * for --rtl, --lib and -o. Skipped where yosys is missing. */
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
#include "pp_hostile.h"

static char g_dir[512];

static int setup(void **st) {
  (void)st;
  snprintf(g_dir, sizeof g_dir, "%s/test_injection_%ld", PP_BINARY_DIR, (long)getpid());
  pp_err e;
  pp_err_clear(&e);
  char data[600];
  snprintf(data, sizeof data, "%s/data", g_dir);
  return pp_mkdirs(data, &e);
}

static int teardown(void **st) {
  (void)st;
  char *argv[] = {"rm", "-rf", g_dir, NULL};
  return pp_run(argv, NULL, NULL, NULL);
}

/* Runs the CLI in g_dir from an argument vector; its stderr into log. */
static int cli(char **args, char *log, size_t n) {
  char lp[600];
  snprintf(lp, sizeof lp, "%s/cli.log", g_dir);
  pp_run_opts o = {.cwd = g_dir, .log_path = lp, .stderr_mode = PP_RUN_STDERR_MERGE};
  int code = -1;
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_run(args, &o, &code, &e), PP_OK);
  char *d = NULL;
  assert_int_equal(pp_read_file(lp, &d, NULL, &e), PP_OK);
  snprintf(log, n, "%s", d);
  free(d);
  return code;
}

static void copy(const char *from, const char *to) {
  char *argv[] = {"cp", (char *)from, (char *)to, NULL};
  pp_run_opts o = {.cwd = g_dir};
  assert_int_equal(pp_run(argv, &o, NULL, NULL), PP_OK);
}

static int pwned(void) {
  char p[600];
  snprintf(p, sizeof p, "%s/pwned", g_dir);
  return access(p, F_OK) == 0 || access("pwned", F_OK) == 0;
}

static int have_yosys(void) {
  char *argv[] = {"yosys", "-V", NULL};
  pp_run_opts q = {.quiet = 1};
  return pp_run(argv, &q, NULL, NULL) == PP_OK;
}

/* The command line of the issue, verbatim. */
static void test_issue_exploit(void **st) {
  (void)st;
  const char *exe = getenv("PP_EXE");
  if (!exe) skip();
  copy(PP_SOURCE_DIR "/data/mac_rtl.v", "data/mac_rtl.v");
  char log[8192];
  char *args[] = {(char *)exe, "mac", "synth", "--rtl", "data/mac_rtl.v\"; exec -- touch pwned; echo \"",
                  "-o", "o.v", NULL};
  int code = cli(args, log, sizeof log);
  assert_int_not_equal(code, 0);
  assert_false(pwned());
  char o[600];
  snprintf(o, sizeof o, "%s/o.v", g_dir);
  assert_int_not_equal(access(o, F_OK), 0);
  assert_non_null(strstr(log, "cannot open"));
  assert_non_null(strstr(log, "data/mac_rtl.v\"; exec"));
}

/* Every hostile name as RTL, library and output: synthesis works on the
 * files so named, the result is an exact MAC, and nothing else runs. */
static void test_hostile_names_work(void **st) {
  (void)st;
  const char *exe = getenv("PP_EXE");
  if (!exe) skip();
  if (!have_yosys()) {
    fprintf(stderr, "yosys not installed: skip\n");
    skip();
  }
  for (size_t i = 0; i < PP_N_HOSTILE; i++) {
    char rtl[300], lib[300], out[300], log[8192];
    snprintf(rtl, sizeof rtl, "r%s.v", pp_hostile_names[i]);
    snprintf(lib, sizeof lib, "%s.lib", pp_hostile_names[(i + 1) % PP_N_HOSTILE]);
    snprintf(out, sizeof out, "%s", pp_hostile_names[(i + 2) % PP_N_HOSTILE]); /* incl. "-dash" */
    copy(PP_SOURCE_DIR "/data/mac_rtl.v", rtl);
    copy(PP_SOURCE_DIR "/data/pp_cells.lib", lib[0] == '-' ? "./-dash.lib" : lib);
    char *args[] = {(char *)exe, "mac", "synth", "--rtl", rtl, "--lib", lib, "--w-bits", "2", "--a-bits", "3",
                    "--p-bits", "6", "-o", out, NULL};
    int code = cli(args, log, sizeof log);
    if (code) fprintf(stderr, "%s\n", log);
    assert_int_equal(code, 0);
    assert_false(pwned());
    char *chk[] = {(char *)exe, "mac", "check", out[0] == '-' ? "./-dash" : out, "--lib", lib, "--json", NULL};
    code = cli(chk, log, sizeof log);
    assert_int_equal(code, 0);
    assert_non_null(strstr(log, "\"pairs_checked\": 32"));
    assert_non_null(strstr(log, "\"mismatches\": 0"));
  }
  /* nothing staged is left behind */
  char *ls[] = {"sh", "-c", "ls -a | grep -c pp-stage", NULL};
  pp_run_opts o = {.cwd = g_dir, .quiet = 1};
  int code = -1;
  assert_int_equal(pp_run(ls, &o, &code, NULL), PP_OK);
  assert_int_equal(code, 1); /* grep found nothing */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_issue_exploit),
      cmocka_unit_test(test_hostile_names_work),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
