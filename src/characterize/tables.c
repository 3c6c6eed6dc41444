/* characterize/tables: the power and delay table files (CSV, JSON, binary with
 * CRC) and their readers; every other module reads the tables through here.
 * power.json is read strictly (util's JSON reader, then types, ranges,
 * required members and power_uw checked against its parts), since a wrong
 * number here silently becomes a wrong milliwatt figure downstream. */
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "pp/characterize.h"
#include "pp/util_json.h"

/* ---- power table ---------------------------------------------------------- */

static int argext_nonzero(const pp_char_power *p, int want_max) {
  int best = 0, found = 0;
  double bv = 0;
  for (int i = 0; i < p->n_w; i++) {
    int w = p->w_min + i;
    if (w == 0) continue;
    double v = p->dyn_uw[i];
    if (!found || (want_max ? v > bv : v < bv)) bv = v, best = w, found = 1;
  }
  return best;
}
int pp_char_power_argmax_nonzero(const pp_char_power *p) { return argext_nonzero(p, 1); }
int pp_char_power_argmin_nonzero(const pp_char_power *p) { return argext_nonzero(p, 0); }

int pp_char_power_write_csv(const pp_char_power *p, const char *path, pp_err *e) {
  pp_outfile o;
  int rc = pp_outfile_open(&o, path, e);
  if (rc) return rc;
  fprintf(o.f, "# format=%s\n", PP_CHAR_POWER_FORMAT);
  fprintf(o.f, "# clock_ps=%.17g\n# voltage=%.17g\n# leakage_uw=%.17g\n", p->clock_ps, p->voltage, p->leak_uw);
  fprintf(o.f, "# transitions=%ld\n# seed=%" PRIu64 "\n# uniform=%d\n", p->transitions, p->seed, p->uniform);
  fprintf(o.f, "# source=%s\n# netlist=%s\n# lib=%s\n# seconds=%.3f\n", p->source, p->netlist, p->lib, p->seconds);
  fprintf(o.f, "weight,power_uw,dynamic_uw,leakage_uw\n");
  for (int i = 0; i < p->n_w; i++)
    fprintf(o.f, "%d,%.17g,%.17g,%.17g\n", p->w_min + i, p->dyn_uw[i] + p->leak_uw, p->dyn_uw[i], p->leak_uw);
  return pp_outfile_commit(&o, e);
}

static void json_wmap(pp_json *j, const char *key, const pp_char_power *p, int with_leak) {
  char k[16];
  pp_json_key(j, key);
  pp_json_obj_begin(j);
  for (int i = 0; i < p->n_w; i++) {
    snprintf(k, sizeof k, "%d", p->w_min + i);
    pp_json_key(j, k);
    pp_json_num(j, p->dyn_uw[i] + (with_leak ? p->leak_uw : 0));
  }
  pp_json_obj_end(j);
}

