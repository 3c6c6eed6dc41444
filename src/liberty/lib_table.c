/* liberty/lib_table: numbers, units and lookup tables of the Liberty reader:
 * unit attributes to model scales, table templates, NLDM/scalar tables read
 * into pp_lut (normalized to (slew, load) order) and their bilinear lookup. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib_internal.h"

/* ---- numbers ---------------------------------------------------------------- */

static int parse_number(ictx *c, const lnode *n, const char *s, double *out) {
  char *end;
  while (isspace((unsigned char)*s)) s++;
  double v = strtod(s, &end);
  if (end == s || !isfinite(v)) goto bad;
  while (isspace((unsigned char)*end)) end++;
  if (*end) goto bad;
  *out = v;
  return PP_OK;
bad:
  return pp_err_set(c->e, PP_EPARSE, c->file, n->line, "expected a number for '%s', found '%.60s'", n->name, s);
}

int lib_parse_range(ictx *c, const lnode *n, const char *s, double lo, double hi, const char *expect, double *out) {
  int rc = parse_number(c, n, s, out);
  if (rc) return rc;
  if (!(*out >= lo && *out <= hi))
    return pp_err_set(c->e, PP_EPARSE, c->file, n->line, "'%s' is %g: expected %s", n->name, *out, expect);
  return PP_OK;
}

/* "0.1, 0.2 0.3" -> numbers appended to *v */
static int parse_list(ictx *c, const lnode *n, const char *s, double **v, int *nv, int *cap) {
  const char *p = s;
  for (;;) {
    while (*p == ',' || isspace((unsigned char)*p)) p++;
    if (!*p) return PP_OK;
    char *end;
    double x = strtod(p, &end);
    if (end == p || !isfinite(x) || (*end && *end != ',' && !isspace((unsigned char)*end))) {
      char tok[40];
      size_t k = 0;
      while (p[k] && p[k] != ',' && !isspace((unsigned char)p[k]) && k < sizeof tok - 1) {
        tok[k] = p[k];
        k++;
      }
      tok[k] = 0;
      return pp_err_set(c->e, PP_EPARSE, c->file, n->line, "expected a number in '%s', found '%s'", n->name, tok);
    }
    if (*nv >= *cap) {
      int nc = *cap ? *cap * 2 : 16;
      double *nb = realloc(*v, sizeof(double) * (size_t)nc);
      if (!nb) return pp_err_set(c->e, PP_ENOMEM, c->file, n->line, "out of memory");
      *v = nb;
      *cap = nc;
    }
    (*v)[(*nv)++] = x;
    p = end;
  }
}

const lnode *lib_find_attr(const lnode *g, const char *name) {
  for (const lnode *n = g->child; n; n = n->next)
    if (n->kind != N_GROUP && !strcmp(n->name, name)) return n;
  return NULL;
}

/* A unit string "1ns", "10ps", "1nW" -> multiplier in base units of kind. */
static int unit_scale(ictx *c, const lnode *n, const char *s, const char *const *suffix, const double *scale, int ns,
                      double *out) {
  char *end;
  while (isspace((unsigned char)*s)) s++;
  double m = strtod(s, &end);
  if (end == s) m = 1, end = (char *)s;
  while (isspace((unsigned char)*end)) end++;
  for (int i = 0; i < ns; i++)
    if (!strcasecmp(end, suffix[i]) && m > 0 && isfinite(m)) {
      *out = m * scale[i];
      return PP_OK;
    }
  return pp_err_set(c->e, PP_EPARSE, c->file, n->line, "unknown unit '%.40s' for '%s' (expected e.g. %s)", s, n->name,
                    suffix[0]);
}

/* ---- table templates ---------------------------------------------------------- */

static int axis_of(const char *v) {
  if (!strcmp(v, "input_net_transition") || !strcmp(v, "input_transition_time")) return AX_SLEW;
  if (!strcmp(v, "total_output_net_capacitance")) return AX_LOAD;
  return AX_OTHER;
}

static const ltemplate *find_template(const tmpl_set *ts, const char *name) {
  for (int i = ts->n - 1; i >= 0; i--)
    if (!strcmp(ts->t[i].name, name)) return &ts->t[i];
  return NULL;
}

void lib_lut_free(pp_lut *t) {
  free(t->index_slew);
  free(t->index_load);
  free(t->values);
  memset(t, 0, sizeof *t);
}

