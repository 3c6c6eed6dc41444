/* report/pann: PowerPruning beside PANN and plain low-bit quantization, as
 * part of a run's report: the "pann" section of summary.json, a table and a
 * figure in report.html, and pann_compare.csv. The power axis here is module
 * pann's bit-flip models on sequential accumulation, a scale of its own: the
 * HTML says so, so that nobody sets it against Table I's mW. */
#include <math.h>
#include <string.h>

#include "pp/plot.h"
#include "report_internal.h"

int pp_report_pann_add(pp_report_pann *s, const pp_report_pann_point *p, pp_err *e) {
  if (s->npts >= PP_REPORT_MAX_PANN) return pp_err_set(e, PP_EINVAL, "", 0, "too many PANN comparison points");
  s->pts[s->npts++] = *p;
  s->present = 1;
  return PP_OK;
}

const pp_report_pann_point *pp_report_pann_find(const pp_report_pann *s, const char *method) {
  for (int i = 0; i < s->npts; i++)
    if (!strcmp(s->pts[i].method, method)) return &s->pts[i];
  return NULL;
}

static const char *method_name(const char *m) {
  if (!strcmp(m, "uniform")) return "plain b-bit";
  if (!strcmp(m, "pann")) return "PANN";
  if (!strcmp(m, "pann-qat")) return "PANN, fine-tuned (QAT)";
  if (!strcmp(m, "int8")) return "int8, unpruned (this run)";
  if (!strcmp(m, "pruned")) return "conventional pruning (this run)";
  if (!strcmp(m, "powerpruning")) return "PowerPruning (this run)";
  return m;
}

int report_pann_validate(const pp_report *r, pp_err *e) {
  const pp_report_pann *s = &r->pann;
  if (!s->present) return PP_OK;
  if (s->npts < 1) return pp_err_set(e, PP_EINVAL, "", 0, "report: the PANN comparison has no points");
  if (s->test_images < 0 || s->energy_images < 0)
    return pp_err_set(e, PP_EINVAL, "", 0, "report: the PANN comparison's image counts must be >= 0");
  for (int i = 0; i < s->npts; i++) {
    const pp_report_pann_point *p = &s->pts[i];
    if (!p->method[0]) return pp_err_set(e, PP_EINVAL, "", 0, "report: PANN point %d has no method", i);
    if (!isfinite(p->acc) || p->acc < 0 || p->acc > 100)
      return pp_err_set(e, PP_EINVAL, "", 0, "report: PANN point %d (%s) accuracy %g, expected a percentage", i,
                        p->method, p->acc);
    if (!isfinite(p->power_fj) || p->power_fj < 0)
      return pp_err_set(e, PP_EINVAL, "", 0, "report: PANN point %d (%s) energy %g, expected finite fJ >= 0", i,
                        p->method, p->power_fj);
    if (p->budget_bits < 0 || p->budget_bits > 8 || p->w_bits < 0 || p->w_bits > 8 || p->a_bits < 0 || p->a_bits > 8)
      return pp_err_set(e, PP_EINVAL, "", 0, "report: PANN point %d (%s) widths out of 0..8", i, p->method);
  }
  return PP_OK;
}

/* ---- summary.json ------------------------------------------------------------ */
static void jint_or_null(pp_json *j, const char *k, int v) {
  pp_json_key(j, k);
  if (v > 0) pp_json_int(j, v);
  else pp_json_null(j);
}

void pp_report_pann_json(pp_json *j, const pp_report_pann *s) {
  if (!s->present) {
    pp_json_null(j);
    return;
  }
  pp_json_obj_begin(j);
  pp_json_key_str(j, "format", PP_REPORT_PANN_FORMAT);
  pp_json_key(j, "power_axis");
  pp_json_str(j, "fJ per MAC (= uW per MAC unit at 1 GHz): bit-flip models of module pann fitted to the gate-level "
                 "simulator, sequential accumulation; not the mW scale of Table I (module estimate, array)");
  pp_json_key_str(j, "models", s->models);
  pp_json_key_str(j, "accumulation", s->accum);
  report_jnum(j, "float_acc_pct", s->float_acc);
  pp_json_key_int(j, "test_images", s->test_images);
  pp_json_key_int(j, "energy_images", s->energy_images);
  pp_json_key_str(j, "figure", s->figure);
  pp_json_key_arr_begin(j, "points");
  for (int i = 0; i < s->npts; i++) {
    const pp_report_pann_point *p = &s->pts[i];
    pp_json_obj_begin(j);
    pp_json_key_str(j, "method", p->method);
    jint_or_null(j, "budget_bits", p->budget_bits);
    jint_or_null(j, "w_bits", p->w_bits);
    jint_or_null(j, "a_bits", p->a_bits);
    report_jnum(j, "R", p->R);
    report_jnum(j, "budget_fj_per_mac", p->budget_fj); /* the column name of pann_compare.csv */
    report_jnum(j, "energy_fj_per_mac", p->power_fj);
    report_jnum(j, "accuracy_pct", p->acc);
    pp_json_obj_end(j);
  }
  pp_json_arr_end(j);
  pp_json_obj_end(j);
}