void pp_char_power_json(const pp_char_power *p, pp_json *j) {
  pp_json_obj_begin(j);
  pp_json_key_str(j, "format", PP_CHAR_POWER_FORMAT);
  pp_json_key_obj_begin(j, "inputs");
  pp_json_key_str(j, "source", p->source);
  pp_json_key_str(j, "netlist", p->netlist);
  pp_json_key_str(j, "lib", p->lib);
  pp_json_obj_end(j);
  pp_json_key_obj_begin(j, "options");
  pp_json_key_int(j, "transitions", p->transitions);
  pp_json_key_uint(j, "seed", p->seed); /* all 64 bits; the reader keeps integers exact */
  pp_json_key_bool(j, "uniform", p->uniform);
  pp_json_obj_end(j);
  if (p->input_slew_ps >= 0) {
    pp_json_key_obj_begin(j, "assumptions");
    pp_json_key_num(j, "input_slew_ps", p->input_slew_ps);
    pp_json_key_num(j, "output_load_ff", p->output_load_ff);
    pp_json_key_obj_begin(j, "wire_model");
    pp_json_key_num(j, "cap_ff", p->wire_cap_ff);
    pp_json_key_num(j, "cap_per_fanout_ff", p->wire_cap_per_fanout_ff);
    pp_json_key(j, "wire_load");
    if (p->wire_load[0]) pp_json_str(j, p->wire_load);
    else pp_json_null(j);
    pp_json_obj_end(j);
    pp_json_key_str(j, "delay_model", p->inertial ? "inertial" : "transport");
    pp_json_obj_end(j);
  }
  pp_json_key_num(j, "clock_ps", p->clock_ps);
  pp_json_key_num(j, "voltage", p->voltage);
  pp_json_key_num(j, "leakage_uw", p->leak_uw);
  pp_json_key_num(j, "seconds", p->seconds);
  int wmax = pp_char_power_argmax_nonzero(p), wmin = pp_char_power_argmin_nonzero(p);
  pp_json_key_obj_begin(j, "max_nonzero");
  pp_json_key_int(j, "weight", wmax);
  pp_json_key_num(j, "power_uw", pp_char_power_total(p, wmax));
  pp_json_obj_end(j);
  pp_json_key_obj_begin(j, "min_nonzero");
  pp_json_key_int(j, "weight", wmin);
  pp_json_key_num(j, "power_uw", pp_char_power_total(p, wmin));
  pp_json_obj_end(j);
  if (p->w_min <= 0 && p->w_min + p->n_w > 0) {
    pp_json_key_num(j, "zero_power_uw", pp_char_power_total(p, 0));
  }
  json_wmap(j, "power_uw", p, 1);
  json_wmap(j, "dynamic_uw", p, 0);
  pp_json_obj_end(j);
}

int pp_char_power_write_json(const pp_char_power *p, const char *path, pp_err *e) {
  pp_outfile o;
  int rc = pp_outfile_open(&o, path, e);
  if (rc) return rc;
  pp_json j;
  pp_json_init(&j, o.f, 1);
  pp_char_power_json(p, &j);
  pp_json_end(&j);
  return pp_outfile_commit(&o, e);
}

static int parse_num(const char *s, double *v, const char **end) {
  char *e;
  errno = 0;
  *v = strtod(s, &e);
  if (e == s || errno || !isfinite(*v)) return -1;
  *end = e;
  return 0;
}

static void meta_str(char *dst, size_t n, const char *v) {
  snprintf(dst, n, "%s", v);
  size_t l = strlen(dst);
  while (l && (dst[l - 1] == '\r' || dst[l - 1] == ' ')) dst[--l] = 0;
}

/* Every weight value w_min..w_min+n_w-1 must appear exactly once. */
static int finish_table(pp_char_power *p, const unsigned char *seen, int lo, int hi, const char *path, pp_err *e) {
  if (hi < lo) return pp_err_set(e, PP_EPARSE, path, 0, "no weight rows found");
  if (hi - lo + 1 > PP_CHAR_MAX_W)
    return pp_err_set(e, PP_EPARSE, path, 0, "weights %d..%d: more than %d values", lo, hi, PP_CHAR_MAX_W);
  for (int w = lo; w <= hi; w++)
    if (!seen[w + 128]) return pp_err_set(e, PP_EPARSE, path, 0, "weight %d missing (table spans %d..%d)", w, lo, hi);
  p->w_min = lo;
  p->n_w = hi - lo + 1;
  return PP_OK;
}

