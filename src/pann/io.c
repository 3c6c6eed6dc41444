/* pann/io: the fitted power models as JSON (written by `powerprune pann fit`)
 * and read back, so that quantize/compare can reuse one fit. The reader is a
 * small JSON parser for this file's shape; errors name the file and line. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pp/pann.h"

#define PANN_POWER_FORMAT "powerprune-pann-power/1"

static void stats(pp_json *j, const char *key, const pp_pann_fit_stats *s) {
  pp_json_key(j, key);
  pp_json_obj_begin(j);
  pp_json_key(j, "n");
  pp_json_int(j, s->n);
  pp_json_key(j, "r2");
  pp_json_num(j, s->r2);
  pp_json_key(j, "mean_rel_err");
  pp_json_num(j, s->mean_rel_err);
  pp_json_key(j, "rmse_fj");
  pp_json_num(j, s->rmse);
  pp_json_key(j, "mean_meas_fj");
  pp_json_num(j, s->mean_meas);
  pp_json_key(j, "mean_pred_fj");
  pp_json_num(j, s->mean_pred);
  pp_json_key(j, "mean_err_rel");
  pp_json_num(j, s->mean_err_rel);
  pp_json_obj_end(j);
}

static void coefs(pp_json *j, const double *c, int n, const char *const *names) {
  pp_json_key(j, "features");
  pp_json_arr_begin(j);
  for (int i = 0; i < n; i++) pp_json_str(j, names[i]);
  pp_json_arr_end(j);
  pp_json_key(j, "c");
  pp_json_arr_begin(j);
  for (int i = 0; i < n; i++) pp_json_num(j, c[i]);
  pp_json_arr_end(j);
}

static const char *const MULT_F[] = {"1", "fw", "fa", "fw*fa", "fpp", "fprod"};
static const char *const ACC_F[] = {"1", "fx", "fp", "fy", "fc", "fu"};

static void acc_json(pp_json *j, const char *key, const pp_pann_acc_model *a) {
  pp_json_key(j, key);
  pp_json_obj_begin(j);
  pp_json_key(j, "in_bits");
  pp_json_int(j, a->in_bits);
  pp_json_key(j, "acc_bits");
  pp_json_int(j, a->acc_bits);
  coefs(j, a->c, PP_PANN_ACC_NF, ACC_F);
  stats(j, "fit", &a->fit);
  stats(j, "check", &a->check);
  pp_json_key(j, "leak_nw");
  pp_json_num(j, a->leak_nw);
  pp_json_obj_end(j);
}

void pp_pann_power_json(pp_json *j, const pp_pann_power *pw, const pp_pann_claims *cl) {
  pp_json_obj_begin(j);
  pp_json_key(j, "format");
  pp_json_str(j, PANN_POWER_FORMAT);
  pp_json_key(j, "energy_unit");
  pp_json_str(j, "fJ");
  pp_json_key(j, "mult_model");
  pp_json_str(j, "E = c0 + cw*fw + ca*fa + cwa*fw*fa + cpp*fpp + cprod*fprod (flipped bits of w, a, partial products, product)");
  pp_json_key(j, "acc_model");
  pp_json_str(j, "E = c0 + cx*fx + cp*fp + cy*fy + cc*fc (flips of sext(addend), running sum, result, carries over acc_bits)");
  pp_json_key(j, "acc_bits");
  pp_json_int(j, pw->acc_bits);
  pp_json_key(j, "widths");
  pp_json_arr_begin(j);
  for (int i = 0; i < 7; i++) {
    if (!pw->have[i]) continue;
    pp_json_obj_begin(j);
    pp_json_key(j, "bits");
    pp_json_int(j, i + 2);
    pp_json_key(j, "mult");
    pp_json_obj_begin(j);
    pp_json_key(j, "w_bits");
    pp_json_int(j, pw->mult[i].w_bits);
    pp_json_key(j, "a_bits");
    pp_json_int(j, pw->mult[i].a_bits);
    coefs(j, pw->mult[i].c, PP_PANN_MULT_NF, MULT_F);
    stats(j, "fit", &pw->mult[i].fit);
    stats(j, "check", &pw->mult[i].check);
    pp_json_key(j, "leak_nw");
    pp_json_num(j, pw->mult[i].leak_nw);
    pp_json_obj_end(j);
    acc_json(j, "acc", &pw->acc[i]);
    acc_json(j, "add", &pw->add[i]);
    if (cl) {
      pp_json_key(j, "mult_random_fj");
      pp_json_num(j, cl->mult_random_fj[i]);
      pp_json_key(j, "acc_signed_fj");
      pp_json_num(j, cl->acc_signed_fj[i]);
      pp_json_key(j, "acc_split_fj");
      pp_json_num(j, cl->acc_split_fj[i]);
      pp_json_key(j, "add_random_fj");
      pp_json_num(j, cl->add_random_fj[i]);
    }
    pp_json_obj_end(j);
  }
  pp_json_arr_end(j);
  if (cl) {
    pp_json_key(j, "claims");
    pp_json_obj_begin(j);
    pp_json_key(j, "mult_width_exponent");
    pp_json_num(j, cl->mult_exponent);
    pp_json_key(j, "add_width_exponent");
    pp_json_num(j, cl->add_exponent);
    pp_json_key(j, "global_mult");
    pp_json_obj_begin(j);
    pp_json_key(j, "model");
    pp_json_str(j, "E = k0 + k1*(fa*w_bits + fw*a_bits)");
    pp_json_key(j, "k0");
    pp_json_num(j, cl->global.k0);
    pp_json_key(j, "k1");
    pp_json_num(j, cl->global.k1);
    stats(j, "fit", &cl->global.fit);
    pp_json_obj_end(j);
    pp_json_obj_end(j);
  }
  pp_json_obj_end(j);
}

/* ---- a small JSON reader ------------------------------------------------------- */
enum { JV_NULL, JV_NUM, JV_STR, JV_ARR, JV_OBJ, JV_BOOL };
typedef struct jv {
  int type;
  double num;
  char *str;
  struct jv *items; /* arrays/objects */
  char **keys;      /* objects */
  int n;
  int line;
} jv;

