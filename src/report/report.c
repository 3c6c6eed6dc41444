/* report/report: Table I of a PowerPruning run as summary.json, table.csv and
 * report.html. Reductions and voltage shares are always computed from the
 * powers written beside them, so the three files can never disagree. */
#include "report_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void pp_report_init(pp_report *r) {
  memset(r, 0, sizeof *r);
  r->v_nominal = r->v_scaled = NAN;
  r->acc_orig = r->acc_pruned = r->acc_prop = NAN;
  r->max_delay_orig_ps = r->max_delay_prop_ps = NAN;
  r->sparsity = r->sparsity_final = NAN;
  r->seconds = NAN;
  r->budget_pts = r->spent_pruning = r->spent_power = r->spent_delay = r->spent_sparsity = NAN;
  r->accepted_steps = -1;
  r->std.pruned_mw = r->opt.pruned_mw = NAN;
}

static const char *const report_phases[3] = {"power", "delay", "sparsity"};

const char *pp_report_phase_name(int phase) { return phase >= 0 && phase < 3 ? report_phases[phase] : "?"; }

int pp_report_phase_of(const char *name) {
  for (int i = 0; i < 3; i++)
    if (!strcmp(name, report_phases[i])) return i;
  return -1;
}

void report_copy(char *dst, size_t n, const char *src) { snprintf(dst, n, "%s", src ? src : ""); }

int pp_report_add_figure(pp_report *r, const char *file, const char *caption, pp_err *e) {
  if (r->nfigs >= PP_REPORT_MAX_FIGS) return pp_err_set(e, PP_EINVAL, "", 0, "too many figures");
  report_copy(r->figs[r->nfigs].file, sizeof r->figs[0].file, file);
  report_copy(r->figs[r->nfigs].caption, sizeof r->figs[0].caption, caption);
  r->nfigs++;
  return PP_OK;
}

int pp_report_add_kv(pp_report *r, const char *key, const char *value, pp_err *e) {
  for (int i = 0; i < r->nkv; i++)
    if (!strcmp(r->kv[i].key, key)) {
      report_copy(r->kv[i].value, sizeof r->kv[i].value, value);
      return PP_OK;
    }
  if (r->nkv >= PP_REPORT_MAX_KV) return pp_err_set(e, PP_EINVAL, "", 0, "too many options in a report");
  report_copy(r->kv[r->nkv].key, sizeof r->kv[0].key, key);
  report_copy(r->kv[r->nkv].value, sizeof r->kv[0].value, value);
  r->nkv++;
  return PP_OK;
}

int pp_report_add_step(pp_report *r, const pp_report_step *s, pp_err *e) {
  if (r->nsteps >= PP_REPORT_MAX_STEPS) return pp_err_set(e, PP_EINVAL, "", 0, "too many retraining steps");
  r->steps[r->nsteps++] = *s;
  return PP_OK;
}

double pp_report_reduction_pct(double orig, double prop) {
  if (!(orig > 0)) return NAN;
  return (orig - prop) / orig * 100.0;
}

double pp_report_voltage_share_pct(const pp_report_hw *h) {
  if (!(h->orig_mw > 0)) return NAN;
  return (h->prop_nv_mw - h->prop_mw) / h->orig_mw * 100.0;
}

/* Shortest decimal that reads as the value to 2 places ("0.71", "0.8"). */
static void fmt_short(char *buf, size_t n, double v) {
  snprintf(buf, n, "%.2f", v);
  char *dot = strchr(buf, '.');
  if (!dot) return;
  char *end = buf + strlen(buf) - 1;
  while (end > dot && *end == '0') *end-- = 0;
  if (end == dot) *end = 0;
}

void pp_report_voltage_factor(const pp_report *r, char *buf, size_t n) {
  if (!isfinite(r->v_scaled) || !isfinite(r->v_nominal)) {
    snprintf(buf, n, "n/a");
    return;
  }
  char a[32], b[32];
  fmt_short(a, sizeof a, r->v_scaled);
  fmt_short(b, sizeof b, r->v_nominal);
  snprintf(buf, n, "%s/%s", a, b);
}

static int check_pw(const char *what, double v, int need_pos, pp_err *e) {
  if (!isfinite(v) || v < 0 || (need_pos && v <= 0))
    return pp_err_set(e, PP_EINVAL, "", 0, "report: %s is %g, expected a %s finite power in mW", what, v,
                      need_pos ? "positive" : "non-negative");
  return PP_OK;
}

static int check_acc(const char *what, double v, pp_err *e) {
  if (!isfinite(v) || v < 0 || v > 100)
    return pp_err_set(e, PP_EINVAL, "", 0, "report: %s is %g, expected a percentage in [0, 100]", what, v);
  return PP_OK;
}

