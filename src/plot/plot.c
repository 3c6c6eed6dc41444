/* plot/plot: figures through gnuplot. Data and script go to a private temporary
 * directory; gnuplot runs as a child process (fork/exec, no shell, so paths need
 * no shell quoting) with its output captured to a log, and writes the SVG, PNG
 * and PDF under temporary names that are renamed into place only on success,
 * together with the CSV of the plotted numbers (written from the same arrays
 * as gnuplot's data files, so the two cannot differ). */
#include "pp/plot.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct plot_job {
  char dir[4096];    /* private temporary directory */
  char script[4200]; /* dir/plot.gp */
  char log[4200];    /* dir/gnuplot.log */
  char svg[4200], png[4200], pdf[4200];          /* final names */
  char svg_tmp[4300], png_tmp[4300], pdf_tmp[4300]; /* what gnuplot writes */
  FILE *gp;                                      /* the script being written */
  pp_outfile csv;                                /* base.csv, committed with the figures */
  int ndata;
} plot_job;

/* Axis range being collected from the data. */
typedef struct plot_range {
  double lo, hi;
  int any;
} plot_range;

/* gnuplot single-quoted string: only ' needs escaping (as ''). */
static void put_quoted(FILE *f, const char *s) {
  fputc('\'', f);
  for (; s && *s; s++) {
    if (*s == '\'') fputc('\'', f);
    if (*s == '\n' || *s == '\r') {
      fputc(' ', f);
      continue;
    }
    fputc(*s, f);
  }
  fputc('\'', f);
}

/* A CSV field: quoted when it holds a separator or a quote. */
static void csv_field(FILE *f, const char *s) {
  if (!strpbrk(s, ",\"\n\r")) {
    fputs(s, f);
    return;
  }
  fputc('"', f);
  for (; *s; s++) {
    if (*s == '"') fputc('"', f);
    fputc(*s, f);
  }
  fputc('"', f);
}

static const char *series_name(const pp_plot_series *s) { return s->label && *s->label ? s->label : "data"; }

static void rm_tree(const char *dir) {
  /* Only files we created live here. */
  static const char *names[] = {"plot.gp", "gnuplot.log"};
  char p[4300];
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    snprintf(p, sizeof p, "%s/%s", dir, names[i]);
    remove(p);
  }
  for (int i = 0; i < 64; i++) {
    snprintf(p, sizeof p, "%s/d%d.dat", dir, i);
    remove(p);
  }
  rmdir(dir);
}

static void range_add(plot_range *r, double v, int logaxis) {
  if (!isfinite(v) || (logaxis && v <= 0)) return;
  if (!r->any || v < r->lo) r->lo = v;
  if (!r->any || v > r->hi) r->hi = v;
  r->any = 1;
}

/* "set Xrange [lo:hi]" with a margin of 6% of the span (a factor on a log axis),
 * so that no point sits on the frame. */
static void range_emit(FILE *f, const char *axis, plot_range r, int logaxis) {
  if (!r.any) return;
  double lo = r.lo, hi = r.hi;
  if (logaxis) {
    double k = hi > lo ? pow(hi / lo, 0.06) : 2.0;
    lo /= k, hi *= k;
  } else {
    double span = hi - lo;
    if (!(span > 0)) span = fabs(hi) > 0 ? fabs(hi) * 0.1 : 1.0;
    lo -= 0.06 * span, hi += 0.06 * span;
  }
  fprintf(f, "set %srange [%.10g:%.10g]\n", axis, lo, hi);
}

static void refs_range(const pp_plot_opts *o, plot_range *rx, plot_range *ry) {
  for (int i = 0; o && i < o->nref && i < 4; i++)
    range_add(o->ref[i].axis == 'x' ? rx : ry, o->ref[i].v, o->ref[i].axis == 'x' ? o->logx : o->logy);
}

