/* flow/pann: PowerPruning beside PANN and plain low-bit quantization (stages
 * 01-pann and 21-pann). The bit-flip power models of module pann are fitted on the run's
 * cell library and MAC architecture (or read from the shared cache: fitting
 * simulates every part at gate level); the run's float model is quantized to
 * plain b bits and to PANN at each b-bit budget (pp_pann_compare_run); the
 * run's own int8 networks (unpruned, conventionally pruned, PowerPruning)
 * are put on the same axes through module nn's integer path
 * (pp_pann_qmodel_energy) at the test accuracy the flow measured. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flow_internal.h"

static const char *mult_name(int m) { return m == PP_MULT_BOOTH ? "booth" : "array"; }
static const char *adder_name(int a) { return a == PP_ADDER_PREFIX ? "prefix" : "ripple"; }
static const char *o_lib_name(const char *path) {
  const char *b = strrchr(path, '/');
  return b ? b + 1 : path;
}

typedef struct pann_cfg {
  pp_pann_fit_opts fit;
  pp_pann_compare_opts cmp;
  int qat_steps; /* PANN fine-tuned at the 2- and 3-bit budgets (0: not) */
  char lib_id[4600];
  const char *lib_path;
} pann_cfg;

static int pann_config(flow_ctx *c, pann_cfg *g, pp_err *e) {
  const pp_flow_opts *o = c->o;
  pp_pann_fit_defaults(&g->fit);
  flow_mac_arch(c, &g->fit.mult_arch, &g->fit.adder_arch);
  g->fit.seed = o->seed;
  /* every width: the b-bit baselines need 2..8 */
  g->fit.min_bits = 2;
  g->fit.max_bits = 8;
  if (o->pann_samples > 0) g->fit.samples = o->pann_samples;
  else if (o->quick) g->fit.samples = 400;
  g->lib_path = o->lib_file ? o->lib_file : pp_lib_default_path();
  int rc;
  if (o->lib_file) {
    if ((rc = flow_file_id(o->lib_file, g->lib_id, sizeof g->lib_id, e))) return rc;
  } else snprintf(g->lib_id, sizeof g->lib_id, "builtin");

  pp_pann_compare_defaults(&g->cmp);
  g->cmp.seed = o->seed;
  /* calibration and validation come from the training images; the test set is the run's, so that the
   * accuracies of the b-bit and PANN networks and of the run's own networks are on the same images */
  int third = c->train.n / 3;
  int calib = o->quick ? 200 : 1000, val = o->quick ? 120 : 2000;
  g->cmp.calib_images = calib < third ? calib : third;
  g->cmp.val_images = val < third ? val : third;
  if (g->cmp.calib_images < 1 || g->cmp.val_images < 1)
    return pp_err_set(e, PP_EINVAL, "", 0, "the PANN comparison needs at least 3 training images, the run has %d",
                      c->train.n);
  g->cmp.test_images = 0; /* all */
  g->cmp.energy_images = o->quick ? 2 : 10;
  if (o->quick) g->cmp.max_bits = 3; /* the search of PANN's weight scale dominates the stage */
  g->qat_steps = o->pann_qat_steps >= 0 ? o->pann_qat_steps : o->quick ? 0 : 2000;
  return PP_OK;
}

static void fit_opts_str(const pann_cfg *g, pp_flow_opts_str *os) {
  pp_flow_opt(os, "lib", "%s", g->lib_id);
  pp_flow_opt(os, "mult", "%s", mult_name(g->fit.mult_arch));
  pp_flow_opt(os, "adder", "%s", adder_name(g->fit.adder_arch));
  pp_flow_opt(os, "acc_bits", "%d", g->fit.acc_bits);
  pp_flow_opt(os, "samples", "%d", g->fit.samples);
  pp_flow_opt(os, "bits", "%d..%d", g->fit.min_bits, g->fit.max_bits);
  pp_flow_opt(os, "seed", "%llu", (unsigned long long)g->fit.seed);
}