int pp_report_validate(const pp_report *r, pp_err *e) {
  int rc;
  if ((rc = check_acc("acc_orig", r->acc_orig, e)) || (rc = check_acc("acc_prop", r->acc_prop, e))) return rc;
  if (!isnan(r->acc_pruned) && (rc = check_acc("acc_pruned", r->acc_pruned, e))) return rc;
  const pp_report_hw *hw[2] = {&r->std, &r->opt};
  const char *nm[2] = {"standard_hw", "optimized_hw"};
  for (int k = 0; k < 2; k++) {
    char w[64];
    snprintf(w, sizeof w, "%s.orig_mw", nm[k]);
    if ((rc = check_pw(w, hw[k]->orig_mw, 1, e))) return rc;
    snprintf(w, sizeof w, "%s.prop_mw", nm[k]);
    if ((rc = check_pw(w, hw[k]->prop_mw, 0, e))) return rc;
    snprintf(w, sizeof w, "%s.prop_nominal_voltage_mw", nm[k]);
    if ((rc = check_pw(w, hw[k]->prop_nv_mw, 0, e))) return rc;
    snprintf(w, sizeof w, "%s.pruned_mw", nm[k]);
    if (!isnan(hw[k]->pruned_mw) && (rc = check_pw(w, hw[k]->pruned_mw, 0, e))) return rc;
  }
  if (r->n_weights < 1 || r->n_weights > 255)
    return pp_err_set(e, PP_EINVAL, "", 0, "report: %d selected weights, expected 1..255", r->n_weights);
  if (r->n_acts < 1 || r->n_acts > 256)
    return pp_err_set(e, PP_EINVAL, "", 0, "report: %d selected activations, expected 1..256", r->n_acts);
  if (!(r->v_nominal > 0) || !(r->v_scaled > 0) || r->v_scaled > r->v_nominal)
    return pp_err_set(e, PP_EINVAL, "", 0, "report: voltages %g/%g V, expected 0 < scaled <= nominal",
                      r->v_scaled, r->v_nominal);
  if ((rc = report_layers_validate(r, e))) return rc;
  return report_pann_validate(r, e);
}

/* ---- summary.json ------------------------------------------------------------ */
void report_jnum(pp_json *j, const char *k, double v) {
  pp_json_key(j, k);
  pp_json_num(j, v);
}

static void write_hw(pp_json *j, const char *name, const pp_report_hw *h) {
  pp_json_key(j, name);
  pp_json_obj_begin(j);
  report_jnum(j, "orig_mw", h->orig_mw);
  report_jnum(j, "pruned_mw", h->pruned_mw);
  report_jnum(j, "prop_nominal_voltage_mw", h->prop_nv_mw);
  report_jnum(j, "prop_mw", h->prop_mw);
  report_jnum(j, "reduction_pct", pp_report_reduction_pct(h->orig_mw, h->prop_mw));
  report_jnum(j, "pruned_reduction_pct", pp_report_reduction_pct(h->orig_mw, h->pruned_mw));
  report_jnum(j, "voltage_share_pct", pp_report_voltage_share_pct(h));
  pp_json_obj_end(j);
}

static void table_row_json(pp_json *j, const pp_report *r);

/* The members summary.json and the one-row JSON of run/report --json share,
 * so that their names can never drift apart: Table I's columns. */
static void row_members(pp_json *j, const pp_report *r) {
  pp_json_key_str(j, "network", r->network);
  pp_json_key_str(j, "dataset", r->dataset);
  pp_json_key_obj_begin(j, "accuracy_pct");
  report_jnum(j, "orig", r->acc_orig);
  report_jnum(j, "pruned", r->acc_pruned);
  report_jnum(j, "prop", r->acc_prop);
  report_jnum(j, "loss_points", r->acc_orig - r->acc_prop);
  pp_json_obj_end(j);
  write_hw(j, "standard_hw", &r->std);
  write_hw(j, "optimized_hw", &r->opt);
  pp_json_key_obj_begin(j, "selected");
  pp_json_key_int(j, "weights", r->n_weights);
  pp_json_key_int(j, "activations", r->n_acts);
  pp_json_key_str(j, "weights_file", r->weights_file);
  pp_json_key_str(j, "activations_file", r->acts_file);
  pp_json_obj_end(j);
  pp_json_key_obj_begin(j, "delay_ps");
  report_jnum(j, "orig", r->max_delay_orig_ps);
  report_jnum(j, "prop", r->max_delay_prop_ps);
  report_jnum(j, "reduction", r->max_delay_orig_ps - r->max_delay_prop_ps);
  pp_json_obj_end(j);
  char vf[64];
  pp_report_voltage_factor(r, vf, sizeof vf);
  pp_json_key_obj_begin(j, "voltage");
  report_jnum(j, "nominal_v", r->v_nominal);
  report_jnum(j, "scaled_v", r->v_scaled);
  pp_json_key_str(j, "factor", vf);
  pp_json_obj_end(j);
  table_row_json(j, r);
}

static void jpath(pp_json *j, const char *key, const char *dir, const char *rel) {
  char p[4400];
  pp_json_key(j, key);
  if (!rel || !*rel) {
    pp_json_null(j);
    return;
  }
  snprintf(p, sizeof p, "%s/%s", dir, rel);
  pp_json_str(j, p);
}

/* "stage_seconds": [{"stage", "seconds", "ran"}, ...] */
static void stage_times_json(pp_json *j, const pp_report *r) {
  pp_json_key_arr_begin(j, "stage_seconds");
  for (int i = 0; i < r->n_stage_times; i++) {
    const pp_report_stage_time *t = &r->stage_times[i];
    pp_json_obj_begin(j);
    pp_json_key_str(j, "stage", t->name);
    pp_json_key_num(j, "seconds", t->seconds);
    pp_json_key_bool(j, "ran", t->ran);
    pp_json_obj_end(j);
  }
  pp_json_arr_end(j);
}

void pp_report_stage_line(const pp_report *r, char *buf, size_t n) {
  size_t k = 0;
  double steps = 0, now = 0, all = 0;
  int n_steps = 0;
  if (n) buf[0] = 0;
  for (int i = 0; i < r->n_stage_times; i++) {
    const pp_report_stage_time *t = &r->stage_times[i];
    all += t->seconds;
    if (t->ran) now += t->seconds;
    if (!strncmp(t->name, "10-", 3)) { /* retraining steps: one entry */
      steps += t->seconds;
      n_steps++;
      continue;
    }
    if (k < n) k += (size_t)snprintf(buf + k, n - k, "%s%s %.1f s%s", k ? ", " : "", t->name, t->seconds, t->ran ? "" : " (cached)");
  }
  if (n_steps && k < n)
    k += (size_t)snprintf(buf + k, n - k, "%s10-* (%d retraining steps) %.1f s", k ? ", " : "", n_steps, steps);
  if (k < n) snprintf(buf + k, n - k, "; %.1f s in stages run now, of %.1f s recorded", now, all);
}