static int job_begin(plot_job *j, const char *base, const pp_plot_opts *o, const char *csv_header, pp_err *e) {
  memset(j, 0, sizeof *j);
  if (!base || !*base) return pp_err_set(e, PP_EINVAL, NULL, 0, "plot: empty output name");
  if (strlen(base) > 4000) return pp_err_set(e, PP_EINVAL, base, 0, "plot: output name too long");
  /* gnuplot's single-quoted strings take any byte but a line break */
  if (strpbrk(base, "\n\r"))
    return pp_err_set(e, PP_EINVAL, base, 0, "plot: output name contains a line break (gnuplot cannot write it)");
  snprintf(j->svg, sizeof j->svg, "%s.svg", base);
  snprintf(j->png, sizeof j->png, "%s.png", base);
  snprintf(j->pdf, sizeof j->pdf, "%s.pdf", base);
  snprintf(j->svg_tmp, sizeof j->svg_tmp, "%s.tmp.%ld", j->svg, (long)getpid());
  snprintf(j->png_tmp, sizeof j->png_tmp, "%s.tmp.%ld", j->png, (long)getpid());
  snprintf(j->pdf_tmp, sizeof j->pdf_tmp, "%s.tmp.%ld", j->pdf, (long)getpid());
  const char *td = getenv("TMPDIR");
  if (!td || !*td || strlen(td) > 3000) td = "/tmp";
  snprintf(j->dir, sizeof j->dir, "%s/ppplot.XXXXXX", td);
  if (!mkdtemp(j->dir)) return pp_err_set(e, PP_EIO, j->dir, 0, "plot: cannot create temporary directory: %s", strerror(errno));
  snprintf(j->script, sizeof j->script, "%s/plot.gp", j->dir);
  snprintf(j->log, sizeof j->log, "%s/gnuplot.log", j->dir);
  j->gp = fopen(j->script, "w");
  if (!j->gp) {
    rm_tree(j->dir);
    return pp_err_set(e, PP_EIO, j->script, 0, "plot: cannot write script: %s", strerror(errno));
  }
  char csvp[4200];
  snprintf(csvp, sizeof csvp, "%s.csv", base);
  pp_err e2;
  pp_err_clear(&e2);
  if (pp_outfile_open(&j->csv, csvp, &e2)) {
    /* the same folder gnuplot writes into: let gnuplot's error name the problem */
    j->csv.f = NULL;
  } else fprintf(j->csv.f, "%s\n", csv_header);
  FILE *f = j->gp;
  int w = o && o->width > 0 ? o->width : 800, h = o && o->height > 0 ? o->height : 560;
  fprintf(f, "set encoding utf8\nset terminal svg size %d,%d noenhanced font 'sans,12' background '#ffffff'\n", w, h);
  fprintf(f, "set output ");
  put_quoted(f, j->svg_tmp);
  fprintf(f, "\nset termoption noenhanced\nset grid\n");
  if (o) {
    const char *what[] = {"title", "xlabel", "ylabel", "cblabel"};
    const char *text[] = {o->title, o->xlabel, o->ylabel, o->cblabel};
    for (int k = 0; k < 4; k++)
      if (text[k]) {
        fprintf(f, "set %s ", what[k]);
        put_quoted(f, text[k]);
        fputc('\n', f);
      }
  }
  if (o && o->logx) fprintf(f, "set logscale x\n");
  if (o && o->logy) fprintf(f, "set logscale y\n");
  /* above the plot, outside the data: a legend never hides a point */
  fprintf(f, "set key tmargin center horizontal box width 1\n");
  /* reference lines: dashed, labelled, in front of the data */
  for (int i = 0; o && i < o->nref && i < 4; i++) {
    const struct pp_plot_ref *r = &o->ref[i];
    if (!isfinite(r->v)) continue;
    if (r->axis == 'x')
      fprintf(f, "set arrow %d from first %.10g, graph 0 to first %.10g, graph 1 nohead dt 2 lw 2 lc rgb '#c00000' front\n",
              i + 1, r->v, r->v);
    else
      fprintf(f, "set arrow %d from graph 0, first %.10g to graph 1, first %.10g nohead dt 2 lw 2 lc rgb '#c00000' front\n",
              i + 1, r->v, r->v);
    if (r->label) {
      fprintf(f, "set label %d ", i + 1);
      put_quoted(f, r->label);
      if (r->axis == 'x') fprintf(f, " at first %.10g, graph 0.97 right offset -0.5,0 tc rgb '#c00000' front\n", r->v);
      else fprintf(f, " at graph 0.99, first %.10g right offset 0,0.6 tc rgb '#c00000' front\n", r->v);
    }
    if (j->csv.f) {
      char nm[300];
      snprintf(nm, sizeof nm, "line: %s", r->label ? r->label : "");
      csv_field(j->csv.f, nm);
      if (r->axis == 'x') fprintf(j->csv.f, ",%.10g,\n", r->v);
      else fprintf(j->csv.f, ",,%.10g\n", r->v);
    }
  }
  /* Remember the size so the PNG and PDF passes can reuse it. */
  fprintf(f, "PP_W=%d\nPP_H=%d\n", w, h);
  return PP_OK;
}