/* A width or count: null (not a fixed width) reads as 0, nonsense as -1 (validation rejects it). */
static int jv_count(const pp_jv *q, const char *key) {
  double v = pp_jv_num(q, key, 0);
  if (isnan(v)) return 0;
  return v >= 0 && v <= 1e9 ? (int)v : -1;
}

int pp_report_pann_parse(const pp_jv *s, pp_report_pann *d, const char *name, pp_err *e) {
  memset(d, 0, sizeof *d);
  if (!s || s->type == PP_JV_NULL) return PP_OK; /* a run without the comparison */
  const char *fmt = pp_jv_str(s, "format", "");
  if (s->type != PP_JV_OBJ || strcmp(fmt, PP_REPORT_PANN_FORMAT))
    return pp_err_set(e, PP_EPARSE, name, 0, "pann section: format is \"%s\", expected \"%s\"", fmt,
                      PP_REPORT_PANN_FORMAT);
  report_copy(d->models, sizeof d->models, pp_jv_str(s, "models", ""));
  report_copy(d->accum, sizeof d->accum, pp_jv_str(s, "accumulation", ""));
  report_copy(d->figure, sizeof d->figure, pp_jv_str(s, "figure", ""));
  d->float_acc = pp_jv_num(s, "float_acc_pct", NAN);
  d->test_images = jv_count(s, "test_images");
  d->energy_images = jv_count(s, "energy_images");
  const pp_jv *a = pp_jv_get(s, "points");
  if (!a || a->type != PP_JV_ARR)
    return pp_err_set(e, PP_EPARSE, name, 0, "pann section: \"points\" is missing or not an array");
  for (size_t i = 0; i < a->n; i++) {
    const pp_jv *q = &a->items[i];
    pp_report_pann_point p;
    memset(&p, 0, sizeof p);
    report_copy(p.method, sizeof p.method, pp_jv_str(q, "method", ""));
    p.budget_bits = jv_count(q, "budget_bits");
    p.w_bits = jv_count(q, "w_bits");
    p.a_bits = jv_count(q, "a_bits");
    p.R = pp_jv_num(q, "R", NAN);
    /* "budget_fj": summary.json files written before the names followed pann_compare.csv */
    p.budget_fj = pp_jv_num(q, "budget_fj_per_mac", pp_jv_num(q, "budget_fj", NAN));
    p.power_fj = pp_jv_num(q, "energy_fj_per_mac", NAN);
    p.acc = pp_jv_num(q, "accuracy_pct", NAN);
    int rc = pp_report_pann_add(d, &p, e);
    if (rc) return rc;
  }
  d->present = 1;
  return PP_OK;
}

/* ---- pann_compare.csv ------------------------------------------------------------ */
static void csv_num(FILE *f, const char *fmt, double v) {
  fputc(',', f);
  if (isfinite(v)) fprintf(f, fmt, v);
}

static void csv_int(FILE *f, int v) {
  fputc(',', f);
  if (v > 0) fprintf(f, "%d", v);
}