void pp_report_summary_json(pp_json *j, const pp_report *r, const char *dir) {
  pp_json_obj_begin(j);
  pp_json_key_str(j, "format", PP_REPORT_RESULT_FORMAT);
  pp_json_key_str(j, "dir", dir);
  row_members(j, r);
  report_jnum(j, "sparsity", r->sparsity);
  report_jnum(j, "seconds", r->seconds);
  stage_times_json(j, r);
  pp_json_key_obj_begin(j, "files");
  jpath(j, "summary", dir, "summary.json");
  jpath(j, "table", dir, "table.csv");
  jpath(j, "report", dir, "report.html");
  jpath(j, "weights", dir, r->weights_file);
  jpath(j, "activations", dir, r->acts_file);
  jpath(j, "pann_compare", dir, r->pann.present ? "pann_compare.csv" : NULL);
  pp_json_key_arr_begin(j, "figures");
  for (int i = 0; i < r->nfigs; i++) {
    char p[4400];
    snprintf(p, sizeof p, "%s/%s", dir, r->figs[i].file);
    pp_json_str(j, p);
  }
  pp_json_arr_end(j);
  pp_json_obj_end(j);
  pp_json_key(j, "pann");
  pp_report_pann_json(j, &r->pann);
  pp_json_obj_end(j);
}

int pp_report_write_json(const pp_report *r, const char *path, pp_err *e) {
  pp_outfile o;
  int rc = pp_outfile_open(&o, path, e);
  if (rc) return rc;
  pp_json j;
  pp_json_init(&j, o.f, 1);
  pp_json_obj_begin(&j);
  pp_json_key_str(&j, "format", PP_REPORT_FORMAT);
  row_members(&j, r);
  report_jnum(&j, "sparsity", r->sparsity);
  report_jnum(&j, "sparsity_final", r->sparsity_final);
  report_jnum(&j, "seconds", r->seconds);
  stage_times_json(&j, r);
  if (r->decision_images > 0) {
    pp_json_key_int(&j, "decision_images", r->decision_images);
    pp_json_key_bool(&j, "decision_images_disjoint_from_test", 1);
    pp_json_key_obj_begin(&j, "budget_points");
    report_jnum(&j, "total", r->budget_pts);
    report_jnum(&j, "pruning", r->spent_pruning);
    report_jnum(&j, "power_phase", r->spent_power);
    report_jnum(&j, "delay_phase", r->spent_delay);
    report_jnum(&j, "sparsity_phase", r->spent_sparsity);
    pp_json_obj_end(&j);
    pp_json_key_int(&j, "accepted_steps", r->accepted_steps);
  }
  if (r->headline[0]) {
    pp_json_key_str(&j, "headline", r->headline);
  }
  pp_json_key_arr_begin(&j, "steps");
  for (int i = 0; i < r->nsteps; i++) {
    const pp_report_step *s = &r->steps[i];
    pp_json_obj_begin(&j);
    pp_json_key_str(&j, "phase", pp_report_phase_name(s->phase));
    report_jnum(&j, "threshold", s->threshold);
    pp_json_key_int(&j, "weights", s->n_weights);
    pp_json_key_int(&j, "activations", s->n_acts);
    report_jnum(&j, "max_delay_ps", s->max_delay_ps);
    report_jnum(&j, "accuracy_pct", s->accuracy);
    pp_json_key_bool(&j, "accepted", s->accepted);
    pp_json_obj_end(&j);
  }
  pp_json_arr_end(&j);
  pp_json_key_arr_begin(&j, "figures");
  for (int i = 0; i < r->nfigs; i++) {
    pp_json_obj_begin(&j);
    pp_json_key_str(&j, "file", r->figs[i].file);
    pp_json_key_str(&j, "caption", r->figs[i].caption);
    pp_json_obj_end(&j);
  }
  pp_json_arr_end(&j);
  report_layers_json(&j, r);
  pp_json_key(&j, "pann");
  pp_report_pann_json(&j, &r->pann);
  /* ordered key/value list: an object would lose the order of the options */
  pp_json_key_obj_begin(&j, "inputs");
  for (int i = 0; i < r->nkv; i++) {
    pp_json_key(&j, r->kv[i].key);
    pp_json_str(&j, r->kv[i].value);
  }
  pp_json_obj_end(&j);
  pp_json_obj_end(&j);
  pp_json_end(&j);
  return pp_outfile_commit(&o, e);
}

/* ---- table.csv ---------------------------------------------------------------- */
/* Table I's columns: table.csv's header, and the keys of the "table_row" object
 * of summary.json and run/report --json, which holds the same numbers
 * unrounded, so that a column and a JSON field never go by two names. The
 * values come from one function (row_values) for both. */
#define NCOLS 16
static const struct {
  const char *name, *fmt; /* fmt NULL: a string */
} cols[NCOLS] = {
    {"network", NULL},          {"dataset", NULL},           {"acc_orig_pct", "%.2f"},
    {"acc_prop_pct", "%.2f"},   {"std_orig_mw", "%.4f"},     {"std_prop_mw", "%.4f"},
    {"std_red_pct", "%.2f"},    {"opt_orig_mw", "%.4f"},     {"opt_prop_mw", "%.4f"},
    {"opt_red_pct", "%.2f"},    {"selected_weights", "%.0f"}, {"selected_activations", "%.0f"},
    {"max_delay_red_ps", "%.0f"}, {"voltage_factor", NULL},  {"v_shw_pct", "%.2f"},
    {"v_ohw_pct", "%.2f"},
};
static const char *csv_header =
    "network,dataset,acc_orig_pct,acc_prop_pct,std_orig_mw,std_prop_mw,std_red_pct,opt_orig_mw,opt_prop_mw,"
    "opt_red_pct,selected_weights,selected_activations,max_delay_red_ps,voltage_factor,v_shw_pct,v_ohw_pct";

