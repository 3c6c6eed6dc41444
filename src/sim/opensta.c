/* sim/opensta: the energy oracle. Our timed engine simulates a stimulus and
 * counts, per net, toggles (glitches included) and how often the net settles
 * at 1; OpenSTA (`sta`, an independent timer with its own Liberty and Verilog
 * readers, delay calculator and power model) reads the same netlist file and
 * library file with the same input slew and loads and reports the energy of
 * one toggle of every pin and arc; the two meet only in the toggle counts
 * (see pp_sim_opensta_energy in sim.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim_internal.h"
#include "pp/util_mem.h"

void pp_sim_activity_free(pp_sim_activity *a) {
  if (!a) return;
  PP_FREE_ALL(a->toggles, a->ones, a->internal_fj, a->gate_switching_fj, a->gate_internal_fj);
  memset(a, 0, sizeof *a);
}

int pp_sim_activity_run(pp_sim_ws *w, const uint8_t *vectors, long n_transitions, pp_sim_activity *a, pp_err *e) {
  const pp_sim_model *m = w->m;
  const pp_netlist *nl = m->nl;
  memset(a, 0, sizeof *a);
  if (n_transitions < 1) return pp_err_set(e, PP_EINVAL, "", 0, "activity: need at least one transition");
  int nn = m->n_nets, nb = m->n_in_bits;
  a->n_nets = nn;
  a->toggles = pp_xcalloc((size_t)nn + 1, sizeof *a->toggles);
  a->ones = pp_xcalloc((size_t)nn + 1, sizeof *a->ones);
  a->internal_fj = pp_xcalloc((size_t)nn + 1, sizeof *a->internal_fj);
  a->gate_switching_fj = pp_xcalloc((size_t)nl->n_gates + 1, sizeof(double));
  a->gate_internal_fj = pp_xcalloc((size_t)nl->n_gates + 1, sizeof(double));
  uint8_t *val = pp_xcalloc((size_t)nn + 1, 1);
  if (!a->toggles || !a->ones || !a->internal_fj || !val || !a->gate_switching_fj || !a->gate_internal_fj) {
    free(val);
    pp_sim_activity_free(a);
    return pp_err_set(e, PP_ENOMEM, "", 0, "out of memory");
  }
  a->n_transitions = n_transitions;
  for (long k = 0; k < n_transitions; k++) {
    const uint8_t *o = vectors + (size_t)k * nb, *n = o + nb;
    pp_sim_result r;
    if (pp_sim_transition(w, o, n, PP_SIM_NET_DETAIL, &r)) {
      free(val);
      pp_sim_activity_free(a);
      return pp_err_set(e, PP_ENOMEM, "", 0, "out of memory simulating");
    }
    for (int q = 0; q < nn; q++) {
      if (!r.net_toggles[q]) continue;
      a->toggles[q] += r.net_toggles[q];
      a->internal_fj[q] += r.net_internal_fj[q];
      if (m->net_in_bit[q] >= 0) a->input_switching_fj += r.net_toggles[q] * m->net_ecap[q];
      else a->switching_fj += r.net_toggles[q] * m->net_ecap[q];
    }
    a->internal_total_fj += r.internal_fj;
    if (r.max_settle_ps > a->max_settle_ps) a->max_settle_ps = r.max_settle_ps;
    /* duty: the settled (zero-delay) value after the transition, from the
     * netlist's own reference evaluator */
    for (int q = 0; q < nn; q++) val[q] = nl->nets[q].drv_kind == PP_DRV_CONST1;
    for (int b = 0; b < nb; b++) val[m->in_net[b]] = n[b] & 1;
    pp_netlist_eval(nl, val);
    for (int q = 0; q < nn; q++) a->ones[q] += val[q] & 1;
  }
  free(val);
  for (int g = 0; g < nl->n_gates; g++)
    for (int k = 0; k < nl->gates[g].n_out; k++) {
      int q = nl->gates[g].out[k];
      if (q < 0) continue;
      a->gate_switching_fj[g] += (double)a->toggles[q] * m->net_ecap[q];
      a->gate_internal_fj[g] += a->internal_fj[q];
    }
  return PP_OK;
}

