/* flow/hw: the hardware stages of the flow: traces of the networks on the
 * systolic array, the MAC's power per weight value and delay per (weight,
 * activation transition), and the power estimate of the result with voltage
 * scaling. Each is a ledger stage; tables and traces are files. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flow_internal.h"

void flow_free_hw(flow_ctx *c) { pp_char_delay_free(&c->D); }

static void usage_json(pp_json *j, const char *key, const pp_est_usage *u) {
  pp_json_key(j, key);
  pp_json_obj_begin(j);
  pp_json_key_int(j, "array", u->rows);
  pp_json_key_num(j, "cycles", u->cycles);
  pp_json_key_num(j, "gated_pe_cycles", u->gated_pe_cycles);
  pp_json_key_arr_begin(j, "mac_cycles");
  for (int i = 0; i < 255; i++) pp_json_num(j, u->mac_cycles[i]);
  pp_json_arr_end(j);
  pp_json_obj_end(j);
}

static int usage_read(const pp_jv *v, const char *key, pp_est_usage *u, pp_err *e) {
  const pp_jv *o = pp_jv_get(v, key), *m = pp_jv_get(o, "mac_cycles");
  if (!o || !m || m->type != PP_JV_ARR || m->n != 255)
    return pp_err_set(e, PP_EPARSE, key, 0, "stage result lacks the array usage");
  double size = pp_jv_num(o, "array", 0);
  if (!(size >= 1 && size <= 65536) || size != floor(size))
    return pp_err_set(e, PP_EPARSE, key, 0, "stage result: array size %g, expected an integer 1..65536", size);
  memset(u, 0, sizeof *u);
  u->rows = u->cols = (int)size;
  u->cycles = pp_jv_num(o, "cycles", 0);
  u->gated_pe_cycles = pp_jv_num(o, "gated_pe_cycles", 0);
  u->w_min = -127;
  u->n_w = 255;
  for (int i = 0; i < 255; i++) u->mac_cycles[i] = m->items[i].num;
  return PP_OK;
}

/* What the delay selection should keep of the weight values: their MAC count
 * times w^2, the share of the products' energy they carry. By count alone the
 * large weights look cheap to remove (few MACs use them), yet a layer without
 * its large weights is clipped, and retraining does not recover from that;
 * weighting by w^2 makes the selector remove small weights or activations
 * instead, whose loss the neighbouring allowed values absorb. */
static void weight_saliency(const pp_est_usage *u, double *s) {
  for (int i = 0; i < 255; i++) s[i] = u->mac_cycles[i] * (double)(i - 127) * (i - 127);
}

/* Trace of model_<tag> on the array: stats file trace_<tag>.ppstats. With
 * `plots`, the transition heat maps (the paper's Fig. 4) too. */