static int write_power(const char *path, const pp_pann_power *pw, const pp_pann_claims *cl, pp_err *e) {
  pp_outfile of;
  int rc = pp_outfile_open(&of, path, e);
  if (rc) return rc;
  pp_json j;
  pp_json_init(&j, of.f, 1);
  pp_pann_power_json(&j, pw, cl);
  pp_json_end(&j);
  return pp_outfile_commit(&of, e);
}

/* The models: from the cache when its inputs match, else fitted (and cached).
 * Either way they are written to DIR/pann_power.json. */
static int get_power(flow_ctx *c, const pann_cfg *g, pp_pann_power *pw, pp_err *e) {
  pp_flow_opts_str os = {0};
  fit_opts_str(g, &os);
  char cp[4400], p[4300];
  pp_flow_path(&c->L, "pann_power.json", p, sizeof p);
  int cached = flow_cache_path(c, "pann-power", &os, ".json", cp, sizeof cp);
  pp_err e2;
  pp_err_clear(&e2);
  if (cached && access(cp, R_OK) == 0 && !pp_pann_power_load(cp, pw, &e2)) {
    flow_log(c, "stage 01-pann: using the cached bit-flip power models %s", cp);
    char *text = NULL;
    size_t len = 0;
    int rc = pp_read_file(cp, &text, &len, e);
    if (rc) return rc;
    pp_outfile of;
    if (!(rc = pp_outfile_open(&of, p, e))) {
      fwrite(text, 1, len, of.f);
      rc = pp_outfile_commit(&of, e);
    }
    free(text);
    return rc;
  }
  flow_log(c, "stage 01-pann: fitting the bit-flip power models to the gate-level simulator (%s multiplier, %s "
              "adder, widths 2..8, %d transitions per part)",
           mult_name(g->fit.mult_arch), adder_name(g->fit.adder_arch), g->fit.samples);
  pp_lib *lib;
  int rc = pp_lib_read(g->lib_path, &lib, e);
  if (rc) return rc;
  pp_pann_claims *cl = calloc(1, sizeof *cl);
  if (!cl) {
    pp_lib_free(lib);
    return pp_err_set(e, PP_ENOMEM, "", 0, "out of memory");
  }
  rc = pp_pann_fit(lib, &g->fit, pw, cl, e);
  pp_lib_free(lib);
  if (!rc) rc = write_power(p, pw, cl, e);
  if (!rc && cached && write_power(cp, pw, cl, &e2)) flow_log(c, "cannot write the cache %s: %s", cp, e2.msg);
  free(cl);
  return rc;
}

/* One of the run's int8 networks on the models: energy per MAC of its own integer products. */
static int run_point(flow_ctx *c, const char *tag, const char *method, double acc, const pp_pann_power *pw,
                     const pann_cfg *g, int ne, pp_report_pann *s, pp_err *e) {
  char p[4300], rel[128];
  snprintf(rel, sizeof rel, "model_%s.ppnn", tag);
  pp_nn_model *m = NULL;
  pp_nn_qmodel *q = NULL;
  int rc = pp_nn_model_load(pp_flow_path(&c->L, rel, p, sizeof p), &m, e);
  if (rc) return rc;
  pp_pann_energy en;
  if (!(rc = pp_nn_qmodel_build(m, &q, e)) && !(rc = pp_pann_qmodel_energy(q, &c->test, 0, ne, pw, g->cmp.accum, &en, e))) {
    pp_report_pann_point pt;
    memset(&pt, 0, sizeof pt);
    snprintf(pt.method, sizeof pt.method, "%s", method);
    pt.budget_bits = pt.w_bits = pt.a_bits = 8;
    pt.R = NAN;
    pt.budget_fj = NAN;
    pt.power_fj = en.e_per_mac;
    pt.acc = acc;
    rc = pp_report_pann_add(s, &pt, e);
  }
  pp_nn_qmodel_free(q);
  pp_nn_model_free(m);
  return rc;
}

