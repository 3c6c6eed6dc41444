/* cli/cmd_compare: `powerprune compare DIR1 DIR2 ...`, runs side by side:
 * each folder's Table I row (read with the report module's summary.json
 * parser, written with its CSV row code), the options that differ between
 * the runs (from their run.json) and a power-accuracy plot of all of them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "opt.h"
#include "pp/plot.h"
#include "pp/report.h"

#define PP_COMPARE_FORMAT "powerprune-compare/1"
#define MAX_KEYS 256

static const char *USAGE =
    "usage: powerprune compare DIR1 DIR2 ... [-o OUT] [--json]\n"
    "\n"
    "Puts runs side by side. Reads each run folder's summary.json (and its run.json,\n"
    "when there is one) and writes OUT/compare.csv (one Table I row per run, then one\n"
    "column per option that differs between the runs: option_<name>, empty for\n"
    "the default the flow works out itself), OUT/compare.html and the plot\n"
    "OUT/compare_accuracy_power.svg (test accuracy against Optimized-HW power,\n"
    "with its .csv, .png and .pdf beside it; gnuplot draws it).\n"
    "\n";

/* One run folder: its report and its run file's options (NULL: no run.json). */
typedef struct {
  const char *dir;
  pp_report r;
  pp_jv run;
  const pp_jv *options;
} cmp_run;

/* The run's value of option key as text ("" for null), or NULL when it has no
 * such option (or no run.json). */
static const char *opt_text(const cmp_run *c, const char *key, char *buf, size_t n) {
  const pp_jv *v = c->options ? pp_jv_get(c->options, key) : NULL;
  if (!v) return NULL;
  if (pp_opt_jv_text(v, buf, n)) snprintf(buf, n, "?");
  return buf;
}

/* Reads DIR/summary.json and, when present, DIR/run.json. */
static int load_run(cmp_run *c, const char *dir, pp_err *e) {
  char p[4200];
  struct stat sb;
  c->dir = dir;
  snprintf(p, sizeof p, "%s/summary.json", dir);
  int rc = pp_report_load(p, &c->r, e);
  if (rc) return rc;
  snprintf(p, sizeof p, "%s/run.json", dir);
  if (stat(p, &sb) != 0) return PP_OK; /* a run made before run files existed */
  if ((rc = pp_jv_load(p, &c->run, e))) return rc;
  pp_jv_ctx ctx = {p, e};
  const char *fmt = NULL;
  if ((rc = pp_jv_want_str(&ctx, &c->run, "", "format", 0, &fmt))) return rc;
  if (strcmp(fmt, PP_CLI_RUN_FORMAT))
    return pp_jv_fail(&ctx, pp_jv_get(&c->run, "format"), "format", "is \"%s\", expected \"%s\"", fmt,
                      PP_CLI_RUN_FORMAT);
  return pp_jv_want(&ctx, &c->run, "", "options", 0, PP_JV_OBJ, &c->options);
}

/* The options whose values are not the same in every run, in the order the
 * first run file that has them lists them; "out" is left out: the dir column
 * says where each run is. */
static size_t differing(const cmp_run *runs, size_t n, const char **keys) {
  size_t nk = 0;
  for (size_t i = 0; i < n; i++)
    for (size_t m = 0; runs[i].options && m < runs[i].options->n; m++) {
      const char *k = runs[i].options->keys[m];
      size_t q = 0;
      while (q < nk && strcmp(keys[q], k)) q++;
      if (q < nk || !strcmp(k, "out") || nk == MAX_KEYS) continue;
      char a[1024], b[1024];
      const char *t0 = opt_text(&runs[0], k, a, sizeof a);
      int differs = 0;
      for (size_t r = 1; r < n && !differs; r++) {
        const char *t = opt_text(&runs[r], k, b, sizeof b);
        differs = !t0 != !t || (t0 && strcmp(t0, t));
      }
      if (differs) keys[nk++] = k;
    }
  return nk;
}

static int write_csv(const char *path, const cmp_run *runs, size_t n, const char **keys, size_t nk, pp_err *e) {
  pp_outfile o;
  int rc = pp_outfile_open(&o, path, e);
  if (rc) return rc;
  fprintf(o.f, "dir,%s", pp_report_csv_header());
  for (size_t k = 0; k < nk; k++) fprintf(o.f, ",option_%s", keys[k]);
  fputc('\n', o.f);
  for (size_t i = 0; i < n; i++) {
    pp_report_csv_str(o.f, runs[i].dir);
    fputc(',', o.f);
    pp_report_csv_row(o.f, &runs[i].r);
    for (size_t k = 0; k < nk; k++) {
      char buf[1024];
      const char *t = opt_text(&runs[i], keys[k], buf, sizeof buf);
      fputc(',', o.f);
      pp_report_csv_str(o.f, t ? t : "");
    }
    fputc('\n', o.f);
  }
  return pp_outfile_commit(&o, e);
}

static void td_num(FILE *f, const char *fmt, double v) {
  fputs("<td>", f);
  if (isfinite(v)) fprintf(f, fmt, v);
  else fputs("&ndash;", f);
  fputs("</td>", f);
}