static int read_csv(const char *text, const char *path, pp_char_power *p, pp_err *e) {
  double dyn[256] = {0};
  unsigned char seen[256] = {0};
  int lo = 1000, hi = -1000, header = 0, line = 0, have_leak_meta = 0;
  double leak = 0;
  const char *s = text;
  while (*s) {
    line++;
    const char *eol = strchr(s, '\n');
    size_t len = eol ? (size_t)(eol - s) : strlen(s);
    char buf[1200];
    if (len >= sizeof buf) return pp_err_set(e, PP_EPARSE, path, line, "line too long");
    memcpy(buf, s, len);
    buf[len] = 0;
    s = eol ? eol + 1 : s + len;
    char *b = buf;
    while (*b == ' ' || *b == '\t') b++;
    if (!*b || *b == '\r') continue;
    if (*b == '#') {
      b++;
      while (*b == ' ') b++;
      char *eq = strchr(b, '=');
      if (!eq) continue;
      *eq = 0;
      const char *k = b, *v = eq + 1;
      double d;
      const char *end;
      if (!strcmp(k, "format")) {
        char f[128];
        meta_str(f, sizeof f, v);
        if (strcmp(f, PP_CHAR_POWER_FORMAT) && strcmp(f, PP_CHAR_POWER_FORMAT_OLD))
          return pp_err_set(e, PP_EPARSE, path, line, "format '%s', expected '%s'", f, PP_CHAR_POWER_FORMAT);
      } else if (!strcmp(k, "clock_ps") && !parse_num(v, &d, &end)) p->clock_ps = d;
      else if (!strcmp(k, "voltage") && !parse_num(v, &d, &end)) p->voltage = d;
      else if (!strcmp(k, "leakage_uw") && !parse_num(v, &d, &end)) leak = d, have_leak_meta = 1;
      else if (!strcmp(k, "transitions") && !parse_num(v, &d, &end)) p->transitions = (long)d;
      else if (!strcmp(k, "seed")) p->seed = strtoull(v, NULL, 10);
      else if (!strcmp(k, "uniform")) p->uniform = (int)strtol(v, NULL, 10);
      else if (!strcmp(k, "source")) meta_str(p->source, sizeof p->source, v);
      else if (!strcmp(k, "netlist")) meta_str(p->netlist, sizeof p->netlist, v);
      else if (!strcmp(k, "lib")) meta_str(p->lib, sizeof p->lib, v);
      else if (!strcmp(k, "seconds") && !parse_num(v, &d, &end)) p->seconds = d;
      continue;
    }
    if (!header) {
      if (strncmp(b, "weight,power_uw", 15))
        return pp_err_set(e, PP_EPARSE, path, line, "expected the header 'weight,power_uw,dynamic_uw,leakage_uw'");
      header = 1;
      continue;
    }
    char *end;
    errno = 0;
    long w = strtol(b, &end, 10);
    if (end == b || *end != ',' || errno || w < -128 || w > 127)
      return pp_err_set(e, PP_EPARSE, path, line, "expected a weight value in -128..127 and ','");
    double vals[3];
    const char *c = end + 1;
    for (int k = 0; k < 3; k++) {
      const char *ce;
      if (parse_num(c, &vals[k], &ce) || (k < 2 && *ce != ','))
        return pp_err_set(e, PP_EPARSE, path, line, "expected 'weight,power_uw,dynamic_uw,leakage_uw' (3 numbers)");
      c = ce + (k < 2);
    }
    if (vals[0] < 0 || vals[1] < 0 || vals[2] < 0)
      return pp_err_set(e, PP_EPARSE, path, line, "negative power");
    if (fabs(vals[1] + vals[2] - vals[0]) > 1e-6 * (1 + fabs(vals[0])))
      return pp_err_set(e, PP_EPARSE, path, line, "power_uw must equal dynamic_uw + leakage_uw");
    if (seen[w + 128]) return pp_err_set(e, PP_EPARSE, path, line, "weight %ld listed twice", w);
    if (!have_leak_meta && lo <= hi && fabs(vals[2] - leak) > 1e-9 * (1 + leak))
      return pp_err_set(e, PP_EPARSE, path, line, "leakage_uw differs between rows");
    leak = vals[2];
    have_leak_meta = 1;
    seen[w + 128] = 1;
    dyn[w + 128] = vals[1];
    if (w < lo) lo = (int)w;
    if (w > hi) hi = (int)w;
  }
  int rc = finish_table(p, seen, lo, hi, path, e);
  if (rc) return rc;
  for (int i = 0; i < p->n_w; i++) p->dyn_uw[i] = dyn[p->w_min + i + 128];
  p->leak_uw = leak;
  return PP_OK;
}

/* ---- power.json, read strictly ------------------------------------------ */

/* Bounds that no real MAC comes near, so that a corrupt value (1e308) cannot
 * turn into inf mW further on: 1 kW per MAC, a 1 ms clock, 100 V. */
