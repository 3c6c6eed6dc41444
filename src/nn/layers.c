/* nn/layers: the float layer kernels, each forward beside its backward.
 * Layout C x B x H x W. A convolution splits the batch over OpenMP threads;
 * each thread runs im2col + serial OpenBLAS GEMM on cache-sized chunks of its
 * images. Element-wise layers split over OpenMP threads too. Naive references
 * beside the fast kernels, for tests. */
#include <cblas.h>
#include <float.h>
#include <math.h>
#include <omp.h>
#include <string.h>

#include "nn_internal.h"

/* One thread pool: OpenBLAS runs every GEMM on the calling thread, and nn
 * splits the work over OpenMP threads itself. Two pools on 2 cores fight
 * (up to 10x slower on a loaded machine). */
void nn_blas_serial(void) {
  if (openblas_get_num_threads() != 1) openblas_set_num_threads(1);
}

/* Sum in double with 8 interleaved accumulators: a fixed order (same result
 * every run) that the compiler can vectorize, unlike one running sum. */
double nn_sum(const float *x, size_t n) {
  double a[8] = {0};
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; j++) a[j] += x[i + j];
  double s = ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
  for (; i < n; i++) s += x[i];
  return s;
}

/* 4-float vectors (GCC vector extensions). 16 bytes because the SSE2
 * baseline has them natively; wider ones get split into scalar code. */
typedef float nn_v4f __attribute__((vector_size(16), aligned(4)));
typedef int32_t nn_v4i __attribute__((vector_size(16), aligned(4)));

/* Copies n floats; inline, because im2col rows are short (8..32) and a
 * memcpy call per row cost as much as the copying. */
static inline void copy_row(float *d, const float *s, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) *(nn_v4f *)(d + i) = *(const nn_v4f *)(s + i);
  for (; i < n; i++) d[i] = s[i];
}

/* ---- conv2d ------------------------------------------------------------- */
void nn_conv_out_size(int H, int W, int k, int stride, int pad, int *Ho, int *Wo) {
  *Ho = (H + 2 * pad - k) / stride + 1;
  *Wo = (W + 2 * pad - k) / stride + 1;
}

/* Valid output range [lo, hi) of one kernel column kx: the outputs ox whose
 * input column ox*stride - pad + kx lies inside 0..W-1. */
static void col_range(const nn_conv_shape *s, int kx, int *lo, int *hi) {
  int a = s->pad - kx, l = a > 0 ? (a + s->stride - 1) / s->stride : 0;
  int h = (s->W - 1 + s->pad - kx) / s->stride + 1; /* first ox past the right edge */
  if (s->W - 1 + s->pad - kx < 0) h = 0;
  if (h > s->Wo) h = s->Wo;
  if (l > h) l = h;
  *lo = l, *hi = h;
}

void nn_im2col(const nn_conv_shape *s, const float *x, int g, int b0, int nb, float *col) {
  int cg = s->C / s->groups, kk = s->k * s->k, N = s->Ho * s->Wo;
  size_t ld = (size_t)nb * N;
  for (int r = 0; r < cg * kk; r++) {
    int ci = r / kk + g * cg, ky = (r % kk) / s->k, kx = (r % kk) % s->k, lo, hi;
    col_range(s, kx, &lo, &hi);
    for (int b = 0; b < nb; b++) {
      const float *xp = x + ((size_t)ci * s->B + b0 + b) * s->H * s->W;
      float *cp = col + (size_t)r * ld + (size_t)b * N;
      for (int oy = 0; oy < s->Ho; oy++) {
        int iy = oy * s->stride - s->pad + ky;
        float *crow = cp + (size_t)oy * s->Wo;
        if (iy < 0 || iy >= s->H) {
          memset(crow, 0, sizeof(float) * s->Wo);
          continue;
        }
        const float *xrow = xp + (size_t)iy * s->W - s->pad + kx;
        for (int ox = 0; ox < lo; ox++) crow[ox] = 0.0f;
        if (s->stride == 1) {
          copy_row(crow + lo, xrow + lo, hi - lo);
        } else {
          for (int ox = lo; ox < hi; ox++) crow[ox] = xrow[(size_t)ox * s->stride];
        }
        for (int ox = hi; ox < s->Wo; ox++) crow[ox] = 0.0f;
      }
    }
  }
}

/* The references' one index rule: the input element that column row r (channel, ky, kx) of
 * image b at output (oy, ox) reads, or -1 where that tap falls in the padding. */
