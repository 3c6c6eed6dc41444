/* Our STA against OpenSTA's (where `sta` is installed): the shortest and
 * longest path of every input bit -> output bit pair of a generated MAC,
 * with both timers given the same input slew, output load and per-net wire
 * capacitance. The shortest paths go through the MAC's XOR/XNOR (non-unate)
 * arcs, where taking the worst of four lookups made every min too high.
 * Skips with a message where `sta` is not installed. */
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
#include "pp/verilog.h"

static void bit_name(const pp_port *p, int b, char *buf, size_t n) {
  if (p->width == 1) snprintf(buf, n, "%s", p->name);
  else snprintf(buf, n, "%s[%d]", p->name, b);
}

static void put_q(FILE *f, const char *s) {
  char *q = pp_tcl_quote(s);
  assert_non_null(q);
  fputs(q, f);
  free(q);
}

/* OpenSTA's min and max arrival (ps) of every (input bit, output bit) of the
 * netlist in vfile, our assumptions copied into its script: our wire caps
 * as net loads, or, with wire_load, OpenSTA's own estimate from that
 * wire_load group of the library (set_wire_load_model). */
static void opensta_paths(const pp_sim_model *m, const pp_netlist *nl, const char *vfile, const char *lib_path,
                          double in_slew, const char *wire_load, double *mn, double *mx) {
  char tcl[256], log[256];
  snprintf(tcl, sizeof tcl, "%s/pp_sta_paths_%d.tcl", P_tmpdir, (int)getpid());
  snprintf(log, sizeof log, "%s/pp_sta_paths_%d.log", P_tmpdir, (int)getpid());
  FILE *f = fopen(tcl, "w");
  assert_non_null(f);
  fputs("read_liberty ", f);
  put_q(f, lib_path);
  fputs("\nread_verilog ", f);
  put_q(f, vfile);
  fputs("\nlink_design ", f);
  put_q(f, nl->top);
  fprintf(f, "\nset_cmd_units -time ps -capacitance fF\ncreate_clock -name c -period 10000\n"
             "set_input_delay -clock c 0 [all_inputs]\nset_output_delay -clock c 0 [all_outputs]\n"
             "set_input_transition %.17g [all_inputs]\nset_load %.17g [all_outputs]\n",
          in_slew, nl->lib->output_load_ff);
  if (wire_load) {
    fputs("set_wire_load_model -name ", f);
    put_q(f, wire_load);
    fputs("\n", f);
  }
  for (int q = 0; q < nl->n_nets && !wire_load; q++) {
    const pp_net *net = &nl->nets[q];
    double wire = pp_lib_wire_cap(nl->lib, net->n_fanout, net->is_output != 0);
    if (!(wire > 0) || (net->drv_kind != PP_DRV_GATE && net->drv_kind != PP_DRV_INPUT)) continue;
    fprintf(f, "set_load %.17g [get_nets ", wire);
    put_q(f, net->name);
    fputs("]\n", f);
  }
  int ni = pp_sim_n_input_bits(m), no = pp_sim_n_output_bits(m);
  char ib[128], ob[128];
  for (int p = 0; p < nl->n_inputs; p++)
    for (int b = 0; b < nl->inputs[p].width; b++)
      for (int q = 0; q < nl->n_outputs; q++)
        for (int c = 0; c < nl->outputs[q].width; c++) {
          bit_name(&nl->inputs[p], b, ib, sizeof ib);
          bit_name(&nl->outputs[q], c, ob, sizeof ob);
          int i = pp_sim_input_bit(m, p, b), o = pp_sim_output_bit(m, q, c);
          for (int k = 0; k < 2; k++) {
            fputs("foreach e [find_timing_paths -from [get_ports ", f);
            put_q(f, ib);
            fputs("] -to [get_ports ", f);
            put_q(f, ob);
            fprintf(f, "] -path_delay %s] { puts \"R %d %d %d [$e data_arrival_time]\" }\n", k ? "max" : "min", i, o,
                    k);
          }
        }
  fclose(f);
  pp_err e;
  pp_err_clear(&e);
  char *const argv[] = {"sta", "-no_splash", "-exit", tcl, NULL};
  pp_run_opts ro = {.log_path = log, .stderr_mode = PP_RUN_STDERR_NULL};
  int code = -1;
  assert_int_equal(pp_run(argv, &ro, &code, &e), PP_OK);
  assert_int_equal(code, 0);
  for (int k = 0; k < ni * no; k++) mn[k] = mx[k] = -1;
  FILE *lf = fopen(log, "r");
  assert_non_null(lf);
  char line[512];
  while (fgets(line, sizeof line, lf)) {
    int i, o, k;
    double v;
    if (sscanf(line, "R %d %d %d %lf", &i, &o, &k, &v) != 4 || i < 0 || i >= ni || o < 0 || o >= no) continue;
    (k ? mx : mn)[i * no + o] = v * 1e12;
  }
  fclose(lf);
  remove(tcl);
  remove(log);
}

/* Every pair's min and max against OpenSTA on a 4x4+10 MAC of library
 * lib_path: each within rel_tol (+ abs_tol ps, the tick rounding), and on
 * average within mean_tol. wire_load: see opensta_paths. */