/* Opens the next data file dN.dat of the job for writing; fills path. */
static FILE *job_data(plot_job *j, char *path, size_t n, pp_err *e) {
  if (j->ndata >= 64) {
    pp_err_set(e, PP_EINVAL, NULL, 0, "plot: more than 64 series");
    return NULL;
  }
  snprintf(path, n, "%s/d%d.dat", j->dir, j->ndata++);
  FILE *f = fopen(path, "w");
  if (!f) pp_err_set(e, PP_EIO, path, 0, "plot: cannot write data: %s", strerror(errno));
  return f;
}

static void job_abort(plot_job *j) {
  if (j->gp) fclose(j->gp);
  j->gp = NULL;
  if (j->csv.f) pp_outfile_abort(&j->csv);
  j->csv.f = NULL;
  remove(j->svg_tmp);
  remove(j->png_tmp);
  remove(j->pdf_tmp);
  rm_tree(j->dir);
}

/* Runs gnuplot on the script; status 0 and the SVG and PNG present means success. */
static int run_gnuplot(plot_job *j, pp_err *e) {
  char *argv[] = {"gnuplot", j->script, NULL};
  pp_run_opts ro = {.log_path = j->log, .stderr_mode = PP_RUN_STDERR_MERGE};
  int code = 0;
  pp_err re;
  pp_err_clear(&re);
  if (pp_run(argv, &ro, &code, &re))
    return pp_err_set(e, PP_EIO, NULL, 0, "plot: %s (Debian package gnuplot-nox)", re.msg);
  struct stat sa, sb;
  int ok = code == 0 && stat(j->svg_tmp, &sa) == 0 && sa.st_size > 0 && stat(j->png_tmp, &sb) == 0 && sb.st_size > 0;
  if (ok) return PP_OK;
  /* First line of gnuplot's complaint that says something. */
  char line[512] = "", first[512] = "";
  FILE *lf = fopen(j->log, "r");
  if (lf) {
    while (fgets(line, sizeof line, lf)) {
      line[strcspn(line, "\n")] = 0;
      if (strstr(line, "rror") || strstr(line, "arning")) {
        snprintf(first, sizeof first, "%s", line);
        break;
      }
      if (!first[0] && line[0] && strspn(line, " ^") != strlen(line)) snprintf(first, sizeof first, "%s", line);
    }
    fclose(lf);
  }
  return pp_err_set(e, PP_EIO, j->svg, 0, "plot: gnuplot failed (exit %d)%s%s", code, first[0] ? ": " : "", first);
}

/* Finishes the script with the PNG and PDF passes ("plot" is in plotcmd),
 * runs gnuplot, renames the results into place. */
