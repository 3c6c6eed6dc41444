/* pann/io: the fitted power models as JSON (written by `powerprune pann fit`)
 * and read back, so that quantize/compare can reuse one fit. The reader checks
 * the file against its schema (types, integer widths, finite coefficients,
 * non-negative leakage) on util's JSON reader; errors name the file, the
 * line:column and the member's path. */
#include <float.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pp/pann.h"
#include "pp/util_json.h"

#define PANN_POWER_FORMAT "powerprune-pann-power/1"

static void stats(pp_json *j, const char *key, const pp_pann_fit_stats *s) {
  pp_json_key(j, key);
  pp_json_obj_begin(j);
  pp_json_key_int(j, "n", s->n);
  pp_json_key_num(j, "r2", s->r2);
  pp_json_key_num(j, "mean_rel_err", s->mean_rel_err);
  pp_json_key_num(j, "rmse_fj", s->rmse);
  pp_json_key_num(j, "mean_meas_fj", s->mean_meas);
  pp_json_key_num(j, "mean_pred_fj", s->mean_pred);
  pp_json_key_num(j, "mean_err_rel", s->mean_err_rel);
  pp_json_obj_end(j);
}

static void coefs(pp_json *j, const double *c, int n, const char *const *names) {
  pp_json_key_arr_begin(j, "features");
  for (int i = 0; i < n; i++) pp_json_str(j, names[i]);
  pp_json_arr_end(j);
  pp_json_key_arr_begin(j, "c");
  for (int i = 0; i < n; i++) pp_json_num(j, c[i]);
  pp_json_arr_end(j);
}

static const char *const MULT_F[] = {"1", "fw", "fa", "fw*fa", "fpp", "fprod"};
static const char *const ACC_F[] = {"1", "fx", "fp", "fy", "fc", "fu"};

static void acc_json(pp_json *j, const char *key, const pp_pann_acc_model *a) {
  pp_json_key(j, key);
  pp_json_obj_begin(j);
  pp_json_key_int(j, "in_bits", a->in_bits);
  pp_json_key_int(j, "acc_bits", a->acc_bits);
  coefs(j, a->c, PP_PANN_ACC_NF, ACC_F);
  stats(j, "fit", &a->fit);
  stats(j, "check", &a->check);
  pp_json_key_num(j, "leak_nw", a->leak_nw);
  pp_json_obj_end(j);
}

void pp_pann_power_json(pp_json *j, const pp_pann_power *pw, const pp_pann_claims *cl) {
  pp_json_obj_begin(j);
  pp_json_key_str(j, "format", PANN_POWER_FORMAT);
  pp_json_key_str(j, "energy_unit", "fJ");
  pp_json_key_str(j, "mult_model", "E = c0 + cw*fw + ca*fa + cwa*fw*fa + cpp*fpp + cprod*fprod (flipped bits of w, a, partial products, product)");
  pp_json_key_str(j, "acc_model", "E = c0 + cx*fx + cp*fp + cy*fy + cc*fc (flips of sext(addend), running sum, result, carries over acc_bits)");
  pp_json_key_int(j, "acc_bits", pw->acc_bits);
  pp_json_key_arr_begin(j, "widths");
  for (int i = 0; i < 7; i++) {
    if (!pw->have[i]) continue;
    pp_json_obj_begin(j);
    pp_json_key_int(j, "bits", i + 2);
    pp_json_key_obj_begin(j, "mult");
    pp_json_key_int(j, "w_bits", pw->mult[i].w_bits);
    pp_json_key_int(j, "a_bits", pw->mult[i].a_bits);
    coefs(j, pw->mult[i].c, PP_PANN_MULT_NF, MULT_F);
    stats(j, "fit", &pw->mult[i].fit);
    stats(j, "check", &pw->mult[i].check);
    pp_json_key_num(j, "leak_nw", pw->mult[i].leak_nw);
    pp_json_obj_end(j);
    acc_json(j, "acc", &pw->acc[i]);
    acc_json(j, "add", &pw->add[i]);
    if (cl) {
      pp_json_key_num(j, "mult_random_fj", cl->mult_random_fj[i]);
      pp_json_key_num(j, "acc_signed_fj", cl->acc_signed_fj[i]);
      pp_json_key_num(j, "acc_split_fj", cl->acc_split_fj[i]);
      pp_json_key_num(j, "add_random_fj", cl->add_random_fj[i]);
    }
    pp_json_obj_end(j);
  }
  pp_json_arr_end(j);
  if (cl) {
    pp_json_key_obj_begin(j, "claims");
    pp_json_key_num(j, "mult_width_exponent", cl->mult_exponent);
    pp_json_key_num(j, "add_width_exponent", cl->add_exponent);
    pp_json_key_obj_begin(j, "global_mult");
    pp_json_key_str(j, "model", "E = k0 + k1*(fa*w_bits + fw*a_bits)");
    pp_json_key_num(j, "k0", cl->global.k0);
    pp_json_key_num(j, "k1", cl->global.k1);
    stats(j, "fit", &cl->global.fit);
    pp_json_obj_end(j);
    pp_json_obj_end(j);
  }
  pp_json_obj_end(j);
}

