/* cli/cmd_sim: `powerprune sim`: timed gate-level simulation of input
 * transitions (default netlist: the built-in MAC): energy, toggles and
 * settle times of each transition, from --from/--to or a transitions file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "opt.h"
#include "pp/netlist.h"
#include "pp/sim.h"

static const char *USAGE =
    "usage: powerprune sim [NETLIST.v] [options] --from PORT=V,... --to PORT=V,...\n"
    "Timed gate-level simulation of input transitions: the circuit settles at the\n"
    "'from' vector, every input switches to the 'to' vector at t = 0.\n"
    "  NETLIST.v               structural Verilog (default: the built-in MAC, generated now)\n";

/* Parses "a=3,p=-7" into bits (ports not named keep their bits). */
static int parse_assign(const pp_sim_model *m, const char *text, uint8_t *bits, const char *file, int line,
                        pp_err *e) {
  const pp_netlist *nl = pp_sim_netlist(m);
  char buf[1024];
  snprintf(buf, sizeof buf, "%s", text);
  char *save = NULL;
  for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    while (*tok == ' ' || *tok == '\t') tok++;
    char *eq = strchr(tok, '=');
    if (!eq) return pp_err_set(e, PP_EINVAL, file, line, "expected PORT=VALUE, got '%s'", tok);
    *eq = 0;
    char *name = tok, *val = eq + 1;
    for (char *q = eq - 1; q >= name && (*q == ' ' || *q == '\t'); q--) *q = 0;
    int port = -1;
    for (int p = 0; p < nl->n_inputs; p++)
      if (!strcmp(nl->inputs[p].name, name)) port = p;
    if (port < 0) return pp_err_set(e, PP_EINVAL, file, line, "the netlist has no input port '%s'", name);
    errno = 0;
    char *end;
    long long v = strtoll(val, &end, 0);
    while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r') end++;
    if (errno || end == val || *end)
      return pp_err_set(e, PP_EINVAL, file, line, "expected an integer value for port '%s', got '%s'", name, val);
    int w = nl->inputs[port].width;
    if (w < 63 && (v >= (1LL << w) || v < -(1LL << (w - 1))))
      return pp_err_set(e, PP_EINVAL, file, line, "value %lld does not fit the %d-bit port '%s'", v, w, name);
    pp_sim_bits_set_port(m, bits, port, v);
  }
  return PP_OK;
}

typedef struct tr {
  uint8_t *old_bits, *new_bits;
  char *desc;
} tr;

