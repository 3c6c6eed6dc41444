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

/* The accepted steps of one phase (with the point it starts from) and the
 * rejected ones, as two series of Figs. 7-9. */
typedef struct step_pts {
  double *ax, *ay, *rx, *ry;
  int na, nr;
} step_pts;

static int step_series(const step_pts *p, const char *acc_label, const char *rej_label, pp_plot_series *s) {
  int n = 0;
  if (p->na) s[n++] = (pp_plot_series){acc_label, p->ax, p->ay, (size_t)p->na, PP_PLOT_LINESPOINTS, "#1f5fa8"};
  if (p->nr) s[n++] = (pp_plot_series){rej_label, p->rx, p->ry, (size_t)p->nr, PP_PLOT_OPEN_POINTS, "#c03030"};
  return n;
}

/* --lib-at: the fitted delay law through the library's points. */
static int fig_voltage(flow_ctx *c, pp_err *e) {
  const pp_est_vfit *f = &c->vfit;
  double lo = INFINITY, hi = -INFINITY, px[PP_EST_VFIT_MAX], py[PP_EST_VFIT_MAX], lx[101], ly[101];
  for (int i = 0; i < f->n; i++) {
    lo = fmin(lo, f->pt[i].v), hi = fmax(hi, f->pt[i].v);
    px[i] = f->pt[i].v, py[i] = f->pt[i].delay_ps;
  }
  double a = fmax(lo - 0.1 * (hi - lo), c->vm_fit.vth + 0.02 * (hi - c->vm_fit.vth)), b = hi + 0.1 * (hi - lo);
  for (int k = 0; k <= 100; k++) {
    lx[k] = a + (b - a) * k / 100;
    ly[k] = f->pt[0].delay_ps * pp_est_delay_factor(&c->vm_fit, lx[k]);
  }
  char lab[160], p[4300], cap[600];
  snprintf(lab, sizeof lab, "V/(V-%.3f)^%.2f, scaled to the nominal point", c->vm_fit.vth, c->vm_fit.alpha);
  pp_plot_series s[2] = {{lab, lx, ly, 101, PP_PLOT_LINES, "#0060c0"},
                         {"static timing of the MAC under the library at that supply", px, py, (size_t)f->n,
                          PP_PLOT_POINTS, "#c00000"}};
  pp_plot_opts po;
  memset(&po, 0, sizeof po);
  po.xlabel = "supply [V]";
  po.ylabel = "MAC critical path [ps]";
  int rc = pp_plot_xy(fp(c, "voltage_fit", p, sizeof p), &po, s, 2, e);
  if (rc) return rc;
  snprintf(cap, sizeof cap,
           "The voltage law the run used, fitted to the MAC's static timing under the cell library at %d supplies "
           "(--lib-at; points and residuals in voltage_fit.json): Vth %.3f V, alpha %.2f%s; leakage k %.2f/V%s.",
           f->n, c->vm_fit.vth, c->vm_fit.alpha, f->alpha_fitted ? "" : " (kept: two supplies fix one parameter)",
           c->vm_fit.leak_k, f->leak_fitted ? "" : " (kept)");
  return fig_done(c, "voltage_fit", cap, e);
}