/* ---- the reader (util's JSON reader, checked against this file's schema) --- */

static int read_stats(const pp_jv_ctx *c, const pp_jv *o, const char *at, const char *key, pp_pann_fit_stats *s) {
  const pp_jv *v;
  char p[160];
  memset(s, 0, sizeof *s);
  int st = pp_jv_want(c, o, at, key, PP_JV_OPTIONAL, PP_JV_OBJ, &v);
  if (st || !v) return st; /* optional */
  snprintf(p, sizeof p, "%s.%s", at, key);
  int64_t n = 0;
  const int f = PP_JV_NULLABLE; /* NaN statistics (no samples) are written as null */
  if ((st = pp_jv_want_int(c, v, p, "n", 0, 0, INT32_MAX, &n)) ||
      (st = pp_jv_want_num(c, v, p, "r2", f, -DBL_MAX, DBL_MAX, &s->r2)) ||
      (st = pp_jv_want_num(c, v, p, "mean_rel_err", f, -DBL_MAX, DBL_MAX, &s->mean_rel_err)) ||
      (st = pp_jv_want_num(c, v, p, "rmse_fj", f, 0, DBL_MAX, &s->rmse)) ||
      (st = pp_jv_want_num(c, v, p, "mean_meas_fj", f, -DBL_MAX, DBL_MAX, &s->mean_meas)) ||
      (st = pp_jv_want_num(c, v, p, "mean_pred_fj", f, -DBL_MAX, DBL_MAX, &s->mean_pred)) ||
      (st = pp_jv_want_num(c, v, p, "mean_err_rel", f, -DBL_MAX, DBL_MAX, &s->mean_err_rel)))
    return st;
  s->n = (long)n;
  return PP_OK;
}

static int read_coefs(const pp_jv_ctx *c, const pp_jv *o, const char *at, double *out, int n) {
  const pp_jv *a;
  char p[160];
  snprintf(p, sizeof p, "%s.c", at);
  int st = pp_jv_want(c, o, at, "c", PP_JV_OPTIONAL, PP_JV_ARR, &a);
  if (st) return st;
  if (!a) return pp_jv_fail(c, o, p, "missing; expected an array of %d coefficients", n);
  if (a->n != (size_t)n) return pp_jv_fail(c, a, p, "expected an array of %d coefficients, got %zu", n, a->n);
  for (int i = 0; i < n && !st; i++) {
    snprintf(p, sizeof p, "%s.c[%d]", at, i);
    st = pp_jv_check_num(c, &a->items[i], p, -DBL_MAX, DBL_MAX, &out[i]);
  }
  return st;
}