const tbl_range LIB_TBL_TRANSITION = {0, 1e9, 0, "a transition time in [0, 1e9] ps"};
const tbl_range LIB_TBL_DELAY = {-1e9, 1e9, 1, "a delay in [-(input slew), 1e9] ps"};
const tbl_range LIB_TBL_ENERGY = {-1e6, 1e6, 0, "an energy of magnitude below 1e6 fJ"};

/* The template a table group names ("scalar" or none: one value). */
static int table_template(ictx *c, const tmpl_set *ts, const lnode *g, const ltemplate **tp) {
  static const ltemplate scalar_t = {"scalar", 0, {0, 0, 0}, {NULL, NULL, NULL}, 0};
  if (g->n_args == 0 || !strcmp(g->args[0], "scalar")) {
    *tp = &scalar_t;
    return PP_OK;
  }
  *tp = find_template(ts, g->args[0]);
  if (!*tp)
    return pp_err_set(c->e, PP_EPARSE, c->file, g->line,
                      "unknown table template '%.60s' in '%s' (expected a lu_table_template or power_lut_template of "
                      "that name)",
                      g->args[0], g->name);
  return PP_OK;
}

/* Index k of table g (its own index_<k+1>, else the template's): at least
 * one number, from 0 up, strictly increasing. */
static int read_axis(ictx *c, const lnode *g, const ltemplate *tp, int k, double **ix, int *nix) {
  char iname[24];
  int cix = 0, rc = PP_OK;
  snprintf(iname, sizeof iname, "index_%d", k + 1);
  const lnode *in = lib_find_attr(g, iname);
  if (!in) in = tp->index[k];
  if (!in)
    return pp_err_set(c->e, PP_EPARSE, c->file, g->line, "table '%s' has no %s (neither it nor template '%s' gives one)",
                      g->name, iname, tp->name);
  *nix = 0;
  if (in->kind != N_COMPLEX || in->n_args < 1)
    return pp_err_set(c->e, PP_EPARSE, c->file, in->line, "expected %s (\"v1, v2, ...\")", iname);
  for (int a = 0; a < in->n_args && rc == PP_OK; a++) rc = parse_list(c, in, in->args[a], ix, nix, &cix);
  if (rc) return rc;
  if (*nix == 0) return pp_err_set(c->e, PP_EPARSE, c->file, in->line, "%s is empty: expected at least one number", iname);
  if ((*ix)[0] < 0)
    return pp_err_set(c->e, PP_EPARSE, c->file, in->line, "%s starts at %g: expected a slew or load >= 0", iname,
                      (*ix)[0]);
  for (int i = 1; i < *nix; i++)
    if (!((*ix)[i] > (*ix)[i - 1]))
      return pp_err_set(c->e, PP_EPARSE, c->file, in->line, "%s must be strictly increasing (value %d is %g after %g)",
                        iname, i + 1, (*ix)[i], (*ix)[i - 1]);
  return PP_OK;
}

/* The table's values: one per index point (nix[0] x nix[1] x nix[2]), each
 * in range once scaled. */
static int read_values(ictx *c, const lnode *g, const int *nix, double vscale, const tbl_range *range, double **vals,
                       const lnode **vn_out) {
  int nvals = 0, cvals = 0, rc = PP_OK;
  int want = nix[0] * nix[1] * nix[2];
  const lnode *vn = lib_find_attr(g, "values");
  *vn_out = vn;
  if (!vn || vn->kind != N_COMPLEX)
    return pp_err_set(c->e, PP_EPARSE, c->file, g->line, "table '%s' has no values (\"...\") attribute", g->name);
  for (int a = 0; a < vn->n_args && rc == PP_OK; a++) rc = parse_list(c, vn, vn->args[a], vals, &nvals, &cvals);
  if (rc) return rc;
  if (nvals != want)
    return pp_err_set(c->e, PP_EPARSE, c->file, vn->line, "values of '%s': expected %d numbers (%d x %d x %d), found %d",
                      g->name, want, nix[0], nix[1], nix[2], nvals);
  for (int i = 0; i < nvals; i++) {
    double x = (*vals)[i] * vscale;
    if (!(x >= range->lo && x <= range->hi))
      return pp_err_set(c->e, PP_EPARSE, c->file, vn->line, "values of '%s': value %d is %g: expected %s", g->name,
                        i + 1, x, range->expect);
  }
  return PP_OK;
}