static long long im2col_src_ref(const nn_conv_shape *s, int r, int g, int b, int oy, int ox) {
  int cg = s->C / s->groups, kk = s->k * s->k;
  int ci = r / kk + g * cg, ky = (r % kk) / s->k, kx = (r % kk) % s->k;
  int iy = oy * s->stride - s->pad + ky, ix = ox * s->stride - s->pad + kx;
  if (iy < 0 || iy >= s->H || ix < 0 || ix >= s->W) return -1;
  return (((long long)ci * s->B + b) * s->H + iy) * s->W + ix;
}

void nn_im2col_ref(const nn_conv_shape *s, const float *x, int g, int b0, int nb, float *col) {
  int rows = s->C / s->groups * s->k * s->k, N = s->Ho * s->Wo;
  for (int r = 0; r < rows; r++)
    for (int b = 0; b < nb; b++)
      for (int o = 0; o < N; o++) {
        long long src = im2col_src_ref(s, r, g, b0 + b, o / s->Wo, o % s->Wo);
        col[((size_t)r * nb + b) * N + o] = src >= 0 ? x[src] : 0.0f;
      }
}

void nn_col2im_add(const nn_conv_shape *s, const float *col, int g, int b0, int nb, float *dx) {
  int cg = s->C / s->groups, kk = s->k * s->k, N = s->Ho * s->Wo;
  size_t ld = (size_t)nb * N;
  for (int cl = 0; cl < cg; cl++)
    for (int b = 0; b < nb; b++) {
      float *xp = dx + ((size_t)(cl + g * cg) * s->B + b0 + b) * s->H * s->W;
      for (int q = 0; q < kk; q++) {
        int ky = q / s->k, kx = q % s->k, lo, hi;
        col_range(s, kx, &lo, &hi);
        const float *cp = col + ((size_t)cl * kk + q) * ld + (size_t)b * N;
        for (int oy = 0; oy < s->Ho; oy++) {
          int iy = oy * s->stride - s->pad + ky;
          if (iy < 0 || iy >= s->H) continue;
          float *xrow = xp + (size_t)iy * s->W - s->pad + kx;
          const float *crow = cp + (size_t)oy * s->Wo;
          if (s->stride == 1) {
            for (int ox = lo; ox < hi; ox++) xrow[ox] += crow[ox];
          } else {
            for (int ox = lo; ox < hi; ox++) xrow[(size_t)ox * s->stride] += crow[ox];
          }
        }
      }
    }
}

void nn_col2im_add_ref(const nn_conv_shape *s, const float *col, int g, int b0, int nb, float *dx) {
  int rows = s->C / s->groups * s->k * s->k, N = s->Ho * s->Wo;
  for (int r = 0; r < rows; r++)
    for (int b = 0; b < nb; b++)
      for (int o = 0; o < N; o++) {
        long long dst = im2col_src_ref(s, r, g, b0 + b, o / s->Wo, o % s->Wo);
        if (dst >= 0) dx[dst] += col[((size_t)r * nb + b) * N + o];
      }
}

/* A 1x1, stride-1, unpadded conv reads its input as the column matrix itself. */
static int conv_is_pointwise(const nn_conv_shape *s) {
  return s->k == 1 && s->stride == 1 && s->pad == 0;
}

/* Images per GEMM: enough columns to keep OpenBLAS efficient, few enough
 * that one chunk's column matrix stays in a core's L2 cache. */
#define NN_COL_CHUNK 98304 /* floats */
static int conv_chunk(const nn_conv_shape *s) {
  size_t per = (size_t)(s->C / s->groups) * s->k * s->k * s->Ho * s->Wo;
  size_t c = per ? NN_COL_CHUNK / per : 1;
  return c < 1 ? 1 : (int)c;
}

static size_t conv_col_floats(const nn_conv_shape *s) {
  return (size_t)conv_chunk(s) * (s->C / s->groups) * s->k * s->k * s->Ho * s->Wo;
}

size_t nn_conv_scratch(const nn_conv_shape *s, int nt) {
  size_t nw = (size_t)s->M * (s->C / s->groups) * s->k * s->k;
  return (size_t)nt * (conv_col_floats(s) + nw);
}

int nn_threads_for(int B, int nt) {
  int t = omp_get_max_threads();
  if (nt > 0 && t > nt) t = nt;
  return t < B ? t : B < 1 ? 1 : B;
}

