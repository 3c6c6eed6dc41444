/* The stated assumptions of the timing commands: `sta --json` records the
 * input slew, output load, wire model and delay model it used, the options
 * change them (and the critical path with them), and bad values are usage
 * errors. Runs the built CLI (env PP_EXE) without a shell. */
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

/* Runs the CLI with args; returns its stdout (caller frees), *code its exit. */
static char *run(const char *const *args, int *code) {
  const char *exe = getenv("PP_EXE");
  assert_non_null(exe);
  const char *argv[16];
  int n = 0;
  argv[n++] = exe;
  for (; args[n - 1] && n < 15; n++) argv[n] = args[n - 1];
  argv[n] = NULL;
  char out[256];
  snprintf(out, sizeof out, "%s/pp_assume_%d.out", P_tmpdir, (int)getpid());
  pp_err e;
  pp_err_clear(&e);
  pp_run_opts o = {.log_path = out, .stderr_mode = PP_RUN_STDERR_NULL};
  assert_int_equal(pp_run((char *const *)argv, &o, code, &e), PP_OK);
  char *text = NULL;
  size_t len;
  assert_int_equal(pp_read_file(out, &text, &len, &e), PP_OK);
  remove(out);
  return text;
}

static double num_after(const char *text, const char *key) {
  const char *p = strstr(text, key);
  assert_non_null(p);
  return atof(p + strlen(key));
}

static void test_sta_assumptions(void **st) {
  (void)st;
  int code;
  const char *a0[] = {"sta", "--json", NULL};
  char *t0 = run(a0, &code);
  assert_int_equal(code, 0);
  assert_non_null(strstr(t0, "\"assumptions\""));
  /* the built-in library's own figures (data/pp_cells.lib) */
  assert_true(num_after(t0, "\"input_slew_ps\": ") == 8.0);
  assert_true(num_after(t0, "\"output_load_ff\": ") > 0.59 && num_after(t0, "\"output_load_ff\": ") < 0.61);
  assert_non_null(strstr(t0, "\"delay_model\": \"transport\""));
  double crit0 = num_after(t0, "\"critical_path_ps\": ");
  const char *a1[] = {"sta", "--json", "--input-slew", "40", "--output-load", "5", "--wire-cap", "0.5", NULL};
  char *t1 = run(a1, &code);
  assert_int_equal(code, 0);
  assert_true(num_after(t1, "\"input_slew_ps\": ") == 40.0);
  assert_true(num_after(t1, "\"output_load_ff\": ") == 5.0);
  assert_true(num_after(t1, "\"cap_ff\": ") == 0.5);
  /* slower edges and heavier loads: a longer critical path */
  assert_true(num_after(t1, "\"critical_path_ps\": ") > crit0 + 10);
  free(t0);
  free(t1);
  const char *bad[] = {"sta", "--output-load", "-1", NULL};
  free(run(bad, &code));
  assert_int_equal(code, 2);
  const char *bad2[] = {"sta", "--delay-model", "fast", NULL};
  free(run(bad2, &code));
  assert_int_equal(code, 2);
}

/* Writes text to path with groups inserted before its first pp_wire_cap
 * line and every pp_wire_cap* attribute renamed out of the way (other tools
 * ignore unknown attributes; so does our reader). */
static void write_with_wire_loads(const char *text, const char *groups, const char *path) {
  const char *at = strstr(text, "  pp_wire_cap : ");
  assert_non_null(at);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fwrite(text, 1, (size_t)(at - text), f);
  fputs(groups, f);
  for (const char *p = at; *p;) {
    const char *q = strstr(p, "pp_wire_cap");
    if (!q) {
      fputs(p, f);
      break;
    }
    fwrite(p, 1, (size_t)(q - p), f);
    fputs("pp_unused_wire_cap", f);
    p = q + strlen("pp_wire_cap");
  }
  fclose(f);
}

/* --wire-load on a library with wire_load groups (the project's library
 * plus two groups, its pp_wire_cap attributes left out): the default is its
 * default_wire_load, "none" drops it, a name selects another group, and
 * each is recorded in "assumptions"; an unknown name fails, naming the
 * groups there are. */
static void test_wire_load_option(void **st) {
  (void)st;
  char *lib = NULL;
  size_t len;
  pp_err e;
  pp_err_clear(&e);
  const char *src = getenv("PP_LIB");
  char def[1024];
  snprintf(def, sizeof def, "%s/../data/pp_cells.lib", PP_BINARY_DIR);
  assert_int_equal(pp_read_file(src ? src : def, &lib, &len, &e), PP_OK);
  char path[256];
  snprintf(path, sizeof path, "%s/pp_wl_%d.lib", P_tmpdir, (int)getpid());
  write_with_wire_loads(lib,
                        "  wire_load (\"small\") { capacitance : 0.4; resistance : 0.01; slope : 1.5;\n"
                        "    fanout_length (1, 1.0); fanout_length (2, 2.2); fanout_length (4, 4.0); }\n"
                        "  wire_load (\"big\") { capacitance : 2; slope : 2; fanout_length (1, 2); }\n"
                        "  default_wire_load : \"small\";\n",
                        path);
  /* the library's linear estimate is gone: only the wire_load group is left */
  int code;
  const char *a0[] = {"sta", "--json", "--lib", path, NULL};
  char *t0 = run(a0, &code);
  assert_int_equal(code, 0);
  assert_non_null(strstr(t0, "\"wire_load\": \"small\""));
  assert_true(num_after(t0, "\"cap_ff\": ") == 0 && num_after(t0, "\"cap_per_fanout_ff\": ") == 0);
  const char *a1[] = {"sta", "--json", "--lib", path, "--wire-load", "none", NULL};
  char *t1 = run(a1, &code);
  assert_int_equal(code, 0);
  assert_non_null(strstr(t1, "\"wire_load\": null"));
  const char *a2[] = {"sta", "--json", "--lib", path, "--wire-load", "big", NULL};
  char *t2 = run(a2, &code);
  assert_int_equal(code, 0);
  assert_non_null(strstr(t2, "\"wire_load\": \"big\""));
  double c0 = num_after(t0, "\"critical_path_ps\": "), c1 = num_after(t1, "\"critical_path_ps\": "),
         c2 = num_after(t2, "\"critical_path_ps\": ");
  /* more wire, slower paths */
  assert_true(c1 < c0 && c0 < c2);
  free(t0), free(t1), free(t2);
  const char *bad[] = {"sta", "--lib", path, "--wire-load", "nosuch", NULL};
  free(run(bad, &code));
  assert_int_not_equal(code, 0);
  remove(path);
  /* a non-physical wire estimate is a parse error, not a 24 ps critical path */
  write_with_wire_loads(lib, "  pp_wire_cap : -100;\n", path);
  const char *neg[] = {"sta", "--lib", path, NULL};
  char *tn = run(neg, &code);
  assert_int_equal(code, 3);
  assert_null(strstr(tn, "critical path"));
  free(tn);
  remove(path);
  free(lib);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_sta_assumptions), cmocka_unit_test(test_wire_load_option)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