int lib_read_table(ictx *c, const tmpl_set *ts, const lnode *g, double vscale, const tbl_range *range, pp_lut *t) {
  const ltemplate *tp = NULL;
  int rc = table_template(c, ts, g, &tp);
  if (rc) return rc;
  double *ix[3] = {NULL, NULL, NULL};
  int nix[3] = {1, 1, 1};
  double *vals = NULL;
  const lnode *vn = NULL;
  for (int k = 0; k < tp->nvar && !rc; k++) rc = read_axis(c, g, tp, k, &ix[k], &nix[k]);
  if (rc) goto out;
  if ((rc = read_values(c, g, nix, vscale, range, &vals, &vn))) goto out;
  int ax_slew = -1, ax_load = -1;
  for (int k = 0; k < tp->nvar; k++) {
    if (tp->var[k] == AX_SLEW && ax_slew < 0) ax_slew = k;
    if (tp->var[k] == AX_LOAD && ax_load < 0) ax_load = k;
  }
  lib_lut_free(t);
  t->n_slew = ax_slew >= 0 ? nix[ax_slew] : 1;
  t->n_load = ax_load >= 0 ? nix[ax_load] : 1;
  t->index_slew = malloc(sizeof(double) * (size_t)t->n_slew);
  t->index_load = malloc(sizeof(double) * (size_t)t->n_load);
  t->values = malloc(sizeof(double) * (size_t)(t->n_slew * t->n_load));
  if (!t->index_slew || !t->index_load || !t->values) {
    lib_lut_free(t);
    rc = pp_err_set(c->e, PP_ENOMEM, c->file, g->line, "out of memory");
    goto out;
  }
  for (int i = 0; i < t->n_slew; i++) t->index_slew[i] = ax_slew >= 0 ? ix[ax_slew][i] * c->time_ps : 0;
  for (int i = 0; i < t->n_load; i++) t->index_load[i] = ax_load >= 0 ? ix[ax_load][i] * c->cap_ff : 0;
  for (int is = 0; is < t->n_slew; is++)
    for (int il = 0; il < t->n_load; il++) {
      int pos[3] = {0, 0, 0}; /* other axes are taken at their first index */
      if (ax_slew >= 0) pos[ax_slew] = is;
      if (ax_load >= 0) pos[ax_load] = il;
      int flat = (pos[0] * nix[1] + pos[1]) * nix[2] + pos[2];
      // NOLINTNEXTLINE(clang-analyzer-core.NullDereference): nvals == want >= 1 numbers were read into vals
      t->values[is * t->n_load + il] = vals[flat] * vscale;
      double lo = range->slew_bound ? -t->index_slew[is] : range->lo;
      if (t->values[is * t->n_load + il] < lo) {
        rc = pp_err_set(c->e, PP_EPARSE, c->file, vn->line,
                        "values of '%s': value %d is %g ps at input slew %g ps: expected %s", g->name, flat + 1,
                        t->values[is * t->n_load + il], t->index_slew[is], range->expect);
        lib_lut_free(t);
        goto out;
      }
    }
out:
  for (int k = 0; k < 3; k++) free(ix[k]);
  free(vals);
  return rc;
}

double pp_lut_eval(const pp_lut *t, double slew_ps, double load_ff) {
  if (!t || t->n_slew <= 0 || t->n_load <= 0) return 0.0;
  /* per axis: the segment holding x (end segments extended), weight unclamped */
  int i0 = 0, j0 = 0;
  double fs = 0, fl = 0;
  if (t->n_slew > 1) {
    while (i0 < t->n_slew - 2 && slew_ps > t->index_slew[i0 + 1]) i0++;
    double d = t->index_slew[i0 + 1] - t->index_slew[i0];
    fs = d > 0 ? (slew_ps - t->index_slew[i0]) / d : 0;
  }
  if (t->n_load > 1) {
    while (j0 < t->n_load - 2 && load_ff > t->index_load[j0 + 1]) j0++;
    double d = t->index_load[j0 + 1] - t->index_load[j0];
    fl = d > 0 ? (load_ff - t->index_load[j0]) / d : 0;
  }
  int i1 = t->n_slew > 1 ? i0 + 1 : i0, j1 = t->n_load > 1 ? j0 + 1 : j0;
  const double *v = t->values;
  int nl = t->n_load;
  double a = v[i0 * nl + j0] + (v[i0 * nl + j1] - v[i0 * nl + j0]) * fl;
  double b = v[i1 * nl + j0] + (v[i1 * nl + j1] - v[i1 * nl + j0]) * fl;
  return a + (b - a) * fs;
}