static int job_finish(plot_job *j, const char *plotcmd, pp_err *e) {
  FILE *f = j->gp;
  fprintf(f, "%s\nunset output\n", plotcmd);
  /* print resolution: three times the SVG's pixels, fonts, lines and points scaled with it */
  fprintf(f,
          "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
          "  set terminal pngcairo size 3*PP_W,3*PP_H noenhanced font 'sans,10' fontscale 3 linewidth 3 "
          "pointscale 3 background '#ffffff'\n"
          "} else {\n"
          "  set terminal png size 3*PP_W,3*PP_H noenhanced background '#ffffff'\n"
          "}\n");
  fprintf(f, "set output ");
  put_quoted(f, j->png_tmp);
  fprintf(f, "\n%s\nunset output\n", plotcmd);
  fprintf(f, "if (strstrt(GPVAL_TERMINALS, 'pdfcairo') > 0) {\n"
             "  set terminal pdfcairo size (PP_W/160.0)*1in,(PP_H/160.0)*1in noenhanced font 'sans,9'\n  set output ");
  put_quoted(f, j->pdf_tmp);
  fprintf(f, "\n  %s\n  unset output\n}\n", plotcmd);
  int bad = ferror(f);
  if (fclose(f) != 0) bad = 1;
  j->gp = NULL;
  if (bad) {
    job_abort(j);
    return pp_err_set(e, PP_EIO, j->script, 0, "plot: cannot write script");
  }
  int rc = run_gnuplot(j, e);
  if (rc == PP_OK && !j->csv.f)
    rc = pp_err_set(e, PP_EIO, j->svg, 0, "plot: cannot write the figure's data file beside it");
  if (rc == PP_OK) {
    struct stat sb;
    int have_pdf = stat(j->pdf_tmp, &sb) == 0 && sb.st_size > 0;
    if (rename(j->svg_tmp, j->svg) != 0 || rename(j->png_tmp, j->png) != 0 ||
        (have_pdf && rename(j->pdf_tmp, j->pdf) != 0))
      rc = pp_err_set(e, PP_EIO, j->svg, 0, "plot: cannot rename into place: %s", strerror(errno));
    else if (!have_pdf)
      remove(j->pdf); /* no stale PDF of an earlier run beside the new figure */
  }
  if (rc == PP_OK) {
    rc = pp_outfile_commit(&j->csv, e);
    j->csv.f = NULL;
  }
  job_abort(j); /* removes leftovers and the temporary directory */
  return rc;
}

/* Finishes the job with its plot command when everything before went well (rc 0), else removes
 * what it wrote; frees cmd either way. */
static int job_end(plot_job *j, char *cmd, int rc, pp_err *e) {
  if (rc) job_abort(j);
  else rc = job_finish(j, cmd, e);
  free(cmd);
  return rc;
}

int pp_plot_available(void) {
  static int cached = -1;
  if (cached >= 0) return cached;
  char *argv[] = {"gnuplot", "-e", "set terminal svg", NULL};
  pp_run_opts q = {.quiet = 1};
  cached = pp_run(argv, &q, NULL, NULL) == PP_OK;
  return cached;
}

static const char *style_name(int style) {
  switch (style) {
    case PP_PLOT_POINTS: return "points pt 7 ps 0.9";
    case PP_PLOT_LINESPOINTS: return "linespoints pt 7 ps 0.9 lw 1.5";
    case PP_PLOT_OPEN_POINTS: return "points pt 6 ps 1.4 lw 1.5";
    case PP_PLOT_BOXES: return "boxes fs solid 0.75 noborder";
    default: return "lines lw 1.5";
  }
}