/* The row: numbers in v (NAN for the string columns), strings in str. */
static void row_values(const pp_report *r, double v[NCOLS], const char *str[NCOLS], char *vf, size_t nvf) {
  pp_report_voltage_factor(r, vf, nvf);
  double x[NCOLS] = {NAN,
                     NAN,
                     r->acc_orig,
                     r->acc_prop,
                     r->std.orig_mw,
                     r->std.prop_mw,
                     pp_report_reduction_pct(r->std.orig_mw, r->std.prop_mw),
                     r->opt.orig_mw,
                     r->opt.prop_mw,
                     pp_report_reduction_pct(r->opt.orig_mw, r->opt.prop_mw),
                     r->n_weights,
                     r->n_acts,
                     r->max_delay_orig_ps - r->max_delay_prop_ps,
                     NAN,
                     pp_report_voltage_share_pct(&r->std),
                     pp_report_voltage_share_pct(&r->opt)};
  memcpy(v, x, sizeof x);
  for (int i = 0; i < NCOLS; i++) str[i] = NULL;
  str[0] = r->network, str[1] = r->dataset, str[13] = vf;
}

static void table_row_json(pp_json *j, const pp_report *r) {
  double v[NCOLS];
  const char *str[NCOLS];
  char vf[64];
  row_values(r, v, str, vf, sizeof vf);
  pp_json_key_obj_begin(j, "table_row");
  for (int i = 0; i < NCOLS; i++) {
    pp_json_key(j, cols[i].name);
    if (str[i]) pp_json_str(j, str[i]);
    else pp_json_num(j, v[i]);
  }
  pp_json_obj_end(j);
}

void report_csv_str(FILE *f, const char *s) {
  if (strpbrk(s, ",\"\n")) {
    fputc('"', f);
    for (; *s; s++) {
      if (*s == '"') fputc('"', f);
      fputc(*s, f);
    }
    fputc('"', f);
  } else fputs(s, f);
}

const char *pp_report_csv_header(void) { return csv_header; }
void pp_report_csv_str(FILE *f, const char *s) { report_csv_str(f, s); }

void pp_report_csv_row(FILE *f, const pp_report *r) {
  double v[NCOLS];
  const char *str[NCOLS];
  char vf[64];
  row_values(r, v, str, vf, sizeof vf);
  for (int i = 0; i < NCOLS; i++) {
    if (i) fputc(',', f);
    if (str[i]) report_csv_str(f, str[i]);
    else if (isfinite(v[i])) fprintf(f, cols[i].fmt, v[i]);
  }
}

int pp_report_write_csv(const pp_report *r, const char *path, pp_err *e) {
  pp_outfile o;
  int rc = pp_outfile_open(&o, path, e);
  if (rc) return rc;
  fprintf(o.f, "%s\n", csv_header);
  pp_report_csv_row(o.f, r);
  fputc('\n', o.f);
  return pp_outfile_commit(&o, e);
}

/* ---- report.html ---------------------------------------------------------------- */
void report_html_esc(FILE *f, const char *s) {
  for (; *s; s++) {
    switch (*s) {
      case '<': fputs("&lt;", f); break;
      case '>': fputs("&gt;", f); break;
      case '&': fputs("&amp;", f); break;
      case '"': fputs("&quot;", f); break;
      default: fputc(*s, f);
    }
  }
}

/* Percent-encodes what a relative URL must not contain raw. */
void report_url_esc(FILE *f, const char *s) {
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("-_.~/", *p))
      fputc(*p, f);
    else fprintf(f, "%%%02X", *p);
  }
}

void report_td_num(FILE *f, const char *fmt, double v) {
  fputs("<td>", f);
  if (isfinite(v)) fprintf(f, fmt, v);
  else fputs("&ndash;", f);
  fputs("</td>", f);
}

/* " Data: x.csv; also x.pdf, x.png." for a figure "x.svg" (module plot writes them beside it). */
void report_fig_links(FILE *f, const char *svg) {
  size_t n = strlen(svg);
  if (n < 5 || strcmp(svg + n - 4, ".svg")) return;
  char base[256];
  snprintf(base, sizeof base, "%.*s", (int)(n - 4), svg);
  static const char *ext[3] = {".csv", ".pdf", ".png"};
  for (int k = 0; k < 3; k++) {
    fputs(k == 0 ? " Data: " : k == 1 ? "; also " : ", ", f);
    fputs("<a href=\"", f);
    report_url_esc(f, base);
    fprintf(f, "%s\">", ext[k]);
    report_html_esc(f, base);
    fprintf(f, "%s</a>", ext[k]);
  }
  fputs(".", f);
}

static const char *kv_get(const pp_report *r, const char *key) {
  for (int i = 0; i < r->nkv; i++)
    if (!strcmp(r->kv[i].key, key)) return r->kv[i].value;
  return NULL;
}

/* One hardware variant's saving in words, split into what pruning, the value
 * restriction and voltage scaling each took off the original power. */
