/* Tests of the helpers every subcommand shares (src/cli/cli_util.c): the
 * option-value reader, the MAC generator options (each bad value gets one
 * usage error naming the option, what it takes and the value given), loading
 * a netlist or the built-in MAC with its library, and the same messages as
 * the commands print them. */
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

/* Calls fn with stderr captured into buf. */
#define CAPTURE_STDERR(buf, call)                                      \
  do {                                                                 \
    fflush(stderr);                                                    \
    FILE *tmp_ = tmpfile();                                            \
    assert_non_null(tmp_);                                             \
    int saved_ = dup(2);                                               \
    dup2(fileno(tmp_), 2);                                             \
    call;                                                              \
    fflush(stderr);                                                    \
    dup2(saved_, 2);                                                   \
    close(saved_);                                                     \
    rewind(tmp_);                                                      \
    size_t n_ = fread((buf), 1, sizeof(buf) - 1, tmp_);                \
    (buf)[n_] = 0;                                                     \
    fclose(tmp_);                                                      \
  } while (0)

static void test_optval(void **st) {
  (void)st;
  char *argv[] = {"x", "--lib", "a.lib", "--lib=b.lib", "--library", "c", "--lib"};
  int argc = 7, i = 1;
  const char *v = pp_cli_optval(argc, argv, &i, "--lib");
  assert_string_equal(v, "a.lib");
  assert_int_equal(i, 2); /* moved onto the value */
  i = 3;
  assert_string_equal(pp_cli_optval(argc, argv, &i, "--lib"), "b.lib");
  assert_int_equal(i, 3);
  i = 4;
  assert_null(pp_cli_optval(argc, argv, &i, "--lib")); /* a longer option is another one */
  assert_int_equal(i, 4);
  i = 6;
  assert_string_equal(pp_cli_optval(argc, argv, &i, "--lib"), ""); /* value missing */
}

static void test_mac_gen_option_applies(void **st) {
  (void)st;
  pp_mac_opts mo;
  pp_mac_opts_default(&mo);
  assert_int_equal(pp_cli_mac_gen_option("t", "--mult", "booth", 64, &mo), 1);
  assert_int_equal(mo.mult, PP_MULT_BOOTH);
  assert_int_equal(pp_cli_mac_gen_option("t", "--adder", "prefix", 64, &mo), 1);
  assert_int_equal(mo.adder, PP_ADDER_PREFIX);
  assert_int_equal(pp_cli_mac_gen_option("t", "--part", "adder", 64, &mo), 1);
  assert_int_equal(mo.part, PP_MAC_ADDER);
  assert_int_equal(pp_cli_mac_gen_option("t", "--part", "full", 64, &mo), 1);
  assert_int_equal(mo.part, PP_MAC_FULL);
  assert_int_equal(pp_cli_mac_gen_option("t", "--w-bits", "4", 64, &mo), 1);
  assert_int_equal(pp_cli_mac_gen_option("t", "--a-bits", "2", 64, &mo), 1);
  assert_int_equal(pp_cli_mac_gen_option("t", "--p-bits", "31", 31, &mo), 1);
  assert_int_equal(mo.w_bits, 4);
  assert_int_equal(mo.a_bits, 2);
  assert_int_equal(mo.p_bits, 31);
  /* not a generator option: untouched, 0 */
  pp_mac_opts before = mo;
  assert_int_equal(pp_cli_mac_gen_option("t", "--lib", "x", 64, &mo), 0);
  assert_int_equal(pp_cli_mac_gen_option("t", "--multiplier", "booth", 64, &mo), 0);
  assert_memory_equal(&before, &mo, sizeof mo);
  assert_int_equal(pp_cli_mac_arch("t", "--mult", "array", &mo), 0);
  assert_int_equal(mo.mult, PP_MULT_ARRAY);
}

