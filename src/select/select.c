/* select: value sets, power-threshold selection, the objective and the
 * allowed-values files (delay selection is in delay.c; see select.h). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pp/select.h"

void pp_select_sets_all(pp_select_sets *s, int w_min, int n_w, int n_a) {
  memset(s, 0, sizeof *s);
  s->w_min = w_min;
  s->n_w = n_w;
  s->n_a = n_a;
  memset(s->w_keep, 1, (size_t)n_w);
  memset(s->a_keep, 1, (size_t)n_a);
}

int pp_select_count_w(const pp_select_sets *s) {
  int n = 0;
  for (int i = 0; i < s->n_w; i++) n += s->w_keep[i] != 0;
  return n;
}

int pp_select_count_a(const pp_select_sets *s) {
  int n = 0;
  for (int i = 0; i < s->n_a; i++) n += s->a_keep[i] != 0;
  return n;
}

static void keep_zero(pp_select_sets *s) {
  if (s->w_min <= 0 && s->w_min + s->n_w > 0) s->w_keep[-s->w_min] = 1;
}

void pp_select_power_threshold(const pp_char_power *p, double threshold_uw, pp_select_sets *s) {
  pp_select_sets_all(s, p->w_min, p->n_w, PP_CHAR_MAX_A);
  for (int i = 0; i < p->n_w; i++) s->w_keep[i] = pp_char_power_total(p, p->w_min + i) < threshold_uw;
  keep_zero(s);
}

static const pp_char_power *g_sort_p; /* qsort has no context argument */
static int cmp_cheap(const void *x, const void *y) {
  int a = *(const int *)x, b = *(const int *)y;
  if (a == 0 || b == 0) return a == 0 ? (b == 0 ? 0 : -1) : 1;
  double pa = g_sort_p->dyn_uw[a - g_sort_p->w_min], pb = g_sort_p->dyn_uw[b - g_sort_p->w_min];
  if (pa != pb) return pa < pb ? -1 : 1;
  if (abs(a) != abs(b)) return abs(a) < abs(b) ? -1 : 1;
  return a < b ? -1 : a > b;
}

void pp_select_power_keep(const pp_char_power *p, int n, pp_select_sets *s) {
  pp_select_sets_all(s, p->w_min, p->n_w, PP_CHAR_MAX_A);
  if (n < 1) n = 1;
  if (n > p->n_w) n = p->n_w;
  int order[PP_CHAR_MAX_W] = {0};
  for (int i = 0; i < p->n_w; i++) order[i] = p->w_min + i;
  g_sort_p = p;
  qsort(order, (size_t)p->n_w, sizeof order[0], cmp_cheap);
  memset(s->w_keep, 0, (size_t)p->n_w);
  for (int i = 0; i < n; i++) s->w_keep[order[i] - p->w_min] = 1;
  keep_zero(s);
}

unsigned pp_select_max_delay(const pp_char_delay *d, const pp_select_sets *s) {
  unsigned m = 0;
  int na = d->n_a;
  for (int wi = 0; wi < d->n_w; wi++) {
    int w = d->w_min + wi;
    if (w < s->w_min || w >= s->w_min + s->n_w || !s->w_keep[w - s->w_min]) continue;
    const uint16_t *t = d->d + (size_t)wi * na * na;
    for (int a = 0; a < na; a++) {
      if (!s->a_keep[a]) continue;
      for (int b = 0; b < na; b++)
        if (s->a_keep[b] && t[a * na + b] > m) m = t[a * na + b];
    }
  }
  return m;
}

double pp_select_objective(const pp_select_sets *before, const pp_select_sets *after, const double *usage,
                           const double *mass) {
  double u0 = 0, u1 = 0, m0 = 0, m1 = 0;
  int zero_wi = before->w_min <= 0 && before->w_min + before->n_w > 0 ? -before->w_min : -1;
  for (int i = 0; i < before->n_w; i++) {
    if (i == zero_wi) continue; /* the zeros are always kept: not part of J */
    double u = (usage ? usage[i] : 0) + 1;
    if (before->w_keep[i]) u0 += u;
    if (before->w_keep[i] && after->w_keep[i]) u1 += u;
  }
  for (int a = 1; a < before->n_a; a++) {
    double m = (mass ? mass[a] : 0) + 1;
    if (before->a_keep[a]) m0 += m;
    if (before->a_keep[a] && after->a_keep[a]) m1 += m;
  }
  return (u0 > 0 ? u1 / u0 : 1) * (m0 > 0 ? m1 / m0 : 1);
}

/* ---- values files ---------------------------------------------------------- */

int pp_select_write_values(const char *path, const int *values, int n, const char *comment, pp_err *e) {
  pp_outfile o;
  int rc = pp_outfile_open(&o, path, e);
  if (rc) return rc;
  if (comment) {
    const char *s = comment;
    while (*s) {
      const char *eol = strchr(s, '\n');
      int len = eol ? (int)(eol - s) : (int)strlen(s);
      fprintf(o.f, "# %.*s\n", len, s);
      s += len + (eol != NULL);
    }
  }
  for (int i = 0; i < n; i++) fprintf(o.f, "%d\n", values[i]);
  return pp_outfile_commit(&o, e);
}

int pp_select_write_sets(const pp_select_sets *s, const char *w_path, const char *a_path, const char *comment,
                         pp_err *e) {
  int v[256], n = 0, rc;
  for (int i = 0; i < s->n_w; i++)
    if (s->w_keep[i]) v[n++] = s->w_min + i;
  if (w_path && (rc = pp_select_write_values(w_path, v, n, comment, e))) return rc;
  n = 0;
  for (int a = 0; a < s->n_a; a++)
    if (s->a_keep[a]) v[n++] = a;
  if (a_path && (rc = pp_select_write_values(a_path, v, n, comment, e))) return rc;
  return PP_OK;
}

int pp_select_read_values(const char *path, int lo, int hi, uint8_t *mask, int *count, pp_err *e) {
  char *text;
  size_t len;
  int rc = pp_read_file(path, &text, &len, e);
  if (rc) return rc;
  int nv = hi - lo + 1;
  memset(mask, 0, (size_t)nv);
  int line = 0, n = 0;
  char *s = text;
  while (*s) {
    line++;
    char *eol = strchr(s, '\n');
    if (eol) *eol = 0;
    char *b = s;
    s = eol ? eol + 1 : s + strlen(s);
    while (isspace((unsigned char)*b)) b++;
    if (!*b || *b == '#') continue;
    char *end;
    errno = 0;
    long v = strtol(b, &end, 10);
    while (isspace((unsigned char)*end)) end++;
    if (end == b || *end || errno) {
      free(text);
      return pp_err_set(e, PP_EPARSE, path, line, "expected one integer per line");
    }
    if (v < lo || v > hi) {
      free(text);
      return pp_err_set(e, PP_EPARSE, path, line, "value %ld outside %d..%d", v, lo, hi);
    }
    if (mask[v - lo]) {
      free(text);
      return pp_err_set(e, PP_EPARSE, path, line, "value %ld listed twice", v);
    }
    mask[v - lo] = 1;
    n++;
  }
  free(text);
  if (!n) return pp_err_set(e, PP_EPARSE, path, 0, "no values listed");
  if (count) *count = n;
  return PP_OK;
}