static int stage_trace(flow_ctx *c, const char *name, const char *tag, int plots, pp_est_usage *u, pp_err *e) {
  pp_flow_opts_str os = {0};
  pp_flow_opt(&os, "model", "model_%s.ppnn", tag);
  pp_flow_opt(&os, "images", "%d", c->trace_images);
  pp_flow_opt(&os, "array", "%d", c->array);
  pp_flow_opt(&os, "seed", "%llu", (unsigned long long)c->o->seed);
  pp_jv res;
  int done = pp_flow_stage_check(&c->L, name, &os, &res, e);
  if (done < 0) return done;
  if (done) {
    int rc = usage_read(&res, "usage", u, e);
    if (!rc && plots) {
      const pp_jv *m = pp_jv_get(&res, "activation_mass");
      for (size_t i = 0; m && m->type == PP_JV_ARR && i < m->n && i < 256; i++) c->act_mass[i] = m->items[i].num;
      weight_saliency(u, c->usage_w);
    }
    pp_jv_free(&res);
    return rc;
  }
  double t0 = pp_now();
  char p[4300], rel[128];
  pp_nn_model *m = NULL;
  pp_nn_qmodel *q = NULL;
  pp_array_stats *st = NULL;
  snprintf(rel, sizeof rel, "model_%s.ppnn", tag);
  int rc = pp_nn_model_load(pp_flow_path(&c->L, rel, p, sizeof p), &m, e);
  if (rc) return rc;
  if ((rc = pp_nn_qmodel_build(m, &q, e))) goto out;
  pp_array_opts ao;
  pp_array_opts_defaults(&ao);
  ao.size = c->array;
  ao.seed = c->o->seed;
  ao.per_layer = 1;
  ao.progress = 1;
  /* decision images: the int8 trace feeds the delay selection's objective, and every trace is taken on the
   * same images so that the powers compare */
  int n = c->trace_images < c->val.n ? c->trace_images : c->val.n;
  flow_log(c, "stage %s: %d images of model_%s through the %dx%d array", name, n, tag, c->array, c->array);
  if ((rc = pp_array_trace(q, &c->val, 0, n, &ao, &st, e))) goto out;
  if (st->c.mismatches)
    flow_log(c, "stage %s: warning: %llu of %llu array outputs differ from the integer path", name,
             (unsigned long long)st->c.mismatches, (unsigned long long)st->c.outputs);
  if ((rc = pp_est_usage_from_layers(st, u, e))) goto out;
  snprintf(rel, sizeof rel, "trace_%s.ppstats", tag);
  if ((rc = pp_array_stats_write(st, pp_flow_path(&c->L, rel, p, sizeof p), e))) goto out;
  double mass[256] = {0};
  for (int a = 0; a < 256; a++)
    for (int b = 0; b < 256; b++) mass[b] += (double)st->act_hist[a * 256 + b];
  if (plots) {
    memcpy(c->act_mass, mass, sizeof mass);
    weight_saliency(u, c->usage_w);
    if (pp_plot_available() && (rc = pp_array_plot(st, c->L.dir, e))) goto out;
  }
  flow_membuf mb;
  if ((rc = flow_membuf_open(&mb))) goto out;
  pp_json j;
  pp_json_init(&j, mb.f, 0);
  pp_json_obj_begin(&j);
  pp_json_key_int(&j, "images", (long long)st->images);
  pp_json_key_int(&j, "mac_ops", (long long)st->c.macs);
  pp_json_key_int(&j, "zero_macs", (long long)st->c.zero_macs);
  pp_json_key_bool(&j, "bit_exact", st->c.mismatches == 0);
  usage_json(&j, "usage", u);
  pp_json_key_arr_begin(&j, "activation_mass");
  for (int a = 0; a < 256; a++) pp_json_num(&j, mass[a]);
  pp_json_arr_end(&j);
  pp_json_obj_end(&j);
  const char *files[] = {rel, NULL};
  rc = flow_commit(c, name, &os, &mb, files, t0, e);
out:
  pp_array_stats_free(st);
  pp_nn_qmodel_free(q);
  pp_nn_model_free(m);
  return rc;
}

/* ---- characterization of the MAC ------------------------------------------------ */
/* The MAC's inputs as stage options: the files' sizes and times, so an edited
 * netlist or library redoes the stage. */
