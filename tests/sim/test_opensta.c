/* The energy oracle: our energy of random stimuli against OpenSTA's energy
 * per toggle times the same toggles, on small circuits and the built-in MAC
 * (|relative error| <= 5% in total and per component), a mutated library
 * that OpenSTA alone sees (the oracle must notice), and the helpers it runs
 * on: Tcl quoting and running a program without a shell. The OpenSTA parts
 * skip with a message where `sta` is not installed. */
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

#include "pp/macgen.h"
#include "pp/netlist.h"
#include "pp/sim.h"
#include "pp/util_json.h"
#include "pp/verilog.h"

static int asan(void) { return getenv("PP_ASAN") != NULL; }

static void test_tcl_quote(void **st) {
  (void)st;
  char *q = pp_tcl_quote("a b$c[d]{e}\"f\\g;h#i\nj");
  assert_non_null(q);
  assert_string_equal(q, "a\\ b\\$c\\[d\\]\\{e\\}\\\"f\\\\g\\;h\\#i\\nj");
  free(q);
  q = pp_tcl_quote("");
  assert_string_equal(q, "{}");
  free(q);
  q = pp_tcl_quote("plain_name/Y");
  assert_string_equal(q, "plain_name/Y");
  free(q);
}

/* argv with stdout to a file (NULL: /dev/null) and stderr discarded
 * (the exit status in *code) */
static int run_program(const char *const argv[], const char *out, int *code, pp_err *e) {
  pp_run_opts o = {.log_path = out, .quiet = out == NULL, .stderr_mode = PP_RUN_STDERR_NULL};
  return pp_run((char *const *)argv, &o, code, e);
}

static void test_run_program(void **st) {
  (void)st;
  pp_err e;
  pp_err_clear(&e);
  int code = -1;
  const char *t[] = {"true", NULL};
  assert_int_equal(run_program(t, NULL, &code, &e), PP_OK);
  assert_int_equal(code, 0);
  const char *f[] = {"false", NULL};
  assert_int_equal(run_program(f, NULL, &code, &e), PP_OK);
  assert_int_equal(code, 1);
  /* arguments reach the program verbatim: no shell expands them */
  char out[256];
  snprintf(out, sizeof out, "%s/pp_run_%d.txt", P_tmpdir, (int)getpid());
  const char *echo[] = {"echo", "$HOME;`x`*", NULL};
  assert_int_equal(run_program(echo, out, &code, &e), PP_OK);
  char *text = NULL;
  size_t len;
  assert_int_equal(pp_read_file(out, &text, &len, &e), PP_OK);
  assert_string_equal(text, "$HOME;`x`*\n");
  free(text);
  remove(out);
  pp_err_clear(&e);
  const char *none[] = {"/nonexistent/pp-no-such-program", NULL};
  assert_int_equal(run_program(none, NULL, &code, &e), PP_EIO);
  assert_int_equal(pp_program_available("sh"), 1);
  assert_int_equal(pp_program_available("pp-no-such-program-xyz"), 0);
}

typedef struct oracle {
  double ours_sw, ours_in, sta_sw, sta_in, sta_report_sw_w, sum_sw_fj;
} oracle;

/* Our energy and OpenSTA's on n random chained transitions of the netlist in
 * vfile (library lib_path; sta_lib: the library OpenSTA reads, NULL = same). */
static void run_oracle(const char *vfile, const char *lib_path, const char *sta_lib, int inertial, int n,
                       oracle *out) {
  pp_err e;
  pp_err_clear(&e);
  pp_lib *lib;
  pp_netlist *nl;
  pp_sim_model *m;
  pp_sim_ws *w;
  assert_int_equal(pp_lib_read(lib_path, &lib, &e), PP_OK);
  assert_int_equal(pp_netlist_read(vfile, lib, NULL, &nl, &e), PP_OK);
  pp_sim_opts so;
  pp_sim_opts_default(&so);
  so.inertial = inertial;
  assert_int_equal(pp_sim_model_new(nl, &so, &m, &e), PP_OK);
  assert_int_equal(pp_sim_ws_new(m, &w, &e), PP_OK);
  int nb = pp_sim_n_input_bits(m);
  uint8_t *v = malloc((size_t)(n + 1) * nb);
  pp_rng r;
  pp_rng_seed(&r, 7);
  for (int k = 0; k < (n + 1) * nb; k++) v[k] = (uint8_t)pp_rng_below(&r, 2);
  pp_sim_activity a;
  assert_int_equal(pp_sim_activity_run(w, v, n, &a, &e), PP_OK);
  pp_opensta_opts oo = {NULL, vfile, sta_lib ? sta_lib : lib_path, NULL};
  pp_opensta_power op;
  pp_opensta_on_activity oa;
  int st = pp_sim_opensta_energy(m, &oo, &op, &e);
  if (st) fprintf(stderr, "opensta: %s\n", e.msg);
  assert_int_equal(st, PP_OK);
  assert_int_equal(op.n_found, nl->n_gates);
  assert_int_equal(pp_sim_opensta_apply(m, &op, &a, &oa, &e), PP_OK);
  out->ours_sw = a.switching_fj;
  out->ours_in = a.internal_total_fj;
  out->sta_sw = oa.switching_fj;
  out->sta_in = oa.internal_fj;
  out->sta_report_sw_w = op.switching_w;
  out->sum_sw_fj = 0;
  for (int q = 0; q < nl->n_nets; q++) out->sum_sw_fj += op.net_switching_fj[q];
  /* per-gate sums are the totals */
  double gs = 0, gi = 0;
  for (int g = 0; g < nl->n_gates; g++) gs += oa.gate_switching_fj[g], gi += oa.gate_internal_fj[g];
  assert_true(fabs(gs - oa.switching_fj) <= 1e-9 * oa.switching_fj);
  assert_true(fabs(gi + oa.input_pin_internal_fj - oa.internal_fj) <= 1e-9 * oa.internal_fj + 1e-12);
  pp_opensta_on_activity_free(&oa);
  pp_opensta_power_free(&op);
  pp_sim_activity_free(&a);
  free(v);
  pp_sim_ws_free(w);
  pp_sim_model_free(m);
  pp_netlist_free(nl);
  pp_lib_free(lib);
}

