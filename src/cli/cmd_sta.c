/* cli/cmd_sta: `powerprune sta`: static timing of a netlist (default: the
 * built-in MAC) with the simulator's delay model: critical path with its
 * cells and per-stage delays, and input-to-output delays. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "opt.h"
#include "pp/netlist.h"
#include "pp/sim.h"

static const char *USAGE =
    "usage: powerprune sta [NETLIST.v] [options]\n"
    "Static timing with the simulator's delay model (NLDM pin delays, see sim.h).\n"
    "  NETLIST.v               structural Verilog (default: the built-in MAC, generated now)\n";

static void bit_name(const pp_port *p, int b, char *buf, size_t n) {
  if (p->width == 1) snprintf(buf, n, "%s", p->name);
  else snprintf(buf, n, "%s[%d]", p->name, b);
}

int pp_cmd_sta(int argc, char **argv) {
  const char *cmd = "sta";
  int json = 0;
  pp_cli_netlist_src src;
  pp_cli_netlist_src_default(&src);
  pp_sim_opts so;
  pp_sim_opts_default(&so);
  pp_opt opts[] = {
      PP_OPTS_NETLIST_SRC(&src, &so),
      PP_OPT_FLAG("json", &json,
                  "JSON on stdout (format powerprune-sta/1; \"assumptions\"\n"
                  "records the input slew, output load, wire and delay model)"),
      PP_OPT_GROUP("The library's defaults: input slew pp_default_input_slew, else its smallest table slew;\n"
                   "output load pp_output_load, else the input capacitance of the smallest inverter;\n"
                   "wire load of a net cap + per-fanout x fanout, pp_wire_cap and pp_wire_cap_per_fanout, else 0,\n"
                   "plus the default_wire_load group's capacitance at the net's fanout (output ports count)."),
      PP_OPT_END(),
  };
  int npos = 0, prc = pp_opt_parse(cmd, USAGE, opts, argc, argv, &npos);
  if (prc) return prc == PP_OPT_HELP ? PP_EXIT_OK : prc;
  if (npos > 1) return pp_cli_usage(cmd, "only one netlist, got '%s' and '%s'", argv[1], argv[2]);
  if (npos == 1) src.path = argv[1];
  pp_err e;
  pp_err_clear(&e);
  pp_lib *lib = NULL;
  pp_netlist *nl = NULL;
  pp_sim_model *m = NULL;
  pp_sta *s = NULL;
  int rc = PP_EXIT_OK;
  if (pp_cli_netlist_load(&src, &lib, &nl, &e) ||
      pp_sim_model_new(nl, &so, &m, &e) || pp_sta_run(m, &s, &e)) {
    rc = pp_cli_fail(cmd, &e);
    goto done;
  }
  char ib[300], ob[300];
  /* locate bits by port */
  int ni = s->n_in_bits, no = s->n_out_bits;
  int *iport = calloc((size_t)ni + 1, sizeof(int)), *ibit = calloc((size_t)ni + 1, sizeof(int));
  int *oport = calloc((size_t)no + 1, sizeof(int)), *obit = calloc((size_t)no + 1, sizeof(int));
  if (!iport || !ibit || !oport || !obit) {
    free(iport), free(ibit), free(oport), free(obit);
    pp_err_set(&e, PP_ENOMEM, "", 0, "out of memory");
    rc = pp_cli_fail(cmd, &e);
    goto done;
  }
  for (int p = 0; p < nl->n_inputs; p++)
    for (int b = 0; b < nl->inputs[p].width; b++) {
      int i = pp_sim_input_bit(m, p, b);
      iport[i] = p, ibit[i] = b;
    }
  for (int p = 0; p < nl->n_outputs; p++)
    for (int b = 0; b < nl->outputs[p].width; b++) {
      int o = pp_sim_output_bit(m, p, b);
      oport[o] = p, obit[o] = b;
    }
  if (json) {
    pp_json j;
    pp_cli_netlist_json_begin(&j, "powerprune-sta/1", &src, nl, &so);
    pp_json_key_int(&j, "gates", nl->n_gates);
    pp_json_key_num(&j, "critical_path_ps", s->critical_ps);
    pp_json_key_obj_begin(&j, "critical_path");
    if (s->crit_in_bit >= 0 && s->crit_out_bit >= 0) {
      bit_name(&nl->inputs[iport[s->crit_in_bit]], ibit[s->crit_in_bit], ib, sizeof ib);
      bit_name(&nl->outputs[oport[s->crit_out_bit]], obit[s->crit_out_bit], ob, sizeof ob);
      pp_json_key_str(&j, "from", ib);
      pp_json_key_str(&j, "to", ob);
    }
    pp_json_key_arr_begin(&j, "stages");
    for (int k = 0; k < s->n_path; k++) {
      const pp_sta_stage *st = &s->path[k];
      pp_json_obj_begin(&j);
      if (st->gate >= 0) {
        pp_json_key_str(&j, "inst", st->inst);
        pp_json_key_str(&j, "cell", st->cell);
        pp_json_key_str(&j, "from_pin", st->in_pin);
        pp_json_key_str(&j, "to_pin", st->out_pin);
      }
      pp_json_key_str(&j, "net", nl->nets[st->net].name);
      pp_json_key_str(&j, "edge", st->rise ? "rise" : "fall");
      pp_json_key_num(&j, "delay_ps", st->delay_ps);
      pp_json_key_num(&j, "arrival_ps", st->arrival_ps);
      pp_json_obj_end(&j);
    }
    pp_json_arr_end(&j);
    pp_json_obj_end(&j);
    /* per input port: longest delay of each bit to any output */
    pp_json_key_obj_begin(&j, "input_bit_max_ps");
    for (int p = 0; p < nl->n_inputs; p++) {
      double *pb = calloc((size_t)nl->inputs[p].width + 1, sizeof(double));
      if (!pb) continue;
      pp_sta_port_max(m, s, p, pb);
      pp_json_key(&j, nl->inputs[p].name);
      pp_json_arr_begin(&j);
      for (int b = 0; b < nl->inputs[p].width; b++) pp_json_num(&j, pb[b]);
      pp_json_arr_end(&j);
      free(pb);
    }
    pp_json_obj_end(&j);
    pp_json_key_arr_begin(&j, "paths");
    for (int i = 0; i < ni; i++)
      for (int o = 0; o < no; o++) {
        double mx = s->max_ps[(size_t)i * no + o];
        if (mx < 0) continue;
        bit_name(&nl->inputs[iport[i]], ibit[i], ib, sizeof ib);
        bit_name(&nl->outputs[oport[o]], obit[o], ob, sizeof ob);
        pp_json_obj_begin(&j);
        pp_json_key_str(&j, "from", ib);
        pp_json_key_str(&j, "to", ob);
        pp_json_key_num(&j, "max_ps", mx);
        pp_json_key_num(&j, "min_ps", s->min_ps[(size_t)i * no + o]);
        pp_json_obj_end(&j);
      }
    pp_json_arr_end(&j);
    pp_json_obj_end(&j);
    pp_json_end(&j);
  } else {
    printf("netlist %s (%s), %d gates, library %s, tick %g ps\n", src.path ? src.path : "built-in MAC", nl->top, nl->n_gates,
           lib->name, so.tick_ps);
    const char *wl = pp_lib_wire_load_name(lib);
    printf("assumed: input slew %g ps, output load %g fF, wire %g fF + %g fF per fanout%s%s\n",
           so.input_slew_ps >= 0 ? so.input_slew_ps : lib->default_slew_ps, lib->output_load_ff, lib->wire_cap_ff,
           lib->wire_cap_per_fanout_ff, wl ? " + wire_load " : "", wl ? wl : "");
    if (s->crit_in_bit >= 0 && s->crit_out_bit >= 0) {
      bit_name(&nl->inputs[iport[s->crit_in_bit]], ibit[s->crit_in_bit], ib, sizeof ib);
      bit_name(&nl->outputs[oport[s->crit_out_bit]], obit[s->crit_out_bit], ob, sizeof ob);
      printf("critical path: %.1f ps, %s -> %s, %d stages\n", s->critical_ps, ib, ob, s->n_path - 1);
      printf("  %-28s %-10s %-9s %4s %9s %10s\n", "instance", "cell", "arc", "edge", "delay", "arrival");
      for (int k = 0; k < s->n_path; k++) {
        const pp_sta_stage *st = &s->path[k];
        char arc[64];
        snprintf(arc, sizeof arc, "%s->%s", st->gate >= 0 ? st->in_pin : "", st->gate >= 0 ? st->out_pin : "");
        printf("  %-28.28s %-10s %-9s %4s %9.1f %10.1f\n", st->gate >= 0 ? st->inst : ib, st->gate >= 0 ? st->cell : "(input)",
               st->gate >= 0 ? arc : "", st->rise ? "rise" : "fall", st->delay_ps, st->arrival_ps);
      }
    } else
      printf("no path from an input to an output\n");
    printf("longest delay (ps) input port -> output port:\n");
    for (int p = 0; p < nl->n_inputs; p++)
      for (int q = 0; q < nl->n_outputs; q++) {
        double mx = -1, mn = -1;
        for (int b = 0; b < nl->inputs[p].width; b++)
          for (int c = 0; c < nl->outputs[q].width; c++) {
            int i = pp_sim_input_bit(m, p, b), o = pp_sim_output_bit(m, q, c);
            double v = s->max_ps[(size_t)i * no + o], w = s->min_ps[(size_t)i * no + o];
            if (v > mx) mx = v;
            if (w >= 0 && (mn < 0 || w < mn)) mn = w;
          }
        if (mx >= 0) printf("  %-8s -> %-8s max %8.1f  min %8.1f\n", nl->inputs[p].name, nl->outputs[q].name, mx, mn);
      }
  }
  free(iport), free(ibit), free(oport), free(obit);
done:
  pp_sta_free(s);
  pp_sim_model_free(m);
  pp_netlist_free(nl);
  pp_lib_free(lib);
  return rc;
}