static int read_acc(const pp_jv_ctx *c, const pp_jv *w, const char *at, const char *key, pp_pann_acc_model *a) {
  const pp_jv *o;
  char p[160];
  int64_t ib = 0, ab = 0;
  int st = pp_jv_want(c, w, at, key, 0, PP_JV_OBJ, &o);
  if (st) return st;
  snprintf(p, sizeof p, "%s.%s", at, key);
  if ((st = pp_jv_want_int(c, o, p, "in_bits", 0, 2, 40, &ib)) ||
      (st = pp_jv_want_int(c, o, p, "acc_bits", 0, 2, 62, &ab)) ||
      (st = read_coefs(c, o, p, a->c, PP_PANN_ACC_NF)) ||
      (st = pp_jv_want_num(c, o, p, "leak_nw", 0, 0, DBL_MAX, &a->leak_nw)) ||
      (st = read_stats(c, o, p, "fit", &a->fit)) || (st = read_stats(c, o, p, "check", &a->check)))
    return st;
  if (ib > ab) return pp_jv_fail(c, o, p, "expected in_bits <= acc_bits, got %lld > %lld", (long long)ib, (long long)ab);
  a->in_bits = (int)ib;
  a->acc_bits = (int)ab;
  return PP_OK;
}

static int read_width(const pp_jv_ctx *c, const pp_jv *w, const char *at, pp_pann_power *pw) {
  const pp_jv *m;
  char p[160];
  int64_t b = 0, wb = 0, abb = 0;
  int st = pp_jv_want_int(c, w, at, "bits", 0, 2, 8, &b);
  if (st) return st;
  int k = (int)b - 2;
  if (pw->have[k]) return pp_jv_fail(c, w, at, "bits %d listed twice; expected each width once", (int)b);
  if ((st = pp_jv_want(c, w, at, "mult", 0, PP_JV_OBJ, &m))) return st;
  snprintf(p, sizeof p, "%s.mult", at);
  if ((st = pp_jv_want_int(c, m, p, "w_bits", 0, 1, 32, &wb)) || (st = pp_jv_want_int(c, m, p, "a_bits", 0, 1, 32, &abb)) ||
      (st = read_coefs(c, m, p, pw->mult[k].c, PP_PANN_MULT_NF)) ||
      (st = pp_jv_want_num(c, m, p, "leak_nw", 0, 0, DBL_MAX, &pw->mult[k].leak_nw)) ||
      (st = read_stats(c, m, p, "fit", &pw->mult[k].fit)) || (st = read_stats(c, m, p, "check", &pw->mult[k].check)))
    return st;
  pw->mult[k].w_bits = (int)wb;
  pw->mult[k].a_bits = (int)abb;
  if ((st = read_acc(c, w, at, "acc", &pw->acc[k])) || (st = read_acc(c, w, at, "add", &pw->add[k]))) return st;
  pw->have[k] = 1;
  return PP_OK;
}

int pp_pann_power_parse(const char *text, const char *file, pp_pann_power *pw, pp_err *e) {
  memset(pw, 0, sizeof *pw);
  pp_jv root;
  int st = pp_jv_parse(text, file, &root, e);
  if (st) return st;
  pp_jv_ctx c = {file, e};
  const char *fmt = NULL;
  const pp_jv *ws;
  int64_t ab = 0;
  if (!(st = pp_jv_want_str(&c, &root, "", "format", 0, &fmt)) && strcmp(fmt, PANN_POWER_FORMAT))
    st = pp_jv_fail(&c, pp_jv_get(&root, "format"), "format", "expected \"%s\", got \"%s\"", PANN_POWER_FORMAT, fmt);
  if (!st) st = pp_jv_want(&c, &root, "", "widths", 0, PP_JV_ARR, &ws);
  if (!st) st = pp_jv_want_int(&c, &root, "", "acc_bits", 0, 2, 62, &ab);
  if (!st) {
    pw->acc_bits = (int)ab;
    for (size_t i = 0; i < ws->n && !st; i++) {
      char at[32];
      snprintf(at, sizeof at, "widths[%zu]", i);
      if (ws->items[i].type != PP_JV_OBJ) st = pp_jv_fail(&c, &ws->items[i], at, "expected an object");
      else st = read_width(&c, &ws->items[i], at, pw);
    }
  }
  pp_jv_free(&root);
  if (st) memset(pw, 0, sizeof *pw);
  return st;
}

int pp_pann_power_load(const char *path, pp_pann_power *pw, pp_err *e) {
  char *text;
  size_t len;
  int st = pp_read_file(path, &text, &len, e);
  if (st) return st;
  st = pp_pann_power_parse(text, path, pw, e);
  free(text);
  return st;
}
