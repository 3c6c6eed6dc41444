/* flow/flow: the PowerPruning flow (paper III-C, IV) as resumable stages:
 * train -> int8 QAT -> magnitude pruning -> trace on the array ->
 * characterize power and timing -> power-threshold and delay-threshold loops
 * with retraining -> trace of the result -> estimate (Standard/Optimized HW,
 * voltage scaling) -> the same networks beside PANN and plain low-bit
 * quantization on module pann's bit-flip models -> figures and report. Every stage's result is a file in
 * the output folder (see ledger.c); models, traces and tables are files too,
 * so a rerun picks up where the last one stopped. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flow_internal.h"
#include "pp/interop.h"

void pp_flow_opts_default(pp_flow_opts *o) {
  memset(o, 0, sizeof *o);
  o->model = "lenet5";
  o->data = "fashion-mnist";
  o->seed = 1;
  /* the loss budget is counted from the unpruned int8 network, and pruning spends part of it */
  o->tolerance = 1.5;
  o->power_tolerance = 1.0;
  o->delay_starts = 3;
  o->sparsity = 0.6;
  o->sparsity_auto = 1;
  o->final_prune = 1;
  o->refine_retrains = -1;
  o->pann_qat_steps = -1;
  /* Booth: the power of its weight values follows their Booth digits (powers of two are cheap, as in the
   * paper's Fig. 2) and weight 0 does not glitch, so its delay floor is the adder's path alone */
  o->mult_arch = pp_mac_mult_name(PP_MAC_MULT_DEFAULT); /* the adder stays NULL: PP_MAC_ADDER_DEFAULT */
}

/* ---- small helpers ------------------------------------------------------------ */
int flow_membuf_open(flow_membuf *m) {
  m->text = NULL;
  m->len = 0;
  m->f = open_memstream(&m->text, &m->len);
  return m->f ? PP_OK : PP_ENOMEM;
}

char *flow_membuf_close(flow_membuf *m) {
  fclose(m->f);
  m->f = NULL;
  return m->text;
}

/* Hex of a value mask: part of a stage's options, so another set redoes it. */
void flow_mask_hex(const uint8_t *m, int n, char *out) {
  static const char hx[] = "0123456789abcdef";
  int k = 0;
  for (int i = 0; i < n; i += 4) {
    int v = 0;
    for (int b = 0; b < 4; b++) v |= (i + b < n && m[i + b]) << b;
    out[k++] = hx[v];
  }
  out[k] = 0;
}

int flow_file_id(const char *path, char *buf, size_t n, pp_err *e) {
  struct stat sb;
  if (stat(path, &sb) != 0) return pp_err_set(e, PP_EIO, path, 0, "cannot open: no such file");
  snprintf(buf, n, "%s (%lld bytes, mtime %lld)", path, (long long)sb.st_size, (long long)sb.st_mtime);
  return PP_OK;
}

int flow_cache_path(flow_ctx *c, const char *kind, const pp_flow_opts_str *opts, const char *ext, char *buf,
                    size_t n) {
  const pp_flow_opts *o = c->o;
  if (o->no_cache) return 0;
  char dir[4096];
  const char *env;
  if (o->cache_dir) snprintf(dir, sizeof dir, "%s", o->cache_dir);
  else if ((env = getenv("PP_CACHE_DIR")) && *env) snprintf(dir, sizeof dir, "%s", env);
  else if ((env = getenv("XDG_CACHE_HOME")) && *env) snprintf(dir, sizeof dir, "%s/powerprune", env);
  else if ((env = getenv("HOME")) && *env) snprintf(dir, sizeof dir, "%s/.cache/powerprune", env);
  else return 0;
  pp_err e2;
  pp_err_clear(&e2);
  if (pp_mkdirs(dir, &e2)) return 0; /* a cache that cannot be made is no error: work is just redone */
  uint64_t h = pp_flow_hash(PP_FLOW_HASH_INIT, kind, strlen(kind) + 1);
  h = pp_flow_hash(h, opts->buf, opts->len);
  snprintf(buf, n, "%s/%s-%016llx%s", dir, kind, (unsigned long long)h, ext);
  return 1;
}

void flow_log(flow_ctx *c, const char *fmt, ...) {
  if (!c->L.log) return;
  char msg[2048];
  va_list ap;
  va_start(ap, fmt);
  /* clang 14's analyzer loses the va_start above on some inlined paths */
  vsnprintf(msg, sizeof msg, fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized)
  va_end(ap);
  c->L.log(c->L.log_user, msg);
}

/* Commits a stage whose result was written into m. */
int flow_commit(flow_ctx *c, const char *name, const pp_flow_opts_str *os, flow_membuf *m, const char *const *files,
                double t0, pp_err *e) {
  char *text = flow_membuf_close(m);
  double dt = pp_now() - t0;
  int rc = pp_flow_stage_commit(&c->L, name, os, text, files, dt, e);
  free(text);
  if (!rc) flow_log(c, "stage %s: done in %.1f s", name, dt);
  return rc;
}

/* ---- models ---------------------------------------------------------------------- */
static void train_opts(flow_ctx *c, pp_nn_train_opts *t, int epochs, double lr, uint64_t salt) {
  pp_nn_train_defaults(t);
  t->epochs = epochs;
  if (lr > 0) t->lr = lr;
  t->seed = c->o->seed * 1000003ULL + salt;
  t->progress = 1;
  t->augment = c->train.c == 3; /* crop+flip only makes sense for colour images */
}