int pp_report_write_pann_csv(const pp_report *r, const char *path, pp_err *e) {
  if (!r->pann.present) return pp_err_set(e, PP_EINVAL, path, 0, "the report has no PANN comparison");
  pp_outfile o;
  int rc = pp_outfile_open(&o, path, e);
  if (rc) return rc;
  FILE *f = o.f;
  fputs("method,budget_bits,w_bits,a_bits,R,budget_fj_per_mac,energy_fj_per_mac,accuracy_pct\n", f);
  for (int i = 0; i < r->pann.npts; i++) {
    const pp_report_pann_point *p = &r->pann.pts[i];
    report_csv_str(f, p->method);
    csv_int(f, p->budget_bits);
    csv_int(f, p->w_bits);
    csv_int(f, p->a_bits);
    csv_num(f, "%.6g", p->R);
    csv_num(f, "%.4f", p->budget_fj);
    csv_num(f, "%.4f", p->power_fj);
    csv_num(f, "%.2f", p->acc);
    fputc('\n', f);
  }
  return pp_outfile_commit(&o, e);
}

/* ---- the plot ------------------------------------------------------------------------ */
int pp_report_plot_pann(pp_report *r, const char *dir, pp_err *e) {
  if (!r->pann.present) return pp_err_set(e, PP_EINVAL, dir, 0, "the report has no PANN comparison");
  static const char *methods[] = {"uniform", "pann", "pann-qat", "int8", "pruned", "powerpruning"};
  int bmin = 8, bmax = 2;
  for (int i = 0; i < r->pann.npts; i++)
    if (!strcmp(r->pann.pts[i].method, "uniform")) {
      int b = r->pann.pts[i].budget_bits;
      bmin = b < bmin ? b : bmin;
      bmax = b > bmax ? b : bmax;
    }
  char l0[64], l1[64];
  snprintf(l0, sizeof l0, "plain b-bit (b = %d..%d)", bmin, bmax);
  snprintf(l1, sizeof l1, "PANN at the power of each b-bit MAC");
  const char *labels[] = {l0, l1, "PANN fine-tuned (QAT) at those budgets", "int8, unpruned (this run)",
                          "conventional pruning (this run)", "PowerPruning (this run)"};
  enum { NM = sizeof methods / sizeof methods[0] };
  double xs[NM][PP_REPORT_MAX_PANN], ys[NM][PP_REPORT_MAX_PANN];
  pp_plot_series s[NM];
  size_t ns = 0;
  for (int k = 0; k < NM; k++) {
    size_t n = 0;
    for (int i = 0; i < r->pann.npts; i++) {
      const pp_report_pann_point *p = &r->pann.pts[i];
      if (strcmp(p->method, methods[k]) || !(p->power_fj > 0)) continue; /* log axis: only positive energies */
      xs[k][n] = p->power_fj;
      ys[k][n++] = p->acc;
    }
    if (!n) continue;
    /* the sweeps as lines, ordered by energy; the run's networks as single labelled points */
    for (size_t a = 1; a < n; a++)
      for (size_t b = a; b > 0 && xs[k][b - 1] > xs[k][b]; b--) {
        double t = xs[k][b];
        xs[k][b] = xs[k][b - 1], xs[k][b - 1] = t;
        t = ys[k][b], ys[k][b] = ys[k][b - 1], ys[k][b - 1] = t;
      }
    s[ns++] = (pp_plot_series){labels[k], xs[k], ys[k], n, k < 3 ? PP_PLOT_LINESPOINTS : PP_PLOT_POINTS, NULL};
  }
  if (!ns) return pp_err_set(e, PP_EINVAL, dir, 0, "the PANN comparison has no point with a positive energy");
  pp_plot_opts po;
  memset(&po, 0, sizeof po);
  po.xlabel = "energy per MAC [fJ], bit-flip models, sequential accumulation (not Table I's scale)";
  po.ylabel = "test accuracy [%]";
  po.logx = 1;
  po.key_below = 1; /* the curves reach both top corners */
  po.height = 640;
  char base[4200];
  snprintf(base, sizeof base, "%s/pann_accuracy_power", dir);
  int rc = pp_plot_accuracy_power(base, &po, s, ns, e);
  if (rc) return rc;
  report_copy(r->pann.figure, sizeof r->pann.figure, "pann_accuracy_power.svg");
  return PP_OK;
}

