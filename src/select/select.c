/* select: power-threshold and delay-threshold value selection (see select.h
 * for the algorithm and the objective) and the allowed-values files. */
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
  int order[PP_CHAR_MAX_W];
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
  for (int i = 0; i < before->n_w; i++) {
    double u = (usage ? usage[i] : 0) + 1;
    if (before->w_keep[i]) u0 += u;
    if (before->w_keep[i] && after->w_keep[i]) u1 += u;
  }
  for (int a = 0; a < before->n_a; a++) {
    double m = (mass ? mass[a] : 0) + 1;
    if (before->a_keep[a]) m0 += m;
    if (before->a_keep[a] && after->a_keep[a]) m1 += m;
  }
  if (u0 <= 0 || m0 <= 0) return 0;
  return (u1 / u0) * (m1 / m0);
}

void pp_select_opts_default(pp_select_opts *o) {
  o->delay_ps = 0;
  o->repeats = 20;
  o->seed = 1;
}

/* A violating combination packed for sorting: wi << 16 | a << 8 | b (8-bit
 * activations at most); the delay lives in the bucket it is sorted into. */
typedef struct {
  uint32_t *combo; /* sorted by delay, largest first */
  size_t n;
} viol_list;

static int collect(const pp_char_delay *d, const pp_select_sets *in, unsigned thr, viol_list *v, pp_err *e) {
  int na = d->n_a;
  size_t *count = pp_xcalloc(2 * 65536, sizeof *count), *pos = count + 65536;
  if (!count) return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory");
  for (int wi = 0; wi < d->n_w; wi++) {
    if (!in->w_keep[wi]) continue;
    const uint16_t *t = d->d + (size_t)wi * na * na;
    for (int a = 0; a < na; a++) {
      if (!in->a_keep[a]) continue;
      for (int b = 0; b < na; b++)
        if (in->a_keep[b] && t[a * na + b] > thr) count[t[a * na + b]]++;
    }
  }
  /* Counting sort, largest delay first; within one delay the scan order
   * (w, a, b), so the list is a pure function of the table. */
  size_t total = 0;
  for (int dl = 65535; dl >= 0; dl--) {
    pos[dl] = total;
    total += count[dl];
  }
  v->n = total;
  v->combo = total ? malloc(total * sizeof *v->combo) : NULL;
  if (total && !v->combo) {
    free(count);
    return pp_err_set(e, PP_ENOMEM, NULL, 0, "out of memory for %zu combinations", total);
  }
  for (int wi = 0; wi < d->n_w; wi++) {
    if (!in->w_keep[wi]) continue;
    const uint16_t *t = d->d + (size_t)wi * na * na;
    for (int a = 0; a < na; a++) {
      if (!in->a_keep[a]) continue;
      for (int b = 0; b < na; b++)
        if (in->a_keep[b] && t[a * na + b] > thr) v->combo[pos[t[a * na + b]]++] = (uint32_t)wi << 16 | a << 8 | b;
    }
  }
  free(count);
  return PP_OK;
}

/* One removal run. Returns 0, or -1 when a violating combination has no
 * removable member left. */
static int run_once(const viol_list *v, int zero_wi, pp_select_sets *s, pp_rng *r) {
  for (size_t i = 0; i < v->n; i++) {
    uint32_t c = v->combo[i];
    int wi = (int)(c >> 16), a = (int)(c >> 8 & 0xff), b = (int)(c & 0xff);
    if (!s->w_keep[wi] || !s->a_keep[a] || !s->a_keep[b]) continue;
    int cand[3], nc = 0; /* 0: weight, 1: from, 2: to */
    if (wi != zero_wi) cand[nc++] = 0;
    if (a != 0) cand[nc++] = 1;
    if (b != 0 && b != a) cand[nc++] = 2;
    if (!nc) return -1;
    int pick = cand[pp_rng_below(r, (uint32_t)nc)];
    if (pick == 0) s->w_keep[wi] = 0;
    else if (pick == 1) s->a_keep[a] = 0;
    else s->a_keep[b] = 0;
  }
  return 0;
}

int pp_select_delay(const pp_char_delay *d, const pp_select_sets *in, const double *usage, const double *mass,
                    const pp_select_opts *o, pp_select_result *out, pp_err *e) {
  memset(out, 0, sizeof *out);
  if (in->w_min != d->w_min || in->n_w != d->n_w || in->n_a < d->n_a)
    return pp_err_set(e, PP_EINVAL, NULL, 0, "the value sets (weights %d..%d) do not match the delay table (%d..%d)",
                      in->w_min, in->w_min + in->n_w - 1, d->w_min, d->w_min + d->n_w - 1);
  if (d->n_a > 256) return pp_err_set(e, PP_EINVAL, NULL, 0, "more than 256 activation values");
  if (o->repeats < 1) return pp_err_set(e, PP_EINVAL, NULL, 0, "repeats must be >= 1");
  int zero_wi = (d->w_min <= 0 && d->w_min + d->n_w > 0) ? -d->w_min : -1;
  pp_select_sets start = *in;
  start.n_a = d->n_a;
  if (zero_wi >= 0) start.w_keep[zero_wi] = 1;
  start.a_keep[0] = 1;
  viol_list v = {NULL, 0};
  int rc = collect(d, &start, o->delay_ps, &v, e);
  if (rc) return rc;
  int have = 0;
  for (int r = 0; r < o->repeats; r++) {
    pp_rng rng;
    pp_rng_seed(&rng, o->seed ^ (0x9e3779b97f4a7c15ULL * (uint64_t)(r + 1)));
    pp_select_sets s = start;
    if (run_once(&v, zero_wi, &s, &rng)) {
      free(v.combo);
      unsigned d00 = zero_wi >= 0 ? pp_char_delay_at(d, 0, 0, 0) : 0;
      return pp_err_set(e, PP_EINVAL, NULL, 0,
                        "delay threshold %u ps is infeasible: weight 0 and activation 0 are never removed and "
                        "their combinations need up to %u ps (partial-sum path %u ps)",
                        o->delay_ps, d00, d->d_psum_ps);
    }
    double j = pp_select_objective(&start, &s, usage, mass);
    int nk = pp_select_count_w(&s) + pp_select_count_a(&s);
    int nk_best = have ? pp_select_count_w(&out->sets) + pp_select_count_a(&out->sets) : 0;
    if (!have || j > out->objective || (j == out->objective && nk > nk_best)) {
      out->sets = s;
      out->objective = j;
      out->best_run = r;
      have = 1;
    }
  }
  free(v.combo);
  out->runs = o->repeats;
  out->max_delay_ps = pp_select_max_delay(d, &out->sets);
  return PP_OK;
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
  memset(mask, 0, (size_t)(hi - lo + 1));
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