typedef struct jp {
  const char *s, *file;
  int line, depth;
  pp_err *e;
} jp;

static void jv_free(jv *v) {
  for (int i = 0; i < v->n; i++) {
    jv_free(&v->items[i]);
    if (v->keys) free(v->keys[i]);
  }
  free(v->items);
  free(v->keys);
  free(v->str);
}

static void ws(jp *p) {
  while (*p->s && isspace((unsigned char)*p->s)) {
    if (*p->s == '\n') p->line++;
    p->s++;
  }
}

static int jerr(jp *p, const char *what) {
  return pp_err_set(p->e, PP_EPARSE, p->file, p->line, "expected %s", what);
}

static int parse_str(jp *p, char **out) {
  if (*p->s != '"') return jerr(p, "a string");
  p->s++;
  size_t cap = 16, n = 0;
  char *b = malloc(cap);
  if (!b) return PP_ENOMEM;
  while (*p->s && *p->s != '"') {
    char c = *p->s++;
    if (c == '\\') {
      c = *p->s++;
      if (c == 'n') c = '\n';
      else if (c == 't') c = '\t';
      else if (c == 'u') { /* keep it simple: non-ASCII escapes become '?' */
        for (int i = 0; i < 4 && *p->s; i++) p->s++;
        c = '?';
      } else if (!c) break;
    }
    if (n + 2 > cap) {
      char *nb = realloc(b, cap *= 2);
      if (!nb) {
        free(b);
        return PP_ENOMEM;
      }
      b = nb;
    }
    b[n++] = c;
  }
  if (*p->s != '"') {
    free(b);
    return jerr(p, "a closing '\"'");
  }
  p->s++;
  b[n] = 0;
  *out = b;
  return PP_OK;
}