static int check_series(const pp_plot_series *s, size_t ns, int need_x, pp_err *e) {
  if (!s || ns == 0) return pp_err_set(e, PP_EINVAL, NULL, 0, "plot: no series given (expected at least one)");
  if (ns > 64) return pp_err_set(e, PP_EINVAL, NULL, 0, "plot: %zu series, at most 64 supported", ns);
  for (size_t i = 0; i < ns; i++) {
    if (s[i].n == 0 || !s[i].y || (need_x && !s[i].x))
      return pp_err_set(e, PP_EINVAL, NULL, 0, "plot: series %zu (%s) is empty (expected n >= 1 with data)", i,
                        s[i].label ? s[i].label : "unnamed");
    for (size_t k = 0; k < s[i].n; k++)
      if (!isfinite(s[i].y[k]) || (need_x && !isfinite(s[i].x[k])))
        return pp_err_set(e, PP_EINVAL, NULL, 0, "plot: series %zu point %zu is not a finite number", i, k);
  }
  return PP_OK;
}

/* Writes series s as data file, CSV rows and a clause of the plot command. */
static int add_series(plot_job *j, const pp_plot_series *s, int style, char *cmd, size_t cap, size_t *len, pp_err *e) {
  char path[4300];
  FILE *d = job_data(j, path, sizeof path, e);
  if (!d) return e ? e->status : PP_EIO;
  for (size_t k = 0; k < s->n; k++) {
    fprintf(d, "%.17g %.17g\n", s->x[k], s->y[k]);
    if (j->csv.f) {
      csv_field(j->csv.f, series_name(s));
      fprintf(j->csv.f, ",%.10g,%.10g\n", s->x[k], s->y[k]);
    }
  }
  if (fclose(d) != 0) return pp_err_set(e, PP_EIO, path, 0, "plot: cannot write data");
  int i = j->ndata - 1;
  /* Titles are passed as gnuplot variables so no quoting reaches the plot line. */
  fprintf(j->gp, "T%d=", i);
  put_quoted(j->gp, s->label ? s->label : "");
  fprintf(j->gp, "\nF%d=", i);
  put_quoted(j->gp, path);
  fputc('\n', j->gp);
  char lc[64] = "";
  if (s->color && strlen(s->color) == 7 && s->color[0] == '#' && strspn(s->color + 1, "0123456789abcdefABCDEF") == 6)
    snprintf(lc, sizeof lc, " lc rgb '%s'", s->color);
  *len += (size_t)snprintf(cmd + *len, cap - *len, "%s F%d using 1:2 with %s%s %s", *len > 4 ? "," : "", i,
                           style_name(style), lc, s->label && *s->label ? "title T" : "notitle");
  if (s->label && *s->label) *len += (size_t)snprintf(cmd + *len, cap - *len, "%d", i);
  return PP_OK;
}

/* Shared body of xy and accuracy-vs-power plots. */
static int plot_series(const char *base, const pp_plot_opts *o, const pp_plot_series *s, size_t ns, int force_style,
                       pp_err *e) {
  int rc = check_series(s, ns, 1, e);
  if (rc) return rc;
  plot_job j;
  if ((rc = job_begin(&j, base, o, "series,x,y", e))) return rc;
  plot_range rx = {0}, ry = {0};
  refs_range(o, &rx, &ry);
  /* check_series above refused an empty list and a series without x */
  for (size_t i = 0; i < ns; i++)
    for (size_t k = 0; k < s[i].n; k++) { // NOLINT(clang-analyzer-core.NullDereference)
      range_add(&rx, s[i].x[k], o && o->logx);
      range_add(&ry, s[i].y[k], o && o->logy);
    }
  range_emit(j.gp, "x", rx, o && o->logx);
  range_emit(j.gp, "y", ry, o && o->logy);
  fprintf(j.gp, "set boxwidth 0.8 absolute\n");
  size_t cap = 64 + ns * 4400, len = 0;
  char *cmd = malloc(cap);
  if (!cmd) {
    job_abort(&j);
    return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  }
  len = (size_t)snprintf(cmd, cap, "plot");
  for (size_t i = 0; i < ns && rc == PP_OK; i++)
    rc = add_series(&j, &s[i], force_style >= 0 ? force_style : s[i].style, cmd, cap, &len, e);
  return job_end(&j, cmd, rc, e);
}