int pp_cmd_sim(int argc, char **argv) {
  const char *cmd = "sim", *set = NULL, *from = NULL, *to = NULL, *trfile = NULL;
  int json = 0, nets = 0;
  pp_cli_netlist_src src;
  pp_cli_netlist_src_default(&src);
  pp_sim_opts so;
  pp_sim_opts_default(&so);
  pp_opt opts[] = {
      PP_OPTS_NETLIST_SRC(&src, &so),
      PP_OPT_FLAG("inertial", &so.inertial, "the same as --delay-model inertial"),
      PP_OPT_STRING("set", &set, "PORT=V,...", "input values held in both vectors (e.g. --set w=5)"),
      PP_OPT_STRING("from", &from, "PORT=V,...", "old values (unnamed ports: 0)"),
      PP_OPT_STRING("to", &to, "PORT=V,...", "new values (unnamed ports: 0)"),
      PP_OPT_PATH("transitions", &trfile, "FILE",
                  "one transition per line: 'a=3,p=100 -> a=200,p=-7' (# comments)"),
      PP_OPT_FLAG("nets", &nets, "per-net toggles and last change times in the JSON"),
      PP_OPT_FLAG("json", &json, "JSON on stdout (format powerprune-sim/1)"),
      PP_OPT_GROUP("Values are decimal or 0x hex, negative values are two's complement.\n"
                   "The assumption options are explained in powerprune sta --help."),
      PP_OPT_END(),
  };
  int npos = 0, prc = pp_opt_parse(cmd, USAGE, opts, argc, argv, &npos);
  if (prc) return prc == PP_OPT_HELP ? PP_EXIT_OK : prc;
  if (npos > 1) return pp_cli_usage(cmd, "only one netlist, got '%s' and '%s'", argv[1], argv[2]);
  if (npos == 1) src.path = argv[1];
  if (!trfile && !from && !to) return pp_cli_usage(cmd, "give --from/--to or --transitions");
  if (trfile && (from || to)) return pp_cli_usage(cmd, "--transitions and --from/--to exclude each other");

  pp_err e;
  pp_err_clear(&e);
  pp_lib *lib = NULL;
  pp_netlist *nl = NULL;
  pp_sim_model *m = NULL;
  pp_sim_ws *w = NULL;
  tr *trs = NULL;
  int ntr = 0, rc = PP_EXIT_OK;
  char *text = NULL;
  if (pp_cli_netlist_load(&src, &lib, &nl, &e) ||
      pp_sim_model_new(nl, &so, &m, &e) || pp_sim_ws_new(m, &w, &e))
    goto fail;
  int nb = pp_sim_n_input_bits(m);
  /* collect transitions */
  if (trfile) {
    size_t len;
    if (pp_read_file(trfile, &text, &len, &e)) goto fail;
    int line = 0;
    char *save = NULL;
    for (char *ln = text; ln; ln = save) {
      line++;
      save = strchr(ln, '\n');
      if (save) *save++ = 0;
      char *hash = strchr(ln, '#');
      if (hash) *hash = 0;
      char *s = ln;
      while (*s == ' ' || *s == '\t' || *s == '\r') s++;
      if (!*s) continue;
      char *arrow = strstr(s, "->");
      if (!arrow) {
        pp_err_set(&e, PP_EPARSE, trfile, line, "expected 'PORT=V,... -> PORT=V,...'");
        goto fail;
      }
      *arrow = 0;
      tr *q = realloc(trs, (size_t)(ntr + 1) * sizeof *trs);
      if (!q) {
        pp_err_set(&e, PP_ENOMEM, "", 0, "out of memory");
        goto fail;
      }
      trs = q;
      tr *t = &trs[ntr++];
      t->old_bits = calloc((size_t)nb + 1, 1);
      t->new_bits = calloc((size_t)nb + 1, 1);
      char d[2100];
      snprintf(d, sizeof d, "%s -> %s", s, arrow + 2);
      t->desc = strdup(d);
      if (!t->old_bits || !t->new_bits || !t->desc) {
        pp_err_set(&e, PP_ENOMEM, "", 0, "out of memory");
        goto fail;
      }
      if ((set && (parse_assign(m, set, t->old_bits, "--set", 0, &e) || parse_assign(m, set, t->new_bits, "--set", 0, &e))) ||
          parse_assign(m, s, t->old_bits, trfile, line, &e) || parse_assign(m, arrow + 2, t->new_bits, trfile, line, &e)) {
        if (e.status == PP_EINVAL && e.line) e.status = PP_EPARSE;
        goto fail;
      }
    }
    if (!ntr) {
      pp_err_set(&e, PP_EPARSE, trfile, 0, "no transitions in the file");
      goto fail;
    }
  } else {
    trs = calloc(1, sizeof *trs);
    if (!trs) goto fail;
    ntr = 1;
    trs[0].old_bits = calloc((size_t)nb + 1, 1);
    trs[0].new_bits = calloc((size_t)nb + 1, 1);
    char d[2100];
    snprintf(d, sizeof d, "%s -> %s", from ? from : "", to ? to : "");
    trs[0].desc = strdup(d);
    if (!trs[0].old_bits || !trs[0].new_bits || !trs[0].desc) {
      pp_err_set(&e, PP_ENOMEM, "", 0, "out of memory");
      goto fail;
    }
    if ((set && (parse_assign(m, set, trs[0].old_bits, "--set", 0, &e) ||
                 parse_assign(m, set, trs[0].new_bits, "--set", 0, &e))) ||
        (from && parse_assign(m, from, trs[0].old_bits, "--from", 0, &e)) ||
        (to && parse_assign(m, to, trs[0].new_bits, "--to", 0, &e)))
      goto fail;
  }

  /* `when`-conditioned power: priced for the states the new vectors settle in */
  if (pp_sim_model_state_dependent(m)) {
    uint8_t *nv = malloc((size_t)ntr * (size_t)nb + 1);
    if (!nv) {
      pp_err_set(&e, PP_ENOMEM, "", 0, "out of memory");
      goto fail;
    }
    for (int k = 0; k < ntr; k++) memcpy(nv + (size_t)k * (size_t)nb, trs[k].new_bits, (size_t)nb);
    int st = pp_sim_model_use_states(m, nv, ntr, &e);
    free(nv);
    if (st) goto fail;
  }
  pp_json j;
  if (json) {
    pp_cli_netlist_json_begin(&j, "powerprune-sim/1", &src, nl, &so);
    pp_json_key_str(&j, "delay", so.inertial ? "inertial" : "transport");
    pp_json_key_num(&j, "voltage", lib->voltage);
    pp_json_key_num(&j, "leakage_nw", pp_sim_leakage_nw(m));
    pp_json_key_bool(&j, "state_dependent", pp_sim_model_state_dependent(m));
    pp_json_key_arr_begin(&j, "transitions");
  } else {
    printf("netlist %s (%s), %d gates, library %s (%.2f V), %s delays, tick %g ps, leakage %.1f nW\n",
           src.path ? src.path : "built-in MAC", nl->top, nl->n_gates, lib->name, lib->voltage,
           so.inertial ? "inertial" : "transport", so.tick_ps, pp_sim_leakage_nw(m));
  }
  for (int k = 0; k < ntr; k++) {
    pp_sim_result r;
    if (pp_sim_transition(w, trs[k].old_bits, trs[k].new_bits, nets ? PP_SIM_NET_DETAIL : 0, &r)) {
      pp_err_set(&e, PP_ENOMEM, "", 0, "out of memory simulating");
      goto fail;
    }
    if (json) {
      pp_json_obj_begin(&j);
      pp_json_key_str(&j, "transition", trs[k].desc);
      if (set) {
        pp_json_key_str(&j, "set", set);
      }
      pp_json_key_num(&j, "energy_fj", r.energy_fj);
      pp_json_key_num(&j, "switching_fj", r.switching_fj);
      pp_json_key_num(&j, "internal_fj", r.internal_fj);
      pp_json_key_int(&j, "toggles", r.toggles);
      pp_json_key_int(&j, "output_toggles", r.output_toggles);
      pp_json_key_num(&j, "max_settle_ps", r.max_settle_ps);
      pp_json_key_obj_begin(&j, "outputs");
      for (int p = 0; p < nl->n_outputs; p++) {
        pp_json_key(&j, nl->outputs[p].name);
        pp_json_obj_begin(&j);
        pp_json_key_int(&j, "value", pp_sim_output_value(w, p, 1));
        pp_json_key_int(&j, "unsigned", pp_sim_output_value(w, p, 0));
        pp_json_key_arr_begin(&j, "settle_ps");
        for (int b = 0; b < nl->outputs[p].width; b++) pp_json_num(&j, r.settle_ps[pp_sim_output_bit(m, p, b)]);
        pp_json_arr_end(&j);
        pp_json_obj_end(&j);
      }
      pp_json_obj_end(&j);
      if (nets) {
        pp_json_key_arr_begin(&j, "nets");
        for (int n = 0; n < nl->n_nets; n++) {
          if (!r.net_toggles[n]) continue;
          pp_json_obj_begin(&j);
          pp_json_key_str(&j, "net", nl->nets[n].name);
          pp_json_key_int(&j, "toggles", r.net_toggles[n]);
          pp_json_key_num(&j, "last_ps", r.net_last_ps[n]);
          pp_json_obj_end(&j);
        }
        pp_json_arr_end(&j);
      }
      pp_json_obj_end(&j);
    } else {
      printf("transition %d: %s%s%s\n", k + 1, trs[k].desc, set ? "  with " : "", set ? set : "");
      printf("  energy %.3f fJ (switching %.3f, internal %.3f), %ld toggles (%ld on outputs), settle %.1f ps\n",
             r.energy_fj, r.switching_fj, r.internal_fj, r.toggles, r.output_toggles, r.max_settle_ps);
      for (int p = 0; p < nl->n_outputs; p++) {
        double mx = 0;
        for (int b = 0; b < nl->outputs[p].width; b++) {
          double s = r.settle_ps[pp_sim_output_bit(m, p, b)];
          if (s > mx) mx = s;
        }
        printf("  %s = %lld (0x%llx), settles at %.1f ps\n", nl->outputs[p].name,
               (long long)pp_sim_output_value(w, p, 1), (unsigned long long)pp_sim_output_value(w, p, 0), mx);
      }
    }
  }
  if (json) {
    pp_json_arr_end(&j);
    pp_json_obj_end(&j);
    pp_json_end(&j);
  }
  goto done;
fail:
  if (!e.status) pp_err_set(&e, PP_ENOMEM, "", 0, "out of memory");
  rc = pp_cli_fail(cmd, &e);
done:
  for (int k = 0; k < ntr; k++) free(trs[k].old_bits), free(trs[k].new_bits), free(trs[k].desc);
  free(trs);
  free(text);
  pp_sim_ws_free(w);
  pp_sim_model_free(m);
  pp_netlist_free(nl);
  pp_lib_free(lib);
  return rc;
}