/* dec: accuracy on the decision images (what every choice reads); test: on the test images, for the report */
static int eval_model(flow_ctx *c, pp_nn_model *m, double *dec, double *test, pp_err *e) {
  double loss;
  int rc = pp_nn_eval(m, &c->val, dec, &loss, NULL, e);
  return rc ? rc : pp_nn_eval(m, &c->test, test, &loss, NULL, e);
}

static const char *mpath(flow_ctx *c, const char *tag, char *buf, size_t n) {
  char rel[128];
  snprintf(rel, sizeof rel, "model_%s.ppnn", tag);
  return pp_flow_path(&c->L, rel, buf, n);
}

static void result_acc(FILE *f, double dec, double acc, const char *extra) {
  pp_json j;
  pp_json_init(&j, f, 0);
  pp_json_obj_begin(&j);
  pp_json_key_num(&j, "decision_accuracy_pct", dec);
  pp_json_key_num(&j, "accuracy_pct", acc);
  if (extra) {
    fputs(",", f);
    fputs(extra, f);
  }
  pp_json_obj_end(&j);
}

static int stage_train(flow_ctx *c, pp_err *e) {
  pp_flow_opts_str os = {0};
  const pp_flow_opts *o = c->o;
  pp_flow_opt(&os, "model", "%s", o->model);
  pp_flow_opt(&os, "data", "%s", c->data_desc);
  pp_flow_opt(&os, "seed", "%llu", (unsigned long long)o->seed);
  /* training is reproducible per thread count only: every stage after this
   * one (and the model cache) is keyed on it through the chain */
  pp_flow_opt(&os, "threads", "%d", pp_nn_threads());
  if (o->model_file) {
    char id[4600];
    int rc = flow_file_id(o->model_file, id, sizeof id, e);
    if (rc) return rc;
    pp_flow_opt(&os, "model_file", "%s", id);
  } else pp_flow_opt(&os, "epochs", "%d", c->epochs);
  pp_jv res;
  int done = pp_flow_stage_check(&c->L, "01-train", &os, &res, e);
  if (done < 0) return done;
  if (done) {
    c->acc_float = pp_jv_num(&res, "accuracy_pct", NAN);
    c->dec_float = pp_jv_num(&res, "decision_accuracy_pct", NAN);
    pp_jv_free(&res);
    return PP_OK;
  }
  double t0 = pp_now();
  pp_nn_model *m = NULL;
  int rc;
  if (o->model_file) {
    if ((rc = pp_interop_model_load(o->model_file, &c->train, &m, e))) return rc;
    if (m->q.qat) pp_nn_set_qat(m, 0, 0);
  } else {
    char cp[4400];
    int cached = flow_cache_path(c, "float", &os, ".ppnn", cp, sizeof cp);
    pp_err e2;
    pp_err_clear(&e2);
    if (cached && access(cp, R_OK) == 0 && !pp_nn_model_load(cp, &m, &e2)) {
      flow_log(c, "stage 01-train: using the cached trained model %s", cp);
    } else {
      if ((rc = pp_nn_model_create(o->model, c->train.c, c->train.h, c->train.w, c->train.classes, o->seed, &m, e)))
        return rc;
      flow_log(c, "stage 01-train: %s, %d epochs on %d images", o->model, c->epochs, c->train.n);
      pp_nn_train_opts t;
      train_opts(c, &t, c->epochs, 0, 1);
      if ((rc = pp_nn_train(m, &c->train, &t, NULL, NULL, e))) goto out;
      if (cached && pp_nn_model_save(m, cp, &e2)) flow_log(c, "cannot write the cache %s: %s", cp, e2.msg);
    }
  }
  if ((rc = eval_model(c, m, &c->dec_float, &c->acc_float, e))) goto out;
  char p[4300];
  if ((rc = pp_nn_model_save(m, mpath(c, "float", p, sizeof p), e))) goto out;
  flow_membuf mb;
  if ((rc = flow_membuf_open(&mb))) goto out;
  result_acc(mb.f, c->dec_float, c->acc_float, NULL);
  const char *files[] = {"model_float.ppnn", NULL};
  rc = flow_commit(c, "01-train", &os, &mb, files, t0, e);
  flow_log(c, "float accuracy %.2f%% (decision images %.2f%%)", c->acc_float, c->dec_float);
out:
  pp_nn_model_free(m);
  return rc;
}

/* One fine-tuned network from a model file: int8 QAT of the float model (sparsity < 0), or magnitude pruning
 * of the int8 model to `sparsity`. Stage `name`, model file `out_tag`. */