static int parse_val(jp *p, jv *v) {
  memset(v, 0, sizeof *v);
  ws(p);
  v->line = p->line;
  if (++p->depth > 64) return jerr(p, "less nesting");
  int st = PP_OK;
  char c = *p->s;
  if (c == '{' || c == '[') {
    int obj = c == '{';
    v->type = obj ? JV_OBJ : JV_ARR;
    p->s++;
    ws(p);
    if (*p->s == (obj ? '}' : ']')) {
      p->s++;
      p->depth--;
      return PP_OK;
    }
    int cap = 0;
    for (;;) {
      if (v->n == cap) {
        cap = cap ? 2 * cap : 8;
        jv *ni = realloc(v->items, sizeof(jv) * (size_t)cap);
        if (!ni) return PP_ENOMEM;
        v->items = ni;
        if (obj) {
          char **nk = realloc(v->keys, sizeof(char *) * (size_t)cap);
          if (!nk) return PP_ENOMEM;
          v->keys = nk;
        }
      }
      ws(p);
      if (obj) {
        char *k;
        if ((st = parse_str(p, &k))) return st;
        v->keys[v->n] = k;
        ws(p);
        if (*p->s != ':') {
          memset(&v->items[v->n], 0, sizeof(jv));
          v->n++;
          return jerr(p, "':' after an object key");
        }
        p->s++;
      }
      st = parse_val(p, &v->items[v->n]);
      v->n++;
      if (st) return st;
      ws(p);
      if (*p->s == ',') {
        p->s++;
        continue;
      }
      if (*p->s == (obj ? '}' : ']')) {
        p->s++;
        break;
      }
      return jerr(p, obj ? "',' or '}'" : "',' or ']'");
    }
  } else if (c == '"') {
    v->type = JV_STR;
    st = parse_str(p, &v->str);
  } else if (!strncmp(p->s, "null", 4)) {
    v->type = JV_NULL;
    v->num = NAN;
    p->s += 4;
  } else if (!strncmp(p->s, "true", 4) || !strncmp(p->s, "false", 5)) {
    v->type = JV_BOOL;
    v->num = *p->s == 't';
    p->s += *p->s == 't' ? 4 : 5;
  } else {
    char *end;
    v->type = JV_NUM;
    v->num = strtod(p->s, &end);
    if (end == p->s) return jerr(p, "a JSON value");
    p->s = end;
  }
  p->depth--;
  return st;
}

static const jv *get(const jv *o, const char *k) {
  if (!o || o->type != JV_OBJ) return NULL;
  for (int i = 0; i < o->n; i++)
    if (!strcmp(o->keys[i], k)) return &o->items[i];
  return NULL;
}

static int need_num(const jv *o, const char *k, double *out, const char *file, pp_err *e) {
  const jv *v = get(o, k);
  if (!v || (v->type != JV_NUM && v->type != JV_NULL))
    return pp_err_set(e, PP_EPARSE, file, o ? o->line : 0, "expected a number \"%s\"", k);
  *out = v->num;
  return PP_OK;
}

static int need_coefs(const jv *o, double *c, int n, const char *file, pp_err *e) {
  const jv *a = get(o, "c");
  if (!a || a->type != JV_ARR || a->n != n)
    return pp_err_set(e, PP_EPARSE, file, o ? o->line : 0, "expected \"c\": an array of %d coefficients", n);
  for (int i = 0; i < n; i++) {
    if (a->items[i].type != JV_NUM) return pp_err_set(e, PP_EPARSE, file, a->items[i].line, "expected a number");
    c[i] = a->items[i].num;
  }
  return PP_OK;
}

static int read_stats(const jv *o, const char *key, pp_pann_fit_stats *s, const char *file, pp_err *e) {
  const jv *v = get(o, key);
  memset(s, 0, sizeof *s);
  if (!v) return PP_OK; /* optional */
  double n = 0;
  int st = need_num(v, "n", &n, file, e);
  if (!st) st = need_num(v, "r2", &s->r2, file, e);
  if (!st) st = need_num(v, "mean_rel_err", &s->mean_rel_err, file, e);
  if (!st) st = need_num(v, "rmse_fj", &s->rmse, file, e);
  if (!st) st = need_num(v, "mean_meas_fj", &s->mean_meas, file, e);
  if (!st) st = need_num(v, "mean_pred_fj", &s->mean_pred, file, e);
  if (!st) st = need_num(v, "mean_err_rel", &s->mean_err_rel, file, e);
  s->n = (long)n;
  return st;
}