void pp_opensta_power_free(pp_opensta_power *r) {
  if (!r) return;
  PP_FREE_ALL(r->net_switching_fj, r->net_internal_fj, r->net_internal_sum_fj, r->net_input_internal_fj,
              r->net_seen, r->inst_found);
  memset(r, 0, sizeof *r);
}

/* OpenSTA runs at one toggle per this period; only a scale. */
#define PP_OPENSTA_PERIOD_PS 1000.0

/* Writes "WORD" quoted for Tcl; 0 on success. */
static int put_word(FILE *f, const char *s) {
  char *q = pp_tcl_quote(s);
  if (!q) return -1;
  fputs(q, f);
  free(q);
  return 0;
}

static int write_script(const pp_sim_model *m, const pp_opensta_opts *o, double in_slew, const char *path,
                        pp_err *e) {
  const pp_netlist *nl = m->nl;
  const pp_lib *lib = m->lib;
  FILE *f = fopen(path, "w");
  if (!f) return pp_err_set(e, PP_EIO, path, 0, "cannot create the OpenSTA script: %s", strerror(errno));
  int bad = 0;
  fprintf(f, "# powerprune check power: OpenSTA's energy per toggle of every pin and arc\n");
  fprintf(f, "proc pp_one {kind objs name} {\n"
             "  if {[llength $objs] != 1} { puts \"PP_MISSING $kind $name\"; exit 3 }\n"
             "  return $objs\n}\n");
  fprintf(f, "read_liberty ");
  bad |= put_word(f, o->lib_path);
  fprintf(f, "\nread_verilog ");
  bad |= put_word(f, o->netlist_path);
  fprintf(f, "\nlink_design ");
  bad |= put_word(f, nl->top);
  fprintf(f, "\nset_cmd_units -time ps -capacitance fF\n");
  fprintf(f, "create_clock -name pp_clk -period %.17g\n", PP_OPENSTA_PERIOD_PS);
  fprintf(f, "set_input_delay -clock pp_clk 0 [all_inputs]\n");
  fprintf(f, "set_input_transition %.17g [all_inputs]\n", in_slew);
  if (nl->n_outputs) fprintf(f, "set_load %.17g [all_outputs]\n", lib->output_load_ff);
  /* wire capacitance of every net, as our netlist reader estimated it */
  for (int q = 0; q < nl->n_nets; q++) {
    const pp_net *net = &nl->nets[q];
    double wire = pp_lib_wire_cap(lib, net->n_fanout, net->is_output != 0);
    /* a net's set_load also stops OpenSTA estimating the wire from the
     * library's default_wire_load: ours is already in `wire`, so a library
     * with wire_load groups gets set_load 0 too */
    if ((!(wire > 0) && lib->n_wire_loads == 0) || (net->drv_kind != PP_DRV_GATE && net->drv_kind != PP_DRV_INPUT))
      continue;
    fprintf(f, "set_load %.17g [pp_one net [get_nets ", wire);
    bad |= put_word(f, net->name);
    fprintf(f, "] ");
    bad |= put_word(f, net->name);
    fprintf(f, "]\n");
  }
  /* one toggle per period on every pin: the per-pin report is then the
   * energy of one toggle (this OpenSTA takes no per-pin activity, see sim.h) */
  fprintf(f, "set_power_activity -global -activity 1 -duty 0.5\n");
  fprintf(f, "if {[llength [info commands ::sta::set_debug]]} { ::sta::set_debug power 2 } else { set_debug power 2 }\n");
  fprintf(f, "puts \"PP_DESIGN\"\nreport_power -digits 9\nputs \"PP_END\"\n");
  if (ferror(f)) bad = 1;
  if (fclose(f)) bad = 1;
  if (bad) return pp_err_set(e, PP_EIO, path, 0, "cannot write the OpenSTA script");
  return PP_OK;
}

static int find_gate(const pp_netlist *nl, const char *name, int hint) {
  if (hint >= 0 && hint < nl->n_gates && !strcmp(nl->gates[hint].name, name)) return hint;
  for (int g = 0; g < nl->n_gates; g++)
    if (!strcmp(nl->gates[g].name, name)) return g;
  return -1;
}