static void mac_paths(const char *lib_path, const char *wire_load, int mult, double tick, double rel_tol,
                      double abs_tol, double mean_tol) {
  pp_err e;
  pp_err_clear(&e);
  pp_lib *lib;
  assert_int_equal(pp_lib_read(lib_path, &lib, &e), PP_OK);
  if (wire_load) assert_int_equal(pp_lib_use_wire_load(lib, wire_load, &e), PP_OK);
  pp_mac_opts mo;
  pp_mac_opts_default(&mo);
  mo.w_bits = 4, mo.a_bits = 4, mo.p_bits = 10;
  mo.mult = mult;
  char v[256];
  snprintf(v, sizeof v, "%s/pp_sta_mac_%d.v", P_tmpdir, (int)getpid());
  assert_int_equal(pp_mac_generate(&mo, lib, v, &e), PP_OK);
  pp_netlist *nl;
  assert_int_equal(pp_netlist_read(v, lib, NULL, &nl, &e), PP_OK);
  pp_sim_opts so;
  pp_sim_opts_default(&so);
  so.tick_ps = tick;
  pp_sim_model *m;
  pp_sta *s;
  assert_int_equal(pp_sim_model_new(nl, &so, &m, &e), PP_OK);
  assert_int_equal(pp_sta_run(m, &s, &e), PP_OK);
  int n = s->n_in_bits * s->n_out_bits;
  double *mn = calloc((size_t)n, sizeof *mn), *mx = calloc((size_t)n, sizeof *mx);
  assert_non_null(mn);
  assert_non_null(mx);
  opensta_paths(m, nl, v, lib_path, lib->default_slew_ps, wire_load, mn, mx);
  int cnt = 0;
  double emin = 0, emax = 0;
  for (int k = 0; k < n; k++) {
    if (s->max_ps[k] < 0) continue;
    assert_true(mn[k] > 0 && mx[k] > 0); /* OpenSTA found the same path */
    double tol_min = rel_tol * mn[k] + abs_tol, tol_max = rel_tol * mx[k] + abs_tol;
    if (fabs(s->min_ps[k] - mn[k]) > tol_min || fabs(s->max_ps[k] - mx[k]) > tol_max)
      fprintf(stderr, "pair %d: min ours %g opensta %g, max ours %g opensta %g\n", k, s->min_ps[k], mn[k], s->max_ps[k],
              mx[k]);
    assert_true(fabs(s->min_ps[k] - mn[k]) <= tol_min);
    assert_true(fabs(s->max_ps[k] - mx[k]) <= tol_max);
    emin += fabs(s->min_ps[k] - mn[k]) / mn[k];
    emax += fabs(s->max_ps[k] - mx[k]) / mx[k];
    cnt++;
  }
  assert_true(cnt > 50);
  fprintf(stderr, "%d paths: mean |rel err| min %.4f max %.4f\n", cnt, emin / cnt, emax / cnt);
  assert_true(emin / cnt <= mean_tol);
  assert_true(emax / cnt <= mean_tol);
  free(mn), free(mx);
  pp_sta_free(s);
  pp_sim_model_free(m);
  pp_netlist_free(nl);
  pp_lib_free(lib);
  remove(v);
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

static int have_sta(void) {
  if (pp_program_available("sta")) return 1;
  fprintf(stderr, "SKIP: OpenSTA (sta) is not installed (scripts/install-deps.sh installs opensta)\n");
  return 0;
}

/* The project's library and its wire estimate, ticks of 1 ps (each stage
 * rounds by up to 0.5 ps). */
static void test_mac_paths(void **st) {
  (void)st;
  if (!have_sta()) return;
  mac_paths(pp_lib_default_path(), NULL, PP_MAC_MULT_DEFAULT, 1.0, 0.05, 1.0, 0.02);
}

/* The project's library with a wire_load group instead of its pp_wire_cap
 * attributes, OpenSTA told to use the group (set_wire_load_model): the wire
 * capacitance of every net, output ports counted as loads, is OpenSTA's;
 * with ticks of 0.01 ps the paths agree to rounding. */
static void test_mac_paths_wire_load(void **st) {
  (void)st;
  if (!have_sta()) return;
  pp_err e;
  pp_err_clear(&e);
  char *lib = NULL;
  size_t len;
  assert_int_equal(pp_read_file(pp_lib_default_path(), &lib, &len, &e), PP_OK);
  char path[256];
  snprintf(path, sizeof path, "%s/pp_sta_wl_%d.lib", P_tmpdir, (int)getpid());
  write_with_wire_loads(lib,
                        "  wire_load (\"small\") { capacitance : 0.4; resistance : 0.01; slope : 1.5;\n"
                        "    fanout_length (1, 1.0); fanout_length (2, 2.2); fanout_length (4, 4.0); }\n"
                        "  wire_load (\"long\") { capacitance : 0.9; slope : 2.5; fanout_length (1, 1.5);\n"
                        "    fanout_length (3, 5); }\n",
                        path);
  free(lib);
  /* the array multiplier on purpose: Booth's recoding puts non-unate arcs on
   * the longest paths, where our max takes the worst of four lookups by
   * design (it bounds the simulators), about 1% over OpenSTA; this test's
   * 0.5% is about the wire model, not that */
  mac_paths(path, "small", PP_MULT_ARRAY, 0.01, 0.005, 0.05, 0.002);
  mac_paths(path, "long", PP_MULT_ARRAY, 0.01, 0.005, 0.05, 0.002);
  remove(path);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_mac_paths), cmocka_unit_test(test_mac_paths_wire_load)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
