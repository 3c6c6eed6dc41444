/* flow/mac: the MAC's tables for the flow: the power table P[w] from
 * transitions sampled from the int8 network's trace, and the delay table
 * D[w][a->a'] (module characterize, through the timed simulator), from the
 * built-in MAC and cell library or the user's netlists and library. */
#include <stdlib.h>
#include <string.h>

#include "flow_internal.h"

static void mac_spec(flow_ctx *c, pp_char_mac_spec *s) {
  pp_char_mac_spec_default(s);
  s->lib_path = c->o->lib_file;
  s->path[0] = c->o->mac_file;
  s->path[1] = c->o->mult_file;
  s->path[2] = c->o->adder_file;
  s->work_dir = c->L.dir; /* generated netlists land beside the results */
  if (c->o->mult_arch) s->gen.mult = strcmp(c->o->mult_arch, "booth") ? PP_MULT_ARRAY : PP_MULT_BOOTH;
  if (c->o->adder_arch) s->gen.adder = strcmp(c->o->adder_arch, "prefix") ? PP_ADDER_RIPPLE : PP_ADDER_PREFIX;
}

void flow_mac_arch(flow_ctx *c, int *mult, int *adder) {
  pp_char_mac_spec s;
  mac_spec(c, &s);
  *mult = s.gen.mult;
  *adder = s.gen.adder;
}

int flow_hw_characterize(flow_ctx *c, const char *power_json_path, pp_err *e) {
  pp_char_mac_spec spec;
  mac_spec(c, &spec);
  pp_char_mac mac;
  int rc = pp_char_mac_load(&spec, PP_CHAR_FULL, &mac, e);
  if (rc) return rc;
  pp_array_stats *st = NULL;
  pp_char_tuple *tup = calloc((size_t)c->transitions, sizeof *tup);
  char p[4300];
  if (!tup) {
    rc = pp_err_set(e, PP_ENOMEM, "", 0, "out of memory");
    goto out;
  }
  if ((rc = pp_array_stats_read(pp_flow_path(&c->L, "trace_int8.ppstats", p, sizeof p), &st, e))) goto out;
  if ((rc = pp_char_trace_tuples(st, (size_t)c->transitions, c->o->seed, 0, tup, e))) goto out;
  /* the clock is the MAC's critical path, as synthesis would set it */
  pp_sta *sta;
  if ((rc = pp_sta_run(mac.m[0], &sta, e))) goto out;
  double clock_ps = sta->critical_ps;
  pp_sta_free(sta);
  if (!(clock_ps > 0)) {
    rc = pp_err_set(e, PP_EINVAL, mac.path[0], 0, "static timing found no path through the MAC");
    goto out;
  }
  flow_log(c, "stage 06-characterize: %d transitions per weight value, clock %.1f ps (%s)", c->transitions, clock_ps,
           mac.desc[0]);
  if ((rc = pp_char_power_run(mac.m[0], tup, (size_t)c->transitions, clock_ps, &c->P, e))) goto out;
  c->P.seed = c->o->seed;
  c->P.uniform = 0;
  snprintf(c->P.source, sizeof c->P.source, "%.500s", p);
  snprintf(c->P.netlist, sizeof c->P.netlist, "%s", mac.desc[0]);
  snprintf(c->P.lib, sizeof c->P.lib, "%s", mac.lib->path ? mac.lib->path : "");
  rc = pp_char_power_write_json(&c->P, power_json_path, e);
out:
  free(tup);
  pp_array_stats_free(st);
  pp_char_mac_free(&mac);
  return rc;
}

int flow_hw_timing(flow_ctx *c, const char *delay_path, pp_err *e) {
  if (c->o->mac_file && (!c->o->mult_file || !c->o->adder_file))
    return pp_err_set(e, PP_EINVAL, c->o->mac_file, 0,
                      "timing analysis needs the MAC's multiplier and adder as netlists of their own "
                      "(--mult-netlist and --adder-netlist) beside --mac");
  pp_char_mac_spec spec;
  mac_spec(c, &spec);
  spec.sim.tick_ps = c->tick_ps; /* settle times are multiples of it, rounded up */
  pp_char_mac mac;
  int rc = pp_char_mac_load(&spec, PP_CHAR_FULL | PP_CHAR_MULT | PP_CHAR_ADDER, &mac, e);
  if (rc) return rc;
  flow_log(c, "stage 07-timing: every weight value x 65,536 activation transitions, %g ps steps (%s)", c->tick_ps,
           mac.desc[1]);
  pp_char_delay_free(&c->D);
  if (!(rc = pp_char_timing_run(mac.m[1], mac.m[2], mac.m[0], &c->D, e))) rc = pp_char_delay_write(&c->D, delay_path, e);
  pp_char_mac_free(&mac);
  return rc;
}
