/* flow/mac: the MAC's tables for the flow: the power table P[w] from
 * transitions sampled from the int8 network's trace, and the delay table
 * D[w][a->a'] (module characterize, through the timed simulator), from the
 * built-in MAC and cell library or the user's netlists and library. */
#include <stdio.h>
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
  int joint = c->o->power_tuples == PP_FLOW_TUPLES_JOINT;
  if ((rc = pp_char_trace_tuples(st, (size_t)c->transitions, c->o->seed, joint, tup, e))) goto out;
  /* the clock is the MAC's critical path, as synthesis would set it */
  pp_sta *sta;
  if ((rc = pp_sta_run(mac.m[0], &sta, e))) goto out;
  double clock_ps = sta->critical_ps;
  pp_sta_free(sta);
  if (!(clock_ps > 0)) {
    rc = pp_err_set(e, PP_EINVAL, mac.path[0], 0, "static timing found no path through the MAC");
    goto out;
  }
  flow_log(c, "stage 06-characterize: %d transitions per weight value (%s), clock %.1f ps (%s)", c->transitions,
           joint ? "joint samples of the trace's streams" : "activation histogram x partial-sum bins", clock_ps,
           mac.desc[0]);
  if ((rc = pp_char_power_run(mac.m[0], tup, (size_t)c->transitions, clock_ps, &c->P, e))) goto out;
  c->P.seed = c->o->seed;
  c->P.uniform = 0;
  snprintf(c->P.source, sizeof c->P.source, "%.490s%s", p, joint ? " (reservoir)" : "");
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

/* Before any training: the library reads, every netlist is the part it is given as (exhaustive over (w, a), or
 * every product for the adder, with seeded partial sums), and the widths agree, so that the parts compose to
 * the MAC. Each exact part computes its function, so agreeing widths are what composition needs. */
int flow_voltage_fit(flow_ctx *c, pp_err *e) {
  const pp_flow_opts *o = c->o;
  char p[4300];
  memset(&c->vfit, 0, sizeof c->vfit);
  pp_est_vmodel_default(&c->vm_fit);
  if (!o->n_lib_at) {
    remove(pp_flow_path(&c->L, "voltage_fit.json", p, sizeof p)); /* an earlier run's fit is not this one's */
    return PP_OK;
  }
  if (o->n_lib_at > PP_FLOW_MAX_LIB_AT)
    return pp_err_set(e, PP_EINVAL, "", 0, "--lib-at given %d times: at most %d", o->n_lib_at, PP_FLOW_MAX_LIB_AT);
  pp_est_vfit *f = &c->vfit;
  for (int i = 0; i <= o->n_lib_at; i++) {
    pp_char_mac_spec spec;
    mac_spec(c, &spec);
    if (i) spec.lib_path = o->lib_at_file[i - 1];
    pp_est_vpoint *pt = &f->pt[f->n++];
    snprintf(pt->lib, sizeof pt->lib, "%s", spec.lib_path ? spec.lib_path : pp_lib_default_path());
    double v_file;
    int rc = pp_char_mac_corner(&spec, &pt->delay_ps, &pt->leak_nw, &v_file, e);
    if (rc) return rc;
    pt->v = i && o->lib_at_v[i - 1] > 0 ? o->lib_at_v[i - 1] : v_file;
  }
  int rc = pp_est_vmodel_fit(f, &c->vm_fit, e);
  if (rc) return rc;
  flow_log(c, "voltage law fitted to the MAC at %d supplies: Vth %.4f V, alpha %.4f%s, leakage k %.3f/V%s (rms log "
           "delay residual %.2g)",
           f->n, c->vm_fit.vth, c->vm_fit.alpha, f->alpha_fitted ? "" : " (kept: two supplies fix one parameter)",
           c->vm_fit.leak_k, f->leak_fitted ? "" : " (kept: a leakage is 0)", f->rms_log_delay);
  pp_outfile of;
  if ((rc = pp_outfile_open(&of, pp_flow_path(&c->L, "voltage_fit.json", p, sizeof p), e))) return rc;
  pp_json j;
  pp_json_init(&j, of.f, 1);
  pp_json_obj_begin(&j);
  pp_json_key_str(&j, "format", "powerprune-voltage-fit/1");
  pp_json_key_str(&j, "law", "delay ~ V/(V-Vth)^alpha; leakage ~ V*exp(k(V-V0))");
  pp_json_key_num(&j, "v_nom", c->vm_fit.v_nom);
  pp_json_key_num(&j, "vth", c->vm_fit.vth);
  pp_json_key_num(&j, "alpha", c->vm_fit.alpha);
  pp_json_key_num(&j, "leak_k", c->vm_fit.leak_k);
  pp_json_key_bool(&j, "alpha_fitted", f->alpha_fitted);
  pp_json_key_bool(&j, "vth_at_zero", f->vth_at_zero);
  pp_json_key_bool(&j, "leak_fitted", f->leak_fitted);
  pp_json_key_num(&j, "rms_log_delay", f->rms_log_delay);
  if (f->leak_fitted) pp_json_key_num(&j, "rms_log_leak", f->rms_log_leak);
  else pp_json_key_null(&j, "rms_log_leak");
  pp_json_key_arr_begin(&j, "points");
  for (int i = 0; i < f->n; i++) {
    const pp_est_vpoint *pt = &f->pt[i];
    pp_json_obj_begin(&j);
    pp_json_key_str(&j, "lib", pt->lib);
    pp_json_key_num(&j, "v", pt->v);
    pp_json_key_num(&j, "critical_ps", pt->delay_ps);
    pp_json_key_num(&j, "law_ps", f->pt[0].delay_ps * pp_est_delay_factor(&c->vm_fit, pt->v));
    pp_json_key_num(&j, "leakage_nw", pt->leak_nw);
    pp_json_key_num(&j, "law_leakage_nw", f->pt[0].leak_nw * pp_est_leak_scale(&c->vm_fit, pt->v));
    pp_json_obj_end(&j);
  }
  pp_json_arr_end(&j);
  pp_json_obj_end(&j);
  return pp_outfile_commit(&of, e);
}