static int stage_quant(flow_ctx *c, const char *name, double sparsity, const char *out_tag, double *dec,
                       double *acc, double *sp_out, pp_err *e) {
  int prune = sparsity >= 0;
  pp_flow_opts_str os = {0};
  pp_flow_opt(&os, "epochs", "%d", prune ? c->qat_epochs + 1 : c->qat_epochs);
  if (prune) {
    pp_flow_opt(&os, "rate", "full");
    pp_flow_opt(&os, "sparsity", "%.4f", sparsity);
    pp_flow_opt(&os, "pruning", "%s", c->o->prune_global ? "global" : "per layer");
  }
  pp_jv res;
  int done = pp_flow_stage_check(&c->L, name, &os, &res, e);
  if (done < 0) return done;
  if (done) {
    *acc = pp_jv_num(&res, "accuracy_pct", NAN);
    *dec = pp_jv_num(&res, "decision_accuracy_pct", NAN);
    if (sp_out) *sp_out = pp_jv_num(&res, "sparsity", NAN);
    pp_jv_free(&res);
    return isfinite(*dec) ? PP_OK : pp_err_set(e, PP_EPARSE, name, 0, "stage file has no decision accuracy");
  }
  double t0 = pp_now();
  pp_nn_model *m = NULL;
  char p[4300];
  int rc = pp_nn_model_load(mpath(c, prune ? "int8" : "float", p, sizeof p), &m, e);
  if (rc) return rc;
  if (prune) {
    if ((rc = pp_nn_prune(m, sparsity, c->o->prune_global, e))) goto out;
  } else pp_nn_set_qat(m, 1, 0);
  pp_nn_train_opts t;
  /* QAT: a tenth of the default rate keeps what training learned; after pruning the network must relearn
   * around the removed weights, which the full rate and one more epoch do far better (LeNet-5 at 0.7:
   * -1.5 points instead of about -4 on Fashion-MNIST) */
  pp_nn_train_defaults(&t);
  int ep = prune ? c->qat_epochs + 1 : c->qat_epochs;
  train_opts(c, &t, ep, prune ? t.lr : t.lr * 0.1, prune ? 3 : 2);
  flow_log(c, "stage %s: %d epochs%s", name, ep, prune ? " after magnitude pruning" : " of int8 QAT");
  if (ep > 0 && (rc = pp_nn_train(m, &c->train, &t, NULL, NULL, e))) goto out;
  if ((rc = eval_model(c, m, dec, acc, e))) goto out;
  double sp = pp_nn_sparsity(m);
  if (sp_out) *sp_out = sp;
  if ((rc = pp_nn_model_save(m, mpath(c, out_tag, p, sizeof p), e))) goto out;
  flow_membuf mb;
  if ((rc = flow_membuf_open(&mb))) goto out;
  char extra[64], rel[128];
  snprintf(extra, sizeof extra, "\"sparsity\":%.6f", sp);
  result_acc(mb.f, *dec, *acc, extra);
  snprintf(rel, sizeof rel, "model_%s.ppnn", out_tag);
  const char *files[] = {rel, NULL};
  rc = flow_commit(c, name, &os, &mb, files, t0, e);
  flow_log(c, "%s accuracy %.2f%% (decision images %.2f%%), sparsity %.3f", name, *acc, *dec, sp);
out:
  pp_nn_model_free(m);
  return rc;
}

/* The sparsities --sparsity auto may choose, per model (README): LeNet-5's convolutions lose little up to high
 * sparsity; the residual and depthwise networks have fewer redundant weights per layer. */
static void sparsity_grid(const char *model, double *lo, double *hi) {
  if (!strcmp(model, "resnet20")) *lo = 0.30, *hi = 0.70;
  else if (!strcmp(model, "dwnet")) *lo = 0.20, *hi = 0.60;
  else *lo = 0.40, *hi = 0.85;
}

/* Conventional pruning: the fixed --sparsity, or (auto) a bisection over the model's grid in steps of 0.05 for
 * the highest sparsity whose fine-tuned decision accuracy stays within prune_share of the loss budget. The chosen
 * network becomes model_pruned (stage 03-prune). */
static int stage_prune(flow_ctx *c, pp_err *e) {
  const pp_flow_opts *o = c->o;
  double chosen = o->sparsity, dec = NAN, acc = NAN, sp = NAN;
  char name[64], tag[64];
  int rc;
  c->n_sparsity_tried = 0;
  if (o->sparsity_auto) {
    double lo, hi, allow = c->prune_share * o->tolerance;
    sparsity_grid(o->model, &lo, &hi);
    int n = (int)lround((hi - lo) / 0.05) + 1, ok = -1, bad = n, probes = o->quick ? 2 : 3;
    double best_dec = -INFINITY, pacc = NAN, psp = NAN;
    int best_i = 0;
    for (int k = 0; k < probes && bad - ok > 1; k++) {
      int i = (ok + bad + 1) / 2;
      double s = lo + 0.05 * i, d, a, q;
      snprintf(name, sizeof name, "03-prune-%.2f", s);
      snprintf(tag, sizeof tag, "prune-%.2f", s);
      if ((rc = stage_quant(c, name, s, tag, &d, &a, &q, e))) return rc;
      c->sparsity_tried[c->n_sparsity_tried] = s;
      c->sparsity_tried_dec[c->n_sparsity_tried++] = d;
      int pass = c->dec_int8 - d <= allow;
      flow_log(c, "sparsity %.2f: decision accuracy %.2f%% (int8 %.2f%%, may lose %.2f): %s", s, d, c->dec_int8,
               allow, pass ? "within" : "over");
      if (pass) ok = i, dec = d, acc = a, sp = q;
      else bad = i;
      if (d > best_dec) best_dec = d, best_i = i, pacc = a, psp = q;
    }
    /* nothing within the share: the most accurate probe (the report says so) */
    if (ok < 0) dec = best_dec, acc = pacc, sp = psp;
    chosen = lo + 0.05 * (ok >= 0 ? ok : best_i);
  }
  snprintf(tag, sizeof tag, "prune-%.2f", chosen);
  if (!o->sparsity_auto) snprintf(name, sizeof name, "03-prune-%.2f", chosen);
  if (!o->sparsity_auto && (rc = stage_quant(c, name, chosen, tag, &dec, &acc, &sp, e))) return rc;
  /* 03-prune: the chosen network, copied (through nn, so the file is checked) to model_pruned */
  pp_flow_opts_str os = {0};
  pp_flow_opt(&os, "sparsity", "%.4f", chosen);
  pp_flow_opt(&os, "auto", "%d", o->sparsity_auto);
  pp_jv res;
  int done = pp_flow_stage_check(&c->L, "03-prune", &os, &res, e);
  if (done < 0) return done;
  if (done) {
    c->acc_pruned = pp_jv_num(&res, "accuracy_pct", NAN);
    c->dec_pruned = pp_jv_num(&res, "decision_accuracy_pct", NAN);
    c->sparsity = pp_jv_num(&res, "sparsity", NAN);
    pp_jv_free(&res);
    return isfinite(c->dec_pruned) ? PP_OK : pp_err_set(e, PP_EPARSE, "03-prune", 0, "stage file has no decision accuracy");
  }
  double t0 = pp_now();
  pp_nn_model *m = NULL;
  char p[4300];
  if ((rc = pp_nn_model_load(mpath(c, tag, p, sizeof p), &m, e))) return rc;
  rc = pp_nn_model_save(m, mpath(c, "pruned", p, sizeof p), e);
  pp_nn_model_free(m);
  if (rc) return rc;
  c->acc_pruned = acc;
  c->dec_pruned = dec;
  c->sparsity = sp;
  flow_membuf mb;
  if ((rc = flow_membuf_open(&mb))) return rc;
  char extra[96];
  snprintf(extra, sizeof extra, "\"sparsity\":%.6f,\"target\":%.4f", sp, chosen);
  result_acc(mb.f, dec, acc, extra);
  const char *files[] = {"model_pruned.ppnn", NULL};
  return flow_commit(c, "03-prune", &os, &mb, files, t0, e);
}