#define POWER_MAX_UW 1e9
#define CLOCK_MAX_PS 1e9
#define VOLTAGE_MAX_V 100.0
/* power_uw[w] must equal dynamic_uw[w] + leakage_uw to this relative error
 * (the writer stores the sum with %.17g, so a file it wrote matches exactly). */
#define POWER_SUM_RTOL 1e-9

/* One {"<weight>": µW, ...} map: every key a weight in -128..127 written as
 * an integer, every value a finite power in [0, POWER_MAX_UW]. at[w + 128]
 * points to the value (NULL when the weight is absent). */
static int read_wmap(const pp_jv_ctx *c, const pp_jv *m, const char *name, const pp_jv **at) {
  char path[64];
  for (int w = 0; w < 256; w++) at[w] = NULL;
  for (size_t i = 0; i < m->n; i++) {
    const char *k = m->keys[i];
    char *end;
    errno = 0;
    long w = strtol(k, &end, 10);
    char canon[16];
    snprintf(canon, sizeof canon, "%ld", w);
    snprintf(path, sizeof path, "%s.%.16s", name, k);
    if (end == k || *end || errno || w < -128 || w > 127 || strcmp(canon, k))
      return pp_jv_fail(c, &m->items[i], path, "expected a weight value in -128..127 as the member name");
    if (at[w + 128]) return pp_jv_fail(c, &m->items[i], path, "weight %ld listed twice", w);
    double v;
    int rc = pp_jv_check_num(c, &m->items[i], path, 0, POWER_MAX_UW, &v);
    if (rc) return rc;
    at[w + 128] = &m->items[i];
  }
  return PP_OK;
}

/* A number that must be > 0 (and at most hi). */
static int want_positive(const pp_jv_ctx *c, const pp_jv *o, const char *key, int flags, double hi, double *out) {
  double v = *out;
  int rc = pp_jv_want_num(c, o, "", key, flags, 0, hi, &v);
  if (rc) return rc;
  if (v == 0) return pp_jv_fail(c, pp_jv_get(o, key), key, "expected a number > 0, got 0");
  *out = v;
  return PP_OK;
}

static int want_text(const pp_jv_ctx *c, const pp_jv *o, const char *at, const char *key, int flags, char *dst,
                     size_t n) {
  const char *s = NULL;
  int rc = pp_jv_want_str(c, o, at, key, flags, &s);
  if (rc || !s) return rc;
  if (strlen(s) >= n) {
    char path[64];
    snprintf(path, sizeof path, "%s.%s", at, key);
    return pp_jv_fail(c, pp_jv_get(o, key), path, "expected at most %zu bytes, got %zu", n - 1, strlen(s));
  }
  snprintf(dst, n, "%s", s);
  return PP_OK;
}

/* inputs, options and assumptions: how the table was made. Files with the
 * old format name may lack them; current files always carry them. */