int pp_plot_xy(const char *base, const pp_plot_opts *o, const pp_plot_series *s, size_t ns, pp_err *e) {
  return plot_series(base, o, s, ns, -1, e);
}

int pp_plot_accuracy_power(const char *base, const pp_plot_opts *o, const pp_plot_series *s, size_t ns,
                           pp_err *e) {
  pp_plot_opts oo = o ? *o : (pp_plot_opts){0};
  if (!oo.xlabel) oo.xlabel = "power";
  if (!oo.ylabel) oo.ylabel = "accuracy";
  /* each series keeps its style when it has one (e.g. rejected steps as open points) */
  pp_plot_series ss[64];
  size_t n = ns > 64 ? 64 : ns;
  for (size_t i = 0; s && i < n; i++) {
    ss[i] = s[i];
    if (ss[i].style == PP_PLOT_LINES) ss[i].style = PP_PLOT_LINESPOINTS;
  }
  return plot_series(base, &oo, s ? ss : NULL, ns > 64 ? ns : n, -1, e);
}

int pp_plot_bars_marked(const char *base, const pp_plot_opts *o, int x0, const double *y, const unsigned char *mark,
                        size_t n, const char *mark_label, const char *rest_label, const pp_plot_series *extra,
                        size_t nextra, pp_err *e) {
  if (!y || n == 0) return pp_err_set(e, PP_EINVAL, NULL, 0, "plot: no bars given (expected n >= 1)");
  for (size_t k = 0; k < n; k++)
    if (!isfinite(y[k])) return pp_err_set(e, PP_EINVAL, NULL, 0, "plot: bar %zu is not a finite number", k);
  int rc;
  if (nextra && (rc = check_series(extra, nextra, 1, e))) return rc;
  if (nextra > 60) return pp_err_set(e, PP_EINVAL, NULL, 0, "plot: too many series over the bars");
  /* the bars as two series (highlighted, the rest), then the extra ones */
  double *xs = malloc(2 * n * sizeof *xs), *ys = malloc(2 * n * sizeof *ys);
  if (!xs || !ys) {
    free(xs);
    free(ys);
    return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  }
  size_t nm = 0, nr = 0;
  for (size_t k = 0; k < n; k++) {
    if (o && o->logy && !(y[k] > 0)) continue; /* no bar on a log axis: not plotted, so not in the CSV */
    int m = mark && mark[k];
    size_t at = m ? nm++ : n + nr++;
    xs[at] = (double)x0 + (double)k;
    ys[at] = y[k];
  }
  pp_plot_series s[64];
  size_t ns = 0;
  if (nr) s[ns++] = (pp_plot_series){mark ? rest_label : NULL, xs + n, ys + n, nr, PP_PLOT_BOXES,
                                     mark ? "#b8b8b8" : "#1f5fa8"};
  if (nm) s[ns++] = (pp_plot_series){mark_label, xs, ys, nm, PP_PLOT_BOXES, "#1f5fa8"};
  for (size_t i = 0; i < nextra; i++) s[ns++] = extra[i];
  if (!ns) {
    free(xs);
    free(ys);
    return pp_err_set(e, PP_EINVAL, NULL, 0, "plot: no bar above 0 for a log axis");
  }
  plot_job j;
  if ((rc = job_begin(&j, base, o, "series,x,y", e))) {
    free(xs);
    free(ys);
    return rc;
  }
  plot_range rx = {0}, ry = {0};
  refs_range(o, &rx, &ry);
  for (size_t i = 0; i < ns; i++)
    for (size_t k = 0; k < s[i].n; k++) range_add(&ry, s[i].y[k], o && o->logy);
  fprintf(j.gp, "set xrange [%ld:%ld]\nset boxwidth 0.8 absolute\n", (long)x0 - 1, (long)x0 + (long)n);
  range_emit(j.gp, "y", ry, o && o->logy);
  size_t cap = 64 + ns * 4400, len = 0;
  char *cmd = malloc(cap);
  rc = cmd ? PP_OK : pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  if (cmd) len = (size_t)snprintf(cmd, cap, "plot");
  for (size_t i = 0; i < ns && rc == PP_OK; i++) rc = add_series(&j, &s[i], s[i].style, cmd, cap, &len, e);
  free(xs);
  free(ys);
  return job_end(&j, cmd, rc, e);
}