static int figures(flow_ctx *c, pp_err *e) {
  char p[4300], lab[3][128];
  int rc;
  pp_plot_opts po;
  const pp_retrain_result *rt = &c->rt;
  int nw_sel = pp_retrain_count(rt->W, 255), na_sel = pp_retrain_count(rt->A, 256);
  int power_kept = 0, ns = rt->nsteps;
  for (int k = 0; k < ns; k++) power_kept |= rt->steps[k].phase == 0 && rt->steps[k].accepted;
  /* Fig. 1: power per weight value, the selected ones highlighted, the kept threshold drawn */
  double P[255], D[255], Dsel[255], Wsel[255];
  int nsel = 0;
  for (int w = -127; w <= 127; w++) {
    P[w + 127] = pp_char_power_total(&c->P, w);
    D[w + 127] = pp_char_delay_max_w(&c->D, w);
    if (!rt->W[w + 127]) continue;
    /* the selected weight's largest delay over the selected activations only */
    unsigned m = 0;
    for (int a = 0; a < 256; a++)
      for (int b = 0; rt->A[a] && b < 256; b++)
        if (rt->A[b] && pp_char_delay_at(&c->D, w, a, b) > m) m = pp_char_delay_at(&c->D, w, a, b);
    Wsel[nsel] = w, Dsel[nsel++] = m;
  }
  memset(&po, 0, sizeof po);
  po.xlabel = "weight value";
  po.ylabel = "average MAC power [µW]";
  snprintf(lab[0], sizeof lab[0], "kept power threshold %.1f µW", rt->power_threshold_uw);
  if (power_kept && isfinite(rt->power_threshold_uw)) po.ref[po.nref++] = (struct pp_plot_ref){'y', rt->power_threshold_uw, lab[0]};
  snprintf(lab[1], sizeof lab[1], "selected (%d)", nw_sel);
  if ((rc = pp_plot_bars_marked(fp(c, "power_per_weight", p, sizeof p), &po, -127, P, rt->W, 255, lab[1],
                                "not selected", NULL, 0, e)))
    return rc;
  if ((rc = fig_done(c, "power_per_weight",
                     power_kept ? "Average power of one MAC per weight value (transitions sampled from the trace of the "
                                  "int8 network); the selected weights (blue) are those under the kept power threshold "
                                  "(dashed) that the delay phase left."
                                : "Average power of one MAC per weight value (transitions sampled from the trace of the "
                                  "int8 network). No power threshold was accepted: every weight value stays allowed "
                                  "unless the delay phase removed it.",
                     e)))
    return rc;
  /* Fig. 2: max delay per weight value, with the kept delay threshold */
  memset(&po, 0, sizeof po);
  po.xlabel = "weight value";
  po.ylabel = "max MAC delay [ps]";
  snprintf(lab[0], sizeof lab[0], "kept delay threshold %.0f ps", rt->delay_threshold_ps);
  if (isfinite(rt->delay_threshold_ps)) po.ref[po.nref++] = (struct pp_plot_ref){'y', rt->delay_threshold_ps, lab[0]};
  pp_plot_series over = {"selected, over the selected activations", Wsel, Dsel, (size_t)nsel, PP_PLOT_POINTS,
                         "#000000"};
  int show_over = nsel > 0 && na_sel < 256;
  if ((rc = pp_plot_bars_marked(fp(c, "max_delay_per_weight", p, sizeof p), &po, -127, D, rt->W, 255, lab[1],
                                "not selected", show_over ? &over : NULL, show_over ? 1 : 0, e)))
    return rc;
  if ((rc = fig_done(c, "max_delay_per_weight",
                     "Largest MAC delay of each weight value over all 65,536 activation transitions (dynamic timing "
                     "of the multiplier, static timing of the adder); the selected weights in blue; the points: their "
                     "largest delay over the selected activations only, under the kept delay threshold (dashed).",
                     e)))
    return rc;
  /* Fig. 3: delay profiles, one bin per timing step */
  int wa = pp_char_power_argmax_nonzero(&c->P), wb = 64;
  if (wa == wb) wb = 1;
  double *h = malloc((size_t)2 * 65536 * sizeof *h);
  if (!h) return pp_err_set(e, PP_ENOMEM, "", 0, "out of memory");
  for (int a = 0; a < 256; a++)
    for (int b = 0; b < 256; b++) {
      h[a * 256 + b] = pp_char_delay_at(&c->D, wa, a, b);
      h[65536 + a * 256 + b] = pp_char_delay_at(&c->D, wb, a, b);
    }
  snprintf(lab[0], sizeof lab[0], "w = %d", wa);
  snprintf(lab[1], sizeof lab[1], "w = %d", wb);
  pp_plot_series hs[2] = {{lab[0], NULL, h, 65536, PP_PLOT_BOXES, NULL}, {lab[1], NULL, h + 65536, 65536, PP_PLOT_BOXES, NULL}};
  memset(&po, 0, sizeof po);
  po.xlabel = "MAC delay [ps]";
  po.ylabel = "activation transitions";
  po.logy = 1;
  rc = pp_plot_hist(fp(c, "delay_profiles", p, sizeof p), &po, hs, 2, 0, e);
  free(h);
  if (rc) return rc;
  char cap[512];
  snprintf(cap, sizeof cap,
           "Delay profiles of two weight values (%d: the most power-hungry, and %d): how many of the 65,536 "
           "activation transitions settle at each delay (one bar per %g ps timing step, log scale).",
           wa, wb, c->tick_ps);
  if ((rc = fig_done(c, "delay_profiles", cap, e))) return rc;
  /* Figs. 4-6: from module array (drawn in the trace stage) */
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
  if (c->vm_fit.fitted && (rc = fig_voltage(c, e))) return rc;
  if (exists(c, "mac_per_weight.svg") &&
      (rc = fig_done(c, "mac_per_weight", "MAC operations per weight value on the array, int8 network.", e)))
    return rc;

  /* Figs. 7-9: from the retraining steps; accepted and rejected steps apart */
  double *x = calloc((size_t)(ns + 2) * 12, sizeof *x);
  if (!x) return pp_err_set(e, PP_ENOMEM, "", 0, "out of memory");
  size_t m = (size_t)ns + 2;
  step_pts pw = {x, x + m, x + 2 * m, x + 3 * m, 0, 0}, dl = {x + 4 * m, x + 5 * m, x + 6 * m, x + 7 * m, 0, 0};
  step_pts st = {x + 8 * m, x + 9 * m, x + 10 * m, x + 11 * m, 0, 0};
  pw.ax[pw.na] = 255, pw.ay[pw.na++] = c->dec_pruned;
  double last_pw_acc = c->dec_pruned;
  for (int k = 0; k < ns; k++) {
    const pp_retrain_step *s = &rt->steps[k];
    if (s->phase != 0) continue;
    step_pts *q = &pw;
    if (s->accepted) last_pw_acc = s->accuracy;
    if (s->accepted) q->ax[q->na] = s->n_weights, q->ay[q->na++] = s->accuracy;
    else q->rx[q->nr] = s->n_weights, q->ry[q->nr++] = s->accuracy;
    /* Fig. 7's power axis: the pruned network restricted to the step's weights */
    uint8_t W[255];
    for (int w = -127; w <= 127; w++) W[w + 127] = w == 0 || pp_char_power_total(&c->P, w) <= s->threshold;
    double sm, om;
    if ((rc = step_power(c, s, W, &sm, &om, e))) goto out;
    if (s->accepted) st.ax[st.na] = om, st.ay[st.na++] = s->accuracy;
    else st.rx[st.nr] = om, st.ry[st.nr++] = s->accuracy;
  }
  dl.ax[dl.na] = 256, dl.ay[dl.na++] = last_pw_acc;
  for (int k = 0; k < ns; k++) {
    const pp_retrain_step *s = &rt->steps[k];
    if (s->phase != 1) continue;
    if (s->accepted) dl.ax[dl.na] = s->n_acts, dl.ay[dl.na++] = s->accuracy;
    else dl.rx[dl.nr] = s->n_acts, dl.ry[dl.nr++] = s->accuracy;
  }

  double ox[1] = {c->cmp.orig.ohw.total_uw / 1000}, oy[1] = {c->dec_int8};
  double px[1] = {c->cmp_pruned.sel.ohw.total_uw / 1000}, py[1] = {c->dec_pruned};
  double fx[1] = {c->cmp.sel_scaled.ohw.total_uw / 1000}, fy[1] = {c->rt.accuracy};
  pp_plot_series cs[5] = {{"int8, unpruned", ox, oy, 1, PP_PLOT_POINTS, "#333333"},
                          {"conventional pruning", px, py, 1, PP_PLOT_POINTS, "#e08000"},
                          {"PowerPruning (kept, retrained, voltage scaled)", fx, fy, 1, PP_PLOT_POINTS, "#008040"}};
  int ncs = 3 + step_series(&st, "power threshold steps, accepted", "rejected", cs + 3);
  memset(&po, 0, sizeof po);
  po.xlabel = "power on Optimized HW [mW]";
  po.ylabel = "decision accuracy [%]";
  if ((rc = pp_plot_accuracy_power(fp(c, "fig7_vs_pruning", p, sizeof p), &po, cs, (size_t)ncs, e))) goto out;
  if ((rc = fig_done(c, "fig7_vs_pruning",
                     "Against conventional pruning alone, on Optimized HW; accuracy on the decision images (held out of "
                     "the training file), which every choice of the run reads. The steps of the power phase are placed at "
                     "the power of the pruned network restricted to their weights (each weight moved to its nearest "
                     "allowed value), at the voltage their max delay allows; open circles: rejected steps.",
                     e)))
    goto out;
  /* the accuracy floors the two phases were held to */
  snprintf(lab[0], sizeof lab[0], "floor: int8 − %.2g points", c->o->power_tolerance);
  snprintf(lab[1], sizeof lab[1], "floor: int8 − %.2g points", c->o->tolerance);
  pp_plot_series s8[2], s9[2];
  int n8 = step_series(&pw, "pruned network, then accepted power steps", "rejected", s8);
  memset(&po, 0, sizeof po);
  po.xlabel = "selected weight values";
  po.ylabel = "decision accuracy [%]";
  po.ref[po.nref++] = (struct pp_plot_ref){'y', c->dec_int8 - c->o->power_tolerance, lab[0]};
  if ((rc = pp_plot_xy(fp(c, "fig8_accuracy_weights", p, sizeof p), &po, s8, (size_t)n8, e))) goto out;
  if ((rc = fig_done(c, "fig8_accuracy_weights",
                     "Accuracy after retraining against the number of weight values the power threshold leaves "
                     "(255: the pruned network); open circles: steps rejected (below the dashed floor).",
                     e)))
    goto out;
  int n9 = step_series(&dl, "power phase result, then accepted delay steps", "rejected", s9);
  memset(&po, 0, sizeof po);
  po.xlabel = "selected activation values";
  po.ylabel = "decision accuracy [%]";
  po.ref[po.nref++] = (struct pp_plot_ref){'y', c->dec_int8 - c->o->tolerance, lab[1]};
  if ((rc = pp_plot_xy(fp(c, "fig9_accuracy_activations", p, sizeof p), &po, s9, (size_t)n9, e))) goto out;
  snprintf(cap, sizeof cap,
           "Accuracy after retraining against the number of activation values the delay threshold leaves "
           "(256: the result of the power phase); each step is %g ps faster; open circles: steps rejected (below "
           "the dashed floor).",
           c->o->delay_step_ps > 0 ? c->o->delay_step_ps : 10.0);
  rc = fig_done(c, "fig9_accuracy_activations", cap, e);
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

/* The weight layers under the names the model carries (for an ONNX import,
 * the graph's node names) with their share of pruned weights, read back from
 * the saved result so that a resumed run has them too: the report's layer
 * table, and a one-line count among the inputs. */
static int report_layers(flow_ctx *c, pp_err *e) {
  char p[4300];
  pp_nn_model *m;
  int rc = pp_nn_model_load(pp_flow_path(&c->L, "model_final.ppnn", p, sizeof p), &m, e);
  if (rc) return rc;
  long total = 0;
  c->r->nlayers = 0;
  for (int i = 0; i < m->nlayers && !rc; i++) {
    const pp_nn_layer *L = &m->layers[i];
    if (L->type != PP_NN_L_CONV && L->type != PP_NN_L_FC) continue;
    pp_report_layer l;
    memset(&l, 0, sizeof l);
    snprintf(l.name, sizeof l.name, "%s", L->name);
    snprintf(l.kind, sizeof l.kind, "%s",
             L->type == PP_NN_L_FC ? "fc" : L->groups > 1 && L->groups == L->ic ? "dwconv" : "conv");
    l.in_ch = L->ic, l.out_ch = L->c, l.k = L->type == PP_NN_L_FC ? 1 : L->k;
    l.weights = (long)L->nw;
    l.pruned_pct = L->nw ? 100.0 * (double)pp_nn_layer_pruned(m, i) / (double)L->nw : 0;
    total += l.weights;
    rc = pp_report_add_layer(c->r, &l, e);
  }
  pp_nn_model_free(m);
  if (!rc) kv(c, "layers", "%d weight layers, %ld weights (table \"Weight layers\")", c->r->nlayers, total);
  return rc;
}

int flow_write_report(flow_ctx *c, pp_err *e) {
  pp_report *r = c->r;
  const pp_flow_opts *o = c->o;
  pp_report_init(r);
  /* a model from a file is named by the file (an ONNX graph has no architecture name of ours) */
  const char *base = o->model_file ? strrchr(o->model_file, '/') : NULL;
  const char *network = o->model_file ? (base ? base + 1 : o->model_file) : o->model;
  snprintf(r->network, sizeof r->network, "%s", network);
  snprintf(r->dataset, sizeof r->dataset, "%s", o->data);
  r->acc_orig = c->acc_int8;
  r->acc_pruned = c->acc_pruned;
  r->acc_prop = c->acc_final;
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
  r->sparsity_final = isfinite(c->rt.sparsity) ? c->rt.sparsity : c->sparsity;
  r->seconds = c->seconds;
  r->n_stage_times = c->L.n_times < PP_REPORT_MAX_STAGES ? c->L.n_times : PP_REPORT_MAX_STAGES;
  memcpy(r->stage_times, c->L.times, sizeof r->stage_times[0] * (size_t)r->n_stage_times);
  r->decision_images = c->val.n;
  r->budget_pts = o->tolerance;
  r->spent_pruning = c->dec_int8 - c->dec_pruned;
  r->spent_power = c->rt.spent_power;
  r->spent_delay = c->rt.spent_delay;
  r->spent_sparsity = c->rt.spent_sparsity;
  r->accepted_steps = c->rt.accepted_steps;
  if (!c->rt.accepted_steps)
    snprintf(r->headline, sizeof r->headline,
             "No PowerPruning step was accepted: the result is the conventionally pruned network (sparsity %.2f) "
             "at its full value sets. Pruning spent %.2f of the %.2f-point budget; every power and delay step "
             "lost more than what remained.",
             c->sparsity, r->spent_pruning, o->tolerance);
  else if (r->spent_pruning > c->prune_share * o->tolerance + 1e-9 && o->sparsity_auto)
    snprintf(r->headline, sizeof r->headline,
             "No sparsity of the grid stayed within pruning's share of the budget (%.2f points); the most accurate "
             "one tried (%.2f) was kept.",
             c->prune_share * o->tolerance, c->sparsity);
  snprintf(r->weights_file, sizeof r->weights_file, "allowed_weights.txt");
  snprintf(r->acts_file, sizeof r->acts_file, "allowed_activations.txt");
  for (int k = 0; k < c->rt.nsteps; k++) {
    const pp_retrain_step *s = &c->rt.steps[k];
    pp_report_step rs = {s->phase, s->threshold, s->n_weights, s->n_acts, s->max_delay_ps, s->accuracy, s->accepted};
    int rc = pp_report_add_step(r, &rs, e);
    if (rc) return rc;
  }
  kv(c, "model", "%s", network);
  kv(c, "data", "%s", c->data_desc);
  kv(c, "model_file", "%s", o->model_file ? o->model_file : "(trained here)");
  int lrc = report_layers(c, e);
  if (lrc) return lrc;
  kv(c, "mac", "%s", o->mac_file ? o->mac_file : c->P.netlist);
  kv(c, "cell_library", "%s", o->lib_file ? o->lib_file : "built-in");
  for (int i = 0; i < c->vfit.n; i++) { /* --lib-at: every library the voltage law was fitted to, one key each */
    char key[32];
    snprintf(key, sizeof key, i ? "lib_at_%d" : "lib_at_nominal", i);
    kv(c, key, "%s at %.4g V: critical path %.1f ps, leakage %.1f nW", c->vfit.pt[i].lib, c->vfit.pt[i].v,
       c->vfit.pt[i].delay_ps, c->vfit.pt[i].leak_nw);
  }
  kv(c, "array", "%dx%d", c->array, c->array);
  kv(c, "power_transitions", "%d per weight value, %s", c->transitions,
     o->power_tuples == PP_FLOW_TUPLES_BINS ? "activation histogram x partial-sum bins, sampled independently (the paper's)"
                                            : "joint (activation, partial sum) samples of the trace's real streams");
  kv(c, "quick", "%s", o->quick ? "yes" : "no");
  kv(c, "seed", "%llu", (unsigned long long)o->seed);
  kv(c, "epochs", "%d float, %d QAT, %d after pruning, %d per retraining step", c->epochs, c->qat_epochs,
     c->qat_epochs, c->retrain_epochs);
  if (o->sparsity_auto) {
    char b[256];
    int k = 0;
    for (int i = 0; i < c->n_sparsity_tried; i++)
      k += snprintf(b + k, sizeof b - (size_t)k, "%s%.2f: %.2f%%", i ? ", " : "", c->sparsity_tried[i],
                    c->sparsity_tried_dec[i]);
    kv(c, "sparsity_target", "auto (%s): highest whose decision accuracy loses <= %.2f points; tried %s",
       o->prune_global ? "global" : "per layer", c->prune_share * o->tolerance, b);
  } else kv(c, "sparsity_target", "%.3f (%s)", o->sparsity, o->prune_global ? "global" : "per layer");
  kv(c, "decision_images", "%d held out of the training file (seed %llu), disjoint from the %d test images",
     c->val.n, (unsigned long long)o->seed, c->test.n);
  kv(c, "accuracy_shown", "Table I: test images; steps, figures and every decision: decision images");
  kv(c, "decision_accuracy", "int8 %.2f%%, pruned %.2f%%, kept step %.2f%%", c->dec_int8, c->dec_pruned,
     c->rt.accuracy);
  kv(c, "refinement", "up to %d bisection retrains per phase (used: power %d, delay %d, sparsity %d)",
     c->refine_retrains, c->rt.refine_used[0], c->rt.refine_used[1], c->rt.refine_used[2]);
  if (o->final_prune)
    kv(c, "final_pruning", "sparsity %.2f -> %.2f in steps of 0.05 (bisected to 0.01) while the decision accuracy "
       "stays within the %.2f-point budget; spent %.2f points", c->sparsity, r->sparsity_final, o->tolerance,
       c->rt.spent_sparsity);
  else kv(c, "final_pruning", "off (--no-final-prune)");
  kv(c, "delay_candidates", "%d per threshold, ranked by proxy accuracy on %d decision images", c->n_cand,
     c->val.n < 2000 ? c->val.n : 2000);
  kv(c, "tolerance", "%.2f points (delay phase), %.2f points (power phase)", o->tolerance, o->power_tolerance);
  kv(c, "trace_images", "%d", c->trace_images);
  kv(c, "transitions", "%d per weight value", c->transitions);
  kv(c, "delay_selection", "method %s, best of %d", pp_select_method_name(c->select_method), c->repeats);
  if (c->n_power_counts) {
    char b[256];
    int k = 0;
    for (int i = 0; i < c->n_power_counts; i++) k += snprintf(b + k, sizeof b - k, "%s%d", i ? "," : "", c->power_counts[i]);
    kv(c, "power_schedule", "keep %s cheapest weight values", b);
  } else kv(c, "power_schedule", "%d equal steps in µW", c->power_divisions);
  kv(c, "delay_step", "%.0f ps", o->delay_step_ps > 0 ? o->delay_step_ps : 10.0);
  kv(c, "timing_tick", "%g ps", c->tick_ps);
  /* NaN: the phase kept no step (the network of the phase before it stands) */
  if (isfinite(c->rt.power_threshold_uw)) kv(c, "power_threshold_kept", "%.2f µW", c->rt.power_threshold_uw);
  else kv(c, "power_threshold_kept", "none (no power step accepted)");
  if (isfinite(c->rt.delay_threshold_ps)) kv(c, "delay_threshold_kept", "%.0f ps", c->rt.delay_threshold_ps);
  else kv(c, "delay_threshold_kept", "none (no delay step accepted)");
  kv(c, "kept_step", "%s", c->rt.best_tag[0] ? c->rt.best_tag : "none (pruned network)");
  kv(c, "delay_phase_starts", "from the kept power step and up to %d earlier accepted ladder steps; kept the lowest "
     "estimated Optimized-HW power (%.2f mW, no retraining: pruned usage moved to the allowed values, scaled voltage), "
     "which started from %s",
     o->delay_starts > 1 ? o->delay_starts - 1 : 0, c->rt.score / 1000, c->rt.delay_from_tag[0] ? c->rt.delay_from_tag : "the pruned network");
  kv(c, "float_accuracy", "%.2f%%", c->acc_float);
  kv(c, "clock", "%.1f ps", c->P.clock_ps);
  if (c->vm_fit.fitted)
    kv(c, "voltage_model", "alpha-power law fitted to the MAC under the library at %d supplies (--lib-at, "
       "voltage_fit.json): Vth %.3f V, alpha %.2f; leakage k %.2f/V", c->vm_fit.fitted, c->vm.vth, c->vm.alpha,
       c->vm.leak_k);
  else
    kv(c, "voltage_model", "alpha-power law: Vth %.3f V, alpha %.2f; leakage k %.2f/V (the default, fitted to the "
       "paper's Table I voltages; --lib-at fits it to the library)", c->vm.vth, c->vm.alpha, c->vm.leak_k);
  kv(c, "pann_comparison", "%s", c->pann.present ? "yes (stages 01-pann and 21-pann)" : "no (--no-pann)");
  r->pann = c->pann;
  int rc;
  if (pp_plot_available()) {
    if ((rc = figures(c, e))) return rc;
    if (r->pann.present && (rc = pp_report_plot_pann(r, c->L.dir, e))) return rc;
  } else flow_log(c, "gnuplot is not installed: the report has no figures (install gnuplot-nox)");
  return pp_report_write_all(r, c->L.dir, e);
}