static void hw_words(FILE *f, const char *name, const pp_report_hw *h) {
  fprintf(f, "On %s the network draws %.3f mW before and %.3f mW after (&minus;%.1f%%)", name, h->orig_mw, h->prop_mw,
          pp_report_reduction_pct(h->orig_mw, h->prop_mw));
  if (isfinite(h->pruned_mw) && h->orig_mw > 0) {
    fprintf(f, ": conventional pruning saves %.1f%% of the original power, restricting the values a further %.1f%%, "
               "and voltage scaling %.1f%%",
            (h->orig_mw - h->pruned_mw) / h->orig_mw * 100, (h->pruned_mw - h->prop_nv_mw) / h->orig_mw * 100,
            pp_report_voltage_share_pct(h));
  } else if (h->orig_mw > 0)
    fprintf(f, ", of which voltage scaling saves %.1f%% of the original power", pp_report_voltage_share_pct(h));
  fputs(". ", f);
}

/* What happened, in words, and what did not: the first thing the report says. */
static void narrative(FILE *f, const pp_report *r) {
  int acc_any = 0, acc_p = 0, acc_d = 0, n_p = 0, n_d = 0;
  for (int i = 0; i < r->nsteps; i++) {
    const pp_report_step *s = &r->steps[i];
    if (s->phase > 1) continue; /* final pruning is not a PowerPruning step */
    (s->phase ? &n_d : &n_p)[0]++;
    if (s->accepted) acc_any = 1, (s->phase ? &acc_d : &acc_p)[0]++;
  }
  if (!acc_any)
    fputs("<p class=warn><strong>Warning: no PowerPruning step was accepted.</strong> Every retraining step fell "
          "below the accuracy floor, so the proposed network is the conventionally pruned one with all 255 weight "
          "and 256 activation values; its savings are conventional pruning's alone. A larger tolerance, more "
          "retraining epochs or a longer run (not <code>--quick</code>) may let a step through.</p>\n",
          f);
  else {
    if (!acc_p && n_p)
      fputs("<p class=warn><strong>Note: no power-threshold step was accepted</strong>; the delay phase started "
            "from every weight value.</p>\n",
            f);
    if (!acc_d && n_d)
      fputs("<p class=warn><strong>Note: no delay-threshold step was accepted</strong>; the supply voltage stays "
            "where the power phase left the max delay.</p>\n",
            f);
  }
  if (!r->nsteps)
    fputs("<p class=warn><strong>Warning: the run recorded no retraining steps.</strong></p>\n", f);
  if (!r->nfigs)
    fputs("<p class=warn><strong>Warning: this report has no figures</strong> (gnuplot was not installed when it "
          "was made: <code>apt-get install gnuplot-nox</code>, then rerun).</p>\n",
          f);
  const char *pc = kv_get(r, "pann_comparison");
  if (!r->pann.present && pc && strncmp(pc, "yes", 3))
    fputs("<p class=warn><strong>Note: the comparison with PANN was skipped</strong> (stage 21-pann, "
          "<code>--no-pann</code>).</p>\n",
          f);
  fputs("<p class=summary>", f);
  fprintf(f, "PowerPruning kept <strong>%d of 255 weight values and %d of 256 activation values</strong>", r->n_weights,
          r->n_acts);
  if (acc_any)
    fprintf(f, " (%d of %d power-threshold steps and %d of %d delay-threshold steps accepted)", acc_p, n_p, acc_d, n_d);
  fputs(". ", f);
  fprintf(f, "Accuracy: %.2f%% for the unpruned int8 network", r->acc_orig);
  if (isfinite(r->acc_pruned)) fprintf(f, ", %.2f%% after conventional pruning", r->acc_pruned);
  fprintf(f, ", %.2f%% proposed: %.2f points of the accuracy budget spent", r->acc_prop, r->acc_orig - r->acc_prop);
  if (isfinite(r->acc_pruned))
    fprintf(f, " (%.2f by pruning, %.2f by the value restriction)", r->acc_orig - r->acc_pruned,
            r->acc_pruned - r->acc_prop);
  const char *tol = kv_get(r, "tolerance");
  if (tol) {
    fputs("; allowed: ", f);
    report_html_esc(f, tol);
  }
  fputs(". ", f);
  hw_words(f, "Standard HW", &r->std);
  hw_words(f, "Optimized HW", &r->opt);
  char vf[64];
  pp_report_voltage_factor(r, vf, sizeof vf);
  if (isfinite(r->max_delay_orig_ps) && isfinite(r->max_delay_prop_ps))
    fprintf(f, "The max MAC delay went from %.0f to %.0f ps, %s %s V.", r->max_delay_orig_ps, r->max_delay_prop_ps,
            r->v_scaled < r->v_nominal ? "so the supply could drop to" : "and the supply stays at", vf);
  fputs("</p>\n", f);
}

