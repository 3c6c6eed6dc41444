/* plot/plot: figures through gnuplot. Data and script go to a private temporary
 * directory; gnuplot runs as a child process (fork/exec, no shell, so paths need
 * no shell quoting) with its output captured to a log, and writes the SVG and
 * PNG under temporary names that are renamed into place only on success. */
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
  char svg[4200], png[4200];         /* final names */
  char svg_tmp[4300], png_tmp[4300]; /* what gnuplot writes */
  FILE *gp;                          /* the script being written */
  int ndata;
} plot_job;

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

static int job_begin(plot_job *j, const char *base, const pp_plot_opts *o, pp_err *e) {
  memset(j, 0, sizeof *j);
  if (!base || !*base) return pp_err_set(e, PP_EINVAL, NULL, 0, "plot: empty output name");
  if (strlen(base) > 4000) return pp_err_set(e, PP_EINVAL, base, 0, "plot: output name too long");
  /* gnuplot's single-quoted strings take any byte but a line break */
  if (strpbrk(base, "\n\r"))
    return pp_err_set(e, PP_EINVAL, base, 0, "plot: output name contains a line break (gnuplot cannot write it)");
  snprintf(j->svg, sizeof j->svg, "%s.svg", base);
  snprintf(j->png, sizeof j->png, "%s.png", base);
  snprintf(j->svg_tmp, sizeof j->svg_tmp, "%s.tmp.%ld", j->svg, (long)getpid());
  snprintf(j->png_tmp, sizeof j->png_tmp, "%s.tmp.%ld", j->png, (long)getpid());
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
  FILE *f = j->gp;
  int w = o && o->width > 0 ? o->width : 800, h = o && o->height > 0 ? o->height : 560;
  fprintf(f, "set encoding utf8\nset terminal svg size %d,%d noenhanced font 'sans,12' background '#ffffff'\n", w, h);
  fprintf(f, "set output ");
  put_quoted(f, j->svg_tmp);
  fprintf(f, "\nset termoption noenhanced\nset grid\n");
  if (o && o->title) {
    fprintf(f, "set title ");
    put_quoted(f, o->title);
    fputc('\n', f);
  }
  if (o && o->xlabel) {
    fprintf(f, "set xlabel ");
    put_quoted(f, o->xlabel);
    fputc('\n', f);
  }
  if (o && o->ylabel) {
    fprintf(f, "set ylabel ");
    put_quoted(f, o->ylabel);
    fputc('\n', f);
  }
  if (o && o->cblabel) {
    fprintf(f, "set cblabel ");
    put_quoted(f, o->cblabel);
    fputc('\n', f);
  }
  if (o && o->logx) fprintf(f, "set logscale x\n");
  if (o && o->logy) fprintf(f, "set logscale y\n");
  if (o && o->key_below) fprintf(f, "set key below\n");
  else fprintf(f, "set key %s top box opaque\n", o && o->key_left ? "left" : "right");
  /* Remember the size so the PNG pass can reuse it. */
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
  remove(j->svg_tmp);
  remove(j->png_tmp);
  rm_tree(j->dir);
}

/* Runs gnuplot on the script; status 0 and both files present means success. */
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

/* Finishes the script with the PNG pass ("plot" is in plotcmd), runs gnuplot,
 * renames the results into place. */