static double rel(double a, double b) { return (a - b) / b; }

static int have_sta(void) {
  if (pp_program_available("sta")) return 1;
  fprintf(stderr, "SKIP: OpenSTA (sta) is not installed (scripts/install-deps.sh installs opensta)\n");
  return 0;
}

static void write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

/* A few gates of the built-in library: unate, non-unate and complex cells. */
static const char *SMALL =
    "module top(a, b, c, y, z);\n"
    "  input a, b, c;\n  output y, z;\n  wire n1, n2, n3;\n"
    "  NAND2_X1 u1 (.A(a), .B(b), .Y(n1));\n"
    "  XOR2_X1 u2 (.A(n1), .B(c), .Y(n2));\n"
    "  AOI21_X1 u3 (.A1(a), .A2(n2), .B(c), .Y(n3));\n"
    "  INV_X1 u4 (.A(n3), .Y(y));\n"
    "  MUX2_X1 u5 (.A(n1), .B(n2), .S(b), .Y(z));\n"
    "endmodule\n";

static void test_small_circuit(void **st) {
  (void)st;
  if (!have_sta()) return;
  char v[256];
  snprintf(v, sizeof v, "%s/pp_oracle_small_%d.v", P_tmpdir, (int)getpid());
  write_text(v, SMALL);
  for (int inertial = 0; inertial < 2; inertial++) {
    oracle o;
    run_oracle(v, pp_lib_default_path(), NULL, inertial, asan() ? 100 : 400, &o);
    /* loads and supply are OpenSTA's own: switching agrees to its print precision */
    assert_true(fabs(rel(o.ours_sw, o.sta_sw)) < 0.002);
    assert_true(fabs(rel(o.ours_in, o.sta_in)) < 0.05);
    /* the per-pin energies are what its own report_power adds up (1 toggle / 1000 ps) */
    assert_true(fabs(rel(o.sum_sw_fj, o.sta_report_sw_w * 1e-9 * 1e15)) < 0.002);
  }
  remove(v);
}

static void test_builtin_mac(void **st) {
  (void)st;
  if (!have_sta()) return;
  pp_err e;
  pp_err_clear(&e);
  pp_lib *lib;
  assert_int_equal(pp_lib_read(pp_lib_default_path(), &lib, &e), PP_OK);
  char v[256];
  snprintf(v, sizeof v, "%s/pp_oracle_mac_%d.v", P_tmpdir, (int)getpid());
  for (int mult = 0; mult < 2; mult++) {
    pp_mac_opts mo;
    pp_mac_opts_default(&mo);
    mo.mult = mult ? PP_MULT_BOOTH : PP_MULT_ARRAY;
    assert_int_equal(pp_mac_generate(&mo, lib, v, &e), PP_OK);
    oracle o;
    run_oracle(v, pp_lib_default_path(), NULL, 0, asan() ? 60 : 300, &o);
    double leak = 0; /* leakage is cell_leakage_power on both sides; its check is the CLI test's */
    double tot = rel(o.ours_sw + o.ours_in + leak, o.sta_sw + o.sta_in + leak);
    fprintf(stderr, "%s MAC: switching %+.4f internal %+.4f total %+.4f\n", mult ? "booth" : "array",
            rel(o.ours_sw, o.sta_sw), rel(o.ours_in, o.sta_in), tot);
    assert_true(fabs(rel(o.ours_sw, o.sta_sw)) <= 0.05);
    assert_true(fabs(rel(o.ours_in, o.sta_in)) <= 0.05);
    assert_true(fabs(tot) <= 0.05);
  }
  remove(v);
  pp_lib_free(lib);
}

/* OpenSTA alone reads a library whose supply is 10% higher: the oracle must
 * see switching about 1/1.21 - 1 = -17% and internal unchanged. */