int pp_report_write_html(const pp_report *r, const char *path, pp_err *e) {
  pp_outfile o;
  int rc = pp_outfile_open(&o, path, e);
  if (rc) return rc;
  FILE *f = o.f;
  char vf[64];
  pp_report_voltage_factor(r, vf, sizeof vf);
  fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>PowerPruning: ", f);
  report_html_esc(f, r->network);
  fputs(" / ", f);
  report_html_esc(f, r->dataset);
  fputs("</title>\n<style>\n"
        "body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}\n"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;padding:3px 8px;text-align:right}\n"
        "th{background:#eee}td.l,th.l{text-align:left}figure{margin:2em 0}figure img{max-width:100%;"
        "border:1px solid #ddd}figcaption{font-size:90%;color:#444;margin-top:.4em}\n"
        "p.warn{background:#fff3cd;border:1px solid #e0b000;padding:.5em .8em}p.summary{font-size:105%}\n"
        "</style>\n</head>\n<body>\n<h1>PowerPruning: ",
        f);
  report_html_esc(f, r->network);
  fputs(" on ", f);
  report_html_esc(f, r->dataset);
  fputs("</h1>\n", f);
  narrative(f, r);
  fputs("<p>Weights and activations restricted to values that are cheap in power and fast in the "
        "MAC unit, with retraining; power of the network on the systolic array on Standard HW (nothing "
        "gated) and Optimized HW (zero-weight MACs clock-gated, unused columns power-gated), with the supply "
        "voltage lowered by the delay saved. Machine-readable: <a href=\"summary.json\">summary.json</a>, "
        "<a href=\"table.csv\">table.csv</a>.</p>\n",
        f);
  if (r->headline[0]) {
    fputs("<p><strong>", f);
    report_html_esc(f, r->headline);
    fputs("</strong></p>\n", f);
  }
  if (r->decision_images > 0)
    fprintf(f,
            "<p>Every choice (sparsity, each accepted step, the delay candidates) was made on %d decision images "
            "held out of the training file; the accuracies of Table I are on the test images, which no choice "
            "read. Loss budget %.2f points of decision accuracy: pruning spent %.2f, the power phase %.2f, the "
            "delay phase %.2f, the final pruning phase %.2f; the steps below show decision accuracy.</p>\n",
            r->decision_images, r->budget_pts, r->spent_pruning, r->spent_power, r->spent_delay,
            isfinite(r->spent_sparsity) ? r->spent_sparsity : 0.0);

  fputs("<h2>Results (the columns of the paper's Table I)</h2>\n<table>\n<tr><th rowspan=2 class=l>Network-Dataset</th>"
        "<th colspan=2>Accuracy [%]</th><th colspan=3>Standard HW [mW]</th><th colspan=3>Optimized HW [mW]</th>"
        "<th colspan=2>#Selected</th><th>Max delay</th><th colspan=3>Voltage scaling</th></tr>\n"
        "<tr><th>Orig.</th><th>Prop.</th><th>Orig.</th><th>Prop.</th><th>Red.</th><th>Orig.</th><th>Prop.</th>"
        "<th>Red.</th><th>Wei.</th><th>Act.</th><th>Red. [ps]</th><th>Factor</th><th>V<sub>SHW</sub></th>"
        "<th>V<sub>OHW</sub></th></tr>\n<tr><td class=l>",
        f);
  report_html_esc(f, r->network);
  fputc('-', f);
  report_html_esc(f, r->dataset);
  fputs("</td>", f);
  report_td_num(f, "%.2f", r->acc_orig);
  report_td_num(f, "%.2f", r->acc_prop);
  report_td_num(f, "%.3f", r->std.orig_mw);
  report_td_num(f, "%.3f", r->std.prop_mw);
  report_td_num(f, "%.1f%%", pp_report_reduction_pct(r->std.orig_mw, r->std.prop_mw));
  report_td_num(f, "%.3f", r->opt.orig_mw);
  report_td_num(f, "%.3f", r->opt.prop_mw);
  report_td_num(f, "%.1f%%", pp_report_reduction_pct(r->opt.orig_mw, r->opt.prop_mw));
  fprintf(f, "<td>%d</td><td>%d</td>", r->n_weights, r->n_acts);
  report_td_num(f, "%.0f", r->max_delay_orig_ps - r->max_delay_prop_ps);
  fputs("<td>", f);
  report_html_esc(f, vf);
  fputs("</td>", f);
  report_td_num(f, "%.1f%%", pp_report_voltage_share_pct(&r->std));
  report_td_num(f, "%.1f%%", pp_report_voltage_share_pct(&r->opt));
  fputs("</tr>\n</table>\n", f);

  fputs("<h2>Against conventional pruning alone</h2>\n<table>\n<tr><th class=l>Network</th><th>Accuracy [%]</th>"
        "<th>Standard HW [mW]</th><th>Optimized HW [mW]</th></tr>\n<tr><td class=l>unpruned int8</td>",
        f);
  report_td_num(f, "%.2f", r->acc_orig);
  report_td_num(f, "%.3f", r->std.orig_mw);
  report_td_num(f, "%.3f", r->opt.orig_mw);
  fputs("</tr>\n<tr><td class=l>conventional magnitude pruning</td>", f);
  report_td_num(f, "%.2f", r->acc_pruned);
  report_td_num(f, "%.3f", r->std.pruned_mw);
  report_td_num(f, "%.3f", r->opt.pruned_mw);
  fputs("</tr>\n<tr><td class=l>PowerPruning, nominal voltage</td>", f);
  report_td_num(f, "%.2f", r->acc_prop);
  report_td_num(f, "%.3f", r->std.prop_nv_mw);
  report_td_num(f, "%.3f", r->opt.prop_nv_mw);
  fputs("</tr>\n<tr><td class=l>PowerPruning, voltage scaled</td>", f);
  report_td_num(f, "%.2f", r->acc_prop);
  report_td_num(f, "%.3f", r->std.prop_mw);
  report_td_num(f, "%.3f", r->opt.prop_mw);
  fputs("</tr>\n</table>\n", f);
  fprintf(f, "<p>Max MAC delay %.0f ps before selection, %.0f ps after; supply %s V.", r->max_delay_orig_ps,
          r->max_delay_prop_ps, vf);
  if (isfinite(r->sparsity)) fprintf(f, " Zero weights after conventional pruning: %.1f%%.", r->sparsity * 100);
  if (isfinite(r->sparsity_final) && isfinite(r->sparsity) && r->sparsity_final > r->sparsity + 1e-6)
    fprintf(f, " The final pruning phase spent the budget left on sparsity: %.1f%% zero weights in the proposed "
            "network.", r->sparsity_final * 100);
  fputs(" Allowed values: ", f);
  fputs("<a href=\"", f);
  report_url_esc(f, r->weights_file);
  fputs("\">weights</a>, <a href=\"", f);
  report_url_esc(f, r->acts_file);
  fputs("\">activations</a>.</p>\n", f);

  for (int i = 0; i < r->nfigs; i++) {
    fputs("<figure>\n<img src=\"", f);
    report_url_esc(f, r->figs[i].file);
    fputs("\" alt=\"", f);
    report_html_esc(f, r->figs[i].caption);
    fprintf(f, "\">\n<figcaption>Figure %d. ", i + 1);
    report_html_esc(f, r->figs[i].caption);
    report_fig_links(f, r->figs[i].file);
    fputs("</figcaption>\n</figure>\n", f);
  }

  report_pann_html(f, r);

  if (r->nsteps) {
    fputs("<h2>Retraining steps</h2>\n<table>\n<tr><th class=l>Phase</th><th>Threshold</th><th>Weights</th>"
          "<th>Activations</th><th>Max delay [ps]</th><th>Accuracy [%]</th><th class=l>Kept</th></tr>\n",
          f);
    for (int i = 0; i < r->nsteps; i++) {
      const pp_report_step *s = &r->steps[i];
      if (s->phase == 2)
        fprintf(f, "<tr><td class=l>sparsity</td><td>%.2f</td><td>%d</td><td>%d</td>", s->threshold, s->n_weights,
                s->n_acts);
      else
        fprintf(f, "<tr><td class=l>%s</td><td>%.1f %s</td><td>%d</td><td>%d</td>", pp_report_phase_name(s->phase),
                s->threshold, s->phase ? "ps" : "&micro;W", s->n_weights, s->n_acts);
      report_td_num(f, "%.0f", s->max_delay_ps);
      report_td_num(f, "%.2f", s->accuracy);
      fprintf(f, "<td class=l>%s</td></tr>\n", s->accepted ? "yes" : "no");
    }
    fputs("</table>\n", f);
  }

  report_layers_html(f, r);
  fputs("<h2>Inputs and options</h2>\n<table>\n", f);
  for (int i = 0; i < r->nkv; i++) {
    fputs("<tr><th class=l>", f);
    report_html_esc(f, r->kv[i].key);
    fputs("</th><td class=l>", f);
    report_html_esc(f, r->kv[i].value);
    fputs("</td></tr>\n", f);
  }
  fputs("</table>\n", f);
  if (isfinite(r->seconds)) fprintf(f, "<p>Run time %.0f s.</p>\n", r->seconds);
  if (r->n_stage_times) {
    fputs("<details><summary>Time per stage</summary>\n<table>\n<tr><th class=l>stage</th><th>seconds</th>"
          "<th class=l>this run</th></tr>\n", f);
    for (int i = 0; i < r->n_stage_times; i++) {
      fputs("<tr><td class=l>", f);
      report_html_esc(f, r->stage_times[i].name);
      fprintf(f, "</td><td>%.1f</td><td class=l>%s</td></tr>\n", r->stage_times[i].seconds,
              r->stage_times[i].ran ? "ran" : "done already (recorded time)");
    }
    fputs("</table>\n</details>\n", f);
  }
  fputs("</body>\n</html>\n", f);
  return pp_outfile_commit(&o, e);
}