/* ---- retraining with restricted values (callbacks of module retrain) --------------- */
/* The test accuracy of a step, kept for the report only. */
static void step_test_put(flow_ctx *c, const char *tag, double acc) {
  int i = 0;
  while (i < c->n_step_test && strcmp(c->step_tag[i], tag)) i++;
  if (i >= PP_RETRAIN_MAX_STEPS) return;
  if (i == c->n_step_test) c->n_step_test++;
  snprintf(c->step_tag[i], sizeof c->step_tag[i], "%s", tag);
  c->step_test[i] = acc;
}

static double step_test_get(const flow_ctx *c, const char *tag) {
  for (int i = 0; i < c->n_step_test; i++)
    if (!strcmp(c->step_tag[i], tag)) return c->step_test[i];
  return NAN;
}

/* One retraining step: the model of step `from` (NULL: the pruned network), pruned further to `sparsity` when it
 * is >= 0, retrained with weights restricted to W and activations to A; stage 10-<tag>. */
static int retrain_step(flow_ctx *c, const char *tag, const char *from, double sparsity, const uint8_t *W,
                        const uint8_t *A, double *acc, pp_err *e) {
  char name[64], wh[80], ah[80];
  snprintf(name, sizeof name, "10-%s", tag);
  flow_mask_hex(W, 255, wh);
  flow_mask_hex(A, 256, ah);
  pp_flow_opts_str os = {0};
  pp_flow_opt(&os, "from", "%s", from ? from : "pruned");
  pp_flow_opt(&os, "weights", "%s", wh);
  pp_flow_opt(&os, "activations", "%s", ah);
  pp_flow_opt(&os, "epochs", "%d", c->retrain_epochs);
  if (sparsity >= 0) {
    pp_flow_opt(&os, "sparsity", "%.4f", sparsity);
    pp_flow_opt(&os, "prune_global", "%d", c->o->prune_global);
    pp_flow_opt(&os, "lr", "0.3 x default, cosine");
  }
  /* a step's key chains on the previous step checked, which is the one it starts from or a rejected sibling;
   * the options name everything the step depends on */
  pp_jv res;
  int done = pp_flow_stage_check(&c->L, name, &os, &res, e);
  if (done < 0) return done;
  if (done) {
    *acc = pp_jv_num(&res, "decision_accuracy_pct", NAN);
    step_test_put(c, tag, pp_jv_num(&res, "accuracy_pct", NAN));
    pp_jv_free(&res);
    return isfinite(*acc) ? PP_OK : pp_err_set(e, PP_EPARSE, name, 0, "stage file has no decision accuracy");
  }
  double t0 = pp_now();
  pp_nn_model *m = NULL;
  char p[4300];
  int rc = pp_nn_model_load(mpath(c, from ? from : "pruned", p, sizeof p), &m, e);
  if (rc) return rc;
  memcpy(m->q.w_allowed, W, 255);
  memcpy(m->q.a_allowed, A, 256);
  m->q.w_allowed[127] = 1;
  m->q.a_allowed[0] = 1;
  if (sparsity >= 0 && (rc = pp_nn_prune(m, sparsity, c->o->prune_global, e))) goto out;
  pp_nn_train_opts t;
  pp_nn_train_defaults(&t);
  /* A restricted set only moves weights to nearby allowed values: a tenth of the rate keeps what training
   * learned. Pruning removes weights the rest must make up for, which wants a larger rate that decays to zero
   * within the step (LeNet-5, 0.64 -> 0.70 in one epoch, three seeds, decision accuracy: constant 0.1x
   * 88.36/88.36/89.06%, cosine 0.1x 88.16/88.36/88.12%, cosine 0.3x 88.96/89.10/89.26%). */
  train_opts(c, &t, c->retrain_epochs, t.lr * (sparsity >= 0 ? 0.3 : 0.1), 10 + (uint64_t)c->L.nstages);
  if (sparsity >= 0) t.schedule = PP_NN_SCHED_COSINE;
  if ((rc = pp_nn_train(m, &c->train, &t, NULL, NULL, e))) goto out;
  double test_acc;
  if ((rc = eval_model(c, m, acc, &test_acc, e))) goto out;
  step_test_put(c, tag, test_acc);
  if ((rc = pp_nn_model_save(m, mpath(c, tag, p, sizeof p), e))) goto out;
  flow_membuf mb;
  if ((rc = flow_membuf_open(&mb))) goto out;
  char extra[128];
  snprintf(extra, sizeof extra, "\"weights\":%d,\"activations\":%d,\"sparsity\":%.6f", pp_retrain_count(W, 255),
           pp_retrain_count(A, 256), pp_nn_sparsity(m));
  result_acc(mb.f, *acc, test_acc, extra);
  char rel[128];
  snprintf(rel, sizeof rel, "model_%s.ppnn", tag);
  const char *files[] = {rel, NULL};
  rc = flow_commit(c, name, &os, &mb, files, t0, e);
out:
  pp_nn_model_free(m);
  return rc;
}