static void test_mac_gen_option_rejects(void **st) {
  (void)st;
  static const struct {
    const char *opt, *v;
    int p_max;
    const char *want;
  } bad[] = {
      {"--mult", "wallace", 64, "cmdx: --mult must be array or booth, not 'wallace'"},
      {"--adder", "carry", 64, "cmdx: --adder must be ripple or prefix, not 'carry'"},
      {"--part", "", 64, "cmdx: --part must be full, mult or adder, not ''"},
      {"--w-bits", "9", 64, "cmdx: --w-bits must be a whole number in 2..8, not '9'"},
      {"--a-bits", "1", 64, "cmdx: --a-bits must be a whole number in 2..8, not '1'"},
      {"--a-bits", "4x", 64, "cmdx: --a-bits must be a whole number in 2..8, not '4x'"},
      {"--p-bits", "32", 31, "cmdx: --p-bits must be a whole number in 4..31, not '32'"},
      {"--p-bits", "65", 64, "cmdx: --p-bits must be a whole number in 4..64, not '65'"},
  };
  for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
    pp_mac_opts mo, before;
    pp_mac_opts_default(&mo);
    before = mo;
    char buf[512];
    int r = 0;
    CAPTURE_STDERR(buf, r = pp_cli_mac_gen_option("cmdx", bad[k].opt, bad[k].v, bad[k].p_max, &mo));
    assert_int_equal(r, -1);
    assert_non_null(strstr(buf, bad[k].want));
    assert_non_null(strstr(buf, "(see 'powerprune cmdx --help')"));
    assert_null(strchr(strchr(buf, '\n') + 1, '\n')); /* one line */
    assert_memory_equal(&before, &mo, sizeof mo);     /* nothing applied */
  }
  char buf[512];
  pp_mac_opts mo;
  pp_mac_opts_default(&mo);
  int r = 0;
  CAPTURE_STDERR(buf, r = pp_cli_mac_arch("cmdx", "--w-bits", "4", &mo));
  assert_int_equal(r, PP_EXIT_USAGE); /* sizes are not architecture options */
  assert_int_equal(mo.w_bits, 8);
}

static void test_netlist_option(void **st) {
  (void)st;
  char *argv[] = {"x", "--lib", "l.lib", "--top", "T", "--adder", "prefix", "--mult", "bad", "--json", "--lib"};
  int argc = 11;
  pp_cli_netlist_src s;
  pp_cli_netlist_src_default(&s);
  int i = 1;
  assert_int_equal(pp_cli_netlist_option("t", argc, argv, &i, &s), 1);
  assert_int_equal(i, 2);
  assert_string_equal(s.lib_path, "l.lib");
  i = 3;
  assert_int_equal(pp_cli_netlist_option("t", argc, argv, &i, &s), 1);
  assert_string_equal(s.top, "T");
  i = 5;
  assert_int_equal(pp_cli_netlist_option("t", argc, argv, &i, &s), 1);
  assert_int_equal(s.mo.adder, PP_ADDER_PREFIX);
  i = 7;
  char buf[512];
  int r = 0;
  CAPTURE_STDERR(buf, r = pp_cli_netlist_option("t", argc, argv, &i, &s));
  assert_int_equal(r, -1);
  assert_non_null(strstr(buf, "--mult must be array or booth, not 'bad'"));
  i = 9;
  assert_int_equal(pp_cli_netlist_option("t", argc, argv, &i, &s), 0); /* not one of them */
  i = 10;
  assert_int_equal(pp_cli_netlist_option("t", argc, argv, &i, &s), 0); /* no value */
  assert_int_equal(i, 10);
  assert_string_equal(pp_cli_netlist_lib_path(&s), "l.lib");
  pp_cli_netlist_src_default(&s);
  assert_string_equal(pp_cli_netlist_lib_path(&s), pp_lib_default_path());
}