/* The batch is split into nt contiguous image ranges, one per thread, each
 * walked in chunks: every GEMM runs on one thread (OpenBLAS is kept serial, see
 * nn_blas_serial), so there is one thread pool, OpenMP's. The split depends
 * only on B and nt, so results are identical run to run for a given nt. */
static void thread_range(int B, int nt, int t, int *b0, int *b1) {
  *b0 = (int)((long)B * t / nt);
  *b1 = (int)((long)B * (t + 1) / nt);
}

void nn_conv_forward(const nn_conv_shape *s, const float *x, const float *w, const float *b,
                     float *y, float *scratch, int nt) {
  int cg = s->C / s->groups, mg = s->M / s->groups, K = cg * s->k * s->k, N = s->Ho * s->Wo;
  int HW = s->H * s->W, ch = conv_chunk(s);
  size_t colsz = conv_col_floats(s), nw = (size_t)s->M * K;
  nt = nn_threads_for(s->B, nt);
#pragma omp parallel num_threads(nt) if(nt > 1)
  {
    int t = omp_get_thread_num(), t0, t1;
    thread_range(s->B, nt, t, &t0, &t1);
    float *col = scratch + (size_t)t * (colsz + nw);
    for (int c0 = t0; c0 < t1; c0 += ch) {
      int nb = t1 - c0 < ch ? t1 - c0 : ch;
      for (int g = 0; g < s->groups; g++) {
        const float *cm = col;
        int ldc = nb * N;
        if (conv_is_pointwise(s)) {
          cm = x + ((size_t)g * cg * s->B + c0) * HW;
          ldc = s->B * HW;
        } else {
          nn_im2col(s, x, g, c0, nb, col);
        }
        float *yg = y + ((size_t)g * mg * s->B + c0) * N;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, mg, nb * N, K, 1.0f,
                    w + (size_t)g * mg * K, K, cm, ldc, 0.0f, yg, s->B * N);
      }
      if (b)
        for (int m = 0; m < s->M; m++) {
          float *yp = y + ((size_t)m * s->B + c0) * N, bm = b[m];
          for (int i = 0; i < nb * N; i++) yp[i] += bm;
        }
    }
  }
}

void nn_conv_backward(const nn_conv_shape *s, const float *x, const float *w, const float *dy,
                      float *dx, float *dw, float *db, float *scratch, int nt, int dx_acc) {
  int cg = s->C / s->groups, mg = s->M / s->groups, K = cg * s->k * s->k, N = s->Ho * s->Wo;
  int HW = s->H * s->W, BN = s->B * N, ch = conv_chunk(s);
  size_t colsz = conv_col_floats(s), nw = (size_t)s->M * K;
  nt = nn_threads_for(s->B, nt);
  if (db) {
#pragma omp parallel for schedule(static) num_threads(nt) if(nt > 1 && (size_t)s->M * BN > NN_PAR_MIN)
    for (int m = 0; m < s->M; m++) db[m] += (float)nn_sum(dy + (size_t)m * BN, (size_t)BN);
  }
#pragma omp parallel num_threads(nt) if(nt > 1)
  {
    int t = omp_get_thread_num(), t0, t1;
    thread_range(s->B, nt, t, &t0, &t1);
    float *col = scratch + (size_t)t * (colsz + nw), *dwp = col + colsz;
    memset(dwp, 0, nw * sizeof(float));
    for (int c0 = t0; c0 < t1; c0 += ch) {
      int nb = t1 - c0 < ch ? t1 - c0 : ch;
      for (int g = 0; g < s->groups; g++) {
        const float *dyg = dy + ((size_t)g * mg * s->B + c0) * N, *wg = w + (size_t)g * mg * K;
        if (conv_is_pointwise(s)) {
          const float *xg = x + ((size_t)g * cg * s->B + c0) * HW;
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, mg, K, nb * N, 1.0f, dyg, BN, xg, s->B * HW,
                      1.0f, dwp + (size_t)g * mg * K, K);
          if (dx)
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, nb * N, mg, 1.0f, wg, K, dyg, BN,
                        dx_acc ? 1.0f : 0.0f, dx + ((size_t)g * cg * s->B + c0) * HW, s->B * HW);
          continue;
        }
        nn_im2col(s, x, g, c0, nb, col);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, mg, K, nb * N, 1.0f, dyg, BN, col, nb * N, 1.0f,
                    dwp + (size_t)g * mg * K, K);
        if (dx) {
          cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, nb * N, mg, 1.0f, wg, K, dyg, BN, 0.0f, col,
                      nb * N);
          if (!dx_acc) /* this chunk's planes, while they are about to be in cache anyway */
            for (int cl = 0; cl < cg; cl++)
              memset(dx + ((size_t)(g * cg + cl) * s->B + c0) * HW, 0, sizeof(float) * (size_t)nb * HW);
          nn_col2im_add(s, col, g, c0, nb, dx);
        }
      }
    }
  }
  /* per-thread partial weight gradients, added in thread order */
  for (size_t i = 0; i < nw; i++) {
    float acc = dw[i];
    for (int t = 0; t < nt; t++) acc += scratch[(size_t)t * (colsz + nw) + colsz + i];
    dw[i] = acc;
  }
}