static int cb_train(void *u, const char *tag, const char *from, const uint8_t *W, const uint8_t *A, double *acc,
                    pp_err *e) {
  return retrain_step(u, tag, from, -1, W, A, acc, e);
}

static int cb_prune(void *u, const char *tag, const char *from, double sparsity, const uint8_t *W, const uint8_t *A,
                    double *acc, pp_err *e) {
  return retrain_step(u, tag, from, sparsity, W, A, acc, e);
}

static void sets_from_masks(const uint8_t *W, const uint8_t *A, pp_select_sets *s) {
  pp_select_sets_all(s, -127, 255, 256);
  memcpy(s->w_keep, W, 255);
  memcpy(s->a_keep, A, 256);
}

static int cb_max_delay(void *u, const uint8_t *W, const uint8_t *A, double *ps, pp_err *e) {
  flow_ctx *c = u;
  (void)e;
  pp_select_sets s;
  sets_from_masks(W, A, &s);
  *ps = pp_select_max_delay(&c->D, &s);
  return PP_OK;
}

/* The proxy of a candidate set: decision accuracy of model m (the network the step would retrain from) with
 * weights moved to the nearest allowed value and activations to the nearest allowed level, no retraining, on
 * the first FLOW_PROXY_IMAGES decision images. It ranks candidates; only the best one is retrained. */
#define FLOW_PROXY_IMAGES 2000
/* A candidate is retrained only if its proxy keeps half of the margin over chance that the network it would
 * retrain from has on the same images. Below that, one epoch of retraining does not bring it back (measured: an
 * array multiplier, where every negative weight reaches the longest path, so a delay bound under it keeps only
 * w >= 0: proxies at chance, 9.4%, retrained to 17-20%), and the retrain would be paid for nothing. */