static void test_detects_mismatch(void **st) {
  (void)st;
  if (!have_sta()) return;
  char *text;
  size_t len;
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(pp_read_file(pp_lib_default_path(), &text, &len, &e), PP_OK);
  char *at = strstr(text, "process : 1; voltage : 0.8;"); /* the operating point, not nom_voltage */
  assert_non_null(at);
  char lib2[256], v[256];
  snprintf(lib2, sizeof lib2, "%s/pp_oracle_lib_%d.lib", P_tmpdir, (int)getpid());
  snprintf(v, sizeof v, "%s/pp_oracle_mut_%d.v", P_tmpdir, (int)getpid());
  FILE *f = fopen(lib2, "w");
  assert_non_null(f);
  fwrite(text, 1, (size_t)(at - text), f);
  fputs("process : 1; voltage : 0.88;", f);
  fputs(at + strlen("process : 1; voltage : 0.8;"), f);
  fclose(f);
  free(text);
  write_text(v, SMALL);
  oracle o;
  run_oracle(v, pp_lib_default_path(), lib2, 0, 200, &o);
  double r = rel(o.ours_sw, o.sta_sw);
  assert_true(r < -0.15 && r > -0.19);
  remove(v);
  remove(lib2);
}

/* The command: last line of its output is the JSON's end, pass is true. */
static void test_cli(void **st) {
  (void)st;
  if (!have_sta()) return;
  const char *exe = getenv("PP_EXE");
  assert_non_null(exe);
  char out[256];
  snprintf(out, sizeof out, "%s/pp_oracle_cli_%d.json", P_tmpdir, (int)getpid());
  const char *argv[] = {exe, "check", "power", "--json", "--transitions", asan() ? "50" : "300", NULL};
  int code = -1;
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(run_program(argv, out, &code, &e), PP_OK);
  char *text;
  size_t len;
  assert_int_equal(pp_read_file(out, &text, &len, &e), PP_OK);
  assert_non_null(strstr(text, "\"format\": \"powerprune-check-power/1\""));
  assert_non_null(strstr(text, "\"ours_uw\""));
  assert_non_null(strstr(text, "\"opensta_uw\""));
  const char *re = strstr(text, "\"rel_err\": ");
  assert_non_null(re);
  double x = atof(re + 11);
  assert_true(fabs(x) <= 0.05);
  assert_non_null(strstr(text, "\"pass\": true"));
  assert_int_equal(code, 0);
  free(text);
  remove(out);
  /* a bad option: usage error, nothing on stdout */
  const char *bad[] = {exe, "check", "power", "--delay-model", "fast", NULL};
  assert_int_equal(run_program(bad, out, &code, &e), PP_OK);
  assert_int_equal(code, 2);
  remove(out);
}

/* A library with `when` groups: ours prices leakage by the states the
 * stimulus settles in. For ND (leakage 1, 2, 3, 10 nW by state) on uniform
 * inputs and LK (7 nW when its input n = ND's output is 0, which happens a
 * quarter of the time, else 1) that is 4 + 2.5 = 6.5 nW; every state equally
 * likely gives 4 + 4 = 8. Debian's OpenSTA prices cell_leakage_power (5 + 1). */
static void test_cli_when(void **st) {
  (void)st;
  if (!have_sta()) return;
  const char *exe = getenv("PP_EXE");
  assert_non_null(exe);
  char out[256], v[256];
  snprintf(out, sizeof out, "%s/pp_oracle_when_%d.json", P_tmpdir, (int)getpid());
  snprintf(v, sizeof v, "%s/pp_oracle_when_%d.v", P_tmpdir, (int)getpid());
  write_text(v, "module t(a, b, y);\n input a, b;\n output y;\n wire n;\n ND u1(.A(a), .B(b), .Y(n));\n"
                " LK u2(.A(n), .Y(y));\nendmodule\n");
  const char *argv[] = {exe, "check", "power", "--json", "--lib", PP_SOURCE_DIR "/tests/sim/fixtures/when.lib",
                        "--mac", v, "--transitions", "4000", NULL};
  int code = -1;
  pp_err e;
  pp_err_clear(&e);
  assert_int_equal(run_program(argv, out, &code, &e), PP_OK);
  pp_jv j;
  assert_int_equal(pp_jv_load(out, &j, &e), PP_OK);
  const pp_jv *sd = pp_jv_path(&j, "state_dependent");
  assert_non_null(sd);
  assert_true(sd->type == PP_JV_BOOL && sd->num == 1);
  assert_true(fabs(pp_jv_num(&j, "ours_leakage_states_equal_uw", -1) - 0.008) < 1e-12);
  double lk = pp_jv_num(&j, "ours.leakage_uw", -1);
  assert_true(fabs(lk - 0.0065) < 0.0002);
  pp_jv_free(&j);
  remove(out);
  remove(v);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tcl_quote),       cmocka_unit_test(test_run_program),
      cmocka_unit_test(test_small_circuit),   cmocka_unit_test(test_builtin_mac),
      cmocka_unit_test(test_detects_mismatch), cmocka_unit_test(test_cli),
      cmocka_unit_test(test_cli_when),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