void nn_conv_forward_ref(const nn_conv_shape *s, const float *x, const float *w, const float *b,
                         float *y) {
  int cg = s->C / s->groups, mg = s->M / s->groups;
  for (int m = 0; m < s->M; m++)
    for (int bb = 0; bb < s->B; bb++)
      for (int oy = 0; oy < s->Ho; oy++)
        for (int ox = 0; ox < s->Wo; ox++) {
          int g = m / mg;
          double acc = b ? b[m] : 0.0;
          for (int cl = 0; cl < cg; cl++)
            for (int ky = 0; ky < s->k; ky++)
              for (int kx = 0; kx < s->k; kx++) {
                int iy = oy * s->stride - s->pad + ky, ix = ox * s->stride - s->pad + kx;
                if (iy < 0 || iy >= s->H || ix < 0 || ix >= s->W) continue;
                int ci = g * cg + cl;
                acc += (double)w[(((size_t)m * cg + cl) * s->k + ky) * s->k + kx] *
                       x[(((size_t)ci * s->B + bb) * s->H + iy) * s->W + ix];
              }
          y[(((size_t)m * s->B + bb) * s->Ho + oy) * s->Wo + ox] = (float)acc;
        }
}

void nn_conv_backward_ref(const nn_conv_shape *s, const float *x, const float *w, const float *dy,
                          float *dx, float *dw, float *db) {
  int cg = s->C / s->groups, mg = s->M / s->groups;
  for (int m = 0; m < s->M; m++)
    for (int bb = 0; bb < s->B; bb++)
      for (int oy = 0; oy < s->Ho; oy++)
        for (int ox = 0; ox < s->Wo; ox++) {
          float d = dy[(((size_t)m * s->B + bb) * s->Ho + oy) * s->Wo + ox];
          int g = m / mg;
          if (db) db[m] += d;
          for (int cl = 0; cl < cg; cl++)
            for (int ky = 0; ky < s->k; ky++)
              for (int kx = 0; kx < s->k; kx++) {
                int iy = oy * s->stride - s->pad + ky, ix = ox * s->stride - s->pad + kx;
                if (iy < 0 || iy >= s->H || ix < 0 || ix >= s->W) continue;
                size_t wi = (((size_t)m * cg + cl) * s->k + ky) * s->k + kx;
                size_t xi = (((size_t)(g * cg + cl) * s->B + bb) * s->H + iy) * s->W + ix;
                dw[wi] += d * x[xi];
                if (dx) dx[xi] += d * w[wi];
              }
        }
}

/* ---- fully connected ---------------------------------------------------- */
/* xt (F x B) gathers each image's features (c, h, w) into one column. */
static void fc_gather(int B, int C, int HW, const float *x, float *xt) {
#pragma omp parallel for collapse(2) schedule(static) if((size_t)C * B * HW > NN_PAR_MIN)
  for (int c = 0; c < C; c++)
    for (int b = 0; b < B; b++)
      for (int p = 0; p < HW; p++) xt[((size_t)c * HW + p) * B + b] = x[((size_t)c * B + b) * HW + p];
}

void nn_fc_forward(int B, int C, int HW, int O, const float *x, const float *w, const float *b,
                   float *y, float *xt) {
  int F = C * HW;
  fc_gather(B, C, HW, x, xt);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, O, B, F, 1.0f, w, F, xt, B, 0.0f, y, B);
  if (b)
    for (int o = 0; o < O; o++)
      for (int i = 0; i < B; i++) y[(size_t)o * B + i] += b[o];
}