static int mac_opts(flow_ctx *c, pp_flow_opts_str *os, int parts, pp_err *e) {
  const char *names[4] = {"mac", "lib", "mult", "adder"};
  const char *files[4] = {c->o->mac_file, c->o->lib_file, c->o->mult_file, c->o->adder_file};
  for (int i = 0; i < (parts ? 4 : 2); i++) {
    char id[4600];
    int rc;
    if (!files[i]) snprintf(id, sizeof id, "builtin");
    else if ((rc = flow_file_id(files[i], id, sizeof id, e))) return rc;
    pp_flow_opt(os, names[i], "%s", id);
  }
  pp_flow_opt(os, "mult_arch", "%s", c->o->mult_arch ? c->o->mult_arch : "default");
  pp_flow_opt(os, "adder_arch", "%s", c->o->adder_arch ? c->o->adder_arch : "default");
  return PP_OK;
}
static int stage_power(flow_ctx *c, pp_err *e) {
  pp_flow_opts_str os = {0};
  int rc = mac_opts(c, &os, 0, e);
  if (rc) return rc;
  pp_flow_opt(&os, "transitions", "%d", c->transitions);
  pp_flow_opt(&os, "tuples", "%s", c->o->power_tuples == PP_FLOW_TUPLES_BINS ? "bins" : "joint");
  pp_flow_opt(&os, "seed", "%llu", (unsigned long long)c->o->seed);
  pp_jv res;
  int done = pp_flow_stage_check(&c->L, "06-characterize", &os, &res, e);
  if (done < 0) return done;
  char p[4300];
  pp_flow_path(&c->L, "power.json", p, sizeof p);
  if (done) {
    pp_jv_free(&res);
    return pp_char_power_read(p, &c->P, e);
  }
  double t0 = pp_now();
  rc = flow_hw_characterize(c, p, e);
  if (rc) return rc;
  flow_membuf mb;
  if ((rc = flow_membuf_open(&mb))) return rc;
  pp_json j;
  pp_json_init(&j, mb.f, 0);
  pp_json_obj_begin(&j);
  pp_json_key_int(&j, "max_nonzero_w", pp_char_power_argmax_nonzero(&c->P));
  pp_json_key_int(&j, "min_nonzero_w", pp_char_power_argmin_nonzero(&c->P));
  pp_json_obj_end(&j);
  const char *files[] = {"power.json", NULL};
  return flow_commit(c, "06-characterize", &os, &mb, files, t0, e);
}

static int stage_timing(flow_ctx *c, pp_err *e) {
  pp_flow_opts_str os = {0};
  int rc = mac_opts(c, &os, 1, e);
  if (rc) return rc;
  pp_flow_opt(&os, "tick_ps", "%g", c->tick_ps);
  pp_jv res;
  int done = pp_flow_stage_check(&c->L, "07-timing", &os, &res, e);
  if (done < 0) return done;
  char p[4300];
  pp_flow_path(&c->L, "delay.ppdelay", p, sizeof p);
  if (done) {
    pp_jv_free(&res);
    return pp_char_delay_read(p, &c->D, e);
  }
  double t0 = pp_now();
  /* the table depends on the MAC and library only: reused from the cache when there */
  char cp[4400];
  int cached = flow_cache_path(c, "delay", &os, ".ppdelay", cp, sizeof cp);
  pp_err e2;
  pp_err_clear(&e2);
  if (cached && access(cp, R_OK) == 0 && !pp_char_delay_read(cp, &c->D, &e2)) {
    flow_log(c, "stage 07-timing: using the cached delay table %s", cp);
    if ((rc = pp_char_delay_write(&c->D, p, e))) return rc;
  } else {
    if ((rc = flow_hw_timing(c, p, e))) return rc;
    if (cached && pp_char_delay_write(&c->D, cp, &e2)) flow_log(c, "cannot write the cache %s: %s", cp, e2.msg);
  }
  pp_select_sets all;
  pp_select_sets_all(&all, -127, 255, 256);
  flow_membuf mb;
  if ((rc = flow_membuf_open(&mb))) return rc;
  pp_json j;
  pp_json_init(&j, mb.f, 0);
  pp_json_obj_begin(&j);
  pp_json_key_int(&j, "max_delay_ps", pp_select_max_delay(&c->D, &all));
  pp_json_key_num(&j, "sta_mac_ps", c->D.sta_mac_ps);
  pp_json_obj_end(&j);
  const char *files[] = {"delay.ppdelay", NULL};
  return flow_commit(c, "07-timing", &os, &mb, files, t0, e);
}

int flow_stage_hw(flow_ctx *c, pp_err *e) {
  int rc;
  if ((rc = stage_trace(c, "04-trace-int8", "int8", 1, &c->u_orig, e))) return rc;
  if ((rc = stage_trace(c, "05-trace-pruned", "pruned", 0, &c->u_pruned, e))) return rc;
  if ((rc = stage_power(c, e))) return rc;
  return stage_timing(c, e);
}

