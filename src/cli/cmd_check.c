/* cli/cmd_check: `powerprune check power`: the energy oracle. Simulates
 * random input transitions of a netlist (default: the built-in MAC) with the
 * timed engine, hands the per-pin activities to OpenSTA on the same netlist
 * file, library, clock, input slew and loads, and compares its report_power
 * with our energy accounting, in total, per component, per cell type and per
 * instance. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "opt.h"
#include "pp/netlist.h"
#include "pp/sim.h"
#include "pp/verilog.h"

static const char *USAGE =
    "usage: powerprune check power [options]\n"
    "Energy oracle: our timed simulation's per-pin toggle counts and duties are\n"
    "given to OpenSTA (sta) on the same netlist file, library, clock, input slew\n"
    "and loads; its report_power is compared with our power, in total, per\n"
    "component (switching, internal, leakage), per cell type and per instance.\n"
    "\n";

typedef struct cell_sum {
  double ours_sw, ours_int, sta_sw, sta_int;
  int n;
} cell_sum;

static double rel(double ours, double ref) {
  if (ref == 0) return ours == 0 ? 0 : INFINITY;
  return (ours - ref) / ref;
}

static void put_split(pp_json *j, const char *key, double sw, double in, double lk) {
  pp_json_key(j, key);
  pp_json_obj_begin(j);
  pp_json_key_num(j, "switching_uw", sw);
  pp_json_key_num(j, "internal_uw", in);
  pp_json_key_num(j, "leakage_uw", lk);
  pp_json_key_num(j, "total_uw", sw + in + lk);
  pp_json_obj_end(j);
}

static int check_power(int argc, char **argv) {
  const char *cmd = "check power";
  const char *lib_path = NULL, *mac_path = NULL, *top = NULL, *sta_prog = NULL, *keep = NULL;
  int n_tr = 2000, seed = 1, json = 0;
  double clock_ps = 0, tol = 0.05;
  pp_mac_opts mo;
  pp_mac_opts_default(&mo);
  pp_sim_opts so;
  pp_sim_opts_default(&so);
  pp_opt opts[] = {
      PP_OPT_PATH("lib", &lib_path, "LIB", "Liberty library", .def = "the project's pp_cells.lib"),
      PP_OPT_PATH("mac", &mac_path, "NETLIST", "structural Verilog", .def = "the built-in MAC, generated"),
      PP_OPT_STRING("top", &top, "NAME", "top module"),
      PP_OPT_MULT(&mo.mult),
      PP_OPT_ADDER(&mo.adder),
      PP_OPT_INT("transitions", &n_tr, 1, 10000000, "N", "random chained input transitions"),
      PP_OPT_INT("seed", &seed, 0, PP_OPT_INT_MAX, "S", "stimulus seed"),
      PP_OPT_ENUM("delay-model", &so.inertial, pp_opt_delay_model_choices, "how gate delays filter pulses"),
      PP_OPT_DOUBLE("clock-ps", &clock_ps, 0, PP_OPT_INF, "X", "clock period, one transition per period",
                    .flags = PP_OPT_LO_OPEN, .def = "STA critical path"),
      PP_OPT_DOUBLE("input-slew", &so.input_slew_ps, 0, PP_OPT_INF, "PS", "slew at primary inputs",
                    .def = "the library's, see sim.h"),
      PP_OPT_DOUBLE("tolerance", &tol, 0, PP_OPT_INF, "X", "largest |relative error| accepted; exit 1 beyond it"),
      PP_OPT_STRING("sta", &sta_prog, "PROG", "the OpenSTA program", .def = "sta"),
      PP_OPT_PATH("keep", &keep, "DIR", "keep OpenSTA's script and log in DIR"),
      PP_OPT_FLAG("json", &json, "JSON on stdout, last (format powerprune-check-power/1)"),
      PP_OPT_GROUP("Switching power counts cell-driven nets on both sides (OpenSTA has no driver\n"
                   "for a top-level input port); ours on input nets is reported beside it."),
      PP_OPT_END(),
  };
  int prc = pp_opt_parse(cmd, USAGE, opts, argc, argv, NULL);
  if (prc) return prc == PP_OPT_HELP ? PP_EXIT_OK : prc;
  if (!lib_path) lib_path = pp_lib_default_path();

  pp_err e;
  pp_err_clear(&e);
  pp_lib *lib = NULL;
  pp_netlist *nl = NULL;
  pp_sim_model *m = NULL;
  pp_sim_ws *w = NULL;
  pp_sta *s = NULL;
  uint8_t *vec = NULL;
  cell_sum *cs = NULL;
  pp_sim_activity act;
  pp_opensta_power op;
  pp_opensta_on_activity oa;
  memset(&act, 0, sizeof act);
  memset(&op, 0, sizeof op);
  memset(&oa, 0, sizeof oa);
  char gen[] = "/tmp/powerprune-check-XXXXXX.v";
  int gen_made = 0, rc = PP_EXIT_OK;
  if (!pp_program_available(sta_prog ? sta_prog : "sta")) {
    pp_err_set(&e, PP_EIO, "", 0, "OpenSTA ('%s') is not installed: apt-get install opensta (scripts/install-deps.sh)",
               sta_prog ? sta_prog : "sta");
    goto fail;
  }
  if (pp_lib_read(lib_path, &lib, &e)) goto fail;
  if (!mac_path) {
    int fd = mkstemps(gen, 2);
    if (fd < 0) {
      pp_err_set(&e, PP_EIO, gen, 0, "cannot create a temporary file");
      goto fail;
    }
    close(fd);
    gen_made = 1;
    if (pp_mac_generate(&mo, lib, gen, &e)) goto fail;
  }
  const char *vpath = mac_path ? mac_path : gen;
  if (pp_netlist_read(vpath, lib, top, &nl, &e) || pp_sim_model_new(nl, &so, &m, &e) || pp_sim_ws_new(m, &w, &e))
    goto fail;
  if (clock_ps <= 0) {
    if (pp_sta_run(m, &s, &e)) goto fail;
    clock_ps = s->critical_ps > 0 ? s->critical_ps : 1000;
  }
  /* stimulus: n_tr + 1 uniformly random vectors, chained */
  int nb = pp_sim_n_input_bits(m);
  vec = malloc((size_t)(n_tr + 1) * nb + 1);
  if (!vec) goto fail;
  pp_rng r;
  pp_rng_seed(&r, (uint64_t)seed);
  for (size_t k = 0; k < (size_t)(n_tr + 1) * nb; k++) vec[k] = (uint8_t)pp_rng_below(&r, 2);
  /* `when`-conditioned groups: priced as built (every state equally likely,
   * OpenSTA's rule for leakage) and, what the flow does, for the states the
   * stimulus settles in */
  double lk_uniform = pp_sim_leakage_nw(m) / 1000.0;
  int state_dep = pp_sim_model_state_dependent(m);
  if (pp_sim_model_use_states(m, vec, n_tr + 1, &e) || pp_sim_activity_run(w, vec, n_tr, &act, &e)) goto fail;
  pp_opensta_opts oo = {sta_prog, vpath, lib_path, keep};
  if (pp_sim_opensta_energy(m, &oo, &op, &e) || pp_sim_opensta_apply(m, &op, &act, &oa, &e)) goto fail;

  /* ours in µW: fJ per transition / ps per transition = mW */
  double per = 1000.0 / ((double)n_tr * clock_ps);
  double o_sw = act.switching_fj * per, o_in = act.internal_total_fj * per, o_lk = pp_sim_leakage_nw(m) / 1000.0;
  double o_pi = act.input_switching_fj * per;
  double s_sw = oa.switching_fj * per, s_in = oa.internal_fj * per, s_lk = op.leakage_w * 1e6;
  double s_in2019 = oa.internal_sum_fj * per;
  double ours = o_sw + o_in + o_lk, ref = s_sw + s_in + s_lk;
  double re = rel(ours, ref), re_sw = rel(o_sw, s_sw), re_in = rel(o_in, s_in), re_lk = rel(o_lk, s_lk);
  int pass = fabs(re) <= tol && fabs(re_sw) <= tol && fabs(re_in) <= tol && fabs(re_lk) <= tol;
  long tog = 0;
  for (int q = 0; q < nl->n_nets; q++) tog += act.toggles[q];

  /* per cell type and per instance */
  cs = calloc((size_t)lib->n_cells + 1, sizeof *cs);
  if (!cs) goto fail;
  int worst = -1;
  double worst_err = 0, sum_abs = 0, sum_ref = 0;
  int n_cmp = 0;
  for (int g = 0; g < nl->n_gates; g++) {
    if (!op.inst_found[g]) continue;
    cell_sum *c = &cs[nl->gates[g].cell];
    double a_sw = act.gate_switching_fj[g] * per, a_in = act.gate_internal_fj[g] * per;
    double b_sw = oa.gate_switching_fj[g] * per, b_in = oa.gate_internal_fj[g] * per;
    c->ours_sw += a_sw, c->ours_int += a_in, c->sta_sw += b_sw, c->sta_int += b_in, c->n++;
    double d = fabs((a_sw + a_in) - (b_sw + b_in));
    sum_abs += d, sum_ref += b_sw + b_in, n_cmp++;
    if (worst < 0 || d > worst_err) worst = g, worst_err = d;
  }
  if (json) {
    pp_json j;
    pp_json_init(&j, stdout, 1);
    pp_json_obj_begin(&j);
    pp_json_key_str(&j, "format", "powerprune-check-power/1");
    pp_json_key_str(&j, "netlist", mac_path ? mac_path : "built-in MAC");
    pp_json_key_str(&j, "top", nl->top);
    pp_json_key_str(&j, "lib", lib_path);
    pp_json_key_int(&j, "gates", nl->n_gates);
    pp_json_key_int(&j, "transitions", n_tr);
    pp_json_key_int(&j, "seed", seed);
    pp_json_key_str(&j, "stimulus", "uniform random input bits, chained vectors, one transition per clock period");
    pp_json_key_str(&j, "delay_model", so.inertial ? "inertial" : "transport");
    pp_cli_assumptions_json(&j, lib, &so);
    pp_json_key_num(&j, "clock_ps", clock_ps);
    pp_json_key_num(&j, "voltage", lib->voltage);
    pp_json_key_num(&j, "toggles_per_transition", (double)tog / (double)n_tr);
    pp_json_key_num(&j, "ours_uw", ours);
    pp_json_key_num(&j, "opensta_uw", ref);
    pp_json_key_num(&j, "rel_err", re);
    put_split(&j, "ours", o_sw, o_in, o_lk);
    put_split(&j, "opensta", s_sw, s_in, s_lk);
    pp_json_key_obj_begin(&j, "rel_err_components");
    pp_json_key_num(&j, "switching", re_sw);
    pp_json_key_num(&j, "internal", re_in);
    pp_json_key_num(&j, "leakage", re_lk);
    pp_json_obj_end(&j);
    pp_json_key_num(&j, "opensta_internal_2019_sum_uw", s_in2019);
    pp_json_key_num(&j, "opensta_input_pin_internal_uw", oa.input_pin_internal_fj * per);
    pp_json_key_num(&j, "ours_input_switching_uw", o_pi);
    pp_json_key_bool(&j, "state_dependent", state_dep);
    pp_json_key_num(&j, "ours_leakage_states_equal_uw", lk_uniform);
    pp_json_key_obj_begin(&j, "instances");
    pp_json_key_int(&j, "compared", n_cmp);
    pp_json_key_num(&j, "abs_diff_over_total", sum_ref > 0 ? sum_abs / sum_ref : 0);
    if (worst >= 0) {
      pp_json_key_obj_begin(&j, "worst");
      pp_json_key_str(&j, "inst", nl->gates[worst].name);
      pp_json_key_str(&j, "cell", lib->cells[nl->gates[worst].cell].name);
      pp_json_key_num(&j, "ours_dynamic_uw", (act.gate_switching_fj[worst] + act.gate_internal_fj[worst]) * per);
      pp_json_key_num(&j, "opensta_dynamic_uw", (oa.gate_switching_fj[worst] + oa.gate_internal_fj[worst]) * per);
      pp_json_obj_end(&j);
    }
    pp_json_obj_end(&j);
    pp_json_key_arr_begin(&j, "by_cell");
    for (int c = 0; c < lib->n_cells; c++) {
      if (!cs[c].n) continue;
      pp_json_obj_begin(&j);
      pp_json_key_str(&j, "cell", lib->cells[c].name);
      pp_json_key_int(&j, "instances", cs[c].n);
      pp_json_key_num(&j, "ours_switching_uw", cs[c].ours_sw);
      pp_json_key_num(&j, "opensta_switching_uw", cs[c].sta_sw);
      pp_json_key_num(&j, "ours_internal_uw", cs[c].ours_int);
      pp_json_key_num(&j, "opensta_internal_uw", cs[c].sta_int);
      pp_json_obj_end(&j);
    }
    pp_json_arr_end(&j);
    pp_json_key_num(&j, "tolerance", tol);
    pp_json_key_bool(&j, "pass", pass);
    pp_json_obj_end(&j);
    pp_json_end(&j);
  } else {
    printf("netlist %s (%s), %d gates, library %s, %d transitions (seed %d), %s delays, clock %.1f ps\n",
           mac_path ? mac_path : "built-in MAC", nl->top, nl->n_gates, lib->name, n_tr, seed,
           so.inertial ? "inertial" : "transport", clock_ps);
    printf("%-10s %12s %12s %9s\n", "uW", "ours", "OpenSTA", "rel.err");
    printf("%-10s %12.4f %12.4f %+8.2f%%\n", "switching", o_sw, s_sw, 100 * re_sw);
    printf("%-10s %12.4f %12.4f %+8.2f%%\n", "internal", o_in, s_in, 100 * re_in);
    printf("%-10s %12.4f %12.4f %+8.2f%%\n", "leakage", o_lk, s_lk, 100 * re_lk);
    printf("%-10s %12.4f %12.4f %+8.2f%%\n", "total", ours, ref, 100 * re);
    printf("ours on primary-input nets (not in either total): %.4f uW\n", o_pi);
    printf("OpenSTA internal with every arc summed (its 2019 report_power rule): %.4f uW\n", s_in2019);
    if (state_dep)
      printf("the library prices gates by input state: ours for the states the stimulus settles in; with every "
             "state equally likely our leakage is %.4f uW\n",
             lk_uniform);
    printf("%s: |rel.err| %s %.3g in total and every component\n", pass ? "PASS" : "FAIL", pass ? "<=" : "above",
           tol);
  }
  if (!pass) rc = PP_EXIT_FAIL;
  goto done;
fail:
  if (!e.status) pp_err_set(&e, PP_ENOMEM, "", 0, "out of memory");
  rc = pp_cli_fail(cmd, &e);
done:
  if (gen_made) remove(gen);
  free(vec);
  free(cs);
  pp_sim_activity_free(&act);
  pp_opensta_power_free(&op);
  pp_opensta_on_activity_free(&oa);
  pp_sta_free(s);
  pp_sim_ws_free(w);
  pp_sim_model_free(m);
  pp_netlist_free(nl);
  pp_lib_free(lib);
  return rc;
}

int pp_cmd_check(int argc, char **argv) {
  if (argc >= 2 && !strcmp(argv[1], "power")) return check_power(argc - 1, argv + 1);
  if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) return check_power(argc, argv);
  return pp_cli_usage("check", "expected 'check power'");
}