void nn_fc_backward(int B, int C, int HW, int O, const float *x, const float *w, const float *dy,
                    float *dx, float *dw, float *db, float *xt, float *dxt) {
  int F = C * HW;
  fc_gather(B, C, HW, x, xt);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, O, F, B, 1.0f, dy, B, xt, B, 1.0f, dw, F);
  if (db)
    for (int o = 0; o < O; o++) {
      double acc = 0;
      for (int i = 0; i < B; i++) acc += dy[(size_t)o * B + i];
      db[o] += (float)acc;
    }
  if (dx) {
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, F, B, O, 1.0f, w, F, dy, B, 0.0f, dxt, B);
#pragma omp parallel for collapse(2) schedule(static) if((size_t)C * B * HW > NN_PAR_MIN)
    for (int c = 0; c < C; c++)
      for (int bb = 0; bb < B; bb++)
        for (int p = 0; p < HW; p++)
          dx[((size_t)c * B + bb) * HW + p] += dxt[((size_t)c * HW + p) * B + bb];
  }
}

/* ---- batch norm ------------------------------------------------------------ */
/* Sum of squared deviations from mu, in double, 8 accumulators (see nn_sum). */
static double sum_sqdev(const float *x, size_t n, double mu) {
  double a[8] = {0};
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; j++) {
      double d = x[i + j] - mu;
      a[j] += d * d;
    }
  double s = ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
  for (; i < n; i++) s += (x[i] - mu) * (x[i] - mu);
  return s;
}

void nn_bn_forward_train(int C, int n, const float *x, const float *g, const float *beta, float *y,
                         float *mean, float *invstd, float *run_mean, float *run_var, float momentum,
                         float eps) {
#pragma omp parallel for schedule(static) if((size_t)C * n > NN_PAR_MIN)
  for (int c = 0; c < C; c++) {
    const float *xp = x + (size_t)c * n;
    double mu = nn_sum(xp, (size_t)n) / n, ss = sum_sqdev(xp, (size_t)n, mu);
    double var = ss / n;
    float is = (float)(1.0 / sqrt(var + eps)), fmu = (float)mu, a = g[c] * is, bb = beta[c];
    mean[c] = fmu;
    invstd[c] = is;
    float *yp = y + (size_t)c * n;
    for (int i = 0; i < n; i++) yp[i] = a * (xp[i] - fmu) + bb;
    if (run_mean) {
      run_mean[c] = (1 - momentum) * run_mean[c] + momentum * fmu;
      run_var[c] = (1 - momentum) * run_var[c] + momentum * (float)(n > 1 ? ss / (n - 1) : var);
    }
  }
}

void nn_bn_forward_eval(int C, int n, const float *x, const float *g, const float *beta, float *y,
                        const float *run_mean, const float *run_var, float eps) {
#pragma omp parallel for schedule(static) if((size_t)C * n > NN_PAR_MIN)
  for (int c = 0; c < C; c++) {
    float is = 1.0f / sqrtf(run_var[c] + eps), a = g[c] * is, bb = beta[c] - run_mean[c] * a;
    const float *xp = x + (size_t)c * n;
    float *yp = y + (size_t)c * n;
    for (int i = 0; i < n; i++) yp[i] = a * xp[i] + bb;
  }
}

void nn_bn_backward(int C, int n, const float *x, const float *g, const float *mean,
                    const float *invstd, const float *dy, float *dx, float *dg, float *dbeta, int acc) {
#pragma omp parallel for schedule(static) if((size_t)C * n > NN_PAR_MIN)
  for (int c = 0; c < C; c++) {
    const float *xp = x + (size_t)c * n, *d = dy + (size_t)c * n;
    float mu = mean[c], is = invstd[c];
    double a[8] = {0}, b[8] = {0};
    int i = 0;
    for (; i + 8 <= n; i += 8)
      for (int j = 0; j < 8; j++) {
        a[j] += d[i + j];
        b[j] += (double)(d[i + j] * (xp[i + j] - mu));
      }
    double sd = ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
    double sdx = ((b[0] + b[1]) + (b[2] + b[3])) + ((b[4] + b[5]) + (b[6] + b[7]));
    for (; i < n; i++) {
      sd += d[i];
      sdx += (double)(d[i] * (xp[i] - mu));
    }
    sdx *= is;
    dg[c] += (float)sdx;
    dbeta[c] += (float)sd;
    if (dx) {
      float k = g[c] * is / (float)n, fn = (float)n, fsd = (float)sd, fsx = is * (float)sdx;
      float *o = dx + (size_t)c * n;
      if (acc) {
        for (int q = 0; q < n; q++) o[q] += k * (fn * d[q] - fsd - (xp[q] - mu) * fsx);
      } else {
        for (int q = 0; q < n; q++) o[q] = k * (fn * d[q] - fsd - (xp[q] - mu) * fsx);
      }
    }
  }
}