/* ---- function expressions ----------------------------------------------------- */

/* ---- templates and units ------------------------------------------------------------ */

int lib_read_templates(ictx *c, const lnode *lib, tmpl_set *ts) {
  for (const lnode *n = lib->child; n; n = n->next) {
    if (n->kind != N_GROUP) continue;
    if (strcmp(n->name, "lu_table_template") && strcmp(n->name, "power_lut_template") &&
        strcmp(n->name, "output_current_template"))
      continue;
    if (n->n_args < 1)
      return pp_err_set(c->e, PP_EPARSE, c->file, n->line, "expected a template name: %s (NAME) { ... }", n->name);
    if (pp_grow((void **)&ts->t, &ts->cap, ts->n, sizeof(ltemplate)))
      return pp_err_set(c->e, PP_ENOMEM, c->file, n->line, "out of memory");
    ltemplate *t = &ts->t[ts->n++];
    memset(t, 0, sizeof *t);
    t->name = n->args[0];
    t->line = n->line;
    for (int k = 0; k < 3; k++) {
      char vn[24], in[24];
      snprintf(vn, sizeof vn, "variable_%d", k + 1);
      snprintf(in, sizeof in, "index_%d", k + 1);
      const lnode *v = lib_find_attr(n, vn);
      if (!v) break;
      if (v->kind != N_SIMPLE)
        return pp_err_set(c->e, PP_EPARSE, c->file, v->line, "expected '%s : <variable name>;'", vn);
      t->var[k] = axis_of(v->value);
      t->index[k] = lib_find_attr(n, in);
      t->nvar = k + 1;
    }
  }
  return PP_OK;
}

int lib_read_units(ictx *c, const lnode *lib) {
  static const char *const tsuf[] = {"ns", "ps", "us", "fs"};
  static const double tsc[] = {1000, 1, 1e6, 1e-3};
  static const char *const lsuf[] = {"nW", "uW", "pW", "mW", "W", "fW"};
  static const double lsc[] = {1, 1e3, 1e-3, 1e6, 1e9, 1e-6};
  static const char *const vsuf[] = {"V", "mV", "kV"};
  static const double vsc[] = {1, 1e-3, 1e3};
  int rc;
  c->time_ps = 1000; /* Liberty's defaults: 1ns, 1V; pF and nW are what most libraries use */
  c->cap_ff = 1000;
  c->leak_nw = 1;
  c->volt_v = 1;
  for (const lnode *n = lib->child; n; n = n->next) {
    if (n->kind == N_SIMPLE && !strcmp(n->name, "time_unit")) {
      if ((rc = unit_scale(c, n, n->value, tsuf, tsc, 4, &c->time_ps))) return rc;
    } else if (n->kind == N_SIMPLE && !strcmp(n->name, "leakage_power_unit")) {
      if ((rc = unit_scale(c, n, n->value, lsuf, lsc, 6, &c->leak_nw))) return rc;
    } else if (n->kind == N_SIMPLE && !strcmp(n->name, "voltage_unit")) {
      if ((rc = unit_scale(c, n, n->value, vsuf, vsc, 3, &c->volt_v))) return rc;
    } else if (n->kind == N_COMPLEX && !strcmp(n->name, "capacitive_load_unit")) {
      double m;
      if (n->n_args != 2)
        return pp_err_set(c->e, PP_EPARSE, c->file, n->line, "expected capacitive_load_unit (NUMBER, pf|ff);");
      if ((rc = lib_parse_range(c, n, n->args[0], 1e-30, 1e30, "a unit > 0", &m))) return rc;
      if (!strcasecmp(n->args[1], "pf"))
        c->cap_ff = m * 1000;
      else if (!strcasecmp(n->args[1], "ff"))
        c->cap_ff = m;
      else
        return pp_err_set(c->e, PP_EPARSE, c->file, n->line,
                          "expected pf or ff as the unit of capacitive_load_unit, found '%.20s'", n->args[1]);
      if (!(m > 0)) return pp_err_set(c->e, PP_EPARSE, c->file, n->line, "capacitive_load_unit must be positive");
    }
  }
  /* internal_power tables are energies in capacitance unit x voltage unit^2; 1 fF * 1 V^2 = 1 fJ */
  c->energy_fj = c->cap_ff * c->volt_v * c->volt_v;
  return PP_OK;
}

