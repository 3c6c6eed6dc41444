/* flow/output: the figures of a run (through module plot) and its report
 * (through module report): Table I's columns, the comparison with
 * conventional pruning, accuracy against the number of selected weights and
 * activations, and the inputs and options that produced them. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "flow_internal.h"

static int exists(flow_ctx *c, const char *rel) {
  char p[4300];
  struct stat sb;
  return stat(pp_flow_path(&c->L, rel, p, sizeof p), &sb) == 0;
}

/* Draws one figure and adds it to the report; a plotting failure is an error
 * (a report without its figures is not what was asked for). */
static int fig_done(flow_ctx *c, const char *base, const char *caption, pp_err *e) {
  char rel[256];
  snprintf(rel, sizeof rel, "%s.svg", base);
  if (!exists(c, rel)) return pp_err_set(e, PP_EIO, rel, 0, "figure was not written");
  return pp_report_add_figure(c->r, rel, caption, e);
}

static const char *fp(flow_ctx *c, const char *base, char *buf, size_t n) { return pp_flow_path(&c->L, base, buf, n); }

/* Power of a restricted version of the pruned network without retraining
 * (each weight moved to its nearest allowed value) at the voltage its max
 * delay allows: the power axis of the step curves. */
static int step_power(flow_ctx *c, const pp_retrain_step *s, const uint8_t *W, double *std_mw, double *opt_mw,
                      pp_err *e) {
  pp_est_usage u;
  int rc = pp_est_usage_restrict(&c->u_pruned, W, &u, e);
  if (rc) return rc;
  double v = c->vm.v_nom;
  if (isfinite(s->max_delay_ps) && (rc = pp_est_scaled_voltage(&c->vm, c->cmp.d_orig_ps, s->max_delay_ps, &v, e)))
    return rc;
  pp_est_power pw;
  if ((rc = pp_est_power_at(&u, &c->P, &c->vm, v, &pw, e))) return rc;
  *std_mw = pw.shw.total_uw / 1000;
  *opt_mw = pw.ohw.total_uw / 1000;
  return PP_OK;
}