int pp_plot_bars(const char *base, const pp_plot_opts *o, int x0, const double *y, size_t n, pp_err *e) {
  return pp_plot_bars_marked(base, o, x0, y, NULL, n, NULL, NULL, NULL, 0, e);
}

int pp_plot_hist(const char *base, const pp_plot_opts *o, const pp_plot_series *s, size_t ns, int nbins,
                 pp_err *e) {
  int rc = check_series(s, ns, 0, e);
  if (rc) return rc;
  if (nbins < 0 || nbins > 100000)
    return pp_err_set(e, PP_EINVAL, NULL, 0, "plot: %d histogram bins (expected 0..100000)", nbins);
  double lo = s[0].y[0], hi = lo;
  for (size_t i = 0; i < ns; i++)
    for (size_t k = 0; k < s[i].n; k++) {
      if (s[i].y[k] < lo) lo = s[i].y[k];
      if (s[i].y[k] > hi) hi = s[i].y[k];
    }
  double w;
  if (nbins == 0) {
    /* one bin per integer value, centred on it */
    lo = floor(lo) - 0.5, hi = floor(hi) + 0.5;
    if (hi - lo > 100000) return pp_err_set(e, PP_EINVAL, NULL, 0, "plot: %g unit bins (at most 100000)", hi - lo);
    nbins = (int)(hi - lo + 0.5);
    w = 1;
  } else {
    if (hi <= lo) hi = lo + 1; /* one value: one bin of width 1 */
    w = (hi - lo) / nbins;
  }
  plot_job j;
  if ((rc = job_begin(&j, base, o, "series,bin_lo,bin_hi,count", e))) return rc;
  long long *cnt = calloc((size_t)nbins, sizeof *cnt);
  size_t cap = 64 + ns * 4400;
  char *cmd = malloc(cap);
  if (!cnt || !cmd) {
    free(cnt);
    free(cmd);
    job_abort(&j);
    return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  }
  size_t len = (size_t)snprintf(cmd, cap, "plot");
  long long cmax = 1;
  for (size_t i = 0; i < ns && rc == PP_OK; i++) {
    memset(cnt, 0, (size_t)nbins * sizeof *cnt);
    for (size_t k = 0; k < s[i].n; k++) {
      long b = (long)((s[i].y[k] - lo) / w);
      if (b >= nbins) b = nbins - 1; /* the maximum falls into the last bin */
      if (b < 0) b = 0;
      cnt[b]++;
    }
    char path[4300];
    FILE *d = job_data(&j, path, sizeof path, e);
    if (!d) {
      rc = e ? e->status : PP_EIO;
      break;
    }
    /* every non-empty bin as a box: centre, count, width */
    for (int b = 0; b < nbins; b++) {
      if (!cnt[b]) continue;
      if (cnt[b] > cmax) cmax = cnt[b];
      fprintf(d, "%.17g %lld %.17g\n", lo + (b + 0.5) * w, cnt[b], w);
      if (j.csv.f) {
        csv_field(j.csv.f, series_name(&s[i]));
        fprintf(j.csv.f, ",%.10g,%.10g,%lld\n", lo + b * w, lo + (b + 1) * w, cnt[b]);
      }
    }
    if (fclose(d) != 0) rc = pp_err_set(e, PP_EIO, path, 0, "plot: cannot write data");
    fprintf(j.gp, "T%zu=", i);
    put_quoted(j.gp, s[i].label ? s[i].label : "");
    fprintf(j.gp, "\nF%zu=", i);
    put_quoted(j.gp, path);
    fputc('\n', j.gp);
    len += (size_t)snprintf(cmd + len, cap - len, "%s F%zu using 1:2:3 with boxes fs transparent solid 0.45 border title T%zu",
                            i ? "," : "", i, i);
  }
  free(cnt);
  if (rc) {
    free(cmd);
    job_abort(&j);
    return rc;
  }
  plot_range rx = {lo, hi, 1}, ry = {0};
  refs_range(o, &rx, &ry);
  range_emit(j.gp, "x", rx, o && o->logx);
  /* counts start at 0 (linear) or below 1 (log), so that a bin of one sample shows */
  if (o && o->logy) fprintf(j.gp, "set yrange [0.5:%.10g]\n", (double)cmax * 2.0);
  else fprintf(j.gp, "set yrange [0:%.10g]\n", (double)cmax * 1.08);
  if (!(o && o->ylabel)) fprintf(j.gp, "set ylabel 'count'\n");
  rc = job_finish(&j, cmd, e);
  free(cmd);
  return rc;
}