/* Records a PANN stage with its points (and the models file it read or wrote). */
static int commit_pann(flow_ctx *c, const char *name, const pp_flow_opts_str *os, const pp_report_pann *s, double t0,
                       pp_err *e) {
  flow_membuf mb;
  int rc = flow_membuf_open(&mb);
  if (rc) return rc;
  pp_json j;
  pp_json_init(&j, mb.f, 0);
  pp_json_obj_begin(&j);
  pp_json_key(&j, "pann");
  pp_report_pann_json(&j, s);
  pp_json_obj_end(&j);
  const char *files[] = {"pann_power.json", NULL};
  return flow_commit(c, name, os, &mb, files, t0, e);
}

/* The stage options both PANN stages share. */
static void pann_opts_str(const pann_cfg *g, pp_flow_opts_str *os) {
  fit_opts_str(g, os);
  pp_flow_opt(os, "calib_images", "%d", g->cmp.calib_images);
  pp_flow_opt(os, "val_images", "%d", g->cmp.val_images);
  pp_flow_opt(os, "energy_images", "%d", g->cmp.energy_images);
  pp_flow_opt(os, "baseline_bits", "%d..%d", g->cmp.min_bits, g->cmp.max_bits);
  pp_flow_opt(os, "accum", "%s", g->cmp.accum == PP_PANN_SPLIT ? "split" : "signed");
  pp_flow_opt(os, "bias_corr", "%d", g->cmp.bias_corr);
  pp_flow_opt(os, "K_ref", "%d", g->cmp.K_ref);
  pp_flow_opt(os, "qat_steps", "%d", g->qat_steps);
}

static void probe_start(int bits, double R, long steps, void *ctx) {
  flow_log(ctx, "stage 01-pann: probe of %d-bit activations (R %.3f before training), %ld steps", bits, R, steps);
}

/* PANN fine-tuned at a b-bit budget from the float model (a fresh copy: the training changes it), with the
 * defaults of `pann qat`: width by QAT probes (300 of 2000 steps), greedy allocation, the energy matched and
 * held on the trace; calibration and validation images as the comparison's. */
static int qat_point(flow_ctx *c, const pann_cfg *g, const pp_pann_power *pw, int bits, pp_report_pann *s,
                     pp_err *e) {
  char p[4300];
  pp_nn_model *m = NULL;
  int rc = pp_nn_model_load(pp_flow_path(&c->L, "model_float.ppnn", p, sizeof p), &m, e);
  if (rc) return rc;
  if (m->q.qat) pp_nn_set_qat(m, 0, 0);
  pp_pann_deploy_opts o;
  pp_pann_deploy_defaults(&o);
  o.budget_bits = bits;
  /* the comparison's images and settings, with `pann qat`'s greedy allocation matched on the trace */
  pp_pann_compare_plan_opts(&g->cmp, &c->train, &o.plan);
  o.plan.alloc = PP_PANN_ALLOC_GREEDY;
  o.plan.match = PP_PANN_MATCH_TRACE;
  o.qat.steps = g->qat_steps;
  o.qat.calib_images = g->cmp.calib_images;
  o.qat.seed = g->cmp.seed;
  o.probe_steps = g->qat_steps * 3 / 20 > 0 ? g->qat_steps * 3 / 20 : 1;
  o.qat.probe_start = probe_start;
  o.qat.progress_ctx = c;
  o.test = &c->test;
  o.test_count = c->test.n;
  o.energy_images = g->cmp.energy_images;
  flow_log(c, "stage 01-pann: PANN fine-tuned at the %d-bit budget (%d steps; widths by %ld-step probes)", bits,
           g->qat_steps, o.probe_steps);
  pp_pann_deploy d;
  rc = pp_pann_deploy_run(m, &c->train, pw, &o, &d, e);
  pp_nn_model_free(m);
  if (rc) return rc;
  flow_log(c, "stage 01-pann: PANN + QAT at %d bits: %d-bit activations, R %.3f, test %.2f%% (%.2f%% before "
              "fine-tuning), %.2f fJ/MAC",
           bits, d.after.a_bits, d.after.R, d.test_acc_after, d.test_acc_before, d.test_fj_after);
  pp_report_pann_point pt;
  memset(&pt, 0, sizeof pt);
  snprintf(pt.method, sizeof pt.method, "pann-qat");
  pt.budget_bits = bits;
  pt.a_bits = d.after.a_bits;
  pt.R = d.after.R;
  pt.budget_fj = d.after.budget_fj;
  pt.power_fj = d.test_fj_after;
  pt.acc = d.test_acc_after;
  return pp_report_pann_add(s, &pt, e);
}