/* ---- ReLU / ReLU6 ----------------------------------------------------------- */
/* ReLU as bit masks on 4-float vectors: branch-free, so random signs cost no
 * mispredictions, and identical to the scalar x > 0 ? x : 0 (NaN -> 0). */
#define NN_RELU_BLOCK 8192 /* elements per OpenMP chunk (a multiple of 4) */

static void relu_fwd_range(const float *x, float *y, size_t n, float cap) {
  size_t i = 0;
  const nn_v4f z = {0}, c = z + cap;
  if (cap > 0) {
    for (; i + 4 <= n; i += 4) {
      nn_v4f v = *(const nn_v4f *)(x + i);
      v = (nn_v4f)((nn_v4i)v & (v > z));
      nn_v4i lt = v < c;
      *(nn_v4f *)(y + i) = (nn_v4f)(((nn_v4i)v & lt) | ((nn_v4i)c & ~lt));
    }
  } else {
    for (; i + 4 <= n; i += 4) {
      nn_v4f v = *(const nn_v4f *)(x + i);
      *(nn_v4f *)(y + i) = (nn_v4f)((nn_v4i)v & (v > z));
    }
  }
  for (; i < n; i++) {
    float v = x[i] > 0 ? x[i] : 0.0f;
    y[i] = (cap > 0 && !(v < cap)) ? cap : v;
  }
}

static void relu_bwd_range(const float *x, const float *dy, float *dx, size_t n, float cap, int acc) {
  size_t i = 0;
  const nn_v4f z = {0}, c = z + cap;
  if (!acc) { /* overwrite: the first gradient sent to dx */
    for (; i + 4 <= n; i += 4) {
      nn_v4f v = *(const nn_v4f *)(x + i);
      nn_v4i pass = v > z;
      if (cap > 0) pass &= v < c;
      *(nn_v4f *)(dx + i) = (nn_v4f)((nn_v4i) * (const nn_v4f *)(dy + i) & pass);
    }
    for (; i < n; i++) dx[i] = (x[i] > 0 && (cap <= 0 || x[i] < cap)) ? dy[i] : 0.0f;
    return;
  }
  if (cap > 0) {
    for (; i + 4 <= n; i += 4) {
      nn_v4f v = *(const nn_v4f *)(x + i);
      nn_v4i pass = (v > z) & (v < c);
      *(nn_v4f *)(dx + i) += (nn_v4f)((nn_v4i) * (const nn_v4f *)(dy + i) & pass);
    }
  } else {
    for (; i + 4 <= n; i += 4) {
      nn_v4f v = *(const nn_v4f *)(x + i);
      *(nn_v4f *)(dx + i) += (nn_v4f)((nn_v4i) * (const nn_v4f *)(dy + i) & (v > z));
    }
  }
  for (; i < n; i++)
    if (x[i] > 0 && (cap <= 0 || x[i] < cap)) dx[i] += dy[i];
}

void nn_relu_forward(size_t n, const float *x, float *y, float cap) {
  size_t nblk = (n + NN_RELU_BLOCK - 1) / NN_RELU_BLOCK;
#pragma omp parallel for schedule(static) if(n > NN_PAR_MIN)
  for (size_t k = 0; k < nblk; k++) {
    size_t i0 = k * NN_RELU_BLOCK, m = n - i0 < NN_RELU_BLOCK ? n - i0 : NN_RELU_BLOCK;
    relu_fwd_range(x + i0, y + i0, m, cap);
  }
}

void nn_relu_backward(size_t n, const float *x, const float *dy, float *dx, float cap, int acc) {
  size_t nblk = (n + NN_RELU_BLOCK - 1) / NN_RELU_BLOCK;
#pragma omp parallel for schedule(static) if(n > NN_PAR_MIN)
  for (size_t k = 0; k < nblk; k++) {
    size_t i0 = k * NN_RELU_BLOCK, m = n - i0 < NN_RELU_BLOCK ? n - i0 : NN_RELU_BLOCK;
    relu_bwd_range(x + i0, dy + i0, dx + i0, m, cap, acc);
  }
}

/* Scalar references (tests). */
void nn_relu_forward_ref(size_t n, const float *x, float *y, float cap) {
  for (size_t i = 0; i < n; i++) {
    float v = x[i] > 0 ? x[i] : 0.0f;
    y[i] = (cap > 0 && v > cap) ? cap : v;
  }
}