static int job_finish(plot_job *j, const char *plotcmd, pp_err *e) {
  FILE *f = j->gp;
  fprintf(f, "%s\nunset output\n", plotcmd);
  fprintf(f,
          "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
          "  set terminal pngcairo size PP_W,PP_H noenhanced font 'sans,10' background '#ffffff'\n"
          "} else {\n"
          "  set terminal png size PP_W,PP_H noenhanced background '#ffffff'\n"
          "}\n");
  fprintf(f, "set output ");
  put_quoted(f, j->png_tmp);
  fprintf(f, "\n%s\nunset output\n", plotcmd);
  int bad = ferror(f);
  if (fclose(f) != 0) bad = 1;
  j->gp = NULL;
  if (bad) {
    job_abort(j);
    return pp_err_set(e, PP_EIO, j->script, 0, "plot: cannot write script");
  }
  int rc = run_gnuplot(j, e);
  if (rc == PP_OK) {
    if (rename(j->svg_tmp, j->svg) != 0 || rename(j->png_tmp, j->png) != 0)
      rc = pp_err_set(e, PP_EIO, j->svg, 0, "plot: cannot rename into place: %s", strerror(errno));
  }
  job_abort(j); /* removes leftovers and the temporary directory */
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
    case PP_PLOT_POINTS: return "points pt 7 ps 0.6";
    case PP_PLOT_LINESPOINTS: return "linespoints pt 7 ps 0.8 lw 1.5";
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

/* Shared body of xy and accuracy-vs-power plots. */
static int plot_series(const char *base, const pp_plot_opts *o, const pp_plot_series *s, size_t ns, int force_style,
                       pp_err *e) {
  int rc = check_series(s, ns, 1, e);
  if (rc) return rc;
  plot_job j;
  if ((rc = job_begin(&j, base, o, e))) return rc;
  size_t cap = 64 + ns * 4400;
  char *cmd = malloc(cap);
  if (!cmd) {
    job_abort(&j);
    return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  }
  size_t len = (size_t)snprintf(cmd, cap, "plot");
  for (size_t i = 0; i < ns; i++) {
    char path[4300];
    FILE *d = job_data(&j, path, sizeof path, e);
    if (!d) {
      free(cmd);
      job_abort(&j);
      return e ? e->status : PP_EIO;
    }
    for (size_t k = 0; k < s[i].n; k++) fprintf(d, "%.17g %.17g\n", s[i].x[k], s[i].y[k]);
    if (fclose(d) != 0) {
      free(cmd);
      job_abort(&j);
      return pp_err_set(e, PP_EIO, path, 0, "plot: cannot write data");
    }
    /* Titles are passed as gnuplot variables so no quoting reaches the plot line. */
    fprintf(j.gp, "T%zu=", i);
    put_quoted(j.gp, s[i].label ? s[i].label : "");
    fprintf(j.gp, "\nF%zu=", i);
    put_quoted(j.gp, path);
    fputc('\n', j.gp);
    len += (size_t)snprintf(cmd + len, cap - len, "%s F%zu using 1:2 with %s title T%zu", i ? "," : "", i,
                            style_name(force_style >= 0 ? force_style : s[i].style), i);
  }
  rc = job_finish(&j, cmd, e);
  free(cmd);
  return rc;
}

int pp_plot_xy(const char *base, const pp_plot_opts *o, const pp_plot_series *s, size_t ns, pp_err *e) {
  return plot_series(base, o, s, ns, -1, e);
}

int pp_plot_accuracy_power(const char *base, const pp_plot_opts *o, const pp_plot_series *s, size_t ns,
                           pp_err *e) {
  pp_plot_opts oo = o ? *o : (pp_plot_opts){0};
  if (!oo.xlabel) oo.xlabel = "power";
  if (!oo.ylabel) oo.ylabel = "accuracy";
  return plot_series(base, &oo, s, ns, PP_PLOT_LINESPOINTS, e);
}

int pp_plot_bars(const char *base, const pp_plot_opts *o, int x0, const double *y, size_t n, pp_err *e) {
  if (!y || n == 0) return pp_err_set(e, PP_EINVAL, NULL, 0, "plot: no bars given (expected n >= 1)");
  for (size_t k = 0; k < n; k++)
    if (!isfinite(y[k])) return pp_err_set(e, PP_EINVAL, NULL, 0, "plot: bar %zu is not a finite number", k);
  plot_job j;
  int rc = job_begin(&j, base, o, e);
  if (rc) return rc;
  char path[4300];
  FILE *d = job_data(&j, path, sizeof path, e);
  if (!d) {
    job_abort(&j);
    return e ? e->status : PP_EIO;
  }
  for (size_t k = 0; k < n; k++) fprintf(d, "%ld %.17g\n", (long)x0 + (long)k, y[k]);
  if (fclose(d) != 0) {
    job_abort(&j);
    return pp_err_set(e, PP_EIO, path, 0, "plot: cannot write data");
  }
  fprintf(j.gp, "F0=");
  put_quoted(j.gp, path);
  fprintf(j.gp, "\nset xrange [%ld:%ld]\nunset key\n", (long)x0 - 1, (long)x0 + (long)n);
  rc = job_finish(&j, "plot F0 using 1:2 with impulses lw 2 lc rgb '#1f5fa8' notitle", e);
  return rc;
}

int pp_plot_hist(const char *base, const pp_plot_opts *o, const pp_plot_series *s, size_t ns, int nbins,
                 pp_err *e) {
  int rc = check_series(s, ns, 0, e);
  if (rc) return rc;
  if (nbins < 1 || nbins > 100000)
    return pp_err_set(e, PP_EINVAL, NULL, 0, "plot: %d histogram bins (expected 1..100000)", nbins);
  double lo = s[0].y[0], hi = lo;
  for (size_t i = 0; i < ns; i++)
    for (size_t k = 0; k < s[i].n; k++) {
      if (s[i].y[k] < lo) lo = s[i].y[k];
      if (s[i].y[k] > hi) hi = s[i].y[k];
    }
  if (hi <= lo) hi = lo + 1; /* one value: one bin of width 1 */
  double w = (hi - lo) / nbins;
  plot_job j;
  if ((rc = job_begin(&j, base, o, e))) return rc;
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
    /* Step outline: each bin's left edge and count, closed at the right. */
    for (int b = 0; b < nbins; b++) fprintf(d, "%.17g %lld\n", lo + b * w, cnt[b]);
    fprintf(d, "%.17g %lld\n", hi, cnt[nbins - 1]);
    if (fclose(d) != 0) rc = pp_err_set(e, PP_EIO, path, 0, "plot: cannot write data");
    fprintf(j.gp, "T%zu=", i);
    put_quoted(j.gp, s[i].label ? s[i].label : "");
    fprintf(j.gp, "\nF%zu=", i);
    put_quoted(j.gp, path);
    fputc('\n', j.gp);
    len += (size_t)snprintf(cmd + len, cap - len, "%s F%zu using 1:2 with steps lw 1.5 title T%zu", i ? "," : "", i, i);
  }
  free(cnt);
  if (rc) {
    free(cmd);
    job_abort(&j);
    return rc;
  }
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
  int rc = job_begin(&j, base, o, e);
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