/* Stage 01-pann: plain b-bit and PANN from the float model. It reads nothing the run decides later, so it is a
 * side stage (pp_flow_side_begin): its key covers the float model, the MAC, the library and its own options
 * only, a change of --tolerance or --sparsity does not redo it, and running it or not (--no-pann) changes no
 * other stage's key or seed. */
int flow_stage_pann_sweep(flow_ctx *c, pp_err *e) {
  memset(&c->pann, 0, sizeof c->pann);
  if (c->o->no_pann) return PP_OK;
  pann_cfg *g = calloc(1, sizeof *g);
  if (!g) return pp_err_set(e, PP_ENOMEM, "", 0, "out of memory");
  pp_flow_mark mark;
  pp_flow_side_begin(&c->L, &mark);
  int rc = pann_config(c, g, e);
  if (rc) goto out0;
  pp_flow_opts_str os = {0};
  pann_opts_str(g, &os);
  pp_jv res;
  int done = pp_flow_stage_check(&c->L, "01-pann", &os, &res, e);
  if (done < 0) {
    rc = done;
    goto out0;
  }
  if (done) {
    rc = pp_report_pann_parse(pp_jv_get(&res, "pann"), &c->pann, "stages/01-pann.json", e);
    pp_jv_free(&res);
    if (!rc && !c->pann.present) rc = pp_err_set(e, PP_EPARSE, "stages/01-pann.json", 0, "stage result has no points");
    goto out0;
  }
  double t0 = pp_now();
  pp_pann_power *pw = calloc(1, sizeof *pw);
  pp_pann_compare cmp;
  memset(&cmp, 0, sizeof cmp);
  pp_nn_model *m = NULL;
  if (!pw) {
    rc = pp_err_set(e, PP_ENOMEM, "", 0, "out of memory");
    goto out;
  }
  if ((rc = get_power(c, g, pw, e))) goto out;
  char p[4300];
  if ((rc = pp_nn_model_load(pp_flow_path(&c->L, "model_float.ppnn", p, sizeof p), &m, e))) goto out;
  if (m->q.qat) pp_nn_set_qat(m, 0, 0);
  flow_log(c, "stage 01-pann: plain %d..%d-bit and PANN at each budget from the float model, %d test images",
           g->cmp.min_bits, g->cmp.max_bits, c->test.n);
  if ((rc = pp_pann_compare_run(m, &c->train, &c->test, pw, &g->cmp, &cmp, e))) goto out;
  pp_report_pann *s = &c->pann;
  s->float_acc = cmp.float_acc;
  s->test_images = cmp.test_images;
  s->energy_images = g->cmp.energy_images < cmp.test_images ? g->cmp.energy_images : cmp.test_images;
  snprintf(s->accum, sizeof s->accum, "%s", g->cmp.accum == PP_PANN_SPLIT ? "split" : "signed");
  snprintf(s->models, sizeof s->models,
           "parts generated in %s: %s multiplier and %s accumulator adder (%d bits) at widths 2..8, %d transitions "
           "per part, seed %llu; 8-bit multiplier fit R2 %.3f, mean relative error %.1f%% per transition",
           o_lib_name(g->lib_path), mult_name(g->fit.mult_arch), adder_name(g->fit.adder_arch), g->fit.acc_bits,
           g->fit.samples, (unsigned long long)g->fit.seed, pw->mult[6].fit.r2, 100 * pw->mult[6].fit.mean_rel_err);
  for (int i = 0; i < cmp.n && !rc; i++) {
    const pp_pann_point *q = &cmp.pts[i];
    if (!q->chosen) continue;
    pp_report_pann_point pt;
    memset(&pt, 0, sizeof pt);
    snprintf(pt.method, sizeof pt.method, "%s", q->method);
    pt.budget_bits = q->budget_bits;
    pt.w_bits = q->w_bits;
    pt.a_bits = q->a_bits;
    pt.R = strcmp(q->method, "pann") ? NAN : q->R;
    pt.budget_fj = q->budget_fj;
    pt.power_fj = q->trace_fj;
    pt.acc = q->test_acc;
    rc = pp_report_pann_add(s, &pt, e);
  }
  for (int b = 2; b <= 3 && g->qat_steps > 0 && !rc; b++) rc = qat_point(c, g, pw, b, s, e);
  if (rc) goto out;
  rc = commit_pann(c, "01-pann", &os, s, t0, e);
out:
  pp_nn_model_free(m);
  pp_pann_compare_free(&cmp);
  free(pw);
out0:
  pp_flow_side_end(&c->L, &mark);
  free(g);
  return rc;
}