int pp_report_write_all(const pp_report *r, const char *dir, pp_err *e) {
  int rc = pp_report_validate(r, e);
  if (rc) return rc;
  char p[4096];
  snprintf(p, sizeof p, "%s/summary.json", dir);
  if ((rc = pp_report_write_json(r, p, e))) return rc;
  snprintf(p, sizeof p, "%s/table.csv", dir);
  if ((rc = pp_report_write_csv(r, p, e))) return rc;
  if (r->pann.present) {
    snprintf(p, sizeof p, "%s/pann_compare.csv", dir);
    if ((rc = pp_report_write_pann_csv(r, p, e))) return rc;
  }
  snprintf(p, sizeof p, "%s/report.html", dir);
  return pp_report_write_html(r, p, e);
}

void pp_report_remove_all(const char *dir) {
  static const char *const names[] = {"summary.json", "report.html", "table.csv", "pann_compare.csv"};
  char p[4096];
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    snprintf(p, sizeof p, "%s/%s", dir, names[i]);
    remove(p);
  }
}

void pp_report_html_esc(FILE *f, const char *s) { report_html_esc(f, s); }
void pp_report_url_esc(FILE *f, const char *s) { report_url_esc(f, s); }
void pp_report_fig_links(FILE *f, const char *svg) { report_fig_links(f, svg); }

/* ---- reading summary.json back --------------------------------------------------- */
static void read_hw(const pp_jv *v, const char *name, pp_report_hw *h) {
  const pp_jv *o = pp_jv_get(v, name);
  h->orig_mw = pp_jv_num(o, "orig_mw", NAN);
  h->pruned_mw = pp_jv_num(o, "pruned_mw", NAN);
  h->prop_nv_mw = pp_jv_num(o, "prop_nominal_voltage_mw", NAN);
  h->prop_mw = pp_jv_num(o, "prop_mw", NAN);
}

/* An integer member of summary.json: a count outside int (or a fraction)
 * would be undefined behaviour when converted, so it is a parse error. A
 * missing member gives dflt. */
static int load_int(const pp_jv *v, const char *key, int dflt, int *out, const char *path, pp_err *e) {
  double x = pp_jv_num(v, key, dflt);
  if (!(x >= -1 && x <= 1e9) || x != floor(x))
    return pp_err_set(e, PP_EPARSE, path, 0, "\"%s\": expected an integer count, got %g", key, x);
  *out = (int)x;
  return PP_OK;
}