double flow_proxy_floor(double base_pct, int classes) {
  double chance = classes > 0 ? 100.0 / classes : 0;
  return base_pct > chance ? chance + 0.5 * (base_pct - chance) : base_pct;
}
static int cb_select(void *u, double thr, const char *from, const uint8_t *Win, uint8_t *Wout, uint8_t *Aout,
                     double *md, pp_err *e) {
  flow_ctx *c = u;
  memset(Wout, 0, 255);
  memset(Aout, 0, 256);
  /* below the delay of (0, 0 -> 0) no set exists: an empty answer ends the loop */
  if (thr < pp_char_delay_at(&c->D, 0, 0, 0)) {
    Wout[127] = Aout[0] = 1;
    *md = pp_char_delay_at(&c->D, 0, 0, 0);
    return PP_OK;
  }
  pp_select_sets in;
  uint8_t all[256];
  memset(all, 1, sizeof all);
  sets_from_masks(Win, all, &in);
  pp_select_opts so;
  pp_select_opts_default(&so);
  so.delay_ps = (unsigned)floor(thr);
  so.repeats = c->repeats;
  so.seed = c->o->seed;
  so.method = c->select_method;
  /* candidates: the configured method's best, the paper's random removal, and points of the search's path
   * from weight-heavy to activation-heavy */
  enum { MAXC = 16 };
  pp_select_sets *cand = malloc(MAXC * sizeof *cand);
  if (!cand) return pp_err_set(e, PP_ENOMEM, "", 0, "out of memory");
  int nc = 0, rc;
  pp_select_result r;
  if ((rc = pp_select_delay(&c->D, &in, c->usage_w, c->act_mass, &so, &r, e))) goto out;
  cand[nc++] = r.sets;
  if (c->n_cand > 1) {
    if (so.method != PP_SELECT_RANDOM) {
      so.method = PP_SELECT_RANDOM;
      if ((rc = pp_select_delay(&c->D, &in, c->usage_w, c->act_mass, &so, &r, e))) goto out;
      cand[nc++] = r.sets;
    }
    int np = 0, room = c->n_cand - nc < MAXC - nc ? c->n_cand - nc : MAXC - nc;
    if (room > 0 && (rc = pp_select_delay_path(&c->D, &in, c->usage_w, c->act_mass, &so, cand + nc, room, &np, e)))
      goto out;
    nc += np;
  }
  int best = -1;
  {
    pp_nn_model *m = NULL;
    char p[4300];
    if ((rc = pp_nn_model_load(mpath(c, from ? from : "pruned", p, sizeof p), &m, e))) goto out;
    /* the floor: the network the step retrains from, with its own sets, on the same images */
    double base, floor_pct, bacc = -1;
    if ((rc = pp_nn_eval_restricted(m, &c->val, FLOW_PROXY_IMAGES, m->q.w_allowed, m->q.a_allowed, &base, e))) {
      pp_nn_model_free(m);
      goto out;
    }
    floor_pct = flow_proxy_floor(base, c->val.classes);
    /* sets under the activation floor are not candidates, unless no set meets it (the step is then infeasible) */
    int any_floor = 0;
    for (int i = 0; i < nc; i++) any_floor |= pp_select_count_a(&cand[i]) >= c->min_acts;
    for (int i = 0; i < nc; i++) {
      if (any_floor && pp_select_count_a(&cand[i]) < c->min_acts) continue;
      int dup = 0;
      for (int j = 0; j < i && !dup; j++)
        dup = !memcmp(cand[j].w_keep, cand[i].w_keep, 255) && !memcmp(cand[j].a_keep, cand[i].a_keep, 256);
      if (dup) continue;
      double acc;
      if ((rc = pp_nn_eval_restricted(m, &c->val, FLOW_PROXY_IMAGES, cand[i].w_keep, cand[i].a_keep, &acc, e))) break;
      flow_log(c, "  delay %.0f ps, candidate %d: %d weights, %d activations, proxy accuracy %.2f%%%s", thr, i,
               pp_select_count_w(&cand[i]), pp_select_count_a(&cand[i]), acc, acc < floor_pct ? " (under the floor)" : "");
      if (acc >= floor_pct && acc > bacc) bacc = acc, best = i;
    }
    pp_nn_model_free(m);
    if (rc) goto out;
    if (best < 0) {
      /* nothing worth a retrain: the step has no set, as below the delay of (0, 0 -> 0) */
      flow_log(c, "  delay %.0f ps: no candidate reaches the proxy floor %.2f%% (the network it retrains from: %.2f%%)",
               thr, floor_pct, base);
      Wout[127] = Aout[0] = 1;
      *md = pp_char_delay_at(&c->D, 0, 0, 0);
      goto out;
    }
  }
  memcpy(Wout, cand[best].w_keep, 255);
  memcpy(Aout, cand[best].a_keep, 256);
  *md = pp_select_max_delay(&c->D, &cand[best]);
out:
  free(cand);
  return rc;
}

static void cb_step(void *u, const pp_retrain_step *s) {
  flow_ctx *c = u;
  static const char *const unit[3] = {"uW", "ps", "sparsity"};
  flow_log(c, "%s: threshold %.*f %s, %d weights, %d activations, max delay %.0f ps: decision accuracy %.2f%% (%s)%s",
           s->tag, s->phase == 2 ? 2 : 1, s->threshold, unit[s->phase], s->n_weights, s->n_acts, s->max_delay_ps,
           s->accuracy, s->accepted ? "kept" : "below tolerance", s->refine ? " (bisection)" : "");
}

static int cb_score(void *u, const uint8_t *W, const uint8_t *A, double max_delay_ps, double *cost, pp_err *e) {
  (void)A; /* the usage model has no activation values: the delay carries their effect */
  return flow_hw_score(u, W, max_delay_ps, cost, e);
}

static int stage_retrain(flow_ctx *c, pp_err *e) {
  pp_retrain_opts ro;
  pp_retrain_opts_default(&ro);
  ro.base_accuracy = c->dec_int8;
  ro.start_accuracy = c->dec_pruned;
  ro.refine_retrains = c->refine_retrains;
  ro.tolerance = c->o->tolerance;
  ro.power_tolerance = c->o->power_tolerance;
  double P[255];
  for (int w = -127; w <= 127; w++) P[w + 127] = pp_char_power_total(&c->P, w);
  ro.power_uw = P;
  ro.power_divisions = c->power_divisions;
  if (!c->power_divisions) {
    ro.power_counts = c->power_counts;
    ro.n_power_counts = c->n_power_counts;
  }
  ro.delay_step_ps = c->o->delay_step_ps > 0 ? c->o->delay_step_ps : 10;
  ro.delay_starts = c->o->delay_starts;
  ro.min_acts = c->min_acts;
  if (c->o->final_prune) ro.sparsity_start = c->sparsity;
  if (c->o->quick) ro.sparsity_max_steps = 2;
  pp_retrain_ops ops = {c, cb_train, cb_select, cb_max_delay, cb_step, cb_score, cb_prune};
  int rc = pp_retrain_run(&ro, &ops, &c->rt, e);
  if (rc) return rc;
  c->acc_final = c->rt.best_tag[0] ? step_test_get(c, c->rt.best_tag) : c->acc_pruned;
  if (!isfinite(c->acc_final))
    return pp_err_set(e, PP_EPARSE, c->rt.best_tag, 0, "no test accuracy recorded for the kept step");
  return PP_OK;
}