void nn_relu_backward_ref(size_t n, const float *x, const float *dy, float *dx, float cap) {
  for (size_t i = 0; i < n; i++)
    if (x[i] > 0 && (cap <= 0 || x[i] < cap)) dx[i] += dy[i];
}

/* ---- pooling ---------------------------------------------------------------- */
void nn_maxpool_forward(int planes, int H, int W, int k, int s, const float *x, float *y,
                        int32_t *arg) {
  int Ho = (H - k) / s + 1, Wo = (W - k) / s + 1;
#pragma omp parallel for schedule(static) if((size_t)planes * H * W > NN_PAR_MIN)
  for (int p = 0; p < planes; p++) {
    const float *xp = x + (size_t)p * H * W;
    for (int oy = 0; oy < Ho; oy++)
      for (int ox = 0; ox < Wo; ox++) {
        float best = -FLT_MAX;
        int bi = 0;
        for (int ky = 0; ky < k; ky++)
          for (int kx = 0; kx < k; kx++) {
            int idx = (oy * s + ky) * W + ox * s + kx;
            if (xp[idx] > best) best = xp[idx], bi = idx;
          }
        size_t o = (size_t)p * Ho * Wo + (size_t)oy * Wo + ox;
        y[o] = best;
        if (arg) arg[o] = bi;
      }
  }
}

void nn_maxpool_backward(int planes, int H, int W, int k, int s, const float *dy,
                         const int32_t *arg, float *dx) {
  int Ho = (H - k) / s + 1, Wo = (W - k) / s + 1;
#pragma omp parallel for schedule(static) if((size_t)planes * H * W > NN_PAR_MIN)
  for (int p = 0; p < planes; p++)
    for (int o = 0; o < Ho * Wo; o++)
      dx[(size_t)p * H * W + arg[(size_t)p * Ho * Wo + o]] += dy[(size_t)p * Ho * Wo + o];
}

void nn_avgpool_forward(int planes, int H, int W, int k, int s, const float *x, float *y) {
  int Ho = (H - k) / s + 1, Wo = (W - k) / s + 1;
  float inv = 1.0f / (float)(k * k);
#pragma omp parallel for schedule(static) if((size_t)planes * H * W > NN_PAR_MIN)
  for (int p = 0; p < planes; p++) {
    const float *xp = x + (size_t)p * H * W;
    for (int oy = 0; oy < Ho; oy++)
      for (int ox = 0; ox < Wo; ox++) {
        double acc = 0;
        for (int ky = 0; ky < k; ky++)
          for (int kx = 0; kx < k; kx++) acc += xp[(oy * s + ky) * W + ox * s + kx];
        y[(size_t)p * Ho * Wo + (size_t)oy * Wo + ox] = (float)acc * inv;
      }
  }
}

void nn_avgpool_backward(int planes, int H, int W, int k, int s, const float *dy, float *dx) {
  int Ho = (H - k) / s + 1, Wo = (W - k) / s + 1;
  float inv = 1.0f / (float)(k * k);
#pragma omp parallel for schedule(static) if((size_t)planes * H * W > NN_PAR_MIN)
  for (int p = 0; p < planes; p++)
    for (int oy = 0; oy < Ho; oy++)
      for (int ox = 0; ox < Wo; ox++) {
        float d = dy[(size_t)p * Ho * Wo + (size_t)oy * Wo + ox] * inv;
        for (int ky = 0; ky < k; ky++)
          for (int kx = 0; kx < k; kx++) dx[(size_t)p * H * W + (size_t)(oy * s + ky) * W + (size_t)ox * s + kx] += d;
      }
}

/* ---- residual add (option-A shortcut) ---------------------------------------- */
void nn_add_forward(int C, int B, int H, int W, const float *a, int C2, int H2, int W2,
                    const float *b, float *y) {
  int st = H2 / H, off = (C - C2) / 2;
  (void)W2;
#pragma omp parallel for collapse(2) schedule(static) if((size_t)C * B * H * W > NN_PAR_MIN)
  for (int c = 0; c < C; c++)
    for (int bb = 0; bb < B; bb++) {
      size_t o = ((size_t)c * B + bb) * H * W;
      int c2 = c - off;
      for (int i = 0; i < H; i++)
        for (int j = 0; j < W; j++) {
          float v = a[o + (size_t)i * W + j];
          if (c2 >= 0 && c2 < C2) v += b[(((size_t)c2 * B + bb) * H2 + (size_t)i * st) * W2 + (size_t)j * st];
          y[o + (size_t)i * W + j] = v;
        }
    }
}