/* The voltage model at the library's nominal supply: fitted to the
 * library's supplies (--lib-at), else the default law. */
static void vmodel(flow_ctx *c) {
  if (c->vm_fit.fitted) {
    c->vm = c->vm_fit;
    return;
  }
  pp_est_vmodel_default(&c->vm);
  c->vm.v_nom = c->P.voltage > 0 ? c->P.voltage : c->vm.v_nom;
}

/* Max MAC delay with every weight and activation allowed. */
static double full_delay(const flow_ctx *c) {
  pp_select_sets all;
  pp_select_sets_all(&all, -127, 255, 256);
  return pp_select_max_delay(&c->D, &all);
}

int flow_hw_score(flow_ctx *c, const uint8_t *W, double max_delay_ps, double *cost_uw, pp_err *e) {
  pp_est_usage u;
  int rc = pp_est_usage_restrict(&c->u_pruned, W, &u, e);
  if (rc) return rc;
  vmodel(c);
  double d_orig = full_delay(c);
  pp_est_compare cmp;
  if ((rc = pp_est_compare_run(&c->u_orig, &u, &c->P, d_orig, isfinite(max_delay_ps) ? max_delay_ps : d_orig, &c->vm,
                               &cmp, e)))
    return rc;
  *cost_uw = cmp.sel_scaled.ohw.total_uw;
  return PP_OK;
}

/* ---- the result: its allowed sets, its trace, its power ------------------------------ */
int flow_stage_final(flow_ctx *c, pp_err *e) {
  char p[4300], q[4300];
  int rc;
  /* the kept step's model becomes model_final (a copy through nn, so the file is checked) */
  pp_nn_model *m = NULL;
  char rel[128];
  snprintf(rel, sizeof rel, "model_%s.ppnn", c->rt.best_tag[0] ? c->rt.best_tag : "pruned");
  if ((rc = pp_nn_model_load(pp_flow_path(&c->L, rel, p, sizeof p), &m, e))) return rc;
  rc = pp_nn_model_save(m, pp_flow_path(&c->L, "model_final.ppnn", p, sizeof p), e);
  pp_nn_model_free(m);
  if (rc) return rc;
  pp_select_sets s;
  pp_select_sets_all(&s, -127, 255, 256);
  memcpy(s.w_keep, c->rt.W, 255);
  memcpy(s.a_keep, c->rt.A, 256);
  char comment[256];
  snprintf(comment, sizeof comment, "powerprune run: %s, test accuracy %.2f%%, max MAC delay %.0f ps", c->rt.best_tag[0] ?
           c->rt.best_tag : "pruned", c->acc_final, c->rt.max_delay_ps);
  if ((rc = pp_select_write_sets(&s, pp_flow_path(&c->L, "allowed_weights.txt", p, sizeof p),
                                 pp_flow_path(&c->L, "allowed_activations.txt", q, sizeof q), comment, e)))
    return rc;
  if ((rc = stage_trace(c, "20-trace-final", "final", 0, &c->u_final, e))) return rc;
  vmodel(c);
  double d_orig = full_delay(c);
  double d_sel = pp_select_max_delay(&c->D, &s);
  if ((rc = pp_est_compare_run(&c->u_orig, &c->u_final, &c->P, d_orig, d_sel, &c->vm, &c->cmp, e))) return rc;
  /* conventional pruning alone: all values, nominal voltage */
  if ((rc = pp_est_compare_run(&c->u_orig, &c->u_pruned, &c->P, d_orig, d_orig, &c->vm, &c->cmp_pruned, e)))
    return rc;
  /* the estimate is cheap: written every run, beside the report */
  pp_outfile o;
  if ((rc = pp_outfile_open(&o, pp_flow_path(&c->L, "estimate.json", p, sizeof p), e))) return rc;
  pp_json j;
  pp_json_init(&j, o.f, 1);
  pp_est_compare_json(&c->cmp, &c->vm, &j);
  pp_json_end(&j);
  return pp_outfile_commit(&o, e);
}