static void test_netlist_arg(void **st) {
  (void)st;
  char *argv[] = {"x", "mac.v", "--tick", "0.5", "--mult", "booth", "other.v", "--tick", "-1", "--frob", "--tick"};
  int argc = 11;
  pp_cli_netlist_src s;
  pp_cli_netlist_src_default(&s);
  pp_sim_opts so;
  pp_sim_opts_default(&so);
  int i = 1;
  assert_int_equal(pp_cli_netlist_arg("t", argc, argv, &i, &s, &so), 1);
  assert_string_equal(s.path, "mac.v");
  i = 2;
  assert_int_equal(pp_cli_netlist_arg("t", argc, argv, &i, &s, &so), 1);
  assert_int_equal(i, 3);
  assert_true(so.tick_ps == 0.5);
  i = 4;
  assert_int_equal(pp_cli_netlist_arg("t", argc, argv, &i, &s, &so), 1);
  assert_int_equal(s.mo.mult, PP_MULT_BOOTH);
  static const struct {
    int at;
    const char *want;
  } bad[] = {
      {6, "t: only one netlist, got 'mac.v' and 'other.v'"},
      {7, "t: --tick needs a positive number of ps"},
      {9, "t: unknown option '--frob'"},
      {10, "t: unknown option '--tick'"}, /* no value */
  };
  for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
    char buf[512];
    int r = 0;
    i = bad[k].at;
    CAPTURE_STDERR(buf, r = pp_cli_netlist_arg("t", argc, argv, &i, &s, &so));
    assert_int_equal(r, -1);
    if (!strstr(buf, bad[k].want)) fail_msg("got '%s', expected '%s'", buf, bad[k].want);
  }
  assert_true(so.tick_ps == 0.5); /* the bad value was not kept */
}

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

static void test_mac_option(void **st) {
  (void)st;
  char *argv[] = {"x", "--netlist=m.v", "--lib", "c.lib", "--mult", "booth", "--p-bits=24", "--adder-netlist", "a.v"};
  int argc = 9;
  pp_char_mac_spec s;
  pp_char_mac_spec_default(&s);
  int i = 1;
  assert_int_equal(pp_cli_mac_option("t", argc, argv, &i, &s), 1);
  assert_string_equal(s.path[0], "m.v");
  i = 2;
  assert_int_equal(pp_cli_mac_option("t", argc, argv, &i, &s), 1);
  assert_int_equal(i, 3);
  assert_string_equal(s.lib_path, "c.lib");
  i = 4;
  assert_int_equal(pp_cli_mac_option("t", argc, argv, &i, &s), 1);
  assert_int_equal(s.gen.mult, PP_MULT_BOOTH);
  i = 6;
  assert_int_equal(pp_cli_mac_option("t", argc, argv, &i, &s), 1);
  assert_int_equal(s.gen.p_bits, 24);
  i = 7;
  assert_int_equal(pp_cli_mac_option("t", argc, argv, &i, &s), 0); /* --adder-netlist is timing's own */
  assert_int_equal(i, 7);
  char *bad[] = {"x", "--p-bits", "40"};
  i = 1;
  char buf[512];
  int r = 0;
  CAPTURE_STDERR(buf, r = pp_cli_mac_option("t", 3, bad, &i, &s));
  assert_int_equal(r, -1);
  assert_non_null(strstr(buf, "--p-bits must be a whole number in 4..31, not '40'"));
  assert_int_equal(s.gen.p_bits, 24);
  char *part[] = {"x", "--part", "mult"}; /* characterize picks the parts itself */
  i = 1;
  assert_int_equal(pp_cli_mac_option("t", 3, part, &i, &s), 0);
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
      cmocka_unit_test(test_optval),         cmocka_unit_test(test_mac_gen_option_applies),
      cmocka_unit_test(test_mac_gen_option_rejects), cmocka_unit_test(test_netlist_option),
      cmocka_unit_test(test_netlist_arg),    cmocka_unit_test(test_netlist_load),   cmocka_unit_test(test_mac_option),
      cmocka_unit_test(test_commands),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