/* The last 4 numbers of an arc line: act/ns, duty, energy (J), power (W). */
static int arc_numbers(char *line, double *duty, double *energy) {
  double v[64];
  int n = 0;
  char *save = NULL;
  for (char *t = strtok_r(line, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
    char *end;
    double x = strtod(t, &end);
    if (end != t && !*end && n < 64) v[n++] = x;
  }
  if (n < 4) return -1;
  *duty = v[n - 3];
  *energy = v[n - 2];
  return 0;
}

typedef struct parse_state {
  int gate, net, is_out; /* current pin's gate, net, direction */
  double pending_sw_w;   /* switching line, before its pin's internal header */
  double duty_sum, sum;
} parse_state;

static void close_pin(pp_opensta_power *r, parse_state *p) {
  if (p->gate >= 0 && p->net >= 0 && p->is_out) {
    /* this OpenSTA prints per arc P(arc sensitized) x (E_rise + E_fall) (with
     * P at duty 0.5 everywhere, its global activity); the weighting of later
     * OpenSTA releases, arcs in proportion to P and each arc at the mean of
     * its rise and fall energies, is then sum / (2 sum P) */
    r->net_internal_fj[p->net] = p->duty_sum > 0 ? p->sum / (2 * p->duty_sum) : 0;
    r->net_internal_sum_fj[p->net] = p->sum;
  } else if (p->gate >= 0 && p->net >= 0)
    r->net_input_internal_fj[p->net] += p->sum; /* input-pin groups: energy per input toggle */
  p->gate = p->net = -1;
  p->duty_sum = p->sum = 0;
}

/* stdout (log) has the report and our markers; stderr (err) the per-pin
 * debug lines. */
static int parse_report(const pp_sim_model *m, const char *log, const char *err, pp_opensta_power *r, pp_err *e) {
  const pp_netlist *nl = m->nl;
  const pp_lib *lib = m->lib;
  char *text = NULL, *text2 = NULL;
  size_t len;
  int st = pp_read_file(log, &text, &len, e);
  if (st) return st;
  st = pp_read_file(err, &text2, &len, e);
  if (st) {
    free(text);
    return st;
  }
  /* one buffer: the log, then the debug lines (parsed as section 1) */
  size_t l1 = strlen(text), l2 = strlen(text2);
  char *both = malloc(l1 + l2 + 32);
  if (!both) {
    free(text), free(text2);
    return pp_err_set(e, PP_ENOMEM, "", 0, "out of memory");
  }
  snprintf(both, l1 + l2 + 32, "%s\nPP_DEBUG\n%s", text, text2);
  free(text), free(text2);
  text = both;
  const char *path = log;
  /* J per toggle -> fJ; W at one toggle per period -> fJ */
  const double J = 1e15, W = PP_OPENSTA_PERIOD_PS * 1e-12 * 1e15;
  parse_state p = {-1, -1, 0, 0, 0, 0};
  int section = 0, have_total = 0, hint = 0, lineno = 0, ended = 0;
  for (char *ln = text, *next; ln; ln = next) {
    lineno++;
    next = strchr(ln, '\n');
    if (next) *next++ = 0;
    if (!strncmp(ln, "PP_MISSING", 10)) {
      st = pp_err_set(e, PP_ECHECK, path, lineno, "OpenSTA found no %s in the netlist", ln + 11);
      break;
    }
    if (!strcmp(ln, "PP_DESIGN")) section = 1;
    else if (!strcmp(ln, "PP_END")) section = 2, ended = 1;
    else if (!strcmp(ln, "PP_DEBUG")) section = 1, path = err, lineno = 0;
    else if (section == 1 && !strncmp(ln, "Total", 5)) {
      const char *c = ln + 5;
      double t[4];
      int k = 0;
      while (k < 4 && !pp_scan_double(&c, &t[k])) k++;
      if (k == 4) {
        r->internal_w = t[0], r->switching_w = t[1], r->leakage_w = t[2], r->total_w = t[3];
        have_total = 1;
      }
    } else if (section == 1 && !strncmp(ln, "power: switching ", 17)) {
      const char *eq = strstr(ln, "volt = ");
      double v, pw;
      const char *c = eq ? eq + 7 : NULL;
      if (!c || pp_scan_double(&c, &v) || pp_scan_double(&c, &pw)) {
        st = pp_err_set(e, PP_EPARSE, path, lineno, "unexpected OpenSTA switching line");
        break;
      }
      p.pending_sw_w = pw;
    } else if (section == 1 && !strncmp(ln, "power: internal ", 16)) {
      close_pin(r, &p);
      char name[2048];
      if (sscanf(ln + 16, "%2047s", name) != 1) continue;
      char *slash = strrchr(name, '/');
      if (!slash) continue;
      *slash = 0;
      int g = find_gate(nl, name, hint);
      if (g < 0) {
        st = pp_err_set(e, PP_ECHECK, path, lineno, "OpenSTA reports an instance '%s' our netlist does not have", name);
        break;
      }
      hint = g;
      const pp_gate *gt = &nl->gates[g];
      const pp_lib_cell *cell = &lib->cells[gt->cell];
      p.gate = g;
      p.net = -1;
      for (int k = 0; k < gt->n_out; k++)
        if (!strcmp(cell->pins[cell->outputs[k]].name, slash + 1)) p.net = gt->out[k], p.is_out = 1;
      for (int i = 0; i < gt->n_in; i++)
        if (!strcmp(cell->pins[cell->inputs[i]].name, slash + 1)) p.net = gt->in[i], p.is_out = 0;
      if (p.is_out && p.net >= 0) {
        r->net_switching_fj[p.net] = p.pending_sw_w * W;
        r->net_seen[p.net] = 1;
        if (!r->inst_found[g]) r->n_found++;
        r->inst_found[g] = 1;
      }
      p.pending_sw_w = 0;
    } else if (section == 1 && p.gate >= 0 && !strncmp(ln, "power:  ", 8) && !strstr(ln, "cap =") &&
               !strstr(ln, "act/ns")) {
      double duty, energy;
      if (arc_numbers(ln + 7, &duty, &energy)) continue;
      p.duty_sum += duty;
      p.sum += energy * J;
    } else if (section == 1 && !strncmp(ln, "power: leakage", 14))
      close_pin(r, &p);
  }
  close_pin(r, &p);
  free(text);
  if (st) return st;
  if (!have_total || !ended)
    return pp_err_set(e, PP_EIO, path, 0, "OpenSTA's output has no complete power report (see its log)");
  return PP_OK;
}

/* Removes the files of the work directory we made and the directory. */
static void cleanup(const char *dir, const char *const *files, int n) {
  char p[4200];
  for (int i = 0; i < n; i++) {
    snprintf(p, sizeof p, "%s/%s", dir, files[i]);
    remove(p);
  }
  rmdir(dir);
}

int pp_sim_opensta_energy(const pp_sim_model *m, const pp_opensta_opts *o, pp_opensta_power *r, pp_err *e) {
  memset(r, 0, sizeof *r);
  const pp_netlist *nl = m->nl;
  if (!o || !o->netlist_path || !o->lib_path) return pp_err_set(e, PP_EINVAL, "", 0, "opensta: netlist and library paths needed");
  const char *prog = o->program ? o->program : "sta";
  if (!pp_program_available(prog))
    return pp_err_set(e, PP_EIO, "", 0, "OpenSTA ('%s') is not installed (Debian package opensta)", prog);
  size_t nn = (size_t)nl->n_nets + 1;
  r->net_switching_fj = pp_xcalloc(nn, sizeof(double));
  r->net_internal_fj = pp_xcalloc(nn, sizeof(double));
  r->net_internal_sum_fj = pp_xcalloc(nn, sizeof(double));
  r->net_input_internal_fj = pp_xcalloc(nn, sizeof(double));
  r->net_seen = pp_xcalloc(nn, 1);
  r->inst_found = pp_xcalloc((size_t)nl->n_gates + 1, 1);
  if (!r->net_switching_fj || !r->net_internal_fj || !r->net_internal_sum_fj || !r->net_input_internal_fj ||
      !r->net_seen || !r->inst_found) {
    pp_opensta_power_free(r);
    return pp_err_set(e, PP_ENOMEM, "", 0, "out of memory");
  }
  char dir[4096];
  const char *tmp = getenv("TMPDIR");
  int made = 0;
  if (o->work_dir) {
    if (snprintf(dir, sizeof dir, "%s", o->work_dir) >= (int)sizeof dir) {
      pp_opensta_power_free(r);
      return pp_err_set(e, PP_EINVAL, o->work_dir, 0, "path too long");
    }
    int st = pp_mkdirs(dir, e);
    if (st) {
      pp_opensta_power_free(r);
      return st;
    }
  } else {
    snprintf(dir, sizeof dir, "%s/powerprune-sta-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
      pp_opensta_power_free(r);
      return pp_err_set(e, PP_EIO, dir, 0, "cannot create a temporary directory: %s", strerror(errno));
    }
    made = 1;
  }
  static const char *const files[] = {"power.tcl", "sta.log", "sta.err"};
  char script[4200], log[4200], err[4200];
  snprintf(script, sizeof script, "%s/%s", dir, files[0]);
  snprintf(log, sizeof log, "%s/%s", dir, files[1]);
  snprintf(err, sizeof err, "%s/%s", dir, files[2]);
  double in_slew = m->o.input_slew_ps >= 0 ? m->o.input_slew_ps : m->lib->default_slew_ps;
  int st = write_script(m, o, in_slew, script, e);
  if (!st) {
    const char *argv[] = {prog, "-no_init", "-no_splash", "-exit", script, NULL};
    int code = -1;
    pp_run_opts ro = {.log_path = log, .err_path = err};
    st = pp_run((char *const *)argv, &ro, &code, e);
    if (!st) st = parse_report(m, log, err, r, e);
    if (!st && code != 0) st = pp_err_set(e, PP_EIO, log, 0, "OpenSTA exited with status %d", code);
  }
  if (made && !st) cleanup(dir, files, 3);
  else if (st) {
    /* keep the files for the user to look at; say where they are */
    if (e) {
      size_t used = strlen(e->msg);
      snprintf(e->msg + used, sizeof e->msg - used, " (OpenSTA files kept in %s)", dir);
    }
    pp_opensta_power_free(r);
  }
  return st;
}

int pp_sim_opensta_apply(const pp_sim_model *m, const pp_opensta_power *r, const pp_sim_activity *a,
                         pp_opensta_on_activity *out, pp_err *e) {
  const pp_netlist *nl = m->nl;
  memset(out, 0, sizeof *out);
  if (a->n_nets != nl->n_nets) return pp_err_set(e, PP_EINVAL, "", 0, "opensta: activities of another netlist");
  out->gate_switching_fj = pp_xcalloc((size_t)nl->n_gates + 1, sizeof(double));
  out->gate_internal_fj = pp_xcalloc((size_t)nl->n_gates + 1, sizeof(double));
  if (!out->gate_switching_fj || !out->gate_internal_fj) {
    pp_opensta_on_activity_free(out);
    return pp_err_set(e, PP_ENOMEM, "", 0, "out of memory");
  }
  for (int g = 0; g < nl->n_gates; g++) {
    const pp_gate *gt = &nl->gates[g];
    for (int k = 0; k < gt->n_out; k++) {
      int q = gt->out[k];
      if (q < 0) continue;
      if (!r->net_seen[q]) {
        int st = pp_err_set(e, PP_ECHECK, "", 0, "OpenSTA reported no power for output %d of instance '%s'", k,
                            gt->name);
        pp_opensta_on_activity_free(out);
        return st;
      }
      double t = (double)a->toggles[q];
      out->gate_switching_fj[g] += t * r->net_switching_fj[q];
      out->gate_internal_fj[g] += t * r->net_internal_fj[q];
      out->switching_fj += t * r->net_switching_fj[q];
      out->internal_fj += t * r->net_internal_fj[q];
      out->internal_sum_fj += t * r->net_internal_sum_fj[q];
    }
  }
  for (int q = 0; q < nl->n_nets; q++) out->input_pin_internal_fj += (double)a->toggles[q] * r->net_input_internal_fj[q];
  out->internal_fj += out->input_pin_internal_fj;
  out->internal_sum_fj += out->input_pin_internal_fj;
  return PP_OK;
}

void pp_opensta_on_activity_free(pp_opensta_on_activity *o) {
  if (!o) return;
  free(o->gate_switching_fj);
  free(o->gate_internal_fj);
  memset(o, 0, sizeof *o);
}