static int read_acc(const jv *w, const char *key, pp_pann_acc_model *a, const char *file, pp_err *e) {
  const jv *o = get(w, key);
  if (!o || o->type != JV_OBJ) return pp_err_set(e, PP_EPARSE, file, w->line, "expected an object \"%s\"", key);
  double ib, ab;
  int st = need_num(o, "in_bits", &ib, file, e);
  if (!st) st = need_num(o, "acc_bits", &ab, file, e);
  if (!st) st = need_coefs(o, a->c, PP_PANN_ACC_NF, file, e);
  if (!st) st = need_num(o, "leak_nw", &a->leak_nw, file, e);
  if (!st) st = read_stats(o, "fit", &a->fit, file, e);
  if (!st) st = read_stats(o, "check", &a->check, file, e);
  if (st) return st;
  if (ib < 2 || ib > 40 || ab < 2 || ab > 62 || ib > ab)
    return pp_err_set(e, PP_EPARSE, file, o->line, "expected 2 <= in_bits <= acc_bits <= 62");
  a->in_bits = (int)ib;
  a->acc_bits = (int)ab;
  return PP_OK;
}

int pp_pann_power_parse(const char *text, const char *file, pp_pann_power *pw, pp_err *e) {
  memset(pw, 0, sizeof *pw);
  jp p = {text, file, 1, 0, e};
  jv root;
  int st = parse_val(&p, &root);
  if (st) {
    jv_free(&root);
    if (st == PP_ENOMEM) return pp_err_set(e, PP_ENOMEM, file, 0, "out of memory");
    return st;
  }
  const jv *f = get(&root, "format");
  const jv *ws_ = get(&root, "widths");
  double ab = 0;
  if (!f || f->type != JV_STR || strcmp(f->str, PANN_POWER_FORMAT)) {
    st = pp_err_set(e, PP_EPARSE, file, root.line, "expected \"format\": \"%s\"", PANN_POWER_FORMAT);
  } else if (!ws_ || ws_->type != JV_ARR) {
    st = pp_err_set(e, PP_EPARSE, file, root.line, "expected \"widths\": an array");
  } else if (!(st = need_num(&root, "acc_bits", &ab, file, e))) {
    pw->acc_bits = (int)ab;
    for (int i = 0; i < ws_->n && !st; i++) {
      const jv *w = &ws_->items[i];
      double b;
      if ((st = need_num(w, "bits", &b, file, e))) break;
      if (b < 2 || b > 8 || b != floor(b)) {
        st = pp_err_set(e, PP_EPARSE, file, w->line, "expected \"bits\" in 2..8");
        break;
      }
      int k = (int)b - 2;
      const jv *m = get(w, "mult");
      if (!m || m->type != JV_OBJ) {
        st = pp_err_set(e, PP_EPARSE, file, w->line, "expected an object \"mult\"");
        break;
      }
      double wb, abb;
      if ((st = need_num(m, "w_bits", &wb, file, e)) || (st = need_num(m, "a_bits", &abb, file, e)) ||
          (st = need_coefs(m, pw->mult[k].c, PP_PANN_MULT_NF, file, e)) ||
          (st = need_num(m, "leak_nw", &pw->mult[k].leak_nw, file, e)) ||
          (st = read_stats(m, "fit", &pw->mult[k].fit, file, e)) || (st = read_stats(m, "check", &pw->mult[k].check, file, e)))
        break;
      pw->mult[k].w_bits = (int)wb;
      pw->mult[k].a_bits = (int)abb;
      if ((st = read_acc(w, "acc", &pw->acc[k], file, e)) || (st = read_acc(w, "add", &pw->add[k], file, e))) break;
      pw->have[k] = 1;
    }
  }
  jv_free(&root);
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