int pp_report_load(const char *path, pp_report *r, pp_err *e) {
  pp_jv v;
  int rc = pp_jv_load(path, &v, e);
  if (rc) return rc;
  pp_report_init(r);
  const char *fmt = pp_jv_str(&v, "format", "");
  if (strcmp(fmt, PP_REPORT_FORMAT)) {
    rc = pp_err_set(e, PP_EPARSE, path, 0, "format is \"%s\", expected \"%s\"", fmt, PP_REPORT_FORMAT);
    goto out;
  }
  report_copy(r->network, sizeof r->network, pp_jv_str(&v, "network", ""));
  report_copy(r->dataset, sizeof r->dataset, pp_jv_str(&v, "dataset", ""));
  r->acc_orig = pp_jv_num(&v, "accuracy_pct.orig", NAN);
  r->acc_pruned = pp_jv_num(&v, "accuracy_pct.pruned", NAN);
  r->acc_prop = pp_jv_num(&v, "accuracy_pct.prop", NAN);
  read_hw(&v, "standard_hw", &r->std);
  read_hw(&v, "optimized_hw", &r->opt);
  if ((rc = load_int(&v, "selected.weights", 0, &r->n_weights, path, e)) ||
      (rc = load_int(&v, "selected.activations", 0, &r->n_acts, path, e)))
    goto out;
  report_copy(r->weights_file, sizeof r->weights_file, pp_jv_str(&v, "selected.weights_file", ""));
  report_copy(r->acts_file, sizeof r->acts_file, pp_jv_str(&v, "selected.activations_file", ""));
  r->max_delay_orig_ps = pp_jv_num(&v, "delay_ps.orig", NAN);
  r->max_delay_prop_ps = pp_jv_num(&v, "delay_ps.prop", NAN);
  r->v_nominal = pp_jv_num(&v, "voltage.nominal_v", NAN);
  r->v_scaled = pp_jv_num(&v, "voltage.scaled_v", NAN);
  r->sparsity = pp_jv_num(&v, "sparsity", NAN);
  r->sparsity_final = pp_jv_num(&v, "sparsity_final", NAN);
  r->seconds = pp_jv_num(&v, "seconds", NAN);
  const pp_jv *sts = pp_jv_get(&v, "stage_seconds"); /* optional: older summaries have none */
  r->n_stage_times = 0;
  for (size_t i = 0; sts && sts->type == PP_JV_ARR && i < sts->n && i < PP_REPORT_MAX_STAGES; i++) {
    pp_report_stage_time *t = &r->stage_times[r->n_stage_times++];
    report_copy(t->name, sizeof t->name, pp_jv_str(&sts->items[i], "stage", ""));
    t->seconds = pp_jv_num(&sts->items[i], "seconds", NAN);
    const pp_jv *ran = pp_jv_get(&sts->items[i], "ran");
    t->ran = ran && ran->type == PP_JV_BOOL && ran->num != 0;
  }
  if ((rc = load_int(&v, "decision_images", 0, &r->decision_images, path, e))) goto out;
  r->budget_pts = pp_jv_num(&v, "budget_points.total", NAN);
  r->spent_pruning = pp_jv_num(&v, "budget_points.pruning", NAN);
  r->spent_power = pp_jv_num(&v, "budget_points.power_phase", NAN);
  r->spent_delay = pp_jv_num(&v, "budget_points.delay_phase", NAN);
  r->spent_sparsity = pp_jv_num(&v, "budget_points.sparsity_phase", NAN);
  if ((rc = load_int(&v, "accepted_steps", -1, &r->accepted_steps, path, e))) goto out;
  report_copy(r->headline, sizeof r->headline, pp_jv_str(&v, "headline", ""));
  const pp_jv *a = pp_jv_get(&v, "steps");
  for (size_t i = 0; a && a->type == PP_JV_ARR && i < a->n; i++) {
    const pp_jv *s = &a->items[i];
    pp_report_step st = {0};
    st.phase = pp_report_phase_of(pp_jv_str(s, "phase", "power"));
    if (st.phase < 0) {
      rc = pp_err_set(e, PP_EPARSE, path, 0, "steps[%zu]: phase \"%s\", expected power, delay or sparsity", i,
                      pp_jv_str(s, "phase", ""));
      goto out;
    }
    st.threshold = pp_jv_num(s, "threshold", NAN);
    if ((rc = load_int(s, "weights", 0, &st.n_weights, path, e)) || (rc = load_int(s, "activations", 0, &st.n_acts, path, e)))
      goto out;
    st.max_delay_ps = pp_jv_num(s, "max_delay_ps", NAN);
    st.accuracy = pp_jv_num(s, "accuracy_pct", NAN);
    const pp_jv *acc = pp_jv_get(s, "accepted");
    st.accepted = acc && acc->type == PP_JV_BOOL && acc->num != 0;
    if ((rc = pp_report_add_step(r, &st, e))) goto out;
  }
  a = pp_jv_get(&v, "figures");
  for (size_t i = 0; a && a->type == PP_JV_ARR && i < a->n; i++)
    if ((rc = pp_report_add_figure(r, pp_jv_str(&a->items[i], "file", ""),
                                   pp_jv_str(&a->items[i], "caption", ""), e)))
      goto out;
  if ((rc = report_layers_parse(pp_jv_get(&v, "layers"), r, path, e))) goto out;
  a = pp_jv_get(&v, "inputs");
  for (size_t i = 0; a && a->type == PP_JV_OBJ && i < a->n; i++)
    if (a->items[i].type == PP_JV_STR && (rc = pp_report_add_kv(r, a->keys[i], a->items[i].str, e))) goto out;
  if ((rc = pp_report_pann_parse(pp_jv_get(&v, "pann"), &r->pann, path, e))) goto out;
  rc = pp_report_validate(r, e);
  if (rc) {
    char msg[768];
    snprintf(msg, sizeof msg, "%s", e ? e->msg : "");
    if (e) {
      pp_err_clear(e);
      pp_err_set(e, PP_EPARSE, path, 0, "%s", msg);
    }
    rc = PP_EPARSE;
  }
out:
  pp_jv_free(&v);
  return rc;
}