static int figures(flow_ctx *c, pp_err *e) {
  char p[4300];
  int rc;
  pp_plot_opts po;
  /* Fig. 2: power per weight value */
  double P[255], D[255];
  for (int w = -127; w <= 127; w++) {
    P[w + 127] = pp_char_power_total(&c->P, w);
    D[w + 127] = pp_char_delay_max_w(&c->D, w);
  }
  memset(&po, 0, sizeof po);
  po.xlabel = "weight value";
  po.ylabel = "average MAC power [uW]";
  if ((rc = pp_plot_bars(fp(c, "power_per_weight", p, sizeof p), &po, -127, P, 255, e))) return rc;
  if ((rc = fig_done(c, "power_per_weight",
                     "Average power of one MAC per weight value (transitions sampled from the trace of the int8 "
                     "network); the selected weights are those under the kept power threshold.",
                     e)))
    return rc;
  /* Fig. 3: delay profiles */
  memset(&po, 0, sizeof po);
  po.xlabel = "weight value";
  po.ylabel = "max MAC delay [ps]";
  if ((rc = pp_plot_bars(fp(c, "max_delay_per_weight", p, sizeof p), &po, -127, D, 255, e))) return rc;
  if ((rc = fig_done(c, "max_delay_per_weight",
                     "Largest MAC delay of each weight value over all 65,536 activation transitions (dynamic timing "
                     "of the multiplier, static timing of the adder).",
                     e)))
    return rc;
  int wa = pp_char_power_argmax_nonzero(&c->P), wb = 64;
  if (wa == wb) wb = 1;
  double *h = malloc((size_t)2 * 65536 * sizeof *h);
  if (!h) return pp_err_set(e, PP_ENOMEM, "", 0, "out of memory");
  for (int a = 0; a < 256; a++)
    for (int b = 0; b < 256; b++) {
      h[a * 256 + b] = pp_char_delay_at(&c->D, wa, a, b);
      h[65536 + a * 256 + b] = pp_char_delay_at(&c->D, wb, a, b);
    }
  char la[64], lb[64];
  snprintf(la, sizeof la, "w = %d", wa);
  snprintf(lb, sizeof lb, "w = %d", wb);
  pp_plot_series hs[2] = {{la, NULL, h, 65536, PP_PLOT_LINES}, {lb, NULL, h + 65536, 65536, PP_PLOT_LINES}};
  memset(&po, 0, sizeof po);
  po.xlabel = "MAC delay [ps]";
  po.ylabel = "activation transitions";
  po.logy = 1;
  rc = pp_plot_hist(fp(c, "delay_profiles", p, sizeof p), &po, hs, 2, 60, e);
  free(h);
  if (rc) return rc;
  char cap[512];
  snprintf(cap, sizeof cap,
           "Delay profiles of two weight values (%d: the most power-hungry, and %d) over all activation "
           "transitions.",
           wa, wb);
  if ((rc = fig_done(c, "delay_profiles", cap, e))) return rc;
  /* Fig. 4: from module array (drawn in the trace stage) */
  if (exists(c, "act_transitions.svg") &&
      (rc = fig_done(c, "act_transitions",
                     "Activation transitions at the PE inputs of the array (previous value to next value, log scale), "
                     "int8 network.",
                     e)))
    return rc;
  if (exists(c, "psum_bin_transitions.svg") &&
      (rc = fig_done(c, "psum_bin_transitions",
                     "Partial-sum transitions between the bins built by bit similarity, int8 network.", e)))
    return rc;
  if (exists(c, "mac_per_weight.svg") &&
      (rc = fig_done(c, "mac_per_weight", "MAC operations per weight value on the array, int8 network.", e)))
    return rc;

  /* Figs. 7-9: from the retraining steps */
  int ns = c->rt.nsteps;
  double *x = calloc((size_t)(ns + 2) * 6, sizeof *x);
  if (!x) return pp_err_set(e, PP_ENOMEM, "", 0, "out of memory");
  double *pw_x = x, *pw_y = x + (ns + 2), *dl_x = x + (size_t)2 * (ns + 2), *dl_y = x + (size_t)3 * (ns + 2);
  double *st_x = x + (size_t)4 * (ns + 2), *st_y = x + (size_t)5 * (ns + 2);
  int npw = 0, ndl = 0, nst = 0;
  pw_x[npw] = 255, pw_y[npw++] = c->acc_pruned;
  double last_pw_acc = c->acc_pruned;
  int last_pw_nw = 255;
  /* the weights of each step, replayed for the power axis: power steps by threshold, delay steps unknown here,
   * so the curve of Fig. 7 uses the power phase (weights) and the kept result */
  for (int k = 0; k < ns; k++) {
    const pp_retrain_step *s = &c->rt.steps[k];
    if (s->phase == 0) {
      pw_x[npw] = s->n_weights, pw_y[npw++] = s->accuracy;
      if (s->accepted) last_pw_acc = s->accuracy, last_pw_nw = s->n_weights;
      uint8_t W[255];
      double thr = s->threshold;
      for (int w = -127; w <= 127; w++) W[w + 127] = w == 0 || pp_char_power_total(&c->P, w) <= thr;
      double sm, om;
      if ((rc = step_power(c, s, W, &sm, &om, e))) goto out;
      st_x[nst] = om, st_y[nst++] = s->accuracy;
    }
  }
  dl_x[ndl] = 256, dl_y[ndl++] = last_pw_acc;
  for (int k = 0; k < ns; k++)
    if (c->rt.steps[k].phase == 1) dl_x[ndl] = c->rt.steps[k].n_acts, dl_y[ndl++] = c->rt.steps[k].accuracy;
  (void)last_pw_nw;

  double ox[1] = {c->cmp.orig.ohw.total_uw / 1000}, oy[1] = {c->acc_int8};
  double px[1] = {c->cmp_pruned.sel.ohw.total_uw / 1000}, py[1] = {c->acc_pruned};
  double fx[1] = {c->cmp.sel_scaled.ohw.total_uw / 1000}, fy[1] = {c->rt.accuracy};
  pp_plot_series cs[4] = {{"int8, unpruned", ox, oy, 1, PP_PLOT_POINTS},
                          {"conventional pruning", px, py, 1, PP_PLOT_POINTS},
                          {"PowerPruning (kept, retrained, voltage scaled)", fx, fy, 1, PP_PLOT_POINTS},
                          {"power threshold steps", st_x, st_y, (size_t)nst, PP_PLOT_LINESPOINTS}};
  memset(&po, 0, sizeof po);
  po.xlabel = "power on Optimized HW [mW]";
  po.ylabel = "test accuracy [%]";
  if ((rc = pp_plot_accuracy_power(fp(c, "fig7_vs_pruning", p, sizeof p), &po, cs, nst ? 4 : 3, e))) goto out;
  if ((rc = fig_done(c, "fig7_vs_pruning",
                     "Against conventional pruning alone, on Optimized HW. The steps of the power phase are placed at "
                     "the power of the pruned network restricted to their weights (each weight moved to its nearest "
                     "allowed value), at the voltage their max delay allows.",
                     e)))
    goto out;
  pp_plot_series s8 = {"power phase", pw_x, pw_y, (size_t)npw, PP_PLOT_LINESPOINTS};
  memset(&po, 0, sizeof po);
  po.xlabel = "selected weight values";
  po.ylabel = "test accuracy [%]";
  if ((rc = pp_plot_xy(fp(c, "fig8_accuracy_weights", p, sizeof p), &po, &s8, 1, e))) goto out;
  if ((rc = fig_done(c, "fig8_accuracy_weights",
                     "Accuracy after retraining against the number of weight values the power threshold leaves "
                     "(255: the pruned network).",
                     e)))
    goto out;
  pp_plot_series s9 = {"delay phase", dl_x, dl_y, (size_t)ndl, PP_PLOT_LINESPOINTS};
  memset(&po, 0, sizeof po);
  po.xlabel = "selected activation values";
  po.ylabel = "test accuracy [%]";
  if ((rc = pp_plot_xy(fp(c, "fig9_accuracy_activations", p, sizeof p), &po, &s9, 1, e))) goto out;
  rc = fig_done(c, "fig9_accuracy_activations",
                "Accuracy after retraining against the number of activation values the delay threshold leaves "
                "(256: the result of the power phase); each step is 10 ps faster.",
                e);
out:
  free(x);
  return rc;
}