/* ---- report.html ---------------------------------------------------------------------- */
void report_pann_html(FILE *f, const pp_report *r) {
  const pp_report_pann *s = &r->pann;
  if (!s->present) return;
  fputs("<h2>PowerPruning beside PANN and plain low-bit quantization</h2>\n", f);
  fputs("<p><b>What the power axis is.</b> Energy per MAC operation in fJ (equal to &micro;W per MAC unit at a "
        "1&nbsp;GHz clock) under the closed-form bit-flip power models of module pann: multiplier and accumulator "
        "energy as functions of the bits that flip at their inputs, fitted by least squares to the energies our "
        "gate-level timed simulator reports (",
        f);
  report_html_esc(f, s->models);
  fputs("). Every network's own integer products go through these models in a <i>sequential</i> dataflow: one "
        "accumulator per output, its dot product accumulated term by term (accumulation: ",
        f);
  report_html_esc(f, s->accum[0] ? s->accum : "?");
  fputs("). Dynamic energy only: no leakage, no gating, no voltage scaling (so PowerPruning's delay savings do "
        "not show on this axis). <i>Budget</i> is the energy of a b-bit MAC on uniformly random operands, the "
        "power PANN is given; <i>Energy</i> is measured on the network's own products.</p>\n",
        f);
  fputs("<p><b>Do not compare these numbers with Table I.</b> The mW of Table I come from module estimate: the "
        "power P[w] of the whole MAC netlist per weight value (simulated on transitions sampled from the trace of "
        "the network on the weight-stationary systolic array), weighted by how often each weight value works on "
        "the array, with leakage, gating and voltage scaling. The dataflow, what is counted and the models all "
        "differ; compare methods within one scale only.</p>\n",
        f);
  fprintf(f,
          "<p>Plain b-bit: weights and inputs of every layer quantized to b bits after training, at the power of "
          "a b-bit MAC. PANN: multiplication-free, each product as |w| additions, with the number of additions per "
          "input R chosen so that the network spends the power of a b-bit MAC (the activation width chosen on "
          "validation images). Both start from this run's float model (");
  if (isfinite(s->float_acc)) fprintf(f, "%.2f%%", s->float_acc);
  else fputs("&ndash;", f);
  fprintf(f,
          ") with no retraining.");
  if (pp_report_pann_find(s, "pann-qat"))
    fputs(" PANN, fine-tuned (QAT): the same float model fine-tuned at the budget with the quantizer in the "
          "forward pass (straight-through), the activation width chosen by short fine-tuning probes on "
          "validation images and the energy held at the budget during training, as <code>powerprune pann qat"
          "</code> does.",
          f);
  fprintf(f,
          " The run's own networks (unpruned int8, conventional pruning, PowerPruning) run on "
          "module nn's int8 integer path, placed at the test accuracy the flow measured. Accuracy on %d test "
          "images; energy from the products of %d of them. Table: <a href=\"pann_compare.csv\">pann_compare.csv</a>."
          "</p>\n",
          s->test_images, s->energy_images);
  fputs("<table>\n<tr><th class=l>Method</th><th>Budget (b-bit MAC)</th><th>Weight bits</th><th>Act. bits</th>"
        "<th>R</th><th>Budget [fJ/MAC]</th><th>Energy [fJ/MAC]</th><th>Accuracy [%]</th></tr>\n",
        f);
  for (int i = 0; i < s->npts; i++) {
    const pp_report_pann_point *p = &s->pts[i];
    fputs("<tr><td class=l>", f);
    report_html_esc(f, method_name(p->method));
    fputs("</td>", f);
    report_td_num(f, "%.0f", p->budget_bits > 0 ? (double)p->budget_bits : (double)NAN);
    report_td_num(f, "%.0f", p->w_bits > 0 ? (double)p->w_bits : (double)NAN);
    report_td_num(f, "%.0f", p->a_bits > 0 ? (double)p->a_bits : (double)NAN);
    report_td_num(f, "%.3f", p->R);
    report_td_num(f, "%.2f", p->budget_fj);
    report_td_num(f, "%.2f", p->power_fj);
    report_td_num(f, "%.2f", p->acc);
    fputs("</tr>\n", f);
  }
  fputs("</table>\n", f);
  if (s->figure[0]) {
    fputs("<figure>\n<img src=\"", f);
    report_url_esc(f, s->figure);
    fputs("\" alt=\"accuracy against energy per MAC\">\n<figcaption>Accuracy against energy per MAC on the bit-flip "
          "models (sequential accumulation, log scale): plain b-bit quantization and PANN at each b-bit budget as "
          "curves, this run's networks as labelled points. Not the power scale of Table I.",
          f);
    report_fig_links(f, s->figure);
    fputs("</figcaption>\n</figure>\n", f);
  }
}