void nn_add_backward(int C, int B, int H, int W, const float *dy, int C2, int H2, int W2,
                     float *da, float *db, int da_acc) {
  int st = H2 / H, off = (C - C2) / 2;
#pragma omp parallel for collapse(2) schedule(static) if((size_t)C * B * H * W > NN_PAR_MIN)
  for (int c = 0; c < C; c++)
    for (int bb = 0; bb < B; bb++) {
      size_t o = ((size_t)c * B + bb) * H * W;
      int c2 = c - off;
      if (da_acc) {
        for (int i = 0; i < H * W; i++) da[o + i] += dy[o + i];
      } else {
        memcpy(da + o, dy + o, sizeof(float) * (size_t)H * W);
      }
      if (c2 >= 0 && c2 < C2)
        for (int i = 0; i < H; i++)
          for (int j = 0; j < W; j++)
            db[(((size_t)c2 * B + bb) * H2 + (size_t)i * st) * W2 + (size_t)j * st] += dy[o + (size_t)i * W + j];
    }
}

/* ---- softmax layer ------------------------------------------------------------------- */
/* One softmax group: n values at x[base + j*step] for j < n, or for whole
 * images the C planes of HW values (step between planes B*HW). */
static void softmax_group(const float *x, float *y, size_t base, int nc, size_t cstep, int np) {
  float mx = -FLT_MAX;
  for (int c = 0; c < nc; c++)
    for (int p = 0; p < np; p++) {
      float v = x[base + c * cstep + p];
      mx = v > mx ? v : mx;
    }
  double sum = 0;
  for (int c = 0; c < nc; c++)
    for (int p = 0; p < np; p++) sum += exp((double)x[base + c * cstep + p] - mx);
  for (int c = 0; c < nc; c++)
    for (int p = 0; p < np; p++) y[base + c * cstep + p] = (float)(exp((double)x[base + c * cstep + p] - mx) / sum);
}

void nn_softmax_forward(int whole, int C, int B, int HW, const float *x, float *y) {
  size_t cstep = (size_t)B * HW;
  for (int b = 0; b < B; b++) {
    if (whole) {
      softmax_group(x, y, (size_t)b * HW, C, cstep, HW);
    } else {
      for (int p = 0; p < HW; p++) softmax_group(x, y, (size_t)b * HW + p, C, cstep, 1);
    }
  }
}

void nn_softmax_backward(int whole, int C, int B, int HW, const float *y, const float *dy, float *dx, int acc) {
  size_t cstep = (size_t)B * HW;
  int ng = whole ? 1 : HW, np = whole ? HW : 1;
  for (int b = 0; b < B; b++)
    for (int g = 0; g < ng; g++) {
      size_t base = (size_t)b * HW + g;
      double dot = 0;
      for (int c = 0; c < C; c++)
        for (int p = 0; p < np; p++) dot += (double)dy[base + c * cstep + p] * y[base + c * cstep + p];
      for (int c = 0; c < C; c++)
        for (int p = 0; p < np; p++) {
          size_t i = base + c * cstep + p;
          float v = y[i] * (dy[i] - (float)dot);
          dx[i] = acc ? dx[i] + v : v;
        }
    }
}

/* ---- softmax cross-entropy ------------------------------------------------------- */
double nn_softmax_xent(int K, int B, const float *logits, const uint8_t *labels, float *dlogits,
                       int *correct) {
  double loss = 0;
  int hits = 0;
  for (int b = 0; b < B; b++) {
    float mx = -FLT_MAX;
    int am = 0;
    for (int k = 0; k < K; k++)
      if (logits[(size_t)k * B + b] > mx) mx = logits[(size_t)k * B + b], am = k;
    double sum = 0;
    for (int k = 0; k < K; k++) sum += exp((double)logits[(size_t)k * B + b] - mx);
    int y = labels[b];
    /* sum >= 1: it holds exp(0) of the maximum */
    // cppcheck-suppress invalidFunctionArg
    loss += -((double)logits[(size_t)y * B + b] - mx - log(sum));
    hits += am == y;
    if (dlogits)
      for (int k = 0; k < K; k++) {
        double p = exp((double)logits[(size_t)k * B + b] - mx) / sum;
        dlogits[(size_t)k * B + b] = (float)((p - (k == y)) / B);
      }
  }
  if (correct) *correct = hits;
  return loss / B;
}