int pp_plot_heatmap(const char *base, const pp_plot_opts *o, const double *m, size_t rows, size_t cols, double x0,
                    double dx, double y0, double dy, pp_err *e) {
  if (!m || rows == 0 || cols == 0)
    return pp_err_set(e, PP_EINVAL, NULL, 0, "plot: empty heat map (expected rows, cols >= 1)");
  if (!isfinite(x0) || !isfinite(y0) || !(dx > 0) || !(dy > 0) || !isfinite(dx) || !isfinite(dy))
    return pp_err_set(e, PP_EINVAL, NULL, 0, "plot: heat map cell size must be positive and finite");
  int logc = o && o->logc;
  int any_pos = 0;
  for (size_t i = 0; i < rows * cols; i++) {
    if (!isfinite(m[i])) return pp_err_set(e, PP_EINVAL, NULL, 0, "plot: heat map cell %zu is not finite", i);
    if (m[i] > 0) any_pos = 1;
  }
  if (logc && !any_pos) logc = 0; /* nothing positive: a log scale has no range */
  plot_job j;
  int rc = job_begin(&j, base, o, "x,y,value", e);
  if (rc) return rc;
  char path[4300];
  FILE *d = job_data(&j, path, sizeof path, e);
  if (!d) {
    job_abort(&j);
    return e ? e->status : PP_EIO;
  }
  /* x y value triples, one blank line between rows: "with image" needs no
   * matrix quirks and undefined (NaN) cells are simply not painted. */
  for (size_t r = 0; r < rows; r++) {
    for (size_t c = 0; c < cols; c++) {
      double v = m[r * cols + c];
      double x = x0 + (double)c * dx, y = y0 + (double)r * dy;
      if (logc && v <= 0)
        fprintf(d, "%.17g %.17g NaN\n", x, y);
      else
        fprintf(d, "%.17g %.17g %.17g\n", x, y, v);
      if (j.csv.f) fprintf(j.csv.f, "%.10g,%.10g,%.10g\n", x, y, v);
    }
    fputc('\n', d);
  }
  if (fclose(d) != 0) {
    job_abort(&j);
    return pp_err_set(e, PP_EIO, path, 0, "plot: cannot write data");
  }
  fprintf(j.gp, "F0=");
  put_quoted(j.gp, path);
  fprintf(j.gp, "\nunset key\nunset grid\nset view map\nset palette rgb 34,35,36\n");
  if (logc) fprintf(j.gp, "set logscale cb\nset format cb '%%.0e'\n");
  fprintf(j.gp, "set xrange [%.17g:%.17g]\nset yrange [%.17g:%.17g]\n", x0 - dx / 2, x0 + ((double)cols - 0.5) * dx,
          y0 - dy / 2, y0 + ((double)rows - 0.5) * dy);
  fprintf(j.gp, "set object 1 rectangle from graph 0,0 to graph 1,1 behind fc rgb '#000000' fs solid\n");
  rc = job_finish(&j, "plot F0 using 1:2:3 with image notitle", e);
  return rc;
}