static int write_html(const char *path, const cmp_run *runs, size_t n, const char **keys, size_t nk,
                      const char *figure, pp_err *e) {
  pp_outfile o;
  int rc = pp_outfile_open(&o, path, e);
  if (rc) return rc;
  FILE *f = o.f;
  fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<title>PowerPruning: runs compared</title>\n<style>\n"
        "body{font-family:sans-serif;max-width:80em;margin:2em auto;padding:0 1em}\n"
        "table{border-collapse:collapse}td,th{border:1px solid #999;padding:.2em .5em;text-align:right}\n"
        "th{background:#eee}td:first-child{text-align:left}\nimg{max-width:100%}\n"
        "</style>\n</head>\n<body>\n<h1>Runs compared</h1>\n",
        f);
  fprintf(f, "<p>%zu runs; the numbers are those of each run's summary.json, as in its Table I "
             "(<a href=\"compare.csv\">compare.csv</a>). Power in mW, delays in ps; accuracy in percent "
             "on the test set.</p>\n",
          n);
  fputs("<table>\n<tr><th>run</th><th>network</th><th>data set</th><th>accuracy orig.</th>"
        "<th>accuracy prop.</th><th>Standard HW orig. mW</th><th>Standard HW prop. mW</th>"
        "<th>Optimized HW orig. mW</th><th>Optimized HW prop. mW</th><th>weights</th><th>activations</th>"
        "<th>max delay orig. ps</th><th>max delay prop. ps</th><th>voltage</th>",
        f);
  for (size_t k = 0; k < nk; k++) {
    fputs("<th>--", f);
    pp_report_html_esc(f, keys[k]);
    fputs("</th>", f);
  }
  fputs("</tr>\n", f);
  for (size_t i = 0; i < n; i++) {
    const pp_report *r = &runs[i].r;
    char vf[64], buf[1024];
    pp_report_voltage_factor(r, vf, sizeof vf);
    fputs("<tr><td><a href=\"", f);
    pp_report_url_esc(f, runs[i].dir);
    fputs("/report.html\">", f);
    pp_report_html_esc(f, runs[i].dir);
    fputs("</a></td><td>", f);
    pp_report_html_esc(f, r->network);
    fputs("</td><td>", f);
    pp_report_html_esc(f, r->dataset);
    fputs("</td>", f);
    td_num(f, "%.2f", r->acc_orig);
    td_num(f, "%.2f", r->acc_prop);
    td_num(f, "%.4f", r->std.orig_mw);
    td_num(f, "%.4f", r->std.prop_mw);
    td_num(f, "%.4f", r->opt.orig_mw);
    td_num(f, "%.4f", r->opt.prop_mw);
    fprintf(f, "<td>%d</td><td>%d</td>", r->n_weights, r->n_acts);
    td_num(f, "%.0f", r->max_delay_orig_ps);
    td_num(f, "%.0f", r->max_delay_prop_ps);
    fputs("<td>", f);
    pp_report_html_esc(f, vf);
    fputs(" V</td>", f);
    for (size_t k = 0; k < nk; k++) {
      const char *t = opt_text(&runs[i], keys[k], buf, sizeof buf);
      fputs("<td>", f);
      if (!t) fputs("(no run.json)", f);
      else if (!*t) fputs("default", f);
      else pp_report_html_esc(f, t);
      fputs("</td>", f);
    }
    fputs("</tr>\n", f);
  }
  fputs("</table>\n", f);
  if (!nk) fputs("<p>The runs' options do not differ (or no run has a run.json).</p>\n", f);
  if (figure) {
    fputs("<figure><img src=\"", f);
    pp_report_url_esc(f, figure);
    fputs("\" alt=\"accuracy against power\"><figcaption>Test accuracy of each run's proposed network against "
          "its Optimized-HW power with voltage scaling (filled), and of its unpruned int8 network at nominal "
          "voltage (open).",
          f);
    pp_report_fig_links(f, figure);
    fputs("</figcaption></figure>\n", f);
  } else {
    fputs("<p><strong>No figure:</strong> gnuplot is not installed.</p>\n", f);
  }
  fputs("</body>\n</html>\n", f);
  return pp_outfile_commit(&o, e);
}

/* One series per run, the run's folder its legend entry (filled: the proposed
 * network), and the unpruned int8 networks as one series of open circles. */
static int plot(const char *base, const cmp_run *runs, size_t n, pp_err *e) {
  pp_plot_series *s = calloc(n + 1, sizeof *s);
  double *xy = calloc(4 * n, sizeof *xy);
  int rc = PP_ENOMEM;
  if (!s || !xy) goto out;
  for (size_t i = 0; i < n; i++) {
    xy[i] = runs[i].r.opt.prop_mw;
    xy[n + i] = runs[i].r.acc_prop;
    xy[2 * n + i] = runs[i].r.opt.orig_mw;
    xy[3 * n + i] = runs[i].r.acc_orig;
    s[i] = (pp_plot_series){.label = runs[i].dir, .x = &xy[i], .y = &xy[n + i], .n = 1, .style = PP_PLOT_POINTS};
  }
  s[n] = (pp_plot_series){
      .label = "unpruned int8", .x = &xy[2 * n], .y = &xy[3 * n], .n = n, .style = PP_PLOT_OPEN_POINTS};
  pp_plot_opts po = {.xlabel = "Optimized HW power (mW)", .ylabel = "test accuracy (%)"};
  rc = pp_plot_xy(base, &po, s, n + 1, e);
out:
  if (rc == PP_ENOMEM) pp_err_set(e, PP_ENOMEM, base, 0, "out of memory");
  free(s);
  free(xy);
  return rc;
}