static int read_provenance(const pp_jv_ctx *c, const pp_jv *root, int old, pp_char_power *p) {
  const int req = old ? PP_JV_OPTIONAL : 0;
  const pp_jv *in, *op, *as;
  int rc;
  if ((rc = pp_jv_want(c, root, "", "inputs", req, PP_JV_OBJ, &in))) return rc;
  if (in && ((rc = want_text(c, in, "inputs", "source", req, p->source, sizeof p->source)) ||
             (rc = want_text(c, in, "inputs", "netlist", req, p->netlist, sizeof p->netlist)) ||
             (rc = want_text(c, in, "inputs", "lib", req, p->lib, sizeof p->lib))))
    return rc;
  if ((rc = pp_jv_want(c, root, "", "options", req, PP_JV_OBJ, &op))) return rc;
  if (op) {
    int64_t t = p->transitions;
    if ((rc = pp_jv_want_int(c, op, "options", "transitions", req, 0, LONG_MAX, &t))) return rc;
    p->transitions = (long)t;
    /* A seed is 64 bits; writers before pp_json_uint stored seeds >= 2^63 as
     * negative int64, which is the same bit pattern. */
    const pp_jv *sv = pp_jv_get(op, "seed");
    if (sv && sv->type == PP_JV_NUM && !(sv->ints & PP_JV_UINT64) && (sv->ints & PP_JV_INT64))
      p->seed = (uint64_t)sv->i64;
    else if ((rc = pp_jv_want_u64(c, op, "options", "seed", req, &p->seed)))
      return rc;
    if ((rc = pp_jv_want_bool(c, op, "options", "uniform", req, &p->uniform))) return rc;
  }
  p->input_slew_ps = -1; /* not recorded */
  if ((rc = pp_jv_want(c, root, "", "assumptions", PP_JV_OPTIONAL, PP_JV_OBJ, &as)) || !as) return rc;
  const pp_jv *wm;
  const char *dm = NULL;
  if ((rc = pp_jv_want_num(c, as, "assumptions", "input_slew_ps", 0, 0, DBL_MAX, &p->input_slew_ps)) ||
      (rc = pp_jv_want_num(c, as, "assumptions", "output_load_ff", 0, 0, DBL_MAX, &p->output_load_ff)) ||
      (rc = pp_jv_want(c, as, "assumptions", "wire_model", 0, PP_JV_OBJ, &wm)) ||
      (rc = pp_jv_want_num(c, wm, "assumptions.wire_model", "cap_ff", 0, 0, DBL_MAX, &p->wire_cap_ff)) ||
      (rc = pp_jv_want_num(c, wm, "assumptions.wire_model", "cap_per_fanout_ff", 0, 0, DBL_MAX,
                           &p->wire_cap_per_fanout_ff)) ||
      (rc = pp_jv_want_str(c, as, "assumptions", "delay_model", 0, &dm)))
    return rc;
  const char *wl = NULL; /* optional: files before wire_load groups were read have none */
  if ((rc = pp_jv_want_str(c, wm, "assumptions.wire_model", "wire_load", PP_JV_OPTIONAL | PP_JV_NULLABLE, &wl)))
    return rc;
  snprintf(p->wire_load, sizeof p->wire_load, "%s", wl ? wl : "");
  if (strcmp(dm, "inertial") && strcmp(dm, "transport"))
    return pp_jv_fail(c, pp_jv_get(as, "delay_model"), "assumptions.delay_model",
                      "expected \"inertial\" or \"transport\", got \"%.40s\"", dm);
  p->inertial = !strcmp(dm, "inertial");
  return PP_OK;
}

/* max_nonzero / min_nonzero, when present: the weight and power the writer
 * derived from the table; a mismatch means the file was edited by hand. */
static int check_extreme(const pp_jv_ctx *c, const pp_jv *root, const char *key, const pp_char_power *p, int want) {
  const pp_jv *o;
  int rc = pp_jv_want(c, root, "", key, PP_JV_OPTIONAL, PP_JV_OBJ, &o);
  if (rc || !o) return rc;
  int64_t w = 0;
  double pw = 0;
  if ((rc = pp_jv_want_int(c, o, key, "weight", 0, p->w_min, p->w_min + p->n_w - 1, &w)) ||
      (rc = pp_jv_want_num(c, o, key, "power_uw", 0, 0, POWER_MAX_UW, &pw)))
    return rc;
  char path[64];
  snprintf(path, sizeof path, "%s.weight", key);
  if (w != want)
    return pp_jv_fail(c, pp_jv_get(o, "weight"), path, "expected %d (from dynamic_uw), got %lld", want, (long long)w);
  double t = pp_char_power_total(p, want);
  snprintf(path, sizeof path, "%s.power_uw", key);
  if (fabs(pw - t) > POWER_SUM_RTOL * fabs(t))
    return pp_jv_fail(c, pp_jv_get(o, "power_uw"), path, "expected %.17g (dynamic_uw + leakage_uw), got %.17g", t, pw);
  return PP_OK;
}

