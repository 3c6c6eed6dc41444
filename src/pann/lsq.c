/* pann/lsq: least-squares fitting of the bit-flip power models. Householder
 * QR for the fit (flip features are strongly correlated: accumulator input
 * and output flips move together), normal equations as the naive reference. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pp/pann.h"

enum { LSQ_MAXK = 16 };

int pp_pann_lsq(const double *X, const double *y, long n, int k, double *c, pp_err *e) {
  if (k < 1 || k > LSQ_MAXK || n < k)
    return pp_err_set(e, PP_EINVAL, "", 0, "least squares needs 1..%d features and at least as many samples (n=%ld, k=%d)",
                      LSQ_MAXK, n, k);
  /* Column-major copy so that each Householder step walks contiguous memory. */
  double *A = calloc((size_t)n * (size_t)k, sizeof(double)); /* zeroed: quiets the analyser, costs nothing here */
  double *b = malloc(sizeof(double) * (size_t)n);
  if (!A || !b) {
    free(A);
    free(b);
    return pp_err_set(e, PP_ENOMEM, "", 0, "out of memory in least squares (n=%ld)", n);
  }
  double colnorm[LSQ_MAXK] = {0};
  for (int j = 0; j < k; j++) {
    double s = 0;
    for (long i = 0; i < n; i++) {
      A[(size_t)j * n + i] = X[(size_t)i * k + j];
      s += X[(size_t)i * k + j] * X[(size_t)i * k + j];
    }
    colnorm[j] = sqrt(s);
  }
  memcpy(b, y, sizeof(double) * (size_t)n);
  double rdiag[LSQ_MAXK];
  int dep[LSQ_MAXK] = {0};
  for (int j = 0; j < k; j++) {
    double *a = A + (size_t)j * n;
    double s = 0;
    for (long i = j; i < n; i++) s += a[i] * a[i];
    double norm = sqrt(s);
    /* A column whose remainder is tiny against its own size is dependent on
     * the earlier ones: drop it (coefficient 0) instead of dividing by ~0. */
    if (norm <= 1e-10 * (colnorm[j] > 0 ? colnorm[j] : 1)) {
      dep[j] = 1;
      rdiag[j] = 0;
      continue;
    }
    double alpha = a[j] > 0 ? -norm : norm;
    a[j] -= alpha; /* v = a - alpha e_j, stored in place */
    double vtv = s - (a[j] + alpha) * (a[j] + alpha) + a[j] * a[j];
    rdiag[j] = alpha;
    for (int jj = j + 1; jj < k; jj++) {
      double *q = A + (size_t)jj * n;
      double d = 0;
      for (long i = j; i < n; i++) d += a[i] * q[i];
      double f = 2 * d / vtv;
      for (long i = j; i < n; i++) q[i] -= f * a[i];
    }
    double d = 0;
    for (long i = j; i < n; i++) d += a[i] * b[i];
    double f = 2 * d / vtv;
    for (long i = j; i < n; i++) b[i] -= f * a[i];
  }
  for (int j = k - 1; j >= 0; j--) {
    if (dep[j]) {
      c[j] = 0;
      continue;
    }
    double s = b[j];
    for (int jj = j + 1; jj < k; jj++) s -= A[(size_t)jj * n + j] * c[jj];
    c[j] = s / rdiag[j];
  }
  free(A);
  free(b);
  return PP_OK;
}

int pp_pann_lsq_naive(const double *X, const double *y, long n, int k, double *c, pp_err *e) {
  if (k < 1 || k > LSQ_MAXK || n < k)
    return pp_err_set(e, PP_EINVAL, "", 0, "least squares needs 1..%d features and at least as many samples", LSQ_MAXK);
  long double M[LSQ_MAXK][LSQ_MAXK + 1];
  memset(M, 0, sizeof M);
  for (long i = 0; i < n; i++) {
    const double *r = X + (size_t)i * k;
    for (int a = 0; a < k; a++) {
      for (int b = 0; b < k; b++) M[a][b] += (long double)r[a] * r[b];
      M[a][k] += (long double)r[a] * y[i];
    }
  }
  for (int col = 0; col < k; col++) {
    int piv = col;
    for (int r = col + 1; r < k; r++)
      if (fabsl(M[r][col]) > fabsl(M[piv][col])) piv = r;
    if (fabsl(M[piv][col]) < 1e-300L) return pp_err_set(e, PP_EINVAL, "", 0, "singular normal equations");
    if (piv != col)
      for (int q = 0; q <= k; q++) {
        long double t = M[col][q];
        M[col][q] = M[piv][q];
        M[piv][q] = t;
      }
    for (int r = 0; r < k; r++) {
      if (r == col) continue;
      long double f = M[r][col] / M[col][col];
      for (int q = col; q <= k; q++) M[r][q] -= f * M[col][q];
    }
  }
  for (int j = 0; j < k; j++) c[j] = (double)(M[j][k] / M[j][j]);
  return PP_OK;
}

void pp_pann_fit_eval(const double *X, const double *y, long n, int k, const double *c, pp_pann_fit_stats *s) {
  memset(s, 0, sizeof *s);
  s->n = n;
  if (n <= 0) return;
  double sy = 0, sp = 0;
  for (long i = 0; i < n; i++) {
    double p = 0;
    for (int j = 0; j < k; j++) p += X[(size_t)i * k + j] * c[j];
    sy += y[i];
    sp += p;
  }
  double my = sy / (double)n, mp = sp / (double)n;
  double sse = 0, sst = 0, sae = 0;
  for (long i = 0; i < n; i++) {
    double p = 0;
    for (int j = 0; j < k; j++) p += X[(size_t)i * k + j] * c[j];
    sse += (p - y[i]) * (p - y[i]);
    sst += (y[i] - my) * (y[i] - my);
    sae += fabs(p - y[i]);
  }
  s->mean_meas = my;
  s->mean_pred = mp;
  s->rmse = sqrt(sse / (double)n);
  s->r2 = sst > 0 ? 1 - sse / sst : (sse == 0 ? 1 : 0);
  s->mean_rel_err = my != 0 ? (sae / (double)n) / fabs(my) : 0;
  s->mean_err_rel = my != 0 ? fabs(mp - my) / fabs(my) : 0;
}