static void kv(flow_ctx *c, const char *k, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void kv(flow_ctx *c, const char *k, const char *fmt, ...) {
  char v[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(v, sizeof v, fmt, ap);
  va_end(ap);
  pp_report_add_kv(c->r, k, v, NULL);
}

int flow_write_report(flow_ctx *c, pp_err *e) {
  pp_report *r = c->r;
  const pp_flow_opts *o = c->o;
  pp_report_init(r);
  snprintf(r->network, sizeof r->network, "%s", o->model);
  snprintf(r->dataset, sizeof r->dataset, "%s", o->data);
  r->acc_orig = c->acc_int8;
  r->acc_pruned = c->acc_pruned;
  r->acc_prop = c->rt.accuracy;
  const pp_est_compare *m = &c->cmp;
  r->std.orig_mw = m->orig.shw.total_uw / 1000;
  r->std.pruned_mw = c->cmp_pruned.sel.shw.total_uw / 1000;
  r->std.prop_nv_mw = m->sel.shw.total_uw / 1000;
  r->std.prop_mw = m->sel_scaled.shw.total_uw / 1000;
  r->opt.orig_mw = m->orig.ohw.total_uw / 1000;
  r->opt.pruned_mw = c->cmp_pruned.sel.ohw.total_uw / 1000;
  r->opt.prop_nv_mw = m->sel.ohw.total_uw / 1000;
  r->opt.prop_mw = m->sel_scaled.ohw.total_uw / 1000;
  r->n_weights = pp_retrain_count(c->rt.W, 255);
  r->n_acts = pp_retrain_count(c->rt.A, 256);
  r->max_delay_orig_ps = m->d_orig_ps;
  r->max_delay_prop_ps = m->d_sel_ps;
  r->v_nominal = c->vm.v_nom;
  r->v_scaled = m->v_scaled;
  r->sparsity = c->sparsity;
  r->seconds = c->seconds;
  snprintf(r->weights_file, sizeof r->weights_file, "allowed_weights.txt");
  snprintf(r->acts_file, sizeof r->acts_file, "allowed_activations.txt");
  for (int k = 0; k < c->rt.nsteps; k++) {
    const pp_retrain_step *s = &c->rt.steps[k];
    pp_report_step rs = {s->phase, s->threshold, s->n_weights, s->n_acts, s->max_delay_ps, s->accuracy, s->accepted};
    int rc = pp_report_add_step(r, &rs, e);
    if (rc) return rc;
  }
  kv(c, "model", "%s", o->model);
  kv(c, "data", "%s", c->data_desc);
  kv(c, "model_file", "%s", o->model_file ? o->model_file : "(trained here)");
  kv(c, "mac", "%s", o->mac_file ? o->mac_file : c->P.netlist);
  kv(c, "cell_library", "%s", o->lib_file ? o->lib_file : "built-in");
  kv(c, "array", "%dx%d", c->array, c->array);
  kv(c, "quick", "%s", o->quick ? "yes" : "no");
  kv(c, "seed", "%llu", (unsigned long long)o->seed);
  kv(c, "epochs", "%d float, %d QAT, %d after pruning, %d per retraining step", c->epochs, c->qat_epochs,
     c->qat_epochs, c->retrain_epochs);
  kv(c, "sparsity_target", "%.3f (%s)", o->sparsity, o->prune_global ? "global" : "per layer");
  kv(c, "tolerance", "%.2f points (delay phase), %.2f points (power phase)", o->tolerance, o->power_tolerance);
  kv(c, "trace_images", "%d", c->trace_images);
  kv(c, "transitions", "%d per weight value", c->transitions);
  kv(c, "delay_selection", "method %s, best of %d", pp_select_method_name(c->select_method), c->repeats);
  if (c->n_power_counts) {
    char b[256];
    int k = 0;
    for (int i = 0; i < c->n_power_counts; i++) k += snprintf(b + k, sizeof b - k, "%s%d", i ? "," : "", c->power_counts[i]);
    kv(c, "power_schedule", "keep %s cheapest weight values", b);
  } else kv(c, "power_schedule", "%d equal steps in uW", c->power_divisions);
  kv(c, "delay_step", "%.0f ps", o->delay_step_ps > 0 ? o->delay_step_ps : 10.0);
  kv(c, "timing_tick", "%g ps", c->tick_ps);
  kv(c, "power_threshold_kept", "%.2f uW", c->rt.power_threshold_uw);
  kv(c, "delay_threshold_kept", "%.0f ps", c->rt.delay_threshold_ps);
  kv(c, "kept_step", "%s", c->rt.best_tag[0] ? c->rt.best_tag : "none (pruned network)");
  kv(c, "float_accuracy", "%.2f%%", c->acc_float);
  kv(c, "clock", "%.1f ps", c->P.clock_ps);
  kv(c, "voltage_model", "alpha-power law: Vth %.3f V, alpha %.2f; leakage k %.2f/V", c->vm.vth, c->vm.alpha,
     c->vm.leak_k);
  kv(c, "pann_comparison", "%s", c->pann.present ? "yes (stage 21-pann)" : "no (--no-pann)");
  r->pann = c->pann;
  int rc;
  if (pp_plot_available()) {
    if ((rc = figures(c, e))) return rc;
    if (r->pann.present && (rc = pp_report_plot_pann(r, c->L.dir, e))) return rc;
  } else flow_log(c, "gnuplot is not installed: the report has no figures (install gnuplot-nox)");
  return pp_report_write_all(r, c->L.dir, e);
}