static int read_json_tree(const pp_jv_ctx *c, const pp_jv *root, pp_char_power *p) {
  const char *fmt = NULL;
  int rc = pp_jv_want_str(c, root, "", "format", 0, &fmt);
  if (rc) return rc;
  int old = !strcmp(fmt, PP_CHAR_POWER_FORMAT_OLD);
  if (!old && strcmp(fmt, PP_CHAR_POWER_FORMAT))
    return pp_jv_fail(c, pp_jv_get(root, "format"), "format", "expected \"%s\", got \"%.40s\"", PP_CHAR_POWER_FORMAT,
                      fmt);
  const int req = old ? PP_JV_OPTIONAL : 0;
  if ((rc = want_positive(c, root, "clock_ps", 0, CLOCK_MAX_PS, &p->clock_ps)) ||
      /* 0: the library gave no nom_voltage (the tools then use their default) */
      (rc = pp_jv_want_num(c, root, "", "voltage", req, 0, VOLTAGE_MAX_V, &p->voltage)) ||
      (rc = pp_jv_want_num(c, root, "", "leakage_uw", 0, 0, POWER_MAX_UW, &p->leak_uw)) ||
      (rc = pp_jv_want_num(c, root, "", "seconds", PP_JV_OPTIONAL, 0, DBL_MAX, &p->seconds)) ||
      (rc = read_provenance(c, root, old, p)))
    return rc;
  const pp_jv *dm, *pm;
  const pp_jv *dyn[256], *tot[256];
  if ((rc = pp_jv_want(c, root, "", "dynamic_uw", 0, PP_JV_OBJ, &dm)) || (rc = read_wmap(c, dm, "dynamic_uw", dyn)))
    return rc;
  unsigned char seen[256];
  int lo = 1000, hi = -1000;
  for (int w = -128; w <= 127; w++) {
    seen[w + 128] = dyn[w + 128] != NULL;
    if (seen[w + 128] && w < lo) lo = w;
    if (seen[w + 128] && w > hi) hi = w;
  }
  if (hi < lo) return pp_jv_fail(c, dm, "dynamic_uw", "expected at least one weight");
  for (int w = lo; w <= hi; w++)
    if (!seen[w + 128]) {
      char path[32];
      snprintf(path, sizeof path, "dynamic_uw.%d", w);
      return pp_jv_fail(c, dm, path, "missing; expected every weight from %d to %d", lo, hi);
    }
  if ((rc = finish_table(p, seen, lo, hi, c->file, c->e))) return rc;
  for (int i = 0; i < p->n_w; i++) p->dyn_uw[i] = dyn[p->w_min + i + 128]->num;
  /* power_uw: the same weights, each the sum of its parts */
  if ((rc = pp_jv_want(c, root, "", "power_uw", req, PP_JV_OBJ, &pm)) || !pm) return rc;
  if ((rc = read_wmap(c, pm, "power_uw", tot))) return rc;
  for (int w = -128; w <= 127; w++) {
    char path[32];
    snprintf(path, sizeof path, "power_uw.%d", w);
    if (tot[w + 128] && !dyn[w + 128])
      return pp_jv_fail(c, tot[w + 128], path, "weight %d is not in dynamic_uw; expected the same weights", w);
    if (!dyn[w + 128]) continue;
    if (!tot[w + 128]) return pp_jv_fail(c, pm, path, "missing; expected a power for every weight of dynamic_uw");
    double want = dyn[w + 128]->num + p->leak_uw, got = tot[w + 128]->num;
    if (fabs(got - want) > POWER_SUM_RTOL * fabs(want))
      return pp_jv_fail(c, tot[w + 128], path,
                        "expected dynamic_uw + leakage_uw = %.17g (relative tolerance %g), got %.17g", want,
                        POWER_SUM_RTOL, got);
  }
  if ((rc = check_extreme(c, root, "max_nonzero", p, pp_char_power_argmax_nonzero(p))) ||
      (rc = check_extreme(c, root, "min_nonzero", p, pp_char_power_argmin_nonzero(p))))
    return rc;
  const pp_jv *z = pp_jv_get(root, "zero_power_uw");
  if (z && p->w_min <= 0 && p->w_min + p->n_w > 0) {
    double zv, t = pp_char_power_total(p, 0);
    if ((rc = pp_jv_check_num(c, z, "zero_power_uw", 0, POWER_MAX_UW, &zv))) return rc;
    if (fabs(zv - t) > POWER_SUM_RTOL * fabs(t))
      return pp_jv_fail(c, z, "zero_power_uw", "expected power_uw.0 = %.17g, got %.17g", t, zv);
  }
  return PP_OK;
}