static void print_json(const char *out, const cmp_run *runs, size_t n, const char **keys, size_t nk,
                       const char *figure) {
  char p[4400];
  pp_json j;
  pp_json_init(&j, stdout, 0);
  pp_json_obj_begin(&j);
  pp_json_key_str(&j, "format", PP_COMPARE_FORMAT);
  pp_json_key_str(&j, "dir", out);
  pp_json_key_obj_begin(&j, "files");
  snprintf(p, sizeof p, "%s/compare.csv", out);
  pp_json_key_str(&j, "table", p);
  snprintf(p, sizeof p, "%s/compare.html", out);
  pp_json_key_str(&j, "report", p);
  pp_json_key(&j, "figure");
  if (figure) {
    snprintf(p, sizeof p, "%s/%s", out, figure);
    pp_json_str(&j, p);
  } else pp_json_null(&j);
  pp_json_obj_end(&j);
  /* option name -> its value in each run, in run order (null: the default; absent run.json: null too) */
  pp_json_key_obj_begin(&j, "differing_options");
  for (size_t k = 0; k < nk; k++) {
    pp_json_key(&j, keys[k]);
    pp_json_arr_begin(&j);
    for (size_t i = 0; i < n; i++) {
      char buf[1024];
      const char *t = opt_text(&runs[i], keys[k], buf, sizeof buf);
      if (t && *t) pp_json_str(&j, t);
      else pp_json_null(&j);
    }
    pp_json_arr_end(&j);
  }
  pp_json_obj_end(&j);
  pp_json_key_arr_begin(&j, "runs");
  for (size_t i = 0; i < n; i++) pp_report_summary_json(&j, &runs[i].r, runs[i].dir);
  pp_json_arr_end(&j);
  pp_json_obj_end(&j);
  pp_json_end(&j);
}

int pp_cmd_compare(int argc, char **argv) {
  const char *out = "powerprune-compare";
  int json = 0, npos = 0;
  pp_opt opts[] = {
      PP_OPT_PATH("out", &out, "OUT", "output folder", .short_name = 'o'),
      PP_OPT_FLAG("json", &json,
                  "print the result as one JSON object on stdout (\"format\": \"" PP_COMPARE_FORMAT "\",\n"
                  "the files, differing_options and each run's Table I row as run --json prints it)"),
      PP_OPT_GROUP("example: powerprune compare run-a run-b -o a-vs-b && xdg-open a-vs-b/compare.html"),
      PP_OPT_END(),
  };
  int rc = pp_opt_parse("compare", USAGE, opts, argc, argv, &npos);
  if (rc) return rc == PP_OPT_HELP ? PP_EXIT_OK : rc;
  if (npos < 1) return pp_cli_usage("compare", "missing the run folders");
  size_t n = (size_t)npos;
  cmp_run *runs = calloc(n, sizeof *runs);
  if (!runs) {
    fprintf(stderr, "powerprune compare: out of memory\n");
    return PP_EXIT_INTERNAL;
  }
  pp_err e;
  pp_err_clear(&e);
  static const char *keys[MAX_KEYS];
  size_t nk = 0;
  const char *figure = NULL;
  char p[4200];
  for (size_t i = 0; i < n; i++)
    if (load_run(&runs[i], argv[1 + i], &e)) goto fail;
  nk = differing(runs, n, keys);
  if (pp_mkdirs(out, &e)) goto fail;
  snprintf(p, sizeof p, "%s/compare.csv", out);
  if (write_csv(p, runs, n, keys, nk, &e)) goto fail;
  if (pp_plot_available()) {
    snprintf(p, sizeof p, "%s/compare_accuracy_power", out);
    if (plot(p, runs, n, &e)) goto fail;
    figure = "compare_accuracy_power.svg";
  } else {
    fprintf(stderr, "powerprune compare: warning: gnuplot is not installed: no figure\n");
  }
  snprintf(p, sizeof p, "%s/compare.html", out);
  if (write_html(p, runs, n, keys, nk, figure, &e)) goto fail;
  if (json) print_json(out, runs, n, keys, nk, figure);
  else fprintf(stderr, "powerprune compare: %zu runs, %zu differing options: wrote %s/compare.csv and %s/compare.html\n",
               n, nk, out, out);
  for (size_t i = 0; i < n; i++) pp_jv_free(&runs[i].run);
  free(runs);
  return PP_EXIT_OK;
fail:
  rc = pp_cli_fail("compare", &e);
  for (size_t i = 0; i < n; i++) pp_jv_free(&runs[i].run);
  free(runs);
  return rc;
}