/* ---- the whole run ------------------------------------------------------------------- */
/* Splits n_val decision images off d (a seeded choice of indices; the rest keep their order) into val. */
static int split_val(pp_nn_data *d, int n_val, uint64_t seed, pp_nn_data *val, pp_err *e) {
  size_t img = (size_t)d->c * d->h * d->w;
  uint32_t *idx = malloc((size_t)d->n * sizeof *idx);
  uint8_t *pick = calloc((size_t)d->n, 1);
  *val = *d;
  val->x = malloc((size_t)n_val * img);
  val->y = malloc((size_t)n_val);
  uint8_t *rx = malloc((size_t)(d->n - n_val) * img + 1), *ry = malloc((size_t)(d->n - n_val) + 1);
  if (!idx || !pick || !val->x || !val->y || !rx || !ry) {
    free(idx), free(pick), free(val->x), free(val->y), free(rx), free(ry);
    val->x = NULL, val->y = NULL;
    return pp_err_set(e, PP_ENOMEM, "", 0, "out of memory");
  }
  for (int i = 0; i < d->n; i++) idx[i] = (uint32_t)i;
  pp_rng r;
  pp_rng_seed(&r, seed * 0x9e3779b97f4a7c15ULL + 0x76616c);
  pp_rng_shuffle_u32(&r, idx, (size_t)d->n);
  for (int i = 0; i < n_val; i++) pick[idx[i]] = 1;
  int nv = 0, nr = 0;
  for (int i = 0; i < d->n; i++) {
    uint8_t *x = pick[i] ? val->x + (size_t)nv * img : rx + (size_t)nr * img;
    memcpy(x, d->x + (size_t)i * img, img);
    if (pick[i]) val->y[nv++] = d->y[i];
    else ry[nr++] = d->y[i];
  }
  val->n = nv;
  free(d->x);
  free(d->y);
  d->x = rx;
  d->y = ry;
  d->n = nr;
  free(idx);
  free(pick);
  return PP_OK;
}

static int load_data(flow_ctx *c, pp_err *e) {
  const pp_flow_opts *o = c->o;
  int rc;
  if (!strcmp(o->data, "synthetic")) {
    /* LeNet-5 sized images; a learnable set of 10 classes */
    int ntr = o->train_images > 0 ? o->train_images : (o->quick ? 1000 : 10000);
    int nte = o->test_images > 0 ? o->test_images : (o->quick ? 300 : 2000);
    int nva = o->val_images > 0 ? o->val_images : (ntr / 4 > 200 ? ntr / 4 : 200);
    int ch = strcmp(o->model, "lenet5") ? 3 : 1, hh = strcmp(o->model, "lenet5") ? 32 : 28, ww = hh;
    if (o->model_file) { /* images of the size and channel count the model's graph takes */
      pp_nn_model *m;
      if ((rc = pp_interop_model_load(o->model_file, NULL, &m, e))) return rc;
      ch = m->in_c, hh = m->in_h, ww = m->in_w;
      pp_nn_model_free(m);
    }
    /* one draw (same class templates), split into train, decision and test images */
    pp_nn_data all;
    if ((rc = pp_nn_data_synthetic(ntr + nva + nte, ch, hh, ww, 10, o->seed, &all, e))) return rc;
    size_t img = (size_t)ch * hh * ww;
    c->train = all;
    c->val = all;
    c->train.x = malloc((size_t)ntr * img);
    c->train.y = malloc((size_t)ntr);
    c->val.x = malloc((size_t)nva * img);
    c->val.y = malloc((size_t)nva);
    if (!c->train.x || !c->train.y || !c->val.x || !c->val.y) {
      pp_nn_data_free(&all);
      return pp_err_set(e, PP_ENOMEM, "", 0, "out of memory");
    }
    memcpy(c->train.x, all.x, (size_t)ntr * img);
    memcpy(c->train.y, all.y, (size_t)ntr);
    c->train.n = ntr;
    memcpy(c->val.x, all.x + (size_t)ntr * img, (size_t)nva * img);
    memcpy(c->val.y, all.y + ntr, (size_t)nva);
    c->val.n = nva;
    c->test = all;
    memmove(c->test.x, all.x + (size_t)(ntr + nva) * img, (size_t)nte * img);
    memmove(c->test.y, all.y + ntr + nva, (size_t)nte);
    c->test.n = nte;
  } else {
    if ((rc = pp_nn_data_load(o->data, o->data_dir, &c->train, &c->test, e))) return rc;
    int nva = o->val_images > 0 ? o->val_images : (o->quick ? 1000 : 5000);
    if (nva > c->train.n / 5) {
      if (o->val_images > 0)
        return pp_err_set(e, PP_EINVAL, "", 0, "--val-images %d: at most a fifth of the %d training images",
                          o->val_images, c->train.n);
      nva = c->train.n / 5;
    }
    if (nva < 1) return pp_err_set(e, PP_EINVAL, "", 0, "%d training images: too few to hold decision images out", c->train.n);
    if ((rc = split_val(&c->train, nva, o->seed, &c->val, e))) return rc;
    if (o->train_images > 0 && o->train_images < c->train.n) c->train.n = o->train_images;
    else if (o->quick && c->train.n > 6000) c->train.n = 6000;
    if (o->test_images > 0 && o->test_images < c->test.n) c->test.n = o->test_images;
    else if (o->quick && c->test.n > 2000) c->test.n = 2000;
  }
  snprintf(c->data_desc, sizeof c->data_desc, "%s%s%s train=%d decision=%d test=%d", o->data,
           o->data_dir ? " dir=" : "", o->data_dir ? o->data_dir : "", c->train.n, c->val.n, c->test.n);
  return PP_OK;
}