static int read_json(const char *text, size_t len, const char *path, pp_char_power *p, pp_err *e) {
  pp_jv root;
  int rc = pp_jv_parse_n(text, len, path, &root, e);
  if (rc) return rc;
  pp_jv_ctx c = {path, e};
  rc = read_json_tree(&c, &root, p);
  pp_jv_free(&root);
  return rc;
}

int pp_char_power_read(const char *path, pp_char_power *p, pp_err *e) {
  memset(p, 0, sizeof *p);
  char *text;
  size_t len;
  int rc = pp_read_file(path, &text, &len, e);
  if (rc) return rc;
  const char *s = text;
  while (isspace((unsigned char)*s)) s++;
  rc = *s == '{' ? read_json(text, len, path, p, e) : read_csv(text, path, p, e);
  free(text);
  if (!rc && !(p->leak_uw >= 0)) rc = pp_err_set(e, PP_EPARSE, path, 0, "leakage must be >= 0");
  return rc;
}

/* ---- delay table ---------------------------------------------------------- */

int pp_char_delay_alloc(pp_char_delay *t, int w_min, int n_w, int n_a, pp_err *e) {
  memset(t, 0, sizeof *t);
  if (n_w < 1 || n_w > PP_CHAR_MAX_W || n_a < 2 || n_a > PP_CHAR_MAX_A)
    return pp_err_set(e, PP_EINVAL, NULL, 0, "delay table size %d x %d x %d out of range", n_w, n_a, n_a);
  t->w_min = w_min;
  t->n_w = n_w;
  t->n_a = n_a;
  t->d = pp_xcalloc((size_t)n_w * n_a * n_a, sizeof *t->d);
  if (!t->d) return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory for the delay table");
  return PP_OK;
}

void pp_char_delay_free(pp_char_delay *t) {
  free(t->d);
  t->d = NULL;
}

unsigned pp_char_delay_max_w(const pp_char_delay *t, int w) {
  const uint16_t *d = t->d + (size_t)(w - t->w_min) * t->n_a * t->n_a;
  unsigned m = 0;
  for (size_t i = 0; i < (size_t)t->n_a * t->n_a; i++)
    if (d[i] > m) m = d[i];
  return m;
}

#define HDR_BYTES 72

static void put32(unsigned char *b, uint32_t v) {
  for (int i = 0; i < 4; i++) b[i] = (unsigned char)(v >> (8 * i));
}
static uint32_t get32(const unsigned char *b) {
  return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}
static void putf64(unsigned char *b, double d) {
  uint64_t v;
  memcpy(&v, &d, 8);
  for (int i = 0; i < 8; i++) b[i] = (unsigned char)(v >> (8 * i));
}
static double getf64(const unsigned char *b) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v |= (uint64_t)b[i] << (8 * i);
  double d;
  memcpy(&d, &v, 8);
  return d;
}

static void header_bytes(const pp_char_delay *t, unsigned char *h) {
  memset(h, 0, HDR_BYTES);
  memcpy(h, PP_CHAR_DELAY_MAGIC, 8); /* NOLINT(bugprone-not-null-terminated-result): 8 bytes, no terminator */
  put32(h + 8, 1);
  put32(h + 12, (uint32_t)t->w_min);
  put32(h + 16, (uint32_t)t->n_w);
  put32(h + 20, (uint32_t)t->n_a);
  put32(h + 24, t->d_psum_ps);
  put32(h + 28, 0);
  putf64(h + 32, t->sta_mult_ps);
  putf64(h + 40, t->sta_adder_max_ps);
  putf64(h + 48, t->sta_mac_ps);
  putf64(h + 56, t->seconds);
  /* 64..71 reserved */
}