int flow_check_inputs(flow_ctx *c, pp_err *e) {
  const pp_flow_opts *o = c->o;
  if (o->mac_file && (!o->mult_file || !o->adder_file))
    return pp_err_set(e, PP_EINVAL, o->mac_file, 0,
                      "timing needs the MAC's multiplier and adder as netlists of their own: give --mult-netlist "
                      "and --adder-netlist beside --mac");
  if (!o->mac_file && (o->mult_file || o->adder_file))
    return pp_err_set(e, PP_EINVAL, o->mult_file ? o->mult_file : o->adder_file, 0,
                      "--mult-netlist and --adder-netlist describe the parts of a --mac netlist: give --mac too");
  if (!o->mac_file && !o->lib_file) return PP_OK; /* the built-in MAC on the built-in library: tested as built */
  pp_char_mac_spec spec;
  mac_spec(c, &spec);
  pp_char_mac mac;
  int rc = pp_char_mac_load(&spec, PP_CHAR_FULL | PP_CHAR_MULT | PP_CHAR_ADDER, &mac, e);
  if (rc) return rc;
  static const char *const want[] = {"MAC (w, a, p -> y)", "multiplier (w, a -> prod)", "adder (prod, p -> y)"};
  pp_mac_check_result r[3];
  memset(r, 0, sizeof r);
  for (int i = 0; i < 3 && !rc; i++) {
    if ((rc = pp_mac_check(mac.nl[i], c->o->seed, &r[i], e))) break;
    if (r[i].part != i)
      rc = pp_err_set(e, PP_EINVAL, mac.path[i], 0, "expected a %s, but its ports make it a %s", want[i],
                      want[r[i].part]);
    else if (r[i].mismatches)
      rc = pp_err_set(e, PP_EINVAL, mac.path[i], 0,
                      "is not a correct %s: for w=%lld a=%lld p=%lld prod=%lld it gives %llu, expected %llu "
                      "(%lld of %lld vectors wrong)",
                      want[i], r[i].bad_w, r[i].bad_a, r[i].bad_p, r[i].bad_prod, r[i].got, r[i].want,
                      r[i].mismatches, r[i].vectors_checked);
  }
  if (!rc && (r[1].w_bits != r[0].w_bits || r[1].a_bits != r[0].a_bits))
    rc = pp_err_set(e, PP_EINVAL, mac.path[1], 0, "multiplier is %d x %d bits but the MAC %d x %d", r[1].w_bits,
                    r[1].a_bits, r[0].w_bits, r[0].a_bits);
  if (!rc && (r[2].p_bits != r[0].p_bits || r[2].prod_bits != r[1].prod_bits))
    rc = pp_err_set(e, PP_EINVAL, mac.path[2], 0,
                    "adder takes a %d-bit product and a %d-bit partial sum; the multiplier gives %d bits and the "
                    "MAC's partial sum has %d",
                    r[2].prod_bits, r[2].p_bits, r[1].prod_bits, r[0].p_bits);
  if (!rc && (r[0].w_bits != 8 || r[0].a_bits != 8))
    rc = pp_err_set(e, PP_EINVAL, mac.path[0], 0, "the flow's networks are int8 x uint8; this MAC is %d x %d bits",
                    r[0].w_bits, r[0].a_bits);
  if (!rc)
    flow_log(c, "inputs: %s, %s and %s are exact %s, %s and %s of matching widths (%lld + %lld + %lld vectors)",
             mac.desc[0], mac.desc[1], mac.desc[2], "MAC", "multiplier", "adder", r[0].vectors_checked,
             r[1].vectors_checked, r[2].vectors_checked);
  pp_char_mac_free(&mac);
  return rc;
}
