/* Tests of the helpers every subcommand shares (src/cli/cli_util.c): loading
 * a netlist or the built-in MAC with its library, and the shared option
 * messages (tests/cli/test_cli_opt.c tests the table itself) as the commands
 * print them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli_util.c"

static void test_netlist_load(void **st) {
  (void)st;
  pp_err e;
  pp_err_clear(&e);
  pp_cli_netlist_src s;
  pp_cli_netlist_src_default(&s);
  s.mo.part = PP_MAC_MULT;
  s.mo.w_bits = 4;
  s.mo.a_bits = 3;
  pp_lib *lib;
  pp_netlist *nl;
  /* the built-in MAC, generated: the part and sizes asked for */
  assert_int_equal(pp_cli_netlist_load(&s, &lib, &nl, &e), PP_OK);
  int pw = pp_netlist_find_input(nl, "w"), pa = pp_netlist_find_input(nl, "a");
  assert_true(pw >= 0 && pa >= 0);
  assert_int_equal(nl->inputs[pw].width, 4);
  assert_int_equal(nl->inputs[pa].width, 3);
  assert_true(pp_netlist_find_output(nl, "prod") >= 0);
  assert_int_equal(pp_netlist_find_input(nl, "p"), -1);
  /* the same netlist read back from a file */
  char path[] = "/tmp/pp_cli_util_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  assert_int_equal(pp_mac_generate(&s.mo, lib, path, &e), PP_OK);
  pp_cli_netlist_src f = s;
  f.path = path;
  pp_lib *lib2;
  pp_netlist *nl2;
  assert_int_equal(pp_cli_netlist_load(&f, &lib2, &nl2, &e), PP_OK);
  assert_int_equal(nl2->n_gates, nl->n_gates);
  assert_string_equal(nl2->top, nl->top);
  pp_netlist_free(nl2);
  pp_lib_free(lib2);
  /* errors: both outputs NULL, the error names the file */
  f.path = "/nonexistent/mac.v";
  assert_int_equal(pp_cli_netlist_load(&f, &lib2, &nl2, &e), PP_EIO);
  assert_null(lib2);
  assert_null(nl2);
  assert_string_equal(e.file, "/nonexistent/mac.v");
  pp_err_clear(&e);
  f.path = path;
  f.lib_path = "/nonexistent/cells.lib";
  assert_true(pp_cli_netlist_load(&f, &lib2, &nl2, &e) != PP_OK);
  assert_null(lib2);
  assert_null(nl2);
  remove(path);
  pp_netlist_free(nl);
  pp_lib_free(lib);
}

/* The commands print the shared messages and exit with the usage code. */
static void test_commands(void **st) {
  (void)st;
  const char *exe = getenv("PP_EXE");
  assert_non_null(exe);
  static const struct {
    const char *args, *want;
  } cases[] = {
      {"sim --mult wallace --from a=1 --to a=2", "powerprune sim: --mult must be array or booth, not 'wallace'"},
      {"sta --part half", "powerprune sta: --part must be full, mult or adder, not 'half'"},
      {"characterize --uniform -o /nonexistent --adder=carry", "--adder must be ripple or prefix, not 'carry'"},
      {"timing -o /nonexistent --w-bits 9", "powerprune timing: --w-bits must be a whole number in 2..8, not '9'"},
      {"mac generate --p-bits 70 -o /nonexistent/x.v", "--p-bits must be a whole number in 4..64, not '70'"},
      {"mac synth --a-bits x -o /nonexistent/x.v", "--a-bits must be a whole number in 2..8, not 'x'"},
      {"estimate --check-model m --check-data d --mult foo", "--mult must be array or booth, not 'foo'"},
      {"run --mult wallace", "powerprune run: --mult must be array or booth, not 'wallace'"},
      {"run --adder=carry", "powerprune run: --adder must be ripple or prefix, not 'carry'"},
      {"check power --adder carry", "powerprune check power: --adder must be ripple or prefix, not 'carry'"},
      {"mac check --seed -1 x.v", "powerprune mac check: --seed must be a whole number >= 0, not '-1'"},
      {"select --method best", "powerprune select: --method must be search, greedy or random, not 'best'"},
      {"export m.onnx -o x --format int4", "powerprune export: --format must be float or qdq, not 'int4'"},
  };
  for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
    char cmd[1024], out[2048];
    snprintf(cmd, sizeof cmd, "'%s' %s 2>&1", exe, cases[k].args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = 0;
    int stt = pclose(p);
    assert_true(WIFEXITED(stt));
    assert_int_equal(WEXITSTATUS(stt), PP_EXIT_USAGE);
    if (!strstr(out, cases[k].want)) fail_msg("'%s' printed '%s', expected '%s'", cases[k].args, out, cases[k].want);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_netlist_load),
      cmocka_unit_test(test_commands),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