/* Stage 21-pann: the run's own networks (int8, pruned, PowerPruning) on the models of 01-pann, added to its
 * points. */
int flow_stage_pann(flow_ctx *c, pp_err *e) {
  if (c->o->no_pann) {
    flow_log(c, "stage 21-pann: not run (--no-pann)");
    /* files of an earlier run with the comparison would contradict this report */
    static const char *stale[] = {"pann_compare.csv", "pann_accuracy_power.svg", "pann_accuracy_power.png"};
    for (int i = 0; i < 3; i++) {
      char p[4300];
      unlink(pp_flow_path(&c->L, stale[i], p, sizeof p));
    }
    return PP_OK;
  }
  pann_cfg *g = calloc(1, sizeof *g);
  if (!g) return pp_err_set(e, PP_ENOMEM, "", 0, "out of memory");
  int rc = pann_config(c, g, e);
  if (rc) goto out0;
  pp_flow_opts_str os = {0};
  pann_opts_str(g, &os);
  pp_jv res;
  int done = pp_flow_stage_check(&c->L, "21-pann", &os, &res, e);
  if (done < 0) {
    rc = done;
    goto out0;
  }
  if (done) {
    rc = pp_report_pann_parse(pp_jv_get(&res, "pann"), &c->pann, "stages/21-pann.json", e);
    pp_jv_free(&res);
    if (!rc && !c->pann.present) rc = pp_err_set(e, PP_EPARSE, "stages/21-pann.json", 0, "stage result has no points");
    goto out0;
  }
  double t0 = pp_now();
  pp_pann_power *pw = calloc(1, sizeof *pw);
  if (!pw) {
    rc = pp_err_set(e, PP_ENOMEM, "", 0, "out of memory");
    goto out0;
  }
  char p[4300];
  /* the models stage 01-pann wrote (and its ledger entry checks) */
  if ((rc = pp_pann_power_load(pp_flow_path(&c->L, "pann_power.json", p, sizeof p), pw, e))) goto out;
  pp_report_pann *s = &c->pann;
  int ne = s->energy_images;
  flow_log(c, "stage 21-pann: the run's networks on the same models (%d images)", ne);
  if ((rc = run_point(c, "int8", "int8", c->acc_int8, pw, g, ne, s, e)) ||
      (rc = run_point(c, "pruned", "pruned", c->acc_pruned, pw, g, ne, s, e)) ||
      (rc = run_point(c, "final", "powerpruning", c->acc_final, pw, g, ne, s, e)))
    goto out;
  rc = commit_pann(c, "21-pann", &os, s, t0, e);
  const pp_report_pann_point *a = pp_report_pann_find(s, "int8"), *b = pp_report_pann_find(s, "powerpruning");
  if (!rc && a && b)
    flow_log(c, "bit-flip models: int8 %.2f fJ/MAC at %.2f%%, PowerPruning %.2f fJ/MAC at %.2f%%", a->power_fj, a->acc,
             b->power_fj, b->acc);
out:
  free(pw);
out0:
  free(g);
  return rc;
}