int pp_char_delay_write(const pp_char_delay *t, const char *path, pp_err *e) {
  pp_outfile o;
  int rc = pp_outfile_open(&o, path, e);
  if (rc) return rc;
  unsigned char h[HDR_BYTES];
  header_bytes(t, h);
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, h, HDR_BYTES);
  fwrite(h, 1, HDR_BYTES, o.f);
  size_t n = (size_t)t->n_w * t->n_a * t->n_a;
  unsigned char buf[8192];
  for (size_t i = 0; i < n;) {
    size_t k = 0;
    for (; k < sizeof buf / 2 && i < n; k++, i++) {
      buf[2 * k] = (unsigned char)(t->d[i] & 0xff);
      buf[2 * k + 1] = (unsigned char)(t->d[i] >> 8);
    }
    crc = crc32(crc, buf, (uInt)(2 * k));
    fwrite(buf, 1, 2 * k, o.f);
  }
  unsigned char c[4];
  put32(c, (uint32_t)crc);
  fwrite(c, 1, 4, o.f);
  return pp_outfile_commit(&o, e);
}

int pp_char_delay_read(const char *path, pp_char_delay *t, pp_err *e) {
  memset(t, 0, sizeof *t);
  FILE *f = fopen(path, "rb");
  if (!f) return pp_err_set(e, PP_EIO, path, 0, "cannot open: %s", strerror(errno));
  unsigned char h[HDR_BYTES];
  int rc = PP_OK;
  if (fread(h, 1, HDR_BYTES, f) != HDR_BYTES || memcmp(h, PP_CHAR_DELAY_MAGIC, 8)) {
    fclose(f);
    return pp_err_set(e, PP_EPARSE, path, 0, "not a delay table (expected magic %s)", PP_CHAR_DELAY_MAGIC);
  }
  if (get32(h + 8) != 1) {
    fclose(f);
    return pp_err_set(e, PP_EPARSE, path, 0, "delay table version %u, expected 1", get32(h + 8));
  }
  int w_min = (int32_t)get32(h + 12), n_w = (int)get32(h + 16), n_a = (int)get32(h + 20);
  if (w_min < -128 || w_min > 127 || (rc = pp_char_delay_alloc(t, w_min, n_w, n_a, e))) {
    fclose(f);
    return rc ? rc : pp_err_set(e, PP_EPARSE, path, 0, "bad w_min %d", w_min);
  }
  t->d_psum_ps = get32(h + 24);
  t->sta_mult_ps = getf64(h + 32);
  t->sta_adder_max_ps = getf64(h + 40);
  t->sta_mac_ps = getf64(h + 48);
  t->seconds = getf64(h + 56);
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, h, HDR_BYTES);
  size_t n = (size_t)n_w * n_a * n_a;
  unsigned char buf[8192];
  for (size_t i = 0; i < n;) {
    size_t want = n - i < sizeof buf / 2 ? n - i : sizeof buf / 2;
    if (fread(buf, 1, 2 * want, f) != 2 * want) {
      rc = pp_err_set(e, PP_EPARSE, path, 0, "truncated: expected %zu delays of %dx%dx%d", n, n_w, n_a, n_a);
      break;
    }
    crc = crc32(crc, buf, (uInt)(2 * want));
    for (size_t k = 0; k < want; k++, i++) t->d[i] = (uint16_t)(buf[2 * k] | buf[2 * k + 1] << 8);
  }
  unsigned char c[4];
  if (!rc && fread(c, 1, 4, f) != 4) rc = pp_err_set(e, PP_EPARSE, path, 0, "truncated: CRC missing");
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION /* fuzzers skip checksums to reach the parser */
  if (!rc && get32(c) != (uint32_t)crc) rc = pp_err_set(e, PP_EPARSE, path, 0, "CRC mismatch: the file is corrupt");
#endif
  if (!rc && fgetc(f) != EOF) rc = pp_err_set(e, PP_EPARSE, path, 0, "trailing bytes after the CRC");
  fclose(f);
  if (rc) pp_char_delay_free(t);
  return rc;
}