static void resolve(flow_ctx *c) {
  const pp_flow_opts *o = c->o;
  int big = strcmp(o->model, "lenet5") != 0;
  c->epochs = o->epochs > 0 ? o->epochs : (o->quick ? 2 : (big ? 30 : 10));
  c->qat_epochs = o->qat_epochs > 0 ? o->qat_epochs : (o->quick ? 1 : 2);
  c->retrain_epochs = o->retrain_epochs > 0 ? o->retrain_epochs : 1;
  c->trace_images = o->trace_images > 0 ? o->trace_images : (o->quick ? 4 : 100);
  c->transitions = o->transitions > 0 ? o->transitions : (o->quick ? 500 : 10000);
  c->array = o->array > 0 ? o->array : 64;
  c->repeats = o->repeats > 0 ? o->repeats : (o->quick ? 4 : 20);
  c->power_divisions = o->power_divisions;
  static const int ladder[] = {192, 128, 96, 64, 48, 32, 24, 16}, quick_ladder[] = {96, 32};
  c->n_power_counts = 0;
  for (int i = 0; i < 32 && o->power_counts[i] > 0; i++) c->power_counts[c->n_power_counts++] = o->power_counts[i];
  if (!c->n_power_counts && !c->power_divisions) {
    const int *l = o->quick ? quick_ladder : ladder;
    int n = o->quick ? 2 : 8;
    for (int i = 0; i < n; i++) c->power_counts[c->n_power_counts++] = l[i];
  }
  c->tick_ps = o->tick_ps > 0 ? o->tick_ps : (o->quick ? 4 : 1);
  c->refine_retrains = o->refine_retrains >= 0 ? o->refine_retrains : (o->quick ? 2 : 3);
  c->prune_share = o->prune_share > 0 ? o->prune_share : 0.5;
  c->n_cand = o->candidates > 0 ? o->candidates : 6;
  c->min_acts = o->min_activations > 1 ? o->min_activations : 2;
  pp_select_opts so;
  pp_select_opts_default(&so);
  c->select_method = so.method;
}

static int flow_run(flow_ctx *c, const pp_flow_opts *o, pp_report *r, pp_err *e) {
  c->o = o;
  c->r = r;
  double t_start = pp_now();
  if (!o->out_dir) return pp_err_set(e, PP_EINVAL, "", 0, "no output folder");
  if (o->delay_starts < 0 || o->delay_starts > 8)
    return pp_err_set(e, PP_EINVAL, "", 0, "--delay-starts %d: expected 0..8 power steps to start the delay phase from",
                      o->delay_starts);
  if (!(o->tolerance >= 0) || !(o->power_tolerance >= 0))
    return pp_err_set(e, PP_EINVAL, "", 0, "tolerances must be >= 0 accuracy points");
  if (!(o->prune_share >= 0 && o->prune_share <= 1))
    return pp_err_set(e, PP_EINVAL, "", 0, "pruning's share of the budget %g: expected a fraction in (0, 1]",
                      o->prune_share);
  if (!(o->sparsity >= 0 && o->sparsity < 1))
    return pp_err_set(e, PP_EINVAL, "", 0, "sparsity %g: expected a fraction in [0, 1)", o->sparsity);
  c->L.log = o->log;
  c->L.log_user = o->log_user;
  c->L.force = o->force;
  int rc = pp_flow_ledger_open(&c->L, o->out_dir, e);
  if (rc) return rc;
  /* the report is written again at the end: until then none must look current */
  pp_report_remove_all(o->out_dir);
  resolve(c);
  if (o->select_method && pp_select_method_parse(o->select_method, &c->select_method)) {
    rc = pp_err_set(e, PP_EINVAL, "", 0, "delay selection method '%s': expected search, greedy or random",
                    o->select_method);
    goto out;
  }
  if ((rc = flow_check_inputs(c, e))) goto out;
  if ((rc = flow_voltage_fit(c, e))) goto out; /* before any long work: a bad library stops the run now */
  if ((rc = load_data(c, e))) goto out;
  if ((rc = stage_train(c, e))) goto out;
  if ((rc = flow_stage_pann_sweep(c, e))) goto out; /* PANN and plain low-bit quantization of the float model */
  if ((rc = stage_quant(c, "02-qat", -1, "int8", &c->dec_int8, &c->acc_int8, NULL, e))) goto out;
  if ((rc = stage_prune(c, e))) goto out;
  if ((rc = flow_stage_hw(c, e))) goto out;      /* trace, characterize, timing */
  if ((rc = stage_retrain(c, e))) goto out;
  if ((rc = flow_stage_final(c, e))) goto out;   /* trace of the result, estimate */
  if ((rc = flow_stage_pann(c, e))) goto out;    /* the run's networks beside them */
  c->seconds = pp_now() - t_start;
  rc = flow_write_report(c, e);                  /* figures, summary.json, table.csv, report.html */
out:
  pp_flow_ledger_close(&c->L);
  pp_nn_data_free(&c->train);
  pp_nn_data_free(&c->val);
  pp_nn_data_free(&c->test);
  flow_free_hw(c);
  return rc;
}

/* The context lives on the heap (it is large: traces, tables), one per run, so runs may overlap. */
int pp_flow_run(const pp_flow_opts *o, pp_report *r, pp_err *e) {
  flow_ctx *c = calloc(1, sizeof *c);
  if (!c) return pp_err_set(e, PP_ENOMEM, "", 0, "out of memory for the run's context (%zu bytes)", sizeof *c);
  int rc = flow_run(c, o, r, e);
  free(c);
  return rc;
}
